/* log.h - process-wide logging for berth's programs.
 *
 * Library code does not log; the edges (main()s, the daemon's request loop)
 * do. Output goes to one fd (stderr by default) as text or as one JSON object
 * per line in the shape runc writes with --log-format=json:
 *   {"level":"error","msg":"...","time":"2026-01-01T00:00:00.000000000Z"} */
#ifndef BERTH_BASE_LOG_H
#define BERTH_BASE_LOG_H

#include "macros.h"

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };
enum log_format { LOG_FMT_TEXT, LOG_FMT_JSON };

/* Send log lines to fd (not owned; -EBADF restores stderr). */
void log_set_fd(int fd);
void log_set_format(enum log_format f);
void log_set_level(enum log_level l);
void log_set_prefix(const char *prefix); /* e.g. program name for text lines; not copied */
int log_level_from_string(const char *s, enum log_level *ret);

_printf_(2, 3) void log_msg(enum log_level l, const char *fmt, ...);

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
