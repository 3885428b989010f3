/* test_cgroup_v2.c - the v2 driver against a fake unified tree in a temp dir.
 *
 * mkdir in a plain directory makes no interface files, and the driver never
 * creates them (O_WRONLY without O_CREAT), so the test builds each cgroup the
 * way the kernel would show it: make_cg() creates the directory with every
 * file the driver may write. A file the kernel would not have (swap off, no
 * cgroup.kill) is simply left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/util.h"
#include "runtime/cgroup-internal.h"
#include "runtime/cgroup.h"

#define CONTROLLERS "cpu io memory pids cpuset"

struct fx {
	char root[64];
};

static void put(const char *dir, const char *file, const char *content)
{
	_cleanup_free_ char *p = cg_join(dir, file);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, content, strlen(content)), 0);
	close(fd);
}

/* Returns the content with trailing newlines removed, or "<missing>". */
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

static const char *const iface_files[] = {
	"cgroup.subtree_control", "cgroup.procs",   "cgroup.freeze", "cgroup.kill",
	"memory.max",             "memory.low",     "memory.swap.max", "memory.high",
	"cpu.weight",             "cpuset.cpus",    "cpuset.mems",   "pids.max",
	"io.weight",
};

/* A cgroup as the kernel would create it, relative to the fake root. */
static char *make_cg(struct fx *f, const char *rel)
{
	static char dir[256];
	snprintf(dir, sizeof(dir), "%s%s", f->root, rel);
	assert_int_equal(mkdir_p(dir, 0755), 0);
	for (size_t i = 0; i < ARRAY_SIZE(iface_files); i++)
		put(dir, iface_files[i], "");
	put(dir, "cgroup.controllers", CONTROLLERS "\n");
	put(dir, "cgroup.events", "populated 0\nfrozen 0\n");
	put(dir, "cpu.max", "max 100000\n");
	return dir;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	strcpy(f->root, "/tmp/berth-cgv2-XXXXXX");
	assert_non_null(mkdtemp(f->root));
	put(f->root, "cgroup.controllers", CONTROLLERS "\n");
	put(f->root, "cgroup.subtree_control", "");
	put(f->root, "cgroup.procs", "");
	make_cg(f, "/berth");
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

static struct rt_resources full_res(void)
{
	return (struct rt_resources){
		.has_mem_limit = true, .mem_limit = 536870912,
		.has_mem_swap = true, .mem_swap = 1073741824,
		.has_mem_reservation = true, .mem_reservation = 268435456,
		.has_cpu_shares = true, .cpu_shares = 1024,
		.has_cpu_quota = true, .cpu_quota = 50000,
		.has_cpu_period = true, .cpu_period = 100000,
		.cpuset_cpus = (char *)"0-1", .cpuset_mems = (char *)"0",
		.has_pids_limit = true, .pids_limit = 100,
		.has_blkio_weight = true, .blkio_weight = 500,
	};
}

static void test_detect(void **state)
{
	struct fx *f = *state;
	enum rt_cgroup_mode m = RT_CGROUP_V1;
	assert_int_equal(rt_cgroup_detect(f->root, &m), 0);
	assert_int_equal(m, RT_CGROUP_V2);
	char v1[300];
	snprintf(v1, sizeof(v1), "%s/berth/plain", f->root);
	assert_int_equal(mkdir(v1, 0755), 0);
	assert_int_equal(rt_cgroup_detect(v1, &m), 0);
	assert_int_equal(m, RT_CGROUP_V1);
	assert_int_equal(rt_cgroup_detect("/nonexistent-berth", &m), -ENOENT);
}

static void test_conversions(void **state)
{
	assert_int_equal(rt_cgroup_shares_to_weight(0), 0);
	assert_int_equal(rt_cgroup_shares_to_weight(1), 1);
	assert_int_equal(rt_cgroup_shares_to_weight(2), 1);
	assert_int_equal(rt_cgroup_shares_to_weight(1024), 39);
	assert_int_equal(rt_cgroup_shares_to_weight(262144), 10000);
	assert_int_equal(rt_cgroup_shares_to_weight(UINT64_MAX), 10000);
	assert_int_equal(rt_cgroup_blkio_to_io_weight(0), 0);
	assert_int_equal(rt_cgroup_blkio_to_io_weight(10), 1);
	assert_int_equal(rt_cgroup_blkio_to_io_weight(500), 4950);
	assert_int_equal(rt_cgroup_blkio_to_io_weight(1000), 10000);
	assert_int_equal(rt_cgroup_blkio_to_io_weight(5000), 10000);
}

static void test_create_full(void **state)
{
	struct fx *f = *state;
	const char *dir = make_cg(f, "/berth/c1");
	json_t *unified = json_pack("{s:s}", "memory.high", "400000000");
	struct rt_resources res = full_res();
	res.unified = unified;
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "berth//c1/", &res, &cg, &err), 0);
	json_decref(unified);
	assert_string_equal(rt_cgroup_path(cg), "/berth/c1");
	assert_int_equal(rt_cgroup_get_mode(cg), RT_CGROUP_V2);
	assert_string_equal(get(dir, "memory.max"), "536870912");
	assert_string_equal(get(dir, "memory.swap.max"), "536870912");
	assert_string_equal(get(dir, "memory.low"), "268435456");
	assert_string_equal(get(dir, "cpu.weight"), "39");
	assert_string_equal(get(dir, "cpu.max"), "50000 100000");
	assert_string_equal(get(dir, "cpuset.cpus"), "0-1");
	assert_string_equal(get(dir, "cpuset.mems"), "0");
	assert_string_equal(get(dir, "pids.max"), "100");
	assert_string_equal(get(dir, "io.weight"), "4950");
	assert_string_equal(get(dir, "memory.high"), "400000000");
	/* Every ancestor, the root included, delegates; the leaf does not. */
	assert_string_equal(get(f->root, "cgroup.subtree_control"), "+cpu +memory +pids +io +cpuset");
	char berth[300];
	snprintf(berth, sizeof(berth), "%s/berth", f->root);
	assert_string_equal(get(berth, "cgroup.subtree_control"), "+cpu +memory +pids +io +cpuset");
	assert_string_equal(get(dir, "cgroup.subtree_control"), "");
}

static void test_subtree_only_missing(void **state)
{
	struct fx *f = *state;
	put(f->root, "cgroup.subtree_control", "cpu memory\n");
	char berth[300];
	snprintf(berth, sizeof(berth), "%s/berth", f->root);
	put(berth, "cgroup.controllers", "memory hugetlb pids\n");
	make_cg(f, "/berth/c2");
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c2", NULL, &cg, NULL), 0);
	assert_string_equal(get(f->root, "cgroup.subtree_control"), "+pids +io +cpuset");
	assert_string_equal(get(berth, "cgroup.subtree_control"), "+memory +pids");
}

static void test_unlimited_values(void **state)
{
	struct fx *f = *state;
	const char *dir = make_cg(f, "/berth/c3");
	struct rt_resources res = {
		.has_mem_limit = true, .mem_limit = -1, .has_mem_swap = true, .mem_swap = -1,
		.has_mem_reservation = true, .mem_reservation = -1,
		.has_pids_limit = true, .pids_limit = 0,
		.has_cpu_quota = true, .cpu_quota = -1, .has_cpu_period = true, .cpu_period = 250000,
		.has_cpu_shares = true, .cpu_shares = 0,
	};
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c3", &res, &cg, NULL), 0);
	assert_string_equal(get(dir, "memory.max"), "max");
	assert_string_equal(get(dir, "memory.swap.max"), "max");
	assert_string_equal(get(dir, "memory.low"), "max");
	assert_string_equal(get(dir, "pids.max"), "max");
	assert_string_equal(get(dir, "cpu.max"), "max 250000");
	assert_string_equal(get(dir, "cpu.weight"), ""); /* shares 0 = unset */
}

static void test_update_partial(void **state)
{
	struct fx *f = *state;
	const char *dir = make_cg(f, "/berth/c4");
	put(dir, "cpu.max", "20000 100000\n");
	put(dir, "memory.max", "100000\n");
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c4", NULL, &cg, NULL), 0);
	struct rt_resources period_only = { .has_cpu_period = true, .cpu_period = 50000 };
	assert_int_equal(rt_cgroup_update(cg, &period_only, NULL), 0);
	assert_string_equal(get(dir, "cpu.max"), "20000 50000");
	struct rt_resources quota_only = { .has_cpu_quota = true, .cpu_quota = 30000 };
	assert_int_equal(rt_cgroup_update(cg, &quota_only, NULL), 0);
	assert_string_equal(get(dir, "cpu.max"), "30000");
	/* Swap alone is computed against the limit already in place. */
	struct rt_resources swap_only = { .has_mem_swap = true, .mem_swap = 300000 };
	assert_int_equal(rt_cgroup_update(cg, &swap_only, NULL), 0);
	assert_string_equal(get(dir, "memory.swap.max"), "200000");
	assert_string_equal(get(dir, "memory.max"), "100000");
}

static void test_swap_errors(void **state)
{
	struct fx *f = *state;
	const char *dir = make_cg(f, "/berth/c5");
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c5", NULL, &cg, NULL), 0);
	_cleanup_berr_ struct berr err = { 0 };
	struct rt_resources low = { .has_mem_limit = true, .mem_limit = 2000, .has_mem_swap = true, .mem_swap = 1000 };
	assert_int_equal(rt_cgroup_update(cg, &low, &err), -EINVAL);
	assert_int_equal(err.kind, BERR_INVALID);
	assert_string_equal(err.msg, "memory+swap limit 1000 is below the memory limit 2000");
	berr_clear(&err);
	put(dir, "memory.max", "max\n");
	struct rt_resources nolimit = { .has_mem_swap = true, .mem_swap = 1000 };
	assert_int_equal(rt_cgroup_update(cg, &nolimit, &err), -EINVAL);
	assert_string_equal(err.msg, "memory swap limit 1000 needs a memory limit");
	assert_string_equal(get(dir, "memory.swap.max"), "");
}

static void test_swap_file_absent(void **state)
{
	struct fx *f = *state;
	const char *dir = make_cg(f, "/berth/c6");
	_cleanup_free_ char *swap = cg_join(dir, "memory.swap.max");
	assert_int_equal(unlink(swap), 0);
	struct rt_resources res = { .has_mem_limit = true, .mem_limit = 1000, .has_mem_swap = true, .mem_swap = 3000 };
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c6", &res, &cg, NULL), 0);
	assert_string_equal(get(dir, "memory.max"), "1000");
	assert_int_equal(access(swap, F_OK), -1);
}

static void test_io_bfq_fallback(void **state)
{
	struct fx *f = *state;
	const char *dir = make_cg(f, "/berth/c7");
	_cleanup_free_ char *iow = cg_join(dir, "io.weight");
	assert_int_equal(unlink(iow), 0);
	put(dir, "io.bfq.weight", "");
	struct rt_resources res = { .has_blkio_weight = true, .blkio_weight = 300 };
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c7", &res, &cg, NULL), 0);
	assert_string_equal(get(dir, "io.bfq.weight"), "300");
}

static void expect_unified_error(struct fx *f, json_t *u, const char *msg)
{
	make_cg(f, "/berth/u");
	struct rt_resources res = { .unified = u };
	_cleanup_berr_ struct berr err = { 0 };
	struct rt_cgroup *cg = NULL;
	assert_true(rt_cgroup_create(f->root, "/berth/u", &res, &cg, &err) < 0);
	assert_null(cg);
	assert_int_equal(err.kind, BERR_INVALID);
	assert_string_equal(err.msg, msg);
	json_decref(u);
}

static void test_unified_errors(void **state)
{
	struct fx *f = *state;
	expect_unified_error(f, json_pack("{s:s}", "../cgroup.procs", "1"),
			     "linux.resources.unified: invalid key '../cgroup.procs'");
	expect_unified_error(f, json_pack("{s:s}", "a/b", "1"),
			     "linux.resources.unified: invalid key 'a/b'");
	expect_unified_error(f, json_pack("{s:s}", "..", "1"),
			     "linux.resources.unified: invalid key '..'");
	expect_unified_error(f, json_pack("{s:i}", "memory.high", 5),
			     "linux.resources.unified.memory.high: expected a string");
	char msg[512];
	snprintf(msg, sizeof(msg), "writing 'v' to %s/berth/u/no.such: No such file or directory", f->root);
	expect_unified_error(f, json_pack("{s:s}", "no.such", "v"), msg);
}

static void test_write_error_message(void **state)
{
	struct fx *f = *state;
	const char *dir = make_cg(f, "/berth/c8");
	_cleanup_free_ char *mm = cg_join(dir, "memory.max");
	assert_int_equal(unlink(mm), 0);
	assert_int_equal(mkdir(mm, 0755), 0);
	struct rt_resources res = { .has_mem_limit = true, .mem_limit = 4096 };
	_cleanup_berr_ struct berr err = { 0 };
	struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/c8", &res, &cg, &err), -EISDIR);
	char want[512];
	snprintf(want, sizeof(want), "writing '4096' to %s/berth/c8/memory.max: Is a directory", f->root);
	assert_string_equal(err.msg, want);
	assert_int_equal(err.kind, BERR_INTERNAL);
	/* It existed before: not ours to remove. */
	assert_int_equal(access(dir, F_OK), 0);
}

/* Directories the driver made are removed when create fails. */
static void test_create_failure_cleans_up(void **state)
{
	struct fx *f = *state;
	char leaf[300], fresh[300];
	snprintf(leaf, sizeof(leaf), "%s/berth/new", f->root);
	struct rt_resources res = { .has_pids_limit = true, .pids_limit = 5 };
	_cleanup_berr_ struct berr err = { 0 };
	struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/new", &res, &cg, &err), -ENOENT);
	char want[512];
	snprintf(want, sizeof(want), "writing '5' to %s/pids.max: No such file or directory", leaf);
	assert_string_equal(err.msg, want);
	assert_int_equal(access(leaf, F_OK), -1);

	berr_clear(&err);
	snprintf(fresh, sizeof(fresh), "%s/fresh", f->root);
	assert_int_equal(rt_cgroup_create(f->root, "/fresh/leaf", NULL, &cg, &err), -ENOENT);
	snprintf(want, sizeof(want), "reading controllers of %s: No such file or directory", fresh);
	assert_string_equal(err.msg, want);
	assert_int_equal(access(fresh, F_OK), -1);
}

static void test_paths_and_open(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = { "/", "", "/berth/../x", "./x", "//" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_berr_ struct berr err = { 0 };
		struct rt_cgroup *cg = NULL;
		assert_int_equal(rt_cgroup_create(f->root, bad[i], NULL, &cg, &err), -EINVAL);
		assert_int_equal(err.kind, BERR_INVALID);
	}
	_cleanup_berr_ struct berr err = { 0 };
	struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_open(f->root, "/berth/absent", &cg, &err), -ENOENT);
	assert_int_equal(err.kind, BERR_NOT_FOUND);
	assert_null(cg);
	assert_int_equal(rt_cgroup_open(f->root, "/berth", &cg, NULL), 0);
	rt_cgroup_free(cg);
}

static void test_enter_pids_mounts(void **state)
{
	struct fx *f = *state;
	const char *dir = make_cg(f, "/berth/c9");
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	put(sub, "cgroup.procs", "789\n");
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_open(f->root, "/berth/c9", &cg, NULL), 0);
	assert_int_equal(rt_cgroup_enter(cg, 4242, NULL), 0);
	assert_string_equal(get(dir, "cgroup.procs"), "4242");
	put(dir, "cgroup.procs", "123\n456\n");
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	assert_int_equal(rt_cgroup_pids(cg, &pids, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0], 123);
	assert_int_equal(pids[1], 456);
	assert_int_equal(pids[2], 789);

	struct rt_cgroup_mount *m = NULL;
	assert_int_equal(rt_cgroup_mounts(cg, &m, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].name, "");
	assert_string_equal(m[0].host_dir, dir);
	assert_null(m[0].link_target);
	rt_cgroup_mounts_free(m, n);
}

static void test_freeze(void **state)
{
	struct fx *f = *state;
	const char *dir = make_cg(f, "/berth/c10");
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_open(f->root, "/berth/c10", &cg, NULL), 0);
	assert_int_equal(rt_cgroup_is_frozen(cg), 0);
	put(dir, "cgroup.events", "populated 1\nfrozen 1\n");
	assert_int_equal(rt_cgroup_freeze(cg, true, NULL), 0);
	assert_string_equal(get(dir, "cgroup.freeze"), "1");
	assert_int_equal(rt_cgroup_is_frozen(cg), 1);
	put(dir, "cgroup.events", "populated 1\nfrozen 0\n");
	assert_int_equal(rt_cgroup_freeze(cg, false, NULL), 0);
	assert_string_equal(get(dir, "cgroup.freeze"), "0");
}

static void test_kill(void **state)
{
	struct fx *f = *state;
	const char *dir = make_cg(f, "/berth/c11");
	char saved[256];
	snprintf(saved, sizeof(saved), "%s", dir);
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_open(f->root, "/berth/c11", &cg, NULL), 0);
	assert_int_equal(rt_cgroup_kill_all(cg, SIGKILL), 0);
	assert_string_equal(get(saved, "cgroup.kill"), "1");

	/* Any other signal goes pid by pid. */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		for (;;)
			pause();
	}
	char pid[32];
	snprintf(pid, sizeof(pid), "%d\n", (int)child);
	put(saved, "cgroup.procs", pid);
	assert_int_equal(rt_cgroup_kill_all(cg, SIGTERM), 0);
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
}

static void test_destroy(void **state)
{
	struct fx *f = *state;
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/berth/empty", f->root);
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	assert_int_equal(rt_cgroup_create(f->root, "/berth/empty", NULL, &cg, NULL), 0);
	assert_int_equal(access(dir, F_OK), 0);
	char sub[320];
	snprintf(sub, sizeof(sub), "%s/child", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(rt_cgroup_destroy(cg, NULL), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(rt_cgroup_destroy(cg, NULL), 0); /* already gone */
}

/* --- the device filter: a small interpreter runs the generated program --- */

enum { DEV_BLOCK = BPF_DEVCG_DEV_BLOCK, DEV_CHAR = BPF_DEVCG_DEV_CHAR };
enum { ACC_R = BPF_DEVCG_ACC_READ, ACC_W = BPF_DEVCG_ACC_WRITE, ACC_M = BPF_DEVCG_ACC_MKNOD };

/* Only the instructions the generator is meant to use; anything else fails. */
static int run_prog(const struct bpf_insn *v, size_t n, uint32_t type, uint32_t access,
		    uint32_t major, uint32_t minor)
{
	struct bpf_cgroup_dev_ctx ctx = { (access << 16) | type, major, minor };
	uint64_t r[11] = { 0 };
	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *i = &v[pc];
		uint64_t imm = (uint64_t)(int64_t)i->imm;
		switch (i->code) {
		case BPF_LDX | BPF_MEM | BPF_W:
			assert_int_equal(i->src_reg, BPF_REG_1);
			r[i->dst_reg] = *(uint32_t *)((char *)&ctx + i->off);
			break;
		case BPF_ALU64 | BPF_MOV | BPF_X: r[i->dst_reg] = r[i->src_reg]; break;
		case BPF_ALU64 | BPF_MOV | BPF_K: r[i->dst_reg] = imm; break;
		case BPF_ALU | BPF_AND | BPF_K: r[i->dst_reg] = (uint32_t)(r[i->dst_reg] & imm); break;
		case BPF_ALU | BPF_RSH | BPF_K: r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> i->imm; break;
		case BPF_JMP | BPF_JNE | BPF_K: if (r[i->dst_reg] != imm) pc += i->off; break;
		case BPF_JMP | BPF_JEQ | BPF_K: if (r[i->dst_reg] == imm) pc += i->off; break;
		case BPF_JMP | BPF_EXIT: return (int)r[0];
		default: fail_msg("unexpected opcode 0x%x at %zu", i->code, pc);
		}
		assert_true(pc + 1 <= n);
	}
	fail_msg("fell off the end");
	return -1;
}

#define RULE(al, t, ma, mi, acc) { .allow = al, .type = t, .major = ma, .minor = mi, .access = acc }

static void test_bpf_program(void **state)
{
	const struct rt_device_rule rules[] = {
		RULE(false, 'a', -1, -1, "rwm"),
		RULE(true, 'c', 1, 3, "rwm"),
		RULE(true, 'c', -1, -1, "m"),
		RULE(true, 'b', 8, -1, "r"),
		RULE(true, 'c', 5, 1, "rw"),
		RULE(false, 'c', 5, 1, "w"),
	};
	_cleanup_free_ struct bpf_insn *v = NULL;
	size_t n = 0;
	assert_int_equal(cg_bpf_build(rules, ARRAY_SIZE(rules), &v, &n), 0);
	assert_int_equal(run_prog(v, n, DEV_CHAR, ACC_R | ACC_W, 1, 3), 1);
	assert_int_equal(run_prog(v, n, DEV_CHAR, ACC_R, 1, 5), 0);
	assert_int_equal(run_prog(v, n, DEV_CHAR, ACC_M, 1, 5), 1);    /* c *:* m */
	assert_int_equal(run_prog(v, n, DEV_BLOCK, ACC_M, 1, 3), 0);   /* type matters */
	assert_int_equal(run_prog(v, n, DEV_BLOCK, ACC_R, 8, 17), 1);  /* b 8:* r */
	assert_int_equal(run_prog(v, n, DEV_BLOCK, ACC_R | ACC_W, 8, 0), 0); /* w not in r */
	assert_int_equal(run_prog(v, n, DEV_CHAR, ACC_R, 5, 1), 1);
	assert_int_equal(run_prog(v, n, DEV_CHAR, ACC_R | ACC_W, 5, 1), 0); /* later deny w wins */
	assert_int_equal(run_prog(v, n, DEV_CHAR, ACC_R, 4, 1), 0);
}

static void test_bpf_default_and_a_rules(void **state)
{
	_cleanup_free_ struct bpf_insn *v = NULL, *w = NULL, *x = NULL;
	size_t n = 0;
	/* No rules: allow, as a v1 cgroup inherits the root's allow-all. */
	assert_int_equal(cg_bpf_build(NULL, 0, &v, &n), 0);
	assert_int_equal(run_prog(v, n, DEV_CHAR, ACC_R, 1, 3), 1);
	/* A later 'a' overrides everything before it. */
	const struct rt_device_rule later[] = {
		RULE(false, 'a', -1, -1, "rwm"), RULE(true, 'c', 1, 3, "rwm"), RULE(true, 'a', -1, -1, ""),
		RULE(false, 'c', 1, 5, "r"),
	};
	assert_int_equal(cg_bpf_build(later, ARRAY_SIZE(later), &w, &n), 0);
	assert_int_equal(run_prog(w, n, DEV_CHAR, ACC_R, 9, 9), 1);
	assert_int_equal(run_prog(w, n, DEV_CHAR, ACC_R, 1, 5), 0);
	assert_int_equal(run_prog(w, n, DEV_CHAR, ACC_W, 1, 5), 1);
	/* Deny-all first: default deny. */
	const struct rt_device_rule deny[] = { RULE(false, 'a', -1, -1, "rwm") };
	assert_int_equal(cg_bpf_build(deny, 1, &x, &n), 0);
	assert_int_equal(run_prog(x, n, DEV_CHAR, ACC_R, 1, 3), 0);
}

static void test_bpf_invalid(void **state)
{
	struct bpf_insn *v = NULL;
	size_t n = 0;
	const struct rt_device_rule bad_type[] = { RULE(true, 'x', 1, 3, "r") };
	const struct rt_device_rule bad_access[] = { RULE(true, 'c', 1, 3, "rq") };
	const struct rt_device_rule bad_major[] = { RULE(true, 'c', -2, 3, "r") };
	const struct rt_device_rule huge_minor[] = { RULE(true, 'c', 1, 1LL << 40, "r") };
	assert_int_equal(cg_bpf_build(bad_type, 1, &v, &n), -EINVAL);
	assert_int_equal(cg_bpf_build(bad_access, 1, &v, &n), -EINVAL);
	assert_int_equal(cg_bpf_build(bad_major, 1, &v, &n), -EINVAL);
	assert_int_equal(cg_bpf_build(huge_minor, 1, &v, &n), -EINVAL);
	assert_null(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test_setup_teardown(test_create_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subtree_only_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlimited_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_file_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_bfq_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unified_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_error_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_failure_cleans_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths_and_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_pids_mounts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_freeze, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy, setup, teardown),
		cmocka_unit_test(test_bpf_program),
		cmocka_unit_test(test_bpf_default_and_a_rules),
		cmocka_unit_test(test_bpf_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
