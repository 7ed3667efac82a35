#ifndef ATOM_CPCRE2_SHIM_H
#define ATOM_CPCRE2_SHIM_H
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/// PCRE2_ZERO_TERMINATED and PCRE2_UNSET are cast macros; Swift cannot import them.
static inline PCRE2_SIZE atom_pcre2_unset(void) { return PCRE2_UNSET; }
static inline PCRE2_SIZE atom_pcre2_zero_terminated(void) { return PCRE2_ZERO_TERMINATED; }
#endif
