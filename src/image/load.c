/* load.c - docker load and docker import: archives and root filesystem
 * tarballs into the store.
 *
 * Order of work, so that a failure or a crash at any point leaves nothing
 * behind: spool the archive into blobs (each leased before it appears),
 * check configs and DiffIDs, decompress layers into blobs keyed by DiffID,
 * unpack snapshots (leased, renamed into place when whole), make it all
 * durable, and only then write the records in one transaction. Dropping the
 * leases at the end removes whatever no record points to. */
#include "image/store-internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "common/json.h"
#include "common/ref.h"
#include "common/tarx.h"
#include "image/archive.h"
#include "image/snapshot.h"

struct load_ctx {
	struct image_store *s;
	struct store_op op;
	image_progress_fn progress;
	void *ud;
	struct meta_layer *done; /* snapshots this operation already has */
	size_t n_done;
};

struct prepared {
	struct meta_image m;
	char **tags;
};

static void prepared_free(struct prepared *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		meta_image_release(&v[i].m);
		strv_free(v[i].tags);
	}
	free(v);
}

static void report(struct load_ctx *c, const char *digest, const char *status, uint64_t cur, uint64_t total)
{
	char id[13];
	if (!c->progress)
		return;
	snprintf(id, sizeof(id), "%.12s", digest ? digest_hex(digest) : "");
	c->progress(c->ud, id, status, cur, total);
}

/* --- time --- */

/* RFC 3339 ("2026-11-28T00:55:53.702661253Z", "...+02:00") to unix ns; 0
 * when absent or unreadable (Docker shows the zero time then). */
static int64_t parse_created(const char *s)
{
	struct tm tm = { 0 };
	int n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			 &tm.tm_sec, &n) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	int64_t frac = 0, scale = 1000000000;
	const char *p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	int64_t off = 0;
	int oh = 0, om = 0;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh, &om) == 2)
		off = (*p == '+' ? 1 : -1) * (oh * 3600 + om * 60);
	else if (*p != 'Z' && *p != 'z')
		return 0;
	return ((int64_t)timegm(&tm) - off) * 1000000000 + frac;
}

/* Go's RFC3339Nano: fraction without trailing zeros. */
static void format_rfc3339nano(int64_t ns, char buf[static 40])
{
	time_t sec = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t n = strftime(buf, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	if (frac) {
		char f[16];
		snprintf(f, sizeof(f), ".%09ld", frac);
		for (size_t l = strlen(f); f[l - 1] == '0'; l--)
			f[l - 1] = '\0';
		snprintf(buf + n, 40 - n, "%sZ", f);
	} else {
		snprintf(buf + n, 40 - n, "Z");
	}
}

/* --- layers --- */

static int layer_mismatch(const char *name, const char *want, const char *got, struct berr *err)
{
	return berr_set_msg(err, BERR_INVALID, EINVAL, "layer %s: DiffID mismatch: expected %s, got %s", name, want,
			    got);
}

/* Make sure the uncompressed layer is stored as the blob named by its
 * DiffID: that is what snapshots unpack from and what save writes. */
static int layer_blob(struct load_ctx *c, const char *blob, const char *name, const char *diff_id, struct berr *err)
{
	if (streq(blob, diff_id))
		return 0; /* stored uncompressed: its digest was computed while spooling */
	int r = store_op_hold_blob(&c->op, diff_id);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "loading");
	_cleanup_close_ int in = content_open_blob(&c->s->content, blob);
	unsigned char head[8] = { 0 };
	if (in < 0)
		return berr_set(err, BERR_INTERNAL, -in, "reading layer %s", name);
	ssize_t hn = pread(in, head, sizeof(head), 0);
	if (tarx_sniff(head, hn > 0 ? (size_t)hn : 0) == TARX_PLAIN)
		return layer_mismatch(name, diff_id, blob, err);
	if (content_exists(&c->s->content, diff_id))
		return 0;
	_cleanup_content_writer_ struct content_writer *w = NULL;
	struct tarx_result res = { 0 };
	if ((r = content_writer_new(&c->s->content, &w)) < 0)
		return berr_set(err, BERR_INTERNAL, -r, "storing layer %s", name);
	r = tarx_decompress(in, content_writer_fd(w), &res, err);
	if (r < 0)
		return berr_prefix(err, "layer %s", name);
	if (!streq(res.diff_id, diff_id))
		return layer_mismatch(name, diff_id, res.diff_id, err);
	r = content_writer_finish_as(w, diff_id, NULL, err);
	return r < 0 ? r : content_writer_publish(w, err);
}

static const struct meta_layer *done_find(struct load_ctx *c, const char *chain)
{
	for (size_t i = 0; i < c->n_done; i++)
		if (streq(c->done[i].chain_id, chain))
			return &c->done[i];
	return NULL;
}

static int done_add(struct load_ctx *c, const struct meta_layer *l)
{
	struct meta_layer *nv = realloc(c->done, (c->n_done + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	c->done = nv;
	nv[c->n_done++] = *l;
	return 0;
}

/* The snapshot of layer l (chain_id, diff_id set), unpacked unless it is
 * already recorded; fills l->size. */
static int layer_snapshot(struct load_ctx *c, struct meta_layer *l, const char *name, struct berr *err)
{
	const struct meta_layer *d = done_find(c, l->chain_id);
	if (d) {
		l->size = d->size;
		return 0;
	}
	int r = store_op_hold_snapshot(&c->op, l->chain_id);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "loading");
	{
		_cleanup_unlock_ pthread_mutex_t *m = store_lock(c->s);
		r = meta_layer_size(c->s->db, l->chain_id, &l->size);
		if (r >= 0 && snapshot_exists(c->s->snaps_fd, l->chain_id))
			return done_add(c, l) < 0 ? berr_set(err, BERR_INTERNAL, ENOMEM, "loading") : 0;
	}
	uint64_t blob_size = 0;
	content_size(&c->s->content, l->diff_id, &blob_size);
	report(c, l->diff_id, "Loading layer", 0, blob_size);
	_cleanup_close_ int fd = content_open_blob(&c->s->content, l->diff_id);
	if (fd < 0)
		return berr_set(err, BERR_INTERNAL, -fd, "reading layer %s", name);
	r = snapshot_create(c->s->snaps_fd, l->chain_id, l->diff_id, fd, &l->size, err);
	if (r < 0)
		return berr_prefix(err, "layer %s", name);
	report(c, l->diff_id, "Loading layer", blob_size, blob_size);
	return done_add(c, l) < 0 ? berr_set(err, BERR_INTERNAL, ENOMEM, "loading") : 0;
}

/* --- images --- */

static int config_diff_ids(json_t *config, const char *id, size_t n_layers, json_t **ret, struct berr *err)
{
	json_t *rootfs = json_object_get(config, "rootfs");
	json_t *ids = json_object_get(rootfs, "diff_ids");
	if (!json_is_object(config) || !json_is_array(ids))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "config %s: rootfs.diff_ids missing", id);
	if (json_array_size(ids) != n_layers)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "config %s: rootfs.diff_ids lists %zu layers, the manifest %zu", id,
				    json_array_size(ids), n_layers);
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		if (!json_is_string(v) || digest_validate(json_string_value(v), err) < 0)
			return berr_isset(err) ? berr_prefix(err, "config %s: rootfs.diff_ids[%zu]", id, i)
					       : berr_set_msg(err, BERR_INVALID, EINVAL,
							      "config %s: rootfs.diff_ids[%zu]: expected a digest", id, i);
	}
	*ret = ids;
	return 0;
}

static int prepare_image(struct load_ctx *c, const struct archive_image *ai, struct prepared *p, struct berr *err)
{
	_cleanup_free_ char *bytes = NULL;
	_cleanup_json_ json_t *config = NULL;
	json_t *ids = NULL;
	size_t len = 0;
	int r = content_read(&c->s->content, ai->config, 64u << 20, &bytes, &len);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "reading config %s", ai->config);
	if ((r = json_parse(bytes, len, "image config", &config, err)) < 0 ||
	    (r = config_diff_ids(config, ai->config, ai->n_layers, &ids, err)) < 0)
		return r;
	str_copy(p->m.id, sizeof(p->m.id), ai->config);
	p->m.created = parse_created(json_string_value(json_object_get(config, "created")));
	if (!(p->m.layers = calloc(ai->n_layers + 1, sizeof(*p->m.layers))) || !(p->tags = strv_copy(ai->tags)))
		return berr_set(err, BERR_INTERNAL, ENOMEM, "loading");
	for (size_t i = 0; i < ai->n_layers; i++) {
		struct meta_layer *l = &p->m.layers[i];
		str_copy(l->diff_id, sizeof(l->diff_id), json_string_value(json_array_get(ids, i)));
		r = digest_chain_id(i ? p->m.layers[i - 1].chain_id : NULL, l->diff_id, l->chain_id);
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "loading");
		if ((r = layer_blob(c, ai->layers[i], ai->layer_names[i], l->diff_id, err)) < 0 ||
		    (r = layer_snapshot(c, l, ai->layer_names[i], err)) < 0)
			return r;
		p->m.n_layers++;
		p->m.size += l->size;
	}
	return 0;
}

/* Blobs and snapshots reach the disk before the records that name them. */
static int make_durable(struct image_store *s, struct berr *err)
{
	if (content_sync(&s->content) < 0 || syncfs(s->snaps_fd) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "syncing the image store");
	return 0;
}

static int record_image_locked(struct image_store *s, const struct prepared *p, bool touch_tag)
{
	int r = 0;
	for (size_t i = 0; r >= 0 && i < p->m.n_layers; i++)
		r = meta_layer_insert(s->db, &p->m.layers[i], i ? p->m.layers[i - 1].chain_id : NULL);
	if (r >= 0)
		r = meta_image_insert(s->db, &p->m);
	for (size_t i = 0; r >= 0 && p->tags && p->tags[i]; i++)
		r = meta_ref_set(s->db, p->tags[i], p->m.id, NULL);
	if (r >= 0 && touch_tag && p->tags && p->tags[0])
		r = meta_image_touch_tag(s->db, p->m.id, store_now_ns());
	return r;
}

static int record_images(struct image_store *s, const struct prepared *v, size_t n, bool touch_tag,
			 struct berr *err)
{
	int r = make_durable(s, err);
	if (r < 0)
		return r;
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	if ((r = meta_begin(s->db, err)) < 0)
		return r;
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = record_image_locked(s, &v[i], touch_tag);
	if (r < 0) {
		meta_rollback(s->db);
		return berr_db(err, r, "recording images");
	}
	return meta_commit(s->db, err);
}

/* What `docker load` prints: familiar tags, or IDs for untagged images. */
static int loaded_names(const struct prepared *v, size_t n, char ***ret)
{
	_cleanup_strv_free_ char **out = calloc(1, sizeof(char *));
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!v[i].tags || !v[i].tags[0]) {
			if (!strv_contains(out, v[i].m.id) && strv_push(&out, v[i].m.id) < 0)
				return -ENOMEM;
			continue;
		}
		for (size_t j = 0; v[i].tags[j]; j++) {
			struct image_ref ref = { 0 };
			if (ref_parse(v[i].tags[j], false, &ref, NULL) < 0)
				return -EINVAL;
			char *f = ref_familiar(&ref);
			ref_release(&ref);
			if (strv_consume(&out, f) < 0)
				return -ENOMEM;
		}
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static int hold_spooled(void *ud, const char *digest)
{
	struct load_ctx *c = ud;
	return store_op_hold_blob(&c->op, digest);
}

static void spool_progress(void *ud, uint64_t bytes)
{
	struct load_ctx *c = ud;
	if (c->progress)
		c->progress(c->ud, "", "Reading archive", bytes, 0);
}

static int load_planned(struct load_ctx *c, const struct archive_image *ai, size_t n, char ***ret_loaded,
			struct berr *err)
{
	struct prepared *v = calloc(n + 1, sizeof(*v));
	if (!v)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "loading");
	int r = 0;
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = prepare_image(c, &ai[i], &v[i], err);
	if (r >= 0)
		r = record_images(c->s, v, n, false, err);
	if (r >= 0 && ret_loaded && loaded_names(v, n, ret_loaded) < 0)
		r = berr_set(err, BERR_INTERNAL, ENOMEM, "loading");
	prepared_free(v, n);
	return r;
}

int image_store_load(struct image_store *s, int fd, image_progress_fn progress, void *ud, char ***ret_loaded,
		     struct berr *err)
{
	struct load_ctx c = { .s = s, .op = { s, NULL }, .progress = progress, .ud = ud };
	struct archive_files files = { 0 };
	struct archive_image *plan = NULL;
	size_t n = 0;
	int r = archive_spool(fd, &s->content, hold_spooled, spool_progress, &c, &files, err);
	if (r >= 0)
		r = archive_plan(&s->content, &files, &plan, &n, err);
	if (r >= 0)
		r = load_planned(&c, plan, n, ret_loaded, err);
	archive_images_free(plan, n);
	archive_files_release(&files);
	store_op_release(&c.op);
	free(c.done);
	if (r < 0)
		berr_prefix(err, "loading image");
	return r;
}

/* --- import --- */

static int import_layer(struct load_ctx *c, int fd, struct meta_layer *l, struct berr *err)
{
	_cleanup_content_writer_ struct content_writer *w = NULL;
	struct tarx_result res = { 0 };
	int r = content_writer_new(&c->s->content, &w);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "importing");
	report(c, NULL, "Importing", 0, 0);
	if ((r = tarx_decompress(fd, content_writer_fd(w), &res, err)) < 0)
		return r;
	if ((r = store_op_hold_blob(&c->op, res.diff_id)) < 0)
		return berr_set(err, BERR_INTERNAL, -r, "importing");
	if ((r = content_writer_finish_as(w, res.diff_id, NULL, err)) < 0 || (r = content_writer_publish(w, err)) < 0)
		return r;
	str_copy(l->diff_id, sizeof(l->diff_id), res.diff_id);
	str_copy(l->chain_id, sizeof(l->chain_id), res.diff_id);
	return layer_snapshot(c, l, "rootfs", err);
}

/* The config `docker import` writes (moby daemon/images/image_import.go),
 * keys in the order Docker's own import configs have them. */
static json_t *import_config(const struct meta_layer *l, const json_t *overrides, const char *message, int64_t now)
{
	char created[40];
	format_rfc3339nano(now, created);
	json_t *cfg = overrides ? json_deep_copy(overrides) : json_object();
	return json_pack("{s:s, s:s, s:o, s:s, s:[{s:s, s:s}], s:s, s:{s:s, s:[s]}}", "architecture",
			 archive_host_arch(), "comment", message, "config", cfg, "created", created, "history",
			 "created", created, "comment", message, "os", "linux", "rootfs", "type", "layers", "diff_ids",
			 l->diff_id);
}

static int import_store_config(struct load_ctx *c, json_t *cfg, digest_t ret_id, struct berr *err)
{
	_cleanup_free_ char *text = cfg ? json_dump_compact(cfg) : NULL;
	_cleanup_content_writer_ struct content_writer *w = NULL;
	digest_t id;
	if (!text)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "importing");
	int r = content_writer_new(&c->s->content, &w);
	if (r >= 0)
		r = content_writer_write(w, text, strlen(text));
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "storing the image config");
	if ((r = content_writer_finish(w, NULL, -1, id, NULL, err)) < 0)
		return r;
	if ((r = store_op_hold_blob(&c->op, id)) < 0)
		return berr_set(err, BERR_INTERNAL, -r, "importing");
	if ((r = content_writer_publish(w, err)) < 0)
		return r;
	memcpy(ret_id, id, sizeof(digest_t));
	return 0;
}

static int import_tag(const char *ref, char ***ret, struct berr *err)
{
	struct image_ref parsed = { 0 };
	int r = ref_parse(ref, false, &parsed, err);
	if (r < 0)
		return r;
	if (parsed.digest) {
		ref_release(&parsed);
		return berr_set_msg(err, BERR_INVALID, EINVAL, "refusing to create a tag with a digest reference");
	}
	char *full = ref_string(&parsed);
	ref_release(&parsed);
	return strv_consume(ret, full) < 0 ? berr_set(err, BERR_INTERNAL, ENOMEM, "importing") : 0;
}

static int do_import(struct load_ctx *c, int fd, const json_t *overrides, const char *message, struct prepared *p,
		     struct berr *err)
{
	struct meta_layer *l = calloc(1, sizeof(*l));
	if (!l)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "importing");
	p->m.layers = l;
	int r = import_layer(c, fd, l, err);
	if (r < 0)
		return r;
	p->m.n_layers = 1;
	p->m.size = l->size;
	p->m.created = store_now_ns();
	_cleanup_json_ json_t *cfg =
		import_config(l, overrides, message && *message ? message : "Imported from -", p->m.created);
	if ((r = import_store_config(c, cfg, p->m.id, err)) < 0)
		return r;
	return record_images(c->s, p, 1, true, err);
}

int image_store_import(struct image_store *s, int fd, const json_t *config_overrides, const char *message,
		       const char *ref, digest_t ret_id, image_progress_fn progress, void *ud, struct berr *err)
{
	struct load_ctx c = { .s = s, .op = { s, NULL }, .progress = progress, .ud = ud };
	struct prepared p = { 0 };
	int r = ref ? import_tag(ref, &p.tags, err) : 0;
	if (config_overrides && !json_is_object(config_overrides))
		r = berr_set_msg(err, BERR_INVALID, EINVAL, "import: the config changes must be an object");
	if (r >= 0)
		r = do_import(&c, fd, config_overrides, message, &p, err);
	if (r >= 0)
		memcpy(ret_id, p.m.id, sizeof(digest_t));
	meta_image_release(&p.m);
	strv_free(p.tags);
	store_op_release(&c.op);
	free(c.done);
	if (r < 0)
		berr_prefix(err, "importing");
	return r;
}
