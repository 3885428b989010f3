/* cgroup_v2.c - the driver for the unified hierarchy: one directory at
 * <root><path>, controllers enabled down the tree through subtree_control,
 * v1-style values converted to their v2 files.
 *
 * Settings without a v2 file (swappiness, disableOOMKiller, kernel memory)
 * are ignored, as runc does: there is nothing equivalent to write. */
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>

#include "base/util.h"
#include "cgroup-internal.h"

/* cgroup.events reports the frozen state asynchronously; poll 1 ms at a
 * time for up to ~2 s. */
#define FREEZE_POLLS 2000

/* Enabled in every ancestor when the parent offers them, in this order. */
static const char *const wanted_controllers[] = { "cpu", "memory", "pids", "io", "cpuset" };

static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);
	for (const char *p = list; *p;) {
		p += strspn(p, " \n");
		size_t n = strcspn(p, " \n");
		if (n == len && strncmp(p, word, n) == 0)
			return true;
		p += n;
	}
	return false;
}

static int v2_init(struct rt_cgroup *cg, struct berr *err)
{
	cg->dir = cg_join(cg->root, cg->path);
	return cg->dir ? 0 : berr_set(err, BERR_INTERNAL, ENOMEM, "cgroup %s", cg->path);
}

static bool v2_exists(const struct rt_cgroup *cg) { return access(cg->dir, F_OK) == 0; }

/* "+cpu +memory ..." for what parent offers and has not enabled yet. */
static int missing_controllers(const char *parent, char **ret, struct berr *err)
{
	_cleanup_free_ char *avail = NULL, *enabled = NULL;
	int r = cg_read(parent, "cgroup.controllers", &avail);
	if (r >= 0)
		r = cg_read(parent, "cgroup.subtree_control", &enabled);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "reading controllers of %s", parent);
	char buf[128] = "";
	size_t o = 0;
	for (size_t i = 0; i < ARRAY_SIZE(wanted_controllers); i++) {
		const char *c = wanted_controllers[i];
		if (has_word(avail, c) && !has_word(enabled, c))
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s+%s", o ? " " : "", c);
	}
	*ret = strdup(buf);
	return *ret ? 0 : berr_set(err, BERR_INTERNAL, ENOMEM, "cgroup %s", parent);
}

/* The parent of each level, the root included, must delegate the
 * controllers or the child gets no interface files for them. */
static int enable_level(struct rt_cgroup *cg, const char *parent, const char *dir, struct berr *err)
{
	_cleanup_free_ char *add = NULL;
	int r = missing_controllers(parent, &add, err);
	if (r < 0 || !*add)
		return r;
	return cg_write(parent, "cgroup.subtree_control", add, err);
}

static int v2_make(struct rt_cgroup *cg, struct berr *err)
{
	return cg_mkdir_path(cg, cg->root, enable_level, err);
}

/* --- resources --- */

/* -1 (and for pids anything <= 0) is "max" in every v2 limit file. */
static int write_limit(const char *dir, const char *file, int64_t v, struct berr *err)
{
	if (v < 0)
		return cg_write(dir, file, "max", err);
	return cg_writef(dir, file, err, "%" PRId64, v);
}

/* memory.swap.max counts swap alone, where v1 and the spec count memory plus
 * swap. 0 is "not set". Without a memory limit in this call, the one already
 * in place is used (an update that changes only swap). */
static int swap_value(const char *dir, const struct rt_resources *res, int64_t *ret, struct berr *err)
{
	if (res->mem_swap < 0) {
		*ret = -1;
		return 0;
	}
	int64_t limit = res->has_mem_limit ? res->mem_limit : -1;
	_cleanup_free_ char *cur = NULL;
	if (!res->has_mem_limit && cg_read(dir, "memory.max", &cur) >= 0 && safe_atoi64(cur, &limit) < 0)
		limit = -1;
	if (limit < 0)
		return berr_set(err, BERR_INVALID, EINVAL,
				"memory swap limit %" PRId64 " needs a memory limit", res->mem_swap);
	if (res->mem_swap < limit)
		return berr_set(err, BERR_INVALID, EINVAL,
				"memory+swap limit %" PRId64 " is below the memory limit %" PRId64,
				res->mem_swap, limit);
	*ret = res->mem_swap - limit;
	return 0;
}

/* Without swap accounting there is no memory.swap.max; skipped, as on v1. */
static int apply_swap(const char *dir, const struct rt_resources *res, struct berr *err)
{
	if (!res->has_mem_swap || res->mem_swap == 0)
		return 0;
	int64_t v = 0;
	int r = swap_value(dir, res, &v, err);
	if (r < 0 || !cg_has_file(dir, "memory.swap.max"))
		return r;
	return write_limit(dir, "memory.swap.max", v, err);
}

static int apply_memory(const char *dir, const struct rt_resources *res, struct berr *err)
{
	int r = 0;
	if (res->has_mem_limit)
		r = write_limit(dir, "memory.max", res->mem_limit, err);
	if (r >= 0)
		r = apply_swap(dir, res, err);
	if (r >= 0 && res->has_mem_reservation)
		r = write_limit(dir, "memory.low", res->mem_reservation, err);
	return r;
}

/* cpu.max is "<quota|max> <period>"; a side not given keeps its current
 * value (the kernel keeps the period when only a quota is written). */
static int apply_cpu_max(const char *dir, const struct rt_resources *res, struct berr *err)
{
	bool quota = res->has_cpu_quota && res->cpu_quota != 0;
	bool period = res->has_cpu_period && res->cpu_period != 0;
	if (!quota && !period)
		return 0;
	char q[24] = "max";
	if (quota && res->cpu_quota > 0)
		snprintf(q, sizeof(q), "%" PRId64, res->cpu_quota);
	_cleanup_free_ char *cur = NULL;
	if (!quota && cg_read(dir, "cpu.max", &cur) >= 0) {
		cur[strcspn(cur, " ")] = '\0';
		if (*cur && strlen(cur) < sizeof(q))
			memcpy(q, cur, strlen(cur) + 1);
	}
	if (!period)
		return cg_write(dir, "cpu.max", q, err);
	return cg_writef(dir, "cpu.max", err, "%s %" PRIu64, q, res->cpu_period);
}

static int apply_cpu(const char *dir, const struct rt_resources *res, struct berr *err)
{
	int r = 0;
	uint64_t w = res->has_cpu_shares ? rt_cgroup_shares_to_weight(res->cpu_shares) : 0;
	if (w)
		r = cg_writef(dir, "cpu.weight", err, "%" PRIu64, w);
	return r < 0 ? r : apply_cpu_max(dir, res, err);
}

static int apply_cpuset(const char *dir, const struct rt_resources *res, struct berr *err)
{
	int r = 0;
	if (res->cpuset_cpus && *res->cpuset_cpus)
		r = cg_write(dir, "cpuset.cpus", res->cpuset_cpus, err);
	if (r >= 0 && res->cpuset_mems && *res->cpuset_mems)
		r = cg_write(dir, "cpuset.mems", res->cpuset_mems, err);
	return r;
}

static int apply_pids(const char *dir, const struct rt_resources *res, struct berr *err)
{
	if (!res->has_pids_limit)
		return 0;
	return write_limit(dir, "pids.max", res->pids_limit <= 0 ? -1 : res->pids_limit, err);
}

/* io.weight is iocost's [1, 10000] scale; a kernel with only BFQ has
 * io.bfq.weight, which takes the blkio value as it is. */
static int apply_io(const char *dir, const struct rt_resources *res, struct berr *err)
{
	if (!res->has_blkio_weight || !res->blkio_weight)
		return 0;
	if (!cg_has_file(dir, "io.weight") && cg_has_file(dir, "io.bfq.weight"))
		return cg_writef(dir, "io.bfq.weight", err, "%u", (unsigned)res->blkio_weight);
	return cg_writef(dir, "io.weight", err, "%" PRIu64,
			 rt_cgroup_blkio_to_io_weight(res->blkio_weight));
}

static int apply_devices(const char *dir, const struct rt_resources *res, struct berr *err)
{
	if (res->n_devices == 0)
		return 0;
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening %s", dir);
	return cg_bpf_set_devices(fd, dir, res->devices, res->n_devices, err);
}

/* A key names a file in this cgroup's directory and nothing else. */
static bool unified_key_ok(const char *key)
{
	return *key && !strchr(key, '/') && !strstr(key, "..") && key[0] != '.';
}

/* linux.resources.unified goes in verbatim, last, so it can override. */
static int apply_unified(const char *dir, const struct rt_resources *res, struct berr *err)
{
	const char *key;
	json_t *val;
	if (!res->unified)
		return 0;
	if (!json_is_object(res->unified))
		return berr_set(err, BERR_INVALID, EINVAL, "linux.resources.unified: expected an object");
	json_object_foreach(res->unified, key, val) {
		if (!unified_key_ok(key))
			return berr_set(err, BERR_INVALID, EINVAL,
					"linux.resources.unified: invalid key '%s'", key);
		if (!json_is_string(val))
			return berr_set(err, BERR_INVALID, EINVAL,
					"linux.resources.unified.%s: expected a string", key);
		int r = cg_write_user(dir, key, json_string_value(val), err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int (*const v2_appliers[])(const char *dir, const struct rt_resources *res, struct berr *err) = {
	apply_memory, apply_cpu, apply_cpuset, apply_pids, apply_io, apply_devices, apply_unified,
};

static int v2_apply(struct rt_cgroup *cg, const struct rt_resources *res, struct berr *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(v2_appliers); i++) {
		int r = v2_appliers[i](cg->dir, res, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- processes --- */

static int v2_enter(struct rt_cgroup *cg, pid_t pid, struct berr *err)
{
	return cg_writef(cg->dir, "cgroup.procs", err, "%d", (int)pid);
}

static const char *v2_procs_dir(const struct rt_cgroup *cg) { return cg->dir; }

/* The "frozen" line of cgroup.events: the state reached, not the one asked. */
static int read_frozen(const char *dir)
{
	_cleanup_free_ char *ev = NULL;
	int r = cg_read(dir, "cgroup.events", &ev);
	if (r < 0)
		return r;
	for (const char *l = ev; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (str_startswith(l, "frozen "))
			return l[7] == '1';
	return -EOPNOTSUPP;
}

static int v2_freeze(struct rt_cgroup *cg, bool frozen, struct berr *err)
{
	if (!cg_has_file(cg->dir, "cgroup.freeze"))
		return berr_set(err, BERR_UNAVAILABLE, EOPNOTSUPP, "freezing %s", cg->dir);
	int r = cg_write(cg->dir, "cgroup.freeze", frozen ? "1" : "0", err);
	if (r < 0)
		return r;
	for (int i = 0; i < FREEZE_POLLS; i++) {
		r = read_frozen(cg->dir);
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "reading %s/cgroup.events", cg->dir);
		if (r == frozen)
			return 0;
		cg_sleep_ms(1);
	}
	if (frozen)
		(void)cg_write(cg->dir, "cgroup.freeze", "0", NULL);
	return berr_set(err, BERR_INTERNAL, ETIMEDOUT, "%s %s", frozen ? "freezing" : "thawing", cg->dir);
}

static int v2_is_frozen(struct rt_cgroup *cg) { return read_frozen(cg->dir); }

/* cgroup.kill (5.14+) kills the whole subtree atomically, but only with
 * SIGKILL; any other signal, or an older kernel, goes pid by pid, frozen
 * for SIGKILL so nothing forks past the list. */
static int v2_kill_all(struct rt_cgroup *cg, int sig)
{
	if (sig == SIGKILL && cg_has_file(cg->dir, "cgroup.kill"))
		return cg_write(cg->dir, "cgroup.kill", "1", NULL);
	bool frozen = sig == SIGKILL && v2_freeze(cg, true, NULL) >= 0;
	int r = cg_signal_pids(cg->dir, sig);
	if (frozen)
		(void)v2_freeze(cg, false, NULL);
	return r;
}

static int v2_destroy(struct rt_cgroup *cg, struct berr *err) { return cg_rmdir_tree(cg->dir, err); }

static int v2_mounts(const struct rt_cgroup *cg, struct rt_cgroup_mount **ret, size_t *ret_n)
{
	struct rt_cgroup_mount *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->name = strdup("");
	m->host_dir = strdup(cg->dir);
	if (!m->name || !m->host_dir) {
		rt_cgroup_mounts_free(m, 1);
		return -ENOMEM;
	}
	*ret = m;
	*ret_n = 1;
	return 0;
}

const struct cg_driver cg_driver_v2 = {
	.init = v2_init,
	.exists = v2_exists,
	.make = v2_make,
	.apply = v2_apply,
	.enter = v2_enter,
	.procs_dir = v2_procs_dir,
	.kill_all = v2_kill_all,
	.freeze = v2_freeze,
	.is_frozen = v2_is_frozen,
	.destroy = v2_destroy,
	.mounts = v2_mounts,
};
