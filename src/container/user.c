/* user.c - Docker's User string against the container's /etc/passwd and
 * /etc/group.
 *
 * The files belong to the image, so they are hostile input: they are opened
 * inside the rootfs with RESOLVE_IN_ROOT (a symlink to /etc/shadow resolves
 * to the rootfs' own /etc/shadow, never the host's), read with a size cap, and
 * parsed without NSS (style.md §4: nothing may load code from a container).
 * The rules follow moby/sys/user's GetExecUser: numeric ids need no entry;
 * names must exist; supplementary groups come from /etc/group only when no
 * group was given. */
#include <fcntl.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <string.h>

#include "../base/path.h"
#include "../base/util.h"
#include "ocispec.h"

#define ETC_FILE_MAX (4 * 1024 * 1024)
#define ID_MAX INT64_C(2147483647)

void ctr_user_release(struct ctr_user *u)
{
	free(u->additional_gids);
	free(u->home);
	*u = (struct ctr_user){ 0 };
}

/* The whole file, or NULL content when it does not exist (or is unusable). */
static int read_etc(int rootfd, const char *path, char **ret)
{
	_cleanup_close_ int fd = path_open_in_root(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
	if (fd < 0) {
		*ret = NULL;
		return fd == -ENOENT || fd == -ENOTDIR || fd == -ELOOP || fd == -EXDEV ? 0 : fd;
	}
	struct stat st;
	if (fstat(fd, &st) < 0)
		return neg_errno();
	if (!S_ISREG(st.st_mode) || st.st_size > ETC_FILE_MAX) {
		*ret = NULL; /* a FIFO or a device would block or never end */
		return 0;
	}
	return read_fd_all(fd, ret, NULL);
}

static bool is_numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static int parse_id(const char *s, uint32_t *ret)
{
	int64_t v;
	if (!is_numeric(s) || safe_atoi64(s, &v) < 0 || v > ID_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

/* Split a colon-separated line into at most n fields, in place. */
static size_t split_fields(char *line, char **f, size_t n)
{
	size_t k = 0;
	f[k++] = line;
	for (char *p = line; *p && k < n; p++)
		if (*p == ':') {
			*p = '\0';
			f[k++] = p + 1;
		}
	return k;
}

struct pw_entry {
	char *name;
	uint32_t uid, gid;
	char *home;
};

/* Find a passwd line whose name equals spec, or (numeric spec) whose uid does. */
static bool find_passwd(char *content, const char *spec, struct pw_entry *ret)
{
	char *save = NULL;
	for (char *line = strtok_r(content, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7];
		if (line[0] == '#' || split_fields(line, f, 7) < 7)
			continue;
		uint32_t uid, gid;
		if (parse_id(f[2], &uid) < 0 || parse_id(f[3], &gid) < 0)
			continue;
		if (streq(f[0], spec) || streq(f[2], spec)) {
			*ret = (struct pw_entry){ f[0], uid, gid, f[5] };
			return true;
		}
	}
	return false;
}

static bool member_of(char *list, const char *name)
{
	char *save = NULL;
	for (char *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save))
		if (streq(m, name))
			return true;
	return false;
}

static int push_gid(struct ctr_user *u, uint32_t gid)
{
	uint32_t *g = realloc(u->additional_gids, (u->n_additional_gids + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	g[u->n_additional_gids++] = gid;
	u->additional_gids = g;
	return 0;
}

/* With group_spec: the first group matching it by name or gid sets u->gid
 * (returns 1). Without: every group listing user_name adds a supplementary gid. */
static int scan_groups(char *content, const char *group_spec, const char *user_name, struct ctr_user *u)
{
	char *save = NULL;
	for (char *line = strtok_r(content, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[4];
		uint32_t gid;
		if (line[0] == '#' || split_fields(line, f, 4) < 4 || parse_id(f[2], &gid) < 0)
			continue;
		if (group_spec) {
			if (streq(f[0], group_spec) || streq(f[2], group_spec)) {
				u->gid = gid;
				return 1;
			}
		} else if (user_name && member_of(f[3], user_name) && push_gid(u, gid) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

static int resolve_user_part(int rootfd, const char *spec, struct ctr_user *u, char **ret_name, struct berr *err)
{
	_cleanup_free_ char *passwd = NULL;
	int r = read_etc(rootfd, "/etc/passwd", &passwd);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "reading /etc/passwd in the container");
	struct pw_entry pw;
	if (passwd && find_passwd(passwd, spec, &pw)) {
		u->uid = pw.uid;
		u->gid = pw.gid;
		if (!(u->home = strdup(*pw.home ? pw.home : "/")) || !(*ret_name = strdup(pw.name)))
			return -ENOMEM;
		return 0;
	}
	if (!is_numeric(spec))
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "unable to find user %s: no matching entries in passwd file", spec);
	if (parse_id(spec, &u->uid) < 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "uids and gids must be in range 0-%" PRId64, ID_MAX);
	u->gid = 0;
	return (u->home = strdup("/")) ? 0 : -ENOMEM;
}

static int resolve_groups(int rootfd, const char *group_spec, const char *user_name, struct ctr_user *u,
			  struct berr *err)
{
	_cleanup_free_ char *group = NULL;
	int r = read_etc(rootfd, "/etc/group", &group);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "reading /etc/group in the container");
	if (group && (r = scan_groups(group, group_spec, user_name, u)) != 0)
		return r < 0 ? berr_set(err, BERR_INTERNAL, -r, "reading /etc/group") : 0;
	if (!group_spec)
		return 0;
	if (!is_numeric(group_spec))
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "unable to find group %s: no matching entries in group file", group_spec);
	if (parse_id(group_spec, &u->gid) < 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "uids and gids must be in range 0-%" PRId64, ID_MAX);
	return 0;
}

int ctr_user_resolve(int rootfs_fd, const char *user, struct ctr_user *ret, struct berr *err)
{
	_cleanup_free_ char *spec = strdup(user && *user ? user : "0");
	if (!spec)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "resolving user");
	char *colon = strchr(spec, ':');
	const char *group_spec = NULL;
	if (colon) {
		*colon = '\0';
		group_spec = *(colon + 1) ? colon + 1 : NULL;
	}
	struct ctr_user u = { 0 };
	_cleanup_free_ char *name = NULL;
	int r = resolve_user_part(rootfs_fd, *spec ? spec : "0", &u, &name, err);
	if (r >= 0)
		r = resolve_groups(rootfs_fd, group_spec, name, &u, err);
	if (r < 0) {
		ctr_user_release(&u);
		return berr_isset(err) ? r : berr_set(err, BERR_INTERNAL, -r, "resolving user %s", user);
	}
	*ret = u;
	return 0;
}

int ctr_group_resolve(int rootfs_fd, const char *group, uint32_t *ret, struct berr *err)
{
	struct ctr_user u = { 0 };
	int r = resolve_groups(rootfs_fd, group, NULL, &u, err);
	if (r < 0)
		return r;
	*ret = u.gid;
	ctr_user_release(&u);
	return 0;
}
