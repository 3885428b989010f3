/* spec_build.c - the OCI config.json for a container, with Docker's defaults
 * (security.md; moby oci/defaults.go and daemon/oci_linux.go).
 *
 * One builder per section; each adds its keys to the document and returns
 * negative errno with err set. The order matters only where one section reads
 * another: the capability set is computed first because the seccomp
 * translation depends on the bounding set. */
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../base/util.h"
#include "../runtime/cgroup.h"
#include "../runtime/spec.h"
#include "ocispec-internal.h"

struct build {
	const struct ctr_spec_input *in;
	json_t *cfg, *hc;
	json_t *doc, *process, *lnx, *mounts;
	uint64_t caps;
	bool privileged, readonly_rootfs;
	/* from SecurityOpt */
	bool no_new_privs, seccomp_unconfined, systempaths_unconfined;
	json_t *seccomp_custom;
	int rootfd;
};

static int oom(struct berr *err) { return berr_set(err, BERR_INTERNAL, ENOMEM, "building the OCI config"); }

static int set_new(json_t *o, const char *key, json_t *v) { return v && json_object_set_new(o, key, v) == 0 ? 0 : -ENOMEM; }

/* --- security options --------------------------------------------------------- */

/* "key=value" or the older "key:value"; a bare key yields value "". */
static bool opt_split(const char *opt, const char *key, const char **ret_value)
{
	size_t n = strlen(key);
	if (strncmp(opt, key, n) != 0 || (opt[n] && opt[n] != '=' && opt[n] != ':'))
		return false;
	*ret_value = opt[n] ? opt + n + 1 : "";
	return true;
}

static int bool_opt(const char *v, const char *opt, bool *ret, struct berr *err)
{
	if (!*v || streq(v, "true"))
		*ret = true;
	else if (streq(v, "false"))
		*ret = false;
	else
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid --security-opt: \"%s\"", opt);
	return 0;
}

static int security_opt(struct build *b, const char *opt, struct berr *err)
{
	const char *v;
	if (opt_split(opt, "no-new-privileges", &v))
		return bool_opt(v, opt, &b->no_new_privs, err);
	if (opt_split(opt, "systempaths", &v) && streq(v, "unconfined")) {
		b->systempaths_unconfined = true;
		return 0;
	}
	if (opt_split(opt, "seccomp", &v)) {
		if (streq(v, "unconfined")) {
			b->seccomp_unconfined = true;
			return 0;
		}
		json_decref(b->seccomp_custom);
		b->seccomp_custom = NULL;
		return json_parse(v, strlen(v), "seccomp profile", &b->seccomp_custom, err);
	}
	/* AppArmor and SELinux labels: accepted, applied by neither (not enabled here). */
	if (opt_split(opt, "apparmor", &v) || opt_split(opt, "label", &v))
		return 0;
	return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid --security-opt: \"%s\"", opt);
}

static int security_opts(struct build *b, struct berr *err)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(b->hc, "SecurityOpt"), i, v) {
		if (!json_is_string(v))
			return berr_set_msg(err, BERR_INVALID, EINVAL, "SecurityOpt: expected strings");
		int r = security_opt(b, json_string_value(v), err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- process ------------------------------------------------------------------ */

static size_t env_key_len(const char *e)
{
	const char *eq = strchr(e, '=');
	return eq ? (size_t)(eq - e) : strlen(e);
}

static ssize_t env_find(json_t *env, const char *e)
{
	size_t i, n = env_key_len(e);
	json_t *v;
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);
		if (env_key_len(s) == n && strncmp(s, e, n) == 0)
			return (ssize_t)i;
	}
	return -1;
}

/* moby's CreateDaemonEnvironment: PATH, HOSTNAME and (with a tty) TERM first,
 * then the Config's entries replace or append; a bare "KEY" removes KEY.
 * HOME comes from passwd when nothing set it, as runc does. */
static json_t *process_env(struct build *b, const char *hostname, const char *home)
{
	json_t *env = json_array();
	char buf[512];
	snprintf(buf, sizeof(buf), "HOSTNAME=%s", hostname ? hostname : "");
	if (!env || json_array_append_new(env, json_string("PATH=" CTR_DEFAULT_PATH)) < 0 ||
	    json_array_append_new(env, json_string(buf)) < 0 ||
	    (hc_bool(b->cfg, "Tty") && json_array_append_new(env, json_string("TERM=xterm")) < 0))
		goto oom;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(b->cfg, "Env"), i, v) {
		const char *e = json_string_value(v);
		if (!e)
			continue;
		ssize_t at = env_find(env, e);
		if (!strchr(e, '=')) {
			if (at >= 0)
				json_array_remove(env, (size_t)at);
		} else if ((at >= 0 ? json_array_set(env, (size_t)at, v) : json_array_append(env, v)) < 0) {
			goto oom;
		}
	}
	snprintf(buf, sizeof(buf), "HOME=%s", home && *home ? home : "/");
	if (env_find(env, "HOME=") < 0 && json_array_append_new(env, json_string(buf)) < 0)
		goto oom;
	return env;
oom:
	json_decref(env);
	return NULL;
}

static int process_user(struct build *b, struct ctr_user *u, struct berr *err)
{
	int r = ctr_user_resolve(b->rootfd, hc_str(b->cfg, "User"), u, err);
	if (r < 0)
		return r;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(b->hc, "GroupAdd"), i, v) {
		uint32_t gid;
		if (!json_is_string(v))
			return berr_set_msg(err, BERR_INVALID, EINVAL, "GroupAdd: expected strings");
		if ((r = ctr_group_resolve(b->rootfd, json_string_value(v), &gid, err)) < 0)
			return r;
		uint32_t *g = realloc(u->additional_gids, (u->n_additional_gids + 1) * sizeof(*g));
		if (!g)
			return oom(err);
		g[u->n_additional_gids++] = gid;
		u->additional_gids = g;
	}
	json_t *gids = json_array();
	for (size_t k = 0; gids && k < u->n_additional_gids; k++)
		if (json_array_append_new(gids, json_integer(u->additional_gids[k])) < 0)
			json_decref(TAKE_PTR(gids));
	if (set_new(b->process, "user", json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)u->uid, "gid",
						 (json_int_t)u->gid, "additionalGids", gids)) < 0)
		return oom(err);
	return 0;
}

static int process_args(struct build *b, struct berr *err)
{
	_cleanup_strv_free_ char **args = NULL;
	if (ctr_config_args(b->cfg, &args) < 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "No command specified");
	json_t *a = json_array();
	if (a && hc_bool(b->hc, "Init")) {
		if (!b->in->init_path) {
			json_decref(a);
			return berr_set_msg(err, BERR_INVALID, EINVAL,
					    "--init requires an init binary (docker-init), and none is configured");
		}
		if (json_array_append_new(a, json_string(CTR_INIT_PATH)) < 0 ||
		    json_array_append_new(a, json_string("--")) < 0)
			json_decref(TAKE_PTR(a));
	}
	for (size_t i = 0; a && args[i]; i++)
		if (json_array_append_new(a, json_string(args[i])) < 0)
			json_decref(TAKE_PTR(a));
	return set_new(b->process, "args", a) < 0 ? oom(err) : 0;
}

static int process_caps(struct build *b, const struct ctr_user *u, struct berr *err)
{
	/* Like moby: a non-root user starts with no effective or permitted
	 * capabilities; the bounding set still limits what setuid binaries get. */
	uint64_t ep = u->uid == 0 ? b->caps : 0;
	if (set_new(b->process, "capabilities",
		    json_pack("{s:o, s:o, s:o, s:[]}", "bounding", ctr_caps_to_json(b->caps), "effective",
			      ctr_caps_to_json(ep), "permitted", ctr_caps_to_json(ep), "inheritable")) < 0)
		return oom(err);
	return 0;
}

static int process_misc(struct build *b, struct berr *err)
{
	json_t *p = b->process;
	json_t *cs = json_object_get(b->hc, "ConsoleSize");
	const char *wd = hc_str(b->cfg, "WorkingDir");
	if (*wd && wd[0] != '/')
		return berr_set_msg(err, BERR_INVALID, EINVAL, "the working directory '%s' is invalid, it needs to be an absolute path", wd);
	if (set_new(p, "terminal", json_boolean(hc_bool(b->cfg, "Tty"))) < 0 || set_new(p, "cwd", json_string(*wd ? wd : "/")) < 0 ||
	    set_new(p, "noNewPrivileges", json_boolean(b->no_new_privs)) < 0)
		return oom(err);
	json_int_t h = json_integer_value(json_array_get(cs, 0)), w = json_integer_value(json_array_get(cs, 1));
	if (h > 0 && w > 0 && h < 65536 && w < 65536 &&
	    set_new(p, "consoleSize", json_pack("{s:I, s:I}", "height", h, "width", w)) < 0)
		return oom(err);
	int64_t adj = hc_int(b->hc, "OomScoreAdj");
	if (adj < -1000 || adj > 1000)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "Invalid value %" PRId64 ", range for oom score adj is [-1000, 1000]", adj);
	if (adj && set_new(p, "oomScoreAdj", json_integer(adj)) < 0)
		return oom(err);
	json_t *rl;
	int r = ctr_rlimits_build(b->hc, b->in->nofile_hard_max, &rl, err);
	return r < 0 ? r : set_new(p, "rlimits", rl) < 0 ? oom(err) : 0;
}

static int build_process(struct build *b, const char *hostname, struct berr *err)
{
	struct ctr_user u = { 0 };
	int r;
	if ((r = process_user(b, &u, err)) >= 0 && (r = process_args(b, err)) >= 0 && (r = process_caps(b, &u, err)) >= 0 &&
	    (r = process_misc(b, err)) >= 0 && set_new(b->process, "env", process_env(b, hostname, u.home)) < 0)
		r = oom(err);
	ctr_user_release(&u);
	return r;
}

/* --- mounts ------------------------------------------------------------------- */

struct mount_def {
	const char *dest, *type, *source;
	const char *opts[8];
};

/* moby's oci.DefaultLinuxSpec mounts. /dev/shm's size and the ro flags of
 * /sys and /sys/fs/cgroup depend on the request and are added below. */
static const struct mount_def default_mounts[] = {
	{ "/proc", "proc", "proc", { "nosuid", "noexec", "nodev" } },
	{ "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
	{ "/dev/pts", "devpts", "devpts", { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" } },
	{ "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev" } },
	{ "/sys/fs/cgroup", "cgroup", "cgroup", { "nosuid", "noexec", "nodev" } },
	{ "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev" } },
	{ "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777" } },
};

static bool user_mounts_cover(struct build *b, const char *dest)
{
	size_t i;
	json_t *m;
	json_array_foreach(b->in->extra_mounts, i, m)
		if (streq(json_string_value(json_object_get(m, "destination")), dest))
			return true;
	json_t *tmpfs = json_object_get(b->hc, "Tmpfs");
	return json_is_object(tmpfs) && json_object_get(tmpfs, dest);
}

static int mount_add(json_t *mounts, const char *dest, const char *type, const char *src, json_t *opts)
{
	json_t *m = json_pack("{s:s, s:s, s:s, s:o}", "destination", dest, "type", type, "source", src, "options", opts);
	return m && json_array_append_new(mounts, m) == 0 ? 0 : -ENOMEM;
}

static json_t *def_opts(const struct mount_def *d)
{
	json_t *o = json_array();
	for (size_t i = 0; o && i < ARRAY_SIZE(d->opts) && d->opts[i]; i++)
		if (json_array_append_new(o, json_string(d->opts[i])) < 0)
			json_decref(TAKE_PTR(o));
	return o;
}

static int default_mount(struct build *b, const struct mount_def *d)
{
	json_t *o = def_opts(d);
	char size[64];
	if (!o)
		return -ENOMEM;
	bool is_sys = streq(d->dest, "/sys") || streq(d->dest, "/sys/fs/cgroup");
	if (is_sys && !b->privileged && json_array_append_new(o, json_string("ro")) < 0)
		goto oom;
	if (streq(d->dest, "/dev/shm")) {
		int64_t shm = hc_int(b->hc, "ShmSize");
		snprintf(size, sizeof(size), "size=%" PRId64, shm > 0 ? shm : CTR_DEFAULT_SHM_SIZE);
		if (json_array_append_new(o, json_string(size)) < 0)
			goto oom;
	}
	return mount_add(b->mounts, d->dest, d->type, d->source, o);
oom:
	json_decref(o);
	return -ENOMEM;
}

static int bind_file(struct build *b, const char *dest, const char *src, bool ro)
{
	if (!src || user_mounts_cover(b, dest))
		return 0;
	json_t *o = json_pack(ro ? "[s, s, s]" : "[s, s]", "rbind", "rprivate", "ro");
	return o ? mount_add(b->mounts, dest, "bind", src, o) : -ENOMEM;
}

/* --tmpfs /run:rw,size=64m, with moby's defaults noexec,nosuid,nodev. */
static int tmpfs_mounts(struct build *b)
{
	const char *dest;
	json_t *v;
	json_object_foreach(json_object_get(b->hc, "Tmpfs"), dest, v) {
		json_t *o = json_pack("[s, s, s]", "nosuid", "nodev", "noexec");
		_cleanup_free_ char *opts = strdup(json_is_string(v) ? json_string_value(v) : "");
		char *save = NULL;
		if (!o || !opts) {
			json_decref(o);
			return -ENOMEM;
		}
		for (char *t = strtok_r(opts, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (json_array_append_new(o, json_string(t)) < 0) {
				json_decref(o);
				return -ENOMEM;
			}
		if (mount_add(b->mounts, dest, "tmpfs", "tmpfs", o) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int build_mounts(struct build *b, struct berr *err)
{
	const struct ctr_spec_input *in = b->in;
	int r = 0;
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(default_mounts); i++)
		if (!user_mounts_cover(b, default_mounts[i].dest))
			r = default_mount(b, &default_mounts[i]);
	if (r < 0 || (r = bind_file(b, "/etc/resolv.conf", in->resolv_conf_path, b->readonly_rootfs)) < 0 ||
	    (r = bind_file(b, "/etc/hostname", in->hostname_path, b->readonly_rootfs)) < 0 ||
	    (r = bind_file(b, "/etc/hosts", in->hosts_path, b->readonly_rootfs)) < 0 || (r = tmpfs_mounts(b)) < 0)
		return oom(err);
	size_t i;
	json_t *m;
	json_array_foreach(in->extra_mounts, i, m)
		if (json_array_append(b->mounts, m) < 0)
			return oom(err);
	if (hc_bool(b->hc, "Init") && in->init_path &&
	    mount_add(b->mounts, CTR_INIT_PATH, "bind", in->init_path, json_pack("[s, s]", "bind", "ro")) < 0)
		return oom(err);
	return 0;
}

/* --- linux --------------------------------------------------------------------- */

static int ns_add(json_t *arr, const char *type, const char *path)
{
	json_t *o = path ? json_pack("{s:s, s:s}", "type", type, "path", path) : json_pack("{s:s}", "type", type);
	return o && json_array_append_new(arr, o) == 0 ? 0 : -ENOMEM;
}

/* "host" -> no entry; "container:x" -> the path the daemon resolved; else new. */
static int ns_mode(json_t *arr, const char *type, const char *mode, const char *path, struct berr *err)
{
	if (streq(mode, "host"))
		return 0;
	if (str_startswith(mode, "container:")) {
		if (!path)
			return berr_set_msg(err, BERR_INVALID, EINVAL, "%s mode %s: the container's namespace is unknown", type, mode);
		return ns_add(arr, type, path);
	}
	return ns_add(arr, type, NULL);
}

static int build_namespaces(struct build *b, struct berr *err)
{
	const struct ctr_spec_input *in = b->in;
	json_t *ns = json_array();
	if (set_new(b->lnx, "namespaces", ns) < 0)
		return oom(err);
	int r;
	if ((r = ns_add(ns, "mount", NULL)) < 0)
		return oom(err);
	if (in->net_mode == CTR_NET_CONTAINER && !in->net_ns_path)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "network mode container: the container's namespace is unknown");
	if (in->net_mode != CTR_NET_HOST &&
	    ns_add(ns, "network", in->net_mode == CTR_NET_CONTAINER ? in->net_ns_path : NULL) < 0)
		return oom(err);
	if ((r = ns_mode(ns, "uts", hc_str(b->hc, "UTSMode"), NULL, err)) < 0 ||
	    (r = ns_mode(ns, "pid", hc_str(b->hc, "PidMode"), in->pid_ns_path, err)) < 0 ||
	    (r = ns_mode(ns, "ipc", hc_str(b->hc, "IpcMode"), in->ipc_ns_path, err)) < 0)
		return berr_isset(err) ? r : oom(err);
	const char *cgns = hc_str(b->hc, "CgroupnsMode");
	enum rt_cgroup_mode mode = RT_CGROUP_V1;
	if (!*cgns && rt_cgroup_detect(in->cgroup_root, &mode) < 0)
		mode = RT_CGROUP_V1;
	if ((streq(cgns, "private") || (!*cgns && mode == RT_CGROUP_V2)) && ns_add(ns, "cgroup", NULL) < 0)
		return oom(err);
	if (*cgns && !streq(cgns, "private") && !streq(cgns, "host"))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid cgroup namespace mode: %s", cgns);
	return 0;
}

/* moby's oci.DefaultLinuxSpec, plus what newer engines mask (security.md). */
static const char *const masked_paths[] = {
	"/proc/asound",      "/proc/acpi",        "/proc/interrupts", "/proc/kcore",
	"/proc/keys",        "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi",        "/sys/firmware",    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" };

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0)
			json_decref(TAKE_PTR(a));
	return a;
}

/* HostConfig.MaskedPaths/ReadonlyPaths replace the defaults when given (not null). */
static json_t *paths_for(struct build *b, const char *key, const char *const *def, size_t n)
{
	json_t *given = json_object_get(b->hc, key);
	if (b->privileged || b->systempaths_unconfined)
		return json_array();
	return json_is_array(given) ? json_deep_copy(given) : strings(def, n);
}

static int build_sysctls(struct build *b, struct berr *err)
{
	json_t *sc = json_object_get(b->hc, "Sysctls");
	const char *k;
	json_t *v;
	json_object_foreach(sc, k, v) {
		if (!json_is_string(v))
			return berr_set_msg(err, BERR_INVALID, EINVAL, "sysctl %s: expected a string value", k);
		if (b->in->net_mode == CTR_NET_HOST && str_startswith(k, "net."))
			return berr_set_msg(err, BERR_INVALID, EINVAL, "sysctl \"%s\" not allowed in host network namespace", k);
	}
	if (json_is_object(sc) && json_object_size(sc) > 0 && set_new(b->lnx, "sysctl", json_deep_copy(sc)) < 0)
		return oom(err);
	return 0;
}

static int build_seccomp(struct build *b, struct berr *err)
{
	json_t *profile = b->seccomp_custom ? b->seccomp_custom : b->in->seccomp_profile;
	if (b->privileged || b->seccomp_unconfined || !profile)
		return 0;
	json_t *out = NULL;
	int r = ctr_seccomp_translate(profile, b->caps, NULL, &out, err);
	if (r < 0)
		return r;
	return out && set_new(b->lnx, "seccomp", out) < 0 ? oom(err) : 0;
}

static int build_linux(struct build *b, struct berr *err)
{
	char cg[128];
	int r;
	snprintf(cg, sizeof(cg), "/berth/%s", b->in->id);
	if (set_new(b->lnx, "cgroupsPath", json_string(b->in->cgroups_path ? b->in->cgroups_path : cg)) < 0 ||
	    set_new(b->lnx, "maskedPaths", paths_for(b, "MaskedPaths", masked_paths, ARRAY_SIZE(masked_paths))) < 0 ||
	    set_new(b->lnx, "readonlyPaths", paths_for(b, "ReadonlyPaths", readonly_paths, ARRAY_SIZE(readonly_paths))) < 0)
		return oom(err);
	if ((r = build_namespaces(b, err)) < 0 ||
	    (r = ctr_resources_build(b->hc, b->lnx, b->privileged, b->in->host_dev_dir, err)) < 0 ||
	    (r = build_sysctls(b, err)) < 0 || (r = build_seccomp(b, err)) < 0)
		return r;
	return 0;
}

/* --- the document ---------------------------------------------------------------- */

/* Config.Hostname, else the host's for --network host, else the id's first 12. */
static int pick_hostname(struct build *b, char *buf, size_t n)
{
	const char *h = hc_str(b->cfg, "Hostname");
	if (*h)
		return str_copy(buf, n, h);
	if (b->in->net_mode == CTR_NET_HOST) {
		if (b->in->host_hostname)
			return str_copy(buf, n, b->in->host_hostname);
		if (gethostname(buf, n) == 0)
			return 0;
	}
	snprintf(buf, n, "%.12s", b->in->id);
	return 0;
}

static int build_doc(struct build *b, struct berr *err)
{
	const struct ctr_spec_input *in = b->in;
	char hostname[256];
	int r;
	if (pick_hostname(b, hostname, sizeof(hostname)) < 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid hostname");
	bool uts_host = streq(hc_str(b->hc, "UTSMode"), "host");
	const char *domain = hc_str(b->cfg, "Domainname");
	if (set_new(b->doc, "ociVersion", json_string("1.1.0")) < 0 ||
	    set_new(b->doc, "root", json_pack("{s:s, s:b}", "path", in->rootfs, "readonly", b->readonly_rootfs)) < 0 ||
	    (!uts_host && set_new(b->doc, "hostname", json_string(hostname)) < 0) ||
	    (!uts_host && *domain && set_new(b->doc, "domainname", json_string(domain)) < 0) ||
	    set_new(b->doc, "annotations", json_pack("{s:s}", "io.berth.container.id", in->id)) < 0)
		return oom(err);
	if ((r = build_process(b, hostname, err)) < 0 || (r = build_mounts(b, err)) < 0 || (r = build_linux(b, err)) < 0)
		return r;
	return 0;
}

static int check_input(const struct ctr_spec_input *in, struct berr *err)
{
	if (!in->id || strlen(in->id) < 12 || strlen(in->id) > 64 || strchr(in->id, '/'))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid container id");
	if (!json_is_object(in->config) || !in->rootfs || in->rootfs[0] != '/')
		return berr_set_msg(err, BERR_INVALID, EINVAL, "a config and an absolute rootfs path are required");
	if (in->host_config && !json_is_object(in->host_config))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "HostConfig: expected an object");
	if (in->extra_mounts && !json_is_array(in->extra_mounts))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "extra mounts: expected an array");
	return 0;
}

int ctr_spec_build(const struct ctr_spec_input *in, json_t **ret, struct berr *err)
{
	int r = check_input(in, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *empty = json_object();
	_cleanup_json_ json_t *doc = json_object();
	_cleanup_close_ int rootfd = open(in->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening the container root %s", in->rootfs);
	struct build b = { .in = in, .cfg = in->config, .hc = in->host_config ? in->host_config : empty,
			   .doc = doc, .rootfd = rootfd };
	if (!empty || !doc || set_new(doc, "process", b.process = json_object()) < 0 ||
	    set_new(doc, "linux", b.lnx = json_object()) < 0 || set_new(doc, "mounts", b.mounts = json_array()) < 0)
		return oom(err);
	b.privileged = hc_bool(b.hc, "Privileged");
	b.readonly_rootfs = hc_bool(b.hc, "ReadonlyRootfs");
	if ((r = security_opts(&b, err)) >= 0 &&
	    (r = ctr_caps_compute(json_object_get(b.hc, "CapAdd"), json_object_get(b.hc, "CapDrop"), b.privileged,
				  &b.caps, err)) >= 0)
		r = build_doc(&b, err);
	json_decref(b.seccomp_custom);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(doc);
	return 0;
}
