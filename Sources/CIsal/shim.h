#ifndef ATOM_CISAL_SHIM_H
#define ATOM_CISAL_SHIM_H
/* Intel's ISA-L (Debian libisal-dev): deflate decoding with SIMD, several times zlib's speed. */
#include <isa-l/igzip_lib.h>

static inline int atom_isal_gzip_flag(void) { return ISAL_GZIP; }
static inline int atom_isal_block_finished(const struct inflate_state *state) {
    return state->block_state == ISAL_BLOCK_FINISH;
}
#endif
