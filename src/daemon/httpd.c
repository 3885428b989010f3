/* httpd.c - the loop side of berthd's HTTP server: listening sockets,
 * accepting, reading request heads under timeouts and limits, handing
 * requests to worker threads, taking kept-alive connections back, and
 * shutting down. The worker side is httpd_req.c; httpd_internal.h says who
 * owns what.
 *
 * Connections are plain fds watched with uv_poll rather than uv_stream
 * handles: libuv cannot give a stream's fd away, and handing the fd to a
 * worker (and back) is the point of the design. */
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "base/util.h"
#include "daemon/httpd_internal.h"

#define DEFAULT_IDLE_TIMEOUT_MS (5 * 60 * 1000)
#define DEFAULT_HEAD_TIMEOUT_MS (30 * 1000)
/* After the shutdown timeout, workers whose sockets were shut down get this
 * long to notice and return. */
#define SHUTDOWN_GRACE_MS 1000
#define ACCEPT_BACKOFF_MS 100

struct hlisten {
	uv_poll_t poll;
	uv_timer_t backoff; /* out of fds: accept again a little later */
	int open;           /* handles not yet closed */
	int fd;
	char *path;
	struct httpd *s;
	struct hlisten *next;
};

/* Loop-side handles of a connection waiting for a request head. */
struct hwatch {
	uv_poll_t poll;
	uv_timer_t timer;
	struct hconn *c;
	int open; /* handles not yet closed */
	bool got_bytes;
	struct hwatch *prev, *next;
};

static void conn_adopt(struct hconn *c);

/* ---- lifetime ---- */

static void httpd_destroy(struct httpd *s)
{
	http_headers_release(&s->defaults);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cond);
	free(s->async);
	free(s);
}

void httpd_unref(struct httpd *s)
{
	pthread_mutex_lock(&s->mu);
	bool last = --s->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (last)
		httpd_destroy(s);
}

static void httpd_ref(struct httpd *s)
{
	pthread_mutex_lock(&s->mu);
	s->refs++;
	pthread_mutex_unlock(&s->mu);
}

static struct hconn *hconn_new(struct httpd *s, int fd)
{
	struct hconn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->s = s;
	c->fd = fd;
	c->fresh = true;
	c->buf = malloc(HCONN_BUF);
	c->parser = http_parser_new(HTTP_PARSE_REQUEST);
	if (!c->buf || !c->parser) {
		c->fd = -EBADF; /* the caller still owns it */
		hconn_free(c);
		return NULL;
	}
	http_parser_set_max_head(c->parser, s->lim.max_head);
	return c;
}

void hconn_free(struct hconn *c)
{
	if (!c)
		return;
	closep(&c->fd);
	http_parser_free(c->parser);
	free(c->buf);
	free(c);
}

/* ---- watching a connection for its next head ---- */

static void on_watch_closed(uv_handle_t *h)
{
	struct hwatch *w = h->data;
	if (--w->open == 0)
		free(w);
}

static void watch_stop(struct httpd *s, struct hwatch *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		s->watches = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->c->w = NULL;
	w->c = NULL;
	uv_close((uv_handle_t *)&w->poll, on_watch_closed);
	uv_close((uv_handle_t *)&w->timer, on_watch_closed);
}

static void conn_close(struct hconn *c)
{
	if (c->w)
		watch_stop(c->s, c->w);
	hconn_free(c);
}

/* A small error reply before any worker is involved; best effort, as the
 * socket is non-blocking and the connection closes right after. */
static void reply_error(struct hconn *c, int status, const char *msg)
{
	size_t bn, hn;
	_cleanup_free_ char *body = httpd_error_body(msg, &bn);
	if (!body)
		return;
	_cleanup_free_ char *head = httpd_build_head(c->s, status, NULL, "application/json", (int64_t)bn, false, true, &hn);
	if (!head)
		return;
	if (httpd_send_all(c->fd, head, hn) >= 0)
		(void)httpd_send_all(c->fd, body, bn);
	/* the client may still be sending: let it see our answer, not a reset */
	shutdown(c->fd, SHUT_WR);
}

static void dispatch(struct hconn *c);

static int parse_status(struct hconn *c, int err)
{
	if (err != -HTTP_E_TOO_LARGE)
		return 400;
	return http_parser_url_too_long(c->parser) ? 414 : 431;
}

/* Feed what is buffered: true when the connection left the loop (dispatched
 * or closed), false when it needs more bytes. */
static bool conn_process(struct hconn *c)
{
	while (c->off < c->len) {
		enum http_parse_event ev;
		_cleanup_berr_ struct berr err = { 0 };
		ssize_t n = http_parser_feed(c->parser, c->buf + c->off, c->len - c->off, &ev, &err);
		if (n < 0) {
			reply_error(c, parse_status(c, (int)n), err.msg ? err.msg : "bad request");
			conn_close(c);
			return true;
		}
		c->off += (size_t)n;
		if (ev == HTTP_EV_HEAD || ev == HTTP_EV_UPGRADE) {
			dispatch(c);
			return true;
		}
	}
	c->off = c->len = 0;
	return false;
}

static void on_timeout(uv_timer_t *t)
{
	struct hwatch *w = t->data;
	conn_close(w->c);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	struct hwatch *w = p->data;
	struct hconn *c = w->c;
	if (status < 0) {
		conn_close(c);
		return;
	}
	ssize_t n = RETRY_EINTR(read(c->fd, c->buf + c->len, HCONN_BUF - c->len));
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		conn_close(c); /* EOF between requests is the normal end */
		return;
	}
	c->len += (size_t)n;
	if (!w->got_bytes) {
		/* the idle wait is over: the head must now arrive in time */
		w->got_bytes = true;
		uv_timer_start(&w->timer, on_timeout, c->s->lim.head_timeout_ms, 0);
	}
	conn_process(c);
}

static void watch_start(struct hconn *c)
{
	struct httpd *s = c->s;
	struct hwatch *w = calloc(1, sizeof(*w));
	if (!w || uv_poll_init(s->loop, &w->poll, c->fd) < 0) {
		free(w);
		hconn_free(c);
		return;
	}
	uv_timer_init(s->loop, &w->timer);
	w->poll.data = w->timer.data = w;
	w->open = 2;
	w->c = c;
	c->w = w;
	w->next = s->watches;
	if (s->watches)
		s->watches->prev = w;
	s->watches = w;
	/* a new connection must send its head promptly; a kept-alive one may idle */
	unsigned ms = c->fresh ? s->lim.head_timeout_ms : s->lim.idle_timeout_ms;
	w->got_bytes = c->fresh;
	uv_timer_start(&w->timer, on_timeout, ms, 0);
	uv_poll_start(&w->poll, UV_READABLE | UV_DISCONNECT, on_readable);
}

static int set_blocking(int fd, bool blocking)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return neg_errno();
	fl = blocking ? fl & ~O_NONBLOCK : fl | O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) < 0 ? neg_errno() : 0;
}

/* ---- handing requests to workers ---- */

static void active_unlink(struct httpd *s, struct http_req *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		s->active = r->next;
	if (r->next)
		r->next->prev = r->prev;
}

static int start_worker(struct httpd *s, struct http_req *r)
{
	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return -ESHUTDOWN;
	}
	r->next = s->active;
	if (s->active)
		s->active->prev = r;
	s->active = r;
	s->n_active++;
	s->refs++;
	pthread_mutex_unlock(&s->mu);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	int e = pthread_create(&t, &attr, httpd_worker, r);
	pthread_attr_destroy(&attr);
	if (e == 0)
		return 0;
	pthread_mutex_lock(&s->mu);
	active_unlink(s, r);
	s->n_active--;
	s->refs--;
	pthread_mutex_unlock(&s->mu);
	return -e;
}

static void dispatch(struct hconn *c)
{
	struct httpd *s = c->s;
	if (c->w)
		watch_stop(s, c->w);
	c->fresh = false;
	_cleanup_berr_ struct berr err = { 0 };
	struct http_req *r = httpd_req_new(s, c, &err);
	if (!r) {
		reply_error(c, err.msg ? 400 : 500, err.msg ? err.msg : "out of memory");
		hconn_free(c);
		return;
	}
	int e = set_blocking(c->fd, true);
	if (e >= 0)
		e = start_worker(s, r);
	if (e < 0) {
		if (e != -ESHUTDOWN) {
			set_blocking(c->fd, false);
			reply_error(c, 503, "cannot start a request handler");
		}
		httpd_req_free(r);
		hconn_free(c);
	}
}

/* Kept-alive connections back from workers; their next request may already
 * be buffered (pipelining). */
static void on_returned(uv_async_t *a)
{
	struct httpd *s = a->data;
	pthread_mutex_lock(&s->mu);
	struct hconn *list = s->returned;
	s->returned = NULL;
	pthread_mutex_unlock(&s->mu);
	while (list) {
		struct hconn *c = list;
		list = c->next;
		c->next = NULL;
		if (set_blocking(c->fd, false) < 0)
			hconn_free(c);
		else
			conn_adopt(c);
	}
}

static void conn_adopt(struct hconn *c)
{
	if (!conn_process(c))
		watch_start(c);
}

static void on_acceptable(uv_poll_t *p, int status, int events);

static void on_backoff_over(uv_timer_t *t)
{
	struct hlisten *l = t->data;
	uv_poll_start(&l->poll, UV_READABLE, on_acceptable);
}

static void on_acceptable(uv_poll_t *p, int status, int events)
{
	struct hlisten *l = p->data;
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
			/* the pending connection stays readable: polling now would spin */
			uv_poll_stop(&l->poll);
			uv_timer_start(&l->backoff, on_backoff_over, ACCEPT_BACKOFF_MS, 0);
			return;
		}
		if (fd < 0)
			return; /* EAGAIN, or the client already left */
		struct hconn *c = hconn_new(l->s, fd);
		if (!c) {
			close(fd);
			continue;
		}
		conn_adopt(c);
	}
}

/* ---- the server ---- */

int httpd_new(uv_loop_t *loop, const struct httpd_limits *limits, httpd_handler h, void *userdata,
	      struct httpd **ret)
{
	struct httpd *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->handler = h;
	s->userdata = userdata;
	if (limits)
		s->lim = *limits;
	if (!s->lim.max_head || s->lim.max_head > HTTP_MAX_HEADER_BYTES)
		s->lim.max_head = HTTP_MAX_HEADER_BYTES;
	if (!s->lim.idle_timeout_ms)
		s->lim.idle_timeout_ms = DEFAULT_IDLE_TIMEOUT_MS;
	if (!s->lim.head_timeout_ms)
		s->lim.head_timeout_ms = DEFAULT_HEAD_TIMEOUT_MS;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	s->refs = 1;
	s->async = calloc(1, sizeof(*s->async));
	if (!s->async || uv_async_init(loop, s->async, on_returned) < 0) {
		httpd_destroy(s);
		return -ENOMEM;
	}
	s->async->data = s;
	s->refs++; /* the async handle, released by its close callback */
	*ret = s;
	return 0;
}

int httpd_add_default_header(struct httpd *s, const char *name, const char *value)
{
	return http_headers_add(&s->defaults, name, value);
}

/* Only a socket is replaced: anything else at the path is somebody's file. */
static int remove_stale_socket(const char *path, struct berr *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : berr_set(err, BERR_INTERNAL, errno, "checking %s", path);
	if (!S_ISSOCK(st.st_mode))
		return berr_set_msg(err, BERR_CONFLICT, EEXIST, "%s exists and is not a socket", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return berr_set(err, BERR_INTERNAL, errno, "removing stale socket %s", path);
	return 0;
}

/* Permissions are set between bind and listen: until listen, connecting
 * fails, so nobody gets in under the default mode. */
static int bind_unix(const char *path, mode_t mode, gid_t gid, int *ret_fd, struct berr *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (str_copy(sa.sun_path, sizeof(sa.sun_path), path) < 0)
		return berr_set_msg(err, BERR_INVALID, ENAMETOOLONG, "socket path too long: %s", path);
	int r = remove_stale_socket(path, err);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return berr_set(err, BERR_INTERNAL, errno, "creating socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return berr_set(err, berr_kind_from_errno(errno), errno, "binding %s", path);
	if (chmod(path, mode) < 0 || ((int)gid >= 0 && chown(path, (uid_t)-1, gid) < 0)) {
		int e = errno;
		unlink(path);
		return berr_set(err, berr_kind_from_errno(e), e, "setting permissions of %s", path);
	}
	if (listen(fd, SOMAXCONN) < 0) {
		int e = errno;
		unlink(path);
		return berr_set(err, BERR_INTERNAL, e, "listening on %s", path);
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int httpd_listen_unix(struct httpd *s, const char *path, mode_t mode, gid_t gid, struct berr *err)
{
	if (s->shut_down)
		return berr_set_msg(err, BERR_CONFLICT, ESHUTDOWN, "server is shut down");
	struct hlisten *l = calloc(1, sizeof(*l));
	if (!l || !(l->path = strdup(path))) {
		free(l);
		return berr_set(err, BERR_INTERNAL, ENOMEM, "listening on %s", path);
	}
	int r = bind_unix(path, mode, gid, &l->fd, err);
	if (r < 0 || uv_poll_init(s->loop, &l->poll, l->fd) < 0) {
		if (r >= 0) {
			close(l->fd);
			unlink(path);
			r = berr_set(err, BERR_INTERNAL, EIO, "watching %s", path);
		}
		free(l->path);
		free(l);
		return r;
	}
	l->s = s;
	l->poll.data = l;
	uv_timer_init(s->loop, &l->backoff);
	l->backoff.data = l;
	l->open = 2;
	l->next = s->listeners;
	s->listeners = l;
	httpd_ref(s); /* the poll handle */
	uv_poll_start(&l->poll, UV_READABLE, on_acceptable);
	return 0;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct hlisten *l = h->data;
	struct httpd *s = l->s;
	if (--l->open > 0)
		return;
	free(l->path);
	free(l);
	httpd_unref(s);
}

static void on_async_closed(uv_handle_t *h)
{
	httpd_unref(h->data);
}

static void stop_listening(struct httpd *s)
{
	struct hlisten *l = s->listeners;
	s->listeners = NULL;
	while (l) {
		struct hlisten *next = l->next;
		uv_poll_stop(&l->poll);
		close(l->fd);
		unlink(l->path);
		uv_close((uv_handle_t *)&l->poll, on_listener_closed);
		uv_close((uv_handle_t *)&l->backoff, on_listener_closed);
		l = next;
	}
}

static struct timespec deadline_in(unsigned ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Called with mu held. */
static void wait_workers(struct httpd *s, unsigned ms)
{
	struct timespec dl = deadline_in(ms);
	while (s->n_active > 0)
		if (pthread_cond_timedwait(&s->cond, &s->mu, &dl) == ETIMEDOUT)
			break;
}

void httpd_shutdown(struct httpd *s, unsigned timeout_ms)
{
	if (s->shut_down)
		return;
	s->shut_down = true;
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	struct hconn *returned = s->returned;
	s->returned = NULL;
	pthread_mutex_unlock(&s->mu);

	stop_listening(s);
	uv_close((uv_handle_t *)s->async, on_async_closed);
	while (returned) {
		struct hconn *c = returned;
		returned = c->next;
		hconn_free(c);
	}
	while (s->watches)
		conn_close(s->watches->c);

	pthread_mutex_lock(&s->mu);
	wait_workers(s, timeout_ms);
	if (s->n_active > 0) {
		/* handlers blocked on a client that does not read (or write) get
		 * an error from their next I/O */
		for (struct http_req *r = s->active; r; r = r->next)
			if (r->c->fd >= 0)
				shutdown(r->c->fd, SHUT_RDWR);
		wait_workers(s, SHUTDOWN_GRACE_MS);
	}
	pthread_mutex_unlock(&s->mu);
}

void httpd_free(struct httpd *s)
{
	if (!s)
		return;
	httpd_shutdown(s, 0);
	httpd_unref(s);
}
