/* store.c - the image store's public API: opening and recovery, leases and
 * garbage collection, name resolution, reading, tagging and save. Loading
 * and import live in load.c, delete and prune in delete.c. */
#include "image/store-internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "base/util.h"
#include "common/json.h"
#include "common/ref.h"
#include "image/archive.h"
#include "image/snapshot.h"

int berr_db(struct berr *err, int r, const char *what)
{
	if (berr_isset(err))
		return r;
	return berr_set(err, r == -ENOENT ? BERR_NOT_FOUND : BERR_INTERNAL, -r, "image metadata: %s", what);
}

int64_t store_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- leases --- */

static struct lease *lease_find(struct image_store *s, const char *key)
{
	for (size_t i = 0; i < s->n_leases; i++)
		if (streq(s->leases[i].key, key))
			return &s->leases[i];
	return NULL;
}

static bool leased(struct image_store *s, const char *prefix, const char *id)
{
	char key[DIGEST_SHA256_LEN + 8];
	snprintf(key, sizeof(key), "%s%s", prefix, id);
	return lease_find(s, key) != NULL;
}

static int op_hold(struct store_op *op, const char *prefix, const char *id)
{
	char key[DIGEST_SHA256_LEN + 8];
	snprintf(key, sizeof(key), "%s%s", prefix, id);
	if (strv_contains(op->held, key))
		return 0;
	struct image_store *s = op->s;
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	struct lease *l = lease_find(s, key);
	if (!l) {
		struct lease *nv = realloc(s->leases, (s->n_leases + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->leases = nv;
		l = &nv[s->n_leases];
		if (!(l->key = strdup(key)))
			return -ENOMEM;
		l->count = 0;
		s->n_leases++;
	}
	if (strv_push(&op->held, key) < 0)
		return -ENOMEM;
	l->count++;
	return 0;
}

int store_op_hold_blob(struct store_op *op, const char *digest) { return op_hold(op, "b:", digest); }
int store_op_hold_snapshot(struct store_op *op, const char *chain_id) { return op_hold(op, "s:", chain_id); }

static void lease_drop_locked(struct image_store *s, const char *key)
{
	struct lease *l = lease_find(s, key);
	if (!l || --l->count > 0)
		return;
	free(l->key);
	*l = s->leases[--s->n_leases];
}

void store_op_release(struct store_op *op)
{
	struct image_store *s = op->s;
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	for (size_t i = 0; op->held && op->held[i]; i++)
		lease_drop_locked(s, op->held[i]);
	for (size_t i = 0; op->held && op->held[i]; i++) {
		const char *key = op->held[i];
		if (str_startswith(key, "b:"))
			store_drop_blob_locked(s, key + 2, NULL);
		else
			store_drop_snapshot_locked(s, key + 2, NULL);
	}
	strv_free(op->held);
	op->held = NULL;
}

void store_drop_blob_locked(struct image_store *s, const char *digest, uint64_t *freed)
{
	uint64_t n = 0;
	if (leased(s, "b:", digest) || meta_blob_used(s->db, digest) != 0)
		return;
	if (content_delete(&s->content, digest, &n) >= 0 && freed)
		*freed += n;
}

void store_drop_snapshot_locked(struct image_store *s, const char *chain_id, uint64_t *freed)
{
	uint64_t n = 0;
	if (leased(s, "s:", chain_id) || meta_chain_used(s->db, chain_id) != 0 || digest_validate(chain_id, NULL) != 0)
		return;
	if (snapshot_remove(s->snaps_fd, digest_hex(chain_id), freed ? &n : NULL) >= 0 && freed)
		*freed += n;
}

/* --- garbage collection --- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool in_sorted(char **v, const char *s)
{
	size_t n = strv_length(v);
	return n && bsearch(&s, v, n, sizeof(char *), cmp_str);
}

static bool is_hex64(const char *s) { return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64; }

/* Visit the names in dirfd (not "." or ".."). */
static int for_each_name(int dirfd, void (*fn)(struct image_store *, const char *, void *), struct image_store *s,
			 void *ud)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	_cleanup_strv_free_ char **names = NULL;
	for (struct dirent *de; (de = readdir(d));)
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..") && strv_push(&names, de->d_name) < 0)
			return -ENOMEM;
	for (size_t i = 0; names && names[i]; i++)
		fn(s, names[i], ud);
	return 0;
}

struct sweep {
	char **used;
	bool at_open;
	uint64_t freed;
};

static void sweep_blob(struct image_store *s, const char *name, void *ud)
{
	struct sweep *sw = ud;
	char digest[DIGEST_SHA256_LEN + 1];
	snprintf(digest, sizeof(digest), "sha256:%s", name);
	if (!is_hex64(name) || in_sorted(sw->used, digest) || leased(s, "b:", digest))
		return;
	uint64_t n = 0;
	if (content_delete(&s->content, digest, &n) >= 0)
		sw->freed += n;
}

static void sweep_snapshot(struct image_store *s, const char *name, void *ud)
{
	struct sweep *sw = ud;
	char chain[DIGEST_SHA256_LEN + 1];
	snprintf(chain, sizeof(chain), "sha256:%s", name);
	uint64_t n = 0;
	if (snapshot_is_tmp(name)) {
		/* A writer's work in progress, unless nobody is running. */
		if (!sw->at_open)
			return;
	} else if (!is_hex64(name) || in_sorted(sw->used, chain) || leased(s, "s:", chain)) {
		return;
	}
	if (snapshot_remove(s->snaps_fd, name, &n) >= 0)
		sw->freed += n;
}

static int gc_locked(struct image_store *s, bool at_open, uint64_t *reclaimed, struct berr *err)
{
	struct sweep sw = { .at_open = at_open };
	int r = meta_used_blobs(s->db, &sw.used);
	if (r < 0)
		return berr_db(err, r, "listing blobs");
	r = for_each_name(s->content.blobs_fd, sweep_blob, s, &sw);
	strv_free(sw.used);
	sw.used = NULL;
	if (r >= 0 && (r = meta_used_chains(s->db, &sw.used)) < 0)
		return berr_db(err, r, "listing layers");
	if (r >= 0)
		r = for_each_name(s->snaps_fd, sweep_snapshot, s, &sw);
	strv_free(sw.used);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "collecting garbage");
	if (reclaimed)
		*reclaimed = sw.freed;
	return 0;
}

int image_store_gc(struct image_store *s, uint64_t *reclaimed, struct berr *err)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	return gc_locked(s, false, reclaimed, err);
}

/* --- open and close --- */

static int open_subdir(int dfd, const char *name, int *ret)
{
	int fd = mkdirat_open(dfd, name, 0700);
	if (fd < 0)
		return fd;
	*ret = fd;
	return 0;
}

/* One process owns a data root: open-time recovery deletes whatever no
 * record names, which would destroy another live process's work. */
static int lock_root(struct image_store *s, struct berr *err)
{
	s->lock_fd = openat(s->root_fd, "images.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening %s/images.lock", s->root);
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0)
		return berr_set(err, errno == EWOULDBLOCK ? BERR_UNAVAILABLE : BERR_INTERNAL, errno,
				"data root %s is in use by another process", s->root);
	return 0;
}

static int open_dirs(struct image_store *s, struct berr *err)
{
	int r = mkdir_p(s->root, 0700);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "creating %s", s->root);
	s->root_fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->root_fd < 0)
		return berr_set(err, BERR_INTERNAL, errno, "opening %s", s->root);
	r = lock_root(s, err);
	if (r < 0)
		return r;
	if ((r = content_open(s->root_fd, &s->content)) < 0 || (r = open_subdir(s->root_fd, "snapshots", &s->snaps_fd)) < 0)
		return berr_set(err, BERR_INTERNAL, -r, "opening the image store in %s", s->root);
	return 0;
}

#define CLEAN_MARKER "store.clean"

int image_store_open(const char *data_root, struct image_store **ret, struct berr *err)
{
	struct image_store *s = calloc(1, sizeof(*s));
	if (!s || !(s->root = strdup(data_root))) {
		free(s);
		return berr_set(err, BERR_INTERNAL, ENOMEM, "opening the image store");
	}
	/* Recursive: leases are taken both inside and outside locked sections. */
	pthread_mutexattr_t attr;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&s->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	s->root_fd = s->snaps_fd = s->lock_fd = s->content.blobs_fd = s->content.ingest_fd = -EBADF;
	int r = open_dirs(s, err);
	_cleanup_free_ char *dbpath = NULL;
	if (r >= 0 && asprintf(&dbpath, "%s/berth.db", data_root) < 0)
		r = berr_set(err, BERR_INTERNAL, ENOMEM, "opening the image store");
	if (r >= 0)
		r = meta_open(dbpath, &s->db, err);
	/* Recovery: partial ingests, unfinished unpacks and anything a crash
	 * left unrecorded. Walking every blob and snapshot costs time in
	 * proportion to the store, so it only runs when the last close was not
	 * clean: a clean close leaves CLEAN_MARKER, which we remove before
	 * changing anything (so a crash from here on is noticed next time). */
	bool clean = r >= 0 && faccessat(s->root_fd, CLEAN_MARKER, F_OK, 0) == 0;
	if (clean && (unlinkat(s->root_fd, CLEAN_MARKER, 0) < 0 || fsync(s->root_fd) < 0))
		r = berr_set(err, BERR_INTERNAL, errno, "removing %s/%s", data_root, CLEAN_MARKER);
	if (r >= 0 && (r = content_clear_ingest(&s->content)) < 0)
		r = berr_set(err, BERR_INTERNAL, -r, "cleaning %s/content/ingest", data_root);
	if (r >= 0 && !clean)
		r = gc_locked(s, true, NULL, err);
	if (r < 0) {
		image_store_close(s);
		return r;
	}
	s->opened = true;
	*ret = s;
	return 0;
}

/* Leave the marker that lets the next open skip the recovery walk. Only
 * after everything is closed; durable before we report the close done. */
static void mark_clean(struct image_store *s)
{
	int fd = openat(s->root_fd, CLEAN_MARKER, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	fsync(fd);
	close(fd);
	fsync(s->root_fd);
}

void image_store_close(struct image_store *s)
{
	if (!s)
		return;
	if (s->db)
		meta_close(s->db);
	if (s->opened && s->n_leases == 0)
		mark_clean(s);
	content_close(&s->content);
	closep(&s->snaps_fd);
	closep(&s->lock_fd);
	closep(&s->root_fd);
	for (size_t i = 0; i < s->n_leases; i++)
		free(s->leases[i].key);
	free(s->leases);
	pthread_mutex_destroy(&s->lock);
	free(s->root);
	free(s);
}

/* --- names --- */

static int resolve_ref(struct image_store *s, const char *name, digest_t ret_id, char **ret_ref)
{
	struct image_ref ref = { 0 };
	if (ref_parse(name, false, &ref, NULL) < 0)
		return -ENOENT;
	_cleanup_free_ char *full = NULL;
	if (ref.digest) {
		/* name:tag@digest resolves by the digest, as Docker does. */
		_cleanup_free_ char *repo = ref_name(&ref);
		if (repo && asprintf(&full, "%s@%s", repo, ref.digest) < 0)
			full = NULL;
	} else {
		full = ref_string(&ref);
	}
	ref_release(&ref);
	if (!full)
		return -ENOMEM;
	int r = meta_ref_lookup(s->db, full, ret_id);
	if (r >= 0 && ret_ref)
		*ret_ref = TAKE_PTR(full);
	return r;
}

static int resolve_id(struct image_store *s, const char *name, digest_t ret_id, struct berr *err)
{
	const char *hex = str_startswith(name, "sha256:") ? name + 7 : name;
	char prefix[DIGEST_SHA256_LEN + 1];
	snprintf(prefix, sizeof(prefix), "sha256:%.64s", hex);
	_cleanup_strv_free_ char **ids = NULL;
	int r = meta_image_by_prefix(s->db, prefix, &ids);
	if (r < 0)
		return berr_db(err, r, "finding image");
	size_t n = strv_length(ids);
	if (n > 1 && strlen(hex) < 64)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "multiple IDs found with provided prefix: %s", name);
	if (n == 0)
		return -ENOENT;
	str_copy(ret_id, sizeof(digest_t), ids[0]);
	return 0;
}

int store_resolve_locked(struct image_store *s, const char *name, digest_t ret_id, char **ret_ref, struct berr *err)
{
	int r = resolve_ref(s, name, ret_id, ret_ref);
	if (r != -ENOENT)
		return r < 0 ? berr_db(err, r, "finding image") : 0;
	if (ret_ref)
		*ret_ref = NULL;
	if (ref_is_id_like(name) && (r = resolve_id(s, name, ret_id, err)) != -ENOENT)
		return r;
	return berr_set_msg(err, BERR_NOT_FOUND, ENOENT, "No such image: %s", name);
}

/* --- reading --- */

void image_free(struct image *im)
{
	if (!im)
		return;
	free(im->parent);
	strv_free(im->repo_tags);
	strv_free(im->repo_digests);
	json_decref(im->config);
	free(im->layers);
	free(im);
}

void image_list_free(struct image **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		image_free(v[i]);
	free(v);
}

static int image_load_locked(struct image_store *s, const char *id, struct image **ret, struct berr *err)
{
	struct meta_image m = { 0 };
	int r = meta_image_get(s->db, id, &m);
	if (r < 0)
		return r == -ENOENT ? berr_set_msg(err, BERR_NOT_FOUND, ENOENT, "No such image: %s", id)
				    : berr_db(err, r, "reading image");
	_cleanup_image_ struct image *im = calloc(1, sizeof(*im));
	_cleanup_free_ char *config = NULL;
	size_t len = 0;
	if (!im || !(im->layers = calloc(m.n_layers + 1, sizeof(*im->layers)))) {
		meta_image_release(&m);
		return berr_set(err, BERR_INTERNAL, ENOMEM, "reading image");
	}
	str_copy(im->id, sizeof(im->id), id);
	im->parent = TAKE_PTR(m.parent);
	im->created = m.created;
	im->last_tag_time = m.last_tag_time;
	im->size = m.size;
	im->n_layers = m.n_layers;
	for (size_t i = 0; i < m.n_layers; i++) {
		memcpy(im->layers[i].diff_id, m.layers[i].diff_id, sizeof(digest_t));
		memcpy(im->layers[i].chain_id, m.layers[i].chain_id, sizeof(digest_t));
		im->layers[i].size = m.layers[i].size;
	}
	meta_image_release(&m);
	r = meta_image_refs(s->db, id, &im->repo_tags, &im->repo_digests);
	if (r < 0)
		return berr_db(err, r, "reading tags");
	r = content_read(&s->content, id, 64u << 20, &config, &len);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "reading the config of %s", id);
	r = json_parse(config, len, "image config", &im->config, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(im);
	return 0;
}

int image_store_get(struct image_store *s, const char *name, struct image **ret, struct berr *err)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	digest_t id;
	int r = store_resolve_locked(s, name, id, NULL, err);
	return r < 0 ? r : image_load_locked(s, id, ret, err);
}

int image_store_list(struct image_store *s, struct image ***ret, size_t *ret_n, struct berr *err)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	_cleanup_strv_free_ char **ids = NULL;
	int r = meta_begin_read(s->db, err);
	if (r < 0)
		return r;
	r = meta_image_ids(s->db, &ids);
	if (r < 0) {
		meta_rollback(s->db);
		return berr_db(err, r, "listing images");
	}
	size_t n = strv_length(ids);
	struct image **v = calloc(n + 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++)
		if ((r = image_load_locked(s, ids[i], &v[i], err)) < 0) {
			meta_rollback(s->db);
			image_list_free(v, n);
			return r;
		}
	meta_rollback(s->db); /* read only: nothing to commit */
	if (!v)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "listing images");
	*ret = v;
	*ret_n = n;
	return 0;
}

int image_store_config_bytes(struct image_store *s, const char *id, char **ret, size_t *ret_len, struct berr *err)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	digest_t full;
	int r = store_resolve_locked(s, id, full, NULL, err);
	if (r < 0)
		return r;
	r = content_read(&s->content, full, 64u << 20, ret, ret_len);
	return r < 0 ? berr_set(err, BERR_INTERNAL, -r, "reading the config of %s", full) : 0;
}

/* --- tags --- */

static int parse_tag_target(const char *target, char **ret, struct berr *err)
{
	struct image_ref ref = { 0 };
	int r = ref_parse(target, false, &ref, err);
	if (r < 0)
		return r;
	if (ref.digest) {
		ref_release(&ref);
		return berr_set_msg(err, BERR_INVALID, EINVAL, "refusing to create a tag with a digest reference");
	}
	*ret = ref_string(&ref);
	ref_release(&ref);
	return *ret ? 0 : berr_set(err, BERR_INTERNAL, ENOMEM, "tagging");
}

int image_store_tag(struct image_store *s, const char *source, const char *target, struct berr *err)
{
	_cleanup_free_ char *full = NULL;
	int r = parse_tag_target(target, &full, err);
	if (r < 0)
		return r;
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	digest_t id;
	if ((r = store_resolve_locked(s, source, id, NULL, err)) < 0 || (r = meta_begin(s->db, err)) < 0)
		return r;
	r = meta_ref_set(s->db, full, id, NULL);
	if (r >= 0)
		r = meta_image_touch_tag(s->db, id, store_now_ns());
	if (r < 0) {
		meta_rollback(s->db);
		return berr_db(err, r, "tagging");
	}
	return meta_commit(s->db, err);
}

/* --- sizes and snapshot directories --- */

int image_store_layers_size(struct image_store *s, uint64_t *ret, struct berr *err)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	int r = meta_layers_total(s->db, ret);
	return r < 0 ? berr_db(err, r, "summing layer sizes") : 0;
}

int image_store_shared_size(struct image_store *s, const struct image *im, uint64_t *ret, struct berr *err)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	int r = meta_layers_shared(s->db, im->id, ret);
	return r < 0 ? berr_db(err, r, "summing shared sizes") : 0;
}

/* A snapshot lost with its data (a disk that dropped it): unpack it again
 * from the layer blob rather than fail every container of the image. */
static int snapshot_ensure_locked(struct image_store *s, const struct meta_layer *l, struct berr *err)
{
	if (snapshot_exists(s->snaps_fd, l->chain_id))
		return 0;
	_cleanup_close_ int fd = content_open_blob(&s->content, l->diff_id);
	if (fd < 0)
		return berr_set(err, BERR_INTERNAL, -fd, "layer %s is missing", l->diff_id);
	uint64_t size;
	int r = snapshot_create(s->snaps_fd, l->chain_id, l->diff_id, fd, &size, err);
	return r < 0 ? r : 0;
}

int image_store_layer_dirs(struct image_store *s, const char *id, char ***ret, struct berr *err)
{
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	digest_t full;
	struct meta_image mi = { 0 };
	int r = store_resolve_locked(s, id, full, NULL, err);
	if (r < 0)
		return r;
	if ((r = meta_image_get(s->db, full, &mi)) < 0)
		return berr_db(err, r, "reading image");
	_cleanup_strv_free_ char **dirs = calloc(1, sizeof(char *));
	r = dirs ? 0 : berr_set(err, BERR_INTERNAL, ENOMEM, "listing layers");
	for (size_t i = mi.n_layers; r >= 0 && i-- > 0;) {
		char *p = NULL;
		r = snapshot_ensure_locked(s, &mi.layers[i], err);
		if (r >= 0 && (asprintf(&p, "%s/snapshots/%s/fs", s->root, digest_hex(mi.layers[i].chain_id)) < 0 ||
			       strv_consume(&dirs, p) < 0))
			r = berr_set(err, BERR_INTERNAL, ENOMEM, "listing layers");
	}
	meta_image_release(&mi);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(dirs);
	return 0;
}

/* --- save --- */

struct save_list {
	struct archive_save_image *v;
	size_t n;
};

static void save_list_release(struct save_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free((char *)l->v[i].id);
		strv_free(l->v[i].tags);
		strv_free(l->v[i].diff_ids);
	}
	free(l->v);
}

/* Add name to the list: its image once, with the tag when name is one. */
static int save_add_locked(struct image_store *s, struct save_list *l, const char *name, struct berr *err)
{
	digest_t id;
	_cleanup_free_ char *ref = NULL;
	int r = store_resolve_locked(s, name, id, &ref, err);
	if (r < 0)
		return r;
	struct archive_save_image *im = NULL;
	for (size_t i = 0; i < l->n && !im; i++)
		if (streq(l->v[i].id, id))
			im = &l->v[i];
	if (!im) {
		struct meta_image mi = { 0 };
		if ((r = meta_image_get(s->db, id, &mi)) < 0)
			return berr_db(err, r, "reading image");
		struct archive_save_image *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
		if (nv) {
			l->v = nv;
			im = &nv[l->n++];
			*im = (struct archive_save_image){ .id = strdup(id), .tags = calloc(1, sizeof(char *)),
							   .diff_ids = calloc(mi.n_layers + 1, sizeof(char *)),
							   .n_layers = mi.n_layers };
			for (size_t i = 0; im->diff_ids && i < mi.n_layers; i++)
				im->diff_ids[i] = strdup(mi.layers[i].diff_id);
		}
		meta_image_release(&mi);
		if (!im || !im->id || !im->tags || !im->diff_ids)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "saving");
	}
	if (ref && !strchr(ref, '@') && !strv_contains(im->tags, ref) && strv_push(&im->tags, ref) < 0)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "saving");
	return 0;
}

int image_store_save(struct image_store *s, char *const *names, int out_fd, struct berr *err)
{
	struct store_op op = { s, NULL };
	struct save_list l = { 0 };
	int r = 0;
	{
		_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
		for (size_t i = 0; names && names[i] && r >= 0; i++)
			r = save_add_locked(s, &l, names[i], err);
		if (r >= 0 && l.n == 0)
			r = berr_set_msg(err, BERR_INVALID, EINVAL, "no images to save");
		/* Leases keep the blobs from a concurrent rmi while they stream out. */
		for (size_t i = 0; r >= 0 && i < l.n; i++) {
			r = store_op_hold_blob(&op, l.v[i].id);
			for (size_t j = 0; r >= 0 && j < l.v[i].n_layers; j++)
				r = store_op_hold_blob(&op, l.v[i].diff_ids[j]);
			if (r < 0)
				r = berr_set(err, BERR_INTERNAL, -r, "saving");
		}
	}
	if (r >= 0)
		r = archive_write_save(out_fd, &s->content, l.v, l.n, err);
	store_op_release(&op);
	save_list_release(&l);
	return r;
}
