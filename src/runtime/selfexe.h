/* selfexe.h - CVE-2019-5736 protection.
 *
 * A process that enters a container (create's init, exec's child) is a copy
 * of the runtime until it calls execve, and a container process can reach
 * its binary through /proc/PID/exe. If that binary were the file on the
 * host's disk, the container could overwrite the runtime. So before doing
 * anything that enters a container, the runtime re-executes itself from a
 * sealed memfd copy: /proc/PID/exe then names an anonymous file that nobody
 * can write (F_SEAL_WRITE and friends), and the host binary is never exposed. */
#ifndef BERTH_RUNTIME_SELFEXE_H
#define BERTH_RUNTIME_SELFEXE_H

#include "../base/err.h"

/* Returns 0 when already running from a sealed copy; otherwise re-executes
 * (does not return) or returns a negative errno with err set. */
int rt_selfexe_ensure_sealed(char **argv, struct berr *err);
/* 1 when /proc/self/exe is a sealed memfd, 0 when not. */
int rt_selfexe_is_sealed(void);

#endif
