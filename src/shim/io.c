/* io.c - the container's stdio: output to the log and to attach clients,
 * attach clients' input to the container's stdin. See shim.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "shim-internal.h"

#define STDIN_BUFFER (64u * 1024)

int buf_append(struct buf *b, const void *p, size_t n, size_t limit)
{
	if (b->len + n > limit)
		return -ENOBUFS;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		char *q = realloc(b->p, cap);
		if (!q)
			return -ENOMEM;
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

void buf_free(struct buf *b)
{
	free(b->p);
	*b = (struct buf){ 0 };
}

/* Drop what was written from the front; give memory back once empty so an
 * idle shim stays small. */
static void buf_consume(struct buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	if (b->len == 0)
		buf_free(b);
}

bool io_output_open(const struct shim *s)
{
	return s->out.fd >= 0 || s->err.fd >= 0 || s->pty.fd >= 0;
}

/* One chunk of output to every attach client that wants this stream; a
 * client whose buffer would overflow is dropped, never waited for. */
static void fan_out(struct shim *s, enum jsonlog_stream stream, const char *p, size_t n)
{
	unsigned char hdr[8];
	jsonlog_frame_header(stream, (uint32_t)n, hdr);
	for (struct conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->kind != C_ATTACH || c->closing)
			continue;
		if ((stream == JSONLOG_STDOUT && !c->want_stdout) || (stream == JSONLOG_STDERR && !c->want_stderr))
			continue;
		int r = 0;
		if (s->pty.fd < 0)
			r = buf_append(&c->out, hdr, sizeof(hdr), SHIM_ATTACH_BUFFER);
		if (r == 0)
			r = buf_append(&c->out, p, n, SHIM_ATTACH_BUFFER);
		if (r < 0)
			conn_close(s, c);
		else
			conn_update(s, c);
	}
}

void io_output_ready(struct shim *s, struct watch *w)
{
	static char chunk[16384];
	ssize_t n = read(w->fd, chunk, sizeof(chunk));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* EOF, or EIO from a pty master whose slave is gone */
		if (w == &s->pty)
			buf_free(&s->inbuf);
		watch_close(s, w);
		return;
	}
	enum jsonlog_stream stream = w == &s->err ? JSONLOG_STDERR : JSONLOG_STDOUT;
	if (s->log)
		jsonlog_write(s->log, stream, chunk, (size_t)n, shim_now_ns());
	fan_out(s, stream, chunk, (size_t)n);
}

/* The fd the container reads its stdin from, or -EBADF. */
static int stdin_fd(const struct shim *s)
{
	return s->pty.fd >= 0 ? s->pty.fd : s->in.fd;
}

static void stdin_interest(struct shim *s)
{
	bool pending = s->inbuf.len > 0;
	if (s->pty.fd >= 0)
		watch_set(s, &s->pty, EPOLLIN | (pending ? EPOLLOUT : 0));
	else if (s->in.fd >= 0)
		watch_set(s, &s->in, pending ? EPOLLOUT : 0);
	ctl_pause_stdin(s, pending);
}

static void stdin_drop(struct shim *s)
{
	buf_free(&s->inbuf);
	s->in_close = false;
	if (s->pty.fd < 0 && s->in.fd >= 0)
		watch_close(s, &s->in);
	ctl_pause_stdin(s, false);
}

/* Write what we can without blocking; keep the rest for EPOLLOUT. */
void io_stdin_ready(struct shim *s)
{
	int fd = stdin_fd(s);
	while (fd >= 0 && s->inbuf.len > 0) {
		ssize_t n = write(fd, s->inbuf.p, s->inbuf.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) { /* the container closed its stdin: nobody will read */
			stdin_drop(s);
			return;
		}
		buf_consume(&s->inbuf, (size_t)n);
	}
	if (s->inbuf.len == 0 && s->in_close) {
		stdin_drop(s);
		return;
	}
	stdin_interest(s);
}

void io_stdin_feed(struct shim *s, const char *p, size_t n)
{
	if (stdin_fd(s) < 0 || s->in_close)
		return;
	if (buf_append(&s->inbuf, p, n, STDIN_BUFFER + 65536) < 0)
		return; /* cannot happen while clients pause at STDIN_BUFFER; drop rather than grow */
	io_stdin_ready(s);
}

/* Stdin-once: the container sees EOF on its stdin once the bytes already
 * accepted are delivered. A pty has no separate input side to close. */
void io_stdin_close(struct shim *s)
{
	if (s->pty.fd >= 0 || s->in.fd < 0)
		return;
	s->in_close = true;
	io_stdin_ready(s);
}
