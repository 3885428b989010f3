/* tarx.c - applying a layer tar to a directory; see tarx.h.
 *
 * libarchive only parses headers (tar formats, no filters: decompression is
 * ours, so the DiffID is computed on the way); every filesystem change is
 * made here, relative to a directory fd that tarx_open_dir() reached without
 * following a symlink. Existing non-directories are unlinked before an
 * entry is created in their place and files are created O_EXCL|O_NOFOLLOW,
 * so a symlink or hard link already there is replaced, never written
 * through. */
#include "common/tarx.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "base/util.h"
#include "common/tarx_int.h"

#define WHITEOUT_PREFIX ".wh."
#define WHITEOUT_META_PREFIX ".wh..wh."
#define WHITEOUT_OPAQUE ".wh..wh..opq"
#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"

struct dir_time {
	char *path;
	size_t depth;
	struct timespec ts[2];
};

struct tarx_ctx {
	int root;
	unsigned flags;
	bool privileged;
	struct tarx_stream *stream;
	struct berr stream_err; /* why the read callback failed */
	struct path_set created; /* paths this layer made (for opaque dirs) */
	struct dir_time *times;  /* directory times, set at the end */
	size_t ntimes, times_cap;
	uint64_t index;
	const char *name; /* the current entry, for messages */
	uint64_t content_size;
	struct berr *err;
};

/* "layer entry N (name): why". Refusals (EINVAL, EXDEV, ELOOP, ...) keep
 * their own words; filesystem errors get the strerror text appended. */
_printf_(4, 5) static int entry_fail(struct tarx_ctx *c, enum berr_kind kind, int errnum, const char *fmt, ...)
{
	_cleanup_free_ char *why = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&why, fmt, ap);
	va_end(ap);
	if (n < 0)
		why = NULL;
	errnum = errnum < 0 ? -errnum : errnum;
	if (kind == BERR_INVALID)
		return berr_set_msg(c->err, kind, errnum, "layer entry %" PRIu64 " (%s): %s", c->index,
				    c->name ? c->name : "?", why ? why : "refused");
	return berr_set(c->err, kind, errnum, "layer entry %" PRIu64 " (%s): %s", c->index,
			c->name ? c->name : "?", why ? why : "failed");
}

static int fs_fail(struct tarx_ctx *c, int r, const char *what)
{
	if (r == -ELOOP)
		return entry_fail(c, BERR_INVALID, ELOOP, "path goes through a symlink");
	if (r == -EXDEV)
		return entry_fail(c, BERR_INVALID, EXDEV, "path escapes the layer root");
	if (r == -ENAMETOOLONG)
		return entry_fail(c, BERR_INVALID, ENAMETOOLONG, "name too long");
	return entry_fail(c, berr_kind_from_errno(r), r, "%s", what);
}

/* libarchive converts names to the locale's charset and fails for names
 * it cannot convert (UTF-8 in the C locale); the UTF-8 form is exact then. */
static const char *entry_pathname(struct archive_entry *e)
{
	const char *s = archive_entry_pathname(e);
	return s ? s : archive_entry_pathname_utf8(e);
}

static const char *entry_hardlink(struct archive_entry *e)
{
	const char *s = archive_entry_hardlink(e);
	return s ? s : archive_entry_hardlink_utf8(e);
}

static const char *entry_symlink(struct archive_entry *e)
{
	const char *s = archive_entry_symlink(e);
	return s ? s : archive_entry_symlink_utf8(e);
}

/* --- metadata --- */

/* An unprivileged apply (tests, rootless) cannot give files away; that is
 * not the layer's fault, so it is not an error there. */
static int owner_error(struct tarx_ctx *c, int e)
{
	if (!c->privileged && (e == EPERM || e == EINVAL))
		return 0;
	return -e;
}

static int set_owner_fd(struct tarx_ctx *c, int fd, struct archive_entry *e)
{
	if (fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
		return owner_error(c, errno);
	return 0;
}

static int set_owner_at(struct tarx_ctx *c, int dirfd, const char *base, struct archive_entry *e)
{
	if (fchownat(dirfd, base, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) < 0)
		return owner_error(c, errno);
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1] = (struct timespec){ archive_entry_mtime(e), archive_entry_mtime_nsec(e) };
	if (!archive_entry_mtime_is_set(e))
		ts[1].tv_nsec = UTIME_OMIT;
	ts[0] = ts[1];
	if (archive_entry_atime_is_set(e))
		ts[0] = (struct timespec){ archive_entry_atime(e), archive_entry_atime_nsec(e) };
}

/* Which xattrs a layer may set. trusted.overlay.* never: on an overlay
 * lower layer they would be obeyed (redirects, metacopy, opaque) and could
 * expose other layers' files. */
static bool xattr_allowed(const char *name, bool *ret_must_succeed)
{
	*ret_must_succeed = streq(name, "security.capability");
	if (*ret_must_succeed || str_startswith(name, "user."))
		return true;
	return str_startswith(name, "trusted.") && !str_startswith(name, "trusted.overlay.");
}

/* fd >= 0: a regular file or directory opened for I/O; otherwise the entry
 * is base in dirfd (symlinks, devices) and is reached through the dirfd's
 * /proc/self/fd link, which never follows base itself. */
static int set_xattrs(struct tarx_ctx *c, struct archive_entry *e, int fd, int dirfd, const char *base)
{
	const char *name;
	const void *value;
	size_t size;
	char proc[64 + NAME_MAX];
	if (fd < 0)
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d/%s", dirfd, base);
	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		bool must;
		if (!name || !xattr_allowed(name, &must))
			continue;
		int r = fd >= 0 ? fsetxattr(fd, name, value, size, 0) : lsetxattr(proc, name, value, size, 0);
		if (r < 0 && must)
			return entry_fail(c, berr_kind_from_errno(errno), errno, "setting xattr %s", name);
	}
	return 0;
}

/* Owner first: chown clears setuid/setgid bits and file capabilities, so
 * mode and xattrs come after it. */
static int finish_fd(struct tarx_ctx *c, int fd, struct archive_entry *e)
{
	int r = set_owner_fd(c, fd, e);
	if (r < 0)
		return entry_fail(c, berr_kind_from_errno(r), r, "chown");
	if (fchmod(fd, archive_entry_perm(e) & 07777) < 0)
		return entry_fail(c, berr_kind_from_errno(errno), errno, "chmod");
	return set_xattrs(c, e, fd, -EBADF, NULL);
}

static int finish_at(struct tarx_ctx *c, int dirfd, const char *base, struct archive_entry *e, bool chmod_it)
{
	int r = set_owner_at(c, dirfd, base, e);
	if (r < 0)
		return entry_fail(c, berr_kind_from_errno(r), r, "chown");
	if (chmod_it && fchmodat(dirfd, base, archive_entry_perm(e) & 07777, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_fail(c, berr_kind_from_errno(errno), errno, "chmod");
	r = set_xattrs(c, e, -EBADF, dirfd, base);
	if (r < 0)
		return r;
	struct timespec ts[2];
	entry_times(e, ts);
	if (utimensat(dirfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_fail(c, berr_kind_from_errno(errno), errno, "setting times");
	return 0;
}

static int defer_dir_time(struct tarx_ctx *c, const char *rel, struct archive_entry *e)
{
	if (c->ntimes == c->times_cap) {
		size_t cap = c->times_cap ? c->times_cap * 2 : 32;
		struct dir_time *t = realloc(c->times, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		c->times = t;
		c->times_cap = cap;
	}
	struct dir_time *t = &c->times[c->ntimes];
	if (!(t->path = strdup(rel)))
		return -ENOMEM;
	t->depth = 0;
	for (const char *p = rel; *p; p++)
		t->depth += *p == '/';
	entry_times(e, t->ts);
	c->ntimes++;
	return 0;
}

/* --- entries --- */

/* Make room for a new entry at base: anything there goes, except that a
 * directory stays for a directory entry (its metadata is updated). */
static int clear_target(int dirfd, const char *base, bool keep_dir, bool *ret_kept)
{
	struct stat st;
	*ret_kept = false;
	if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (keep_dir && S_ISDIR(st.st_mode)) {
		*ret_kept = true;
		return 0;
	}
	return rm_rf_at(dirfd, base);
}

static int write_data(struct tarx_ctx *c, struct archive *a, int fd)
{
	const void *buf;
	size_t size;
	la_int64_t offset;
	int r;
	while ((r = archive_read_data_block(a, &buf, &size, &offset)) == ARCHIVE_OK) {
		const char *p = buf;
		while (size > 0) {
			ssize_t w = pwrite(fd, p, size, offset);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return entry_fail(c, berr_kind_from_errno(errno), errno, "writing");
			p += w;
			size -= (size_t)w;
			offset += w;
		}
	}
	if (r != ARCHIVE_EOF)
		return berr_isset(&c->stream_err) ? -EIO : entry_fail(c, BERR_INVALID, EINVAL, "reading data: %s",
								       archive_error_string(a));
	return 0;
}

static int apply_file(struct tarx_ctx *c, struct archive *a, struct archive_entry *e, int dirfd, const char *base)
{
	bool kept;
	int r = clear_target(dirfd, base, false, &kept);
	if (r < 0)
		return fs_fail(c, r, "removing what was there");
	_cleanup_close_ int fd = openat(dirfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fs_fail(c, -errno, "creating file");
	r = write_data(c, a, fd);
	if (r < 0)
		return r;
	/* Sparse files end in a hole that no data block covers. */
	if (archive_entry_size_is_set(e) && ftruncate(fd, archive_entry_size(e)) < 0)
		return entry_fail(c, berr_kind_from_errno(errno), errno, "setting size");
	c->content_size += (uint64_t)archive_entry_size(e);
	r = finish_fd(c, fd, e);
	if (r < 0)
		return r;
	struct timespec ts[2];
	entry_times(e, ts);
	if (futimens(fd, ts) < 0)
		return entry_fail(c, berr_kind_from_errno(errno), errno, "setting times");
	return 0;
}

static int apply_dir(struct tarx_ctx *c, struct archive_entry *e, int dirfd, const char *base, const char *rel)
{
	_cleanup_close_ int fd = -EBADF;
	if (!*rel) {
		fd = openat(c->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		bool kept;
		int r = clear_target(dirfd, base, true, &kept);
		if (r < 0)
			return fs_fail(c, r, "removing what was there");
		if (!kept && mkdirat(dirfd, base, 0700) < 0)
			return fs_fail(c, -errno, "creating directory");
		fd = openat(dirfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0)
		return fs_fail(c, -errno, "opening directory");
	int r = finish_fd(c, fd, e);
	if (r < 0)
		return r;
	r = defer_dir_time(c, rel, e);
	return r < 0 ? entry_fail(c, BERR_INTERNAL, -r, "recording times") : 0;
}

static int apply_symlink(struct tarx_ctx *c, struct archive_entry *e, int dirfd, const char *base)
{
	const char *target = entry_symlink(e);
	if (!target || !*target)
		return entry_fail(c, BERR_INVALID, EINVAL, "symlink without a target");
	bool kept;
	int r = clear_target(dirfd, base, false, &kept);
	if (r < 0)
		return fs_fail(c, r, "removing what was there");
	/* Stored verbatim: it is only ever followed inside the container's
	 * root, and this code never follows it (see tarx_open_dir). */
	if (symlinkat(target, dirfd, base) < 0)
		return fs_fail(c, -errno, "creating symlink");
	return finish_at(c, dirfd, base, e, false);
}

static int apply_node(struct tarx_ctx *c, struct archive_entry *e, int dirfd, const char *base)
{
	bool kept;
	int r = clear_target(dirfd, base, false, &kept);
	if (r < 0)
		return fs_fail(c, r, "removing what was there");
	mode_t type = archive_entry_filetype(e);
	dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
	if (mknodat(dirfd, base, type | 0600, dev) < 0)
		return fs_fail(c, -errno, "creating device node");
	return finish_at(c, dirfd, base, e, true);
}

/* Hard links name an entry already inside the root (earlier in this layer
 * or from a lower one); the target's directory is resolved like any other
 * path and linkat() never follows the target itself. */
static int apply_hardlink(struct tarx_ctx *c, const char *link, int dirfd, const char *base, const char *rel)
{
	_cleanup_free_ char *target = NULL, *tparent = NULL;
	const char *tbase;
	int r = tarx_clean_name(link, &target);
	if (r == -EXDEV)
		return entry_fail(c, BERR_INVALID, EXDEV, "hard link target %s escapes the layer root", link);
	if (r < 0 || !*target)
		return entry_fail(c, BERR_INVALID, r < 0 ? -r : EINVAL, "invalid hard link target %s", link);
	if (streq(target, rel))
		return 0;
	if ((r = tarx_split(target, &tparent, &tbase)) < 0)
		return entry_fail(c, BERR_INTERNAL, -r, "hard link");
	_cleanup_close_ int tfd = tarx_open_dir(c->root, tparent, NULL);
	struct stat st;
	if (tfd < 0 || fstatat(tfd, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return entry_fail(c, BERR_INVALID, tfd == -ELOOP ? ELOOP : ENOENT,
				  "hard link target %s is not an earlier entry inside the layer", link);
	if (S_ISDIR(st.st_mode))
		return entry_fail(c, BERR_INVALID, EPERM, "hard link target %s is a directory", link);
	bool kept;
	if ((r = clear_target(dirfd, base, false, &kept)) < 0)
		return fs_fail(c, r, "removing what was there");
	if (linkat(tfd, tbase, dirfd, base, 0) < 0)
		return fs_fail(c, -errno, "creating hard link");
	return 0;
}

/* --- whiteouts --- */

/* Remove what lower layers put below dirfd (path rel), keeping what this
 * layer created; directories this layer created are descended into since
 * they may have been there before and only had their metadata updated. */
static int prune_lower(struct tarx_ctx *c, int dirfd, const char *rel)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		_cleanup_free_ char *child = NULL;
		if (asprintf(&child, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0)
			return -ENOMEM;
		int r;
		if (!path_set_contains(&c->created, child)) {
			r = rm_rf_at(fd, de->d_name);
		} else {
			_cleanup_close_ int sub = openat(fd, de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			r = sub < 0 ? 0 : prune_lower(c, sub, child); /* not a directory: keep it */
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_opaque(struct tarx_ctx *c, int dirfd, const char *parent_rel)
{
	if (c->flags & TARX_OVERLAY_WHITEOUTS) {
		_cleanup_close_ int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fsetxattr(fd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
			return fs_fail(c, -errno, "marking directory opaque");
		return 0;
	}
	int r = prune_lower(c, dirfd, parent_rel);
	return r < 0 ? fs_fail(c, r, "emptying opaque directory") : 0;
}

static int apply_whiteout(struct tarx_ctx *c, int dirfd, const char *base, const char *parent_rel)
{
	if (streq(base, WHITEOUT_OPAQUE))
		return apply_opaque(c, dirfd, parent_rel);
	if (str_startswith(base, WHITEOUT_META_PREFIX))
		return 0; /* aufs bookkeeping (.wh..wh.plnk and friends): nothing to apply */
	const char *name = base + strlen(WHITEOUT_PREFIX);
	if (!*name || streq(name, ".") || streq(name, ".."))
		return entry_fail(c, BERR_INVALID, EXDEV, "invalid whiteout");
	int r = rm_rf_at(dirfd, name);
	if (r < 0)
		return fs_fail(c, r, "removing whited-out path");
	if (!(c->flags & TARX_OVERLAY_WHITEOUTS))
		return 0;
	/* overlayfs reads a 0:0 character device as "deleted below". */
	if (mknodat(dirfd, name, S_IFCHR, makedev(0, 0)) < 0)
		return fs_fail(c, -errno, "creating overlay whiteout");
	if (fchownat(dirfd, name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0 && (r = owner_error(c, errno)) < 0)
		return fs_fail(c, r, "chown of overlay whiteout");
	return 0;
}

static int apply_typed(struct tarx_ctx *c, struct archive *a, struct archive_entry *e, int dirfd, const char *base,
		       const char *rel)
{
	/* A regular file may carry a stale linkname (a docker bug, see the
	 * fixtures README); libarchive only reports a hard link for type '1'. */
	const char *link = entry_hardlink(e);
	if (link)
		return apply_hardlink(c, link, dirfd, base, rel);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return apply_file(c, a, e, dirfd, base);
	case AE_IFDIR:
		return apply_dir(c, e, dirfd, base, rel);
	case AE_IFLNK:
		return apply_symlink(c, e, dirfd, base);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
		return apply_node(c, e, dirfd, base);
	default:
		return entry_fail(c, BERR_INVALID, EINVAL, "unsupported entry type 0%o",
				  (unsigned)archive_entry_filetype(e));
	}
}

static int apply_entry(struct tarx_ctx *c, struct archive *a, struct archive_entry *e)
{
	_cleanup_free_ char *rel = NULL, *parent = NULL;
	const char *base;
	c->name = entry_pathname(e);
	if (!c->name)
		return entry_fail(c, BERR_INVALID, EINVAL, "entry without a name");
	int r = tarx_clean_name(c->name, &rel);
	if (r < 0)
		return fs_fail(c, r, "name");
	if (!*rel) {
		if (archive_entry_filetype(e) != AE_IFDIR || entry_hardlink(e))
			return entry_fail(c, BERR_INVALID, EINVAL, "only a directory may name the layer root");
		return apply_dir(c, e, -EBADF, "", "");
	}
	if ((r = tarx_split(rel, &parent, &base)) < 0)
		return entry_fail(c, BERR_INTERNAL, -r, "name");
	_cleanup_close_ int dirfd = tarx_open_dir(c->root, parent, &c->created);
	if (dirfd < 0)
		return fs_fail(c, dirfd, "opening parent directory");
	if (str_startswith(base, WHITEOUT_PREFIX))
		return apply_whiteout(c, dirfd, base, parent);
	r = apply_typed(c, a, e, dirfd, base, rel);
	if (r < 0)
		return r;
	r = path_set_add(&c->created, rel);
	return r < 0 ? entry_fail(c, BERR_INTERNAL, -r, "recording") : 0;
}

/* --- the archive --- */

static la_ssize_t read_cb(struct archive *a, void *userdata, const void **ret_buf)
{
	struct tarx_ctx *c = userdata;
	ssize_t n = tarx_stream_read(c->stream, ret_buf, &c->stream_err);
	if (n < 0) {
		archive_set_error(a, EIO, "%s", c->stream_err.msg ? c->stream_err.msg : "read error");
		return -1;
	}
	return n;
}

static int archive_fail(struct tarx_ctx *c, struct archive *a)
{
	if (berr_isset(&c->stream_err)) {
		int code = berr_code(&c->stream_err);
		berr_set_msg(c->err, c->stream_err.kind, -code, "%s", c->stream_err.msg);
		return code;
	}
	return berr_set_msg(c->err, BERR_INVALID, EINVAL, "layer: after entry %" PRIu64 ": %s", c->index,
			    archive_error_string(a) ? archive_error_string(a) : "invalid tar");
}

static int apply_all(struct tarx_ctx *c, struct archive *a)
{
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		/* ARCHIVE_WARN: e.g. a name that had to be read as UTF-8. */
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return archive_fail(c, a);
		c->index++;
		c->name = NULL;
		r = apply_entry(c, a, e);
		if (r < 0)
			return berr_isset(&c->stream_err) ? archive_fail(c, a) : r;
	}
}

static int cmp_depth(const void *x, const void *y)
{
	const struct dir_time *a = x, *b = y;
	return a->depth < b->depth ? 1 : a->depth > b->depth ? -1 : 0;
}

/* Directory times last, deepest first: creating entries inside a
 * directory would have changed them again. */
static int apply_dir_times(struct tarx_ctx *c)
{
	if (c->ntimes > 1)
		qsort(c->times, c->ntimes, sizeof(*c->times), cmp_depth);
	for (size_t i = 0; i < c->ntimes; i++) {
		struct dir_time *t = &c->times[i];
		_cleanup_free_ char *parent = NULL;
		const char *base = ".";
		int r = *t->path ? tarx_split(t->path, &parent, &base) : 0;
		_cleanup_close_ int dirfd = r < 0 ? r : tarx_open_dir(c->root, parent ? parent : "", NULL);
		/* Gone (a later whiteout) or replaced: nothing to do. */
		if (dirfd < 0)
			continue;
		if (utimensat(dirfd, base, t->ts, AT_SYMLINK_NOFOLLOW) < 0 && errno != ENOENT)
			return berr_set(c->err, berr_kind_from_errno(errno), errno, "layer: setting times of %s",
					*t->path ? t->path : "/");
	}
	return 0;
}

static void ctx_release(struct tarx_ctx *c)
{
	for (size_t i = 0; i < c->ntimes; i++)
		free(c->times[i].path);
	free(c->times);
	path_set_release(&c->created);
	berr_clear(&c->stream_err);
	tarx_stream_free(c->stream);
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

static int run_apply(struct tarx_ctx *c)
{
	_cleanup_(archive_freep) struct archive *a = archive_read_new();
	if (!a)
		return berr_set(c->err, BERR_INTERNAL, ENOMEM, "layer");
	/* Tar only (GNU, ustar, pax); an empty blob is an empty layer. No
	 * filters: compression was handled below the callback. */
	archive_read_support_format_tar(a);
	archive_read_support_format_empty(a);
	if (archive_read_open(a, c, NULL, read_cb, NULL) != ARCHIVE_OK)
		return archive_fail(c, a);
	int r = apply_all(c, a);
	if (r < 0)
		return r;
	/* What follows the end-of-archive blocks is part of the DiffID too. */
	r = tarx_stream_drain(c->stream, &c->stream_err);
	if (r < 0)
		return archive_fail(c, a);
	return apply_dir_times(c);
}

int tarx_apply(int in_fd, int dirfd, unsigned flags, struct tarx_result *ret, struct berr *err)
{
	_cleanup_(ctx_release) struct tarx_ctx c = {
		.root = dirfd,
		.flags = flags,
		.privileged = geteuid() == 0,
		.err = err,
	};
	int r = tarx_stream_new(in_fd, &c.stream, err);
	if (r < 0)
		return r;
	r = run_apply(&c);
	if (r < 0)
		return r;
	struct tarx_result res = { .entries = c.index, .content_size = c.content_size };
	r = tarx_stream_finish(c.stream, &res);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "digesting layer");
	*ret = res;
	return 0;
}
