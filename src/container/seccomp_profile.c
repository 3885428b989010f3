/* seccomp_profile.c - Docker's seccomp profile format to OCI linux.seccomp.
 *
 * Docker's profile (moby/profiles seccomp/default.json, shipped unchanged in
 * data/seccomp/) is an OCI linux.seccomp plus two extensions: "archMap" (the
 * native architecture and the sub-architectures it can also run) and, per
 * rule, "includes"/"excludes" conditions on the container's bounding
 * capabilities, the architecture (Go's names: amd64, arm64, ...) and the
 * kernel version. The translation keeps the rules whose conditions hold,
 * exactly as moby's setupSeccomp does; the result is what the runtime
 * compiles. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "../base/util.h"
#include "../runtime/spec.h"
#include "ocispec-internal.h"

/* This machine as the profile names it: Go's GOARCH-derived name for
 * includes/excludes, libseccomp's for archMap. */
#if defined(__x86_64__)
#define NATIVE_ARCH "amd64"
#define NATIVE_SCMP "SCMP_ARCH_X86_64"
#elif defined(__aarch64__)
#define NATIVE_ARCH "arm64"
#define NATIVE_SCMP "SCMP_ARCH_AARCH64"
#elif defined(__i386__)
#define NATIVE_ARCH "x86"
#define NATIVE_SCMP "SCMP_ARCH_X86"
#elif defined(__arm__)
#define NATIVE_ARCH "arm"
#define NATIVE_SCMP "SCMP_ARCH_ARM"
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH "riscv64"
#define NATIVE_SCMP "SCMP_ARCH_RISCV64"
#elif defined(__s390x__)
#define NATIVE_ARCH "s390x"
#define NATIVE_SCMP "SCMP_ARCH_S390X"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH "ppc64le"
#define NATIVE_SCMP "SCMP_ARCH_PPC64LE"
#elif defined(__loongarch64)
#define NATIVE_ARCH "loong64"
#define NATIVE_SCMP "SCMP_ARCH_LOONGARCH64"
#else
#define NATIVE_ARCH ""
#define NATIVE_SCMP ""
#endif

struct kver {
	int major, minor;
};

static int kver_parse(const char *s, struct kver *ret)
{
	return s && sscanf(s, "%d.%d", &ret->major, &ret->minor) == 2 ? 0 : -EINVAL;
}

static bool kver_ge(struct kver a, struct kver b)
{
	return a.major > b.major || (a.major == b.major && a.minor >= b.minor);
}

static bool strings_contain(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
		if (streq(json_string_value(v), s))
			return true;
	return false;
}

static bool has_cap(uint64_t bounding, const char *name)
{
	int c = rt_cap_from_name(name);
	return c >= 0 && c < 64 && (bounding & (UINT64_C(1) << c));
}

struct cond_ctx {
	uint64_t bounding;
	struct kver kernel;
};

/* 1 when the rule applies, 0 when it is filtered out, negative on a bad minKernel. */
static int rule_applies(json_t *rule, const struct cond_ctx *c, struct berr *err)
{
	json_t *ex = json_object_get(rule, "excludes"), *in = json_object_get(rule, "includes"), *v;
	struct kver k;
	size_t i;
	if (json_is_object(ex)) {
		if (strings_contain(json_object_get(ex, "arches"), NATIVE_ARCH))
			return 0;
		json_array_foreach(json_object_get(ex, "caps"), i, v)
			if (has_cap(c->bounding, json_string_value(v)))
				return 0;
		if ((v = json_object_get(ex, "minKernel")) && !json_is_null(v)) {
			if (kver_parse(json_string_value(v), &k) < 0)
				return berr_set_msg(err, BERR_INVALID, EINVAL, "seccomp profile: bad minKernel");
			if (kver_ge(c->kernel, k))
				return 0;
		}
	}
	if (json_is_object(in)) {
		json_t *arches = json_object_get(in, "arches");
		if (json_array_size(arches) > 0 && !strings_contain(arches, NATIVE_ARCH))
			return 0;
		json_array_foreach(json_object_get(in, "caps"), i, v)
			if (!has_cap(c->bounding, json_string_value(v)))
				return 0;
		if ((v = json_object_get(in, "minKernel")) && !json_is_null(v)) {
			if (kver_parse(json_string_value(v), &k) < 0)
				return berr_set_msg(err, BERR_INVALID, EINVAL, "seccomp profile: bad minKernel");
			if (!kver_ge(c->kernel, k))
				return 0;
		}
	}
	return 1;
}

static const char *const rule_keys[] = { "action", "errnoRet", "args" };

static int translate_rule(json_t *rule, json_t *out_rules, struct berr *err)
{
	json_t *name = json_object_get(rule, "name"), *names = json_object_get(rule, "names");
	if (json_is_string(name) && json_array_size(names) > 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "seccomp profile: both 'name' and 'names' are specified in a rule");
	json_t *o = json_object();
	if (!o || json_array_append_new(out_rules, o) < 0)
		return -ENOMEM;
	json_t *n = json_is_string(name) ? json_pack("[O]", name) : json_deep_copy(names ? names : json_null());
	if (!n || json_object_set_new(o, "names", n) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(rule_keys); i++) {
		json_t *v = json_object_get(rule, rule_keys[i]);
		if (v && !json_is_null(v) && json_object_set_new(o, rule_keys[i], json_deep_copy(v)) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The archMap entry of this machine: it and its sub-architectures. */
static int translate_arches(json_t *profile, json_t *out, struct berr *err)
{
	json_t *map = json_object_get(profile, "archMap"), *archs = json_object_get(profile, "architectures");
	if (json_array_size(map) > 0 && json_array_size(archs) > 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "seccomp profile: both 'architectures' and 'archMap' are specified");
	if (json_array_size(archs) > 0)
		return json_object_set_new(out, "architectures", json_deep_copy(archs)) < 0 ? -ENOMEM : 0;
	size_t i;
	json_t *e;
	json_array_foreach(map, i, e) {
		if (!streq(json_string_value(json_object_get(e, "architecture")), NATIVE_SCMP))
			continue;
		json_t *a = json_pack("[s]", NATIVE_SCMP);
		json_t *subs = json_object_get(e, "subArchitectures");
		if (!a || (json_is_array(subs) && json_array_extend(a, subs) < 0)) {
			json_decref(a);
			return -ENOMEM;
		}
		return json_object_set_new(out, "architectures", a) < 0 ? -ENOMEM : 0;
	}
	return 0;
}

static const char *const top_keys[] = { "defaultAction", "defaultErrnoRet", "flags", "listenerPath",
					"listenerMetadata" };

static int kernel_now(const char *release, struct kver *ret, struct berr *err)
{
	struct utsname u;
	if (!release) {
		if (uname(&u) < 0)
			return berr_set(err, BERR_INTERNAL, errno, "uname");
		release = u.release;
	}
	if (kver_parse(release, ret) < 0)
		return berr_set_msg(err, BERR_INTERNAL, EINVAL, "failed to parse kernel version \"%s\"", release);
	return 0;
}

static int translate(json_t *profile, const struct cond_ctx *c, json_t *out, struct berr *err)
{
	int r;
	for (size_t i = 0; i < ARRAY_SIZE(top_keys); i++) {
		json_t *v = json_object_get(profile, top_keys[i]);
		if (v && !json_is_null(v) && json_object_set_new(out, top_keys[i], json_deep_copy(v)) < 0)
			return -ENOMEM;
	}
	if ((r = translate_arches(profile, out, err)) < 0)
		return r;
	json_t *rules = json_array(), *rule;
	if (!rules || json_object_set_new(out, "syscalls", rules) < 0)
		return -ENOMEM;
	size_t i;
	json_array_foreach(json_object_get(profile, "syscalls"), i, rule) {
		if ((r = rule_applies(rule, c, err)) < 0)
			return r;
		if (r > 0 && (r = translate_rule(rule, rules, err)) < 0)
			return r;
	}
	return 0;
}

int ctr_seccomp_translate(json_t *profile, uint64_t bounding, const char *kernel_release, json_t **ret,
			  struct berr *err)
{
	if (!json_is_object(profile))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "seccomp profile: expected a JSON object");
	if (!json_object_get(profile, "defaultAction") && json_array_size(json_object_get(profile, "syscalls")) == 0) {
		*ret = NULL; /* moby: no default action and no rules means seccomp is off */
		return 0;
	}
	struct cond_ctx c = { .bounding = bounding };
	int r = kernel_now(kernel_release, &c.kernel, err);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *out = json_object();
	if (!out)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "translating the seccomp profile");
	if ((r = translate(profile, &c, out, err)) < 0)
		return berr_isset(err) ? r : berr_set(err, BERR_INTERNAL, -r, "translating the seccomp profile");
	*ret = TAKE_PTR(out);
	return 0;
}

/* --- finding the shipped default ------------------------------------------ */

#ifndef BERTH_DATA_DIR
#define BERTH_DATA_DIR "/usr/share/berth"
#endif

static int try_load(const char *path, json_t **ret, struct berr *err)
{
	if (access(path, R_OK) < 0)
		return -ENOENT;
	return json_load_path(path, ret, err);
}

int ctr_seccomp_default_load(json_t **ret, struct berr *err)
{
	char exe[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int r;
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		static const char *const rel[] = { "%s/../share/berth/seccomp/default.json",
						   "%s/data/seccomp/default.json" };
		for (size_t i = 0; i < ARRAY_SIZE(rel); i++) {
			snprintf(path, sizeof(path), rel[i], exe);
			if ((r = try_load(path, ret, err)) != -ENOENT)
				return r;
		}
	}
	if ((r = try_load("/usr/share/berth/seccomp/default.json", ret, err)) != -ENOENT ||
	    (r = try_load(BERTH_DATA_DIR "/seccomp/default.json", ret, err)) != -ENOENT)
		return r;
	return berr_set_msg(err, BERR_INTERNAL, ENOENT,
			    "the default seccomp profile (seccomp/default.json) was not found next to the binary, "
			    "in /usr/share/berth or in " BERTH_DATA_DIR);
}
