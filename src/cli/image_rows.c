/* image_rows.c - docker's image list rows (formatter/image.go rules): one
 * row per repository:tag, per digest with --digests, digest-only
 * repositories as "<none>" tags, dangling images as <none>:<none>. Values
 * are the strings docker's imageContext methods return. */
#include <string.h>

#include "cli/cli.h"
#include "common/humanize.h"
#include "common/ref.h"

json_t *images_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers", "CONTAINERS",
			 "CreatedAt", "CREATED AT", "CreatedSince", "CREATED", "Digest", "DIGEST", "ID", "IMAGE ID",
			 "Repository", "REPOSITORY", "SharedSize", "SHARED SIZE", "Size", "SIZE", "Tag", "TAG",
			 "UniqueSize", "UNIQUE SIZE", "VirtualSize", "VIRTUAL SIZE");
}

static json_t *count_or_na(json_int_t v)
{
	return v == -1 ? json_string("N/A") : json_sprintf("%lld", (long long)v);
}

static json_t *size_or_na(json_int_t v, bool na)
{
	char b[HUMAN_BUF];
	return na ? json_string("N/A") : json_string(human_size((double)v, b));
}

/* The per-image fields every row shares, keys sorted (docker marshals its
 * context through a map, so `{{json .}}` lists them alphabetically). */
static json_t *base_row(json_t *s, bool trunc, int64_t now)
{
	json_int_t created = json_integer_value(json_object_get(s, "Created"));
	json_int_t size = json_integer_value(json_object_get(s, "Size"));
	json_t *shared_j = json_object_get(s, "SharedSize");
	json_int_t shared = shared_j ? json_integer_value(shared_j) : -1;
	json_t *containers_j = json_object_get(s, "Containers");
	const char *id = json_string_value(json_object_get(s, "Id"));
	_cleanup_free_ char *tid = cli_trunc_id(id ? id : "", trunc);
	char at[64], since[HUMAN_BUF];

	cli_time_string(created, at, sizeof(at));
	return json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o}", "Containers",
			 count_or_na(containers_j ? json_integer_value(containers_j) : -1), "CreatedAt", at,
			 "CreatedSince", human_since(created, now, since), "Digest", "", "ID", tid ? tid : "",
			 "Repository", "", "SharedSize", size_or_na(shared, shared == -1), "Size",
			 size_or_na(size, false), "Tag", "", "UniqueSize", size_or_na(size - shared, shared == -1),
			 "VirtualSize", size_or_na(size, false));
}

static int add_row(json_t *rows, json_t *base, const char *repo, const char *tag, const char *digest)
{
	json_t *row = json_deep_copy(base);

	json_object_set_new(row, "Repository", json_string(repo));
	json_object_set_new(row, "Tag", json_string(tag));
	json_object_set_new(row, "Digest", json_string(digest && *digest ? digest : "<none>"));
	return json_array_append_new(rows, row);
}

/* Group "repo:tag" / "repo@digest" references by familiar repository, in
 * the order they first appear (docker iterates a Go map: random order). */
static void group_refs(json_t *list, bool digests, json_t *groups)
{
	size_t i;
	json_t *e;

	json_array_foreach(list, i, e) {
		struct image_ref r;
		_cleanup_berr_ struct berr err = { 0 };
		if (!json_is_string(e) || ref_parse(json_string_value(e), true, &r, &err) < 0)
			continue;
		_cleanup_free_ char *name = ref_familiar_name(&r);
		const char *v = digests ? r.digest : r.tag;
		if (name && v) {
			json_t *g = json_object_get(groups, name);
			if (!g)
				json_object_set_new(groups, name, g = json_array());
			json_array_append_new(g, json_string(v));
		}
		ref_release(&r);
	}
}

static bool is_dangling(json_t *s)
{
	json_t *tags = json_object_get(s, "RepoTags"), *digests = json_object_get(s, "RepoDigests");
	const char *t0 = json_string_value(json_array_get(tags, 0)), *d0 = json_string_value(json_array_get(digests, 0));

	if (!json_array_size(tags) && !json_array_size(digests))
		return true;
	return json_array_size(tags) == 1 && t0 && !strcmp(t0, "<none>:<none>") && json_array_size(digests) == 1 &&
	       d0 && !strcmp(d0, "<none>@<none>");
}

int images_rows(json_t *s, bool show_digests, bool trunc, int64_t now, json_t *rows)
{
	json_t *base = base_row(s, trunc, now), *tags = json_object(), *digests = json_object();
	const char *repo;
	json_t *list;
	size_t i;
	json_t *e;

	if (is_dangling(s)) {
		add_row(rows, base, "<none>", "<none>", "<none>");
		goto out;
	}
	group_refs(json_object_get(s, "RepoTags"), false, tags);
	group_refs(json_object_get(s, "RepoDigests"), true, digests);
	json_object_foreach(tags, repo, list) {
		json_t *dg = json_incref(json_object_get(digests, repo));
		json_object_del(digests, repo); /* not shown as rows of their own */
		json_array_foreach(list, i, e) {
			size_t k;
			json_t *d;
			if (!show_digests || !json_array_size(dg))
				add_row(rows, base, repo, json_string_value(e), "<none>");
			else
				json_array_foreach(dg, k, d)
					add_row(rows, base, repo, json_string_value(e), json_string_value(d));
		}
		json_decref(dg);
	}
	json_object_foreach(digests, repo, list) {
		if (!show_digests) {
			add_row(rows, base, repo, "<none>", "<none>");
			continue;
		}
		json_array_foreach(list, i, e)
			add_row(rows, base, repo, "<none>", json_string_value(e));
	}
out:
	json_decref(base);
	json_decref(tags);
	json_decref(digests);
	return 0;
}

