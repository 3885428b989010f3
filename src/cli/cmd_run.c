/* cmd_run.c - `berth run` and `berth create`: the create body built the
 * way the docker CLI builds it, then docker's run sequence (§2.1): create,
 * attach (hijacked, Upgrade: tcp) unless -d, wait?condition=next-exit (or
 * removed with --rm) whose response head must arrive before start, start,
 * resize, stream copy, exit with the wait's StatusCode. */
#include <ctype.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"

/* ---- flag values ---- */

/* go-units RAMInBytes: "512m", "1g", "1024", "1.5GB" (binary multiples). */
static int parse_ram(const char *s, int64_t *ret)
{
	char *end;
	double v = strtod(s, &end);
	int64_t mul = 1;

	if (end == s || v < 0)
		return -EINVAL;
	char u = (char)tolower((unsigned char)*end);
	if (*end) {
		const char *units = "bkmgtp";
		const char *p = strchr(units, u);
		if (!p)
			return -EINVAL;
		for (long i = p - units; i > 0; i--)
			mul *= 1024;
		end++;
		if (*end == 'i' || *end == 'I')
			end++;
		if ((*end == 'b' || *end == 'B') && u != 'b')
			end++;
		if (*end)
			return -EINVAL;
	}
	*ret = (int64_t)(v * (double)mul);
	return 0;
}

static int env_add(json_t *env, const char *e)
{
	if (!strchr(e, '=')) {
		const char *v = getenv(e);
		if (v) {
			json_array_append_new(env, json_sprintf("%s=%s", e, v));
			return 0;
		}
	}
	return json_array_append_new(env, json_string(e));
}

static int env_file_add(json_t *env, const char *path)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		if (!strchr(p, '=') && !getenv(p))
			continue;
		env_add(env, p);
	}
	free(line);
	fclose(f);
	return 0;
}

static json_t *kv_map(const char **l, size_t n)
{
	json_t *m = json_object();
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(l[i], '=');
		_cleanup_free_ char *k = eq ? strndup(l[i], (size_t)(eq - l[i])) : strdup(l[i]);
		json_object_set_new(m, k, json_string(eq ? eq + 1 : ""));
	}
	return m;
}

static json_t *str_list(const struct cli_args *a, const char *name, bool null_if_empty)
{
	size_t n;
	const char **l = cli_flag_list(a, name, &n);
	json_t *arr;

	if (!n && null_if_empty)
		return json_null();
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(l[i]));
	return arr;
}

/* opts.normalizeCapabilities: upper case, "CAP_" prefix, "ALL" kept. */
static json_t *cap_list(const struct cli_args *a, const char *name)
{
	size_t n;
	const char **l = cli_flag_list(a, name, &n);
	json_t *arr;

	if (!n)
		return json_null();
	arr = json_array();
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *u = strdup(l[i]);
		for (char *p = u; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (!strcmp(u, "ALL") || !strncmp(u, "CAP_", 4))
			json_array_append_new(arr, json_string(u));
		else
			json_array_append_new(arr, json_sprintf("CAP_%s", u));
	}
	return arr;
}

static int parse_ulimit(const char *s, json_t *out)
{
	const char *eq = strchr(s, '=');
	char *end;
	long long soft, hard;

	if (!eq)
		return -EINVAL;
	soft = strtoll(eq + 1, &end, 10);
	if (end == eq + 1)
		return -EINVAL;
	hard = soft;
	if (*end == ':') {
		const char *h = end + 1;
		hard = strtoll(h, &end, 10);
		if (end == h)
			return -EINVAL;
	}
	if (*end)
		return -EINVAL;
	_cleanup_free_ char *name = strndup(s, (size_t)(eq - s));
	return json_array_append_new(out, json_pack("{s:s, s:I, s:I}", "Name", name, "Hard", (json_int_t)hard,
						    "Soft", (json_int_t)soft));
}

static int parse_device(const char *s, json_t *out)
{
	_cleanup_free_ char *dup = strdup(s);
	char *parts[3] = { 0 };
	int n = 0;

	for (char *p = dup, *tok; n < 3 && (tok = strsep(&p, ":"));)
		parts[n++] = tok;
	const char *host = parts[0], *ctr = n > 1 ? parts[1] : parts[0], *perm = n > 2 ? parts[2] : "rwm";
	if (n == 2 && strspn(parts[1], "rwm") == strlen(parts[1]) && parts[1][0] != '/')
		ctr = parts[0], perm = parts[1];
	if (!*host)
		return -EINVAL;
	return json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "PathOnHost", host, "PathInContainer", ctr,
						    "CgroupPermissions", perm));
}

static int flag_error(const char *fmt, const char *v)
{
	fprintf(stderr, "invalid argument \"%s\" for \"%s\" flag\nSee 'berth run --help'.\n", v, fmt);
	return -EINVAL;
}

void cli_terminal_size(int fd, unsigned *rows, unsigned *cols)
{
	struct winsize ws = { 0 };
	*rows = *cols = 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0)
		*rows = ws.ws_row, *cols = ws.ws_col;
}

/* The create body (Config + HostConfig + NetworkingConfig). */
int run_build_body(const struct cli_args *a, bool detach, json_t **ret)
{
	bool tty = cli_flag_bool(a, "tty"), in = cli_flag_bool(a, "interactive");
	json_t *env = json_array(), *cmd = json_null(), *entry = json_null(), *hc, *cfg, *ul, *dev;
	const char *s;
	size_t n;
	const char **l;
	int64_t mem = 0, shm = 0, pids = 0;
	double cpus = 0;

	l = cli_flag_list(a, "env-file", &n);
	for (size_t i = 0; i < n; i++)
		if (env_file_add(env, l[i]) < 0) {
			fprintf(stderr, "berth: open %s: %s\n\nRun 'berth %s --help' for more information\n", l[i],
				strerror(errno), a->name);
			json_decref(env);
			return -EINVAL;
		}
	l = cli_flag_list(a, "env", &n);
	for (size_t i = 0; i < n; i++)
		env_add(env, l[i]);
	if (a->argc > 1) {
		cmd = json_array();
		for (int i = 1; i < a->argc; i++)
			json_array_append_new(cmd, json_string(a->argv[i]));
	}
	if (cli_flag_set(a, "entrypoint"))
		entry = json_pack("[s]", cli_flag_str(a, "entrypoint"));
	if ((s = cli_flag_str(a, "memory")) && *s && parse_ram(s, &mem) < 0)
		return json_decref(env), flag_error("-m, --memory", s);
	if ((s = cli_flag_str(a, "shm-size")) && *s && parse_ram(s, &shm) < 0)
		return json_decref(env), flag_error("--shm-size", s);
	if ((s = cli_flag_str(a, "cpus")) && *s) {
		char *end;
		cpus = strtod(s, &end);
		if (*end || cpus < 0)
			return json_decref(env), flag_error("--cpus", s);
	}
	if ((s = cli_flag_str(a, "pids-limit")) && *s) {
		char *end;
		pids = strtoll(s, &end, 10);
		if (*end)
			return json_decref(env), flag_error("--pids-limit", s);
	}
	ul = json_array();
	l = cli_flag_list(a, "ulimit", &n);
	for (size_t i = 0; i < n; i++)
		if (parse_ulimit(l[i], ul) < 0)
			return json_decref(env), json_decref(ul), flag_error("--ulimit", l[i]);
	dev = json_array();
	l = cli_flag_list(a, "device", &n);
	for (size_t i = 0; i < n; i++)
		if (parse_device(l[i], dev) < 0)
			return json_decref(env), json_decref(ul), json_decref(dev), flag_error("--device", l[i]);

	const char *net = cli_flag_str(a, "network");
	if (!*net)
		net = "default";
	unsigned rows = 0, cols = 0;
	if (isatty(1))
		cli_terminal_size(1, &rows, &cols);
	size_t nl;
	const char **labels = cli_flag_list(a, "label", &nl);
	l = cli_flag_list(a, "sysctl", &n);

	hc = json_object();
	json_object_set_new(hc, "Binds", json_null());
	json_object_set_new(hc, "ContainerIDFile", json_string(""));
	json_object_set_new(hc, "LogConfig", json_pack("{s:s, s:{}}", "Type", "", "Config"));
	json_object_set_new(hc, "NetworkMode", json_string(net));
	json_object_set_new(hc, "PortBindings", json_object());
	json_object_set_new(hc, "RestartPolicy", json_pack("{s:s, s:i}", "Name", "no", "MaximumRetryCount", 0));
	json_object_set_new(hc, "AutoRemove", json_boolean(cli_flag_bool(a, "rm")));
	json_object_set_new(hc, "VolumeDriver", json_string(""));
	json_object_set_new(hc, "VolumesFrom", json_null());
	json_object_set_new(hc, "ConsoleSize", json_pack("[i, i]", (int)rows, (int)cols));
	json_object_set_new(hc, "CapAdd", cap_list(a, "cap-add"));
	json_object_set_new(hc, "CapDrop", cap_list(a, "cap-drop"));
	json_object_set_new(hc, "CgroupnsMode", json_string(""));
	json_object_set_new(hc, "Dns", json_array());
	json_object_set_new(hc, "DnsOptions", json_array());
	json_object_set_new(hc, "DnsSearch", json_array());
	json_object_set_new(hc, "ExtraHosts", json_null());
	json_object_set_new(hc, "GroupAdd", json_null());
	json_object_set_new(hc, "IpcMode", json_string(""));
	json_object_set_new(hc, "Cgroup", json_string(""));
	json_object_set_new(hc, "Links", json_null());
	json_object_set_new(hc, "OomScoreAdj", json_integer(0));
	json_object_set_new(hc, "PidMode", json_string(""));
	json_object_set_new(hc, "Privileged", json_boolean(cli_flag_bool(a, "privileged")));
	json_object_set_new(hc, "PublishAllPorts", json_false());
	json_object_set_new(hc, "ReadonlyRootfs", json_boolean(cli_flag_bool(a, "read-only")));
	json_object_set_new(hc, "SecurityOpt", str_list(a, "security-opt", true));
	if (n)
		json_object_set_new(hc, "Sysctls", kv_map(l, n));
	json_object_set_new(hc, "UTSMode", json_string(""));
	json_object_set_new(hc, "UsernsMode", json_string(""));
	json_object_set_new(hc, "ShmSize", json_integer(shm));
	json_object_set_new(hc, "Isolation", json_string(""));
	json_object_set_new(hc, "CpuShares", json_integer(0));
	json_object_set_new(hc, "Memory", json_integer(mem));
	json_object_set_new(hc, "NanoCpus", json_integer((json_int_t)(cpus * 1e9 + 0.5)));
	json_object_set_new(hc, "CgroupParent", json_string(""));
	json_object_set_new(hc, "BlkioWeight", json_integer(0));
	json_object_set_new(hc, "BlkioWeightDevice", json_array());
	json_object_set_new(hc, "BlkioDeviceReadBps", json_array());
	json_object_set_new(hc, "BlkioDeviceWriteBps", json_array());
	json_object_set_new(hc, "BlkioDeviceReadIOps", json_array());
	json_object_set_new(hc, "BlkioDeviceWriteIOps", json_array());
	json_object_set_new(hc, "CpuPeriod", json_integer(0));
	json_object_set_new(hc, "CpuQuota", json_integer(0));
	json_object_set_new(hc, "CpuRealtimePeriod", json_integer(0));
	json_object_set_new(hc, "CpuRealtimeRuntime", json_integer(0));
	json_object_set_new(hc, "CpusetCpus", json_string(""));
	json_object_set_new(hc, "CpusetMems", json_string(""));
	json_object_set_new(hc, "Devices", dev);
	json_object_set_new(hc, "DeviceCgroupRules", json_null());
	json_object_set_new(hc, "DeviceRequests", json_null());
	json_object_set_new(hc, "MemoryReservation", json_integer(0));
	json_object_set_new(hc, "MemorySwap", json_integer(0));
	json_object_set_new(hc, "MemorySwappiness", json_integer(-1));
	json_object_set_new(hc, "OomKillDisable", json_false());
	json_object_set_new(hc, "PidsLimit", json_integer(pids));
	json_object_set_new(hc, "Ulimits", ul);
	json_object_set_new(hc, "CpuCount", json_integer(0));
	json_object_set_new(hc, "CpuPercent", json_integer(0));
	json_object_set_new(hc, "IOMaximumIOps", json_integer(0));
	json_object_set_new(hc, "IOMaximumBandwidth", json_integer(0));
	if (cli_flag_set(a, "init"))
		json_object_set_new(hc, "Init", json_boolean(cli_flag_bool(a, "init")));
	json_object_set_new(hc, "MaskedPaths", json_null());
	json_object_set_new(hc, "ReadonlyPaths", json_null());

	cfg = json_object();
	json_object_set_new(cfg, "Hostname", json_string(cli_flag_str(a, "hostname")));
	json_object_set_new(cfg, "Domainname", json_string(""));
	json_object_set_new(cfg, "User", json_string(cli_flag_str(a, "user")));
	json_object_set_new(cfg, "AttachStdin", json_boolean(!detach && in));
	json_object_set_new(cfg, "AttachStdout", json_boolean(!detach));
	json_object_set_new(cfg, "AttachStderr", json_boolean(!detach));
	json_object_set_new(cfg, "Tty", json_boolean(tty));
	json_object_set_new(cfg, "OpenStdin", json_boolean(in));
	json_object_set_new(cfg, "StdinOnce", json_boolean(!detach && in));
	json_object_set_new(cfg, "Env", json_array_size(env) ? env : (json_decref(env), json_null()));
	json_object_set_new(cfg, "Cmd", cmd);
	json_object_set_new(cfg, "Image", json_string(a->argv[0]));
	json_object_set_new(cfg, "Volumes", json_object());
	json_object_set_new(cfg, "WorkingDir", json_string(cli_flag_str(a, "workdir")));
	json_object_set_new(cfg, "Entrypoint", entry);
	json_object_set_new(cfg, "OnBuild", json_null());
	json_object_set_new(cfg, "Labels", kv_map(labels, nl));
	if ((s = cli_flag_str(a, "stop-signal")) && *s)
		json_object_set_new(cfg, "StopSignal", json_string(s));
	if ((s = cli_flag_str(a, "stop-timeout")) && *s)
		json_object_set_new(cfg, "StopTimeout", json_integer(atoi(s)));
	json_object_set_new(cfg, "HostConfig", hc);
	json_object_set_new(cfg, "NetworkingConfig",
			    !strcmp(net, "default") ?
				    json_pack("{s:{s:{s:n, s:n, s:n, s:n, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:i, s:i, s:s, s:n}}}",
					      "EndpointsConfig", "default", "IPAMConfig", "Links", "Aliases", "DriverOpts",
					      "MacAddress", "", "NetworkID", "", "EndpointID", "", "GwPriority", 0, "Gateway", "",
					      "IPAddress", "", "IPv6Gateway", "", "IPPrefixLen", 0, "GlobalIPv6PrefixLen", 0,
					      "GlobalIPv6Address", "", "DNSNames") :
				    json_pack("{s:{}}", "EndpointsConfig"));
	*ret = cfg;
	return 0;
}

/* ---- errors ---- */

/* "berth: <msg>\n\nRun 'berth run --help' for more information" */
static void report_error(const struct cli_args *a, const char *msg)
{
	fprintf(stderr, "berth: %s\n\nRun 'berth %s --help' for more information\n", msg, a->name);
}

static int daemon_error_text(struct hclient_resp *r, char **ret)
{
	_cleanup_berr_ struct berr err = { 0 };
	hclient_resp_to_error(r, &err);
	return asprintf(ret, "Error response from daemon: %s", err.msg ? err.msg : "unknown error") < 0 ? -ENOMEM : 0;
}

static int status_from_error(const char *msg)
{
	if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory") ||
	    strstr(msg, "system cannot find the file specified"))
		return 127;
	if (strstr(msg, "permission denied") || strstr(msg, "is a directory"))
		return 126;
	return 125;
}

/* ---- create ---- */

static int pull_image(struct cli *c, const struct cli_args *a, const char *image)
{
	_cleanup_free_ char *target = NULL, *msg = NULL, *name = NULL;
	const char *slash = strrchr(image, '/'), *colon = strrchr(image, ':'), *at = strchr(image, '@');
	const char *tag = "latest";
	struct hclient_resp *resp;
	struct query q;
	int r;

	if (at)
		name = strndup(image, (size_t)(at - image)), tag = at + 1;
	else if (colon && (!slash || colon > slash))
		name = strndup(image, (size_t)(colon - image)), tag = colon + 1;
	else
		name = strdup(image);
	query_init(&q, "/images/create");
	query_add(&q, "fromImage", name);
	query_add(&q, "tag", tag);
	target = query_finish(&q);
	struct cli_request req = { .method = "POST", .target = target, .body_fd = -1 };
	r = cli_call_raw(c, &req, &resp);
	if (r < 0)
		return r;
	if (hclient_resp_status(resp) >= 400) {
		daemon_error_text(resp, &msg);
		hclient_resp_free(resp);
		report_error(a, msg);
		return -EIO;
	}
	r = jsonmsg_display(resp, stderr, false);
	hclient_resp_free(resp);
	return r;
}

/* POST /containers/create; prints errors; returns the id (malloc'ed). */
static int create_container(struct cli *c, const struct cli_args *a, bool detach, char **ret_id)
{
	_cleanup_free_ char *target = NULL, *body = NULL;
	json_t *cfg = NULL, *reply = NULL;
	struct query q;
	int r;

	if (run_build_body(a, detach, &cfg) < 0)
		return -EINVAL;
	body = json_dumps(cfg, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(cfg);
	query_init(&q, "/containers/create");
	if (*cli_flag_str(a, "name"))
		query_add(&q, "name", cli_flag_str(a, "name"));
	target = query_finish(&q);
	struct cli_request req = { .method = "POST", .target = target, .body = body, .body_len = strlen(body),
				   .body_fd = -1, .content_type = "application/json" };
	for (int attempt = 0;; attempt++) {
		struct hclient_resp *resp;
		r = cli_call_raw(c, &req, &resp);
		if (r < 0)
			return r;
		int status = hclient_resp_status(resp);
		if (status == 404 && attempt == 0) {
			hclient_resp_free(resp);
			fprintf(stderr, "Unable to find image '%s' locally\n", a->argv[0]);
			if ((r = pull_image(c, a, a->argv[0])) < 0)
				return r;
			continue;
		}
		if (status >= 400) {
			_cleanup_free_ char *msg = NULL;
			daemon_error_text(resp, &msg);
			hclient_resp_free(resp);
			report_error(a, msg);
			return -EIO;
		}
		_cleanup_berr_ struct berr err = { 0 };
		r = hclient_resp_json(resp, &reply, &err);
		hclient_resp_free(resp);
		if (r < 0) {
			report_error(a, err.msg ? err.msg : "invalid reply");
			return r;
		}
		break;
	}
	const char *id = json_string_value(json_object_get(reply, "Id"));
	json_t *w = json_object_get(reply, "Warnings"), *e;
	size_t i;
	json_array_foreach(w, i, e)
		fprintf(stderr, "WARNING: %s\n", json_string_value(e));
	*ret_id = strdup(id ? id : "");
	json_decref(reply);
	return 0;
}

int cmd_create(struct cli *c, const struct cli_args *a)
{
	_cleanup_free_ char *id = NULL;

	if (cli_connect(c) < 0)
		return 1;
	if (create_container(c, a, true, &id) < 0)
		return 125;
	printf("%s\n", id);
	return 0;
}

/* ---- run ---- */

static int post_simple(struct cli *c, const char *target, char **ret_msg)
{
	struct cli_request req = { .method = "POST", .target = target, .body_fd = -1 };
	struct hclient_resp *resp;
	int r = cli_call_raw(c, &req, &resp);

	if (r < 0)
		return r;
	if (hclient_resp_status(resp) >= 400) {
		if (ret_msg)
			daemon_error_text(resp, ret_msg);
		else
			cli_daemon_error(resp);
		hclient_resp_free(resp);
		return -EIO;
	}
	hclient_resp_free(resp);
	return 0;
}

int cmd_run(struct cli *c, const struct cli_args *a)
{
	bool detach = cli_flag_bool(a, "detach"), tty = cli_flag_bool(a, "tty");
	bool in = cli_flag_bool(a, "interactive"), autorm = cli_flag_bool(a, "rm");
	_cleanup_free_ char *id = NULL, *target = NULL, *msg = NULL;
	struct hclient *wc = NULL;
	struct hclient_resp *wresp = NULL;
	struct cli_stream st = { .fd = -1 };
	int r, status = 0;

	if (cli_connect(c) < 0)
		return 125;
	if (create_container(c, a, detach, &id) < 0)
		return 125;
	if (!detach) {
		if (cli_attach(c, id, true, in, tty, &st) < 0) {
			report_error(a, "failed to attach to the container");
			return 125;
		}
	}
	/* the wait: its response head before start */
	if (asprintf(&target, "/containers/%s/wait?condition=%s", id, autorm ? "removed" : "next-exit") < 0)
		return 125;
	if (cli_open_extra(c, "POST", target, false, &wc, &wresp) < 0 || hclient_resp_status(wresp) >= 400) {
		if (wresp)
			daemon_error_text(wresp, &msg);
		report_error(a, msg ? msg : "failed to wait for the container");
		r = 125;
		goto out;
	}
	free(target);
	target = NULL;
	if (asprintf(&target, "/containers/%s/start", id) < 0)
		return 125;
	if (post_simple(c, target, &msg) < 0) {
		if (msg)
			report_error(a, msg);
		r = msg ? status_from_error(msg) : 125;
		if (st.fd >= 0)
			close(st.fd);
		goto out;
	}
	if (detach) {
		/* Like docker: the wait was only sent; don't sit draining it. */
		hclient_resp_abandon(TAKE_PTR(wresp));
		printf("%s\n", id);
		r = 0;
		goto out;
	}
	st.id = id;
	r = cli_stream_run(c, &st);
	if (r == 1) { /* detached by the keys */
		r = 0;
		goto out;
	}
	r = cli_wait_status(wresp, &status);
	if (r < 0) {
		r = 125;
		goto out;
	}
	r = status;
out:
	if (wresp)
		hclient_resp_free(wresp);
	hclient_free(wc);
	return r;
}
