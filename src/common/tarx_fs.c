/* tarx_fs.c - path cleaning and in-root directory resolution for tarx; see
 * tarx_int.h.
 *
 * Why this is safe: names are cleaned first, so no ".." and no leading '/'
 * reach the kernel; directories are then opened with openat2(RESOLVE_IN_ROOT
 * | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), or, where openat2 is not
 * available or directories must be made, one component at a time with
 * O_NOFOLLOW. Either way a symlink anywhere on the path is an error, so
 * nothing a layer (or a lower layer) planted can redirect a later write. */
#include "common/tarx_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "base/util.h"

/* --- path_set: open addressing, FNV-1a --- */

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static size_t slot_of(char **slots, size_t cap, const char *path)
{
	size_t i = hash_str(path) & (cap - 1);
	while (slots[i] && strcmp(slots[i], path) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(struct path_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 64;
	char **slots = calloc(cap, sizeof(char *));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i])
			slots[slot_of(slots, cap, s->slots[i])] = s->slots[i];
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

int path_set_add(struct path_set *s, const char *path)
{
	if ((s->n + 1) * 2 > s->cap) {
		int r = grow(s);
		if (r < 0)
			return r;
	}
	size_t i = slot_of(s->slots, s->cap, path);
	if (s->slots[i])
		return 0;
	if (!(s->slots[i] = strdup(path)))
		return -ENOMEM;
	s->n++;
	return 0;
}

bool path_set_contains(const struct path_set *s, const char *path)
{
	return s->cap && s->slots[slot_of(s->slots, s->cap, path)] != NULL;
}

void path_set_release(struct path_set *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i]);
	free(s->slots);
	*s = (struct path_set){ 0 };
}

/* --- names --- */

int tarx_clean_name(const char *name, char **ret)
{
	size_t len = strlen(name);
	if (name[0] == '/')
		return -EXDEV;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	_cleanup_free_ char *out = malloc(len + 1);
	if (!out)
		return -ENOMEM;
	size_t o = 0;
	for (const char *p = name; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -EXDEV;
		if (n > NAME_MAX)
			return -ENAMETOOLONG;
		if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
		while (*p == '/')
			p++;
	}
	out[o] = '\0';
	*ret = TAKE_PTR(out);
	return 0;
}

int tarx_split(const char *rel, char **ret_parent, const char **ret_base)
{
	const char *slash = strrchr(rel, '/');
	char *parent = slash ? strndup(rel, (size_t)(slash - rel)) : strdup("");
	if (!parent)
		return -ENOMEM;
	*ret_parent = parent;
	*ret_base = slash ? slash + 1 : rel;
	return 0;
}

/* --- resolution --- */

/* One component below dirfd, refusing symlinks: O_PATH|O_NOFOLLOW on a
 * symlink with O_DIRECTORY fails with ENOTDIR, which is told apart here. */
static int open_component(int dirfd, const char *comp)
{
	int fd = openat(dirfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	int e = errno;
	struct stat st;
	if (e == ENOTDIR && fstatat(dirfd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
		return -ELOOP;
	return -e;
}

static int walk_dirs(int rootfd, const char *rel, struct path_set *created)
{
	_cleanup_free_ char *buf = strdup(rel);
	if (!buf)
		return -ENOMEM;
	_cleanup_close_ int cur = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return -errno;
	for (char *p = buf; *p;) {
		size_t n = strcspn(p, "/");
		bool last = p[n] == '\0';
		p[n] = '\0';
		int fd = open_component(cur, p);
		if (fd == -ENOENT && created) {
			if (mkdirat(cur, p, 0755) < 0 && errno != EEXIST)
				return -errno;
			int r = path_set_add(created, buf); /* buf now ends at this component */
			if (r < 0)
				return r;
			fd = open_component(cur, p);
		}
		if (fd < 0)
			return fd;
		close(cur);
		cur = fd;
		if (last)
			break;
		p[n] = '/';
		p += n + 1;
	}
	return TAKE_FD(cur);
}

int tarx_open_dir(int rootfd, const char *rel, struct path_set *created)
{
	if (!*rel) {
		int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	struct open_how how = {
		.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	for (int tries = 0; tries < 8; tries++) {
		long fd = syscall(SYS_openat2, rootfd, rel, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if (errno == EAGAIN) /* a rename raced the lookup; try again */
			continue;
		if ((errno == ENOENT && created) || errno == ENOSYS || errno == EPERM)
			break; /* EPERM: seccomp profiles that refuse openat2 */
		return -errno;
	}
	return walk_dirs(rootfd, rel, created);
}
