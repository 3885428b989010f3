/* test_daemon_config.c - berthd's flags, daemon.json and how they merge:
 * dockerd's flag names and forms, defaults derived from other settings,
 * and dockerd's errors for unknown keys and settings given twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "daemon/config.h"

#define ARGS(...) (char *[]){ "berthd", __VA_ARGS__, NULL }
#define NARGS(...) ((int)(sizeof((char *[]){ "berthd", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(cfg, err, ...) daemon_config_parse_args(cfg, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__), err)

static void test_defaults(void **state)
{
	struct daemon_config cfg = { 0 };
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(daemon_config_parse_args(&cfg, 1, (char *[]){ "berthd", NULL }, &err), 0);
	assert_int_equal(daemon_config_finish(&cfg, &err), 0);
	assert_string_equal(cfg.data_root, "/var/lib/berth");
	assert_string_equal(cfg.exec_root, "/run/berth");
	assert_string_equal(cfg.hosts[0], "unix:///run/berth/berth.sock");
	assert_null(cfg.hosts[1]);
	assert_string_equal(cfg.log_level, "info");
	assert_string_equal(cfg.log_format, "text");
	assert_null(cfg.group);
	daemon_config_release(&cfg);
}

static void test_flag_forms(void **state)
{
	struct daemon_config cfg = { 0 };
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(PARSE(&cfg, &err, "--data-root", "/d", "--exec-root=/e", "-H", "unix:///s1", "-Hunix:///s2",
			       "--host=unix:///s3", "-G", "staff", "--log-level", "debug"),
			 0);
	assert_int_equal(daemon_config_finish(&cfg, &err), 0);
	assert_string_equal(cfg.data_root, "/d");
	assert_string_equal(cfg.exec_root, "/e");
	assert_int_equal(strv_length(cfg.hosts), 3);
	assert_string_equal(cfg.hosts[1], "unix:///s2");
	assert_string_equal(cfg.group, "staff");
	assert_string_equal(cfg.log_level, "debug");
	daemon_config_release(&cfg);

	/* The default socket follows --exec-root. */
	assert_int_equal(PARSE(&cfg, &err, "--exec-root", "/x/run"), 0);
	assert_int_equal(daemon_config_finish(&cfg, &err), 0);
	assert_string_equal(cfg.hosts[0], "unix:///x/run/berth.sock");
	daemon_config_release(&cfg);

	assert_int_equal(PARSE(&cfg, &err, "--help"), 0);
	assert_true(cfg.show_help);
	daemon_config_release(&cfg);
	assert_int_equal(PARSE(&cfg, &err, "-v"), 0);
	assert_true(cfg.show_version);
	daemon_config_release(&cfg);
	assert_int_equal(PARSE(&cfg, &err, "-D"), 0);
	assert_int_equal(daemon_config_finish(&cfg, &err), 0);
	assert_string_equal(cfg.log_level, "debug");
	daemon_config_release(&cfg);
}

static void expect_args_error(const char *want, int argc, char **argv)
{
	struct daemon_config cfg = { 0 };
	_cleanup_berr_ struct berr err = { 0 };
	int r = daemon_config_parse_args(&cfg, argc, argv, &err);
	if (r == 0)
		r = daemon_config_finish(&cfg, &err);
	assert_true(r < 0);
	assert_int_equal(err.kind, BERR_INVALID);
	if (!strstr(err.msg, want))
		fail_msg("\"%s\" does not contain \"%s\"", err.msg, want);
	daemon_config_release(&cfg);
}

static void test_flag_errors(void **state)
{
	expect_args_error("unknown flag: --colour", NARGS("--colour", "x"), ARGS("--colour", "x"));
	expect_args_error("unknown shorthand flag: 'q'", NARGS("-q"), ARGS("-q"));
	expect_args_error("flag needs an argument: --data-root", NARGS("--data-root"), ARGS("--data-root"));
	expect_args_error("takes no arguments", NARGS("extra"), ARGS("extra"));
	expect_args_error("only unix:// sockets are supported", NARGS("-H", "tcp://0.0.0.0:2375"),
			  ARGS("-H", "tcp://0.0.0.0:2375"));
	expect_args_error("must be absolute", NARGS("-H", "unix://rel.sock"), ARGS("-H", "unix://rel.sock"));
	expect_args_error("unable to parse logging level: loud", NARGS("--log-level", "loud"),
			  ARGS("--log-level", "loud"));
	expect_args_error("must be absolute paths", NARGS("--data-root", "rel"), ARGS("--data-root", "rel"));
}

static void test_host_path(void **state)
{
	_cleanup_berr_ struct berr err = { 0 };
	char *p = NULL;
	assert_int_equal(daemon_config_host_path("unix:///run/x.sock", &p, &err), 0);
	assert_string_equal(p, "/run/x.sock");
	free(p);
	assert_true(daemon_config_host_path("ssh://host", &p, &err) < 0);
	assert_non_null(strstr(err.msg, "ssh://host"));
}

static int merge(struct daemon_config *cfg, const char *json, struct berr *err)
{
	return daemon_config_merge_json(cfg, json, strlen(json), "/etc/berth/daemon.json", err);
}

static void test_json_merge(void **state)
{
	struct daemon_config cfg = { 0 };
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(PARSE(&cfg, &err, "--log-level", "warn"), 0);
	assert_int_equal(merge(&cfg,
			       "{\"data-root\":\"/srv/berth\",\"exec-root\":\"/run/b2\",\"hosts\":[\"unix:///run/b2/s\"],"
			       "\"group\":\"docker\",\"log-format\":\"json\"}",
			       &err),
			 0);
	assert_int_equal(daemon_config_finish(&cfg, &err), 0);
	assert_string_equal(cfg.data_root, "/srv/berth");
	assert_string_equal(cfg.exec_root, "/run/b2");
	assert_string_equal(cfg.hosts[0], "unix:///run/b2/s");
	assert_string_equal(cfg.group, "docker");
	assert_string_equal(cfg.log_level, "warn");
	assert_string_equal(cfg.log_format, "json");
	daemon_config_release(&cfg);
}

static void expect_merge_error(const char *flag1, const char *flag2, const char *json, const char *want)
{
	struct daemon_config cfg = { 0 };
	_cleanup_berr_ struct berr err = { 0 };
	char *argv[] = { "berthd", (char *)flag1, (char *)flag2, NULL };
	assert_int_equal(daemon_config_parse_args(&cfg, flag1 ? 3 : 1, argv, &err), 0);
	assert_true(merge(&cfg, json, &err) < 0);
	assert_int_equal(err.kind, BERR_INVALID);
	if (!strstr(err.msg, want))
		fail_msg("\"%s\" does not contain \"%s\"", err.msg, want);
	daemon_config_release(&cfg);
}

static void test_json_errors(void **state)
{
	expect_merge_error(NULL, NULL, "{\"data-root\":\"/a\",\"colour\":1,\"size\":2}",
			   "unable to configure the berth daemon with file /etc/berth/daemon.json: the following "
			   "directives don't match any configuration option: colour, size");
	expect_merge_error("--data-root", "/flag", "{\"data-root\":\"/file\"}",
			   "the following directives are specified both as a flag and in the configuration file: "
			   "data-root: (from flag: /flag, from file: /file)");
	expect_merge_error("-H", "unix:///a", "{\"hosts\":[\"unix:///b\"]}",
			   "hosts: (from flag: [unix:///a], from file: [unix:///b])");
	expect_merge_error(NULL, NULL, "{\"hosts\":\"unix:///b\"}", "hosts: expected a list of strings");
	expect_merge_error(NULL, NULL, "{\"debug\":\"yes\"}", "debug: expected true or false");
	expect_merge_error(NULL, NULL, "{\"data-root\":", "invalid JSON");
	expect_merge_error(NULL, NULL, "[1]", "expected a JSON object");
	/* --config-file itself is not a daemon.json key. */
	expect_merge_error(NULL, NULL, "{\"config-file\":\"/x\"}", "don't match any configuration option: config-file");
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/berth-cfg.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	snprintf(path, sizeof(path), "%s/daemon.json", dir);
	struct daemon_config cfg = { 0 };
	_cleanup_berr_ struct berr err = { 0 };

	/* An explicit --config-file must exist. */
	char *argv1[] = { "berthd", "--config-file", path, NULL };
	assert_true(daemon_config_load(&cfg, 3, argv1, &err) < 0);
	assert_non_null(strstr(err.msg, path));
	daemon_config_release(&cfg);
	berr_clear(&err);

	FILE *f = fopen(path, "w");
	fputs("{\"data-root\":\"/from/file\",\"log-level\":\"error\"}", f);
	fclose(f);
	char *argv2[] = { "berthd", "--config-file", path, "--exec-root", "/e", NULL };
	assert_int_equal(daemon_config_load(&cfg, 5, argv2, &err), 0);
	assert_string_equal(cfg.data_root, "/from/file");
	assert_string_equal(cfg.exec_root, "/e");
	assert_string_equal(cfg.log_level, "error");
	assert_string_equal(cfg.hosts[0], "unix:///e/berth.sock");
	daemon_config_release(&cfg);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),    cmocka_unit_test(test_flag_forms), cmocka_unit_test(test_flag_errors),
		cmocka_unit_test(test_host_path),   cmocka_unit_test(test_json_merge), cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_load_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
