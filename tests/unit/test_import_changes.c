/* test_import_changes.c - the Dockerfile instructions of `docker import -c`
 * / `docker commit -c` turned into image config fields, with moby's forms
 * (JSON and shell CMD/ENTRYPOINT, ENV/LABEL pairs and legacy forms, EXPOSE
 * ranges and protocols, VOLUME lists) and errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/changes.h"

/* Parse the changes (a NULL-terminated list) and compare the result with want (JSON). */
static void expect(const char *want, char *const *changes)
{
	_cleanup_berr_ struct berr err = { 0 };
	json_t *got = NULL;
	int r = changes_parse(changes, &got, &err);
	if (r < 0)
		fail_msg("changes_parse: %s", err.msg);
	json_t *w = json_loads(want, 0, NULL);
	assert_non_null(w);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("got %s, want %s", g, want);
	}
	json_decref(got);
	json_decref(w);
}

#define C(...) ((char *const[]){ __VA_ARGS__, NULL })

static void expect_error(const char *want, char *const *changes)
{
	_cleanup_berr_ struct berr err = { 0 };
	json_t *got = NULL;
	assert_true(changes_parse(changes, &got, &err) < 0);
	assert_null(got);
	assert_int_equal(err.kind, BERR_INVALID);
	if (!strstr(err.msg, want))
		fail_msg("\"%s\" does not contain \"%s\"", err.msg, want);
}

static void test_none(void **state)
{
	expect("{}", NULL);
	expect("{}", C(""));
	expect("{}", C("   ", "# a comment"));
}

static void test_cmd_entrypoint(void **state)
{
	expect("{\"Cmd\":[\"sh\"]}", C("CMD [\"sh\"]"));
	expect("{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo hi && ls\"]}", C("CMD echo hi && ls"));
	expect("{\"Cmd\":[]}", C("cmd []")); /* instruction names are case-insensitive */
	/* Not a JSON array of strings: shell form, as Docker does. */
	expect("{\"Cmd\":[\"/bin/sh\",\"-c\",\"[1, 2]\"]}", C("CMD [1, 2]"));
	expect("{\"Entrypoint\":[\"/init\"],\"Cmd\":null}", C("ENTRYPOINT [\"/init\"]"));
	expect("{\"Entrypoint\":[\"/bin/sh\",\"-c\",\"exec app\"],\"Cmd\":[\"x\"]}",
	       C("CMD [\"x\"]", "ENTRYPOINT exec app"));
	/* Later instructions win. */
	expect("{\"Cmd\":[\"b\"]}", C("CMD [\"a\"]", "CMD [\"b\"]"));
}

static void test_env_label(void **state)
{
	expect("{\"Env\":[\"A=1\",\"B=two words\",\"C=x\\\"y\"]}", C("ENV A=1 B=\"two words\" C=x\\\"y"));
	expect("{\"Env\":[\"PATH=/usr/bin with spaces\"]}", C("ENV PATH /usr/bin with spaces"));
	expect("{\"Env\":[\"A=2\",\"B=1\"]}", C("ENV A=1", "ENV B=1", "ENV A=2"));
	expect("{\"Labels\":{\"a\":\"1\",\"b c\":\"d e\"}}", C("LABEL a=1 \"b c\"='d e'"));
	expect("{\"Env\":[\"A=\"]}", C("ENV A="));
	expect_error("Syntax error - can't find = in \"B\"", C("ENV A=1 B"));
	expect_error("ENV requires at least one argument", C("ENV"));
	expect_error("ENV must have two arguments", C("ENV A"));
}

static void test_expose(void **state)
{
	expect("{\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{},\"8000/tcp\":{},\"8001/tcp\":{},\"8002/tcp\":{}}}",
	       C("EXPOSE 80 53/UDP 8000-8002/tcp"));
	expect_error("invalid port \"http\"", C("EXPOSE http"));
	expect_error("invalid port \"70000\"", C("EXPOSE 70000"));
	expect_error("invalid port \"80/icmp\"", C("EXPOSE 80/icmp"));
	expect_error("EXPOSE requires at least one argument", C("EXPOSE"));
}

static void test_volume_user_workdir_signal_onbuild(void **state)
{
	expect("{\"Volumes\":{\"/a\":{},\"/b\":{}}}", C("VOLUME [\"/a\", \"/b\"]"));
	expect("{\"Volumes\":{\"/a\":{},\"/b\":{}}}", C("VOLUME /a /b"));
	expect("{\"User\":\"1000:1000\"}", C("USER 1000:1000"));
	expect("{\"WorkingDir\":\"/srv/app\"}", C("WORKDIR /srv", "WORKDIR app"));
	expect("{\"WorkingDir\":\"/app\"}", C("WORKDIR app"));
	expect("{\"WorkingDir\":\"/x\"}", C("WORKDIR /srv", "WORKDIR /x"));
	expect("{\"StopSignal\":\"SIGQUIT\"}", C("STOPSIGNAL SIGQUIT"));
	expect("{\"OnBuild\":[\"RUN make\",\"COPY . /src\"]}", C("ONBUILD RUN make", "ONBUILD COPY . /src"));
	expect_error("VOLUME specified can not be an empty string", C("VOLUME [\"\"]"));
	expect_error("USER requires exactly one argument", C("USER"));
	expect_error("ONBUILD isn't allowed as an ONBUILD trigger", C("ONBUILD ONBUILD RUN x"));
	expect_error("FROM isn't allowed as an ONBUILD trigger", C("ONBUILD from busybox"));
}

static void test_multiline_and_invalid(void **state)
{
	expect("{\"Cmd\":[\"sh\"],\"Env\":[\"A=1\"]}", C("CMD [\"sh\"]\nENV A=1"));
	expect_error("RUN is not a valid change command", C("RUN make"));
	expect_error("FROM is not a valid change command", C("FROM busybox"));
	expect_error("FOO is not a valid change command", C("CMD [\"sh\"]", "FOO bar"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_cmd_entrypoint),
		cmocka_unit_test(test_env_label),
		cmocka_unit_test(test_expose),
		cmocka_unit_test(test_volume_user_workdir_signal_onbuild),
		cmocka_unit_test(test_multiline_and_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
