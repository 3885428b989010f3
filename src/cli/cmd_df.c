/* cmd_df.c - `berth system df`: GET /system/df summarised as docker's
 * TYPE / TOTAL / ACTIVE / SIZE / RECLAIMABLE table (go-units HumanSize,
 * 4 significant digits), or per-object tables with -v. */
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/humanize.h"

#define DF_TABLE "table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}"
#define DF_IMAGES_TABLE \
	"table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}"
#define DF_VOLUMES_TABLE "table {{.Name}}\t{{.Links}}\t{{.Size}}"

static json_int_t iget(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static json_t *df_row(const char *type, size_t total, size_t active, json_int_t size, json_int_t reclaimable,
		      bool percent)
{
	char s[HUMAN_BUF], r[HUMAN_BUF], rp[HUMAN_BUF + 16];

	human_size_prec((double)size, 4, s);
	human_size_prec((double)reclaimable, 4, r);
	if (percent && size > 0)
		snprintf(rp, sizeof(rp), "%s (%lld%%)", r, (long long)(reclaimable * 100 / size));
	else
		snprintf(rp, sizeof(rp), "%s", r);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "Active", "", "Reclaimable", rp, "Size", s,
			 "TotalCount", "", "Type", type, "ActiveCount", json_sprintf("%zu", active));
}

static json_t *finish_row(json_t *row, size_t total, size_t active)
{
	json_object_set_new(row, "TotalCount", json_sprintf("%zu", total));
	json_object_set_new(row, "Active", json_sprintf("%zu", active));
	json_object_del(row, "ActiveCount");
	return row;
}

static json_t *images_summary(json_t *df)
{
	json_t *images = json_object_get(df, "Images"), *im;
	json_int_t total = iget(df, "LayersSize"), used = 0;
	size_t active = 0, i;

	json_array_foreach(images, i, im) {
		if (iget(im, "Containers") > 0)
			active++;
		if (iget(im, "Containers") != 0 && iget(im, "Size") != -1 && iget(im, "SharedSize") != -1)
			used += iget(im, "Size") - iget(im, "SharedSize");
	}
	return finish_row(df_row("Images", 0, 0, total, total - used, true), json_array_size(images), active);
}

static bool container_active(json_t *ct)
{
	const char *s = json_string_value(json_object_get(ct, "State"));
	return s && (strstr(s, "running") || strstr(s, "paused") || strstr(s, "restarting"));
}

static json_t *containers_summary(json_t *df)
{
	json_t *cts = json_object_get(df, "Containers"), *ct;
	json_int_t total = 0, reclaim = 0;
	size_t active = 0, i;

	json_array_foreach(cts, i, ct) {
		if (container_active(ct))
			active++;
		else
			reclaim += iget(ct, "SizeRw");
		total += iget(ct, "SizeRw");
	}
	return finish_row(df_row("Containers", 0, 0, total, reclaim, true), json_array_size(cts), active);
}

static json_t *volumes_summary(json_t *df)
{
	json_t *vols = json_object_get(df, "Volumes"), *v;
	json_int_t total = 0, reclaim = 0;
	size_t active = 0, i;

	json_array_foreach(vols, i, v) {
		json_t *u = json_object_get(v, "UsageData");
		json_int_t size = iget(u, "Size");
		if (iget(u, "RefCount") > 0)
			active++;
		else if (size > 0)
			reclaim += size;
		if (size > 0)
			total += size;
	}
	return finish_row(df_row("Local Volumes", 0, 0, total, reclaim, true), json_array_size(vols), active);
}

static json_t *cache_summary(json_t *df)
{
	json_t *cache = json_object_get(df, "BuildCache"), *b;
	json_int_t total = 0, reclaim = 0;
	size_t active = 0, i;

	json_array_foreach(cache, i, b) {
		bool in_use = json_is_true(json_object_get(b, "InUse"));
		bool shared = json_is_true(json_object_get(b, "Shared"));
		if (in_use)
			active++;
		if (!shared)
			total += iget(b, "Size");
		if (!in_use && !shared)
			reclaim += iget(b, "Size");
	}
	return finish_row(df_row("Build Cache", 0, 0, total, reclaim, false), json_array_size(cache), active);
}

static int print_rows(const char *format, const char *def, json_t *header, json_t *rows)
{
	struct fmt_ctx fc;
	size_t i;
	json_t *row;
	int r = 0;

	if (fmt_begin(&fc, format, def, header, "*formatter.diskUsageContext", true) < 0)
		return -EINVAL;
	json_array_foreach(rows, i, row)
		if ((r = fmt_row(&fc, row)) < 0)
			break;
	if (r >= 0)
		fmt_end(&fc, stdout);
	fmt_release(&fc);
	return r;
}

static int df_verbose(json_t *df)
{
	json_t *rows = json_array(), *im, *v;
	size_t i;
	int r;

	json_array_foreach(json_object_get(df, "Images"), i, im)
		images_rows(im, false, true, time(NULL), rows);
	fputs("Images space usage:\n\n", stdout);
	r = print_rows("", DF_IMAGES_TABLE, images_header(), rows);
	json_decref(rows);
	if (r < 0)
		return r;
	rows = json_array();
	json_array_foreach(json_object_get(df, "Volumes"), i, v) {
		json_t *u = json_object_get(v, "UsageData");
		char sz[HUMAN_BUF];
		json_array_append_new(rows, json_pack("{s:s?, s:o, s:s}", "Name",
						      json_string_value(json_object_get(v, "Name")), "Links",
						      json_sprintf("%lld", (long long)iget(u, "RefCount")), "Size",
						      iget(u, "Size") < 0 ? "N/A" : human_size((double)iget(u, "Size"), sz)));
	}
	fputs("\nLocal Volumes space usage:\n\n", stdout);
	r = print_rows("", DF_VOLUMES_TABLE, json_pack("{s:s, s:s, s:s}", "Name", "VOLUME NAME", "Links", "LINKS",
						       "Size", "SIZE"), rows);
	json_decref(rows);
	printf("\nBuild cache usage: %s\n", "0B");
	return r;
}

int cmd_system_df(struct cli *c, const struct cli_args *a)
{
	json_t *df = NULL, *rows;
	int r;

	if (cli_get_json(c, "/system/df", &df) < 0)
		return 1;
	if (cli_flag_bool(a, "verbose") && !*cli_flag_str(a, "format")) {
		r = df_verbose(df);
		json_decref(df);
		return r < 0 ? 1 : 0;
	}
	rows = json_pack("[o, o, o, o]", images_summary(df), containers_summary(df), volumes_summary(df),
			 cache_summary(df));
	r = print_rows(cli_flag_str(a, "format"), DF_TABLE,
		       json_pack("{s:s, s:s, s:s, s:s, s:s}", "Active", "ACTIVE", "Reclaimable", "RECLAIMABLE", "Size",
				 "SIZE", "TotalCount", "TOTAL", "Type", "TYPE"),
		       rows);
	json_decref(rows);
	json_decref(df);
	return r < 0 ? 1 : 0;
}
