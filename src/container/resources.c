/* resources.c - HostConfig resources, devices and ulimits in OCI form.
 *
 * Zero means "not set" for every resource field (sparse bodies and the CLI's
 * all-zero bodies alike, engine-api.md §7 trap 12); -1 means "unlimited"
 * where Docker gives it that meaning (MemorySwap, PidsLimit, Ulimits). */
#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../base/util.h"
#include "../runtime/spec.h"
#include "ocispec-internal.h"

int64_t hc_int(json_t *hc, const char *key)
{
	json_t *v = json_object_get(hc, key);
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

bool hc_bool(json_t *hc, const char *key) { return json_is_true(json_object_get(hc, key)); }

const char *hc_str(json_t *hc, const char *key)
{
	const char *s = json_string_value(json_object_get(hc, key));
	return s ? s : "";
}

static int set_int(json_t *o, const char *key, int64_t v)
{
	return json_object_set_new(o, key, json_integer(v)) < 0 ? -ENOMEM : 0;
}

/* The sub-object key of res, created on first use. */
static json_t *sub(json_t *res, const char *key)
{
	json_t *o = json_object_get(res, key);
	if (!o && (o = json_object()) && json_object_set_new(res, key, o) < 0)
		return NULL;
	return o;
}

static int memory_build(json_t *hc, json_t *res, struct berr *err)
{
	int64_t mem = hc_int(hc, "Memory"), resv = hc_int(hc, "MemoryReservation"), swap = hc_int(hc, "MemorySwap");
	int64_t swappiness = json_is_integer(json_object_get(hc, "MemorySwappiness")) ?
				     hc_int(hc, "MemorySwappiness") : -1;
	if (mem < 0 || resv < 0 || swap < -1)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid memory limit");
	if (mem > 0 && swap > 0 && swap < mem)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "Minimum memoryswap limit should be larger than memory limit, see usage");
	if (swappiness > 100)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "Invalid value: %" PRId64 ", valid memory swappiness range is 0-100", swappiness);
	/* moby: with a memory limit and no swap setting, swap is twice the memory. */
	if (mem > 0 && swap == 0)
		swap = mem * 2;
	bool oom_off = hc_bool(hc, "OomKillDisable");
	if (!mem && !resv && !swap && swappiness < 0 && !oom_off)
		return 0;
	json_t *m = sub(res, "memory");
	if (!m || (mem && set_int(m, "limit", mem) < 0) || (resv && set_int(m, "reservation", resv) < 0) ||
	    (swap && set_int(m, "swap", swap) < 0) || (swappiness >= 0 && set_int(m, "swappiness", swappiness) < 0) ||
	    (oom_off && json_object_set_new(m, "disableOOMKiller", json_true()) < 0))
		return -ENOMEM;
	return 0;
}

#define CPU_PERIOD_DEFAULT 100000

static int cpu_build(json_t *hc, json_t *res, struct berr *err)
{
	int64_t nano = hc_int(hc, "NanoCpus"), quota = hc_int(hc, "CpuQuota"), period = hc_int(hc, "CpuPeriod");
	int64_t shares = hc_int(hc, "CpuShares");
	const char *cpus = hc_str(hc, "CpusetCpus"), *mems = hc_str(hc, "CpusetMems");
	if (nano && period)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "Conflicting options: Nano CPUs and CPU Period cannot both be set");
	if (nano && quota)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "Conflicting options: Nano CPUs and CPU Quota cannot both be set");
	if (nano < 0 || shares < 0 || period < 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid CPU setting");
	if (nano) {
		period = CPU_PERIOD_DEFAULT;
		quota = nano * CPU_PERIOD_DEFAULT / 1000000000;
		if (quota < 1000)
			return berr_set_msg(err, BERR_INVALID, EINVAL, "Range of CPUs is from 0.01 to the number of CPUs");
	}
	if (!quota && !period && !shares && !*cpus && !*mems)
		return 0;
	json_t *c = sub(res, "cpu");
	if (!c || (quota && set_int(c, "quota", quota) < 0) || (period && set_int(c, "period", period) < 0) ||
	    (shares && set_int(c, "shares", shares) < 0) ||
	    (*cpus && json_object_set_new(c, "cpus", json_string(cpus)) < 0) ||
	    (*mems && json_object_set_new(c, "mems", json_string(mems)) < 0))
		return -ENOMEM;
	return 0;
}

static int pids_blkio_build(json_t *hc, json_t *res, struct berr *err)
{
	int64_t pids = hc_int(hc, "PidsLimit"), weight = hc_int(hc, "BlkioWeight");
	json_t *o;
	if (pids > 0 && (!(o = sub(res, "pids")) || set_int(o, "limit", pids) < 0))
		return -ENOMEM;
	if (weight && (weight < 10 || weight > 1000))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "Range of blkio weight is from 10 to 1000");
	if (weight && (!(o = sub(res, "blockIO")) || set_int(o, "weight", weight) < 0))
		return -ENOMEM;
	return 0;
}

/* --- devices --------------------------------------------------------------- */

static int add_rule(json_t *rules, bool allow, const char *type, int64_t major, int64_t minor, const char *access)
{
	json_t *r = json_pack("{s:b, s:s}", "allow", allow, "access", access);
	if (!r || (type && json_object_set_new(r, "type", json_string(type)) < 0) ||
	    (major >= 0 && set_int(r, "major", major) < 0) || (minor >= 0 && set_int(r, "minor", minor) < 0) ||
	    json_array_append_new(rules, r) < 0) {
		json_decref(r);
		return -ENOMEM;
	}
	return 0;
}

/* moby's oci.DefaultLinuxSpec: deny all, allow the nodes every container has,
 * deny /dev/fuse (10:229) explicitly. The runtime adds ptys, ptmx and full on
 * top, as runc does. */
static const struct {
	bool allow;
	int major, minor;
} default_rules[] = {
	{ true, 1, 5 }, { true, 1, 3 }, { true, 1, 9 }, { true, 1, 8 }, { true, 5, 0 }, { true, 5, 1 }, { false, 10, 229 },
};

static int default_device_rules(json_t *rules)
{
	if (add_rule(rules, false, NULL, -1, -1, "rwm") < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(default_rules); i++)
		if (add_rule(rules, default_rules[i].allow, "c", default_rules[i].major, default_rules[i].minor, "rwm") < 0)
			return -ENOMEM;
	return 0;
}

static bool valid_access(const char *a)
{
	if (!*a || strlen(a) > 3)
		return false;
	for (; *a; a++)
		if (!strchr("rwm", *a))
			return false;
	return true;
}

static int add_device(json_t *devs, json_t *rules, const char *host, const char *ctr, const char *perms,
		      struct berr *err)
{
	struct stat st;
	if (stat(host, &st) < 0)
		return berr_set(err, BERR_INVALID, errno, "error gathering device information while adding custom device \"%s\"", host);
	if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "error gathering device information while adding custom device \"%s\": not a device node", host);
	if (!valid_access(perms))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid device mode: %s", perms);
	const char *type = S_ISCHR(st.st_mode) ? "c" : "b";
	json_t *d = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path", ctr, "type", type,
			      "major", (json_int_t)major(st.st_rdev), "minor", (json_int_t)minor(st.st_rdev),
			      "fileMode", (json_int_t)(st.st_mode & 07777), "uid", (json_int_t)st.st_uid,
			      "gid", (json_int_t)st.st_gid);
	if (!d || json_array_append_new(devs, d) < 0)
		return -ENOMEM;
	return add_rule(rules, true, type, major(st.st_rdev), minor(st.st_rdev), perms);
}

static int user_devices(json_t *hc, json_t *devs, json_t *rules, struct berr *err)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(hc, "Devices"), i, d) {
		const char *host = hc_str(d, "PathOnHost"), *ctr = hc_str(d, "PathInContainer");
		const char *perms = hc_str(d, "CgroupPermissions");
		if (!*host)
			return berr_set_msg(err, BERR_INVALID, EINVAL, "device: PathOnHost is required");
		if (!*ctr)
			ctr = host;
		if (ctr[0] != '/')
			return berr_set_msg(err, BERR_INVALID, EINVAL, "%s is not an absolute path", ctr);
		int r = add_device(devs, rules, host, ctr, *perms ? perms : "rwm", err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* "c 1:3 rwm", "a *:* m", "b 8:* r" (--device-cgroup-rule). */
static int cgroup_rule(json_t *rules, const char *s, struct berr *err)
{
	char type, maj[16], min[16], access[8];
	int64_t ma = -1, mi = -1;
	if (sscanf(s, " %c %15[0-9*]:%15[0-9*] %7s", &type, maj, min, access) != 4 || !strchr("acb", type) ||
	    !valid_access(access) || (strcmp(maj, "*") && safe_atoi64(maj, &ma) < 0) ||
	    (strcmp(min, "*") && safe_atoi64(min, &mi) < 0))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid device cgroup rule format: '%s'", s);
	char t[2] = { type, '\0' };
	return add_rule(rules, true, t, ma, mi, access);
}

static const char *const host_dev_skip[] = { "pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev" };

/* Privileged: every device node of the host, as moby's HostDevices() lists them. */
static int host_devices(const char *dir, json_t *devs, int depth)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d || depth > 8)
		return 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;
		bool skip = streq(e->d_name, ".") || streq(e->d_name, "..");
		for (size_t i = 0; depth == 0 && i < ARRAY_SIZE(host_dev_skip); i++)
			skip = skip || streq(e->d_name, host_dev_skip[i]);
		if (skip || snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p) || lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (host_devices(p, devs, depth + 1) < 0)
				return -ENOMEM;
			continue;
		}
		if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
			continue;
		if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 5 && minor(st.st_rdev) == 1)
			continue; /* /dev/console belongs to the container's terminal */
		json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "path", p, "type",
				      S_ISCHR(st.st_mode) ? "c" : "b", "major", (json_int_t)major(st.st_rdev),
				      "minor", (json_int_t)minor(st.st_rdev), "fileMode", (json_int_t)(st.st_mode & 07777),
				      "uid", (json_int_t)st.st_uid, "gid", (json_int_t)st.st_gid);
		if (!o || json_array_append_new(devs, o) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Paths of host_devices() are host paths; inside the container they sit at the
 * same place under /dev. */
static int rebase_devices(json_t *devs, const char *host_dev_dir)
{
	size_t i, n = strlen(host_dev_dir);
	json_t *d;
	json_array_foreach(devs, i, d) {
		const char *p = json_string_value(json_object_get(d, "path"));
		char buf[PATH_MAX];
		snprintf(buf, sizeof(buf), "/dev%s", p + n);
		if (json_object_set_new(d, "path", json_string(buf)) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int devices_build(json_t *hc, json_t *lnx, json_t *res, bool privileged, const char *host_dev_dir,
			 struct berr *err)
{
	json_t *devs = json_array(), *rules = json_array();
	if (!devs || !rules || json_object_set_new(lnx, "devices", devs) < 0 ||
	    json_object_set_new(res, "devices", rules) < 0)
		return -ENOMEM;
	int r;
	if (privileged) {
		if ((r = host_devices(host_dev_dir, devs, 0)) < 0 || (r = rebase_devices(devs, host_dev_dir)) < 0)
			return r;
		return add_rule(rules, true, "a", -1, -1, "rwm");
	}
	if ((r = default_device_rules(rules)) < 0 || (r = user_devices(hc, devs, rules, err)) < 0)
		return r;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(hc, "DeviceCgroupRules"), i, v)
		if (json_is_string(v) && (r = cgroup_rule(rules, json_string_value(v), err)) < 0)
			return r;
	return 0;
}

int ctr_resources_build(json_t *hc, json_t *lnx, bool privileged, const char *host_dev_dir, struct berr *err)
{
	json_t *res = json_object();
	if (!res || json_object_set_new(lnx, "resources", res) < 0)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "building resources");
	int r;
	if ((r = devices_build(hc, lnx, res, privileged, host_dev_dir ? host_dev_dir : "/dev", err)) < 0 ||
	    (r = memory_build(hc, res, err)) < 0 || (r = cpu_build(hc, res, err)) < 0 ||
	    (r = pids_blkio_build(hc, res, err)) < 0)
		return berr_isset(err) ? r : berr_set(err, BERR_INTERNAL, -r, "building resources");
	return 0;
}

/* --- rlimits --------------------------------------------------------------- */

/* An unlimited (-1) ulimit: the spec format tops out at INT64_MAX, which the
 * kernel clamps to its own maximum for every resource that has one. */
static uint64_t ulimit_value(int64_t v) { return v < 0 ? (uint64_t)INT64_MAX : (uint64_t)v; }

static int rlimit_add(json_t *arr, const char *type, uint64_t soft, uint64_t hard)
{
	json_t *o = json_pack("{s:s, s:I, s:I}", "type", type, "soft", (json_int_t)soft, "hard", (json_int_t)hard);
	return o && json_array_append_new(arr, o) == 0 ? 0 : -ENOMEM;
}

static int ulimit_one(json_t *u, json_t *arr, bool *nofile, struct berr *err)
{
	const char *name = hc_str(u, "Name");
	char type[32] = "RLIMIT_";
	size_t n = strlen(name);
	if (!n || n > sizeof(type) - 8)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid ulimit type: %s", name);
	for (size_t i = 0; i < n; i++)
		type[7 + i] = (char)toupper((unsigned char)name[i]);
	if (rt_rlimit_from_name(type) < 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid ulimit type: %s", name);
	uint64_t soft = ulimit_value(hc_int(u, "Soft")), hard = ulimit_value(hc_int(u, "Hard"));
	if (soft > hard)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "ulimit soft limit must be less than or equal to hard limit: %" PRIu64 " > %" PRIu64,
				    soft, hard);
	for (size_t i = 0; i < json_array_size(arr); i++)
		if (streq(json_string_value(json_object_get(json_array_get(arr, i), "type")), type)) {
			json_array_remove(arr, i); /* a later duplicate wins, as Docker's map does */
			break;
		}
	*nofile = *nofile || streq(type, "RLIMIT_NOFILE");
	return rlimit_add(arr, type, soft, hard);
}

int ctr_rlimits_build(json_t *hc, uint64_t nofile_hard_max, json_t **ret, struct berr *err)
{
	_cleanup_json_ json_t *arr = json_array();
	bool nofile = false;
	size_t i;
	json_t *u;
	if (!arr)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "building rlimits");
	json_array_foreach(json_object_get(hc, "Ulimits"), i, u) {
		int r = ulimit_one(u, arr, &nofile, err);
		if (r < 0)
			return berr_isset(err) ? r : berr_set(err, BERR_INTERNAL, -r, "building rlimits");
	}
	if (!nofile) {
		struct rlimit rl;
		if (!nofile_hard_max && getrlimit(RLIMIT_NOFILE, &rl) == 0)
			nofile_hard_max = rl.rlim_max == RLIM_INFINITY ? CTR_DEFAULT_NOFILE : rl.rlim_max;
		uint64_t v = nofile_hard_max && nofile_hard_max < CTR_DEFAULT_NOFILE ? nofile_hard_max : CTR_DEFAULT_NOFILE;
		if (rlimit_add(arr, "RLIMIT_NOFILE", v, v) < 0)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "building rlimits");
	}
	*ret = TAKE_PTR(arr);
	return 0;
}
