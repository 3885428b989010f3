/* test_ocispec.c - image config + create request -> OCI config.json.
 *
 * Every generated config is run through rt_spec_parse() (build_ok), so a
 * default or translation the runtime would refuse fails here. JSON literals
 * use single quotes for readability; sq() turns them into JSON. Fake rootfs
 * and cgroup trees live in a per-test temp dir. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "common/digest.h"
#include "common/json.h"
#include "container/ocispec.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* data/seccomp/default.json as fetched from github.com/moby/profiles,
 * seccomp/default.json at commit 3c28324314729dbade8287e868eef6338c42807a. */
#define SECCOMP_SHA256 "536529b665dd0972c37bfb569f5d4ac8a53592e7b00752bc39ff063ca9864c74"

static json_t *sq(const char *s)
{
	char *buf = strdup(s);
	assert_non_null(buf);
	for (char *p = buf; *p; p++)
		if (*p == '\'')
			*p = '"';
	json_error_t e;
	json_t *j = json_loads(buf, JSON_DECODE_ANY, &e);
	if (!j)
		fail_msg("bad test JSON %s: %s", s, e.text);
	free(buf);
	return j;
}

static bool json_eq_sq(json_t *got, const char *want)
{
	json_t *w = sq(want);
	bool eq = json_equal(got, w);
	if (!eq) {
		char *g = json_dumps(got, JSON_COMPACT);
		print_error("got  %s\nwant %s\n", g ? g : "(null)", want);
		free(g);
	}
	json_decref(w);
	return eq;
}

/* --- fixture: a temp dir with a rootfs and fake cgroup trees ---------------- */

struct fx {
	char dir[64], rootfs[128], cg_v1[128], cg_v2[128];
};

static void put(const char *path, const char *content)
{
	assert_int_equal(write_file_atomic_at(AT_FDCWD, path, content, strlen(content), 0644), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char p[256];
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-ocispec-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->rootfs, sizeof(f->rootfs), "%s/rootfs", f->dir);
	snprintf(f->cg_v1, sizeof(f->cg_v1), "%s/cg1", f->dir);
	snprintf(f->cg_v2, sizeof(f->cg_v2), "%s/cg2", f->dir);
	snprintf(p, sizeof(p), "%s/etc", f->rootfs);
	assert_int_equal(mkdir_p(p, 0755), 0);
	assert_int_equal(mkdir_p(f->cg_v1, 0755), 0);
	assert_int_equal(mkdir_p(f->cg_v2, 0755), 0);
	snprintf(p, sizeof(p), "%s/cgroup.controllers", f->cg_v2);
	put(p, "cpu memory pids\n");
	snprintf(p, sizeof(p), "%s/etc/passwd", f->rootfs);
	put(p, "root:x:0:0:root:/root:/bin/sh\n"
	       "# comment\n"
	       "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
	       "app:x:1000:1000:App:/home/app:/bin/sh\n"
	       "nohome:x:1001:1001::/:/bin/sh\n");
	snprintf(p, sizeof(p), "%s/etc/group", f->rootfs);
	put(p, "root:x:0:\n"
	       "daemon:x:1:\n"
	       "wheel:x:10:app,root\n"
	       "audio:x:29:app\n"
	       "app:x:1000:\n"
	       "staff:x:50:\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	rm_rf_at(AT_FDCWD, f->dir);
	free(f);
	return 0;
}

/* Build with sensible inputs; cfg and hc are test JSON literals (hc may be NULL). */
struct opts {
	const char *cfg, *hc;
	enum ctr_net_mode net;
	const char *net_path, *init, *cg;
	uint64_t nofile;
	json_t *seccomp;
	bool etc;
};

static int build(struct fx *f, const struct opts *o, json_t **ret, struct berr *err)
{
	json_t *cfg = sq(o->cfg ? o->cfg : "{'Cmd':['sh']}"), *hc = o->hc ? sq(o->hc) : NULL;
	struct ctr_spec_input in = {
		.id = ID, .config = cfg, .host_config = hc, .rootfs = f->rootfs,
		.cgroup_root = o->cg ? o->cg : f->cg_v1, .nofile_hard_max = o->nofile ? o->nofile : 20000,
		.net_mode = o->net, .net_ns_path = o->net_path, .init_path = o->init,
		.seccomp_profile = o->seccomp, .host_hostname = "thehost",
	};
	if (o->etc) {
		in.hosts_path = "/c/hosts";
		in.hostname_path = "/c/hostname";
		in.resolv_conf_path = "/c/resolv.conf";
	}
	int r = ctr_spec_build(&in, ret, err);
	json_decref(cfg);
	json_decref(hc);
	return r;
}

/* Build, expect success, and check the runtime accepts the result. */
static json_t *build_ok(struct fx *f, const struct opts *o)
{
	_cleanup_berr_ struct berr err = { 0 };
	json_t *doc = NULL;
	if (build(f, o, &doc, &err) < 0)
		fail_msg("ctr_spec_build: %s", err.msg);
	char *s = json_dumps(doc, JSON_COMPACT);
	struct rt_spec *spec = NULL;
	if (rt_spec_parse(s, strlen(s), &spec, &err) < 0)
		fail_msg("rt_spec_parse refused the generated config: %s\n%s", err.msg, s);
	rt_spec_free(spec);
	free(s);
	return doc;
}

static void build_fails(struct fx *f, const struct opts *o, const char *msg_part)
{
	_cleanup_berr_ struct berr err = { 0 };
	json_t *doc = NULL;
	assert_true(build(f, o, &doc, &err) < 0);
	assert_null(doc);
	assert_int_equal(err.kind, BERR_INVALID);
	if (!strstr(err.msg, msg_part))
		fail_msg("error \"%s\" lacks \"%s\"", err.msg, msg_part);
}

static json_t *at(json_t *doc, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = doc;
	char *save = NULL;
	for (char *k = strtok_r(buf, ".", &save); cur && k; k = strtok_r(NULL, ".", &save))
		cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(k)) : json_object_get(cur, k);
	return cur;
}

static json_t *mount_at(json_t *doc, const char *dest)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(doc, "mounts"), i, m)
		if (streq(json_string_value(json_object_get(m, "destination")), dest))
			return m;
	return NULL;
}

static bool has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (streq(json_string_value(v), s))
			return true;
	return false;
}

/* --- merge (engine-api.md §5.3) ------------------------------------------- */

static const struct merge_case {
	const char *name, *image, *create, *key, *want;
} merge_cases[] = {
	{ "env union, create wins", "{'Env':['PATH=/img','A=img','B=img']}", "{'Env':['A=mine','C=mine'],'Cmd':['x']}",
	  "Env", "['A=mine','C=mine','PATH=/img','B=img']" },
	{ "env PATH default", "{'Env':['A=1']}", "{'Cmd':['x']}", "Env",
	  "['A=1','PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']" },
	{ "env create PATH kept", "{}", "{'Env':['PATH=/mine'],'Cmd':['x']}", "Env", "['PATH=/mine']" },
	{ "labels: image unless overridden", "{'Labels':{'a':'img','b':'img'}}", "{'Labels':{'a':'mine'},'Cmd':['x']}",
	  "Labels", "{'a':'mine','b':'img'}" },
	{ "exposed ports union", "{'ExposedPorts':{'80/tcp':{}}}", "{'ExposedPorts':{'53/udp':{}},'Cmd':['x']}",
	  "ExposedPorts", "{'80/tcp':{},'53/udp':{}}" },
	{ "volumes union", "{'Volumes':{'/data':{}}}", "{'Volumes':{'/v':{}},'Cmd':['x']}", "Volumes",
	  "{'/data':{},'/v':{}}" },
	{ "user inherits when empty", "{'User':'app'}", "{'User':'','Cmd':['x']}", "User", "'app'" },
	{ "user given wins", "{'User':'app'}", "{'User':'root','Cmd':['x']}", "User", "'root'" },
	{ "workdir inherits", "{'WorkingDir':'/srv'}", "{'Cmd':['x']}", "WorkingDir", "'/srv'" },
	{ "stopsignal inherits", "{'StopSignal':'SIGQUIT'}", "{'Cmd':['x']}", "StopSignal", "'SIGQUIT'" },
	{ "healthcheck inherits whole", "{'Healthcheck':{'Test':['CMD','t'],'Interval':5}}", "{'Cmd':['x']}",
	  "Healthcheck", "{'Test':['CMD','t'],'Interval':5}" },
	{ "healthcheck field-wise", "{'Healthcheck':{'Test':['CMD','t'],'Interval':5,'Retries':3}}",
	  "{'Cmd':['x'],'Healthcheck':{'Test':[],'Interval':0,'Timeout':7}}", "Healthcheck",
	  "{'Test':['CMD','t'],'Interval':5,'Timeout':7,'Retries':3}" },
	{ "null entrypoint, no cmd: both inherit (ep)", "{'Entrypoint':['/ep'],'Cmd':['a']}", "{'Entrypoint':null}",
	  "Entrypoint", "['/ep']" },
	{ "null entrypoint, no cmd: both inherit (cmd)", "{'Entrypoint':['/ep'],'Cmd':['a']}", "{'Entrypoint':null}",
	  "Cmd", "['a']" },
	{ "cmd given keeps image entrypoint", "{'Entrypoint':['/ep'],'Cmd':['a']}", "{'Cmd':['b']}", "Entrypoint",
	  "['/ep']" },
	{ "cmd given replaces image cmd", "{'Entrypoint':['/ep'],'Cmd':['a']}", "{'Cmd':['b']}", "Cmd", "['b']" },
	{ "empty [] entrypoint: cmd inherits", "{'Entrypoint':['/ep'],'Cmd':['a']}", "{'Entrypoint':[]}", "Cmd",
	  "['a']" },
	{ "empty [] entrypoint: entrypoint does not", "{'Entrypoint':['/ep'],'Cmd':['a']}", "{'Entrypoint':[]}",
	  "Entrypoint", "[]" },
	{ "given entrypoint drops image cmd", "{'Entrypoint':['/ep'],'Cmd':['a']}", "{'Entrypoint':['/mine']}", "Cmd",
	  "null" },
	{ "[\"\"] entrypoint with cmd", "{'Entrypoint':['/ep'],'Cmd':['a']}", "{'Entrypoint':[''],'Cmd':['ls']}",
	  "Cmd", "['ls']" },
	{ "no image config", NULL, "{'Cmd':['x'],'HostConfig':{'Privileged':true}}", "HostConfig", "null" },
};

static void test_merge_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(merge_cases); i++) {
		const struct merge_case *c = &merge_cases[i];
		json_t *img = c->image ? sq(c->image) : NULL, *cr = sq(c->create), *out = NULL;
		_cleanup_berr_ struct berr err = { 0 };
		if (ctr_merge_config(img, cr, &out, &err) < 0)
			fail_msg("%s: %s", c->name, err.msg);
		json_t *got = json_object_get(out, c->key);
		print_message("merge: %s\n", c->name);
		assert_true(json_eq_sq(got ? got : json_null(), c->want));
		json_decref(img);
		json_decref(cr);
		json_decref(out);
	}
}

static void merge_fails(const char *image, const char *create)
{
	json_t *img = sq(image), *cr = sq(create), *out = NULL;
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(ctr_merge_config(img, cr, &out, &err), -EINVAL);
	assert_null(out);
	assert_int_equal(err.kind, BERR_INVALID);
	assert_string_equal(err.msg, "No command specified");
	json_decref(img);
	json_decref(cr);
}

static void test_merge_no_command(void **state)
{
	merge_fails("{}", "{}");
	merge_fails("{'Cmd':['a']}", "{'Entrypoint':['']}"); /* [""] drops the image's Cmd, runs nothing */
	merge_fails("{'Entrypoint':['/ep']}", "{'Entrypoint':[],'Cmd':null}");
}

static void test_config_args(void **state)
{
	const struct {
		const char *cfg, *want;
	} cases[] = {
		{ "{'Entrypoint':['/ep','-x'],'Cmd':['a','b']}", "/ep -x a b" },
		{ "{'Entrypoint':[''],'Cmd':['ls','-l']}", "ls -l" },
		{ "{'Entrypoint':null,'Cmd':['sh']}", "sh" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *c = sq(cases[i].cfg);
		char **args = NULL, joined[128] = "";
		assert_int_equal(ctr_config_args(c, &args), 0);
		for (size_t k = 0; args[k]; k++)
			snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s", k ? " " : "", args[k]);
		assert_string_equal(joined, cases[i].want);
		strv_free(args);
		json_decref(c);
	}
}

/* --- defaults (security.md) ---------------------------------------------- */

#define DEFAULT_CAPS                                                                                      \
	"['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_MKNOD','CAP_NET_RAW','CAP_SETGID',"   \
	"'CAP_SETUID','CAP_SETFCAP','CAP_SETPCAP','CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL',"        \
	"'CAP_AUDIT_WRITE']"

static void test_defaults(void **state)
{
	struct fx *f = *state;
	json_t *d = build_ok(f, &(struct opts){ .etc = true });
	assert_true(json_eq_sq(at(d, "process.capabilities.bounding"), DEFAULT_CAPS));
	assert_true(json_eq_sq(at(d, "process.capabilities.effective"), DEFAULT_CAPS));
	assert_true(json_eq_sq(at(d, "process.capabilities.permitted"), DEFAULT_CAPS));
	assert_true(json_eq_sq(at(d, "process.capabilities.inheritable"), "[]"));
	assert_null(at(d, "process.capabilities.ambient"));
	assert_true(json_eq_sq(at(d, "linux.maskedPaths"),
			       "['/proc/asound','/proc/acpi','/proc/interrupts','/proc/kcore','/proc/keys',"
			       "'/proc/latency_stats','/proc/timer_list','/proc/timer_stats','/proc/sched_debug',"
			       "'/proc/scsi','/sys/firmware','/sys/devices/virtual/powercap']"));
	assert_true(json_eq_sq(at(d, "linux.readonlyPaths"),
			       "['/proc/bus','/proc/fs','/proc/irq','/proc/sys','/proc/sysrq-trigger']"));
	assert_true(json_eq_sq(at(d, "linux.namespaces"),
			       "[{'type':'mount'},{'type':'network'},{'type':'uts'},{'type':'pid'},{'type':'ipc'}]"));
	assert_true(json_eq_sq(at(d, "linux.resources.devices"),
			       "[{'allow':false,'access':'rwm'},"
			       "{'allow':true,'type':'c','major':1,'minor':5,'access':'rwm'},"
			       "{'allow':true,'type':'c','major':1,'minor':3,'access':'rwm'},"
			       "{'allow':true,'type':'c','major':1,'minor':9,'access':'rwm'},"
			       "{'allow':true,'type':'c','major':1,'minor':8,'access':'rwm'},"
			       "{'allow':true,'type':'c','major':5,'minor':0,'access':'rwm'},"
			       "{'allow':true,'type':'c','major':5,'minor':1,'access':'rwm'},"
			       "{'allow':false,'type':'c','major':10,'minor':229,'access':'rwm'}]"));
	assert_true(json_eq_sq(at(d, "linux.devices"), "[]"));
	assert_true(json_eq_sq(json_object_get(d, "mounts"),
		"[{'destination':'/proc','type':'proc','source':'proc','options':['nosuid','noexec','nodev']},"
		"{'destination':'/dev','type':'tmpfs','source':'tmpfs','options':['nosuid','strictatime','mode=755','size=65536k']},"
		"{'destination':'/dev/pts','type':'devpts','source':'devpts','options':['nosuid','noexec','newinstance','ptmxmode=0666','mode=0620','gid=5']},"
		"{'destination':'/sys','type':'sysfs','source':'sysfs','options':['nosuid','noexec','nodev','ro']},"
		"{'destination':'/sys/fs/cgroup','type':'cgroup','source':'cgroup','options':['nosuid','noexec','nodev','ro']},"
		"{'destination':'/dev/mqueue','type':'mqueue','source':'mqueue','options':['nosuid','noexec','nodev']},"
		"{'destination':'/dev/shm','type':'tmpfs','source':'shm','options':['nosuid','noexec','nodev','mode=1777','size=67108864']},"
		"{'destination':'/etc/resolv.conf','type':'bind','source':'/c/resolv.conf','options':['rbind','rprivate']},"
		"{'destination':'/etc/hostname','type':'bind','source':'/c/hostname','options':['rbind','rprivate']},"
		"{'destination':'/etc/hosts','type':'bind','source':'/c/hosts','options':['rbind','rprivate']}]"));
	assert_true(json_eq_sq(at(d, "process.rlimits"), "[{'type':'RLIMIT_NOFILE','soft':20000,'hard':20000}]"));
	assert_true(json_eq_sq(at(d, "process.user"), "{'uid':0,'gid':0,'additionalGids':[10]}")); /* root is in wheel */
	assert_true(json_eq_sq(at(d, "process.args"), "['sh']"));
	assert_true(json_eq_sq(at(d, "process.cwd"), "'/'"));
	assert_true(json_eq_sq(at(d, "process.terminal"), "false"));
	assert_true(json_eq_sq(at(d, "process.noNewPrivileges"), "false"));
	assert_true(json_eq_sq(at(d, "process.env"),
			       "['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',"
			       "'HOSTNAME=0123456789ab','HOME=/root']"));
	assert_true(json_eq_sq(at(d, "hostname"), "'0123456789ab'"));
	assert_true(json_eq_sq(at(d, "root.readonly"), "false"));
	assert_string_equal(json_string_value(at(d, "root.path")), f->rootfs);
	assert_true(json_eq_sq(at(d, "linux.cgroupsPath"), "'/berth/" ID "'"));
	assert_true(json_eq_sq(at(d, "annotations"), "{'io.berth.container.id':'" ID "'}"));
	assert_null(at(d, "linux.seccomp")); /* no profile given */
	json_decref(d);
}

static void test_cgroup_ns_v2(void **state)
{
	struct fx *f = *state;
	json_t *d = build_ok(f, &(struct opts){ .cg = f->cg_v2 });
	assert_true(json_eq_sq(at(d, "linux.namespaces.5"), "{'type':'cgroup'}"));
	json_decref(d);
	d = build_ok(f, &(struct opts){ .cg = f->cg_v2, .hc = "{'CgroupnsMode':'host'}" });
	assert_null(at(d, "linux.namespaces.5"));
	json_decref(d);
	d = build_ok(f, &(struct opts){ .cg = f->cg_v1, .hc = "{'CgroupnsMode':'private'}" });
	assert_true(json_eq_sq(at(d, "linux.namespaces.5"), "{'type':'cgroup'}"));
	json_decref(d);
}

static void test_network_modes(void **state)
{
	struct fx *f = *state;
	json_t *d = build_ok(f, &(struct opts){ .net = CTR_NET_HOST });
	assert_true(json_eq_sq(at(d, "linux.namespaces"), "[{'type':'mount'},{'type':'uts'},{'type':'pid'},{'type':'ipc'}]"));
	assert_true(json_eq_sq(at(d, "hostname"), "'thehost'"));
	json_decref(d);
	d = build_ok(f, &(struct opts){ .net = CTR_NET_CONTAINER, .net_path = "/proc/42/ns/net" });
	assert_true(json_eq_sq(at(d, "linux.namespaces.1"), "{'type':'network','path':'/proc/42/ns/net'}"));
	json_decref(d);
	d = build_ok(f, &(struct opts){ .net = CTR_NET_NONE, .hc = "{'PidMode':'host','IpcMode':'host','UTSMode':'host'}" });
	assert_true(json_eq_sq(at(d, "linux.namespaces"), "[{'type':'mount'},{'type':'network'}]"));
	assert_null(json_object_get(d, "hostname"));
	json_decref(d);
	build_fails(f, &(struct opts){ .net = CTR_NET_CONTAINER }, "namespace is unknown");
	build_fails(f, &(struct opts){ .net = CTR_NET_HOST, .hc = "{'Sysctls':{'net.ipv4.ip_forward':'1'}}" },
		    "not allowed in host network namespace");
}

/* --- HostConfig translations -------------------------------------------- */

static void test_resources(void **state)
{
	struct fx *f = *state;
	json_t *d = build_ok(f, &(struct opts){ .hc =
		"{'Memory':104857600,'MemoryReservation':52428800,'MemorySwap':-1,'MemorySwappiness':10,"
		"'OomKillDisable':true,'NanoCpus':1500000000,'CpuShares':512,'CpusetCpus':'0-1','CpusetMems':'0',"
		"'PidsLimit':100,'BlkioWeight':300}" });
	assert_true(json_eq_sq(at(d, "linux.resources.memory"),
			       "{'limit':104857600,'reservation':52428800,'swap':-1,'swappiness':10,'disableOOMKiller':true}"));
	assert_true(json_eq_sq(at(d, "linux.resources.cpu"),
			       "{'quota':150000,'period':100000,'shares':512,'cpus':'0-1','mems':'0'}"));
	assert_true(json_eq_sq(at(d, "linux.resources.pids"), "{'limit':100}"));
	assert_true(json_eq_sq(at(d, "linux.resources.blockIO"), "{'weight':300}"));
	json_decref(d);

	/* Memory without swap: twice the memory. Quota/period as given. */
	d = build_ok(f, &(struct opts){ .hc = "{'Memory':1000000,'CpuQuota':20000,'CpuPeriod':50000}" });
	assert_true(json_eq_sq(at(d, "linux.resources.memory"), "{'limit':1000000,'swap':2000000}"));
	assert_true(json_eq_sq(at(d, "linux.resources.cpu"), "{'quota':20000,'period':50000}"));
	json_decref(d);

	/* The CLI's all-zero body means defaults: nothing set; PidsLimit 0/-1 unlimited. */
	d = build_ok(f, &(struct opts){ .hc = "{'Memory':0,'MemorySwap':0,'MemorySwappiness':-1,'NanoCpus':0,"
					      "'CpuShares':0,'PidsLimit':-1,'BlkioWeight':0,'ShmSize':0,"
					      "'MaskedPaths':null,'ReadonlyPaths':null,'CapAdd':null}" });
	assert_null(at(d, "linux.resources.memory"));
	assert_null(at(d, "linux.resources.cpu"));
	assert_null(at(d, "linux.resources.pids"));
	assert_null(at(d, "linux.resources.blockIO"));
	assert_int_equal(json_array_size(at(d, "linux.maskedPaths")), 12);
	json_decref(d);

	build_fails(f, &(struct opts){ .hc = "{'NanoCpus':1000000000,'CpuPeriod':100000}" }, "Nano CPUs and CPU Period");
	build_fails(f, &(struct opts){ .hc = "{'Memory':1000000,'MemorySwap':500000}" }, "memoryswap");
	build_fails(f, &(struct opts){ .hc = "{'BlkioWeight':5}" }, "blkio weight");
}

static void test_ulimits_nofile(void **state)
{
	struct fx *f = *state;
	json_t *d = build_ok(f, &(struct opts){ .nofile = 1u << 30 });
	assert_true(json_eq_sq(at(d, "process.rlimits"), "[{'type':'RLIMIT_NOFILE','soft':1048576,'hard':1048576}]"));
	json_decref(d);
	d = build_ok(f, &(struct opts){ .hc = "{'Ulimits':[{'Name':'nofile','Soft':1024,'Hard':2048},"
					      "{'Name':'nproc','Soft':50,'Hard':100},{'Name':'core','Soft':-1,'Hard':-1}]}" });
	assert_true(json_eq_sq(at(d, "process.rlimits"),
			       "[{'type':'RLIMIT_NOFILE','soft':1024,'hard':2048},{'type':'RLIMIT_NPROC','soft':50,'hard':100},"
			       "{'type':'RLIMIT_CORE','soft':9223372036854775807,'hard':9223372036854775807}]"));
	json_decref(d);
	build_fails(f, &(struct opts){ .hc = "{'Ulimits':[{'Name':'bogus','Soft':1,'Hard':1}]}" }, "invalid ulimit type");
	build_fails(f, &(struct opts){ .hc = "{'Ulimits':[{'Name':'nofile','Soft':10,'Hard':1}]}" }, "soft limit");
}

static void test_process_fields(void **state)
{
	struct fx *f = *state;
	json_t *d = build_ok(f, &(struct opts){
		.cfg = "{'Cmd':['top'],'Entrypoint':['/bin/busybox'],'Tty':true,'Env':['A=1','HOSTNAME=mine','HOME'],"
		       "'WorkingDir':'/srv','Hostname':'web','Domainname':'example.org'}",
		.hc = "{'ConsoleSize':[40,120],'SecurityOpt':['no-new-privileges'],'ReadonlyRootfs':true,"
		      "'ShmSize':1048576,'Sysctls':{'net.core.somaxconn':'1024'},'OomScoreAdj':500}",
		.etc = true });
	assert_true(json_eq_sq(at(d, "process.args"), "['/bin/busybox','top']"));
	assert_true(json_eq_sq(at(d, "process.terminal"), "true"));
	assert_true(json_eq_sq(at(d, "process.consoleSize"), "{'height':40,'width':120}"));
	assert_true(json_eq_sq(at(d, "process.cwd"), "'/srv'"));
	assert_true(json_eq_sq(at(d, "process.noNewPrivileges"), "true"));
	assert_true(json_eq_sq(at(d, "process.oomScoreAdj"), "500"));
	/* HOSTNAME replaced in place, bare HOME removes nothing present, then HOME from passwd. */
	assert_true(json_eq_sq(at(d, "process.env"),
			       "['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin','HOSTNAME=mine',"
			       "'TERM=xterm','A=1','HOME=/root']"));
	assert_true(json_eq_sq(at(d, "hostname"), "'web'"));
	assert_true(json_eq_sq(at(d, "domainname"), "'example.org'"));
	assert_true(json_eq_sq(at(d, "root.readonly"), "true"));
	assert_true(json_eq_sq(at(mount_at(d, "/etc/hosts"), "options"), "['rbind','rprivate','ro']"));
	assert_true(has_string(at(mount_at(d, "/dev/shm"), "options"), "size=1048576"));
	assert_true(json_eq_sq(at(d, "linux.sysctl"), "{'net.core.somaxconn':'1024'}"));
	json_decref(d);
	build_fails(f, &(struct opts){ .cfg = "{'Cmd':['x'],'WorkingDir':'rel'}" }, "absolute path");
	build_fails(f, &(struct opts){ .cfg = "{'Entrypoint':['']}" }, "No command specified");
	build_fails(f, &(struct opts){ .hc = "{'SecurityOpt':['bogus=1']}" }, "invalid --security-opt");
}

static void test_init(void **state)
{
	struct fx *f = *state;
	json_t *d = build_ok(f, &(struct opts){ .cfg = "{'Cmd':['sleep','1']}", .hc = "{'Init':true}",
						 .init = "/usr/libexec/docker-init" });
	assert_true(json_eq_sq(at(d, "process.args"), "['/sbin/docker-init','--','sleep','1']"));
	assert_true(json_eq_sq(mount_at(d, "/sbin/docker-init"),
			       "{'destination':'/sbin/docker-init','type':'bind','source':'/usr/libexec/docker-init',"
			       "'options':['bind','ro']}"));
	json_decref(d);
	d = build_ok(f, &(struct opts){ .init = "/usr/libexec/docker-init" }); /* not requested: nothing */
	assert_null(mount_at(d, "/sbin/docker-init"));
	json_decref(d);
	build_fails(f, &(struct opts){ .hc = "{'Init':true}" }, "--init requires");
}

static void test_devices(void **state)
{
	struct fx *f = *state;
	json_t *d = build_ok(f, &(struct opts){ .hc =
		"{'Devices':[{'PathOnHost':'/dev/null','PathInContainer':'/dev/mynull','CgroupPermissions':'rw'}],"
		"'DeviceCgroupRules':['c 42:* rmw']}" });
	assert_true(json_eq_sq(at(d, "linux.devices.0.path"), "'/dev/mynull'"));
	assert_true(json_eq_sq(at(d, "linux.devices.0.type"), "'c'"));
	assert_true(json_eq_sq(at(d, "linux.devices.0.major"), "1"));
	assert_true(json_eq_sq(at(d, "linux.devices.0.minor"), "3"));
	assert_true(json_eq_sq(at(d, "linux.resources.devices.8"), "{'allow':true,'type':'c','major':1,'minor':3,'access':'rw'}"));
	assert_true(json_eq_sq(at(d, "linux.resources.devices.9"), "{'allow':true,'type':'c','major':42,'access':'rmw'}"));
	json_decref(d);
	build_fails(f, &(struct opts){ .hc = "{'Devices':[{'PathOnHost':'/nonexistent/dev'}]}" }, "/nonexistent/dev");
	build_fails(f, &(struct opts){ .hc = "{'Devices':[{'PathOnHost':'/etc/hostname'}]}" }, "not a device");
	build_fails(f, &(struct opts){ .hc = "{'DeviceCgroupRules':['x 1:2 rwm']}" }, "device cgroup rule");
}

static void test_privileged(void **state)
{
	struct fx *f = *state;
	json_t *prof = NULL;
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(ctr_seccomp_default_load(&prof, &err), 0);
	json_t *d = build_ok(f, &(struct opts){ .hc = "{'Privileged':true,'CapDrop':['ALL']}", .seccomp = prof });
	json_t *bounding = at(d, "process.capabilities.bounding");
	assert_true(has_string(bounding, "CAP_SYS_ADMIN"));
	assert_true(has_string(bounding, "CAP_NET_ADMIN"));
	assert_int_equal(json_array_size(bounding), (size_t)__builtin_popcountll(ctr_caps_all()));
	assert_true(json_eq_sq(at(d, "linux.maskedPaths"), "[]"));
	assert_true(json_eq_sq(at(d, "linux.readonlyPaths"), "[]"));
	assert_null(at(d, "linux.seccomp"));
	assert_true(json_eq_sq(at(d, "linux.resources.devices"), "[{'allow':true,'type':'a','access':'rwm'}]"));
	assert_false(has_string(at(mount_at(d, "/sys"), "options"), "ro"));
	assert_false(has_string(at(mount_at(d, "/sys/fs/cgroup"), "options"), "ro"));
	size_t i;
	json_t *dev;
	bool null_found = false;
	json_array_foreach(at(d, "linux.devices"), i, dev)
		null_found = null_found || streq(json_string_value(json_object_get(dev, "path")), "/dev/null");
	assert_true(null_found);
	json_decref(d);
	/* systempaths=unconfined drops only the path lists. */
	d = build_ok(f, &(struct opts){ .hc = "{'SecurityOpt':['systempaths=unconfined']}" });
	assert_true(json_eq_sq(at(d, "linux.maskedPaths"), "[]"));
	assert_true(json_eq_sq(at(d, "process.capabilities.bounding"), DEFAULT_CAPS));
	json_decref(d);
	json_decref(prof);
}

static void test_caps_add_drop(void **state)
{
	struct fx *f = *state;
	const struct {
		const char *hc, *want;
	} cases[] = {
		{ "{'CapAdd':['net_admin','CAP_SYS_TIME'],'CapDrop':['MKNOD','cap_net_raw']}",
		  "['CAP_CHOWN','CAP_DAC_OVERRIDE','CAP_FSETID','CAP_FOWNER','CAP_SETGID','CAP_SETUID','CAP_SETFCAP',"
		  "'CAP_SETPCAP','CAP_NET_BIND_SERVICE','CAP_SYS_CHROOT','CAP_KILL','CAP_AUDIT_WRITE','CAP_NET_ADMIN',"
		  "'CAP_SYS_TIME']" },
		{ "{'CapDrop':['ALL'],'CapAdd':['chown','kill']}", "['CAP_CHOWN','CAP_KILL']" },
		{ "{'CapDrop':['all']}", "[]" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *d = build_ok(f, &(struct opts){ .hc = cases[i].hc });
		assert_true(json_eq_sq(at(d, "process.capabilities.bounding"), cases[i].want));
		json_decref(d);
	}
	json_t *d = build_ok(f, &(struct opts){ .hc = "{'CapAdd':['ALL'],'CapDrop':['SYS_ADMIN']}" });
	json_t *b = at(d, "process.capabilities.bounding");
	assert_false(has_string(b, "CAP_SYS_ADMIN"));
	assert_true(has_string(b, "CAP_SYS_MODULE"));
	assert_int_equal(json_array_size(b), (size_t)__builtin_popcountll(ctr_caps_all()) - 1);
	json_decref(d);
	build_fails(f, &(struct opts){ .hc = "{'CapAdd':['NOT_A_CAP']}" }, "unknown capability: \"CAP_NOT_A_CAP\"");
}

/* --- users ----------------------------------------------------------------- */

static void user_case(struct fx *f, const char *user, const char *want_user, const char *want_home)
{
	char cfg[256];
	snprintf(cfg, sizeof(cfg), "{'Cmd':['x'],'User':'%s'}", user);
	json_t *d = build_ok(f, &(struct opts){ .cfg = cfg });
	print_message("user %s\n", user);
	assert_true(json_eq_sq(at(d, "process.user"), want_user));
	char home[128];
	snprintf(home, sizeof(home), "HOME=%s", want_home);
	assert_true(has_string(at(d, "process.env"), home));
	json_decref(d);
}

static void test_users(void **state)
{
	struct fx *f = *state;
	user_case(f, "app", "{'uid':1000,'gid':1000,'additionalGids':[10,29]}", "/home/app");
	user_case(f, "1000", "{'uid':1000,'gid':1000,'additionalGids':[10,29]}", "/home/app");
	user_case(f, "app:staff", "{'uid':1000,'gid':50,'additionalGids':[]}", "/home/app");
	user_case(f, "app:4242", "{'uid':1000,'gid':4242,'additionalGids':[]}", "/home/app");
	user_case(f, "5000", "{'uid':5000,'gid':0,'additionalGids':[]}", "/");
	user_case(f, "5000:6000", "{'uid':5000,'gid':6000,'additionalGids':[]}", "/");
	user_case(f, "daemon", "{'uid':1,'gid':1,'additionalGids':[]}", "/usr/sbin");
	user_case(f, "", "{'uid':0,'gid':0,'additionalGids':[10]}", "/root");

	json_t *d = build_ok(f, &(struct opts){ .cfg = "{'Cmd':['x'],'User':'app'}", .hc = "{'GroupAdd':['audio','777']}" });
	assert_true(json_eq_sq(at(d, "process.user.additionalGids"), "[10,29,29,777]"));
	/* Non-root: no effective/permitted capabilities, bounding unchanged. */
	assert_true(json_eq_sq(at(d, "process.capabilities.effective"), "[]"));
	assert_true(json_eq_sq(at(d, "process.capabilities.permitted"), "[]"));
	assert_true(json_eq_sq(at(d, "process.capabilities.bounding"), DEFAULT_CAPS));
	json_decref(d);

	build_fails(f, &(struct opts){ .cfg = "{'Cmd':['x'],'User':'nobody'}" },
		    "unable to find user nobody: no matching entries in passwd file");
	build_fails(f, &(struct opts){ .cfg = "{'Cmd':['x'],'User':'app:nogroup'}" },
		    "unable to find group nogroup: no matching entries in group file");
	build_fails(f, &(struct opts){ .cfg = "{'Cmd':['x'],'User':'99999999999'}" }, "must be in range");
}

static void test_user_hostile_rootfs(void **state)
{
	struct fx *f = *state;
	char p[256], outside[256];
	/* A host file the container must not be able to make us read. */
	snprintf(outside, sizeof(outside), "%s/host-secret", f->dir);
	put(outside, "evil:x:4242:4242::/evil:/bin/sh\n");
	snprintf(p, sizeof(p), "%s/etc/passwd", f->rootfs);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(outside, p), 0);
	build_fails(f, &(struct opts){ .cfg = "{'Cmd':['x'],'User':'evil'}" }, "unable to find user evil");
	/* Relative escape, and the classic: /etc/passwd -> /etc/shadow (the rootfs' own, absent). */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("../../../../../../../../../../etc/passwd", p), 0);
	build_fails(f, &(struct opts){ .cfg = "{'Cmd':['x'],'User':'root'}" }, "unable to find user root");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink("/etc/shadow", p), 0);
	build_fails(f, &(struct opts){ .cfg = "{'Cmd':['x'],'User':'root'}" }, "unable to find user root");
	/* Numeric users still work without a passwd file. */
	json_t *d = build_ok(f, &(struct opts){ .cfg = "{'Cmd':['x'],'User':'0:0'}" });
	assert_true(json_eq_sq(at(d, "process.user"), "{'uid':0,'gid':0,'additionalGids':[]}"));
	json_decref(d);
	/* A FIFO as passwd must not hang the daemon. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0644), 0);
	build_fails(f, &(struct opts){ .cfg = "{'Cmd':['x'],'User':'app'}" }, "unable to find user app");
}

/* --- seccomp ----------------------------------------------------------------- */

static void test_seccomp_file_is_upstream(void **state)
{
	/* The repo's data/ dir, from this file's own path (tests/unit/). */
	char path[512];
	snprintf(path, sizeof(path), "%s", __FILE__);
	char *slash = strrchr(path, '/');
	assert_non_null(slash);
	snprintf(slash, sizeof(path) - (size_t)(slash - path), "/../../data/seccomp/default.json");
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	digest_t dg;
	assert_int_equal(digest_fd(fd, dg, NULL), 0);
	assert_string_equal(dg, "sha256:" SECCOMP_SHA256);
}

static bool rules_name(json_t *sc, const char *name, const char *action)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(sc, "syscalls"), i, r)
		if (has_string(json_object_get(r, "names"), name) &&
		    streq(json_string_value(json_object_get(r, "action")), action))
			return true;
	return false;
}

static void test_seccomp_translate(void **state)
{
	json_t *prof = NULL, *sc = NULL;
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(ctr_seccomp_default_load(&prof, &err), 0);
	assert_int_equal(ctr_seccomp_translate(prof, ctr_caps_default(), "6.1.0", &sc, &err), 0);
	assert_true(json_eq_sq(json_object_get(sc, "defaultAction"), "'SCMP_ACT_ERRNO'"));
	assert_null(json_object_get(sc, "archMap"));
#ifdef __x86_64__
	assert_true(json_eq_sq(json_object_get(sc, "architectures"), "['SCMP_ARCH_X86_64','SCMP_ARCH_X86','SCMP_ARCH_X32']"));
	assert_true(rules_name(sc, "arch_prctl", "SCMP_ACT_ALLOW"));
#endif
	assert_false(rules_name(sc, "s390_runtime_instr", "SCMP_ACT_ALLOW"));
	assert_false(rules_name(sc, "unshare", "SCMP_ACT_ALLOW"));     /* needs CAP_SYS_ADMIN */
	assert_true(rules_name(sc, "chroot", "SCMP_ACT_ALLOW"));       /* CAP_SYS_CHROOT is default */
	assert_true(rules_name(sc, "ptrace", "SCMP_ACT_ALLOW"));       /* minKernel 4.8 */
	assert_true(rules_name(sc, "clone3", "SCMP_ACT_ERRNO"));       /* excluded only with SYS_ADMIN */
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(sc, "syscalls"), i, r) {
		assert_null(json_object_get(r, "includes"));
		assert_null(json_object_get(r, "excludes"));
	}
	json_decref(sc);
	/* Old kernel: the minKernel rule drops out. */
	assert_int_equal(ctr_seccomp_translate(prof, ctr_caps_default(), "4.4.0", &sc, &err), 0);
	assert_false(rules_name(sc, "ptrace", "SCMP_ACT_ALLOW"));
	json_decref(sc);
	/* With SYS_ADMIN: unshare allowed, clone3's ENOSYS rule gone. */
	assert_int_equal(ctr_seccomp_translate(prof, ctr_caps_default() | (1ull << 21), NULL, &sc, &err), 0);
	assert_true(rules_name(sc, "unshare", "SCMP_ACT_ALLOW"));
	assert_false(rules_name(sc, "clone3", "SCMP_ACT_ERRNO"));
	json_decref(sc);
	json_decref(prof);
}

static void test_seccomp_in_spec(void **state)
{
	struct fx *f = *state;
	json_t *prof = NULL;
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(ctr_seccomp_default_load(&prof, &err), 0);
	json_t *d = build_ok(f, &(struct opts){ .seccomp = prof });
	assert_true(json_eq_sq(at(d, "linux.seccomp.defaultAction"), "'SCMP_ACT_ERRNO'"));
	json_decref(d);
	d = build_ok(f, &(struct opts){ .seccomp = prof, .hc = "{'SecurityOpt':['seccomp=unconfined']}" });
	assert_null(at(d, "linux.seccomp"));
	json_decref(d);
	d = build_ok(f, &(struct opts){ .seccomp = prof, .hc =
		"{'SecurityOpt':['seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\",\\\"syscalls\\\":"
		"[{\\\"names\\\":[\\\"mkdir\\\"],\\\"action\\\":\\\"SCMP_ACT_ERRNO\\\"}]}']}" });
	assert_true(json_eq_sq(at(d, "linux.seccomp"),
			       "{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['mkdir'],'action':'SCMP_ACT_ERRNO'}]}"));
	json_decref(d);
	json_decref(prof);
}

/* Compile the translated default profile and load it in a forked child:
 * unshare(CLONE_NEWUSER) must fail with EPERM (the profile's defaultErrnoRet),
 * while getpid still works. Exit status names the failed check. */
static void test_seccomp_enforced(void **state)
{
	json_t *prof = NULL, *sc = NULL;
	struct rt_seccomp *filter = NULL;
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(ctr_seccomp_default_load(&prof, &err), 0);
	assert_int_equal(ctr_seccomp_translate(prof, ctr_caps_default(), NULL, &sc, &err), 0);
	if (rt_seccomp_compile(sc, &filter, &err) < 0)
		fail_msg("rt_seccomp_compile: %s", err.msg);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || rt_seccomp_load(filter) < 0)
			_exit(10);
		if (getpid() <= 0)
			_exit(11);
		if (unshare(CLONE_NEWUSER) == 0)
			_exit(12);
		_exit(errno == EPERM ? 0 : 13);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	rt_seccomp_free(filter);
	json_decref(sc);
	json_decref(prof);
}

/* --- signals ------------------------------------------------------------------- */

static void test_signals(void **state)
{
	const struct {
		const char *s;
		int want;
	} cases[] = {
		{ "SIGTERM", 15 }, { "TERM", 15 }, { "term", 15 }, { "sigkill", 9 }, { "15", 15 }, { "SIGQUIT", 3 },
		{ "RTMIN+3", 35 }, { "SIGRTMIN", 32 }, { "rtmax-1", 63 }, { "SIGUSR1", 10 }, { "37", 37 },
		{ "", -EINVAL },   { "SIGFOO", -EINVAL }, { "0", -EINVAL }, { "65", -EINVAL }, { "RTMIN+40", -EINVAL },
		{ "RTMIN+-1", -EINVAL }, { "15x", -EINVAL }, { "SIG", -EINVAL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		print_message("signal %s\n", cases[i].s);
		assert_int_equal(ctr_signal_parse(cases[i].s), cases[i].want);
	}
}

/* --- /etc files ------------------------------------------------------------------- */

static void test_resolv_conf(void **state)
{
	const char *host = "# generated\nsearch corp.example\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n"
			   "options edns0\n";
	char *out = NULL;
	assert_int_equal(ctr_resolv_conf(host, CTR_NET_PRIVATE, NULL, &out), 0);
	assert_string_equal(out, "# generated\nsearch corp.example\nnameserver 10.0.0.2\noptions edns0\n");
	free(out);
	/* Only loopback servers: the public defaults replace them. */
	assert_int_equal(ctr_resolv_conf("nameserver 127.0.0.53\nnameserver ::1\n", CTR_NET_NONE, NULL, &out), 0);
	assert_string_equal(out, "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
	free(out);
	/* Host networking: the host's file unchanged. */
	assert_int_equal(ctr_resolv_conf(host, CTR_NET_HOST, NULL, &out), 0);
	assert_string_equal(out, host);
	free(out);
	json_t *hc = sq("{'Dns':['1.1.1.1'],'DnsSearch':['a.test','b.test'],'DnsOptions':['ndots:2']}");
	assert_int_equal(ctr_resolv_conf(host, CTR_NET_PRIVATE, hc, &out), 0);
	assert_string_equal(out, "# generated\nnameserver 1.1.1.1\nsearch a.test b.test\noptions ndots:2\n");
	free(out);
	json_decref(hc);
}

static void test_etc_files(void **state)
{
	struct fx *f = *state;
	char hostrc[256], dir[256];
	snprintf(hostrc, sizeof(hostrc), "%s/host-resolv.conf", f->dir);
	put(hostrc, "nameserver 127.0.0.1\nnameserver 192.0.2.1\n");
	snprintf(dir, sizeof(dir), "%s/ctr", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	_cleanup_close_ int dfd = open(dir, O_DIRECTORY | O_CLOEXEC);
	json_t *hc = sq("{'ExtraHosts':['db:10.1.2.3']}");
	struct ctr_etc_input in = { .hostname = "web", .domainname = "example.org", .ip = "172.17.0.2",
				    .host_resolv_conf = hostrc, .host_config = hc };
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(ctr_etc_files(dfd, &in, &err), 0);
	char *s = NULL;
	assert_int_equal(read_file_at(dfd, "hostname", &s, NULL), 0);
	assert_string_equal(s, "web\n");
	free(s);
	assert_int_equal(read_file_at(dfd, "hosts", &s, NULL), 0);
	assert_string_equal(s, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n"
			       "ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n"
			       "10.1.2.3\tdb\n172.17.0.2\tweb.example.org web\n");
	free(s);
	assert_int_equal(read_file_at(dfd, "resolv.conf", &s, NULL), 0);
	assert_string_equal(s, "nameserver 192.0.2.1\n");
	free(s);
	json_decref(hc);
	in = (struct ctr_etc_input){ .hostname = "bad\nname" };
	berr_clear(&err);
	assert_int_equal(ctr_etc_files(dfd, &in, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_table),
		cmocka_unit_test(test_merge_no_command),
		cmocka_unit_test(test_config_args),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_ns_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_network_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ulimits_nofile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_privileged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps_add_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_hostile_rootfs, setup, teardown),
		cmocka_unit_test(test_seccomp_file_is_upstream),
		cmocka_unit_test(test_seccomp_translate),
		cmocka_unit_test_setup_teardown(test_seccomp_in_spec, setup, teardown),
		cmocka_unit_test(test_seccomp_enforced),
		cmocka_unit_test(test_signals),
		cmocka_unit_test(test_resolv_conf),
		cmocka_unit_test_setup_teardown(test_etc_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
