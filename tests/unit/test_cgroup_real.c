/* test_cgroup_real.c - the drivers against the kernel.
 *
 * Each test is skipped unless running as root with the hierarchy it needs:
 *   - v1 (legacy or hybrid host): a cgroup under a unique name gets limits
 *     that are read back from the kernel, takes a forked child, is frozen,
 *     killed and destroyed, and nothing may be left in any hierarchy;
 *   - v2 device filter: on a cgroup2 mount (/sys/fs/cgroup itself, or
 *     /sys/fs/cgroup/unified on a hybrid host) a child in the cgroup may open
 *     /dev/null (c 1:3) but gets EPERM for /dev/zero (c 1:5) until an update
 *     replaces the program.
 * Every test removes its cgroups, also when an assertion fails midway (the
 * teardown destroys whatever is left). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "base/util.h"
#include "runtime/cgroup-internal.h"
#include "runtime/cgroup.h"

#define V1_ROOT "/sys/fs/cgroup"

struct fx {
	char root[64];
	char top[64];  /* "/berth-test-<pid>", removed at teardown */
	char path[96]; /* top + "/c" */
	pid_t child;
};

static bool is_magic(const char *dir, long magic)
{
	struct statfs fs;
	return statfs(dir, &fs) == 0 && fs.f_type == magic;
}

static int setup_common(void **state, const char *root, const char *tag)
{
	struct fx *f = calloc(1, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "%s", root);
	snprintf(f->top, sizeof(f->top), "/berth-test-%s-%d", tag, (int)getpid());
	snprintf(f->path, sizeof(f->path), "%s/c", f->top);
	*state = f;
	return 0;
}

static int setup_v1(void **state) { return setup_common(state, V1_ROOT, "v1"); }

/* The cgroup2 mount: the root itself on a v2 host, unified/ on a hybrid one. */
static int setup_v2(void **state)
{
	const char *root = is_magic(V1_ROOT, CGROUP2_SUPER_MAGIC) ? V1_ROOT : V1_ROOT "/unified";
	return setup_common(state, root, "v2");
}

static void kill_child(struct fx *f)
{
	if (f->child > 0) {
		kill(f->child, SIGKILL);
		waitpid(f->child, NULL, 0);
		f->child = 0;
	}
}

static int teardown(void **state)
{
	struct fx *f = *state;
	kill_child(f);
	const char *paths[] = { f->path, f->top };
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		struct rt_cgroup *cg = NULL;
		if (rt_cgroup_open(f->root, paths[i], &cg, NULL) == 0) {
			rt_cgroup_kill_all(cg, SIGKILL);
			rt_cgroup_destroy(cg, NULL);
			rt_cgroup_free(cg);
		}
	}
	free(f);
	return 0;
}

static bool have_v1(void)
{
	return geteuid() == 0 && is_magic(V1_ROOT, TMPFS_MAGIC) &&
	       access(V1_ROOT "/memory/memory.limit_in_bytes", F_OK) == 0 &&
	       access(V1_ROOT "/pids", F_OK) == 0 && access(V1_ROOT "/cpu", F_OK) == 0;
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
	static char buf[4][512];
	static unsigned next;
	char *b = buf[next++ % 4];
	snprintf(b, sizeof(buf[0]), "%s/%s%s", f->root, hier, rel);
	return b;
}

/* A child that waits for a byte on fd, then runs fn and exits with its
 * result; started before it is moved into the cgroup. */
static pid_t spawn(int *ret_go, int (*fn)(void))
{
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;
		close(p[1]);
		if (read(p[0], &c, 1) != 1)
			_exit(100);
		_exit(fn ? fn() : 0);
	}
	close(p[0]);
	*ret_go = p[1];
	return pid;
}

static _noreturn_ int sleep_forever(void)
{
	for (;;)
		pause();
}

static void go(int fd)
{
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
}

static bool in_cgroup(pid_t pid, const char *line)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/cgroup", (int)pid);
	_cleanup_free_ char *s = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, p, &s, NULL), 0);
	return strstr(s, line) != NULL;
}

static void test_v1_lifecycle(void **state)
{
	struct fx *f = *state;
	if (!have_v1())
		skip();
	bool swap = access(V1_ROOT "/memory/memory.memsw.limit_in_bytes", F_OK) == 0;
	const struct rt_device_rule rules[] = {
		{ .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" },
		{ .allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm" },
		{ .allow = true, .type = 'c', .major = 1, .minor = 5, .access = "rw" },
	};
	struct rt_resources res = {
		.has_mem_limit = true, .mem_limit = 64 << 20,
		.has_mem_swap = true, .mem_swap = 128 << 20,
		.has_mem_reservation = true, .mem_reservation = 32 << 20,
		.has_pids_limit = true, .pids_limit = 50,
		.has_cpu_shares = true, .cpu_shares = 512,
		.has_cpu_quota = true, .cpu_quota = 50000,
		.has_cpu_period = true, .cpu_period = 100000,
		.devices = (struct rt_device_rule *)rules, .n_devices = ARRAY_SIZE(rules),
	};
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	int r = rt_cgroup_create(f->root, f->path, &res, &cg, &err);
	if (r < 0)
		fail_msg("create: %s", err.msg);
	char mem[512];
	snprintf(mem, sizeof(mem), "%s", hdir(f, "memory", f->path));
	assert_string_equal(get(mem, "memory.limit_in_bytes"), "67108864");
	assert_string_equal(get(mem, "memory.soft_limit_in_bytes"), "33554432");
	if (swap)
		assert_string_equal(get(mem, "memory.memsw.limit_in_bytes"), "134217728");
	assert_string_equal(get(hdir(f, "pids", f->path), "pids.max"), "50");
	assert_string_equal(get(hdir(f, "cpu", f->path), "cpu.shares"), "512");
	assert_string_equal(get(hdir(f, "cpu", f->path), "cpu.cfs_quota_us"), "50000");
	assert_string_equal(get(hdir(f, "cpu", f->path), "cpu.cfs_period_us"), "100000");
	if (access(V1_ROOT "/devices", F_OK) == 0)
		assert_string_equal(get(hdir(f, "devices", f->path), "devices.list"), "c 1:3 rwm\nc 1:5 rw");
	if (access(V1_ROOT "/cpuset", F_OK) == 0) {
		char want[256];
		snprintf(want, sizeof(want), "%s", get(V1_ROOT "/cpuset", "cpuset.cpus"));
		assert_string_equal(get(hdir(f, "cpuset", f->path), "cpuset.cpus"), want);
	}

	/* Raising needs memsw first, lowering needs it last; both must work. */
	struct rt_resources up = { .has_mem_limit = true, .mem_limit = 256 << 20,
				   .has_mem_swap = true, .mem_swap = 512 << 20 };
	r = rt_cgroup_update(cg, &up, &err);
	if (r < 0)
		fail_msg("raise: %s", err.msg);
	assert_string_equal(get(mem, "memory.limit_in_bytes"), "268435456");
	struct rt_resources down = { .has_mem_limit = true, .mem_limit = 32 << 20,
				     .has_mem_swap = true, .mem_swap = 48 << 20 };
	r = rt_cgroup_update(cg, &down, &err);
	if (r < 0)
		fail_msg("lower: %s", err.msg);
	assert_string_equal(get(mem, "memory.limit_in_bytes"), "33554432");
	if (swap)
		assert_string_equal(get(mem, "memory.memsw.limit_in_bytes"), "50331648");

	int gofd;
	f->child = spawn(&gofd, sleep_forever);
	r = rt_cgroup_enter(cg, f->child, &err);
	if (r < 0)
		fail_msg("enter: %s", err.msg);
	go(gofd);
	char line[160];
	snprintf(line, sizeof(line), "memory:%s\n", f->path);
	assert_true(in_cgroup(f->child, line));
	snprintf(line, sizeof(line), "pids:%s\n", f->path);
	assert_true(in_cgroup(f->child, line));
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(rt_cgroup_pids(cg, &pids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], f->child);

	if (access(V1_ROOT "/freezer", F_OK) == 0) {
		assert_int_equal(rt_cgroup_freeze(cg, true, &err), 0);
		assert_int_equal(rt_cgroup_is_frozen(cg), 1);
		assert_int_equal(rt_cgroup_freeze(cg, false, &err), 0);
		assert_int_equal(rt_cgroup_is_frozen(cg), 0);
	}

	assert_int_equal(rt_cgroup_kill_all(cg, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(f->child, &status, 0), f->child);
	f->child = 0;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);

	r = rt_cgroup_destroy(cg, &err);
	if (r < 0)
		fail_msg("destroy: %s", err.msg);
	struct rt_cgroup *top = NULL;
	assert_int_equal(rt_cgroup_open(f->root, f->top, &top, NULL), 0);
	assert_int_equal(rt_cgroup_destroy(top, &err), 0);
	rt_cgroup_free(top);
	/* Nothing left in any hierarchy, named and unified ones included. */
	_cleanup_closedir_ DIR *d = opendir(V1_ROOT);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			assert_int_equal(access(hdir(f, de->d_name, f->top), F_OK), -1);
}

/* A kernel error on the second level leaves neither level behind. */
static void test_v1_create_failure(void **state)
{
	struct fx *f = *state;
	if (!have_v1())
		skip();
	struct rt_resources res = { .has_mem_limit = true, .mem_limit = -2 };
	_cleanup_berr_ struct berr err = { 0 };
	struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, f->path, &res, &cg, &err), -EINVAL);
	assert_null(cg);
	char want[256];
	snprintf(want, sizeof(want), "writing '-2' to %s/memory%s/memory.limit_in_bytes",
		 f->root, f->path);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.kind, BERR_INVALID);
	_cleanup_closedir_ DIR *d = opendir(V1_ROOT);
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			assert_int_equal(access(hdir(f, de->d_name, f->top), F_OK), -1);
}

static int open_null_and_zero(void)
{
	int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (a < 0)
		return 1;
	int b = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	if (b >= 0)
		return 2;
	return errno == EPERM ? 0 : 3;
}

static int open_both(void)
{
	int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int b = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	return a >= 0 && b >= 0 ? 0 : 4;
}

/* Runs fn in a child inside cg and returns its exit code. */
static int run_in(struct fx *f, struct rt_cgroup *cg, int (*fn)(void))
{
	int gofd;
	_cleanup_berr_ struct berr err = { 0 };
	f->child = spawn(&gofd, fn);
	if (rt_cgroup_enter(cg, f->child, &err) < 0)
		fail_msg("enter: %s", err.msg);
	go(gofd);
	int status;
	assert_int_equal(waitpid(f->child, &status, 0), f->child);
	f->child = 0;
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static uint32_t attached_programs(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint32_t ids[8];
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)fd;
	attr.query.attach_type = BPF_CGROUP_DEVICE;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = 8;
	assert_int_equal(syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)), 0);
	return attr.query.prog_cnt;
}

static void test_v2_devices(void **state)
{
	struct fx *f = *state;
	if (geteuid() != 0 || !is_magic(f->root, CGROUP2_SUPER_MAGIC))
		skip();
	struct rt_device_rule rules[] = {
		{ .allow = false, .type = 'a', .major = -1, .minor = -1, .access = "rwm" },
		{ .allow = true, .type = 'c', .major = 1, .minor = 3, .access = "rwm" },
	};
	struct rt_resources res = { .devices = rules, .n_devices = ARRAY_SIZE(rules) };
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	if (rt_cgroup_create(f->root, f->path, &res, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	assert_int_equal(rt_cgroup_get_mode(cg), RT_CGROUP_V2);
	char dir[160];
	snprintf(dir, sizeof(dir), "%s%s", f->root, f->path);
	assert_int_equal(attached_programs(dir), 1);
	assert_int_equal(run_in(f, cg, open_null_and_zero), 0);

	/* The update replaces the filter instead of stacking a second one. */
	struct rt_device_rule more[] = {
		rules[0], rules[1],
		{ .allow = true, .type = 'c', .major = 1, .minor = 5, .access = "r" },
	};
	struct rt_resources upd = { .devices = more, .n_devices = ARRAY_SIZE(more) };
	if (rt_cgroup_update(cg, &upd, &err) < 0)
		fail_msg("update: %s", err.msg);
	assert_int_equal(attached_programs(dir), 1);
	assert_int_equal(run_in(f, cg, open_both), 0);

	if (rt_cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err.msg);
	assert_int_equal(access(dir, F_OK), -1);
}

/* cgroup.freeze, cgroup.events and cgroup.kill on the real cgroup2 mount. */
static void test_v2_freeze_kill(void **state)
{
	struct fx *f = *state;
	if (geteuid() != 0 || !is_magic(f->root, CGROUP2_SUPER_MAGIC))
		skip();
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	if (rt_cgroup_create(f->root, f->path, NULL, &cg, &err) < 0)
		fail_msg("create: %s", err.msg);
	int gofd;
	f->child = spawn(&gofd, sleep_forever);
	assert_int_equal(rt_cgroup_enter(cg, f->child, &err), 0);
	go(gofd);
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(rt_cgroup_pids(cg, &pids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], f->child);
	assert_int_equal(rt_cgroup_freeze(cg, true, &err), 0);
	assert_int_equal(rt_cgroup_is_frozen(cg), 1);
	assert_int_equal(rt_cgroup_freeze(cg, false, &err), 0);
	assert_int_equal(rt_cgroup_is_frozen(cg), 0);
	assert_int_equal(rt_cgroup_kill_all(cg, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(f->child, &status, 0), f->child);
	f->child = 0;
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	if (rt_cgroup_destroy(cg, &err) < 0)
		fail_msg("destroy: %s", err.msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_lifecycle, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_v1_create_failure, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_v2_devices, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_v2_freeze_kill, setup_v2, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
