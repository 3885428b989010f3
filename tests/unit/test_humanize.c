/* test_humanize.c - src/common/humanize.c against go-units' documented
 * results. Expectations come from go-units' own table tests
 * (HumanSize/BytesSize/HumanDuration) and from the arithmetic of its code:
 * divide by 1000 (1024) until below the base, then "%.3g" ("%.4g"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/humanize.h"

#define SEC 1000000000LL

static void test_size(void **state)
{
	static const struct { double in; const char *want; } cases[] = {
		{ 0, "0B" },		{ 999, "999B" },	  { 1000, "1kB" },
		{ 1024, "1.02kB" },	{ 1986818, "1.99MB" },	  { 4264964, "4.26MB" },
		{ 10375221, "10.4MB" }, { 999499, "999kB" },	  { 999500, "1e+03kB" },
		{ 1e9, "1GB" },		{ 3.4e12, "3.4TB" },	  { 1e27, "1e+03YB" },
		{ 212, "212B" },	{ 1.5, "1.5B" },
	};
	char buf[HUMAN_BUF];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(human_size(cases[i].in, buf), cases[i].want);
}

static void test_bytes(void **state)
{
	static const struct { double in; const char *want; } cases[] = {
		{ 0, "0B" }, { 1024, "1KiB" }, { 1048576, "1MiB" }, { 16735277056.0, "15.59GiB" },
		{ 1536, "1.5KiB" }, { 1023, "1023B" },
	};
	char buf[HUMAN_BUF];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(human_bytes(cases[i].in, buf), cases[i].want);
}

static void test_duration(void **state)
{
	static const struct { int64_t in; const char *want; } cases[] = {
		{ 0, "Less than a second" },
		{ -5 * SEC, "Less than a second" }, /* clock skew: a future time */
		{ 1 * SEC, "1 second" },
		{ 47 * SEC, "47 seconds" },
		{ 60 * SEC, "About a minute" },
		{ 119 * SEC, "About a minute" },
		{ 120 * SEC, "2 minutes" },
		{ 59 * 60 * SEC, "59 minutes" },
		{ 60 * 60 * SEC, "About an hour" },
		{ 89 * 60 * SEC, "About an hour" }, /* 1.48h rounds to 1 */
		{ 90 * 60 * SEC, "2 hours" },	     /* 1.5h rounds up */
		{ 47 * 3600 * SEC, "47 hours" },
		{ 48 * 3600 * SEC, "2 days" },
		{ 13 * 24 * 3600 * SEC, "13 days" },
		{ 14 * 24 * 3600 * SEC, "2 weeks" },
		{ 59 * 24 * 3600 * SEC, "8 weeks" },
		{ 60 * 24 * 3600 * SEC, "2 months" },
		{ 729 * 24 * 3600 * SEC, "24 months" },
		{ 730 * 24 * 3600 * SEC, "2 years" },
		{ 3 * 365 * 24 * 3600 * SEC, "3 years" },
	};
	char buf[HUMAN_BUF];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		human_duration(cases[i].in, buf);
		if (strcmp(buf, cases[i].want))
			fail_msg("duration %lld: got %s, want %s", (long long)cases[i].in, buf, cases[i].want);
	}
}

static void test_since(void **state)
{
	char buf[HUMAN_BUF];

	assert_string_equal(human_since(1000, 1000 + 7200, buf), "2 hours ago");
	assert_string_equal(human_since(1000, 1090, buf), "About a minute ago");
	assert_string_equal(human_since(1000, 1000, buf), "Less than a second ago");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_since),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
