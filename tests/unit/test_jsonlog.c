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


/* ---- reader ---- */

struct got {
	struct jsonlog_entry *v;
	size_t n, cap;
	size_t stop_after; /* callback returns non-zero after this many (0 = never) */
};

static int collect(const struct jsonlog_entry *e, void *ud)
{
	struct got *g = ud;
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 64;
		g->v = realloc(g->v, g->cap * sizeof(*g->v));
		assert_non_null(g->v);
	}
	struct jsonlog_entry *x = &g->v[g->n++];
	*x = *e;
	x->line = malloc(e->len + 1);
	memcpy(x->line, e->line, e->len);
	x->line[e->len] = '\0';
	return g->stop_after && g->n >= g->stop_after;
}

static void got_free(struct got *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->v[i].line);
	free(g->v);
	memset(g, 0, sizeof(*g));
}

static struct jsonlog_read_opts opts(int64_t tail)
{
	return (struct jsonlog_read_opts){ .stdout_ = true, .stderr_ = true, .tail = tail };
}

static void read_into(const char *path, struct jsonlog_read_opts o, struct got *g)
{
	struct berr err = { 0 };
	assert_int_equal(jsonlog_read(path, &o, collect, NULL, g, &err), 0);
	assert_false(berr_isset(&err));
}

static void same_entry(const struct jsonlog_entry *a, const struct jsonlog_entry *b)
{
	assert_int_equal(a->stream, b->stream);
	assert_int_equal(a->time_ns, b->time_ns);
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->line, b->line, a->len);
}

static void test_read_roundtrip(void **state)
{
#define RT(in, want) { in, sizeof(in) - 1, want, sizeof(want) - 1 }
	static const struct { const char *in; size_t n; const char *want; size_t wn; } cases[] = {
		RT("plain\n", "plain\n"),
		RT("q\"b\\t\t<>&\r\n", "q\"b\\t\t<>&\r\n"),
		RT("nul\0x\n", "nul\0x\n"),
		RT("\x01\x1f\x7f\n", "\x01\x1f\x7f\n"),
		RT("caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8\n", "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x80\xa8\n"),
		RT("bad\xff\n", "bad\xef\xbf\xbd\n"), /* what docker's reader gives back too */
	};
#undef RT
	struct tmp t;
	tmp_init(&t);
	struct jsonlog_writer *w = wopen(t.path, 0, 1);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(jsonlog_write(w, i % 2 ? JSONLOG_STDERR : JSONLOG_STDOUT, cases[i].in, cases[i].n,
					       T0 + (int64_t)i * 1000 + 7), 0);
	assert_int_equal(jsonlog_write(w, JSONLOG_STDOUT, "tail", 4, T0 + 99999), 0);
	assert_int_equal(jsonlog_flush(w, T0 + 100000), 0);
	jsonlog_writer_close(w);

	struct got g = { 0 };
	read_into(t.path, opts(-1), &g);
	assert_int_equal(g.n, ARRAY_SIZE(cases) + 1);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t wn = cases[i].wn;
		assert_int_equal(g.v[i].len, wn);
		assert_memory_equal(g.v[i].line, cases[i].want, wn);
		assert_int_equal(g.v[i].stream, i % 2 ? JSONLOG_STDERR : JSONLOG_STDOUT);
		assert_int_equal(g.v[i].time_ns, T0 + (int64_t)i * 1000 + 7);
	}
	assert_string_equal(g.v[ARRAY_SIZE(cases)].line, "tail"); /* no "\n": a flushed partial */
	got_free(&g);
	tmp_done(&t);
}

/* Lines as docker or another writer may produce them: other field orders,
 * offsets, extra fields, escapes the writer never makes. */
static void test_read_foreign_lines(void **state)
{
	struct tmp t;
	tmp_init(&t);
	const char *file =
		"{\"time\":\"2024-01-01T01:00:00+01:00\",\"stream\":\"stderr\",\"log\":\"a\\/b\\tc\\u00e9\\ud83d\\ude00\\n\"}\n"
		"{\"log\":\"x\",\"stream\":\"stdout\",\"attrs\":{\"k\":[1,2.5e3,true,null,{\"z\":\"}\"}]},\"time\":\"2024-01-01T00:00:01.5Z\"}\n"
		"  {\"log\":\"lone \\udc00\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:02.1234567891Z\"}  \n"
		"{\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:03Z\"}\n";
	assert_int_equal(write_file_at(AT_FDCWD, t.path, file, strlen(file), false), -ENOENT);
	int fd = open(t.path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, file, strlen(file)), 0);
	close(fd);
	struct got g = { 0 };
	read_into(t.path, opts(-1), &g);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.v[0].time_ns, T0);
	assert_int_equal(g.v[0].stream, JSONLOG_STDERR);
	assert_string_equal(g.v[0].line, "a/b\tc\xc3\xa9\xf0\x9f\x98\x80\n");
	assert_int_equal(g.v[1].time_ns, T0 + 1500000000);
	assert_string_equal(g.v[1].line, "x");
	assert_string_equal(g.v[2].line, "lone \xef\xbf\xbd");
	assert_int_equal(g.v[2].time_ns, T0 + 2123456789);
	assert_int_equal(g.v[3].len, 0);
	got_free(&g);
	tmp_done(&t);
}

static void write_raw(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, data, strlen(data)), 0);
	close(fd);
}

static void test_corrupt_lines(void **state)
{
	struct tmp t;
	tmp_init(&t);
	write_raw(t.path, "{\"log\":\"one\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:01Z\"}\n"
			  "garbage\n"
			  "\n"
			  "{\"log\":\"x\",\"stream\":\"stdin\",\"time\":\"2024-01-01T00:00:01Z\"}\n"
			  "{\"log\":\"x\",\"stream\":\"stdout\",\"time\":\"yesterday\"}\n"
			  "{\"log\":\"x\",\"stream\":\"stdout\"}\n"
			  "{\"log\":\"unterminated,\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:01Z\"}\n"
			  "{\"log\":\"bad \\q\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:01Z\"}\n"
			  "{\"log\":\"raw\ttab\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:01Z\"}\n"
			  "{\"log\":\"two\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:02Z\"} trailing\n"
			  "[1,2,3]\n"
			  "{\"log\":\"three\\n\",\"stream\":\"stderr\",\"time\":\"2024-01-01T00:00:03Z\"}\n"
			  "{\"log\":\"half\\n\",\"stream\":\"stdout\",\"ti"); /* a write in progress */
	struct got g = { 0 };
	read_into(t.path, opts(-1), &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.v[0].line, "one\n");
	assert_string_equal(g.v[1].line, "three\n");
	got_free(&g);
	read_into(t.path, opts(5), &g);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.v[1].line, "three\n");
	got_free(&g);

	/* an enormous line without "\n" in the middle of the file */
	size_t big = 3 * 1024 * 1024;
	char *junk = malloc(big + 1);
	memset(junk, 'j', big);
	junk[big] = '\0';
	write_raw(t.path, "me\":\"2024-01-01T00:00:04Z\"}\n"); /* completes "half" */
	write_raw(t.path, junk);
	write_raw(t.path, "\n{\"log\":\"after\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-01T00:00:05Z\"}\n");
	free(junk);
	read_into(t.path, opts(-1), &g);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.v[2].line, "half\n");
	assert_string_equal(g.v[3].line, "after\n");
	got_free(&g);
	read_into(t.path, opts(100), &g);
	assert_int_equal(g.n, 4);
	assert_string_equal(g.v[0].line, "one\n");
	assert_string_equal(g.v[3].line, "after\n");
	got_free(&g);
	tmp_done(&t);
}

static void write_many(struct jsonlog_writer *w, unsigned from, unsigned to)
{
	for (unsigned i = from; i < to; i++) {
		char buf[64];
		int n = snprintf(buf, sizeof(buf), "entry %u %s\n", i, i % 7 == 0 ? "with more text" : "");
		assert_int_equal(jsonlog_write(w, i % 3 == 0 ? JSONLOG_STDERR : JSONLOG_STDOUT, buf, (size_t)n,
					       T0 + (int64_t)i * 1000000000), 0);
	}
}

static void test_tail_across_rotation(void **state)
{
	struct tmp t;
	tmp_init(&t);
	struct jsonlog_writer *w = wopen(t.path, 4096, 6);
	write_many(w, 0, 1000);
	assert_int_equal(jsonlog_write(w, JSONLOG_STDOUT, "partial", 7, T0), 0); /* not flushed */
	jsonlog_writer_close(w);
	assert_true(exists_n(t.path, 5));
	assert_false(exists_n(t.path, 6));

	struct got all = { 0 };
	read_into(t.path, opts(-1), &all);
	assert_true(all.n > 100 && all.n < 1000); /* the oldest files were dropped */
	/* the newest entry is the last one written, and there are no gaps */
	assert_string_equal(all.v[all.n - 1].line, "entry 999 \n");
	for (size_t i = 1; i < all.n; i++)
		assert_int_equal(all.v[i].time_ns - all.v[i - 1].time_ns, 1000000000);

	static const int64_t tails[] = { 0, 1, 2, 10, 37, 100, 5000 };
	for (size_t c = 0; c < ARRAY_SIZE(tails); c++) {
		struct got g = { 0 };
		read_into(t.path, opts(tails[c]), &g);
		size_t want = (size_t)tails[c] < all.n ? (size_t)tails[c] : all.n;
		assert_int_equal(g.n, want);
		for (size_t i = 0; i < g.n; i++)
			same_entry(&g.v[i], &all.v[all.n - want + i]);
		got_free(&g);
	}

	/* a callback that stops early */
	struct got g = { .stop_after = 3 };
	read_into(t.path, opts(50), &g);
	assert_int_equal(g.n, 3);
	same_entry(&g.v[0], &all.v[all.n - 50]);
	got_free(&g);
	got_free(&all);
	tmp_done(&t);
}

static void test_since_until_streams(void **state)
{
	struct tmp t;
	tmp_init(&t);
	struct jsonlog_writer *w = wopen(t.path, 2048, 100);
	write_many(w, 0, 300);
	jsonlog_writer_close(w);
	const int64_t S = 1000000000;

	struct jsonlog_read_opts o = opts(-1);
	o.since_ns = T0 + 100 * S;
	o.until_ns = T0 + 200 * S;
	struct got g = { 0 };
	read_into(t.path, o, &g);
	assert_int_equal(g.n, 101);
	assert_int_equal(g.v[0].time_ns, T0 + 100 * S);
	assert_int_equal(g.v[100].time_ns, T0 + 200 * S);
	got_free(&g);

	o.tail = 5;
	read_into(t.path, o, &g);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.v[0].time_ns, T0 + 196 * S);
	assert_int_equal(g.v[4].time_ns, T0 + 200 * S);
	got_free(&g);

	o.tail = 500; /* more than there are after since */
	read_into(t.path, o, &g);
	assert_int_equal(g.n, 101);
	got_free(&g);

	/* since between two entries, nothing before it read */
	o = opts(-1);
	o.since_ns = T0 + 250 * S + 1;
	read_into(t.path, o, &g);
	assert_int_equal(g.n, 49);
	assert_int_equal(g.v[0].time_ns, T0 + 251 * S);
	got_free(&g);

	/* since after everything / until before everything */
	o.since_ns = T0 + 1000 * S;
	read_into(t.path, o, &g);
	assert_int_equal(g.n, 0);
	o.since_ns = 0;
	o.until_ns = T0 - 1;
	read_into(t.path, o, &g);
	assert_int_equal(g.n, 0);

	/* stream selection, with and without tail */
	o = opts(-1);
	o.stdout_ = false;
	read_into(t.path, o, &g);
	assert_int_equal(g.n, 100);
	for (size_t i = 0; i < g.n; i++) {
		assert_int_equal(g.v[i].stream, JSONLOG_STDERR);
		assert_int_equal(g.v[i].time_ns, T0 + (int64_t)(3 * i) * S);
	}
	got_free(&g);
	o.tail = 4;
	read_into(t.path, o, &g);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.v[3].time_ns, T0 + 297 * S);
	assert_int_equal(g.v[0].time_ns, T0 + 288 * S);
	got_free(&g);
	o = opts(3);
	o.stderr_ = false;
	read_into(t.path, o, &g);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.v[0].time_ns, T0 + 296 * S);
	assert_int_equal(g.v[2].time_ns, T0 + 299 * S);
	got_free(&g);
	o.stdout_ = false;
	read_into(t.path, o, &g);
	assert_int_equal(g.n, 0);

	/* a missing file is an empty log */
	char missing[128];
	snprintf(missing, sizeof(missing), "%s/none.log", t.dir);
	read_into(missing, opts(-1), &g);
	read_into(missing, opts(10), &g);
	assert_int_equal(g.n, 0);
	tmp_done(&t);
}

/* Tail on a big log reads about what it returns, not the file. */
static void test_tail_reads_little(void **state)
{
	struct tmp t;
	tmp_init(&t);
	struct jsonlog_writer *w = wopen(t.path, 0, 1);
	char line[1024];
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (unsigned i = 0; i < 50 * 1024; i++) /* ~50 MB of log file */
		assert_int_equal(jsonlog_write(w, JSONLOG_STDOUT, line, sizeof(line), T0 + i), 0);
	jsonlog_writer_close(w);
	struct stat st;
	assert_int_equal(stat(t.path, &st), 0);
	assert_true(st.st_size > 50 * 1000 * 1000);

	uint64_t before = jsonlog_stats_bytes_read();
	struct got g = { 0 };
	read_into(t.path, opts(10), &g);
	uint64_t used = jsonlog_stats_bytes_read() - before;
	assert_int_equal(g.n, 10);
	assert_int_equal(g.v[9].time_ns, T0 + 50 * 1024 - 1);
	assert_true(used < 256 * 1024);
	got_free(&g);

	/* since near the end (read forward: bounded by the file, not by the answer) */
	struct jsonlog_read_opts o = opts(-1);
	o.since_ns = T0 + 50 * 1024 - 5;
	read_into(t.path, o, &g);
	assert_int_equal(g.n, 5);
	got_free(&g);
	tmp_done(&t);
}

/* ---- follow ---- */

struct follow_ctx {
	const char *path;
	unsigned total;
	volatile int writer_done;
	struct got got;
	unsigned max_files;
	uint64_t max_size;
	int64_t deadline;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *writer_thread(void *arg)
{
	struct follow_ctx *c = arg;
	struct jsonlog_writer *w = NULL;
	struct berr err = { 0 };
	if (jsonlog_writer_open(c->path, c->max_size, c->max_files, &w, &err) < 0)
		abort();
	for (unsigned i = 0; i < c->total; i++) {
		char buf[64];
		int n = snprintf(buf, sizeof(buf), "entry %u\n", i);
		/* halves of one line sometimes: the reader must wait for the rest */
		if (i % 5 == 0) {
			if (jsonlog_write(w, JSONLOG_STDOUT, buf, 3, T0 + i) < 0)
				abort();
			usleep(200);
			if (jsonlog_write(w, JSONLOG_STDOUT, buf + 3, (size_t)n - 3, T0 + i) < 0)
				abort();
		} else if (jsonlog_write(w, i % 2 ? JSONLOG_STDERR : JSONLOG_STDOUT, buf, (size_t)n, T0 + i) < 0) {
			abort();
		}
		if (i % 50 == 0)
			usleep(2000);
	}
	jsonlog_writer_close(w);
	__atomic_store_n(&c->writer_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static bool follow_stop(void *ud)
{
	struct follow_ctx *c = ud;
	if (now_ms() > c->deadline)
		return true;
	return __atomic_load_n(&c->writer_done, __ATOMIC_SEQ_CST) && c->got.n >= c->total;
}

static int follow_collect(const struct jsonlog_entry *e, void *ud)
{
	struct follow_ctx *c = ud;
	return collect(e, &c->got);
}

static void run_follow(uint64_t max_size, unsigned max_files, bool tail0)
{
	struct tmp t;
	tmp_init(&t);
	struct follow_ctx c = { .path = t.path, .total = 3000, .max_size = max_size, .max_files = max_files };
	c.deadline = now_ms() + 20000;
	struct jsonlog_read_opts o = opts(tail0 ? 0 : -1);
	o.follow = true;
	if (tail0) {
		/* an existing log whose entries tail 0 does not show */
		struct jsonlog_writer *w = wopen(t.path, 0, 1);
		assert_int_equal(jsonlog_write(w, JSONLOG_STDOUT, "old\n", 4, T0 - 1), 0);
		jsonlog_writer_close(w);
	}
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, writer_thread, &c), 0);
	struct berr err = { 0 };
	assert_int_equal(jsonlog_read(t.path, &o, follow_collect, follow_stop, &c, &err), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(now_ms() < c.deadline);
	assert_int_equal(c.got.n, c.total);
	for (unsigned i = 0; i < c.total; i++) {
		char want[64];
		snprintf(want, sizeof(want), "entry %u\n", i);
		assert_string_equal(c.got.v[i].line, want);
		assert_int_equal(c.got.v[i].time_ns, T0 + i);
	}
	got_free(&c.got);
	if (max_size)
		assert_true(exists_n(t.path, 1));
	tmp_done(&t);
}

static void test_follow_rotating(void **state)
{
	run_follow(4096, 1000, false); /* ~50 rotations while following */
}

static void test_follow_plain_tail0(void **state)
{
	run_follow(0, 1, true);
}

static bool stop_now(void *ud)
{
	(*(int *)ud)++;
	return *(int *)ud > 3;
}

static int never(const struct jsonlog_entry *e, void *ud)
{
	return 0;
}

static void test_follow_stops(void **state)
{
	struct tmp t;
	tmp_init(&t);
	struct jsonlog_read_opts o = opts(10);
	o.follow = true;
	int calls = 0;
	int64_t start = now_ms();
	/* the file does not exist yet: follow waits for it, and stop() ends it */
	assert_int_equal(jsonlog_read(t.path, &o, never, stop_now, &calls, NULL), 0);
	assert_int_equal(calls, 4);
	assert_true(now_ms() - start >= 250);
	assert_true(now_ms() - start < 5000);

	/* until in the past ends a follow at the first newer entry */
	struct jsonlog_writer *w = wopen(t.path, 0, 1);
	write_many(w, 0, 10);
	jsonlog_writer_close(w);
	o = opts(-1);
	o.follow = true;
	o.until_ns = T0 + 4 * 1000000000LL;
	struct got g = { 0 };
	calls = -1000000;
	assert_int_equal(jsonlog_read(t.path, &o, collect, stop_now, &g, NULL), 0);
	assert_int_equal(g.n, 5);
	got_free(&g);
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
		cmocka_unit_test(test_read_roundtrip),
		cmocka_unit_test(test_read_foreign_lines),
		cmocka_unit_test(test_corrupt_lines),
		cmocka_unit_test(test_tail_across_rotation),
		cmocka_unit_test(test_since_until_streams),
		cmocka_unit_test(test_tail_reads_little),
		cmocka_unit_test(test_follow_rotating),
		cmocka_unit_test(test_follow_plain_tail0),
		cmocka_unit_test(test_follow_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
