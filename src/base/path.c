/* path.c - see path.h. */
#include "path.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "util.h"

static int sys_openat2(int dirfd, const char *path, struct open_how *how)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

int path_open_in_root(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	/* An empty path means the root itself. */
	if (!path || !*path)
		path = "/";
	for (int tries = 0; tries < 64; tries++) {
		int fd = sys_openat2(rootfd, path, &how);
		if (fd >= 0)
			return fd;
		/* EAGAIN: a rename raced with the lookup; the kernel asks us to retry. */
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return -EAGAIN;
}

int path_check_no_symlinks_in_root(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS,
	};
	int fd = sys_openat2(rootfd, path, &how);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

const char *path_split(const char *path, char *parent, size_t n)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	size_t i = len;
	while (i > 0 && path[i - 1] != '/')
		i--;
	size_t plen = i;
	while (plen > 1 && path[plen - 1] == '/')
		plen--;
	if (i == 0)
		snprintf(parent, n, ".");
	else
		snprintf(parent, n, "%.*s", (int)plen, path);
	return path + i;
}

void path_fd_proc(int fd, char buf[static 32]) { snprintf(buf, 32, "/proc/self/fd/%d", fd); }

int path_mkdir_in_root(int rootfd, const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	int r = str_copy(buf, sizeof(buf), path);
	if (r < 0)
		return r;
	/* Walk prefixes: each mkdir happens relative to an fd of the parent that
	 * was itself resolved inside the root, so a symlink planted anywhere in
	 * the path can only lead to another place inside the root. */
	_cleanup_close_ int cur = path_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY, 0);
	if (cur < 0)
		return cur;
	char *save = NULL;
	for (char *comp = strtok_r(buf, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		if (streq(comp, "."))
			continue;
		if (!streq(comp, "..") && mkdirat(cur, comp, mode) < 0 && errno != EEXIST)
			return -errno;
		/* Re-resolve the prefix from the root: follows symlinks in-root. */
		size_t off = (size_t)(comp - buf) + strlen(comp);
		char prefix[PATH_MAX];
		snprintf(prefix, sizeof(prefix), "%.*s", (int)off, path);
		int next = path_open_in_root(rootfd, prefix, O_PATH | O_DIRECTORY, 0);
		if (next < 0)
			return next;
		close(cur);
		cur = next;
	}
	return TAKE_FD(cur);
}

int path_touch_in_root(int rootfd, const char *path, mode_t mode)
{
	int fd = path_open_in_root(rootfd, path, O_PATH, 0);
	if (fd >= 0 || fd != -ENOENT)
		return fd;
	char parent[PATH_MAX];
	const char *base = path_split(path, parent, sizeof(parent));
	if (!*base || streq(base, "..") || streq(base, "."))
		return -EINVAL;
	_cleanup_close_ int pfd = path_mkdir_in_root(rootfd, parent, 0755);
	if (pfd < 0)
		return pfd;
	_cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int f = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (f >= 0)
		close(f);
	else if (errno != EEXIST)
		return -errno;
	return path_open_in_root(rootfd, path, O_PATH, 0);
}
