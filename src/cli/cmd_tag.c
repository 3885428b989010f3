/* cmd_tag.c - `berth tag SRC TARGET`: POST /images/<src>/tag?repo=&tag=
 * with TARGET normalised ("me/bb:v1" -> repo=docker.io/me/bb&tag=v1). */
#include <string.h>

#include "cli/cli.h"
#include "common/ref.h"

int cmd_tag(struct cli *c, const struct cli_args *a)
{
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_free_ char *name = NULL, *target = NULL, *path = NULL;
	struct image_ref r;
	struct hclient_resp *resp;
	struct query q;

	if (ref_parse(a->argv[1], true, &r, &err) < 0)
		return cli_fail("%s", err.msg);
	if (r.digest) {
		ref_release(&r);
		return cli_fail("refusing to create a tag with a digest reference");
	}
	name = ref_name(&r);
	if (asprintf(&path, "/images/%s/tag", a->argv[0]) < 0)
		return 1;
	query_init(&q, path);
	query_add(&q, "repo", name ? name : "");
	query_add(&q, "tag", r.tag ? r.tag : "latest");
	ref_release(&r);
	target = query_finish(&q);
	struct cli_request req = { .method = "POST", .target = target, .body_fd = -1 };
	if (cli_call(c, &req, &resp) < 0)
		return 1;
	hclient_resp_free(resp);
	return 0;
}
