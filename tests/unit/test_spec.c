/* test_spec.c - the config.json parser against golden files in tests/data/spec:
 * a config using every field, runc's own default spec, and invalid configs
 * whose exact error message is checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "base/util.h"
#include "runtime/spec.h"

/* Whatever berr_set() adds after the message for EINVAL (the strerror text,
 * or nothing): the convention belongs to err.c, the wording to spec.c. */
static const char *einval_suffix(void)
{
	static char suffix[64];
	struct berr e = { 0 };
	berr_set(&e, BERR_INVALID, EINVAL, "x");
	assert_non_null(e.msg);
	snprintf(suffix, sizeof(suffix), "%s", e.msg + 1);
	berr_clear(&e);
	return suffix;
}

static void assert_msg(const struct berr *err, const char *want)
{
	_cleanup_free_ char *full = NULL;
	assert_true(asprintf(&full, "%s%s", want, einval_suffix()) > 0);
	assert_non_null(err->msg);
	assert_string_equal(err->msg, full);
}

#define CAP(c) (UINT64_C(1) << (c))

static char *data_path(const char *name)
{
	const char *dir = getenv("BERTH_TEST_DATA");
	char *p = NULL;
	assert_non_null(dir);
	assert_true(asprintf(&p, "%s/spec/%s", dir, name) > 0);
	return p;
}

static char *read_data(const char *name, size_t *ret_len)
{
	_cleanup_free_ char *path = data_path(name);
	char *buf = NULL;
	assert_int_equal(read_file_at(AT_FDCWD, path, &buf, ret_len), 0);
	return buf;
}

static struct rt_spec *parse_ok(const char *name)
{
	size_t len;
	_cleanup_free_ char *buf = read_data(name, &len);
	_cleanup_berr_ struct berr err = { 0 };
	struct rt_spec *s = NULL;
	int r = rt_spec_parse(buf, len, &s, &err);
	if (r < 0)
		fail_msg("%s: %s", name, err.msg);
	assert_non_null(s);
	return s;
}

static void assert_strv(char **v, const char *const *want, size_t n)
{
	assert_non_null(v);
	assert_int_equal(strv_length(v), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
}

/* --- the full config ----------------------------------------------------- */

static void check_full_process(const struct rt_process *p)
{
	assert_true(p->terminal);
	assert_int_equal(p->console_height, 25);
	assert_int_equal(p->console_width, 80);
	assert_strv(p->args, (const char *[]){ "/bin/sh", "-c", "echo hello" }, 3);
	assert_strv(p->env, (const char *[]){ "PATH=/usr/bin:/bin", "TERM=xterm", "EMPTY=" }, 3);
	assert_string_equal(p->cwd, "/work");
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 1001);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.n_additional_gids, 3);
	assert_int_equal(p->user.additional_gids[0], 5);
	assert_int_equal(p->user.additional_gids[2], UINT32_MAX);
	assert_true(p->caps.present);
	assert_true(p->caps.bounding == (CAP(CAP_CHOWN) | CAP(CAP_KILL) | CAP(CAP_CHECKPOINT_RESTORE)));
	assert_true(p->caps.effective == CAP(CAP_KILL));
	assert_true(p->caps.inheritable == CAP(CAP_NET_RAW));
	assert_true(p->caps.permitted == (CAP(CAP_CHOWN) | CAP(CAP_KILL)));
	assert_true(p->caps.ambient == CAP(CAP_SYS_ADMIN));
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_true(p->rlimits[0].soft == 1024 && p->rlimits[0].hard == 4096);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].soft == 0 && p->rlimits[1].hard == INT64_MAX);
	assert_true(p->no_new_privileges);
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);
	assert_string_equal(p->apparmor_profile, "berth-default");
	assert_string_equal(p->selinux_label, "system_u:system_r:container_t:s0:c1,c2");
}

static void check_full_mounts(const struct rt_spec *s)
{
	assert_int_equal(s->n_mounts, 5);
	const struct rt_mount *m = s->mounts;
	assert_string_equal(m[0].destination, "/proc");
	assert_string_equal(m[0].type, "proc");
	assert_null(m[0].options);
	assert_null(m[0].data);
	assert_string_equal(m[1].data, "mode=755,size=65536k");
	assert_true(m[1].flags == (MS_NOSUID | MS_STRICTATIME));
	assert_string_equal(m[2].source, "/srv/data");
	assert_true(m[2].is_bind);
	assert_true(m[2].flags == (MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID | MS_NODEV));
	assert_true(m[2].propagation == (MS_PRIVATE | MS_REC));
	assert_null(m[2].data);
	assert_strv(m[2].options, (const char *[]){ "rbind", "rprivate", "ro", "nosuid", "nodev" }, 5);
	assert_true(m[3].clear_flags == (MS_RDONLY | MS_NOEXEC));
	assert_string_equal(m[3].data, "mode=1777");
	assert_null(m[4].type);
	assert_true(m[4].is_bind);
	assert_true(m[4].recursive_ro);
	assert_true(m[4].flags == MS_BIND);
	assert_null(m[4].data);
}

static void check_full_hooks(const struct rt_spec *s)
{
	static const size_t counts[_RT_HOOK_MAX] = { 1, 2, 1, 1, 1, 1 };
	for (size_t k = 0; k < _RT_HOOK_MAX; k++)
		assert_int_equal(s->n_hooks[k], counts[k]);
	const struct rt_hook *h = &s->hooks[RT_HOOK_PRESTART][0];
	assert_string_equal(h->path, "/usr/bin/prestart-hook");
	assert_strv(h->args, (const char *[]){ "prestart-hook", "a" }, 2);
	assert_strv(h->env, (const char *[]){ "A=1" }, 1);
	assert_int_equal(h->timeout, 5);
	assert_string_equal(s->hooks[RT_HOOK_CREATE_RUNTIME][1].path, "/bin/cr2");
	assert_string_equal(s->hooks[RT_HOOK_CREATE_CONTAINER][0].path, "/bin/cc");
	assert_string_equal(s->hooks[RT_HOOK_START_CONTAINER][0].path, "/bin/sc");
	assert_string_equal(s->hooks[RT_HOOK_POSTSTART][0].path, "/bin/ps");
	assert_int_equal(s->hooks[RT_HOOK_POSTSTART][0].timeout, 0);
	assert_int_equal(s->hooks[RT_HOOK_POSTSTOP][0].timeout, 30);
}

static void check_full_linux_ids(const struct rt_spec *s)
{
	for (int t = 0; t < _RT_NS_MAX; t++)
		assert_int_equal(s->ns[t].present, t != RT_NS_TIME);
	assert_string_equal(s->ns[RT_NS_NETWORK].path, "/var/run/netns/test");
	assert_null(s->ns[RT_NS_PID].path);
	assert_int_equal(s->n_uid_mappings, 1);
	assert_true(s->uid_mappings[0].container_id == 0 && s->uid_mappings[0].host_id == 100000 &&
		    s->uid_mappings[0].size == 65536);
	assert_int_equal(s->n_gid_mappings, 2);
	assert_true(s->gid_mappings[1].container_id == 1000 && s->gid_mappings[1].size == 1);
	assert_int_equal(s->n_devices, 3);
	const struct rt_device *d = s->devices;
	assert_int_equal(d[0].type, 'c');
	assert_string_equal(d[0].path, "/dev/fuse");
	assert_true(d[0].major == 10 && d[0].minor == 229);
	assert_true(d[0].has_mode && d[0].file_mode == 0666 && d[0].has_uid && d[0].has_gid);
	assert_int_equal(d[1].type, 'b');
	assert_false(d[1].has_mode || d[1].has_uid || d[1].has_gid);
	assert_int_equal(d[2].type, 'p');
}

static void check_full_resources(const struct rt_resources *r)
{
	assert_true(r->has_mem_limit && r->mem_limit == 536870912);
	assert_true(r->has_mem_reservation && r->mem_reservation == 268435456);
	assert_true(r->has_mem_swap && r->mem_swap == -1);
	assert_true(r->has_mem_swappiness && r->mem_swappiness == 60);
	assert_true(r->has_kernel_mem);
	assert_true(r->disable_oom_killer);
	assert_true(r->has_cpu_shares && r->cpu_shares == 512);
	assert_true(r->has_cpu_quota && r->cpu_quota == 50000);
	assert_true(r->has_cpu_period && r->cpu_period == 100000);
	assert_string_equal(r->cpuset_cpus, "0-1");
	assert_string_equal(r->cpuset_mems, "0");
	assert_true(r->has_pids_limit && r->pids_limit == 100);
	assert_true(r->has_blkio_weight && r->blkio_weight == 500);
	assert_int_equal(r->n_devices, 3);
	assert_false(r->devices[0].allow);
	assert_int_equal(r->devices[0].type, 'a');
	assert_true(r->devices[0].major == -1 && r->devices[0].minor == -1);
	assert_string_equal(r->devices[0].access, "rwm");
	assert_true(r->devices[1].allow && r->devices[1].type == 'c' && r->devices[1].major == 1 &&
		    r->devices[1].minor == 3);
	assert_string_equal(r->devices[1].access, "rw");
	assert_true(r->devices[2].major == 8 && r->devices[2].minor == -1);
	assert_non_null(r->unified);
	assert_string_equal(json_string_value(json_object_get(r->unified, "io.weight")), "default 100");
}

static void check_full_linux_rest(const struct rt_spec *s)
{
	assert_string_equal(s->cgroups_path, "/berth/full");
	assert_int_equal(s->n_sysctls, 2);
	assert_string_equal(s->sysctls[0].key, "net.ipv4.ip_forward");
	assert_string_equal(s->sysctls[0].value, "1");
	assert_string_equal(s->sysctls[1].key, "kernel.shm_rmid_forced");
	assert_strv(s->masked_paths, (const char *[]){ "/proc/kcore", "/sys/firmware" }, 2);
	assert_strv(s->readonly_paths, (const char *[]){ "/proc/sys" }, 1);
	assert_true(s->rootfs_propagation == (MS_SLAVE | MS_REC));
	assert_string_equal(s->mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
	assert_string_equal(s->personality_domain, "LINUX32");
	/* Borrowed pointers point into raw, not into copies. */
	assert_ptr_equal(s->seccomp, json_object_get(json_object_get(s->raw, "linux"), "seccomp"));
	assert_ptr_equal(s->annotations, json_object_get(s->raw, "annotations"));
	assert_string_equal(json_string_value(json_object_get(s->annotations, "io.berth.name")), "full");
}

static void test_full(void **state)
{
	_cleanup_spec_ struct rt_spec *s = parse_ok("full.json");
	assert_string_equal(s->oci_version, "1.1.0");
	assert_string_equal(s->root_path, "/var/lib/berth/rootfs");
	assert_true(s->root_readonly);
	assert_string_equal(s->hostname, "full-host");
	assert_string_equal(s->domainname, "example.org");
	check_full_process(&s->process);
	check_full_mounts(s);
	check_full_hooks(s);
	check_full_linux_ids(s);
	check_full_resources(&s->resources);
	check_full_linux_rest(s);
}

static void test_load(void **state)
{
	_cleanup_free_ char *path = data_path("full.json");
	_cleanup_spec_ struct rt_spec *s = NULL;
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(rt_spec_load(path, &s, &err), 0);
	assert_string_equal(s->hostname, "full-host");

	_cleanup_free_ char *missing = data_path("no-such-config.json");
	struct rt_spec *untouched = (struct rt_spec *)&err;
	assert_int_equal(rt_spec_load(missing, &untouched, &err), -ENOENT);
	assert_ptr_equal(untouched, &err);
	assert_int_equal(err.kind, BERR_NOT_FOUND);
}

/* --- runc's default spec --------------------------------------------------- */

static void test_runc_default(void **state)
{
	_cleanup_spec_ struct rt_spec *s = parse_ok("runc-default.json");
	const uint64_t caps = CAP(CAP_AUDIT_WRITE) | CAP(CAP_KILL) | CAP(CAP_NET_BIND_SERVICE);
	assert_string_equal(s->oci_version, "1.0.2-dev");
	assert_string_equal(s->root_path, "rootfs");
	assert_true(s->root_readonly);
	assert_string_equal(s->hostname, "runc");
	assert_true(s->process.caps.bounding == caps && s->process.caps.ambient == caps);
	assert_int_equal(s->process.caps.inheritable, 0);
	assert_int_equal(s->n_mounts, 7);
	assert_string_equal(s->mounts[2].destination, "/dev/pts");
	assert_string_equal(s->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
	assert_true(s->mounts[2].flags == (MS_NOSUID | MS_NOEXEC));
	assert_true(s->mounts[6].flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY));
	assert_false(s->ns[RT_NS_USER].present);
	assert_true(s->ns[RT_NS_PID].present && s->ns[RT_NS_MOUNT].present);
	assert_int_equal(strv_length(s->masked_paths), 10);
	assert_int_equal(strv_length(s->readonly_paths), 5);
	assert_int_equal(s->resources.n_devices, 1);
	assert_false(s->resources.devices[0].allow);
	assert_int_equal(s->resources.devices[0].type, 'a');
}

/* rt_spec_default() must describe the same container as `runc spec`, apart
 * from the documented differences (version, hostname, cgroup namespace, no
 * ambient set), and must be accepted by our own parser. */
static void test_default_roundtrip(void **state)
{
	json_auto_t *def = rt_spec_default();
	assert_non_null(def);
	_cleanup_free_ char *text = json_dumps(def, 0);
	assert_non_null(text);

	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_spec_ struct rt_spec *s = NULL;
	if (rt_spec_parse(text, strlen(text), &s, &err) < 0)
		fail_msg("%s", err.msg);
	assert_string_equal(s->oci_version, "1.1.0");
	assert_string_equal(s->hostname, "berth");
	assert_strv(s->process.args, (const char *[]){ "sh" }, 1);
	assert_true(s->process.terminal && s->process.no_new_privileges);
	assert_true(s->process.caps.permitted == (CAP(CAP_AUDIT_WRITE) | CAP(CAP_KILL) | CAP(CAP_NET_BIND_SERVICE)));
	assert_int_equal(s->process.caps.ambient, 0);
	assert_true(s->ns[RT_NS_CGROUP].present && !s->ns[RT_NS_USER].present);

	size_t len;
	_cleanup_free_ char *buf = read_data("runc-default.json", &len);
	json_auto_t *runc = json_loadb(buf, len, 0, NULL);
	assert_non_null(runc);
	static const char *const same_top[] = { "root", "mounts" };
	for (size_t i = 0; i < ARRAY_SIZE(same_top); i++)
		assert_true(json_equal(json_object_get(def, same_top[i]), json_object_get(runc, same_top[i])));
	static const char *const same_linux[] = { "resources", "maskedPaths", "readonlyPaths" };
	json_t *dl = json_object_get(def, "linux"), *rl = json_object_get(runc, "linux");
	for (size_t i = 0; i < ARRAY_SIZE(same_linux); i++)
		assert_true(json_equal(json_object_get(dl, same_linux[i]), json_object_get(rl, same_linux[i])));
	static const char *const same_process[] = { "terminal", "user", "args", "env", "cwd", "rlimits",
						    "noNewPrivileges" };
	json_t *dp = json_object_get(def, "process"), *rp = json_object_get(runc, "process");
	for (size_t i = 0; i < ARRAY_SIZE(same_process); i++)
		assert_true(json_equal(json_object_get(dp, same_process[i]), json_object_get(rp, same_process[i])));
}

/* --- invalid configs ------------------------------------------------------- */

static const struct {
	const char *file, *msg;
} invalid_cases[] = {
	{ "args-empty.json", "process.args: must not be empty" },
	{ "args-not-array.json", "process.args: expected an array of strings" },
	{ "ns-unknown.json", "linux.namespaces[2].type: unknown namespace \"foo\"" },
	{ "ns-duplicate.json", "linux.namespaces[2].type: duplicate namespace \"pid\"" },
	{ "ns-path-relative.json", "linux.namespaces[2].path: must be an absolute path" },
	{ "mount-relative.json", "mounts[3].destination: must be an absolute path" },
	{ "mount-not-object.json", "mounts[0]: expected an object" },
	{ "cap-unknown.json", "process.capabilities.bounding[1]: unknown capability \"CAP_FOO\"" },
	{ "rlimit-unknown.json", "process.rlimits[0].type: unknown rlimit \"RLIMIT_X\"" },
	{ "rlimit-duplicate.json", "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"" },
	{ "rlimit-soft-above-hard.json", "process.rlimits[0]: soft limit 10 is above hard limit 5" },
	{ "cwd-relative.json", "process.cwd: must be an absolute path" },
	{ "cwd-missing.json", "process.cwd: is required" },
	{ "env-no-equals.json", "process.env[1]: expected NAME=VALUE, got \"FOO\"" },
	{ "uid-range.json", "process.user.uid: 4294967296 is out of range (0..4294967295)" },
	{ "oom-range.json", "process.oomScoreAdj: 1001 is out of range (-1000..1000)" },
	{ "version-2.json", "ociVersion: unsupported version \"2.0.0\"" },
	{ "version-missing.json", "ociVersion: is required" },
	{ "root-missing.json", "root: is required" },
	{ "process-not-object.json", "process: expected an object" },
	{ "hook-relative.json", "hooks.poststart[0].path: must be an absolute path" },
	{ "hook-timeout-zero.json", "hooks.prestart[0].timeout: must be greater than zero" },
	{ "device-rule-access.json",
	  "linux.resources.devices[0].access: invalid access \"rwx\" (a subset of \"rwm\")" },
	{ "device-rule-allow.json", "linux.resources.devices[0].allow: expected true or false" },
	{ "device-no-major.json", "linux.devices[0]: major and minor are required for type \"c\"" },
	{ "device-type.json", "linux.devices[0].type: unknown device type \"x\"" },
	{ "idmap-no-size.json", "linux.uidMappings[0].size: is required" },
	{ "idmap-no-userns.json", "linux.gidMappings: requires a user namespace" },
	{ "hostname-no-uts.json", "hostname: requires a uts namespace" },
	{ "sysctl-escape.json", "linux.sysctl: invalid key \"../../etc/shadow\"" },
	{ "sysctl-not-string.json", "linux.sysctl.net.ipv4.ip_forward: expected a string" },
	{ "unified-escape.json", "linux.resources.unified: invalid key \"../cgroup.procs\"" },
	{ "swappiness-range.json", "linux.resources.memory.swappiness: 101 is out of range (0..100)" },
	{ "propagation.json", "linux.rootfsPropagation: unknown propagation \"rfoo\"" },
	{ "personality.json", "linux.personality.domain: unknown domain \"LINUX64\"" },
	{ "masked-relative.json", "linux.maskedPaths[1]: must be an absolute path" },
	{ "annotation-not-string.json", "annotations.n: expected a string" },
	{ "not-object.json", "expected a JSON object" },
	{ "not-json.json", "invalid JSON at line 3 column 0: unexpected token near end of file" },
};

static void test_invalid(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(invalid_cases); i++) {
		_cleanup_free_ char *name = NULL, *want = NULL;
		assert_true(asprintf(&name, "invalid/%s", invalid_cases[i].file) > 0);
		assert_true(asprintf(&want, "config.json: %s%s", invalid_cases[i].msg, einval_suffix()) > 0);
		size_t len;
		_cleanup_free_ char *buf = read_data(name, &len);
		_cleanup_berr_ struct berr err = { 0 };
		struct rt_spec *s = (struct rt_spec *)&err; /* must stay untouched */
		int r = rt_spec_parse(buf, len, &s, &err);
		if (r != -EINVAL || !err.msg || strcmp(err.msg, want) != 0)
			fail_msg("%s: got %d \"%s\", want \"%s\"", name, r, err.msg, want);
		assert_int_equal(err.kind, BERR_INVALID);
		assert_int_equal(err.errnum, EINVAL);
		assert_ptr_equal(s, &err);
	}
}

/* --- mount option table ---------------------------------------------------- */

static const struct {
	const char *type;
	const char *options[6];
	unsigned long flags, clear_flags, propagation;
	bool is_bind, recursive_ro;
	const char *data;
} option_cases[] = {
	{ "tmpfs", { "nosuid", "nodev", "noexec", "mode=755", "size=65536k" },
	  MS_NOSUID | MS_NODEV | MS_NOEXEC, 0, 0, false, false, "mode=755,size=65536k" },
	{ "proc", { "rw", "suid", "dev", "exec", "async" },
	  0, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS, 0, false, false, NULL },
	/* A later option undoes an earlier one in both directions. */
	{ "tmpfs", { "ro", "rw", "nodev", "dev", "nodev" }, MS_NODEV, MS_RDONLY, 0, false, false, NULL },
	{ "ext4", { "sync", "dirsync", "remount", "mand", "nomand" },
	  MS_SYNCHRONOUS | MS_DIRSYNC | MS_REMOUNT, MS_MANDLOCK, 0, false, false, NULL },
	{ "ext4", { "noatime", "nodiratime", "relatime", "strictatime", "atime", "diratime" },
	  MS_RELATIME | MS_STRICTATIME, MS_NOATIME | MS_NODIRATIME, 0, false, false, NULL },
	{ "ext4", { "norelatime", "nostrictatime" }, 0, MS_RELATIME | MS_STRICTATIME, 0, false, false, NULL },
	{ NULL, { "bind" }, MS_BIND, 0, 0, true, false, NULL },
	{ NULL, { "rbind", "ro" }, MS_BIND | MS_REC | MS_RDONLY, 0, 0, true, false, NULL },
	{ "bind", { "ro" }, MS_BIND | MS_RDONLY, 0, 0, true, false, NULL },
	{ "none", { "rbind", "rro" }, MS_BIND | MS_REC, 0, 0, true, true, NULL },
	{ NULL, { "bind", "private" }, MS_BIND, 0, MS_PRIVATE, true, false, NULL },
	{ NULL, { "rbind", "rprivate" }, MS_BIND | MS_REC, 0, MS_PRIVATE | MS_REC, true, false, NULL },
	{ NULL, { "rbind", "shared" }, MS_BIND | MS_REC, 0, MS_SHARED, true, false, NULL },
	{ NULL, { "rbind", "rshared" }, MS_BIND | MS_REC, 0, MS_SHARED | MS_REC, true, false, NULL },
	{ NULL, { "rbind", "slave" }, MS_BIND | MS_REC, 0, MS_SLAVE, true, false, NULL },
	{ NULL, { "rbind", "rslave" }, MS_BIND | MS_REC, 0, MS_SLAVE | MS_REC, true, false, NULL },
	{ NULL, { "rbind", "unbindable" }, MS_BIND | MS_REC, 0, MS_UNBINDABLE, true, false, NULL },
	/* The last propagation option wins. */
	{ NULL, { "rbind", "rshared", "runbindable" }, MS_BIND | MS_REC, 0, MS_UNBINDABLE | MS_REC, true,
	  false, NULL },
	/* Runtime-only options never reach the kernel. */
	{ "tmpfs", { "tmpcopyup", "mode=1777", "copy-symlink", "nocopyup", "idmap", "ridmap" },
	  0, 0, 0, false, false, "mode=1777" },
	{ NULL, { "bind", "idmap=uids=0-1000-10;gids=0-1000-10" }, MS_BIND, 0, 0, true, false, NULL },
	/* Near misses of table names are data, not flags. */
	{ "tmpfs", { "roo", "bindx", "rbind=1", "", "x" }, 0, 0, 0, false, false, "roo,bindx,rbind=1,x" },
	{ "overlay", { "lowerdir=/a:/b", "upperdir=/u", "workdir=/w" }, 0, 0, 0, false, false,
	  "lowerdir=/a:/b,upperdir=/u,workdir=/w" },
};

static void test_mount_options(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(option_cases); i++) {
		_cleanup_strv_free_ char **opts = calloc(1, sizeof(char *));
		for (size_t j = 0; j < ARRAY_SIZE(option_cases[i].options) && option_cases[i].options[j]; j++)
			assert_int_equal(strv_push(&opts, option_cases[i].options[j]), 0);
		struct rt_mount m = { .type = (char *)option_cases[i].type, .options = opts };
		_cleanup_berr_ struct berr err = { 0 };
		assert_int_equal(rt_mount_parse_options(&m, &err), 0);
		_cleanup_free_ char *data = m.data;
		if (m.flags != option_cases[i].flags || m.clear_flags != option_cases[i].clear_flags ||
		    m.propagation != option_cases[i].propagation)
			fail_msg("case %zu: flags %#lx clear %#lx propagation %#lx", i, m.flags, m.clear_flags,
				 m.propagation);
		assert_int_equal(m.is_bind, option_cases[i].is_bind);
		assert_int_equal(m.recursive_ro, option_cases[i].recursive_ro);
		if (option_cases[i].data)
			assert_string_equal(data, option_cases[i].data);
		else
			assert_null(data);
	}
}

/* Parsing twice gives the same result: the runtime re-runs it after editing
 * options (adding "ro" for readonlyPaths, ...). */
static void test_mount_options_reparse(void **state)
{
	_cleanup_strv_free_ char **opts = NULL;
	assert_int_equal(strv_push(&opts, "nosuid"), 0);
	assert_int_equal(strv_push(&opts, "size=1k"), 0);
	struct rt_mount m = { .options = opts };
	assert_int_equal(rt_mount_parse_options(&m, NULL), 0);
	assert_int_equal(strv_push(&m.options, "ro"), 0);
	opts = m.options;
	assert_int_equal(rt_mount_parse_options(&m, NULL), 0);
	_cleanup_free_ char *data = m.data;
	assert_string_equal(data, "size=1k");
	assert_true(m.flags == (MS_NOSUID | MS_RDONLY));
}

/* --- name tables and the process object ------------------------------------ */

static void test_cap_names(void **state)
{
	for (int c = 0; c <= CAP_LAST_CAP; c++) {
		const char *name = rt_cap_to_name(c);
		assert_non_null(name);
		assert_int_equal(rt_cap_from_name(name), c);
	}
	assert_string_equal(rt_cap_to_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
	assert_int_equal(rt_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_null(rt_cap_to_name(-1));
	assert_null(rt_cap_to_name(CAP_LAST_CAP + 1));
	assert_int_equal(rt_cap_from_name("CAP_FOO"), -EINVAL);
	assert_int_equal(rt_cap_from_name("chown"), -EINVAL);
	assert_int_equal(rt_cap_from_name(NULL), -EINVAL);
}

static void test_rlimit_names(void **state)
{
	static const struct {
		const char *name;
		int resource;
	} cases[] = {
		{ "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_FSIZE", RLIMIT_FSIZE },
		{ "RLIMIT_DATA", RLIMIT_DATA },     { "RLIMIT_STACK", RLIMIT_STACK },
		{ "RLIMIT_CORE", RLIMIT_CORE },     { "RLIMIT_RSS", RLIMIT_RSS },
		{ "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_NOFILE", RLIMIT_NOFILE },
		{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_AS", RLIMIT_AS },
		{ "RLIMIT_LOCKS", RLIMIT_LOCKS },   { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
		{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE }, { "RLIMIT_NICE", RLIMIT_NICE },
		{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
	};
	assert_int_equal(ARRAY_SIZE(cases), RLIMIT_NLIMITS);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(rt_rlimit_from_name(cases[i].name), cases[i].resource);
	assert_int_equal(rt_rlimit_from_name("RLIMIT_X"), -EINVAL);
	assert_int_equal(rt_rlimit_from_name("NOFILE"), -EINVAL);
}

static void test_process_parse(void **state)
{
	json_auto_t *obj = json_loads("{\"args\": [\"ls\", \"-l\"], \"env\": [\"A=b\"]}", 0, NULL);
	assert_non_null(obj);
	_cleanup_berr_ struct berr err = { 0 };
	struct rt_process p;
	assert_int_equal(rt_process_parse(obj, "process.json", &p, &err), 0);
	assert_string_equal(p.cwd, "/"); /* exec's default */
	assert_strv(p.args, (const char *[]){ "ls", "-l" }, 2);
	assert_false(p.caps.present);
	rt_process_release(&p);
	assert_null(p.args);
	rt_process_release(&p); /* released twice is harmless */

	json_auto_t *bad = json_loads("{\"cwd\": \"/\"}", 0, NULL);
	struct rt_process untouched = { .cwd = (char *)"sentinel" };
	assert_int_equal(rt_process_parse(bad, "process.json", &untouched, &err), -EINVAL);
	assert_msg(&err, "process.json.args: must not be empty");
	assert_string_equal(untouched.cwd, "sentinel");
	berr_clear(&err);

	json_auto_t *arr = json_loads("[]", 0, NULL);
	assert_int_equal(rt_process_parse(arr, "process.json", &untouched, &err), -EINVAL);
	assert_msg(&err, "process.json: expected an object");
}

static void test_free_null(void **state)
{
	rt_spec_free(NULL);
	rt_process_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_runc_default),
		cmocka_unit_test(test_default_roundtrip),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_mount_options),
		cmocka_unit_test(test_mount_options_reparse),
		cmocka_unit_test(test_cap_names),
		cmocka_unit_test(test_rlimit_names),
		cmocka_unit_test(test_process_parse),
		cmocka_unit_test(test_free_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
