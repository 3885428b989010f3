/* api_images.c - image routes: list, inspect, history, tag, remove, prune,
 * load, save, import. One function per route; the table is at the end. */
#include <fnmatch.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "base/util.h"
#include "common/humanize.h"
#include "common/json.h"
#include "common/ref.h"
#include "daemon/api.h"
#include "daemon/containers.h"
#include "daemon/changes.h"
#include "daemon/daemon.h"
#include "daemon/events.h"
#include "daemon/filters.h"
#include "daemon/httpd.h"
#include "daemon/stream.h"
#include "image/store.h"

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *name_param(struct api_call *c)
{
	return http_req_param(c->req, "name");
}

/* Familiar forms of a NULL-terminated list of full references. */
static json_t *familiar_list(char *const *refs)
{
	json_t *a = json_array();
	for (size_t i = 0; a && refs && refs[i]; i++) {
		char *f = api_familiar(refs[i]);
		json_array_append_new(a, json_string(f ? f : refs[i]));
		free(f);
	}
	return a;
}

static json_t *config_labels(const struct image *im)
{
	json_t *l = json_object_get(json_object_get(im->config, "config"), "Labels");
	return json_is_object(l) ? json_incref(l) : json_null();
}

/* Events for images carry the image's labels plus a name (moby). */
static void image_event(struct api_call *c, const char *action, const char *id, const struct image *im,
			const char *name)
{
	json_t *attrs = json_object();
	json_t *labels = im ? json_object_get(json_object_get(im->config, "config"), "Labels") : NULL;
	const char *k;
	json_t *v;
	json_object_foreach (labels, k, v)
		if (json_is_string(v))
			json_object_set(attrs, k, v);
	if (name)
		json_object_set_new(attrs, "name", json_string(name));
	events_publish(c->d->events, "image", action, id, attrs);
}

/* ---- GET /images/json ---- */

json_t *api_image_summary(struct api_call *c, const struct image *im, bool shared)
{
	json_t *tags = familiar_list(im->repo_tags), *digests = familiar_list(im->repo_digests);
	if (api_before(c, 1, 43)) { /* older clients expect placeholders for untagged images */
		if (json_array_size(tags) == 0 && json_array_size(digests) == 0) {
			json_array_append_new(tags, json_string("<none>:<none>"));
			json_array_append_new(digests, json_string("<none>@<none>"));
		} else if (json_array_size(digests) == 0) {
			json_decref(digests);
			digests = json_null();
		}
	}
	uint64_t ss = 0;
	json_int_t shared_size = -1;
	if (shared && image_store_shared_size(c->d->store, im, &ss, NULL) == 0)
		shared_size = (json_int_t)ss;
	json_t *o = json_pack("{s:i, s:I, s:s, s:o, s:s, s:o, s:o, s:I, s:I}", "Containers", shared ? 0 : -1,
			      "Created", (json_int_t)(im->created / 1000000000LL), "Id", im->id, "Labels",
			      config_labels(im), "ParentId", im->parent ? im->parent : "", "RepoDigests", digests,
			      "RepoTags", tags, "SharedSize", shared_size, "Size", (json_int_t)im->size);
	if (o && api_before(c, 1, 44))
		json_object_set_new(o, "VirtualSize", json_integer((json_int_t)im->size));
	return o;
}

bool api_image_is_intermediate(struct image *const *all, size_t n, const struct image *im)
{
	if (im->repo_tags && im->repo_tags[0])
		return false;
	for (size_t i = 0; i < n; i++)
		if (all[i]->parent && streq(all[i]->parent, im->id))
			return true;
	return false;
}

struct list_filter {
	struct api_filters f;
	int dangling;
	bool has_before, has_since, has_until;
	int64_t before, since, until; /* created times, ns */
};

static void list_filter_release(struct list_filter *lf)
{
	api_filters_release(&lf->f);
}

/* before/since name an image: its creation time is the bound. */
static int created_of(struct api_call *c, const char *name, int64_t *ret, struct berr *err)
{
	_cleanup_image_ struct image *im = NULL;
	int r = image_store_get(c->d->store, name, &im, err);
	if (r < 0)
		return r;
	*ret = im->created;
	return 0;
}

static int parse_list_filter(struct api_call *c, struct list_filter *lf, struct berr *err)
{
	static const char *const keys[] = { "dangling", "label", "before", "since", "reference", "until", NULL };
	int r = api_filters_parse(http_query_get(c->q, "filters"), &lf->f, err);
	if (r < 0 || (r = api_filters_validate(&lf->f, keys, err)) < 0 ||
	    (r = api_filters_bool(&lf->f, "dangling", &lf->dangling, err)) < 0)
		return r;
	char *const *v;
	if ((v = api_filters_get(&lf->f, "before")) && v[0]) {
		lf->has_before = true;
		if ((r = created_of(c, v[0], &lf->before, err)) < 0)
			return r;
	}
	if ((v = api_filters_get(&lf->f, "since")) && v[0]) {
		lf->has_since = true;
		if ((r = created_of(c, v[0], &lf->since, err)) < 0)
			return r;
	}
	if ((v = api_filters_get(&lf->f, "until")) && v[0]) {
		lf->has_until = true;
		if ((r = api_parse_time(v[0], now_ns(), &lf->until, err)) < 0)
			return r;
	}
	return 0;
}

/* moby's reference filter: a glob against each familiar tag, and against
 * the familiar repository name alone. */
static bool reference_matches(const struct image *im, char *const *patterns)
{
	for (size_t i = 0; im->repo_tags && im->repo_tags[i]; i++) {
		struct image_ref ref;
		if (ref_parse(im->repo_tags[i], true, &ref, NULL) < 0)
			continue;
		_cleanup_free_ char *fam = ref_familiar(&ref), *name = ref_familiar_name(&ref);
		ref_release(&ref);
		for (size_t p = 0; patterns[p]; p++)
			if ((fam && fnmatch(patterns[p], fam, FNM_PATHNAME) == 0) ||
			    (name && fnmatch(patterns[p], name, FNM_PATHNAME) == 0))
				return true;
	}
	return false;
}

static bool list_filter_pass(const struct list_filter *lf, const struct image *im)
{
	bool dangling = !im->repo_tags || !im->repo_tags[0];
	if (lf->dangling >= 0 && dangling != (lf->dangling == 1))
		return false;
	if ((lf->has_before && im->created >= lf->before) || (lf->has_since && im->created <= lf->since) ||
	    (lf->has_until && im->created >= lf->until))
		return false;
	char *const *refs = api_filters_get(&lf->f, "reference");
	if (refs && refs[0] && !reference_matches(im, refs))
		return false;
	return api_filters_match_labels(&lf->f, "label",
					json_object_get(json_object_get(im->config, "config"), "Labels"));
}

static int get_images_json(struct api_call *c, struct berr *err)
{
	_cleanup_(list_filter_release) struct list_filter lf = { .dangling = -1 };
	int r = parse_list_filter(c, &lf, err);
	if (r < 0)
		return r;
	struct image **v = NULL;
	size_t n = 0;
	if ((r = image_store_list(c->d->store, &v, &n, err)) < 0)
		return r;
	bool all = http_query_bool(c->q, "all", false), shared = http_query_bool(c->q, "shared-size", false);
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		if ((!all && api_image_is_intermediate(v, n, v[i])) || !list_filter_pass(&lf, v[i]))
			continue;
		json_t *s = api_image_summary(c, v[i], shared);
		if (!s || json_array_append_new(a, s) < 0) {
			json_decref(a);
			a = NULL;
		}
	}
	image_list_free(v, n);
	return api_reply_json(c, 200, a);
}

/* ---- GET /images/{name}/json ---- */

enum dflt { D_STR, D_FALSE, D_NULL, D_OMIT };
/* moby's container.Config, in its field order, with the zero value each
 * field shows when the image config lacks it. */
static const struct {
	const char *key;
	enum dflt d;
} config_fields[] = {
	{ "Hostname", D_STR },     { "Domainname", D_STR },   { "User", D_STR },        { "AttachStdin", D_FALSE },
	{ "AttachStdout", D_FALSE }, { "AttachStderr", D_FALSE }, { "ExposedPorts", D_OMIT }, { "Tty", D_FALSE },
	{ "OpenStdin", D_FALSE },  { "StdinOnce", D_FALSE },  { "Env", D_NULL },        { "Cmd", D_NULL },
	{ "Healthcheck", D_OMIT }, { "ArgsEscaped", D_OMIT }, { "Image", D_STR },       { "Volumes", D_NULL },
	{ "WorkingDir", D_STR },   { "Entrypoint", D_NULL },  { "NetworkDisabled", D_OMIT }, { "MacAddress", D_OMIT },
	{ "OnBuild", D_NULL },     { "Labels", D_NULL },      { "StopSignal", D_OMIT }, { "StopTimeout", D_OMIT },
	{ "Shell", D_OMIT },
};

static json_t *full_config(json_t *cfg)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < ARRAY_SIZE(config_fields); i++) {
		json_t *v = json_object_get(cfg, config_fields[i].key);
		if (v && !(config_fields[i].d == D_OMIT && json_is_null(v))) {
			json_object_set(o, config_fields[i].key, v);
			continue;
		}
		static json_t *(*const make[])(void) = { NULL, json_false, json_null, NULL };
		if (config_fields[i].d == D_STR)
			json_object_set_new(o, config_fields[i].key, json_string(""));
		else if (make[config_fields[i].d])
			json_object_set_new(o, config_fields[i].key, make[config_fields[i].d]());
	}
	return o;
}

static const char *cfg_str(const struct image *im, const char *key)
{
	const char *s = json_string_value(json_object_get(im->config, key));
	return s ? s : "";
}

static json_t *graph_driver(struct api_call *c, const struct image *im)
{
	char **dirs = NULL;
	json_t *data = json_object();
	if (image_store_layer_dirs(c->d->store, im->id, &dirs, NULL) == 0 && dirs && dirs[0]) {
		size_t len = 1;
		for (size_t i = 0; dirs[i]; i++)
			len += strlen(dirs[i]) + 1;
		_cleanup_free_ char *lower = calloc(1, len);
		for (size_t i = 0, at = 0; lower && dirs[i]; i++)
			at += (size_t)snprintf(lower + at, len - at, "%s%s", i ? ":" : "", dirs[i]);
		if (lower)
			json_object_set_new(data, "LowerDir", json_string(lower));
	}
	strv_free(dirs);
	return json_pack("{s:o, s:s}", "Data", data, "Name", "overlay2");
}

static json_t *rootfs_layers(const struct image *im)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < im->n_layers; i++)
		json_array_append_new(a, json_string(im->layers[i].diff_id));
	return json_pack("{s:s, s:o}", "Type", "layers", "Layers", a);
}

static json_t *inspect_json(struct api_call *c, const struct image *im)
{
	char created[40], tagged[40];
	api_time_rfc3339(im->created, created);
	api_time_rfc3339(im->last_tag_time, tagged);
	json_t *cc = json_object_get(im->config, "container_config");
	json_t *o = json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:s}", "Id", im->id,
			      "RepoTags", familiar_list(im->repo_tags), "RepoDigests", familiar_list(im->repo_digests),
			      "Parent", im->parent ? im->parent : "", "Comment", cfg_str(im, "comment"), "Created",
			      created, "Container", cfg_str(im, "container"), "ContainerConfig", full_config(cc),
			      "DockerVersion", cfg_str(im, "docker_version"), "Author", cfg_str(im, "author"),
			      "Config", full_config(json_object_get(im->config, "config")), "Architecture",
			      cfg_str(im, "architecture"));
	if (!o)
		return NULL;
	if (*cfg_str(im, "variant"))
		json_object_set_new(o, "Variant", json_string(cfg_str(im, "variant")));
	json_object_set_new(o, "Os", json_string(cfg_str(im, "os")));
	if (*cfg_str(im, "os.version"))
		json_object_set_new(o, "OsVersion", json_string(cfg_str(im, "os.version")));
	json_object_set_new(o, "Size", json_integer((json_int_t)im->size));
	if (api_before(c, 1, 44))
		json_object_set_new(o, "VirtualSize", json_integer((json_int_t)im->size));
	json_object_set_new(o, "GraphDriver", graph_driver(c, im));
	json_object_set_new(o, "RootFS", rootfs_layers(im));
	json_object_set_new(o, "Metadata", json_pack("{s:s}", "LastTagTime", tagged));
	return o;
}

static int get_image_json(struct api_call *c, struct berr *err)
{
	_cleanup_image_ struct image *im = NULL;
	int r = image_store_get(c->d->store, name_param(c), &im, err);
	if (r < 0)
		return r;
	return api_reply_json(c, 200, inspect_json(c, im));
}

/* ---- GET /images/{name}/history ---- */

#define GO_ZERO_TIME_UNIX (-62135596800LL) /* time.Time{}.Unix(): history without "created" */

static json_t *history_entry(const json_t *h, uint64_t size)
{
	const char *created = json_string_value(json_object_get(h, "created"));
	int64_t ns;
	json_int_t secs = GO_ZERO_TIME_UNIX;
	if (created && api_parse_time(created, 0, &ns, NULL) == 0)
		secs = ns / 1000000000LL;
	const char *by = json_string_value(json_object_get(h, "created_by"));
	const char *comment = json_string_value(json_object_get(h, "comment"));
	return json_pack("{s:s, s:I, s:s, s:s, s:n, s:I}", "Comment", comment ? comment : "", "Created", secs,
			 "CreatedBy", by ? by : "", "Id", "<missing>", "Tags", "Size", (json_int_t)size);
}

/* Entries newest first; each history entry that made a layer gets its size. */
static json_t *history_entries(const struct image *im)
{
	json_t *hist = json_object_get(im->config, "history"), *a = json_array(), *h;
	size_t i, layer = 0;
	json_array_foreach (hist, i, h) {
		uint64_t size = 0;
		if (!json_is_true(json_object_get(h, "empty_layer")) && layer < im->n_layers)
			size = im->layers[layer++].size;
		json_array_insert_new(a, 0, history_entry(h, size));
	}
	return a;
}

/* Like moby: the newest entries get the IDs and tags of the image and its
 * local parents, one each, down the parent chain. */
static void history_ids(struct api_call *c, json_t *a, const struct image *im)
{
	_cleanup_image_ struct image *cur = NULL;
	const struct image *at = im;
	for (size_t i = 0; i < json_array_size(a) && at; i++) {
		json_t *e = json_array_get(a, i), *tags = familiar_list(at->repo_tags);
		json_object_set_new(e, "Id", json_string(at->id));
		json_object_set_new(e, "Tags", json_array_size(tags) ? tags : json_null());
		if (!json_array_size(tags))
			json_decref(tags);
		_cleanup_image_ struct image *next = NULL;
		if (!at->parent || image_store_get(c->d->store, at->parent, &next, NULL) < 0)
			break;
		image_free(cur);
		cur = TAKE_PTR(next);
		at = cur;
	}
}

static int get_image_history(struct api_call *c, struct berr *err)
{
	_cleanup_image_ struct image *im = NULL;
	int r = image_store_get(c->d->store, name_param(c), &im, err);
	if (r < 0)
		return r;
	json_t *a = history_entries(im);
	if (!a)
		return -ENOMEM;
	history_ids(c, a, im);
	return api_reply_json(c, 200, a);
}

/* ---- POST /images/{name}/tag ---- */

/* "repo" + "tag" query values as one reference, checked and normalised. */
static int tag_target(const char *repo, const char *tag, char **ret_full, struct berr *err)
{
	if (!repo || !*repo)
		return berr_set(err, BERR_INVALID, 0, "repository name must have at least one component");
	_cleanup_free_ char *s = NULL;
	if (asprintf(&s, "%s%s%s", repo, tag && *tag ? ":" : "", tag && *tag ? tag : "") < 0)
		return -ENOMEM;
	struct image_ref ref;
	int r = ref_parse(s, false, &ref, err);
	if (r < 0)
		return r;
	if (ref.digest) {
		ref_release(&ref);
		return berr_set(err, BERR_INVALID, 0, "refusing to create a tag with a digest reference");
	}
	*ret_full = ref_string(&ref);
	ref_release(&ref);
	return *ret_full ? 0 : -ENOMEM;
}

static int post_image_tag(struct api_call *c, struct berr *err)
{
	_cleanup_free_ char *target = NULL, *fam = NULL;
	_cleanup_image_ struct image *im = NULL;
	int r = tag_target(http_query_get(c->q, "repo"), http_query_get(c->q, "tag"), &target, err);
	if (r < 0 || (r = image_store_get(c->d->store, name_param(c), &im, err)) < 0 ||
	    (r = image_store_tag(c->d->store, im->id, target, err)) < 0)
		return r;
	fam = api_familiar(target);
	image_event(c, "tag", im->id, im, fam ? fam : target);
	http_resp_send(c->req, 201, NULL, NULL, 0);
	return 0;
}

/* ---- DELETE /images/{name} and POST /images/prune ---- */

static json_t *changes_json(const struct image_change *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s}", v[i].deleted ? "Deleted" : "Untagged", v[i].what));
	return a;
}

static bool listed(struct image *const *v, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (streq(v[i]->id, id))
			return true;
	return false;
}

/* moby names untag and delete events by the image ID; removed layers (also
 * reported as "Deleted") get no event. */
static void delete_events(struct api_call *c, const struct image *im, const struct image_change *ch, size_t n,
			  struct image *const *before, size_t nb)
{
	for (size_t i = 0; i < n; i++)
		if (!ch[i].deleted)
			image_event(c, "untag", im->id, im, im->id);
		else if (streq(ch[i].what, im->id) || listed(before, nb, ch[i].what))
			image_event(c, "delete", ch[i].what, streq(ch[i].what, im->id) ? im : NULL, ch[i].what);
}

static int delete_image(struct api_call *c, struct berr *err)
{
	_cleanup_image_ struct image *im = NULL;
	struct image **before = NULL;
	struct image_change *ch = NULL;
	size_t n = 0, nb = 0;
	int r = image_store_get(c->d->store, name_param(c), &im, err);
	if (r < 0 || (r = image_store_list(c->d->store, &before, &nb, err)) < 0)
		return r;
	r = image_store_delete(c->d->store, name_param(c), http_query_bool(c->q, "force", false),
			       http_query_bool(c->q, "noprune", false), containers_image_in_use, c->d->containers, &ch,
			       &n, err);
	if (r == 0)
		delete_events(c, im, ch, n, before, nb);
	image_list_free(before, nb);
	if (r < 0)
		return r;
	json_t *a = changes_json(ch, n);
	image_changes_free(ch, n);
	return api_reply_json(c, 200, a);
}

struct prune_filter {
	struct api_filters f;
	bool has_until;
	int64_t until;
};

static bool prune_keep(const struct image *im, void *ud)
{
	const struct prune_filter *pf = ud;
	json_t *labels = json_object_get(json_object_get(im->config, "config"), "Labels");
	char *const *neg = api_filters_get(&pf->f, "label!");
	for (size_t i = 0; neg && neg[i]; i++) {
		struct api_filters one = { .v = &(struct api_filter){ .key = "l", .values = (char *[]){ neg[i], NULL } },
					   .n = 1 };
		if (api_filters_match_labels(&one, "l", labels))
			return true;
	}
	if (pf->has_until && im->created >= pf->until)
		return true;
	return !api_filters_match_labels(&pf->f, "label", labels);
}

static int parse_prune_filter(struct api_call *c, struct prune_filter *pf, bool *all, struct berr *err)
{
	static const char *const keys[] = { "dangling", "label", "label!", "until", NULL };
	int dangling, r = api_filters_parse(http_query_get(c->q, "filters"), &pf->f, err);
	if (r < 0 || (r = api_filters_validate(&pf->f, keys, err)) < 0 ||
	    (r = api_filters_bool(&pf->f, "dangling", &dangling, err)) < 0)
		return r;
	*all = dangling == 0;
	char *const *u = api_filters_get(&pf->f, "until");
	if (u && u[0]) {
		pf->has_until = true;
		return api_parse_time(u[0], now_ns(), &pf->until, err);
	}
	return 0;
}

/* The image ID an untagged familiar ref belonged to, from a listing made before. */
static const char *id_of_tag(struct image *const *v, size_t n, const char *fam)
{
	for (size_t i = 0; i < n; i++)
		for (size_t t = 0; v[i]->repo_tags && v[i]->repo_tags[t]; t++) {
			_cleanup_free_ char *f = api_familiar(v[i]->repo_tags[t]);
			if (streq(f, fam))
				return v[i]->id;
		}
	return NULL;
}

static void prune_events(struct api_call *c, const struct image_change *ch, size_t n, struct image *const *before,
			 size_t nb, uint64_t reclaimed)
{
	for (size_t i = 0; i < n; i++) {
		const char *id = ch[i].deleted ? ch[i].what : id_of_tag(before, nb, ch[i].what);
		if (id && listed(before, nb, id))
			image_event(c, ch[i].deleted ? "delete" : "untag", id, NULL, id);
	}
	char num[32];
	snprintf(num, sizeof(num), "%llu", (unsigned long long)reclaimed);
	events_publish(c->d->events, "image", "prune", "", json_pack("{s:s}", "reclaimed", num));
}

static void prune_filter_release(struct prune_filter *pf)
{
	api_filters_release(&pf->f);
}

static int post_images_prune(struct api_call *c, struct berr *err)
{
	_cleanup_(prune_filter_release) struct prune_filter pf = { 0 };
	struct image **before = NULL;
	struct image_change *ch = NULL;
	size_t nb = 0, n = 0;
	uint64_t reclaimed = 0;
	bool all;
	int r = parse_prune_filter(c, &pf, &all, err);
	if (r < 0 || (r = image_store_list(c->d->store, &before, &nb, err)) < 0)
		return r;
	r = image_store_prune(c->d->store, all, prune_keep, NULL, &pf, &ch, &n, &reclaimed, err);
	if (r == 0)
		prune_events(c, ch, n, before, nb, reclaimed);
	image_list_free(before, nb);
	if (r < 0)
		return r;
	json_t *deleted = n ? changes_json(ch, n) : json_null();
	image_changes_free(ch, n);
	return api_reply_json(c, 200,
			      json_pack("{s:o, s:I}", "ImagesDeleted", deleted, "SpaceReclaimed", (json_int_t)reclaimed));
}

/* ---- progress of load and import ---- */

struct progress {
	struct body_job *job;
	int64_t last_ns;
	const char *verb; /* for the final line of a step */
};

/* moby's pre-rendered bar: "[=====>      ]  1.05MB/2.14MB" */
static void progress_bar(uint64_t cur, uint64_t total, char *buf, size_t n)
{
	char a[HUMAN_BUF], b[HUMAN_BUF], bar[51];
	size_t filled = total ? (size_t)(50.0 * (double)(cur > total ? total : cur) / (double)total) : 0;
	for (size_t i = 0; i < 50; i++)
		bar[i] = i < filled ? '=' : (i == filled ? '>' : ' ');
	bar[50] = 0;
	if (total)
		snprintf(buf, n, "[%s] %8s/%s", bar, human_size((double)cur, a), human_size((double)total, b));
	else
		snprintf(buf, n, "%8s", human_size((double)cur, a));
}

static void on_progress(void *ud, const char *id, const char *status, uint64_t cur, uint64_t total)
{
	struct progress *p = ud;
	int64_t now = now_ns();
	/* Nothing to show yet (the CLI would print an empty bar), and at most
	 * ~10 lines a second per operation, but always the last one. */
	if (cur == 0 || (now - p->last_ns < 100000000LL && !(total && cur >= total)))
		return;
	p->last_ns = now;
	char bar[160];
	progress_bar(cur, total, bar, sizeof(bar));
	json_t *m = json_pack("{s:s, s:{s:I, s:I}, s:s}", "status", status, "progressDetail", "current",
			      (json_int_t)cur, "total", (json_int_t)total, "progress", bar);
	if (m && id && *id)
		json_object_set_new(m, "id", json_string(id));
	body_job_post(p->job, m);
}

/* ---- POST /images/load ---- */

struct load_job {
	struct image_store *store;
	bool quiet;
	struct progress p;
	char **loaded;
};

static int load_worker(int fd, void *ud, struct body_job *j, struct berr *err)
{
	struct load_job *lj = ud;
	lj->p.job = j;
	return image_store_load(lj->store, fd, lj->quiet ? NULL : on_progress, &lj->p, &lj->loaded, err);
}

static void load_report(struct api_call *c, struct json_stream *s, char *const *loaded)
{
	for (size_t i = 0; loaded && loaded[i]; i++) {
		bool by_id = str_startswith(loaded[i], "sha256:");
		_cleanup_free_ char *line = NULL;
		_cleanup_image_ struct image *im = NULL;
		if (asprintf(&line, "Loaded image%s: %s\n", by_id ? " ID" : "", loaded[i]) >= 0)
			json_stream_send(s, json_pack("{s:s}", "stream", line));
		if (image_store_get(c->d->store, loaded[i], &im, NULL) == 0)
			image_event(c, "load", im->id, im, im->id);
	}
}

static int post_images_load(struct api_call *c, struct berr *err)
{
	struct load_job lj = { .store = c->d->store, .quiet = http_query_bool(c->q, "quiet", false) };
	struct json_stream s = { .req = c->req };
	int r = body_job_run(c->req, &s, load_worker, &lj, err);
	if (r < 0 && !s.begun) {
		strv_free(lj.loaded);
		return r;
	}
	if (r < 0)
		json_stream_error(&s, err);
	else
		load_report(c, &s, lj.loaded);
	strv_free(lj.loaded);
	json_stream_end(&s);
	return 0;
}

/* ---- GET /images/get and /images/{name}/get ---- */

struct save_job {
	struct image_store *store;
	char **names;
};

static int save_worker(int fd, void *ud, struct berr *err)
{
	struct save_job *sj = ud;
	return image_store_save(sj->store, sj->names, fd, err);
}

static int save_images(struct api_call *c, char **names, struct berr *err)
{
	/* Resolve every name first: a missing one is a plain 404, not a cut stream. */
	for (size_t i = 0; names && names[i]; i++) {
		_cleanup_image_ struct image *im = NULL;
		int r = image_store_get(c->d->store, names[i], &im, err);
		if (r < 0)
			return r;
	}
	struct save_job sj = { .store = c->d->store, .names = names };
	int r = produce_stream(c->req, "application/x-tar", save_worker, &sj, err);
	for (size_t i = 0; r == 0 && names && names[i]; i++) {
		_cleanup_image_ struct image *im = NULL;
		if (image_store_get(c->d->store, names[i], &im, NULL) == 0)
			image_event(c, "save", im->id, im, im->id);
	}
	return r;
}

static int get_images_get(struct api_call *c, struct berr *err)
{
	_cleanup_strv_free_ char **names = NULL;
	for (size_t i = 0; i < c->q->n; i++)
		if (streq(c->q->v[i].name, "names") && strv_push(&names, c->q->v[i].value) < 0)
			return -ENOMEM;
	if (!names)
		return berr_set(err, BERR_INVALID, 0, "no images given: use names=<image>");
	return save_images(c, names, err);
}

static int get_image_get(struct api_call *c, struct berr *err)
{
	char *names[] = { (char *)name_param(c), NULL };
	return save_images(c, names, err);
}

/* ---- POST /images/create (import; pull is not there yet) ---- */

struct import_job {
	struct image_store *store;
	json_t *overrides;
	const char *message, *ref;
	digest_t id;
	struct progress p;
};

static int import_worker(int fd, void *ud, struct body_job *j, struct berr *err)
{
	struct import_job *ij = ud;
	ij->p.job = j;
	return image_store_import(ij->store, fd, ij->overrides, ij->message, ij->ref, ij->id, on_progress, &ij->p, err);
}

static int import_ref(struct api_call *c, char **ret, struct berr *err)
{
	const char *repo = http_query_get(c->q, "repo"), *tag = http_query_get(c->q, "tag");
	*ret = NULL;
	if (!repo || !*repo)
		return 0;
	return tag_target(repo, tag, ret, err);
}

static int import_changes(struct api_call *c, json_t **ret, struct berr *err)
{
	_cleanup_strv_free_ char **changes = NULL;
	for (size_t i = 0; i < c->q->n; i++)
		if (streq(c->q->v[i].name, "changes") && strv_push(&changes, c->q->v[i].value) < 0)
			return -ENOMEM;
	return changes_parse(changes, ret, err);
}

static int run_import(struct api_call *c, struct import_job *ij, struct berr *err)
{
	struct json_stream s = { .req = c->req };
	int r = body_job_run(c->req, &s, import_worker, ij, err);
	if (r < 0 && !s.begun)
		return r;
	if (r < 0) {
		json_stream_error(&s, err);
	} else {
		json_stream_send(&s, json_pack("{s:s}", "status", ij->id));
		_cleanup_image_ struct image *im = NULL;
		image_store_get(c->d->store, ij->id, &im, NULL);
		image_event(c, "import", ij->id, im, ij->id);
	}
	json_stream_end(&s);
	return 0;
}

static int post_images_create(struct api_call *c, struct berr *err)
{
	const char *from_image = http_query_get(c->q, "fromImage"), *src = http_query_get(c->q, "fromSrc");
	/* No error kind means "not implemented", so this route picks 501 itself. */
	if (from_image && *from_image) {
		http_resp_errorf(c->req, 501, "pull is not supported yet: berth cannot fetch %s from a registry; "
					      "use docker save / berth load to bring images in", from_image);
		return 0;
	}
	if (!src || !streq(src, "-")) {
		http_resp_errorf(c->req, 501, "importing from %s is not supported yet: send the tarball as the "
					      "request body with fromSrc=-", src && *src ? src : "nowhere");
		return 0;
	}
	_cleanup_json_ json_t *overrides = NULL;
	_cleanup_free_ char *ref = NULL;
	int r = import_ref(c, &ref, err);
	if (r < 0 || (r = import_changes(c, &overrides, err)) < 0)
		return r;
	const char *msg = http_query_get(c->q, "message");
	struct import_job ij = { .store = c->d->store, .overrides = overrides, .ref = ref,
				 .message = msg && *msg ? msg : "Imported from -" };
	return run_import(c, &ij, err);
}

const struct route api_images_routes[] = {
	{ "GET", "/images/json", get_images_json },
	{ "GET", "/images/get", get_images_get },
	{ "POST", "/images/load", post_images_load },
	{ "POST", "/images/create", post_images_create },
	{ "POST", "/images/prune", post_images_prune },
	{ "GET", "/images/{name:.*}/json", get_image_json },
	{ "GET", "/images/{name:.*}/history", get_image_history },
	{ "GET", "/images/{name:.*}/get", get_image_get },
	{ "POST", "/images/{name:.*}/tag", post_image_tag },
	{ "DELETE", "/images/{name:.*}", delete_image },
};
const size_t api_images_n_routes = ARRAY_SIZE(api_images_routes);
