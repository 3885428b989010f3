/* process.c - see process.h. */
#include "process.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "../base/util.h"
#include "seccomp.h"

/* Result of checking one candidate file, as Go's findExecutable does. */
static int check_exec(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode) || !(st.st_mode & 0111))
		return -EACCES;
	return 0;
}

static const char *env_path(char *const *env)
{
	const char *path = NULL;
	/* The last PATH= wins, as with execve's environment lookups. */
	for (size_t i = 0; env && env[i]; i++)
		if (str_startswith(env[i], "PATH="))
			path = env[i] + 5;
	return path;
}

static int search_path(const char *name, const char *path, char **ret)
{
	if (!path)
		return -ENOENT;
	const char *p = path;
	for (;;) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char cand[PATH_MAX];
		/* An empty element means the current directory. */
		int n = len ? snprintf(cand, sizeof(cand), "%.*s/%s", (int)len, p, name)
			    : snprintf(cand, sizeof(cand), "./%s", name);
		if (n > 0 && (size_t)n < sizeof(cand) && check_exec(cand) == 0) {
			*ret = strdup(cand);
			return *ret ? 0 : -ENOMEM;
		}
		if (!colon)
			return -ENOENT;
		p = colon + 1;
	}
}

int rt_process_find_exec(const struct rt_process *p, char **ret_path, int *ret_status, struct berr *err)
{
	const char *name = p->args[0];
	if (strchr(name, '/')) {
		int r = check_exec(name);
		/* Go's lower-case error texts, as runc prints them. */
		if (r == -ENOENT || r == -ENOTDIR) {
			*ret_status = 127;
			return berr_set(err, BERR_NOT_FOUND, 0, "exec: \"%s\": stat %s: %s", name, name,
					r == -ENOENT ? "no such file or directory" : "not a directory");
		}
		if (r < 0) {
			*ret_status = 126;
			return berr_set(err, BERR_FORBIDDEN, 0, "exec: \"%s\": permission denied", name);
		}
		*ret_path = strdup(name);
		return *ret_path ? 0 : -ENOMEM;
	}
	int r = search_path(name, env_path(p->env), ret_path);
	if (r < 0) {
		*ret_status = 127;
		return berr_set(err, BERR_NOT_FOUND, 0, "exec: \"%s\": executable file not found in $PATH", name);
	}
	return 0;
}

int rt_process_set_rlimits(const struct rt_process *p, struct berr *err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return berr_set(err, BERR_INVALID, errno, "setting rlimit %d to %llu/%llu",
					p->rlimits[i].resource, (unsigned long long)rl.rlim_cur,
					(unsigned long long)rl.rlim_max);
	}
	return 0;
}

int rt_process_drop_bounding(const struct rt_caps *c, struct berr *err)
{
	if (!c->present)
		return 0;
	for (int cap = 0; cap < 64; cap++) {
		if (c->bounding & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			if (errno == EINVAL) /* past the kernel's last capability */
				break;
			return berr_set(err, BERR_INTERNAL, errno, "dropping capability %d from the bounding set", cap);
		}
	}
	return 0;
}

int rt_process_set_user(const struct rt_user *u, struct berr *err)
{
	/* Keep permitted capabilities across the uid change; the final sets
	 * are installed by rt_process_apply_caps(). */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "prctl(PR_SET_KEEPCAPS)");
	gid_t groups[NGROUPS_MAX];
	size_t n = u->n_additional_gids < NGROUPS_MAX ? u->n_additional_gids : NGROUPS_MAX;
	for (size_t i = 0; i < n; i++)
		groups[i] = u->additional_gids[i];
	/* EPERM here means setgroups is denied in this user namespace; then the
	 * supplementary groups cannot be changed and stay as they are. */
	if (setgroups(n, groups) < 0 && !(errno == EPERM && n == 0))
		return berr_set(err, BERR_INVALID, errno, "setgroups");
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return berr_set(err, BERR_INVALID, errno, "setting gid to %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return berr_set(err, BERR_INVALID, errno, "setting uid to %u", u->uid);
	return 0;
}

int rt_process_apply_caps(const struct rt_caps *c, struct berr *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = { 0 };
	uint64_t eff = 0, perm = 0, inh = 0, amb = 0;
	if (c->present) {
		eff = c->effective;
		perm = c->permitted;
		inh = c->inheritable;
		amb = c->ambient;
	}
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(eff >> (32 * i));
		data[i].permitted = (uint32_t)(perm >> (32 * i));
		data[i].inheritable = (uint32_t)(inh >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return berr_set(err, BERR_INVALID, errno, "setting capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return berr_set(err, BERR_INTERNAL, errno, "clearing ambient capabilities");
	for (int cap = 0; cap < 64; cap++)
		if ((amb & (1ULL << cap)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return berr_set(err, BERR_INVALID, errno,
					"raising ambient capability %s (it must be permitted and inheritable)",
					rt_cap_to_name(cap) ? rt_cap_to_name(cap) : "?");
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "prctl(PR_SET_KEEPCAPS, 0)");
	return 0;
}

void rt_process_cloexec_from(int first)
{
	if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	/* Kernels before 5.11: walk our fds one by one. */
	for (int fd = first; fd < 65536; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0)
			fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
}

int rt_process_chdir(const char *cwd, struct berr *err)
{
	if (chdir(cwd) < 0)
		return berr_set(err, BERR_INVALID, errno, "chdir to cwd (\"%s\") set in config.json failed", cwd);
	/* CVE-2024-21626: a cwd reached through a leaked host fd lies outside
	 * our root, and the kernel then reports it with an "(unreachable)"
	 * prefix or a path not starting with '/'. Refuse to continue. */
	char buf[PATH_MAX];
	if (!getcwd(buf, sizeof(buf)))
		return berr_set(err, BERR_FORBIDDEN, errno, "current working directory is outside of container mount namespace root");
	if (buf[0] != '/')
		return berr_set(err, BERR_FORBIDDEN, EPERM,
				"current working directory is outside of container mount namespace root");
	return 0;
}

int rt_process_exec(const struct rt_process *p, struct rt_seccomp *sc, const char *path, int preserve_fds,
		    const sigset_t *mask, int *ret_status, struct berr *err)
{
	int r;
	*ret_status = 127;
	if (sc && !p->no_new_privileges && (r = rt_seccomp_load(sc)) < 0)
		return berr_set(err, BERR_INVALID, -r, "loading seccomp filter");
	if ((r = rt_process_drop_bounding(&p->caps, err)) < 0 || (r = rt_process_set_user(&p->user, err)) < 0 ||
	    (r = rt_process_apply_caps(&p->caps, err)) < 0)
		return r;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "setting no_new_privs");
	if (sc && p->no_new_privileges && (r = rt_seccomp_load(sc)) < 0)
		return berr_set(err, BERR_INVALID, -r, "loading seccomp filter");
	umask(p->user.has_umask ? p->user.umask : 0022);
	sigprocmask(SIG_SETMASK, mask, NULL);
	rt_process_cloexec_from(3 + preserve_fds);
	execve(path, p->args, p->env ? p->env : (char *[]){ NULL });
	*ret_status = errno == ENOENT ? 127 : 126;
	return berr_set(err, BERR_INVALID, errno, "exec: \"%s\"", p->args[0]);
}
