/* hooks.c - see hooks.h. */
#include "hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "../base/util.h"

static const char *const hook_names[_RT_HOOK_MAX] = {
	[RT_HOOK_PRESTART] = "prestart",
	[RT_HOOK_CREATE_RUNTIME] = "createRuntime",
	[RT_HOOK_CREATE_CONTAINER] = "createContainer",
	[RT_HOOK_START_CONTAINER] = "startContainer",
	[RT_HOOK_POSTSTART] = "poststart",
	[RT_HOOK_POSTSTOP] = "poststop",
};

const char *rt_hook_kind_to_string(enum rt_hook_kind k)
{
	return (unsigned)k < _RT_HOOK_MAX ? hook_names[k] : "unknown";
}

static _noreturn_ void hook_child(const struct rt_hook *h, int in_fd)
{
	if (dup2(in_fd, STDIN_FILENO) < 0)
		_exit(127);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	char *const fallback[] = { h->path, NULL };
	char *const noenv[] = { NULL };
	execve(h->path, h->args && h->args[0] ? h->args : fallback, h->env ? h->env : noenv);
	_exit(127);
}

/* Wait for pid, killing it when timeout (seconds, 0 = none) passes. */
static int wait_hook(pid_t pid, int timeout, int *ret_status)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		int r = RETRY_EINTR(poll(&p, 1, timeout > 0 ? timeout * 1000 : -1));
		close(pfd);
		if (r == 0) {
			kill(pid, SIGKILL);
			RETRY_EINTR(waitpid(pid, NULL, 0));
			return -ETIMEDOUT;
		}
	}
	int st;
	if (RETRY_EINTR(waitpid(pid, &st, 0)) < 0)
		return -errno;
	*ret_status = st;
	return 0;
}

static int run_one(const struct rt_hook *h, const char *state_json, int *ret_status)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (pid == 0)
		hook_child(h, p[0]);
	close(p[0]);
	/* A hook that does not read its stdin must not block us: ignore EPIPE. */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	write_all(p[1], state_json, strlen(state_json));
	close(p[1]);
	struct timespec zero = { 0, 0 };
	sigtimedwait(&pipe_set, NULL, &zero);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return wait_hook(pid, h->timeout, ret_status);
}

int rt_hooks_run(const struct rt_spec *s, enum rt_hook_kind kind, const char *state_json, struct berr *err)
{
	for (size_t i = 0; i < s->n_hooks[kind]; i++) {
		const struct rt_hook *h = &s->hooks[kind][i];
		int st = 0;
		int r = run_one(h, state_json, &st);
		if (r == -ETIMEDOUT)
			return berr_set(err, BERR_INTERNAL, ETIMEDOUT, "%s hook #%zu (%s) timed out after %ds",
					hook_names[kind], i, h->path, h->timeout);
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "running %s hook #%zu (%s)", hook_names[kind], i, h->path);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			continue;
		if (WIFSIGNALED(st))
			return berr_set(err, BERR_INTERNAL, 0, "%s hook #%zu (%s) killed by signal %d", hook_names[kind],
					i, h->path, WTERMSIG(st));
		return berr_set(err, BERR_INTERNAL, 0, "%s hook #%zu (%s) failed: exit status %d", hook_names[kind], i,
				h->path, WEXITSTATUS(st));
	}
	return 0;
}
