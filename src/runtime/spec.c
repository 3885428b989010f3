/* spec.c - parse and validate an OCI runtime-spec config.json (see spec.h).
 *
 * Every parse_* function reads one JSON value into a zeroed C structure and
 * names the field it is looking at in its "where" argument, so that an error
 * deep inside reads "linux.namespaces[2].type: unknown namespace". On failure
 * the partially filled structure is released by its owner's destructor: each
 * parser sets counts only together with the array they count.
 *
 * Limits: jansson refuses integers above INT64_MAX at parse time, so
 * uint64 fields (rlimits, memory) top out at INT64_MAX. */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/mount.h>

#include "../base/util.h"
#include "../common/json.h"
#include "spec.h"
#include "hooks.h"

#define WHERE_MAX 256

/* A field path such as "process.rlimits[3].type", built on the stack. Paths
 * longer than WHERE_MAX are cut short; only messages are affected. */
struct where {
	char s[WHERE_MAX];
};

/* Mark a cut-short path so the message does not look like a real field. */
static void where_mark_truncated(struct where *w, int n)
{
	if (n >= (int)sizeof(w->s))
		memcpy(w->s + sizeof(w->s) - 4, "...", 4);
}

static struct where where_key(const char *where, const char *key)
{
	struct where w;
	int n = snprintf(w.s, sizeof(w.s), "%s%s%s", where, *where ? "." : "", key);
	where_mark_truncated(&w, n);
	return w;
}

static struct where where_index(const char *where, size_t i)
{
	struct where w;
	int n = snprintf(w.s, sizeof(w.s), "%s[%zu]", where, i);
	where_mark_truncated(&w, n);
	return w;
}

_printf_(2, 3) static int invalid(struct berr *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = berr_setv(err, BERR_INVALID, EINVAL, fmt, ap);
	va_end(ap);
	return r;
}

/* --- typed getters on top of json.h -------------------------------------- */

static int req_string(json_t *obj, const char *key, const char *where, char **ret, struct berr *err)
{
	_cleanup_free_ char *s = NULL;
	int r = json_opt_string(obj, key, where, &s, err);
	if (r < 0)
		return r;
	if (!s)
		return invalid(err, "%s: is required", where_key(where, key).s);
	free(*ret);
	*ret = TAKE_PTR(s);
	return 0;
}

static bool path_is_absolute(const char *p) { return p && p[0] == '/'; }

static int opt_abs_path(json_t *obj, const char *key, const char *where, bool required, char **ret,
			struct berr *err)
{
	_cleanup_free_ char *s = NULL;
	int r = required ? req_string(obj, key, where, &s, err) : json_opt_string(obj, key, where, &s, err);
	if (r < 0)
		return r;
	if (s && !path_is_absolute(s))
		return invalid(err, "%s: must be an absolute path", where_key(where, key).s);
	if (s) {
		free(*ret);
		*ret = TAKE_PTR(s);
	}
	return 0;
}

/* Integers with a range check; *has (may be NULL) tells whether it was given. */
static int opt_range(json_t *obj, const char *key, const char *where, int64_t min, int64_t max,
		     int64_t *ret, bool *has, struct berr *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	int64_t x = 0;
	int r = json_opt_int64(obj, key, where, &x, err);
	if (r < 0)
		return r;
	if (x < min || x > max)
		return invalid(err, "%s: %" PRId64 " is out of range (%" PRId64 "..%" PRId64 ")",
			       where_key(where, key).s, x, min, max);
	*ret = x;
	if (has)
		*has = true;
	return 0;
}

static int opt_u32(json_t *obj, const char *key, const char *where, uint32_t *ret, bool *has,
		   struct berr *err)
{
	int64_t x = *ret;
	int r = opt_range(obj, key, where, 0, UINT32_MAX, &x, has, err);
	if (r >= 0)
		*ret = (uint32_t)x;
	return r;
}

static int req_u32(json_t *obj, const char *key, const char *where, uint32_t *ret, struct berr *err)
{
	bool has = false;
	int r = opt_u32(obj, key, where, ret, &has, err);
	if (r < 0)
		return r;
	return has ? 0 : invalid(err, "%s: is required", where_key(where, key).s);
}

static int opt_u64(json_t *obj, const char *key, const char *where, uint64_t *ret, bool *has,
		   struct berr *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	int r = json_opt_uint64(obj, key, where, ret, err);
	if (r >= 0 && has)
		*has = true;
	return r;
}

static int req_u64(json_t *obj, const char *key, const char *where, uint64_t *ret, struct berr *err)
{
	bool has = false;
	int r = opt_u64(obj, key, where, ret, &has, err);
	if (r < 0)
		return r;
	return has ? 0 : invalid(err, "%s: is required", where_key(where, key).s);
}

static int opt_abs_path_strv(json_t *obj, const char *key, const char *where, char ***ret, struct berr *err)
{
	_cleanup_strv_free_ char **v = NULL;
	int r = json_opt_strv(obj, key, where, &v, err);
	if (r < 0)
		return r;
	for (size_t i = 0; v && v[i]; i++)
		if (!path_is_absolute(v[i]))
			return invalid(err, "%s: must be an absolute path",
				       where_index(where_key(where, key).s, i).s);
	strv_free(*ret);
	*ret = TAKE_PTR(v);
	return 0;
}

/* Arrays of objects: allocate n elements of elem_size, parse each, release
 * them all on failure so the caller sees all or nothing. ret points at the
 * caller's element pointer (&s->mounts), which is left NULL when the array
 * is absent or empty. */
typedef int (*parse_elem_fn)(json_t *e, const char *where, void *out, struct berr *err);
typedef void (*release_elem_fn)(void *elem);

static void release_elems(void *elems, size_t n, size_t elem_size, release_elem_fn release)
{
	for (size_t i = 0; release && i < n; i++)
		release((char *)elems + i * elem_size);
	free(elems);
}

static int parse_object_array(json_t *obj, const char *key, const char *where, size_t elem_size,
			      parse_elem_fn parse, release_elem_fn release, void *ret, size_t *ret_n,
			      struct berr *err)
{
	json_t *a = NULL;
	int r = json_opt_array(obj, key, where, &a, err);
	if (r < 0 || !a || json_array_size(a) == 0)
		return r;
	struct where base = where_key(where, key);
	size_t n = json_array_size(a);
	char *elems = calloc(n, elem_size);
	if (!elems)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(a, i);
		struct where w = where_index(base.s, i);
		r = json_is_object(e) ? parse(e, w.s, elems + i * elem_size, err)
				      : invalid(err, "%s: expected an object", w.s);
		if (r < 0) {
			release_elems(elems, i + 1, elem_size, release);
			return r;
		}
	}
	*(void **)ret = elems;
	*ret_n = n;
	return 0;
}

/* --- mount options --------------------------------------------------------- */

enum opt_kind {
	OPT_SET,         /* add flag to flags */
	OPT_CLEAR,       /* remove flag from flags, remember it in clear_flags */
	OPT_PROPAGATION, /* flag is the propagation type (|MS_REC for the r* forms) */
	OPT_BIND,        /* flag is MS_BIND or MS_BIND|MS_REC */
	OPT_RRO,         /* read-only recursively, via mount_setattr() */
	OPT_RUNTIME,     /* handled by the runtime itself; never reaches the kernel */
};

struct mount_opt {
	const char *name;
	enum opt_kind kind;
	unsigned long flag;
};

static const struct mount_opt mount_opts[] = {
	{ "defaults", OPT_SET, 0 },
	{ "ro", OPT_SET, MS_RDONLY },
	{ "rw", OPT_CLEAR, MS_RDONLY },
	{ "nosuid", OPT_SET, MS_NOSUID },
	{ "suid", OPT_CLEAR, MS_NOSUID },
	{ "nodev", OPT_SET, MS_NODEV },
	{ "dev", OPT_CLEAR, MS_NODEV },
	{ "noexec", OPT_SET, MS_NOEXEC },
	{ "exec", OPT_CLEAR, MS_NOEXEC },
	{ "sync", OPT_SET, MS_SYNCHRONOUS },
	{ "async", OPT_CLEAR, MS_SYNCHRONOUS },
	{ "dirsync", OPT_SET, MS_DIRSYNC },
	{ "remount", OPT_SET, MS_REMOUNT },
	{ "mand", OPT_SET, MS_MANDLOCK },
	{ "nomand", OPT_CLEAR, MS_MANDLOCK },
	{ "noatime", OPT_SET, MS_NOATIME },
	{ "atime", OPT_CLEAR, MS_NOATIME },
	{ "nodiratime", OPT_SET, MS_NODIRATIME },
	{ "diratime", OPT_CLEAR, MS_NODIRATIME },
	{ "relatime", OPT_SET, MS_RELATIME },
	{ "norelatime", OPT_CLEAR, MS_RELATIME },
	{ "strictatime", OPT_SET, MS_STRICTATIME },
	{ "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
	{ "lazytime", OPT_SET, MS_LAZYTIME },
	{ "nolazytime", OPT_CLEAR, MS_LAZYTIME },
	{ "iversion", OPT_SET, MS_I_VERSION },
	{ "noiversion", OPT_CLEAR, MS_I_VERSION },
	{ "silent", OPT_SET, MS_SILENT },
	{ "loud", OPT_CLEAR, MS_SILENT },
	{ "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
	{ "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
	{ "bind", OPT_BIND, MS_BIND },
	{ "rbind", OPT_BIND, MS_BIND | MS_REC },
	{ "private", OPT_PROPAGATION, MS_PRIVATE },
	{ "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
	{ "shared", OPT_PROPAGATION, MS_SHARED },
	{ "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
	{ "slave", OPT_PROPAGATION, MS_SLAVE },
	{ "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
	{ "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
	{ "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
	{ "rro", OPT_RRO, 0 },
	/* The kernel would refuse these as filesystem data; they tell the
	 * runtime to copy the old contents up into a tmpfs, map ids, ... */
	{ "tmpcopyup", OPT_RUNTIME, 0 },
	{ "notmpcopyup", OPT_RUNTIME, 0 },
	{ "copy-symlink", OPT_RUNTIME, 0 },
	{ "nocopyup", OPT_RUNTIME, 0 },
	{ "idmap", OPT_RUNTIME, 0 },
	{ "ridmap", OPT_RUNTIME, 0 },
	{ "src-nofollow", OPT_RUNTIME, 0 },
	{ "dest-nofollow", OPT_RUNTIME, 0 },
};

/* Runtime options may carry a value ("idmap=uids=0-1000-10"); kernel flags
 * never do, so only OPT_RUNTIME entries match on a "name=" prefix. */
static const struct mount_opt *mount_opt_lookup(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_opts); i++) {
		const struct mount_opt *o = &mount_opts[i];
		size_t n = strlen(o->name);
		if (strncmp(s, o->name, n) != 0)
			continue;
		if (s[n] == '\0' || (s[n] == '=' && o->kind == OPT_RUNTIME))
			return o;
	}
	return NULL;
}

/* Append ",opt" (or "opt" to an empty string). */
static int data_append(char **data, const char *opt)
{
	size_t old = *data ? strlen(*data) : 0, add = strlen(opt);
	char *p = realloc(*data, old + (old ? 1 : 0) + add + 1);
	if (!p)
		return -ENOMEM;
	if (old)
		p[old++] = ',';
	memcpy(p + old, opt, add + 1);
	*data = p;
	return 0;
}

/* The working copy of a mount's option-derived fields, so the rt_mount is
 * only written once everything succeeded. */
struct mount_flags {
	unsigned long flags, clear_flags, propagation;
	bool is_bind, recursive_ro;
	char *data;
};

static void mount_flags_apply(struct mount_flags *f, const struct mount_opt *o)
{
	switch (o->kind) {
	case OPT_SET:
		f->flags |= o->flag;
		f->clear_flags &= ~o->flag;
		break;
	case OPT_CLEAR:
		f->flags &= ~o->flag;
		f->clear_flags |= o->flag;
		break;
	case OPT_PROPAGATION:
		/* The last propagation option wins, as with mount(8). */
		f->propagation = o->flag;
		break;
	case OPT_BIND:
		f->is_bind = true;
		f->flags |= o->flag;
		break;
	case OPT_RRO:
		f->recursive_ro = true;
		break;
	case OPT_RUNTIME:
		break;
	}
}

int rt_mount_parse_options(struct rt_mount *m, struct berr *err)
{
	struct mount_flags f = { 0 };
	for (size_t i = 0; m->options && m->options[i]; i++) {
		const char *s = m->options[i];
		const struct mount_opt *o = mount_opt_lookup(s);
		if (o) {
			mount_flags_apply(&f, o);
		} else if (*s && data_append(&f.data, s) < 0) {
			free(f.data);
			return berr_set(err, BERR_INTERNAL, ENOMEM, "parsing mount options");
		}
	}
	if (streq(m->type, "bind")) {
		f.is_bind = true;
		f.flags |= MS_BIND;
	}
	m->flags = f.flags;
	m->clear_flags = f.clear_flags;
	m->propagation = f.propagation;
	m->is_bind = f.is_bind;
	m->recursive_ro = f.recursive_ro;
	free(m->data);
	m->data = f.data;
	return 0;
}

/* --- process --------------------------------------------------------------- */

static int parse_env(json_t *obj, const char *where, char ***ret, struct berr *err)
{
	_cleanup_strv_free_ char **env = NULL;
	int r = json_opt_strv(obj, "env", where, &env, err);
	if (r < 0)
		return r;
	/* execve() would take "FOO" or "=x", but they are never what was meant
	 * and they break the "NAME=" lookups of PATH and HOME later. */
	for (size_t i = 0; env && env[i]; i++) {
		const char *eq = strchr(env[i], '=');
		if (!eq || eq == env[i])
			return invalid(err, "%s: expected NAME=VALUE, got \"%s\"",
				       where_index(where_key(where, "env").s, i).s, env[i]);
	}
	strv_free(*ret);
	*ret = TAKE_PTR(env);
	return 0;
}

static int parse_additional_gids(json_t *user, const char *where, struct rt_user *u, struct berr *err)
{
	json_t *a = NULL;
	int r = json_opt_array(user, "additionalGids", where, &a, err);
	if (r < 0 || !a || json_array_size(a) == 0)
		return r;
	struct where base = where_key(where, "additionalGids");
	_cleanup_free_ uint32_t *gids = calloc(json_array_size(a), sizeof(uint32_t));
	if (!gids)
		return -ENOMEM;
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *g = json_array_get(a, i);
		if (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) > UINT32_MAX)
			return invalid(err, "%s: expected a 32-bit unsigned integer", where_index(base.s, i).s);
		gids[i] = (uint32_t)json_integer_value(g);
	}
	u->n_additional_gids = json_array_size(a);
	u->additional_gids = TAKE_PTR(gids);
	return 0;
}

static int parse_user(json_t *proc, const char *where, struct rt_user *u, struct berr *err)
{
	json_t *user = NULL;
	int r = json_opt_object(proc, "user", where, &user, err);
	if (r < 0 || !user)
		return r;
	struct where w = where_key(where, "user");
	if ((r = opt_u32(user, "uid", w.s, &u->uid, NULL, err)) < 0 ||
	    (r = opt_u32(user, "gid", w.s, &u->gid, NULL, err)) < 0 ||
	    (r = opt_u32(user, "umask", w.s, &u->umask, &u->has_umask, err)) < 0)
		return r;
	return parse_additional_gids(user, w.s, u, err);
}

static const struct {
	const char *key;
	size_t offset;
} cap_sets[] = {
	{ "bounding", offsetof(struct rt_caps, bounding) },
	{ "effective", offsetof(struct rt_caps, effective) },
	{ "inheritable", offsetof(struct rt_caps, inheritable) },
	{ "permitted", offsetof(struct rt_caps, permitted) },
	{ "ambient", offsetof(struct rt_caps, ambient) },
};

static int parse_cap_set(json_t *caps, const char *key, const char *where, uint64_t *ret, struct berr *err)
{
	_cleanup_strv_free_ char **names = NULL;
	int r = json_opt_strv(caps, key, where, &names, err);
	if (r < 0)
		return r;
	uint64_t mask = 0;
	for (size_t i = 0; names && names[i]; i++) {
		int cap = rt_cap_from_name(names[i]);
		if (cap < 0)
			return invalid(err, "%s: unknown capability \"%s\"",
				       where_index(where_key(where, key).s, i).s, names[i]);
		mask |= UINT64_C(1) << cap;
	}
	*ret = mask;
	return 0;
}

static int parse_caps(json_t *proc, const char *where, struct rt_caps *c, struct berr *err)
{
	json_t *caps = NULL;
	int r = json_opt_object(proc, "capabilities", where, &caps, err);
	if (r < 0 || !caps)
		return r;
	struct where w = where_key(where, "capabilities");
	for (size_t i = 0; i < ARRAY_SIZE(cap_sets); i++) {
		uint64_t *set = (uint64_t *)((char *)c + cap_sets[i].offset);
		r = parse_cap_set(caps, cap_sets[i].key, w.s, set, err);
		if (r < 0)
			return r;
	}
	c->present = true;
	return 0;
}

static int parse_rlimit(json_t *e, const char *where, void *out, struct berr *err)
{
	struct rt_rlimit *rl = out;
	_cleanup_free_ char *type = NULL;
	int r = req_string(e, "type", where, &type, err);
	if (r < 0)
		return r;
	rl->resource = rt_rlimit_from_name(type);
	if (rl->resource < 0)
		return invalid(err, "%s.type: unknown rlimit \"%s\"", where, type);
	if ((r = req_u64(e, "soft", where, &rl->soft, err)) < 0 ||
	    (r = req_u64(e, "hard", where, &rl->hard, err)) < 0)
		return r;
	/* setrlimit() would refuse it with a bare EINVAL after the container
	 * already exists; say which one up front. */
	if (rl->soft > rl->hard)
		return invalid(err, "%s: soft limit %" PRIu64 " is above hard limit %" PRIu64, where,
			       rl->soft, rl->hard);
	return 0;
}

/* The name as written, for messages about an element already validated. */
static const char *rlimit_type_at(json_t *proc, size_t i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(proc, "rlimits"), i), "type"));
}

static int parse_rlimits(json_t *proc, const char *where, struct rt_process *p, struct berr *err)
{
	int r = parse_object_array(proc, "rlimits", where, sizeof(struct rt_rlimit), parse_rlimit, NULL,
				   &p->rlimits, &p->n_rlimits, err);
	if (r < 0)
		return r;
	for (size_t i = 1; i < p->n_rlimits; i++)
		for (size_t j = 0; j < i; j++)
			if (p->rlimits[i].resource == p->rlimits[j].resource)
				return invalid(err, "%s.type: duplicate rlimit \"%s\"",
					       where_index(where_key(where, "rlimits").s, i).s,
					       rlimit_type_at(proc, i));
	return 0;
}

static int parse_console_size(json_t *proc, const char *where, struct rt_process *p, struct berr *err)
{
	json_t *cs = NULL;
	int r = json_opt_object(proc, "consoleSize", where, &cs, err);
	if (r < 0 || !cs)
		return r;
	struct where w = where_key(where, "consoleSize");
	/* struct winsize holds unsigned short. */
	int64_t h = 0, wd = 0;
	if ((r = opt_range(cs, "height", w.s, 0, USHRT_MAX, &h, NULL, err)) < 0 ||
	    (r = opt_range(cs, "width", w.s, 0, USHRT_MAX, &wd, NULL, err)) < 0)
		return r;
	p->console_height = (unsigned)h;
	p->console_width = (unsigned)wd;
	return 0;
}

static int parse_oom_score_adj(json_t *proc, const char *where, struct rt_process *p, struct berr *err)
{
	int64_t v = 0;
	int r = opt_range(proc, "oomScoreAdj", where, -1000, 1000, &v, &p->has_oom_score_adj, err);
	if (r >= 0)
		p->oom_score_adj = (int)v;
	return r;
}

static int parse_args_cwd(json_t *obj, const char *where, struct rt_process *p, struct berr *err)
{
	int r = json_opt_strv(obj, "args", where, &p->args, err);
	if (r < 0)
		return r;
	if (!p->args || !p->args[0])
		return invalid(err, "%s: must not be empty", where_key(where, "args").s);
	r = opt_abs_path(obj, "cwd", where, false, &p->cwd, err);
	if (r < 0)
		return r;
	if (!p->cwd && !(p->cwd = strdup("/")))
		return -ENOMEM;
	return 0;
}

static int parse_process_fields(json_t *obj, const char *where, struct rt_process *p, struct berr *err)
{
	int r;
	if ((r = json_opt_bool(obj, "terminal", where, &p->terminal, err)) < 0 ||
	    (r = parse_console_size(obj, where, p, err)) < 0 ||
	    (r = parse_args_cwd(obj, where, p, err)) < 0 ||
	    (r = parse_env(obj, where, &p->env, err)) < 0 ||
	    (r = parse_user(obj, where, &p->user, err)) < 0 ||
	    (r = parse_caps(obj, where, &p->caps, err)) < 0 ||
	    (r = parse_rlimits(obj, where, p, err)) < 0 ||
	    (r = json_opt_bool(obj, "noNewPrivileges", where, &p->no_new_privileges, err)) < 0 ||
	    (r = parse_oom_score_adj(obj, where, p, err)) < 0 ||
	    (r = json_opt_string(obj, "apparmorProfile", where, &p->apparmor_profile, err)) < 0 ||
	    (r = json_opt_string(obj, "selinuxLabel", where, &p->selinux_label, err)) < 0)
		return r;
	return 0;
}

void rt_process_release(struct rt_process *p)
{
	if (!p)
		return;
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->user.additional_gids);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	*p = (struct rt_process){ 0 };
}

int rt_process_parse(json_t *obj, const char *where, struct rt_process *ret, struct berr *err)
{
	_cleanup_(rt_process_release) struct rt_process p = { 0 };
	if (!json_is_object(obj))
		return invalid(err, "%s: expected an object", where);
	int r = parse_process_fields(obj, where, &p, err);
	if (r < 0)
		return r;
	*ret = p;
	p = (struct rt_process){ 0 };
	return 0;
}

/* --- mounts and hooks ------------------------------------------------------ */

static void mount_release(void *elem)
{
	struct rt_mount *m = elem;
	free(m->destination);
	free(m->type);
	free(m->source);
	strv_free(m->options);
	free(m->data);
}

static int parse_mount(json_t *e, const char *where, void *out, struct berr *err)
{
	struct rt_mount *m = out;
	int r;
	if ((r = opt_abs_path(e, "destination", where, true, &m->destination, err)) < 0 ||
	    (r = json_opt_string(e, "type", where, &m->type, err)) < 0 ||
	    (r = json_opt_string(e, "source", where, &m->source, err)) < 0 ||
	    (r = json_opt_strv(e, "options", where, &m->options, err)) < 0)
		return r;
	r = rt_mount_parse_options(m, err);
	return r < 0 ? berr_prefix(err, "%s.options", where) : 0;
}

static void hook_release(void *elem)
{
	struct rt_hook *h = elem;
	free(h->path);
	strv_free(h->args);
	strv_free(h->env);
}

static int parse_hook(json_t *e, const char *where, void *out, struct berr *err)
{
	struct rt_hook *h = out;
	int64_t timeout = 0;
	bool has_timeout = false;
	int r;
	if ((r = opt_abs_path(e, "path", where, true, &h->path, err)) < 0 ||
	    (r = json_opt_strv(e, "args", where, &h->args, err)) < 0 ||
	    (r = parse_env(e, where, &h->env, err)) < 0 ||
	    (r = opt_range(e, "timeout", where, INT_MIN, INT_MAX, &timeout, &has_timeout, err)) < 0)
		return r;
	/* The spec says timeout, when given, MUST be greater than zero. */
	if (has_timeout && timeout <= 0)
		return invalid(err, "%s.timeout: must be greater than zero", where);
	h->timeout = (int)timeout;
	return 0;
}

static int parse_hooks(json_t *root, struct rt_spec *s, struct berr *err)
{
	json_t *hooks = NULL;
	int r = json_opt_object(root, "hooks", "", &hooks, err);
	if (r < 0 || !hooks)
		return r;
	for (size_t k = 0; k < _RT_HOOK_MAX; k++) {
		r = parse_object_array(hooks, rt_hook_kind_to_string(k), "hooks", sizeof(struct rt_hook), parse_hook,
				       hook_release, &s->hooks[k], &s->n_hooks[k], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* --- linux ----------------------------------------------------------------- */

static int parse_namespace(json_t *e, const char *where, struct rt_spec *s, struct berr *err)
{
	_cleanup_free_ char *type = NULL, *path = NULL;
	int r;
	if ((r = req_string(e, "type", where, &type, err)) < 0 ||
	    (r = opt_abs_path(e, "path", where, false, &path, err)) < 0)
		return r;
	int t = rt_ns_type_from_string(type);
	if (t < 0)
		return invalid(err, "%s.type: unknown namespace \"%s\"", where, type);
	if (s->ns[t].present)
		return invalid(err, "%s.type: duplicate namespace \"%s\"", where, type);
	s->ns[t].present = true;
	s->ns[t].path = TAKE_PTR(path);
	return 0;
}

static int parse_namespaces(json_t *lnx, struct rt_spec *s, struct berr *err)
{
	json_t *a = NULL;
	int r = json_opt_array(lnx, "namespaces", "linux", &a, err);
	if (r < 0 || !a)
		return r;
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		struct where w = where_index("linux.namespaces", i);
		r = json_is_object(e) ? parse_namespace(e, w.s, s, err)
				      : invalid(err, "%s: expected an object", w.s);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_idmap(json_t *e, const char *where, void *out, struct berr *err)
{
	struct rt_idmap *m = out;
	int r;
	if ((r = req_u32(e, "containerID", where, &m->container_id, err)) < 0 ||
	    (r = req_u32(e, "hostID", where, &m->host_id, err)) < 0 ||
	    (r = req_u32(e, "size", where, &m->size, err)) < 0)
		return r;
	return 0;
}

/* Parse a one-character type field ("c", "b", ...) against the allowed set. */
static int parse_type_char(json_t *e, const char *where, const char *allowed, char dflt, char *ret,
			   struct berr *err)
{
	_cleanup_free_ char *type = NULL;
	int r = dflt ? json_opt_string(e, "type", where, &type, err) : req_string(e, "type", where, &type, err);
	if (r < 0)
		return r;
	if (!type) {
		*ret = dflt;
		return 0;
	}
	if (strlen(type) != 1 || !strchr(allowed, type[0]))
		return invalid(err, "%s.type: unknown device type \"%s\"", where, type);
	*ret = type[0];
	return 0;
}

static void device_release(void *elem) { free(((struct rt_device *)elem)->path); }

static int parse_device(json_t *e, const char *where, void *out, struct berr *err)
{
	struct rt_device *d = out;
	int r;
	if ((r = parse_type_char(e, where, "cbup", 0, &d->type, err)) < 0 ||
	    (r = opt_abs_path(e, "path", where, true, &d->path, err)) < 0)
		return r;
	bool has_major = false, has_minor = false;
	if ((r = opt_range(e, "major", where, 0, INT64_MAX, &d->major, &has_major, err)) < 0 ||
	    (r = opt_range(e, "minor", where, 0, INT64_MAX, &d->minor, &has_minor, err)) < 0)
		return r;
	/* A fifo has no device number; every other type needs both. */
	if (d->type != 'p' && !(has_major && has_minor))
		return invalid(err, "%s: major and minor are required for type \"%c\"", where, d->type);
	if ((r = opt_u32(e, "fileMode", where, &d->file_mode, &d->has_mode, err)) < 0 ||
	    (r = opt_u32(e, "uid", where, &d->uid, &d->has_uid, err)) < 0 ||
	    (r = opt_u32(e, "gid", where, &d->gid, &d->has_gid, err)) < 0)
		return r;
	return 0;
}

/* Each of r, w, m at most once: anything else the cgroup device controller
 * would reject, or silently widen. */
static bool device_access_ok(const char *access)
{
	unsigned seen = 0;
	for (const char *c = access; *c; c++) {
		const char *p = strchr("rwm", *c);
		if (!p || (seen & (1u << (p - "rwm"))))
			return false;
		seen |= 1u << (p - "rwm");
	}
	return true;
}

static int parse_device_access(json_t *e, const char *where, char ret[static 4], struct berr *err)
{
	_cleanup_free_ char *access = NULL;
	int r = json_opt_string(e, "access", where, &access, err);
	if (r < 0)
		return r;
	if (!access) {
		memcpy(ret, "rwm", 4);
		return 0;
	}
	if (!device_access_ok(access))
		return invalid(err, "%s.access: invalid access \"%s\" (a subset of \"rwm\")", where, access);
	memcpy(ret, access, strlen(access) + 1);
	return 0;
}

static int parse_device_rule(json_t *e, const char *where, void *out, struct berr *err)
{
	struct rt_device_rule *d = out;
	d->major = d->minor = -1;
	if (!json_is_boolean(json_object_get(e, "allow")))
		return invalid(err, "%s.allow: expected true or false", where);
	d->allow = json_is_true(json_object_get(e, "allow"));
	int r;
	if ((r = parse_type_char(e, where, "acb", 'a', &d->type, err)) < 0 ||
	    (r = opt_range(e, "major", where, -1, INT64_MAX, &d->major, NULL, err)) < 0 ||
	    (r = opt_range(e, "minor", where, -1, INT64_MAX, &d->minor, NULL, err)) < 0)
		return r;
	return parse_device_access(e, where, d->access, err);
}

static int parse_memory(json_t *res, struct rt_resources *rs, struct berr *err)
{
	json_t *mem = NULL;
	int r = json_opt_object(res, "memory", "linux.resources", &mem, err);
	if (r < 0 || !mem)
		return r;
	const char *w = "linux.resources.memory";
	if ((r = opt_range(mem, "limit", w, -1, INT64_MAX, &rs->mem_limit, &rs->has_mem_limit, err)) < 0 ||
	    (r = opt_range(mem, "reservation", w, -1, INT64_MAX, &rs->mem_reservation,
			   &rs->has_mem_reservation, err)) < 0 ||
	    (r = opt_range(mem, "swap", w, -1, INT64_MAX, &rs->mem_swap, &rs->has_mem_swap, err)) < 0)
		return r;
	int64_t swappiness = 0, kernel = 0;
	if ((r = opt_range(mem, "swappiness", w, 0, 100, &swappiness, &rs->has_mem_swappiness, err)) < 0 ||
	    (r = opt_range(mem, "kernel", w, -1, INT64_MAX, &kernel, &rs->has_kernel_mem, err)) < 0 ||
	    (r = json_opt_bool(mem, "disableOOMKiller", w, &rs->disable_oom_killer, err)) < 0)
		return r;
	rs->mem_swappiness = (uint64_t)swappiness;
	return 0;
}

static int parse_cpu(json_t *res, struct rt_resources *rs, struct berr *err)
{
	json_t *cpu = NULL;
	int r = json_opt_object(res, "cpu", "linux.resources", &cpu, err);
	if (r < 0 || !cpu)
		return r;
	const char *w = "linux.resources.cpu";
	if ((r = opt_u64(cpu, "shares", w, &rs->cpu_shares, &rs->has_cpu_shares, err)) < 0 ||
	    (r = opt_range(cpu, "quota", w, -1, INT64_MAX, &rs->cpu_quota, &rs->has_cpu_quota, err)) < 0 ||
	    (r = opt_u64(cpu, "period", w, &rs->cpu_period, &rs->has_cpu_period, err)) < 0 ||
	    (r = json_opt_string(cpu, "cpus", w, &rs->cpuset_cpus, err)) < 0 ||
	    (r = json_opt_string(cpu, "mems", w, &rs->cpuset_mems, err)) < 0)
		return r;
	return 0;
}

static int parse_pids_blkio(json_t *res, struct rt_resources *rs, struct berr *err)
{
	json_t *pids = NULL, *blkio = NULL;
	int r;
	if ((r = json_opt_object(res, "pids", "linux.resources", &pids, err)) < 0 ||
	    (r = json_opt_object(res, "blockIO", "linux.resources", &blkio, err)) < 0)
		return r;
	if (pids && (r = opt_range(pids, "limit", "linux.resources.pids", INT64_MIN, INT64_MAX,
				   &rs->pids_limit, &rs->has_pids_limit, err)) < 0)
		return r;
	int64_t weight = 0;
	/* The range the spec gives for blkio weights (cgroup v1 blkio.weight). */
	if (blkio && (r = opt_range(blkio, "weight", "linux.resources.blockIO", 10, 1000, &weight,
				    &rs->has_blkio_weight, err)) < 0)
		return r;
	rs->blkio_weight = (uint16_t)weight;
	return 0;
}

/* A unified key names a file in the container's cgroup directory: it must
 * stay a single file name. */
static bool cgroup_file_name_ok(const char *k)
{
	return *k && !strchr(k, '/') && !streq(k, ".") && !streq(k, "..");
}

static int parse_unified(json_t *res, struct rt_resources *rs, struct berr *err)
{
	json_t *u = NULL;
	int r = json_opt_object(res, "unified", "linux.resources", &u, err);
	if (r < 0 || !u)
		return r;
	const char *k;
	json_t *v;
	json_object_foreach(u, k, v) {
		if (!cgroup_file_name_ok(k))
			return invalid(err, "linux.resources.unified: invalid key \"%s\"", k);
		if (!json_is_string(v))
			return invalid(err, "linux.resources.unified.%s: expected a string", k);
	}
	rs->unified = u;
	return 0;
}

static int parse_resources(json_t *lnx, struct rt_resources *rs, struct berr *err)
{
	json_t *res = NULL;
	int r = json_opt_object(lnx, "resources", "linux", &res, err);
	if (r < 0 || !res)
		return r;
	if ((r = parse_memory(res, rs, err)) < 0 || (r = parse_cpu(res, rs, err)) < 0 ||
	    (r = parse_pids_blkio(res, rs, err)) < 0 ||
	    (r = parse_object_array(res, "devices", "linux.resources", sizeof(struct rt_device_rule),
				    parse_device_rule, NULL, &rs->devices, &rs->n_devices, err)) < 0)
		return r;
	return parse_unified(res, rs, err);
}

/* A sysctl key becomes a path under /proc/sys ('.' or '/' as separator), so
 * it must not be able to climb out of it. */
static bool sysctl_key_ok(const char *k)
{
	return *k && *k != '.' && *k != '/' && !strstr(k, "..") && !strstr(k, "/.");
}

static int parse_sysctl(json_t *lnx, struct rt_spec *s, struct berr *err)
{
	json_t *obj = NULL;
	int r = json_opt_object(lnx, "sysctl", "linux", &obj, err);
	if (r < 0 || !obj || json_object_size(obj) == 0)
		return r;
	s->sysctls = calloc(json_object_size(obj), sizeof(struct rt_sysctl));
	if (!s->sysctls)
		return -ENOMEM;
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		if (!sysctl_key_ok(k))
			return invalid(err, "linux.sysctl: invalid key \"%s\"", k);
		if (!json_is_string(v))
			return invalid(err, "linux.sysctl.%s: expected a string", k);
		struct rt_sysctl *sc = &s->sysctls[s->n_sysctls];
		sc->key = strdup(k);
		sc->value = strdup(json_string_value(v));
		s->n_sysctls++; /* counted before the check so the destructor frees it */
		if (!sc->key || !sc->value)
			return -ENOMEM;
	}
	return 0;
}

static int parse_rootfs_propagation(json_t *lnx, struct rt_spec *s, struct berr *err)
{
	_cleanup_free_ char *prop = NULL;
	int r = json_opt_string(lnx, "rootfsPropagation", "linux", &prop, err);
	if (r < 0 || !prop)
		return r;
	const struct mount_opt *o = mount_opt_lookup(prop);
	if (!o || o->kind != OPT_PROPAGATION)
		return invalid(err, "linux.rootfsPropagation: unknown propagation \"%s\"", prop);
	s->rootfs_propagation = o->flag;
	return 0;
}

static int parse_personality(json_t *lnx, struct rt_spec *s, struct berr *err)
{
	json_t *pers = NULL;
	int r = json_opt_object(lnx, "personality", "linux", &pers, err);
	if (r < 0 || !pers)
		return r;
	if ((r = req_string(pers, "domain", "linux.personality", &s->personality_domain, err)) < 0)
		return r;
	if (!streq(s->personality_domain, "LINUX") && !streq(s->personality_domain, "LINUX32"))
		return invalid(err, "linux.personality.domain: unknown domain \"%s\"", s->personality_domain);
	return 0;
}

static int parse_linux_lists(json_t *lnx, struct rt_spec *s, struct berr *err)
{
	int r;
	if ((r = parse_object_array(lnx, "uidMappings", "linux", sizeof(struct rt_idmap), parse_idmap, NULL,
				    &s->uid_mappings, &s->n_uid_mappings, err)) < 0 ||
	    (r = parse_object_array(lnx, "gidMappings", "linux", sizeof(struct rt_idmap), parse_idmap, NULL,
				    &s->gid_mappings, &s->n_gid_mappings, err)) < 0 ||
	    (r = parse_object_array(lnx, "devices", "linux", sizeof(struct rt_device), parse_device,
				    device_release, &s->devices, &s->n_devices, err)) < 0 ||
	    (r = opt_abs_path_strv(lnx, "maskedPaths", "linux", &s->masked_paths, err)) < 0 ||
	    (r = opt_abs_path_strv(lnx, "readonlyPaths", "linux", &s->readonly_paths, err)) < 0)
		return r;
	return 0;
}

static int parse_linux(json_t *root, struct rt_spec *s, struct berr *err)
{
	json_t *lnx = NULL;
	int r = json_opt_object(root, "linux", "", &lnx, err);
	if (r < 0 || !lnx)
		return r;
	if ((r = parse_namespaces(lnx, s, err)) < 0 || (r = parse_linux_lists(lnx, s, err)) < 0 ||
	    (r = json_opt_string(lnx, "cgroupsPath", "linux", &s->cgroups_path, err)) < 0 ||
	    (r = parse_resources(lnx, &s->resources, err)) < 0 || (r = parse_sysctl(lnx, s, err)) < 0 ||
	    (r = parse_rootfs_propagation(lnx, s, err)) < 0 ||
	    (r = json_opt_string(lnx, "mountLabel", "linux", &s->mount_label, err)) < 0 ||
	    (r = json_opt_object(lnx, "seccomp", "linux", &s->seccomp, err)) < 0)
		return r;
	return parse_personality(lnx, s, err);
}

/* --- top level ------------------------------------------------------------- */

static int parse_version(json_t *root, struct rt_spec *s, struct berr *err)
{
	int r = req_string(root, "ociVersion", "", &s->oci_version, err);
	if (r < 0)
		return r;
	/* Within a major version the spec only adds fields, which we ignore. */
	if (!str_startswith(s->oci_version, "1."))
		return invalid(err, "ociVersion: unsupported version \"%s\"", s->oci_version);
	return 0;
}

static int parse_root(json_t *root, struct rt_spec *s, struct berr *err)
{
	json_t *r_obj = NULL;
	int r = json_opt_object(root, "root", "", &r_obj, err);
	if (r < 0)
		return r;
	if (!r_obj)
		return invalid(err, "root: is required");
	if ((r = req_string(r_obj, "path", "root", &s->root_path, err)) < 0 ||
	    (r = json_opt_bool(r_obj, "readonly", "root", &s->root_readonly, err)) < 0)
		return r;
	return *s->root_path ? 0 : invalid(err, "root.path: must not be empty");
}

static int parse_names(json_t *root, struct rt_spec *s, struct berr *err)
{
	static const struct {
		const char *key;
		size_t offset;
	} names[] = {
		{ "hostname", offsetof(struct rt_spec, hostname) },
		{ "domainname", offsetof(struct rt_spec, domainname) },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char **v = (char **)((char *)s + names[i].offset);
		int r = json_opt_string(root, names[i].key, "", v, err);
		if (r < 0)
			return r;
		/* sethostname() and setdomainname() take at most 64 bytes. */
		if (*v && strlen(*v) > 64)
			return invalid(err, "%s: longer than 64 bytes", names[i].key);
	}
	return 0;
}

static int parse_process(json_t *root, struct rt_spec *s, struct berr *err)
{
	json_t *proc = NULL;
	int r = json_opt_object(root, "process", "", &proc, err);
	if (r < 0)
		return r;
	if (!proc)
		return invalid(err, "process: is required");
	/* rt_process_parse() defaults cwd to "/" for `exec --process`; in a
	 * config.json the spec makes it required. */
	json_t *cwd = json_object_get(proc, "cwd");
	if (!cwd || json_is_null(cwd))
		return invalid(err, "process.cwd: is required");
	return rt_process_parse(proc, "process", &s->process, err);
}

static int parse_annotations(json_t *root, struct rt_spec *s, struct berr *err)
{
	json_t *a = NULL;
	int r = json_opt_object(root, "annotations", "", &a, err);
	if (r < 0 || !a)
		return r;
	const char *k;
	json_t *v;
	json_object_foreach(a, k, v)
		if (!json_is_string(v))
			return invalid(err, "annotations.%s: expected a string", k);
	s->annotations = a;
	return 0;
}

/* Settings that only make sense inside a namespace: refusing them here beats
 * changing the host's hostname or failing halfway through. */
static int check_namespace_needs(const struct rt_spec *s, struct berr *err)
{
	/* A joined uts namespace (with a path) is allowed, as with runc: a pod's
	 * containers share one and may set its name. */
	bool uts = s->ns[RT_NS_UTS].present;
	if (!uts && s->hostname && *s->hostname)
		return invalid(err, "hostname: requires a uts namespace");
	if (!uts && s->domainname && *s->domainname)
		return invalid(err, "domainname: requires a uts namespace");
	if (!s->ns[RT_NS_USER].present && (s->n_uid_mappings || s->n_gid_mappings))
		return invalid(err, "linux.%s: requires a user namespace",
			       s->n_uid_mappings ? "uidMappings" : "gidMappings");
	return 0;
}

static int parse_mounts(json_t *root, struct rt_spec *s, struct berr *err)
{
	return parse_object_array(root, "mounts", "", sizeof(struct rt_mount), parse_mount, mount_release,
				  &s->mounts, &s->n_mounts, err);
}

static int parse_document(json_t *root, struct rt_spec *s, struct berr *err)
{
	if (!json_is_object(root))
		return invalid(err, "expected a JSON object");
	int r;
	if ((r = parse_version(root, s, err)) < 0 || (r = parse_root(root, s, err)) < 0 ||
	    (r = parse_names(root, s, err)) < 0 || (r = parse_process(root, s, err)) < 0 ||
	    (r = parse_mounts(root, s, err)) < 0 || (r = parse_hooks(root, s, err)) < 0 ||
	    (r = parse_linux(root, s, err)) < 0 || (r = parse_annotations(root, s, err)) < 0)
		return r;
	return check_namespace_needs(s, err);
}

static int parse_named(const char *buf, size_t len, const char *what, struct rt_spec **ret, struct berr *err)
{
	_cleanup_spec_ struct rt_spec *s = calloc(1, sizeof(*s));
	if (!s)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "%s", what);
	int r = json_parse(buf, len, what, &s->raw, err);
	if (r < 0)
		return r;
	r = parse_document(s->raw, s, err);
	if (r < 0) {
		/* Getters leave err empty only for out-of-memory. */
		if (!berr_isset(err))
			return berr_set(err, berr_kind_from_errno(r), -r, "%s", what);
		return berr_prefix(err, "%s", what);
	}
	*ret = TAKE_PTR(s);
	return 0;
}

int rt_spec_parse(const char *buf, size_t len, struct rt_spec **ret, struct berr *err)
{
	return parse_named(buf, len, "config.json", ret, err);
}

int rt_spec_load(const char *path, struct rt_spec **ret, struct berr *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file_at(AT_FDCWD, path, &buf, &len);
	if (r < 0)
		return berr_set(err, berr_kind_from_errno(r), -r, "reading %s", path);
	return parse_named(buf, len, path, ret, err);
}

void rt_spec_free(struct rt_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	rt_process_release(&s->process);
	release_elems(s->mounts, s->n_mounts, sizeof(struct rt_mount), mount_release);
	for (size_t k = 0; k < _RT_HOOK_MAX; k++)
		release_elems(s->hooks[k], s->n_hooks[k], sizeof(struct rt_hook), hook_release);
	for (size_t t = 0; t < _RT_NS_MAX; t++)
		free(s->ns[t].path);
	free(s->uid_mappings);
	free(s->gid_mappings);
	release_elems(s->devices, s->n_devices, sizeof(struct rt_device), device_release);
	free(s->cgroups_path);
	free(s->resources.cpuset_cpus);
	free(s->resources.cpuset_mems);
	free(s->resources.devices);
	for (size_t i = 0; i < s->n_sysctls; i++) {
		free(s->sysctls[i].key);
		free(s->sysctls[i].value);
	}
	free(s->sysctls);
	strv_free(s->masked_paths);
	strv_free(s->readonly_paths);
	free(s->mount_label);
	free(s->personality_domain);
	json_decref(s->raw);
	free(s);
}
