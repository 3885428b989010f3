/* content.c - see content.h. */
#include "content.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/util.h"

struct content_writer {
	struct content_store *c;
	struct digester *d;
	int fd;
	char name[64];      /* in ingest/ */
	digest_t digest;    /* set by finish */
	uint64_t size;
	bool finished, published;
};

static int open_dir_at(int dfd, const char *name, int *ret)
{
	int fd = mkdirat_open(dfd, name, 0700);
	if (fd < 0)
		return fd;
	*ret = fd;
	return 0;
}

int content_open(int root_fd, struct content_store *ret)
{
	_cleanup_close_ int content = -EBADF, blobs = -EBADF, sha = -EBADF, ingest = -EBADF;
	int r = open_dir_at(root_fd, "content", &content);
	if (r >= 0)
		r = open_dir_at(content, "blobs", &blobs);
	if (r >= 0)
		r = open_dir_at(blobs, "sha256", &sha);
	if (r >= 0)
		r = open_dir_at(content, "ingest", &ingest);
	if (r < 0)
		return r;
	ret->blobs_fd = TAKE_FD(sha);
	ret->ingest_fd = TAKE_FD(ingest);
	return 0;
}

void content_close(struct content_store *c)
{
	closep(&c->blobs_fd);
	closep(&c->ingest_fd);
	c->blobs_fd = c->ingest_fd = -EBADF;
}

int content_clear_ingest(struct content_store *c)
{
	int fd = openat(c->ingest_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int r = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		int q = rm_rf_at(c->ingest_fd, de->d_name);
		if (q < 0 && r == 0)
			r = q;
	}
	return r;
}

int content_writer_new(struct content_store *c, struct content_writer **ret)
{
	static atomic_uint counter;
	_cleanup_free_ struct content_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->c = c;
	snprintf(w->name, sizeof(w->name), "%d-%u", (int)getpid(), atomic_fetch_add(&counter, 1));
	w->fd = openat(c->ingest_fd, w->name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0)
		return -errno;
	w->d = digester_new();
	if (!w->d) {
		content_writer_free(TAKE_PTR(w));
		return -ENOMEM;
	}
	*ret = TAKE_PTR(w);
	return 0;
}

int content_writer_write(struct content_writer *w, const void *buf, size_t n)
{
	int r = digester_update(w->d, buf, n);
	if (r < 0)
		return r;
	r = write_all(w->fd, buf, n);
	if (r < 0)
		return r;
	w->size += n;
	return 0;
}

int content_writer_fd(struct content_writer *w) { return w->fd; }

static int writer_sync(struct content_writer *w, struct berr *err)
{
	if (fsync(w->fd) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "writing blob");
	return 0;
}

int content_writer_finish(struct content_writer *w, const char *expected, int64_t expected_size, digest_t ret_digest,
			  uint64_t *ret_size, struct berr *err)
{
	digest_t got;
	int r = digester_final(w->d, got);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "hashing blob");
	if (expected_size >= 0 && (uint64_t)expected_size != w->size)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "blob %s: size %llu does not match the expected %lld",
				    expected ? expected : got, (unsigned long long)w->size, (long long)expected_size);
	if (expected && !streq(expected, got))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "blob digest mismatch: expected %s, got %s", expected,
				    got);
	r = writer_sync(w, err);
	if (r < 0)
		return r;
	memcpy(w->digest, got, sizeof(digest_t));
	w->finished = true;
	memcpy(ret_digest, got, sizeof(digest_t));
	if (ret_size)
		*ret_size = w->size;
	return 0;
}

int content_writer_finish_as(struct content_writer *w, const char *digest, uint64_t *ret_size, struct berr *err)
{
	struct stat st;
	if (fstat(w->fd, &st) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "writing blob");
	int r = writer_sync(w, err);
	if (r < 0)
		return r;
	str_copy(w->digest, sizeof(w->digest), digest);
	w->size = (uint64_t)st.st_size;
	w->finished = true;
	if (ret_size)
		*ret_size = w->size;
	return 0;
}

int content_writer_publish(struct content_writer *w, struct berr *err)
{
	if (!w->finished)
		return berr_set_msg(err, BERR_INTERNAL, EINVAL, "publishing an unfinished blob");
	if (renameat(w->c->ingest_fd, w->name, w->c->blobs_fd, digest_hex(w->digest)) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "storing blob %s", w->digest);
	w->published = true;
	return 0;
}

void content_writer_free(struct content_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (!w->published)
		unlinkat(w->c->ingest_fd, w->name, 0);
	digester_free(w->d);
	free(w);
}

/* Digests come from metadata or archives: refuse anything that is not a
 * plain sha256 so that a name can never leave blobs/. */
static const char *blob_name(const char *digest)
{
	if (digest_validate(digest, NULL) != 0)
		return NULL;
	return digest_hex(digest);
}

int content_open_blob(struct content_store *c, const char *digest)
{
	const char *name = blob_name(digest);
	if (!name)
		return -EINVAL;
	int fd = openat(c->blobs_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

bool content_exists(struct content_store *c, const char *digest)
{
	const char *name = blob_name(digest);
	return name && faccessat(c->blobs_fd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int content_size(struct content_store *c, const char *digest, uint64_t *ret)
{
	const char *name = blob_name(digest);
	struct stat st;
	if (!name)
		return -EINVAL;
	if (fstatat(c->blobs_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	*ret = (uint64_t)st.st_size;
	return 0;
}

int content_delete(struct content_store *c, const char *digest, uint64_t *ret_freed)
{
	const char *name = blob_name(digest);
	struct stat st;
	if (!name)
		return -EINVAL;
	uint64_t freed = 0;
	if (fstatat(c->blobs_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		freed = (uint64_t)st.st_blocks * 512;
	if (unlinkat(c->blobs_fd, name, 0) < 0) {
		if (errno != ENOENT)
			return -errno;
		freed = 0;
	}
	if (ret_freed)
		*ret_freed = freed;
	return 0;
}

int content_read(struct content_store *c, const char *digest, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = content_open_blob(c, digest);
	struct stat st;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	return read_fd_all(fd, ret, ret_len);
}

int content_sync(struct content_store *c) { return fsync(c->blobs_fd) < 0 ? -errno : 0; }
