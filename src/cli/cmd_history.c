/* cmd_history.c - `berth history`: GET /images/<name>/history. */
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/humanize.h"

#define HISTORY_TABLE "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"

static json_t *history_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Comment", "COMMENT", "CreatedAt", "CREATED AT",
			 "CreatedBy", "CREATED BY", "CreatedSince", "CREATED", "ID", "IMAGE", "Size", "SIZE");
}

static char *created_by(const char *s, bool trunc)
{
	_cleanup_free_ char *flat = strdup(s ? s : "");

	for (char *p = flat; p && *p; p++)
		if (*p == '\t')
			*p = ' ';
	return trunc ? cli_ellipsis(flat, 45) : TAKE_PTR(flat);
}

static json_t *history_row(json_t *h, bool human, bool trunc, int64_t now)
{
	json_int_t created = json_integer_value(json_object_get(h, "Created"));
	json_int_t size = json_integer_value(json_object_get(h, "Size"));
	const char *id = json_string_value(json_object_get(h, "Id"));
	const char *comment = json_string_value(json_object_get(h, "Comment"));
	_cleanup_free_ char *tid = NULL, *by = created_by(json_string_value(json_object_get(h, "CreatedBy")), trunc);
	char at[64], since[HUMAN_BUF], sz[HUMAN_BUF];

	id = id ? id : "<missing>";
	tid = !strcmp(id, "<missing>") ? strdup(id) : cli_trunc_id(id, trunc);
	cli_time_rfc3339(created, 0, false, at, sizeof(at));
	if (human) {
		human_since(created, now, since);
		human_size((double)size, sz);
	} else {
		snprintf(since, sizeof(since), "%s", at);
		snprintf(sz, sizeof(sz), "%lld", (long long)size);
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Comment", comment ? comment : "", "CreatedAt", at,
			 "CreatedBy", by ? by : "", "CreatedSince", since, "ID", tid ? tid : "", "Size", sz);
}

int cmd_history(struct cli *c, const struct cli_args *a)
{
	const char *format = cli_flag_str(a, "format");
	bool human = cli_flag_bool(a, "human"), trunc = !cli_flag_bool(a, "no-trunc");
	_cleanup_free_ char *target = NULL;
	json_t *list = NULL, *h;
	struct fmt_ctx fc;
	size_t i;
	int r = 0;

	if (cli_flag_bool(a, "quiet") && (!*format || !strncmp(format, "table", 5)))
		format = "{{.ID}}";
	if (asprintf(&target, "/images/%s/history", a->argv[0]) < 0)
		return 1;
	if (fmt_begin(&fc, format, HISTORY_TABLE, history_header(), "*formatter.historyContext", true) < 0)
		return 1;
	if (cli_get_json(c, target, &list) < 0) {
		fmt_release(&fc);
		return 1;
	}
	json_array_foreach(list, i, h) {
		json_t *row = history_row(h, human, trunc, time(NULL));
		r = fmt_row(&fc, row);
		json_decref(row);
		if (r < 0)
			break;
	}
	if (r >= 0)
		fmt_end(&fc, stdout);
	fmt_release(&fc);
	json_decref(list);
	return r < 0 ? 1 : 0;
}
