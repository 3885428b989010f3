/* mount.c - see mount.h. */
#include "mount.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "../base/path.h"
#include "../base/util.h"

#define PROPAGATION_MASK (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

static int do_mount(const char *src, int target_fd, const char *type, unsigned long flags,
		    const char *data, const char *what, struct berr *err)
{
	char tgt[32];
	path_fd_proc(target_fd, tgt);
	if (mount(src, tgt, type, flags, data) < 0)
		return berr_set(err, berr_kind_from_errno(errno), errno, "mounting %s", what);
	return 0;
}

/* Flags a remount of a bind mount must keep: the kernel refuses to clear
 * nosuid/nodev/noexec/atime flags that are locked on the source mount. */
static unsigned long locked_flags(int fd)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (fstatvfs(fd, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

/* Remount the mount now at dest (inside rootfd) with flags. */
static int remount_at(int rootfd, const char *dest, unsigned long flags, bool bind, struct berr *err)
{
	_cleanup_close_ int fd = path_open_in_root(rootfd, dest, O_PATH, 0);
	if (fd < 0)
		return berr_set(err, BERR_INTERNAL, -fd, "reopening %s after mounting it", dest);
	unsigned long f = MS_REMOUNT | flags | (bind ? MS_BIND | locked_flags(fd) : 0);
	return do_mount(NULL, fd, NULL, f, NULL, dest, err);
}

static int set_propagation_at(int rootfd, const char *dest, unsigned long prop, struct berr *err)
{
	if (!prop)
		return 0;
	_cleanup_close_ int fd = path_open_in_root(rootfd, dest, O_PATH, 0);
	if (fd < 0)
		return berr_set(err, BERR_INTERNAL, -fd, "reopening %s", dest);
	return do_mount(NULL, fd, NULL, prop, NULL, dest, err);
}

static int source_is_dir(const struct rt_mount_ctx *ctx, const char *src, char *abs, size_t n)
{
	if (src[0] == '/')
		snprintf(abs, n, "%s", src);
	else
		snprintf(abs, n, "%s/%s", ctx->bundle, src);
	struct stat st;
	if (stat(abs, &st) < 0)
		return -errno;
	return S_ISDIR(st.st_mode);
}

/* Create dest inside the root and return an O_PATH fd to it. proc and sysfs
 * may not be mounted through a symlink at all (CVE-2023-27561). */
static int open_target(int rootfd, const struct rt_mount *m, bool file, struct berr *err)
{
	int fd = file ? path_touch_in_root(rootfd, m->destination, 0644)
		      : path_mkdir_in_root(rootfd, m->destination, 0755);
	if (fd < 0)
		return berr_set(err, berr_kind_from_errno(fd), -fd, "creating mount point %s in the rootfs", m->destination);
	if (m->type && (streq(m->type, "proc") || streq(m->type, "sysfs"))) {
		int chk = path_check_no_symlinks_in_root(rootfd, m->destination);
		if (chk < 0) {
			close(fd);
			if (chk == -ELOOP)
				return berr_set(err, BERR_FORBIDDEN, 0, "mount destination %s is a symlink, refused for %s",
						m->destination, m->type);
			return berr_set(err, BERR_INTERNAL, -chk, "checking mount destination %s", m->destination);
		}
	}
	return fd;
}

static int mount_bind(const struct rt_mount_ctx *ctx, int rootfd, const struct rt_mount *m, struct berr *err)
{
	char src[PATH_MAX];
	int isdir = source_is_dir(ctx, m->source ? m->source : "", src, sizeof(src));
	if (isdir < 0)
		return berr_set(err, BERR_INVALID, -isdir, "bind mount source %s", src);
	_cleanup_close_ int fd = open_target(rootfd, m, !isdir, err);
	if (fd < 0)
		return fd;
	int r = do_mount(src, fd, NULL, MS_BIND | (m->flags & MS_REC), NULL, m->destination, err);
	if (r < 0)
		return r;
	unsigned long extra = m->flags & ~(MS_BIND | MS_REC | PROPAGATION_MASK);
	if (extra && (r = remount_at(rootfd, m->destination, extra, true, err)) < 0)
		return r;
	if (m->recursive_ro) {
		_cleanup_close_ int nfd = path_open_in_root(rootfd, m->destination, O_PATH, 0);
		struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
		if (nfd < 0 || syscall(SYS_mount_setattr, nfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
			return berr_set(err, BERR_INVALID, nfd < 0 ? -nfd : errno, "making %s recursively read-only",
					m->destination);
	}
	return set_propagation_at(rootfd, m->destination, m->propagation, err);
}

/* /sys/fs/cgroup: with a cgroup namespace on v2 the kernel gives the right
 * view directly; otherwise a tmpfs holds binds of the container's own
 * cgroup directories, so the container sees only itself. */
static int mount_cgroup(const struct rt_mount_ctx *ctx, int rootfd, const struct rt_mount *m, struct berr *err)
{
	_cleanup_close_ int fd = open_target(rootfd, m, false, err);
	if (fd < 0)
		return fd;
	unsigned long base = m->flags & ~(MS_RDONLY | PROPAGATION_MASK | MS_BIND | MS_REC);
	bool ro = m->flags & MS_RDONLY;
	if (!ctx->cg)
		return 0;
	if (rt_cgroup_get_mode(ctx->cg) == RT_CGROUP_V2 && ctx->new_cgroupns)
		return do_mount("cgroup", fd, "cgroup2", m->flags & ~PROPAGATION_MASK, NULL, m->destination, err);

	struct rt_cgroup_mount *cms = NULL;
	size_t n = 0;
	int r = rt_cgroup_mounts(ctx->cg, &cms, &n);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "listing cgroup hierarchies");
	if (rt_cgroup_get_mode(ctx->cg) == RT_CGROUP_V2) {
		r = n ? do_mount(cms[0].host_dir, fd, NULL, MS_BIND | MS_REC, NULL, m->destination, err) : 0;
		if (r == 0 && ro)
			r = remount_at(rootfd, m->destination, base | MS_RDONLY, true, err);
		rt_cgroup_mounts_free(cms, n);
		return r;
	}
	r = do_mount("tmpfs", fd, "tmpfs", base, "mode=755", m->destination, err);
	_cleanup_close_ int dir = r < 0 ? -EBADF : path_open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char sub[PATH_MAX];
		snprintf(sub, sizeof(sub), "%s/%s", m->destination, cms[i].name);
		if (cms[i].link_target) {
			if (symlinkat(cms[i].link_target, dir, cms[i].name) < 0 && errno != EEXIST)
				r = berr_set(err, BERR_INTERNAL, errno, "linking %s", sub);
			continue;
		}
		_cleanup_close_ int sfd = path_mkdir_in_root(rootfd, sub, 0755);
		if (sfd < 0) {
			r = berr_set(err, BERR_INTERNAL, -sfd, "creating %s", sub);
			break;
		}
		r = do_mount(cms[i].host_dir, sfd, NULL, MS_BIND | MS_REC, NULL, sub, err);
		if (r == 0 && ro)
			r = remount_at(rootfd, sub, base | MS_RDONLY, true, err);
	}
	rt_cgroup_mounts_free(cms, n);
	if (r == 0 && ro)
		r = remount_at(rootfd, m->destination, base | MS_RDONLY, false, err);
	return r;
}

static int mount_one(const struct rt_mount_ctx *ctx, int rootfd, const struct rt_mount *m, struct berr *err)
{
	if (m->is_bind)
		return mount_bind(ctx, rootfd, m, err);
	if (m->type && streq(m->type, "cgroup"))
		return mount_cgroup(ctx, rootfd, m, err);
	_cleanup_close_ int fd = open_target(rootfd, m, false, err);
	if (fd < 0)
		return fd;
	const char *type = m->type ? m->type : "none";
	int r = do_mount(m->source ? m->source : type, fd, type, m->flags & ~PROPAGATION_MASK, m->data,
			 m->destination, err);
	if (r < 0 && streq(type, "sysfs") && (errno == EPERM || errno == EBUSY)) {
		/* Without a network namespace of its own a user-namespaced
		 * container may not mount sysfs; show the host's, read-only. */
		berr_clear(err);
		r = do_mount("/sys", fd, NULL, MS_BIND | MS_REC, NULL, m->destination, err);
		if (r == 0)
			r = remount_at(rootfd, m->destination, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, true, err);
	}
	if (r < 0)
		return r;
	return set_propagation_at(rootfd, m->destination, m->propagation, err);
}

struct default_dev {
	const char *name;
	unsigned major, minor;
};
static const struct default_dev default_devs[] = {
	{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static int make_device(const struct rt_mount_ctx *ctx, int rootfd, const char *path, char type, unsigned major,
		       unsigned minor, mode_t perm, uid_t uid, gid_t gid, struct berr *err)
{
	char parent[PATH_MAX];
	const char *base = path_split(path, parent, sizeof(parent));
	_cleanup_close_ int pfd = path_mkdir_in_root(rootfd, parent, 0755);
	if (pfd < 0)
		return berr_set(err, BERR_INTERNAL, -pfd, "creating %s", parent);
	_cleanup_close_ int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening %s", parent);
	if (ctx->userns) {
		/* mknod is not allowed in a user namespace: bind the host's node. */
		char host[64];
		snprintf(host, sizeof(host), "/dev/%s", base);
		_cleanup_close_ int t = path_touch_in_root(rootfd, path, 0644);
		if (t < 0)
			return berr_set(err, BERR_INTERNAL, -t, "creating %s", path);
		return do_mount(host, t, NULL, MS_BIND, NULL, path, err);
	}
	mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	unlinkat(dfd, base, 0);
	if (mknodat(dfd, base, kind | (perm & 07777), makedev(major, minor)) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "creating device %s", path);
	if (fchownat(dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "chown of device %s", path);
	return 0;
}

static const struct rt_mount *find_mount(const struct rt_spec *s, const char *dest)
{
	for (size_t i = s->n_mounts; i-- > 0;)
		if (streq(s->mounts[i].destination, dest))
			return &s->mounts[i];
	return NULL;
}

static int setup_dev(const struct rt_mount_ctx *ctx, int rootfd, struct berr *err)
{
	const struct rt_spec *s = ctx->spec;
	const struct rt_mount *devm = find_mount(s, "/dev");
	/* The default nodes and links belong to a /dev the runtime owns (a
	 * tmpfs from the config); a bind-mounted /dev is left as it is. */
	bool own_dev = devm && !devm->is_bind;
	int r;
	if (own_dev) {
		for (size_t i = 0; i < ARRAY_SIZE(default_devs); i++) {
			char p[64];
			snprintf(p, sizeof(p), "/dev/%s", default_devs[i].name);
			r = make_device(ctx, rootfd, p, 'c', default_devs[i].major, default_devs[i].minor, 0666, 0, 0, err);
			if (r < 0)
				return r;
		}
		static const char *const links[][2] = {
			{ "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" },
			{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
			{ "/proc/kcore", "core" },
		};
		_cleanup_close_ int dfd = path_open_in_root(rootfd, "/dev", O_RDONLY | O_DIRECTORY, 0);
		if (dfd < 0)
			return berr_set(err, BERR_INTERNAL, -dfd, "opening /dev in the rootfs");
		for (size_t i = 0; i < ARRAY_SIZE(links); i++)
			if (symlinkat(links[i][0], dfd, links[i][1]) < 0 && errno != EEXIST)
				return berr_set(err, BERR_INTERNAL, errno, "creating /dev/%s", links[i][1]);
		if (find_mount(s, "/dev/pts")) {
			unlinkat(dfd, "ptmx", 0);
			if (symlinkat("pts/ptmx", dfd, "ptmx") < 0)
				return berr_set(err, BERR_INTERNAL, errno, "creating /dev/ptmx");
		}
	}
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct rt_device *d = &s->devices[i];
		r = make_device(ctx, rootfd, d->path, d->type, (unsigned)d->major, (unsigned)d->minor,
				d->has_mode ? d->file_mode : 0666, d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Write a sysctl through the container's procfs, refusing anything that does
 * not resolve to a file on procfs. */
static int apply_sysctl(int rootfd, const struct rt_sysctl *sc, struct berr *err)
{
	char path[PATH_MAX];
	int n = snprintf(path, sizeof(path), "/proc/sys/%s", sc->key);
	if (n < 0 || (size_t)n >= sizeof(path) || strstr(sc->key, ".."))
		return berr_set(err, BERR_INVALID, EINVAL, "sysctl %s: invalid name", sc->key);
	for (char *p = path + 10; *p; p++)
		if (*p == '.')
			*p = '/';
	_cleanup_close_ int fd = path_open_in_root(rootfd, path, O_WRONLY | O_NOFOLLOW, 0);
	if (fd < 0)
		return berr_set(err, BERR_INVALID, -fd, "sysctl %s", sc->key);
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC)
		return berr_set(err, BERR_FORBIDDEN, EPERM, "sysctl %s: %s is not on procfs", sc->key, path);
	int r = write_all(fd, sc->value, strlen(sc->value));
	if (r < 0)
		return berr_set(err, BERR_INVALID, -r, "writing sysctl %s=%s", sc->key, sc->value);
	return 0;
}

static int mask_path(int rootfd, const char *p, struct berr *err)
{
	_cleanup_close_ int fd = path_open_in_root(rootfd, p, O_PATH | O_NOFOLLOW, 0);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return berr_set(err, BERR_INTERNAL, -fd, "masking %s", p);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "masking %s", p);
	if (S_ISDIR(st.st_mode))
		return do_mount("tmpfs", fd, "tmpfs", MS_RDONLY, "size=0", p, err);
	return do_mount("/dev/null", fd, NULL, MS_BIND, NULL, p, err);
}

static int readonly_path(int rootfd, const char *p, struct berr *err)
{
	_cleanup_close_ int fd = path_open_in_root(rootfd, p, O_PATH | O_NOFOLLOW, 0);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return berr_set(err, BERR_INTERNAL, -fd, "making %s read-only", p);
	char self[32];
	path_fd_proc(fd, self);
	if (mount(self, self, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "making %s read-only", p);
	return remount_at(rootfd, p, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, true, err);
}

int rt_mount_prepare(const struct rt_mount_ctx *ctx, struct berr *err)
{
	const struct rt_spec *s = ctx->spec;
	/* Nothing we mount may propagate back to the host. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "making / a slave mount");
	/* pivot_root needs the new root to be a mount point. */
	if (mount(ctx->rootfs, ctx->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return berr_set(err, BERR_INVALID, errno, "bind-mounting rootfs %s", ctx->rootfs);
	if (mount(NULL, ctx->rootfs, NULL, MS_PRIVATE, NULL) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "making the rootfs mount private");
	_cleanup_close_ int rootfd = open(ctx->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return berr_set(err, BERR_INVALID, errno, "opening rootfs %s", ctx->rootfs);
	for (size_t i = 0; i < s->n_mounts; i++) {
		int r = mount_one(ctx, rootfd, &s->mounts[i], err);
		if (r < 0)
			return berr_prefix(err, "mounts[%zu] (%s)", i, s->mounts[i].destination);
	}
	int r = setup_dev(ctx, rootfd, err);
	for (size_t i = 0; r == 0 && i < s->n_sysctls; i++)
		r = apply_sysctl(rootfd, &s->sysctls[i], err);
	for (size_t i = 0; r == 0 && s->masked_paths && s->masked_paths[i]; i++)
		r = mask_path(rootfd, s->masked_paths[i], err);
	for (size_t i = 0; r == 0 && s->readonly_paths && s->readonly_paths[i]; i++)
		r = readonly_path(rootfd, s->readonly_paths[i], err);
	return r;
}

int rt_mount_pivot(const char *rootfs, struct berr *err)
{
	_cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0 || newroot < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening roots for pivot_root");
	if (fchdir(newroot) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "chdir to rootfs");
	/* pivot_root(".", ".") stacks the old root on top of the new one;
	 * unmounting "." afterwards removes the old root without needing a
	 * directory for it inside the container. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return berr_set(err, BERR_INTERNAL, errno, "pivot_root");
	if (fchdir(oldroot) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "chdir to old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "making old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "unmounting old root");
	if (chdir("/") < 0)
		return berr_set(err, BERR_INTERNAL, errno, "chdir to /");
	return 0;
}

int rt_mount_finish(const struct rt_spec *s, struct berr *err)
{
	if (s->root_readonly) {
		_cleanup_close_ int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return berr_set(err, BERR_INTERNAL, errno, "opening /");
		if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(fd), NULL) < 0)
			return berr_set(err, BERR_INTERNAL, errno, "making the root filesystem read-only");
	}
	if (s->rootfs_propagation && mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "setting rootfs propagation");
	return 0;
}

int rt_mount_console(int slave_fd, struct berr *err)
{
	int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST && errno != EROFS && errno != ENXIO && errno != ENODEV)
		return berr_set(err, BERR_INTERNAL, errno, "creating /dev/console");
	char src[32];
	path_fd_proc(slave_fd, src);
	if (mount(src, "/dev/console", NULL, MS_BIND, NULL) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "bind-mounting the terminal on /dev/console");
	return 0;
}
