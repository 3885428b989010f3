/* shim.h - berth-shim: the monitor that sits beside one container.
 *
 * One shim per container. It creates the container with the runtime
 * library, holds the container's stdio (a pty master, or pipes), writes
 * every byte of output to the json-file log, serves a control socket
 * (start, state, kill, resize, attach, wait), reaps the container's init
 * (it is a child subreaper) and records the exit status. berthd may go away
 * and come back: the shim does not depend on it after "ready".
 *
 * Process: shim_run() expects to be called in a process that has already
 * detached from its caller (cmd/berth-shim.c forks once); it becomes a
 * session leader, points its own stdio at /dev/null, and runs a single
 * threaded epoll loop until the container has exited and everything is
 * written out. It never prints.
 *
 * Ready protocol: one line on ready_fd, "ok <container pid>\n" or
 * "error <message>\n", then the fd is closed. Read one line; do not wait
 * for EOF (the container's init holds a copy of every fd until it execs).
 *
 * Control protocol (unix stream socket, mode 0600): one request per
 * connection, a JSON object on one line; one JSON reply line.
 *   {"op":"start"}                       -> {"ok":true} | {"error":"..."}
 *   {"op":"state"}                       -> {"pid":N,"status":"created|running|exited",
 *                                            "exit_code":N,"started_at":"...","finished_at":"..."}
 *   {"op":"kill","signal":N,"all":bool}  -> {"ok":true} | {"error":"..."}
 *   {"op":"resize","height":H,"width":W} -> {"ok":true} | {"error":"..."}
 *   {"op":"wait"}                        -> {"exit_code":N} once the container has exited
 *   {"op":"attach","stdin":b,"stdout":b,"stderr":b,"stdin_once":b}
 *       -> {"ok":true} then the live output: raw pty bytes with a tty,
 *          Docker's multiplexed frames (jsonlog_frame_header) without.
 *          Bytes the client sends are the container's stdin (when the
 *          client asked for stdin and the shim has --stdin). When
 *          the client shuts down its write side, its input ends; with
 *          stdin_once (Docker's StdinOnce) the container's stdin is closed
 *          then (pipes only: a pty has no separate input side). Output
 *          keeps flowing after the half-close; the stream is closed once
 *          the container has exited and its output is flushed. A client
 *          that falls more than SHIM_ATTACH_BUFFER bytes behind is dropped.
 * Times are RFC 3339 with nanoseconds, "0001-01-01T00:00:00Z" when unset.
 *
 * At exit: output drained (bounded), log flushed, exit file written
 * atomically ({"exit_code":N,"finished_at":"...","oom_killed":bool}, 128+N
 * for signal N), waiters answered, attach streams drained and closed, the
 * runtime container deleted (force), socket removed, shim exits 0.
 * SIGTERM/SIGINT to the shim are relayed to the container's init. */
#ifndef BERTH_SHIM_SHIM_H
#define BERTH_SHIM_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#define SHIM_ATTACH_BUFFER (256u * 1024)

struct shim_opts {
	const char *id;
	const char *bundle;
	const char *runtime_root;
	const char *socket;
	const char *log_path;
	uint64_t log_max_size; /* 0 = unbounded */
	unsigned log_max_files;
	const char *exit_file;
	const char *pid_file;    /* the shim's own pid; may be NULL */
	const char *cgroup_root; /* may be NULL */
	bool tty;
	bool open_stdin;
	int ready_fd; /* -1 = none */
};

/* Runs the shim to the end; returns the process exit status (0 when the
 * container ran and was cleaned up, 1 when it could not be created). */
int shim_run(const struct shim_opts *o);

#endif
