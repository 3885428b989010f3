/* meta.h - the image store's metadata in SQLite (berth.db, WAL).
 *
 * Tables (schema version 1):
 *   images(id, config_digest, parent, created, size, last_tag_time, added)
 *   tags(ref, image_id, seq)           full refs "docker.io/library/busybox:latest"
 *   repo_digests(ref, image_id)        "docker.io/library/busybox@sha256:..."
 *   layers(chain_id, diff_id, parent, size, blob)  one per snapshot, shared
 *   image_layers(image_id, idx, chain_id)
 * A layers row exists only while an image_layers row names it, and only
 * after its snapshot and blob are complete on disk. Every multi-row change
 * runs inside meta_begin()/meta_commit(). The connection is not guarded
 * here: the store holds its mutex around every call. */
#ifndef BERTH_IMAGE_META_H
#define BERTH_IMAGE_META_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "common/digest.h"

int meta_open(const char *path, sqlite3 **ret, struct berr *err);
void meta_close(sqlite3 *db);

int meta_begin(sqlite3 *db, struct berr *err);
/* A read transaction around many queries: one lock and one snapshot instead
 * of one per statement. End it with meta_commit. */
int meta_begin_read(sqlite3 *db, struct berr *err);
int meta_commit(sqlite3 *db, struct berr *err);
void meta_rollback(sqlite3 *db);

struct meta_layer {
	digest_t chain_id;
	digest_t diff_id;
	uint64_t size;
};

struct meta_image {
	digest_t id;
	char *parent;
	int64_t created, last_tag_time;
	uint64_t size;
	struct meta_layer *layers; /* base first */
	size_t n_layers;
};
void meta_image_release(struct meta_image *m);

int meta_image_exists(sqlite3 *db, const char *id);
int meta_image_get(sqlite3 *db, const char *id, struct meta_image *ret);
/* IDs of all images, newest (created, then added) first. */
int meta_image_ids(sqlite3 *db, char ***ret);
/* Every image whose ID starts with prefix ("sha256:ab"): up to two. */
int meta_image_by_prefix(sqlite3 *db, const char *prefix, char ***ret);
int meta_image_children(sqlite3 *db, const char *id, char ***ret);
/* Insert an image and its layer list (OR IGNORE: an image is immutable). */
int meta_image_insert(sqlite3 *db, const struct meta_image *m);
/* Delete the image; layers no other image uses are deleted too and their
 * chain IDs returned, top first (ret_sizes: their sizes; both may be NULL). */
int meta_image_delete(sqlite3 *db, const char *id, char ***ret_chains, uint64_t **ret_sizes);
int meta_image_touch_tag(sqlite3 *db, const char *id, int64_t now);

/* Size of layer chain_id, or -ENOENT. */
int meta_layer_size(sqlite3 *db, const char *chain_id, uint64_t *ret);
int meta_layer_insert(sqlite3 *db, const struct meta_layer *l, const char *parent_chain);
int meta_layers_total(sqlite3 *db, uint64_t *ret);
/* Sum of sizes of id's layers that some other image uses too. */
int meta_layers_shared(sqlite3 *db, const char *id, uint64_t *ret);

/* Tags (full refs with a tag) and repo digests (full refs with a digest). */
int meta_ref_lookup(sqlite3 *db, const char *ref, digest_t ret_id);
/* Point ref at id; ret_old (may be NULL) gets the previous image ("" if none). */
int meta_ref_set(sqlite3 *db, const char *ref, const char *id, digest_t ret_old);
int meta_ref_delete(sqlite3 *db, const char *ref);
/* Tags and digests of an image, in the order they were added. */
int meta_image_refs(sqlite3 *db, const char *id, char ***ret_tags, char ***ret_digests);

/* Whether a blob digest / chain ID is referenced by any record. */
int meta_blob_used(sqlite3 *db, const char *digest);
int meta_chain_used(sqlite3 *db, const char *chain_id);
/* All referenced blob digests / chain IDs, sorted (for a GC sweep). */
int meta_used_blobs(sqlite3 *db, char ***ret);
int meta_used_chains(sqlite3 *db, char ***ret);

#endif
