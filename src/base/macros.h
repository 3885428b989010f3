/* macros.h - ownership and cleanup helpers used everywhere in berth.
 *
 * Cleanup attributes release a resource when its variable leaves scope;
 * TAKE_PTR / TAKE_FD hand ownership on and leave the variable empty so the
 * cleanup becomes a no-op. "No fd" is -EBADF throughout. */
#ifndef BERTH_BASE_MACROS_H
#define BERTH_BASE_MACROS_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <dirent.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define _unused_ __attribute__((unused))
#define _noreturn_ __attribute__((noreturn))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p) { free(*(void **)p); }
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
static inline void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)

#define TAKE_PTR(p)                          \
	({                                   \
		__typeof__(p) _tp_ = (p);    \
		(p) = NULL;                  \
		_tp_;                        \
	})
#define TAKE_FD(fd)                          \
	({                                   \
		int _tf_ = (fd);             \
		(fd) = -EBADF;               \
		_tf_;                        \
	})

/* Retry a syscall expression while it fails with EINTR. */
#define RETRY_EINTR(expr)                                   \
	({                                                  \
		__typeof__(expr) _r_;                       \
		do                                          \
			_r_ = (expr);                       \
		while (_r_ < 0 && errno == EINTR);          \
		_r_;                                        \
	})

/* Negative errno of the last failed libc call, never 0. */
static inline int neg_errno(void) { return errno > 0 ? -errno : -EIO; }

#endif
