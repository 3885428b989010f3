/* httpclient.c - the CLI's blocking HTTP/1.1 client (see httpclient.h).
 *
 * One connection and one read buffer. The response parser is fed from the
 * buffer; bytes it has not consumed stay there, which is what a hijack hands
 * to the caller. A kept-alive connection the daemon closed while we were idle
 * is detected when the next request fails before any response byte, and the
 * request is retried once on a new connection (only when its body is in
 * memory: a streamed body cannot be replayed). */
#include "common/httpclient.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include "base/util.h"
#include "common/json.h"

#define BUF_SIZE 65536
#define ERROR_BODY_MAX (1024 * 1024)
/* An abandoned response is read this far (and this long per read) to keep
 * the connection; beyond it the connection is dropped instead. */
#define DRAIN_MAX (256 * 1024)
#define DRAIN_TIMEOUT_MS 500

struct hclient {
	char *host;      /* as given, for messages */
	char *unix_path; /* or */
	char *tcp_host, *tcp_port;
	char *host_header;
	int fd;
	unsigned timeout_ms;
	bool used;     /* the connection carried a request already */
	bool reusable; /* ... and may carry another */
	struct http_parser *parser;
	char *buf;
	size_t off, len; /* [off, len) not yet fed to the parser */
	struct hclient_resp *cur;
};

struct hclient_resp {
	struct hclient *c;
	bool done, upgraded, hijacked;
	const char *pending; /* body bytes of the last BODY event not yet returned */
	size_t pending_len;
};

/* ---- connecting ---- */

static int parse_tcp(struct hclient *c, const char *hp)
{
	const char *colon;
	if (hp[0] == '[') {
		const char *end = strchr(hp, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		c->tcp_host = strndup(hp + 1, (size_t)(end - hp - 1));
		colon = end + 1;
	} else {
		colon = strrchr(hp, ':');
		if (!colon)
			return -EINVAL;
		c->tcp_host = strndup(hp, (size_t)(colon - hp));
	}
	size_t plen = strcspn(colon + 1, "/");
	c->tcp_port = strndup(colon + 1, plen);
	c->host_header = strndup(hp, (size_t)(colon + 1 + plen - hp));
	if (!c->tcp_host || !c->tcp_port || !c->host_header)
		return -ENOMEM;
	return *c->tcp_host && *c->tcp_port ? 0 : -EINVAL;
}

static int parse_host(struct hclient *c, const char *host)
{
	if (str_startswith(host, "tcp://"))
		return parse_tcp(c, host + 6);
	if (str_startswith(host, "unix://"))
		host += 7;
	if (host[0] != '/')
		return -EINVAL;
	c->unix_path = strdup(host);
	/* what the docker CLI sends over its unix socket */
	c->host_header = strdup("api.moby.localhost");
	return c->unix_path && c->host_header ? 0 : -ENOMEM;
}

static int wait_fd(int fd, short events, unsigned timeout_ms)
{
	if (!timeout_ms)
		return 0;
	struct pollfd p = { .fd = fd, .events = events };
	int r = RETRY_EINTR(poll(&p, 1, (int)timeout_ms));
	if (r < 0)
		return neg_errno();
	return r == 0 ? -ETIMEDOUT : 0;
}

/* connect(2) bounded by the timeout (a non-blocking connect, then poll). */
static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, unsigned timeout_ms)
{
	if (timeout_ms && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return neg_errno();
	if (connect(fd, sa, len) < 0) {
		if (errno != EINPROGRESS || !timeout_ms)
			return neg_errno();
		int r = wait_fd(fd, POLLOUT, timeout_ms);
		if (r < 0)
			return r;
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			return neg_errno();
		if (soerr)
			return -soerr;
	}
	if (timeout_ms && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
		return neg_errno();
	return 0;
}

static int connect_unix(struct hclient *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (str_copy(sa.sun_path, sizeof(sa.sun_path), c->unix_path) < 0)
		return -ENAMETOOLONG;
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	int r = connect_timeout(fd, (struct sockaddr *)&sa, sizeof(sa), c->timeout_ms);
	if (r < 0)
		return r;
	return TAKE_FD(fd);
}

static int connect_tcp(struct hclient *c)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
	int g = getaddrinfo(c->tcp_host, c->tcp_port, &hints, &res);
	if (g != 0)
		return g == EAI_SYSTEM ? neg_errno() : -EHOSTUNREACH;
	int ret = -ECONNREFUSED;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		_cleanup_close_ int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			ret = neg_errno();
			continue;
		}
		ret = connect_timeout(fd, ai->ai_addr, ai->ai_addrlen, c->timeout_ms);
		if (ret < 0)
			continue;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		ret = TAKE_FD(fd);
		break;
	}
	freeaddrinfo(res);
	return ret;
}

static void drop_connection(struct hclient *c)
{
	closep(&c->fd);
	c->fd = -EBADF;
	c->used = c->reusable = false;
	c->off = c->len = 0;
}

static int reconnect(struct hclient *c, struct berr *err)
{
	drop_connection(c);
	int fd = c->unix_path ? connect_unix(c) : connect_tcp(c);
	if (fd < 0)
		return berr_set(err, BERR_UNAVAILABLE, -fd, "connecting to %s", c->host);
	c->fd = fd;
	return 0;
}

int hclient_connect(const char *host, struct hclient **ret, struct berr *err)
{
	struct hclient *c = calloc(1, sizeof(*c));
	if (!c)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "connecting to %s", host);
	c->fd = -EBADF;
	c->host = strdup(host);
	c->buf = malloc(BUF_SIZE);
	c->parser = http_parser_new(HTTP_PARSE_RESPONSE);
	int r = c->host && c->buf && c->parser ? parse_host(c, host) : -ENOMEM;
	if (r < 0) {
		hclient_free(c);
		return r == -EINVAL ? berr_set_msg(err, BERR_INVALID, EINVAL, "invalid daemon address: %s", host)
				    : berr_set(err, BERR_INTERNAL, -r, "connecting to %s", host);
	}
	r = reconnect(c, err);
	if (r < 0) {
		hclient_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

void hclient_free(struct hclient *c)
{
	if (!c)
		return;
	if (c->cur)
		c->cur->c = NULL;
	closep(&c->fd);
	http_parser_free(c->parser);
	free(c->buf);
	free(c->host);
	free(c->unix_path);
	free(c->tcp_host);
	free(c->tcp_port);
	free(c->host_header);
	free(c);
}

void hclient_set_timeout(struct hclient *c, unsigned ms) { c->timeout_ms = ms; }

/* ---- sending ---- */


static bool method_has_body(const char *m)
{
	return streq(m, "POST") || streq(m, "PUT") || streq(m, "PATCH");
}

static char *build_head(const struct hclient *c, const struct hclient_req *q, size_t *ret_len)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	if (!f)
		return NULL;
	fprintf(f, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: berth/0.1\r\n", q->method, q->target, c->host_header);
	for (size_t i = 0; q->headers && i < q->headers->n; i++)
		fprintf(f, "%s: %s\r\n", q->headers->v[i].name, q->headers->v[i].value);
	if (q->content_type)
		fprintf(f, "Content-Type: %s\r\n", q->content_type);
	if (q->body_fd >= 0)
		fputs("Transfer-Encoding: chunked\r\n", f);
	else if (q->body || method_has_body(q->method))
		fprintf(f, "Content-Length: %zu\r\n", q->body ? q->body_len : 0);
	if (q->upgrade)
		fputs("Connection: Upgrade\r\nUpgrade: tcp\r\n", f);
	fputs("\r\n", f);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	*ret_len = n;
	return out;
}

static int send_chunked_fd(int fd, int body_fd)
{
	_cleanup_free_ char *chunk = malloc(BUF_SIZE);
	if (!chunk)
		return -ENOMEM;
	for (;;) {
		ssize_t n = RETRY_EINTR(read(body_fd, chunk, BUF_SIZE));
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		char size[24];
		int sn = snprintf(size, sizeof(size), "%zx\r\n", (size_t)n);
		struct iovec iov[3] = { { size, (size_t)sn }, { chunk, (size_t)n }, { (void *)"\r\n", 2 } };
		int r = http_send_iov(fd, iov, 3);
		if (r < 0)
			return r;
	}
	struct iovec end = { (void *)"0\r\n\r\n", 5 };
	return http_send_iov(fd, &end, 1);
}

static int send_request(struct hclient *c, const struct hclient_req *q)
{
	size_t hn;
	_cleanup_free_ char *head = build_head(c, q, &hn);
	if (!head)
		return -ENOMEM;
	struct iovec iov[2] = { { head, hn }, { (void *)q->body, q->body_len } };
	int r = http_send_iov(c->fd, iov, q->body_fd < 0 && q->body && q->body_len ? 2 : 1);
	if (r >= 0 && q->body_fd >= 0)
		r = send_chunked_fd(c->fd, q->body_fd);
	return r;
}

/* ---- receiving ---- */

/* More bytes into the (fully consumed) buffer; 0 at EOF. */
static ssize_t fill(struct hclient *c, unsigned timeout_ms)
{
	c->off = c->len = 0;
	int r = wait_fd(c->fd, POLLIN, timeout_ms);
	if (r < 0)
		return r;
	ssize_t n = RETRY_EINTR(read(c->fd, c->buf, BUF_SIZE));
	if (n < 0)
		return neg_errno();
	c->len = (size_t)n;
	return n;
}

static bool interim(const struct hclient *c)
{
	int st = http_parser_status(c->parser);
	return st >= 100 && st < 200 && st != 101;
}

/* Up to the response head. *ret_any tells whether any byte arrived (for the
 * retry on a connection the daemon had closed). */
static int read_head(struct hclient *c, struct hclient_resp *r, bool *ret_any, struct berr *err)
{
	*ret_any = false;
	for (;;) {
		enum http_parse_event ev;
		ssize_t n = http_parser_feed(c->parser, c->buf + c->off, c->len - c->off, &ev, err);
		if (n < 0)
			return berr_prefix(err, "reading response from %s", c->host);
		c->off += (size_t)n;
		if (ev == HTTP_EV_HEAD && !interim(c))
			return 0;
		if (ev == HTTP_EV_UPGRADE) {
			r->upgraded = r->done = true;
			return 0;
		}
		if (ev != HTTP_EV_NONE || c->off < c->len)
			continue; /* a 100 Continue ends; the real head follows */
		ssize_t got = fill(c, c->timeout_ms);
		if (got < 0)
			return berr_set(err, got == -ETIMEDOUT ? BERR_UNAVAILABLE : BERR_INTERNAL, (int)-got,
					"reading response from %s", c->host);
		if (got == 0)
			return berr_set_msg(err, BERR_UNAVAILABLE, ECONNRESET,
					    "%s closed the connection before responding", c->host);
		*ret_any = true;
	}
}

static int attempt(struct hclient *c, const struct hclient_req *q, struct hclient_resp *r, bool *ret_retry,
		   struct berr *err)
{
	bool reused = c->used;
	*ret_retry = false;
	c->used = true;
	c->reusable = false;
	http_parser_reset(c->parser);
	http_parser_set_head_request(c->parser, streq(q->method, "HEAD"));
	int sr = send_request(c, q);
	if (sr < 0 && sr != -EPIPE && sr != -ECONNRESET)
		return berr_set(err, BERR_UNAVAILABLE, -sr, "sending request to %s", c->host);
	/* after EPIPE the daemon may still have answered (431, 413...) */
	bool any;
	struct berr herr = { 0 };
	int hr = read_head(c, r, &any, &herr);
	if (hr >= 0)
		return 0;
	if (reused && !any && q->body_fd < 0) {
		berr_clear(&herr);
		*ret_retry = true;
		return -ECONNRESET;
	}
	if (sr < 0 && !any) {
		berr_clear(&herr);
		return berr_set(err, BERR_UNAVAILABLE, -sr, "sending request to %s", c->host);
	}
	if (err && !berr_isset(err))
		*err = herr;
	else
		berr_clear(&herr);
	return hr;
}

int hclient_do(struct hclient *c, const struct hclient_req *q, struct hclient_resp **ret, struct berr *err)
{
	if (c->cur)
		return berr_set_msg(err, BERR_INTERNAL, EBUSY, "the previous response is still open");
	_cleanup_free_ struct hclient_resp *r = calloc(1, sizeof(*r));
	if (!r)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "sending request");
	r->c = c;
	for (int i = 0; i < 2; i++) {
		if (c->fd < 0 || (c->used && !c->reusable)) {
			int e = reconnect(c, err);
			if (e < 0)
				return e;
		}
		bool retry;
		int e = attempt(c, q, r, &retry, err);
		if (e >= 0)
			break;
		if (!retry || i == 1) {
			drop_connection(c);
			return e < 0 && !berr_isset(err) ? berr_set(err, BERR_UNAVAILABLE, -e, "requesting %s", c->host) : e;
		}
		drop_connection(c);
	}
	c->cur = r;
	*ret = TAKE_PTR(r);
	return 0;
}

int hclient_resp_status(const struct hclient_resp *r) { return r->c ? http_parser_status(r->c->parser) : 0; }

const char *hclient_resp_header(const struct hclient_resp *r, const char *name)
{
	return r->c ? http_headers_get(http_parser_headers(r->c->parser), name) : NULL;
}

static void body_done(struct hclient_resp *r)
{
	r->done = true;
	r->c->reusable = http_parser_keep_alive(r->c->parser) && !r->upgraded;
}

/* The next body event, reading as needed. */
static int next_body(struct hclient_resp *r, unsigned timeout_ms)
{
	struct hclient *c = r->c;
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
			body_done(r);
			return 0;
		}
		if (c->off < c->len)
			continue;
		ssize_t got = fill(c, timeout_ms);
		if (got < 0)
			return (int)got;
		if (got == 0) {
			int fr = http_parser_finish(c->parser, &ev, NULL);
			if (fr < 0 || ev != HTTP_EV_DONE)
				return fr < 0 ? fr : -EPIPE; /* cut short */
			body_done(r);
			c->reusable = false;
			return 0;
		}
	}
}

static ssize_t resp_read(struct hclient_resp *r, void *buf, size_t n, unsigned timeout_ms)
{
	if (!r->c || r->hijacked)
		return -EBADF;
	while (!r->done && r->pending_len == 0) {
		int e = next_body(r, timeout_ms);
		if (e < 0) {
			r->c->reusable = false;
			r->done = true;
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

ssize_t hclient_resp_read(struct hclient_resp *r, void *buf, size_t n)
{
	if (n == 0)
		return 0;
	return resp_read(r, buf, n, r->c ? r->c->timeout_ms : 0);
}

static int read_all_max(struct hclient_resp *r, size_t max, char **ret, size_t *ret_len)
{
	size_t cap = 4096, len = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len + 1 >= cap) {
			if (cap >= max + 1)
				return -EMSGSIZE;
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *nb = realloc(buf, cap);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		ssize_t n = hclient_resp_read(r, buf + len, cap - len - 1);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int hclient_resp_read_all(struct hclient_resp *r, char **ret, size_t *ret_len)
{
	return read_all_max(r, SIZE_MAX - 1, ret, ret_len);
}

int hclient_resp_json(struct hclient_resp *r, json_t **ret, struct berr *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int e = hclient_resp_read_all(r, &buf, &len);
	if (e < 0)
		return berr_set(err, BERR_UNAVAILABLE, -e, "reading response");
	return json_parse(buf, len, "daemon response", ret, err);
}

static const struct {
	int status;
	enum berr_kind kind;
	int errnum;
} status_kinds[] = {
	{ 400, BERR_INVALID, EINVAL },  { 404, BERR_NOT_FOUND, ENOENT },     { 409, BERR_CONFLICT, EEXIST },
	{ 403, BERR_FORBIDDEN, EACCES }, { 503, BERR_UNAVAILABLE, EAGAIN },
};

int hclient_resp_to_error(struct hclient_resp *r, struct berr *err)
{
	int status = hclient_resp_status(r);
	enum berr_kind kind = BERR_INTERNAL;
	int errnum = EIO;
	for (size_t i = 0; i < ARRAY_SIZE(status_kinds); i++)
		if (status_kinds[i].status == status) {
			kind = status_kinds[i].kind;
			errnum = status_kinds[i].errnum;
		}
	_cleanup_free_ char *body = NULL;
	size_t len = 0;
	_cleanup_json_ json_t *j = NULL;
	if (read_all_max(r, ERROR_BODY_MAX, &body, &len) >= 0 && len > 0)
		j = json_loadb(body, len, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "message"));
	if (msg)
		return berr_set_msg(err, kind, errnum, "%s", msg);
	return berr_set_msg(err, kind, errnum, "request returned %d %s", status, http_status_text(status));
}

int hclient_resp_hijack(struct hclient_resp *r, int *ret_fd, char **ret_buf, size_t *ret_len)
{
	struct hclient *c = r->c;
	if (!c || c->fd < 0 || r->hijacked)
		return -EBADF;
	_cleanup_free_ char *rest = NULL;
	size_t n = c->len - c->off;
	if (n > 0) {
		rest = malloc(n);
		if (!rest)
			return -ENOMEM;
		memcpy(rest, c->buf + c->off, n);
	}
	r->hijacked = r->done = true;
	*ret_fd = TAKE_FD(c->fd);
	drop_connection(c);
	*ret_buf = TAKE_PTR(rest);
	*ret_len = n;
	return 0;
}

void hclient_resp_abandon(struct hclient_resp *r)
{
	if (!r)
		return;
	if (r->c) {
		r->c->reusable = false;
		r->c->cur = NULL;
	}
	free(r);
}

void hclient_resp_free(struct hclient_resp *r)
{
	if (!r)
		return;
	struct hclient *c = r->c;
	if (c) {
		char scratch[4096];
		size_t total = 0;
		while (!r->done && total <= DRAIN_MAX) {
			unsigned t = c->timeout_ms && c->timeout_ms < DRAIN_TIMEOUT_MS ? c->timeout_ms : DRAIN_TIMEOUT_MS;
			ssize_t n = resp_read(r, scratch, sizeof(scratch), t);
			if (n <= 0)
				break;
			total += (size_t)n;
		}
		if (!r->done || r->hijacked)
			c->reusable = false;
		c->cur = NULL;
	}
	free(r);
}
