/* archive.c - see archive.h. */
#include "image/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <sys/utsname.h>

#include "base/util.h"
#include "common/json.h"
#include "common/ref.h"

#define MAX_JSON (32u << 20) /* manifests, indexes and configs are small */
#define MAX_LINK_HOPS 16

static const char MT_OCI_INDEX[] = "application/vnd.oci.image.index.v1+json";
static const char MT_OCI_MANIFEST[] = "application/vnd.oci.image.manifest.v1+json";
static const char MT_OCI_CONFIG[] = "application/vnd.oci.image.config.v1+json";
static const char MT_OCI_LAYER[] = "application/vnd.oci.image.layer.v1.tar";
static const char MT_DOCKER_LIST[] = "application/vnd.docker.distribution.manifest.list.v2+json";
static const char MT_DOCKER_MANIFEST[] = "application/vnd.docker.distribution.manifest.v2+json";
static const char ANN_IMAGE_NAME[] = "io.containerd.image.name";
static const char ANN_REF_NAME[] = "org.opencontainers.image.ref.name";

void archive_files_release(struct archive_files *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].path);
		free(f->v[i].link);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

void archive_images_free(struct archive_image *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		strv_free(v[i].tags);
		strv_free(v[i].layers);
		strv_free(v[i].layer_names);
	}
	free(v);
}

/* --- paths --- */

/* Join base (a directory, may be NULL) and p, resolving "." and "..";
 * NULL when ".." would leave the archive root (or on OOM). */
static char *norm_path(const char *base, const char *p)
{
	size_t cap = (base ? strlen(base) : 0) + strlen(p) + 2;
	_cleanup_free_ char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t len = 0;
	const char *parts[2] = { base && *p != '/' ? base : "", p };
	for (int k = 0; k < 2; k++) {
		for (const char *s = parts[k]; *s;) {
			while (*s == '/')
				s++;
			size_t n = strcspn(s, "/");
			if (n == 0)
				break;
			if (n == 1 && s[0] == '.') {
			} else if (n == 2 && s[0] == '.' && s[1] == '.') {
				if (len == 0)
					return NULL;
				char *slash = memrchr(out, '/', len);
				len = slash ? (size_t)(slash - out) : 0;
			} else {
				if (len > 0)
					out[len++] = '/';
				memcpy(out + len, s, n);
				len += n;
			}
			s += n;
		}
	}
	out[len] = '\0';
	return TAKE_PTR(out);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? strndup(path, (size_t)(slash - path)) : strdup("");
}

/* --- reading the outer tar --- */

static int files_push(struct archive_files *f, struct archive_file *file)
{
	struct archive_file *nv = realloc(f->v, (f->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	f->v = nv;
	f->v[f->n++] = *file;
	return 0;
}

struct spool {
	struct archive *a;
	struct content_store *c;
	archive_hold_fn hold;
	archive_read_progress_fn progress;
	void *ud;
	char *buf;
	size_t bufsize;
};

static int spool_data(struct spool *sp, struct archive_entry *e, struct archive_file *file, struct berr *err)
{
	_cleanup_content_writer_ struct content_writer *w = NULL;
	int r = content_writer_new(sp->c, &w);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "storing %s", file->path);
	uint64_t since = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(sp->a, sp->buf, sp->bufsize);
		if (n < 0)
			return berr_set_msg(err, BERR_INVALID, EINVAL, "reading %s: %s", file->path,
					    archive_error_string(sp->a));
		if (n == 0)
			break;
		r = content_writer_write(w, sp->buf, (size_t)n);
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "storing %s", file->path);
		if ((since += (uint64_t)n) >= (8u << 20) && sp->progress) {
			sp->progress(sp->ud, (uint64_t)archive_filter_bytes(sp->a, -1));
			since = 0;
		}
	}
	int64_t expect = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;
	r = content_writer_finish(w, NULL, expect, file->digest, &file->size, err);
	if (r < 0)
		return berr_prefix(err, "%s", file->path);
	r = sp->hold(sp->ud, file->digest);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "storing %s", file->path);
	return content_writer_publish(w, err);
}

static int spool_entry(struct spool *sp, struct archive_entry *e, struct archive_files *files, struct berr *err)
{
	const char *raw = archive_entry_pathname(e);
	struct archive_file file = { 0 };
	if (!raw || !(file.path = norm_path(NULL, raw)))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "archive entry %s: path leaves the archive",
				    raw ? raw : "(unnamed)");
	int r = 0;
	const char *hard = archive_entry_hardlink(e);
	mode_t type = archive_entry_filetype(e);
	if (hard) {
		file.link = norm_path(NULL, hard);
	} else if (type == AE_IFLNK) {
		_cleanup_free_ char *dir = dir_of(file.path);
		const char *target = archive_entry_symlink(e);
		file.link = dir && target ? norm_path(dir, target) : NULL;
	} else if (type == AE_IFREG) {
		r = spool_data(sp, e, &file, err);
	} else {
		free(file.path);
		return 0;
	}
	if (r >= 0 && (hard || type == AE_IFLNK) && !file.link)
		r = berr_set_msg(err, BERR_INVALID, EINVAL, "archive entry %s: link leaves the archive", file.path);
	if (r >= 0)
		r = files_push(files, &file);
	if (r < 0) {
		free(file.path);
		free(file.link);
		return berr_isset(err) ? r : berr_set(err, BERR_INTERNAL, -r, "reading archive");
	}
	return 0;
}

static int file_cmp(const void *a, const void *b)
{
	return strcmp(((const struct archive_file *)a)->path, ((const struct archive_file *)b)->path);
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_read_free(*a);
}

int archive_spool(int fd, struct content_store *c, archive_hold_fn hold, archive_read_progress_fn progress, void *ud,
		  struct archive_files *ret, struct berr *err)
{
	_cleanup_(archive_freep) struct archive *a = archive_read_new();
	_cleanup_free_ char *buf = malloc(256u << 10);
	if (!a || !buf)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "reading archive");
	archive_read_support_format_tar(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_fd(a, fd, 256u << 10) != ARCHIVE_OK)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "reading archive: %s", archive_error_string(a));
	struct spool sp = { a, c, hold, progress, ud, buf, 256u << 10 };
	struct archive_files files = { 0 };
	int r = 0;
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			r = berr_set_msg(err, BERR_INVALID, EINVAL, "reading archive: %s", archive_error_string(a));
			break;
		}
		if ((r = spool_entry(&sp, e, &files, err)) < 0)
			break;
		if (progress)
			progress(ud, (uint64_t)archive_filter_bytes(a, -1));
	}
	if (r < 0) {
		archive_files_release(&files);
		return r;
	}
	if (files.n > 0)
		qsort(files.v, files.n, sizeof(*files.v), file_cmp);
	*ret = files;
	return 0;
}

/* --- finding files and JSON in the spooled archive --- */

static const struct archive_file *lookup(const struct archive_files *files, const char *path, struct berr *err)
{
	_cleanup_free_ char *p = norm_path(NULL, path);
	for (int hop = 0; p && hop < MAX_LINK_HOPS; hop++) {
		struct archive_file key = { .path = p };
		const struct archive_file *f =
			files->n ? bsearch(&key, files->v, files->n, sizeof(*files->v), file_cmp) : NULL;
		if (!f)
			break;
		if (!f->link)
			return f;
		free(p);
		p = strdup(f->link);
	}
	berr_set_msg(err, BERR_INVALID, ENOENT, "invalid archive: %s not found", path);
	return NULL;
}

static int read_json(struct content_store *c, const char *digest, const char *what, json_t **ret, struct berr *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = content_read(c, digest, MAX_JSON, &buf, &len);
	if (r == -EFBIG)
		return berr_set_msg(err, BERR_INVALID, EFBIG, "%s is too large", what);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "reading %s", what);
	return json_parse(buf, len, what, ret, err);
}

static int read_json_file(struct content_store *c, const struct archive_files *files, const char *path, json_t **ret,
			  struct berr *err)
{
	const struct archive_file *f = lookup(files, path, err);
	if (!f)
		return -ENOENT;
	return read_json(c, f->digest, path, ret, err);
}

/* A string member of obj, or NULL. */
static const char *jstr(const json_t *obj, const char *key) { return json_string_value(json_object_get(obj, key)); }

/* "busybox:latest" -> "docker.io/library/busybox:latest"; digests refused. */
static int full_tag(const char *s, char **ret, struct berr *err)
{
	struct image_ref ref = { 0 };
	int r = ref_parse(s, false, &ref, err);
	if (r < 0)
		return berr_prefix(err, "invalid tag %s", s);
	if (!ref.tag || ref.digest) {
		ref_release(&ref);
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid tag %s: not a name:tag reference", s);
	}
	char *full = ref_string(&ref);
	ref_release(&ref);
	if (!full)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "loading");
	*ret = full;
	return 0;
}

/* --- docker save: manifest.json --- */

static int config_path_check(const char *path, const struct archive_file *f, struct berr *err)
{
	/* "<hex>.json" (legacy) and "blobs/sha256/<hex>" (moby 25+) name the
	 * config by its digest: a file whose bytes do not match is corrupt. */
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strcspn(base, ".");
	if (n != 64 || (base[n] != '\0' && strcmp(base + n, ".json") != 0))
		return 0;
	if (strncmp(base, digest_hex(f->digest), 64) != 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "config %s: digest mismatch: got %s", path, f->digest);
	return 0;
}

static int docker_item(json_t *item, size_t idx, struct content_store *c, const struct archive_files *files,
		       struct archive_image *img, struct berr *err)
{
	char where[64];
	snprintf(where, sizeof(where), "manifest.json[%zu]", idx);
	_cleanup_free_ char *config = NULL;
	json_t *layers = NULL;
	_cleanup_strv_free_ char **tags = NULL;
	int r = json_opt_string(item, "Config", where, &config, err);
	if (r >= 0)
		r = json_opt_array(item, "Layers", where, &layers, err);
	if (r >= 0)
		r = json_opt_strv(item, "RepoTags", where, &tags, err);
	if (r < 0)
		return r;
	if (!config || !layers)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "%s: Config and Layers are required", where);
	const struct archive_file *f = lookup(files, config, err);
	if (!f || config_path_check(config, f, err) < 0)
		return -EINVAL;
	memcpy(img->config, f->digest, sizeof(digest_t));
	for (size_t i = 0; tags && tags[i]; i++) {
		char *full = NULL;
		if ((r = full_tag(tags[i], &full, err)) < 0 || (r = strv_consume(&img->tags, full)) < 0)
			return berr_isset(err) ? r : berr_set(err, BERR_INTERNAL, -r, "loading");
	}
	size_t i;
	json_t *l;
	json_array_foreach(layers, i, l) {
		const char *path = json_string_value(l);
		if (!path)
			return berr_set_msg(err, BERR_INVALID, EINVAL, "%s.Layers[%zu]: expected a string", where, i);
		const struct archive_file *lf = lookup(files, path, err);
		if (!lf)
			return -EINVAL;
		if (strv_push(&img->layers, lf->digest) < 0 || strv_push(&img->layer_names, path) < 0)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "loading");
		img->n_layers++;
	}
	return 0;
}

static int plan_docker(struct content_store *c, const struct archive_files *files, struct archive_image **ret,
		       size_t *ret_n, struct berr *err)
{
	_cleanup_json_ json_t *m = NULL;
	int r = read_json_file(c, files, "manifest.json", &m, err);
	if (r < 0)
		return r;
	if (!json_is_array(m) || json_array_size(m) == 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "manifest.json: expected a non-empty array");
	size_t n = json_array_size(m);
	struct archive_image *v = calloc(n, sizeof(*v));
	if (!v)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "loading");
	for (size_t i = 0; i < n; i++) {
		json_t *item = json_array_get(m, i);
		if (!json_is_object(item))
			r = berr_set_msg(err, BERR_INVALID, EINVAL, "manifest.json[%zu]: expected an object", i);
		else
			r = docker_item(item, i, c, files, &v[i], err);
		if (r < 0) {
			archive_images_free(v, n);
			return r;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* --- OCI image layout: index.json --- */

/* The blob a descriptor names, checked: the spooled bytes must have the
 * descriptor's digest and size. */
static const struct archive_file *desc_blob(const struct archive_files *files, json_t *desc, const char *what,
					    struct berr *err)
{
	const char *digest = jstr(desc, "digest");
	json_t *size = json_object_get(desc, "size");
	if (!digest || !json_is_integer(size)) {
		berr_set_msg(err, BERR_INVALID, EINVAL, "%s: descriptor needs digest and size", what);
		return NULL;
	}
	if (digest_validate(digest, err) < 0) {
		berr_prefix(err, "%s", what);
		return NULL;
	}
	char path[128];
	snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(digest));
	const struct archive_file *f = lookup(files, path, err);
	if (!f)
		return NULL;
	if (!streq(f->digest, digest)) {
		berr_set_msg(err, BERR_INVALID, EINVAL, "%s: blob digest mismatch: expected %s, got %s", what, digest,
			     f->digest);
		return NULL;
	}
	if (json_integer_value(size) < 0 || (uint64_t)json_integer_value(size) != f->size) {
		berr_set_msg(err, BERR_INVALID, EINVAL, "%s: blob %s has size %llu, the descriptor says %lld", what,
			     digest, (unsigned long long)f->size, (long long)json_integer_value(size));
		return NULL;
	}
	return f;
}

static const char *host_arch(void)
{
	static const struct {
		const char *uname, *go;
	} table[] = {
		{ "x86_64", "amd64" }, { "aarch64", "arm64" }, { "armv7l", "arm" },     { "armv6l", "arm" },
		{ "i686", "386" },     { "i386", "386" },      { "ppc64le", "ppc64le" }, { "s390x", "s390x" },
		{ "riscv64", "riscv64" },
	};
	struct utsname u;
	if (uname(&u) == 0)
		for (size_t i = 0; i < ARRAY_SIZE(table); i++)
			if (streq(u.machine, table[i].uname))
				return table[i].go;
	return "amd64";
}

const char *archive_host_arch(void) { return host_arch(); }

static bool is_index(const char *mt) { return streq(mt, MT_OCI_INDEX) || streq(mt, MT_DOCKER_LIST); }

/* In a nested index, the manifest for this host (attestations skipped). */
static json_t *pick_platform(json_t *index)
{
	json_t *ms = json_object_get(index, "manifests");
	size_t i;
	json_t *d;
	json_array_foreach(ms, i, d) {
		json_t *p = json_object_get(d, "platform");
		if (!p || (streq(jstr(p, "os"), "linux") && streq(jstr(p, "architecture"), host_arch())))
			return d;
	}
	return NULL;
}

static int oci_manifest(struct content_store *c, const struct archive_files *files, json_t *desc, int depth,
			struct archive_image *img, struct berr *err);

static int oci_nested(struct content_store *c, const struct archive_files *files, json_t *doc, int depth,
		      struct archive_image *img, struct berr *err)
{
	if (depth > 2)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "index.json: indexes nested too deeply");
	json_t *d = pick_platform(doc);
	if (!d)
		return berr_set_msg(err, BERR_NOT_FOUND, ENOENT, "no image for linux/%s in the archive", host_arch());
	return oci_manifest(c, files, d, depth + 1, img, err);
}

static int oci_layers(const struct archive_files *files, json_t *layers, struct archive_image *img, struct berr *err)
{
	size_t i;
	json_t *l;
	json_array_foreach(layers, i, l) {
		char what[64];
		snprintf(what, sizeof(what), "layer %zu", i);
		const struct archive_file *f = desc_blob(files, l, what, err);
		if (!f)
			return -EINVAL;
		if (strv_push(&img->layers, f->digest) < 0 || strv_push(&img->layer_names, f->path) < 0)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "loading");
		img->n_layers++;
	}
	return 0;
}

static int oci_manifest(struct content_store *c, const struct archive_files *files, json_t *desc, int depth,
			struct archive_image *img, struct berr *err)
{
	const struct archive_file *f = desc_blob(files, desc, "manifest", err);
	if (!f)
		return -EINVAL;
	_cleanup_json_ json_t *m = NULL;
	int r = read_json(c, f->digest, f->path, &m, err);
	if (r < 0)
		return r;
	const char *mt = jstr(m, "mediaType") ? jstr(m, "mediaType") : jstr(desc, "mediaType");
	if (is_index(mt) || (!mt && json_object_get(m, "manifests")))
		return oci_nested(c, files, m, depth, img, err);
	if (mt && !streq(mt, MT_OCI_MANIFEST) && !streq(mt, MT_DOCKER_MANIFEST))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "manifest %s: unsupported media type %s", f->digest, mt);
	json_t *config = json_object_get(m, "config"), *layers = json_object_get(m, "layers");
	if (!json_is_object(config) || !json_is_array(layers))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "manifest %s: config and layers are required",
				    f->digest);
	const struct archive_file *cf = desc_blob(files, config, "config", err);
	if (!cf)
		return -EINVAL;
	memcpy(img->config, cf->digest, sizeof(digest_t));
	return oci_layers(files, layers, img, err);
}

/* The tag an index entry asks for. io.containerd.image.name is a full
 * reference. org.opencontainers.image.ref.name is whatever the writer chose:
 * a full reference (buildx, moby) or a bare tag such as "latest" (skopeo's
 * oci:DIR:latest). A bare tag names no repository, so it is read as a
 * reference on its own, the way podman reads it: "latest" becomes
 * "latest:latest" (docker.io/library/latest:latest). Entries without either
 * annotation load untagged. */
static int oci_tag(json_t *desc, char ***tags, struct berr *err)
{
	json_t *ann = json_object_get(desc, "annotations");
	const char *name = jstr(ann, ANN_IMAGE_NAME);
	if (!name)
		name = jstr(ann, ANN_REF_NAME);
	if (!name)
		return 0;
	char *full = NULL;
	int r = full_tag(name, &full, err);
	if (r < 0)
		return r;
	return strv_consume(tags, full) < 0 ? berr_set(err, BERR_INTERNAL, ENOMEM, "loading") : 0;
}

static int plan_oci(struct content_store *c, const struct archive_files *files, struct archive_image **ret,
		    size_t *ret_n, struct berr *err)
{
	_cleanup_json_ json_t *index = NULL;
	int r = read_json_file(c, files, "index.json", &index, err);
	if (r < 0)
		return r;
	json_t *ms = json_object_get(index, "manifests");
	if (!json_is_array(ms) || json_array_size(ms) == 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "index.json: no manifests");
	size_t n = json_array_size(ms);
	struct archive_image *v = calloc(n, sizeof(*v));
	if (!v)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "loading");
	for (size_t i = 0; i < n && r >= 0; i++) {
		json_t *d = json_array_get(ms, i);
		r = json_is_object(d) ? oci_manifest(c, files, d, 0, &v[i], err)
				      : berr_set_msg(err, BERR_INVALID, EINVAL, "index.json: bad descriptor");
		if (r >= 0)
			r = oci_tag(d, &v[i].tags, err);
	}
	if (r < 0) {
		archive_images_free(v, n);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int archive_plan(struct content_store *c, const struct archive_files *files, struct archive_image **ret,
		 size_t *ret_n, struct berr *err)
{
	_cleanup_berr_ struct berr probe = { 0 };
	int r;
	/* moby reads manifest.json when there is one, also in the combined
	 * layout; index.json alone is an OCI layout. */
	if (lookup(files, "manifest.json", &probe))
		r = plan_docker(c, files, ret, ret_n, err);
	else if (lookup(files, "index.json", &probe))
		r = plan_oci(c, files, ret, ret_n, err);
	else
		r = berr_set_msg(err, BERR_INVALID, EINVAL,
				 "invalid archive: no manifest.json or index.json (is it a docker save or OCI layout tar?)");
	if (r >= 0)
		for (size_t i = 0; i < *ret_n; i++)
			if (!(*ret)[i].tags && !((*ret)[i].tags = calloc(1, sizeof(char *)))) {
				archive_images_free(*ret, *ret_n);
				return berr_set(err, BERR_INTERNAL, ENOMEM, "loading");
			}
	return r;
}

/* --- writing a save --- */

static void archive_write_freep(struct archive **a)
{
	if (*a)
		archive_write_free(*a);
}

static struct archive_entry *new_entry(const char *path, mode_t type, mode_t perm, int64_t size)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return NULL;
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, size);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_mtime(e, 0, 0); /* reproducible saves, as moby writes them */
	return e;
}

static int write_header(struct archive *a, const char *path, mode_t type, mode_t perm, int64_t size, struct berr *err)
{
	struct archive_entry *e = new_entry(path, type, perm, size);
	if (!e)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	int ar = archive_write_header(a, e);
	archive_entry_free(e);
	if (ar < ARCHIVE_WARN)
		return berr_set_msg(err, BERR_INTERNAL, EIO, "writing archive: %s", archive_error_string(a));
	return 0;
}

static int write_data(struct archive *a, const void *buf, size_t n, struct berr *err)
{
	if (n > 0 && archive_write_data(a, buf, n) != (la_ssize_t)n)
		return berr_set_msg(err, BERR_INTERNAL, EIO, "writing archive: %s", archive_error_string(a));
	return 0;
}

static int write_buf(struct archive *a, const char *path, const char *buf, size_t n, struct berr *err)
{
	int r = write_header(a, path, AE_IFREG, 0644, (int64_t)n, err);
	return r < 0 ? r : write_data(a, buf, n, err);
}

static int write_blob(struct archive *a, struct content_store *c, const char *digest, struct berr *err)
{
	_cleanup_close_ int fd = content_open_blob(c, digest);
	uint64_t size;
	if (fd < 0 || content_size(c, digest, &size) < 0)
		return berr_set(err, BERR_INTERNAL, fd < 0 ? -fd : EIO, "reading blob %s", digest);
	char path[128];
	snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(digest));
	int r = write_header(a, path, AE_IFREG, 0644, (int64_t)size, err);
	_cleanup_free_ char *buf = malloc(1u << 20);
	if (r < 0 || !buf)
		return r < 0 ? r : berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	for (uint64_t done = 0; done < size;) {
		ssize_t n = RETRY_EINTR(read(fd, buf, 1u << 20));
		if (n <= 0)
			return berr_set(err, BERR_INTERNAL, n < 0 ? errno : EIO, "reading blob %s", digest);
		n = (ssize_t)(n > (ssize_t)(size - done) ? (ssize_t)(size - done) : n);
		if ((r = write_data(a, buf, (size_t)n, err)) < 0)
			return r;
		done += (uint64_t)n;
	}
	return 0;
}

static json_t *descriptor(const char *mt, const char *digest, uint64_t size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", mt, "digest", digest, "size", (json_int_t)size);
}

struct save_state {
	struct archive *a;
	struct content_store *c;
	char **written;          /* blob digests already in the tar */
	json_t *index, *manifest, *repos;
};

static int once_blob(struct save_state *st, const char *digest, struct berr *err)
{
	if (strv_contains(st->written, digest))
		return 0;
	int r = write_blob(st->a, st->c, digest, err);
	if (r >= 0 && strv_push(&st->written, digest) < 0)
		r = berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	return r;
}

/* The OCI manifest of an image, written as a blob; ret_desc describes it. */
static int save_manifest(struct save_state *st, const struct archive_save_image *im, json_t **ret_desc,
			 struct berr *err)
{
	uint64_t csize;
	if (content_size(st->c, im->id, &csize) < 0)
		return berr_set(err, BERR_INTERNAL, EIO, "reading config %s", im->id);
	_cleanup_json_ json_t *layers = json_array();
	for (size_t i = 0; layers && i < im->n_layers; i++) {
		uint64_t lsize;
		if (content_size(st->c, im->diff_ids[i], &lsize) < 0)
			return berr_set(err, BERR_INTERNAL, EIO, "reading layer %s", im->diff_ids[i]);
		json_array_append_new(layers, descriptor(MT_OCI_LAYER, im->diff_ids[i], lsize));
	}
	_cleanup_json_ json_t *m = json_pack("{s:i, s:s, s:o, s:O}", "schemaVersion", 2, "mediaType",
					     MT_OCI_MANIFEST, "config", descriptor(MT_OCI_CONFIG, im->id, csize),
					     "layers", layers);
	_cleanup_free_ char *text = m ? json_dump_compact(m) : NULL;
	digest_t d;
	if (!text || digest_buf(text, strlen(text), d) < 0)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	if (!strv_contains(st->written, d)) {
		char path[128];
		snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(d));
		int r = write_buf(st->a, path, text, strlen(text), err);
		if (r < 0)
			return r;
		if (strv_push(&st->written, d) < 0)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	}
	*ret_desc = descriptor(MT_OCI_MANIFEST, d, strlen(text));
	return *ret_desc ? 0 : berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
}

/* index.json entries (one per tag), manifest.json's RepoTags, repositories. */
static int save_names(struct save_state *st, const struct archive_save_image *im, json_t *desc, json_t *repo_tags)
{
	if (!im->tags[0])
		return json_array_append(st->index, desc);
	for (size_t i = 0; im->tags[i]; i++) {
		struct image_ref ref = { 0 };
		if (ref_parse(im->tags[i], false, &ref, NULL) < 0 || !ref.tag) {
			ref_release(&ref);
			continue;
		}
		_cleanup_free_ char *familiar = ref_familiar(&ref), *name = ref_familiar_name(&ref);
		json_t *d = json_deep_copy(desc);
		json_t *repo = name ? json_object_get(st->repos, name) : NULL;
		if (name && !repo)
			json_object_set_new(st->repos, name, repo = json_object());
		int r = familiar && name && d && repo ? 0 : -ENOMEM;
		if (r == 0) {
			json_object_set_new(d, "annotations",
					    json_pack("{s:s, s:s}", ANN_IMAGE_NAME, im->tags[i], ANN_REF_NAME, ref.tag));
			json_array_append_new(st->index, d);
			d = NULL;
			json_array_append_new(repo_tags, json_string(familiar));
			if (im->n_layers > 0)
				json_object_set_new(repo, ref.tag, json_string(digest_hex(im->diff_ids[im->n_layers - 1])));
		}
		json_decref(d);
		ref_release(&ref);
		if (r < 0)
			return r;
	}
	return 0;
}

static int save_image(struct save_state *st, const struct archive_save_image *im, struct berr *err)
{
	int r = 0;
	_cleanup_json_ json_t *layers = json_array(), *repo_tags = json_array(), *desc = NULL;
	if (!layers || !repo_tags)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	for (size_t i = 0; r >= 0 && i < im->n_layers; i++) {
		char path[128];
		snprintf(path, sizeof(path), "blobs/sha256/%s", digest_hex(im->diff_ids[i]));
		json_array_append_new(layers, json_string(path));
		r = once_blob(st, im->diff_ids[i], err);
	}
	if (r >= 0)
		r = once_blob(st, im->id, err);
	if (r >= 0)
		r = save_manifest(st, im, &desc, err);
	if (r >= 0 && save_names(st, im, desc, repo_tags) < 0)
		r = berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	if (r < 0)
		return r;
	char config[128];
	snprintf(config, sizeof(config), "blobs/sha256/%s", digest_hex(im->id));
	json_t *item = json_pack("{s:s, s:O, s:O}", "Config", config, "RepoTags",
				 json_array_size(repo_tags) ? repo_tags : json_null(), "Layers", layers);
	if (!item || json_array_append_new(st->manifest, item) < 0)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	return 0;
}

static int write_json(struct archive *a, const char *path, json_t *j, struct berr *err)
{
	_cleanup_free_ char *text = json_dump_compact(j);
	if (!text)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	return write_buf(a, path, text, strlen(text), err);
}

static int save_trailer(struct save_state *st, struct berr *err)
{
	static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
	_cleanup_json_ json_t *index =
		json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX, "manifests", st->index);
	if (!index)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	int r = write_json(st->a, "index.json", index, err);
	if (r >= 0)
		r = write_json(st->a, "manifest.json", st->manifest, err);
	if (r >= 0)
		r = write_buf(st->a, "oci-layout", layout, sizeof(layout) - 1, err);
	if (r >= 0 && json_object_size(st->repos) > 0)
		r = write_json(st->a, "repositories", st->repos, err);
	return r;
}

int archive_write_save(int out_fd, struct content_store *c, const struct archive_save_image *v, size_t n,
		       struct berr *err)
{
	_cleanup_(archive_write_freep) struct archive *a = archive_write_new();
	if (!a)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, out_fd) != ARCHIVE_OK)
		return berr_set_msg(err, BERR_INTERNAL, EIO, "writing archive: %s", archive_error_string(a));
	struct save_state st = { a, c, NULL, json_array(), json_array(), json_object() };
	int r = st.index && st.manifest && st.repos ? 0 : berr_set(err, BERR_INTERNAL, ENOMEM, "writing archive");
	if (r >= 0)
		r = write_header(a, "blobs", AE_IFDIR, 0755, 0, err);
	if (r >= 0)
		r = write_header(a, "blobs/sha256", AE_IFDIR, 0755, 0, err);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = save_image(&st, &v[i], err);
	if (r >= 0)
		r = save_trailer(&st, err);
	if (r >= 0 && archive_write_close(a) != ARCHIVE_OK)
		r = berr_set_msg(err, BERR_INTERNAL, EIO, "writing archive: %s", archive_error_string(a));
	strv_free(st.written);
	json_decref(st.index);
	json_decref(st.manifest);
	json_decref(st.repos);
	return r;
}
