/* archive.h - image archives: `docker save` tars (legacy and moby 25+
 * combined layouts) and OCI image layout tars, read and written.
 *
 * Reading happens in two steps because an archive may hold its layers before
 * or after the files that describe them:
 *  1. archive_spool() streams the tar once and stores every regular file as a
 *     blob in the content store (keyed by its sha256), remembering path ->
 *     digest, and every symlink or hard link as path -> target;
 *  2. archive_plan() reads manifest.json (or index.json) from those blobs and
 *     returns, per image, the config digest, the tags and the layer blobs.
 *     Digests an OCI descriptor names are checked against the spooled bytes.
 * The caller then checks DiffIDs, unpacks and records. Blobs the archive
 * brought but nothing uses (manifest.json itself, ...) are the caller's
 * garbage: every digest spooled is passed to hold() first, which lets the
 * caller keep them from a concurrent GC and remove them afterwards. */
#ifndef BERTH_IMAGE_ARCHIVE_H
#define BERTH_IMAGE_ARCHIVE_H

#include <stdint.h>

#include "base/err.h"
#include "common/digest.h"
#include "image/content.h"

struct archive_file {
	char *path;   /* normalised: no "./" prefix, no trailing "/" */
	char *link;   /* target path (normalised, from the root) or NULL */
	digest_t digest;
	uint64_t size;
};

struct archive_files {
	struct archive_file *v;
	size_t n;
};
void archive_files_release(struct archive_files *f);

/* Called with each blob digest before it becomes visible in the store. */
typedef int (*archive_hold_fn)(void *ud, const char *digest);
/* Called after each file with the bytes read so far of the whole input. */
typedef void (*archive_read_progress_fn)(void *ud, uint64_t bytes);

int archive_spool(int fd, struct content_store *c, archive_hold_fn hold, archive_read_progress_fn progress, void *ud,
		  struct archive_files *ret, struct berr *err);

struct archive_image {
	digest_t config;      /* blob digest of the config (the image ID) */
	char **tags;          /* full refs, NULL-terminated (maybe empty) */
	char **layers;        /* blob digests as stored in the archive (maybe compressed) */
	char **layer_names;   /* paths, for messages */
	size_t n_layers;
};
void archive_images_free(struct archive_image *v, size_t n);

int archive_plan(struct content_store *c, const struct archive_files *files, struct archive_image **ret,
		 size_t *ret_n, struct berr *err);

/* One image to save. */
struct archive_save_image {
	const char *id;          /* config digest */
	char **tags;             /* full refs ("docker.io/library/busybox:latest"), may be empty */
	char **diff_ids;         /* layer blobs (uncompressed), base first */
	size_t n_layers;
};

/* Write the moby 25+ layout (see store.h) to out_fd. */
int archive_write_save(int out_fd, struct content_store *c, const struct archive_save_image *v, size_t n,
		       struct berr *err);

/* The Go name of this machine's architecture ("amd64", "arm64", ...). */
const char *archive_host_arch(void);

#endif
