/* tarx_int.h - internal to tarx*.c: the decompressing, digesting input
 * stream under the tar parser.
 *
 * A stream reads a layer blob from an fd, sniffs its compression, and hands
 * out the *uncompressed* bytes in chunks that stay valid until the next
 * read (the shape libarchive's read callback wants). Every byte handed out
 * goes through the DiffID digester first, so the digest covers exactly the
 * uncompressed tar, including whatever follows the end-of-archive blocks
 * once tarx_stream_drain() has run. */
#ifndef BERTH_COMMON_TARX_INT_H
#define BERTH_COMMON_TARX_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/tarx.h"

struct tarx_stream;

/* Reads the first bytes of fd to sniff the compression. */
int tarx_stream_new(int fd, struct tarx_stream **ret, struct berr *err);
void tarx_stream_free(struct tarx_stream *s);
static inline void tarx_stream_freep(struct tarx_stream **s) { tarx_stream_free(*s); }
#define _cleanup_tarx_stream_ _cleanup_(tarx_stream_freep)

/* Next chunk of uncompressed bytes: its length (0 at the end), *ret_buf
 * pointing into the stream's buffer; negative errno with err set on failure. */
ssize_t tarx_stream_read(struct tarx_stream *s, const void **ret_buf, struct berr *err);
/* Read (and digest) everything left. */
int tarx_stream_drain(struct tarx_stream *s, struct berr *err);
/* After the end: fill diff_id, sizes and compression of ret (entries and
 * content_size are left alone). */
int tarx_stream_finish(struct tarx_stream *s, struct tarx_result *ret);

/* --- tarx_fs.c: the paths one layer apply touches --- */

/* A set of cleaned relative paths ("a/b"), for "created by this layer". */
struct path_set {
	char **slots;
	size_t cap, n;
};
int path_set_add(struct path_set *s, const char *path);
bool path_set_contains(const struct path_set *s, const char *path);
void path_set_release(struct path_set *s);

/* Clean a tar entry name into "a/b/c" ("" names the root itself): "./"
 * prefixes, "." components, repeated and trailing '/' go. -EXDEV for an
 * absolute name or a ".." component (it would escape the root),
 * -ENAMETOOLONG past PATH_MAX. */
int tarx_clean_name(const char *name, char **ret);

/* Open directory rel (cleaned) below rootfd as O_PATH, never following a
 * symlink on the way (-ELOOP). With created != NULL missing directories are
 * made (0755, recorded in created); otherwise they are -ENOENT. */
int tarx_open_dir(int rootfd, const char *rel, struct path_set *created);

/* Split a cleaned non-empty rel into its parent ("" for the root) and base. */
int tarx_split(const char *rel, char **ret_parent, const char **ret_base);
#endif
