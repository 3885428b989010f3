/* cgroup_v1.c - the driver for legacy and hybrid hosts: one mount per
 * hierarchy under the root, resources written controller by controller.
 *
 * Hierarchies are the directories under the root, folded by identity so a
 * hierarchy mounted twice counts once; symlinks (cpu -> cpu,cpuacct) become
 * aliases. <root>/unified is not a v1 hierarchy: on hybrid hosts it is a
 * cgroup2 mount, joined (mkdir, enter, rmdir) but never given resources. */
#include <fcntl.h>
#include <limits.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "base/util.h"
#include "cgroup-internal.h"

#define UNIFIED_NAME "unified"
/* The freezer may need a nudge (a second write) when a task sat in an
 * unfreezable state; poll 1 ms at a time, rewriting every 10 polls, ~2 s. */
#define FREEZE_POLLS 2000
#define FREEZE_REWRITE_EVERY 10

static bool hier_has(const struct cg_hier *h, const char *ctrl)
{
	size_t len = strlen(ctrl);
	for (const char *p = h->name; *p;) {
		size_t n = strcspn(p, ",");
		if (n == len && strncmp(p, ctrl, n) == 0)
			return true;
		p += n;
		if (*p == ',')
			p++;
	}
	return false;
}

static const struct cg_hier *find_hier(const struct rt_cgroup *cg, const char *ctrl)
{
	for (size_t i = 0; i < cg->n_hiers; i++)
		if (!cg->hiers[i].is_unified && hier_has(&cg->hiers[i], ctrl))
			return &cg->hiers[i];
	return NULL;
}

/* --- discovering hierarchies --- */

static int add_hier(struct rt_cgroup *cg, const char *name, const struct stat *st, bool unified)
{
	for (size_t i = 0; i < cg->n_hiers; i++)
		if (cg->hiers[i].dev == st->st_dev && cg->hiers[i].ino == st->st_ino)
			return 0;
	struct cg_hier *nv = realloc(cg->hiers, (cg->n_hiers + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	cg->hiers = nv;
	struct cg_hier *h = &cg->hiers[cg->n_hiers];
	*h = (struct cg_hier){ .is_unified = unified, .dev = st->st_dev, .ino = st->st_ino };
	h->name = strdup(name);
	if (!h->name || asprintf(&h->dir, "%s/%s%s", cg->root, name, cg->path) < 0) {
		free(h->name);
		return -ENOMEM;
	}
	cg->n_hiers++;
	return 0;
}

static int add_alias(struct rt_cgroup *cg, const char *name, const char *target)
{
	struct cg_alias *nv = realloc(cg->aliases, (cg->n_aliases + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	cg->aliases = nv;
	struct cg_alias *a = &cg->aliases[cg->n_aliases];
	a->name = strdup(name);
	a->target = strdup(target);
	if (!a->name || !a->target) {
		free(a->name);
		free(a->target);
		return -ENOMEM;
	}
	cg->n_aliases++;
	return 0;
}

/* A symlink whose target is one of the hierarchies found is an alias; one
 * pointing anywhere else (or nowhere) is none of our business. */
static int scan_link(struct rt_cgroup *cg, int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, 0) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	for (size_t i = 0; i < cg->n_hiers; i++) {
		if (cg->hiers[i].dev != st.st_dev || cg->hiers[i].ino != st.st_ino)
			continue;
		char target[256];
		ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		return add_alias(cg, name, target);
	}
	return 0;
}

static bool is_cgroup2_dir(int dfd, const char *name)
{
	_cleanup_close_ int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct statfs fs;
	if (fd < 0)
		return false;
	if (fstatfs(fd, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return true;
	/* A fake tree marks its v2 mount the way a real one looks. */
	return faccessat(fd, "cgroup.controllers", F_OK, 0) == 0;
}

/* A directory under the root is a hierarchy only when it holds cgroup.procs:
 * a leftover mount point (a controller mounted once and unmounted) is a
 * plain directory of the root's tmpfs, and creating cgroups there would
 * silently create nothing the kernel enforces. */
static bool is_hierarchy_dir(int dfd, const char *name)
{
	char p[NAME_MAX + 16];
	snprintf(p, sizeof(p), "%s/cgroup.procs", name);
	return faccessat(dfd, p, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Two passes: directories first, so that every alias finds its target. */
static int scan_root(struct rt_cgroup *cg, DIR *d, bool links)
{
	rewinddir(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return -errno;
		int r = 0;
		if (links && S_ISLNK(st.st_mode))
			r = scan_link(cg, dirfd(d), de->d_name);
		else if (!links && S_ISDIR(st.st_mode) && !streq(de->d_name, UNIFIED_NAME) &&
			 is_hierarchy_dir(dirfd(d), de->d_name))
			r = add_hier(cg, de->d_name, &st, false);
		else if (!links && S_ISDIR(st.st_mode) && is_cgroup2_dir(dirfd(d), de->d_name))
			r = add_hier(cg, de->d_name, &st, true);
		if (r < 0)
			return r;
	}
	return 0;
}

/* readdir order is arbitrary; sorted, the v1 hierarchies come in a stable
 * order and the unified one last (it is entered and removed last). */
static int hier_cmp(const void *a, const void *b)
{
	const struct cg_hier *x = a, *y = b;
	if (x->is_unified != y->is_unified)
		return x->is_unified ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int v1_init(struct rt_cgroup *cg, struct berr *err)
{
	_cleanup_closedir_ DIR *d = opendir(cg->root);
	if (!d)
		return berr_set(err, BERR_UNAVAILABLE, errno, "opening %s", cg->root);
	int r = scan_root(cg, d, false);
	if (r >= 0)
		r = scan_root(cg, d, true);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "listing cgroup hierarchies in %s", cg->root);
	if (cg->n_hiers == 0)
		return berr_set(err, BERR_UNAVAILABLE, ENOENT, "no cgroup hierarchies in %s", cg->root);
	qsort(cg->hiers, cg->n_hiers, sizeof(*cg->hiers), hier_cmp);
	return 0;
}

static bool v1_exists(const struct rt_cgroup *cg)
{
	for (size_t i = 0; i < cg->n_hiers; i++)
		if (access(cg->hiers[i].dir, F_OK) == 0)
			return true;
	return false;
}

/* --- creating --- */

/* A new cpuset cgroup starts with empty cpus and mems and refuses tasks
 * until both are set, so every level inherits its parent's values. */
static int cpuset_level(struct rt_cgroup *cg, const char *parent, const char *dir,
			struct berr *err)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *cur = NULL, *up = NULL;
		int r = cg_read(dir, files[i], &cur);
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "reading %s/%s", dir, files[i]);
		if (*cur)
			continue;
		r = cg_read(parent, files[i], &up);
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "reading %s/%s", parent, files[i]);
		r = cg_write(dir, files[i], up, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int v1_make(struct rt_cgroup *cg, struct berr *err)
{
	for (size_t i = 0; i < cg->n_hiers; i++) {
		const struct cg_hier *h = &cg->hiers[i];
		_cleanup_free_ char *base = cg_join(cg->root, h->name);
		if (!base)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "creating cgroup");
		bool cpuset = !h->is_unified && hier_has(h, "cpuset");
		int r = cg_mkdir_path(cg, base, cpuset ? cpuset_level : NULL, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- resources, one function per controller --- */

static int write_i64(const char *dir, const char *file, int64_t v, struct berr *err)
{
	return cg_writef(dir, file, err, "%" PRId64, v);
}

static int write_u64(const char *dir, const char *file, uint64_t v, struct berr *err)
{
	return cg_writef(dir, file, err, "%" PRIu64, v);
}

/* The kernel keeps limit <= memsw at every step, so raising the limit needs
 * memsw raised first and lowering it needs memsw lowered last. */
static bool memsw_first(const char *dir, int64_t new_limit)
{
	if (new_limit < 0)
		return true;
	_cleanup_free_ char *s = NULL;
	uint64_t cur;
	if (cg_read(dir, "memory.limit_in_bytes", &s) < 0 || safe_atou64(s, &cur) < 0)
		return false;
	return (uint64_t)new_limit > cur;
}

/* memsw exists only with swap accounting on; without it a swap limit is
 * skipped silently, as Docker does. */
static int apply_mem_limits(const char *dir, const struct rt_resources *res, struct berr *err)
{
	bool swap = res->has_mem_swap && cg_has_file(dir, "memory.memsw.limit_in_bytes");
	if (!res->has_mem_limit)
		return swap ? write_i64(dir, "memory.memsw.limit_in_bytes", res->mem_swap, err) : 0;
	if (!swap)
		return write_i64(dir, "memory.limit_in_bytes", res->mem_limit, err);
	bool first = memsw_first(dir, res->mem_limit);
	int r = first ? write_i64(dir, "memory.memsw.limit_in_bytes", res->mem_swap, err) : 0;
	if (r >= 0)
		r = write_i64(dir, "memory.limit_in_bytes", res->mem_limit, err);
	if (r >= 0 && !first)
		r = write_i64(dir, "memory.memsw.limit_in_bytes", res->mem_swap, err);
	return r;
}

static bool memory_wanted(const struct rt_resources *res)
{
	return res->has_mem_limit || res->has_mem_swap || res->has_mem_reservation ||
	       res->has_mem_swappiness || res->disable_oom_killer;
}

static int apply_memory(const char *dir, const struct rt_resources *res, struct berr *err)
{
	int r = apply_mem_limits(dir, res, err);
	if (r >= 0 && res->has_mem_reservation)
		r = write_i64(dir, "memory.soft_limit_in_bytes", res->mem_reservation, err);
	if (r >= 0 && res->has_mem_swappiness)
		r = write_u64(dir, "memory.swappiness", res->mem_swappiness, err);
	if (r >= 0 && res->disable_oom_killer)
		r = cg_write(dir, "memory.oom_control", "1", err);
	return r;
}

/* 0 means "not set" for shares, period and quota alike (Docker's zero values). */
static bool cpu_wanted(const struct rt_resources *res)
{
	return (res->has_cpu_shares && res->cpu_shares) || (res->has_cpu_period && res->cpu_period) ||
	       (res->has_cpu_quota && res->cpu_quota);
}

/* Period before quota: a quota is checked against the period in place. */
static int apply_cpu(const char *dir, const struct rt_resources *res, struct berr *err)
{
	int r = 0;
	if (res->has_cpu_shares && res->cpu_shares)
		r = write_u64(dir, "cpu.shares", res->cpu_shares, err);
	if (r >= 0 && res->has_cpu_period && res->cpu_period)
		r = write_u64(dir, "cpu.cfs_period_us", res->cpu_period, err);
	if (r >= 0 && res->has_cpu_quota && res->cpu_quota)
		r = write_i64(dir, "cpu.cfs_quota_us", res->cpu_quota < 0 ? -1 : res->cpu_quota, err);
	return r;
}

static bool cpuset_wanted(const struct rt_resources *res)
{
	return (res->cpuset_cpus && *res->cpuset_cpus) || (res->cpuset_mems && *res->cpuset_mems);
}

/* An empty value would leave the cgroup unable to hold tasks: skipped. */
static int apply_cpuset(const char *dir, const struct rt_resources *res, struct berr *err)
{
	int r = 0;
	if (res->cpuset_cpus && *res->cpuset_cpus)
		r = cg_write(dir, "cpuset.cpus", res->cpuset_cpus, err);
	if (r >= 0 && res->cpuset_mems && *res->cpuset_mems)
		r = cg_write(dir, "cpuset.mems", res->cpuset_mems, err);
	return r;
}

static bool pids_wanted(const struct rt_resources *res) { return res->has_pids_limit; }

static int apply_pids(const char *dir, const struct rt_resources *res, struct berr *err)
{
	if (res->pids_limit <= 0)
		return cg_write(dir, "pids.max", "max", err);
	return write_i64(dir, "pids.max", res->pids_limit, err);
}

static bool blkio_wanted(const struct rt_resources *res)
{
	return res->has_blkio_weight && res->blkio_weight;
}

/* Kernels whose only proportional scheduler is BFQ have blkio.bfq.weight
 * (same range) instead of blkio.weight. */
static int apply_blkio(const char *dir, const struct rt_resources *res, struct berr *err)
{
	const char *file = !cg_has_file(dir, "blkio.weight") && cg_has_file(dir, "blkio.bfq.weight")
				   ? "blkio.bfq.weight"
				   : "blkio.weight";
	return write_u64(dir, file, res->blkio_weight, err);
}

static bool devices_wanted(const struct rt_resources *res) { return res->n_devices > 0; }

/* "<type> <major|*>:<minor|*> <access>", the devices.allow/deny syntax. */
static int device_line(const struct rt_device_rule *d, char *buf, size_t n)
{
	char maj[24] = "*", min[24] = "*";
	if (!strchr("acb", d->type) || !d->type)
		return -EINVAL;
	if (d->major >= 0)
		snprintf(maj, sizeof(maj), "%" PRId64, d->major);
	if (d->minor >= 0)
		snprintf(min, sizeof(min), "%" PRId64, d->minor);
	const char *access = d->access[0] ? d->access : "rwm";
	if ((size_t)snprintf(buf, n, "%c %s:%s %s", d->type, maj, min, access) >= n)
		return -ENAMETOOLONG;
	return 0;
}

/* Rules go to devices.allow or devices.deny in their order: each write
 * changes the cgroup's list relative to what came before. */
static int apply_devices(const char *dir, const struct rt_resources *res, struct berr *err)
{
	_cleanup_close_ int allow = -EBADF, deny = -EBADF;
	int r = cg_open_append(dir, "devices.allow", &allow, err);
	if (r >= 0)
		r = cg_open_append(dir, "devices.deny", &deny, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *allow_path = cg_join(dir, "devices.allow");
	_cleanup_free_ char *deny_path = cg_join(dir, "devices.deny");
	if (!allow_path || !deny_path)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing device rules");
	for (size_t i = 0; i < res->n_devices; i++) {
		const struct rt_device_rule *d = &res->devices[i];
		char line[80];
		if (device_line(d, line, sizeof(line)) < 0)
			return berr_set(err, BERR_INVALID, EINVAL, "device rule %zu: bad type '%c'", i,
					d->type);
		r = cg_write_fd(d->allow ? allow : deny, d->allow ? allow_path : deny_path, line, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static const struct v1_controller {
	const char *name;
	bool (*wanted)(const struct rt_resources *res);
	int (*apply)(const char *dir, const struct rt_resources *res, struct berr *err);
} v1_controllers[] = {
	{ "memory", memory_wanted, apply_memory },
	{ "cpu", cpu_wanted, apply_cpu },
	{ "cpuset", cpuset_wanted, apply_cpuset },
	{ "pids", pids_wanted, apply_pids },
	{ "blkio", blkio_wanted, apply_blkio },
	{ "devices", devices_wanted, apply_devices },
};

static int v1_apply(struct rt_cgroup *cg, const struct rt_resources *res, struct berr *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(v1_controllers); i++) {
		const struct v1_controller *c = &v1_controllers[i];
		if (!c->wanted(res))
			continue;
		const struct cg_hier *h = find_hier(cg, c->name);
		if (!h)
			return berr_set(err, BERR_UNAVAILABLE, ENOENT,
					"cgroup controller %s is not mounted under %s", c->name,
					cg->root);
		int r = c->apply(h->dir, res, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- processes --- */

static int v1_enter(struct rt_cgroup *cg, pid_t pid, struct berr *err)
{
	for (size_t i = 0; i < cg->n_hiers; i++) {
		int r = cg_writef(cg->hiers[i].dir, "cgroup.procs", err, "%d", (int)pid);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Every hierarchy holds the same processes; prefer ones that are always
 * there on a container host. */
static const char *v1_procs_dir(const struct rt_cgroup *cg)
{
	static const char *const preferred[] = { "pids", "freezer", "memory", "cpu", "devices" };
	for (size_t i = 0; i < ARRAY_SIZE(preferred); i++) {
		const struct cg_hier *h = find_hier(cg, preferred[i]);
		if (h)
			return h->dir;
	}
	return cg->hiers[0].dir;
}

static int freezer_dir(const struct rt_cgroup *cg, const char **ret, struct berr *err)
{
	const struct cg_hier *h = find_hier(cg, "freezer");
	if (!h)
		return berr_set(err, BERR_UNAVAILABLE, EOPNOTSUPP,
				"freezer controller is not mounted under %s", cg->root);
	*ret = h->dir;
	return 0;
}

static int v1_freeze(struct rt_cgroup *cg, bool frozen, struct berr *err)
{
	const char *dir = NULL;
	int r = freezer_dir(cg, &dir, err);
	if (r < 0)
		return r;
	const char *want = frozen ? "FROZEN" : "THAWED";
	for (int i = 0; i < FREEZE_POLLS; i++) {
		if (i % FREEZE_REWRITE_EVERY == 0 && (r = cg_write(dir, "freezer.state", want, err)) < 0)
			return r;
		_cleanup_free_ char *state = NULL;
		r = cg_read(dir, "freezer.state", &state);
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "reading %s/freezer.state", dir);
		if (streq(state, want))
			return 0;
		cg_sleep_ms(1);
	}
	/* Half-frozen is worse than not frozen: undo before giving up. */
	if (frozen)
		(void)cg_write(dir, "freezer.state", "THAWED", NULL);
	return berr_set(err, BERR_INTERNAL, ETIMEDOUT, "%s %s", frozen ? "freezing" : "thawing", dir);
}

static int v1_is_frozen(struct rt_cgroup *cg)
{
	const char *dir = NULL;
	int r = freezer_dir(cg, &dir, NULL);
	if (r < 0)
		return r;
	_cleanup_free_ char *state = NULL;
	r = cg_read(dir, "freezer.state", &state);
	if (r < 0)
		return r;
	return streq(state, "FROZEN");
}

/* SIGKILL is sent with the cgroup frozen so nothing forks past the list;
 * the kill lands when it thaws. Best effort without a freezer. */
static int v1_kill_all(struct rt_cgroup *cg, int sig)
{
	bool frozen = sig == SIGKILL && find_hier(cg, "freezer") && v1_freeze(cg, true, NULL) >= 0;
	int r = cg_signal_pids(v1_procs_dir(cg), sig);
	if (frozen)
		(void)v1_freeze(cg, false, NULL);
	return r;
}

/* Tries every hierarchy even after a failure, so as little as possible is
 * left behind; reports the first error. */
static int v1_destroy(struct rt_cgroup *cg, struct berr *err)
{
	int ret = 0;
	for (size_t i = cg->n_hiers; i > 0; i--) {
		int r = cg_rmdir_tree(cg->hiers[i - 1].dir, ret < 0 ? NULL : err);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}

static int v1_mounts(const struct rt_cgroup *cg, struct rt_cgroup_mount **ret, size_t *ret_n)
{
	size_t n = cg->n_hiers + cg->n_aliases;
	struct rt_cgroup_mount *m = calloc(n, sizeof(*m));
	if (!m)
		return -ENOMEM;
	bool oom = false;
	for (size_t i = 0; i < cg->n_hiers; i++) {
		m[i].name = strdup(cg->hiers[i].name);
		m[i].host_dir = strdup(cg->hiers[i].dir);
		oom |= !m[i].name || !m[i].host_dir;
	}
	for (size_t i = 0; i < cg->n_aliases; i++) {
		struct rt_cgroup_mount *e = &m[cg->n_hiers + i];
		e->name = strdup(cg->aliases[i].name);
		e->link_target = strdup(cg->aliases[i].target);
		oom |= !e->name || !e->link_target;
	}
	if (oom) {
		rt_cgroup_mounts_free(m, n);
		return -ENOMEM;
	}
	*ret = m;
	*ret_n = n;
	return 0;
}

const struct cg_driver cg_driver_v1 = {
	.init = v1_init,
	.exists = v1_exists,
	.make = v1_make,
	.apply = v1_apply,
	.enter = v1_enter,
	.procs_dir = v1_procs_dir,
	.kill_all = v1_kill_all,
	.freeze = v1_freeze,
	.is_frozen = v1_is_frozen,
	.destroy = v1_destroy,
	.mounts = v1_mounts,
};
