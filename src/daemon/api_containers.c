/* api_containers.c - container routes: create, start, wait, attach, logs,
 * stop, kill, resize, delete, list, inspect. The lifecycle lives in
 * containers.c; this file speaks HTTP and Docker's JSON shapes. */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "common/humanize.h"
#include "common/json.h"
#include "common/jsonlog.h"
#include "container/ocispec.h"
#include "daemon/api.h"
#include "daemon/containers.h"
#include "daemon/daemon.h"
#include "daemon/filters.h"
#include "daemon/httpd.h"

#define CREATE_BODY_MAX (4u * 1024 * 1024)

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct ctr_ref {
	struct containers *m;
	struct ctr *c;
};
static void ctr_refp(struct ctr_ref *r)
{
	if (r->c)
		ctr_unref(r->m, r->c);
}
#define _cleanup_ctr_ _cleanup_(ctr_refp)

static int lookup(struct api_call *c, struct ctr_ref *ret, struct berr *err)
{
	ret->m = c->d->containers;
	return containers_get(ret->m, http_req_param(c->req, "id"), &ret->c, err);
}

static bool req_gone(void *ud)
{
	return http_req_peer_gone(ud);
}

/* ---- create ---- */

static int post_create(struct api_call *c, struct berr *err)
{
	_cleanup_json_ json_t *body = NULL;
	int r = http_req_read_json(c->req, CREATE_BODY_MAX, &body, err);
	if (r < 0)
		return r;
	if (!body)
		return berr_set(err, BERR_INVALID, 0, "invalid JSON: container config is missing");
	char id[65];
	if ((r = containers_create(c->d->containers, http_query_get(c->q, "name"), body, id, err)) < 0)
		return r;
	return api_reply_json(c, 201, json_pack("{s:s, s:[]}", "Id", id, "Warnings"));
}

/* ---- start, stop, kill, resize, delete ---- */

static int post_start(struct api_call *c, struct berr *err)
{
	_cleanup_ctr_ struct ctr_ref cr = { 0 };
	int r = lookup(c, &cr, err);
	if (r < 0)
		return r;
	r = containers_start(cr.m, cr.c, err);
	if (r < 0) {
		if (json_is_true(json_object_get(cr.c->host_config, "AutoRemove"))) {
			_cleanup_berr_ struct berr e = { 0 };
			containers_remove(cr.m, cr.c, true, &e);
		}
		return r;
	}
	http_resp_send(c->req, r == 1 ? 304 : 204, NULL, NULL, 0);
	return 0;
}

static int post_stop(struct api_call *c, struct berr *err)
{
	_cleanup_ctr_ struct ctr_ref cr = { 0 };
	int r = lookup(c, &cr, err);
	if (r < 0)
		return r;
	int64_t t = -1;
	const char *ts = http_query_get(c->q, "t");
	if (ts && *ts && safe_atoi64(ts, &t) < 0)
		return berr_set(err, BERR_INVALID, 0, "invalid value for t: %s", ts);
	if (t > 3600 * 24)
		t = 3600 * 24;
	r = containers_stop(cr.m, cr.c, (int)t, err);
	if (r < 0)
		return r;
	http_resp_send(c->req, r == 1 ? 304 : 204, NULL, NULL, 0);
	return 0;
}

static int post_kill(struct api_call *c, struct berr *err)
{
	_cleanup_ctr_ struct ctr_ref cr = { 0 };
	int r = lookup(c, &cr, err);
	if (r < 0)
		return r;
	const char *s = http_query_get(c->q, "signal");
	int sig = SIGKILL;
	if (s && *s && (sig = ctr_signal_parse(s)) <= 0)
		return berr_set(err, BERR_INVALID, 0, "Invalid signal: %s", s);
	if ((r = containers_kill(cr.m, cr.c, sig, err)) < 0)
		return r;
	http_resp_send(c->req, 204, NULL, NULL, 0);
	return 0;
}

static int post_resize(struct api_call *c, struct berr *err)
{
	_cleanup_ctr_ struct ctr_ref cr = { 0 };
	int r = lookup(c, &cr, err);
	if (r < 0)
		return r;
	int64_t h = 0, w = 0;
	const char *hs = http_query_get(c->q, "h"), *ws = http_query_get(c->q, "w");
	if ((hs && safe_atoi64(hs, &h) < 0) || (ws && safe_atoi64(ws, &w) < 0) || h < 0 || w < 0 || h > 65535 ||
	    w > 65535)
		return berr_set(err, BERR_INVALID, 0, "invalid resize size");
	if ((r = containers_resize(cr.m, cr.c, (int)h, (int)w, err)) < 0)
		return r;
	http_resp_send(c->req, 200, NULL, NULL, 0);
	return 0;
}

static int delete_container(struct api_call *c, struct berr *err)
{
	_cleanup_ctr_ struct ctr_ref cr = { 0 };
	int r = lookup(c, &cr, err);
	if (r < 0)
		return r;
	if ((r = containers_remove(cr.m, cr.c, http_query_bool(c->q, "force", false), err)) < 0)
		return r;
	http_resp_send(c->req, 204, NULL, NULL, 0);
	return 0;
}

/* ---- wait ---- */

static int post_wait(struct api_call *c, struct berr *err)
{
	const char *cond = http_query_get(c->q, "condition");
	enum ctr_wait_cond wc;
	if (!cond || !*cond || streq(cond, "not-running"))
		wc = CTR_WAIT_NOT_RUNNING;
	else if (streq(cond, "next-exit"))
		wc = CTR_WAIT_NEXT_EXIT;
	else if (streq(cond, "removed"))
		wc = CTR_WAIT_REMOVED;
	else
		return berr_set(err, BERR_INVALID, 0, "invalid condition: \"%s\"", cond);
	_cleanup_ctr_ struct ctr_ref cr = { 0 };
	int r = lookup(c, &cr, err);
	if (r < 0)
		return r;
	if (http_resp_begin(c->req, 200, "application/json", -1) < 0)
		return 0;
	int code = 0;
	r = containers_wait(cr.m, cr.c, wc, req_gone, c->req, &code);
	if (r == -ECANCELED)
		return 0;
	json_t *o = r < 0 ? json_pack("{s:i, s:{s:s}}", "StatusCode", -1, "Error", "Message", "daemon shutting down")
			  : json_pack("{s:i, s:n}", "StatusCode", code, "Error");
	_cleanup_free_ char *s = json_dump_compact(o);
	json_decref(o);
	if (s) {
		http_resp_write(c->req, s, strlen(s));
		http_resp_write(c->req, "\n", 1);
	}
	http_resp_end(c->req);
	return 0;
}

/* ---- attach ---- */

static bool fd_gone(void *ud)
{
	int fd = *(int *)ud;
	struct pollfd p = { .fd = fd, .events = 0 };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static void splice_streams(int client, int shim)
{
	char buf[32768];
	bool in_open = true;
	for (;;) {
		struct pollfd p[2] = { { .fd = shim, .events = POLLIN }, { .fd = client, .events = in_open ? POLLIN : 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			ssize_t n = read(shim, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0 || write_all(client, buf, (size_t)n) < 0)
				break;
		}
		if (p[1].revents & (POLLERR | POLLNVAL))
			break;
		if (in_open && (p[1].revents & (POLLIN | POLLHUP))) {
			ssize_t n = read(client, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				in_open = false;
				shutdown(shim, SHUT_WR);
			} else if (write_all(shim, buf, (size_t)n) < 0) {
				in_open = false;
			}
		} else if (!in_open && (p[1].revents & POLLHUP)) {
			break;
		}
	}
}

static int post_attach(struct api_call *c, struct berr *err)
{
	_cleanup_ctr_ struct ctr_ref cr = { 0 };
	int r = lookup(c, &cr, err);
	if (r < 0)
		return r;
	bool in = http_query_bool(c->q, "stdin", false), out = http_query_bool(c->q, "stdout", false),
	     errs = http_query_bool(c->q, "stderr", false);
	bool tty = json_is_true(json_object_get(cr.c->config, "Tty"));
	if (ctr_get_state(cr.m, cr.c, NULL, NULL, NULL, NULL, NULL) == CTR_EXITED)
		return berr_set(err, BERR_CONFLICT, 0, "You cannot attach to a stopped container, start it first");
	int fd = -1;
	char *early = NULL;
	size_t early_n = 0;
	if (http_resp_hijack_buf(c->req,
				 tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
				 &fd, &early, &early_n) < 0)
		return 0;
	_cleanup_close_ int cfd = fd;
	_cleanup_free_ char *eb = early;
	_cleanup_berr_ struct berr e = { 0 };
	int sfd = -1;
	if (containers_attach(cr.m, cr.c, in, out, errs, fd_gone, &cfd, &sfd, &e) < 0)
		return 0;
	_cleanup_close_ int shim = sfd;
	if (early_n && in)
		write_all(shim, early, early_n);
	splice_streams(cfd, shim);
	return 0;
}

/* ---- logs ---- */

struct logs_ctx {
	struct api_call *c;
	bool tty, ts;
	struct containers *m;
	struct ctr *ctr;
	int64_t started;
};

static int log_entry(const struct jsonlog_entry *e, void *ud)
{
	struct logs_ctx *x = ud;
	char tsbuf[64] = "";
	size_t tl = 0;
	if (x->ts) {
		time_t s = (time_t)(e->time_ns / 1000000000LL);
		struct tm tm;
		gmtime_r(&s, &tm);
		tl = strftime(tsbuf, sizeof(tsbuf), "%Y-%m-%dT%H:%M:%S", &tm);
		tl += (size_t)snprintf(tsbuf + tl, sizeof(tsbuf) - tl, ".%09lldZ ",
				       (long long)(e->time_ns % 1000000000LL));
	}
	size_t n = tl + e->len;
	if (x->tty) {
		if (tl && http_resp_write(x->c->req, tsbuf, tl) < 0)
			return 1;
		return http_resp_write(x->c->req, e->line, e->len) < 0;
	}
	_cleanup_free_ char *buf = malloc(8 + n);
	if (!buf)
		return 1;
	jsonlog_frame_header(e->stream, (uint32_t)n, (unsigned char *)buf);
	memcpy(buf + 8, tsbuf, tl);
	memcpy(buf + 8 + tl, e->line, e->len);
	return http_resp_write(x->c->req, buf, 8 + n) < 0;
}

static bool logs_stop(void *ud)
{
	struct logs_ctx *x = ud;
	if (http_req_peer_gone(x->c->req))
		return true;
	int64_t st;
	enum ctr_state s = ctr_get_state(x->m, x->ctr, NULL, NULL, &st, NULL, NULL);
	return x->ctr->removed || s != CTR_RUNNING || st != x->started;
}

static int get_logs(struct api_call *c, struct berr *err)
{
	_cleanup_ctr_ struct ctr_ref cr = { 0 };
	int r = lookup(c, &cr, err);
	if (r < 0)
		return r;
	struct jsonlog_read_opts o = {
		.stdout_ = http_query_bool(c->q, "stdout", false),
		.stderr_ = http_query_bool(c->q, "stderr", false),
		.tail = -1,
		.follow = http_query_bool(c->q, "follow", false),
	};
	if (!o.stdout_ && !o.stderr_)
		return berr_set(err, BERR_INVALID, 0, "Bad parameters: you must choose at least one stream");
	const char *tail = http_query_get(c->q, "tail"), *since = http_query_get(c->q, "since"),
		   *until = http_query_get(c->q, "until");
	if (tail && *tail && !streq(tail, "all") && (safe_atoi64(tail, &o.tail) < 0 || o.tail < 0))
		o.tail = -1;
	int64_t now = now_ns();
	if (since && *since && !streq(since, "0") && (r = api_parse_time(since, now, &o.since_ns, err)) < 0)
		return r;
	if (until && *until && !streq(until, "0") && (r = api_parse_time(until, now, &o.until_ns, err)) < 0)
		return r;
	struct logs_ctx x = { .c = c, .tty = json_is_true(json_object_get(cr.c->config, "Tty")),
			      .ts = http_query_bool(c->q, "timestamps", false), .m = cr.m, .ctr = cr.c };
	if (ctr_get_state(cr.m, cr.c, NULL, NULL, &x.started, NULL, NULL) != CTR_RUNNING)
		o.follow = false;
	if (http_resp_begin(c->req, 200,
			    x.tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream",
			    -1) < 0)
		return 0;
	if (access(cr.c->log_path, F_OK) == 0) {
		_cleanup_berr_ struct berr e = { 0 };
		jsonlog_read(cr.c->log_path, &o, log_entry, logs_stop, &x, &e);
	}
	http_resp_end(c->req);
	return 0;
}

/* ---- list and inspect ---- */

static json_t *command_of(json_t *config)
{
	_cleanup_strv_free_ char **args = NULL;
	if (ctr_config_args(config, &args) < 0)
		return json_string("");
	_cleanup_free_ char *s = strv_join(args, " ");
	return json_string(s ? s : "");
}

static json_t *network_mode(struct ctr *c)
{
	const char *nm = json_string_value(json_object_get(c->host_config, "NetworkMode"));
	return json_string(nm && *nm ? nm : "bridge");
}

static json_t *summary(struct api_call *c, struct ctr *ct)
{
	int code;
	int64_t started, finished;
	enum ctr_state s = ctr_get_state(c->d->containers, ct, NULL, &code, &started, &finished, NULL);
	char status[160], hb[64];
	int64_t now = now_ns();
	if (s == CTR_RUNNING)
		snprintf(status, sizeof(status), "Up %s", human_duration(now - started, hb));
	else if (s == CTR_EXITED)
		snprintf(status, sizeof(status), "Exited (%d) %s ago", code, human_duration(now - finished, hb));
	else
		snprintf(status, sizeof(status), "Created");
	json_t *labels = json_object_get(ct->config, "Labels");
	return json_pack("{s:s, s:[s], s:s, s:s, s:o, s:I, s:s, s:s, s:[], s:O, s:{s:o}, s:{s:{}}, s:[]}", "Id", ct->id,
			 "Names", ct->name, "Image", ct->image_name, "ImageID", ct->image_id, "Command",
			 command_of(ct->config), "Created", (json_int_t)(ct->created_ns / 1000000000LL), "State",
			 s == CTR_RUNNING ? "running" : s == CTR_EXITED ? "exited" : "created", "Status", status,
			 "Ports", "Labels", json_is_object(labels) ? labels : json_object(), "HostConfig", "NetworkMode",
			 network_mode(ct), "NetworkSettings", "Networks", "Mounts");
}

static int get_list(struct api_call *c, struct berr *err)
{
	bool all = http_query_bool(c->q, "all", false);
	struct api_filters f = { 0 };
	int r = api_filters_parse(http_query_get(c->q, "filters"), &f, err);
	if (r < 0)
		return r;
	struct ctr **v = NULL;
	size_t n = 0;
	if ((r = containers_list(c->d->containers, &v, &n)) < 0) {
		api_filters_release(&f);
		return r;
	}
	json_t *arr = json_array();
	int64_t limit = -1;
	const char *ls = http_query_get(c->q, "limit");
	if (ls && *ls)
		safe_atoi64(ls, &limit);
	for (size_t i = 0; i < n; i++) {
		struct ctr *ct = v[i];
		enum ctr_state s = ctr_get_state(c->d->containers, ct, NULL, NULL, NULL, NULL, NULL);
		const char *sn = s == CTR_RUNNING ? "running" : s == CTR_EXITED ? "exited" : "created";
		bool has_status = api_filters_get(&f, "status") != NULL;
		if (!all && !has_status && s != CTR_RUNNING)
			continue;
		if (!api_filters_match_exact(&f, "status", sn) ||
		    !api_filters_match_labels(&f, "label", json_object_get(ct->config, "Labels")))
			continue;
		char *const *names = api_filters_get(&f, "name");
		if (names) {
			bool ok = false;
			for (size_t k = 0; names[k] && !ok; k++)
				ok = strstr(ct->name, names[k]) != NULL;
			if (!ok)
				continue;
		}
		char *const *ids = api_filters_get(&f, "id");
		if (ids) {
			bool ok = false;
			for (size_t k = 0; ids[k] && !ok; k++)
				ok = str_startswith(ct->id, ids[k]);
			if (!ok)
				continue;
		}
		if (limit > 0 && (int64_t)json_array_size(arr) >= limit)
			break;
		json_array_append_new(arr, summary(c, ct));
	}
	containers_list_free(c->d->containers, v, n);
	api_filters_release(&f);
	return api_reply_json(c, 200, arr);
}

static int get_inspect(struct api_call *c, struct berr *err)
{
	_cleanup_ctr_ struct ctr_ref cr = { 0 };
	int r = lookup(c, &cr, err);
	if (r < 0)
		return r;
	struct ctr *ct = cr.c;
	int pid, code;
	int64_t started, finished;
	_cleanup_free_ char *error = NULL;
	enum ctr_state s = ctr_get_state(cr.m, ct, &pid, &code, &started, &finished, &error);
	char created[40], st[40], fin[40];
	api_time_rfc3339(ct->created_ns, created);
	api_time_rfc3339(started, st);
	api_time_rfc3339(finished, fin);
	_cleanup_strv_free_ char **args = NULL;
	ctr_config_args(ct->config, &args);
	json_t *jargs = json_array();
	for (size_t i = 1; args && args[i]; i++)
		json_array_append_new(jargs, json_string(args[i]));
	_cleanup_free_ char *hn = NULL, *hs = NULL, *rc = NULL, *merged = NULL, *upper = NULL, *work = NULL;
	if (asprintf(&hn, "%s/hostname", ct->dir) < 0 || asprintf(&hs, "%s/hosts", ct->dir) < 0 ||
	    asprintf(&rc, "%s/resolv.conf", ct->dir) < 0 || asprintf(&merged, "%s/merged", ct->dir) < 0 ||
	    asprintf(&upper, "%s/upper", ct->dir) < 0 || asprintf(&work, "%s/work", ct->dir) < 0)
		return -ENOMEM;
	const char *nm = json_string_value(json_object_get(ct->host_config, "NetworkMode"));
	json_t *nets = json_object();
	if (nm && !streq(nm, "none") && !streq(nm, "host"))
		nets = nets; /* no bridge yet: loopback only */
	json_t *o = json_pack(
		"{s:s, s:s, s:s, s:o, s:{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s}, s:s, s:s, s:s, s:s, "
		"s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:n, s:O, s:{s:n, s:{s:s, s:s, s:s}, s:s}, s:[], s:O}",
		"Id", ct->id, "Created", created, "Path", args && args[0] ? args[0] : "", "Args", jargs, "State",
		"Status", s == CTR_RUNNING ? "running" : s == CTR_EXITED ? "exited" : "created", "Running",
		s == CTR_RUNNING, "Paused", 0, "Restarting", 0, "OOMKilled", 0, "Dead", 0, "Pid",
		s == CTR_RUNNING ? pid : 0, "ExitCode", code, "Error", error ? error : "", "StartedAt", st,
		"FinishedAt", fin, "Image", ct->image_id, "ResolvConfPath", rc, "HostnamePath", hn, "HostsPath", hs,
		"LogPath", ct->log_path, "Name", ct->name, "RestartCount", 0, "Driver", "overlay2", "Platform", "linux",
		"MountLabel", "", "ProcessLabel", "", "AppArmorProfile", "", "ExecIDs", "HostConfig", ct->host_config,
		"GraphDriver", "Data", "Data", "MergedDir", merged, "UpperDir", upper, "WorkDir", work, "Name",
		"overlay2", "Mounts", "Config", ct->config);
	if (!o) {
		json_decref(nets);
		return -ENOMEM;
	}
	json_object_set_new(o, "NetworkSettings",
			    json_pack("{s:s, s:b, s:{}, s:s, s:n, s:n, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:o}",
				      "Bridge", "", "HairpinMode", 0, "Ports", "SandboxKey", "",
				      "SecondaryIPAddresses", "SecondaryIPv6Addresses", "EndpointID", "", "Gateway", "",
				      "IPPrefixLen", 0, "IPAddress", "", "MacAddress", "", "GlobalIPv6PrefixLen", 0,
				      "GlobalIPv6Address", "", "Networks", nets));
	return api_reply_json(c, 200, o);
}

const struct route api_containers_routes[] = {
	{ "GET", "/containers/json", get_list },
	{ "POST", "/containers/create", post_create },
	{ "GET", "/containers/{id}/json", get_inspect },
	{ "GET", "/containers/{id}/logs", get_logs },
	{ "POST", "/containers/{id}/start", post_start },
	{ "POST", "/containers/{id}/stop", post_stop },
	{ "POST", "/containers/{id}/kill", post_kill },
	{ "POST", "/containers/{id}/wait", post_wait },
	{ "POST", "/containers/{id}/attach", post_attach },
	{ "POST", "/containers/{id}/resize", post_resize },
	{ "DELETE", "/containers/{id}", delete_container },
};
const size_t api_containers_n_routes = ARRAY_SIZE(api_containers_routes);

json_t *api_containers_summaries(struct api_call *c)
{
	struct ctr **v = NULL;
	size_t n = 0;
	json_t *arr = json_array();
	if (!arr || containers_list(c->d->containers, &v, &n) < 0)
		return arr;
	for (size_t i = 0; i < n; i++) {
		json_t *s = summary(c, v[i]);
		if (!s)
			continue;
		json_object_set_new(s, "SizeRw", json_integer(0));
		json_object_set_new(s, "SizeRootFs", json_integer(0));
		json_array_append_new(arr, s);
	}
	containers_list_free(c->d->containers, v, n);
	return arr;
}
