/* dlog.h - berthd's log lines. JSON lines come from base/log.h as they are;
 * text lines get dockerd's logrus shape, with time and level:
 *   time="2026-11-28T01:52:56.649713621Z" level=info msg="API listening on /run/berth/berth.sock" */
#ifndef BERTH_DAEMON_DLOG_H
#define BERTH_DAEMON_DLOG_H

#include <stdbool.h>

#include "base/log.h"

void dlog_setup(bool json, enum log_level level);
_printf_(2, 3) void dlog(enum log_level l, const char *fmt, ...);

#define dlog_error(...) dlog(LOG_LVL_ERROR, __VA_ARGS__)
#define dlog_warn(...) dlog(LOG_LVL_WARN, __VA_ARGS__)
#define dlog_info(...) dlog(LOG_LVL_INFO, __VA_ARGS__)
#define dlog_debug(...) dlog(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
