/* create.c - `create`: from a bundle to an init process blocked on exec.fifo.
 * See container.h for the process model. Runs single-threaded: the forked
 * children use only async-signal-safe calls plus our own code, which does
 * not take locks that another thread could hold. */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../base/log.h"
#include "../base/path.h"
#include "../base/util.h"
#include "../common/json.h"
#include "cgroup.h"
#include "console.h"
#include "container.h"
#include "hooks.h"
#include "mount.h"
#include "process.h"
#include "seccomp.h"
#include "state.h"
#include "sync.h"

struct create_ctx {
	const struct rt_create_opts *o;
	struct rt_spec *spec;
	struct rt_seccomp *seccomp;
	struct rt_cgroup *cg;
	struct rt_cgroup_join join; /* the fast ways into cg, see cgroup.h */
	bool in_dfl;                /* stage 1 was born in the cgroup2 cgroup */
	char bundle[PATH_MAX], rootfs[PATH_MAX], cgpath[PATH_MAX];
	int sock;        /* our end of the sync socketpair */
	int child_sock;  /* the children's end */
	int console;     /* connected console socket, or -EBADF */
	int state_dir;   /* O_PATH of <root>/<id> */
	int fifo;        /* O_PATH of <root>/<id>/exec.fifo */
	sigset_t mask;   /* signal mask to restore before execve */
	pid_t stage1, init;
	int pty_master;
};

static bool ns_new(const struct rt_spec *s, enum rt_ns_type t) { return s->ns[t].present && !s->ns[t].path; }

/* ---- the container's init (stage 2) ---- */

static _noreturn_ void init_fail(struct create_ctx *c, struct berr *err, int status)
{
	rt_sync_send(c->child_sock, RT_SYNC_ERROR, status, err->msg ? err->msg : "container init failed", -EBADF);
	_exit(status ? status : 1);
}

static int init_terminal(struct create_ctx *c, struct berr *err)
{
	const struct rt_process *p = &c->spec->process;
	int master, slave;
	int r = rt_console_open(p->console_height, p->console_width, &master, &slave, err);
	if (r < 0)
		return r;
	if (rt_mount_console(slave, err) < 0)
		berr_clear(err); /* a /dev without a writable console is not fatal */
	if (c->console >= 0)
		r = rt_console_send(c->console, master, err);
	else if (c->o->keep_pty)
		r = rt_sync_send(c->child_sock, RT_SYNC_PTY, 0, NULL, master) < 0 ? -EPIPE : 0;
	else
		r = berr_set(err, BERR_INVALID, EINVAL,
			     "process.terminal is true but no --console-socket was given (use run without -d, or give a console socket)");
	close(master);
	if (r == 0)
		r = rt_console_make_stdio(slave, err);
	if (slave > 2)
		close(slave);
	if (c->console >= 0)
		close(c->console);
	return r;
}

static int init_oom_score(const struct rt_process *p, struct berr *err)
{
	if (!p->has_oom_score_adj)
		return 0;
	char v[16];
	snprintf(v, sizeof(v), "%d", p->oom_score_adj);
	int r = write_file_at(AT_FDCWD, "/proc/self/oom_score_adj", v, strlen(v), false);
	return r < 0 ? berr_set(err, BERR_INVALID, -r, "setting oom_score_adj to %s", v) : 0;
}

static int init_cgroupns(struct berr *err)
{
	if (unshare(CLONE_NEWCGROUP) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "creating cgroup namespace");
	return 0;
}

static int init_setup(struct create_ctx *c, char **ret_path, int *ret_status, struct berr *err)
{
	const struct rt_spec *s = c->spec;
	int r;
	/* We are normally in our cgroup already (see rt_cgroup_join_prepare).
	 * When the runtime had to move us the slow way, it does so while we
	 * build the filesystem; we wait for its ACK only before what must
	 * happen inside the cgroup: forking hooks, and the cgroup namespace,
	 * whose root is the cgroup we are in when it is made. A cgroup2 mount
	 * in a new cgroup namespace needs that namespace before mounting. */
	bool cgns = ns_new(s, RT_NS_CGROUP);
	bool early = cgns && c->cg && rt_cgroup_get_mode(c->cg) == RT_CGROUP_V2;
	if (early && ((r = rt_sync_expect(c->child_sock, RT_SYNC_ACK, NULL, err)) < 0 || (r = init_cgroupns(err)) < 0))
		return r;
	if (setsid() < 0)
		return berr_set(err, BERR_INTERNAL, errno, "setsid");
	umask(0);
	bool has_mnt = s->ns[RT_NS_MOUNT].present;
	struct rt_mount_ctx mc = { .spec = s, .rootfs = c->rootfs, .bundle = c->bundle, .cg = c->cg,
				   .userns = s->ns[RT_NS_USER].present, .new_cgroupns = ns_new(s, RT_NS_CGROUP) };
	if (has_mnt && (r = rt_mount_prepare(&mc, err)) < 0)
		return r;
	if (!early && (r = rt_sync_expect(c->child_sock, RT_SYNC_ACK, NULL, err)) < 0)
		return r;
	if ((r = rt_sync_send(c->child_sock, RT_SYNC_HOOKS, 0, NULL, -EBADF)) < 0 ||
	    (r = rt_sync_expect(c->child_sock, RT_SYNC_ACK, NULL, err)) < 0)
		return r;
	if (cgns && !early && (r = init_cgroupns(err)) < 0)
		return r;
	_cleanup_json_ json_t *hs = json_pack("{s:s,s:s,s:s,s:i,s:s}", "ociVersion", "1.1.0", "id", c->o->id, "status",
					      "created", "pid", (int)getpid(), "bundle", c->bundle);
	_cleanup_free_ char *hstate = json_dump_compact(hs);
	if ((r = rt_hooks_run(s, RT_HOOK_CREATE_CONTAINER, hstate, err)) < 0)
		return r;
	if (has_mnt && ((r = rt_mount_pivot(c->rootfs, err)) < 0 || (r = rt_mount_finish(s, err)) < 0))
		return r;
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return berr_set(err, BERR_INVALID, errno, "setting hostname %s", s->hostname);
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return berr_set(err, BERR_INVALID, errno, "setting domainname %s", s->domainname);
	if (s->process.terminal && (r = init_terminal(c, err)) < 0)
		return r;
	if ((r = init_oom_score(&s->process, err)) < 0 || (r = rt_process_set_rlimits(&s->process, err)) < 0)
		return r;
	if ((r = rt_process_chdir(s->process.cwd, err)) < 0)
		return r;
	return rt_process_find_exec(&s->process, ret_path, ret_status, err);
}

/* Block until `start` opens the fifo's read side. */
static int init_wait_start(struct create_ctx *c)
{
	/* Reopen the fifo through our own fd table: in a user namespace the
	 * state directory (0700, host root) is out of reach, the fifo itself
	 * was chowned to the container's root. Without a /proc in the
	 * container, fall back to the directory. */
	char self[32];
	path_fd_proc(c->fifo, self);
	int fd = RETRY_EINTR(open(self, O_WRONLY | O_CLOEXEC));
	if (fd < 0 && errno == ENOENT)
		fd = RETRY_EINTR(openat(c->state_dir, "exec.fifo", O_WRONLY | O_CLOEXEC));
	if (fd < 0)
		return -errno;
	int r = write_all(fd, "0", 1);
	close(fd);
	close(c->fifo);
	close(c->state_dir);
	return r;
}

static _noreturn_ void init_main(struct create_ctx *c)
{
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_free_ char *path = NULL;
	int status = 1;
	if (init_setup(c, &path, &status, &err) < 0)
		init_fail(c, &err, status);
	/* Nothing in the container may ptrace or open /proc/1/exe of the
	 * runtime copy while it waits (CVE-2016-9962); execve resets this. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Wait until the runtime has recorded our state: if it dies before,
	 * nobody could ever start or delete us, so we go too. */
	if (rt_sync_send(c->child_sock, RT_SYNC_CREATED, 0, NULL, -EBADF) < 0 ||
	    rt_sync_expect(c->child_sock, RT_SYNC_ACK, NULL, &err) < 0)
		_exit(1);
	close(c->child_sock);
	if (init_wait_start(c) < 0)
		_exit(1);
	_cleanup_json_ json_t *hs = json_pack("{s:s,s:s,s:s,s:i,s:s}", "ociVersion", "1.1.0", "id", c->o->id, "status",
					      "running", "pid", (int)getpid(), "bundle", c->bundle);
	_cleanup_free_ char *hstate = json_dump_compact(hs);
	if (rt_hooks_run(c->spec, RT_HOOK_START_CONTAINER, hstate, &err) >= 0)
		rt_process_exec(&c->spec->process, c->seccomp, path, c->o->preserve_fds, &c->mask, &status, &err);
	dprintf(STDERR_FILENO, "berth-runtime: %s\n", err.msg ? err.msg : "failed to start the container process");
	_exit(status);
}

/* ---- stage 1: namespaces ---- */

static int join_ns(const struct rt_spec *s, enum rt_ns_type t, struct berr *err)
{
	_cleanup_close_ int fd = open(s->ns[t].path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return berr_set(err, BERR_INVALID, errno, "opening %s namespace %s", rt_ns_type_to_string(t), s->ns[t].path);
	if (setns(fd, rt_ns_clone_flag(t)) < 0)
		return berr_set(err, BERR_INVALID, errno, "joining %s namespace %s", rt_ns_type_to_string(t),
				s->ns[t].path);
	return 0;
}

static int stage1_namespaces(struct create_ctx *c, struct berr *err)
{
	const struct rt_spec *s = c->spec;
	int r;
	/* The user namespace comes first, so that every other namespace joined
	 * or made afterwards is owned by it. The pid namespace was joined by
	 * the parent (setns on pid affects only children). */
	if (s->ns[RT_NS_USER].path && (r = join_ns(s, RT_NS_USER, err)) < 0)
		return r;
	if (ns_new(s, RT_NS_USER)) {
		if (unshare(CLONE_NEWUSER) < 0)
			return berr_set(err, BERR_INTERNAL, errno, "creating user namespace");
		if ((r = rt_sync_send(c->child_sock, RT_SYNC_USERMAP, 0, NULL, -EBADF)) < 0 ||
		    (r = rt_sync_expect(c->child_sock, RT_SYNC_ACK, NULL, err)) < 0)
			return r;
	}
	if (s->ns[RT_NS_USER].present && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return berr_set(err, BERR_INVALID, errno, "becoming root in the user namespace (is uid/gid 0 mapped?)");
	for (int t = 0; t < _RT_NS_MAX; t++)
		if (t != RT_NS_USER && t != RT_NS_PID && s->ns[t].path && (r = join_ns(s, t, err)) < 0)
			return r;
	int flags = 0;
	for (int t = 0; t < _RT_NS_MAX; t++)
		if (t != RT_NS_USER && t != RT_NS_CGROUP && ns_new(s, t))
			flags |= rt_ns_clone_flag(t);
	if (flags && unshare(flags) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "creating namespaces");
	return 0;
}

static _noreturn_ void stage1_main(struct create_ctx *c)
{
	_cleanup_berr_ struct berr err = { 0 };
	int r = rt_cgroup_join_self(&c->join);
	if (r < 0) {
		berr_set(&err, BERR_INTERNAL, -r, "joining cgroup %s", c->cgpath);
		init_fail(c, &err, 1);
	}
	if (stage1_namespaces(c, &err) < 0)
		init_fail(c, &err, 1);
	pid_t pid = fork();
	if (pid < 0) {
		berr_set(&err, BERR_INTERNAL, errno, "fork");
		init_fail(c, &err, 1);
	}
	if (pid == 0)
		init_main(c);
	rt_sync_send(c->child_sock, RT_SYNC_PID, pid, NULL, -EBADF);
	_exit(0);
}

/* ---- the runtime's side ---- */

static int write_idmap(pid_t pid, const char *file, const struct rt_idmap *m, size_t n, struct berr *err)
{
	char buf[4096], path[64];
	size_t len = 0;
	for (size_t i = 0; i < n && len < sizeof(buf) - 64; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", m[i].container_id, m[i].host_id,
					m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	int r = write_file_at(AT_FDCWD, path, buf, len, false);
	return r < 0 ? berr_set(err, BERR_INVALID, -r, "writing %s", file) : 0;
}

static int handle_usermap(struct create_ctx *c, struct berr *err)
{
	int r = write_idmap(c->stage1, "uid_map", c->spec->uid_mappings, c->spec->n_uid_mappings, err);
	if (r == 0)
		r = write_idmap(c->stage1, "gid_map", c->spec->gid_mappings, c->spec->n_gid_mappings, err);
	return r < 0 ? r : rt_sync_send(c->sock, RT_SYNC_ACK, 0, NULL, -EBADF);
}

static int handle_pid(struct create_ctx *c, pid_t pid, struct berr *err)
{
	c->init = pid;
	RETRY_EINTR(waitpid(c->stage1, NULL, 0));
	c->stage1 = 0;
	/* Stage 1 joined the v1 hierarchies itself; the init inherited them.
	 * Only when clone3 could not place it in the cgroup2 cgroup does the
	 * init need moving there, the slow way. */
	int r = c->in_dfl ? 0 : rt_cgroup_join_dfl_pid(&c->join, pid, err);
	return r < 0 ? r : rt_sync_send(c->sock, RT_SYNC_ACK, 0, NULL, -EBADF);
}

static int handle_hooks(struct create_ctx *c, struct berr *err)
{
	_cleanup_json_ json_t *hs = json_pack("{s:s,s:s,s:s,s:i,s:s}", "ociVersion", "1.1.0", "id", c->o->id, "status",
					      "creating", "pid", (int)c->init, "bundle", c->bundle);
	_cleanup_free_ char *state = json_dump_compact(hs);
	int r = rt_hooks_run(c->spec, RT_HOOK_PRESTART, state, err);
	if (r == 0)
		r = rt_hooks_run(c->spec, RT_HOOK_CREATE_RUNTIME, state, err);
	return r < 0 ? r : rt_sync_send(c->sock, RT_SYNC_ACK, 0, NULL, -EBADF);
}

/* Serve the children's requests until the init reports it is created. */
static int parent_loop(struct create_ctx *c, struct berr *err)
{
	for (;;) {
		struct rt_sync_msg m;
		int fd = -EBADF;
		int r = rt_sync_recv(c->sock, &m, &fd);
		if (r == -EPIPE)
			return berr_set(err, BERR_INTERNAL, 0, "container init exited during setup");
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "reading from container init");
		switch (m.type) {
		case RT_SYNC_USERMAP:
			r = handle_usermap(c, err);
			break;
		case RT_SYNC_PID:
			r = handle_pid(c, m.value, err);
			break;
		case RT_SYNC_HOOKS:
			r = handle_hooks(c, err);
			break;
		case RT_SYNC_PTY:
			c->pty_master = fd;
			break;
		case RT_SYNC_CREATED:
			return 0;
		case RT_SYNC_ERROR:
			return rt_exec_error(err, m.value, m.text);
		default:
			return berr_set(err, BERR_INTERNAL, EPROTO, "unexpected message %u from container init", m.type);
		}
		if (r < 0)
			return r;
	}
}

static int resolve_paths(struct create_ctx *c, struct berr *err)
{
	if (!realpath(c->o->bundle ? c->o->bundle : ".", c->bundle))
		return berr_set(err, BERR_INVALID, errno, "bundle %s", c->o->bundle ? c->o->bundle : ".");
	const char *root = c->spec->root_path;
	if (!root)
		return berr_set(err, BERR_INVALID, EINVAL, "config.json: root.path is required");
	char joined[PATH_MAX * 2];
	snprintf(joined, sizeof(joined), "%s%s%s", root[0] == '/' ? "" : c->bundle, root[0] == '/' ? "" : "/", root);
	if (!realpath(joined, c->rootfs))
		return berr_set(err, BERR_INVALID, errno, "rootfs %s", joined);
	const char *cg = c->spec->cgroups_path;
	if (cg && cg[0] != '/')
		return berr_set(err, BERR_INVALID, EINVAL,
				"cgroupsPath %s: systemd-style paths are not supported, give an absolute cgroupfs path", cg);
	snprintf(c->cgpath, sizeof(c->cgpath), "%s", cg ? cg : "");
	if (!cg)
		snprintf(c->cgpath, sizeof(c->cgpath), "/berth/%s", c->o->id);
	return 0;
}

/* The host ids of the container's root when it has a user namespace. */
static bool container_root_ids(const struct rt_spec *s, uid_t *uid, gid_t *gid)
{
	if (!s->ns[RT_NS_USER].present)
		return false;
	*uid = 0;
	*gid = 0;
	for (size_t i = 0; i < s->n_uid_mappings; i++)
		if (s->uid_mappings[i].container_id == 0)
			*uid = s->uid_mappings[i].host_id;
	for (size_t i = 0; i < s->n_gid_mappings; i++)
		if (s->gid_mappings[i].container_id == 0)
			*gid = s->gid_mappings[i].host_id;
	return true;
}

static int make_state_dir(struct create_ctx *c, struct berr *err)
{
	const char *root = c->o->root;
	if (mkdir_p(root, 0700) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "creating state root %s", root);
	_cleanup_close_ int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening state root %s", root);
	if (mkdirat(rfd, c->o->id, 0700) < 0) {
		if (errno == EEXIST)
			return berr_set_msg(err, BERR_CONFLICT, EEXIST, "container with id exists: %s", c->o->id);
		return berr_set(err, BERR_INTERNAL, errno, "creating state dir for %s", c->o->id);
	}
	c->state_dir = openat(rfd, c->o->id, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (c->state_dir < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening state dir");
	_cleanup_close_ int dfd = openat(rfd, c->o->id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || mkfifoat(dfd, "exec.fifo", 0600) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "creating exec.fifo");
	c->fifo = openat(dfd, "exec.fifo", O_PATH | O_CLOEXEC);
	if (c->fifo < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening exec.fifo");
	uid_t uid;
	gid_t gid;
	if (container_root_ids(c->spec, &uid, &gid) && fchownat(dfd, "exec.fifo", uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "chown of exec.fifo");
	_cleanup_free_ char *cfg = json_dumps(c->spec->raw, JSON_COMPACT);
	int r = cfg ? write_file_atomic_at(dfd, "config.json", cfg, strlen(cfg), 0600) : -ENOMEM;
	return r < 0 ? berr_set(err, BERR_INTERNAL, -r, "saving config.json") : 0;
}

static int record_state(struct create_ctx *c, struct berr *err)
{
	struct rt_state st = {
		.id = (char *)c->o->id, .pid = c->init, .start_time = rt_proc_start_time(c->init),
		.bundle = c->bundle, .rootfs = c->rootfs, .created = rt_now_rfc3339(), .owner = (char *)"",
		.cgroup_path = c->cgpath, .cgroup_root = (char *)c->o->cgroup_root, .oci_version = c->spec->oci_version,
		.annotations = c->spec->annotations,
	};
	_cleanup_close_ int dfd = openat(c->state_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = dfd < 0 ? berr_set(err, BERR_INTERNAL, errno, "opening state dir") : rt_state_save(dfd, &st, err);
	free(st.created);
	if (r < 0 || !c->o->pid_file)
		return r;
	char pid[32];
	snprintf(pid, sizeof(pid), "%d", (int)c->init);
	r = write_file_atomic_at(AT_FDCWD, c->o->pid_file, pid, strlen(pid), 0644);
	return r < 0 ? berr_set(err, BERR_INVALID, -r, "writing pid file %s", c->o->pid_file) : 0;
}

static int spawn(struct create_ctx *c, struct berr *err)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "socketpair");
	c->sock = sp[0];
	c->child_sock = sp[1];
	if (c->spec->ns[RT_NS_PID].path && join_ns(c->spec, RT_NS_PID, err) < 0)
		return berr_code(err);
	c->stage1 = rt_cgroup_fork(&c->join, &c->in_dfl);
	if (c->stage1 < 0)
		return berr_set(err, BERR_INTERNAL, -c->stage1, "fork");
	if (c->stage1 == 0) {
		close(c->sock);
		stage1_main(c);
	}
	close(c->child_sock);
	c->child_sock = -EBADF;
	rt_cgroup_join_release(&c->join);
	return parent_loop(c, err);
}

static void create_cleanup(struct create_ctx *c, bool failed)
{
	if (failed && c->init > 0) {
		kill(c->init, SIGKILL);
		waitpid(c->init, NULL, 0); /* ours only when we are its subreaper; harmless otherwise */
	}
	if (c->stage1 > 0) {
		kill(c->stage1, SIGKILL);
		waitpid(c->stage1, NULL, 0);
	}
	if (failed && c->cg)
		rt_cgroup_destroy(c->cg, NULL);
	if (failed && c->state_dir >= 0) {
		_cleanup_close_ int rfd = open(c->o->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rfd >= 0)
			rm_rf_at(rfd, c->o->id);
	}
	if (failed && c->pty_master >= 0)
		close(c->pty_master);
	rt_cgroup_join_release(&c->join);
	rt_cgroup_free(c->cg);
	rt_seccomp_free(c->seccomp);
	rt_spec_free(c->spec);
	if (c->state_dir >= 0)
		close(c->state_dir);
	if (c->fifo >= 0)
		close(c->fifo);
	if (c->console >= 0)
		close(c->console);
	if (c->sock >= 0)
		close(c->sock);
}

/* The device rules for the cgroup: the config's, then (as runc does) the
 * devices every container gets: mknod of any node (using one still needs
 * r/w), the default /dev nodes, ptys, and the nodes in linux.devices. Later
 * rules win, so a config's blanket deny does not hide /dev/null. */
static const struct rt_device_rule default_rules[] = {
	{ true, 'c', -1, -1, "m" },  { true, 'b', -1, -1, "m" },  { true, 'c', 1, 3, "rwm" },
	{ true, 'c', 1, 5, "rwm" },  { true, 'c', 1, 7, "rwm" },  { true, 'c', 1, 8, "rwm" },
	{ true, 'c', 1, 9, "rwm" },  { true, 'c', 5, 0, "rwm" },  { true, 'c', 5, 1, "rwm" },
	{ true, 'c', 5, 2, "rwm" },  { true, 'c', 136, -1, "rwm" },
};

static int add_default_device_rules(struct rt_spec *s)
{
	struct rt_resources *res = &s->resources;
	size_t n = res->n_devices + ARRAY_SIZE(default_rules) + s->n_devices;
	struct rt_device_rule *rules = calloc(n, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < res->n_devices; i++)
		rules[k++] = res->devices[i];
	for (size_t i = 0; i < ARRAY_SIZE(default_rules); i++)
		rules[k++] = default_rules[i];
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct rt_device *d = &s->devices[i];
		if (d->type == 'p')
			continue;
		rules[k++] = (struct rt_device_rule){ true, d->type == 'u' ? 'c' : d->type, d->major, d->minor, "rwm" };
	}
	free(res->devices);
	res->devices = rules;
	res->n_devices = k;
	return 0;
}

static int create_steps(struct create_ctx *c, struct berr *err)
{
	const struct rt_create_opts *o = c->o;
	char cfg[PATH_MAX];
	int r = rt_id_validate(o->id, err);
	if (r < 0)
		return r;
	snprintf(cfg, sizeof(cfg), "%s/config.json", o->bundle ? o->bundle : ".");
	if ((r = rt_spec_load(cfg, &c->spec, err)) < 0 || (r = resolve_paths(c, err)) < 0)
		return r;
	if (c->spec->seccomp && (r = rt_seccomp_compile(c->spec->seccomp, &c->seccomp, err)) < 0)
		return r;
	if (o->console_socket && (c->console = rt_console_connect(o->console_socket, err)) < 0)
		return c->console;
	if ((r = make_state_dir(c, err)) < 0)
		return r;
	if ((r = add_default_device_rules(c->spec)) < 0)
		return r;
	if ((r = rt_cgroup_create(c->o->cgroup_root, c->cgpath, &c->spec->resources, &c->cg, err)) < 0 ||
	    (r = rt_cgroup_join_prepare(c->cg, &c->join, err)) < 0)
		return r;
	if ((r = spawn(c, err)) < 0 || (r = record_state(c, err)) < 0)
		return r;
	if (rt_sync_send(c->sock, RT_SYNC_ACK, 0, NULL, -EBADF) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "container init exited after setup");
	return 0;
}

int rt_container_create(const struct rt_create_opts *o, struct rt_created *ret, struct berr *err)
{
	struct create_ctx c = { .o = o, .sock = -EBADF, .child_sock = -EBADF, .console = -EBADF,
				.state_dir = -EBADF, .fifo = -EBADF, .pty_master = -EBADF,
				.join = { .dfl_fd = -EBADF } };
	if (o->sigmask)
		c.mask = *o->sigmask;
	else
		sigprocmask(SIG_SETMASK, NULL, &c.mask);
	int r = create_steps(&c, err);
	if (r >= 0 && ret) {
		ret->pid = c.init;
		ret->pty_master = TAKE_FD(c.pty_master);
	}
	create_cleanup(&c, r < 0);
	return r < 0 ? r : 0;
}
