/* test_cli_output.c - the CLI's table rendering against docker's rules.
 *
 * Input is tests/data/api/images.json (a real dockerd 20.10 reply). The
 * expected tables follow docker's formatter: rows per repository:tag
 * (formatter/image.go), IDs cut to 12 hex (stringid.TruncateID), sizes by
 * units.HumanSizeWithPrecision(3), "N hours ago" by units.HumanDuration,
 * and text/tabwriter with minwidth 10, tabwidth 1, padding 3, ' '. The
 * clock is pinned two hours after the newest image. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/cli.h"

#define NOW (1795830749 + 2 * 3600)
#define DGST "sha256:278ef6152ca0c43d12cb225d558efa577887c4e87c2e26005045aa235e38af5c"

static json_t *load_images(void)
{
	char path[4096];
	json_error_t je;
	const char *dir = getenv("BERTH_TEST_DATA");

	snprintf(path, sizeof(path), "%s/api/images.json", dir ? dir : "tests/data");
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		fail_msg("%s: %s", path, je.text);
	return j;
}

static char *render(const char *format, const char *def, bool digests, bool trunc)
{
	json_t *list = load_images(), *rows = json_array(), *s;
	struct fmt_ctx fc;
	char *out = NULL;
	size_t n = 0, i;
	FILE *f = open_memstream(&out, &n);

	assert_int_equal(fmt_begin(&fc, format, def, images_header(), "*formatter.imageContext", true), 0);
	json_array_foreach(list, i, s)
		images_rows(s, digests, trunc, NOW, rows);
	json_array_foreach(rows, i, s)
		assert_int_equal(fmt_row(&fc, s), 0);
	fmt_end(&fc, f);
	fmt_release(&fc);
	fclose(f);
	json_decref(rows);
	json_decref(list);
	return out;
}

#define DEFAULT "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
#define DIGESTS "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"

static void expect(char *got, const char *want)
{
	if (strcmp(got, want))
		fail_msg("got:\n%s\nwant:\n%s", got, want);
	free(got);
}

static void test_default_table(void **state)
{
	expect(render("", DEFAULT, false, true),
	       "REPOSITORY               TAG       IMAGE ID       CREATED       SIZE\n"
	       "fixture/special-files    1         7b4184de2389   2 hours ago   1.99MB\n"
	       "fixture/whiteouts        1         00a193f3f0c8   2 hours ago   1.99MB\n"
	       "127.0.0.1:5000/bbpull    latest    958f15fe5e6f   2 hours ago   10.4MB\n"
	       "bbpull                   latest    958f15fe5e6f   2 hours ago   10.4MB\n"
	       "127.0.0.1:5000/busybox   latest    32ddf5746fc2   3 hours ago   1.99MB\n"
	       "fixture/multi            1         32ddf5746fc2   3 hours ago   1.99MB\n"
	       "busybox                  latest    32ddf5746fc2   3 hours ago   1.99MB\n");
}

static void test_digests_table(void **state)
{
	/* digests belong to the repository they were pulled under; other
	 * repositories of the same image show <none> */
	expect(render("", DIGESTS, true, true),
	       "REPOSITORY               TAG       DIGEST                                                                    IMAGE ID       CREATED       SIZE\n"
	       "fixture/special-files    1         <none>                                                                    7b4184de2389   2 hours ago   1.99MB\n"
	       "fixture/whiteouts        1         <none>                                                                    00a193f3f0c8   2 hours ago   1.99MB\n"
	       "127.0.0.1:5000/bbpull    latest    sha256:550d994f0a84223f0e695fe053315c10fb5e0ba2347038dbdc3f1c8280dd1ab3   958f15fe5e6f   2 hours ago   10.4MB\n"
	       "bbpull                   latest    <none>                                                                    958f15fe5e6f   2 hours ago   10.4MB\n"
	       "127.0.0.1:5000/busybox   latest    sha256:278ef6152ca0c43d12cb225d558efa577887c4e87c2e26005045aa235e38af5c   32ddf5746fc2   3 hours ago   1.99MB\n"
	       "fixture/multi            1         <none>                                                                    32ddf5746fc2   3 hours ago   1.99MB\n"
	       "busybox                  latest    <none>                                                                    32ddf5746fc2   3 hours ago   1.99MB\n");
}

static void test_quiet_and_templates(void **state)
{
	/* -q is "{{.ID}}": one line per row, so repeated IDs repeat */
	expect(render("{{.ID}}", DEFAULT, false, true),
	       "7b4184de2389\n00a193f3f0c8\n958f15fe5e6f\n958f15fe5e6f\n32ddf5746fc2\n32ddf5746fc2\n32ddf5746fc2\n");
	/* \t in a non-table format is a real tab, no alignment */
	expect(render("{{.Repository}}:{{.Tag}}\\t{{.Size}}", DEFAULT, false, true),
	       "fixture/special-files:1\t1.99MB\nfixture/whiteouts:1\t1.99MB\n127.0.0.1:5000/bbpull:latest\t10.4MB\n"
	       "bbpull:latest\t10.4MB\n127.0.0.1:5000/busybox:latest\t1.99MB\nfixture/multi:1\t1.99MB\n"
	       "busybox:latest\t1.99MB\n");
	/* a custom table: headers from docker's header map */
	expect(render("table {{.ID}}\\t{{.Containers}}\\t{{.SharedSize}}", DEFAULT, false, false),
	       "IMAGE ID                                                                  CONTAINERS   SHARED SIZE\n"
	       "sha256:7b4184de2389e8d7440288636b513da063b84ea10cd1d2b3603b291dc71a6a2d   N/A          N/A\n"
	       "sha256:00a193f3f0c89491cbd1b517694c0366f482b5e6dde92f2c9f92b97d288d62d7   N/A          N/A\n"
	       "sha256:958f15fe5e6f5fa25a94c6655662f04097571eb9932ac557a0bdd997017dd551   N/A          N/A\n"
	       "sha256:958f15fe5e6f5fa25a94c6655662f04097571eb9932ac557a0bdd997017dd551   N/A          N/A\n"
	       "sha256:32ddf5746fc281a9068d1f0c7d010d13f42fe618804fa362ed3535bfaae678ed   N/A          N/A\n"
	       "sha256:32ddf5746fc281a9068d1f0c7d010d13f42fe618804fa362ed3535bfaae678ed   N/A          N/A\n"
	       "sha256:32ddf5746fc281a9068d1f0c7d010d13f42fe618804fa362ed3535bfaae678ed   N/A          N/A\n");
}

static void test_json_rows(void **state)
{
	char *out = render("json", DEFAULT, false, true);
	char *first = strndup(out, strcspn(out, "\n"));
	char at[64];
	_cleanup_free_ char *want = NULL;

	/* keys sorted, <none> as \u003cnone\u003e: docker marshals the row
	 * context through a map with encoding/json's defaults */
	cli_time_string(1795830749, at, sizeof(at));
	assert_true(asprintf(&want,
			     "{\"Containers\":\"N/A\",\"CreatedAt\":\"%s\",\"CreatedSince\":\"2 hours ago\","
			     "\"Digest\":\"\\u003cnone\\u003e\",\"ID\":\"7b4184de2389\",\"Repository\":\"fixture/special-files\","
			     "\"SharedSize\":\"N/A\",\"Size\":\"1.99MB\",\"Tag\":\"1\",\"UniqueSize\":\"N/A\","
			     "\"VirtualSize\":\"1.99MB\"}",
			     at) > 0);
	expect(first, want);
	free(out);
}

static void test_dangling_and_digest_only(void **state)
{
	json_t *s = json_pack("{s:s, s:i, s:i, s:[], s:[s]}", "Id", "sha256:aaaaaaaaaaaabbbb", "Created", NOW - 90,
			      "Size", 212, "RepoTags", "RepoDigests", "busybox@" DGST);
	json_t *d = json_pack("{s:s, s:i, s:i, s:[], s:[]}", "Id", "sha256:ccccccccccccdddd", "Created", NOW - 5, "Size",
			      0, "RepoTags", "RepoDigests");
	json_t *rows = json_array();

	images_rows(s, false, true, NOW, rows);
	images_rows(d, false, true, NOW, rows);
	assert_int_equal(json_array_size(rows), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "Repository")), "busybox");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "Tag")), "<none>");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "CreatedSince")),
			    "About a minute ago");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "Repository")), "<none>");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "Size")), "0B");
	json_decref(rows);
	rows = json_array();
	images_rows(s, true, true, NOW, rows);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 0), "Digest")), DGST);
	json_decref(rows);
	json_decref(s);
	json_decref(d);
}

static void test_tabwriter(void **state)
{
	/* Go's tabwriter: the last cell of a line is not aligned; a line
	 * without tabs ends the column blocks above it */
	static const char in[] = "a\tbb\tc\nxxxxxxxxxxxx\ty\tz\nno tabs here\nq\tr\n";
	char *out = tabwriter_format(in, sizeof(in) - 1, 10, 3);
	expect(out, "a              bb        c\n"
		    "xxxxxxxxxxxx   y         z\n"
		    "no tabs here\n"
		    "q         r\n");
	/* docker version's layout: minwidth 20, padding 1 */
	static const char v[] = "Client:\n Version:\t0.1.0\n API version:\t1.44\n";
	out = tabwriter_format(v, sizeof(v) - 1, 20, 1);
	expect(out, "Client:\n Version:           0.1.0\n API version:       1.44\n");
}

static void test_bad_field(void **state)
{
	struct fmt_ctx fc;
	json_t *row = json_pack("{s:s}", "ID", "x");

	assert_int_equal(fmt_begin(&fc, "{{.Nope}}", DEFAULT, images_header(), "*formatter.imageContext", true), 0);
	assert_int_not_equal(fmt_row(&fc, row), 0);
	fmt_release(&fc);
	assert_int_not_equal(fmt_begin(&fc, "{{.ID", DEFAULT, images_header(), NULL, true), 0);
	json_decref(row);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_table),	   cmocka_unit_test(test_digests_table),
		cmocka_unit_test(test_quiet_and_templates), cmocka_unit_test(test_json_rows),
		cmocka_unit_test(test_dangling_and_digest_only), cmocka_unit_test(test_tabwriter),
		cmocka_unit_test(test_bad_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
