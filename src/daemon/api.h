/* api.h - what the Engine API handlers share: the per-request call
 * context, the route tables of each handler file, and small helpers for
 * the shapes Docker's JSON uses (times, familiar references, filters).
 *
 * Handlers run on the server's worker threads, one per request, as
 * blocking code; they touch shared state only through thread-safe objects
 * (the image store, the event bus). */
#ifndef BERTH_DAEMON_API_H
#define BERTH_DAEMON_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "common/http.h"
#include "daemon/router.h"

struct http_req;
struct daemon;

struct api_call {
	struct http_req *req;
	struct daemon *d;
	unsigned version; /* negotiated API version, API_V(major, minor) */
	const struct http_query *q;
};

static inline bool api_before(const struct api_call *c, unsigned major, unsigned minor)
{
	return c->version < API_V(major, minor);
}

extern const struct route api_system_routes[];
extern const size_t api_system_n_routes;
extern const struct route api_images_routes[];
extern const size_t api_images_n_routes;
extern const struct route api_containers_routes[];
extern const size_t api_containers_n_routes;
/* Every container as GET /containers/json?all=1 lists it, with SizeRw and
 * SizeRootFs (system df). */
json_t *api_containers_summaries(struct api_call *c);

/* Go's RFC 3339 with nanoseconds, trailing zeros trimmed
 * ("2026-11-28T00:55:53.702661253Z"); 0 gives "0001-01-01T00:00:00Z". */
void api_time_rfc3339(int64_t unix_ns, char buf[static 40]);
/* "busybox:latest" for "docker.io/library/busybox:latest"; a copy of s when
 * it does not parse. NULL only on OOM. */
char *api_familiar(const char *full_ref);
struct image;
/* An image as GET /images/json lists it (moby's image summary); shared
 * computes SharedSize (system df), else it is -1. NULL on OOM. */
json_t *api_image_summary(struct api_call *c, const struct image *im, bool shared);
/* Whether an image is listed by default: tagged, or untagged without
 * children (intermediate build images are hidden unless all=1). */
bool api_image_is_intermediate(struct image *const *all, size_t n, const struct image *im);

/* Send a JSON value (a reply body) with status 200 and steal it. */
int api_reply_json(struct api_call *c, int status, json_t *body);

#endif
