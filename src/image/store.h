/* store.h - berthd's local image store (design.md §2).
 *
 * On disk, under the data root:
 *   berth.db                    SQLite (WAL): images, tags, layers, blobs
 *   content/ingest/             partial writes (removed at open)
 *   content/blobs/sha256/<hex>  verified blobs: configs, manifests, layers
 *   snapshots/<chainid hex>/fs  each layer unpacked once per ChainID, with
 *                               overlayfs whiteouts, ready as a lowerdir
 * A blob becomes visible only after its digest and size are verified (write
 * to ingest/, fsync, rename). Metadata changes are SQLite transactions, and a
 * snapshot is recorded only after it is complete (unpacked into a temporary
 * name, then renamed), so a crash at any moment leaves a store that opens:
 * image_store_open() removes ingest leftovers and any blob or snapshot no
 * record points to.
 *
 * Image ID = digest of the image config (the classic Docker rule). Every
 * function is thread-safe (berthd calls them from request threads).
 *
 * Names given by users are resolved in Docker's order: full reference
 * ("busybox", "busybox:1", "docker.io/library/busybox:1", "x@sha256:..."),
 * full ID ("sha256:<64 hex>"), then a unique ID prefix ("sha256:ab12",
 * "ab12"). Not found is BERR_NOT_FOUND "No such image: <name>"; an ambiguous
 * prefix is BERR_INVALID. */
#ifndef BERTH_IMAGE_STORE_H
#define BERTH_IMAGE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "common/digest.h"

struct image_store;

int image_store_open(const char *data_root, struct image_store **ret, struct berr *err);
void image_store_close(struct image_store *s);

struct image_layer {
	digest_t diff_id;
	digest_t chain_id;
	uint64_t size; /* content size of the unpacked layer (what docker reports) */
};

struct image {
	digest_t id;            /* sha256 of the config bytes */
	char *parent;           /* local parent image ID (builds, commits) or NULL */
	char **repo_tags;       /* full refs: "docker.io/library/busybox:latest" */
	char **repo_digests;    /* "docker.io/library/busybox@sha256:..." */
	int64_t created;        /* config "created", unix nanoseconds (0 when absent) */
	int64_t last_tag_time;  /* unix nanoseconds, 0 = never tagged here */
	uint64_t size;          /* sum of the layers' sizes */
	json_t *config;         /* the parsed image config (owned) */
	struct image_layer *layers; /* base first, one per rootfs.diff_ids entry */
	size_t n_layers;
};
void image_free(struct image *im);
static inline void image_freep(struct image **im) { image_free(*im); }
#define _cleanup_image_ _cleanup_(image_freep)
void image_list_free(struct image **v, size_t n);

/* All images, newest first. */
int image_store_list(struct image_store *s, struct image ***ret, size_t *ret_n, struct berr *err);
int image_store_get(struct image_store *s, const char *name, struct image **ret, struct berr *err);
/* The exact config bytes of an image (for save, and digests). */
int image_store_config_bytes(struct image_store *s, const char *id, char **ret, size_t *ret_len, struct berr *err);

/* Tag: target is a reference as typed ("me/app:v1"); it is normalised. Moving
 * an existing tag to another image is allowed (the old image keeps its other
 * tags, or becomes dangling). */
int image_store_tag(struct image_store *s, const char *source, const char *target, struct berr *err);

/* What a delete or prune did, in order, as the API reports it. */
struct image_change {
	bool deleted;   /* false: untagged */
	char *what;     /* familiar ref ("busybox:latest") when untagged, image ID when deleted */
};
void image_changes_free(struct image_change *v, size_t n);

/* Tells whether a container uses image id (the daemon's container store);
 * may be NULL while there are no containers. Returns 1, 0 or negative errno. */
typedef int (*image_in_use_fn)(const char *id, char **ret_container_id, void *ud);

/* Docker's rmi rules: a name that is one of several tags only untags it; the
 * last tag (or a delete by ID with a single tag, or force) deletes the image
 * and, unless noprune, its untagged parents. An image used by a container is
 * a BERR_CONFLICT unless force (and then it is only untagged), as Docker says:
 * "conflict: unable to remove repository reference \"busybox\" (must force) -
 *  container <id12> is using its referenced image <id12>". Deleting by ID an
 * image with several tags needs force ("conflict: unable to delete <id12>
 * (must be forced) - image is referenced in multiple repositories"). */
int image_store_delete(struct image_store *s, const char *name, bool force, bool noprune, image_in_use_fn in_use,
		       void *ud, struct image_change **ret, size_t *ret_n, struct berr *err);

/* Remove dangling images (untagged, not a parent of another image), or with
 * all every image no container uses; keep(im) may veto one (label/until
 * filters). Then garbage-collect. reclaimed = bytes freed on disk. */
typedef bool (*image_keep_fn)(const struct image *im, void *ud);
int image_store_prune(struct image_store *s, bool all, image_keep_fn keep, image_in_use_fn in_use, void *ud,
		      struct image_change **ret, size_t *ret_n, uint64_t *reclaimed, struct berr *err);

/* Progress of a long operation: one call per step or chunk. id is a short
 * key for the line (layer ID, 12 hex), status e.g. "Loading layer"; total 0 =
 * unknown. */
typedef void (*image_progress_fn)(void *ud, const char *id, const char *status, uint64_t current,
				  uint64_t total);

/* Load a `docker save` archive (legacy layout, the moby 25+ combined layout)
 * or an OCI image layout tar from fd. Layers may be plain, gzip or zstd;
 * every layer's DiffID must match the config's rootfs.diff_ids. Tags come
 * from manifest.json RepoTags or the io.containerd.image.name annotation.
 * All or nothing: a bad archive leaves the store as it was. ret_loaded gets
 * what `docker load` prints after "Loaded image: " (familiar refs) or, for
 * untagged images, "Loaded image ID: " (IDs, prefixed "sha256:"). */
int image_store_load(struct image_store *s, int fd, image_progress_fn progress, void *ud, char ***ret_loaded,
		     struct berr *err);

/* Write one tar holding the given images (names as for image_store_get, each
 * name's tag kept when it is a reference) in the moby 25+ layout: OCI layout
 * (oci-layout, index.json, blobs/sha256/...) plus manifest.json and
 * repositories; layers uncompressed; mtimes 0. */
int image_store_save(struct image_store *s, char *const *names, int out_fd, struct berr *err);

/* Import a root filesystem tarball (plain/gzip/zstd) as a one-layer image.
 * config_overrides: the "config" fields to set (Cmd, Env, ...: from the
 * --change instructions, parsed by the caller), may be NULL. message becomes
 * the history comment. ref (may be NULL) is tagged. */
int image_store_import(struct image_store *s, int fd, const json_t *config_overrides, const char *message,
		       const char *ref, digest_t ret_id, image_progress_fn progress, void *ud, struct berr *err);

/* Sum of all unpacked layer sizes (system df "LayersSize"), and sizes shared
 * between images: shared_size(im) = size of its layers that other images use. */
int image_store_layers_size(struct image_store *s, uint64_t *ret, struct berr *err);
int image_store_shared_size(struct image_store *s, const struct image *im, uint64_t *ret, struct berr *err);

/* Remove every blob and snapshot no image references. */
int image_store_gc(struct image_store *s, uint64_t *reclaimed, struct berr *err);

/* The snapshot directories of an image's layers, top layer first (overlayfs
 * lowerdir order); for containers. */
int image_store_layer_dirs(struct image_store *s, const char *id, char ***ret, struct berr *err);

/* Notes on behaviour the declarations above leave open:
 *  - image_store_delete/prune report, after "Deleted: <image id>", one
 *    deleted entry per layer that went with it ("Deleted: <chain id>"), as
 *    Docker's rmi prints them. A forced rmi of an image a container uses only
 *    untags it. prune's reclaimed is Docker's number: the sizes of the layers
 *    deleted.
 *  - image_store_load: entries of ret_loaded that start with "sha256:" are
 *    IDs ("Loaded image ID: "), the others familiar refs ("Loaded image: ").
 *    An OCI layout entry named only by org.opencontainers.image.ref.name
 *    "latest" (skopeo oci:DIR:latest) has no repository; the name is read as
 *    a reference, as podman does: "latest:latest". progress gets "Reading
 *    archive" (id "", bytes read so far, total 0) and "Loading layer" (12-hex
 *    DiffID, 0/size then size/size) steps.
 *  - image_store_import: message NULL or "" means Docker's default
 *    "Imported from -"; the config is {architecture, comment, config,
 *    created, history: [{created, comment}], os, rootfs}.
 *  - image_store_open takes an exclusive lock on <data_root>/images.lock:
 *    a second open of the same root (another berthd) is BERR_UNAVAILABLE. */

#endif
