/* conn.c - finding the daemon, /_ping, version negotiation, requests.
 *
 * Host order: -H, BERTH_HOST, DOCKER_HOST, the default socket. When the
 * default socket does not answer and no host was chosen explicitly, berthd
 * is started in the background (its own session, stdio to /dev/null and
 * a log under /run/berth) and given five seconds to answer /_ping. */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/cli.h"

#define START_TIMEOUT_MS 5000
#define PING_TIMEOUT_MS 2000

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static void parse_version(const char *v, int *major, int *minor)
{
	*major = *minor = 0;
	sscanf(v, "%d.%d", major, minor);
}

/* min(server, ours); a missing header means the pre-negotiation 1.24. */
static void negotiate(struct cli *c, const char *server)
{
	int smaj, smin, cmaj, cmin;

	if (!server || !*server)
		server = "1.24";
	parse_version(server, &smaj, &smin);
	parse_version(CLI_API_VERSION, &cmaj, &cmin);
	if (smaj < cmaj || (smaj == cmaj && smin < cmin))
		snprintf(c->api_version, sizeof(c->api_version), "%d.%d", smaj, smin);
	else
		snprintf(c->api_version, sizeof(c->api_version), "%s", CLI_API_VERSION);
}

static int ping(struct cli *c, struct berr *err)
{
	struct hclient_req q = { .method = "HEAD", .target = "/_ping", .body_fd = -1 };
	struct hclient_resp *r = NULL;
	int status, ret;

	ret = hclient_do(c->hc, &q, &r, err);
	if (ret >= 0 && (status = hclient_resp_status(r)) != 200 && status != 500) {
		hclient_resp_free(r);
		r = NULL;
		q.method = "GET";
		ret = hclient_do(c->hc, &q, &r, err);
	}
	if (ret < 0)
		return ret;
	negotiate(c, hclient_resp_header(r, "Api-Version"));
	hclient_resp_free(r);
	return 0;
}

static int try_connect(struct cli *c, struct berr *err)
{
	int r = hclient_connect(c->host, &c->hc, err);

	if (r < 0)
		return r;
	hclient_set_timeout(c->hc, PING_TIMEOUT_MS);
	r = ping(c, err);
	if (r < 0) {
		hclient_free(c->hc);
		c->hc = NULL;
		return r;
	}
	hclient_set_timeout(c->hc, 0);
	return 0;
}

static bool executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* berthd next to this binary, else on PATH. */
static char *find_berthd(void)
{
	char self[PATH_MAX], *slash, *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash && asprintf(&path, "%.*s/berthd", (int)(slash - self), self) >= 0) {
			if (executable(path))
				return path;
			free(path);
		}
	}
	const char *env = getenv("PATH");
	_cleanup_free_ char *dirs = strdup(env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	char *save = NULL;
	for (char *d = dirs ? strtok_r(dirs, ":", &save) : NULL; d; d = strtok_r(NULL, ":", &save)) {
		if (asprintf(&path, "%s/berthd", d) < 0)
			return NULL;
		if (executable(path))
			return path;
		free(path);
	}
	return NULL;
}

static _noreturn_ void exec_daemon(const char *path)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log = open(CLI_RUN_DIR "/berthd.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

	setsid();
	signal(SIGHUP, SIG_IGN);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(log >= 0 ? log : null, 2);
	}
	execl(path, "berthd", (char *)NULL);
	_exit(127);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int start_daemon(struct cli *c, struct berr *err)
{
	_cleanup_free_ char *path = find_berthd();
	pid_t pid;

	if (!path)
		return -ENOENT;
	mkdir(CLI_RUN_DIR, 0711);
	pid = fork();
	if (pid < 0)
		return neg_errno();
	if (pid == 0)
		exec_daemon(path);
	for (int waited = 0; waited < START_TIMEOUT_MS; waited += 50) {
		sleep_ms(50);
		berr_clear(err);
		if (try_connect(c, err) >= 0) {
			fprintf(stderr, "berth: started berthd (pid %d); it keeps running in the background\n", (int)pid);
			return 0;
		}
	}
	fprintf(stderr, "berth: started berthd (pid %d) but it did not answer within %d seconds; see %s\n", (int)pid,
		START_TIMEOUT_MS / 1000, CLI_RUN_DIR "/berthd.log");
	return -ETIMEDOUT;
}

static bool connection_refused(const struct berr *err)
{
	return err->kind == BERR_UNAVAILABLE && (err->errnum == ENOENT || err->errnum == ECONNREFUSED);
}

static const char *host_display(const char *host)
{
	static char buf[PATH_MAX + 16];

	if (host[0] == '/') {
		snprintf(buf, sizeof(buf), "unix://%s", host);
		return buf;
	}
	return host;
}

int cli_connect(struct cli *c)
{
	_cleanup_berr_ struct berr err = { 0 };
	int r;

	if (c->hc)
		return 0;
	r = try_connect(c, &err);
	if (r < 0 && !c->host_explicit && connection_refused(&err)) {
		berr_clear(&err);
		r = start_daemon(c, &err);
	}
	if (r < 0) {
		if (c->debug && err.msg)
			fprintf(stderr, "berth: %s\n", err.msg);
		fprintf(stderr, "Cannot connect to the berth daemon at %s. Is berthd running?\n", host_display(c->host));
		return r;
	}
	return 0;
}

void cli_disconnect(struct cli *c)
{
	hclient_free(c->hc);
	c->hc = NULL;
}

int cli_daemon_error(struct hclient_resp *r)
{
	_cleanup_berr_ struct berr err = { 0 };

	hclient_resp_to_error(r, &err);
	fprintf(stderr, "Error response from daemon: %s\n", err.msg ? err.msg : "unknown error");
	return -EIO;
}

int cli_call_raw(struct cli *c, const struct cli_request *q, struct hclient_resp **ret)
{
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_free_ char *target = NULL;
	int r = cli_connect(c);

	if (r < 0)
		return r;
	if (asprintf(&target, "/v%s%s", c->api_version, q->target) < 0)
		return -ENOMEM;
	struct hclient_req hq = {
		.method = q->method, .target = target, .body = q->body, .body_len = q->body_len,
		.body_fd = q->body_fd, .content_type = q->content_type,
	};
	r = hclient_do(c->hc, &hq, ret, &err);
	if (r < 0) {
		if (err.kind == BERR_UNAVAILABLE)
			fprintf(stderr, "Cannot connect to the berth daemon at %s. Is berthd running?\n",
				host_display(c->host));
		else
			fprintf(stderr, "error during connect: %s\n", err.msg ? err.msg : "unknown error");
	}
	return r;
}

int cli_call(struct cli *c, const struct cli_request *q, struct hclient_resp **ret)
{
	struct hclient_resp *resp;
	int r = cli_call_raw(c, q, &resp);

	if (r < 0)
		return r;
	if (hclient_resp_status(resp) >= 400) {
		r = cli_daemon_error(resp);
		hclient_resp_free(resp);
		return r;
	}
	*ret = resp;
	return 0;
}

int cli_get_json(struct cli *c, const char *target, json_t **ret)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct cli_request q = { .method = "GET", .target = target, .body_fd = -1 };
	struct hclient_resp *resp;
	int r = cli_call(c, &q, &resp);

	if (r < 0)
		return r;
	r = hclient_resp_json(resp, ret, &err);
	hclient_resp_free(resp);
	if (r < 0)
		fprintf(stderr, "berth: reading the daemon's reply: %s\n", err.msg ? err.msg : "invalid JSON");
	return r;
}
