/* cmd_image_io.c - moving image tars: `import`, `save` and `load`.
 * Bodies stream from a file or stdin as chunked requests; save streams
 * the daemon's tar to a file (written beside it, then renamed) or stdout. */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "common/ref.h"

static bool is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

static char *import_target(const struct cli_args *a, const char *src)
{
	size_t n;
	const char **changes = cli_flag_list(a, "change", &n);
	const char *msg = cli_flag_str(a, "message");
	struct query q;

	query_init(&q, "/images/create");
	query_add(&q, "fromSrc", src);
	if (a->argc > 1)
		query_add(&q, "repo", a->argv[1]); /* as typed, like docker's client */
	if (*msg)
		query_add(&q, "message", msg);
	for (size_t i = 0; i < n; i++)
		query_add(&q, "changes", changes[i]);
	return query_finish(&q);
}

static int open_input(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
	return fd;
}

int cmd_import(struct cli *c, const struct cli_args *a)
{
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_free_ char *target = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *src = a->argv[0];
	struct hclient_resp *resp;

	if (a->argc > 1) { /* validate the name before sending the tar */
		struct image_ref r;
		if (ref_parse(a->argv[1], false, &r, &err) < 0)
			return cli_fail("%s", err.msg);
		ref_release(&r);
	}
	if (!strcmp(src, "-"))
		fd = dup(0);
	else if (!is_url(src) && (fd = open_input(src)) < 0)
		return 1;
	target = import_target(a, is_url(src) ? src : "-");
	struct cli_request req = {
		.method = "POST", .target = target, .body_fd = fd >= 0 ? fd : -1, .content_type = "text/plain",
	};
	if (cli_call(c, &req, &resp) < 0)
		return 1;
	int r = jsonmsg_display(resp, stdout, isatty(1));
	hclient_resp_free(resp);
	return r < 0 ? 1 : 0;
}

static int copy_body(struct hclient_resp *resp, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = hclient_resp_read(resp, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = RETRY_EINTR(write(out, buf + off, (size_t)(n - off)));
			if (w < 0)
				return neg_errno();
			off += w;
		}
	return n < 0 ? (int)n : 0;
}

static char *save_target(const struct cli_args *a)
{
	struct query q;

	query_init(&q, "/images/get");
	for (int i = 0; i < a->argc; i++)
		query_add(&q, "names", a->argv[i]);
	return query_finish(&q);
}

/* Docker writes -o files atomically: a temporary beside, then rename. */
static int save_to_file(struct hclient_resp *resp, const char *path)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (asprintf(&tmp, "%s.berth-tmp-%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return cli_fail("failed to save image: open %s: %s", tmp, strerror(errno)), -errno;
	r = copy_body(resp, fd);
	if (r >= 0 && fsync(fd) < 0)
		r = neg_errno();
	if (r >= 0 && rename(tmp, path) < 0)
		r = neg_errno();
	if (r < 0) {
		unlink(tmp);
		cli_fail("failed to save image: %s", strerror(-r));
	}
	return r;
}

int cmd_save(struct cli *c, const struct cli_args *a)
{
	_cleanup_free_ char *target = save_target(a);
	const char *output = cli_flag_str(a, "output");
	struct hclient_resp *resp;
	int r;

	if (!*output && isatty(1))
		return cli_fail("cowardly refusing to save to a terminal. Use the -o flag or redirect");
	struct cli_request req = { .method = "GET", .target = target, .body_fd = -1 };
	if (cli_call(c, &req, &resp) < 0)
		return 1;
	if (*output)
		r = save_to_file(resp, output);
	else if ((r = copy_body(resp, 1)) < 0)
		cli_fail("failed to save image: %s", strerror(-r));
	hclient_resp_free(resp);
	return r < 0 ? 1 : 0;
}

int cmd_load(struct cli *c, const struct cli_args *a)
{
	const char *input = cli_flag_str(a, "input");
	bool quiet = cli_flag_bool(a, "quiet") || !isatty(1);
	_cleanup_close_ int fd = -EBADF;
	struct hclient_resp *resp;
	const char *ctype;
	int r;

	if (!*input && isatty(0))
		return cli_fail("requested load from stdin, but stdin is empty");
	fd = *input ? open_input(input) : dup(0);
	if (fd < 0)
		return 1;
	struct cli_request req = {
		.method = "POST", .target = quiet ? "/images/load?quiet=1" : "/images/load?quiet=0",
		.body_fd = fd, .content_type = "application/x-tar",
	};
	if (cli_call(c, &req, &resp) < 0)
		return 1;
	ctype = hclient_resp_header(resp, "Content-Type");
	if (ctype && !strcmp(ctype, "application/json"))
		r = jsonmsg_display(resp, stdout, isatty(1));
	else
		r = copy_body(resp, 1);
	hclient_resp_free(resp);
	return r < 0 ? 1 : 0;
}
