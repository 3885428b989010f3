/* http.c - header lists, status texts, percent-coding, query strings and the
 * incremental parser over llhttp.
 *
 * The parser pauses llhttp from its callbacks so that each feed stops at the
 * first event (head, a body span, message end): the caller handles it and
 * feeds the rest, which is what makes pipelined input and hand-offs between
 * threads straightforward (the unconsumed bytes stay with the caller). */
#include "common/http.h"

#include <ctype.h>
#include <llhttp.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "base/util.h"

/* ---- header lists ---- */

const char *http_headers_get(const struct http_headers *h, const char *name)
{
	for (size_t i = 0; h && i < h->n; i++)
		if (strcasecmp(h->v[i].name, name) == 0)
			return h->v[i].value;
	return NULL;
}

static int pairs_add(struct http_header **v, size_t *n, char *name, char *value)
{
	if (!name || !value) {
		free(name);
		free(value);
		return -ENOMEM;
	}
	struct http_header *nv = realloc(*v, (*n + 1) * sizeof(**v));
	if (!nv) {
		free(name);
		free(value);
		return -ENOMEM;
	}
	nv[*n] = (struct http_header){ name, value };
	*v = nv;
	(*n)++;
	return 0;
}

int http_headers_add(struct http_headers *h, const char *name, const char *value)
{
	return pairs_add(&h->v, &h->n, strdup(name), strdup(value));
}

static void pairs_release(struct http_header **v, size_t *n)
{
	for (size_t i = 0; i < *n; i++) {
		free((*v)[i].name);
		free((*v)[i].value);
	}
	free(*v);
	*v = NULL;
	*n = 0;
}

void http_headers_release(struct http_headers *h)
{
	if (h)
		pairs_release(&h->v, &h->n);
}

/* ---- status codes ---- */

static const struct {
	int status;
	const char *text;
} status_texts[] = {
	{ 100, "Continue" },
	{ 101, "Switching Protocols" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 204, "No Content" },
	{ 206, "Partial Content" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 307, "Temporary Redirect" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 412, "Precondition Failed" },
	{ 413, "Request Entity Too Large" },
	{ 414, "Request URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Requested Range Not Satisfiable" },
	{ 417, "Expectation Failed" },
	{ 422, "Unprocessable Entity" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

const char *http_status_text(int status)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_texts); i++)
		if (status_texts[i].status == status)
			return status_texts[i].text;
	return "Unknown";
}

int http_status_for(enum berr_kind kind)
{
	static const int map[_BERR_KIND_MAX] = {
		[BERR_NONE] = 500,        [BERR_INVALID] = 400,     [BERR_NOT_FOUND] = 404, [BERR_CONFLICT] = 409,
		[BERR_FORBIDDEN] = 403,   [BERR_UNAVAILABLE] = 503, [BERR_INTERNAL] = 500,
	};
	if ((int)kind < 0 || kind >= _BERR_KIND_MAX)
		return 500;
	return map[kind];
}

/* ---- percent-coding ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *http_unescape(const char *s, size_t n, bool form)
{
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				free(out);
				errno = EINVAL;
				return NULL;
			}
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (form && s[i] == '+') {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

char *http_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (unreserved(*p)) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* ---- query strings ---- */

static int query_add_pair(struct http_query *q, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	size_t klen = eq ? (size_t)(eq - s) : n;
	_cleanup_free_ char *k = http_unescape(s, klen, true);
	if (!k)
		return neg_errno();
	_cleanup_free_ char *v = eq ? http_unescape(eq + 1, n - klen - 1, true) : strdup("");
	if (!v)
		return neg_errno();
	return pairs_add(&q->v, &q->n, TAKE_PTR(k), TAKE_PTR(v));
}

int http_query_parse(const char *raw, struct http_query *ret)
{
	struct http_query q = { 0 };
	const char *s = raw ? raw : "";
	while (*s) {
		size_t n = strcspn(s, "&");
		if (n > 0) {
			int r = query_add_pair(&q, s, n);
			if (r < 0) {
				http_query_release(&q);
				return r;
			}
		}
		s += n;
		if (*s == '&')
			s++;
	}
	*ret = q;
	return 0;
}

const char *http_query_get(const struct http_query *q, const char *key)
{
	for (size_t i = 0; q && i < q->n; i++)
		if (strcmp(q->v[i].name, key) == 0)
			return q->v[i].value;
	return NULL;
}

bool http_query_bool(const struct http_query *q, const char *key, bool def)
{
	static const char *const falsy[] = { "", "0", "no", "false", "none" };
	const char *v = http_query_get(q, key);
	if (!v)
		return def;
	for (size_t i = 0; i < ARRAY_SIZE(falsy); i++)
		if (strcasecmp(v, falsy[i]) == 0)
			return false;
	return true;
}

void http_query_release(struct http_query *q)
{
	if (q)
		pairs_release(&q->v, &q->n);
}

/* ---- incremental parser ---- */

/* A growable byte buffer for spans llhttp may deliver in pieces. */
struct span {
	char *p;
	size_t n, cap;
};

static int span_append(struct span *s, const char *at, size_t n)
{
	if (s->n + n + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 64;
		while (cap < s->n + n + 1)
			cap *= 2;
		char *np = realloc(s->p, cap);
		if (!np)
			return -ENOMEM;
		s->p = np;
		s->cap = cap;
	}
	memcpy(s->p + s->n, at, n);
	s->n += n;
	s->p[s->n] = '\0';
	return 0;
}

static const char *span_str(const struct span *s) { return s->p ? s->p : ""; }

struct http_parser {
	llhttp_t ll;
	llhttp_settings_t settings;
	enum http_parse_kind kind;
	size_t max_head;
	bool head_request;

	/* per message */
	struct span url, field, value;
	struct http_headers headers;
	size_t head_bytes; /* header spans, as counted by the callbacks */
	size_t raw_head;   /* all bytes fed before the head completed */
	bool head_done, keep_alive, chunked, upgrade;
	int64_t content_length;
	enum http_parse_event ev; /* set by the callback that paused */
	const char *body;
	size_t body_len;
	int limit_error; /* -HTTP_E_TOO_LARGE from a callback */
	const char *limit_reason;
	bool upgraded; /* HTTP_EV_UPGRADE was reported: nothing more to parse */
};

static struct http_parser *parser_of(llhttp_t *ll) { return ll->data; }

static void message_clear(struct http_parser *p)
{
	p->url.n = p->field.n = p->value.n = 0;
	if (p->url.p)
		p->url.p[0] = '\0';
	http_headers_release(&p->headers);
	p->head_bytes = p->raw_head = 0;
	p->head_done = p->keep_alive = p->chunked = p->upgrade = false;
	p->content_length = -1;
	p->body = NULL;
	p->body_len = 0;
}

#define URL_TOO_LONG "request URL too long"

static int too_large(struct http_parser *p, const char *what)
{
	p->limit_error = -HTTP_E_TOO_LARGE;
	p->limit_reason = what;
	return -1;
}

/* Counts a head byte span against the limit; trailers count too, so a
 * chunked body cannot smuggle an unbounded header section. */
static int head_account(struct http_parser *p, size_t n)
{
	p->head_bytes += n;
	return p->head_bytes > p->max_head ? too_large(p, "request headers too large") : 0;
}

static int on_message_begin(llhttp_t *ll)
{
	message_clear(parser_of(ll));
	return 0;
}

static int on_url(llhttp_t *ll, const char *at, size_t n)
{
	struct http_parser *p = parser_of(ll);
	if (p->url.n + n > HTTP_MAX_URL)
		return too_large(p, URL_TOO_LONG);
	if (head_account(p, n) < 0)
		return -1;
	return span_append(&p->url, at, n) < 0 ? -1 : 0;
}

static int on_header_field(llhttp_t *ll, const char *at, size_t n)
{
	struct http_parser *p = parser_of(ll);
	if (head_account(p, n) < 0)
		return -1;
	return span_append(&p->field, at, n) < 0 ? -1 : 0;
}

static int on_header_value(llhttp_t *ll, const char *at, size_t n)
{
	struct http_parser *p = parser_of(ll);
	if (head_account(p, n) < 0)
		return -1;
	return span_append(&p->value, at, n) < 0 ? -1 : 0;
}

static int on_header_value_complete(llhttp_t *ll)
{
	struct http_parser *p = parser_of(ll);
	/* ": " and CRLF around each header */
	if (head_account(p, 4) < 0)
		return -1;
	while (p->value.n > 0 && (p->value.p[p->value.n - 1] == ' ' || p->value.p[p->value.n - 1] == '\t'))
		p->value.p[--p->value.n] = '\0';
	int r = 0;
	if (!p->head_done) {
		if (p->headers.n >= HTTP_MAX_HEADERS)
			return too_large(p, "too many request headers");
		r = http_headers_add(&p->headers, span_str(&p->field), span_str(&p->value));
	}
	p->field.n = p->value.n = 0;
	return r < 0 ? -1 : 0;
}

static bool message_has_body(const struct http_parser *p)
{
	if (p->ll.flags & F_SKIPBODY)
		return false;
	return p->chunked || p->content_length > 0 || (p->kind == HTTP_PARSE_RESPONSE && llhttp_message_needs_eof(&p->ll));
}

static int on_headers_complete(llhttp_t *ll)
{
	struct http_parser *p = parser_of(ll);
	p->head_done = true;
	p->chunked = (ll->flags & F_CHUNKED) != 0;
	p->content_length = (ll->flags & F_CONTENT_LENGTH) ? (int64_t)ll->content_length : -1;
	if (p->kind == HTTP_PARSE_RESPONSE && p->head_request)
		ll->flags |= F_SKIPBODY; /* what returning 1 would do, but we also pause */
	p->upgrade = ll->upgrade || (p->kind == HTTP_PARSE_RESPONSE && ll->status_code == 101);
	p->keep_alive = llhttp_should_keep_alive(ll) && !p->upgrade;
	/* An upgrade without a body is reported as one UPGRADE event. */
	if (p->upgrade && (ll->method == HTTP_CONNECT || !message_has_body(p)))
		return 0;
	p->ev = HTTP_EV_HEAD;
	return HPE_PAUSED;
}

static int on_body(llhttp_t *ll, const char *at, size_t n)
{
	struct http_parser *p = parser_of(ll);
	if (n == 0)
		return 0; /* llhttp flushes an empty span at the end of input */
	p->body = at;
	p->body_len = n;
	p->ev = HTTP_EV_BODY;
	return HPE_PAUSED;
}

static int on_message_complete(llhttp_t *ll)
{
	struct http_parser *p = parser_of(ll);
	if (ll->upgrade)
		return 0; /* llhttp pauses with HPE_PAUSED_UPGRADE next */
	/* a 101 without the Upgrade headers llhttp wants is still a switch */
	p->ev = p->upgrade ? HTTP_EV_UPGRADE : HTTP_EV_DONE;
	return HPE_PAUSED;
}

struct http_parser *http_parser_new(enum http_parse_kind kind)
{
	struct http_parser *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->kind = kind;
	p->max_head = HTTP_MAX_HEADER_BYTES;
	p->content_length = -1;
	llhttp_settings_init(&p->settings);
	p->settings.on_message_begin = on_message_begin;
	p->settings.on_url = on_url;
	p->settings.on_header_field = on_header_field;
	p->settings.on_header_value = on_header_value;
	p->settings.on_header_value_complete = on_header_value_complete;
	p->settings.on_headers_complete = on_headers_complete;
	p->settings.on_body = on_body;
	p->settings.on_message_complete = on_message_complete;
	llhttp_init(&p->ll, kind == HTTP_PARSE_REQUEST ? HTTP_REQUEST : HTTP_RESPONSE, &p->settings);
	p->ll.data = p;
	return p;
}

void http_parser_free(struct http_parser *p)
{
	if (!p)
		return;
	http_headers_release(&p->headers);
	free(p->url.p);
	free(p->field.p);
	free(p->value.p);
	free(p);
}

void http_parser_set_max_head(struct http_parser *p, size_t max)
{
	p->max_head = max ? max : HTTP_MAX_HEADER_BYTES;
}

static int parse_error(struct http_parser *p, llhttp_errno_t e, struct berr *err)
{
	if (p->limit_error) {
		berr_set_msg(err, BERR_INVALID, EMSGSIZE, "%s", p->limit_reason);
		return p->limit_error;
	}
	const char *reason = llhttp_get_error_reason(&p->ll);
	berr_set_msg(err, BERR_INVALID, EPROTO, "malformed HTTP message: %s",
		     reason && *reason ? reason : llhttp_errno_name(e));
	return -EPROTO;
}

/* Bytes before the head completes are bounded as a whole (request line,
 * headers, stray CRLFs), so llhttp never sees much more than max_head. */
static size_t head_budget(const struct http_parser *p, size_t n)
{
	if (p->head_done)
		return n;
	size_t room = p->max_head + 1024;
	room = p->raw_head < room ? room - p->raw_head : 0;
	return n < room ? n : room;
}

static int fail_too_large(struct http_parser *p, struct berr *err)
{
	too_large(p, "request headers too large");
	return parse_error(p, HPE_USER, err);
}

ssize_t http_parser_feed(struct http_parser *p, const char *data, size_t n, enum http_parse_event *ev,
			 struct berr *err)
{
	*ev = HTTP_EV_NONE;
	if (p->upgraded) {
		*ev = HTTP_EV_UPGRADE;
		return 0;
	}
	if (p->limit_error || llhttp_get_errno(&p->ll) != HPE_OK)
		return parse_error(p, llhttp_get_errno(&p->ll), err);
	/* n == 0 still runs llhttp: a message may complete without more input */
	size_t take = head_budget(p, n);
	if (take == 0 && n > 0)
		return fail_too_large(p, err);
	bool in_head = !p->head_done;
	p->ev = HTTP_EV_NONE;
	llhttp_errno_t e = llhttp_execute(&p->ll, data, take);
	size_t used = take;
	if (e == HPE_PAUSED || e == HPE_PAUSED_UPGRADE)
		used = (size_t)(llhttp_get_error_pos(&p->ll) - data);
	if (in_head)
		p->raw_head += used;
	switch (e) {
	case HPE_OK:
		return (ssize_t)used;
	case HPE_PAUSED:
		llhttp_resume(&p->ll);
		*ev = p->ev;
		p->upgraded = p->ev == HTTP_EV_UPGRADE;
		return (ssize_t)used;
	case HPE_PAUSED_UPGRADE:
		p->upgraded = true;
		*ev = HTTP_EV_UPGRADE;
		return (ssize_t)used;
	default:
		return parse_error(p, e, err);
	}
}

int http_parser_finish(struct http_parser *p, enum http_parse_event *ev, struct berr *err)
{
	*ev = HTTP_EV_NONE;
	if (p->upgraded)
		return 0;
	p->ev = HTTP_EV_NONE;
	llhttp_errno_t e = llhttp_finish(&p->ll);
	if (e == HPE_PAUSED) {
		llhttp_resume(&p->ll);
		*ev = p->ev;
		return 0;
	}
	if (e != HPE_OK) {
		int r = parse_error(p, e, err);
		return r == -EPROTO ? -EPIPE : r;
	}
	return 0;
}

void http_parser_reset(struct http_parser *p)
{
	message_clear(p);
	p->head_request = false;
	p->upgraded = false;
	p->limit_error = 0;
	p->limit_reason = NULL;
	llhttp_reset(&p->ll);
}

void http_parser_set_head_request(struct http_parser *p, bool head) { p->head_request = head; }

const char *http_parser_method(const struct http_parser *p)
{
	return p->kind == HTTP_PARSE_REQUEST ? llhttp_method_name((llhttp_method_t)p->ll.method) : NULL;
}

const char *http_parser_url(const struct http_parser *p) { return span_str(&p->url); }
int http_parser_status(const struct http_parser *p) { return p->ll.status_code; }
const struct http_headers *http_parser_headers(const struct http_parser *p) { return &p->headers; }
bool http_parser_keep_alive(const struct http_parser *p) { return p->keep_alive; }
bool http_parser_chunked(const struct http_parser *p) { return p->chunked; }
int64_t http_parser_content_length(const struct http_parser *p) { return p->content_length; }
bool http_parser_upgrade(const struct http_parser *p) { return p->upgrade; }
bool http_parser_url_too_long(const struct http_parser *p)
{
	return p->limit_error && streq(p->limit_reason, URL_TOO_LONG);
}

const char *http_parser_body(const struct http_parser *p, size_t *ret_len)
{
	*ret_len = p->body_len;
	return p->body;
}

int http_send_iov(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t w = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		/* Skip what was written, whole vectors first, then part of one. */
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}
