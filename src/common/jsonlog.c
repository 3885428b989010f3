/* jsonlog.c - Docker json-file logs: the writer (berth-shim) and the reader
 * (berthd). See jsonlog.h for the format and the guarantees.
 *
 * Byte-for-byte choices follow dockerd's json-file driver (moby
 * daemon/logger/jsonfilelog/jsonlog, JSONLogs.MarshalJSONBuf):
 *  - field order log, stream, time; "log" left out when empty;
 *  - in strings: \" \\ \n \r as two-character escapes, every other byte
 *    below 0x20 and the HTML characters < > & as \u00xx (lower-case hex),
 *    so \t is \u0009; U+2028 and U+2029 as \u2028 \u2029; each byte that
 *    does not start a valid UTF-8 sequence as \ufffd; DEL and valid
 *    multi-byte UTF-8 as is;
 *  - time as Go's RFC3339Nano in UTC: trailing zeros of the fraction
 *    trimmed, no fraction at all on a whole second.
 * An entry is one write(2) with O_APPEND, so a reader sees whole lines
 * except for the instant a write is in progress. */
#include "common/jsonlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"

#define NSEC_PER_SEC 1000000000LL

/* Worst case per input byte is a six-byte escape (\u00xx or \ufffd). */
#define ENTRY_MAX (6u * JSONLOG_MAX_LINE + 128u)

struct pending {
	char buf[JSONLOG_MAX_LINE];
	size_t len;
};

struct jsonlog_writer {
	char *path;
	int fd;
	uint64_t size; /* bytes in the current file */
	uint64_t max_size;
	unsigned max_files;
	int64_t last_ns; /* newest time written: keeps the file in time order */
	struct pending pending[2]; /* stdout, stderr */
	char entry[ENTRY_MAX];
};

static const char *stream_name(enum jsonlog_stream s)
{
	return s == JSONLOG_STDERR ? "stderr" : "stdout";
}

/* ---- encoding ---- */

static const char hexdig[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at p (2..4), or 0 when the byte does
 * not start one. The same ranges as Go's utf8.DecodeRune: no overlongs, no
 * surrogates, nothing above U+10FFFF. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

static size_t put_u00(char *o, unsigned char c)
{
	memcpy(o, "\\u00", 4);
	o[4] = hexdig[c >> 4];
	o[5] = hexdig[c & 0xf];
	return 6;
}

static size_t escape_ascii(char *o, unsigned char c)
{
	switch (c) {
	case '"':
	case '\\':
		o[0] = '\\';
		o[1] = (char)c;
		return 2;
	case '\n':
		memcpy(o, "\\n", 2);
		return 2;
	case '\r':
		memcpy(o, "\\r", 2);
		return 2;
	default:
		return put_u00(o, c);
	}
}

static bool ascii_plain(unsigned char c)
{
	return c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&';
}

/* JSON string body of s (no quotes) into o, which holds 6 bytes per input byte. */
static size_t escape_string(char *o, const unsigned char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n;) {
		if (s[i] < 0x80) {
			if (ascii_plain(s[i]))
				o[w++] = (char)s[i];
			else
				w += escape_ascii(o + w, s[i]);
			i++;
			continue;
		}
		size_t len = utf8_seq_len(s + i, n - i);
		if (len == 0) {
			memcpy(o + w, "\\ufffd", 6);
			w += 6;
			i++;
		} else if (len == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
			/* U+2028/U+2029 end lines in JavaScript. */
			memcpy(o + w, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
			w += 6;
			i += 3;
		} else {
			memcpy(o + w, s + i, len);
			w += len;
			i += len;
		}
	}
	return w;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Go's time.RFC3339Nano of a UTC time, e.g. 2024-01-01T00:00:00.12Z. */
static size_t format_time(char out[48], int64_t ns)
{
	int64_t sec = floor_div(ns, NSEC_PER_SEC);
	long frac = (long)(ns - sec * NSEC_PER_SEC);
	time_t t = (time_t)sec;
	struct tm tm;
	int n;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	n = snprintf(out, 48, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		     tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (n < 0 || n > 36)
		n = 36;
	if (frac > 0) {
		int digits = 9;
		while (frac % 10 == 0) {
			frac /= 10;
			digits--;
		}
		n += snprintf(out + n, 48 - (size_t)n, ".%0*ld", digits, frac);
	}
	out[n++] = 'Z';
	return (size_t)n;
}

static size_t encode_entry(char *o, enum jsonlog_stream s, const char *log, size_t n, int64_t ns)
{
	size_t w = 1;

	o[0] = '{';
	if (n > 0) {
		memcpy(o + w, "\"log\":\"", 7);
		w += 7;
		w += escape_string(o + w, (const unsigned char *)log, n);
		memcpy(o + w, "\",", 2);
		w += 2;
	}
	w += (size_t)snprintf(o + w, 32, "\"stream\":\"%s\",\"time\":\"", stream_name(s));
	w += format_time(o + w, ns);
	memcpy(o + w, "\"}\n", 3);
	return w + 3;
}

/* ---- writer ---- */

static int open_append(const char *path, uint64_t *ret_size)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return neg_errno();
	*ret_size = (uint64_t)st.st_size;
	return TAKE_FD(fd);
}

static int rotated_name(char *buf, size_t n, const char *path, unsigned i)
{
	int r = snprintf(buf, n, "%s.%u", path, i);
	return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

/* <path>.k -> <path>.k+1 from the oldest down, dropping the last, then
 * <path> -> <path>.1 (or gone when only one file is kept). The current
 * file is only renamed, never truncated, so a reader holding it open
 * finishes it and finds the rest by inode. */
static int shift_files(struct jsonlog_writer *w)
{
	char from[PATH_MAX], to[PATH_MAX];

	for (unsigned i = w->max_files - 1; i >= 2; i--) {
		if (rotated_name(from, sizeof(from), w->path, i - 1) < 0 ||
		    rotated_name(to, sizeof(to), w->path, i) < 0)
			return -ENAMETOOLONG;
		if (rename(from, to) < 0 && errno != ENOENT)
			return neg_errno();
	}
	if (w->max_files < 2)
		return unlink(w->path) < 0 && errno != ENOENT ? neg_errno() : 0;
	if (rotated_name(to, sizeof(to), w->path, 1) < 0)
		return -ENAMETOOLONG;
	return rename(w->path, to) < 0 ? neg_errno() : 0;
}

static int rotate(struct jsonlog_writer *w)
{
	int r = shift_files(w);

	if (r < 0)
		return r;
	/* Whatever happens next, the old file is no longer ours to append to. */
	close(w->fd);
	w->fd = open_append(w->path, &w->size);
	return w->fd < 0 ? w->fd : 0;
}

int jsonlog_writer_open(const char *path, uint64_t max_size, unsigned max_files, struct jsonlog_writer **ret,
			struct berr *err)
{
	struct jsonlog_writer *w;

	if (!path || max_files < 1)
		return berr_set(err, BERR_INVALID, EINVAL, "log file %s: max_files must be at least 1",
				path ? path : "(null)");
	w = calloc(1, sizeof(*w));
	if (!w || !(w->path = strdup(path))) {
		free(w);
		return berr_set(err, BERR_INTERNAL, ENOMEM, "log file %s", path);
	}
	w->max_size = max_size;
	w->max_files = max_files;
	w->last_ns = INT64_MIN;
	w->fd = open_append(path, &w->size);
	if (w->fd < 0) {
		int r = w->fd;
		free(w->path);
		free(w);
		return berr_set(err, berr_kind_from_errno(r), -r, "opening log file %s", path);
	}
	*ret = w;
	return 0;
}

/* One entry, one write(2): the rotation comes first so the entry that
 * overflows the current file opens the next one. */
static int emit(struct jsonlog_writer *w, enum jsonlog_stream s, const char *log, size_t n, int64_t ns)
{
	size_t len;
	int r;

	/* A clock stepping back must not break the time order readers rely on. */
	if (ns < w->last_ns)
		ns = w->last_ns;
	w->last_ns = ns;
	if (w->fd < 0) { /* a failed rotation left no file: try again */
		w->fd = open_append(w->path, &w->size);
		if (w->fd < 0)
			return w->fd;
	}
	len = encode_entry(w->entry, s, log, n, ns);
	if (w->max_size > 0 && w->size > 0 && w->size + len > w->max_size) {
		r = rotate(w);
		if (r < 0)
			return r;
	}
	r = write_all(w->fd, w->entry, len);
	if (r < 0)
		return r;
	w->size += len;
	return 0;
}

static int emit_pending(struct jsonlog_writer *w, enum jsonlog_stream s, int64_t ns)
{
	struct pending *p = &w->pending[s - 1];
	int r;

	if (p->len == 0)
		return 0;
	r = emit(w, s, p->buf, p->len, ns);
	p->len = 0;
	return r;
}

/* Lines end at "\n" or, like docker's 16 KiB copy buffer, when 16 KiB
 * gather without one (that piece has no "\n"). An entry carries the time
 * its line completed, so entries are in time order across both streams. */
int jsonlog_write(struct jsonlog_writer *w, enum jsonlog_stream s, const char *data, size_t n, int64_t time_ns)
{
	struct pending *p;

	if (!w || (s != JSONLOG_STDOUT && s != JSONLOG_STDERR) || (!data && n > 0))
		return -EINVAL;
	p = &w->pending[s - 1];
	while (n > 0) {
		size_t take = JSONLOG_MAX_LINE - p->len;
		const char *nl;
		int r;

		if (take > n)
			take = n;
		nl = memchr(data, '\n', take);
		if (nl)
			take = (size_t)(nl - data) + 1;
		memcpy(p->buf + p->len, data, take);
		p->len += take;
		data += take;
		n -= take;
		if (nl || p->len == JSONLOG_MAX_LINE) {
			r = emit_pending(w, s, time_ns);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int jsonlog_flush(struct jsonlog_writer *w, int64_t time_ns)
{
	int r;

	if (!w)
		return -EINVAL;
	r = emit_pending(w, JSONLOG_STDOUT, time_ns);
	if (r < 0)
		return r;
	return emit_pending(w, JSONLOG_STDERR, time_ns);
}

void jsonlog_writer_close(struct jsonlog_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w);
}

void jsonlog_frame_header(enum jsonlog_stream s, uint32_t len, unsigned char out[8])
{
	out[0] = (unsigned char)s;
	out[1] = out[2] = out[3] = 0;
	out[4] = (unsigned char)(len >> 24);
	out[5] = (unsigned char)(len >> 16);
	out[6] = (unsigned char)(len >> 8);
	out[7] = (unsigned char)len;
}
