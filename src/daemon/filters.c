/* filters.c - see filters.h. */
#include "filters.h"

#include <ctype.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "common/json.h"

static struct api_filter *find(const struct api_filters *f, const char *key)
{
	for (size_t i = 0; i < f->n; i++)
		if (streq(f->v[i].key, key))
			return &f->v[i];
	return NULL;
}

static int add_value(struct api_filters *f, const char *key, const char *value)
{
	struct api_filter *e = find(f, key);
	if (!e) {
		struct api_filter *nv = realloc(f->v, (f->n + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		f->v = nv;
		e = &f->v[f->n];
		*e = (struct api_filter){ .key = strdup(key), .values = calloc(1, sizeof(char *)) };
		if (!e->key || !e->values) {
			free(e->key);
			free(e->values);
			return -ENOMEM;
		}
		f->n++;
	}
	return value ? strv_push(&e->values, value) : 0;
}

static int bad_filters(struct berr *err, const char *why)
{
	return berr_set(err, BERR_INVALID, 0, "invalid filters: %s", why);
}

static int parse_one(struct api_filters *f, const char *key, json_t *v, struct berr *err)
{
	const char *k;
	size_t i;
	json_t *e;
	if (add_value(f, key, NULL) < 0)
		return -ENOMEM;
	if (json_is_object(v)) { /* map of sets: {"value": true} */
		json_object_foreach (v, k, e)
			if (add_value(f, key, k) < 0)
				return -ENOMEM;
		return 0;
	}
	if (!json_is_array(v))
		return bad_filters(err, "each filter must be an object or a list of strings");
	json_array_foreach (v, i, e) {
		if (!json_is_string(e))
			return bad_filters(err, "filter values must be strings");
		if (add_value(f, key, json_string_value(e)) < 0)
			return -ENOMEM;
	}
	return 0;
}

int api_filters_parse(const char *text, struct api_filters *ret, struct berr *err)
{
	struct api_filters f = { 0 };
	if (!text || !*text) {
		*ret = f;
		return 0;
	}
	json_error_t je;
	_cleanup_json_ json_t *root = json_loads(text, 0, &je);
	if (!root)
		return berr_set(err, BERR_INVALID, 0, "invalid filters: %s (at column %d)", je.text, je.column);
	if (!json_is_object(root))
		return bad_filters(err, "expected a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach (root, key, v) {
		int r = parse_one(&f, key, v, err);
		if (r < 0) {
			api_filters_release(&f);
			return r == -ENOMEM ? berr_set(err, BERR_INTERNAL, ENOMEM, "parsing filters") : r;
		}
	}
	*ret = f;
	return 0;
}

void api_filters_release(struct api_filters *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].key);
		strv_free(f->v[i].values);
	}
	free(f->v);
	*f = (struct api_filters){ 0 };
}

int api_filters_validate(const struct api_filters *f, const char *const *allowed, struct berr *err)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strv_contains((char *const *)allowed, f->v[i].key))
			return berr_set(err, BERR_INVALID, 0, "invalid filter '%s'", f->v[i].key);
	return 0;
}

char *const *api_filters_get(const struct api_filters *f, const char *key)
{
	struct api_filter *e = find(f, key);
	return e ? e->values : NULL;
}

bool api_filters_match_exact(const struct api_filters *f, const char *key, const char *v)
{
	char *const *vals = api_filters_get(f, key);
	return !vals || !vals[0] || (v && strv_contains(vals, v));
}

int api_filters_bool(const struct api_filters *f, const char *key, int *ret, struct berr *err)
{
	char *const *vals = api_filters_get(f, key);
	*ret = -1;
	for (size_t i = 0; vals && vals[i]; i++) {
		const char *v = vals[i];
		if (strcasecmp(v, "true") == 0 || streq(v, "1"))
			*ret = 1;
		else if (strcasecmp(v, "false") == 0 || streq(v, "0"))
			*ret = 0;
		else
			return berr_set(err, BERR_INVALID, 0, "invalid filter '%s=%s'", key, v);
	}
	return 0;
}

static bool label_ok(const json_t *labels, const char *want)
{
	const char *eq = strchr(want, '=');
	if (!eq)
		return json_object_get(labels, want) != NULL;
	_cleanup_free_ char *k = strndup(want, (size_t)(eq - want));
	json_t *v = k ? json_object_get(labels, k) : NULL;
	return json_is_string(v) && streq(json_string_value(v), eq + 1);
}

bool api_filters_match_labels(const struct api_filters *f, const char *key, const json_t *labels)
{
	char *const *vals = api_filters_get(f, key);
	for (size_t i = 0; vals && vals[i]; i++)
		if (!label_ok(labels, vals[i]))
			return false;
	return true;
}

/* ---- times ---- */

/* secs seconds plus nanos as nanoseconds; -ERANGE past what int64 holds
 * (about the year 2262), so absurd dates are refused, not wrapped. */
static int to_ns(int64_t secs, int64_t nanos, int64_t *ret_ns)
{
	int64_t ns;
	if (__builtin_mul_overflow(secs, (int64_t)1000000000, &ns) || __builtin_add_overflow(ns, nanos, &ns))
		return -ERANGE;
	*ret_ns = ns;
	return 0;
}

/* Go's time.ParseDuration: [-]{number unit}+, units ns us µs ms s m h. */
static int parse_go_duration(const char *s, int64_t *ret_ns)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
	};
	double total = 0;
	bool neg = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return -EINVAL;
	if (streq(s, "0")) {
		*ret_ns = 0;
		return 0;
	}
	while (*s) {
		char *end;
		if (!isdigit((unsigned char)*s) && *s != '.')
			return -EINVAL;
		double n = strtod(s, &end);
		if (end == s)
			return -EINVAL;
		size_t best = 0, bi = 0;
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			size_t l = strlen(units[i].unit);
			if (strncmp(end, units[i].unit, l) == 0 && l > best)
				best = l, bi = i;
		}
		if (!best)
			return -EINVAL;
		total += n * units[bi].ns;
		s = end + best;
	}
	/* Like Go: a duration is an int64 of nanoseconds (±292 years). */
	if (!(total < 9.2e18))
		return -ERANGE;
	*ret_ns = (int64_t)(neg ? -total : total);
	return 0;
}

/* "1700000000" or "1700000000.5" (moby: the fraction is nanoseconds, padded). */
static int parse_unix(const char *s, int64_t *ret_ns)
{
	const char *dot = strchr(s, '.');
	_cleanup_free_ char *sec = strndup(s, dot ? (size_t)(dot - s) : strlen(s));
	int64_t secs, nanos = 0;
	if (!sec || safe_atoi64(sec, &secs) < 0)
		return -EINVAL;
	if (dot) {
		const char *f = dot + 1;
		size_t n = strlen(f);
		if (n == 0 || n > 9 || strspn(f, "0123456789") != n)
			return -EINVAL;
		for (size_t i = 0; i < 9; i++)
			nanos = nanos * 10 + (i < n ? f[i] - '0' : 0);
	}
	return to_ns(secs, secs < 0 ? -nanos : nanos, ret_ns);
}

/* Fraction and zone after the seconds of an RFC 3339 time. */
static int parse_frac_zone(const char *p, int64_t *nanos, int64_t *offset_s)
{
	*nanos = 0;
	*offset_s = 0;
	if (*p == '.') {
		size_t i = 0;
		for (p++; isdigit((unsigned char)*p); p++, i++)
			if (i < 9)
				*nanos = *nanos * 10 + (*p - '0');
		for (; i < 9; i++)
			*nanos *= 10;
	}
	if (!*p || streq(p, "Z") || streq(p, "z"))
		return 0;
	int hh, mm;
	char sign;
	if (sscanf(p, "%c%2d:%2d", &sign, &hh, &mm) != 3 || (sign != '+' && sign != '-') || strlen(p) != 6)
		return -EINVAL;
	*offset_s = (sign == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
	return 0;
}

static int parse_rfc3339(const char *s, int64_t *ret_ns)
{
	struct tm tm = { 0 };
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	int64_t nanos = 0, off = 0;
	if (!p) {
		memset(&tm, 0, sizeof(tm));
		p = strptime(s, "%Y-%m-%d", &tm);
		if (!p || *p)
			return -EINVAL;
	} else if (parse_frac_zone(p, &nanos, &off) < 0) {
		return -EINVAL;
	}
	int64_t secs = (int64_t)timegm(&tm) - off;
	return to_ns(secs, nanos, ret_ns);
}

int api_parse_time(const char *s, int64_t now_ns, int64_t *ret_ns, struct berr *err)
{
	int64_t d;
	/* A plain number is a unix time, never a duration (Go needs a unit). */
	if (s && *s && strpbrk(s, "hmsnuµ") && parse_go_duration(s, &d) == 0 &&
	    !__builtin_sub_overflow(now_ns, d, ret_ns))
		return 0;
	if (s && *s && (parse_unix(s, ret_ns) == 0 || parse_rfc3339(s, ret_ns) == 0))
		return 0;
	return berr_set(err, BERR_INVALID, 0, "failed to parse value as time or duration: \"%s\"", s ? s : "");
}
