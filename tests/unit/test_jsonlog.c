/* test_jsonlog.c - src/common/jsonlog.c: the exact bytes dockerd's
 * json-file driver would write (escaping per moby's
 * ffjsonWriteJSONBytesAsString, time per Go's RFC3339Nano), line splitting,
 * rotation, and the reader's tail/since/until/stream/follow answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "common/jsonlog.h"

/* 2024-01-01T00:00:00Z */
#define T0 (1704067200LL * 1000000000LL)

struct tmp {
	char dir[64];
	char path[96];
};

static void tmp_init(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/test-jsonlog-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/c-json.log", t->dir);
}

static void tmp_done(struct tmp *t)
{
	assert_int_equal(rm_rf_at(AT_FDCWD, t->dir), 0);
}

static char *slurp(const char *path)
{
	char *buf = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, path, &buf, NULL), 0);
	return buf;
}

static char *slurp_n(const char *path, unsigned i)
{
	char p[256];
	snprintf(p, sizeof(p), "%s.%u", path, i);
	return slurp(p);
}

static bool exists_n(const char *path, unsigned i)
{
	char p[256];
	snprintf(p, sizeof(p), "%s.%u", path, i);
	return access(p, F_OK) == 0;
}

static struct jsonlog_writer *wopen(const char *path, uint64_t max_size, unsigned max_files)
{
	struct jsonlog_writer *w = NULL;
	struct berr err = { 0 };
	assert_int_equal(jsonlog_writer_open(path, max_size, max_files, &w, &err), 0);
	return w;
}

/* Write one chunk to a fresh log and return the file's bytes. */
static char *write_one(const char *data, size_t n, enum jsonlog_stream s, int64_t ns, bool flush)
{
	struct tmp t;
	tmp_init(&t);
	struct jsonlog_writer *w = wopen(t.path, 0, 1);
	assert_int_equal(jsonlog_write(w, s, data, n, ns), 0);
	if (flush)
		assert_int_equal(jsonlog_flush(w, ns), 0);
	jsonlog_writer_close(w);
	char *out = slurp(t.path);
	tmp_done(&t);
	return out;
}

static void check_line(const char *in, size_t n, const char *want_log)
{
	char want[1024];
	snprintf(want, sizeof(want), "{\"log\":\"%s\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:00.5Z\"}\n",
		 want_log);
	char *got = write_one(in, n, JSONLOG_STDOUT, T0 + 500000000, true);
	assert_string_equal(got, want);
	free(got);
}

#define CHECK(in, want) check_line(in, sizeof(in) - 1, want)

static void test_escaping(void **state)
{
	CHECK("hello\n", "hello\\n");
	CHECK("say \"hi\"\n", "say \\\"hi\\\"\\n");
	CHECK("back\\slash\n", "back\\\\slash\\n");
	CHECK("tab\there\n", "tab\\u0009here\\n");
	CHECK("crlf\r\n", "crlf\\r\\n");
	CHECK("\x01\x1f\x7f\b\f\n", "\\u0001\\u001f\x7f\\u0008\\u000c\\n");
	CHECK("<a href='x'>&amp;</a>\n", "\\u003ca href='x'\\u003e\\u0026amp;\\u003c/a\\u003e\\n");
	CHECK("/slash\n", "/slash\\n");
	CHECK("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\\n");
	CHECK("ls\xe2\x80\xa8ps\xe2\x80\xa9\n", "ls\\u2028ps\\u2029\\n");
	/* invalid UTF-8: each offending byte becomes U+FFFD */
	CHECK("a\xff\xfe" "b\n", "a\\ufffd\\ufffdb\\n");
	CHECK("\xc3(\n", "\\ufffd(\\n");                    /* truncated 2-byte */
	CHECK("\xe2\x82\n", "\\ufffd\\ufffd\\n");            /* truncated 3-byte */
	CHECK("\xc0\xaf\n", "\\ufffd\\ufffd\\n");            /* overlong */
	CHECK("\xed\xa0\x80\n", "\\ufffd\\ufffd\\ufffd\\n"); /* surrogate */
	CHECK("\xf4\x90\x80\x80\n", "\\ufffd\\ufffd\\ufffd\\ufffd\\n"); /* > U+10FFFF */
	CHECK("\xef\xbf\xbd\n", "\xef\xbf\xbd\\n");          /* a real U+FFFD passes */
	/* NUL inside a line */
	check_line("a\0b\n", 4, "a\\u0000b\\n");
}

static void test_time_format(void **state)
{
	static const struct { int64_t ns; const char *want; } cases[] = {
		{ T0, "2024-01-01T00:00:00Z" },
		{ T0 + 1, "2024-01-01T00:00:00.000000001Z" },
		{ T0 + 123456789, "2024-01-01T00:00:00.123456789Z" },
		{ T0 + 120000000, "2024-01-01T00:00:00.12Z" },
		{ T0 + 86399LL * 1000000000 + 999999999, "2024-01-01T23:59:59.999999999Z" },
		{ 0, "1970-01-01T00:00:00Z" },
		{ -1, "1969-12-31T23:59:59.999999999Z" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[160];
		snprintf(want, sizeof(want), "{\"log\":\"x\\n\",\"stream\":\"stderr\",\"time\":\"%s\"}\n", cases[i].want);
		char *got = write_one("x\n", 2, JSONLOG_STDERR, cases[i].ns, false);
		assert_string_equal(got, want);
		free(got);
	}
}

static void test_partial_lines(void **state)
{
	struct tmp t;
	tmp_init(&t);
	struct jsonlog_writer *w = wopen(t.path, 0, 1);
	assert_int_equal(jsonlog_write(w, JSONLOG_STDOUT, "hel", 3, T0), 0);
	assert_int_equal(jsonlog_write(w, JSONLOG_STDERR, "err", 3, T0), 0);
	char *got = slurp(t.path);
	assert_string_equal(got, ""); /* nothing until a line completes */
	free(got);
	assert_int_equal(jsonlog_write(w, JSONLOG_STDOUT, "lo\nwor", 6, T0 + 1000), 0);
	assert_int_equal(jsonlog_write(w, JSONLOG_STDERR, "\n", 1, T0 + 2000), 0);
	assert_int_equal(jsonlog_flush(w, T0 + 3000), 0);
	assert_int_equal(jsonlog_flush(w, T0 + 4000), 0); /* nothing left */
	jsonlog_writer_close(w);
	got = slurp(t.path);
	assert_string_equal(got,
			    "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:00.000001Z\"}\n"
			    "{\"log\":\"err\\n\",\"stream\":\"stderr\",\"time\":\"2024-01-01T00:00:00.000002Z\"}\n"
			    "{\"log\":\"wor\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:00.000003Z\"}\n");
	free(got);
	tmp_done(&t);
}

static void test_empty_lines_and_bad_args(void **state)
{
	char *got = write_one("\n\n", 2, JSONLOG_STDOUT, T0, false);
	assert_string_equal(got, "{\"log\":\"\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:00Z\"}\n"
				 "{\"log\":\"\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:00Z\"}\n");
	free(got);

	struct tmp t;
	tmp_init(&t);
	struct jsonlog_writer *w = NULL;
	struct berr err = { 0 };
	assert_true(jsonlog_writer_open(t.path, 0, 0, &w, &err) < 0);
	assert_null(w);
	berr_clear(&err);
	w = wopen(t.path, 0, 1);
	assert_int_equal(jsonlog_write(w, (enum jsonlog_stream)3, "x\n", 2, T0), -EINVAL);
	jsonlog_writer_close(w);
	jsonlog_writer_close(NULL);
	tmp_done(&t);
}

/* Count the entries and check each "log" length in a file written from
 * one long line: docker cuts at 16 KiB, the last piece keeps the "\n". */
static void test_long_line_split(void **state)
{
	const size_t K = JSONLOG_MAX_LINE;
	static const struct { size_t len; size_t pieces[4]; } cases[] = {
		{ 16383, { 16384 } },		    /* 16383 + "\n" fits */
		{ 16384, { 16384, 1 } },	    /* a full buffer, then "\n" alone */
		{ 40000, { 16384, 16384, 7233 } }, /* 7232 + "\n" */
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t n = cases[c].len;
		char *in = malloc(n + 1);
		memset(in, 'a', n);
		in[n] = '\n';
		/* feed in odd-sized chunks to cross the buffer boundary */
		struct tmp t;
		tmp_init(&t);
		struct jsonlog_writer *w = wopen(t.path, 0, 1);
		for (size_t off = 0; off <= n; off += 1000)
			assert_int_equal(jsonlog_write(w, JSONLOG_STDOUT, in + off, off + 1000 > n + 1 ? n + 1 - off : 1000, T0), 0);
		jsonlog_writer_close(w);
		char *got = slurp(t.path);
		char *line = got;
		for (size_t i = 0; cases[c].pieces[i]; i++) {
			char *end = strchr(line, '\n');
			assert_non_null(end);
			assert_memory_equal(line, "{\"log\":\"", 8);
			const char *val = line + 8;
			const char *q = strchr(val, '"');
			size_t want = cases[c].pieces[i];
			bool has_nl = q - val >= 2 && q[-2] == '\\' && q[-1] == 'n';
			size_t got_len = (size_t)(q - val) - (has_nl ? 1 : 0);
			assert_int_equal(got_len, want);
			assert_true(got_len <= K);
			assert_int_equal(has_nl, cases[c].pieces[i + 1] == 0);
			line = end + 1;
		}
		assert_string_equal(line, "");
		free(got);
		free(in);
		tmp_done(&t);
	}
}

static void test_frame_header(void **state)
{
	unsigned char h[8];
	jsonlog_frame_header(JSONLOG_STDERR, 0x01020304, h);
	assert_memory_equal(h, "\x02\x00\x00\x00\x01\x02\x03\x04", 8);
	jsonlog_frame_header(JSONLOG_STDOUT, 5, h);
	assert_memory_equal(h, "\x01\x00\x00\x00\x00\x00\x00\x05", 8);
}

/* ---- rotation ---- */

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Every entry write_numbered() makes has this size. */
static size_t entry_len(void)
{
	return strlen("{\"log\":\"line 00000\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:00.000000001Z\"}\n");
}

static void write_numbered(struct jsonlog_writer *w, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "line %05u\n", i);
		/* a 9-digit fraction keeps every entry the same size */
		assert_int_equal(jsonlog_write(w, JSONLOG_STDOUT, buf, (size_t)n, T0 + 1000000000LL * i + 123456789), 0);
	}
}

static void test_rotation(void **state)
{
	struct tmp t;
	tmp_init(&t);
	size_t el = entry_len();
	/* room for 3 entries and a bit: the 4th rotates */
	struct jsonlog_writer *w = wopen(t.path, 3 * el + 10, 3);
	write_numbered(w, 0, 3);
	assert_false(exists_n(t.path, 1));
	write_numbered(w, 3, 4); /* rotates: the entry that overflows goes to the new file */
	assert_true(exists_n(t.path, 1));
	char *cur = slurp(t.path), *one = slurp_n(t.path, 1);
	assert_int_equal(count_lines(cur), 1);
	assert_int_equal(count_lines(one), 3);
	assert_non_null(strstr(cur, "line 00003"));
	free(cur);
	free(one);
	write_numbered(w, 4, 20);
	jsonlog_writer_close(w);
	/* 20 entries, 3 per file from 0: the current file holds 18..19, .1 15..17, .2 12..14;
	 * older ones dropped */
	assert_false(exists_n(t.path, 3));
	struct stat st;
	for (unsigned i = 0; i < 3; i++) {
		char p[256];
		snprintf(p, sizeof(p), i ? "%s.%u" : "%s", t.path, i);
		assert_int_equal(stat(p, &st), 0);
		assert_true((uint64_t)st.st_size <= 3 * el + 10);
	}
	cur = slurp(t.path);
	one = slurp_n(t.path, 1);
	char *two = slurp_n(t.path, 2);
	assert_int_equal(count_lines(cur), 2);
	assert_non_null(strstr(cur, "line 00018"));
	assert_non_null(strstr(cur, "line 00019"));
	assert_int_equal(count_lines(one), 3);
	assert_non_null(strstr(one, "line 00015"));
	assert_non_null(strstr(one, "line 00017"));
	assert_int_equal(count_lines(two), 3);
	assert_non_null(strstr(two, "line 00012"));
	assert_non_null(strstr(two, "line 00014"));
	free(cur);
	free(one);
	free(two);

	/* reopening appends to the existing file and keeps its size in mind */
	w = wopen(t.path, 3 * el + 10, 3);
	write_numbered(w, 20, 21);
	jsonlog_writer_close(w);
	cur = slurp(t.path);
	assert_int_equal(count_lines(cur), 3);
	assert_non_null(strstr(cur, "line 00020"));
	free(cur);
	tmp_done(&t);
}

static void test_rotation_one_file(void **state)
{
	struct tmp t;
	tmp_init(&t);
	size_t el = entry_len();
	struct jsonlog_writer *w = wopen(t.path, 2 * el, 1);
	write_numbered(w, 0, 5);
	jsonlog_writer_close(w);
	assert_false(exists_n(t.path, 1));
	char *cur = slurp(t.path);
	assert_int_equal(count_lines(cur), 1);
	assert_non_null(strstr(cur, "line 00004"));
	free(cur);
	tmp_done(&t);
}

static void test_entry_larger_than_max_size(void **state)
{
	struct tmp t;
	tmp_init(&t);
	struct jsonlog_writer *w = wopen(t.path, 50, 2);
	write_numbered(w, 0, 3); /* each entry alone is > 50 bytes: one per file, none lost */
	jsonlog_writer_close(w);
	char *cur = slurp(t.path), *one = slurp_n(t.path, 1);
	assert_non_null(strstr(cur, "line 00002"));
	assert_non_null(strstr(one, "line 00001"));
	free(cur);
	free(one);
	tmp_done(&t);
}



int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_partial_lines),
		cmocka_unit_test(test_empty_lines_and_bad_args),
		cmocka_unit_test(test_long_line_split),
		cmocka_unit_test(test_frame_header),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_rotation_one_file),
		cmocka_unit_test(test_entry_larger_than_max_size),
		/* READER_LIST */
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
