/* cmd_inspect.c - `berth inspect` and `berth image inspect`.
 *
 * Without --format the daemon's objects are printed as docker does: a JSON
 * array re-indented with four spaces from the raw bytes (so escapes and
 * key order stay exactly as the daemon wrote them). */
#include <string.h>

#include "cli/cli.h"
#include "common/http.h"

/* encoding/json's Indent(prefix "", indent "    ") over raw JSON text. */
static void indent_json(const char *s, size_t n, FILE *out)
{
	int depth = 0;
	bool in_str = false, need_indent = false;

	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (in_str) {
			fputc(ch, out);
			if (ch == '\\' && i + 1 < n)
				fputc(s[++i], out);
			else if (ch == '"')
				in_str = false;
			continue;
		}
		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
			continue;
		if (need_indent && ch != ']' && ch != '}') {
			fprintf(out, "\n%*s", depth * 4, "");
			need_indent = false;
		}
		if (need_indent) { /* empty [] or {} stays on one line */
			need_indent = false;
			depth--;
			fputc(ch, out);
			continue;
		}
		switch (ch) {
		case '"':
			in_str = true;
			fputc(ch, out);
			break;
		case '{':
		case '[':
			fputc(ch, out);
			need_indent = true;
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			fprintf(out, "\n%*s%c", depth * 4, "", ch);
			break;
		case ',':
			fprintf(out, ",\n%*s", depth * 4, "");
			break;
		case ':':
			fputs(": ", out);
			break;
		default:
			fputc(ch, out);
		}
	}
}

/* GET <kind>/<name>/json; 1 with *ret_body set, 0 for not found, <0 on
 * other errors (printed). */
static int fetch(struct cli *c, const char *kind, const char *name, char **ret_body, size_t *ret_len,
		 bool report_404)
{
	_cleanup_free_ char *target = NULL;
	struct cli_request q = { .method = "GET", .body_fd = -1 };
	struct hclient_resp *resp;
	int r;

	if (asprintf(&target, "/%s/%s/json", kind, name) < 0)
		return -ENOMEM;
	q.target = target;
	r = cli_call_raw(c, &q, &resp);
	if (r < 0)
		return r;
	int status = hclient_resp_status(resp);
	if (status == 404 && !report_404) {
		hclient_resp_free(resp);
		return 0;
	}
	if (status >= 400) {
		r = cli_daemon_error(resp);
		hclient_resp_free(resp);
		return r;
	}
	r = hclient_resp_read_all(resp, ret_body, ret_len);
	hclient_resp_free(resp);
	return r < 0 ? r : 1;
}

struct inspect_out {
	const char *format;
	FILE *raw; /* collected elements for the indented array */
	char *buf;
	size_t len, count;
};

static int emit(struct inspect_out *o, const char *body, size_t len)
{
	if (*o->format) {
		json_error_t je;
		json_t *v = json_loadb(body, len, JSON_DECODE_ANY, &je);
		if (!v)
			return cli_fail("berth: the daemon's reply is not JSON: %s", je.text), -EINVAL;
		int r = fmt_template_line(o->format, v, "", stdout);
		json_decref(v);
		return r;
	}
	fputs(o->count++ ? "," : "", o->raw);
	fwrite(body, 1, len, o->raw);
	return 0;
}

static int inspect_all(struct cli *c, const struct cli_args *a, const char *const *kinds, size_t nkinds,
		       bool generic)
{
	struct inspect_out o = { .format = cli_flag_str(a, "format") };
	int status = 0;

	o.raw = open_memstream(&o.buf, &o.len);
	if (!o.raw)
		return 1;
	fputc('[', o.raw);
	for (int i = 0; i < a->argc; i++) {
		_cleanup_free_ char *body = NULL;
		size_t len = 0;
		int r = 0;
		for (size_t k = 0; k < nkinds && r == 0; k++)
			r = fetch(c, kinds[k], a->argv[i], &body, &len, !generic);
		if (r == 0 && generic)
			fprintf(stderr, "Error: No such object: %s\n", a->argv[i]);
		if (r > 0 && emit(&o, body, len) < 0)
			r = -EINVAL;
		if (r <= 0)
			status = 1;
		if (r == -ECONNREFUSED || (r < 0 && !c->hc))
			break;
	}
	fputc(']', o.raw);
	fclose(o.raw);
	if (!*o.format) { /* docker prints the array even when some failed */
		indent_json(o.buf, o.len, stdout);
		fputc('\n', stdout);
	}
	free(o.buf);
	return status;
}

int cmd_inspect(struct cli *c, const struct cli_args *a)
{
	static const char *const all[] = { "containers", "images", "networks", "volumes" };
	const char *type = cli_flag_str(a, "type");

	if (!*type)
		return inspect_all(c, a, all, ARRAY_SIZE(all), true);
	if (!strcmp(type, "image"))
		return inspect_all(c, a, all + 1, 1, false);
	if (!strcmp(type, "container"))
		return inspect_all(c, a, all, 1, false);
	if (!strcmp(type, "network"))
		return inspect_all(c, a, all + 2, 1, false);
	if (!strcmp(type, "volume"))
		return inspect_all(c, a, all + 3, 1, false);
	return cli_fail("\"%s\" is not a valid value for --type", type);
}

int cmd_image_inspect(struct cli *c, const struct cli_args *a)
{
	static const char *const images[] = { "images" };
	return inspect_all(c, a, images, 1, false);
}
