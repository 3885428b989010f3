/* seccomp.c - see seccomp.h.
 *
 * The OCI names (SCMP_ACT_*, SCMP_ARCH_*, SCMP_CMP_*, SECCOMP_FILTER_FLAG_*)
 * are mapped through tables to libseccomp values. Validation happens here, in
 * the runtime, so the container's init only has to call seccomp_load(). */
#include "seccomp.h"

#include <seccomp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../base/util.h"
#include "../common/json.h"

/* "linux.seccomp.syscalls[N]" and "<that>.args[N]" with N up to 20 digits. */
#define WHERE_MAX 64
#define ARG_WHERE_MAX (WHERE_MAX + 32)
#define SYSCALL_MAX_ARGS 6

struct rt_seccomp {
	scmp_filter_ctx ctx;
};

static const struct action_def {
	const char *name;
	uint32_t action;
	bool takes_ret; /* low 16 bits carry errnoRet (ERRNO) or the tracer's message (TRACE) */
} action_table[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL, false },
	{ "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
	{ "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true },
	{ "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
	{ "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
	{ "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const struct {
	const char *name;
	uint32_t token;
} arch_table[] = {
	{ "SCMP_ARCH_X86", SCMP_ARCH_X86 },
	{ "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 },
	{ "SCMP_ARCH_X32", SCMP_ARCH_X32 },
	{ "SCMP_ARCH_ARM", SCMP_ARCH_ARM },
	{ "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
	{ "SCMP_ARCH_MIPS", SCMP_ARCH_MIPS },
	{ "SCMP_ARCH_MIPS64", SCMP_ARCH_MIPS64 },
	{ "SCMP_ARCH_MIPS64N32", SCMP_ARCH_MIPS64N32 },
	{ "SCMP_ARCH_MIPSEL", SCMP_ARCH_MIPSEL },
	{ "SCMP_ARCH_MIPSEL64", SCMP_ARCH_MIPSEL64 },
	{ "SCMP_ARCH_MIPSEL64N32", SCMP_ARCH_MIPSEL64N32 },
	{ "SCMP_ARCH_PPC", SCMP_ARCH_PPC },
	{ "SCMP_ARCH_PPC64", SCMP_ARCH_PPC64 },
	{ "SCMP_ARCH_PPC64LE", SCMP_ARCH_PPC64LE },
	{ "SCMP_ARCH_S390", SCMP_ARCH_S390 },
	{ "SCMP_ARCH_S390X", SCMP_ARCH_S390X },
	{ "SCMP_ARCH_PARISC", SCMP_ARCH_PARISC },
	{ "SCMP_ARCH_PARISC64", SCMP_ARCH_PARISC64 },
	{ "SCMP_ARCH_RISCV64", SCMP_ARCH_RISCV64 },
};

/* A flag with attr _SCMP_FLTATR_MIN is accepted and has nothing to set. */
static const struct {
	const char *name;
	enum scmp_filter_attr attr;
} flag_table[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SCMP_FLTATR_CTL_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SCMP_FLTATR_CTL_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SCMP_FLTATR_CTL_SSB },
	/* Only changes how a notify listener waits (the kernel refuses it
	 * without SECCOMP_FILTER_FLAG_NEW_LISTENER, and libseccomp 2.5 has no
	 * attribute for it). berth refuses SCMP_ACT_NOTIFY, so there is never
	 * a listener and the flag has no effect to honour. */
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", _SCMP_FLTATR_MIN },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} op_table[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* A profile error: kind invalid, errno EINVAL, and the message exactly as
 * written (berr_set would append strerror(EINVAL), which says nothing here). */
_printf_(2, 3) static int invalid(struct berr *err, const char *fmt, ...)
{
	bool was_set = berr_isset(err);
	va_list ap;
	va_start(ap, fmt);
	berr_setv(err, BERR_INVALID, 0, fmt, ap);
	va_end(ap);
	if (err && !was_set)
		err->errnum = EINVAL;
	return -EINVAL;
}

static int req_string(json_t *obj, const char *key, const char *where, char **ret, struct berr *err)
{
	if (!json_object_get(obj, key))
		return invalid(err, "%s.%s: missing", where, key);
	return json_opt_string(obj, key, where, ret, err);
}

static int req_uint64(json_t *obj, const char *key, const char *where, uint64_t *ret, struct berr *err)
{
	if (!json_object_get(obj, key))
		return invalid(err, "%s.%s: missing", where, key);
	return json_opt_uint64(obj, key, where, ret, err);
}

static const struct action_def *action_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(action_table); i++)
		if (streq(action_table[i].name, name))
			return &action_table[i];
	return NULL;
}

/* Read obj.<akey> and obj.<ekey> (the errno) into a libseccomp action. Both
 * ERRNO and TRACE default to EPERM, as the spec and runc have it. */
static int parse_action(json_t *obj, const char *akey, const char *ekey, const char *where, uint32_t *ret,
			struct berr *err)
{
	_cleanup_free_ char *name = NULL;
	int r = req_string(obj, akey, where, &name, err);
	if (r < 0)
		return r;
	const struct action_def *def = action_lookup(name);
	if (!def)
		return invalid(err, "%s.%s: unknown action \"%s\"", where, akey, name);
	if (def->action == SCMP_ACT_NOTIFY)
		return invalid(err, "%s.%s: seccomp notify (SCMP_ACT_NOTIFY) is not supported", where, akey);

	uint64_t eret = EPERM;
	bool has_ret = json_object_get(obj, ekey) && !json_is_null(json_object_get(obj, ekey));
	r = json_opt_uint64(obj, ekey, where, &eret, err);
	if (r < 0)
		return r;
	if (has_ret && !def->takes_ret)
		return invalid(err, "%s.%s: %s does not take an errno", where, ekey, name);
	if (eret > 0xffff)
		return invalid(err, "%s.%s: %llu is out of range (0-65535)", where, ekey, (unsigned long long)eret);
	*ret = def->takes_ret ? def->action | (uint32_t)eret : def->action;
	return 0;
}

static int add_arches(scmp_filter_ctx ctx, json_t *profile, struct berr *err)
{
	_cleanup_strv_free_ char **names = NULL;
	int r = json_opt_strv(profile, "architectures", "linux.seccomp", &names, err);
	if (r < 0)
		return r;
	for (size_t i = 0; names && names[i]; i++) {
		size_t k = 0;
		while (k < ARRAY_SIZE(arch_table) && !streq(arch_table[k].name, names[i]))
			k++;
		if (k == ARRAY_SIZE(arch_table))
			return invalid(err, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i,
				       names[i]);
		/* The native arch is always in a new filter: EEXIST is fine. */
		r = seccomp_arch_add(ctx, arch_table[k].token);
		if (r < 0 && r != -EEXIST)
			return berr_set(err, BERR_INVALID, -r, "linux.seccomp.architectures[%zu]: adding %s", i,
					names[i]);
	}
	return 0;
}

static int set_flags(scmp_filter_ctx ctx, json_t *profile, struct berr *err)
{
	_cleanup_strv_free_ char **names = NULL;
	int r = json_opt_strv(profile, "flags", "linux.seccomp", &names, err);
	if (r < 0)
		return r;
	for (size_t i = 0; names && names[i]; i++) {
		size_t k = 0;
		while (k < ARRAY_SIZE(flag_table) && !streq(flag_table[k].name, names[i]))
			k++;
		if (k == ARRAY_SIZE(flag_table))
			return invalid(err, "linux.seccomp.flags[%zu]: unknown flag \"%s\"", i, names[i]);
		if (flag_table[k].attr == _SCMP_FLTATR_MIN)
			continue;
		r = seccomp_attr_set(ctx, flag_table[k].attr, 1);
		if (r < 0)
			return berr_set(err, BERR_INVALID, -r, "linux.seccomp.flags[%zu]: %s", i, names[i]);
	}
	return 0;
}

/* The listener fields only matter with SCMP_ACT_NOTIFY, which parse_action
 * refuses; check their types and the one rule the spec gives for them. */
static int check_listener(json_t *profile, struct berr *err)
{
	_cleanup_free_ char *path = NULL, *meta = NULL;
	int r = json_opt_string(profile, "listenerPath", "linux.seccomp", &path, err);
	if (r < 0)
		return r;
	r = json_opt_string(profile, "listenerMetadata", "linux.seccomp", &meta, err);
	if (r < 0)
		return r;
	if (meta && !path)
		return invalid(err, "linux.seccomp.listenerMetadata: set without listenerPath");
	return 0;
}

static int lookup_op(const char *name, enum scmp_compare *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(op_table); i++)
		if (streq(op_table[i].name, name)) {
			*ret = op_table[i].op;
			return 0;
		}
	return -EINVAL;
}

static int parse_arg(json_t *arg, const char *where, struct scmp_arg_cmp *ret, struct berr *err)
{
	if (!json_is_object(arg))
		return invalid(err, "%s: expected an object", where);
	uint64_t index = 0, value = 0, value_two = 0;
	_cleanup_free_ char *op = NULL;
	int r;
	if ((r = req_uint64(arg, "index", where, &index, err)) < 0 ||
	    (r = req_uint64(arg, "value", where, &value, err)) < 0 ||
	    (r = json_opt_uint64(arg, "valueTwo", where, &value_two, err)) < 0 ||
	    (r = req_string(arg, "op", where, &op, err)) < 0)
		return r;
	if (index >= SYSCALL_MAX_ARGS)
		return invalid(err, "%s.index: %llu is out of range (0-5)", where, (unsigned long long)index);
	enum scmp_compare cmp;
	if (lookup_op(op, &cmp) < 0)
		return invalid(err, "%s.op: unknown operator \"%s\"", where, op);
	/* For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the datum
	 * (Docker's clone rule: value = CLONE_NEW* mask, valueTwo = 0). */
	*ret = (struct scmp_arg_cmp){ .arg = (unsigned)index, .op = cmp, .datum_a = value, .datum_b = value_two };
	return 0;
}

struct rule {
	uint32_t action;
	struct scmp_arg_cmp *conds;
	size_t n_conds;
	bool split; /* add each condition as its own rule (OR) */
};

static void rule_release(struct rule *rule) { free(rule->conds); }

static int parse_args(json_t *sc, const char *where, struct rule *rule, struct berr *err)
{
	json_t *args = NULL;
	int r = json_opt_array(sc, "args", where, &args, err);
	if (r < 0 || !args || json_array_size(args) == 0)
		return r;
	rule->conds = calloc(json_array_size(args), sizeof(*rule->conds));
	if (!rule->conds)
		return -ENOMEM;
	unsigned seen[SYSCALL_MAX_ARGS] = { 0 };
	size_t i;
	json_t *arg;
	json_array_foreach(args, i, arg) {
		char awhere[ARG_WHERE_MAX];
		snprintf(awhere, sizeof(awhere), "%s.args[%zu]", where, i);
		r = parse_arg(arg, awhere, &rule->conds[i], err);
		if (r < 0)
			return r;
		if (++seen[rule->conds[i].arg] > 1)
			rule->split = true;
		rule->n_conds++;
	}
	return 0;
}

/* libseccomp ANDs the conditions of one rule, but given two conditions on
 * the same argument in one rule, 2.5.4 silently keeps only one of them. runc (libcontainer/seccomp/seccomp_linux.go,
 * matchCall) then falls back to adding every condition of that entry as a
 * rule of its own, so the entry matches when ANY condition holds. Profiles in
 * the wild rely on that reading (Docker's profile uses one entry per value
 * instead, which means the same), so berth does the same. */
static int add_rule(scmp_filter_ctx ctx, int nr, const struct rule *rule)
{
	if (!rule->split)
		return seccomp_rule_add_array(ctx, rule->action, nr, (unsigned)rule->n_conds, rule->conds);
	for (size_t i = 0; i < rule->n_conds; i++) {
		int r = seccomp_rule_add_array(ctx, rule->action, nr, 1, &rule->conds[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_syscall_entry(scmp_filter_ctx ctx, json_t *sc, size_t idx, uint32_t def_action, struct berr *err)
{
	char where[WHERE_MAX];
	snprintf(where, sizeof(where), "linux.seccomp.syscalls[%zu]", idx);
	if (!json_is_object(sc))
		return invalid(err, "%s: expected an object", where);

	_cleanup_strv_free_ char **names = NULL;
	_cleanup_(rule_release) struct rule rule = { 0 };
	int r = json_opt_strv(sc, "names", where, &names, err);
	if (r < 0)
		return r;
	if (strv_length(names) == 0)
		return invalid(err, "%s.names: must name at least one syscall", where);
	if ((r = parse_action(sc, "action", "errnoRet", where, &rule.action, err)) < 0 ||
	    (r = parse_args(sc, where, &rule, err)) < 0)
		return r;
	/* libseccomp refuses a rule whose action is the default one; such a
	 * rule changes nothing, so skipping it is exact. */
	if (rule.action == def_action)
		return 0;

	for (size_t i = 0; names[i]; i++) {
		/* Unknown names are skipped, as runc does: profiles list calls
		 * that this kernel, libseccomp or architecture lacks. */
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr == __NR_SCMP_ERROR)
			continue;
		r = add_rule(ctx, nr, &rule);
		if (r < 0)
			return berr_set(err, BERR_INVALID, -r, "%s: adding rule for %s", where, names[i]);
	}
	return 0;
}

static int add_syscalls(scmp_filter_ctx ctx, json_t *profile, uint32_t def_action, struct berr *err)
{
	json_t *syscalls = NULL;
	int r = json_opt_array(profile, "syscalls", "linux.seccomp", &syscalls, err);
	if (r < 0 || !syscalls)
		return r;
	/* A binary tree of syscall numbers makes long allow-lists cheaper per
	 * call. libseccomp <= 2.5.4 mis-builds the tree for an empty filter, so
	 * only ask for it when there are many rules (runc uses the same cut). */
	if (json_array_size(syscalls) > 32)
		(void)seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	size_t i;
	json_t *sc;
	json_array_foreach(syscalls, i, sc) {
		r = add_syscall_entry(ctx, sc, i, def_action, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Filter-wide attributes that do not come from the profile. */
static int set_base_attrs(scmp_filter_ctx ctx, struct berr *err)
{
	/* no_new_privs belongs to process.noNewPrivileges; init sets it (or
	 * not) itself. Letting libseccomp set it on load would silently break
	 * setuid binaries in containers that asked for noNewPrivileges=false. */
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	/* Make seccomp_load return the kernel's errno, not -ECANCELED. */
	if (r >= 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "linux.seccomp: setting filter attributes");
	return 0;
}

void rt_seccomp_free(struct rt_seccomp *s)
{
	if (!s)
		return;
	if (s->ctx)
		seccomp_release(s->ctx);
	free(s);
}

int rt_seccomp_compile(json_t *profile, struct rt_seccomp **ret, struct berr *err)
{
	if (!json_is_object(profile))
		return invalid(err, "linux.seccomp: expected an object");
	uint32_t def_action;
	int r = parse_action(profile, "defaultAction", "defaultErrnoRet", "linux.seccomp", &def_action, err);
	if (r < 0)
		return r;
	if ((r = check_listener(profile, err)) < 0)
		return r;

	_cleanup_(rt_seccomp_freep) struct rt_seccomp *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ctx = seccomp_init(def_action);
	if (!s->ctx)
		return berr_set(err, BERR_INVALID, EINVAL, "linux.seccomp.defaultAction: not supported by this "
							   "kernel or libseccomp");
	/* Architectures first: rules are then generated for every one of them. */
	if ((r = set_base_attrs(s->ctx, err)) < 0 || (r = add_arches(s->ctx, profile, err)) < 0 ||
	    (r = set_flags(s->ctx, profile, err)) < 0 || (r = add_syscalls(s->ctx, profile, def_action, err)) < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

/* seccomp_load() builds the BPF program (it allocates) and installs it. The
 * init that calls this is single-threaded after clone(), so allocating here
 * is safe; the syscalls it makes are the last ones before execve. */
int rt_seccomp_load(struct rt_seccomp *s)
{
	if (!s || !s->ctx)
		return -EINVAL;
	return seccomp_load(s->ctx);
}
