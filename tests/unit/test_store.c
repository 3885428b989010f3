/* test_store.c - src/image: the image store against Docker's own archives
 * (tests/data/images), hand-made corrupt ones, delete/prune rules, save and
 * import, and crash recovery (leftovers, and a load killed with SIGKILL). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/util.h"
#include "common/digest.h"
#include "common/json.h"
#include "image/store-internal.h"
#include "image/store.h"

#define BUSYBOX_ID "sha256:32ddf5746fc281a9068d1f0c7d010d13f42fe618804fa362ed3535bfaae678ed"
#define BUSYBOX_DIFF "sha256:c60353bcf6a3954ce61b8beb42d084213c6d74c6abb5d701ba530f0eb1ff12c6"
#define OCI_ID "sha256:7af967bffa0d1cc6916a04d9372c99ff34f24e2ba2b988e73708d7070bbc56c3"
#define WHITEOUTS_ID "sha256:00a193f3f0c89491cbd1b517694c0366f482b5e6dde92f2c9f92b97d288d62d7"
#define SPECIAL_ID "sha256:7b4184de2389e8d7440288636b513da063b84ea10cd1d2b3603b291dc71a6a2d"

struct fixture {
	char root[64];
	struct image_store *s;
};

/* --- helpers --- */

static const char *data_dir(void)
{
	const char *d = getenv("BERTH_TEST_DATA");
	return d ? d : "tests/data";
}

static int open_fixture(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/images/%s", data_dir(), name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fail_msg("open %s: %m", path);
	return fd;
}

static char **load_fd(struct image_store *s, int fd, struct berr *err)
{
	char **loaded = NULL;
	int r = image_store_load(s, fd, NULL, NULL, &loaded, err);
	close(fd);
	return r < 0 ? NULL : loaded;
}

static char **load_ok(struct image_store *s, const char *name)
{
	_cleanup_berr_ struct berr err = { 0 };
	char **loaded = load_fd(s, open_fixture(name), &err);
	if (!loaded)
		fail_msg("loading %s: %s", name, err.msg);
	return loaded;
}

static void load_quiet(struct image_store *s, const char *name) { strv_free(load_ok(s, name)); }

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/berth-store-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	_cleanup_berr_ struct berr err = { 0 };
	if (image_store_open(f->root, &f->s, &err) < 0) {
		fprintf(stderr, "open: %s\n", err.msg);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	image_store_close(f->s);
	rm_rf_at(AT_FDCWD, f->root);
	free(f);
	return 0;
}

static void reopen(struct fixture *f)
{
	_cleanup_berr_ struct berr err = { 0 };
	image_store_close(f->s);
	f->s = NULL;
	if (image_store_open(f->root, &f->s, &err) < 0)
		fail_msg("reopen: %s", err.msg);
}

static struct image *get_ok(struct image_store *s, const char *name)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct image *im = NULL;
	if (image_store_get(s, name, &im, &err) < 0)
		fail_msg("get %s: %s", name, err.msg);
	return im;
}

static void expect_not_found(struct image_store *s, const char *name)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct image *im = NULL;
	assert_int_equal(image_store_get(s, name, &im, &err), -ENOENT);
	assert_int_equal(err.kind, BERR_NOT_FOUND);
	char want[256];
	snprintf(want, sizeof(want), "No such image: %s", name);
	assert_string_equal(err.msg, want);
}

/* Names in dir (relative to the store root), sorted, joined by spaces. */
static char *dir_listing(const char *root, const char *sub)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, sub);
	struct dirent **names = NULL;
	int n = scandir(path, &names, NULL, alphasort);
	char *out = strdup("");
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			char *next = NULL;
			if (asprintf(&next, "%s%s ", out, names[i]->d_name) < 0)
				abort();
			free(out);
			out = next;
		}
		free(names[i]);
	}
	free(names);
	return out;
}

static size_t dir_count(const char *root, const char *sub)
{
	_cleanup_free_ char *l = dir_listing(root, sub);
	size_t n = 0;
	for (const char *p = l; *p; p++)
		n += *p == ' ';
	return n;
}

/* Everything a failed operation must leave as it was. */
static char *store_state(struct fixture *f)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct image **v = NULL;
	size_t n = 0;
	if (image_store_list(f->s, &v, &n, &err) < 0)
		fail_msg("list: %s", err.msg);
	_cleanup_free_ char *blobs = dir_listing(f->root, "content/blobs/sha256");
	_cleanup_free_ char *snaps = dir_listing(f->root, "snapshots");
	_cleanup_free_ char *ingest = dir_listing(f->root, "content/ingest");
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	for (size_t i = 0; i < n; i++) {
		fprintf(m, "%s", v[i]->id);
		for (size_t j = 0; v[i]->repo_tags[j]; j++)
			fprintf(m, " %s", v[i]->repo_tags[j]);
		fprintf(m, "\n");
	}
	fprintf(m, "blobs: %s\nsnapshots: %s\ningest: %s\n", blobs, snaps, ingest);
	fclose(m);
	image_list_free(v, n);
	return out;
}

/* --- writing test archives --- */

struct entry {
	const char *name;
	const void *data;
	size_t len;
};

static void write_tar(int fd, const struct entry *e, size_t n, bool gzip)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	if (gzip)
		archive_write_add_filter_gzip(a);
	assert_int_equal(archive_write_open_fd(a, fd), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, AE_IFREG);
		archive_entry_set_perm(ae, 0644);
		archive_entry_set_size(ae, (la_int64_t)e[i].len);
		assert_true(archive_write_header(a, ae) >= ARCHIVE_WARN);
		if (e[i].len)
			assert_int_equal(archive_write_data(a, e[i].data, e[i].len), (la_ssize_t)e[i].len);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
}

/* An fd of a temporary file holding the tar of entries, at offset 0. */
static int tar_fd(const struct entry *e, size_t n, bool gzip)
{
	char path[] = "/tmp/berth-store-tar-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	write_tar(fd, e, n, gzip);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void read_fd(int fd, char **ret, size_t *len)
{
	lseek(fd, 0, SEEK_SET);
	assert_int_equal(read_fd_all(fd, ret, len), 0);
}

/* A docker-save archive of one image: layer bytes, config made to match
 * (or given), tag. */
static int docker_archive(const char *layer, size_t layer_len, const char *diff_override, const char *tag,
			  const char *manifest_override, digest_t ret_id)
{
	digest_t diff;
	digest_buf(layer, layer_len, diff);
	char config[1024];
	snprintf(config, sizeof(config),
		 "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"]},"
		 "\"created\":\"2024-01-01T00:00:00Z\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
		 diff_override ? diff_override : diff);
	digest_t id;
	digest_buf(config, strlen(config), id);
	char config_name[80], manifest[512];
	snprintf(config_name, sizeof(config_name), "%s.json", digest_hex(id));
	snprintf(manifest, sizeof(manifest), "[{\"Config\":\"%s\",\"RepoTags\":[\"%s\"],\"Layers\":[\"l/layer.tar\"]}]",
		 config_name, tag);
	const char *m = manifest_override ? manifest_override : manifest;
	struct entry e[] = {
		{ "l/layer.tar", layer, layer_len },
		{ config_name, config, strlen(config) },
		{ "manifest.json", m, strlen(m) },
	};
	if (ret_id)
		memcpy(ret_id, id, sizeof(digest_t));
	return tar_fd(e, ARRAY_SIZE(e), false);
}

static char *small_layer(size_t *len, const char *name, const char *content)
{
	struct entry e[] = { { name, content, strlen(content) } };
	int fd = tar_fd(e, 1, false);
	char *buf = NULL;
	read_fd(fd, &buf, len);
	close(fd);
	return buf;
}

/* --- loading Docker's archives --- */

static void test_load_busybox(void **state)
{
	struct fixture *f = *state;
	char **loaded = load_ok(f->s, "busybox-docker-save.tar");
	assert_int_equal(strv_length(loaded), 1);
	assert_string_equal(loaded[0], "busybox:latest");
	strv_free(loaded);

	struct image *im = get_ok(f->s, "busybox");
	assert_string_equal(im->id, BUSYBOX_ID);
	assert_int_equal(strv_length(im->repo_tags), 1);
	assert_string_equal(im->repo_tags[0], "docker.io/library/busybox:latest");
	assert_int_equal(im->n_layers, 1);
	assert_string_equal(im->layers[0].diff_id, BUSYBOX_DIFF);
	assert_string_equal(im->layers[0].chain_id, BUSYBOX_DIFF);
	json_t *cmd = json_object_get(json_object_get(im->config, "config"), "Cmd");
	assert_int_equal(json_array_size(cmd), 1);
	assert_string_equal(json_string_value(json_array_get(cmd, 0)), "sh");
	assert_true(im->created == 1795827353702661253LL); /* 2026-11-28T00:55:53.702661253Z */
	assert_int_equal(im->size, 1986613); /* what docker image inspect says */
	assert_int_equal(im->last_tag_time, 0);
	image_free(im);

	/* Config bytes exactly as Docker wrote them. */
	_cleanup_free_ char *bytes = NULL;
	size_t len = 0;
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(image_store_config_bytes(f->s, BUSYBOX_ID, &bytes, &len, &err), 0);
	digest_t d;
	digest_buf(bytes, len, d);
	assert_string_equal(d, BUSYBOX_ID);

	/* Stored once: config + layer blobs, one snapshot, nothing in ingest. */
	assert_int_equal(dir_count(f->root, "content/blobs/sha256"), 2);
	assert_int_equal(dir_count(f->root, "snapshots"), 1);
	assert_int_equal(dir_count(f->root, "content/ingest"), 0);

	char **dirs = NULL;
	assert_int_equal(image_store_layer_dirs(f->s, "busybox:latest", &dirs, &err), 0);
	assert_int_equal(strv_length(dirs), 1);
	char sh[600];
	snprintf(sh, sizeof(sh), "%s/bin/busybox", dirs[0]);
	assert_int_equal(access(sh, X_OK), 0);
	strv_free(dirs);

	/* Loading again changes nothing. */
	_cleanup_free_ char *before = store_state(f);
	load_quiet(f->s, "busybox-docker-save.tar");
	_cleanup_free_ char *after = store_state(f);
	assert_string_equal(before, after);
}

static void test_load_multi_tag(void **state)
{
	struct fixture *f = *state;
	char **loaded = load_ok(f->s, "multi-tag-docker-save.tar");
	assert_int_equal(strv_length(loaded), 2);
	assert_string_equal(loaded[0], "busybox:latest");
	assert_string_equal(loaded[1], "fixture/multi:1");
	strv_free(loaded);
	struct image *a = get_ok(f->s, "fixture/multi:1"), *b = get_ok(f->s, "docker.io/library/busybox");
	assert_string_equal(a->id, BUSYBOX_ID);
	assert_string_equal(b->id, BUSYBOX_ID);
	assert_int_equal(strv_length(a->repo_tags), 2);
	assert_string_equal(a->repo_tags[1], "docker.io/fixture/multi:1");
	image_free(a);
	image_free(b);
}

static void test_load_two_images(void **state)
{
	struct fixture *f = *state;
	char **loaded = load_ok(f->s, "two-images-docker-save.tar");
	assert_int_equal(strv_length(loaded), 2);
	assert_string_equal(loaded[0], "fixture/whiteouts:1");
	assert_string_equal(loaded[1], "fixture/special-files:1");
	strv_free(loaded);
	struct image *w = get_ok(f->s, "fixture/whiteouts:1"), *sp = get_ok(f->s, "fixture/special-files:1");
	assert_string_equal(w->id, WHITEOUTS_ID);
	assert_string_equal(sp->id, SPECIAL_ID);
	assert_int_equal(w->n_layers, 7);
	assert_int_equal(sp->n_layers, 3);
	/* The busybox base layer is shared: one snapshot, one blob. */
	assert_string_equal(w->layers[0].chain_id, sp->layers[0].chain_id);
	assert_int_equal(dir_count(f->root, "snapshots"), 7 + 2);
	assert_int_equal(dir_count(f->root, "content/blobs/sha256"), 2 + 7 + 2);
	_cleanup_berr_ struct berr err = { 0 };
	uint64_t shared = 0, total = 0;
	assert_int_equal(image_store_shared_size(f->s, w, &shared, &err), 0);
	assert_int_equal(shared, w->layers[0].size);
	assert_int_equal(image_store_layers_size(f->s, &total, &err), 0);
	assert_int_equal(total, w->size + sp->size - shared);
	image_free(w);
	image_free(sp);
}

static bool is_whiteout(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
}

static void test_load_whiteouts(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "whiteouts-docker-save.tar");
	_cleanup_berr_ struct berr err = { 0 };
	char **dirs = NULL;
	assert_int_equal(image_store_layer_dirs(f->s, "fixture/whiteouts:1", &dirs, &err), 0);
	assert_int_equal(strv_length(dirs), 7);
	char p[700];
	/* Top first: layer 7 deletes www/index.html and var/www of the base. */
	snprintf(p, sizeof(p), "%s/www/index.html", dirs[0]);
	assert_true(is_whiteout(p));
	snprintf(p, sizeof(p), "%s/var/www", dirs[0]);
	assert_true(is_whiteout(p));
	snprintf(p, sizeof(p), "%s/www/.wh.index.html", dirs[0]);
	assert_int_equal(access(p, F_OK), -1);
	/* Layer 6 re-created data/recreated in one step: opaque. */
	char val[8] = { 0 };
	snprintf(p, sizeof(p), "%s/data/recreated", dirs[1]);
	assert_int_equal(lgetxattr(p, "trusted.overlay.opaque", val, sizeof(val)), 1);
	assert_int_equal(val[0], 'y');
	/* Layers 3 and 4 delete data/file-to-delete.txt and data/gone. */
	snprintf(p, sizeof(p), "%s/data/file-to-delete.txt", dirs[4]);
	assert_true(is_whiteout(p));
	snprintf(p, sizeof(p), "%s/data/gone", dirs[3]);
	assert_true(is_whiteout(p));
	strv_free(dirs);
}

static void test_load_special_files(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "special-files-docker-save.tar");
	struct image *im = get_ok(f->s, "fixture/special-files:1");
	assert_string_equal(im->id, SPECIAL_ID);
	assert_int_equal(im->n_layers, 3);
	image_free(im);
}

static void test_load_oci(void **state)
{
	struct fixture *f = *state;
	char **loaded = load_ok(f->s, "busybox-oci.tar");
	/* No name annotation: untagged, reported by ID. */
	assert_int_equal(strv_length(loaded), 1);
	assert_string_equal(loaded[0], OCI_ID);
	strv_free(loaded);
	struct image *im = get_ok(f->s, OCI_ID);
	assert_int_equal(strv_length(im->repo_tags), 0);
	assert_int_equal(im->n_layers, 1);
	assert_string_equal(im->layers[0].diff_id, BUSYBOX_DIFF);
	assert_int_equal(im->size, 1986613);
	image_free(im);
	/* The gzip layer is kept uncompressed, under its DiffID. */
	char p[256];
	snprintf(p, sizeof(p), "%s/content/blobs/sha256/%s", f->root, BUSYBOX_DIFF + 7);
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(dir_count(f->root, "content/blobs/sha256"), 2);

	/* ref.name "latest" alone names no repository: "latest:latest". */
	loaded = load_ok(f->s, "busybox-oci-layout.tar");
	assert_int_equal(strv_length(loaded), 1);
	assert_string_equal(loaded[0], "latest:latest");
	strv_free(loaded);
	im = get_ok(f->s, "latest");
	assert_string_equal(im->id, OCI_ID);
	image_free(im);

	/* Same layer as docker's busybox: one snapshot for both. */
	load_quiet(f->s, "busybox-docker-save.tar");
	assert_int_equal(dir_count(f->root, "snapshots"), 1);
}

/* --- names --- */

static void test_names(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "busybox-docker-save.tar");
	load_quiet(f->s, "busybox-oci.tar");
	load_quiet(f->s, "two-images-docker-save.tar");
	const char *names[] = { "busybox", "busybox:latest", "docker.io/library/busybox:latest",
				"library/busybox", BUSYBOX_ID, BUSYBOX_ID + 7, "32ddf57", "sha256:32dd", "3" };
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct image *im = get_ok(f->s, names[i]);
		assert_string_equal(im->id, BUSYBOX_ID);
		image_free(im);
	}
	expect_not_found(f->s, "nope");
	expect_not_found(f->s, "busybox:1");
	expect_not_found(f->s, "sha256:ffff");
	expect_not_found(f->s, "Not A Name");
	/* 7af967bf (OCI) and 7b4184de (special-files). */
	_cleanup_berr_ struct berr err = { 0 };
	struct image *im = NULL;
	assert_int_equal(image_store_get(f->s, "7", &im, &err), -EINVAL);
	assert_int_equal(err.kind, BERR_INVALID);
	assert_string_equal(err.msg, "multiple IDs found with provided prefix: 7");
	berr_clear(&err);
	im = get_ok(f->s, "7a");
	assert_string_equal(im->id, OCI_ID);
	image_free(im);

	/* Newest first (by config "created"). */
	struct image **v = NULL;
	size_t n = 0;
	assert_int_equal(image_store_list(f->s, &v, &n, &err), 0);
	assert_int_equal(n, 4);
	for (size_t i = 1; i < n; i++)
		assert_true(v[i - 1]->created >= v[i]->created);
	image_list_free(v, n);
}

static void test_tag(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "busybox-docker-save.tar");
	load_quiet(f->s, "busybox-oci.tar");
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(image_store_tag(f->s, "busybox", "me/app:v1", &err), 0);
	struct image *im = get_ok(f->s, "me/app:v1");
	assert_string_equal(im->id, BUSYBOX_ID);
	assert_int_equal(strv_length(im->repo_tags), 2);
	assert_string_equal(im->repo_tags[1], "docker.io/me/app:v1");
	assert_true(im->last_tag_time > 0);
	image_free(im);

	/* Moving the tag leaves busybox with its other tag. */
	assert_int_equal(image_store_tag(f->s, "7af9", "me/app:v1", &err), 0);
	im = get_ok(f->s, "me/app:v1");
	assert_string_equal(im->id, OCI_ID);
	image_free(im);
	im = get_ok(f->s, BUSYBOX_ID);
	assert_int_equal(strv_length(im->repo_tags), 1);
	image_free(im);

	assert_true(image_store_tag(f->s, "busybox", "x@sha256:" "c60353bcf6a3954ce61b8beb42d084213c6d74c6abb5d701ba530f0eb1ff12c6", &err) < 0);
	assert_int_equal(err.kind, BERR_INVALID);
	berr_clear(&err);
	assert_true(image_store_tag(f->s, "busybox", "UPPER:1", &err) < 0);
	assert_int_equal(err.kind, BERR_INVALID);
	berr_clear(&err);
	assert_int_equal(image_store_tag(f->s, "nope", "x:1", &err), -ENOENT);
	assert_string_equal(err.msg, "No such image: nope");
}

/* --- delete and prune --- */

static char *changes_str(struct image_change *v, size_t n)
{
	char *out = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&out, &len);
	for (size_t i = 0; i < n; i++)
		fprintf(m, "%s %s\n", v[i].deleted ? "Deleted:" : "Untagged:", v[i].what);
	fclose(m);
	image_changes_free(v, n);
	return out;
}

static char *rmi(struct image_store *s, const char *name, bool force, bool noprune, image_in_use_fn in_use,
		 void *ud)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct image_change *v = NULL;
	size_t n = 0;
	if (image_store_delete(s, name, force, noprune, in_use, ud, &v, &n, &err) < 0)
		fail_msg("rmi %s: %s", name, err.msg);
	return changes_str(v, n);
}

static void expect_rmi(struct image_store *s, const char *name, bool force, bool noprune, const char *want)
{
	_cleanup_free_ char *got = rmi(s, name, force, noprune, NULL, NULL);
	assert_string_equal(got, want);
}

static void expect_rmi_conflict(struct image_store *s, const char *name, bool force, image_in_use_fn in_use,
				void *ud, const char *want)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct image_change *v = NULL;
	size_t n = 0;
	assert_int_equal(image_store_delete(s, name, force, false, in_use, ud, &v, &n, &err), -EBUSY);
	assert_int_equal(err.kind, BERR_CONFLICT);
	assert_string_equal(err.msg, want);
}

static int used_by_busybox(const char *id, char **ret, void *ud)
{
	if (!streq(id, BUSYBOX_ID))
		return 0;
	*ret = strdup("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	return 1;
}

static void test_delete_rules(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "multi-tag-docker-save.tar");
	_cleanup_free_ char *empty_state = NULL;

	/* One of two tags: only untagged. */
	expect_rmi(f->s, "fixture/multi:1", false, false, "Untagged: fixture/multi:1\n");
	_cleanup_berr_ struct berr err = { 0 };
	assert_int_equal(image_store_tag(f->s, "busybox", "fixture/multi:1", &err), 0);

	/* By ID with several tags: needs force. */
	expect_rmi_conflict(f->s, BUSYBOX_ID + 7, false, NULL, NULL,
			    "conflict: unable to delete 32ddf5746fc2 (must be forced) - image is referenced in multiple repositories");
	/* Used by a container: conflict, and with force only untagged. */
	expect_rmi_conflict(f->s, "busybox", false, used_by_busybox, NULL,
			    "conflict: unable to remove repository reference \"busybox\" (must force) - container 0123456789ab is using its referenced image 32ddf5746fc2");
	_cleanup_free_ char *got = rmi(f->s, "busybox", true, false, used_by_busybox, NULL);
	assert_string_equal(got, "Untagged: busybox:latest\n");
	free(TAKE_PTR(got));
	got = rmi(f->s, "fixture/multi:1", true, false, used_by_busybox, NULL);
	assert_string_equal(got, "Untagged: fixture/multi:1\n");
	struct image *im = get_ok(f->s, BUSYBOX_ID); /* dangling, still there */
	assert_int_equal(strv_length(im->repo_tags), 0);
	image_free(im);

	/* Deleting by ID a dangling image that is in use: must be forced. */
	expect_rmi_conflict(f->s, "32ddf", false, used_by_busybox, NULL,
			    "conflict: unable to delete 32ddf5746fc2 (must be forced) - image is being used by stopped container 0123456789ab");

	/* Tag again; by ID with force: untag all, delete image and layer. */
	assert_int_equal(image_store_tag(f->s, "32ddf", "busybox", &err), 0);
	assert_int_equal(image_store_tag(f->s, "32ddf", "fixture/multi:1", &err), 0);
	expect_rmi(f->s, "32ddf5746fc2", true, false,
		   "Untagged: busybox:latest\nUntagged: fixture/multi:1\nDeleted: " BUSYBOX_ID "\nDeleted: " BUSYBOX_DIFF "\n");
	expect_not_found(f->s, "busybox");
	assert_int_equal(dir_count(f->root, "content/blobs/sha256"), 0);
	assert_int_equal(dir_count(f->root, "snapshots"), 0);

	/* The last tag deletes the image. */
	load_quiet(f->s, "busybox-docker-save.tar");
	expect_rmi(f->s, "busybox", false, false,
		   "Untagged: busybox:latest\nDeleted: " BUSYBOX_ID "\nDeleted: " BUSYBOX_DIFF "\n");
	/* By ID with a single tag: untag and delete. */
	load_quiet(f->s, "busybox-docker-save.tar");
	expect_rmi(f->s, "32dd", false, false,
		   "Untagged: busybox:latest\nDeleted: " BUSYBOX_ID "\nDeleted: " BUSYBOX_DIFF "\n");
	empty_state = store_state(f);
	assert_non_null(strstr(empty_state, "blobs: \nsnapshots: \ningest: \n"));
}

/* Docker records parents for built and committed images; loads don't, so
 * the test links whiteouts (7 layers) to busybox (its base) by hand. */
static void set_parent(struct fixture *f, const char *id, const char *parent)
{
	char sql[300];
	snprintf(sql, sizeof(sql), "UPDATE images SET parent = '%s' WHERE id = '%s'", parent, id);
	assert_int_equal(sqlite3_exec(f->s->db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static void test_delete_parents(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "busybox-docker-save.tar");
	load_quiet(f->s, "whiteouts-docker-save.tar");
	set_parent(f, WHITEOUTS_ID, BUSYBOX_ID);

	/* A parent with a child: untagged, kept. */
	expect_rmi(f->s, "busybox", false, false, "Untagged: busybox:latest\n");
	expect_rmi_conflict(f->s, BUSYBOX_ID, true, NULL, NULL,
			    "conflict: unable to delete 32ddf5746fc2 (cannot be forced) - image has dependent child images");

	/* noprune keeps the dangling parent. */
	struct image *w = get_ok(f->s, WHITEOUTS_ID);
	_cleanup_free_ char *want = NULL, *got = NULL;
	char *p = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&p, &len);
	fprintf(m, "Untagged: fixture/whiteouts:1\nDeleted: %s\n", WHITEOUTS_ID);
	for (size_t i = w->n_layers; i-- > 1;)
		fprintf(m, "Deleted: %s\n", w->layers[i].chain_id);
	fclose(m);
	want = p;
	image_free(w);
	got = rmi(f->s, "fixture/whiteouts:1", false, true, NULL, NULL);
	assert_string_equal(got, want);
	struct image *b = get_ok(f->s, BUSYBOX_ID);
	image_free(b);

	/* Without noprune the dangling parent goes too. */
	load_quiet(f->s, "whiteouts-docker-save.tar");
	set_parent(f, WHITEOUTS_ID, BUSYBOX_ID);
	free(TAKE_PTR(got));
	got = rmi(f->s, "fixture/whiteouts:1", false, false, NULL, NULL);
	assert_non_null(strstr(got, "Deleted: " WHITEOUTS_ID "\n"));
	assert_non_null(strstr(got, "Deleted: " BUSYBOX_ID "\nDeleted: " BUSYBOX_DIFF "\n"));
	assert_int_equal(dir_count(f->root, "snapshots"), 0);
	assert_int_equal(dir_count(f->root, "content/blobs/sha256"), 0);
}

static bool keep_oci(const struct image *im, void *ud) { return streq(im->id, OCI_ID); }

static void test_prune(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "busybox-docker-save.tar");
	load_quiet(f->s, "two-images-docker-save.tar");
	load_quiet(f->s, "busybox-oci.tar"); /* untagged: dangling */
	_cleanup_berr_ struct berr err = { 0 };
	struct image_change *v = NULL;
	size_t n = 0;
	uint64_t reclaimed = 0;

	/* keep() vetoes the only dangling image. */
	assert_int_equal(image_store_prune(f->s, false, keep_oci, NULL, NULL, &v, &n, &reclaimed, &err), 0);
	assert_int_equal(n, 0);
	image_changes_free(v, n);

	/* Dangling only: the OCI image; its layer stays (busybox uses it). */
	assert_int_equal(image_store_prune(f->s, false, NULL, NULL, NULL, &v, &n, &reclaimed, &err), 0);
	_cleanup_free_ char *got = changes_str(v, n);
	assert_string_equal(got, "Deleted: " OCI_ID "\n");
	assert_int_equal(reclaimed, 0);
	expect_not_found(f->s, OCI_ID);

	/* All, but busybox is in use. */
	assert_int_equal(image_store_prune(f->s, true, NULL, used_by_busybox, NULL, &v, &n, &reclaimed, &err), 0);
	free(TAKE_PTR(got));
	got = changes_str(v, n);
	assert_non_null(strstr(got, "Untagged: fixture/whiteouts:1\nDeleted: " WHITEOUTS_ID "\n"));
	assert_non_null(strstr(got, "Untagged: fixture/special-files:1\nDeleted: " SPECIAL_ID "\n"));
	assert_null(strstr(got, BUSYBOX_ID));
	assert_true(reclaimed > 0);
	assert_int_equal(dir_count(f->root, "snapshots"), 1);
	assert_int_equal(dir_count(f->root, "content/blobs/sha256"), 2);
	struct image *b = get_ok(f->s, "busybox");
	image_free(b);
}

static void test_gc_orphans(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "busybox-docker-save.tar");
	_cleanup_free_ char *before = store_state(f);
	char p[512];
	snprintf(p, sizeof(p), "%s/content/blobs/sha256/%064d", f->root, 0);
	assert_int_equal(write_file_atomic_at(AT_FDCWD, p, "junk", 4, 0600), 0);
	snprintf(p, sizeof(p), "%s/snapshots/%064d/fs", f->root, 1);
	assert_int_equal(mkdir_p(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/snapshots/%064d/fs/file", f->root, 1);
	assert_int_equal(write_file_atomic_at(AT_FDCWD, p, "junk", 4, 0600), 0);
	_cleanup_berr_ struct berr err = { 0 };
	uint64_t reclaimed = 0;
	assert_int_equal(image_store_gc(f->s, &reclaimed, &err), 0);
	assert_true(reclaimed > 0);
	_cleanup_free_ char *after = store_state(f);
	assert_string_equal(before, after);
}

/* --- save --- */

struct tar_file {
	char *name;
	char *data;
	size_t len;
};

static size_t read_tar(int fd, struct tar_file *out, size_t max, bool zero_mtimes)
{
	lseek(fd, 0, SEEK_SET);
	struct archive *a = archive_read_new();
	archive_read_support_format_tar(a);
	assert_int_equal(archive_read_open_fd(a, fd, 65536), ARCHIVE_OK);
	struct archive_entry *e;
	size_t n = 0;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK && n < max) {
		if (zero_mtimes)
			assert_int_equal(archive_entry_mtime(e), 0);
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		size_t len = (size_t)archive_entry_size(e);
		out[n].name = strdup(archive_entry_pathname(e));
		out[n].data = malloc(len + 1);
		assert_int_equal(archive_read_data(a, out[n].data, len), (la_ssize_t)len);
		out[n].data[len] = '\0';
		out[n++].len = len;
	}
	archive_read_free(a);
	return n;
}

static const struct tar_file *tar_get(const struct tar_file *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i].name, name))
			return &v[i];
	fail_msg("%s not in the save", name);
	return NULL;
}

static int save_to_fd(struct image_store *s, char *const *names)
{
	char path[] = "/tmp/berth-store-save-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	_cleanup_berr_ struct berr err = { 0 };
	if (image_store_save(s, names, fd, &err) < 0)
		fail_msg("save: %s", err.msg);
	return fd;
}

static void test_save_structure(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "multi-tag-docker-save.tar");
	char *names[] = { "busybox", "fixture/multi:1", NULL };
	int fd = save_to_fd(f->s, names);
	struct tar_file files[16] = { 0 };
	size_t n = read_tar(fd, files, 16, true);
	close(fd);
	assert_int_equal(n, 7); /* layer, config, manifest blobs; index, manifest.json, oci-layout, repositories */

	const struct tar_file *mf = tar_get(files, n, "manifest.json");
	assert_string_equal(mf->data, "[{\"Config\":\"blobs/sha256/" "32ddf5746fc281a9068d1f0c7d010d13f42fe618804fa362ed3535bfaae678ed"
				      "\",\"RepoTags\":[\"busybox:latest\",\"fixture/multi:1\"],\"Layers\":[\"blobs/sha256/"
				      "c60353bcf6a3954ce61b8beb42d084213c6d74c6abb5d701ba530f0eb1ff12c6\"]}]");
	const struct tar_file *repos = tar_get(files, n, "repositories");
	assert_string_equal(repos->data,
			    "{\"busybox\":{\"latest\":\"c60353bcf6a3954ce61b8beb42d084213c6d74c6abb5d701ba530f0eb1ff12c6\"},"
			    "\"fixture/multi\":{\"1\":\"c60353bcf6a3954ce61b8beb42d084213c6d74c6abb5d701ba530f0eb1ff12c6\"}}");
	assert_string_equal(tar_get(files, n, "oci-layout")->data, "{\"imageLayoutVersion\":\"1.0.0\"}");
	const struct tar_file *cfg = tar_get(files, n, "blobs/sha256/32ddf5746fc281a9068d1f0c7d010d13f42fe618804fa362ed3535bfaae678ed");
	digest_t d;
	digest_buf(cfg->data, cfg->len, d);
	assert_string_equal(d, BUSYBOX_ID);
	const struct tar_file *layer = tar_get(files, n, "blobs/sha256/c60353bcf6a3954ce61b8beb42d084213c6d74c6abb5d701ba530f0eb1ff12c6");
	digest_buf(layer->data, layer->len, d);
	assert_string_equal(d, BUSYBOX_DIFF);

	/* index.json: one descriptor per tag, pointing at a manifest blob. */
	_cleanup_json_ json_t *index = NULL;
	const struct tar_file *ix = tar_get(files, n, "index.json");
	assert_int_equal(json_parse(ix->data, ix->len, "index.json", &index, NULL), 0);
	json_t *ms = json_object_get(index, "manifests");
	assert_int_equal(json_array_size(ms), 2);
	json_t *ann = json_object_get(json_array_get(ms, 1), "annotations");
	assert_string_equal(json_string_value(json_object_get(ann, "io.containerd.image.name")), "docker.io/fixture/multi:1");
	assert_string_equal(json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name")), "1");
	char mpath[128];
	snprintf(mpath, sizeof(mpath), "blobs/sha256/%s",
		 digest_hex(json_string_value(json_object_get(json_array_get(ms, 0), "digest"))));
	const struct tar_file *man = tar_get(files, n, mpath);
	_cleanup_json_ json_t *manifest = NULL;
	assert_int_equal(json_parse(man->data, man->len, "manifest", &manifest, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(manifest, "config"), "digest")), BUSYBOX_ID);
	for (size_t i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].data);
	}
}

static void test_save_load_round_trip(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "two-images-docker-save.tar");
	load_quiet(f->s, "busybox-oci.tar");
	char *names[] = { "fixture/whiteouts:1", "fixture/special-files:1", "7af9", NULL };
	int fd = save_to_fd(f->s, names);
	_cleanup_free_ char *before = store_state(f);

	/* Into an empty store. */
	char **loaded = NULL;
	image_store_close(f->s);
	f->s = NULL;
	rm_rf_at(AT_FDCWD, f->root);
	reopen(f);
	lseek(fd, 0, SEEK_SET);
	_cleanup_berr_ struct berr err = { 0 };
	loaded = load_fd(f->s, fd, &err);
	if (!loaded)
		fail_msg("reload: %s", err.msg);
	assert_int_equal(strv_length(loaded), 3);
	assert_string_equal(loaded[2], OCI_ID);
	strv_free(loaded);
	_cleanup_free_ char *after = store_state(f);
	assert_string_equal(before, after);
	const char *ids[] = { WHITEOUTS_ID, SPECIAL_ID, OCI_ID };
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		_cleanup_free_ char *bytes = NULL;
		size_t len = 0;
		digest_t d;
		assert_int_equal(image_store_config_bytes(f->s, ids[i], &bytes, &len, &err), 0);
		digest_buf(bytes, len, d);
		assert_string_equal(d, ids[i]);
	}
}

/* --- import --- */

static void test_import(void **state)
{
	struct fixture *f = *state;
	struct entry e[] = { { "bin/hello", "#!/bin/sh\necho hi\n", 19 }, { "etc/motd", "welcome\n", 8 } };
	int plain = tar_fd(e, 2, false);
	char *bytes = NULL;
	size_t len = 0;
	read_fd(plain, &bytes, &len);
	close(plain);
	digest_t diff;
	digest_buf(bytes, len, diff);
	free(bytes);

	int fd = tar_fd(e, 2, true); /* gzip */
	_cleanup_json_ json_t *changes = json_pack("{s:[s], s:[s]}", "Cmd", "/bin/hello", "Env", "A=b");
	_cleanup_berr_ struct berr err = { 0 };
	digest_t id;
	if (image_store_import(f->s, fd, changes, "made here", "imp:1", id, NULL, NULL, &err) < 0)
		fail_msg("import: %s", err.msg);
	close(fd);
	struct image *im = get_ok(f->s, "imp:1");
	assert_string_equal(im->id, id);
	assert_int_equal(im->n_layers, 1);
	assert_string_equal(im->layers[0].diff_id, diff);
	assert_int_equal(im->size, 27);
	assert_true(im->last_tag_time > 0);
	json_t *c = im->config;
	assert_string_equal(json_string_value(json_object_get(c, "os")), "linux");
	assert_non_null(json_string_value(json_object_get(c, "architecture")));
	assert_string_equal(json_string_value(json_object_get(c, "comment")), "made here");
	assert_true(json_equal(json_object_get(c, "config"), changes));
	json_t *h = json_array_get(json_object_get(c, "history"), 0);
	assert_string_equal(json_string_value(json_object_get(h, "comment")), "made here");
	const char *created = json_string_value(json_object_get(c, "created"));
	assert_string_equal(json_string_value(json_object_get(h, "created")), created);
	assert_int_equal(strlen(created) >= 20, 1);
	assert_int_equal(created[strlen(created) - 1], 'Z');
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(c, "rootfs"), "diff_ids"), 0)), diff);
	/* Key order as Docker's import writes it. */
	_cleanup_free_ char *cfg = NULL;
	assert_int_equal(image_store_config_bytes(f->s, id, &cfg, &len, &err), 0);
	assert_true(str_startswith(cfg, "{\"architecture\":"));
	assert_non_null(strstr(cfg, "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["));
	image_free(im);

	/* The layer blob is the uncompressed tar: save can emit it. */
	char p[256];
	snprintf(p, sizeof(p), "%s/content/blobs/sha256/%s", f->root, digest_hex(diff));
	assert_int_equal(access(p, F_OK), 0);
	char **dirs = NULL;
	assert_int_equal(image_store_layer_dirs(f->s, "imp:1", &dirs, &err), 0);
	snprintf(p, sizeof(p), "%s/etc/motd", dirs[0]);
	assert_int_equal(access(p, F_OK), 0);
	strv_free(dirs);

	/* No message: Docker's default. */
	fd = tar_fd(e, 2, false);
	assert_int_equal(image_store_import(f->s, fd, NULL, NULL, NULL, id, NULL, NULL, &err), 0);
	close(fd);
	im = get_ok(f->s, id);
	assert_string_equal(json_string_value(json_object_get(im->config, "comment")), "Imported from -");
	assert_int_equal(json_object_size(json_object_get(im->config, "config")), 0);
	image_free(im);

	/* Not a tar: refused, nothing left. */
	_cleanup_free_ char *before = store_state(f);
	char junk[] = "/tmp/berth-store-junk-XXXXXX";
	fd = mkstemp(junk);
	unlink(junk);
	write_all(fd, "this is not a tar archive at all, not even close.........", 57);
	lseek(fd, 0, SEEK_SET);
	assert_true(image_store_import(f->s, fd, NULL, NULL, "bad:1", id, NULL, NULL, &err) < 0);
	close(fd);
	berr_clear(&err);
	_cleanup_free_ char *after = store_state(f);
	assert_string_equal(before, after);
}

/* --- corrupt input: a clear error and an unchanged store --- */

static void expect_load_fails(struct fixture *f, int fd, const char *needle)
{
	_cleanup_free_ char *before = store_state(f);
	_cleanup_berr_ struct berr err = { 0 };
	char **loaded = load_fd(f->s, fd, &err);
	assert_null(loaded);
	assert_true(berr_isset(&err));
	if (!strstr(err.msg, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err.msg, needle);
	_cleanup_free_ char *after = store_state(f);
	assert_string_equal(before, after);
}

static int truncated_fixture(const char *name, off_t keep)
{
	int in = open_fixture(name);
	char path[] = "/tmp/berth-store-trunc-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	char *buf = malloc((size_t)keep);
	assert_int_equal(read_all(in, buf, (size_t)keep), 0);
	assert_int_equal(write_all(fd, buf, (size_t)keep), 0);
	free(buf);
	close(in);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static void test_corrupt_inputs(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "busybox-oci.tar"); /* a non-empty store to keep intact */

	/* Truncated in the middle of the layer, and before manifest.json. */
	expect_load_fails(f, truncated_fixture("busybox-docker-save.tar", 1000000), "loading image: reading");
	expect_load_fails(f, truncated_fixture("busybox-docker-save.tar", 2145280), "no manifest.json or index.json");

	/* A layer whose DiffID doesn't match the config. */
	size_t len;
	_cleanup_free_ char *layer = small_layer(&len, "hello.txt", "hello\n");
	int fd = docker_archive(layer, len, "sha256:" "0000000000000000000000000000000000000000000000000000000000000000",
				"t/bad:1", NULL, NULL);
	expect_load_fails(f, fd, "DiffID mismatch");

	/* Malformed manifest.json. */
	fd = docker_archive(layer, len, NULL, "t/bad:1", "[{\"Config\": ", NULL);
	expect_load_fails(f, fd, "manifest.json: invalid JSON");
	fd = docker_archive(layer, len, NULL, "t/bad:1", "[{\"Config\":\"nope.json\",\"Layers\":[]}]", NULL);
	expect_load_fails(f, fd, "nope.json not found");
	fd = docker_archive(layer, len, NULL, "Bad Tag", NULL, NULL);
	expect_load_fails(f, fd, "invalid tag");

	/* A layer that tries to escape its root. */
	_cleanup_free_ char *evil = small_layer(&len, "../../escaped-by-berth-test", "pwned\n");
	fd = docker_archive(evil, len, NULL, "t/esc:1", NULL, NULL);
	expect_load_fails(f, fd, "escaped-by-berth-test");
	char p[256];
	snprintf(p, sizeof(p), "%s/escaped-by-berth-test", f->root);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(access("/tmp/escaped-by-berth-test", F_OK), -1);

	/* OCI layout whose config bytes don't match the manifest's digest. */
	int in = open_fixture("busybox-oci-layout.tar");
	struct tar_file files[8] = { 0 };
	size_t n = read_tar(in, files, 8, false);
	close(in);
	struct entry e[8] = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (str_startswith(files[i].name, "blobs/sha256/7af967bf"))
			files[i].data[10] ^= 1;
		e[i] = (struct entry){ files[i].name, files[i].data, files[i].len };
	}
	fd = tar_fd(e, n, false);
	expect_load_fails(f, fd, "blob digest mismatch: expected " OCI_ID);
	for (size_t i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].data);
	}

	/* Neither manifest.json nor index.json. */
	struct entry only[] = { { "repositories", "{}", 2 } };
	expect_load_fails(f, tar_fd(only, 1, false), "no manifest.json or index.json");
}

/* Pre-25 docker save writes a layer that two images share once and links
 * the second place to it; older tars put such links before their target. */
static void test_load_linked_layer(void **state)
{
	struct fixture *f = *state;
	size_t len;
	_cleanup_free_ char *layer = small_layer(&len, "hello.txt", "hello\n");
	digest_t id;
	int plain = docker_archive(layer, len, NULL, "t/x:1", NULL, id);
	struct tar_file files[8] = { 0 };
	size_t n = read_tar(plain, files, 8, false);
	close(plain);
	char manifest[512];
	snprintf(manifest, sizeof(manifest),
		 "[{\"Config\":\"%s.json\",\"RepoTags\":[\"t/linked:1\"],\"Layers\":[\"./b/layer.tar\"]}]",
		 digest_hex(id));
	char path[] = "/tmp/berth-store-link-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_open_fd(a, fd);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, "./b/layer.tar");
	archive_entry_set_filetype(e, AE_IFLNK);
	archive_entry_set_symlink(e, "../l/./layer.tar");
	archive_entry_set_perm(e, 0777);
	archive_write_header(a, e);
	archive_entry_free(e);
	for (size_t i = 0; i < n; i++) {
		const char *data = streq(files[i].name, "manifest.json") ? manifest : files[i].data;
		size_t dlen = streq(files[i].name, "manifest.json") ? strlen(manifest) : files[i].len;
		e = archive_entry_new();
		archive_entry_set_pathname(e, files[i].name);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)dlen);
		archive_write_header(a, e);
		archive_write_data(a, data, dlen);
		archive_entry_free(e);
		free(files[i].name);
		free(files[i].data);
	}
	archive_write_close(a);
	archive_write_free(a);
	lseek(fd, 0, SEEK_SET);
	_cleanup_berr_ struct berr err = { 0 };
	char **loaded = load_fd(f->s, fd, &err);
	if (!loaded)
		fail_msg("load: %s", err.msg);
	assert_string_equal(loaded[0], "t/linked:1");
	strv_free(loaded);
	struct image *im = get_ok(f->s, "t/linked:1");
	assert_string_equal(im->id, id);
	assert_int_equal(im->size, 6);
	image_free(im);
}

/* Several threads loading, tagging and deleting at once: every call
 * succeeds or fails cleanly and the store ends consistent. */
struct worker {
	struct image_store *s;
	const char *fixture;
	int failures;
};

static void *worker_run(void *p)
{
	struct worker *w = p;
	for (int i = 0; i < 3; i++) {
		_cleanup_berr_ struct berr err = { 0 };
		char **loaded = load_fd(w->s, open_fixture(w->fixture), &err);
		if (!loaded) {
			fprintf(stderr, "worker load %s: %s\n", w->fixture, err.msg);
			w->failures++;
			continue;
		}
		struct image_change *v = NULL;
		size_t n = 0;
		berr_clear(&err);
		/* May race with another worker deleting the same image. */
		if (image_store_delete(w->s, loaded[0], true, false, NULL, NULL, &v, &n, &err) == 0)
			image_changes_free(v, n);
		else if (err.kind != BERR_NOT_FOUND)
			w->failures++;
		strv_free(loaded);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct fixture *f = *state;
	struct worker w[] = { { f->s, "busybox-docker-save.tar", 0 }, { f->s, "busybox-oci-layout.tar", 0 },
			      { f->s, "two-images-docker-save.tar", 0 }, { f->s, "multi-tag-docker-save.tar", 0 } };
	pthread_t t[ARRAY_SIZE(w)];
	for (size_t i = 0; i < ARRAY_SIZE(w); i++)
		pthread_create(&t[i], NULL, worker_run, &w[i]);
	for (size_t i = 0; i < ARRAY_SIZE(w); i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].failures, 0);
	}
	/* Whatever is left is whole: each image's blobs and snapshots exist. */
	_cleanup_berr_ struct berr err = { 0 };
	struct image **v = NULL;
	size_t n = 0;
	assert_int_equal(image_store_list(f->s, &v, &n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		char **dirs = NULL;
		assert_int_equal(image_store_layer_dirs(f->s, v[i]->id, &dirs, &err), 0);
		strv_free(dirs);
	}
	image_list_free(v, n);
	uint64_t reclaimed = 1;
	assert_int_equal(image_store_gc(f->s, &reclaimed, &err), 0);
	assert_int_equal(reclaimed, 0); /* nothing was left unreferenced */
}

/* --- crash recovery --- */

static void test_recovery_at_open(void **state)
{
	struct fixture *f = *state;
	load_quiet(f->s, "busybox-docker-save.tar");
	_cleanup_free_ char *before = store_state(f);
	image_store_close(f->s);
	f->s = NULL;
	/* A clean close leaves the marker that lets the next open skip the
	 * recovery walk; a crash never writes it, so remove it to simulate one. */
	char p[512];
	snprintf(p, sizeof(p), "%s/store.clean", f->root);
	assert_int_equal(access(p, F_OK), 0);
	assert_int_equal(unlink(p), 0);
	/* What a crash can leave: a partial ingest, an unpack in progress, a
	 * complete snapshot and blob that never got their record. */
	snprintf(p, sizeof(p), "%s/content/ingest/123-4", f->root);
	assert_int_equal(write_file_atomic_at(AT_FDCWD, p, "part", 4, 0600), 0);
	snprintf(p, sizeof(p), "%s/snapshots/%064d.tmp-123-0/fs/x", f->root, 2);
	assert_int_equal(mkdir_p(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/snapshots/%064d/fs", f->root, 3);
	assert_int_equal(mkdir_p(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/content/blobs/sha256/%064d", f->root, 4);
	assert_int_equal(write_file_atomic_at(AT_FDCWD, p, "orphan", 6, 0600), 0);
	reopen(f);
	_cleanup_free_ char *after = store_state(f);
	assert_string_equal(before, after);
	struct image *im = get_ok(f->s, "busybox");
	image_free(im);

	/* A second process on the same data root is refused. */
	_cleanup_berr_ struct berr err = { 0 };
	struct image_store *other = NULL;
	assert_true(image_store_open(f->root, &other, &err) < 0);
	assert_int_equal(err.kind, BERR_UNAVAILABLE);
}

/* A big one-layer archive: ~48 MB of incompressible file data. */
static int big_archive(digest_t ret_id, digest_t ret_diff)
{
	const size_t size = 48u << 20;
	char *data = malloc(size);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < size; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(data + i, &x, 8);
	}
	struct entry le[] = { { "big.bin", data, size } };
	int lfd = tar_fd(le, 1, false);
	free(data);
	char *layer = NULL;
	size_t len = 0;
	read_fd(lfd, &layer, &len);
	close(lfd);
	digest_buf(layer, len, ret_diff);
	int fd = docker_archive(layer, len, NULL, "crash/big:1", NULL, ret_id);
	free(layer);
	return fd;
}

static void test_kill_during_load(void **state)
{
	struct fixture *f = *state;
	digest_t id, diff;
	int fd = big_archive(id, diff);
	const int delays_ms[] = { 5, 60, 150, 300, 600, 2000 };
	int present = 0, absent = 0;
	for (size_t i = 0; i < ARRAY_SIZE(delays_ms); i++) {
		image_store_close(f->s);
		f->s = NULL;
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct image_store *s = NULL;
			char **loaded = NULL;
			if (image_store_open(f->root, &s, NULL) < 0)
				_exit(2);
			lseek(fd, 0, SEEK_SET);
			_exit(image_store_load(s, fd, NULL, NULL, &loaded, NULL) < 0 ? 1 : 0);
		}
		struct timespec ts = { delays_ms[i] / 1000, (delays_ms[i] % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		int status = 0;
		waitpid(pid, &status, 0);
		assert_false(WIFEXITED(status) && WEXITSTATUS(status) != 0);
		reopen(f);
		_cleanup_free_ char *st = store_state(f);
		_cleanup_berr_ struct berr err = { 0 };
		struct image *im = NULL;
		if (image_store_get(f->s, "crash/big:1", &im, &err) == 0) {
			/* Wholly there: its config, its layer, its snapshot. */
			char want[1024];
			snprintf(want, sizeof(want), "%s docker.io/crash/big:1\nblobs: %s %s \nsnapshots: %s \ningest: \n", id,
				 strcmp(digest_hex(id), digest_hex(diff)) < 0 ? digest_hex(id) : digest_hex(diff),
				 strcmp(digest_hex(id), digest_hex(diff)) < 0 ? digest_hex(diff) : digest_hex(id),
				 digest_hex(diff));
			assert_string_equal(st, want);
			image_free(im);
			struct image_change *v = NULL;
			size_t n = 0;
			assert_int_equal(image_store_delete(f->s, "crash/big:1", false, false, NULL, NULL, &v, &n, &err), 0);
			image_changes_free(v, n);
			present++;
		} else {
			assert_string_equal(st, "blobs: \nsnapshots: \ningest: \n");
			absent++;
		}
		_cleanup_free_ char *empty = store_state(f);
		assert_string_equal(empty, "blobs: \nsnapshots: \ningest: \n");
	}
	close(fd);
	/* The short delays must have caught the load in flight. */
	assert_true(absent > 0);
	fprintf(stderr, "kill during load: %d complete, %d absent\n", present, absent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_busybox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_multi_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_two_images, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_whiteouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_special_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_oci, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tag, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_parents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gc_orphans, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_structure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_inputs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_linked_layer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recovery_at_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_during_load, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
