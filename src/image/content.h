/* content.h - the content store: verified, content-addressed blobs.
 *
 * Layout below the store's content/ directory:
 *   ingest/<pid>-<n>        a blob being written (never read as content)
 *   blobs/sha256/<hex>      a blob whose sha256 is <hex>, complete and fsync'ed
 * A writer hashes what it is given, and publish() moves the file into blobs/
 * only after its digest (and size, when known) matched and the data reached
 * the disk, so a blob that is visible is always whole. Ingest leftovers are
 * garbage by definition: whoever wrote them crashed. */
#ifndef BERTH_IMAGE_CONTENT_H
#define BERTH_IMAGE_CONTENT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "common/digest.h"

struct content_store {
	int blobs_fd;  /* content/blobs/sha256 */
	int ingest_fd; /* content/ingest */
};

/* Create content/{ingest,blobs/sha256} under root_fd as needed and open them. */
int content_open(int root_fd, struct content_store *ret);
void content_close(struct content_store *c);
/* Remove everything in ingest/ (only safe while no writer runs: at open). */
int content_clear_ingest(struct content_store *c);

struct content_writer;

int content_writer_new(struct content_store *c, struct content_writer **ret);
/* Append bytes, hashing them on the way. */
int content_writer_write(struct content_writer *w, const void *buf, size_t n);
/* The ingest file, for producers that write by themselves (decompressors):
 * what they write is not hashed, so finish it with content_writer_finish_as. */
int content_writer_fd(struct content_writer *w);
/* Hash complete: fsync, compare with expected (may be NULL) and expected_size
 * (negative = unknown); fills ret_digest/ret_size. The blob is not visible
 * until content_writer_publish(). */
int content_writer_finish(struct content_writer *w, const char *expected, int64_t expected_size, digest_t ret_digest,
			  uint64_t *ret_size, struct berr *err);
/* For bytes written through content_writer_fd: the caller vouches for digest. */
int content_writer_finish_as(struct content_writer *w, const char *digest, uint64_t *ret_size, struct berr *err);
/* Rename the finished file into blobs/. An existing blob of the same digest
 * is the same content, so replacing it is harmless. */
int content_writer_publish(struct content_writer *w, struct berr *err);
/* Unlinks the ingest file unless published. NULL is fine. */
void content_writer_free(struct content_writer *w);
static inline void content_writer_freep(struct content_writer **w) { content_writer_free(*w); }
#define _cleanup_content_writer_ _cleanup_(content_writer_freep)

int content_open_blob(struct content_store *c, const char *digest); /* read-only fd */
bool content_exists(struct content_store *c, const char *digest);
int content_size(struct content_store *c, const char *digest, uint64_t *ret);
/* Unlink; ret_freed (may be NULL) gets the bytes the file held. Missing is 0. */
int content_delete(struct content_store *c, const char *digest, uint64_t *ret_freed);
/* Read a small blob whole (NUL-terminated; refuses more than max bytes). */
int content_read(struct content_store *c, const char *digest, size_t max, char **ret, size_t *ret_len);
/* Make published renames durable (fsync of blobs/). */
int content_sync(struct content_store *c);

#endif
