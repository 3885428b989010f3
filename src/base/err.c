/* err.c - see err.h. */
#include "err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[_BERR_KIND_MAX] = {
	[BERR_NONE] = "none",           [BERR_INVALID] = "invalid",
	[BERR_NOT_FOUND] = "not-found", [BERR_CONFLICT] = "conflict",
	[BERR_FORBIDDEN] = "forbidden", [BERR_UNAVAILABLE] = "unavailable",
	[BERR_INTERNAL] = "internal",
};

const char *berr_kind_to_string(enum berr_kind k)
{
	if ((unsigned)k >= _BERR_KIND_MAX)
		return "unknown";
	return kind_names[k];
}

enum berr_kind berr_kind_from_errno(int errnum)
{
	switch (errnum < 0 ? -errnum : errnum) {
	case EINVAL:
	case E2BIG:
	case ENAMETOOLONG:
		return BERR_INVALID;
	case ENOENT:
	case ESRCH:
		return BERR_NOT_FOUND;
	case EEXIST:
	case EBUSY:
		return BERR_CONFLICT;
	case EPERM:
	case EACCES:
		return BERR_FORBIDDEN;
	case EAGAIN:
	case ECONNREFUSED:
		return BERR_UNAVAILABLE;
	default:
		return BERR_INTERNAL;
	}
}

int berr_code(const struct berr *err)
{
	if (!err || err->errnum == 0)
		return -EIO;
	return -err->errnum;
}

static int setv(struct berr *err, enum berr_kind kind, int errnum, bool append, const char *fmt, va_list ap)
{
	if (errnum < 0)
		errnum = -errnum;
	if (!err)
		return errnum ? -errnum : -EIO;
	if (berr_isset(err))
		return berr_code(err);

	char *base = NULL;
	if (vasprintf(&base, fmt, ap) < 0)
		base = NULL;
	char *full = NULL;
	/* "Invalid argument" tells a user nothing the message does not. */
	if (base && errnum && append && errnum != EINVAL) {
		if (asprintf(&full, "%s: %s", base, strerror(errnum)) < 0)
			full = NULL;
		free(base);
	} else {
		full = base;
	}
	err->kind = kind;
	err->errnum = errnum;
	err->msg = full;
	return berr_code(err);
}

int berr_setv(struct berr *err, enum berr_kind kind, int errnum, const char *fmt, va_list ap)
{
	return setv(err, kind, errnum, true, fmt, ap);
}

int berr_set(struct berr *err, enum berr_kind kind, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = setv(err, kind, errnum, true, fmt, ap);
	va_end(ap);
	return r;
}

int berr_set_msg(struct berr *err, enum berr_kind kind, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = setv(err, kind, errnum, false, fmt, ap);
	va_end(ap);
	return r;
}

int berr_prefix(struct berr *err, const char *fmt, ...)
{
	if (!err)
		return -EIO;
	if (!berr_isset(err))
		return berr_code(err);
	char *pre = NULL, *joined = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&pre, fmt, ap);
	va_end(ap);
	if (n < 0)
		return berr_code(err);
	if (asprintf(&joined, "%s: %s", pre, err->msg ? err->msg : "unknown error") >= 0) {
		free(err->msg);
		err->msg = joined;
	}
	free(pre);
	return berr_code(err);
}

void berr_clear(struct berr *err)
{
	if (!err)
		return;
	free(err->msg);
	err->msg = NULL;
	err->kind = BERR_NONE;
	err->errnum = 0;
}
