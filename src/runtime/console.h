/* console.h - the container's terminal.
 *
 * The pty is made inside the container (from its own devpts instance, so the
 * slave is /dev/pts/0 there) and the master travels to whoever drives it: a
 * console socket given with --console-socket (runc's protocol: one SCM_RIGHTS
 * message), or the runtime itself for a foreground `run -t`, which then
 * copies between its own terminal and the master. */
#ifndef BERTH_RUNTIME_CONSOLE_H
#define BERTH_RUNTIME_CONSOLE_H

#include <stdbool.h>
#include <sys/types.h>

#include "../base/err.h"

/* Open a new pty from /dev/ptmx; sets the window size when rows/cols != 0. */
int rt_console_open(unsigned rows, unsigned cols, int *ret_master, int *ret_slave, struct berr *err);
/* Make slave the controlling terminal and stdin/stdout/stderr. */
int rt_console_make_stdio(int slave, struct berr *err);
/* Connect to a console socket path (done by the runtime before forking). */
int rt_console_connect(const char *path, struct berr *err);
/* Send master over a connected console socket. */
int rt_console_send(int sock, int master, struct berr *err);

/* Copy between our stdin/stdout and master until the process behind pidfd
 * exits and the master has drained. Forwards signals from sigfd (a
 * signalfd) to pid, and window size changes to master. Puts a terminal
 * stdin in raw mode and restores it. ret_status is the wait status. */
int rt_console_proxy(int master, pid_t pid, int pidfd, int sigfd, int *ret_status);

#endif
