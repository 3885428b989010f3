/* container.h - the runtime library's public operations, one per runc verb.
 *
 * Every operation takes the state root (--root) and a container id and
 * reports failures through a struct berr whose message is ready to show
 * ("container abc does not exist", "exec: \"foo\": executable file not
 * found in $PATH"). None of them prints.
 *
 * Process model of create: the runtime forks a first child that joins or
 * creates the namespaces (user first, so everything else belongs to it), and
 * that child forks the container's init, which becomes PID 1 of a new pid
 * namespace. The runtime places the init in its cgroup, writes id maps, runs
 * the runtime-side hooks and records the state; the init builds the
 * filesystem, pivots into it and then blocks on exec.fifo until `start`. */
#ifndef BERTH_RUNTIME_CONTAINER_H
#define BERTH_RUNTIME_CONTAINER_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../base/err.h"
#include "spec.h"

struct rt_create_opts {
	const char *root;           /* state root */
	const char *id;
	const char *bundle;         /* NULL = current directory */
	const char *pid_file;       /* may be NULL */
	const char *console_socket; /* may be NULL */
	const char *cgroup_root;    /* cgroup mount root; NULL = /sys/fs/cgroup */
	int preserve_fds;           /* extra fds after stdio passed to the process */
	bool keep_pty;              /* foreground run -t without console socket: hand the pty back */
	const sigset_t *sigmask;    /* signal mask for the container process; NULL = the caller's */
};

struct rt_created {
	pid_t pid;
	int pty_master; /* -EBADF unless keep_pty and the process has a terminal */
};

int rt_container_create(const struct rt_create_opts *o, struct rt_created *ret, struct berr *err);
int rt_container_start(const char *root, const char *id, struct berr *err);

/* create + start, then (unless detach) wait for the container, forwarding
 * signals, and delete it. ret_status is the exit status to give: the
 * process's, or 128+N when killed by signal N. */
int rt_container_run(const struct rt_create_opts *o, bool detach, int *ret_status, struct berr *err);

int rt_container_state(const char *root, const char *id, json_t **ret, struct berr *err);
int rt_container_kill(const char *root, const char *id, int sig, bool all, struct berr *err);
int rt_container_delete(const char *root, const char *id, bool force, struct berr *err);
int rt_container_pause(const char *root, const char *id, bool pause, struct berr *err);
/* All containers under root as an array of state objects. */
int rt_container_list(const char *root, json_t **ret, struct berr *err);
int rt_container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct berr *err);

struct rt_exec_opts {
	const char *root, *id;
	const char *process_file; /* --process: a JSON process object */
	char **args;              /* used when process_file is NULL */
	char **env;               /* --env additions */
	const char *cwd;          /* --cwd */
	const char *user;         /* --user uid[:gid] */
	char **add_caps;          /* --cap additions */
	bool tty, tty_set;        /* -t given (tty_set tells it from the process file's value) */
	bool detach;
	bool no_new_privs;
	const char *pid_file, *console_socket;
	int preserve_fds;
};
int rt_container_exec(const struct rt_exec_opts *o, int *ret_status, struct berr *err);

/* Errors of a container's program that a shell would report with a status:
 * rt_exec_error() records one (status 127: not found, 126: not executable,
 * anything else: a setup failure), rt_error_exit_status() gives back the
 * status to exit with for any error (1 when it is not such an error). */
int rt_exec_error(struct berr *err, int status, const char *msg);
int rt_error_exit_status(const struct berr *err);

/* Wait for pid (our child or orphan), forwarding the signals read from
 * sigfd and proxying pty (when >= 0) to our stdio. */
int rt_wait_process(pid_t pid, int pty, int sigfd, int *ret_wait_status);

/* Turn a wait status into a shell-style exit status (128+N for signal N). */
int rt_exit_status(int wait_status);

#endif
