/* fuzz_http_request.c - libFuzzer target for the HTTP request parser and
 * query strings, i.e. what berthd reads from any client on its socket.
 *
 * The first input byte picks how the rest is split into feeds; the events
 * (heads, body bytes, ends, errors) must be exactly those of feeding it
 * whole, as the server gets bytes in whatever pieces the socket gives. Every
 * URL that parses also goes through path unescaping and query parsing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/http.h"

struct log {
	char *p;
	size_t n, cap;
};

static void put(struct log *l, const void *s, size_t n)
{
	if (l->n + n > l->cap) {
		size_t cap = l->cap ? l->cap : 256;
		while (cap < l->n + n)
			cap *= 2;
		l->p = realloc(l->p, cap);
		if (!l->p)
			abort();
		l->cap = cap;
	}
	memcpy(l->p + l->n, s, n);
	l->n += n;
}

static void puts_(struct log *l, const char *s) { put(l, s, strlen(s) + 1); }

static void check_url(const char *url)
{
	size_t plen = strcspn(url, "?");
	char *path = http_unescape(url, plen, false);
	free(path);
	if (!url[plen])
		return;
	struct http_query q;
	if (http_query_parse(url + plen + 1, &q) < 0)
		return;
	for (size_t i = 0; i < q.n; i++) {
		if (!q.v[i].name || !q.v[i].value)
			abort();
		if (http_query_get(&q, q.v[i].name) == NULL)
			abort();
		(void)http_query_bool(&q, q.v[i].name, true);
		char *e = http_escape(q.v[i].value);
		char *back = http_unescape(e, strlen(e), false);
		/* escaping round-trips (up to an embedded NUL) */
		if (!back || strcmp(back, q.v[i].value) != 0)
			abort();
		free(e);
		free(back);
	}
	http_query_release(&q);
}

static void log_head(struct log *l, struct http_parser *p)
{
	puts_(l, http_parser_method(p));
	puts_(l, http_parser_url(p));
	const struct http_headers *h = http_parser_headers(p);
	if (h->n > HTTP_MAX_HEADERS)
		abort();
	for (size_t i = 0; i < h->n; i++) {
		puts_(l, h->v[i].name);
		puts_(l, h->v[i].value);
	}
	char flags[3] = { http_parser_keep_alive(p) ? 'k' : '-', http_parser_chunked(p) ? 'c' : '-', 0 };
	puts_(l, flags);
	if (strlen(http_parser_url(p)) > HTTP_MAX_URL)
		abort();
	check_url(http_parser_url(p));
}

/* Feeds data in pieces of at most step bytes (0: whole) and logs events. */
static void run(const char *data, size_t size, size_t step, struct log *l)
{
	struct http_parser *p = http_parser_new(HTTP_PARSE_REQUEST);
	if (!p)
		abort();
	size_t off = 0, avail = 0;
	for (size_t guard = 0;; guard++) {
		if (guard > 4 * size + 100)
			abort(); /* no progress */
		if (avail - off == 0 && avail < size)
			avail = step && avail + step < size ? avail + step : size;
		enum http_parse_event ev;
		struct berr err = { 0 };
		ssize_t n = http_parser_feed(p, data + off, avail - off, &ev, &err);
		if (n < 0) {
			if (!err.msg)
				abort();
			berr_clear(&err);
			puts_(l, n == -HTTP_E_TOO_LARGE ? "E:large" : "E:proto");
			break;
		}
		if ((size_t)n > avail - off)
			abort();
		off += (size_t)n;
		if (ev == HTTP_EV_HEAD) {
			log_head(l, p);
		} else if (ev == HTTP_EV_BODY) {
			size_t bl;
			const char *b = http_parser_body(p, &bl);
			if (bl == 0 || b < data || b + bl > data + avail)
				abort();
			put(l, b, bl); /* body bytes merge across splits */
		} else if (ev == HTTP_EV_DONE) {
			puts_(l, "D");
			http_parser_reset(p);
		} else if (ev == HTTP_EV_UPGRADE) {
			log_head(l, p);
			puts_(l, "U");
			break;
		} else if (off == size) {
			break;
		}
	}
	http_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t step = data[0] % 17 + 1;
	const char *in = (const char *)data + 1;
	size--;
	struct log whole = { 0 }, split = { 0 };
	run(in, size, 0, &whole);
	run(in, size, step, &split);
	if (whole.n != split.n || (whole.n && memcmp(whole.p, split.p, whole.n) != 0))
		abort();
	free(whole.p);
	free(split.p);
	return 0;
}
