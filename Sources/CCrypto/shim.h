#ifndef ATOM_CCRYPTO_SHIM_H
#define ATOM_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

// SHA-256 on a context the caller owns: nothing allocated per digest (the EVP calls allocate a
// context each time), and a context copied after hashing an HMAC pad is that pad's state. These
// low-level calls are deprecated since OpenSSL 3.0 but still supported; the pragma keeps their
// deprecation out of the Swift build.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
static inline int atom_sha256_init(SHA256_CTX *context) { return SHA256_Init(context); }
static inline int atom_sha256_update(SHA256_CTX *context, const void *data, size_t count) {
    return SHA256_Update(context, data, count);
}
static inline int atom_sha256_final(unsigned char *digest, SHA256_CTX *context) {
    return SHA256_Final(digest, context);
}
#pragma GCC diagnostic pop
#endif
