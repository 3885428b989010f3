/* router.h - berthd's route table machinery and API version handling.
 *
 * A route is method + pattern + handler. Patterns are paths whose segments
 * are literals, "{name}" (one segment) or "{name:.*}" (greedy: one or more
 * segments, so image names with '/' and ':' fit, as in
 * "/images/{name:.*}/json"). The first matching route wins.
 *
 * Every route answers both unversioned ("/images/json": the newest version)
 * and versioned ("/v1.44/images/json") paths; versions outside
 * API_MIN_VERSION..API_MAX_VERSION get moby's 400 texts. Versions are
 * compared numerically per component and kept as major*1000+minor.
 *
 * Handlers return 0 once they have responded, or a negative errno with err
 * set before they have sent anything; the router then answers with the
 * status for the error's kind (it is the only place kinds become HTTP
 * statuses). A handler that has begun a stream reports later errors inside
 * the stream and returns 0. */
#ifndef BERTH_DAEMON_ROUTER_H
#define BERTH_DAEMON_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define API_VERSION "1.44"
#define API_MIN_VERSION "1.24"
#define API_V(major, minor) ((major) * 1000u + (minor))
#define API_MAX_V API_V(1, 44)
#define API_MIN_V API_V(1, 24)

struct api_call;
typedef int (*route_fn)(struct api_call *c, struct berr *err);

struct route {
	const char *method;
	const char *pattern;
	route_fn fn;
};

#define ROUTE_MAX_PARAMS 4
struct route_param {
	char key[32];
	char *value;
};
struct route_match {
	const struct route *route;
	size_t n_params;
	struct route_param params[ROUTE_MAX_PARAMS];
};

/* "1.44" -> API_V(1, 44). -EINVAL when s is not digits and dots. */
int router_parse_version(const char *s, size_t len, unsigned *ret);

/* Split a request path into its API version and the rest: "/v1.40/info" ->
 * API_V(1,40) and "/info"; an unversioned path gives API_MAX_V and itself.
 * ret_text gets the version as written (empty when unversioned). */
void router_split_version(const char *path, unsigned *ret_version, const char **ret_rest, char ret_text[static 16]);

/* 0 when version is served; otherwise -EINVAL with moby's message in err. */
int router_check_version(unsigned version, const char *text, struct berr *err);

/* Find the route for method and (unversioned) path in tab; params are
 * malloc'ed in ret (route_match_release frees them). */
bool router_match(const struct route *tab, size_t n, const char *method, const char *path, struct route_match *ret);
void route_match_release(struct route_match *m);

/* The httpd callback: userdata is the struct daemon. */
struct http_req;
void router_dispatch(struct http_req *r, void *userdata);

#endif
