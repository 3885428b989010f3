/* test_router.c - berthd's API plumbing that needs no server: route
 * matching (greedy image names with '/' and ':'), API version parsing and
 * limits with moby's texts, the filters parameter in both encodings, API
 * time values, and the event bus (replay, wait, filters). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/events.h"
#include "daemon/filters.h"
#include "daemon/router.h"

static int h_list(struct api_call *c, struct berr *e) { return 1; }
static int h_inspect(struct api_call *c, struct berr *e) { return 2; }
static int h_tag(struct api_call *c, struct berr *e) { return 3; }
static int h_delete(struct api_call *c, struct berr *e) { return 4; }
static int h_get(struct api_call *c, struct berr *e) { return 5; }
static int h_exec(struct api_call *c, struct berr *e) { return 6; }

static const struct route tab[] = {
	{ "GET", "/images/json", h_list },
	{ "GET", "/images/get", h_get },
	{ "GET", "/images/{name:.*}/json", h_inspect },
	{ "POST", "/images/{name:.*}/tag", h_tag },
	{ "DELETE", "/images/{name:.*}", h_delete },
	{ "POST", "/exec/{id}/start", h_exec },
};

/* The handler's number for method+path, or 0; *name gets param "name"/"id". */
static int route_of(const char *method, const char *path, char **name)
{
	struct route_match m = { 0 };
	if (!router_match(tab, ARRAY_SIZE(tab), method, path, &m))
		return 0;
	int n = m.route->fn(NULL, NULL);
	if (name)
		*name = m.n_params ? strdup(m.params[0].value) : NULL;
	route_match_release(&m);
	return n;
}

static void expect_route(const char *method, const char *path, int want, const char *want_name)
{
	char *name = NULL;
	assert_int_equal(route_of(method, path, &name), want);
	if (want_name)
		assert_string_equal(name, want_name);
	else
		assert_null(name);
	free(name);
}

static void test_fixed_routes(void **state)
{
	expect_route("GET", "/images/json", 1, NULL);
	expect_route("GET", "/images/get", 5, NULL);
	assert_int_equal(route_of("POST", "/images/json", NULL), 0); /* method matters */
	assert_int_equal(route_of("GET", "/images/json/", NULL), 0);
	assert_int_equal(route_of("GET", "/images", NULL), 0);
	assert_int_equal(route_of("GET", "/nope", NULL), 0);
	assert_int_equal(route_of("GET", "", NULL), 0);
}

static void test_greedy_names(void **state)
{
	expect_route("GET", "/images/busybox/json", 2, "busybox");
	expect_route("GET", "/images/busybox:latest/json", 2, "busybox:latest");
	expect_route("GET", "/images/docker.io/library/busybox/json", 2, "docker.io/library/busybox");
	expect_route("GET", "/images/localhost:5000/a/b:v1/json", 2, "localhost:5000/a/b:v1");
	expect_route("GET", "/images/sha256:abcdef/json", 2, "sha256:abcdef");
	/* A name may itself end in "json": the longest match wins. */
	expect_route("GET", "/images/me/json/json", 2, "me/json");
	expect_route("POST", "/images/localhost:5000/bb/tag", 3, "localhost:5000/bb");
	expect_route("DELETE", "/images/localhost:5000/bb", 4, "localhost:5000/bb");
	expect_route("DELETE", "/images/busybox", 4, "busybox");
	/* An empty name does not match. */
	assert_int_equal(route_of("GET", "/images//json", NULL), 0);
	assert_int_equal(route_of("DELETE", "/images/", NULL), 0);
}

static void test_single_segment_param(void **state)
{
	expect_route("POST", "/exec/abc123/start", 6, "abc123");
	assert_int_equal(route_of("POST", "/exec/a/b/start", NULL), 0);
	assert_int_equal(route_of("POST", "/exec//start", NULL), 0);
}

static void test_parse_version(void **state)
{
	unsigned v;
	assert_int_equal(router_parse_version("1.44", 4, &v), 0);
	assert_int_equal(v, API_V(1, 44));
	assert_int_equal(router_parse_version("1.4", 3, &v), 0);
	assert_int_equal(v, API_V(1, 4)); /* numeric, so 1.4 < 1.24 */
	assert_true(v < API_MIN_V);
	assert_int_equal(router_parse_version("2", 1, &v), 0);
	assert_int_equal(v, API_V(2, 0));
	assert_int_equal(router_parse_version("1.x", 3, &v), -EINVAL);
	assert_int_equal(router_parse_version("", 0, &v), -EINVAL);
	assert_int_equal(router_parse_version("..", 2, &v), -EINVAL);
}

static void test_split_version(void **state)
{
	unsigned v;
	const char *rest;
	char text[16];
	router_split_version("/v1.40/images/json", &v, &rest, text);
	assert_int_equal(v, API_V(1, 40));
	assert_string_equal(rest, "/images/json");
	assert_string_equal(text, "1.40");
	router_split_version("/version", &v, &rest, text); /* "/v" + "ersion" is not a version */
	assert_int_equal(v, API_MAX_V);
	assert_string_equal(rest, "/version");
	assert_string_equal(text, "");
	router_split_version("/_ping", &v, &rest, text);
	assert_string_equal(rest, "/_ping");
	router_split_version("/v1.44/_ping", &v, &rest, text);
	assert_string_equal(rest, "/_ping");
	router_split_version("/v1.44", &v, &rest, text);
	assert_string_equal(rest, "");
}

static void test_version_limits(void **state)
{
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(router_check_version(API_V(1, 24), "1.24", &err), 0);
	assert_int_equal(router_check_version(API_V(1, 44), "1.44", &err), 0);
	assert_true(router_check_version(API_V(1, 20), "1.20", &err) < 0);
	assert_int_equal(err.kind, BERR_INVALID);
	assert_string_equal(err.msg, "client version 1.20 is too old. Minimum supported API version is 1.24, "
				     "please upgrade your client to a newer version");
	berr_clear(&err);
	assert_true(router_check_version(API_V(1, 45), "1.45", &err) < 0);
	assert_string_equal(err.msg, "client version 1.45 is too new. Maximum supported API version is 1.44");
}

/* ---- filters ---- */

static void test_filters_both_encodings(void **state)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct api_filters a = { 0 }, b = { 0 };
	assert_int_equal(api_filters_parse("{\"label\":{\"a=b\":true,\"c\":true},\"dangling\":{\"true\":true}}", &a, &err), 0);
	assert_int_equal(api_filters_parse("{\"label\":[\"a=b\",\"c\"],\"dangling\":[\"true\"]}", &b, &err), 0);
	for (struct api_filters *f = &a; f; f = f == &a ? &b : NULL) {
		char *const *l = api_filters_get(f, "label");
		assert_non_null(l);
		assert_int_equal(strv_length(l), 2);
		assert_true(strv_contains(l, "a=b") && strv_contains(l, "c"));
		int d;
		assert_int_equal(api_filters_bool(f, "dangling", &d, &err), 0);
		assert_int_equal(d, 1);
		assert_null(api_filters_get(f, "before"));
		json_t *labels = json_pack("{s:s, s:s}", "a", "b", "c", "");
		assert_true(api_filters_match_labels(f, "label", labels));
		json_object_set_new(labels, "a", json_string("x"));
		assert_false(api_filters_match_labels(f, "label", labels));
		json_decref(labels);
	}
	api_filters_release(&a);
	api_filters_release(&b);
}

static void test_filters_errors(void **state)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct api_filters f = { 0 };
	assert_true(api_filters_parse("{not-json", &f, &err) < 0);
	assert_int_equal(err.kind, BERR_INVALID);
	assert_non_null(strstr(err.msg, "invalid filters"));
	berr_clear(&err);
	assert_true(api_filters_parse("[1]", &f, &err) < 0);
	berr_clear(&err);
	assert_true(api_filters_parse("{\"label\":5}", &f, &err) < 0);
	berr_clear(&err);
	assert_int_equal(api_filters_parse("{\"colour\":[\"red\"],\"dangling\":[\"maybe\"]}", &f, &err), 0);
	static const char *const keys[] = { "dangling", "label", NULL };
	assert_true(api_filters_validate(&f, keys, &err) < 0);
	assert_string_equal(err.msg, "invalid filter 'colour'");
	berr_clear(&err);
	int d;
	assert_true(api_filters_bool(&f, "dangling", &d, &err) < 0);
	assert_string_equal(err.msg, "invalid filter 'dangling=maybe'");
	api_filters_release(&f);
	assert_int_equal(api_filters_parse(NULL, &f, &err), 0);
	assert_int_equal(f.n, 0);
	assert_int_equal(api_filters_parse("", &f, &err), 0);
}

static void test_parse_time(void **state)
{
	_cleanup_berr_ struct berr err = { 0 };
	const int64_t now = 1700000000LL * 1000000000LL;
	int64_t t;
	assert_int_equal(api_parse_time("1700000000", now, &t, &err), 0);
	assert_int_equal(t, 1700000000LL * 1000000000LL);
	assert_int_equal(api_parse_time("1700000000.5", now, &t, &err), 0);
	assert_int_equal(t, 1700000000LL * 1000000000LL + 500000000);
	assert_int_equal(api_parse_time("1700000000.000000001", now, &t, &err), 0);
	assert_int_equal(t, 1700000000LL * 1000000000LL + 1);
	assert_int_equal(api_parse_time("10m", now, &t, &err), 0);
	assert_int_equal(t, now - 600LL * 1000000000LL);
	assert_int_equal(api_parse_time("1h30m", now, &t, &err), 0);
	assert_int_equal(t, now - 5400LL * 1000000000LL);
	assert_int_equal(api_parse_time("2023-11-14T22:13:20Z", now, &t, &err), 0);
	assert_int_equal(t, 1700000000LL * 1000000000LL);
	assert_int_equal(api_parse_time("2023-11-14T23:13:20.25+01:00", now, &t, &err), 0);
	assert_int_equal(t, 1700000000LL * 1000000000LL + 250000000);
	assert_int_equal(api_parse_time("2023-11-14", now, &t, &err), 0);
	assert_int_equal(t, 1699920000LL * 1000000000LL);
	assert_true(api_parse_time("yesterday", now, &t, &err) < 0);
	assert_string_equal(err.msg, "failed to parse value as time or duration: \"yesterday\"");
	berr_clear(&err);
	assert_true(api_parse_time("10x", now, &t, &err) < 0);
}

/* ---- events ---- */

static void test_events_shape_and_replay(void **state)
{
	struct events *ev = events_new();
	assert_non_null(ev);
	assert_int_equal(events_last_seq(ev), 0);
	uint64_t s1 = events_publish_at(ev, 1000000000123LL, "image", "tag", "sha256:aa",
					json_pack("{s:s}", "name", "busybox:latest"));
	uint64_t s2 = events_publish_at(ev, 2000000000000LL, "network", "create", "n1", NULL);
	assert_int_equal(s1, 1);
	assert_int_equal(s2, 2);
	json_t *got[8];
	uint64_t seqs[8];
	assert_int_equal(events_read(ev, 0, 0, got, seqs, 8), 2);
	char *s = json_dumps(got[0], JSON_COMPACT);
	assert_string_equal(s, "{\"status\":\"tag\",\"id\":\"sha256:aa\",\"Type\":\"image\",\"Action\":\"tag\","
			       "\"Actor\":{\"ID\":\"sha256:aa\",\"Attributes\":{\"name\":\"busybox:latest\"}},"
			       "\"scope\":\"local\",\"time\":1000,\"timeNano\":1000000000123}");
	free(s);
	/* No deprecated mirrors for other types. */
	assert_null(json_object_get(got[1], "status"));
	assert_int_equal(events_time_ns(got[1]), 2000000000000LL);
	json_decref(got[0]);
	json_decref(got[1]);
	assert_int_equal(events_read(ev, 2, 0, got, seqs, 8), 0);
	assert_int_equal(events_read(ev, 1, 0, got, seqs, 8), 1);
	assert_int_equal(seqs[0], 2);
	json_decref(got[0]);
	events_free(ev);
}

static void test_events_ring_drops_oldest(void **state)
{
	struct events *ev = events_new();
	for (int i = 0; i < EVENTS_RING + 10; i++)
		events_publish_at(ev, i, "image", "tag", "x", NULL);
	json_t *got[4];
	uint64_t seqs[4];
	assert_int_equal(events_read(ev, 0, 0, got, seqs, 4), 4);
	assert_int_equal(seqs[0], 11); /* the first 10 fell out of the ring */
	for (int i = 0; i < 4; i++)
		json_decref(got[i]);
	events_free(ev);
}

static void *publish_later(void *p)
{
	struct timespec ts = { 0, 50 * 1000000L };
	nanosleep(&ts, NULL);
	events_publish(p, "image", "delete", "sha256:bb", NULL);
	return NULL;
}

static void test_events_wait_and_close(void **state)
{
	struct events *ev = events_new();
	pthread_t t;
	json_t *got[2];
	uint64_t seqs[2];
	pthread_create(&t, NULL, publish_later, ev);
	assert_int_equal(events_read(ev, 0, 5000, got, seqs, 2), 1); /* woken by the publish */
	pthread_join(t, NULL);
	json_decref(got[0]);
	assert_int_equal(events_read(ev, 1, 10, got, seqs, 2), 0); /* timeout */
	events_close(ev);
	assert_int_equal(events_read(ev, 1, 5000, got, seqs, 2), -ESHUTDOWN);
	events_free(ev);
}

static bool passes(const json_t *e, const char *filters)
{
	struct api_filters f = { 0 };
	assert_int_equal(api_filters_parse(filters, &f, NULL), 0);
	bool ok = events_match(e, &f);
	api_filters_release(&f);
	return ok;
}

static void test_events_filters(void **state)
{
	struct events *ev = events_new();
	events_publish(ev, "image", "tag", "sha256:aa", json_pack("{s:s, s:s}", "name", "busybox:latest", "k", "v"));
	events_publish(ev, "container", "exec_start: sh -c x", "c1",
		       json_pack("{s:s, s:s}", "image", "busybox", "name", "web"));
	json_t *e[2];
	uint64_t seqs[2];
	assert_int_equal(events_read(ev, 0, 0, e, seqs, 2), 2);
	assert_true(passes(e[0], NULL));
	assert_true(passes(e[0], "{\"type\":{\"image\":true}}"));
	assert_false(passes(e[0], "{\"type\":[\"container\"]}"));
	assert_true(passes(e[0], "{\"event\":[\"tag\",\"untag\"]}"));
	assert_false(passes(e[0], "{\"event\":[\"delete\"]}"));
	assert_true(passes(e[0], "{\"image\":[\"busybox\"]}"));
	assert_true(passes(e[0], "{\"image\":[\"sha256:aa\"]}"));
	assert_false(passes(e[0], "{\"image\":[\"alpine\"]}"));
	assert_true(passes(e[0], "{\"label\":[\"k=v\"]}"));
	assert_false(passes(e[0], "{\"label\":[\"k=w\"]}"));
	assert_false(passes(e[0], "{\"container\":[\"web\"]}"));
	assert_true(passes(e[1], "{\"container\":[\"web\"]}"));
	assert_true(passes(e[1], "{\"event\":[\"exec_start\"]}"));
	assert_true(passes(e[1], "{\"image\":[\"busybox\"]}"));
	assert_string_equal(json_string_value(json_object_get(e[1], "from")), "busybox");
	json_decref(e[0]);
	json_decref(e[1]);
	events_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_routes),
		cmocka_unit_test(test_greedy_names),
		cmocka_unit_test(test_single_segment_param),
		cmocka_unit_test(test_parse_version),
		cmocka_unit_test(test_split_version),
		cmocka_unit_test(test_version_limits),
		cmocka_unit_test(test_filters_both_encodings),
		cmocka_unit_test(test_filters_errors),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_events_shape_and_replay),
		cmocka_unit_test(test_events_ring_drops_oldest),
		cmocka_unit_test(test_events_wait_and_close),
		cmocka_unit_test(test_events_filters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
