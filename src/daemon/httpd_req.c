/* httpd_req.c - the worker side of berthd's HTTP server: one request's body
 * and response, written as blocking I/O on the connection's fd, and what
 * happens to the connection after the handler returns. See httpd_internal.h
 * for who owns what. */
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "base/util.h"
#include "common/json.h"
#include "daemon/httpd_internal.h"

/* An unread request body is drained this far (and this long per read) so
 * the connection can be reused; beyond it the connection is closed. */
#define DRAIN_MAX (1024 * 1024)
#define DRAIN_TIMEOUT_MS 2000

/* ---- writing ---- */


int httpd_send_all(int fd, const void *buf, size_t n)
{
	struct iovec iov = { (void *)buf, n };
	return http_send_iov(fd, &iov, 1);
}

/* Marks the connection broken on failure: it cannot carry another request. */
static int req_send(struct http_req *r, struct iovec *iov, int n)
{
	if (r->io_error)
		return -EPIPE;
	int ret = http_send_iov(r->c->fd, iov, n);
	if (ret < 0)
		r->io_error = true;
	return ret;
}

/* ---- heads ---- */

static bool no_body_status(int status) { return status < 200 || status == 204 || status == 304; }

char *httpd_build_head(const struct httpd *s, int status, const struct http_headers *extra,
		       const char *content_type, int64_t length, bool chunked, bool close, size_t *ret_len)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	if (!f)
		return NULL;
	fprintf(f, "HTTP/1.1 %d %s\r\n", status, status == 101 ? "UPGRADED" : http_status_text(status));
	for (size_t i = 0; i < s->defaults.n; i++)
		if (!http_headers_get(extra, s->defaults.v[i].name))
			fprintf(f, "%s: %s\r\n", s->defaults.v[i].name, s->defaults.v[i].value);
	for (size_t i = 0; extra && i < extra->n; i++)
		fprintf(f, "%s: %s\r\n", extra->v[i].name, extra->v[i].value);
	if (content_type)
		fprintf(f, "Content-Type: %s\r\n", content_type);
	if (chunked)
		fputs("Transfer-Encoding: chunked\r\n", f);
	else if (length >= 0 && !no_body_status(status))
		fprintf(f, "Content-Length: %lld\r\n", (long long)length);
	if (close)
		fputs("Connection: close\r\n", f);
	fputs("\r\n", f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	*ret_len = n;
	return out;
}

char *httpd_error_body(const char *msg, size_t *ret_len)
{
	_cleanup_json_ json_t *j = json_pack("{s:s}", "message", msg ? msg : "");
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	if (!s)
		return NULL;
	size_t n = strlen(s);
	char *t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return NULL;
	}
	t[n] = '\n';
	t[n + 1] = '\0';
	*ret_len = n + 1;
	return t;
}

static int send_head(struct http_req *r, int status, const struct http_headers *extra, const char *ct,
		     int64_t length, bool chunked, const void *body, size_t n)
{
	size_t hn;
	/* a hijacked connection says Connection: Upgrade (or nothing) instead */
	bool close = !r->keep_alive && r->resp != RESP_HIJACKED;
	_cleanup_free_ char *head = httpd_build_head(r->s, status, extra, ct, length, chunked, close, &hn);
	if (!head)
		return -ENOMEM;
	struct iovec iov[2] = { { head, hn }, { (void *)body, n } };
	return req_send(r, iov, body && n > 0 ? 2 : 1);
}

/* ---- the request ---- */

struct http_req *httpd_req_new(struct httpd *s, struct hconn *c, struct berr *err)
{
	_cleanup_free_ struct http_req *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->s = s;
	r->c = c;
	const char *url = http_parser_url(c->parser);
	size_t plen = strcspn(url, "?");
	/* a NUL would cut the path short of what the client meant */
	if (!memmem(url, plen, "%00", 3))
		r->path = http_unescape(url, plen, false);
	r->method = strdup(http_parser_method(c->parser));
	if (!r->path || !r->method || (url[plen] && http_query_parse(url + plen + 1, &r->query) < 0)) {
		httpd_req_free(TAKE_PTR(r));
		berr_set_msg(err, BERR_INVALID, EINVAL, "malformed request URL");
		return NULL;
	}
	const struct http_headers *h = http_parser_headers(c->parser);
	const char *expect = http_headers_get(h, "Expect");
	r->expect_continue = expect && strcasecmp(expect, "100-continue") == 0;
	r->upgrade_req = http_headers_get(h, "Upgrade") != NULL;
	r->keep_alive = http_parser_keep_alive(c->parser);
	r->is_head = streq(r->method, "HEAD");
	r->remaining = -1;
	return TAKE_PTR(r);
}

void httpd_req_free(struct http_req *r)
{
	if (!r)
		return;
	free(r->method);
	free(r->path);
	http_query_release(&r->query);
	http_headers_release(&r->params);
	http_headers_release(&r->resp_headers);
	free(r);
}

const char *http_req_method(const struct http_req *r) { return r->method; }
const char *http_req_path(const struct http_req *r) { return r->path; }
const struct http_query *http_req_query(const struct http_req *r) { return &r->query; }
const char *http_req_header(const struct http_req *r, const char *name)
{
	return http_headers_get(http_parser_headers(r->c->parser), name);
}
void http_req_set_data(struct http_req *r, void *data) { r->data = data; }
void *http_req_data(const struct http_req *r) { return r->data; }

int http_req_set_param(struct http_req *r, const char *key, const char *value)
{
	for (size_t i = 0; i < r->params.n; i++)
		if (strcmp(r->params.v[i].name, key) == 0) {
			char *v = strdup(value);
			if (!v)
				return -ENOMEM;
			free(r->params.v[i].value);
			r->params.v[i].value = v;
			return 0;
		}
	return http_headers_add(&r->params, key, value);
}

const char *http_req_param(const struct http_req *r, const char *key)
{
	for (size_t i = 0; i < r->params.n; i++)
		if (strcmp(r->params.v[i].name, key) == 0)
			return r->params.v[i].value;
	return NULL;
}

bool http_req_peer_gone(struct http_req *r)
{
	if (r->c->fd < 0)
		return true;
	struct pollfd p = { .fd = r->c->fd, .events = POLLRDHUP };
	if (RETRY_EINTR(poll(&p, 1, 0)) <= 0)
		return false;
	return (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* ---- the body ---- */

static int send_continue(struct http_req *r)
{
	if (!r->expect_continue || r->continue_sent || r->resp != RESP_NONE)
		return 0;
	r->continue_sent = true;
	static const char msg[] = "HTTP/1.1 100 Continue\r\n\r\n";
	struct iovec iov = { (void *)msg, sizeof(msg) - 1 };
	return req_send(r, &iov, 1);
}

/* More bytes from the socket into the (fully consumed) buffer; 0 at EOF. */
static ssize_t fill(struct http_req *r, int timeout_ms)
{
	struct hconn *c = r->c;
	c->off = c->len = 0;
	if (timeout_ms >= 0) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int pr = RETRY_EINTR(poll(&p, 1, timeout_ms));
		if (pr <= 0)
			return pr == 0 ? -ETIMEDOUT : neg_errno();
	}
	ssize_t n = RETRY_EINTR(read(c->fd, c->buf, HCONN_BUF));
	if (n < 0)
		return neg_errno();
	c->len = (size_t)n;
	return n;
}

/* The next body event, reading from the socket as needed. */
static int next_body(struct http_req *r, int timeout_ms)
{
	struct hconn *c = r->c;
	for (;;) {
		enum http_parse_event ev;
		ssize_t n = http_parser_feed(c->parser, c->buf + c->off, c->len - c->off, &ev, NULL);
		if (n < 0)
			return (int)n;
		c->off += (size_t)n;
		if (ev == HTTP_EV_BODY) {
			r->pending = http_parser_body(c->parser, &r->pending_len);
			return 0;
		}
		if (ev == HTTP_EV_DONE || ev == HTTP_EV_UPGRADE) {
			r->body_done = true;
			return 0;
		}
		if (c->off < c->len)
			continue;
		ssize_t got = fill(r, timeout_ms);
		if (got < 0)
			return (int)got;
		if (got == 0) {
			int fr = http_parser_finish(c->parser, &ev, NULL);
			if (fr < 0 || ev != HTTP_EV_DONE)
				return fr < 0 ? fr : -EPIPE;
			r->body_done = true;
			return 0;
		}
	}
}

static ssize_t req_read(struct http_req *r, void *buf, size_t n, int timeout_ms)
{
	while (!r->body_done && r->pending_len == 0) {
		int e = send_continue(r);
		if (e >= 0)
			e = next_body(r, timeout_ms);
		if (e < 0) {
			r->io_error = true;
			return e;
		}
	}
	size_t k = n < r->pending_len ? n : r->pending_len;
	if (k == 0)
		return 0;
	memcpy(buf, r->pending, k);
	r->pending += k;
	r->pending_len -= k;
	return (ssize_t)k;
}

ssize_t http_req_read(struct http_req *r, void *buf, size_t n)
{
	if (n == 0)
		return 0;
	return req_read(r, buf, n, -1);
}

int http_req_read_json(struct http_req *r, size_t max, json_t **ret, struct berr *err)
{
	_cleanup_free_ char *buf = malloc(max + 1);
	if (!buf)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "reading request body");
	size_t len = 0;
	for (;;) {
		ssize_t n = http_req_read(r, buf + len, max + 1 - len);
		if (n < 0)
			return berr_set(err, BERR_INVALID, (int)-n, "reading request body");
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return berr_set_msg(err, BERR_INVALID, EMSGSIZE, "request body too large (limit %zu bytes)", max);
	}
	if (len == 0) {
		*ret = NULL;
		return 0;
	}
	return json_parse(buf, len, "request body", ret, err);
}

/* Consume what is left of the body so the next request can be parsed;
 * false when that is not possible within the bounds. */
static bool drain_body(struct http_req *r)
{
	if (r->body_done) {
		r->pending_len = 0;
		return true;
	}
	if (r->expect_continue && !r->continue_sent)
		return false; /* the client may never send it */
	char scratch[4096];
	size_t total = 0;
	while (total <= DRAIN_MAX) {
		ssize_t n = req_read(r, scratch, sizeof(scratch), DRAIN_TIMEOUT_MS);
		if (n <= 0)
			return n == 0;
		total += (size_t)n;
	}
	return false;
}

/* ---- the response ---- */

int http_resp_add_header(struct http_req *r, const char *name, const char *value)
{
	if (r->resp != RESP_NONE)
		return -EALREADY;
	return http_headers_add(&r->resp_headers, name, value);
}

int http_resp_send(struct http_req *r, int status, const char *content_type, const void *body, size_t n)
{
	if (r->resp != RESP_NONE)
		return -EALREADY;
	r->resp = RESP_DONE;
	bool nobody = r->is_head || no_body_status(status);
	return send_head(r, status, &r->resp_headers, content_type, (int64_t)n, false, nobody ? NULL : body, n);
}

static int send_json_text(struct http_req *r, int status, char *text)
{
	if (!text)
		return -ENOMEM;
	int ret = http_resp_send(r, status, "application/json", text, strlen(text));
	free(text);
	return ret;
}

int http_resp_json(struct http_req *r, int status, const json_t *body)
{
	char *s = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return -ENOMEM;
	size_t n = strlen(s);
	char *t = realloc(s, n + 2);
	if (!t) {
		free(s);
		return -ENOMEM;
	}
	t[n] = '\n'; /* as Go's json.Encoder does */
	t[n + 1] = '\0';
	return send_json_text(r, status, t);
}

static int send_error_msg(struct http_req *r, int status, const char *msg)
{
	size_t n;
	return send_json_text(r, status, httpd_error_body(msg, &n));
}

int http_resp_error(struct http_req *r, const struct berr *err)
{
	int status = http_status_for(err ? err->kind : BERR_INTERNAL);
	/* http_req_read_json's "body too large" */
	if (err && err->kind == BERR_INVALID && err->errnum == EMSGSIZE)
		status = 413;
	return send_error_msg(r, status, err && err->msg ? err->msg : "internal error");
}

int http_resp_errorf(struct http_req *r, int status, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	return send_error_msg(r, status, msg);
}

int http_resp_begin(struct http_req *r, int status, const char *content_type, int64_t content_length)
{
	if (r->resp != RESP_NONE)
		return -EALREADY;
	r->resp = RESP_STREAM;
	r->chunked = content_length < 0 && !no_body_status(status);
	r->remaining = content_length;
	return send_head(r, status, &r->resp_headers, content_type, content_length, r->chunked, NULL, 0);
}

int http_resp_write(struct http_req *r, const void *buf, size_t n)
{
	if (r->resp != RESP_STREAM)
		return -EINVAL;
	if (n == 0 || r->is_head)
		return 0;
	if (!r->chunked) {
		if (r->remaining >= 0 && (int64_t)n > r->remaining)
			return -EMSGSIZE;
		struct iovec iov = { (void *)buf, n };
		int ret = req_send(r, &iov, 1);
		if (ret >= 0 && r->remaining >= 0)
			r->remaining -= (int64_t)n;
		return ret;
	}
	char size[24];
	int sn = snprintf(size, sizeof(size), "%zx\r\n", n);
	struct iovec iov[3] = { { size, (size_t)sn }, { (void *)buf, n }, { (void *)"\r\n", 2 } };
	return req_send(r, iov, 3);
}

int http_resp_write_json_line(struct http_req *r, const json_t *msg)
{
	_cleanup_free_ char *s = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!s)
		return -ENOMEM;
	size_t n = strlen(s);
	char *t = realloc(s, n + 3);
	if (!t)
		return -ENOMEM;
	s = t;
	memcpy(s + n, "\r\n", 3);
	return http_resp_write(r, s, n + 2);
}

int http_resp_end(struct http_req *r)
{
	if (r->resp != RESP_STREAM)
		return r->resp == RESP_DONE ? 0 : -EINVAL;
	r->resp = RESP_DONE;
	if (r->is_head)
		return 0;
	if (!r->chunked) {
		if (r->remaining > 0)
			r->io_error = true; /* the body is short: the client would wait for the rest */
		return r->remaining > 0 ? -EPIPE : 0;
	}
	struct iovec iov = { (void *)"0\r\n\r\n", 5 };
	return req_send(r, &iov, 1);
}

int http_resp_hijack_buf(struct http_req *r, const char *content_type, int *ret_fd, char **ret_buf, size_t *ret_len)
{
	if (r->resp != RESP_NONE)
		return -EALREADY;
	/* the raw stream starts after the body (exec start sends JSON first) */
	if (!drain_body(r))
		return -EPROTO;
	struct http_headers extra = { 0 };
	int ret = 0;
	if (r->upgrade_req)
		ret = http_headers_add(&extra, "Connection", "Upgrade") ?: http_headers_add(&extra, "Upgrade", "tcp");
	for (size_t i = 0; ret >= 0 && i < r->resp_headers.n; i++)
		ret = http_headers_add(&extra, r->resp_headers.v[i].name, r->resp_headers.v[i].value);
	r->resp = RESP_HIJACKED;
	if (ret >= 0)
		ret = send_head(r, r->upgrade_req ? 101 : 200, &extra, content_type, -1, false, NULL, 0);
	http_headers_release(&extra);
	if (ret < 0)
		return ret;
	struct hconn *c = r->c;
	_cleanup_free_ char *rest = NULL;
	if (ret_buf && c->len > c->off) {
		rest = malloc(c->len - c->off);
		if (!rest)
			return -ENOMEM;
		memcpy(rest, c->buf + c->off, c->len - c->off);
	}
	size_t rest_len = rest ? c->len - c->off : 0;
	pthread_mutex_lock(&r->s->mu);
	*ret_fd = TAKE_FD(c->fd);
	pthread_mutex_unlock(&r->s->mu);
	c->off = c->len = 0;
	if (ret_buf) {
		*ret_buf = TAKE_PTR(rest);
		*ret_len = rest_len;
	}
	return 0;
}

int http_resp_hijack(struct http_req *r, const char *content_type, int *ret_fd)
{
	return http_resp_hijack_buf(r, content_type, ret_fd, NULL, NULL);
}

/* ---- after the handler ---- */

/* Whether the connection can carry the next request. */
static bool finish_response(struct http_req *r)
{
	if (r->resp == RESP_HIJACKED)
		return false;
	if (r->resp == RESP_NONE)
		http_resp_errorf(r, 500, "handler sent no response");
	else if (r->resp == RESP_STREAM)
		http_resp_end(r);
	if (r->io_error || !r->keep_alive || r->upgrade_req)
		return false;
	return drain_body(r) && !r->io_error;
}

void *httpd_worker(void *arg)
{
	struct http_req *r = arg;
	struct httpd *s = r->s;
	struct hconn *c = r->c;
	s->handler(r, s->userdata);
	bool keep = finish_response(r);
	if (keep)
		http_parser_reset(c->parser);

	pthread_mutex_lock(&s->mu);
	if (r->prev)
		r->prev->next = r->next;
	else
		s->active = r->next;
	if (r->next)
		r->next->prev = r->prev;
	s->n_active--;
	bool handed = false;
	if (keep && !s->stopping && c->fd >= 0) {
		c->next = s->returned;
		s->returned = c;
		uv_async_send(s->async);
		handed = true;
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);

	if (!handed)
		hconn_free(c);
	httpd_req_free(r);
	httpd_unref(s);
	return NULL;
}
