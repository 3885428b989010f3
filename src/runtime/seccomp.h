/* seccomp.h - OCI linux.seccomp profiles compiled with libseccomp.
 *
 * The profile is compiled in the runtime before any namespace is made, so a
 * bad profile fails early with a message naming the rule. The compiled filter
 * is loaded by the container's init as the very last step before execve, after
 * no_new_privs and the capability changes. */
#ifndef BERTH_RUNTIME_SECCOMP_H
#define BERTH_RUNTIME_SECCOMP_H

#include <jansson.h>

#include "../base/err.h"

struct rt_seccomp; /* opaque compiled filter */

/* Compile the linux.seccomp object. Unknown syscall names are skipped (as runc
 * does: profiles name calls that older kernels or other arches lack); unknown
 * actions, architectures, operators or flags are errors. */
int rt_seccomp_compile(json_t *profile, struct rt_seccomp **ret, struct berr *err);
/* Install the filter on the calling thread. Must not allocate when it can be
 * avoided: called in the container's init just before execve. */
int rt_seccomp_load(struct rt_seccomp *s);
void rt_seccomp_free(struct rt_seccomp *s);
static inline void rt_seccomp_freep(struct rt_seccomp **s) { rt_seccomp_free(*s); }

#endif
