/* cmd_images.c - `berth images` / `image ls`: GET /images/json as docker's
 * table, one row per repository:tag (and per digest with --digests). */
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/humanize.h"
#include "common/ref.h"

#define IMAGES_TABLE "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
#define IMAGES_TABLE_DIGEST "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"

static char *images_target(const struct cli_args *a)
{
	size_t n;
	const char **f = cli_flag_list(a, "filter", &n);
	json_t *filters = filters_json(f, n);
	struct query q;

	if (a->argc > 0)
		filters_add(filters, "reference", a->argv[0]);
	query_init(&q, "/images/json");
	if (cli_flag_bool(a, "all"))
		query_add(&q, "all", "1");
	query_add_filters(&q, filters);
	json_decref(filters);
	return query_finish(&q);
}

int cmd_images(struct cli *c, const struct cli_args *a)
{
	_cleanup_free_ char *target = images_target(a);
	const char *format = cli_flag_str(a, "format");
	bool digests = cli_flag_bool(a, "digests"), trunc = !cli_flag_bool(a, "no-trunc");
	json_t *list = NULL, *rows, *s;
	struct fmt_ctx fc;
	size_t i;
	int r = 0;

	if (cli_flag_bool(a, "quiet") && (!*format || !strncmp(format, "table", 5)))
		format = "{{.ID}}";
	if (fmt_begin(&fc, format, digests ? IMAGES_TABLE_DIGEST : IMAGES_TABLE, images_header(),
		      "*formatter.imageContext", true) < 0)
		return 1;
	if (cli_get_json(c, target, &list) < 0) {
		fmt_release(&fc);
		return 1;
	}
	rows = json_array();
	json_array_foreach(list, i, s)
		images_rows(s, digests, trunc, time(NULL), rows);
	json_array_foreach(rows, i, s)
		if ((r = fmt_row(&fc, s)) < 0)
			break;
	if (r >= 0)
		fmt_end(&fc, stdout);
	fmt_release(&fc);
	json_decref(rows);
	json_decref(list);
	return r < 0 ? 1 : 0;
}
