/* cmd_container_ps.c - `berth ps` / `container ls`: GET /containers/json
 * as docker's table (formatter/container.go: quoted command truncated to
 * 20, CREATED from the unix time, names without the leading slash). */
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/humanize.h"

#define PS_TABLE "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"

static json_t *ps_header(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Command",
			 "COMMAND", "CreatedAt", "CREATED AT", "ID", "CONTAINER ID", "Image", "IMAGE", "Labels",
			 "LABELS", "LocalVolumes", "LOCAL VOLUMES", "Mounts", "MOUNTS", "Names", "NAMES", "Networks",
			 "NETWORKS", "Ports", "PORTS", "RunningFor", "CREATED", "Size", "SIZE", "State", "STATE",
			 "Status", "STATUS");
}

/* Go's strconv.Quote for the common cases. */
static char *go_quote(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
	fclose(f);
	return buf;
}

static char *ports_string(json_t *ports)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);
	json_t *p;
	bool first = true;

	if (!f)
		return NULL;
	json_array_foreach(ports, i, p) {
		const char *ip = json_string_value(json_object_get(p, "IP"));
		const char *type = json_string_value(json_object_get(p, "Type"));
		json_int_t priv = json_integer_value(json_object_get(p, "PrivatePort"));
		json_int_t pub = json_integer_value(json_object_get(p, "PublicPort"));
		fputs(first ? "" : ", ", f);
		first = false;
		if (ip && *ip && pub)
			fprintf(f, strchr(ip, ':') ? "[%s]:%lld->" : "%s:%lld->", ip, (long long)pub);
		fprintf(f, "%lld/%s", (long long)priv, type ? type : "tcp");
	}
	fclose(f);
	return buf;
}

static char *names_string(json_t *names, bool trunc)
{
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&buf, &len);
	json_t *n;
	bool first = true;

	if (!f)
		return NULL;
	json_array_foreach(names, i, n) {
		const char *s = json_string_value(n);
		if (!s)
			continue;
		if (trunc && strchr(s + 1, '/'))
			continue;
		fprintf(f, "%s%s", first ? "" : ",", s[0] == '/' ? s + 1 : s);
		first = false;
	}
	fclose(f);
	return buf;
}

static char *labels_string(json_t *labels)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *k;
	json_t *v;
	bool first = true;

	if (!f)
		return NULL;
	json_object_foreach(labels, k, v) {
		fprintf(f, "%s%s=%s", first ? "" : ",", k, json_string_value(v) ? json_string_value(v) : "");
		first = false;
	}
	fclose(f);
	return buf;
}

static json_t *ps_row(json_t *s, bool trunc, int64_t now)
{
	const char *id = json_string_value(json_object_get(s, "Id"));
	const char *image = json_string_value(json_object_get(s, "Image"));
	const char *command = json_string_value(json_object_get(s, "Command"));
	json_int_t created = json_integer_value(json_object_get(s, "Created"));
	json_int_t srw = json_integer_value(json_object_get(s, "SizeRw"));
	json_int_t sroot = json_integer_value(json_object_get(s, "SizeRootFs"));
	_cleanup_free_ char *tid = cli_trunc_id(id ? id : "", trunc);
	_cleanup_free_ char *timg = NULL, *cmd = NULL, *q = NULL, *ports = NULL, *names = NULL, *labels = NULL;
	char at[64], since[HUMAN_BUF], b1[HUMAN_BUF], b2[HUMAN_BUF], size[2 * HUMAN_BUF + 16];
	size_t i;
	json_t *m, *nets;
	const char *k;

	image = image ? image : "";
	timg = trunc && !strncmp(image, "sha256:", 7) ? cli_trunc_id(image, true) : strdup(image);
	if (trunc && strchr(timg, '@') && strncmp(image, "sha256:", 7))
		*strchr(timg, '@') = 0;
	cmd = trunc ? cli_ellipsis(command ? command : "", 20) : strdup(command ? command : "");
	q = go_quote(cmd);
	ports = ports_string(json_object_get(s, "Ports"));
	names = names_string(json_object_get(s, "Names"), trunc);
	labels = labels_string(json_object_get(s, "Labels"));
	cli_time_string(created, at, sizeof(at));
	human_size((double)srw, b1);
	if (sroot > 0)
		snprintf(size, sizeof(size), "%s (virtual %s)", b1, human_size((double)sroot, b2));
	else
		snprintf(size, sizeof(size), "%s", b1);

	json_t *mounts = json_array(), *networks = json_array();
	json_array_foreach(json_object_get(s, "Mounts"), i, m) {
		const char *n = json_string_value(json_object_get(m, "Name"));
		if (!n || !*n)
			n = json_string_value(json_object_get(m, "Source"));
		json_array_append_new(mounts, json_string(n ? n : ""));
	}
	nets = json_object_get(json_object_get(s, "NetworkSettings"), "Networks");
	json_object_foreach(nets, k, m)
		json_array_append_new(networks, json_string(k));
	_cleanup_free_ char *mstr = NULL, *nstr = NULL;
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		json_array_foreach(mounts, i, m)
			fprintf(f, "%s%s", i ? "," : "", json_string_value(m));
		fclose(f);
		mstr = buf;
		buf = NULL, len = 0;
		f = open_memstream(&buf, &len);
		json_array_foreach(networks, i, m)
			fprintf(f, "%s%s", i ? "," : "", json_string_value(m));
		fclose(f);
		nstr = buf;
	}
	json_decref(mounts);
	json_decref(networks);
	const char *state = json_string_value(json_object_get(s, "State"));
	const char *status = json_string_value(json_object_get(s, "Status"));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Command",
			 q ? q : "", "CreatedAt", at, "ID", tid ? tid : "", "Image", timg ? timg : "", "Labels",
			 labels ? labels : "", "LocalVolumes", "0", "Mounts", mstr ? mstr : "", "Names",
			 names ? names : "", "Networks", nstr ? nstr : "", "Ports", ports ? ports : "", "RunningFor",
			 human_since(created, now, since), "Size", size, "State", state ? state : "", "Status",
			 status ? status : "");
}

int cmd_ps(struct cli *c, const struct cli_args *a)
{
	const char *format = cli_flag_str(a, "format");
	bool trunc = !cli_flag_bool(a, "no-trunc"), size = cli_flag_bool(a, "size");
	size_t nf;
	const char **f = cli_flag_list(a, "filter", &nf);
	json_t *filters = filters_json(f, nf), *list = NULL, *s;
	const char *last = cli_flag_str(a, "last");
	struct fmt_ctx fc;
	struct query q;
	size_t i;
	int r = 0;

	if (cli_flag_bool(a, "quiet") && (!*format || !strncmp(format, "table", 5)))
		format = "{{.ID}}";
	if (strstr(format, ".Size"))
		size = true;
	query_init(&q, "/containers/json");
	if (cli_flag_bool(a, "all") || cli_flag_bool(a, "latest") || (*last && strcmp(last, "-1")))
		query_add(&q, "all", "1");
	if (cli_flag_bool(a, "latest"))
		query_add(&q, "limit", "1");
	else if (*last && strcmp(last, "-1"))
		query_add(&q, "limit", last);
	if (size)
		query_add(&q, "size", "1");
	query_add_filters(&q, filters);
	json_decref(filters);
	_cleanup_free_ char *target = query_finish(&q);
	if (fmt_begin(&fc, format, size && !*format ? PS_TABLE "\t{{.Size}}" : PS_TABLE, ps_header(),
		      "*formatter.ContainerContext", true) < 0)
		return 1;
	if (cli_get_json(c, target, &list) < 0) {
		fmt_release(&fc);
		return 1;
	}
	int64_t now = time(NULL);
	json_array_foreach(list, i, s) {
		json_t *row = ps_row(s, trunc, now);
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
