/* snapshot.c - see snapshot.h. */
#include "snapshot.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"
#include "common/tarx.h"

struct inode_set {
	ino_t *v;
	size_t n;
};

static bool inode_seen(struct inode_set *set, ino_t ino)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->v[i] == ino)
			return true;
	ino_t *nv = realloc(set->v, (set->n + 1) * sizeof(*nv));
	if (nv) {
		set->v = nv;
		nv[set->n++] = ino;
	}
	return false;
}

/* Docker's layer size (moby pkg/directory): st_size of everything but
 * directories, symlinks included, each hard-linked inode once. tarx counts
 * regular files only, so walk the unpacked tree like Docker does. */
static uint64_t content_size_at(int dfd, struct inode_set *links)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	uint64_t total = 0;
	for (struct dirent *de; (de = readdir(d));) {
		struct stat st;
		if (streq(de->d_name, ".") || streq(de->d_name, "..") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			_cleanup_close_ int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				total += content_size_at(sub, links);
		} else if (st.st_size > 0 && (st.st_nlink < 2 || !inode_seen(links, st.st_ino))) {
			total += (uint64_t)st.st_size;
		}
	}
	return total;
}

static int unpack_into(int snaps_fd, const char *tmp, const char *diff_id, int layer_fd, uint64_t *ret_size,
		       struct berr *err)
{
	/* 0700 on the snapshot keeps unprivileged host users away from the
	 * image's setuid binaries; fs/ itself gets the layer's mode. */
	if (mkdirat(snaps_fd, tmp, 0700) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "creating snapshot");
	_cleanup_close_ int dfd = openat(snaps_fd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || mkdirat(dfd, "fs", 0755) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "creating snapshot");
	_cleanup_close_ int fs = openat(dfd, "fs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fs < 0)
		return berr_set(err, BERR_INTERNAL, errno, "creating snapshot");
	struct tarx_result res = { 0 };
	int r = tarx_apply(layer_fd, fs, TARX_OVERLAY_WHITEOUTS, &res, err);
	if (r < 0)
		return r;
	if (!streq(res.diff_id, diff_id))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "layer DiffID mismatch: expected %s, got %s", diff_id,
				    res.diff_id);
	struct inode_set links = { 0 };
	*ret_size = content_size_at(fs, &links);
	free(links.v);
	return 0;
}

int snapshot_create(int snaps_fd, const char *chain_id, const char *diff_id, int layer_fd, uint64_t *ret_size,
		    struct berr *err)
{
	static atomic_uint counter;
	const char *hex = digest_hex(chain_id);
	char tmp[128];
	uint64_t size = 0;
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d-%u", hex, (int)getpid(), atomic_fetch_add(&counter, 1));
	int r = unpack_into(snaps_fd, tmp, diff_id, layer_fd, &size, err);
	if (r < 0) {
		rm_rf_at(snaps_fd, tmp);
		return r;
	}
	int existed = 0;
	if (renameat(snaps_fd, tmp, snaps_fd, hex) < 0) {
		if (errno != EEXIST && errno != ENOTEMPTY) {
			r = berr_set(err, BERR_INTERNAL, errno, "storing snapshot %s", chain_id);
			rm_rf_at(snaps_fd, tmp);
			return r;
		}
		rm_rf_at(snaps_fd, tmp);
		existed = 1;
	}
	*ret_size = size;
	return existed;
}

bool snapshot_exists(int snaps_fd, const char *chain_id)
{
	return faccessat(snaps_fd, digest_hex(chain_id), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

uint64_t snapshot_disk_usage(int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	uint64_t total = (uint64_t)st.st_blocks * 512;
	if (!S_ISDIR(st.st_mode))
		return total;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return total;
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return total;
	}
	for (struct dirent *de; (de = readdir(d));)
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			total += snapshot_disk_usage(dirfd(d), de->d_name);
	return total;
}

int snapshot_remove(int snaps_fd, const char *name, uint64_t *ret_freed)
{
	uint64_t freed = ret_freed ? snapshot_disk_usage(snaps_fd, name) : 0;
	int r = rm_rf_at(snaps_fd, name);
	if (r < 0)
		return r;
	if (ret_freed)
		*ret_freed = freed;
	return 0;
}

bool snapshot_is_tmp(const char *name) { return strstr(name, ".tmp-") != NULL; }
