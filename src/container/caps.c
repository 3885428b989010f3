/* caps.c - the capability set of a container: Docker's 14 defaults adjusted by
 * CapAdd/CapDrop, or everything for Privileged (moby oci/caps TweakCapabilities). */
#include <ctype.h>
#include <linux/capability.h>
#include <string.h>

#include "../base/util.h"
#include "../runtime/spec.h"
#include "ocispec-internal.h"

/* In the order moby lists them, which is the order they are emitted in. */
static const int default_caps[] = {
	CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FSETID,  CAP_FOWNER,           CAP_MKNOD,       CAP_NET_RAW,  CAP_SETGID,
	CAP_SETUID, CAP_SETFCAP,      CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL,     CAP_AUDIT_WRITE,
};

#define BIT(c) (UINT64_C(1) << (c))

uint64_t ctr_caps_default(void)
{
	uint64_t m = 0;
	for (size_t i = 0; i < ARRAY_SIZE(default_caps); i++)
		m |= BIT(default_caps[i]);
	return m;
}

static int cap_last(void)
{
	_cleanup_free_ char *s = NULL;
	int64_t v;
	if (read_file_at(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &s, NULL) == 0) {
		s[strcspn(s, "\n")] = '\0';
		if (safe_atoi64(s, &v) == 0 && v >= 0 && v < 64)
			return (int)v;
	}
	return CAP_LAST_CAP;
}

uint64_t ctr_caps_all(void)
{
	uint64_t m = 0;
	int last = cap_last();
	for (int c = 0; c <= last; c++)
		if (rt_cap_to_name(c))
			m |= BIT(c);
	return m;
}

/* "net_admin", "CAP_NET_ADMIN", "all" -> number, or CAPS_ALL. */
#define CAPS_ALL 64
static int cap_parse(const char *name, struct berr *err)
{
	char buf[64] = "CAP_";
	size_t off = strncasecmp(name, "CAP_", 4) == 0 ? 4 : 0;
	if (strcasecmp(name, "ALL") == 0)
		return CAPS_ALL;
	if (strlen(name + off) + 5 > sizeof(buf))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "unknown capability: \"%s\"", name);
	for (size_t i = 0; name[off + i]; i++)
		buf[4 + i] = (char)toupper((unsigned char)name[off + i]);
	int c = rt_cap_from_name(buf);
	if (c < 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "unknown capability: \"%s\"", buf);
	return c;
}

/* The set named by a list; *all tells whether "ALL" was among them. */
static int cap_list(json_t *list, uint64_t *ret, bool *all, struct berr *err)
{
	size_t i;
	json_t *v;
	*ret = 0;
	*all = false;
	if (!list || json_is_null(list))
		return 0;
	if (!json_is_array(list))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "capabilities: expected a list of names");
	json_array_foreach(list, i, v) {
		if (!json_is_string(v))
			return berr_set_msg(err, BERR_INVALID, EINVAL, "capabilities: expected a list of names");
		int c = cap_parse(json_string_value(v), err);
		if (c < 0)
			return c;
		if (c == CAPS_ALL)
			*all = true;
		else
			*ret |= BIT(c);
	}
	return 0;
}

int ctr_caps_compute(json_t *cap_add, json_t *cap_drop, bool privileged, uint64_t *ret, struct berr *err)
{
	uint64_t add, drop;
	bool add_all, drop_all;
	int r;
	if ((r = cap_list(cap_add, &add, &add_all, err)) < 0 || (r = cap_list(cap_drop, &drop, &drop_all, err)) < 0)
		return r;
	if (privileged)
		*ret = ctr_caps_all();
	else if (add_all)
		*ret = ctr_caps_all() & ~drop;
	else if (drop_all)
		*ret = add;
	else
		*ret = (ctr_caps_default() & ~drop) | add;
	return 0;
}

json_t *ctr_caps_to_json(uint64_t mask)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < ARRAY_SIZE(default_caps); i++)
		if ((mask & BIT(default_caps[i])) &&
		    json_array_append_new(a, json_string(rt_cap_to_name(default_caps[i]))) < 0)
			goto oom;
	mask &= ~ctr_caps_default();
	for (int c = 0; a && c < 64; c++)
		if ((mask & BIT(c)) && rt_cap_to_name(c) &&
		    json_array_append_new(a, json_string(rt_cap_to_name(c))) < 0)
			goto oom;
	return a;
oom:
	json_decref(a);
	return NULL;
}
