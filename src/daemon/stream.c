/* stream.c - see stream.h. */
#include "stream.h"

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "daemon/httpd.h"

#define COPY_BUF (128 * 1024)
/* Messages of a body job are held back this long, so that an operation that
 * fails quickly (a bad or truncated archive) still gets a plain 400 reply;
 * longer ones show their progress after it. */
#define HOLD_NS 1000000000LL

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- JSON message streams ---- */

void json_stream_send(struct json_stream *s, json_t *msg)
{
	if (!s->begun) {
		s->begun = true;
		s->broken = http_resp_begin(s->req, 200, "application/json", -1) < 0;
	}
	if (msg && !s->broken && http_resp_write_json_line(s->req, msg) < 0)
		s->broken = true;
	json_decref(msg);
}

void json_stream_error(struct json_stream *s, const struct berr *err)
{
	const char *m = err->msg ? err->msg : "unknown error";
	json_stream_send(s, json_pack("{s:{s:s}, s:s}", "errorDetail", "message", m, "error", m));
}

void json_stream_end(struct json_stream *s)
{
	json_stream_send(s, NULL);
	if (!s->broken)
		http_resp_end(s->req);
}

/* ---- worker threads ---- */

struct body_job {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	json_t *queue; /* array of pending messages */
	bool done;
	int result;
	struct berr err;
	int fd; /* the worker's end of the pipe */
	int64_t hold_until; /* CLOCK_MONOTONIC ns */
	body_worker_fn body_fn;
	producer_fn prod_fn;
	void *ud;
};

static void job_init(struct body_job *j, int fd, void *ud)
{
	*j = (struct body_job){ .queue = json_array(), .fd = fd, .ud = ud, .hold_until = mono_ns() + HOLD_NS };
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->cond, &ca);
	pthread_condattr_destroy(&ca);
}

static void job_release(struct body_job *j)
{
	json_decref(j->queue);
	berr_clear(&j->err);
	pthread_cond_destroy(&j->cond);
	pthread_mutex_destroy(&j->lock);
}

static void *job_thread(void *p)
{
	struct body_job *j = p;
	struct berr err = { 0 };
	int r = j->body_fn ? j->body_fn(j->fd, j->ud, j, &err) : j->prod_fn(j->fd, j->ud, &err);
	if (r < 0 && !berr_isset(&err))
		berr_set(&err, berr_kind_from_errno(-r), -r, "%s", j->body_fn ? "reading the archive" : "writing");
	close(j->fd); /* the other side sees EPIPE or EOF */
	pthread_mutex_lock(&j->lock);
	j->done = true;
	j->result = r;
	j->err = err;
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

void body_job_post(struct body_job *j, json_t *msg)
{
	if (!msg)
		return;
	pthread_mutex_lock(&j->lock);
	json_array_append_new(j->queue, msg);
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
}

/* Whether queued messages may go out now (under the lock): once the hold
 * is over, or early when the job succeeded. A job that failed within the
 * hold sends nothing, so the caller can still reply with a plain error. */
static bool may_send(const struct body_job *j)
{
	return (j->done && j->result >= 0) || mono_ns() >= j->hold_until;
}

/* Take the queued messages that may be sent; with wait, block until there
 * are some or the job is done. */
static json_t *take_queue(struct body_job *j, bool wait, bool *ret_done)
{
	pthread_mutex_lock(&j->lock);
	while (wait && !j->done && (json_array_size(j->queue) == 0 || !may_send(j))) {
		if (json_array_size(j->queue) == 0) {
			pthread_cond_wait(&j->cond, &j->lock);
			continue;
		}
		struct timespec until = { .tv_sec = j->hold_until / 1000000000LL,
					  .tv_nsec = j->hold_until % 1000000000LL };
		pthread_cond_timedwait(&j->cond, &j->lock, &until);
	}
	json_t *q = NULL;
	if (may_send(j)) {
		q = j->queue;
		j->queue = json_array();
	}
	*ret_done = j->done;
	pthread_mutex_unlock(&j->lock);
	return q;
}

static void flush_queue(struct body_job *j, struct json_stream *s, bool wait, bool *ret_done)
{
	json_t *q = take_queue(j, wait, ret_done), *m;
	size_t i;
	json_array_foreach (q, i, m)
		json_stream_send(s, json_incref(m));
	json_decref(q);
}

/* Copy the request body into wfd until it ends, the worker stops reading or
 * the client breaks off; then close wfd so the worker sees the end. */
static void feed_body(struct http_req *r, int wfd, struct body_job *j, struct json_stream *s)
{
	_cleanup_free_ char *buf = malloc(COPY_BUF);
	bool done;
	for (ssize_t n; buf && (n = http_req_read(r, buf, COPY_BUF)) > 0;) {
		if (write_all(wfd, buf, (size_t)n) < 0)
			break; /* the worker closed its end: it has what it needs or failed */
		flush_queue(j, s, false, &done);
	}
	close(wfd);
}

static int start_job(struct body_job *j, pthread_t *t, struct berr *err)
{
	int r = pthread_create(t, NULL, job_thread, j);
	if (r != 0) {
		close(j->fd);
		return berr_set(err, BERR_INTERNAL, r, "starting a worker thread");
	}
	return 0;
}

static int finish_job(struct body_job *j, pthread_t t, struct berr *err)
{
	pthread_join(t, NULL);
	int r = j->result;
	if (r < 0) {
		*err = j->err;
		j->err = (struct berr){ 0 };
	}
	return r;
}

int body_job_run(struct http_req *r, struct json_stream *s, body_worker_fn fn, void *ud, struct berr *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "creating a pipe");
	struct body_job j;
	pthread_t t;
	job_init(&j, p[0], ud);
	j.body_fn = fn;
	int ret = start_job(&j, &t, err);
	if (ret < 0) {
		close(p[1]);
		job_release(&j);
		return ret;
	}
	feed_body(r, p[1], &j, s);
	for (bool done = false; !done;)
		flush_queue(&j, s, true, &done);
	ret = finish_job(&j, t, err);
	if (ret >= 0 || s->begun) { /* what the hold kept back */
		json_t *m;
		size_t i;
		json_array_foreach (j.queue, i, m)
			json_stream_send(s, json_incref(m));
	}
	job_release(&j);
	return ret;
}

/* ---- producers ---- */

/* false when the client went away */
static bool copy_out(struct http_req *r, int rfd, const char *first, size_t n)
{
	_cleanup_free_ char *buf = malloc(COPY_BUF);
	if (http_resp_write(r, first, n) < 0)
		return false;
	for (ssize_t got; buf && (got = RETRY_EINTR(read(rfd, buf, COPY_BUF))) > 0;)
		if (http_resp_write(r, buf, (size_t)got) < 0)
			return false;
	return buf != NULL;
}

int produce_stream(struct http_req *r, const char *content_type, producer_fn fn, void *ud, struct berr *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "creating a pipe");
	_cleanup_close_ int rfd = p[0];
	struct body_job j;
	pthread_t t;
	job_init(&j, p[1], ud);
	j.prod_fn = fn;
	int ret = start_job(&j, &t, err);
	if (ret < 0) {
		job_release(&j);
		return ret;
	}
	char first[4096];
	ssize_t n = RETRY_EINTR(read(rfd, first, sizeof(first)));
	bool sent = n > 0 && http_resp_begin(r, 200, content_type, -1) == 0 && copy_out(r, rfd, first, (size_t)n);
	close(TAKE_FD(rfd)); /* a producer still writing gets EPIPE */
	ret = finish_job(&j, t, err);
	job_release(&j);
	if (n > 0) {
		/* Begun: a late failure can only cut the stream short, which the
		 * client notices as a missing end of the chunked body. */
		if (sent && ret == 0)
			http_resp_end(r);
		berr_clear(err);
		return 0;
	}
	if (ret == 0) { /* nothing to send, e.g. an empty archive: still a reply */
		http_resp_send(r, 200, content_type, NULL, 0);
		return 0;
	}
	return ret;
}
