/* httpd.h - berthd's HTTP/1.1 server on a libuv loop.
 *
 * Threading model. The loop thread accepts connections, reads and parses
 * request heads, enforces limits and idle timeouts, and keeps idle
 * keep-alive connections. Once a head is complete, the request is handed to
 * a worker thread (one per active request, so long-lived streams such as
 * /events or attach never starve others) together with the connection's fd,
 * which is switched to blocking mode: the handler then reads the body and
 * writes the response with ordinary blocking calls. When the handler returns
 * and the connection can be kept alive, the fd goes back to the loop.
 *
 * So handlers are written as straight-line blocking code, may take as long
 * as they need, and must be thread-safe against each other.
 *
 * Every response carries the server's default headers (Api-Version,
 * Server, Ostype, Docker-Experimental, set with httpd_add_default_header).
 * Error bodies are {"message":"..."} with Content-Type exactly
 * "application/json" (the docker CLI requires it). */
#ifndef BERTH_DAEMON_HTTPD_H
#define BERTH_DAEMON_HTTPD_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#include "base/err.h"
#include "common/http.h"

struct http_req; /* one request and its response, owned by the server */

/* ---- the request ---- */
const char *http_req_method(const struct http_req *r);
const char *http_req_path(const struct http_req *r); /* percent-decoded, no query */
const struct http_query *http_req_query(const struct http_req *r);
const char *http_req_header(const struct http_req *r, const char *name);
/* Route parameters set by the router (e.g. "name" of /images/{name}/json). */
int http_req_set_param(struct http_req *r, const char *key, const char *value);
const char *http_req_param(const struct http_req *r, const char *key);
/* Opaque per-request slot for the router (API version, ...). */
void http_req_set_data(struct http_req *r, void *data);
void *http_req_data(const struct http_req *r);

/* Read up to n body bytes (blocking, de-chunked; sends "100 Continue" first
 * when the client asked for it). 0 at the end of the body. */
ssize_t http_req_read(struct http_req *r, void *buf, size_t n);
/* Read a JSON body of at most max bytes (an empty body gives NULL and 0). */
int http_req_read_json(struct http_req *r, size_t max, json_t **ret, struct berr *err);
/* The peer closed its side or the connection broke (for long streams). */
bool http_req_peer_gone(struct http_req *r);

/* ---- the response (exactly one of the forms below per request) ---- */
int http_resp_add_header(struct http_req *r, const char *name, const char *value); /* before the head is sent */
/* Whole responses. body may be NULL (empty). */
int http_resp_send(struct http_req *r, int status, const char *content_type, const void *body, size_t n);
int http_resp_json(struct http_req *r, int status, const json_t *body);
/* {"message": err->msg} with the status for err->kind (413 for the
 * EMSGSIZE "body too large" error of http_req_read_json). */
int http_resp_error(struct http_req *r, const struct berr *err);
int http_resp_errorf(struct http_req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Streams: head now (flushed, so clients waiting on headers proceed), then
 * chunks, each written and flushed at once. Content-Length given (>= 0) means
 * a plain body of that length instead of chunked. */
int http_resp_begin(struct http_req *r, int status, const char *content_type, int64_t content_length);
int http_resp_write(struct http_req *r, const void *buf, size_t n);
int http_resp_write_json_line(struct http_req *r, const json_t *msg); /* one object + "\r\n" */
int http_resp_end(struct http_req *r);
/* Take the raw connection: sends "101 UPGRADED" (when the client asked for
 * Upgrade: tcp) or "200 OK", with content_type, then returns the fd, which now
 * belongs to the caller (closing it ends the connection). */
int http_resp_hijack(struct http_req *r, const char *content_type, int *ret_fd);
/* The same, also returning bytes the client sent after the request that were
 * already read off the socket (old clients that do not wait for the answer
 * before streaming stdin); *ret_buf is malloc'ed, NULL when there are none. */
int http_resp_hijack_buf(struct http_req *r, const char *content_type, int *ret_fd, char **ret_buf,
			 size_t *ret_len);

/* ---- the server ---- */
typedef void (*httpd_handler)(struct http_req *r, void *userdata);

struct httpd_limits {
	size_t max_head;          /* default HTTP_MAX_HEADER_BYTES */
	unsigned idle_timeout_ms; /* keep-alive idle connections; default 5 min */
	unsigned head_timeout_ms; /* slow-loris guard for request heads; default 30 s */
};

struct httpd;
int httpd_new(uv_loop_t *loop, const struct httpd_limits *limits, httpd_handler h, void *userdata,
	      struct httpd **ret);
int httpd_add_default_header(struct httpd *s, const char *name, const char *value);
/* Listen on a unix socket: an existing stale socket file is replaced; the
 * socket gets mode and, when gid >= 0, that group. */
int httpd_listen_unix(struct httpd *s, const char *path, mode_t mode, gid_t gid, struct berr *err);
/* Stop accepting; wait (bounded by timeout_ms) for running handlers to
 * finish; close everything. Call on the loop thread. */
void httpd_shutdown(struct httpd *s, unsigned timeout_ms);
/* Shuts down first when that has not happened. On the loop thread; the memory
 * goes once the loop has run the handles' close callbacks and the last
 * worker has returned. */
void httpd_free(struct httpd *s);

#endif
