/* spec_tables.c - name tables for capabilities and rlimits, and the default
 * config.json that `berth-runtime spec` writes.
 *
 * The tables are indexed by the kernel's own numbers, so a name maps to the
 * number the syscalls take with no second table to keep in step. */
#include <linux/capability.h>
#include <string.h>
#include <sys/resource.h>

#include "spec.h"

/* [CAP_CHOWN] = "CAP_CHOWN": the index expands to the number, the string
 * keeps the name as written. */
#define NAMED(x) [x] = #x

static const char *const cap_names[] = {
	NAMED(CAP_CHOWN),
	NAMED(CAP_DAC_OVERRIDE),
	NAMED(CAP_DAC_READ_SEARCH),
	NAMED(CAP_FOWNER),
	NAMED(CAP_FSETID),
	NAMED(CAP_KILL),
	NAMED(CAP_SETGID),
	NAMED(CAP_SETUID),
	NAMED(CAP_SETPCAP),
	NAMED(CAP_LINUX_IMMUTABLE),
	NAMED(CAP_NET_BIND_SERVICE),
	NAMED(CAP_NET_BROADCAST),
	NAMED(CAP_NET_ADMIN),
	NAMED(CAP_NET_RAW),
	NAMED(CAP_IPC_LOCK),
	NAMED(CAP_IPC_OWNER),
	NAMED(CAP_SYS_MODULE),
	NAMED(CAP_SYS_RAWIO),
	NAMED(CAP_SYS_CHROOT),
	NAMED(CAP_SYS_PTRACE),
	NAMED(CAP_SYS_PACCT),
	NAMED(CAP_SYS_ADMIN),
	NAMED(CAP_SYS_BOOT),
	NAMED(CAP_SYS_NICE),
	NAMED(CAP_SYS_RESOURCE),
	NAMED(CAP_SYS_TIME),
	NAMED(CAP_SYS_TTY_CONFIG),
	NAMED(CAP_MKNOD),
	NAMED(CAP_LEASE),
	NAMED(CAP_AUDIT_WRITE),
	NAMED(CAP_AUDIT_CONTROL),
	NAMED(CAP_SETFCAP),
	NAMED(CAP_MAC_OVERRIDE),
	NAMED(CAP_MAC_ADMIN),
	NAMED(CAP_SYSLOG),
	NAMED(CAP_WAKE_ALARM),
	NAMED(CAP_BLOCK_SUSPEND),
	NAMED(CAP_AUDIT_READ),
	NAMED(CAP_PERFMON),
	NAMED(CAP_BPF),
	NAMED(CAP_CHECKPOINT_RESTORE),
};

static const char *const rlimit_names[] = {
	NAMED(RLIMIT_CPU),
	NAMED(RLIMIT_FSIZE),
	NAMED(RLIMIT_DATA),
	NAMED(RLIMIT_STACK),
	NAMED(RLIMIT_CORE),
	NAMED(RLIMIT_RSS),
	NAMED(RLIMIT_NPROC),
	NAMED(RLIMIT_NOFILE),
	NAMED(RLIMIT_MEMLOCK),
	NAMED(RLIMIT_AS),
	NAMED(RLIMIT_LOCKS),
	NAMED(RLIMIT_SIGPENDING),
	NAMED(RLIMIT_MSGQUEUE),
	NAMED(RLIMIT_NICE),
	NAMED(RLIMIT_RTPRIO),
	NAMED(RLIMIT_RTTIME),
};

static int lookup(const char *const *names, size_t n, const char *name)
{
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return (int)i;
	return -EINVAL;
}

int rt_cap_from_name(const char *name) { return lookup(cap_names, ARRAY_SIZE(cap_names), name); }

const char *rt_cap_to_name(int cap)
{
	return cap >= 0 && (size_t)cap < ARRAY_SIZE(cap_names) ? cap_names[cap] : NULL;
}

int rt_rlimit_from_name(const char *name)
{
	return lookup(rlimit_names, ARRAY_SIZE(rlimit_names), name);
}

/* --- the default spec ---------------------------------------------------- */

/* The same defaults as `runc spec`: a small capability set, the usual pseudo
 * filesystems, every device denied, /proc and /sys entries that leak host
 * information masked or read-only. */

#define MAX_OPTS 7

static const char *const default_caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" };
static const char *const default_cap_sets[] = { "bounding", "effective", "permitted" };

static const char *const default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"TERM=xterm",
};

static const struct {
	const char *destination, *type, *source;
	const char *options[MAX_OPTS]; /* NULL-terminated unless full */
} default_mounts[] = {
	{ "/proc", "proc", "proc", { NULL } },
	{ "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
	{ "/dev/pts", "devpts", "devpts",
	  { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
	{ "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" } },
	{ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
	{ "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
	{ "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev", "relatime", "ro" } },
};

static const char *const default_namespaces[] = { "pid", "network", "ipc", "uts", "mount", "cgroup" };

static const char *const default_masked[] = {
	"/proc/acpi",        "/proc/asound",     "/proc/kcore",       "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	"/sys/firmware",     "/proc/scsi",
};

static const char *const default_readonly[] = {
	"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

/* Every builder returns NULL on out-of-memory and passes NULL children on:
 * json_pack() fails on a NULL "o" argument and releases what it was given,
 * so one check at the top is enough. */
static json_t *string_array(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *default_capabilities(void)
{
	json_t *caps = json_object();
	for (size_t i = 0; caps && i < ARRAY_SIZE(default_cap_sets); i++)
		if (json_object_set_new(caps, default_cap_sets[i],
					string_array(default_caps, ARRAY_SIZE(default_caps))) < 0) {
			json_decref(caps);
			return NULL;
		}
	return caps;
}

static json_t *default_process(void)
{
	return json_pack("{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:o, s:[{s:s, s:i, s:i}], s:b}",
			 "terminal", 1,
			 "user", "uid", 0, "gid", 0,
			 "args", string_array((const char *const[]){ "sh" }, 1),
			 "env", string_array(default_env, ARRAY_SIZE(default_env)),
			 "cwd", "/",
			 "capabilities", default_capabilities(),
			 "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
			 "noNewPrivileges", 1);
}

static json_t *default_mount_list(void)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < ARRAY_SIZE(default_mounts); i++) {
		json_t *m = json_pack("{s:s, s:s, s:s}", "destination", default_mounts[i].destination,
				      "type", default_mounts[i].type, "source", default_mounts[i].source);
		if (m && default_mounts[i].options[0] &&
		    json_object_set_new(m, "options", string_array(default_mounts[i].options, MAX_OPTS)) < 0)
			json_decref(TAKE_PTR(m));
		if (json_array_append_new(a, m) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static json_t *default_namespace_list(void)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < ARRAY_SIZE(default_namespaces); i++)
		if (json_array_append_new(a, json_pack("{s:s}", "type", default_namespaces[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *default_linux(void)
{
	return json_pack("{s:{s:[{s:b, s:s}]}, s:o, s:o, s:o}",
			 "resources", "devices", "allow", 0, "access", "rwm",
			 "namespaces", default_namespace_list(),
			 "maskedPaths", string_array(default_masked, ARRAY_SIZE(default_masked)),
			 "readonlyPaths", string_array(default_readonly, ARRAY_SIZE(default_readonly)));
}

json_t *rt_spec_default(void)
{
	return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}",
			 "ociVersion", "1.1.0",
			 "process", default_process(),
			 "root", "path", "rootfs", "readonly", 1,
			 "hostname", "berth",
			 "mounts", default_mount_list(),
			 "linux", default_linux());
}
