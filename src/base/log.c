/* log.c - see log.h. Writes each line with a single write(2) so lines from
 * several processes sharing one log file do not interleave. */
#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

static int log_fd = -EBADF;
static enum log_format log_fmt = LOG_FMT_TEXT;
static enum log_level log_lvl = LOG_LVL_WARN;
static const char *log_prefix = NULL;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void log_set_fd(int fd) { log_fd = fd; }
void log_set_format(enum log_format f) { log_fmt = f; }
void log_set_level(enum log_level l) { log_lvl = l; }
void log_set_prefix(const char *prefix) { log_prefix = prefix; }

int log_level_from_string(const char *s, enum log_level *ret)
{
	static const struct { const char *name; enum log_level l; } tab[] = {
		{ "error", LOG_LVL_ERROR }, { "fatal", LOG_LVL_ERROR }, { "panic", LOG_LVL_ERROR },
		{ "warn", LOG_LVL_WARN },   { "warning", LOG_LVL_WARN }, { "info", LOG_LVL_INFO },
		{ "debug", LOG_LVL_DEBUG }, { "trace", LOG_LVL_DEBUG },
	};
	for (size_t i = 0; i < ARRAY_SIZE(tab); i++)
		if (strcmp(tab[i].name, s) == 0) {
			*ret = tab[i].l;
			return 0;
		}
	return -EINVAL;
}

/* Append s to buf as the inside of a JSON string. */
static size_t json_escape_into(char *buf, size_t cap, size_t n, const char *s)
{
	for (; *s && n + 7 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c == '\n') {
			buf[n++] = '\\';
			buf[n++] = 'n';
		} else if (c < 0x20) {
			n += (size_t)snprintf(buf + n, cap - n, "\\u%04x", c);
		} else {
			buf[n++] = (char)c;
		}
	}
	return n;
}

void log_msg(enum log_level l, const char *fmt, ...)
{
	if (l > log_lvl)
		return;
	char msg[3072], line[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	int fd = log_fd >= 0 ? log_fd : STDERR_FILENO;
	size_t n;
	if (log_fmt == LOG_FMT_JSON) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = (size_t)snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"", level_names[l]);
		n = json_escape_into(line, sizeof(line) - 64, n, msg);
		n += strftime(line + n, sizeof(line) - n, "\",\"time\":\"%Y-%m-%dT%H:%M:%S", &tm);
		n += (size_t)snprintf(line + n, sizeof(line) - n, ".%09ldZ\"}\n", ts.tv_nsec);
	} else if (log_prefix) {
		n = (size_t)snprintf(line, sizeof(line), "%s: %s%s\n", log_prefix,
				     l == LOG_LVL_ERROR ? "" : level_names[l],
				     l == LOG_LVL_ERROR ? msg : "");
		if (l != LOG_LVL_ERROR)
			n = (size_t)snprintf(line, sizeof(line), "%s: %s: %s\n", log_prefix, level_names[l], msg);
	} else {
		n = (size_t)snprintf(line, sizeof(line), "%s\n", msg);
	}
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	ssize_t w = write(fd, line, n);
	(void)w;
}
