/* cgroup-internal.h - what cgroup.c shares with the v1 and v2 drivers.
 *
 * cgroup.c owns struct rt_cgroup, detects the layout, validates the path and
 * dispatches every public call through a struct cg_driver. The drivers fill
 * in the per-layout fields (v1: hierarchies and aliases; v2: dir) in init().
 *
 * Invariants:
 *   - cg->path is normalised: starts with '/', no empty, "." or ".."
 *     components, no trailing '/', never "/" alone;
 *   - every directory name stored here is a host path (root + hierarchy +
 *     path), so error messages can name the exact file;
 *   - cg->created lists the directories rt_cgroup_create() made itself, in
 *     creation order, so a failed create can rmdir them in reverse. */
#ifndef BERTH_RUNTIME_CGROUP_INTERNAL_H
#define BERTH_RUNTIME_CGROUP_INTERNAL_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"

/* One v1 hierarchy (a mount under the root), or on hybrid hosts the cgroup2
 * mount at <root>/unified (is_unified). */
struct cg_hier {
	char *name; /* directory under the root: "memory", "cpu,cpuacct", "systemd" */
	char *dir;  /* <root>/<name><path> */
	bool is_unified;
	dev_t dev; /* identity of the hierarchy's root, to fold duplicate mounts */
	ino_t ino;
};

/* A symlink under a v1 root (cpu -> cpu,cpuacct). */
struct cg_alias {
	char *name;
	char *target; /* the link's text, as readlink returned it */
};

struct cg_driver;

struct rt_cgroup {
	enum rt_cgroup_mode mode;
	const struct cg_driver *drv;
	char *root;
	char *path;
	char *dir; /* v2: <root><path> */
	struct cg_hier *hiers; /* v1 */
	size_t n_hiers;
	struct cg_alias *aliases; /* v1 */
	size_t n_aliases;
	char **created; /* strv, see above */
};

/* Called for each level of the path once its directory exists (made or
 * found), with the parent's directory; used for cpuset (v1) and
 * subtree_control (v2). */
typedef int (*cg_level_fn)(struct rt_cgroup *cg, const char *parent, const char *dir,
			   struct berr *err);

struct cg_driver {
	/* Fill the layout fields from cg->root and cg->path; touches nothing. */
	int (*init)(struct rt_cgroup *cg, struct berr *err);
	/* Does the container's cgroup exist (for rt_cgroup_open)? */
	bool (*exists)(const struct rt_cgroup *cg);
	/* mkdir -p in every hierarchy, recording what was made in cg->created. */
	int (*make)(struct rt_cgroup *cg, struct berr *err);
	int (*apply)(struct rt_cgroup *cg, const struct rt_resources *res, struct berr *err);
	int (*enter)(struct rt_cgroup *cg, pid_t pid, struct berr *err);
	/* The directory whose cgroup.procs (recursively) lists the members. */
	const char *(*procs_dir)(const struct rt_cgroup *cg);
	int (*kill_all)(struct rt_cgroup *cg, int sig);
	int (*freeze)(struct rt_cgroup *cg, bool frozen, struct berr *err);
	int (*is_frozen)(struct rt_cgroup *cg);
	int (*destroy)(struct rt_cgroup *cg, struct berr *err);
	int (*mounts)(const struct rt_cgroup *cg, struct rt_cgroup_mount **ret, size_t *ret_n);
};

extern const struct cg_driver cg_driver_v1;
extern const struct cg_driver cg_driver_v2;

/* --- shared helpers (cgroup.c) --- */

/* "<a><b>" or "<a>/<b>", malloc'ed; NULL on OOM. */
char *cg_join(const char *a, const char *b);
bool cg_has_file(const char *dir, const char *file);
/* Write value to an existing interface file (O_WRONLY|O_TRUNC, never O_CREAT:
 * the kernel makes them, and a missing one must be an error, not a new file).
 * The error names the value and the file:
 *   "writing 'abc' to /sys/fs/cgroup/x/memory.max: Invalid argument". */
int cg_write(const char *dir, const char *file, const char *value, struct berr *err);
_printf_(4, 5) int cg_writef(const char *dir, const char *file, struct berr *err, const char *fmt, ...);
/* Same, but a missing file is the caller's mistake (BERR_INVALID). */
int cg_write_user(const char *dir, const char *file, const char *value, struct berr *err);
/* Open an interface file for a sequence of writes, each its own command
 * (devices.allow). O_APPEND changes nothing for the kernel but lets a fake
 * file keep every line for tests. */
int cg_open_append(const char *dir, const char *file, int *ret_fd, struct berr *err);
/* value and a newline in one write(2) on an fd from cg_open_append; path is
 * for the message. */
int cg_write_fd(int fd, const char *path, const char *value, struct berr *err);
/* Read a file, trailing newline removed. */
int cg_read(const char *dir, const char *file, char **ret);
/* mkdir each level of cg->path under base, calling fn (may be NULL) per level. */
int cg_mkdir_path(struct rt_cgroup *cg, const char *base, cg_level_fn fn, struct berr *err);
/* rmdir dir and any child cgroups below it, retrying while EBUSY (tasks
 * still exiting). A missing dir is not an error. */
int cg_rmdir_tree(const char *dir, struct berr *err);
/* Members of dir and its descendants, from their cgroup.procs files. */
int cg_read_pids(const char *dir, pid_t **ret, size_t *ret_n);
/* Signal every member; processes that are already gone are not an error. */
int cg_signal_pids(const char *dir, int sig);
/* Sleep this long between polls while waiting for the kernel. */
void cg_sleep_ms(unsigned ms);

/* --- v2 device filter (cgroup_bpf.c) --- */

/* Translate rules into a BPF_PROG_TYPE_CGROUP_DEVICE program: the last
 * matching rule decides, as in v1. Exposed for tests. */
int cg_bpf_build(const struct rt_device_rule *rules, size_t n, struct bpf_insn **ret,
		 size_t *ret_n);
/* Load the program for rules and attach it to the cgroup directory fd,
 * replacing the device programs attached to that cgroup itself (an update). */
int cg_bpf_set_devices(int dirfd, const char *dir, const struct rt_device_rule *rules, size_t n,
		       struct berr *err);

#endif
