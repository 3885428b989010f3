/* cmd_container.c - container lifecycle commands: start, stop, restart,
 * kill, rm, wait, attach, logs and `container inspect`; plus the argument
 * pre-scan that makes run/create stop parsing flags at the image name. */
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/humanize.h"

static const struct cli_opt *opt_by_short(const struct cli_cmd *cmd, char ch)
{
	for (const struct cli_opt *o = cmd->opts; o && o->name; o++)
		if (o->shorthand == ch)
			return o;
	return NULL;
}

static const struct cli_opt *opt_by_long(const struct cli_cmd *cmd, const char *s, size_t len)
{
	for (const struct cli_opt *o = cmd->opts; o && o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, s, len))
			return o;
	return NULL;
}

int cli_args_stop_at_positional(const struct cli_cmd *cmd, int argc, char **argv, char ***ret_argv)
{
	int i;

	*ret_argv = NULL;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return argc;
		if (a[0] != '-' || !a[1])
			break;
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			const struct cli_opt *o = opt_by_long(cmd, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
			if (o && o->type != OPT_BOOL && !eq)
				i++;
			continue;
		}
		for (const char *p = a + 1; *p; p++) {
			const struct cli_opt *o = opt_by_short(cmd, *p);
			if (!o || p[1] == '=')
				break;
			if (o->type != OPT_BOOL) {
				if (!p[1])
					i++;
				break;
			}
		}
	}
	if (i >= argc)
		return argc;
	char **nv = calloc((size_t)argc + 2, sizeof(*nv));
	if (!nv)
		abort();
	memcpy(nv, argv, (size_t)i * sizeof(*nv));
	nv[i] = (char *)"--";
	memcpy(nv + i + 1, argv + i, (size_t)(argc - i) * sizeof(*nv));
	*ret_argv = nv;
	return argc + 1;
}

/* POST/DELETE <target>; 0, -ENOENT for 404 (message in *ret_msg), <0. */
static int simple_call(struct cli *c, const char *method, const char *target, char **ret_msg, json_t **ret_json)
{
	struct cli_request req = { .method = method, .target = target, .body_fd = -1 };
	struct hclient_resp *resp;
	int r = cli_call_raw(c, &req, &resp);

	if (r < 0)
		return r;
	int status = hclient_resp_status(resp);
	if (status >= 400) {
		_cleanup_berr_ struct berr err = { 0 };
		hclient_resp_to_error(resp, &err);
		hclient_resp_free(resp);
		if (asprintf(ret_msg, "Error response from daemon: %s", err.msg ? err.msg : "unknown error") < 0)
			return -ENOMEM;
		return status == 404 ? -ENOENT : -EIO;
	}
	if (ret_json) {
		_cleanup_berr_ struct berr err = { 0 };
		r = hclient_resp_json(resp, ret_json, &err);
		if (r < 0 && asprintf(ret_msg, "%s", err.msg ? err.msg : "invalid reply") < 0)
			r = -ENOMEM;
	}
	hclient_resp_free(resp);
	return r;
}

/* For every argument: call, print the argument on success. */
static int each(struct cli *c, const struct cli_args *a, const char *method, const char *fmt, const char *query,
		bool ignore_404)
{
	int status = 0;

	if (cli_connect(c) < 0)
		return 1;
	for (int i = 0; i < a->argc; i++) {
		_cleanup_free_ char *target = NULL, *msg = NULL;
		if (asprintf(&target, fmt, a->argv[i], query) < 0)
			return 1;
		int r = simple_call(c, method, target, &msg, NULL);
		if (r < 0) {
			if (msg)
				fprintf(stderr, "%s\n", msg);
			if (!(ignore_404 && r == -ENOENT))
				status = 1;
			if (!c->hc)
				break;
			continue;
		}
		printf("%s\n", a->argv[i]);
	}
	return status;
}

static const char *timeout_query(const struct cli_args *a, char *buf, size_t n)
{
	const char *t = cli_flag_str(a, "time");
	const char *s = cli_flag_str(a, "signal");
	size_t k = 0;

	buf[0] = 0;
	if (*t)
		k += (size_t)snprintf(buf + k, n - k, "%st=%s", k ? "&" : "?", t);
	if (*s)
		snprintf(buf + k, n - k, "%ssignal=%s", k ? "&" : "?", s);
	return buf;
}

int cmd_stop(struct cli *c, const struct cli_args *a)
{
	char q[128];
	return each(c, a, "POST", "/containers/%s/stop%s", timeout_query(a, q, sizeof(q)), false);
}

int cmd_restart(struct cli *c, const struct cli_args *a)
{
	char q[128];
	return each(c, a, "POST", "/containers/%s/restart%s", timeout_query(a, q, sizeof(q)), false);
}

int cmd_kill(struct cli *c, const struct cli_args *a)
{
	char q[128] = "";
	const char *s = cli_flag_str(a, "signal");
	if (*s)
		snprintf(q, sizeof(q), "?signal=%s", s);
	return each(c, a, "POST", "/containers/%s/kill%s", q, false);
}

int cmd_rm(struct cli *c, const struct cli_args *a)
{
	char q[64] = "";
	bool force = cli_flag_bool(a, "force"), vol = cli_flag_bool(a, "volumes"), link = cli_flag_bool(a, "link");
	snprintf(q, sizeof(q), "%s%s%s%s", force || vol || link ? "?" : "", force ? "force=1" : "",
		 vol ? (force ? "&v=1" : "v=1") : "", link ? (force || vol ? "&link=1" : "link=1") : "");
	/* docker trims slashes from the argument */
	for (int i = 0; i < a->argc; i++) {
		char *s = a->argv[i];
		while (*s == '/')
			s++;
		size_t n = strlen(s);
		while (n && s[n - 1] == '/')
			s[--n] = 0;
		a->argv[i] = s;
	}
	return each(c, a, "DELETE", "/containers/%s%s", q, force);
}

static int inspect_container(struct cli *c, const char *name, json_t **ret)
{
	_cleanup_free_ char *target = NULL, *msg = NULL;
	if (asprintf(&target, "/containers/%s/json", name) < 0)
		return -ENOMEM;
	int r = simple_call(c, "GET", target, &msg, ret);
	if (r < 0 && msg)
		fprintf(stderr, "%s\n", msg);
	return r;
}

int cmd_wait(struct cli *c, const struct cli_args *a)
{
	int status = 0;

	if (cli_connect(c) < 0)
		return 1;
	for (int i = 0; i < a->argc; i++) {
		_cleanup_free_ char *target = NULL, *msg = NULL;
		json_t *v = NULL;
		if (asprintf(&target, "/containers/%s/wait", a->argv[i]) < 0)
			return 1;
		int r = simple_call(c, "POST", target, &msg, &v);
		if (r < 0) {
			fprintf(stderr, "%s\n", msg ? msg : "wait failed");
			status = 1;
			continue;
		}
		printf("%lld\n", (long long)json_integer_value(json_object_get(v, "StatusCode")));
		json_decref(v);
	}
	return status;
}

/* attach (and start -a): wait, attach, [start], stream, status. */
static int attach_and_stream(struct cli *c, const char *name, bool want_in, bool do_start, bool check_running)
{
	_cleanup_free_ char *target = NULL, *msg = NULL;
	struct hclient *wc = NULL;
	struct hclient_resp *wresp = NULL;
	struct cli_stream st = { .fd = -1 };
	json_t *info = NULL;
	int r, status = 0;

	if (cli_connect(c) < 0)
		return 1;
	if (inspect_container(c, name, &info) < 0)
		return 1;
	json_t *cfg = json_object_get(info, "Config"), *state = json_object_get(info, "State");
	const char *id = json_string_value(json_object_get(info, "Id"));
	_cleanup_free_ char *cid = strdup(id ? id : name);
	bool tty = json_is_true(json_object_get(cfg, "Tty"));
	bool in = want_in && json_is_true(json_object_get(cfg, "OpenStdin"));
	bool running = json_is_true(json_object_get(state, "Running"));
	bool autorm = json_is_true(json_object_get(json_object_get(info, "HostConfig"), "AutoRemove"));
	json_decref(info);
	if (check_running && !running) {
		fprintf(stderr, "You cannot attach to a stopped container, start it first\n");
		return 1;
	}
	if (do_start && running) {
		fprintf(stderr, "Error response from daemon: You cannot start and attach container %s which is already running\n",
			name);
		return 1;
	}
	if (cli_attach(c, cid, true, in, tty, &st) < 0)
		return 1;
	if (asprintf(&target, "/containers/%s/wait%s", cid,
		     do_start ? (autorm ? "?condition=removed" : "?condition=next-exit") : "") < 0)
		return 1;
	if (cli_open_extra(c, "POST", target, false, &wc, &wresp) < 0 || hclient_resp_status(wresp) >= 400) {
		if (wresp)
			cli_daemon_error(wresp);
		r = 1;
		close(st.fd);
		goto out;
	}
	if (do_start) {
		free(target);
		if (asprintf(&target, "/containers/%s/start", cid) < 0)
			return 1;
		if (simple_call(c, "POST", target, &msg, NULL) < 0) {
			fprintf(stderr, "%s\n", msg ? msg : "start failed");
			close(st.fd);
			r = 1;
			goto out;
		}
	}
	st.id = cid;
	r = cli_stream_run(c, &st);
	if (r == 1) {
		r = 0;
		goto out;
	}
	r = cli_wait_status(wresp, &status) < 0 ? 1 : status;
out:
	if (wresp)
		hclient_resp_free(wresp);
	hclient_free(wc);
	return r;
}

int cmd_start(struct cli *c, const struct cli_args *a)
{
	if (cli_flag_bool(a, "attach") || cli_flag_bool(a, "interactive")) {
		if (a->argc > 1) {
			fprintf(stderr, "berth: you cannot start and attach multiple containers at once\n");
			return 1;
		}
		return attach_and_stream(c, a->argv[0], cli_flag_bool(a, "interactive"), true, false);
	}
	_cleanup_free_ char *failed = NULL;
	size_t flen = 0;
	FILE *ff = open_memstream(&failed, &flen);

	if (!ff || cli_connect(c) < 0)
		return 1;
	for (int i = 0; i < a->argc; i++) {
		_cleanup_free_ char *target = NULL, *msg = NULL;
		if (asprintf(&target, "/containers/%s/start", a->argv[i]) < 0)
			break;
		if (simple_call(c, "POST", target, &msg, NULL) < 0) {
			fprintf(stderr, "%s\n", msg ? msg : "start failed");
			fprintf(ff, "%s%s", ftell(ff) ? ", " : "", a->argv[i]);
			continue;
		}
		printf("%s\n", a->argv[i]);
	}
	fclose(ff);
	if (flen) {
		fprintf(stderr, "Error: failed to start containers: %s\n", failed);
		return 1;
	}
	return 0;
}

int cmd_attach(struct cli *c, const struct cli_args *a)
{
	return attach_and_stream(c, a->argv[0], !cli_flag_bool(a, "no-stdin"), false, true);
}

int cmd_logs(struct cli *c, const struct cli_args *a)
{
	_cleanup_free_ char *path = NULL, *target = NULL;
	json_t *info = NULL;
	struct hclient_resp *resp;
	struct query q;
	const char *s;
	int r;

	if (cli_connect(c) < 0)
		return 1;
	if (inspect_container(c, a->argv[0], &info) < 0)
		return 1;
	const char *id = json_string_value(json_object_get(info, "Id"));
	bool tty = json_is_true(json_object_get(json_object_get(info, "Config"), "Tty"));
	if (asprintf(&path, "/containers/%s/logs", id ? id : a->argv[0]) < 0)
		return 1;
	json_decref(info);
	query_init(&q, path);
	query_add(&q, "stdout", "1");
	query_add(&q, "stderr", "1");
	if (*(s = cli_flag_str(a, "since")))
		query_add(&q, "since", s);
	if (*(s = cli_flag_str(a, "until")))
		query_add(&q, "until", s);
	if (cli_flag_bool(a, "timestamps"))
		query_add(&q, "timestamps", "1");
	if (cli_flag_bool(a, "follow"))
		query_add(&q, "follow", "1");
	query_add(&q, "tail", *(s = cli_flag_str(a, "tail")) ? s : "all");
	if (cli_flag_bool(a, "details"))
		query_add(&q, "details", "1");
	target = query_finish(&q);
	struct cli_request req = { .method = "GET", .target = target, .body_fd = -1 };
	if (cli_call(c, &req, &resp) < 0)
		return 1;
	struct demux d = { 0 };
	char buf[32768];
	ssize_t n;
	while ((n = hclient_resp_read(resp, buf, sizeof(buf))) > 0) {
		if (tty)
			fwrite(buf, 1, (size_t)n, stdout), fflush(stdout);
		else
			demux_feed(&d, buf, (size_t)n);
	}
	r = n < 0 ? 1 : 0;
	hclient_resp_free(resp);
	return r;
}

/* `container inspect`: the generic inspect restricted to --type container. */
int cmd_container_inspect(struct cli *c, const struct cli_args *a)
{
	static const struct cli_opt opts[] = {
		{ 'f', "format", OPT_STRING, "string", NULL, false },
		{ 's', "size", OPT_BOOL, NULL, NULL, false },
		{ 0, "type", OPT_STRING, "string", NULL, false },
		{ 0 },
	};
	static const struct cli_cmd fake = { "inspect", "", "", NULL, opts, 1, -1, cmd_inspect };
	struct cli_optval vals[4] = { { 0 } };
	struct cli_args a2 = *a;
	const char *f = cli_flag_str(a, "format");

	vals[0].set = f && *f;
	vals[0].s = f ? f : "";
	vals[1].set = cli_flag_bool(a, "size");
	vals[1].b = vals[1].set;
	vals[2].set = true;
	vals[2].s = "container";
	a2.cmd = &fake;
	a2.vals = vals;
	return cmd_inspect(c, &a2);
}

/* `container prune`: POST /containers/prune after a confirmation. */
int cmd_container_prune(struct cli *c, const struct cli_args *a)
{
	json_t *report = NULL, *e;
	size_t i;
	char sz[HUMAN_BUF];

	if (!cli_flag_bool(a, "force") &&
	    !cli_confirm("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] "))
		return 0;
	int r = cli_prune_call(c, a, "/containers/prune", NULL, &report);
	if (r)
		return r;
	json_t *deleted = json_object_get(report, "ContainersDeleted");
	if (json_array_size(deleted)) {
		fputs("Deleted Containers:\n", stdout);
		json_array_foreach(deleted, i, e)
			printf("%s\n", json_string_value(e) ? json_string_value(e) : "");
		fputc('\n', stdout);
	}
	printf("Total reclaimed space: %s\n",
	       human_size_prec((double)json_integer_value(json_object_get(report, "SpaceReclaimed")), 4, sz));
	json_decref(report);
	return 0;
}
