/* cmd_prune.c - `berth image prune`: POST /images/prune with dangling=true
 * (or false with -a) plus --filter values, after a confirmation. */
#include <string.h>

#include "cli/cli.h"
#include "common/humanize.h"

#define WARN_DANGLING "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
#define WARN_ALL                                                                          \
	"WARNING! This will remove all images without at least one container associated to them.\n" \
	"Are you sure you want to continue? [y/N] "

/* POST <path>?filters=... with the --filter values (plus extra, may be
 * NULL) and parse the daemon's JSON report. Returns 0, or the exit status to
 * give after printing the error. */
int cli_prune_call(struct cli *c, const struct cli_args *a, const char *path, json_t *extra_filters,
		   json_t **ret_report)
{
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_free_ char *target = NULL;
	struct hclient_resp *resp;
	size_t n;
	struct query q;
	const char **f = cli_flag_list(a, "filter", &n);
	json_t *filters = filters_json(f, n);
	const char *k;
	json_t *v;
	json_object_foreach(extra_filters, k, v)
		json_object_set(filters, k, v);
	query_init(&q, path);
	query_add_filters(&q, filters);
	json_decref(filters);
	target = query_finish(&q);
	struct cli_request req = { .method = "POST", .target = target, .body_fd = -1 };
	if (cli_call(c, &req, &resp) < 0)
		return 1;
	int r = hclient_resp_json(resp, ret_report, &err);
	hclient_resp_free(resp);
	if (r < 0)
		return cli_fail("berth: reading the daemon's reply: %s", err.msg ? err.msg : "invalid JSON");
	return 0;
}

int cmd_image_prune(struct cli *c, const struct cli_args *a)
{
	bool all = cli_flag_bool(a, "all");
	json_t *report = NULL;
	char sz[HUMAN_BUF];

	if (!cli_flag_bool(a, "force") && !cli_confirm(all ? WARN_ALL : WARN_DANGLING))
		return 0;
	json_t *dangling = json_object();
	filters_add(dangling, "dangling", all ? "false" : "true");
	int r = cli_prune_call(c, a, "/images/prune", dangling, &report);
	json_decref(dangling);
	if (r)
		return r;
	json_t *deleted = json_object_get(report, "ImagesDeleted");
	if (json_array_size(deleted)) {
		fputs("Deleted Images:\n", stdout);
		rmi_print_deletions(deleted, stdout, "untagged: ", "deleted: ");
		fputc('\n', stdout);
	}
	printf("Total reclaimed space: %s\n",
	       human_size_prec((double)json_integer_value(json_object_get(report, "SpaceReclaimed")), 4, sz));
	json_decref(report);
	return 0;
}
