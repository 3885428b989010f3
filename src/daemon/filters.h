/* filters.h - the `filters` query parameter of Engine API list endpoints.
 *
 * Both of moby's JSON encodings are accepted: map-of-sets
 * {"label":{"a=b":true}} (docker CLI) and the legacy map-of-lists
 * {"label":["a=b"]} (docker-py 5). Each key gets the list of its values in
 * the order given. Keys an endpoint does not know are refused with moby's
 * "invalid filter 'x'". */
#ifndef BERTH_DAEMON_FILTERS_H
#define BERTH_DAEMON_FILTERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

struct api_filter {
	char *key;
	char **values; /* NULL-terminated, never NULL */
};

struct api_filters {
	struct api_filter *v;
	size_t n;
};

/* text NULL or empty gives no filters. */
int api_filters_parse(const char *text, struct api_filters *ret, struct berr *err);
void api_filters_release(struct api_filters *f);

/* allowed: NULL-terminated list of key names. */
int api_filters_validate(const struct api_filters *f, const char *const *allowed, struct berr *err);
/* The values of key, or NULL when the key is absent. */
char *const *api_filters_get(const struct api_filters *f, const char *key);
/* Whether some value of key equals v (true when key is absent). */
bool api_filters_match_exact(const struct api_filters *f, const char *key, const char *v);
/* A boolean filter ("dangling"): -1 absent, 0 or 1; "invalid filter 'k=v'"
 * for values other than true/false/1/0. */
int api_filters_bool(const struct api_filters *f, const char *key, int *ret, struct berr *err);
/* moby's MatchKVList: every value of key ("k" or "k=v") must be satisfied
 * by labels (a JSON object of strings; NULL = none). True when key is absent. */
bool api_filters_match_labels(const struct api_filters *f, const char *key, const json_t *labels);

/* A time as the API takes it (since/until): unix seconds with optional
 * .nanoseconds, RFC 3339 (date-only and without zone are UTC), or a Go
 * duration ("10m", "1h30m") meaning that long before now_ns. */
int api_parse_time(const char *s, int64_t now_ns, int64_t *ret_ns, struct berr *err);

#endif
