/* shim-internal.h - state shared by the shim's files (shim.c: lifecycle and
 * loop, io.c: container stdio and attach streams, ctl.c: control requests).
 *
 * Every fd in the epoll set carries a struct watch (first member of its
 * owner) so one dispatch serves all. Ownership: struct shim owns every fd
 * and connection; a connection is freed only by conn_close(). */
#ifndef BERTH_SHIM_INTERNAL_H
#define BERTH_SHIM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/jsonlog.h"
#include "shim.h"

enum watch_kind { W_SIGNAL, W_LISTEN, W_STDOUT, W_STDERR, W_PTY, W_STDIN, W_CONN };

struct watch {
	enum watch_kind kind;
	int fd;
	uint32_t events; /* currently registered */
	bool added;      /* in the epoll set (with events 0 it still reports HUP/ERR) */
};

struct buf {
	char *p;
	size_t len, cap;
};

enum conn_kind { C_REQUEST, C_ATTACH, C_WAIT, C_REPLY };

struct conn {
	struct watch w;
	struct conn *next;
	enum conn_kind kind;
	struct buf in;  /* request line being read */
	struct buf out; /* pending output */
	bool want_stdin, want_stdout, want_stderr, stdin_once;
	bool rd_eof;  /* the client has shut down its write side */
	bool closing; /* close once out is flushed */
};

enum shim_status { S_CREATED, S_RUNNING, S_EXITED };

struct shim {
	const struct shim_opts *o;
	int ep;
	struct watch sig, listen, out, err, pty, in;
	pid_t pid;
	enum shim_status status;
	int exit_code;
	bool oom_killed;
	int64_t started_ns, finished_ns;
	int oom_fd; /* memory.oom_control / memory.events of the container's cgroup */
	struct jsonlog_writer *log;
	struct buf inbuf;   /* stdin bytes not yet taken by the container */
	bool in_close;      /* close the container's stdin once inbuf is empty */
	bool stdin_paused;  /* attach clients' input not read while inbuf waits */
	bool finished;      /* exit recorded: log flushed, exit file written */
	int64_t deadline_ns; /* bound for the current exit phase, 0 = none */
	struct conn *conns;
	struct conn *dead; /* closed this epoll round, freed after it (see conn_close) */
};

/* shim.c */
int64_t shim_now_ns(void);
void shim_format_time(int64_t ns, char out[64]);
int watch_set(struct shim *s, struct watch *w, uint32_t events);
void watch_close(struct shim *s, struct watch *w);

/* io.c */
int buf_append(struct buf *b, const void *p, size_t n, size_t limit);
void buf_free(struct buf *b);
void io_output_ready(struct shim *s, struct watch *w);
void io_stdin_ready(struct shim *s);
void io_stdin_feed(struct shim *s, const char *p, size_t n);
void io_stdin_close(struct shim *s);
bool io_output_open(const struct shim *s);

/* ctl.c */
void ctl_accept(struct shim *s);
void conn_event(struct shim *s, struct conn *c, uint32_t ev);
/* Re-registers c for what it waits for; false when that closed it. */
bool conn_update(struct shim *s, struct conn *c);
int conn_send(struct shim *s, struct conn *c, const void *p, size_t n);
/* Close c at once; free it only after the current epoll batch, which may
 * still hold an event pointing at it (conns_reap). */
void conn_close(struct shim *s, struct conn *c);
void conns_reap(struct shim *s);
void conn_reply_json(struct shim *s, struct conn *c, const char *text);
void ctl_answer_waiters(struct shim *s);
void ctl_end_streams(struct shim *s);
void ctl_pause_stdin(struct shim *s, bool paused);
bool ctl_pending_output(const struct shim *s);

#endif
