/* test_digest.c - src/common/digest.c: sha256 of buffers, streams and fds,
 * digest validation messages, ChainIDs (checked against the busybox and
 * whiteouts fixtures' known values). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "common/digest.h"

#define EMPTY_SHA256 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define ABC_SHA256 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_buf(void **state)
{
	digest_t d;
	assert_int_equal(digest_buf("", 0, d), 0);
	assert_string_equal(d, EMPTY_SHA256);
	assert_int_equal(digest_buf("abc", 3, d), 0);
	assert_string_equal(d, ABC_SHA256);
	assert_int_equal(strlen(d), DIGEST_SHA256_LEN);
	assert_string_equal(digest_hex(d), ABC_SHA256 + 7);
}

static void test_streaming(void **state)
{
	/* NIST two-block message, fed in awkward pieces. */
	static const char msg[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct digester *d = digester_new();
	assert_non_null(d);
	for (size_t i = 0; i < sizeof(msg) - 1; i += 5)
		assert_int_equal(digester_update(d, msg + i, (sizeof(msg) - 1 - i) < 5 ? sizeof(msg) - 1 - i : 5), 0);
	digest_t out;
	assert_int_equal(digester_final(d, out), 0);
	assert_string_equal(out, "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* Finished: neither update nor final again. */
	assert_int_equal(digester_update(d, "x", 1), -EINVAL);
	assert_int_equal(digester_final(d, out), -EINVAL);
	digester_free(d);
	digester_free(NULL);
}

static void test_fd(void **state)
{
	char path[] = "/tmp/berth-test-digest-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	/* More than one read buffer's worth. */
	size_t n = 300 * 1024;
	char *buf = malloc(n);
	assert_non_null(buf);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(i * 7);
	assert_int_equal(write_all(fd, buf, n), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	digest_t a, b;
	size_t size = 0;
	assert_int_equal(digest_fd(fd, a, &size), 0);
	assert_int_equal(size, n);
	assert_int_equal(digest_buf(buf, n, b), 0);
	assert_string_equal(a, b);
	assert_int_equal(digest_fd(fd, a, NULL), 0); /* at EOF: empty */
	assert_string_equal(a, EMPTY_SHA256);
	free(buf);
	close(fd);
	assert_int_equal(digest_fd(-1, a, NULL), -EBADF);
}

struct validate_case {
	const char *in;
	int want;
	const char *msg;
};

static void test_validate(void **state)
{
	static const struct validate_case cases[] = {
		{ EMPTY_SHA256, 0, NULL },
		{ "sha512:" "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
		  "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
		  -EOPNOTSUPP, "unsupported digest algorithm \"sha512\"" },
		{ "blake3:abcd", -EOPNOTSUPP, "unsupported digest algorithm \"blake3\"" },
		{ "", -EINVAL, "invalid digest \"\": empty" },
		{ "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", -EINVAL,
		  "expected <algorithm>:<hex>" },
		{ "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", -EINVAL,
		  "the encoded part must be lowercase hex" },
		{ "sha256:abc", -EINVAL, "sha256 needs 64 hex digits, not 3" },
		{ EMPTY_SHA256 "0", -EINVAL, "sha256 needs 64 hex digits, not 65" },
		{ "sha256:", -EINVAL, "the encoded part must be lowercase hex" },
		{ "sha512:abcd", -EINVAL, "sha512 needs 128 hex digits, not 4" },
		{ ":abcd", -EINVAL, "malformed algorithm" },
		{ "SHA256:abcd", -EINVAL, "malformed algorithm" },
		{ "sha256+:abcd", -EINVAL, "malformed algorithm" },
		{ "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85/", -EINVAL,
		  "lowercase hex" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct berr err = { 0 };
		int r = digest_validate(cases[i].in, &err);
		if (r != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].in, r, cases[i].want);
		if (cases[i].msg && (!err.msg || !strstr(err.msg, cases[i].msg)))
			fail_msg("%s: got message %s, want %s", cases[i].in, err.msg ? err.msg : "(none)", cases[i].msg);
		if (r < 0)
			assert_int_equal(err.kind, BERR_INVALID);
		else
			assert_false(berr_isset(&err));
		berr_clear(&err);
	}
	assert_int_equal(digest_validate(NULL, NULL), -EINVAL);
}

static void test_chain_id(void **state)
{
	/* The first three diff_ids of whiteouts-docker-save.tar; the expected
	 * ChainIDs were computed with Python's hashlib. */
	static const char l0[] = "sha256:c60353bcf6a3954ce61b8beb42d084213c6d74c6abb5d701ba530f0eb1ff12c6";
	static const char l1[] = "sha256:844ffaeb83eab9a6049a93efd23e65fc163c764dd8f55203fa6f126651a10f57";
	static const char l2[] = "sha256:63f386f8fe62e407302c0d88df206a53d601033534414b9a9015f4676f5156d4";
	digest_t c0, c1, c2;
	assert_int_equal(digest_chain_id(NULL, l0, c0), 0);
	assert_string_equal(c0, l0);
	assert_int_equal(digest_chain_id(c0, l1, c1), 0);
	assert_string_equal(c1, "sha256:9a73126c4a220953dba7b2e621728e25d3f81d74d77b37e4eaaded52fb7189c6");
	assert_int_equal(digest_chain_id(c1, l2, c2), 0);
	assert_string_equal(c2, "sha256:b46adc5ddc74e3042328192d1b8e64c2402c3ad053aa8366ee05d07ce76d26d2");
	assert_int_equal(digest_chain_id(NULL, "sha256:short", c0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf),      cmocka_unit_test(test_streaming),
		cmocka_unit_test(test_fd),       cmocka_unit_test(test_validate),
		cmocka_unit_test(test_chain_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
