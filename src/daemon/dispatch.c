/* dispatch.c - the httpd callback: find the route, check the API version,
 * run the handler and turn its error into the reply (router.h). Kept apart
 * from router.c so the matching logic links without the server. */
#include <string.h>

#include "base/util.h"
#include "daemon/api.h"
#include "daemon/dlog.h"
#include "daemon/httpd.h"
#include "daemon/router.h"

static bool find_route(const char *method, const char *path, struct route_match *ret)
{
	return router_match(api_system_routes, api_system_n_routes, method, path, ret) ||
	       router_match(api_images_routes, api_images_n_routes, method, path, ret) ||
	       router_match(api_containers_routes, api_containers_n_routes, method, path, ret);
}

static int run_route(struct http_req *r, struct route_match *m, unsigned version, void *daemon,
		     struct berr *err)
{
	for (size_t i = 0; i < m->n_params; i++)
		if (http_req_set_param(r, m->params[i].key, m->params[i].value) < 0)
			return berr_set(err, BERR_INTERNAL, ENOMEM, "routing");
	struct api_call c = { .req = r, .d = daemon, .version = version, .q = http_req_query(r) };
	http_req_set_data(r, &c);
	int ret = m->route->fn(&c, err);
	http_req_set_data(r, NULL);
	if (ret < 0 && !berr_isset(err))
		berr_set(err, berr_kind_from_errno(-ret), -ret, "%s %s", http_req_method(r), http_req_path(r));
	return ret;
}

void router_dispatch(struct http_req *r, void *userdata)
{
	const char *method = http_req_method(r), *full = http_req_path(r), *path;
	_cleanup_berr_ struct berr err = { 0 };
	unsigned version;
	char vtext[16];
	dlog_debug("%s %s", method, full);
	if (streq(method, "OPTIONS")) { /* CORS preflight: moby answers every path */
		http_resp_send(r, 200, NULL, NULL, 0);
		return;
	}
	router_split_version(full, &version, &path, vtext);
	_cleanup_(route_match_release) struct route_match m = { 0 };
	if (!find_route(method, path, &m)) {
		http_resp_errorf(r, 404, "page not found");
		return;
	}
	if (router_check_version(version, vtext, &err) < 0 || run_route(r, &m, version, userdata, &err) < 0) {
		dlog(err.kind == BERR_INTERNAL ? LOG_LVL_ERROR : LOG_LVL_DEBUG, "%s %s: %s", method, full, err.msg);
		http_resp_error(r, &err);
	}
}
