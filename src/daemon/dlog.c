/* dlog.c - see dlog.h. */
#include "dlog.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "daemon/api.h"

static bool dlog_json;
static enum log_level dlog_level = LOG_LVL_INFO;

void dlog_setup(bool json, enum log_level level)
{
	dlog_json = json;
	dlog_level = level;
	log_set_format(json ? LOG_FMT_JSON : LOG_FMT_TEXT);
	log_set_prefix(NULL);
	log_set_level(level);
}

/* msg with '"' and '\' escaped and newlines as \n, as logrus quotes it. */
static void quote_into(char *out, size_t n, const char *msg)
{
	size_t at = 0;
	for (; *msg && at + 3 < n; msg++) {
		if (*msg == '"' || *msg == '\\')
			out[at++] = '\\';
		if (*msg == '\n') {
			out[at++] = '\\';
			out[at++] = 'n';
			continue;
		}
		out[at++] = *msg;
	}
	out[at] = 0;
}

void dlog(enum log_level l, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	if (l > dlog_level)
		return;
	char msg[3072];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (dlog_json) {
		log_msg(l, "%s", msg);
		return;
	}
	char quoted[4096], now[40];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	api_time_rfc3339(ts.tv_sec * 1000000000LL + ts.tv_nsec, now);
	quote_into(quoted, sizeof(quoted), msg);
	log_msg(l, "time=\"%s\" level=%s msg=\"%s\"", now, names[l], quoted);
}
