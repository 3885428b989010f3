/* process.h - turning the current process into the container's process:
 * executable lookup, rlimits, user and group ids, capabilities.
 *
 * These run inside the container (after pivot_root for the init, after setns
 * for exec), in a single-threaded child that is about to execve. They use no
 * NSS and load nothing: user and group ids are numeric in the OCI spec. */
#ifndef BERTH_RUNTIME_PROCESS_H
#define BERTH_RUNTIME_PROCESS_H

#include <signal.h>

#include "../base/err.h"
#include "spec.h"

/* Find args[0] the way runc does (Go's exec.LookPath over the process's own
 * PATH). On failure err carries runc's wording, e.g.
 *   exec: "foo": executable file not found in $PATH
 * and *ret_status is the exit status a shell would give: 127 for not found,
 * 126 for found but not executable. */
int rt_process_find_exec(const struct rt_process *p, char **ret_path, int *ret_status, struct berr *err);

int rt_process_set_rlimits(const struct rt_process *p, struct berr *err);

/* Drop capabilities not in the bounding set while still privileged. */
int rt_process_drop_bounding(const struct rt_caps *c, struct berr *err);
/* setgroups + setresgid + setresuid, keeping permitted capabilities so that
 * rt_process_apply_caps() can set the final sets afterwards. */
int rt_process_set_user(const struct rt_user *u, struct berr *err);
/* Set effective/permitted/inheritable, then raise the ambient set. */
int rt_process_apply_caps(const struct rt_caps *c, struct berr *err);

/* Close or mark close-on-exec every fd >= first, so nothing of the runtime's
 * leaks into the container (CVE-2024-21626). */
void rt_process_cloexec_from(int first);

/* chdir to cwd and verify that the kernel agrees the result is inside our
 * root (getcwd() reports "(unreachable)" paths otherwise). */
int rt_process_chdir(const char *cwd, struct berr *err);

struct rt_seccomp;
/* The last steps of every container process, in the order that keeps each
 * one possible: seccomp before dropping CAP_SYS_ADMIN when no_new_privs is
 * off (the kernel needs one or the other), bounding set, user, capabilities,
 * no_new_privs and seccomp as late as possible otherwise, umask, signal
 * mask, close-on-exec for everything past stdio and preserve_fds, execve.
 * Returns only on failure, with err set; the caller exits with 126/127. */
int rt_process_exec(const struct rt_process *p, struct rt_seccomp *sc, const char *path, int preserve_fds,
		    const sigset_t *mask, int *ret_status, struct berr *err);

#endif
