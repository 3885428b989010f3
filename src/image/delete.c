/* delete.c - rmi and prune with Docker's rules (moby
 * daemon/images/image_delete.go, image_prune.go), in our words:
 *
 *  - by reference: untag it (a conflict if a container uses the image,
 *    unless force); when that was the repository's last tag, its digest
 *    references go too; the image itself is deleted only when no reference
 *    is left and no container uses it;
 *  - by ID: an image with at most one tag (all its references in one
 *    repository) loses them and is deleted; several tags need force;
 *  - deleting an image deletes its layers no other image uses (reported as
 *    "Deleted: <chain id>" like Docker) and, unless noprune, walks up to
 *    parents that became dangling, stopping quietly at the first that is
 *    tagged, used or has other children.
 * Whether containers use an image is asked before the store's lock is
 * taken (the daemon's container store has its own lock). */
#include "image/store-internal.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "common/ref.h"

#define MAX_PARENTS 256

struct usage {
	char *ids[MAX_PARENTS];       /* the image and its ancestors */
	char *containers[MAX_PARENTS]; /* a container using ids[i], or NULL */
	size_t n;
};

struct del {
	struct image_store *s;
	bool force, prune;
	struct usage *u;
	struct image_change *v;
	size_t n;
	char **chains;         /* layers whose records went */
	char **blobs;          /* configs and layer blobs maybe unused now */
	uint64_t layer_bytes;  /* sizes of the layers that went */
};

void image_changes_free(struct image_change *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].what);
	free(v);
}

/* Docker's 12-character short form; buf has room for 13. */
static const char *short_id(const char *id, char *buf)
{
	const char *hex = str_startswith(id, "sha256:") ? id + 7 : id;
	snprintf(buf, 13, "%.12s", hex);
	return buf;
}

static const char *used_by(const struct del *d, const char *id)
{
	for (size_t i = 0; i < d->u->n; i++)
		if (streq(d->u->ids[i], id))
			return d->u->containers[i];
	return NULL;
}

static int change_add(struct del *d, bool deleted, char *what)
{
	struct image_change *nv = what ? realloc(d->v, (d->n + 1) * sizeof(*nv)) : NULL;
	if (!nv) {
		free(what);
		return -ENOMEM;
	}
	d->v = nv;
	nv[d->n++] = (struct image_change){ deleted, what };
	return 0;
}

static char *familiar(const char *full)
{
	struct image_ref ref = { 0 };
	if (ref_parse(full, false, &ref, NULL) < 0)
		return strdup(full);
	char *f = ref_familiar(&ref);
	ref_release(&ref);
	return f;
}

/* "docker.io/library/busybox" of "docker.io/library/busybox:1" or "...@sha256:..". */
static char *repo_of(const char *full)
{
	const char *at = strchr(full, '@');
	if (at)
		return strndup(full, (size_t)(at - full));
	const char *slash = strrchr(full, '/');
	const char *colon = strrchr(slash ? slash : full, ':');
	return colon ? strndup(full, (size_t)(colon - full)) : strdup(full);
}

static int untag(struct del *d, const char *ref)
{
	int r = meta_ref_delete(d->s->db, ref);
	return r < 0 ? r : change_add(d, false, familiar(ref));
}

static int conflict(const char *id, bool hard, const char *msg, const char *arg, struct berr *err)
{
	char what[160], sid[13];
	snprintf(what, sizeof(what), msg, arg ? arg : "");
	return berr_set_msg(err, BERR_CONFLICT, EBUSY, "conflict: unable to delete %s (%s) - %s", short_id(id, sid),
			    hard ? "cannot be forced" : "must be forced", what);
}

static int refs_count(struct del *d, const char *id, char ***ret_tags, char ***ret_digests)
{
	_cleanup_strv_free_ char **tags = NULL, **digests = NULL;
	int r = meta_image_refs(d->s->db, id, &tags, &digests);
	if (r < 0)
		return r;
	int n = (int)(strv_length(tags) + strv_length(digests));
	if (ret_tags)
		*ret_tags = TAKE_PTR(tags);
	if (ret_digests)
		*ret_digests = TAKE_PTR(digests);
	return n;
}

static int untag_all(struct del *d, const char *id)
{
	_cleanup_strv_free_ char **tags = NULL, **digests = NULL;
	int r = refs_count(d, id, &tags, &digests);
	for (size_t i = 0; r >= 0 && tags[i]; i++)
		r = untag(d, tags[i]);
	for (size_t i = 0; r >= 0 && digests[i]; i++)
		r = untag(d, digests[i]);
	return r < 0 ? r : 0;
}

static int remove_image(struct del *d, const char *id)
{
	_cleanup_strv_free_ char **chains = NULL;
	_cleanup_free_ uint64_t *sizes = NULL;
	struct meta_image m = { 0 };
	int r = meta_image_get(d->s->db, id, &m);
	if (r < 0)
		return r;
	for (size_t i = 0; r >= 0 && i < m.n_layers; i++)
		r = strv_push(&d->blobs, m.layers[i].diff_id);
	meta_image_release(&m);
	if (r < 0 || (r = strv_push(&d->blobs, id)) < 0)
		return r;
	if ((r = meta_image_delete(d->s->db, id, &chains, &sizes)) < 0)
		return r;
	if ((r = change_add(d, true, strdup(id))) < 0)
		return r;
	for (size_t i = 0; chains[i]; i++) {
		d->layer_bytes += sizes[i];
		if ((r = strv_push(&d->chains, chains[i])) < 0 || (r = change_add(d, true, strdup(chains[i]))) < 0)
			return r;
	}
	return 0;
}

/* moby's imageDeleteHelper. quiet: a parent being pruned, where conflicts
 * just stop the walk. */
static int delete_helper(struct del *d, const char *id, bool force, bool quiet, struct berr *err)
{
	_cleanup_strv_free_ char **children = NULL;
	int r = meta_image_children(d->s->db, id, &children);
	int nrefs = r < 0 ? r : refs_count(d, id, NULL, NULL);
	if (nrefs < 0)
		return berr_db(err, nrefs, "deleting image");
	const char *ctr = used_by(d, id);
	bool has_children = children[0] != NULL;
	if (has_children || ctr || (nrefs > 0 && !force)) {
		bool dangling = nrefs == 0 && !has_children;
		if ((quiet && (!dangling || ctr)) || (force && ctr && !has_children))
			return 0; /* an image a container uses is never deleted: at most untagged */
		if (has_children)
			return conflict(id, true, "image has dependent child images%s", NULL, err);
		char sctr[13];
		if (ctr)
			return conflict(id, false, "image is being used by stopped container %s", short_id(ctr, sctr), err);
		return conflict(id, false, "image is referenced in multiple repositories%s", NULL, err);
	}
	struct meta_image m = { 0 };
	if ((r = meta_image_get(d->s->db, id, &m)) < 0)
		return berr_db(err, r, "deleting image");
	_cleanup_free_ char *parent = TAKE_PTR(m.parent);
	meta_image_release(&m);
	if ((r = untag_all(d, id)) < 0 || (r = remove_image(d, id)) < 0)
		return berr_db(err, r, "deleting image");
	if (!d->prune || !parent || meta_image_exists(d->s->db, parent) <= 0)
		return 0;
	return delete_helper(d, parent, false, true, err);
}

/* Docker's isSingleReference: at most one tag, all references in one repo. */
static bool single_reference(char **tags, char **digests)
{
	if (strv_length(tags) > 1 || (!tags[0] && !digests[0]))
		return false;
	_cleanup_free_ char *repo = repo_of(tags[0] ? tags[0] : digests[0]);
	for (size_t i = 0; repo && digests[i]; i++) {
		_cleanup_free_ char *other = repo_of(digests[i]);
		if (!streq(repo, other))
			return false;
	}
	return repo != NULL;
}

/* After untagging ref: when its repository has no tag of the image left,
 * the digest references of that repository go too. */
static int untag_repo_digests(struct del *d, const char *id, const char *ref)
{
	_cleanup_strv_free_ char **tags = NULL, **digests = NULL;
	_cleanup_free_ char *repo = repo_of(ref);
	int r = refs_count(d, id, &tags, &digests);
	if (r < 0 || !repo)
		return r < 0 ? r : -ENOMEM;
	for (size_t i = 0; tags[i]; i++) {
		_cleanup_free_ char *other = repo_of(tags[i]);
		if (streq(repo, other))
			return 0;
	}
	for (size_t i = 0; r >= 0 && digests[i]; i++) {
		_cleanup_free_ char *other = repo_of(digests[i]);
		if (streq(repo, other))
			r = untag(d, digests[i]);
	}
	return r < 0 ? r : 0;
}

static int delete_by_ref(struct del *d, const char *name, const char *id, const char *ref, struct berr *err)
{
	const char *ctr = used_by(d, id);
	char sctr[13], sid[13];
	if (ctr && !d->force)
		return berr_set_msg(err, BERR_CONFLICT, EBUSY,
				    "conflict: unable to remove repository reference \"%s\" (must force) - container %s is using its referenced image %s",
				    name, short_id(ctr, sctr), short_id(id, sid));
	int r = untag(d, ref);
	if (r >= 0 && !strchr(ref, '@'))
		r = untag_repo_digests(d, id, ref);
	if (r >= 0)
		r = refs_count(d, id, NULL, NULL);
	if (r < 0)
		return berr_db(err, r, "untagging");
	if (r > 0 || ctr)
		return 0;
	return delete_helper(d, id, d->force, true, err);
}

static int delete_by_id(struct del *d, const char *id, struct berr *err)
{
	_cleanup_strv_free_ char **tags = NULL, **digests = NULL;
	int r = refs_count(d, id, &tags, &digests);
	if (r < 0)
		return berr_db(err, r, "deleting image");
	if (single_reference(tags, digests)) {
		_cleanup_strv_free_ char **children = NULL;
		const char *ctr = used_by(d, id);
		if ((r = meta_image_children(d->s->db, id, &children)) < 0)
			return berr_db(err, r, "deleting image");
		if (children[0])
			return conflict(id, true, "image has dependent child images%s", NULL, err);
		char sctr[13];
		if (ctr && !d->force)
			return conflict(id, false, "image is being used by stopped container %s", short_id(ctr, sctr), err);
		if ((r = untag_all(d, id)) < 0)
			return berr_db(err, r, "untagging");
	}
	return delete_helper(d, id, d->force, false, err);
}

/* The image and its ancestors, with the containers using them; asked
 * before the store's lock is taken. */
static int collect_usage(struct image_store *s, const char *name, digest_t ret_id, char **ret_ref,
			 image_in_use_fn in_use, void *ud, struct usage *u, struct berr *err)
{
	{
		_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
		int r = store_resolve_locked(s, name, ret_id, ret_ref, err);
		if (r < 0)
			return r;
		for (char *id = strdup(ret_id); id && u->n < MAX_PARENTS;) {
			struct meta_image mi = { 0 };
			u->ids[u->n++] = id;
			id = meta_image_get(s->db, id, &mi) >= 0 ? TAKE_PTR(mi.parent) : NULL;
			meta_image_release(&mi);
		}
	}
	for (size_t i = 0; in_use && i < u->n; i++) {
		int r = in_use(u->ids[i], &u->containers[i], ud);
		if (r < 0)
			return berr_set(err, BERR_INTERNAL, -r, "checking containers of %s", u->ids[i]);
		if (r == 0) {
			free(u->containers[i]);
			u->containers[i] = NULL;
		} else if (!u->containers[i]) {
			u->containers[i] = strdup("unknown");
		}
	}
	return 0;
}

static void usage_release(struct usage *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->ids[i]);
		free(u->containers[i]);
	}
}

/* With the lock held, after the records are gone: the files they named. */
static void drop_files_locked(struct del *d)
{
	for (size_t i = 0; d->chains && d->chains[i]; i++)
		store_drop_snapshot_locked(d->s, d->chains[i], NULL);
	for (size_t i = 0; d->blobs && d->blobs[i]; i++)
		store_drop_blob_locked(d->s, d->blobs[i], NULL);
}

static int delete_one(struct del *d, const char *name, image_in_use_fn in_use, void *ud, struct berr *err)
{
	struct usage u = { 0 };
	digest_t id;
	_cleanup_free_ char *ref = NULL;
	int r = collect_usage(d->s, name, id, &ref, in_use, ud, &u, err);
	d->u = &u;
	if (r >= 0) {
		_cleanup_unlock_ pthread_mutex_t *m = store_lock(d->s);
		size_t mark = d->n;
		if ((r = meta_begin(d->s->db, err)) >= 0) {
			r = ref ? delete_by_ref(d, name, id, ref, err) : delete_by_id(d, id, err);
			if (r >= 0)
				r = meta_commit(d->s->db, err);
			else
				meta_rollback(d->s->db);
		}
		if (r < 0) {
			for (size_t i = mark; i < d->n; i++)
				free(d->v[i].what);
			d->n = mark;
		}
		drop_files_locked(d);
	}
	strv_free(d->chains);
	strv_free(d->blobs);
	d->chains = d->blobs = NULL;
	d->u = NULL;
	usage_release(&u);
	return r;
}

int image_store_delete(struct image_store *s, const char *name, bool force, bool noprune, image_in_use_fn in_use,
		       void *ud, struct image_change **ret, size_t *ret_n, struct berr *err)
{
	struct del d = { .s = s, .force = force, .prune = !noprune };
	int r = delete_one(&d, name, in_use, ud, err);
	if (r < 0) {
		image_changes_free(d.v, d.n);
		return r;
	}
	*ret = d.v;
	*ret_n = d.n;
	return 0;
}

/* --- prune --- */

struct candidate {
	char *id;
	char **tags; /* delete through these (prune all), or by ID when empty */
};

static int prune_candidates(struct image_store *s, bool all, image_keep_fn keep, void *ud, struct candidate **ret,
			    size_t *ret_n, struct berr *err)
{
	struct image **v = NULL;
	size_t n = 0, k = 0;
	int r = image_store_list(s, &v, &n, err);
	if (r < 0)
		return r;
	struct candidate *c = calloc(n + 1, sizeof(*c));
	_cleanup_unlock_ pthread_mutex_t *m = store_lock(s);
	for (size_t i = 0; c && i < n; i++) {
		_cleanup_strv_free_ char **children = NULL;
		bool tagged = v[i]->repo_tags && v[i]->repo_tags[0];
		bool referenced = tagged || (v[i]->repo_digests && v[i]->repo_digests[0]);
		if (meta_image_children(s->db, v[i]->id, &children) < 0)
			continue;
		/* Untagged intermediates go with their children, never alone. */
		if (children[0] && (!referenced || !all))
			continue;
		if ((!all && tagged) || (keep && keep(v[i], ud)))
			continue;
		c[k].id = strdup(v[i]->id);
		c[k++].tags = all && tagged ? strv_copy(v[i]->repo_tags) : NULL;
	}
	image_list_free(v, n);
	if (!c)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "pruning");
	*ret = c;
	*ret_n = k;
	return 0;
}

/* Conflicts (in use, shared) and vanished images just skip a candidate. */
static int prune_one(struct del *d, const char *name, image_in_use_fn in_use, void *ud, struct berr *err)
{
	_cleanup_berr_ struct berr e = { 0 };
	int r = delete_one(d, name, in_use, ud, &e);
	if (r < 0 && e.kind != BERR_CONFLICT && e.kind != BERR_NOT_FOUND) {
		berr_set_msg(err, e.kind, e.errnum, "%s", e.msg ? e.msg : "pruning");
		return r;
	}
	return 0;
}

int image_store_prune(struct image_store *s, bool all, image_keep_fn keep, image_in_use_fn in_use, void *ud,
		      struct image_change **ret, size_t *ret_n, uint64_t *reclaimed, struct berr *err)
{
	struct candidate *c = NULL;
	size_t n = 0;
	struct del d = { .s = s, .force = false, .prune = true };
	int r = prune_candidates(s, all, keep, ud, &c, &n, err);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		_cleanup_free_ char *ctr = NULL;
		int used = in_use ? in_use(c[i].id, &ctr, ud) : 0;
		if (used > 0)
			continue;
		if (!c[i].tags)
			r = prune_one(&d, c[i].id, in_use, ud, err);
		for (size_t j = 0; r >= 0 && c[i].tags && c[i].tags[j]; j++)
			r = prune_one(&d, c[i].tags[j], in_use, ud, err);
	}
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].id);
		strv_free(c[i].tags);
	}
	free(c);
	uint64_t freed = 0;
	if (r >= 0)
		r = image_store_gc(s, &freed, err);
	if (r < 0) {
		image_changes_free(d.v, d.n);
		return r;
	}
	*ret = d.v;
	*ret_n = d.n;
	if (reclaimed)
		*reclaimed = d.layer_bytes;
	return 0;
}
