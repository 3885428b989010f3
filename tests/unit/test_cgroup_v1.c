/* test_cgroup_v1.c - the v1 driver against a fake legacy/hybrid tree.
 *
 * The fake root holds one directory per hierarchy (cpu,cpuacct with the
 * symlinks cpu and cpuacct to it, as on Debian), a named systemd hierarchy
 * and a unified/ directory marked as cgroup2 by its cgroup.controllers.
 * As in the v2 test, the container's cgroup is pre-created with the
 * interface files the kernel would show (make_cg); the driver never creates
 * files. systemd/ and unified/ get no pre-created cgroup, so the driver
 * makes those directories itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "runtime/cgroup-internal.h"
#include "runtime/cgroup.h"

struct fx {
	char root[64];
};

static const struct {
	const char *hier;
	const char *files[8];
} layout[] = {
	{ "memory", { "memory.limit_in_bytes", "memory.soft_limit_in_bytes", "memory.memsw.limit_in_bytes",
		      "memory.swappiness", "memory.oom_control" } },
	{ "cpu,cpuacct", { "cpu.shares", "cpu.cfs_period_us", "cpu.cfs_quota_us" } },
	{ "cpuset", { "cpuset.cpus", "cpuset.mems" } },
	{ "pids", { "pids.max" } },
	{ "devices", { "devices.allow", "devices.deny" } },
	{ "freezer", { "freezer.state" } },
	{ "blkio", { "blkio.weight" } },
};

static void put(const char *dir, const char *file, const char *content)
{
	_cleanup_free_ char *p = cg_join(dir, file);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, content, strlen(content)), 0);
	close(fd);
}

static char *get(const char *dir, const char *file)
{
	static char buf[4096];
	char *s = NULL;
	if (cg_read(dir, file, &s) < 0)
		return strcpy(buf, "<missing>");
	snprintf(buf, sizeof(buf), "%s", s);
	free(s);
	return buf;
}

static char *hdir(struct fx *f, const char *hier, const char *rel)
{
	static char buf[8][256];
	static unsigned next;
	char *b = buf[next++ % 8];
	snprintf(b, sizeof(buf[0]), "%s/%s%s", f->root, hier, rel);
	return b;
}

/* rel ("/berth/c1") in every controller hierarchy, with its files; the
 * cpuset files start empty, as the kernel makes them. */
static void make_cg(struct fx *f, const char *rel)
{
	for (size_t i = 0; i < ARRAY_SIZE(layout); i++) {
		char *dir = hdir(f, layout[i].hier, rel);
		assert_int_equal(mkdir_p(dir, 0755), 0);
		put(dir, "cgroup.procs", "");
		put(dir, "tasks", "");
		for (size_t j = 0; layout[i].files[j]; j++)
			put(dir, layout[i].files[j], "");
	}
	put(hdir(f, "memory", rel), "memory.limit_in_bytes", "9223372036854771712\n");
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->root, "/tmp/berth-cgv1-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	for (size_t i = 0; i < ARRAY_SIZE(layout); i++) {
		assert_int_equal(mkdir(hdir(f, layout[i].hier, ""), 0755), 0);
		put(hdir(f, layout[i].hier, ""), "cgroup.procs", "");
	}
	assert_int_equal(mkdir(hdir(f, "systemd", ""), 0755), 0);
	put(hdir(f, "systemd", ""), "cgroup.procs", "");
	/* A leftover mount point of an unmounted controller: not a hierarchy. */
	assert_int_equal(mkdir(hdir(f, "hugetlb", ""), 0755), 0);
	assert_int_equal(mkdir(hdir(f, "unified", ""), 0755), 0);
	put(hdir(f, "unified", ""), "cgroup.controllers", "hugetlb\n");
	assert_int_equal(symlink("cpu,cpuacct", hdir(f, "cpu", "")), 0);
	assert_int_equal(symlink("cpu,cpuacct", hdir(f, "cpuacct", "")), 0);
	assert_int_equal(symlink("/nonexistent", hdir(f, "dangling", "")), 0);
	put(hdir(f, "cpuset", ""), "cpuset.cpus", "0-3\n");
	put(hdir(f, "cpuset", ""), "cpuset.mems", "0\n");
	make_cg(f, "/berth");
	make_cg(f, "/berth/c1");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	assert_int_equal(rm_rf_at(AT_FDCWD, f->root), 0);
	assert_int_equal(access(f->root, F_OK), -1);
	free(f);
	return 0;
}

#define RULE(al, t, ma, mi, acc) { .allow = al, .type = t, .major = ma, .minor = mi, .access = acc }

static void test_detect_and_mounts(void **state)
{
	struct fx *f = *state;
	enum rt_cgroup_mode m = RT_CGROUP_V2;
	assert_int_equal(rt_cgroup_detect(f->root, &m), 0);
	assert_int_equal(m, RT_CGROUP_V1);
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_open(f->root, "/berth/c1", &cg, NULL), 0);
	assert_int_equal(rt_cgroup_get_mode(cg), RT_CGROUP_V1);
	struct rt_cgroup_mount *mt = NULL;
	size_t n = 0;
	assert_int_equal(rt_cgroup_mounts(cg, &mt, &n), 0);
	/* Sorted hierarchies, unified last, then the aliases (readdir order). */
	static const char *const names[] = { "blkio", "cpu,cpuacct", "cpuset", "devices", "freezer",
					     "memory",  "pids",        "systemd", "unified" };
	assert_int_equal(n, ARRAY_SIZE(names) + 2);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		assert_string_equal(mt[i].name, names[i]);
		assert_string_equal(mt[i].host_dir, hdir(f, names[i], "/berth/c1"));
		assert_null(mt[i].link_target);
	}
	for (size_t i = ARRAY_SIZE(names); i < n; i++) {
		assert_true(streq(mt[i].name, "cpu") || streq(mt[i].name, "cpuacct"));
		assert_null(mt[i].host_dir);
		assert_string_equal(mt[i].link_target, "cpu,cpuacct");
	}
	assert_string_not_equal(mt[n - 1].name, mt[n - 2].name);
	rt_cgroup_mounts_free(mt, n);
}

/* Without the cgroup2 marker, unified/ is neither a v1 hierarchy nor joined. */
static void test_unified_not_v2_is_skipped(void **state)
{
	struct fx *f = *state;
	_cleanup_free_ char *marker = cg_join(hdir(f, "unified", ""), "cgroup.controllers");
	assert_int_equal(unlink(marker), 0);
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c1", NULL, &cg, NULL), 0);
	assert_int_equal(access(hdir(f, "unified", "/berth"), F_OK), -1);
	struct rt_cgroup_mount *mt = NULL;
	size_t n = 0;
	assert_int_equal(rt_cgroup_mounts(cg, &mt, &n), 0);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(mt[i].name, "unified");
	rt_cgroup_mounts_free(mt, n);
}

static void test_create_full(void **state)
{
	struct fx *f = *state;
	const struct rt_device_rule rules[] = {
		RULE(false, 'a', -1, -1, "rwm"), RULE(true, 'c', 1, 3, "rwm"), RULE(true, 'c', -1, -1, "m"),
		RULE(true, 'b', 8, -1, "r"),     RULE(false, 'c', 5, 1, "w"),  RULE(true, 'c', 136, -1, ""),
	};
	struct rt_resources res = {
		.has_mem_limit = true, .mem_limit = 536870912,
		.has_mem_swap = true, .mem_swap = 1073741824,
		.has_mem_reservation = true, .mem_reservation = 268435456,
		.has_mem_swappiness = true, .mem_swappiness = 10,
		.disable_oom_killer = true,
		.has_cpu_shares = true, .cpu_shares = 512,
		.has_cpu_quota = true, .cpu_quota = 50000,
		.has_cpu_period = true, .cpu_period = 100000,
		.cpuset_cpus = (char *)"1", .cpuset_mems = (char *)"0",
		.has_pids_limit = true, .pids_limit = 100,
		.has_blkio_weight = true, .blkio_weight = 300,
		.devices = (struct rt_device_rule *)rules, .n_devices = ARRAY_SIZE(rules),
	};
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c1", &res, &cg, &err), 0);
	const char *mem = hdir(f, "memory", "/berth/c1");
	assert_string_equal(get(mem, "memory.limit_in_bytes"), "536870912");
	assert_string_equal(get(mem, "memory.memsw.limit_in_bytes"), "1073741824");
	assert_string_equal(get(mem, "memory.soft_limit_in_bytes"), "268435456");
	assert_string_equal(get(mem, "memory.swappiness"), "10");
	assert_string_equal(get(mem, "memory.oom_control"), "1");
	const char *cpu = hdir(f, "cpu,cpuacct", "/berth/c1");
	assert_string_equal(get(cpu, "cpu.shares"), "512");
	assert_string_equal(get(cpu, "cpu.cfs_period_us"), "100000");
	assert_string_equal(get(cpu, "cpu.cfs_quota_us"), "50000");
	const char *cpuset = hdir(f, "cpuset", "/berth/c1");
	assert_string_equal(get(cpuset, "cpuset.cpus"), "1");
	assert_string_equal(get(cpuset, "cpuset.mems"), "0");
	assert_string_equal(get(hdir(f, "cpuset", "/berth"), "cpuset.cpus"), "0-3");
	assert_string_equal(get(hdir(f, "pids", "/berth/c1"), "pids.max"), "100");
	assert_string_equal(get(hdir(f, "blkio", "/berth/c1"), "blkio.weight"), "300");
	const char *dev = hdir(f, "devices", "/berth/c1");
	assert_string_equal(get(dev, "devices.deny"), "a *:* rwm\nc 5:1 w");
	assert_string_equal(get(dev, "devices.allow"), "c 1:3 rwm\nc *:* m\nb 8:* r\nc 136:* rwm");
	/* Named and unified hierarchies get the directory too. */
	assert_int_equal(access(hdir(f, "systemd", "/berth/c1"), F_OK), 0);
	assert_int_equal(access(hdir(f, "unified", "/berth/c1"), F_OK), 0);
}

static void test_cpuset_copied_down(void **state)
{
	struct fx *f = *state;
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c1", NULL, &cg, NULL), 0);
	assert_string_equal(get(hdir(f, "cpuset", "/berth"), "cpuset.cpus"), "0-3");
	assert_string_equal(get(hdir(f, "cpuset", "/berth"), "cpuset.mems"), "0");
	assert_string_equal(get(hdir(f, "cpuset", "/berth/c1"), "cpuset.cpus"), "0-3");
	assert_string_equal(get(hdir(f, "cpuset", "/berth/c1"), "cpuset.mems"), "0");
	/* From the direct parent, and a level that has values keeps them. */
	make_cg(f, "/berth/c2");
	put(hdir(f, "cpuset", "/berth"), "cpuset.cpus", "2\n");
	put(hdir(f, "cpuset", "/berth/c2"), "cpuset.mems", "1\n");
	rt_cgroup_free(TAKE_PTR(cg));
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c2", NULL, &cg, NULL), 0);
	assert_string_equal(get(hdir(f, "cpuset", "/berth/c2"), "cpuset.cpus"), "2");
	assert_string_equal(get(hdir(f, "cpuset", "/berth/c2"), "cpuset.mems"), "1");
}

static void test_unlimited_and_fallbacks(void **state)
{
	struct fx *f = *state;
	const char *mem = hdir(f, "memory", "/berth/c1");
	_cleanup_free_ char *memsw = cg_join(mem, "memory.memsw.limit_in_bytes");
	assert_int_equal(unlink(memsw), 0); /* swap accounting off */
	const char *blkio = hdir(f, "blkio", "/berth/c1");
	_cleanup_free_ char *bw = cg_join(blkio, "blkio.weight");
	assert_int_equal(unlink(bw), 0);
	put(blkio, "blkio.bfq.weight", "");
	struct rt_resources res = {
		.has_mem_limit = true, .mem_limit = -1, .has_mem_swap = true, .mem_swap = 1 << 30,
		.has_pids_limit = true, .pids_limit = -1,
		.has_cpu_quota = true, .cpu_quota = -1,
		.has_blkio_weight = true, .blkio_weight = 700,
	};
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c1", &res, &cg, NULL), 0);
	assert_string_equal(get(mem, "memory.limit_in_bytes"), "-1");
	assert_int_equal(access(memsw, F_OK), -1);
	assert_string_equal(get(hdir(f, "pids", "/berth/c1"), "pids.max"), "max");
	assert_string_equal(get(hdir(f, "cpu,cpuacct", "/berth/c1"), "cpu.cfs_quota_us"), "-1");
	assert_string_equal(get(hdir(f, "cpu,cpuacct", "/berth/c1"), "cpu.shares"), "");
	assert_string_equal(get(blkio, "blkio.bfq.weight"), "700");
}

/* The write order itself is checked against the kernel in test_cgroup_real;
 * here: swap alone and limit alone write only their own file. */
static void test_memory_partial(void **state)
{
	struct fx *f = *state;
	const char *mem = hdir(f, "memory", "/berth/c1");
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c1", NULL, &cg, NULL), 0);
	struct rt_resources swap = { .has_mem_swap = true, .mem_swap = 4096 };
	assert_int_equal(rt_cgroup_update(cg, &swap, NULL), 0);
	assert_string_equal(get(mem, "memory.memsw.limit_in_bytes"), "4096");
	assert_string_equal(get(mem, "memory.limit_in_bytes"), "9223372036854771712");
	struct rt_resources lim = { .has_mem_limit = true, .mem_limit = 2048 };
	assert_int_equal(rt_cgroup_update(cg, &lim, NULL), 0);
	assert_string_equal(get(mem, "memory.limit_in_bytes"), "2048");
	assert_string_equal(get(mem, "memory.memsw.limit_in_bytes"), "4096");
}

/* A failed create removes the directories it made (systemd/, unified/ and
 * the new leaf) and leaves the ones that were there. */
static void test_failure_cleans_up(void **state)
{
	struct fx *f = *state;
	const char *mem = hdir(f, "memory", "/berth/c1");
	_cleanup_free_ char *lim = cg_join(mem, "memory.limit_in_bytes");
	assert_int_equal(unlink(lim), 0);
	assert_int_equal(mkdir(lim, 0755), 0);
	struct rt_resources res = { .has_mem_limit = true, .mem_limit = 12345 };
	_cleanup_berr_ struct berr err = { 0 };
	struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c1", &res, &cg, &err), -EISDIR);
	assert_null(cg);
	char want[512];
	snprintf(want, sizeof(want), "writing '12345' to %s/memory.limit_in_bytes: Is a directory", mem);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.kind, BERR_INTERNAL);
	assert_int_equal(access(hdir(f, "systemd", "/berth"), F_OK), -1);
	assert_int_equal(access(hdir(f, "unified", "/berth"), F_OK), -1);
	assert_int_equal(access(hdir(f, "systemd", ""), F_OK), 0);
	assert_int_equal(access(mem, F_OK), 0);
}

static void test_missing_controller(void **state)
{
	struct fx *f = *state;
	assert_int_equal(rm_rf_at(AT_FDCWD, hdir(f, "pids", "")), 0);
	struct rt_resources res = { .has_pids_limit = true, .pids_limit = 10 };
	_cleanup_berr_ struct berr err = { 0 };
	struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c1", &res, &cg, &err), -ENOENT);
	assert_int_equal(err.kind, BERR_UNAVAILABLE);
	char want[256];
	snprintf(want, sizeof(want), "cgroup controller pids is not mounted under %s: No such file or directory",
		 f->root);
	assert_string_equal(err.msg, want);
}

static void test_bad_device_rule(void **state)
{
	struct fx *f = *state;
	const struct rt_device_rule rules[] = { RULE(true, 'c', 1, 3, "r"), RULE(true, 'x', 1, 3, "r") };
	struct rt_resources res = { .devices = (struct rt_device_rule *)rules, .n_devices = 2 };
	_cleanup_berr_ struct berr err = { 0 };
	struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c1", &res, &cg, &err), -EINVAL);
	assert_int_equal(err.kind, BERR_INVALID);
	assert_string_equal(err.msg, "device rule 1: bad type 'x'");
}

static void test_enter_pids_freeze(void **state)
{
	struct fx *f = *state;
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c1", NULL, &cg, NULL), 0);
	/* The kernel would have made these in the directories the driver made. */
	put(hdir(f, "systemd", "/berth/c1"), "cgroup.procs", "");
	put(hdir(f, "unified", "/berth/c1"), "cgroup.procs", "");
	assert_int_equal(rt_cgroup_enter(cg, 31337, NULL), 0);
	static const char *const all[] = { "memory", "cpu,cpuacct", "cpuset", "pids", "devices",
					   "freezer", "blkio", "systemd", "unified" };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		assert_string_equal(get(hdir(f, all[i], "/berth/c1"), "cgroup.procs"), "31337");
	put(hdir(f, "pids", "/berth/c1"), "cgroup.procs", "7\n8\n");
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(rt_cgroup_pids(cg, &pids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pids[0], 7);
	assert_int_equal(pids[1], 8);

	const char *fr = hdir(f, "freezer", "/berth/c1");
	put(fr, "freezer.state", "THAWED\n");
	assert_int_equal(rt_cgroup_is_frozen(cg), 0);
	assert_int_equal(rt_cgroup_freeze(cg, true, NULL), 0);
	assert_string_equal(get(fr, "freezer.state"), "FROZEN");
	assert_int_equal(rt_cgroup_is_frozen(cg), 1);
	assert_int_equal(rt_cgroup_freeze(cg, false, NULL), 0);
	assert_string_equal(get(fr, "freezer.state"), "THAWED");
}

/* The fast join: one "tasks" fd per v1 hierarchy (a self-move writes "0"
 * there), the cgroup2 unified directory for CLONE_INTO_CGROUP. */
static void test_join_prepare(void **state)
{
	struct fx *f = *state;
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c1", NULL, &cg, NULL), 0);
	put(hdir(f, "systemd", "/berth/c1"), "tasks", "");
	struct rt_cgroup_join j;
	assert_int_equal(rt_cgroup_join_prepare(cg, &j, NULL), 0);
	assert_int_equal(j.n_task_fds, 8); /* 7 controllers + systemd; not unified, not hugetlb */
	assert_true(j.dfl_fd >= 0);
	assert_int_equal(rt_cgroup_join_self(&j), 0);
	assert_int_equal(j.n_task_fds, 0);
	static const char *const v1[] = { "memory", "cpu,cpuacct", "cpuset", "pids",
					  "devices", "freezer", "blkio", "systemd" };
	for (size_t i = 0; i < ARRAY_SIZE(v1); i++)
		assert_string_equal(get(hdir(f, v1[i], "/berth/c1"), "tasks"), "0");
	put(hdir(f, "unified", "/berth/c1"), "cgroup.procs", "");
	assert_int_equal(rt_cgroup_join_dfl_pid(&j, 4242, NULL), 0);
	assert_string_equal(get(hdir(f, "unified", "/berth/c1"), "cgroup.procs"), "4242");
	rt_cgroup_join_release(&j);
	assert_int_equal(j.dfl_fd, -EBADF);
}

/* destroy removes the leaf in every hierarchy, child cgroups first. A fake
 * directory with files in it cannot be removed, so no hierarchy here gets
 * files: cpuset (which needs them at every new level) is taken out. */
static void test_destroy(void **state)
{
	struct fx *f = *state;
	assert_int_equal(rm_rf_at(AT_FDCWD, hdir(f, "cpuset", "")), 0);
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/fresh/c", NULL, &cg, NULL), 0);
	assert_int_equal(mkdir(hdir(f, "memory", "/fresh/c/sub"), 0755), 0);
	assert_int_equal(rt_cgroup_destroy(cg, NULL), 0);
	static const char *const all[] = { "memory", "cpu,cpuacct", "systemd", "unified" };
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		assert_int_equal(access(hdir(f, all[i], "/fresh/c"), F_OK), -1);
		assert_int_equal(access(hdir(f, all[i], "/fresh"), F_OK), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detect_and_mounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unified_not_v2_is_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpuset_copied_down, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlimited_and_fallbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_cleans_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_controller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_device_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_pids_freeze, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join_prepare, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
