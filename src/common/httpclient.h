/* httpclient.h - the CLI's blocking HTTP/1.1 client for the daemon socket.
 *
 * One connection (unix socket or tcp), reused for several requests
 * (keep-alive). Request bodies come from memory or stream from an fd
 * (chunked). Responses are read incrementally (de-chunked), so JSON message
 * streams (load, events, build) can be shown as they arrive. A request with
 * "Connection: Upgrade" / "Upgrade: tcp" can be hijacked: after the 101 the
 * raw fd belongs to the caller. */
#ifndef BERTH_COMMON_HTTPCLIENT_H
#define BERTH_COMMON_HTTPCLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"
#include "common/http.h"

struct hclient;

/* host: "unix:///run/berth/berth.sock", "/path/to.sock" or "tcp://h:port".
 * Connection errors are BERR_UNAVAILABLE with errno set (ENOENT, ECONNREFUSED). */
int hclient_connect(const char *host, struct hclient **ret, struct berr *err);
void hclient_free(struct hclient *c);
/* Timeout for connect and each read, in ms (0 = none, the default). */
void hclient_set_timeout(struct hclient *c, unsigned ms);

struct hclient_req {
	const char *method;
	const char *target;       /* path and query, already escaped */
	const struct http_headers *headers; /* extra headers; may be NULL */
	const void *body;         /* in-memory body, or */
	size_t body_len;
	int body_fd;              /* -1 or an fd streamed to EOF as a chunked body */
	const char *content_type; /* for the body */
	bool upgrade;             /* send Connection: Upgrade, Upgrade: tcp */
};

struct hclient_resp;
/* Send the request and read the response head. */
int hclient_do(struct hclient *c, const struct hclient_req *q, struct hclient_resp **ret, struct berr *err);
int hclient_resp_status(const struct hclient_resp *r);
const char *hclient_resp_header(const struct hclient_resp *r, const char *name);
/* Read body bytes (0 at the end). */
ssize_t hclient_resp_read(struct hclient_resp *r, void *buf, size_t n);
int hclient_resp_read_all(struct hclient_resp *r, char **ret, size_t *ret_len);
/* Parse the whole body as JSON. */
int hclient_resp_json(struct hclient_resp *r, json_t **ret, struct berr *err);
/* For an error status: the daemon's {"message"} as a berr with the kind
 * matching the status ("Error response from daemon: " is the CLI's job). */
int hclient_resp_to_error(struct hclient_resp *r, struct berr *err);
/* After a 101 (or 200) for an upgrade request: the raw fd (plus bytes
 * already buffered, returned in ret_buf/ret_len). The client is then spent. */
int hclient_resp_hijack(struct hclient_resp *r, int *ret_fd, char **ret_buf, size_t *ret_len);
/* Finish the response (draining what is left) so the connection can be reused. */
void hclient_resp_free(struct hclient_resp *r);
/* Drop a response that will never be read (e.g. the /wait of `run -d`)
 * without draining it; the connection is not reused. */
void hclient_resp_abandon(struct hclient_resp *r);

#endif
