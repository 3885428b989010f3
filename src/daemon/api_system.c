/* api_system.c - system routes: /_ping, /version, /info, /events, /system/df. */
#include <dirent.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "common/json.h"
#include "daemon/api.h"
#include "daemon/containers.h"
#include "daemon/daemon.h"
#include "daemon/events.h"
#include "daemon/filters.h"
#include "daemon/httpd.h"
#include "image/store.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- /_ping ---- */

static int ping_headers(struct api_call *c)
{
	static const char *const h[][2] = {
		{ "Cache-Control", "no-cache, no-store, must-revalidate" },
		{ "Pragma", "no-cache" },
		{ "Builder-Version", "1" },
		{ "Swarm", "inactive" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(h); i++)
		if (http_resp_add_header(c->req, h[i][0], h[i][1]) < 0)
			return -ENOMEM;
	return 0;
}

static int get_ping(struct api_call *c, struct berr *err)
{
	if (ping_headers(c) < 0)
		return -ENOMEM;
	http_resp_send(c->req, 200, "text/plain; charset=utf-8", "OK", 2);
	return 0;
}

static int head_ping(struct api_call *c, struct berr *err)
{
	if (ping_headers(c) < 0)
		return -ENOMEM;
	http_resp_send(c->req, 200, "text/plain; charset=utf-8", NULL, 0);
	return 0;
}

/* ---- /version ---- */

static const char *kernel_version(struct utsname *u)
{
	return uname(u) == 0 ? u->release : "";
}

static const char *go_arch(struct utsname *u)
{
	static const char *const map[][2] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "i686", "386" }, { "armv7l", "arm" },
		{ "ppc64le", "ppc64le" }, { "s390x", "s390x" }, { "riscv64", "riscv64" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (streq(u->machine, map[i][0]))
			return map[i][1];
	return u->machine;
}

static int get_version(struct api_call *c, struct berr *err)
{
	struct utsname u;
	const char *kernel = kernel_version(&u), *arch = go_arch(&u);
	json_t *details = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion", API_VERSION,
				    "Arch", arch, "BuildTime", "", "Experimental", "false", "GitCommit", "",
				    "GoVersion", "", "KernelVersion", kernel, "MinAPIVersion", API_MIN_VERSION, "Os",
				    "linux");
	json_t *v = json_pack("{s:{s:s}, s:[{s:s, s:s, s:o}], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
			      "Platform", "Name", "berth", "Components", "Name", "Engine", "Version", BERTH_VERSION,
			      "Details", details, "Version", BERTH_VERSION, "ApiVersion", API_VERSION, "MinAPIVersion",
			      API_MIN_VERSION, "GitCommit", "", "GoVersion", "", "Os", "linux", "Arch", arch,
			      "KernelVersion", kernel, "BuildTime", "");
	return api_reply_json(c, 200, v);
}

/* ---- /info ---- */

static char *os_release_value(const char *key)
{
	_cleanup_free_ char *text = NULL;
	if (read_file_at(AT_FDCWD, "/etc/os-release", &text, NULL) < 0 &&
	    read_file_at(AT_FDCWD, "/usr/lib/os-release", &text, NULL) < 0)
		return NULL;
	size_t kl = strlen(key);
	for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, kl) != 0 || line[kl] != '=')
			continue;
		char *v = line + kl + 1, *end = strchrnul(v, '\n');
		if (*v == '"' || *v == '\'') {
			v++;
			if (end > v && (end[-1] == '"' || end[-1] == '\''))
				end--;
		}
		return strndup(v, (size_t)(end - v));
	}
	return NULL;
}

static const char *backing_fs(const char *path)
{
	static const struct { long magic; const char *name; } fs[] = {
		{ 0xEF53, "extfs" },     { 0x58465342, "xfs" },      { 0x9123683E, "btrfs" },
		{ 0x01021994, "tmpfs" }, { 0x794c7630, "overlayfs" }, { 0x2FC12FC1, "zfs" },
		{ 0x6969, "nfs" },       { 0xF2F52010, "f2fs" },
	};
	struct statfs st;
	if (statfs(path, &st) < 0)
		return "<unknown>";
	for (size_t i = 0; i < ARRAY_SIZE(fs); i++)
		if ((long)st.f_type == fs[i].magic)
			return fs[i].name;
	return "<unknown>";
}

static int count_fds(void)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.';
	return n - 1; /* the directory's own fd */
}

static int count_threads(void)
{
	_cleanup_free_ char *s = NULL;
	if (read_file_at(AT_FDCWD, "/proc/self/status", &s, NULL) < 0)
		return 0;
	char *t = strstr(s, "\nThreads:");
	return t ? atoi(t + strlen("\nThreads:")) : 0;
}

static const char *cgroup_version(void)
{
	struct statfs st;
	return statfs("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC ? "2" : "1";
}

static _Atomic int event_listeners;

static json_t *info_static_parts(void)
{
	return json_pack("{s:{s:[s], s:[s,s,s], s:n, s:[s,s]}, s:o, s:{s:[], s:[], s:[s], s:{s:{s:s,s:[],s:b,s:b}}, s:[]}, "
			 "s:{s:{s:s}}, s:s, s:{s:s, s:s, s:s, s:b, s:s, s:n}, s:b, s:s, s:s}",
			 "Plugins", "Volume", "local", "Network", "bridge", "host", "null", "Authorization", "Log",
			 "json-file", "local", "GenericResources", json_null(), "RegistryConfig",
			 "AllowNondistributableArtifactsCIDRs", "AllowNondistributableArtifactsHostnames",
			 "InsecureRegistryCIDRs", "127.0.0.0/8", "IndexConfigs", "docker.io", "Name", "docker.io",
			 "Mirrors", "Secure", true, "Official", true, "Mirrors", "Runtimes", "berth", "path",
			 "berth-runtime", "DefaultRuntime", "berth", "Swarm", "NodeID", "", "NodeAddr", "",
			 "LocalNodeState", "inactive", "ControlAvailable", false, "Error", "", "RemoteManagers",
			 "LiveRestoreEnabled", false, "Isolation", "", "InitBinary", "");
}

static int count_images(struct api_call *c, size_t *ret, struct berr *err)
{
	struct image **v = NULL;
	size_t n = 0;
	int r = image_store_list(c->d->store, &v, &n, err);
	if (r < 0)
		return r;
	image_list_free(v, n);
	*ret = n;
	return 0;
}

static void set(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v);
}

static void info_host(json_t *o, struct api_call *c)
{
	struct utsname u;
	struct sysinfo si;
	char host[256] = "", now[40];
	_cleanup_free_ char *os = os_release_value("PRETTY_NAME"), *osv = os_release_value("VERSION_ID");
	gethostname(host, sizeof(host) - 1);
	api_time_rfc3339(now_ns(), now);
	set(o, "NFd", json_integer(count_fds()));
	set(o, "OomKillDisable", json_false());
	set(o, "NGoroutines", json_integer(count_threads()));
	set(o, "SystemTime", json_string(now));
	set(o, "LoggingDriver", json_string("json-file"));
	set(o, "CgroupDriver", json_string("cgroupfs"));
	set(o, "CgroupVersion", json_string(cgroup_version()));
	set(o, "NEventsListener", json_integer(event_listeners));
	set(o, "KernelVersion", json_string(kernel_version(&u)));
	set(o, "OperatingSystem", json_string(os ? os : "Linux"));
	set(o, "OSVersion", json_string(osv ? osv : ""));
	set(o, "OSType", json_string("linux"));
	set(o, "Architecture", json_string(u.machine));
	set(o, "IndexServerAddress", json_string("https://index.docker.io/v1/"));
	set(o, "NCPU", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	set(o, "MemTotal", json_integer(sysinfo(&si) == 0 ? (json_int_t)si.totalram * si.mem_unit : 0));
	set(o, "DockerRootDir", json_string(c->d->cfg->data_root));
	set(o, "HttpProxy", json_string(getenv("HTTP_PROXY") ? getenv("HTTP_PROXY") : ""));
	set(o, "HttpsProxy", json_string(getenv("HTTPS_PROXY") ? getenv("HTTPS_PROXY") : ""));
	set(o, "NoProxy", json_string(getenv("NO_PROXY") ? getenv("NO_PROXY") : ""));
	set(o, "Name", json_string(host));
	set(o, "Labels", json_array());
	set(o, "ExperimentalBuild", json_false());
	set(o, "ServerVersion", json_string(BERTH_VERSION));
}

static void info_counts(json_t *o, struct api_call *c, size_t images)
{
	const char *root = c->d->cfg->data_root;
	set(o, "ID", json_string(c->d->id));
	int total, running, paused, stopped;
	containers_counts(c->d->containers, &total, &running, &paused, &stopped);
	set(o, "Containers", json_integer(total));
	set(o, "ContainersRunning", json_integer(running));
	set(o, "ContainersPaused", json_integer(paused));
	set(o, "ContainersStopped", json_integer(stopped));
	set(o, "Images", json_integer((json_int_t)images));
	set(o, "Driver", json_string("overlay2"));
	set(o, "DriverStatus", json_pack("[[s,s],[s,s],[s,s],[s,s]]", "Backing Filesystem", backing_fs(root),
					 "Supports d_type", "true", "Native Overlay Diff", "true", "userxattr", "false"));
	static const char *const caps[] = { "MemoryLimit", "SwapLimit", "CpuCfsPeriod", "CpuCfsQuota", "CPUShares",
					    "CPUSet", "PidsLimit", "IPv4Forwarding", "BridgeNfIptables",
					    "BridgeNfIp6tables" };
	for (size_t i = 0; i < ARRAY_SIZE(caps); i++)
		set(o, caps[i], json_true());
	set(o, "Debug", json_boolean(c->d->cfg->debug || streq(c->d->cfg->log_level, "debug")));
}

static int get_info(struct api_call *c, struct berr *err)
{
	size_t images = 0;
	int r = count_images(c, &images, err);
	if (r < 0)
		return r;
	json_t *o = json_object(), *rest = info_static_parts();
	if (!o || !rest) {
		json_decref(o);
		json_decref(rest);
		return -ENOMEM;
	}
	info_counts(o, c, images);
	info_host(o, c);
	json_object_update(o, rest);
	json_decref(rest);
	set(o, "ContainerdCommit", json_pack("{s:s,s:s}", "ID", "", "Expected", ""));
	set(o, "RuncCommit", json_pack("{s:s,s:s}", "ID", "", "Expected", ""));
	set(o, "InitCommit", json_pack("{s:s,s:s}", "ID", "", "Expected", ""));
	set(o, "SecurityOptions", json_pack(streq(cgroup_version(), "2") ? "[s,s]" : "[s]",
					    "name=seccomp,profile=builtin", "name=cgroupns"));
	set(o, "Warnings", json_null());
	return api_reply_json(c, 200, o);
}

/* ---- /events ---- */

static const char *const event_filter_keys[] = { "config",  "container", "daemon", "event",  "image",
						 "label",   "network",   "node",   "plugin", "scope",
						 "secret",  "service",   "type",   "volume", NULL };

struct event_window {
	bool has_since, has_until;
	int64_t since, until;
};

static int parse_window(struct api_call *c, struct event_window *w, struct berr *err)
{
	const char *since = http_query_get(c->q, "since"), *until = http_query_get(c->q, "until");
	int64_t now = now_ns();
	int r;
	*w = (struct event_window){ .has_since = since && *since, .has_until = until && *until };
	if (w->has_since && (r = api_parse_time(since, now, &w->since, err)) < 0)
		return r;
	if (w->has_until && (r = api_parse_time(until, now, &w->until, err)) < 0)
		return r;
	if (w->has_since && w->has_until && w->since > w->until)
		return berr_set(err, BERR_INVALID, 0, "`since` time (%s) cannot be after `until` time (%s)", since,
				until);
	return 0;
}

/* Send the events after *seq that pass; false when the stream should end. */
static bool send_batch(struct api_call *c, const struct event_window *w, const struct api_filters *f,
		       uint64_t *seq, unsigned wait_ms)
{
	json_t *batch[64];
	uint64_t seqs[64];
	int n = events_read(c->d->events, *seq, wait_ms, batch, seqs, ARRAY_SIZE(batch));
	if (n < 0)
		return false;
	bool ok = true;
	for (int i = 0; i < n; i++) {
		int64_t t = events_time_ns(batch[i]);
		bool in = (!w->has_since || t >= w->since) && (!w->has_until || t <= w->until);
		if (ok && in && events_match(batch[i], f) && http_resp_write_json_line(c->req, batch[i]) < 0)
			ok = false;
		*seq = seqs[i];
		json_decref(batch[i]);
	}
	return ok;
}

static void stream_events(struct api_call *c, const struct event_window *w, const struct api_filters *f)
{
	uint64_t seq = w->has_since ? 0 : events_last_seq(c->d->events);
	for (;;) {
		if (!send_batch(c, w, f, &seq, 500) || http_req_peer_gone(c->req))
			return;
		if (w->has_until && now_ns() > w->until) {
			send_batch(c, w, f, &seq, 0); /* what arrived in the meantime */
			return;
		}
	}
}

static int get_events(struct api_call *c, struct berr *err)
{
	struct event_window w;
	_cleanup_(api_filters_release) struct api_filters f = { 0 };
	int r = parse_window(c, &w, err);
	if (r < 0 || (r = api_filters_parse(http_query_get(c->q, "filters"), &f, err)) < 0 ||
	    (r = api_filters_validate(&f, event_filter_keys, err)) < 0)
		return r;
	if (http_resp_begin(c->req, 200, "application/json", -1) < 0)
		return 0;
	event_listeners++;
	stream_events(c, &w, &f);
	event_listeners--;
	http_resp_end(c->req);
	return 0;
}

/* ---- /system/df ---- */

static bool df_wants(struct api_call *c, const char *type)
{
	bool any = false;
	for (size_t i = 0; i < c->q->n; i++)
		if (streq(c->q->v[i].name, "type")) {
			any = true;
			if (streq(c->q->v[i].value, type))
				return true;
		}
	return !any;
}

static int df_images(struct api_call *c, json_t **ret, struct berr *err)
{
	struct image **v = NULL;
	size_t n = 0;
	int r = image_store_list(c->d->store, &v, &n, err);
	if (r < 0)
		return r;
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, api_image_summary(c, v[i], true));
	image_list_free(v, n);
	if (!a)
		return -ENOMEM;
	*ret = a;
	return 0;
}

static int get_system_df(struct api_call *c, struct berr *err)
{
	uint64_t layers = 0;
	json_t *images = json_null();
	int r;
	if (df_wants(c, "image")) {
		if ((r = image_store_layers_size(c->d->store, &layers, err)) < 0 || (r = df_images(c, &images, err)) < 0)
			return r;
	}
	json_t *o = json_pack("{s:I, s:o, s:o, s:o, s:o}", "LayersSize", (json_int_t)layers, "Images", images,
			      "Containers", df_wants(c, "container") ? api_containers_summaries(c) : json_null(), "Volumes",
			      df_wants(c, "volume") ? json_array() : json_null(), "BuildCache",
			      df_wants(c, "build-cache") ? json_array() : json_null());
	return api_reply_json(c, 200, o);
}

const struct route api_system_routes[] = {
	{ "GET", "/_ping", get_ping },
	{ "HEAD", "/_ping", head_ping },
	{ "GET", "/version", get_version },
	{ "GET", "/info", get_info },
	{ "GET", "/events", get_events },
	{ "GET", "/system/df", get_system_df },
};
const size_t api_system_n_routes = ARRAY_SIZE(api_system_routes);
