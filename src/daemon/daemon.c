/* daemon.c - see daemon.h. */
#include "daemon.h"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <uv.h>

#include "base/util.h"
#include "daemon/containers.h"
#include "daemon/dlog.h"
#include "daemon/events.h"
#include "daemon/httpd.h"
#include "daemon/router.h"
#include "image/store.h"

#define LOCK_FILE "berthd.lock"
#define PID_FILE "berthd.pid"
#define ENGINE_ID_FILE "engine-id"
#define SHUTDOWN_TIMEOUT_MS 10000

struct daemon_run {
	struct daemon d;
	uv_loop_t loop;
	struct httpd *httpd;
	uv_signal_t sig[2];
	char **sockets; /* paths we listen on */
	char *pid_path;
	int lock_fd;
	bool loop_ready;
};

/* ---- the data root lock ---- */

static int lock_holder(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	return n > 0 ? atoi(buf) : 0;
}

int daemon_lock_data_root(const char *data_root, struct berr *err)
{
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", data_root, LOCK_FILE) < 0)
		return -ENOMEM;
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berr_set(err, berr_kind_from_errno(errno), errno, "opening %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK)
			return berr_set(err, BERR_INTERNAL, errno, "locking %s", path);
		int pid = lock_holder(fd);
		return berr_set(err, BERR_CONFLICT, 0,
				"another berthd%s%.0d%s is already using data root %s (it holds the lock on %s); "
				"stop it or choose another --data-root", pid ? " (pid " : "", pid, pid ? ")" : "",
				data_root, path);
	}
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		return berr_set(err, BERR_INTERNAL, errno, "writing %s", path);
	return TAKE_FD(fd);
}

/* ---- setup steps ---- */

static int make_root(const char *path, struct berr *err)
{
	int r = mkdir_p(path, 0700);
	if (r < 0)
		return berr_set(err, berr_kind_from_errno(r), -r, "creating %s", path);
	return 0;
}

/* A random UUID, kept in the data root so /info's ID is stable. */
static int engine_id(const char *data_root, char ret[static 40])
{
	int dfd = open(data_root, O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return neg_errno();
	_cleanup_close_ int dir = dfd;
	_cleanup_free_ char *old = NULL;
	if (read_file_at(dir, ENGINE_ID_FILE, &old, NULL) == 0 && strlen(old) >= 36) {
		snprintf(ret, 40, "%.36s", old);
		return 0;
	}
	unsigned char b[16];
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return neg_errno();
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(ret, 40, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return write_file_atomic_at(dir, ENGINE_ID_FILE, ret, strlen(ret), 0600);
}

/* The socket group: -G, else "berth" when it exists, else none (root). */
static int socket_gid(const char *group, gid_t *ret, struct berr *err)
{
	const char *name = group ? group : "berth";
	struct group *g = getgrnam(name);
	uint64_t num;
	if (g) {
		*ret = g->gr_gid;
		return 0;
	}
	if (group && safe_atou64(group, &num) == 0) {
		*ret = (gid_t)num;
		return 0;
	}
	if (group)
		return berr_set(err, BERR_INVALID, 0, "group %s not found (set -G/--group to an existing group)", group);
	*ret = (gid_t)-1;
	return 0;
}

static int write_pid_file(struct daemon_run *run, struct berr *err)
{
	if (asprintf(&run->pid_path, "%s/%s", run->d.cfg->exec_root, PID_FILE) < 0)
		return -ENOMEM;
	char pid[32];
	int n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	int r = write_file_atomic_at(AT_FDCWD, run->pid_path, pid, (size_t)n, 0644);
	if (r < 0)
		return berr_set(err, berr_kind_from_errno(r), -r, "writing %s", run->pid_path);
	return 0;
}

/* Let the socket group reach a socket inside the exec root (0710). */
static void open_exec_root_to(const char *exec_root, const char *sock, gid_t gid)
{
	size_t n = strlen(exec_root);
	if (gid == (gid_t)-1 || strncmp(sock, exec_root, n) != 0 || sock[n] != '/' || strchr(sock + n + 1, '/'))
		return;
	if (chown(exec_root, (uid_t)-1, gid) == 0)
		chmod(exec_root, 0710);
}

static int listen_all(struct daemon_run *run, struct berr *err)
{
	const struct daemon_config *cfg = run->d.cfg;
	gid_t gid = (gid_t)-1;
	int r = socket_gid(cfg->group, &gid, err);
	if (r < 0)
		return r;
	for (size_t i = 0; cfg->hosts[i]; i++) {
		char *path = NULL;
		if ((r = daemon_config_host_path(cfg->hosts[i], &path, err)) < 0)
			return r;
		if ((r = strv_consume(&run->sockets, path)) < 0)
			return r;
		_cleanup_free_ char *dir = strdup(path);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash && slash != dir) {
			*slash = 0;
			mkdir_p(dir, 0755);
		}
		open_exec_root_to(cfg->exec_root, path, gid);
		if ((r = httpd_listen_unix(run->httpd, path, 0660, gid, err)) < 0)
			return berr_prefix(err, "listening on %s", cfg->hosts[i]);
		dlog_info("API listening on %s", path);
	}
	return 0;
}

static int start_server(struct daemon_run *run, struct berr *err)
{
	int r = httpd_new(&run->loop, NULL, router_dispatch, &run->d, &run->httpd);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "starting the API server");
	static const char *const hdr[][2] = {
		{ "Api-Version", API_VERSION },
		{ "Docker-Experimental", "false" },
		{ "Ostype", "linux" },
		{ "Server", BERTH_SERVER_HEADER },
	};
	for (size_t i = 0; i < ARRAY_SIZE(hdr); i++)
		if (httpd_add_default_header(run->httpd, hdr[i][0], hdr[i][1]) < 0)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "starting the API server");
	return listen_all(run, err);
}

/* ---- signals and shutdown ---- */

static void on_signal(uv_signal_t *h, int signum)
{
	struct daemon_run *run = h->data;
	dlog_info("received %s, shutting down", strsignal(signum));
	events_close(run->d.events); /* ends /events streams */
	httpd_shutdown(run->httpd, SHUTDOWN_TIMEOUT_MS);
	for (size_t i = 0; i < ARRAY_SIZE(run->sig); i++)
		uv_close((uv_handle_t *)&run->sig[i], NULL);
	uv_stop(&run->loop);
}

static int watch_signals(struct daemon_run *run, struct berr *err)
{
	static const int sigs[] = { SIGTERM, SIGINT };
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++) {
		uv_signal_init(&run->loop, &run->sig[i]);
		run->sig[i].data = run;
		int r = uv_signal_start(&run->sig[i], on_signal, sigs[i]);
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "watching signals");
	}
	return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

/* Undo whatever setup() got to, in reverse. */
static void teardown(struct daemon_run *run)
{
	if (run->httpd)
		httpd_free(run->httpd);
	if (run->loop_ready) {
		uv_walk(&run->loop, close_walk, NULL);
		uv_run(&run->loop, UV_RUN_DEFAULT);
		uv_loop_close(&run->loop);
	}
	containers_close(run->d.containers);
	image_store_close(run->d.store);
	events_free(run->d.events);
	for (size_t i = 0; run->sockets && run->sockets[i]; i++)
		unlink(run->sockets[i]);
	strv_free(run->sockets);
	if (run->pid_path)
		unlink(run->pid_path);
	free(run->pid_path);
	if (run->lock_fd >= 0)
		close(run->lock_fd);
}

static int setup(struct daemon_run *run, struct berr *err)
{
	const struct daemon_config *cfg = run->d.cfg;
	int r;
	if ((r = make_root(cfg->data_root, err)) < 0 || (r = make_root(cfg->exec_root, err)) < 0)
		return r;
	if ((run->lock_fd = daemon_lock_data_root(cfg->data_root, err)) < 0)
		return run->lock_fd;
	if ((r = engine_id(cfg->data_root, run->d.id)) < 0)
		return berr_set(err, BERR_INTERNAL, -r, "creating the engine ID in %s", cfg->data_root);
	if ((r = write_pid_file(run, err)) < 0)
		return r;
	if ((r = image_store_open(cfg->data_root, &run->d.store, err)) < 0)
		return berr_prefix(err, "opening the image store in %s", cfg->data_root);
	if (!(run->d.events = events_new()))
		return berr_set(err, BERR_INTERNAL, ENOMEM, "starting");
	if ((r = containers_open(&run->d, &run->d.containers, err)) < 0)
		return berr_isset(err) ? r : berr_set(err, BERR_INTERNAL, -r, "opening the container store");
	if ((r = uv_loop_init(&run->loop)) < 0)
		return berr_set(err, BERR_INTERNAL, -r, "starting the event loop");
	run->loop_ready = true;
	if ((r = watch_signals(run, err)) < 0)
		return r;
	return start_server(run, err);
}

static int64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int daemon_run(const struct daemon_config *cfg)
{
	struct daemon_run run = { .d = { .cfg = cfg, .start_ns = realtime_ns() }, .lock_fd = -EBADF };
	_cleanup_berr_ struct berr err = { 0 };
	enum log_level level = LOG_LVL_INFO;
	log_level_from_string(cfg->log_level, &level);
	dlog_setup(streq(cfg->log_format, "json"), level);
	signal(SIGPIPE, SIG_IGN); /* broken connections are write errors, not deaths */
	int r = setup(&run, &err);
	if (r < 0) {
		dlog_error("%s", err.msg ? err.msg : strerror(-r));
		teardown(&run);
		return 1;
	}
	dlog_info("berthd %s started (API %s), data root %s", BERTH_VERSION, API_VERSION, cfg->data_root);
	uv_run(&run.loop, UV_RUN_DEFAULT);
	teardown(&run);
	dlog_info("berthd stopped");
	return 0;
}
