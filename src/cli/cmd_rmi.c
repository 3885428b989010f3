/* cmd_rmi.c - `berth rmi`: DELETE /images/<name>[?force=1][&noprune=1] for
 * each name; prints the Untagged/Deleted items, errors at the end. */
#include <string.h>

#include "cli/cli.h"

static void print_deletions(json_t *items, FILE *out, const char *untagged, const char *deleted)
{
	size_t i;
	json_t *it;

	json_array_foreach(items, i, it) {
		const char *u = json_string_value(json_object_get(it, "Untagged"));
		const char *d = json_string_value(json_object_get(it, "Deleted"));
		if (u && *u)
			fprintf(out, "%s%s\n", untagged, u);
		else if (d && *d)
			fprintf(out, "%s%s\n", deleted, d);
	}
}

static int remove_one(struct cli *c, const char *name, bool force, bool noprune)
{
	_cleanup_free_ char *path = NULL, *target = NULL;
	_cleanup_berr_ struct berr err = { 0 };
	struct hclient_resp *resp;
	json_t *items = NULL;
	struct query q;

	if (asprintf(&path, "/images/%s", name) < 0)
		return -ENOMEM;
	query_init(&q, path);
	if (force)
		query_add(&q, "force", "1");
	if (noprune)
		query_add(&q, "noprune", "1");
	target = query_finish(&q);
	struct cli_request req = { .method = "DELETE", .target = target, .body_fd = -1 };
	int r = cli_call(c, &req, &resp);
	if (r < 0)
		return r;
	r = hclient_resp_json(resp, &items, &err);
	hclient_resp_free(resp);
	if (r < 0)
		return r;
	print_deletions(items, stdout, "Untagged: ", "Deleted: ");
	json_decref(items);
	return 0;
}

int cmd_rmi(struct cli *c, const struct cli_args *a)
{
	bool force = cli_flag_bool(a, "force"), noprune = cli_flag_bool(a, "no-prune");
	int status = 0;

	for (int i = 0; i < a->argc; i++) {
		int r = remove_one(c, a->argv[i], force, noprune);
		if (r < 0)
			status = 1;
		if (r < 0 && !c->hc)
			break;
	}
	return status;
}

void rmi_print_deletions(json_t *items, FILE *out, const char *untagged, const char *deleted)
{
	print_deletions(items, out, untagged, deleted);
}
