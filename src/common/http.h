/* http.h - HTTP/1.1 pieces shared by berthd's server and the CLI's client:
 * an incremental message parser over llhttp, header lists, status texts,
 * percent-decoding and query strings.
 *
 * The parser is fed bytes as they arrive and reports a complete head
 * (request line or status line plus headers) and then body bytes, already
 * de-chunked. Limits: request line/URL 8 KiB, 100 headers, 64 KiB of headers
 * in total; beyond them parsing fails with HTTP_E_TOO_LARGE. */
#ifndef BERTH_COMMON_HTTP_H
#define BERTH_COMMON_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

#define HTTP_MAX_URL 8192
#define HTTP_MAX_HEADERS 100
#define HTTP_MAX_HEADER_BYTES 65536

struct http_header {
	char *name, *value;
};

struct http_headers {
	struct http_header *v;
	size_t n;
};
/* Case-insensitive lookup of the first header called name; NULL if none. */
const char *http_headers_get(const struct http_headers *h, const char *name);
int http_headers_add(struct http_headers *h, const char *name, const char *value);
void http_headers_release(struct http_headers *h);

const char *http_status_text(int status); /* 404 -> "Not Found" */
/* The HTTP status for an error kind: invalid 400, not-found 404, conflict 409,
 * forbidden 403, unavailable 503, internal 500. */
int http_status_for(enum berr_kind kind);

/* Percent-decode s (and '+' to space when form is true); malloc'ed. NULL on
 * a malformed escape. */
char *http_unescape(const char *s, size_t n, bool form);
/* Percent-encode for a query value; malloc'ed. */
char *http_escape(const char *s);

/* A parsed query string: decoded key/value pairs in order (repeated keys kept). */
struct http_query {
	struct http_header *v;
	size_t n;
};
int http_query_parse(const char *raw, struct http_query *ret);
const char *http_query_get(const struct http_query *q, const char *key); /* first value */
/* Docker's boolean rule: missing -> def; "", "0", "no", "false", "none"
 * (any case) -> false; anything else -> true. */
bool http_query_bool(const struct http_query *q, const char *key, bool def);
void http_query_release(struct http_query *q);

struct iovec;
/* Write every byte of the n vectors to a socket (sendmsg, no SIGPIPE),
 * retrying partial writes; iov is consumed. */
int http_send_iov(int fd, struct iovec *iov, int n);

/* ---- incremental parser ---- */

enum http_parse_kind { HTTP_PARSE_REQUEST, HTTP_PARSE_RESPONSE };

enum http_parse_event {
	HTTP_EV_NONE,      /* need more input */
	HTTP_EV_HEAD,      /* head complete: method/url/status/headers are set */
	HTTP_EV_BODY,      /* body bytes available (body, body_len) */
	HTTP_EV_DONE,      /* message complete */
	HTTP_EV_UPGRADE,   /* head complete with Upgrade/CONNECT: the rest is raw */
};

enum {
	HTTP_E_TOO_LARGE = 1000,
};

struct http_parser;

/* head_only_response: for responses to HEAD requests (no body follows). */
struct http_parser *http_parser_new(enum http_parse_kind kind);
void http_parser_free(struct http_parser *p);
/* Feed data; returns the number of bytes consumed (<= n) and the event that
 * stopped it, or negative errno (-EPROTO with err set to llhttp's reason).
 * Call again with the remaining bytes after handling the event. */
ssize_t http_parser_feed(struct http_parser *p, const char *data, size_t n, enum http_parse_event *ev,
			 struct berr *err);
/* Signal end of input (connection closed); may complete a body without length. */
int http_parser_finish(struct http_parser *p, enum http_parse_event *ev, struct berr *err);
/* Expect the next message on a keep-alive connection. */
void http_parser_reset(struct http_parser *p);
/* For a response parser: the request was HEAD (the response has no body). */
void http_parser_set_head_request(struct http_parser *p, bool head);

/* After HTTP_EV_HEAD: */
const char *http_parser_method(const struct http_parser *p); /* "GET" */
const char *http_parser_url(const struct http_parser *p);    /* raw request target */
int http_parser_status(const struct http_parser *p);
const struct http_headers *http_parser_headers(const struct http_parser *p);
bool http_parser_keep_alive(const struct http_parser *p);
bool http_parser_chunked(const struct http_parser *p);
int64_t http_parser_content_length(const struct http_parser *p); /* -1 when absent */
/* After HTTP_EV_BODY: the bytes, valid until the next feed. */
const char *http_parser_body(const struct http_parser *p, size_t *ret_len);

/* Additions (used by berthd's server and the client):
 * HTTP_EV_UPGRADE ends a message whose head asked to switch protocols (a
 * request with Upgrade, CONNECT, a 101 response). When the message has no
 * body it is the only event (it also means "head complete"); with a body,
 * HEAD and BODY events come first and UPGRADE replaces DONE. Either way the
 * bytes after the consumed count are raw. */
bool http_parser_upgrade(const struct http_parser *p);
/* Bound the head (request line + headers) below HTTP_MAX_HEADER_BYTES; 0 = default. */
void http_parser_set_max_head(struct http_parser *p, size_t max);
/* After a HTTP_E_TOO_LARGE failure: the URL (not the headers) was too long. */
bool http_parser_url_too_long(const struct http_parser *p);

#endif
