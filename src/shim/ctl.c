/* ctl.c - the control socket: one JSON request per connection (shim.h). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "base/err.h"
#include "base/util.h"
#include "common/json.h"
#include "runtime/container.h"
#include "shim-internal.h"

#define REQUEST_MAX 4096
#define REPLY_MAX (64u * 1024)

void ctl_accept(struct shim *s)
{
	int fd = accept4(s->listen.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->w = (struct watch){ .kind = W_CONN, .fd = fd };
	c->kind = C_REQUEST;
	c->next = s->conns;
	s->conns = c;
	conn_update(s, c);
}

void conn_close(struct shim *s, struct conn *c)
{
	for (struct conn **pp = &s->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	watch_close(s, &c->w);
	buf_free(&c->in);
	buf_free(&c->out);
	c->next = s->dead;
	s->dead = c;
}

void conns_reap(struct shim *s)
{
	while (s->dead) {
		struct conn *c = s->dead;
		s->dead = c->next;
		free(c);
	}
}

void ctl_pause_stdin(struct shim *s, bool paused)
{
	if (s->stdin_paused == paused)
		return;
	s->stdin_paused = paused;
	for (struct conn *c = s->conns; c; c = c->next)
		if (c->kind == C_ATTACH)
			conn_update(s, c);
}

bool conn_update(struct shim *s, struct conn *c)
{
	uint32_t ev = 0;
	bool reading = !c->rd_eof && !c->closing && c->kind != C_REPLY;
	if (reading && !(c->kind == C_ATTACH && c->want_stdin && s->stdin_paused))
		ev |= EPOLLIN;
	if (c->out.len > 0)
		ev |= EPOLLOUT;
	/* Nothing to wait for any more (EPOLLHUP/ERR are always reported). */
	if (c->closing && c->out.len == 0) {
		conn_close(s, c);
		return false;
	}
	watch_set(s, &c->w, ev);
	return true;
}

static int flush_out(struct conn *c)
{
	while (c->out.len > 0) {
		ssize_t n = send(c->w.fd, c->out.p, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -EPIPE;
		memmove(c->out.p, c->out.p + n, c->out.len - (size_t)n);
		c->out.len -= (size_t)n;
	}
	buf_free(&c->out);
	return 0;
}

int conn_send(struct shim *s, struct conn *c, const void *p, size_t n)
{
	int r = buf_append(&c->out, p, n, SHIM_ATTACH_BUFFER);
	if (r == 0)
		r = flush_out(c);
	if (r < 0) {
		conn_close(s, c);
		return r;
	}
	conn_update(s, c);
	return 0;
}

/* A one-line reply; the connection closes once it is sent. */
void conn_reply_json(struct shim *s, struct conn *c, const char *text)
{
	c->kind = C_REPLY;
	c->closing = true;
	buf_append(&c->out, text, strlen(text), REPLY_MAX);
	buf_append(&c->out, "\n", 1, REPLY_MAX);
	if (flush_out(c) < 0) {
		conn_close(s, c);
		return;
	}
	conn_update(s, c);
}

static void reply_pack(struct shim *s, struct conn *c, json_t *j)
{
	_cleanup_free_ char *text = j ? json_dump_compact(j) : NULL;
	json_decref(j);
	conn_reply_json(s, c, text ? text : "{\"error\":\"out of memory\"}");
}

static void reply_error(struct shim *s, struct conn *c, const char *msg)
{
	reply_pack(s, c, json_pack("{s:s}", "error", msg ? msg : "failed"));
}

static void reply_result(struct shim *s, struct conn *c, int r, const struct berr *err)
{
	if (r < 0)
		reply_error(s, c, err && err->msg ? err->msg : strerror(-r));
	else
		conn_reply_json(s, c, "{\"ok\":true}");
}

/* ---- operations ---- */

static void op_start(struct shim *s, struct conn *c, json_t *req)
{
	_cleanup_berr_ struct berr err = { 0 };
	if (s->status != S_CREATED)
		return reply_error(s, c, s->status == S_RUNNING ? "container already started" : "container has exited");
	int r = rt_container_start(s->o->runtime_root, s->o->id, &err);
	if (r == 0) {
		s->status = S_RUNNING;
		s->started_ns = shim_now_ns();
	}
	reply_result(s, c, r, &err);
}

static const char *status_name(enum shim_status st)
{
	static const char *const names[] = { [S_CREATED] = "created", [S_RUNNING] = "running", [S_EXITED] = "exited" };
	return names[st];
}

static void op_state(struct shim *s, struct conn *c, json_t *req)
{
	char started[64], finished[64];
	shim_format_time(s->started_ns, started);
	shim_format_time(s->finished_ns, finished);
	reply_pack(s, c,
		   json_pack("{s:i,s:s,s:i,s:s,s:s,s:b}", "pid", (int)s->pid, "status", status_name(s->status),
			     "exit_code", s->exit_code, "started_at", started, "finished_at", finished, "oom_killed",
			     s->oom_killed));
}

static void op_kill(struct shim *s, struct conn *c, json_t *req)
{
	_cleanup_berr_ struct berr err = { 0 };
	json_int_t sig = SIGKILL;
	int all = 0;
	if (json_unpack(req, "{s?I,s?b}", "signal", &sig, "all", &all) < 0 || sig <= 0 || sig >= _NSIG)
		return reply_error(s, c, "kill: invalid signal");
	if (s->status == S_EXITED)
		return reply_error(s, c, "container is not running");
	int r = rt_container_kill(s->o->runtime_root, s->o->id, (int)sig, all, &err);
	reply_result(s, c, r, &err);
}

static void op_resize(struct shim *s, struct conn *c, json_t *req)
{
	json_int_t h = 0, w = 0;
	if (json_unpack(req, "{s:I,s:I}", "height", &h, "width", &w) < 0 || h < 0 || w < 0 || h > 65535 || w > 65535)
		return reply_error(s, c, "resize: height and width must be numbers from 0 to 65535");
	if (s->pty.fd < 0)
		return reply_error(s, c, s->o->tty ? "container has exited" : "container has no tty");
	struct winsize ws = { .ws_row = (unsigned short)h, .ws_col = (unsigned short)w };
	if (ioctl(s->pty.fd, TIOCSWINSZ, &ws) < 0)
		return reply_error(s, c, strerror(errno));
	conn_reply_json(s, c, "{\"ok\":true}");
}

static void send_exit_code(struct shim *s, struct conn *c)
{
	char line[64];
	snprintf(line, sizeof(line), "{\"exit_code\":%d}", s->exit_code);
	conn_reply_json(s, c, line);
}

static void op_wait(struct shim *s, struct conn *c, json_t *req)
{
	if (s->finished)
		return send_exit_code(s, c);
	c->kind = C_WAIT;
	conn_update(s, c);
}

static void op_attach(struct shim *s, struct conn *c, json_t *req)
{
	int in = 0, out = 0, err = 0, once = 0;
	if (json_unpack(req, "{s?b,s?b,s?b,s?b}", "stdin", &in, "stdout", &out, "stderr", &err, "stdin_once", &once) < 0)
		return reply_error(s, c, "attach: stdin, stdout, stderr and stdin_once are booleans");
	c->kind = C_ATTACH;
	c->want_stdin = in && s->o->open_stdin;
	c->want_stdout = out;
	c->want_stderr = err;
	c->stdin_once = once;
	if (conn_send(s, c, "{\"ok\":true}\n", 12) < 0)
		return;
	/* After the end, an attach gets nothing more: close once flushed. */
	if (s->finished)
		c->closing = true, conn_update(s, c);
}

struct op {
	const char *name;
	void (*fn)(struct shim *s, struct conn *c, json_t *req);
};

static const struct op ops[] = {
	{ "start", op_start },	 { "state", op_state }, { "kill", op_kill },
	{ "resize", op_resize }, { "wait", op_wait },	{ "attach", op_attach },
};

static void dispatch(struct shim *s, struct conn *c, const char *line, size_t len)
{
	json_error_t jerr;
	_cleanup_json_ json_t *req = json_loadb(line, len, 0, &jerr);
	const char *name = NULL;
	if (!req || json_unpack(req, "{s:s}", "op", &name) < 0)
		return reply_error(s, c, "request must be a JSON object with a string \"op\"");
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (streq(ops[i].name, name))
			return ops[i].fn(s, c, req);
	char msg[128];
	snprintf(msg, sizeof(msg), "unknown op \"%.64s\"", name);
	reply_error(s, c, msg);
}

/* Bytes of a request line; anything after the newline of an attach is
 * already the client's stdin. */
static void request_data(struct shim *s, struct conn *c, const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);
	size_t take = nl ? (size_t)(nl - p) : n;
	if (buf_append(&c->in, p, take, REQUEST_MAX) < 0)
		return reply_error(s, c, "request too long");
	if (!nl)
		return;
	struct buf line = c->in;
	c->in = (struct buf){ 0 };
	dispatch(s, c, line.p ? line.p : "", line.len);
	buf_free(&line);
	/* dispatch may have closed c: only an attach survives to take more */
	for (struct conn *x = s->conns; x; x = x->next)
		if (x == c && c->kind == C_ATTACH && c->want_stdin && n > take + 1)
			io_stdin_feed(s, nl + 1, n - take - 1);
}

static void input_ended(struct shim *s, struct conn *c)
{
	c->rd_eof = true;
	if (c->kind == C_REQUEST)
		return conn_close(s, c); /* gave up before asking anything */
	if (c->kind == C_ATTACH && c->want_stdin && c->stdin_once)
		io_stdin_close(s);
	conn_update(s, c);
}

static void conn_read(struct shim *s, struct conn *c)
{
	char chunk[8192];
	ssize_t n = recv(c->w.fd, chunk, sizeof(chunk), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0)
		return conn_close(s, c);
	if (n == 0)
		return input_ended(s, c);
	if (c->kind == C_REQUEST)
		request_data(s, c, chunk, (size_t)n);
	else if (c->kind == C_ATTACH && c->want_stdin)
		io_stdin_feed(s, chunk, (size_t)n);
	/* other kinds: the client has nothing more to say; ignore it */
}

void conn_event(struct shim *s, struct conn *c, uint32_t ev)
{
	if (ev & EPOLLOUT) {
		if (flush_out(c) < 0)
			return conn_close(s, c);
		if (!conn_update(s, c))
			return;
	}
	if (ev & EPOLLIN)
		return conn_read(s, c);
	/* HUP without pending input: the client is gone (not a half-close). */
	if (ev & (EPOLLHUP | EPOLLERR))
		return conn_close(s, c);
}

void ctl_answer_waiters(struct shim *s)
{
	for (struct conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->kind == C_WAIT)
			send_exit_code(s, c);
	}
}

/* The container is gone and its output flushed: attach streams end. */
void ctl_end_streams(struct shim *s)
{
	for (struct conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->kind == C_ATTACH) {
			c->closing = true;
			conn_update(s, c);
		}
	}
}

bool ctl_pending_output(const struct shim *s)
{
	for (const struct conn *c = s->conns; c; c = c->next)
		if (c->kind == C_ATTACH || c->kind == C_REPLY)
			return true;
	return false;
}
