/* util.h - small libc-only helpers: NULL-terminated string vectors, whole-file
 * reads and writes relative to a directory fd, number parsing.
 *
 * All return negative errno on failure and set ret_* only on success. */
#ifndef BERTH_BASE_UTIL_H
#define BERTH_BASE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "macros.h"

/* --- string vectors (char **, NULL-terminated, each element malloc'ed) --- */
size_t strv_length(char *const *v);
void strv_free(char **v);
static inline void strv_freep(char ***v) { strv_free(*v); }
#define _cleanup_strv_free_ _cleanup_(strv_freep)
/* Append a copy of s. On failure *v is unchanged. */
int strv_push(char ***v, const char *s);
/* Append s itself (takes ownership, frees it on failure). */
int strv_consume(char ***v, char *s);
bool strv_contains(char *const *v, const char *s);
char **strv_copy(char *const *v);
/* The elements joined with sep, malloc'ed ("" for an empty or NULL v). */
char *strv_join(char *const *v, const char *sep);

/* --- strings --- */
static inline bool streq(const char *a, const char *b) { return a && b && __builtin_strcmp(a, b) == 0; }
bool str_startswith(const char *s, const char *prefix);
/* Copy src into dst of size n, always NUL-terminated; -ENAMETOOLONG if it did not fit. */
int str_copy(char *dst, size_t n, const char *src);
int safe_atoi64(const char *s, int64_t *ret);
int safe_atou64(const char *s, uint64_t *ret);

/* --- files --- */
/* Read the whole file at dirfd/path (AT_FDCWD allowed), NUL-terminated. ret_len may be NULL. */
int read_file_at(int dirfd, const char *path, char **ret, size_t *ret_len);
int read_fd_all(int fd, char **ret, size_t *ret_len);
/* Write data to an existing file (O_WRONLY|O_TRUNC unless append). */
int write_file_at(int dirfd, const char *path, const char *data, size_t len, bool append);
/* Write via a temporary file and rename(2), so readers see old or new, never
 * half. Not fsync'ed: atomic, not durable. */
int write_file_atomic_at(int dirfd, const char *path, const char *data, size_t len, mode_t mode);
int write_all(int fd, const void *buf, size_t len);
int read_all(int fd, void *buf, size_t len); /* exact; -EPIPE on early EOF */
/* mkdir -p for a host path (not inside a container root: see path.h for that). */
int mkdir_p(const char *path, mode_t mode);
/* mkdir dfd/name (an existing one is fine) and open it O_DIRECTORY without
 * following a symlink; returns the fd. */
int mkdirat_open(int dfd, const char *name, mode_t mode);
/* Remove a directory tree below dirfd/name; missing is not an error. */
int rm_rf_at(int dirfd, const char *name);

#endif
