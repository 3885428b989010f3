/* err.h - the error object carried across subsystem and API boundaries.
 *
 * Inside a module, functions return negative errno. At a boundary they fill a
 * struct berr: an errno, a kind (which the daemon's router maps to an HTTP
 * status) and a message that grows a prefix at each level, so the user sees
 * "creating container x: mounting /proc: permission denied".
 *
 * A berr is owned by the caller; berr_clear() releases its message and may be
 * called on an empty one. Setting an error that is already set keeps the first
 * one (the root cause) unless berr_clear() ran in between. */
#ifndef BERTH_BASE_ERR_H
#define BERTH_BASE_ERR_H

#include <stdarg.h>
#include "macros.h"

enum berr_kind {
	BERR_NONE = 0,
	BERR_INVALID,     /* the caller's input is wrong (400) */
	BERR_NOT_FOUND,   /* 404 */
	BERR_CONFLICT,    /* state forbids the operation (409) */
	BERR_FORBIDDEN,   /* 403 */
	BERR_UNAVAILABLE, /* 503 */
	BERR_INTERNAL,    /* everything else (500) */
	_BERR_KIND_MAX,
};

struct berr {
	enum berr_kind kind;
	int errnum; /* positive errno, 0 when the error has no errno */
	char *msg;
};

const char *berr_kind_to_string(enum berr_kind k);

/* Record an error. Returns -errnum (or -EIO when errnum is 0) so callers can
 * write `return berr_set(err, ...)`. err may be NULL. When errnum != 0 (and
 * is not EINVAL, whose text adds nothing) the strerror text is appended
 * after ": ". */
_printf_(4, 5) int berr_set(struct berr *err, enum berr_kind kind, int errnum, const char *fmt, ...);
int berr_setv(struct berr *err, enum berr_kind kind, int errnum, const char *fmt, va_list ap);

/* Like berr_set, but never appends the strerror text: for messages that
 * already say what happened ("container x does not exist"). */
_printf_(4, 5) int berr_set_msg(struct berr *err, enum berr_kind kind, int errnum, const char *fmt, ...);

/* Prepend "context: " to an existing message. Returns the error's -errno. */
_printf_(2, 3) int berr_prefix(struct berr *err, const char *fmt, ...);

/* The negative errno to return for this error (-EIO when it has none). */
int berr_code(const struct berr *err);

void berr_clear(struct berr *err);
static inline int berr_isset(const struct berr *err) { return err && err->kind != BERR_NONE; }

/* Errors from a negative errno alone: kind derived from the errno. */
enum berr_kind berr_kind_from_errno(int errnum);

#define _cleanup_berr_ _cleanup_(berr_clear)

#endif
