#ifndef ATOM_CSYSTEM_SHIM_H
#define ATOM_CSYSTEM_SHIM_H
/* Linux calls that Glibc's Swift module does not import. */
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>

static inline int atom_eventfd(unsigned int initial, int flags) { return eventfd(initial, flags); }
static inline int atom_efd_nonblock(void) { return EFD_NONBLOCK; }
static inline int atom_efd_cloexec(void) { return EFD_CLOEXEC; }

/* prctl is variadic; this names the calling thread (15 bytes at most). */
static inline int atom_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }
#endif
