/* test_tarx.c - src/common/tarx*.c: applying Docker's saved layers (the
 * whiteouts and special-files fixtures, the GNU-format busybox layer) and
 * comparing with what docker showed inside a container; DiffIDs against
 * the configs; gzip/zstd; and hostile layers built here, each of which must
 * fail naming its entry and leave nothing outside the target. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "base/util.h"
#include "common/tarx.h"

/* --- scratch directories --- */

static char scratch[256]; /* per test: holds root/ and sentinels */

static int setup_scratch(void **state)
{
	/* /var/tmp first: unlike a tmpfs /tmp it usually takes trusted.* xattrs. */
	const char *bases[] = { "/var/tmp", "/tmp" };
	for (size_t i = 0; i < ARRAY_SIZE(bases); i++) {
		snprintf(scratch, sizeof(scratch), "%s/berth-test-tarx-XXXXXX", bases[i]);
		if (mkdtemp(scratch))
			return 0;
	}
	return -1;
}

static int teardown_scratch(void **state)
{
	char parent[PATH_MAX];
	const char *base = strrchr(scratch, '/');
	snprintf(parent, sizeof(parent), "%.*s", (int)(base - scratch), scratch);
	int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd >= 0) {
		rm_rf_at(pfd, base + 1);
		close(pfd);
	}
	return 0;
}

/* A fresh empty directory below the scratch dir, opened. */
static int new_root(const char *name)
{
	int sfd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(sfd >= 0);
	rm_rf_at(sfd, name);
	assert_int_equal(mkdirat(sfd, name, 0755), 0);
	int fd = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	close(sfd);
	return fd;
}

static bool scratch_has(const char *rel)
{
	char p[PATH_MAX];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", scratch, rel);
	return lstat(p, &st) == 0;
}

static int mem_fd(const void *buf, size_t len)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, buf, len), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int apply_buf(const void *buf, size_t len, int rootfd, unsigned flags, struct tarx_result *res,
		     struct berr *err)
{
	int fd = mem_fd(buf, len);
	int r = tarx_apply(fd, rootfd, flags, res, err);
	close(fd);
	return r;
}

/* --- fixtures: docker save archives, unpacked with tar(1) --- */

static const char *data_dir(void)
{
	const char *d = getenv("BERTH_TEST_DATA");
	return d ? d : "tests/data";
}

struct save {
	char dir[PATH_MAX];
	json_t *manifest; /* manifest.json[0] */
	json_t *config;
};

static void save_open(struct save *s, const char *fixture)
{
	snprintf(s->dir, sizeof(s->dir), "%s/save-%s", scratch, fixture);
	assert_int_equal(mkdir_p(s->dir, 0755), 0);
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), "tar -xf '%s/images/%s' -C '%s'", data_dir(), fixture, s->dir);
	assert_int_equal(system(cmd), 0);
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/manifest.json", s->dir);
	json_t *m = json_load_file(p, 0, NULL);
	assert_non_null(m);
	s->manifest = json_incref(json_array_get(m, 0));
	json_decref(m);
	snprintf(p, sizeof(p), "%s/%s", s->dir, json_string_value(json_object_get(s->manifest, "Config")));
	s->config = json_load_file(p, 0, NULL);
	assert_non_null(s->config);
}

static void save_close(struct save *s)
{
	json_decref(s->manifest);
	json_decref(s->config);
}

static size_t save_layers(struct save *s) { return json_array_size(json_object_get(s->manifest, "Layers")); }

static int save_layer_fd(struct save *s, size_t i)
{
	char p[2 * PATH_MAX];
	json_t *layers = json_object_get(s->manifest, "Layers");
	snprintf(p, sizeof(p), "%s/%s", s->dir, json_string_value(json_array_get(layers, i)));
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static const char *save_diff_id(struct save *s, size_t i)
{
	json_t *ids = json_object_get(json_object_get(s->config, "rootfs"), "diff_ids");
	return json_string_value(json_array_get(ids, i));
}

/* Apply every layer in order, checking each DiffID against the config. */
static void apply_save(struct save *s, int rootfd, unsigned flags)
{
	size_t n = save_layers(s);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		int fd = save_layer_fd(s, i);
		struct tarx_result res;
		_cleanup_berr_ struct berr err = { 0 };
		if (tarx_apply(fd, rootfd, flags, &res, &err) < 0)
			fail_msg("layer %zu: %s", i, err.msg);
		close(fd);
		assert_string_equal(res.diff_id, save_diff_id(s, i));
		assert_int_equal(res.compression, TARX_PLAIN);
		assert_true(res.entries > 0);
	}
}

/* --- tree listings --- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list_tree(int dirfd, const char *prefix, char ***paths)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fdopendir(fd);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		char *p = NULL;
		assert_true(asprintf(&p, "%s/%s", prefix, de->d_name) > 0);
		assert_int_equal(strv_consume(paths, p), 0);
		int sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			list_tree(sub, p, paths);
			close(sub);
		}
	}
	closedir(d);
}

static char *join_lines(char **v)
{
	size_t len = 1;
	for (size_t i = 0; v[i]; i++)
		len += strlen(v[i]) + 1;
	char *out = calloc(1, len);
	assert_non_null(out);
	for (size_t i = 0; v[i]; i++) {
		strcat(out, v[i]);
		strcat(out, "\n");
	}
	return out;
}

static char *join_sorted(char **v)
{
	qsort(v, strv_length(v), sizeof(char *), cmp_str);
	return join_lines(v);
}

static char *read_fixture(const char *name)
{
	char p[PATH_MAX];
	char *text = NULL;
	snprintf(p, sizeof(p), "%s/images/%s", data_dir(), name);
	assert_int_equal(read_file_at(AT_FDCWD, p, &text, NULL), 0);
	return text;
}

/* --- the fixtures --- */

static void test_whiteouts(void **state)
{
	struct save s;
	save_open(&s, "whiteouts-docker-save.tar");
	int root = new_root("root");
	apply_save(&s, root, 0);
	_cleanup_strv_free_ char **paths = NULL;
	const char *tops[] = { "data", "www", "var" };
	for (size_t i = 0; i < ARRAY_SIZE(tops); i++) {
		char top[16];
		snprintf(top, sizeof(top), "/%s", tops[i]);
		assert_int_equal(strv_push(&paths, top), 0);
		int fd = openat(root, tops[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		assert_true(fd >= 0);
		list_tree(fd, top, &paths);
		close(fd);
	}
	_cleanup_free_ char *got = join_sorted(paths);
	_cleanup_free_ char *want = read_fixture("whiteouts-final-tree.txt");
	assert_string_equal(got, want);
	/* The base layer outside those directories is untouched. */
	assert_int_equal(faccessat(root, "bin/busybox", X_OK, AT_SYMLINK_NOFOLLOW), 0);
	close(root);
	save_close(&s);
}

static void mode_string(mode_t m, char out[11])
{
	out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' : S_ISFIFO(m) ? 'p' : '-';
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		out[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
	if (m & S_ISUID)
		out[3] = (m & S_IXUSR) ? 's' : 'S';
	if (m & S_ISGID)
		out[6] = (m & S_IXGRP) ? 's' : 'S';
	if (m & S_ISVTX)
		out[9] = (m & S_IXOTH) ? 't' : 'T';
	out[10] = '\0';
}

/* One line as the fixture's `stat -c "%A %u:%g %s %N"` wrote it. */
static char *stat_line(int root, const char *path)
{
	struct stat st;
	assert_int_equal(fstatat(root, path + 1, &st, AT_SYMLINK_NOFOLLOW), 0);
	char mode[11];
	mode_string(st.st_mode, mode);
	/* Directory sizes depend on the filesystem; the fixture's ext4 said 4096. */
	long long size = S_ISDIR(st.st_mode) ? 4096 : (long long)st.st_size;
	char *line = NULL;
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(root, path + 1, target, sizeof(target) - 1);
		assert_true(n > 0);
		target[n] = '\0';
		assert_true(asprintf(&line, "%s %u:%u %lld '%s' -> '%s'", mode, st.st_uid, st.st_gid, size, path,
				     target) > 0);
	} else {
		assert_true(asprintf(&line, "%s %u:%u %lld %s", mode, st.st_uid, st.st_gid, size, path) > 0);
	}
	return line;
}

static void test_special_files(void **state)
{
	struct save s;
	save_open(&s, "special-files-docker-save.tar");
	int root = new_root("root");
	apply_save(&s, root, 0);

	_cleanup_strv_free_ char **paths = NULL;
	assert_int_equal(strv_push(&paths, "/special"), 0);
	int fd = openat(root, "special", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	list_tree(fd, "/special", &paths);
	close(fd);
	qsort(paths, strv_length(paths), sizeof(char *), cmp_str);
	_cleanup_strv_free_ char **lines = NULL;
	for (size_t i = 0; paths[i]; i++)
		assert_int_equal(strv_consume(&lines, stat_line(root, paths[i])), 0);
	_cleanup_free_ char *got = join_lines(lines);
	_cleanup_free_ char *want = read_fixture("special-files-final-tree.txt");
	assert_string_equal(got, want);

	/* The hard link is one inode with its target; the device is 1,3. */
	struct stat a, b;
	assert_int_equal(fstatat(root, "special/file", &a, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(fstatat(root, "special/hardlink", &b, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(fstatat(root, "special/chardev", &a, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(major(a.st_rdev), 1);
	assert_int_equal(minor(a.st_rdev), 3);
	/* mtime from 2001 kept */
	assert_int_equal(fstatat(root, "special/old-mtime", &a, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(a.st_mtime >= 978307200 && a.st_mtime < 1009843200);

	/* security.capability: 20 bytes, VFS_CAP_REVISION_2, cap_net_bind_service (bit 10) effective. */
	char p[PATH_MAX + 64];
	snprintf(p, sizeof(p), "%s/root/special/xattr/file-with-capability", scratch);
	unsigned char cap[64];
	ssize_t n = lgetxattr(p, "security.capability", cap, sizeof(cap));
	assert_int_equal(n, 20);
	assert_int_equal(cap[3], 0x02); /* revision 2 (little-endian magic_etc 0x02000001) */
	assert_int_equal(cap[0] & 1, 1); /* effective */
	assert_int_equal(cap[5] & 0x04, 0x04); /* permitted bit 10 */
	snprintf(p, sizeof(p), "%s/root/special/xattr/file-with-user-xattr", scratch);
	assert_true(lgetxattr(p, "user.fixture", cap, sizeof(cap)) < 0); /* docker dropped it */
	close(root);
	save_close(&s);
}

static void test_busybox_gnu(void **state)
{
	struct save s;
	save_open(&s, "busybox-docker-save.tar");
	int root = new_root("root");
	apply_save(&s, root, 0);
	struct stat st;
	assert_int_equal(fstatat(root, "bin/busybox", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode) && st.st_size > 100000);
	assert_int_equal(fstatat(root, "bin/sh", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(fstatat(root, "etc/passwd", &st, AT_SYMLINK_NOFOLLOW), 0);
	/* "./" named the root itself: it got the layer's mode, no "." entry appeared. */
	assert_int_equal(fstat(root, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	close(root);
	save_close(&s);
}

/* --- compression --- */

static void *gzip_buf(const void *in, size_t len, size_t *ret_len)
{
	z_stream z = { 0 };
	assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, len);
	unsigned char *out = malloc(cap);
	z.next_in = (unsigned char *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	*ret_len = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static void *read_layer(struct save *s, size_t i, size_t *ret_len)
{
	int fd = save_layer_fd(s, i);
	char *buf;
	assert_int_equal(read_fd_all(fd, &buf, ret_len), 0);
	close(fd);
	return buf;
}

static void expect_diff_id(const void *buf, size_t len, const char *want, enum tarx_compression comp)
{
	int fd = mem_fd(buf, len);
	struct tarx_result res;
	_cleanup_berr_ struct berr err = { 0 };
	if (tarx_diff_id(fd, &res, &err) < 0)
		fail_msg("diff_id: %s", err.msg);
	close(fd);
	assert_string_equal(res.diff_id, want);
	assert_int_equal(res.compression, comp);
}

static void test_compression(void **state)
{
	struct save s;
	save_open(&s, "busybox-docker-save.tar");
	size_t len, glen;
	_cleanup_free_ void *plain = read_layer(&s, 0, &len);
	const char *want = save_diff_id(&s, 0);
	expect_diff_id(plain, len, want, TARX_PLAIN);

	_cleanup_free_ void *gz = gzip_buf(plain, len, &glen);
	expect_diff_id(gz, glen, want, TARX_GZIP);

	size_t zcap = ZSTD_compressBound(len);
	_cleanup_free_ void *zs = malloc(zcap);
	size_t zlen = ZSTD_compress(zs, zcap, plain, len, 3);
	assert_false(ZSTD_isError(zlen));
	expect_diff_id(zs, zlen, want, TARX_ZSTD);

	/* Two gzip members (as `cat a.gz b.gz`) are one stream. */
	size_t l1, l2;
	_cleanup_free_ unsigned char *g1 = gzip_buf(plain, len / 3, &l1);
	_cleanup_free_ unsigned char *g2 = gzip_buf((char *)plain + len / 3, len - len / 3, &l2);
	_cleanup_free_ unsigned char *cat = malloc(l1 + l2);
	memcpy(cat, g1, l1);
	memcpy(cat + l1, g2, l2);
	expect_diff_id(cat, l1 + l2, want, TARX_GZIP);

	/* Applying the compressed forms gives the same DiffID and tree. */
	int root = new_root("root-gz");
	struct tarx_result res;
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(apply_buf(gz, glen, root, 0, &res, &err), 0);
	assert_string_equal(res.diff_id, want);
	assert_int_equal(res.uncompressed_size, len);
	assert_int_equal(faccessat(root, "bin/busybox", X_OK, 0), 0);
	close(root);
	root = new_root("root-zstd");
	assert_int_equal(apply_buf(zs, zlen, root, 0, &res, &err), 0);
	assert_string_equal(res.diff_id, want);
	close(root);

	/* tarx_decompress gives the plain bytes back. */
	int in = mem_fd(zs, zlen), out = memfd_create("out", MFD_CLOEXEC);
	assert_int_equal(tarx_decompress(in, out, &res, &err), 0);
	assert_string_equal(res.diff_id, want);
	assert_int_equal(lseek(out, 0, SEEK_SET), 0);
	char *back;
	size_t blen;
	assert_int_equal(read_fd_all(out, &back, &blen), 0);
	assert_int_equal(blen, len);
	assert_memory_equal(back, plain, len);
	free(back);
	close(in);
	close(out);

	/* Truncated and corrupt streams fail. */
	in = mem_fd(gz, glen / 2);
	assert_int_equal(tarx_diff_id(in, &res, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "truncated"));
	berr_clear(&err);
	close(in);
	in = mem_fd(zs, zlen - 10);
	assert_int_equal(tarx_diff_id(in, &res, &err), -EINVAL);
	berr_clear(&err);
	close(in);
	((unsigned char *)gz)[glen / 2] ^= 0xff;
	root = new_root("root-bad");
	assert_true(apply_buf(gz, glen, root, 0, &res, &err) < 0);
	assert_non_null(err.msg);
	berr_clear(&err);
	close(root);
	save_close(&s);
}

static void test_sniff(void **state)
{
	assert_int_equal(tarx_sniff("\x1f\x8b\x08\x00", 4), TARX_GZIP);
	assert_int_equal(tarx_sniff("\x28\xb5\x2f\xfd", 4), TARX_ZSTD);
	assert_int_equal(tarx_sniff("bin/", 4), TARX_PLAIN);
	assert_int_equal(tarx_sniff("\x28\xb5", 2), TARX_PLAIN);
	assert_int_equal(tarx_sniff("", 0), TARX_PLAIN);
	/* An empty blob is an empty layer. */
	struct tarx_result res;
	_cleanup_berr_ struct berr err = { 0 };
	int root = new_root("root");
	assert_int_equal(apply_buf("", 0, root, 0, &res, &err), 0);
	assert_int_equal(res.entries, 0);
	assert_string_equal(res.diff_id, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	close(root);
}

/* --- layers built here --- */

struct ent {
	char type; /* f file, d dir, l symlink, h hardlink, c chardev, p fifo */
	const char *name;
	const char *link;
	const char *data;
	unsigned mode;
	time_t mtime;
	const char *xattr; /* one xattr name, value "v" */
};

static void *build_tar(const struct ent *ents, size_t n, size_t *ret_len)
{
	size_t cap = 1 << 20;
	void *buf = malloc(cap);
	struct archive *a = archive_write_new();
	assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, buf, cap, ret_len), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		const struct ent *x = &ents[i];
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, x->name);
		archive_entry_set_mtime(e, x->mtime ? x->mtime : 1000, 0);
		unsigned perm = x->mode ? x->mode : 0644;
		switch (x->type) {
		case 'd':
			archive_entry_set_filetype(e, AE_IFDIR);
			perm = x->mode ? x->mode : 0755;
			break;
		case 'l':
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_symlink(e, x->link);
			break;
		case 'h':
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, x->link);
			break;
		case 'c':
			archive_entry_set_filetype(e, AE_IFCHR);
			archive_entry_set_rdevmajor(e, 1);
			archive_entry_set_rdevminor(e, 3);
			break;
		case 'p':
			archive_entry_set_filetype(e, AE_IFIFO);
			break;
		default:
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_size(e, x->data ? (la_int64_t)strlen(x->data) : 0);
		}
		archive_entry_set_perm(e, perm);
		if (x->xattr)
			archive_entry_xattr_add_entry(e, x->xattr, "v", 1);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (x->type == 'f' && x->data)
			assert_int_equal(archive_write_data(a, x->data, strlen(x->data)), (ssize_t)strlen(x->data));
		archive_entry_free(e);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return buf;
}

static int apply_ents(const struct ent *ents, size_t n, int root, unsigned flags, struct berr *err)
{
	size_t len;
	_cleanup_free_ void *buf = build_tar(ents, n, &len);
	struct tarx_result res;
	return apply_buf(buf, len, root, flags, &res, err);
}

#define APPLY(root, flags, err, ...)                                                                   \
	({                                                                                             \
		const struct ent _e_[] = { __VA_ARGS__ };                                              \
		apply_ents(_e_, ARRAY_SIZE(_e_), root, flags, err);                                    \
	})

static char *file_text(int root, const char *path)
{
	char *s = NULL;
	int fd = openat(root, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	assert_int_equal(read_fd_all(fd, &s, NULL), 0);
	close(fd);
	return s;
}

struct hostile {
	const char *what;
	struct ent ents[3];
	size_t n;
	const char *named;   /* the entry the message must name */
	const char *reason;  /* and part of its reason */
	const char *outside; /* a scratch path it would have hit */
};

static void test_hostile(void **state)
{
	/* "root" sits in the scratch dir; "../x" from the root is scratch/x.
	 * Absolute host paths are unique names that must not appear. */
	const struct hostile cases[] = {
		{ "dotdot", { { .type = 'f', .name = "../escape", .data = "x" } }, 1, "../escape", "escapes the layer root", "escape" },
		{ "absolute", { { .type = 'f', .name = "/berth-tarx-abs", .data = "x" } }, 1, "/berth-tarx-abs", "escapes", NULL },
		{ "inner dotdot", { { .type = 'f', .name = "a/../../x", .data = "x" } }, 1, "a/../../x", "escapes", "x" },
		{ "through symlink to /",
		  { { .type = 'l', .name = "link", .link = "/" }, { .type = 'f', .name = "link/etc/berth-tarx-x", .data = "x" } }, 2,
		  "link/etc/berth-tarx-x", "through a symlink", NULL },
		{ "through symlink to ..",
		  { { .type = 'l', .name = "l", .link = ".." }, { .type = 'f', .name = "l/x", .data = "x" } }, 2, "l/x", "through a symlink", "x" },
		{ "dir through symlink",
		  { { .type = 'l', .name = "l", .link = ".." }, { .type = 'd', .name = "l/newdir" } }, 2, "l/newdir/", "through a symlink", "newdir" },
		{ "hardlink up", { { .type = 'h', .name = "pw", .link = "../../etc/passwd" } }, 1, "pw", "escapes the layer root", NULL },
		{ "hardlink absolute", { { .type = 'h', .name = "pw", .link = "/etc/passwd" } }, 1, "pw", "escapes the layer root", NULL },
		{ "hardlink through symlink",
		  { { .type = 'l', .name = "l", .link = "/etc" }, { .type = 'h', .name = "pw", .link = "l/passwd" } }, 2, "pw", "not an earlier entry", NULL },
		{ "hardlink to nothing", { { .type = 'h', .name = "pw", .link = "nope" } }, 1, "pw", "not an earlier entry", NULL },
		{ "whiteout dotdot", { { .type = 'f', .name = ".wh..." } }, 1, ".wh...", "invalid whiteout", "sentinel" },
		{ "whiteout up", { { .type = 'f', .name = "../.wh.sentinel" } }, 1, "../.wh.sentinel", "escapes", "sentinel" },
		{ "whiteout through symlink",
		  { { .type = 'l', .name = "l", .link = ".." }, { .type = 'f', .name = "l/.wh.sentinel" } }, 2, "l/.wh.sentinel", "through a symlink", "sentinel" },
		{ "symlink root", { { .type = 'l', .name = "./", .link = "/" } }, 1, "./", "only a directory", NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct hostile *h = &cases[i];
		int sfd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_int_equal(write_file_atomic_at(sfd, "sentinel", "s", 1, 0644), 0);
		close(sfd);
		int root = new_root("root");
		_cleanup_berr_ struct berr err = { 0 };
		int r = apply_ents(h->ents, h->n, root, 0, &err);
		if (r >= 0)
			fail_msg("%s: applied", h->what);
		char want[PATH_MAX];
		snprintf(want, sizeof(want), "(%s): ", h->named);
		if (!err.msg || !strstr(err.msg, want) || !strstr(err.msg, h->reason))
			fail_msg("%s: message %s, want %s... %s", h->what, err.msg, want, h->reason);
		assert_int_equal(err.kind, BERR_INVALID);
		if (h->outside && !streq(h->outside, "sentinel"))
			assert_false(scratch_has(h->outside));
		assert_true(scratch_has("sentinel"));
		assert_int_equal(access("/berth-tarx-abs", F_OK), -1);
		assert_int_equal(access("/etc/berth-tarx-x", F_OK), -1);
		close(root);
	}
}

static void test_long_names(void **state)
{
	int root = new_root("root");
	_cleanup_berr_ struct berr err = { 0 };
	char *huge = malloc(8192);
	for (size_t i = 0; i < 8190; i += 2)
		memcpy(huge + i, "a/", 2);
	huge[8190] = 'x';
	huge[8191] = '\0';
	assert_int_equal(APPLY(root, 0, &err, { .type = 'f', .name = huge, .data = "x" }), -ENAMETOOLONG);
	assert_non_null(strstr(err.msg, "name too long"));
	assert_non_null(strstr(err.msg, "layer entry 1 (a/a/a/"));
	berr_clear(&err);
	free(huge);
	char comp[300];
	memset(comp, 'c', 299);
	comp[299] = '\0';
	assert_int_equal(APPLY(root, 0, &err, { .type = 'f', .name = comp, .data = "x" }), -ENAMETOOLONG);
	berr_clear(&err);
	/* 200-character names (PAX path) and 150-character link targets are fine. */
	char longname[256], target[151];
	memset(longname, 'n', 200);
	longname[200] = '\0';
	memset(target, 't', 150);
	target[150] = '\0';
	assert_int_equal(APPLY(root, 0, &err, { .type = 'f', .name = longname, .data = "ok" }, { .type = 'l', .name = "sym", .link = target }), 0);
	char got[200];
	assert_int_equal(readlinkat(root, "sym", got, sizeof(got)), 150);
	close(root);
}

static void test_replace(void **state)
{
	int root = new_root("root");
	_cleanup_berr_ struct berr err = { 0 };
	char outside[PATH_MAX];
	snprintf(outside, sizeof(outside), "%s/sentinel", scratch);
	int sfd = open(scratch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(write_file_atomic_at(sfd, "sentinel", "keep", 4, 0644), 0);

	/* Layer 1: symlinks pointing out, a file with a hard link. */
	assert_int_equal(APPLY(root, 0, &err, { .type = 'l', .name = "f", .link = outside }, { .type = 'l', .name = "d", .link = scratch },
			       { .type = 'f', .name = "a", .data = "A" }),
			 0);
	assert_int_equal(APPLY(root, 0, &err, { .type = 'h', .name = "b", .link = "a" }), 0);
	/* Layer 2: regular file and directory over the symlinks; new content
	 * for the hard link. Nothing goes through. */
	if (APPLY(root, 0, &err, { .type = 'f', .name = "f", .data = "new" }, { .type = 'd', .name = "d" }, { .type = 'f', .name = "d/inside", .data = "i" }) < 0)
		fail_msg("%s", err.msg);
	assert_int_equal(APPLY(root, 0, &err, { .type = 'f', .name = "b", .data = "B" }), 0);
	_cleanup_free_ char *s1 = file_text(sfd, "sentinel");
	_cleanup_free_ char *f = file_text(root, "f");
	_cleanup_free_ char *a = file_text(root, "a");
	_cleanup_free_ char *b = file_text(root, "b");
	assert_string_equal(s1, "keep");
	assert_string_equal(f, "new");
	assert_string_equal(a, "A");
	assert_string_equal(b, "B");
	assert_false(scratch_has("inside"));
	struct stat st;
	assert_int_equal(fstatat(root, "d/inside", &st, AT_SYMLINK_NOFOLLOW), 0);

	/* A directory entry over a directory keeps its contents, updates its mode. */
	assert_int_equal(APPLY(root, 0, &err, { .type = 'd', .name = "d", .mode = 0700 }), 0);
	assert_int_equal(fstatat(root, "d", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(fstatat(root, "d/inside", &st, AT_SYMLINK_NOFOLLOW), 0);
	/* A file over a directory replaces the whole tree. */
	assert_int_equal(APPLY(root, 0, &err, { .type = 'f', .name = "d", .data = "file" }), 0);
	assert_int_equal(fstatat(root, "d", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	close(sfd);
	close(root);
}

static void test_whiteout_semantics(void **state)
{
	int root = new_root("root");
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(APPLY(root, 0, &err, { .type = 'd', .name = "o" }, { .type = 'f', .name = "o/old", .data = "1" }, { .type = 'd', .name = "o/sub" },
			       { .type = 'f', .name = "o/sub/deep", .data = "1" }, { .type = 'd', .name = "p" }, { .type = 'f', .name = "p/old", .data = "1" },
			       { .type = 'd', .name = "w" }, { .type = 'f', .name = "w/gone", .data = "1" }, { .type = 'l', .name = "w/lnk", .link = scratch }),
			 0);
	/* Opaque after this layer's own entries keeps them; opaque before
	 * later entries too. Whiteouts remove trees and symlinks (not their
	 * targets). Missing parents of a whiteout are made. */
	if (APPLY(root, 0, &err, { .type = 'd', .name = "o" }, { .type = 'f', .name = "o/new", .data = "2" }, { .type = 'd', .name = "o/sub" },
		  { .type = 'f', .name = "o/sub/new2", .data = "2" }, { .type = 'f', .name = "o/.wh..wh..opq" }, { .type = 'f', .name = "p/.wh..wh..opq" },
		  { .type = 'f', .name = "p/after", .data = "3" }, { .type = 'f', .name = "w/.wh.gone" }, { .type = 'f', .name = "w/.wh.lnk" },
		  { .type = 'f', .name = "w/.wh.never-existed" }, { .type = 'f', .name = "fresh/.wh.x" }) < 0)
		fail_msg("%s", err.msg);
	_cleanup_strv_free_ char **paths = NULL;
	list_tree(root, "", &paths);
	_cleanup_free_ char *got = join_sorted(paths);
	assert_string_equal(got, "/fresh\n/o\n/o/new\n/o/sub\n/o/sub/new2\n/p\n/p/after\n/w\n");
	assert_true(scratch_has("root"));
	close(root);
}

static void test_metadata(void **state)
{
	int root = new_root("root");
	_cleanup_berr_ struct berr err = { 0 };
	if (APPLY(root, 0, &err, { .type = 'd', .name = "d", .mtime = 12345 }, { .type = 'f', .name = "d/f", .data = "x", .mode = 04755, .mtime = 777 },
		  { .type = 'd', .name = "d/e", .mtime = 999 }, { .type = 'f', .name = "d/e/g", .data = "y" }, { .type = 'p', .name = "d/fifo", .mode = 0640 },
		  { .type = 'c', .name = "d/null", .mode = 0666 }, { .type = 'l', .name = "d/sym", .link = "f", .mtime = 4242 },
		  { .type = 'f', .name = "d/x", .data = "z", .xattr = "user.berth" },
		  { .type = 'f', .name = "d/y", .data = "z", .xattr = "trusted.overlay.redirect" }) < 0)
		fail_msg("%s", err.msg);
	struct stat st;
	assert_int_equal(fstatat(root, "d", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mtime, 12345);
	assert_int_equal(fstatat(root, "d/e", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mtime, 999);
	assert_int_equal(fstatat(root, "d/f", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mtime, 777);
	assert_int_equal(st.st_mode & 07777, 04755);
	assert_int_equal(fstatat(root, "d/fifo", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(fstatat(root, "d/null", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(1, 3));
	assert_int_equal(fstatat(root, "d/sym", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(st.st_mtime, 4242);
	char p[PATH_MAX + 32], v[8];
	snprintf(p, sizeof(p), "%s/root/d/x", scratch);
	ssize_t n = lgetxattr(p, "user.berth", v, sizeof(v));
	if (n >= 0 || errno != EOPNOTSUPP)
		assert_int_equal(n, 1);
	snprintf(p, sizeof(p), "%s/root/d/y", scratch);
	assert_true(lgetxattr(p, "trusted.overlay.redirect", v, sizeof(v)) < 0);
	close(root);
}

static bool trusted_xattrs_work(int root)
{
	int fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	bool ok = fsetxattr(fd, "trusted.berth-probe", "1", 1, 0) == 0;
	if (ok)
		fremovexattr(fd, "trusted.berth-probe");
	close(fd);
	return ok;
}

static void test_overlay_whiteouts(void **state)
{
	int root = new_root("root");
	_cleanup_berr_ struct berr err = { 0 };
	if (APPLY(root, TARX_OVERLAY_WHITEOUTS, &err, { .type = 'd', .name = "a" }, { .type = 'f', .name = "a/.wh.b" }, { .type = 'f', .name = "c/.wh.d" }) < 0)
		fail_msg("%s", err.msg);
	struct stat st;
	assert_int_equal(fstatat(root, "a/b", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_gid, 0);
	assert_int_equal(fstatat(root, "c/d", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(fstatat(root, "a/.wh.b", &st, AT_SYMLINK_NOFOLLOW), -1);

	if (!trusted_xattrs_work(root)) {
		close(root);
		skip();
	}
	if (APPLY(root, TARX_OVERLAY_WHITEOUTS, &err, { .type = 'd', .name = "o" }, { .type = 'f', .name = "o/kept", .data = "k" },
		  { .type = 'f', .name = "o/.wh..wh..opq" }) < 0)
		fail_msg("%s", err.msg);
	char p[PATH_MAX + 32], v[8];
	snprintf(p, sizeof(p), "%s/root/o", scratch);
	assert_int_equal(lgetxattr(p, "trusted.overlay.opaque", v, sizeof(v)), 1);
	assert_int_equal(v[0], 'y');
	assert_int_equal(fstatat(root, "o/kept", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(fstatat(root, "o/.wh..wh..opq", &st, AT_SYMLINK_NOFOLLOW), -1);
	close(root);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup_scratch, teardown_scratch)
	const struct CMUnitTest tests[] = {
		T(test_whiteouts),   T(test_special_files), T(test_busybox_gnu),         T(test_compression),
		T(test_sniff),       T(test_hostile),       T(test_long_names),          T(test_replace),
		T(test_whiteout_semantics), T(test_metadata), T(test_overlay_whiteouts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
