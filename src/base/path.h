/* path.h - resolving paths inside a container root without escaping it.
 *
 * Every path that comes from an image, a config.json or an API request and
 * names something inside a container root is resolved here, with the root as
 * "/" for absolute symlinks and ".." clamped at the root (openat2 with
 * RESOLVE_IN_ROOT, Linux >= 5.6). String concatenation plus realpath() is
 * racy and unsafe (CVE-2018-15664, CVE-2021-30465); never use it for these.
 *
 * Magic links (/proc/self/fd/N and friends) are refused while resolving, so a
 * container cannot point berth at a host object through its own procfs. */
#ifndef BERTH_BASE_PATH_H
#define BERTH_BASE_PATH_H

#include <sys/types.h>
#include "macros.h"

/* Open path inside rootfd. flags as for openat (O_CLOEXEC is added). */
int path_open_in_root(int rootfd, const char *path, int flags, mode_t mode);

/* 0 when path resolves inside rootfd without following any symlink,
 * -ELOOP when a symlink is on the way, other negative errno otherwise. */
int path_check_no_symlinks_in_root(int rootfd, const char *path);

/* Create every missing directory of path inside rootfd (mkdir -p), returning an
 * O_PATH|O_DIRECTORY fd of the last one. */
int path_mkdir_in_root(int rootfd, const char *path, mode_t mode);

/* Make sure path exists inside rootfd as a regular file (creating parents as
 * directories), returning an O_PATH fd of it. Used as a bind-mount target for
 * files. An existing directory is returned as is. */
int path_touch_in_root(int rootfd, const char *path, mode_t mode);

/* Split "a/b/c" into its last component; writes the parent into parent (size n).
 * "c" -> parent ".", "/c" -> "/". Returns pointer into path of the base name. */
const char *path_split(const char *path, char *parent, size_t n);

/* "/proc/self/fd/N" for fd, used to mount onto an fd-resolved target. */
void path_fd_proc(int fd, char buf[static 32]);

#endif
