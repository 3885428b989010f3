/* cmd_prune.c - `berth image prune`: POST /images/prune with dangling=true
 * (or false with -a) plus --filter values, after a confirmation. */
#include <string.h>

#include "cli/cli.h"
#include "common/humanize.h"

#define WARN_DANGLING "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
#define WARN_ALL                                                                          \
	"WARNING! This will remove all images without at least one container associated to them.\n" \
	"Are you sure you want to continue? [y/N] "

int cmd_image_prune(struct cli *c, const struct cli_args *a)
{
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_free_ char *target = NULL;
	bool all = cli_flag_bool(a, "all");
	struct hclient_resp *resp;
	json_t *report = NULL, *filters;
	const char **f;
	size_t n;
	struct query q;
	char sz[HUMAN_BUF];

	if (!cli_flag_bool(a, "force") && !cli_confirm(all ? WARN_ALL : WARN_DANGLING))
		return 0;
	f = cli_flag_list(a, "filter", &n);
	filters = filters_json(f, n);
	filters_add(filters, "dangling", all ? "false" : "true");
	query_init(&q, "/images/prune");
	query_add_filters(&q, filters);
	json_decref(filters);
	target = query_finish(&q);
	struct cli_request req = { .method = "POST", .target = target, .body_fd = -1 };
	if (cli_call(c, &req, &resp) < 0)
		return 1;
	int r = hclient_resp_json(resp, &report, &err);
	hclient_resp_free(resp);
	if (r < 0)
		return cli_fail("berth: reading the daemon's reply: %s", err.msg ? err.msg : "invalid JSON");
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
