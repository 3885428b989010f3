/* test_httpd.c - berthd's HTTP server on a real libuv loop and unix socket,
 * driven by the CLI's client and by raw socket writes. Every wait is
 * bounded; every server, socket and temp dir is cleaned up. */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "common/httpclient.h"
#include "common/json.h"
#include "daemon/httpd.h"
#include "daemon/httpd_internal.h"

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- handlers ---- */

static atomic_bool release_block;
static atomic_int block_exit;  /* 1 released, 2 write failed, 3 peer gone, 4 gave up */
static atomic_int block_running;

static void h_echo(struct http_req *r)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (len == cap)
			buf = realloc(buf, cap *= 2);
		ssize_t n = http_req_read(r, buf + len, cap - len);
		if (n < 0) {
			free(buf);
			http_resp_errorf(r, 400, "read failed: %zd", n);
			return;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	http_resp_add_header(r, "X-Method", http_req_method(r));
	http_resp_send(r, 200, "application/octet-stream", buf, len);
	free(buf);
}

static void h_json(struct http_req *r)
{
	json_t *j = json_pack("{s:I,s:s,s:s?,s:b}", "conn", (json_int_t)(uintptr_t)r->c, "path", http_req_path(r),
			      "a", http_query_get(http_req_query(r), "a"), "flag",
			      http_query_bool(http_req_query(r), "flag", false));
	http_resp_json(r, 200, j);
	json_decref(j);
}

static void h_stream(struct http_req *r)
{
	http_resp_begin(r, 200, "application/json", -1);
	for (int i = 0; i < 3; i++) {
		json_t *j = json_pack("{s:i}", "n", i);
		http_resp_write_json_line(r, j);
		json_decref(j);
		sleep_ms(50);
	}
	http_resp_end(r);
}

static void h_block(struct http_req *r)
{
	block_running++;
	http_resp_begin(r, 200, "application/json", -1);
	int why = 4;
	uint64_t end = now_ms() + 10000;
	while (now_ms() < end) {
		if (release_block) {
			why = 1;
			break;
		}
		if (http_resp_write(r, "{\"tick\":1}\r\n", 12) < 0) {
			why = 2;
			break;
		}
		if (http_req_peer_gone(r)) {
			why = 3;
			break;
		}
		sleep_ms(20);
	}
	/* published before the response ends, which is what the client sees */
	block_exit = why;
	block_running--;
	http_resp_end(r);
}

static void h_hijack(struct http_req *r)
{
	int fd;
	char *rest = NULL;
	size_t rest_len = 0;
	if (http_resp_hijack_buf(r, "application/vnd.docker.raw-stream", &fd, &rest, &rest_len) < 0)
		return;
	if (rest_len)
		write_all(fd, rest, rest_len);
	free(rest);
	char buf[4096];
	ssize_t n;
	/* a half-close from the client is its end of stdin: answer, then close */
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		write_all(fd, buf, (size_t)n);
	write_all(fd, "bye", 3);
	close(fd);
}

static void h_slow(struct http_req *r)
{
	sleep_ms(300);
	http_resp_send(r, 200, "text/plain", "slow", 4);
}

static void h_text_error(struct http_req *r)
{
	http_resp_send(r, 503, "text/plain", "oops", 4);
}

static void h_not_found(struct http_req *r)
{
	http_resp_errorf(r, 404, "No such container: %s", "foo");
}

static void h_berr(struct http_req *r)
{
	struct berr err = { 0 };
	berr_set_msg(&err, BERR_CONFLICT, EBUSY, "container x is running");
	http_resp_error(r, &err);
	berr_clear(&err);
}

static void h_nothing(struct http_req *r) {}

static void h_json_body(struct http_req *r)
{
	json_t *j = NULL;
	struct berr err = { 0 };
	if (http_req_read_json(r, 64, &j, &err) < 0) {
		http_resp_error(r, &err);
		berr_clear(&err);
		return;
	}
	json_t *out = json_pack("{s:b}", "null", j == NULL);
	http_resp_json(r, 200, out);
	json_decref(out);
	json_decref(j);
}

static const struct {
	const char *path;
	void (*fn)(struct http_req *r);
} routes[] = {
	{ "/echo", h_echo },       { "/json", h_json },          { "/stream", h_stream },
	{ "/block", h_block },     { "/hijack", h_hijack },      { "/slow", h_slow },
	{ "/text-error", h_text_error }, { "/nothing", h_nothing }, { "/error", h_not_found },
	{ "/berr", h_berr },       { "/json-body", h_json_body }, { "/continue", h_echo },
};

static void handler(struct http_req *r, void *userdata)
{
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++)
		if (streq(http_req_path(r), routes[i].path)) {
			routes[i].fn(r);
			return;
		}
	http_resp_errorf(r, 404, "page not found");
}

/* ---- a server in a thread ---- */

struct srv {
	uv_loop_t loop;
	uv_async_t stop;
	struct httpd *s;
	pthread_t thread;
	char dir[64], sock[128];
	unsigned shutdown_ms;
	uint64_t shutdown_took;
};

static void on_stop(uv_async_t *a)
{
	struct srv *v = a->data;
	uint64_t t0 = now_ms();
	httpd_shutdown(v->s, v->shutdown_ms);
	v->shutdown_took = now_ms() - t0;
	httpd_free(v->s);
	uv_close((uv_handle_t *)a, NULL);
}

static void *loop_thread(void *arg)
{
	struct srv *v = arg;
	uv_run(&v->loop, UV_RUN_DEFAULT);
	return NULL;
}

static struct srv *srv_start(const struct httpd_limits *lim)
{
	struct srv *v = calloc(1, sizeof(*v));
	snprintf(v->dir, sizeof(v->dir), "/tmp/berth-httpd-XXXXXX");
	assert_non_null(mkdtemp(v->dir));
	snprintf(v->sock, sizeof(v->sock), "%s/api.sock", v->dir);
	assert_int_equal(uv_loop_init(&v->loop), 0);
	assert_int_equal(httpd_new(&v->loop, lim, handler, NULL, &v->s), 0);
	httpd_add_default_header(v->s, "Api-Version", "1.44");
	httpd_add_default_header(v->s, "Server", "Docker/24.0.0 (linux)");
	httpd_add_default_header(v->s, "Ostype", "linux");
	httpd_add_default_header(v->s, "Docker-Experimental", "false");
	struct berr err = { 0 };
	assert_int_equal(httpd_listen_unix(v->s, v->sock, 0660, (gid_t)-1, &err), 0);
	uv_async_init(&v->loop, &v->stop, on_stop);
	v->stop.data = v;
	v->shutdown_ms = 2000;
	assert_int_equal(pthread_create(&v->thread, NULL, loop_thread, v), 0);
	return v;
}

static void srv_stop(struct srv *v)
{
	uv_async_send(&v->stop);
	pthread_join(v->thread, NULL);
	assert_int_equal(uv_loop_close(&v->loop), 0);
	assert_int_equal(access(v->sock, F_OK), -1); /* the socket file is gone */
	rmdir(v->dir);
	free(v);
}

/* ---- client helpers ---- */

static struct hclient *client(struct srv *v)
{
	struct hclient *c = NULL;
	assert_int_equal(hclient_connect(v->sock, &c, NULL), 0);
	hclient_set_timeout(c, 5000);
	return c;
}

static struct hclient_resp *do_req(struct hclient *c, const char *method, const char *target, const char *body)
{
	struct hclient_req q = { .method = method, .target = target, .body = body,
				 .body_len = body ? strlen(body) : 0, .body_fd = -1 };
	struct hclient_resp *r = NULL;
	struct berr err = { 0 };
	int e = hclient_do(c, &q, &r, &err);
	if (e < 0)
		fail_msg("%s %s: %s", method, target, err.msg);
	return r;
}

static char *read_body(struct hclient_resp *r)
{
	char *b = NULL;
	size_t n;
	assert_int_equal(hclient_resp_read_all(r, &b, &n), 0);
	return b;
}

static json_int_t json_req(struct hclient *c, const char *target, json_t **ret)
{
	struct hclient_resp *r = do_req(c, "GET", target, NULL);
	assert_int_equal(hclient_resp_status(r), 200);
	assert_string_equal(hclient_resp_header(r, "Content-Type"), "application/json");
	json_t *j = NULL;
	assert_int_equal(hclient_resp_json(r, &j, NULL), 0);
	hclient_resp_free(r);
	json_int_t conn = json_integer_value(json_object_get(j, "conn"));
	if (ret)
		*ret = j;
	else
		json_decref(j);
	return conn;
}

static int raw_connect(struct srv *v)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	str_copy(sa.sun_path, sizeof(sa.sun_path), v->sock);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Everything until EOF (or timeout_ms of silence), NUL-terminated. */
static char *raw_read_all(int fd, unsigned timeout_ms, size_t *ret_len)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, (int)timeout_ms) <= 0)
			break;
		if (len == cap)
			buf = realloc(buf, (cap *= 2) + 1);
		ssize_t n = read(fd, buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return buf;
}

/* Reads one response (head + body) off a raw socket. */
struct raw_resp {
	int status;
	char head[8192];
	char body[8192];
};

static void raw_read_response(int fd, struct raw_resp *out)
{
	memset(out, 0, sizeof(*out));
	struct http_parser *p = http_parser_new(HTTP_PARSE_RESPONSE);
	size_t blen = 0;
	bool done = false;
	uint64_t end = now_ms() + 5000;
	while (!done && now_ms() < end) {
		/* one byte at a time so the next response stays in the socket */
		char ch;
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, 5000) <= 0 || read(fd, &ch, 1) != 1) {
			enum http_parse_event ev;
			http_parser_finish(p, &ev, NULL);
			break;
		}
		size_t off = 0;
		while (off < 1 || !done) {
			enum http_parse_event ev;
			ssize_t n = http_parser_feed(p, &ch + off, 1 - off, &ev, NULL);
			assert_true(n >= 0);
			off += (size_t)n;
			if (ev == HTTP_EV_HEAD) {
				out->status = http_parser_status(p);
				const struct http_headers *h = http_parser_headers(p);
				size_t o = 0;
				for (size_t i = 0; i < h->n; i++)
					o += (size_t)snprintf(out->head + o, sizeof(out->head) - o, "%s: %s\n",
							      h->v[i].name, h->v[i].value);
			} else if (ev == HTTP_EV_BODY) {
				size_t bl;
				const char *b = http_parser_body(p, &bl);
				memcpy(out->body + blen, b, bl);
				blen += bl;
			} else if (ev == HTTP_EV_DONE || ev == HTTP_EV_UPGRADE) {
				done = true;
			} else if (off == 1) {
				break;
			}
		}
	}
	http_parser_free(p);
	assert_true(done);
}

/* ---- tests ---- */

static void test_keepalive_reuse(void **state)
{
	struct srv *v = srv_start(NULL);
	struct hclient *c = client(v);
	json_t *j;
	json_int_t conn = json_req(c, "/json?a=x%2Fy&flag=False", &j);
	assert_string_equal(json_string_value(json_object_get(j, "a")), "x/y");
	assert_false(json_is_true(json_object_get(j, "flag")));
	json_decref(j);
	for (int i = 0; i < 5; i++) {
		struct hclient_resp *r = do_req(c, "POST", "/echo", "hello");
		assert_int_equal(hclient_resp_status(r), 200);
		assert_string_equal(hclient_resp_header(r, "X-Method"), "POST");
		char *b = read_body(r);
		assert_string_equal(b, "hello");
		free(b);
		hclient_resp_free(r);
		assert_int_equal(json_req(c, "/json", NULL), conn);
	}
	/* a response the client abandons is drained, the connection kept */
	hclient_resp_free(do_req(c, "GET", "/stream", NULL));
	assert_int_equal(json_req(c, "/json", NULL), conn);
	/* HEAD: headers only, and the connection still parses */
	struct hclient_resp *r = do_req(c, "HEAD", "/json", NULL);
	assert_int_equal(hclient_resp_status(r), 200);
	assert_non_null(hclient_resp_header(r, "Content-Length"));
	assert_string_not_equal(hclient_resp_header(r, "Content-Length"), "0");
	char *b = read_body(r);
	assert_string_equal(b, "");
	free(b);
	hclient_resp_free(r);
	assert_int_equal(json_req(c, "/json", NULL), conn);
	hclient_free(c);
	srv_stop(v);
}

static void test_stream_chunks(void **state)
{
	struct srv *v = srv_start(NULL);
	struct hclient *c = client(v);
	struct hclient_resp *r = do_req(c, "GET", "/stream", NULL);
	assert_string_equal(hclient_resp_header(r, "Transfer-Encoding"), "chunked");
	/* each message arrives by itself: the server flushes per write */
	for (int i = 0; i < 3; i++) {
		char buf[64];
		ssize_t n = hclient_resp_read(r, buf, sizeof(buf) - 1);
		assert_true(n > 0);
		buf[n] = '\0';
		char want[32];
		snprintf(want, sizeof(want), "{\"n\":%d}\r\n", i);
		assert_string_equal(buf, want);
	}
	char buf[8];
	assert_int_equal(hclient_resp_read(r, buf, sizeof(buf)), 0);
	hclient_resp_free(r);
	hclient_free(c);
	srv_stop(v);
}

static void test_chunked_upload(void **state)
{
	struct srv *v = srv_start(NULL);
	struct hclient *c = client(v);
	size_t n = 300000;
	char *data = malloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	char path[] = "/tmp/berth-upload-XXXXXX";
	int fd = mkstemp(path);
	assert_int_equal(write_all(fd, data, n), 0);
	lseek(fd, 0, SEEK_SET);
	unlink(path);
	struct hclient_req q = { .method = "POST", .target = "/echo", .body_fd = fd,
				 .content_type = "application/x-tar" };
	struct hclient_resp *r = NULL;
	assert_int_equal(hclient_do(c, &q, &r, NULL), 0);
	assert_int_equal(hclient_resp_status(r), 200);
	char *b = NULL;
	size_t bl;
	assert_int_equal(hclient_resp_read_all(r, &b, &bl), 0);
	assert_int_equal(bl, n);
	assert_memory_equal(b, data, n);
	free(b);
	hclient_resp_free(r);
	close(fd);
	free(data);
	hclient_free(c);
	srv_stop(v);
}

static void test_pipelining(void **state)
{
	struct srv *v = srv_start(NULL);
	int fd = raw_connect(v);
	const char *reqs = "GET /json?a=1 HTTP/1.1\r\nHost: x\r\n\r\n"
			   "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
			   "GET /json?a=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	assert_int_equal(write_all(fd, reqs, strlen(reqs)), 0);
	struct raw_resp rr;
	raw_read_response(fd, &rr);
	assert_int_equal(rr.status, 200);
	assert_non_null(strstr(rr.body, "\"a\":\"1\""));
	raw_read_response(fd, &rr);
	assert_string_equal(rr.body, "abc");
	raw_read_response(fd, &rr);
	assert_non_null(strstr(rr.body, "\"a\":\"3\""));
	assert_non_null(strstr(rr.head, "Connection: close"));
	size_t len;
	char *rest = raw_read_all(fd, 3000, &len);
	assert_int_equal(len, 0); /* closed after Connection: close */
	free(rest);
	close(fd);
	srv_stop(v);
}

static void test_head_timeout(void **state)
{
	struct httpd_limits lim = { .head_timeout_ms = 200, .idle_timeout_ms = 400 };
	struct srv *v = srv_start(&lim);
	/* a partial head */
	int fd = raw_connect(v);
	write_all(fd, "GET /json HTTP/1.1\r\nHost:", 25);
	uint64_t t0 = now_ms();
	char *rest = raw_read_all(fd, 5000, NULL);
	uint64_t took = now_ms() - t0;
	assert_true(took >= 150 && took < 3000);
	free(rest);
	close(fd);
	/* silence after a kept-alive request: the idle timeout */
	fd = raw_connect(v);
	write_all(fd, "GET /json HTTP/1.1\r\n\r\n", 22);
	struct raw_resp rr;
	raw_read_response(fd, &rr);
	assert_int_equal(rr.status, 200);
	t0 = now_ms();
	rest = raw_read_all(fd, 5000, NULL);
	took = now_ms() - t0;
	assert_true(took >= 300 && took < 3000);
	free(rest);
	close(fd);
	/* the client notices the daemon closed its idle connection and retries */
	struct hclient *c = client(v);
	json_int_t first = json_req(c, "/json", NULL);
	sleep_ms(600);
	json_int_t second = json_req(c, "/json", NULL);
	assert_true(first != 0 && second != 0);
	hclient_free(c);
	srv_stop(v);
}

static void expect_json_error(const char *raw, int status, const char *msg_part)
{
	assert_true(strncmp(raw, "HTTP/1.1 ", 9) == 0);
	assert_int_equal(atoi(raw + 9), status);
	assert_non_null(strstr(raw, "\r\nContent-Type: application/json\r\n"));
	assert_non_null(strstr(raw, "\r\nApi-Version: 1.44\r\n"));
	assert_non_null(strstr(raw, "\r\nOstype: linux\r\n"));
	const char *body = strstr(raw, "\r\n\r\n");
	assert_non_null(body);
	json_t *j = json_loads(body + 4, 0, NULL);
	assert_non_null(j);
	const char *m = json_string_value(json_object_get(j, "message"));
	assert_non_null(m);
	if (msg_part && !strstr(m, msg_part))
		fail_msg("message '%s' lacks '%s'", m, msg_part);
	json_decref(j);
}

static void test_bad_requests(void **state)
{
	struct srv *v = srv_start(NULL);
	/* a 70 KiB header */
	size_t n = 70000;
	char *big = malloc(n + 64);
	int o = snprintf(big, n + 64, "GET / HTTP/1.1\r\nX-Big: ");
	memset(big + o, 'b', n);
	memcpy(big + o + n, "\r\n\r\n", 5);
	int fd = raw_connect(v);
	write_all(fd, big, strlen(big));
	char *resp = raw_read_all(fd, 5000, NULL);
	expect_json_error(resp, 431, "too large");
	free(resp);
	close(fd);
	/* a 9000-byte URL */
	o = snprintf(big, n + 64, "GET /");
	memset(big + o, 'u', 9000);
	snprintf(big + o + 9000, 64, " HTTP/1.1\r\n\r\n");
	fd = raw_connect(v);
	write_all(fd, big, strlen(big));
	resp = raw_read_all(fd, 5000, NULL);
	expect_json_error(resp, 414, "URL");
	free(resp);
	close(fd);
	free(big);
	/* garbage */
	fd = raw_connect(v);
	write_all(fd, "\x01\x02 nonsense\r\n\r\n", 15);
	resp = raw_read_all(fd, 5000, NULL);
	expect_json_error(resp, 400, NULL);
	free(resp);
	close(fd);
	/* a bad escape in the path */
	fd = raw_connect(v);
	write_all(fd, "GET /a%zz HTTP/1.1\r\n\r\n", 22);
	resp = raw_read_all(fd, 5000, NULL);
	expect_json_error(resp, 400, NULL);
	free(resp);
	close(fd);
	fd = raw_connect(v);
	write_all(fd, "GET /json%00/x HTTP/1.1\r\n\r\n", 27);
	resp = raw_read_all(fd, 5000, NULL);
	expect_json_error(resp, 400, NULL);
	free(resp);
	close(fd);
	/* and the client reads the 431 although its own write failed */
	struct hclient *c = client(v);
	struct http_headers h = { 0 };
	char *val = malloc(n + 1);
	memset(val, 'v', n);
	val[n] = '\0';
	http_headers_add(&h, "X-Big", val);
	free(val);
	struct hclient_req q = { .method = "GET", .target = "/json", .headers = &h, .body_fd = -1 };
	struct hclient_resp *r = NULL;
	struct berr err = { 0 };
	assert_int_equal(hclient_do(c, &q, &r, &err), 0);
	assert_int_equal(hclient_resp_status(r), 431);
	assert_true(hclient_resp_to_error(r, &err) < 0);
	assert_int_equal(err.kind, BERR_INTERNAL);
	assert_non_null(strstr(err.msg, "too large"));
	berr_clear(&err);
	hclient_resp_free(r);
	http_headers_release(&h);
	/* the client reconnects for the next request */
	json_req(c, "/json", NULL);
	hclient_free(c);
	srv_stop(v);
}

static void test_errors_and_defaults(void **state)
{
	struct srv *v = srv_start(NULL);
	struct hclient *c = client(v);
	struct {
		const char *target;
		int status;
		enum berr_kind kind;
		const char *msg;
	} cases[] = {
		{ "/error", 404, BERR_NOT_FOUND, "No such container: foo" },
		{ "/berr", 409, BERR_CONFLICT, "container x is running" },
		{ "/nothing", 500, BERR_INTERNAL, "handler sent no response" },
		{ "/text-error", 503, BERR_UNAVAILABLE, "request returned 503 Service Unavailable" },
		{ "/no/such/route", 404, BERR_NOT_FOUND, "page not found" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct hclient_resp *r = do_req(c, "GET", cases[i].target, NULL);
		assert_int_equal(hclient_resp_status(r), cases[i].status);
		assert_string_equal(hclient_resp_header(r, "Api-Version"), "1.44");
		assert_string_equal(hclient_resp_header(r, "Docker-Experimental"), "false");
		assert_string_equal(hclient_resp_header(r, "Server"), "Docker/24.0.0 (linux)");
		if (cases[i].status != 503)
			assert_string_equal(hclient_resp_header(r, "Content-Type"), "application/json");
		struct berr err = { 0 };
		assert_true(hclient_resp_to_error(r, &err) < 0);
		assert_int_equal(err.kind, cases[i].kind);
		assert_string_equal(err.msg, cases[i].msg);
		berr_clear(&err);
		hclient_resp_free(r);
	}
	/* JSON bodies: too large, malformed, empty */
	struct hclient_resp *r = do_req(c, "POST", "/json-body", "{\"a\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}");
	assert_int_equal(hclient_resp_status(r), 413);
	hclient_resp_free(r);
	r = do_req(c, "POST", "/json-body", "{nope");
	assert_int_equal(hclient_resp_status(r), 400);
	hclient_resp_free(r);
	r = do_req(c, "POST", "/json-body", NULL);
	assert_int_equal(hclient_resp_status(r), 200);
	char *b = read_body(r);
	assert_string_equal(b, "{\"null\":true}\n");
	free(b);
	hclient_resp_free(r);
	hclient_free(c);
	srv_stop(v);
}

static void test_continue(void **state)
{
	struct srv *v = srv_start(NULL);
	int fd = raw_connect(v);
	const char *head = "PUT /continue HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
	write_all(fd, head, strlen(head));
	char buf[64] = { 0 };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	ssize_t n = read(fd, buf, 25);
	assert_int_equal(n, 25);
	assert_string_equal(buf, "HTTP/1.1 100 Continue\r\n\r\n");
	write_all(fd, "hello", 5);
	struct raw_resp rr;
	raw_read_response(fd, &rr);
	assert_int_equal(rr.status, 200);
	assert_string_equal(rr.body, "hello");
	/* a handler that ignores such a body: the connection is closed, not reused */
	head = "PUT /json HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
	write_all(fd, head, strlen(head));
	raw_read_response(fd, &rr);
	assert_int_equal(rr.status, 200);
	size_t len;
	free(raw_read_all(fd, 3000, &len));
	assert_int_equal(len, 0);
	close(fd);
	srv_stop(v);
}

static void test_hijack(void **state)
{
	struct srv *v = srv_start(NULL);
	struct hclient *c = client(v);
	struct hclient_req q = { .method = "POST", .target = "/hijack", .body_fd = -1, .upgrade = true,
				 .content_type = "text/plain" };
	struct hclient_resp *r = NULL;
	assert_int_equal(hclient_do(c, &q, &r, NULL), 0);
	assert_int_equal(hclient_resp_status(r), 101);
	assert_string_equal(hclient_resp_header(r, "Connection"), "Upgrade");
	assert_string_equal(hclient_resp_header(r, "Upgrade"), "tcp");
	assert_string_equal(hclient_resp_header(r, "Content-Type"), "application/vnd.docker.raw-stream");
	assert_string_equal(hclient_resp_header(r, "Api-Version"), "1.44");
	int fd;
	char *buf;
	size_t len;
	assert_int_equal(hclient_resp_hijack(r, &fd, &buf, &len), 0);
	free(buf);
	hclient_resp_free(r);
	write_all(fd, "ping", 4);
	shutdown(fd, SHUT_WR); /* stdin done; output keeps coming */
	char *out = raw_read_all(fd, 5000, NULL);
	assert_string_equal(out, "pingbye");
	free(out);
	close(fd);
	/* the client is usable again (on a new connection) */
	json_req(c, "/json", NULL);
	hclient_free(c);

	/* without Upgrade: 200 OK, then raw bytes, which may come right away */
	fd = raw_connect(v);
	const char *req2 = "POST /hijack HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nearly";
	write_all(fd, req2, strlen(req2));
	shutdown(fd, SHUT_WR);
	out = raw_read_all(fd, 5000, NULL);
	assert_true(strncmp(out, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_null(strstr(out, "Content-Length"));
	assert_null(strstr(out, "Transfer-Encoding"));
	const char *body = strstr(out, "\r\n\r\n");
	assert_string_equal(body + 4, "earlybye");
	free(out);
	close(fd);
	srv_stop(v);
}

struct bg_req {
	struct srv *v;
	const char *target;
	int status;
	uint64_t took;
};

static void *bg_request(void *arg)
{
	struct bg_req *b = arg;
	struct hclient *c = NULL;
	if (hclient_connect(b->v->sock, &c, NULL) < 0)
		return NULL;
	uint64_t t0 = now_ms();
	struct hclient_req q = { .method = "GET", .target = b->target, .body_fd = -1 };
	struct hclient_resp *r = NULL;
	if (hclient_do(c, &q, &r, NULL) == 0) {
		b->status = hclient_resp_status(r);
		hclient_resp_free(r);
	}
	b->took = now_ms() - t0;
	hclient_free(c);
	return NULL;
}

static void test_concurrency(void **state)
{
	struct srv *v = srv_start(NULL);
	release_block = false;
	block_exit = 0;
	struct hclient *c = client(v);
	struct hclient_resp *stream = do_req(c, "GET", "/block", NULL);
	char buf[64];
	assert_true(hclient_resp_read(stream, buf, sizeof(buf)) > 0);
	/* a blocked stream does not hold up other requests */
	struct hclient *c2 = client(v);
	json_req(c2, "/json", NULL);
	/* slow handlers run side by side */
	struct bg_req bg[4];
	pthread_t t[4];
	uint64_t t0 = now_ms();
	for (int i = 0; i < 4; i++) {
		bg[i] = (struct bg_req){ .v = v, .target = "/slow" };
		pthread_create(&t[i], NULL, bg_request, &bg[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(bg[i].status, 200);
	}
	assert_true(now_ms() - t0 < 1100);
	release_block = true;
	char *rest = NULL;
	size_t len;
	assert_int_equal(hclient_resp_read_all(stream, &rest, &len), 0);
	free(rest);
	hclient_resp_free(stream);
	assert_int_equal(block_exit, 1);
	hclient_free(c2);
	hclient_free(c);
	srv_stop(v);
}

static void test_peer_gone(void **state)
{
	struct srv *v = srv_start(NULL);
	release_block = false;
	block_exit = 0;
	struct hclient *c = client(v);
	struct hclient_resp *stream = do_req(c, "GET", "/block", NULL);
	char buf[64];
	assert_true(hclient_resp_read(stream, buf, sizeof(buf)) > 0);
	hclient_free(c); /* closes the connection mid-stream */
	hclient_resp_free(stream);
	uint64_t end = now_ms() + 5000;
	while (block_exit == 0 && now_ms() < end)
		sleep_ms(10);
	assert_true(block_exit == 2 || block_exit == 3);
	srv_stop(v);
}

static void test_shutdown_with_stream(void **state)
{
	struct srv *v = srv_start(NULL);
	v->shutdown_ms = 300;
	release_block = false;
	block_exit = 0;
	/* a raw client that reads one chunk and then nothing: the handler ends
	 * up blocked in a write once the socket buffers fill */
	int fd = raw_connect(v);
	int small = 4096;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	write_all(fd, "GET /block HTTP/1.1\r\n\r\n", 23);
	char buf[256];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_true(read(fd, buf, sizeof(buf)) > 0);
	/* an idle kept-alive connection too */
	struct hclient *c = client(v);
	json_req(c, "/json", NULL);
	uint64_t t0 = now_ms();
	srv_stop(v);
	uint64_t took = now_ms() - t0;
	assert_true(took < 2500);
	uint64_t end = now_ms() + 3000;
	while (block_running > 0 && now_ms() < end)
		sleep_ms(10);
	assert_int_equal(block_running, 0);
	assert_true(block_exit == 2 || block_exit == 3);
	/* the idle client finds its connection closed and cannot reconnect */
	struct hclient_req q = { .method = "GET", .target = "/json", .body_fd = -1 };
	struct hclient_resp *r = NULL;
	struct berr err = { 0 };
	assert_true(hclient_do(c, &q, &r, &err) < 0);
	assert_int_equal(err.kind, BERR_UNAVAILABLE);
	berr_clear(&err);
	hclient_free(c);
	close(fd);
}

static uint64_t cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

/* Out of fds, the server neither spins on the pending connection nor loses
 * it: it accepts once fds are available again. */
static void test_accept_out_of_fds(void **state)
{
	struct srv *v = srv_start(NULL);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	str_copy(sa.sun_path, sizeof(sa.sun_path), v->sock);
	struct rlimit old;
	getrlimit(RLIMIT_NOFILE, &old);
	int lowest = dup(0);
	close(lowest);
	struct rlimit low = { (rlim_t)lowest, old.rlim_max };
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	uint64_t cpu0 = cpu_ms();
	sleep_ms(400);
	uint64_t spent = cpu_ms() - cpu0;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	if (spent > 200)
		fail_msg("server spun for %llu ms of CPU while out of fds", (unsigned long long)spent);
	write_all(fd, "GET /json HTTP/1.1\r\n\r\n", 22);
	struct raw_resp rr;
	raw_read_response(fd, &rr);
	assert_int_equal(rr.status, 200);
	close(fd);
	srv_stop(v);
}

/* A one-shot TCP peer with a canned reply, for the client alone. */
struct canned {
	int lfd;
	int port;
	const char *reply; /* NULL: read the request, then stay silent */
	char request[4096];
	pthread_t t;
};

static void *canned_thread(void *arg)
{
	struct canned *k = arg;
	struct pollfd p = { .fd = k->lfd, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1)
		return NULL;
	int fd = accept4(k->lfd, NULL, NULL, SOCK_CLOEXEC);
	size_t n = 0;
	while (n < sizeof(k->request) - 1 && !strstr(k->request, "\r\n\r\n")) {
		struct pollfd q = { .fd = fd, .events = POLLIN };
		if (poll(&q, 1, 5000) != 1)
			break;
		ssize_t r = read(fd, k->request + n, sizeof(k->request) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (k->reply)
		write_all(fd, k->reply, strlen(k->reply));
	else
		free(raw_read_all(fd, 3000, NULL));
	close(fd);
	return NULL;
}

static void canned_start(struct canned *k, const char *reply)
{
	memset(k, 0, sizeof(*k));
	k->reply = reply;
	k->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(k->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t sl = sizeof(sa);
	getsockname(k->lfd, (struct sockaddr *)&sa, &sl);
	k->port = ntohs(sa.sin_port);
	assert_int_equal(listen(k->lfd, 4), 0);
	pthread_create(&k->t, NULL, canned_thread, k);
}

static struct hclient *canned_client(struct canned *k, unsigned timeout_ms)
{
	char host[64];
	snprintf(host, sizeof(host), "tcp://127.0.0.1:%d", k->port);
	struct hclient *c = NULL;
	assert_int_equal(hclient_connect(host, &c, NULL), 0);
	hclient_set_timeout(c, timeout_ms);
	return c;
}

static void canned_end(struct canned *k)
{
	pthread_join(k->t, NULL);
	close(k->lfd);
}

static void test_client_tcp(void **state)
{
	struct canned k;
	/* a body up to EOF, and the Host header for tcp */
	canned_start(&k, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end");
	struct hclient *c = canned_client(&k, 5000);
	struct hclient_resp *r = do_req(c, "GET", "/version", NULL);
	char *b = read_body(r);
	assert_string_equal(b, "until the end");
	free(b);
	hclient_resp_free(r);
	canned_end(&k);
	char want[64];
	snprintf(want, sizeof(want), "\r\nHost: 127.0.0.1:%d\r\n", k.port);
	assert_non_null(strstr(k.request, "GET /version HTTP/1.1\r\n"));
	assert_non_null(strstr(k.request, want));
	hclient_free(c);

	/* a 200 to an upgrade request: raw bytes right after the head are kept */
	canned_start(&k, "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\nearly output");
	c = canned_client(&k, 5000);
	struct hclient_req q = { .method = "POST", .target = "/attach", .body_fd = -1, .upgrade = true };
	assert_int_equal(hclient_do(c, &q, &r, NULL), 0);
	assert_int_equal(hclient_resp_status(r), 200);
	int fd;
	char *buf;
	size_t len;
	assert_int_equal(hclient_resp_hijack(r, &fd, &buf, &len), 0);
	hclient_resp_free(r);
	char *more = raw_read_all(fd, 3000, NULL);
	size_t total = len + strlen(more);
	char *all = malloc(total + 1);
	memcpy(all, buf, len);
	memcpy(all + len, more, strlen(more) + 1);
	assert_string_equal(all, "early output");
	free(all);
	free(more);
	free(buf);
	close(fd);
	canned_end(&k);
	assert_non_null(strstr(k.request, "\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"));
	assert_non_null(strstr(k.request, "\r\nContent-Length: 0\r\n"));
	hclient_free(c);

	/* a silent daemon: the read timeout ends the wait */
	canned_start(&k, NULL);
	c = canned_client(&k, 200);
	q = (struct hclient_req){ .method = "GET", .target = "/events", .body_fd = -1 };
	struct berr err = { 0 };
	uint64_t t0 = now_ms();
	assert_true(hclient_do(c, &q, &r, &err) < 0);
	assert_true(now_ms() - t0 < 2000);
	assert_int_equal(err.errnum, ETIMEDOUT);
	berr_clear(&err);
	hclient_free(c);
	canned_end(&k);

	/* a body cut short is an error, not a short success */
	canned_start(&k, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
	c = canned_client(&k, 5000);
	r = do_req(c, "GET", "/x", NULL);
	char *body = NULL;
	assert_true(hclient_resp_read_all(r, &body, &len) < 0);
	hclient_resp_free(r);
	hclient_free(c);
	canned_end(&k);
}

static void test_listen_and_connect_errors(void **state)
{
	struct hclient *c = NULL;
	struct berr err = { 0 };
	assert_true(hclient_connect("unix:///nonexistent/berth.sock", &c, &err) < 0);
	assert_int_equal(err.kind, BERR_UNAVAILABLE);
	assert_int_equal(err.errnum, ENOENT);
	berr_clear(&err);
	assert_true(hclient_connect("nonsense", &c, &err) < 0);
	assert_int_equal(err.kind, BERR_INVALID);
	berr_clear(&err);
	assert_true(hclient_connect("tcp://127.0.0.1:1", &c, &err) < 0);
	assert_int_equal(err.kind, BERR_UNAVAILABLE);
	berr_clear(&err);

	/* a stale socket file is replaced; a regular file is not */
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct httpd *s;
	assert_int_equal(httpd_new(&loop, NULL, handler, NULL, &s), 0);
	char dir[] = "/tmp/berth-listen-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/s.sock", dir);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	str_copy(sa.sun_path, sizeof(sa.sun_path), path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	assert_int_equal(httpd_listen_unix(s, path, 0600, getgid(), &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char file[160];
	snprintf(file, sizeof(file), "%s/file", dir);
	close(open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	assert_true(httpd_listen_unix(s, file, 0600, (gid_t)-1, &err) < 0);
	berr_clear(&err);
	httpd_shutdown(s, 100);
	httpd_free(s);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
	assert_int_equal(access(path, F_OK), -1);
	unlink(file);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepalive_reuse),
		cmocka_unit_test(test_stream_chunks),
		cmocka_unit_test(test_chunked_upload),
		cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_head_timeout),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_errors_and_defaults),
		cmocka_unit_test(test_continue),
		cmocka_unit_test(test_hijack),
		cmocka_unit_test(test_concurrency),
		cmocka_unit_test(test_peer_gone),
		cmocka_unit_test(test_shutdown_with_stream),
		cmocka_unit_test(test_accept_out_of_fds),
		cmocka_unit_test(test_client_tcp),
		cmocka_unit_test(test_listen_and_connect_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
