/* cgroup.h - control groups for one container, on cgroup v1 or v2.
 *
 * The hierarchy layout is detected at run time from the cgroup root
 * (normally /sys/fs/cgroup; tests pass a fake tree in a temp dir):
 *   - v2 ("unified"): the root itself is a cgroup2 mount (has cgroup.controllers);
 *   - v1 ("legacy" or "hybrid"): the root holds one directory per hierarchy
 *     (cpu, memory, pids, name=systemd, ...). A cgroup2 mount at
 *     <root>/unified (hybrid mode, as on Debian and Ubuntu hosts with
 *     systemd's hybrid setting) is also joined, so that eBPF device filters
 *     and systemd's view work; resources are set through the v1 hierarchies.
 * Both drivers sit behind one ops table (cgroup.c dispatches).
 *
 * A struct rt_cgroup names the container's cgroup path ("/berth/<id>",
 * relative to each hierarchy's root) and is owned by the caller. */
#ifndef BERTH_RUNTIME_CGROUP_H
#define BERTH_RUNTIME_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "../base/err.h"
#include "spec.h"

enum rt_cgroup_mode { RT_CGROUP_V1, RT_CGROUP_V2 };

struct rt_cgroup;

/* Detect the layout under root ("/sys/fs/cgroup" when NULL). */
int rt_cgroup_detect(const char *root, enum rt_cgroup_mode *ret);

/* Create (mkdir -p) the cgroup at path in every hierarchy and apply res (may be
 * NULL). An existing cgroup is reused, as runc does. On failure nothing created
 * here is left behind. */
int rt_cgroup_create(const char *root, const char *path, const struct rt_resources *res,
		     struct rt_cgroup **ret, struct berr *err);
/* Open an existing container cgroup without changing it (delete, ps, exec). */
int rt_cgroup_open(const char *root, const char *path, struct rt_cgroup **ret, struct berr *err);
void rt_cgroup_free(struct rt_cgroup *cg);
static inline void rt_cgroup_freep(struct rt_cgroup **cg) { rt_cgroup_free(*cg); }
#define _cleanup_cgroup_ _cleanup_(rt_cgroup_freep)

enum rt_cgroup_mode rt_cgroup_get_mode(const struct rt_cgroup *cg);
const char *rt_cgroup_path(const struct rt_cgroup *cg);

/* Move pid (all its threads) into the cgroup in every hierarchy. */
int rt_cgroup_enter(struct rt_cgroup *cg, pid_t pid, struct berr *err);
/* Getting a new process into the cgroup quickly.
 *
 * Writing a pid to cgroup.procs takes the kernel's global threadgroup lock
 * for writing, which waits for an RCU grace period: milliseconds, once per
 * hierarchy, the largest cost of starting a container on cgroup v1. Two
 * ways around it, both prepared by the runtime before it forks:
 *   - a single-threaded process may move itself by writing "0" to a v1
 *     hierarchy's "tasks" file, which needs no global lock: the child does
 *     that with the fds in task_fds (rt_cgroup_join_self);
 *   - on cgroup2 (v2, or the unified mount of a hybrid host) clone3 with
 *     CLONE_INTO_CGROUP and dfl_fd creates the child inside the cgroup.
 * When clone3 is refused, rt_cgroup_join_dfl_pid() moves the child the slow
 * way. */
struct rt_cgroup_join {
	int *task_fds;
	size_t n_task_fds;
	int dfl_fd; /* -EBADF when there is no cgroup2 hierarchy to join */
};
int rt_cgroup_join_prepare(struct rt_cgroup *cg, struct rt_cgroup_join *ret, struct berr *err);
/* In the (single-threaded) child; async-signal-safe. Closes the task fds. */
int rt_cgroup_join_self(struct rt_cgroup_join *j);
int rt_cgroup_join_dfl_pid(struct rt_cgroup_join *j, pid_t pid, struct berr *err);
void rt_cgroup_join_release(struct rt_cgroup_join *j);
/* fork(), born inside the cgroup2 cgroup when the kernel allows it (clone3
 * with CLONE_INTO_CGROUP, Linux >= 5.7). *ret_in_dfl tells the parent
 * whether it still has to call rt_cgroup_join_dfl_pid(). Returns 0 in the
 * child, the pid in the parent, negative errno on failure. */
pid_t rt_cgroup_fork(struct rt_cgroup_join *j, bool *ret_in_dfl);

/* Apply resources again (for `update`); only the given fields change. */
int rt_cgroup_update(struct rt_cgroup *cg, const struct rt_resources *res, struct berr *err);
/* All pids in the cgroup (and below it), malloc'ed array. */
int rt_cgroup_pids(struct rt_cgroup *cg, pid_t **ret, size_t *ret_n);
/* Send sig to every process in the cgroup. */
int rt_cgroup_kill_all(struct rt_cgroup *cg, int sig);
/* Freeze or thaw every process (freezer on v1, cgroup.freeze on v2). */
int rt_cgroup_freeze(struct rt_cgroup *cg, bool frozen, struct berr *err);
int rt_cgroup_is_frozen(struct rt_cgroup *cg); /* 1, 0 or negative errno */
/* Remove the cgroup directories (waits, bounded, for dying tasks to leave). */
int rt_cgroup_destroy(struct rt_cgroup *cg, struct berr *err);

/* What to show at /sys/fs/cgroup inside the container without a cgroup
 * namespace: one entry per hierarchy, the host directory of the container's
 * cgroup and the name to mount it as (v1: "memory", "cpu,cpuacct", ...;
 * v2: a single entry with name ""). Symlinked aliases (cpu -> cpu,cpuacct)
 * come as entries with link_target set instead of host_dir. */
struct rt_cgroup_mount {
	char *name;
	char *host_dir;
	char *link_target;
};
int rt_cgroup_mounts(const struct rt_cgroup *cg, struct rt_cgroup_mount **ret, size_t *ret_n);
void rt_cgroup_mounts_free(struct rt_cgroup_mount *m, size_t n);

/* v2 helpers exposed for tests. */
uint64_t rt_cgroup_shares_to_weight(uint64_t shares);
uint64_t rt_cgroup_blkio_to_io_weight(uint64_t weight);

#endif
