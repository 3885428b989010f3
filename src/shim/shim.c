/* shim.c - the shim's life: set up, create the container, run the event
 * loop, record the exit and clean up. See shim.h for the protocol. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/util.h"
#include "runtime/container.h"
#include "runtime/state.h"
#include "shim-internal.h"

/* How long the exit phases may take: output still buffered in the kernel
 * after the init died, and attach clients reading the last of it. */
#define DRAIN_NS (2LL * 1000000000)
#define FLUSH_NS (5LL * 1000000000)

int64_t shim_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void shim_format_time(int64_t ns, char out[64])
{
	if (ns <= 0) {
		snprintf(out, 64, "0001-01-01T00:00:00Z");
		return;
	}
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	char date[32];
	gmtime_r(&sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 64, "%s.%09dZ", date, (int)(ns % 1000000000));
}

int watch_set(struct shim *s, struct watch *w, uint32_t events)
{
	if (w->fd < 0 || (w->added && w->events == events) || (!w->added && events == 0))
		return 0;
	struct epoll_event ev = { .events = events, .data.ptr = w };
	if (epoll_ctl(s->ep, w->added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -errno;
	w->added = true;
	w->events = events;
	return 0;
}

void watch_close(struct shim *s, struct watch *w)
{
	if (w->fd < 0)
		return;
	if (w->added)
		epoll_ctl(s->ep, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	w->fd = -EBADF;
	w->added = false;
	w->events = 0;
}

/* ---- setup ---- */

static void ready(struct shim *s, const char *fmt, ...) _printf_(2, 3);
static void ready(struct shim *s, const char *fmt, ...)
{
	if (s->o->ready_fd < 0)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	for (int i = 0; i < n; i++) /* one line, whatever the message holds */
		if (line[i] == '\n')
			line[i] = ' ';
	line[n++] = '\n';
	write_all(s->o->ready_fd, line, (size_t)n);
	close(s->o->ready_fd);
}

/* Our stdio goes to /dev/null: nobody reads our messages, and a caller's
 * terminal or pipe must not be held open by a long-lived monitor. */
static int null_stdio(int devnull)
{
	for (int fd = 0; fd < 3; fd++)
		if (dup2(devnull, fd) < 0)
			return -errno;
	return 0;
}

/* The runtime hands our fds 0, 1 and 2 to the container. Without a tty they
 * become pipes whose other ends we keep (non-blocking, close-on-exec). */
static int stdio_pipes(struct shim *s, int devnull)
{
	int out[2], err[2], in[2] = { -EBADF, -EBADF };
	if (pipe2(out, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(err, O_CLOEXEC) < 0 || (s->o->open_stdin && pipe2(in, O_CLOEXEC) < 0)) {
		int r = -errno;
		close(out[0]), close(out[1]);
		return r;
	}
	int r = 0;
	if (dup2(in[0] >= 0 ? in[0] : devnull, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0)
		r = -errno;
	close(out[1]), close(err[1]);
	if (in[0] >= 0)
		close(in[0]);
	s->out.fd = out[0];
	s->err.fd = err[0];
	s->in.fd = in[1];
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	if (in[1] >= 0)
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	return r;
}

static int listen_socket(struct shim *s, struct berr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (str_copy(sa.sun_path, sizeof(sa.sun_path), s->o->socket) < 0)
		return berr_set(err, BERR_INVALID, ENAMETOOLONG, "socket path %s", s->o->socket);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_set(err, BERR_INTERNAL, errno, "socket");
	unlink(s->o->socket);
	mode_t old = umask(0177); /* the socket file is 0600 from the start */
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		r = berr_set(err, BERR_INTERNAL, errno, "listening on %s", s->o->socket);
		close(fd);
		return r;
	}
	s->listen.fd = fd;
	return 0;
}

/* Keep an fd on the cgroup file that counts OOM kills, read at exit
 * (before delete removes the cgroup). Best effort: no memory controller,
 * no OOM report. */
static void open_oom_counter(struct shim *s)
{
	_cleanup_state_ struct rt_state *st = NULL;
	if (rt_state_load(s->o->runtime_root, s->o->id, &st, NULL) < 0 || !st->cgroup_path)
		return;
	const char *root = st->cgroup_root ? st->cgroup_root : "/sys/fs/cgroup";
	char path[4096];
	snprintf(path, sizeof(path), "%s/memory%s/memory.oom_control", root, st->cgroup_path);
	s->oom_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->oom_fd >= 0)
		return;
	snprintf(path, sizeof(path), "%s%s/memory.events", root, st->cgroup_path);
	s->oom_fd = open(path, O_RDONLY | O_CLOEXEC);
}

static bool read_oom_killed(int fd)
{
	char text[1024];
	ssize_t n = fd < 0 ? -1 : pread(fd, text, sizeof(text) - 1, 0);
	if (n <= 0)
		return false;
	text[n] = '\0';
	const char *p = strstr(text, "oom_kill ");
	return p && strtoull(p + 9, NULL, 10) > 0;
}

static int create_container(struct shim *s, const sigset_t *mask, struct berr *err)
{
	_cleanup_close_ int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (devnull < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening /dev/null");
	int r = s->o->tty ? null_stdio(devnull) : stdio_pipes(s, devnull);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "setting up the container's stdio");
	struct rt_create_opts co = { .root = s->o->runtime_root, .id = s->o->id, .bundle = s->o->bundle,
				     .cgroup_root = s->o->cgroup_root, .keep_pty = s->o->tty, .sigmask = mask };
	struct rt_created cr = { .pty_master = -EBADF };
	r = rt_container_create(&co, &cr, err);
	null_stdio(devnull); /* the container's ends of the pipes are the container's alone now */
	if (r < 0)
		return r;
	s->pid = cr.pid;
	s->pty.fd = cr.pty_master;
	if (s->o->tty && s->pty.fd < 0)
		return berr_set(err, BERR_INVALID, EINVAL, "--tty needs process.terminal true in the bundle's config.json");
	if (s->pty.fd >= 0)
		fcntl(s->pty.fd, F_SETFL, fcntl(s->pty.fd, F_GETFL) | O_NONBLOCK);
	open_oom_counter(s);
	return 0;
}

static int setup(struct shim *s, sigset_t *old, struct berr *err)
{
	if (setsid() < 0 && getpgrp() != getpid())
		return berr_set(err, BERR_INTERNAL, errno, "setsid");
	/* The container's init is our grandchild (the runtime forks twice);
	 * as subreaper we inherit it, can reap it and read its exit status. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "PR_SET_CHILD_SUBREAPER");
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, old);
	s->sig.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->sig.fd < 0 || s->ep < 0)
		return berr_set(err, BERR_INTERNAL, errno, "signalfd/epoll");
	int r = jsonlog_writer_open(s->o->log_path, s->o->log_max_size, s->o->log_max_files, &s->log, err);
	if (r < 0)
		return r;
	if ((r = create_container(s, old, err)) < 0)
		return r;
	/* Only now: an ignored disposition would be inherited by the container. */
	signal(SIGPIPE, SIG_IGN);
	if ((r = listen_socket(s, err)) < 0)
		return r;
	if (s->o->pid_file) {
		char pid[32];
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		if ((r = write_file_atomic_at(AT_FDCWD, s->o->pid_file, pid, strlen(pid), 0644)) < 0)
			return berr_set(err, BERR_INVALID, -r, "writing pid file %s", s->o->pid_file);
	}
	struct watch *ws[] = { &s->sig, &s->listen, &s->out, &s->err, &s->pty };
	for (size_t i = 0; i < ARRAY_SIZE(ws); i++)
		if ((r = watch_set(s, ws[i], EPOLLIN)) < 0)
			return berr_set(err, BERR_INTERNAL, -r, "epoll_ctl");
	return 0;
}

/* ---- the end ---- */

static void init_exited(struct shim *s, int ws)
{
	s->status = S_EXITED;
	s->exit_code = rt_exit_status(ws);
	s->finished_ns = shim_now_ns();
	s->oom_killed = read_oom_killed(s->oom_fd);
	s->deadline_ns = mono_ns() + DRAIN_NS;
}

static void reap(struct shim *s)
{
	int ws;
	pid_t p;
	while ((p = waitpid(-1, &ws, WNOHANG)) > 0)
		if (p == s->pid && s->status != S_EXITED)
			init_exited(s, ws);
}

static void on_signal(struct shim *s)
{
	struct signalfd_siginfo si;
	while (read(s->sig.fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD)
			reap(s);
		else if ((si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) && s->status != S_EXITED)
			kill(s->pid, (int)si.ssi_signo);
	}
}

static int write_exit_file(struct shim *s)
{
	char when[64], text[192];
	shim_format_time(s->finished_ns, when);
	int n = snprintf(text, sizeof(text), "{\"exit_code\":%d,\"finished_at\":\"%s\",\"oom_killed\":%s}\n",
			 s->exit_code, when, s->oom_killed ? "true" : "false");
	return write_file_atomic_at(AT_FDCWD, s->o->exit_file, text, (size_t)n, 0644);
}

/* Output drained (or the drain bound passed): record the exit for good. */
static void finish(struct shim *s)
{
	watch_close(s, &s->out);
	watch_close(s, &s->err);
	watch_close(s, &s->pty);
	watch_close(s, &s->in);
	buf_free(&s->inbuf);
	if (s->log)
		jsonlog_flush(s->log, shim_now_ns());
	write_exit_file(s);
	s->finished = true;
	s->deadline_ns = mono_ns() + FLUSH_NS;
	ctl_answer_waiters(s);
	ctl_end_streams(s);
}

static void dispatch(struct shim *s, struct epoll_event *ev)
{
	struct watch *w = ev->data.ptr;
	switch (w->kind) {
	case W_SIGNAL:
		return on_signal(s);
	case W_LISTEN:
		return ctl_accept(s);
	case W_STDOUT:
	case W_STDERR:
		return io_output_ready(s, w);
	case W_PTY:
		if (ev->events & EPOLLOUT)
			io_stdin_ready(s);
		if (w->fd >= 0 && (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			io_output_ready(s, w);
		return;
	case W_STDIN:
		return io_stdin_ready(s);
	case W_CONN:
		/* Closed earlier in this batch: the event is stale. */
		if (w->fd < 0)
			return;
		return conn_event(s, (struct conn *)w, ev->events);
	}
}

static int loop(struct shim *s)
{
	for (;;) {
		if (s->status == S_EXITED && !s->finished && (!io_output_open(s) || mono_ns() >= s->deadline_ns))
			finish(s);
		if (s->finished && (!ctl_pending_output(s) || mono_ns() >= s->deadline_ns))
			return 0;
		int timeout = -1;
		if (s->deadline_ns) {
			int64_t left = (s->deadline_ns - mono_ns()) / 1000000 + 1;
			timeout = left < 0 ? 0 : (int)left;
		}
		struct epoll_event evs[16];
		int n = epoll_wait(s->ep, evs, ARRAY_SIZE(evs), timeout);
		if (n < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n; i++)
			dispatch(s, &evs[i]);
		conns_reap(s);
	}
}

static void cleanup(struct shim *s, bool created)
{
	while (s->conns)
		conn_close(s, s->conns);
	conns_reap(s);
	if (created) {
		_cleanup_berr_ struct berr err = { 0 };
		rt_container_delete(s->o->runtime_root, s->o->id, true, &err);
		reap(s);
	}
	if (s->listen.fd >= 0) {
		watch_close(s, &s->listen);
		unlink(s->o->socket);
	}
	if (s->o->pid_file)
		unlink(s->o->pid_file);
	if (s->log)
		jsonlog_writer_close(s->log);
	if (s->oom_fd >= 0)
		close(s->oom_fd);
	struct watch *ws[] = { &s->sig, &s->out, &s->err, &s->pty, &s->in };
	for (size_t i = 0; i < ARRAY_SIZE(ws); i++)
		watch_close(s, ws[i]);
	if (s->ep >= 0)
		close(s->ep);
}

int shim_run(const struct shim_opts *o)
{
	struct shim s = {
		.o = o, .ep = -EBADF, .oom_fd = -EBADF,
		.sig = { W_SIGNAL, -EBADF, 0, false },	 .listen = { W_LISTEN, -EBADF, 0, false },
		.out = { W_STDOUT, -EBADF, 0, false },	 .err = { W_STDERR, -EBADF, 0, false },
		.pty = { W_PTY, -EBADF, 0, false },	 .in = { W_STDIN, -EBADF, 0, false },
	};
	_cleanup_berr_ struct berr err = { 0 };
	sigset_t old;
	int r = setup(&s, &old, &err);
	if (r < 0) {
		ready(&s, "error %s", err.msg ? err.msg : strerror(-r));
		cleanup(&s, s.pid > 0);
		return 1;
	}
	ready(&s, "ok %d", (int)s.pid);
	r = loop(&s);
	if (r < 0 && s.status != S_EXITED) { /* epoll broke: do not leave an unmonitored container */
		rt_container_kill(o->runtime_root, o->id, SIGKILL, true, NULL);
	}
	cleanup(&s, true);
	return r < 0 ? 1 : 0;
}
