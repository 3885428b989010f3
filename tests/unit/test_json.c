/* test_json.c - src/common/json.c: parsing with positioned errors and the
 * optional getters with their "where.key: expected ..." messages. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "common/json.h"

static json_t *doc;

static int setup_doc(void **state)
{
	static const char text[] =
		"{\"s\":\"str\",\"b\":true,\"i\":-5,\"u\":7,\"big\":9223372036854775807,\"r\":1.5,"
		"\"v\":[\"a\",\"b\"],\"vbad\":[\"a\",2],\"o\":{\"k\":1},\"a\":[1,2],\"n\":null}";
	struct berr err = { 0 };
	return json_parse(text, sizeof(text) - 1, "doc", &doc, &err);
}

static int teardown_doc(void **state)
{
	json_decref(doc);
	return 0;
}

static void assert_err(struct berr *err, const char *msg)
{
	assert_true(berr_isset(err));
	assert_int_equal(err->kind, BERR_INVALID);
	assert_int_equal(berr_code(err), -EINVAL);
	if (!err->msg || strcmp(err->msg, msg) != 0)
		fail_msg("got %s, want %s", err->msg ? err->msg : "(none)", msg);
	berr_clear(err);
}

static void test_parse(void **state)
{
	_cleanup_berr_ struct berr err = { 0 };
	json_t *j = (json_t *)&err; /* must stay untouched on failure */
	static const char bad[] = "{\"a\":1,\n \"b\": }";
	assert_int_equal(json_parse(bad, sizeof(bad) - 1, "config.json", &j, &err), -EINVAL);
	assert_ptr_equal(j, &err);
	assert_non_null(err.msg);
	assert_true(str_startswith(err.msg, "config.json: invalid JSON at line 2 column 7: "));
	berr_clear(&err);

	static const char dup[] = "{\"a\":1,\"a\":2}";
	assert_int_equal(json_parse(dup, sizeof(dup) - 1, "x", &j, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "duplicate"));
	berr_clear(&err);

	/* Length-bounded: the trailing garbage is not part of the buffer. */
	static const char part[] = "[1]garbage";
	assert_int_equal(json_parse(part, 3, "x", &j, &err), 0);
	assert_true(json_is_array(j));
	json_decref(j);
}

static void test_load_path(void **state)
{
	_cleanup_berr_ struct berr err = { 0 };
	json_t *j = NULL;
	assert_int_equal(json_load_path("/nonexistent/berth.json", &j, &err), -ENOENT);
	assert_int_equal(err.kind, BERR_NOT_FOUND);
	assert_string_equal(err.msg, "reading /nonexistent/berth.json: No such file or directory");
	assert_null(j);
	berr_clear(&err);

	char path[] = "/tmp/berth-test-json-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, "{\"ok\":true}", 11), 0);
	close(fd);
	assert_int_equal(json_load_path(path, &j, &err), 0);
	assert_true(json_is_true(json_object_get(j, "ok")));
	json_decref(j);

	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_int_equal(write_all(fd, "nope", 4), 0);
	close(fd);
	assert_int_equal(json_load_path(path, &j, &err), -EINVAL);
	assert_true(str_startswith(err.msg, path));
	unlink(path);
}

static void test_string(void **state)
{
	struct berr err = { 0 };
	_cleanup_free_ char *s = NULL;
	assert_int_equal(json_opt_string(doc, "s", "w", &s, &err), 0);
	assert_string_equal(s, "str");
	/* Missing and null leave the value alone. */
	assert_int_equal(json_opt_string(doc, "missing", "w", &s, &err), 0);
	assert_int_equal(json_opt_string(doc, "n", "w", &s, &err), 0);
	assert_string_equal(s, "str");
	/* A second hit replaces (and frees) the old value. */
	assert_int_equal(json_opt_string(doc, "s", "w", &s, &err), 0);
	assert_string_equal(s, "str");
	assert_int_equal(json_opt_string(doc, "i", "process.user", &s, &err), -EINVAL);
	assert_err(&err, "process.user.i: expected a string");
	assert_string_equal(s, "str");
	/* Empty or no where: just the key. */
	assert_int_equal(json_opt_string(doc, "b", "", &s, &err), -EINVAL);
	assert_err(&err, "b: expected a string");
	assert_int_equal(json_opt_string(doc, "b", NULL, &s, &err), -EINVAL);
	assert_err(&err, "b: expected a string");
}

static void test_bool(void **state)
{
	struct berr err = { 0 };
	bool b = false;
	assert_int_equal(json_opt_bool(doc, "b", "w", &b, &err), 0);
	assert_true(b);
	b = false;
	assert_int_equal(json_opt_bool(doc, "missing", "w", &b, &err), 0);
	assert_false(b);
	assert_int_equal(json_opt_bool(doc, "s", "w", &b, &err), -EINVAL);
	assert_err(&err, "w.s: expected true or false");
	assert_int_equal(json_opt_bool(doc, "i", "w", &b, &err), -EINVAL);
	assert_err(&err, "w.i: expected true or false");
}

static void test_ints(void **state)
{
	struct berr err = { 0 };
	int64_t i = 0;
	assert_int_equal(json_opt_int64(doc, "i", "w", &i, &err), 0);
	assert_int_equal(i, -5);
	assert_int_equal(json_opt_int64(doc, "big", "w", &i, &err), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(json_opt_int64(doc, "missing", "w", &i, &err), 0);
	assert_true(i == INT64_MAX);
	assert_int_equal(json_opt_int64(doc, "r", "w", &i, &err), -EINVAL);
	assert_err(&err, "w.r: expected an integer");
	assert_int_equal(json_opt_int64(doc, "s", "w", &i, &err), -EINVAL);
	assert_err(&err, "w.s: expected an integer");

	uint64_t u = 0;
	assert_int_equal(json_opt_uint64(doc, "u", "w", &u, &err), 0);
	assert_true(u == 7);
	assert_int_equal(json_opt_uint64(doc, "n", "w", &u, &err), 0);
	assert_true(u == 7);
	assert_int_equal(json_opt_uint64(doc, "i", "w", &u, &err), -EINVAL);
	assert_err(&err, "w.i: expected a non-negative integer");
	assert_int_equal(json_opt_uint64(doc, "r", "w", &u, &err), -EINVAL);
	assert_err(&err, "w.r: expected a non-negative integer");
	assert_true(u == 7);
}

static void test_strv(void **state)
{
	struct berr err = { 0 };
	_cleanup_strv_free_ char **v = NULL;
	assert_int_equal(json_opt_strv(doc, "missing", "w", &v, &err), 0);
	assert_null(v);
	assert_int_equal(json_opt_strv(doc, "v", "w", &v, &err), 0);
	assert_int_equal(strv_length(v), 2);
	assert_string_equal(v[1], "b");
	assert_int_equal(json_opt_strv(doc, "vbad", "process.args", &v, &err), -EINVAL);
	assert_err(&err, "process.args.vbad[1]: expected a string");
	assert_int_equal(strv_length(v), 2); /* the earlier value survives */
	assert_int_equal(json_opt_strv(doc, "s", "w", &v, &err), -EINVAL);
	assert_err(&err, "w.s: expected an array of strings");

	/* An empty array is an empty strv, not NULL. */
	_cleanup_json_ json_t *e = json_pack("{s:[]}", "x");
	_cleanup_strv_free_ char **ev = NULL;
	assert_int_equal(json_opt_strv(e, "x", "w", &ev, &err), 0);
	assert_non_null(ev);
	assert_null(ev[0]);
}

static void test_object_array(void **state)
{
	struct berr err = { 0 };
	json_t *o = NULL, *a = NULL;
	assert_int_equal(json_opt_object(doc, "o", "w", &o, &err), 0);
	assert_ptr_equal(o, json_object_get(doc, "o"));
	assert_int_equal(json_opt_array(doc, "a", "w", &a, &err), 0);
	assert_int_equal(json_array_size(a), 2);
	o = a = NULL;
	assert_int_equal(json_opt_object(doc, "n", "w", &o, &err), 0);
	assert_int_equal(json_opt_array(doc, "missing", "w", &a, &err), 0);
	assert_null(o);
	assert_null(a);
	assert_int_equal(json_opt_object(doc, "a", "linux", &o, &err), -EINVAL);
	assert_err(&err, "linux.a: expected an object");
	assert_int_equal(json_opt_array(doc, "o", "linux", &a, &err), -EINVAL);
	assert_err(&err, "linux.o: expected an array");
	assert_null(o);
	assert_null(a);

	/* The getters also accept a non-object parent: the key is missing. */
	assert_int_equal(json_opt_object(a, "x", "w", &o, &err), 0);
}

static void test_first_error_wins(void **state)
{
	struct berr err = { 0 };
	bool b;
	int64_t i;
	assert_int_equal(json_opt_bool(doc, "s", "first", &b, &err), -EINVAL);
	assert_int_equal(json_opt_int64(doc, "s", "second", &i, &err), -EINVAL);
	assert_err(&err, "first.s: expected true or false");
}

static void test_dump(void **state)
{
	_cleanup_json_ json_t *j = json_pack("{s:i,s:[s]}", "a", 1, "b", "x");
	_cleanup_free_ char *s = json_dump_compact(j);
	assert_non_null(s);
	assert_string_equal(s, "{\"a\":1,\"b\":[\"x\"]}");
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),         cmocka_unit_test(test_load_path),
		cmocka_unit_test(test_string),        cmocka_unit_test(test_bool),
		cmocka_unit_test(test_ints),          cmocka_unit_test(test_strv),
		cmocka_unit_test(test_object_array),  cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_dump),
	};
	return cmocka_run_group_tests(tests, setup_doc, teardown_doc);
}
