/* tarx.h - applying image layers to a directory, safely.
 *
 * A layer is a tar stream, plain, gzip or zstd (sniffed from its first
 * bytes). It is decompressed here (zlib, libzstd) so that the DiffID, the
 * sha256 of the *uncompressed* tar, is computed on the way; libarchive parses
 * the tar headers; every file is created by berth's own code relative to the
 * target directory fd, never by path strings:
 *   - names that are absolute or contain ".." components are refused;
 *   - parents are resolved inside the target (openat2 RESOLVE_IN_ROOT |
 *     RESOLVE_NO_SYMLINKS for the final component's parent chain), so a
 *     symlink created earlier in the same layer cannot redirect a write
 *     (no writes *through* links);
 *   - hard links must name an earlier entry inside the target;
 *   - symlinks are created as they are (their targets are only followed
 *     later, inside the container's root);
 *   - whiteouts: "dir/.wh.name" removes "name" below, "dir/.wh..wh..opq"
 *     empties "dir" of what lower layers put there; both markers themselves
 *     are not created (for overlay snapshots they may instead be turned
 *     into overlay whiteouts, see TARX_OVERLAY_WHITEOUTS);
 *   - modes, owners (numeric), mtimes, xattrs (security.capability, user.*,
 *     trusted.* when root), device nodes and fifos are kept.
 * Any refusal fails the whole apply with an error that names the entry:
 *   "layer entry 3 (../etc/passwd): path escapes the layer root". */
#ifndef BERTH_COMMON_TARX_H
#define BERTH_COMMON_TARX_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "common/digest.h"

enum tarx_compression { TARX_PLAIN, TARX_GZIP, TARX_ZSTD };

enum tarx_flags {
	/* Apply onto an empty directory that will be an overlayfs lower layer:
	 * a whiteout becomes a 0:0 character device and an opaque directory
	 * gets the trusted.overlay.opaque=y xattr, instead of deleting. */
	TARX_OVERLAY_WHITEOUTS = 1 << 0,
};

struct tarx_result {
	digest_t diff_id;             /* sha256 of the uncompressed tar */
	uint64_t uncompressed_size;   /* bytes of the uncompressed tar */
	uint64_t content_size;        /* sum of regular file sizes written */
	uint64_t entries;
	enum tarx_compression compression;
};

/* Read a layer from in_fd to EOF and apply it to dirfd (an O_DIRECTORY fd). */
int tarx_apply(int in_fd, int dirfd, unsigned flags, struct tarx_result *ret, struct berr *err);

/* Only decompress and digest (no extraction): the DiffID of a layer blob. */
int tarx_diff_id(int in_fd, struct tarx_result *ret, struct berr *err);

/* Sniff the compression from the first bytes (at least 4). */
enum tarx_compression tarx_sniff(const void *buf, size_t n);

/* Stream a decompressed copy of in_fd into out_fd (e.g. to store an
 * uncompressed layer for `save`). Fills ret like tarx_diff_id. */
int tarx_decompress(int in_fd, int out_fd, struct tarx_result *ret, struct berr *err);

#endif
