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

/* ---- reader: one line of JSON into an entry ---- */

#define READ_BLOCK (64u * 1024)
/* A real entry is at most ~100 KiB; anything longer is corrupt and skipped
 * without holding it in memory. */
#define READ_LINE_CAP (1024u * 1024)
#define READ_DONE 1 /* stop reading: the callback said so, or past "until" */
#define MAX_ROTATED 1000u

static uint64_t stats_bytes_read;

uint64_t jsonlog_stats_bytes_read(void)
{
	return __atomic_load_n(&stats_bytes_read, __ATOMIC_RELAXED);
}

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

static int hex4(const char *p, const char *e)
{
	int v = 0;

	if (e - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX at p (after the backslash and 'u'), surrogate pairs joined and a
 * lone surrogate read as U+FFFD, as Go's decoder does. Never produces more
 * bytes than it consumes. */
static const char *parse_u(const char *p, const char *e, char tmp[4], size_t *ret_n)
{
	int cp = hex4(p, e), lo;

	if (cp < 0)
		return NULL;
	p += 4;
	if (cp >= 0xd800 && cp < 0xdc00 && e - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
	    (lo = hex4(p + 2, e)) >= 0xdc00 && lo < 0xe000) {
		*ret_n = put_utf8(tmp, 0x10000u + (((unsigned)cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00));
		return p + 6;
	}
	if (cp >= 0xd800 && cp < 0xe000)
		cp = 0xfffd;
	*ret_n = put_utf8(tmp, (unsigned)cp);
	return p;
}

static char simple_escape(char c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *f = memchr(from, c, sizeof(from) - 1);
	return f ? to[f - from] : 0;
}

/* The JSON string at p into dst (bytes beyond cap counted, not stored);
 * returns the position after the closing quote, NULL when malformed. */
static const char *parse_string(const char *p, const char *e, char *dst, size_t cap, size_t *ret_len)
{
	size_t n = 0;

	if (p >= e || *p != '"')
		return NULL;
	for (p++; p < e;) {
		char tmp[4];
		size_t k = 1;

		if (*p == '"') {
			*ret_len = n;
			return p + 1;
		}
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p != '\\') {
			tmp[0] = *p++;
		} else if (p + 1 < e && p[1] == 'u') {
			p = parse_u(p + 2, e, tmp, &k);
		} else if (p + 1 < e && (tmp[0] = simple_escape(p[1]))) {
			p += 2;
		} else {
			return NULL;
		}
		if (!p)
			return NULL;
		for (size_t i = 0; i < k; i++, n++)
			if (n < cap)
				dst[n] = tmp[i];
	}
	return NULL;
}

/* Any JSON value (loosely: numbers and literals are not checked), for
 * fields berth does not use such as docker's "attrs". */
static const char *skip_value(const char *p, const char *e, int depth)
{
	size_t unused;

	p = skip_ws(p, e);
	if (p >= e || depth > 32)
		return NULL;
	if (*p == '"')
		return parse_string(p, e, NULL, 0, &unused);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		p = skip_ws(p + 1, e);
		if (p < e && *p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = parse_string(skip_ws(p, e), e, NULL, 0, &unused);
				p = p ? skip_ws(p, e) : NULL;
				if (!p || p >= e || *p++ != ':')
					return NULL;
			}
			p = skip_value(p, e, depth + 1);
			p = p ? skip_ws(p, e) : NULL;
			if (!p || p >= e)
				return NULL;
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	const char *s = p;
	while (p < e && (strchr("+-.eE", *p) || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')))
		p++;
	return p > s ? p : NULL;
}

static int digits(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the well-known
 * era-based civil calendar arithmetic). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* RFC 3339 with an optional fraction (any number of digits, nanoseconds
 * kept) and Z or a numeric offset. */
static int parse_time(const char *s, size_t n, int64_t *ret_ns)
{
	const char *p = s + 19, *e = s + n;
	int64_t frac = 0;
	int Y, M, D, h, m, sec, scale = 9, off = 0;

	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
		return -EINVAL;
	Y = digits(s, 4), M = digits(s + 5, 2), D = digits(s + 8, 2);
	h = digits(s + 11, 2), m = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (Y < 0 || M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 60)
		return -EINVAL;
	if (p < e && *p == '.') {
		for (p++; p < e && *p >= '0' && *p <= '9'; p++)
			if (scale > 0) {
				frac = frac * 10 + (*p - '0');
				scale--;
			}
		for (; scale > 0; scale--)
			frac *= 10;
	}
	if (p < e && (*p == 'Z' || *p == 'z') && p + 1 == e) {
		off = 0;
	} else if (e - p == 6 && (*p == '+' || *p == '-') && p[3] == ':' && digits(p + 1, 2) >= 0 && digits(p + 4, 2) >= 0) {
		off = (digits(p + 1, 2) * 60 + digits(p + 4, 2)) * 60 * (*p == '-' ? -1 : 1);
	} else {
		return -EINVAL;
	}
	int64_t t = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec - off, ns;
	/* int64 nanoseconds span the years 1677 to 2262 */
	if (__builtin_mul_overflow(t, NSEC_PER_SEC, &ns) || __builtin_add_overflow(ns, frac, &ns))
		return -ERANGE;
	*ret_ns = ns;
	return 0;
}

static const char *parse_member(const char *p, const char *e, char *log, size_t cap, struct jsonlog_entry *x,
				bool *have_time)
{
	char key[8], val[48];
	size_t klen, vlen;

	p = parse_string(p, e, key, sizeof(key), &klen);
	p = p ? skip_ws(p, e) : NULL;
	if (!p || p >= e || *p != ':')
		return NULL;
	p = skip_ws(p + 1, e);
	if (klen == 3 && memcmp(key, "log", 3) == 0)
		return parse_string(p, e, log, cap, &x->len);
	if ((klen == 6 && memcmp(key, "stream", 6) == 0) || (klen == 4 && memcmp(key, "time", 4) == 0)) {
		p = parse_string(p, e, val, sizeof(val), &vlen);
		if (!p || vlen > sizeof(val))
			return NULL;
		if (klen == 4) {
			*have_time = parse_time(val, vlen, &x->time_ns) == 0;
			return *have_time ? p : NULL;
		}
		x->stream = vlen == 6 && memcmp(val, "stdout", 6) == 0	 ? JSONLOG_STDOUT
			    : vlen == 6 && memcmp(val, "stderr", 6) == 0 ? JSONLOG_STDERR
									 : 0;
		return p;
	}
	return skip_value(p, e, 0);
}

/* One line (without its "\n") into *ret; the text goes to out, which has
 * room for n bytes (unescaping never grows a string). */
static int parse_line(const char *s, size_t n, char *out, struct jsonlog_entry *ret)
{
	const char *p = skip_ws(s, s + n), *e = s + n;
	struct jsonlog_entry x = { .line = out };
	bool have_time = false;

	if (p >= e || *p++ != '{')
		return -EINVAL;
	p = skip_ws(p, e);
	if (p < e && *p == '}')
		return -EINVAL;
	for (;;) {
		p = parse_member(p, e, out, n, &x, &have_time);
		p = p ? skip_ws(p, e) : NULL;
		if (!p || p >= e)
			return -EINVAL;
		if (*p++ == '}')
			break;
		if (p[-1] != ',')
			return -EINVAL;
		p = skip_ws(p, e);
	}
	if (skip_ws(p, e) != e || !have_time || x.stream == 0)
		return -EINVAL;
	*ret = x;
	return 0;
}

/* ---- reader: files ---- */

struct rd {
	const char *path;
	const struct jsonlog_read_opts *o;
	jsonlog_entry_fn fn;
	jsonlog_stop_fn stop;
	void *ud;
	char *scratch;
	size_t scratch_cap;
};

static int decode(struct rd *rd, const char *line, size_t n, struct jsonlog_entry *ret)
{
	if (rd->scratch_cap < n + 1) {
		char *s = realloc(rd->scratch, n + 1);
		if (!s)
			return -ENOMEM;
		rd->scratch = s;
		rd->scratch_cap = n + 1;
	}
	return parse_line(line, n, rd->scratch, ret);
}

static bool wanted(const struct jsonlog_read_opts *o, const struct jsonlog_entry *e)
{
	if (e->stream == JSONLOG_STDOUT ? !o->stdout_ : !o->stderr_)
		return false;
	return o->since_ns == 0 || e->time_ns >= o->since_ns;
}

/* Corrupt lines are skipped: one bad line must not hide the rest. */
static int deliver(struct rd *rd, const char *line, size_t n)
{
	struct jsonlog_entry e;
	int r = decode(rd, line, n, &e);

	if (r == -ENOMEM)
		return r;
	if (r < 0 || !wanted(rd->o, &e))
		return 0;
	if (rd->o->until_ns != 0 && e.time_ns > rd->o->until_ns)
		return READ_DONE;
	return rd->fn(&e, rd->ud) ? READ_DONE : 0;
}

static ssize_t pread_counted(int fd, void *buf, size_t n, off_t off)
{
	ssize_t r = RETRY_EINTR(pread(fd, buf, n, off));

	if (r > 0)
		__atomic_fetch_add(&stats_bytes_read, (uint64_t)r, __ATOMIC_RELAXED);
	return r < 0 ? neg_errno() : r;
}

/* Forward scan: complete lines in order, the partial last one kept until
 * its "\n" arrives (the writer may be mid-write). */
struct fscan {
	int fd;
	dev_t dev;
	ino_t ino;
	off_t off; /* file offset of buf[len] */
	char *buf;
	size_t len, cap;
	bool discard; /* inside an over-long line */
};

static void fscan_reset(struct fscan *fs, int fd, off_t off)
{
	struct stat st;

	if (fs->fd >= 0)
		close(fs->fd);
	fs->fd = fd;
	fs->off = off;
	fs->len = 0;
	fs->discard = false;
	fs->dev = 0;
	fs->ino = 0;
	if (fd >= 0 && fstat(fd, &st) == 0) {
		fs->dev = st.st_dev;
		fs->ino = st.st_ino;
	}
}

static void fscan_release(struct fscan *fs)
{
	fscan_reset(fs, -EBADF, 0);
	free(fs->buf);
	fs->buf = NULL;
}

static int fscan_lines(struct fscan *fs, struct rd *rd)
{
	char *start = fs->buf, *end = fs->buf + fs->len, *nl;
	int r = 0;

	while (r == 0 && (nl = memchr(start, '\n', (size_t)(end - start)))) {
		if (!fs->discard)
			r = deliver(rd, start, (size_t)(nl - start));
		fs->discard = false;
		start = nl + 1;
	}
	fs->len = (size_t)(end - start);
	memmove(fs->buf, start, fs->len);
	if (fs->len > READ_LINE_CAP) {
		fs->discard = true;
		fs->len = 0;
	}
	return r;
}

/* Everything complete up to the current end of file. */
static int fscan_drain(struct fscan *fs, struct rd *rd)
{
	if (fs->fd < 0)
		return 0;
	for (;;) {
		if (fs->cap - fs->len < READ_BLOCK) {
			char *b = realloc(fs->buf, fs->len + READ_BLOCK);
			if (!b)
				return -ENOMEM;
			fs->buf = b;
			fs->cap = fs->len + READ_BLOCK;
		}
		ssize_t n = pread_counted(fs->fd, fs->buf + fs->len, READ_BLOCK, fs->off);
		if (n <= 0)
			return (int)n;
		fs->off += n;
		fs->len += (size_t)n;
		int r = fscan_lines(fs, rd);
		if (r != 0)
			return r;
	}
}

/* Backward scan: complete lines from the end towards the start, in blocks,
 * so tail costs what it returns. Invariant: buf holds file bytes
 * [pos, pos+len) and, when len > 0, ends with a "\n". */
struct bscan {
	int fd;
	off_t pos;
	char *buf;
	size_t len, cap;
	off_t end; /* where complete lines end (a partial last line excluded) */
	bool discard;
};

static int bscan_grow(struct bscan *bs)
{
	size_t blk = bs->len > READ_BLOCK ? bs->len : READ_BLOCK;
	ssize_t n;

	if ((off_t)blk > bs->pos)
		blk = (size_t)bs->pos;
	if (bs->cap < bs->len + blk) {
		char *b = realloc(bs->buf, bs->len + blk);
		if (!b)
			return -ENOMEM;
		bs->buf = b;
		bs->cap = bs->len + blk;
	}
	memmove(bs->buf + blk, bs->buf, bs->len);
	n = pread_counted(bs->fd, bs->buf, blk, bs->pos - (off_t)blk);
	if (n < 0)
		return (int)n;
	if ((size_t)n != blk) /* truncated under us: treat as the start */
		return -EIO;
	bs->pos -= (off_t)blk;
	bs->len += blk;
	return 0;
}

/* Positions at the end of the last complete line of the first `size` bytes. */
static int bscan_init(struct bscan *bs, int fd, off_t size)
{
	*bs = (struct bscan){ .fd = fd, .pos = size };
	for (;;) {
		char *nl = bs->len ? memrchr(bs->buf, '\n', bs->len) : NULL;
		if (nl) {
			bs->len = (size_t)(nl - bs->buf) + 1;
			break;
		}
		bs->len = 0; /* part of the partial line: not ours yet */
		if (bs->pos == 0)
			break;
		int r = bscan_grow(bs);
		if (r < 0)
			return r;
	}
	bs->end = bs->pos + (off_t)bs->len;
	return 0;
}

/* The previous complete line: 1 with *ret set, 0 at the start of the file. */
static int bscan_prev(struct bscan *bs, const char **ret, size_t *ret_n)
{
	for (;;) {
		if (bs->len == 0 && bs->pos == 0)
			return 0;
		char *nl = bs->len > 1 ? memrchr(bs->buf, '\n', bs->len - 1) : NULL;
		if (nl || bs->pos == 0) {
			char *line = nl ? nl + 1 : bs->buf;
			size_t n = (size_t)(bs->buf + bs->len - 1 - line);
			bool skip = bs->discard;
			bs->len = (size_t)(line - bs->buf);
			bs->discard = false;
			if (skip)
				continue;
			*ret = line;
			*ret_n = n;
			return 1;
		}
		if (bs->len > READ_LINE_CAP) {
			/* Keep only the terminator (buf is no longer the bytes
			 * from pos on, but only pos matters from here): the
			 * rest of the line, found next, is skipped. */
			bs->buf[0] = '\n';
			bs->len = 1;
			bs->discard = true;
		}
		int r = bscan_grow(bs);
		if (r < 0)
			return r;
	}
}

static void bscan_release(struct bscan *bs)
{
	free(bs->buf);
	bs->buf = NULL;
}

static int open_log(const char *path, unsigned i)
{
	char p[PATH_MAX];

	if (i > 0 && rotated_name(p, sizeof(p), path, i) < 0)
		return -ENAMETOOLONG;
	int fd = open(i > 0 ? p : path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? neg_errno() : fd;
}

static bool same_file(int fd, dev_t dev, ino_t ino)
{
	struct stat st;
	return fstat(fd, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

static off_t fd_size(int fd)
{
	struct stat st;
	return fstat(fd, &st) < 0 ? 0 : st.st_size;
}

/* The rotated files <path>.1, .2 ... (newest first) as open fds, stopping
 * at the first missing one or at the file `stop_ino` (not included); files
 * that are `skip` (the current one, seen again after a rotation) left out. */
static int open_rotated(const char *path, const struct stat *skip, const struct stat *stop_at, int *fds,
			size_t *ret_n, bool *ret_found)
{
	size_t n = 0;
	bool found = false;

	for (unsigned i = 1; i <= MAX_ROTATED && !found; i++) {
		int fd = open_log(path, i);
		if (fd == -ENOENT)
			break;
		if (fd < 0) {
			while (n > 0)
				close(fds[--n]);
			return fd;
		}
		if ((skip && same_file(fd, skip->st_dev, skip->st_ino)) ||
		    (stop_at && (found = same_file(fd, stop_at->st_dev, stop_at->st_ino))))
			close(fd);
		else
			fds[n++] = fd;
	}
	*ret_n = n;
	*ret_found = found;
	return 0;
}

static void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* True when the file's newest entry is before `since`: nothing to read. */
static bool ends_before(struct rd *rd, int fd, int64_t since)
{
	struct bscan bs;
	const char *line;
	size_t n;
	bool before = false;

	if (since == 0 || bscan_init(&bs, fd, fd_size(fd)) < 0)
		return false;
	while (bscan_prev(&bs, &line, &n) == 1) {
		struct jsonlog_entry e;
		if (decode(rd, line, n, &e) == 0) {
			before = e.time_ns < since;
			break;
		}
	}
	bscan_release(&bs);
	return before;
}

/* Whole files, oldest first; fds[n-1] is the oldest. */
static int read_files_forward(struct rd *rd, int *fds, size_t n)
{
	struct fscan fs = { .fd = -EBADF };
	int r = 0;

	for (size_t i = n; i-- > 0 && r == 0;) {
		if (ends_before(rd, fds[i], rd->o->since_ns))
			continue;
		fscan_reset(&fs, TAKE_FD(fds[i]), 0);
		r = fscan_drain(&fs, rd);
	}
	fscan_release(&fs);
	return r;
}

/* ---- tail ---- */

struct kept {
	struct jsonlog_entry *v;
	size_t n, cap;
};

static void kept_release(struct kept *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i].line);
	free(k->v);
}

static int kept_push(struct kept *k, const struct jsonlog_entry *e)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 64;
		struct jsonlog_entry *v = reallocarray(k->v, cap, sizeof(*v));
		if (!v)
			return -ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	struct jsonlog_entry *x = &k->v[k->n];
	*x = *e;
	x->line = malloc(e->len + 1);
	if (!x->line)
		return -ENOMEM;
	memcpy(x->line, e->line, e->len);
	x->line[e->len] = '\0';
	k->n++;
	return 0;
}

/* Collect, newest first, up to `tail` wanted entries from one file. Returns
 * READ_DONE when enough were found or `since` was passed. */
static int tail_file(struct rd *rd, struct bscan *bs, struct kept *k)
{
	const char *line;
	size_t n;
	int r;

	while ((r = bscan_prev(bs, &line, &n)) == 1) {
		struct jsonlog_entry e;
		r = decode(rd, line, n, &e);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			continue;
		if (rd->o->since_ns != 0 && e.time_ns < rd->o->since_ns)
			return READ_DONE; /* files are in time order: all older from here */
		if ((rd->o->until_ns != 0 && e.time_ns > rd->o->until_ns) || !wanted(rd->o, &e))
			continue;
		r = kept_push(k, &e);
		if (r < 0)
			return r;
		if ((int64_t)k->n >= rd->o->tail)
			return READ_DONE;
	}
	return r;
}

/* The newest file first (its scan decided by the caller, who follows on
 * from its end), then <path>.1, .2 ... until enough entries are found. */
static int tail_collect(struct rd *rd, struct bscan *cur, const struct stat *cur_st, struct kept *k)
{
	int r = rd->o->tail > 0 ? tail_file(rd, cur, k) : READ_DONE;

	for (unsigned i = 1; r == 0 && i <= MAX_ROTATED; i++) {
		_cleanup_close_ int fd = open_log(rd->path, i);
		struct bscan bs;
		if (fd == -ENOENT)
			break;
		if (fd < 0)
			return fd;
		if (same_file(fd, cur_st->st_dev, cur_st->st_ino))
			continue; /* rotated while we read: already seen */
		r = bscan_init(&bs, fd, fd_size(fd));
		if (r == 0)
			r = tail_file(rd, &bs, k);
		bscan_release(&bs);
	}
	return r < 0 ? r : 0;
}

static int tail_emit(struct rd *rd, struct kept *k)
{
	for (size_t i = k->n; i-- > 0;)
		if (rd->fn(&k->v[i], rd->ud))
			return READ_DONE;
	return 0;
}

/* Tail: the entries, then `fs` set at the end of the current file's
 * complete lines for a follow. */
static int read_tail(struct rd *rd, int fd, struct fscan *fs)
{
	struct kept k = { 0 };
	struct bscan bs = { 0 };
	struct stat st = { 0 };
	int r;

	if (fd >= 0 && fstat(fd, &st) < 0) {
		close(fd);
		return neg_errno();
	}
	r = fd >= 0 ? bscan_init(&bs, fd, st.st_size) : 0;
	if (r == 0 && fd >= 0)
		r = tail_collect(rd, &bs, &st, &k);
	if (r == 0)
		r = tail_emit(rd, &k);
	kept_release(&k);
	bscan_release(&bs);
	fscan_reset(fs, fd, fd >= 0 ? bs.end : 0);
	return r;
}

/* Everything (since/until applied), the current file last; `fs` is left
 * at its end for a follow. */
static int read_all_files(struct rd *rd, int fd, struct fscan *fs)
{
	int fds[MAX_ROTATED];
	size_t n = 0;
	bool found;
	struct stat st;
	int r;

	fscan_reset(fs, fd, 0);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0)
		return neg_errno();
	r = open_rotated(rd->path, &st, NULL, fds, &n, &found);
	if (r < 0)
		return r;
	r = read_files_forward(rd, fds, n);
	close_all(fds, n);
	if (r != 0)
		return r;
	if (ends_before(rd, fd, rd->o->since_ns)) {
		struct bscan bs;
		r = bscan_init(&bs, fd, fd_size(fd));
		bscan_release(&bs);
		if (r < 0)
			return r;
		fs->off = bs.end;
	}
	return fscan_drain(fs, rd);
}

/* ---- follow ---- */

static int watch_dir(const char *path)
{
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_close_ int fd = -EBADF;
	char *slash;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fd < 0)
		return neg_errno();
	if (inotify_add_watch(fd, slash ? dir : ".",
			      IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CLOSE_WRITE) < 0)
		return neg_errno();
	return TAKE_FD(fd);
}

/* Up to 100 ms, less when the directory changes. Without inotify (limits
 * reached) this is plain polling. */
static void wait_change(int ino)
{
	struct pollfd pfd = { .fd = ino, .events = POLLIN };
	char buf[4096];

	if (ino < 0) {
		poll(NULL, 0, 100);
		return;
	}
	if (poll(&pfd, 1, 100) > 0)
		while (read(ino, buf, sizeof(buf)) > 0)
			;
}

/* The file at <path> is no longer the one we read: finish ours, read the
 * files rotated in between (found by our inode among <path>.N; if it is
 * gone, every rotated file is newer than ours), then start the new one. */
static int switch_file(struct rd *rd, struct fscan *fs, int newfd, const struct stat *new_st)
{
	int fds[MAX_ROTATED];
	size_t n = 0;
	bool found;
	int r = 0;

	if (fs->fd >= 0) {
		struct stat old = { .st_dev = fs->dev, .st_ino = fs->ino };
		r = fscan_drain(fs, rd);
		if (r == 0)
			r = open_rotated(rd->path, new_st, &old, fds, &n, &found);
		if (r == 0)
			r = read_files_forward(rd, fds, n);
		close_all(fds, n);
	}
	fscan_reset(fs, newfd, 0);
	return r;
}

static int check_rotation(struct rd *rd, struct fscan *fs)
{
	struct stat st;
	int fd;

	if (stat(rd->path, &st) < 0) /* between rename and create, or not yet created */
		return 0;
	if (fs->fd >= 0 && st.st_dev == fs->dev && st.st_ino == fs->ino)
		return 0;
	fd = open_log(rd->path, 0);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	return switch_file(rd, fs, fd, &st);
}

static int follow(struct rd *rd, struct fscan *fs)
{
	_cleanup_close_ int ino = watch_dir(rd->path);

	for (;;) {
		off_t before = fs->off;
		int r = fscan_drain(fs, rd);
		if (r != 0)
			return r;
		if (rd->stop && rd->stop(rd->ud))
			return 0;
		r = check_rotation(rd, fs);
		if (r != 0)
			return r;
		if (fs->off == before)
			wait_change(ino);
	}
}

int jsonlog_read(const char *path, const struct jsonlog_read_opts *o, jsonlog_entry_fn fn, jsonlog_stop_fn stop,
		 void *ud, struct berr *err)
{
	struct rd rd = { .path = path, .o = o, .fn = fn, .stop = stop, .ud = ud };
	struct fscan fs = { .fd = -EBADF };
	int fd, r;

	if (!path || !o || !fn)
		return berr_set(err, BERR_INVALID, EINVAL, "reading logs: missing argument");
	if (!o->stdout_ && !o->stderr_)
		return 0;
	fd = open_log(path, 0);
	if (fd < 0 && fd != -ENOENT)
		return berr_set(err, berr_kind_from_errno(fd), -fd, "opening log file %s", path);
	if (fd < 0 && !o->follow)
		return 0; /* no output yet */
	r = o->tail >= 0 ? read_tail(&rd, fd, &fs) : read_all_files(&rd, fd, &fs);
	if (r == 0 && o->follow)
		r = follow(&rd, &fs);
	fscan_release(&fs);
	free(rd.scratch);
	if (r < 0)
		return berr_set(err, berr_kind_from_errno(r), -r, "reading log file %s", path);
	return 0;
}
