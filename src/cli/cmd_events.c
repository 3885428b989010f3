/* cmd_events.c - `berth events`: GET /events?since=&until=&filters=, one
 * line per event as docker prints it, or the --format template. */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

/* Go's time.ParseDuration for the common forms ("10m", "1h30m", "1.5h"). */
static bool parse_duration(const char *s, double *ret_secs)
{
	static const struct { const char *unit; double secs; } units[] = {
		{ "ns", 1e-9 }, { "us", 1e-6 }, { "µs", 1e-6 }, { "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
	};
	double total = 0;
	bool neg = *s == '-';

	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	while (*s) {
		char *end;
		double v = strtod(s, &end);
		size_t best = 0, best_len = 0;
		if (end == s || *s == '.' || !isdigit((unsigned char)*s))
			return false;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);
			if (!strncmp(end, units[i].unit, l) && l > best_len)
				best = i, best_len = l;
		}
		if (!best_len)
			return false;
		total += v * units[best].secs;
		s = end + best_len;
	}
	*ret_secs = neg ? -total : total;
	return true;
}

/* docker's timetypes.GetTimestamp: durations relative to now, RFC 3339
 * dates and times, or unix seconds passed through. */
static int timestamp(const char *v, char *buf, size_t n)
{
	static const char *const layouts[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	double secs;
	struct tm tm;

	if (strcmp(v, "0") && parse_duration(v, &secs)) {
		snprintf(buf, n, "%lld", (long long)(time(NULL) - (time_t)secs));
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++) {
		memset(&tm, 0, sizeof(tm));
		const char *end = strptime(v, layouts[i], &tm);
		if (!end)
			continue;
		long nanos = 0;
		if (*end == '.') {
			char *e;
			double frac = strtod(end, &e);
			nanos = (long)(frac * 1e9 + 0.5);
			end = e;
		}
		time_t t;
		if (*end == 'Z' && !end[1]) {
			t = timegm(&tm);
		} else if (!*end) {
			tm.tm_isdst = -1;
			t = mktime(&tm);
		} else {
			int sign = *end == '-' ? -1 : 1, hh, mm;
			if ((*end != '+' && *end != '-') || sscanf(end + 1, "%d:%d", &hh, &mm) != 2)
				continue;
			t = timegm(&tm) - sign * (hh * 3600 + mm * 60);
		}
		snprintf(buf, n, "%lld.%09ld", (long long)t, nanos);
		return 0;
	}
	char *end;
	strtod(v, &end);
	if (*v && !*end) {
		snprintf(buf, n, "%s", v);
		return 0;
	}
	return -EINVAL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "2024-01-01T00:00:00.000000000Z image tag sha256:... (name=busybox:latest)" */
static void print_event(json_t *e, FILE *out)
{
	json_int_t nano = json_integer_value(json_object_get(e, "timeNano"));
	json_int_t secs = json_integer_value(json_object_get(e, "time"));
	json_t *actor = json_object_get(e, "Actor"), *attrs = json_object_get(actor, "Attributes");
	const char *type = json_string_value(json_object_get(e, "Type"));
	const char *action = json_string_value(json_object_get(e, "Action"));
	const char *id = json_string_value(json_object_get(actor, "ID"));
	char ts[80];

	if (nano || secs) {
		cli_time_rfc3339(nano ? nano / 1000000000 : secs, nano ? (long)(nano % 1000000000) : 0, true, ts,
				 sizeof(ts));
		fprintf(out, "%s ", ts);
	}
	fprintf(out, "%s %s %s", type ? type : "", action ? action : "", id ? id : "");
	size_t n = json_object_size(attrs), i = 0;
	if (n) {
		const char **keys = calloc(n, sizeof(*keys));
		const char *k;
		json_t *v;
		if (!keys)
			abort();
		json_object_foreach(attrs, k, v)
			keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_str);
		fputs(" (", out);
		for (i = 0; i < n; i++)
			fprintf(out, "%s%s=%s", i ? ", " : "", keys[i],
				json_string_value(json_object_get(attrs, keys[i])) ?: "");
		fputc(')', out);
		free(keys);
	}
	fputc('\n', out);
}

static char *events_target(const struct cli_args *a, int *ret_bad)
{
	size_t n;
	const char **f = cli_flag_list(a, "filter", &n);
	json_t *filters = filters_json(f, n);
	const char *names[] = { "since", "until" };
	struct query q;

	*ret_bad = -1;
	query_init(&q, "/events");
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *v = cli_flag_str(a, names[i]);
		char ts[64];
		if (!*v)
			continue;
		if (timestamp(v, ts, sizeof(ts)) < 0)
			*ret_bad = (int)i;
		query_add(&q, names[i], ts);
	}
	query_add_filters(&q, filters);
	json_decref(filters);
	return query_finish(&q);
}

struct line_ctx {
	const char *format;
};

static int on_line(const char *line, size_t n, const struct line_ctx *lc)
{
	json_error_t je;
	json_t *e;
	int r = 0;

	while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
		n--;
	if (!n)
		return 0;
	e = json_loadb(line, n, 0, &je);
	if (!e)
		return cli_fail("berth: bad event from the daemon: %s", je.text), -EBADMSG;
	if (*lc->format)
		r = fmt_template_line(lc->format, e, "", stdout);
	else
		print_event(e, stdout);
	fflush(stdout);
	json_decref(e);
	return r;
}

static int stream_lines(struct hclient_resp *resp, const struct line_ctx *lc)
{
	char buf[65536];
	size_t len = 0;
	int r = 0;

	for (;;) {
		if (len == sizeof(buf))
			return cli_fail("berth: event too large"), -E2BIG;
		ssize_t got = hclient_resp_read(resp, buf + len, sizeof(buf) - len);
		if (got <= 0)
			break;
		len += (size_t)got;
		size_t start = 0;
		char *nl;
		while (r >= 0 && (nl = memchr(buf + start, '\n', len - start))) {
			r = on_line(buf + start, (size_t)(nl - buf) - start, lc);
			start = (size_t)(nl - buf) + 1;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		if (r < 0)
			return r;
	}
	return len ? on_line(buf, len, lc) : 0;
}

int cmd_events(struct cli *c, const struct cli_args *a)
{
	int bad;
	_cleanup_free_ char *target = events_target(a, &bad);
	struct line_ctx lc = { .format = cli_flag_str(a, "format") };
	struct hclient_resp *resp;
	int r;

	if (bad >= 0)
		return cli_fail("failed to parse value as time or duration: \"%s\"",
				cli_flag_str(a, bad ? "until" : "since"));
	struct cli_request req = { .method = "GET", .target = target, .body_fd = -1 };
	if (cli_call(c, &req, &resp) < 0)
		return 1;
	r = stream_lines(resp, &lc);
	hclient_resp_free(resp);
	return r < 0 ? 1 : 0;
}
