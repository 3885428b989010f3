/* httpd_internal.h - what httpd.c (the loop side: accept, read heads,
 * idle connections) and httpd_req.c (the worker side: a request's body and
 * response) share.
 *
 * Ownership. A connection (struct hconn) belongs to exactly one side at a
 * time: the loop while it waits for a head, then the worker running its
 * request, then the loop again (through the returned queue) when it is kept
 * alive. The hand-offs happen under httpd.mu or through pthread_create, so
 * neither side needs locks while it owns the connection. The one exception is
 * shutdown(2) on an active request's fd during httpd_shutdown, which reads
 * c->fd under mu; the worker changes c->fd (hijack, close) only under mu. */
#ifndef BERTH_DAEMON_HTTPD_INTERNAL_H
#define BERTH_DAEMON_HTTPD_INTERNAL_H

#include <pthread.h>

#include "daemon/httpd.h"

#define HCONN_BUF 16384

struct hwatch;
struct hlisten;

struct hconn {
	struct httpd *s;
	int fd;
	struct http_parser *parser;
	char *buf;       /* HCONN_BUF bytes; [off, len) not yet fed to the parser */
	size_t off, len;
	bool fresh;      /* no request seen yet on this connection */
	struct hwatch *w; /* loop-side handles while the loop owns it */
	struct hconn *next; /* returned queue */
};

enum resp_state { RESP_NONE, RESP_STREAM, RESP_DONE, RESP_HIJACKED };

struct http_req {
	struct httpd *s;
	struct hconn *c;
	char *method, *path;
	struct http_query query;
	struct http_headers params;
	void *data;

	bool keep_alive, expect_continue, upgrade_req, is_head;
	bool body_done, continue_sent;
	const char *pending; /* body bytes of the last BODY event not yet returned */
	size_t pending_len;

	enum resp_state resp;
	bool chunked;
	int64_t remaining; /* plain stream: bytes still owed */
	bool io_error;     /* the connection cannot carry another request */
	struct http_headers resp_headers;

	struct http_req *prev, *next; /* httpd.active */
};

struct httpd {
	uv_loop_t *loop;
	struct httpd_limits lim;
	httpd_handler handler;
	void *userdata;
	struct http_headers defaults;

	struct hlisten *listeners;
	uv_async_t *async;
	bool shut_down;
	struct hwatch *watches; /* connections the loop owns */

	pthread_mutex_t mu;
	pthread_cond_t cond;      /* an active request finished */
	struct hconn *returned;   /* kept-alive connections back from workers */
	struct http_req *active;  /* requests running in workers */
	unsigned n_active;
	bool stopping;
	unsigned refs;            /* owner + workers + open uv handles */
};

/* httpd.c */
void httpd_unref(struct httpd *s);
void hconn_free(struct hconn *c); /* closes the fd */

/* httpd_req.c */
struct http_req *httpd_req_new(struct httpd *s, struct hconn *c, struct berr *err);
void httpd_req_free(struct http_req *r);
void *httpd_worker(void *arg);
/* The response head as one malloc'ed string. length < 0 and !chunked: no
 * length header. */
char *httpd_build_head(const struct httpd *s, int status, const struct http_headers *extra,
		       const char *content_type, int64_t length, bool chunked, bool close, size_t *ret_len);
/* {"message":msg} followed by a newline, malloc'ed. */
char *httpd_error_body(const char *msg, size_t *ret_len);
/* Write everything to a socket, without SIGPIPE. Works on non-blocking fds
 * only while the socket buffer has room (used for small error replies). */
int httpd_send_all(int fd, const void *buf, size_t n);

#endif
