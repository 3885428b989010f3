/* test_ref.c - src/common/ref.c: Docker's reference grammar and
 * normalisation, table-driven. Expected forms and messages are what
 * distribution/reference (as used by the docker CLI and moby) gives. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "common/ref.h"

#define HEX64 "4cc271a2e8f4ea1ce5ff8dcfd6b25c1e2ea5de9e2bc7da5d7e67f2d6da9c24d2"
#define DGST "sha256:" HEX64
#define FMT "invalid reference format"

struct ref_case {
	const char *in;
	const char *full;     /* ref_string; NULL when parsing must fail */
	const char *familiar; /* ref_familiar, or the exact error message */
};

static const struct ref_case cases[] = {
	/* Docker Hub names */
	{ "busybox", "docker.io/library/busybox:latest", "busybox:latest" },
	{ "busybox:1.36", "docker.io/library/busybox:1.36", "busybox:1.36" },
	{ "library/busybox", "docker.io/library/busybox:latest", "busybox:latest" },
	{ "docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest" },
	{ "docker.io/library/busybox:latest", "docker.io/library/busybox:latest", "busybox:latest" },
	{ "index.docker.io/busybox", "docker.io/library/busybox:latest", "busybox:latest" },
	{ "index.docker.io/me/app:v1", "docker.io/me/app:v1", "me/app:v1" },
	{ "me/app:v1", "docker.io/me/app:v1", "me/app:v1" },
	{ "me/app/sub", "docker.io/me/app/sub:latest", "me/app/sub:latest" },
	{ "library/a/b", "docker.io/library/a/b:latest", "library/a/b:latest" },
	{ "a", "docker.io/library/a:latest", "a:latest" },
	{ "0", "docker.io/library/0:latest", "0:latest" },
	/* separators */
	{ "a.b_c__d-e---f", "docker.io/library/a.b_c__d-e---f:latest", "a.b_c__d-e---f:latest" },
	{ "me/my_app.v2-x", "docker.io/me/my_app.v2-x:latest", "me/my_app.v2-x:latest" },
	{ "a___b", NULL, FMT },
	{ "a..b", NULL, FMT },
	{ "a._b", NULL, FMT },
	{ "-a", NULL, FMT },
	{ "a-", NULL, FMT },
	{ "_a", NULL, FMT },
	{ "a/", NULL, FMT },
	{ "a//b", NULL, FMT },
	{ "/a", NULL, FMT },
	/* registries */
	{ "localhost/a", "localhost/a:latest", "localhost/a:latest" },
	{ "localhost:5000/a/b", "localhost:5000/a/b:latest", "localhost:5000/a/b:latest" },
	{ "localhost:5000/a:v1", "localhost:5000/a:v1", "localhost:5000/a:v1" },
	{ "example.com/app", "example.com/app:latest", "example.com/app:latest" },
	{ "my-reg.example.com:443/team/app:1.0", "my-reg.example.com:443/team/app:1.0",
	  "my-reg.example.com:443/team/app:1.0" },
	{ "127.0.0.1:5000/x", "127.0.0.1:5000/x:latest", "127.0.0.1:5000/x:latest" },
	{ "[::1]:5000/x", "[::1]:5000/x:latest", "[::1]:5000/x:latest" },
	{ "Registry.Example.COM/app", "Registry.Example.COM/app:latest", "Registry.Example.COM/app:latest" },
	{ "Me/app", "Me/app:latest", "Me/app:latest" }, /* capitals make it a host */
	{ "quay.io/a", "quay.io/a:latest", "quay.io/a:latest" },
	{ "docker.io:5000/a", "docker.io:5000/a:latest", "docker.io:5000/a:latest" },
	{ "-bad.com/a", NULL, FMT },
	{ "bad-.com/a", NULL, FMT },
	{ "host:port/a", NULL, FMT },
	{ "localhost:5000", "docker.io/library/localhost:5000", "localhost:5000" }, /* a tag */
	/* tags */
	{ "a:Tag_1.2-rc", "docker.io/library/a:Tag_1.2-rc", "a:Tag_1.2-rc" },
	{ "a:_x", "docker.io/library/a:_x", "a:_x" },
	{ "a:.x", NULL, FMT },
	{ "a:-x", NULL, FMT },
	{ "a:", NULL, FMT },
	{ "a:b:c", NULL, FMT },
	{ "a:t@g", NULL, FMT },
	{ "a:" "1234567890123456789012345678901234567890123456789012345678901234"
	  "5678901234567890123456789012345678901234567890123456789012345678",
	  "docker.io/library/a:" "1234567890123456789012345678901234567890123456789012345678901234"
	  "5678901234567890123456789012345678901234567890123456789012345678",
	  "a:" "1234567890123456789012345678901234567890123456789012345678901234"
	  "5678901234567890123456789012345678901234567890123456789012345678" },
	{ "a:" "1234567890123456789012345678901234567890123456789012345678901234"
	  "56789012345678901234567890123456789012345678901234567890123456789",
	  NULL, FMT },
	/* digests */
	{ "busybox@" DGST, "docker.io/library/busybox@" DGST, "busybox@" DGST },
	{ "busybox:1@" DGST, "docker.io/library/busybox:1@" DGST, "busybox:1@" DGST },
	{ "localhost:5000/a@" DGST, "localhost:5000/a@" DGST, "localhost:5000/a@" DGST },
	{ "busybox@sha256:abc", NULL, FMT },
	{ "busybox@sha256:" "0123456789abcdef0123456789abcdef",
	  NULL, FMT ": invalid digest \"sha256:0123456789abcdef0123456789abcdef\": sha256 needs 64 hex digits, not 32" },
	{ "busybox@sha256:" "4CC271A2E8F4EA1CE5FF8DCFD6B25C1E2EA5DE9E2BC7DA5D7E67F2D6DA9C24D2",
	  NULL, FMT ": invalid digest \"sha256:4CC271A2E8F4EA1CE5FF8DCFD6B25C1E2EA5DE9E2BC7DA5D7E67F2D6DA9C24D2\": "
		    "the encoded part must be lowercase hex" },
	{ "busybox@" DGST "x", NULL, FMT },
	{ "busybox@", NULL, FMT },
	{ "@" DGST, NULL, FMT },
	/* case */
	{ "Busybox", NULL, FMT ": repository name (library/Busybox) must be lowercase" },
	{ "me/App:v1", NULL, FMT ": repository name (me/App) must be lowercase" },
	{ "localhost:5000/A", NULL, FMT ": repository name (A) must be lowercase" },
	{ "example.com/a/B@" DGST, NULL, FMT ": repository name (a/B@sha256) must be lowercase" },
	/* IDs and junk */
	{ HEX64, NULL, "invalid repository name (" HEX64 "), cannot specify 64-byte hexadecimal strings" },
	{ HEX64 ":latest", "docker.io/library/" HEX64 ":latest", HEX64 ":latest" },
	{ "abc123", "docker.io/library/abc123:latest", "abc123:latest" },
	{ "", NULL, FMT },
	{ ":tag", NULL, FMT },
	{ "a b", NULL, FMT },
	{ "a\tb", NULL, FMT },
	{ "https://example.com/a", NULL, FMT },
	{ "ünï", NULL, FMT },
};

static void check_case(const struct ref_case *c)
{
	struct berr err = { 0 };
	struct image_ref r = { .domain = (char *)"untouched" };
	int q = ref_parse(c->in, false, &r, &err);
	if (!c->full) {
		if (q != -EINVAL)
			fail_msg("\"%s\": parsed (%d), want error %s", c->in, q, c->familiar);
		assert_string_equal(r.domain, "untouched");
		assert_int_equal(err.kind, BERR_INVALID);
		if (!err.msg || strcmp(err.msg, c->familiar) != 0)
			fail_msg("\"%s\": message %s, want %s", c->in, err.msg ? err.msg : "(none)", c->familiar);
		berr_clear(&err);
		return;
	}
	if (q != 0)
		fail_msg("\"%s\": failed: %s", c->in, err.msg ? err.msg : "(no message)");
	_cleanup_free_ char *full = ref_string(&r);
	_cleanup_free_ char *fam = ref_familiar(&r);
	if (!streq(full, c->full) || !streq(fam, c->familiar))
		fail_msg("\"%s\": got %s / %s, want %s / %s", c->in, full, fam, c->full, c->familiar);
	ref_release(&r);
}

static void test_table(void **state)
{
	assert_true(ARRAY_SIZE(cases) >= 40);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_case(&cases[i]);
}

static void test_parts(void **state)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct image_ref r;
	assert_int_equal(ref_parse("localhost:5000/a/b:v2@" DGST, false, &r, &err), 0);
	assert_string_equal(r.domain, "localhost:5000");
	assert_string_equal(r.path, "a/b");
	assert_string_equal(r.tag, "v2");
	assert_string_equal(r.digest, DGST);
	_cleanup_free_ char *name = ref_name(&r);
	_cleanup_free_ char *fname = ref_familiar_name(&r);
	assert_string_equal(name, "localhost:5000/a/b");
	assert_string_equal(fname, "localhost:5000/a/b");
	ref_release(&r);
	ref_release(&r); /* released twice is harmless */

	assert_int_equal(ref_parse("busybox", false, &r, &err), 0);
	_cleanup_free_ char *n2 = ref_name(&r);
	_cleanup_free_ char *f2 = ref_familiar_name(&r);
	assert_string_equal(n2, "docker.io/library/busybox");
	assert_string_equal(f2, "busybox");
	ref_release(&r);
}

static void test_no_default_tag(void **state)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct image_ref r;
	assert_int_equal(ref_parse("me/app", true, &r, &err), 0);
	assert_null(r.tag);
	assert_null(r.digest);
	_cleanup_free_ char *s = ref_string(&r);
	assert_string_equal(s, "docker.io/me/app");
	ref_release(&r);
	assert_int_equal(ref_parse("me/app:1", true, &r, &err), 0);
	assert_string_equal(r.tag, "1");
	ref_release(&r);
}

static void test_length_limit(void **state)
{
	/* 255 counts the whole name, domain and "library/" included:
	 * "docker.io/library/" is 18 characters. */
	char name[300];
	memset(name, 'a', sizeof(name));
	name[255 - 18] = '\0';
	_cleanup_berr_ struct berr err = { 0 };
	struct image_ref r;
	assert_int_equal(ref_parse(name, false, &r, &err), 0);
	ref_release(&r);
	name[255 - 18] = 'a';
	name[256 - 18] = '\0';
	assert_int_equal(ref_parse(name, false, &r, &err), -EINVAL);
	assert_string_equal(err.msg, "repository name must not be more than 255 characters");
	berr_clear(&err);
	/* The tag does not count. */
	name[255 - 18] = '\0';
	char *with_tag = NULL;
	assert_true(asprintf(&with_tag, "%s:%s", name, "a-tag-of-some-length") > 0);
	assert_int_equal(ref_parse(with_tag, false, &r, &err), 0);
	ref_release(&r);
	free(with_tag);
}

static void test_id_like(void **state)
{
	assert_true(ref_is_id_like("a"));
	assert_true(ref_is_id_like("4cc271a2e8f4"));
	assert_true(ref_is_id_like(HEX64));
	assert_true(ref_is_id_like(DGST));
	assert_true(ref_is_id_like("sha256:4cc2"));
	assert_false(ref_is_id_like(""));
	assert_false(ref_is_id_like("sha256:"));
	assert_false(ref_is_id_like(HEX64 "0"));
	assert_false(ref_is_id_like("4CC271"));
	assert_false(ref_is_id_like("busybox"));
	assert_false(ref_is_id_like("abc:latest"));
	assert_false(ref_is_id_like("sha512:abcd"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),        cmocka_unit_test(test_parts),
		cmocka_unit_test(test_no_default_tag), cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_id_like),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
