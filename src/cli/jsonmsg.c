/* jsonmsg.c - docker's JSON message stream display (jsonmessage.go):
 * "stream" text as is, "status" lines, progress lines keyed by "id"
 * redrawn in place on a terminal and skipped otherwise, "errorDetail"
 * ends the display as the command's error. */
#include <string.h>

#include "cli/cli.h"
#include "common/humanize.h"

struct ids {
	char **v;
	size_t n;
};

static size_t id_line(struct ids *ids, const char *id, bool *ret_new)
{
	for (size_t i = 0; i < ids->n; i++)
		if (!strcmp(ids->v[i], id))
			return *ret_new = false, i;
	ids->v = reallocarray(ids->v, ids->n + 1, sizeof(*ids->v));
	if (!ids->v)
		abort();
	ids->v[ids->n] = strdup(id);
	*ret_new = true;
	return ids->n++;
}

static void ids_clear(struct ids *ids)
{
	for (size_t i = 0; i < ids->n; i++)
		free(ids->v[i]);
	ids->n = 0;
}

static bool has_progress(json_t *m)
{
	json_t *p = json_object_get(m, "progressDetail");
	const char *bar = json_string_value(json_object_get(m, "progress"));
	return (bar && *bar) || (json_is_object(p) && json_object_size(p));
}

static void progress_text(json_t *m, char *buf, size_t n)
{
	const char *bar = json_string_value(json_object_get(m, "progress"));
	json_t *p = json_object_get(m, "progressDetail");
	char cur[HUMAN_BUF], tot[HUMAN_BUF];

	if (bar && *bar) {
		snprintf(buf, n, "%s", bar);
		return;
	}
	json_int_t c = json_integer_value(json_object_get(p, "current"));
	json_int_t t = json_integer_value(json_object_get(p, "total"));
	if (t > 0)
		snprintf(buf, n, "%s/%s", human_size_prec((double)c, 4, cur), human_size_prec((double)t, 4, tot));
	else
		snprintf(buf, n, "%s", human_size_prec((double)c, 4, cur));
}

static void display(json_t *m, FILE *out, bool terminal)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *status = json_string_value(json_object_get(m, "status"));
	const char *stream = json_string_value(json_object_get(m, "stream"));
	const char *from = json_string_value(json_object_get(m, "from"));
	bool progress = has_progress(m);
	const char *endl = "";

	if (terminal && !stream && progress) {
		fputs("\033[2K\r", out);
		endl = "\r";
	} else if (progress) {
		return; /* no progress bars off a terminal */
	}
	if (id && *id)
		fprintf(out, "%s: ", id);
	if (from && *from)
		fprintf(out, "(from %s) ", from);
	if (progress && terminal) {
		char text[256];
		progress_text(m, text, sizeof(text));
		fprintf(out, "%s %s%s", status ? status : "", text, endl);
	} else if (stream) {
		fprintf(out, "%s%s", stream, endl);
	} else {
		fprintf(out, "%s%s\n", status ? status : "", endl);
	}
}

static int handle(json_t *m, FILE *out, bool terminal, struct ids *ids)
{
	json_t *ed = json_object_get(m, "errorDetail");
	const char *id = json_string_value(json_object_get(m, "id"));
	size_t diff = 0;

	if (ed) {
		const char *msg = json_string_value(json_object_get(ed, "message"));
		if (!msg)
			msg = json_string_value(json_object_get(m, "error"));
		fprintf(stderr, "%s\n", msg ? msg : "unknown error");
		return -EIO;
	}
	if (id && *id && has_progress(m)) {
		bool is_new;
		size_t line = id_line(ids, id, &is_new);
		if (is_new && terminal)
			fputc('\n', out);
		diff = ids->n - line;
		if (terminal && diff)
			fprintf(out, "\033[%zuA", diff);
	} else {
		ids_clear(ids);
	}
	display(m, out, terminal);
	if (id && *id && terminal && diff)
		fprintf(out, "\033[%zuB", diff);
	fflush(out);
	return 0;
}

static int handle_line(const char *line, size_t n, FILE *out, bool terminal, struct ids *ids)
{
	json_error_t je;
	json_t *m;
	int r;

	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	if (!n)
		return 0;
	m = json_loadb(line, n, 0, &je);
	if (!m) {
		fprintf(stderr, "berth: bad message from the daemon: %s\n", je.text);
		return -EBADMSG;
	}
	r = handle(m, out, terminal, ids);
	json_decref(m);
	return r;
}

int jsonmsg_display(struct hclient_resp *resp, FILE *out, bool terminal)
{
	struct ids ids = { 0 };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int r = 0;

	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		ssize_t got = hclient_resp_read(resp, buf + len, cap - len);
		if (got <= 0) {
			if (got < 0) {
				fprintf(stderr, "berth: reading the daemon's reply: %s\n", strerror((int)-got));
				r = -EIO;
			}
			break;
		}
		len += (size_t)got;
		char *nl;
		size_t start = 0;
		while (r >= 0 && (nl = memchr(buf + start, '\n', len - start))) {
			r = handle_line(buf + start, (size_t)(nl - buf - start), out, terminal, &ids);
			start = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		if (r < 0)
			break;
	}
	if (r >= 0 && len)
		r = handle_line(buf, len, out, terminal, &ids);
	ids_clear(&ids);
	free(ids.v);
	free(buf);
	return r < 0 ? r : 0;
}
