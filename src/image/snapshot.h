/* snapshot.h - layers unpacked once per ChainID, ready as overlay lowerdirs.
 *
 * snapshots/<chain hex>/fs holds the filesystem of one layer (not merged with
 * its parents) with overlayfs whiteouts. It is unpacked into
 * snapshots/<chain hex>.tmp-<pid>-<n>/ and renamed into place only when
 * complete, so a directory named by a bare hex is always whole; tmp-*
 * leftovers belong to a writer that crashed. */
#ifndef BERTH_IMAGE_SNAPSHOT_H
#define BERTH_IMAGE_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "common/digest.h"

/* Unpack the uncompressed or compressed layer read from layer_fd as chain_id.
 * The layer's DiffID must be diff_id. Returns 1 when the snapshot already
 * existed (another writer won a race, the new copy is dropped), 0 when this
 * call created it. ret_size gets the layer's content size. */
int snapshot_create(int snaps_fd, const char *chain_id, const char *diff_id, int layer_fd, uint64_t *ret_size,
		    struct berr *err);
bool snapshot_exists(int snaps_fd, const char *chain_id);
/* Remove snapshots/<name> (a hex or a tmp name); ret_freed may be NULL. */
int snapshot_remove(int snaps_fd, const char *name, uint64_t *ret_freed);
/* Whether a directory entry of snapshots/ is a leftover temporary. */
bool snapshot_is_tmp(const char *name);
/* Bytes a tree below dirfd/name occupies on disk. */
uint64_t snapshot_disk_usage(int dirfd, const char *name);

#endif
