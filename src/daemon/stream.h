/* stream.h - long request/response exchanges of the image routes, where a
 * store function works on a file descriptor while the handler thread talks
 * HTTP:
 *
 *  - body jobs (load, import): the store function runs on its own thread,
 *    reading the request body from a pipe that the handler thread fills;
 *    progress messages it posts are queued and written by the handler
 *    thread, so only the handler thread ever touches the http_req.
 *  - producers (save): the store function writes a tar into a pipe on its
 *    own thread; the handler thread copies it into the response.
 *
 * Both send the response head lazily: an operation that fails before any
 * output gets a plain error reply (400/404 with {"message"}); once output
 * has started, errors travel inside the stream as moby does:
 * {"errorDetail":{"message":"..."},"error":"..."}. */
#ifndef BERTH_DAEMON_STREAM_H
#define BERTH_DAEMON_STREAM_H

#include <jansson.h>
#include <stdbool.h>

#include "base/err.h"

struct http_req;

/* An application/json message stream whose head goes out with the first message. */
struct json_stream {
	struct http_req *req;
	bool begun;
	bool broken; /* a write failed: the client is gone */
};
/* Send one message (stolen); begins the response when needed. */
void json_stream_send(struct json_stream *s, json_t *msg);
/* The error as an in-stream message. */
void json_stream_error(struct json_stream *s, const struct berr *err);
/* Finish (begins an empty stream when nothing was sent). */
void json_stream_end(struct json_stream *s);

struct body_job;
typedef int (*body_worker_fn)(int fd, void *ud, struct body_job *j, struct berr *err);
/* From the worker thread: queue a message (stolen) for the client. */
void body_job_post(struct body_job *j, json_t *msg);
/* Run fn on its own thread with the request body on fd; write its posted
 * messages to s. Returns fn's result, with fn's error in err. */
int body_job_run(struct http_req *r, struct json_stream *s, body_worker_fn fn, void *ud, struct berr *err);

typedef int (*producer_fn)(int fd, void *ud, struct berr *err);
/* Run fn on its own thread writing into fd and copy its output into the
 * response (content_type). Fails with fn's error when fn fails before
 * writing anything; returns 0 once the response has begun. */
int produce_stream(struct http_req *r, const char *content_type, producer_fn fn, void *ud, struct berr *err);

#endif
