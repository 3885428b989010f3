/* container.c - start, run, state, kill, delete, pause, list and ps.
 * create is in create.c, exec in exec.c. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "../base/log.h"
#include "../base/util.h"
#include "../common/json.h"
#include "cgroup.h"
#include "console.h"
#include "container.h"
#include "hooks.h"
#include "state.h"

int rt_exec_error(struct berr *err, int status, const char *msg)
{
	enum berr_kind kind = status == 127 ? BERR_NOT_FOUND : status == 126 ? BERR_FORBIDDEN : BERR_INVALID;
	int r = berr_set(err, kind, 0, "%s", msg);
	if (err && status == 127)
		err->errnum = ENOENT;
	else if (err && status == 126)
		err->errnum = EACCES;
	return err ? berr_code(err) : r;
}

int rt_error_exit_status(const struct berr *err)
{
	if (!err || !err->msg || !str_startswith(err->msg, "exec: "))
		return 1;
	if (err->kind == BERR_NOT_FOUND)
		return 127;
	if (err->kind == BERR_FORBIDDEN)
		return 126;
	return 1;
}

int rt_exit_status(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return 255;
}

static int pidfd_of(const struct rt_state *st)
{
	int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (fd < 0)
		return -errno;
	/* The pid could have been reused between reading the state and
	 * opening it: check it is still the same process. */
	if (!rt_state_alive(st)) {
		close(fd);
		return -ESRCH;
	}
	return fd;
}

static int load_with_status(const char *root, const char *id, struct rt_state **ret, enum rt_status *ret_status,
			    struct berr *err)
{
	int r = rt_state_load(root, id, ret, err);
	if (r == -ENOENT) {
		berr_clear(err);
		return berr_set_msg(err, BERR_NOT_FOUND, ENOENT, "container %s does not exist", id);
	}
	if (r < 0)
		return r;
	*ret_status = rt_state_status(root, *ret);
	return 0;
}

static int load_spec(const char *root, const char *id, struct rt_spec **ret, struct berr *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s/config.json", root, id);
	return rt_spec_load(path, ret, err);
}

static void run_hooks_warn(const char *root, const struct rt_state *st, enum rt_hook_kind kind, enum rt_status s)
{
	_cleanup_(rt_spec_freep) struct rt_spec *spec = NULL;
	_cleanup_berr_ struct berr err = { 0 };
	if (load_spec(root, st->id, &spec, &err) < 0 || spec->n_hooks[kind] == 0)
		return;
	_cleanup_json_ json_t *j = rt_state_hook_json(st, s);
	_cleanup_free_ char *js = json_dump_compact(j);
	/* The spec says a failing poststart or poststop hook is only a warning. */
	if (rt_hooks_run(spec, kind, js, &err) < 0)
		log_warn("%s", err.msg);
}

/* Wait (bounded) for the fifo to deliver the init's byte, or the init to die. */
static int wait_fifo(int fifo, int pidfd, struct berr *err)
{
	struct pollfd p[2] = { { .fd = fifo, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
	for (int waited = 0; waited < 60000; waited += 100) {
		int r = RETRY_EINTR(poll(p, 2, 100));
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, errno, "poll");
		if (p[0].revents & POLLIN) {
			char b;
			if (read(fifo, &b, 1) == 1)
				return 0;
			return berr_set(err, BERR_INTERNAL, 0, "container init closed exec.fifo without starting");
		}
		if (p[1].revents & POLLIN)
			return berr_set_msg(err, BERR_CONFLICT, ESRCH, "container init is dead");
	}
	return berr_set(err, BERR_UNAVAILABLE, ETIMEDOUT, "container init did not answer on exec.fifo");
}

int rt_container_start(const char *root, const char *id, struct berr *err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	enum rt_status s;
	int r = load_with_status(root, id, &st, &s, err);
	if (r < 0)
		return r;
	if (s == RT_STATUS_STOPPED)
		return berr_set(err, BERR_CONFLICT, 0, "cannot start a container that has stopped");
	if (s != RT_STATUS_CREATED)
		return berr_set(err, BERR_CONFLICT, 0, "cannot start an already running container");
	char fifo[PATH_MAX];
	snprintf(fifo, sizeof(fifo), "%s/%s/exec.fifo", root, id);
	/* The pidfd first: once the fifo is open the process may run and exit
	 * at once, and must still be recognised as ours. */
	_cleanup_close_ int pfd = pidfd_of(st);
	_cleanup_close_ int ffd = pfd < 0 ? -EBADF : open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (ffd < 0 || pfd < 0)
		return berr_set(err, BERR_CONFLICT, pfd < 0 ? -pfd : errno, "cannot start container %s", id);
	if ((r = wait_fifo(ffd, pfd, err)) < 0)
		return r;
	unlink(fifo);
	run_hooks_warn(root, st, RT_HOOK_POSTSTART, RT_STATUS_RUNNING);
	return 0;
}

int rt_container_state(const char *root, const char *id, json_t **ret, struct berr *err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	enum rt_status s;
	int r = load_with_status(root, id, &st, &s, err);
	if (r < 0)
		return r;
	*ret = rt_state_to_json(st, s);
	return *ret ? 0 : -ENOMEM;
}

int rt_container_kill(const char *root, const char *id, int sig, bool all, struct berr *err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	enum rt_status s;
	int r = load_with_status(root, id, &st, &s, err);
	if (r < 0)
		return r;
	if (all) {
		_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
		if ((r = rt_cgroup_open(st->cgroup_root, st->cgroup_path, &cg, err)) < 0)
			return r;
		if ((r = rt_cgroup_kill_all(cg, sig)) < 0)
			return berr_set(err, BERR_INTERNAL, -r, "signalling the processes of %s", id);
		return 0;
	}
	if (s == RT_STATUS_STOPPED)
		return berr_set(err, BERR_CONFLICT, 0, "container not running");
	_cleanup_close_ int pfd = pidfd_of(st);
	if (pfd < 0 || syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
		return berr_set(err, BERR_CONFLICT, pfd < 0 ? -pfd : errno, "signalling container %s", id);
	return 0;
}

/* Kill everything in the container and wait (bounded) for the init to go. */
static int kill_and_wait(const struct rt_state *st, struct rt_cgroup *cg)
{
	if (cg) {
		rt_cgroup_freeze(cg, false, NULL);
		rt_cgroup_kill_all(cg, SIGKILL);
	}
	_cleanup_close_ int pfd = pidfd_of(st);
	if (pfd < 0)
		return 0;
	syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	if (RETRY_EINTR(poll(&p, 1, 10000)) <= 0)
		return -ETIMEDOUT;
	/* Reap it when it is ours (run, or a caller that is its subreaper). */
	waitpid(st->pid, NULL, WNOHANG);
	return 0;
}

/* A state dir without state.json is what a create killed half-way leaves. */
static int delete_partial(const char *root, const char *id, struct berr *err)
{
	_cleanup_close_ int dfd = rt_state_dir_open(root, id, NULL);
	if (dfd < 0 || faccessat(dfd, "state.json", F_OK, 0) == 0)
		return 0;
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = rfd < 0 ? -errno : rm_rf_at(rfd, id);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "removing the partial state of %s", id);
	berr_clear(err);
	return 1;
}

int rt_container_delete(const char *root, const char *id, bool force, struct berr *err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	enum rt_status s;
	int r = load_with_status(root, id, &st, &s, err);
	if (r < 0 && force && delete_partial(root, id, err) == 1)
		return 0;
	if (r < 0)
		return r;
	if ((s == RT_STATUS_RUNNING || s == RT_STATUS_PAUSED) && !force)
		return berr_set(err, BERR_CONFLICT, 0, "cannot delete container %s that is not stopped: %s", id,
				rt_status_to_string(s));
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	if (st->cgroup_path && rt_cgroup_open(st->cgroup_root, st->cgroup_path, &cg, NULL) < 0)
		cg = NULL;
	if (kill_and_wait(st, cg) < 0)
		return berr_set(err, BERR_UNAVAILABLE, ETIMEDOUT, "container %s did not die after SIGKILL", id);
	if (cg && (r = rt_cgroup_destroy(cg, err)) < 0)
		return r;
	run_hooks_warn(root, st, RT_HOOK_POSTSTOP, RT_STATUS_STOPPED);
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0 || (r = rm_rf_at(rfd, id)) < 0)
		return berr_set(err, BERR_INTERNAL, rfd < 0 ? errno : -r, "removing state of %s", id);
	return 0;
}

int rt_container_pause(const char *root, const char *id, bool pause, struct berr *err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	enum rt_status s;
	int r = load_with_status(root, id, &st, &s, err);
	if (r < 0)
		return r;
	if (pause && s != RT_STATUS_RUNNING)
		return berr_set(err, BERR_CONFLICT, 0, "container not running");
	if (!pause && s != RT_STATUS_PAUSED)
		return berr_set(err, BERR_CONFLICT, 0, "container not paused");
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	if ((r = rt_cgroup_open(st->cgroup_root, st->cgroup_path, &cg, err)) < 0)
		return r;
	return rt_cgroup_freeze(cg, pause, err);
}

int rt_container_list(const char *root, json_t **ret, struct berr *err)
{
	_cleanup_json_ json_t *arr = json_array();
	_cleanup_closedir_ DIR *d = opendir(root);
	if (!d && errno != ENOENT)
		return berr_set(err, BERR_INTERNAL, errno, "reading %s", root);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_state_ struct rt_state *st = NULL;
		_cleanup_berr_ struct berr e2 = { 0 };
		if (rt_state_load(root, de->d_name, &st, &e2) < 0)
			continue; /* being created or removed right now */
		json_array_append_new(arr, rt_state_to_json(st, rt_state_status(root, st)));
	}
	*ret = TAKE_PTR(arr);
	return 0;
}

int rt_container_pids(const char *root, const char *id, pid_t **ret, size_t *ret_n, struct berr *err)
{
	_cleanup_state_ struct rt_state *st = NULL;
	enum rt_status s;
	int r = load_with_status(root, id, &st, &s, err);
	if (r < 0)
		return r;
	_cleanup_cgroup_ struct rt_cgroup *cg = NULL;
	if ((r = rt_cgroup_open(st->cgroup_root, st->cgroup_path, &cg, err)) < 0)
		return r;
	r = rt_cgroup_pids(cg, ret, ret_n);
	return r < 0 ? berr_set(err, BERR_INTERNAL, -r, "listing processes of %s", id) : 0;
}

/* ---- run ---- */

static void forwardable_signals(sigset_t *set)
{
	sigfillset(set);
	sigdelset(set, SIGKILL);
	sigdelset(set, SIGSTOP);
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGILL);
	sigdelset(set, SIGFPE);
	sigdelset(set, SIGTSTP);
	sigdelset(set, SIGTTIN);
	sigdelset(set, SIGTTOU);
}

/* Wait for pid, passing on every signal we receive. */
static int forward_until_exit(pid_t pid, int pidfd, int sigfd, int *ret_status)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = sigfd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
		if (RETRY_EINTR(poll(p, 2, -1)) < 0)
			return -errno;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGCHLD &&
			    si.ssi_signo != SIGWINCH)
				kill(pid, (int)si.ssi_signo);
		}
		if (p[1].revents & POLLIN) {
			int st;
			if (RETRY_EINTR(waitpid(pid, &st, 0)) < 0)
				return -errno;
			*ret_status = st;
			return 0;
		}
	}
}

int rt_wait_process(pid_t pid, int pty, int sigfd, int *ret_status)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -errno;
	if (pty >= 0)
		return rt_console_proxy(pty, pid, pidfd, sigfd, ret_status);
	return forward_until_exit(pid, pidfd, sigfd, ret_status);
}

int rt_container_run(const struct rt_create_opts *o, bool detach, int *ret_status, struct berr *err)
{
	sigset_t fwd, old;
	forwardable_signals(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, &old);
	_cleanup_close_ int sigfd = signalfd(-1, &fwd, SFD_CLOEXEC);
	struct rt_create_opts co = *o;
	co.sigmask = &old;
	co.keep_pty = !detach && !o->console_socket;
	if (!detach)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	struct rt_created cr = { .pty_master = -EBADF };
	int r = rt_container_create(&co, &cr, err);
	_cleanup_close_ int pty = cr.pty_master;
	/* Only a container this call created is ours to remove on failure: a
	 * failed create may mean the id belongs to someone else's container. */
	if (r == 0 && (r = rt_container_start(o->root, o->id, err)) < 0)
		rt_container_delete(o->root, o->id, true, NULL);
	if (r < 0 || detach) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		*ret_status = 0;
		return r;
	}
	int ws = 0;
	r = rt_wait_process(cr.pid, pty, sigfd, &ws);
	sigprocmask(SIG_SETMASK, &old, NULL);
	_cleanup_berr_ struct berr derr = { 0 };
	if (rt_container_delete(o->root, o->id, true, &derr) < 0)
		log_warn("%s", derr.msg);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "waiting for the container");
	*ret_status = rt_exit_status(ws);
	return 0;
}
