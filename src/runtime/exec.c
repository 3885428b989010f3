/* exec.c - `exec`: a new process inside a running container.
 *
 * The runtime forks a child that is placed in the container's cgroup, joins
 * all the container's namespaces at once through a pidfd of its init, and
 * forks again so the grandchild lands in the container's pid namespace. The
 * grandchild takes the container's config.json process as defaults (as
 * runc does), with args, env, cwd, user and terminal from the command line or
 * the --process file, and finishes like the init: user, caps, seccomp, exec. */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../base/util.h"
#include "../common/json.h"
#include "cgroup.h"
#include "console.h"
#include "container.h"
#include "process.h"
#include "seccomp.h"
#include "state.h"
#include "sync.h"

struct exec_ctx {
	const struct rt_exec_opts *o;
	struct rt_spec *spec; /* the container's config; spec->process is replaced by the exec'd one */
	struct rt_seccomp *seccomp;
	int pidfd, sock, child_sock, console, pty;
	struct rt_cgroup_join join;
	int ns_flags;
	sigset_t mask;
	pid_t child, proc;
};

static int parse_user(const char *s, struct rt_user *u, struct berr *err)
{
	char *end;
	errno = 0;
	unsigned long uid = strtoul(s, &end, 10);
	if (errno || end == s || (*end && *end != ':'))
		return berr_set(err, BERR_INVALID, EINVAL, "--user %s: expected UID[:GID] (numbers)", s);
	u->uid = (uint32_t)uid;
	if (*end == ':') {
		const char *g = end + 1;
		unsigned long gid = strtoul(g, &end, 10);
		if (end == g || *end)
			return berr_set(err, BERR_INVALID, EINVAL, "--user %s: expected UID[:GID] (numbers)", s);
		u->gid = (uint32_t)gid;
	}
	return 0;
}

/* Apply the command-line overrides to the container's process. */
static int build_process(struct exec_ctx *c, struct berr *err)
{
	const struct rt_exec_opts *o = c->o;
	struct rt_process *p = &c->spec->process;
	int r;
	if (o->process_file) {
		_cleanup_json_ json_t *j = NULL;
		struct rt_process np = { 0 };
		if ((r = json_load_path(o->process_file, &j, err)) < 0 ||
		    (r = rt_process_parse(j, "process", &np, err)) < 0)
			return r;
		rt_process_release(p);
		*p = np;
	} else {
		if (!o->args || !o->args[0])
			return berr_set(err, BERR_INVALID, EINVAL, "exec: no command given");
		strv_free(p->args);
		if (!(p->args = strv_copy(o->args)))
			return -ENOMEM;
		p->terminal = false;
	}
	for (size_t i = 0; o->env && o->env[i]; i++)
		if ((r = strv_push(&p->env, o->env[i])) < 0)
			return r;
	if (o->cwd) {
		free(p->cwd);
		if (!(p->cwd = strdup(o->cwd)))
			return -ENOMEM;
	}
	if (!p->cwd && !(p->cwd = strdup("/")))
		return -ENOMEM;
	if (o->user && (r = parse_user(o->user, &p->user, err)) < 0)
		return r;
	if (o->tty_set)
		p->terminal = o->tty;
	if (o->no_new_privs)
		p->no_new_privileges = true;
	for (size_t i = 0; o->add_caps && o->add_caps[i]; i++) {
		int cap = rt_cap_from_name(o->add_caps[i]);
		if (cap < 0)
			return berr_set(err, BERR_INVALID, EINVAL, "--cap: unknown capability %s", o->add_caps[i]);
		uint64_t bit = 1ULL << cap;
		p->caps.present = true;
		p->caps.bounding |= bit;
		p->caps.effective |= bit;
		p->caps.permitted |= bit;
	}
	return 0;
}

static _noreturn_ void proc_fail(struct exec_ctx *c, struct berr *err, int status)
{
	rt_sync_send(c->child_sock, RT_SYNC_ERROR, status, err->msg ? err->msg : "exec failed", -EBADF);
	_exit(status);
}

static int proc_terminal(struct exec_ctx *c, struct berr *err)
{
	const struct rt_process *p = &c->spec->process;
	int master, slave, r;
	if (setsid() < 0)
		return berr_set(err, BERR_INTERNAL, errno, "setsid");
	if ((r = rt_console_open(p->console_height, p->console_width, &master, &slave, err)) < 0)
		return r;
	if (c->console >= 0)
		r = rt_console_send(c->console, master, err);
	else
		r = rt_sync_send(c->child_sock, RT_SYNC_PTY, 0, NULL, master);
	close(master);
	if (r == 0)
		r = rt_console_make_stdio(slave, err);
	if (slave > 2)
		close(slave);
	return r;
}

static _noreturn_ void proc_main(struct exec_ctx *c)
{
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_free_ char *path = NULL;
	const struct rt_process *p = &c->spec->process;
	int status = 1;
	if (c->console >= 0 || p->terminal) {
		if (p->terminal && proc_terminal(c, &err) < 0)
			proc_fail(c, &err, 1);
		if (c->console >= 0)
			close(c->console);
	}
	if (rt_process_set_rlimits(p, &err) < 0 || rt_process_chdir(p->cwd, &err) < 0 ||
	    rt_process_find_exec(p, &path, &status, &err) < 0)
		proc_fail(c, &err, status);
	rt_process_exec(p, c->seccomp, path, c->o->preserve_fds, &c->mask, &status, &err);
	proc_fail(c, &err, status);
}

static _noreturn_ void child_main(struct exec_ctx *c)
{
	_cleanup_berr_ struct berr err = { 0 };
	/* Nothing in the container may ptrace us or open our /proc/PID/exe
	 * while we are still the runtime (CVE-2016-9962). */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	int r = rt_cgroup_join_self(&c->join);
	if (r < 0) {
		berr_set(&err, BERR_INTERNAL, -r, "joining the container's cgroup");
		proc_fail(c, &err, 1);
	}
	if (rt_sync_expect(c->child_sock, RT_SYNC_ACK, NULL, &err) < 0)
		_exit(1);
	if (setns(c->pidfd, c->ns_flags) < 0) {
		berr_set(&err, BERR_INTERNAL, errno, "joining the container's namespaces");
		proc_fail(c, &err, 1);
	}
	close(c->pidfd);
	pid_t pid = fork();
	if (pid < 0) {
		berr_set(&err, BERR_INTERNAL, errno, "fork");
		proc_fail(c, &err, 1);
	}
	if (pid == 0)
		proc_main(c);
	rt_sync_send(c->child_sock, RT_SYNC_PID, pid, NULL, -EBADF);
	_exit(0);
}

/* Serve the children until the process has exec'd (end of file on the
 * close-on-exec socket) or failed. */
static int exec_parent_loop(struct exec_ctx *c, struct berr *err)
{
	for (;;) {
		struct rt_sync_msg m;
		int fd = -EBADF;
		int r = rt_sync_recv(c->sock, &m, &fd);
		if (r == -EPIPE)
			return c->proc > 0 ? 0 : berr_set(err, BERR_INTERNAL, 0, "exec setup process died");
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "reading from the exec process");
		if (m.type == RT_SYNC_PID) {
			c->proc = m.value;
			RETRY_EINTR(waitpid(c->child, NULL, 0));
			c->child = 0;
		} else if (m.type == RT_SYNC_PTY) {
			c->pty = fd;
		} else if (m.type == RT_SYNC_ERROR) {
			if (c->proc > 0)
				RETRY_EINTR(waitpid(c->proc, NULL, 0));
			c->proc = 0;
			return rt_exec_error(err, m.value, m.text);
		}
	}
}

static int exec_spawn(struct exec_ctx *c, struct berr *err)
{
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "socketpair");
	c->sock = sp[0];
	c->child_sock = sp[1];
	bool in_dfl = false;
	c->child = rt_cgroup_fork(&c->join, &in_dfl);
	if (c->child < 0)
		return berr_set(err, BERR_INTERNAL, -c->child, "fork");
	if (c->child == 0) {
		close(c->sock);
		child_main(c);
	}
	close(c->child_sock);
	c->child_sock = -EBADF;
	int r = in_dfl ? 0 : rt_cgroup_join_dfl_pid(&c->join, c->child, err);
	rt_cgroup_join_release(&c->join);
	if (r < 0)
		return r;
	if (rt_sync_send(c->sock, RT_SYNC_ACK, 0, NULL, -EBADF) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "exec setup process died");
	return exec_parent_loop(c, err);
}

static int exec_prepare(struct exec_ctx *c, struct rt_cgroup **ret_cg, struct berr *err)
{
	const struct rt_exec_opts *o = c->o;
	_cleanup_state_ struct rt_state *st = NULL;
	int r = rt_state_load(o->root, o->id, &st, err);
	if (r < 0)
		return r;
	enum rt_status s = rt_state_status(o->root, st);
	if (s == RT_STATUS_STOPPED)
		return berr_set(err, BERR_CONFLICT, 0, "cannot exec in a stopped container");
	if (s == RT_STATUS_PAUSED)
		return berr_set(err, BERR_CONFLICT, 0, "cannot exec in a paused container");
	char cfg[PATH_MAX];
	snprintf(cfg, sizeof(cfg), "%s/%s/config.json", o->root, o->id);
	if ((r = rt_spec_load(cfg, &c->spec, err)) < 0 || (r = build_process(c, err)) < 0)
		return r;
	if (c->spec->seccomp && (r = rt_seccomp_compile(c->spec->seccomp, &c->seccomp, err)) < 0)
		return r;
	for (int t = 0; t < _RT_NS_MAX; t++)
		if (c->spec->ns[t].present)
			c->ns_flags |= rt_ns_clone_flag(t);
	c->pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (c->pidfd < 0 || !rt_state_alive(st))
		return berr_set(err, BERR_CONFLICT, 0, "cannot exec in a stopped container");
	if (o->console_socket && (c->console = rt_console_connect(o->console_socket, err)) < 0)
		return c->console;
	if (st->cgroup_path && rt_cgroup_open(st->cgroup_root, st->cgroup_path, ret_cg, NULL) < 0)
		*ret_cg = NULL;
	if (*ret_cg && (r = rt_cgroup_join_prepare(*ret_cg, &c->join, err)) < 0)
		return r;
	return 0;
}

static int write_pid_file(const char *path, pid_t pid, struct berr *err)
{
	char b[32];
	snprintf(b, sizeof(b), "%d", (int)pid);
	int r = write_file_atomic_at(AT_FDCWD, path, b, strlen(b), 0644);
	return r < 0 ? berr_set(err, BERR_INVALID, -r, "writing pid file %s", path) : 0;
}

int rt_container_exec(const struct rt_exec_opts *o, int *ret_status, struct berr *err)
{
	struct exec_ctx c = { .o = o, .pidfd = -EBADF, .sock = -EBADF, .child_sock = -EBADF, .console = -EBADF,
			      .pty = -EBADF, .join = { .dfl_fd = -EBADF } };
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	sigset_t fwd;
	sigfillset(&fwd);
	sigdelset(&fwd, SIGKILL);
	sigdelset(&fwd, SIGSTOP);
	sigprocmask(SIG_BLOCK, &fwd, &c.mask);
	_cleanup_close_ int sigfd = signalfd(-1, &fwd, SFD_CLOEXEC);
	if (!o->detach)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	int r = exec_prepare(&c, &cg, err);
	if (r == 0)
		r = exec_spawn(&c, err);
	if (r == 0 && o->pid_file)
		r = write_pid_file(o->pid_file, c.proc, err);
	int ws = 0;
	if (r == 0 && !o->detach) {
		r = rt_wait_process(c.proc, c.pty, sigfd, &ws);
		if (r < 0)
			berr_set(err, BERR_INTERNAL, -r, "waiting for the exec'd process");
	}
	sigprocmask(SIG_SETMASK, &c.mask, NULL);
	if (c.child > 0) {
		kill(c.child, SIGKILL);
		waitpid(c.child, NULL, 0);
	}
	*ret_status = r == 0 && !o->detach ? rt_exit_status(ws) : 0;
	rt_cgroup_join_release(&c.join);
	rt_spec_free(c.spec);
	rt_seccomp_free(c.seccomp);
	for (int *fd = (int[]){ c.pidfd, c.sock, c.console, c.pty, -1 }; *fd != -1; fd++)
		if (*fd >= 0)
			close(*fd);
	return r < 0 ? r : 0;
}
