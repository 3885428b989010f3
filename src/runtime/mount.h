/* mount.h - building the container's filesystem view.
 *
 * Runs in the container's init, inside its new mount namespace, before
 * pivot_root: every target is resolved inside the rootfs with
 * path_open_in_root() and mounted onto /proc/self/fd/N of the host procfs,
 * so a symlink planted in the image or raced in a shared volume cannot send
 * a mount outside the rootfs (CVE-2021-30465). Masked paths, read-only paths
 * and sysctls are applied the same way before the pivot; a sysctl write is
 * checked to land on procfs (CVE-2025-52881 class). */
#ifndef BERTH_RUNTIME_MOUNT_H
#define BERTH_RUNTIME_MOUNT_H

#include <stdbool.h>

#include "../base/err.h"
#include "cgroup.h"
#include "spec.h"

struct rt_mount_ctx {
	const struct rt_spec *spec;
	const char *rootfs;    /* absolute host path of the root filesystem */
	const char *bundle;    /* for relative bind sources */
	struct rt_cgroup *cg;  /* the container's cgroup, for "cgroup" mounts; may be NULL */
	bool userns;           /* in a user namespace: devices are bind-mounted, not made */
	bool new_cgroupns;
};

/* Everything up to (not including) pivot_root. */
int rt_mount_prepare(const struct rt_mount_ctx *ctx, struct berr *err);
/* pivot_root into rootfs and detach the old root. */
int rt_mount_pivot(const char *rootfs, struct berr *err);
/* After the pivot: read-only root, rootfs propagation. */
int rt_mount_finish(const struct rt_spec *spec, struct berr *err);
/* Bind the terminal's slave pty over /dev/console (after the pivot). */
int rt_mount_console(int slave_fd, struct berr *err);

#endif
