/* test_http.c - the HTTP parser, query strings and percent-coding. Every
 * message is fed whole and in every split size from 1 byte up, so events must
 * not depend on how the input arrives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/http.h"

/* Events of a whole input rendered as text, e.g. "H[GET /x] B[hello] D". */
struct log {
	char s[8192];
	size_t n;
	size_t raw_at; /* offset where raw bytes start after UPGRADE */
};

static void logf_(struct log *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = vsnprintf(l->s + l->n, sizeof(l->s) - l->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		l->n += (size_t)r;
	if (l->n >= sizeof(l->s))
		l->n = sizeof(l->s) - 1;
}

static void log_head(struct log *l, struct http_parser *p, enum http_parse_kind kind, const char *tag)
{
	if (kind == HTTP_PARSE_REQUEST)
		logf_(l, "%s[%s %s]", tag, http_parser_method(p), http_parser_url(p));
	else
		logf_(l, "%s[%d]", tag, http_parser_status(p));
}

/* Returns 0, or the negative error of the first failure. */
static int run(enum http_parse_kind kind, const char *in, size_t len, size_t step, bool head_req, bool eof,
	       struct log *l)
{
	struct http_parser *p = http_parser_new(kind);
	assert_non_null(p);
	http_parser_set_head_request(p, head_req);
	memset(l, 0, sizeof(*l));
	size_t off = 0, avail = 0;
	int ret = 0;
	bool body_open = false;
	for (int guard = 0;; guard++) {
		if (guard > 1000000)
			fail_msg("parser made no progress");
		if (avail < len && avail - off < step)
			avail = avail + step < len ? avail + step : len;
		enum http_parse_event ev;
		struct berr err = { 0 };
		ssize_t r = http_parser_feed(p, in + off, avail - off, &ev, &err);
		berr_clear(&err);
		if (r < 0) {
			ret = (int)r;
			break;
		}
		off += (size_t)r;
		if (ev == HTTP_EV_HEAD) {
			log_head(l, p, kind, "H");
		} else if (ev == HTTP_EV_BODY) {
			size_t bl;
			const char *b = http_parser_body(p, &bl);
			if (!body_open)
				logf_(l, " B[");
			body_open = true;
			logf_(l, "%.*s", (int)bl, b);
		} else if (ev == HTTP_EV_DONE || ev == HTTP_EV_UPGRADE) {
			if (body_open)
				logf_(l, "]");
			body_open = false;
			if (ev == HTTP_EV_UPGRADE && !strchr(l->s, 'H'))
				log_head(l, p, kind, "H");
			logf_(l, ev == HTTP_EV_DONE ? " D" : " U");
			if (ev == HTTP_EV_UPGRADE) {
				l->raw_at = off;
				break;
			}
			logf_(l, " ");
		} else if (avail == len && off == len) {
			break;
		}
	}
	if (ret == 0 && eof) {
		enum http_parse_event ev;
		ret = http_parser_finish(p, &ev, NULL);
		if (ev == HTTP_EV_DONE)
			logf_(l, "%s D(eof)", body_open ? "]" : "");
	}
	http_parser_free(p);
	return ret;
}

/* Same result for every split size. */
static void expect(enum http_parse_kind kind, const char *in, bool head_req, bool eof, const char *want)
{
	size_t len = strlen(in);
	for (size_t step = 1; step <= len; step++) {
		struct log l;
		int r = run(kind, in, len, step, head_req, eof, &l);
		if (r != 0 || strcmp(l.s, want) != 0)
			fail_msg("step %zu: r=%d got '%s' want '%s'", step, r, l.s, want);
	}
}

static void test_request_simple(void **state)
{
	expect(HTTP_PARSE_REQUEST, "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n", false, false, "H[GET /_ping] D ");
	expect(HTTP_PARSE_REQUEST, "POST /v1.44/x?a=1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", false, false,
	       "H[POST /v1.44/x?a=1] B[hello] D ");
}

static void test_request_head_fields(void **state)
{
	const char *in = "PUT /a HTTP/1.1\r\nHost: h\r\nX-Empty:\r\nExpect: 100-continue\r\n"
			 "Content-Length: 3\r\nX-Pad:  spaced value  \r\n\r\nabc";
	struct http_parser *p = http_parser_new(HTTP_PARSE_REQUEST);
	enum http_parse_event ev;
	ssize_t r = http_parser_feed(p, in, strlen(in), &ev, NULL);
	assert_true(r > 0);
	assert_int_equal(ev, HTTP_EV_HEAD);
	assert_int_equal((size_t)r, strlen(in) - 3);
	const struct http_headers *h = http_parser_headers(p);
	assert_int_equal(h->n, 5);
	assert_string_equal(http_headers_get(h, "expect"), "100-continue");
	assert_string_equal(http_headers_get(h, "x-empty"), "");
	assert_string_equal(http_headers_get(h, "X-PAD"), "spaced value");
	assert_null(http_headers_get(h, "missing"));
	assert_int_equal(http_parser_content_length(p), 3);
	assert_false(http_parser_chunked(p));
	assert_true(http_parser_keep_alive(p));
	assert_string_equal(http_parser_method(p), "PUT");
	http_parser_free(p);
}

static void test_request_chunked(void **state)
{
	expect(HTTP_PARSE_REQUEST,
	       "POST /build HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
	       "5;name=val\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
	       false, false, "H[POST /build] B[hello world] D ");
}

static void test_request_pipelined(void **state)
{
	expect(HTTP_PARSE_REQUEST,
	       "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\n\r\n",
	       false, false, "H[GET /a] D H[POST /b] B[hi] D H[GET /c] D ");
}

static void test_request_keepalive(void **state)
{
	const char *in = "GET / HTTP/1.0\r\n\r\n";
	struct http_parser *p = http_parser_new(HTTP_PARSE_REQUEST);
	enum http_parse_event ev;
	assert_true(http_parser_feed(p, in, strlen(in), &ev, NULL) > 0);
	assert_false(http_parser_keep_alive(p));
	http_parser_reset(p);
	in = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
	assert_true(http_parser_feed(p, in, strlen(in), &ev, NULL) > 0);
	assert_int_equal(ev, HTTP_EV_HEAD);
	assert_false(http_parser_keep_alive(p));
	http_parser_free(p);
}

static int feed_all(enum http_parse_kind kind, const char *in, size_t len, struct berr *err)
{
	struct http_parser *p = http_parser_new(kind);
	size_t off = 0;
	int ret = 0;
	while (off < len) {
		enum http_parse_event ev;
		ssize_t r = http_parser_feed(p, in + off, len - off, &ev, err);
		if (r < 0) {
			ret = (int)r;
			break;
		}
		if (r == 0 && ev == HTTP_EV_NONE)
			break;
		off += (size_t)r;
	}
	http_parser_free(p);
	return ret;
}

static void test_request_too_large(void **state)
{
	size_t n = 20000;
	char *big = malloc(n + 100);
	/* URL over 8 KiB */
	int o = snprintf(big, n + 100, "GET /");
	memset(big + o, 'a', 9000);
	o += 9000;
	snprintf(big + o, n + 100 - (size_t)o, " HTTP/1.1\r\n\r\n");
	struct berr err = { 0 };
	assert_int_equal(feed_all(HTTP_PARSE_REQUEST, big, strlen(big), &err), -HTTP_E_TOO_LARGE);
	assert_non_null(err.msg);
	berr_clear(&err);
	free(big);

	/* 101 headers */
	char hdrs[4096];
	o = snprintf(hdrs, sizeof(hdrs), "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
		o += snprintf(hdrs + o, sizeof(hdrs) - (size_t)o, "X-%d: v\r\n", i);
	snprintf(hdrs + o, sizeof(hdrs) - (size_t)o, "\r\n");
	assert_int_equal(feed_all(HTTP_PARSE_REQUEST, hdrs, strlen(hdrs), NULL), -HTTP_E_TOO_LARGE);

	/* one 70 KiB header */
	n = 70000;
	big = malloc(n + 100);
	o = snprintf(big, n + 100, "GET / HTTP/1.1\r\nX-Big: ");
	memset(big + o, 'b', n);
	snprintf(big + o + n, 100, "\r\n\r\n");
	assert_int_equal(feed_all(HTTP_PARSE_REQUEST, big, strlen(big), NULL), -HTTP_E_TOO_LARGE);
	/* endless leading whitespace is bounded too */
	memset(big, '\n', n);
	assert_int_equal(feed_all(HTTP_PARSE_REQUEST, big, n, NULL), -HTTP_E_TOO_LARGE);
	free(big);

	/* the server's smaller limit */
	struct http_parser *p = http_parser_new(HTTP_PARSE_REQUEST);
	http_parser_set_max_head(p, 100);
	const char *in = "GET / HTTP/1.1\r\nX-A: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
	enum http_parse_event ev;
	assert_int_equal(http_parser_feed(p, in, strlen(in), &ev, NULL), -HTTP_E_TOO_LARGE);
	assert_false(http_parser_url_too_long(p));
	http_parser_free(p);
}

static void test_request_garbage(void **state)
{
	static const char *const bad[] = {
		"\x01\x02garbage\r\n\r\n",
		"GET / HTTP/9.9x\r\n\r\n",
		"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
		"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct berr err = { 0 };
		int r = feed_all(HTTP_PARSE_REQUEST, bad[i], strlen(bad[i]), &err);
		if (r != -EPROTO)
			fail_msg("input %zu: %d", i, r);
		assert_non_null(err.msg);
		berr_clear(&err);
	}
}

static void test_request_upgrade(void **state)
{
	const char *in = "POST /containers/x/attach HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
			 "Content-Length: 0\r\n\r\nRAW";
	struct log l;
	size_t len = strlen(in);
	for (size_t step = 1; step <= len; step++) {
		assert_int_equal(run(HTTP_PARSE_REQUEST, in, len, step, false, false, &l), 0);
		assert_string_equal(l.s, "H[POST /containers/x/attach] U");
		assert_int_equal(l.raw_at, len - 3);
	}
	/* exec start: a JSON body, then the raw stream */
	in = "POST /exec/x/start HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
	     "Content-Length: 2\r\n\r\n{}RAW";
	len = strlen(in);
	for (size_t step = 1; step <= len; step++) {
		assert_int_equal(run(HTTP_PARSE_REQUEST, in, len, step, false, false, &l), 0);
		assert_string_equal(l.s, "H[POST /exec/x/start] B[{}] U");
		assert_int_equal(l.raw_at, len - 3);
	}
}

static void test_response_lengths(void **state)
{
	expect(HTTP_PARSE_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK", false, false, "H[200] B[OK] D ");
	expect(HTTP_PARSE_RESPONSE,
	       "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{}\n\r\n3\r\n{}\n\r\n0\r\n\r\n", false,
	       false, "H[200] B[{}\n{}\n] D ");
	expect(HTTP_PARSE_RESPONSE, "HTTP/1.1 200 OK\r\n\r\nuntil eof", false, true, "H[200] B[until eof] D(eof)");
	expect(HTTP_PARSE_RESPONSE, "HTTP/1.1 204 No Content\r\n\r\n", false, false, "H[204] D ");
	/* HEAD: Content-Length announced, no body follows */
	expect(HTTP_PARSE_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", true, false, "H[200] D ");
}

static void test_response_truncated(void **state)
{
	const char *in = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
	struct log l;
	assert_int_not_equal(run(HTTP_PARSE_RESPONSE, in, strlen(in), 100, false, true, &l), 0);
}

static void test_response_upgrade(void **state)
{
	const char *in = "HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\n"
			 "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\nleftover";
	size_t len = strlen(in);
	for (size_t step = 1; step <= len; step++) {
		struct log l;
		assert_int_equal(run(HTTP_PARSE_RESPONSE, in, len, step, false, false, &l), 0);
		assert_string_equal(l.s, "H[101] U");
		assert_int_equal(l.raw_at, len - strlen("leftover"));
	}
}

static void test_query(void **state)
{
	struct http_query q;
	assert_int_equal(http_query_parse("t=a&t=b&x=1+2&p=linux%2Farm64&&flag&empty=&v=False", &q), 0);
	assert_int_equal(q.n, 7);
	assert_string_equal(http_query_get(&q, "t"), "a");
	assert_string_equal(q.v[1].name, "t");
	assert_string_equal(q.v[1].value, "b");
	assert_string_equal(http_query_get(&q, "x"), "1 2");
	assert_string_equal(http_query_get(&q, "p"), "linux/arm64");
	assert_string_equal(http_query_get(&q, "flag"), "");
	assert_null(http_query_get(&q, "nope"));
	http_query_release(&q);
	assert_int_equal(http_query_parse("a=%zz", &q), -EINVAL);
	assert_int_equal(http_query_parse("a=%4", &q), -EINVAL);
	assert_int_equal(http_query_parse("", &q), 0);
	assert_int_equal(q.n, 0);
	http_query_release(&q);
	assert_int_equal(http_query_parse(NULL, &q), 0);
	http_query_release(&q);
}

static void test_query_bool(void **state)
{
	struct http_query q;
	assert_int_equal(http_query_parse("a=False&b=0&c=no&d=none&e=&f=1&g=True&h=yes&i=NONE&j=FALSE&k=2", &q), 0);
	const char *falsy = "abcdeij", *truthy = "fghk";
	for (const char *k = falsy; *k; k++) {
		char key[2] = { *k, 0 };
		assert_false(http_query_bool(&q, key, true));
	}
	for (const char *k = truthy; *k; k++) {
		char key[2] = { *k, 0 };
		assert_true(http_query_bool(&q, key, false));
	}
	assert_true(http_query_bool(&q, "missing", true));
	assert_false(http_query_bool(&q, "missing", false));
	http_query_release(&q);
}

static void test_escape(void **state)
{
	char *e = http_escape("a b/c:d?e=f&g~h_i.j-k%");
	assert_string_equal(e, "a%20b%2Fc%3Ad%3Fe%3Df%26g~h_i.j-k%25");
	char *u = http_unescape(e, strlen(e), false);
	assert_string_equal(u, "a b/c:d?e=f&g~h_i.j-k%");
	free(e);
	free(u);
	u = http_unescape("a+b%2b", 6, true);
	assert_string_equal(u, "a b+");
	free(u);
	u = http_unescape("a+b", 3, false);
	assert_string_equal(u, "a+b");
	free(u);
	assert_null(http_unescape("%", 1, false));
	assert_null(http_unescape("%g0", 3, false));
	/* n bounds the input: the escape is cut short */
	assert_null(http_unescape("%41", 2, false));
	u = http_unescape("%00x", 4, false);
	assert_int_equal(u[0], 0);
	free(u);
}

static void test_status(void **state)
{
	assert_string_equal(http_status_text(404), "Not Found");
	assert_string_equal(http_status_text(101), "Switching Protocols");
	assert_string_equal(http_status_text(799), "Unknown");
	assert_int_equal(http_status_for(BERR_INVALID), 400);
	assert_int_equal(http_status_for(BERR_NOT_FOUND), 404);
	assert_int_equal(http_status_for(BERR_CONFLICT), 409);
	assert_int_equal(http_status_for(BERR_FORBIDDEN), 403);
	assert_int_equal(http_status_for(BERR_UNAVAILABLE), 503);
	assert_int_equal(http_status_for(BERR_INTERNAL), 500);
}

static void test_headers(void **state)
{
	struct http_headers h = { 0 };
	assert_int_equal(http_headers_add(&h, "Api-Version", "1.44"), 0);
	assert_int_equal(http_headers_add(&h, "X", "1"), 0);
	assert_int_equal(http_headers_add(&h, "x", "2"), 0);
	assert_string_equal(http_headers_get(&h, "API-VERSION"), "1.44");
	assert_string_equal(http_headers_get(&h, "X"), "1");
	http_headers_release(&h);
	assert_int_equal(h.n, 0);
	http_headers_release(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_simple),     cmocka_unit_test(test_request_head_fields),
		cmocka_unit_test(test_request_chunked),    cmocka_unit_test(test_request_pipelined),
		cmocka_unit_test(test_request_keepalive),  cmocka_unit_test(test_request_too_large),
		cmocka_unit_test(test_request_garbage),    cmocka_unit_test(test_request_upgrade),
		cmocka_unit_test(test_response_lengths),   cmocka_unit_test(test_response_truncated),
		cmocka_unit_test(test_response_upgrade),   cmocka_unit_test(test_query),
		cmocka_unit_test(test_query_bool),         cmocka_unit_test(test_escape),
		cmocka_unit_test(test_status),             cmocka_unit_test(test_headers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
