/* cgroup.c - layout detection, the public rt_cgroup_* calls (dispatching to
 * the v1 or v2 driver) and file helpers both drivers use. See cgroup.h. */
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include "base/util.h"
#include "cgroup-internal.h"

#define DEFAULT_ROOT "/sys/fs/cgroup"
/* rmdir of a cgroup fails with EBUSY until its last task has been reaped. */
#define RMDIR_TRIES 100
#define RMDIR_WAIT_MS 10

void cg_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

char *cg_join(const char *a, const char *b)
{
	char *s;
	const char *sep = (*b == '/' || (*a && a[strlen(a) - 1] == '/')) ? "" : "/";
	return asprintf(&s, "%s%s%s", a, sep, b) < 0 ? NULL : s;
}

bool cg_has_file(const char *dir, const char *file)
{
	_cleanup_free_ char *p = cg_join(dir, file);
	return p && access(p, F_OK) == 0;
}

static enum berr_kind write_error_kind(int r, bool user_file)
{
	switch (-r) {
	case EINVAL:
	case ERANGE:
	case EOVERFLOW:
		return BERR_INVALID;
	case ENOENT:
		return user_file ? BERR_INVALID : BERR_INTERNAL;
	default:
		return BERR_INTERNAL;
	}
}

static int write_value(const char *dir, const char *file, const char *value, bool user_file,
		       struct berr *err)
{
	_cleanup_free_ char *p = cg_join(dir, file);
	if (!p)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing %s", file);
	/* One write(2): the kernel parses each write as a whole value. */
	int r = write_file_at(AT_FDCWD, p, value, strlen(value), false);
	if (r < 0)
		return berr_set(err, write_error_kind(r, user_file), -r, "writing '%s' to %s", value, p);
	return 0;
}

int cg_write(const char *dir, const char *file, const char *value, struct berr *err)
{
	return write_value(dir, file, value, false, err);
}

int cg_write_user(const char *dir, const char *file, const char *value, struct berr *err)
{
	return write_value(dir, file, value, true, err);
}

int cg_writef(const char *dir, const char *file, struct berr *err, const char *fmt, ...)
{
	_cleanup_free_ char *v = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&v, fmt, ap);
	va_end(ap);
	if (n < 0)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing %s", file);
	return cg_write(dir, file, v, err);
}

int cg_open_append(const char *dir, const char *file, int *ret_fd, struct berr *err)
{
	_cleanup_free_ char *p = cg_join(dir, file);
	if (!p)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "opening %s", file);
	int fd = open(p, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening %s", p);
	*ret_fd = fd;
	return 0;
}

int cg_write_fd(int fd, const char *path, const char *value, struct berr *err)
{
	_cleanup_free_ char *line = NULL;
	if (asprintf(&line, "%s\n", value) < 0)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing %s", path);
	int r = write_all(fd, line, strlen(line));
	if (r < 0)
		return berr_set(err, write_error_kind(r, false), -r, "writing '%s' to %s", value, path);
	return 0;
}

int cg_read(const char *dir, const char *file, char **ret)
{
	_cleanup_free_ char *p = cg_join(dir, file);
	if (!p)
		return -ENOMEM;
	char *s;
	size_t n;
	int r = read_file_at(AT_FDCWD, p, &s, &n);
	if (r < 0)
		return r;
	while (n > 0 && s[n - 1] == '\n')
		s[--n] = '\0';
	*ret = s;
	return 0;
}

/* Level by level, so each new directory is recorded for rollback and the
 * driver can prepare it (cpuset, subtree_control) before its child exists. */
int cg_mkdir_path(struct rt_cgroup *cg, const char *base, cg_level_fn fn, struct berr *err)
{
	_cleanup_free_ char *parent = strdup(base);
	if (!parent)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "creating cgroup");
	const char *p = cg->path;
	while (*p) {
		const char *end = strchr(p + 1, '/');
		size_t len = end ? (size_t)(end - cg->path) : strlen(cg->path);
		_cleanup_free_ char *dir = NULL;
		if (asprintf(&dir, "%s%.*s", base, (int)len, cg->path) < 0)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "creating cgroup");
		if (mkdir(dir, 0755) == 0) {
			int r = strv_push(&cg->created, dir);
			if (r < 0) {
				rmdir(dir);
				return berr_set(err, BERR_INTERNAL, -r, "creating %s", dir);
			}
		} else if (errno != EEXIST) {
			return berr_set(err, errno == EACCES || errno == EPERM ? BERR_FORBIDDEN : BERR_INTERNAL,
					errno, "creating %s", dir);
		}
		if (fn) {
			int r = fn(cg, parent, dir, err);
			if (r < 0)
				return r;
		}
		free(parent);
		parent = TAKE_PTR(dir);
		p = cg->path + len;
	}
	return 0;
}

static int rmdir_retry(const char *dir)
{
	for (int i = 0; i < RMDIR_TRIES; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		cg_sleep_ms(RMDIR_WAIT_MS);
	}
	return -EBUSY;
}

/* Child cgroups first: a cgroup with children cannot be removed. Interface
 * files are not entries rmdir cares about, so only directories recurse. */
int cg_rmdir_tree(const char *dir, struct berr *err)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : berr_set(err, BERR_INTERNAL, errno, "opening %s", dir);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		_cleanup_free_ char *sub = cg_join(dir, de->d_name);
		if (!sub)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "removing %s", dir);
		int r = cg_rmdir_tree(sub, err);
		if (r < 0)
			return r;
	}
	int r = rmdir_retry(dir);
	if (r < 0)
		return berr_set(err, r == -EBUSY ? BERR_CONFLICT : BERR_INTERNAL, -r, "removing %s", dir);
	return 0;
}

static int pids_push(pid_t **v, size_t *n, pid_t pid)
{
	pid_t *nv = realloc(*v, (*n + 1) * sizeof(pid_t));
	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = pid;
	*v = nv;
	return 0;
}

static int read_procs_into(const char *dir, pid_t **v, size_t *n)
{
	_cleanup_free_ char *s = NULL;
	int r = cg_read(dir, "cgroup.procs", &s);
	if (r < 0)
		return r;
	for (char *line = s, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		int64_t pid;
		if (safe_atoi64(line, &pid) < 0 || pid <= 0)
			return -EBADMSG;
		r = pids_push(v, n, (pid_t)pid);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_pids_tree(const char *dir, pid_t **v, size_t *n)
{
	int r = read_procs_into(dir, v, n);
	if (r < 0)
		return r;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		_cleanup_free_ char *sub = cg_join(dir, de->d_name);
		if (!sub)
			return -ENOMEM;
		r = read_pids_tree(sub, v, n);
		/* A child cgroup removed while we walk is not an error. */
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

int cg_read_pids(const char *dir, pid_t **ret, size_t *ret_n)
{
	_cleanup_free_ pid_t *v = NULL;
	size_t n = 0;
	int r = read_pids_tree(dir, &v, &n);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

int cg_signal_pids(const char *dir, int sig)
{
	_cleanup_free_ pid_t *v = NULL;
	size_t n = 0;
	int r = cg_read_pids(dir, &v, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (kill(v[i], sig) < 0 && errno != ESRCH)
			return -errno;
	return 0;
}

/* --- detection and the public calls --- */

int rt_cgroup_detect(const char *root, enum rt_cgroup_mode *ret)
{
	if (!root)
		root = DEFAULT_ROOT;
	struct statfs fs;
	if (statfs(root, &fs) < 0)
		return -errno;
	/* A real root is either a cgroup2 mount or a tmpfs of v1 mounts; a fake
	 * tree (tests) is a plain directory, told apart by its marker file. */
	if (fs.f_type == CGROUP2_SUPER_MAGIC) {
		*ret = RT_CGROUP_V2;
		return 0;
	}
	*ret = cg_has_file(root, "cgroup.controllers") ? RT_CGROUP_V2 : RT_CGROUP_V1;
	return 0;
}

/* "berth//x/" -> "/berth/x"; "." and ".." refused so the path cannot leave
 * the hierarchy, "/" refused so the caller can never remove a root. */
static int normalize_path(const char *path, char **ret)
{
	_cleanup_free_ char *out = malloc(strlen(path) + 2);
	if (!out)
		return -ENOMEM;
	size_t o = 0;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len == 0)
			break;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return -EINVAL;
		out[o++] = '/';
		memcpy(out + o, p, len);
		o += len;
		p += len;
	}
	if (o == 0)
		return -EINVAL;
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

void rt_cgroup_free(struct rt_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; i < cg->n_hiers; i++) {
		free(cg->hiers[i].name);
		free(cg->hiers[i].dir);
	}
	free(cg->hiers);
	for (size_t i = 0; i < cg->n_aliases; i++) {
		free(cg->aliases[i].name);
		free(cg->aliases[i].target);
	}
	free(cg->aliases);
	strv_free(cg->created);
	free(cg->root);
	free(cg->path);
	free(cg->dir);
	free(cg);
}

static int cgroup_new(const char *root, const char *path, struct rt_cgroup **ret, struct berr *err)
{
	if (!root)
		root = DEFAULT_ROOT;
	if (!path)
		return berr_set(err, BERR_INVALID, EINVAL, "cgroup path missing");
	_cleanup_cgroup_ struct rt_cgroup *cg = calloc(1, sizeof(*cg));
	if (!cg || !(cg->root = strdup(root)))
		return berr_set(err, BERR_INTERNAL, ENOMEM, "cgroup %s", path);
	int r = normalize_path(path, &cg->path);
	if (r < 0)
		return berr_set(err, r == -EINVAL ? BERR_INVALID : BERR_INTERNAL, -r,
				"cgroup path '%s'", path);
	r = rt_cgroup_detect(root, &cg->mode);
	if (r < 0)
		return berr_set(err, BERR_UNAVAILABLE, -r, "detecting cgroup layout at %s", root);
	cg->drv = cg->mode == RT_CGROUP_V2 ? &cg_driver_v2 : &cg_driver_v1;
	r = cg->drv->init(cg, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(cg);
	return 0;
}

static void remove_created(struct rt_cgroup *cg)
{
	for (size_t i = strv_length(cg->created); i > 0; i--)
		(void)rmdir_retry(cg->created[i - 1]);
	strv_free(TAKE_PTR(cg->created));
}

int rt_cgroup_create(const char *root, const char *path, const struct rt_resources *res,
		     struct rt_cgroup **ret, struct berr *err)
{
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	int r = cgroup_new(root, path, &cg, err);
	if (r < 0)
		return r;
	r = cg->drv->make(cg, err);
	if (r >= 0 && res)
		r = cg->drv->apply(cg, res, err);
	if (r < 0) {
		remove_created(cg);
		return r;
	}
	strv_free(TAKE_PTR(cg->created));
	*ret = TAKE_PTR(cg);
	return 0;
}

int rt_cgroup_open(const char *root, const char *path, struct rt_cgroup **ret, struct berr *err)
{
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	int r = cgroup_new(root, path, &cg, err);
	if (r < 0)
		return r;
	if (!cg->drv->exists(cg))
		return berr_set(err, BERR_NOT_FOUND, ENOENT, "cgroup %s", cg->path);
	*ret = TAKE_PTR(cg);
	return 0;
}

enum rt_cgroup_mode rt_cgroup_get_mode(const struct rt_cgroup *cg) { return cg->mode; }
const char *rt_cgroup_path(const struct rt_cgroup *cg) { return cg->path; }

int rt_cgroup_enter(struct rt_cgroup *cg, pid_t pid, struct berr *err)
{
	return cg->drv->enter(cg, pid, err);
}

static int open_in(const char *dir, const char *file, int flags)
{
	_cleanup_free_ char *p = file ? cg_join(dir, file) : strdup(dir);
	if (!p)
		return -ENOMEM;
	int fd = open(p, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int rt_cgroup_join_prepare(struct rt_cgroup *cg, struct rt_cgroup_join *ret, struct berr *err)
{
	struct rt_cgroup_join j = { .dfl_fd = -EBADF };
	const char *dfl = cg->mode == RT_CGROUP_V2 ? cg->dir : NULL;
	if (cg->mode == RT_CGROUP_V1 && !(j.task_fds = calloc(cg->n_hiers + 1, sizeof(int))))
		return berr_set(err, BERR_INTERNAL, ENOMEM, "cgroup %s", cg->path);
	for (size_t i = 0; cg->mode == RT_CGROUP_V1 && i < cg->n_hiers; i++) {
		if (cg->hiers[i].is_unified) {
			dfl = cg->hiers[i].dir;
			continue;
		}
		int fd = open_in(cg->hiers[i].dir, "tasks", O_WRONLY);
		if (fd < 0) {
			rt_cgroup_join_release(&j);
			return berr_set(err, BERR_INTERNAL, -fd, "opening %s/tasks", cg->hiers[i].dir);
		}
		j.task_fds[j.n_task_fds++] = fd;
	}
	if (dfl && (j.dfl_fd = open_in(dfl, NULL, O_RDONLY | O_DIRECTORY)) < 0) {
		int e = j.dfl_fd;
		rt_cgroup_join_release(&j);
		return berr_set(err, BERR_INTERNAL, -e, "opening %s", dfl);
	}
	*ret = j;
	return 0;
}

int rt_cgroup_join_self(struct rt_cgroup_join *j)
{
	int r = 0;
	for (size_t i = 0; i < j->n_task_fds; i++) {
		if (write(j->task_fds[i], "0", 1) != 1 && r == 0)
			r = -errno;
		close(j->task_fds[i]);
	}
	j->n_task_fds = 0;
	return r;
}

int rt_cgroup_join_dfl_pid(struct rt_cgroup_join *j, pid_t pid, struct berr *err)
{
	if (j->dfl_fd < 0)
		return 0;
	_cleanup_close_ int fd = openat(j->dfl_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	char b[32];
	int n = snprintf(b, sizeof(b), "%d", (int)pid);
	if (fd < 0 || write(fd, b, (size_t)n) != n)
		return berr_set(err, BERR_INTERNAL, errno, "moving %d into its cgroup2 cgroup", (int)pid);
	return 0;
}

pid_t rt_cgroup_fork(struct rt_cgroup_join *j, bool *ret_in_dfl)
{
	*ret_in_dfl = false;
	if (j && j->dfl_fd >= 0) {
		struct clone_args args = {
			.flags = CLONE_INTO_CGROUP,
			.exit_signal = SIGCHLD,
			.cgroup = (uint64_t)j->dfl_fd,
		};
		/* Like fork(): no new stack, the child returns 0 here. glibc
		 * keeps no pid cache, and we run no atfork handlers (no threads). */
		long pid = syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0) {
			*ret_in_dfl = true;
			return (pid_t)pid;
		}
		/* ENOSYS/E2BIG: old kernel; EACCES, EBUSY, EOPNOTSUPP...: the
		 * cgroup refuses; either way fall back to the slow move. */
	}
	pid_t pid = fork();
	return pid < 0 ? -errno : pid;
}

void rt_cgroup_join_release(struct rt_cgroup_join *j)
{
	for (size_t i = 0; i < j->n_task_fds; i++)
		close(j->task_fds[i]);
	free(j->task_fds);
	if (j->dfl_fd >= 0)
		close(j->dfl_fd);
	*j = (struct rt_cgroup_join){ .dfl_fd = -EBADF };
}

int rt_cgroup_update(struct rt_cgroup *cg, const struct rt_resources *res, struct berr *err)
{
	return res ? cg->drv->apply(cg, res, err) : 0;
}

int rt_cgroup_pids(struct rt_cgroup *cg, pid_t **ret, size_t *ret_n)
{
	const char *dir = cg->drv->procs_dir(cg);
	return dir ? cg_read_pids(dir, ret, ret_n) : -ENOENT;
}

int rt_cgroup_kill_all(struct rt_cgroup *cg, int sig) { return cg->drv->kill_all(cg, sig); }

int rt_cgroup_freeze(struct rt_cgroup *cg, bool frozen, struct berr *err)
{
	return cg->drv->freeze(cg, frozen, err);
}

int rt_cgroup_is_frozen(struct rt_cgroup *cg) { return cg->drv->is_frozen(cg); }

int rt_cgroup_destroy(struct rt_cgroup *cg, struct berr *err) { return cg->drv->destroy(cg, err); }

int rt_cgroup_mounts(const struct rt_cgroup *cg, struct rt_cgroup_mount **ret, size_t *ret_n)
{
	return cg->drv->mounts(cg, ret, ret_n);
}

void rt_cgroup_mounts_free(struct rt_cgroup_mount *m, size_t n)
{
	for (size_t i = 0; m && i < n; i++) {
		free(m[i].name);
		free(m[i].host_dir);
		free(m[i].link_target);
	}
	free(m);
}

/* Clamped to the v1 range [2, 262144] first so that out-of-range input maps
 * to the v2 range [1, 10000] instead of wrapping. 0 stays "unset". */
uint64_t rt_cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

/* blkio.weight [10, 1000] onto io.weight [1, 10000]. 0 stays "unset". */
uint64_t rt_cgroup_blkio_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + (weight - 10) * 9999 / 990;
}
