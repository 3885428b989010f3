/* state.c - see state.h. */
#include "state.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../base/util.h"
#include "../common/json.h"
#include "cgroup.h"

static const char *const status_names[] = {
	[RT_STATUS_CREATING] = "creating", [RT_STATUS_CREATED] = "created", [RT_STATUS_RUNNING] = "running",
	[RT_STATUS_PAUSED] = "paused",     [RT_STATUS_STOPPED] = "stopped",
};

const char *rt_status_to_string(enum rt_status s) { return status_names[s]; }

int rt_id_validate(const char *id, struct berr *err)
{
	if (!id || !*id)
		return berr_set(err, BERR_INVALID, EINVAL, "container id cannot be empty");
	if (streq(id, ".") || streq(id, "..") || strlen(id) > 1024)
		return berr_set(err, BERR_INVALID, EINVAL, "invalid container id format: %s", id);
	for (const char *p = id; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
			  c == '+' || c == '-' || c == '.';
		if (!ok)
			return berr_set(err, BERR_INVALID, EINVAL, "invalid container id format: %s", id);
	}
	return 0;
}

int rt_state_dir_open(const char *root, const char *id, struct berr *err)
{
	int r = rt_id_validate(id, err);
	if (r < 0)
		return r;
	_cleanup_close_ int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		if (errno == ENOENT)
			return berr_set_msg(err, BERR_NOT_FOUND, ENOENT, "container does not exist");
		return berr_set(err, BERR_INTERNAL, errno, "opening state root %s", root);
	}
	int fd = openat(rfd, id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return berr_set_msg(err, BERR_NOT_FOUND, ENOENT, "container does not exist");
		return berr_set(err, BERR_INTERNAL, errno, "opening state of %s", id);
	}
	return fd;
}

unsigned long long rt_proc_start_time(pid_t pid)
{
	char path[64];
	_cleanup_free_ char *buf = NULL;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (pid <= 0 || read_file_at(AT_FDCWD, path, &buf, NULL) < 0)
		return 0;
	/* The command name may hold spaces and parentheses: fields restart
	 * after the last ')'. Field 3 is the state, field 22 the start time. */
	char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	char state = p[2];
	if (state == 'Z' || state == 'X')
		return 0;
	p += 2;
	for (int field = 3; field < 22 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	return p ? strtoull(p, NULL, 10) : 0;
}

bool rt_state_alive(const struct rt_state *st)
{
	return st->pid > 0 && rt_proc_start_time(st->pid) == st->start_time && st->start_time != 0;
}

enum rt_status rt_state_status(const char *root, const struct rt_state *st)
{
	if (!rt_state_alive(st))
		return RT_STATUS_STOPPED;
	char fifo[PATH_MAX];
	snprintf(fifo, sizeof(fifo), "%s/%s/exec.fifo", root, st->id);
	if (access(fifo, F_OK) == 0)
		return RT_STATUS_CREATED;
	if (st->cgroup_path) {
		_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
		if (rt_cgroup_open(st->cgroup_root, st->cgroup_path, &cg, NULL) == 0 && rt_cgroup_is_frozen(cg) == 1)
			return RT_STATUS_PAUSED;
	}
	return RT_STATUS_RUNNING;
}

void rt_state_free(struct rt_state *st)
{
	if (!st)
		return;
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	free(st->cgroup_path);
	free(st->cgroup_root);
	free(st->oci_version);
	if (st->annotations)
		json_decref(st->annotations);
	free(st);
}

int rt_state_load(const char *root, const char *id, struct rt_state **ret, struct berr *err)
{
	_cleanup_close_ int dfd = rt_state_dir_open(root, id, err);
	if (dfd < 0)
		return dfd;
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_file_at(dfd, "state.json", &buf, &len);
	if (r == -ENOENT)
		return berr_set_msg(err, BERR_NOT_FOUND, ENOENT, "container %s is still being created or was removed", id);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "reading state of %s", id);
	_cleanup_json_ json_t *j = NULL;
	if ((r = json_parse(buf, len, "state.json", &j, err)) < 0)
		return r;
	struct rt_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	int64_t pid = 0, start = 0;
	if ((r = json_opt_string(j, "id", "", &st->id, err)) < 0 || (r = json_opt_int64(j, "pid", "", &pid, err)) < 0 ||
	    (r = json_opt_int64(j, "start_time", "", &start, err)) < 0 ||
	    (r = json_opt_string(j, "bundle", "", &st->bundle, err)) < 0 ||
	    (r = json_opt_string(j, "rootfs", "", &st->rootfs, err)) < 0 ||
	    (r = json_opt_string(j, "created", "", &st->created, err)) < 0 ||
	    (r = json_opt_string(j, "owner", "", &st->owner, err)) < 0 ||
	    (r = json_opt_string(j, "cgroup_path", "", &st->cgroup_path, err)) < 0 ||
	    (r = json_opt_string(j, "cgroup_root", "", &st->cgroup_root, err)) < 0 ||
	    (r = json_opt_string(j, "ociVersion", "", &st->oci_version, err)) < 0) {
		rt_state_free(st);
		return berr_prefix(err, "state of %s", id);
	}
	st->pid = (pid_t)pid;
	st->start_time = (unsigned long long)start;
	json_t *ann = json_object_get(j, "annotations");
	st->annotations = json_is_object(ann) ? json_incref(ann) : NULL;
	if (!st->id && !(st->id = strdup(id))) {
		rt_state_free(st);
		return -ENOMEM;
	}
	*ret = st;
	return 0;
}

static json_t *base_json(const struct rt_state *st, enum rt_status status)
{
	json_t *j = json_object();
	json_object_set_new(j, "ociVersion", json_string(st->oci_version ? st->oci_version : "1.1.0"));
	json_object_set_new(j, "id", json_string(st->id));
	json_object_set_new(j, "pid", json_integer(status == RT_STATUS_STOPPED ? 0 : st->pid));
	json_object_set_new(j, "status", json_string(rt_status_to_string(status)));
	json_object_set_new(j, "bundle", json_string(st->bundle ? st->bundle : ""));
	return j;
}

json_t *rt_state_to_json(const struct rt_state *st, enum rt_status status)
{
	json_t *j = base_json(st, status);
	json_object_set_new(j, "rootfs", json_string(st->rootfs ? st->rootfs : ""));
	json_object_set_new(j, "created", json_string(st->created ? st->created : ""));
	if (st->annotations && json_object_size(st->annotations))
		json_object_set(j, "annotations", st->annotations);
	json_object_set_new(j, "owner", json_string(st->owner ? st->owner : ""));
	return j;
}

json_t *rt_state_hook_json(const struct rt_state *st, enum rt_status status)
{
	json_t *j = base_json(st, status);
	if (st->annotations)
		json_object_set(j, "annotations", st->annotations);
	return j;
}

int rt_state_save(int dirfd, const struct rt_state *st, struct berr *err)
{
	_cleanup_json_ json_t *j = rt_state_to_json(st, RT_STATUS_CREATED);
	json_object_set_new(j, "pid", json_integer(st->pid));
	json_object_set_new(j, "start_time", json_integer((json_int_t)st->start_time));
	if (st->cgroup_path)
		json_object_set_new(j, "cgroup_path", json_string(st->cgroup_path));
	if (st->cgroup_root)
		json_object_set_new(j, "cgroup_root", json_string(st->cgroup_root));
	json_object_del(j, "status");
	_cleanup_free_ char *s = json_dump_compact(j);
	if (!s)
		return -ENOMEM;
	int r = write_file_atomic_at(dirfd, "state.json", s, strlen(s), 0600);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "writing state.json");
	return 0;
}

char *rt_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64], *out = NULL;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
		return NULL;
	return out;
}
