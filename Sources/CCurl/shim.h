#ifndef ATOM_CCURL_SHIM_H
#define ATOM_CCURL_SHIM_H
/*
 * libcurl's types and constants only: the library itself is not linked but loaded with dlopen
 * when the first HTTP transport is made (`CurlLibrary` in AtomSDK), so that a shipper writing to
 * files neither needs libcurl installed nor pays for it and the TLS stack it pulls in at start.
 *
 * curl_easy_setopt and curl_easy_getinfo are variadic, which Swift can call neither directly
 * nor through a function pointer: these typed wrappers call the loaded function `fn`.
 */
#include <curl/curl.h>

typedef CURLcode (*atom_curl_setopt_fn)(CURL *, CURLoption, ...);
typedef CURLcode (*atom_curl_getinfo_fn)(CURL *, CURLINFO, ...);

static inline CURLcode atom_curl_setopt_long_with(void *fn, CURL *h, CURLoption o, long v) {
    return ((atom_curl_setopt_fn)fn)(h, o, v);
}
static inline CURLcode atom_curl_setopt_ptr_with(void *fn, CURL *h, CURLoption o, const void *v) {
    return ((atom_curl_setopt_fn)fn)(h, o, v);
}
static inline CURLcode atom_curl_setopt_string_with(void *fn, CURL *h, CURLoption o, const char *v) {
    return ((atom_curl_setopt_fn)fn)(h, o, v);
}
static inline CURLcode atom_curl_setopt_off_with(void *fn, CURL *h, CURLoption o, curl_off_t v) {
    return ((atom_curl_setopt_fn)fn)(h, o, v);
}
static inline CURLcode atom_curl_setopt_slist_with(void *fn, CURL *h, CURLoption o, struct curl_slist *v) {
    return ((atom_curl_setopt_fn)fn)(h, o, v);
}
static inline CURLcode atom_curl_setopt_write_with(void *fn, CURL *h,
                                                   size_t (*f)(char *, size_t, size_t, void *)) {
    return ((atom_curl_setopt_fn)fn)(h, CURLOPT_WRITEFUNCTION, f);
}
static inline CURLcode atom_curl_setopt_header_with(void *fn, CURL *h,
                                                    size_t (*f)(char *, size_t, size_t, void *)) {
    return ((atom_curl_setopt_fn)fn)(h, CURLOPT_HEADERFUNCTION, f);
}
static inline CURLcode atom_curl_getinfo_long_with(void *fn, CURL *h, CURLINFO i, long *v) {
    return ((atom_curl_getinfo_fn)fn)(h, i, v);
}
#endif
