/* query.c - query strings and docker's filters JSON (map of sets). */
#include <ctype.h>
#include <string.h>

#include "cli/cli.h"
#include "common/http.h"

void query_init(struct query *q, const char *path)
{
	q->buf = NULL;
	q->len = 0;
	q->f = open_memstream(&q->buf, &q->len);
	if (!q->f)
		abort();
	fputs(path, q->f);
}

void query_add(struct query *q, const char *key, const char *value)
{
	_cleanup_free_ char *k = http_escape(key), *v = http_escape(value);

	fflush(q->f);
	fputc(strchr(q->buf, '?') ? '&' : '?', q->f);
	fprintf(q->f, "%s=%s", k ? k : "", v ? v : "");
}

char *query_finish(struct query *q)
{
	fclose(q->f);
	q->f = NULL;
	return q->buf;
}

int filters_add(json_t *filters, const char *name, const char *value)
{
	json_t *set = json_object_get(filters, name);

	if (!set) {
		set = json_object();
		json_object_set_new(filters, name, set);
	}
	return json_object_set_new(set, value, json_true());
}

json_t *filters_json(const char *const *filters, size_t n)
{
	json_t *j = json_object();

	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(filters[i], '=');
		_cleanup_free_ char *name = strndup(filters[i], eq ? (size_t)(eq - filters[i]) : strlen(filters[i]));
		/* docker lower-cases and trims the name, keeps the value as typed */
		for (char *p = name; p && *p; p++)
			*p = (char)tolower((unsigned char)*p);
		if (name)
			filters_add(j, name, eq ? eq + 1 : "");
	}
	return j;
}

void query_add_filters(struct query *q, json_t *filters)
{
	if (!filters || !json_object_size(filters))
		return;
	_cleanup_free_ char *s = json_dumps(filters, JSON_COMPACT);
	if (s)
		query_add(q, "filters", s);
}
