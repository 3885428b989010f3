/* router.c - see router.h. */
#include "router.h"

#include <string.h>

#include "base/util.h"

/* ---- versions ---- */

int router_parse_version(const char *s, size_t len, unsigned *ret)
{
	unsigned parts[2] = { 0, 0 }, idx = 0;
	bool digit = false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (++idx > 2)
				return -EINVAL;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		digit = true;
		if (idx < 2) {
			parts[idx] = parts[idx] * 10 + (unsigned)(s[i] - '0');
			if (parts[idx] > 999)
				return -EINVAL;
		}
	}
	if (!digit)
		return -EINVAL;
	*ret = API_V(parts[0], parts[1]);
	return 0;
}

void router_split_version(const char *path, unsigned *ret_version, const char **ret_rest, char ret_text[static 16])
{
	*ret_version = API_MAX_V;
	*ret_rest = path;
	ret_text[0] = 0;
	if (path[0] != '/' || path[1] != 'v')
		return;
	const char *seg = path + 2, *end = strchrnul(seg, '/');
	size_t len = (size_t)(end - seg);
	unsigned v;
	if (len == 0 || len >= 16 || router_parse_version(seg, len, &v) < 0)
		return;
	*ret_version = v;
	*ret_rest = end;
	memcpy(ret_text, seg, len);
	ret_text[len] = 0;
}

int router_check_version(unsigned version, const char *text, struct berr *err)
{
	if (version < API_MIN_V)
		return berr_set(err, BERR_INVALID, 0,
				"client version %s is too old. Minimum supported API version is %s, please upgrade "
				"your client to a newer version", text, API_MIN_VERSION);
	if (version > API_MAX_V)
		return berr_set(err, BERR_INVALID, 0,
				"client version %s is too new. Maximum supported API version is %s", text, API_VERSION);
	return 0;
}

/* ---- matching ---- */

static bool push_param(struct route_match *m, const char *key, size_t key_len, const char *v, size_t n)
{
	if (m->n_params >= ROUTE_MAX_PARAMS || key_len >= sizeof(m->params[0].key))
		return false;
	struct route_param *p = &m->params[m->n_params];
	p->value = strndup(v, n);
	if (!p->value)
		return false;
	memcpy(p->key, key, key_len);
	p->key[key_len] = 0;
	m->n_params++;
	return true;
}

static void pop_param(struct route_match *m)
{
	free(m->params[--m->n_params].value);
}

/* pat and path each point at a '/' that starts a segment, or at the end. */
static bool match_from(const char *pat, const char *path, struct route_match *m)
{
	if (!*pat || !*path)
		return !*pat && !*path;
	pat++, path++;
	const char *pend = strchrnul(pat, '/'), *qend = strchrnul(path, '/');
	size_t plen = (size_t)(pend - pat);
	if (plen < 2 || pat[0] != '{' || pend[-1] != '}')
		return plen == (size_t)(qend - path) && memcmp(pat, path, plen) == 0 && match_from(pend, qend, m);
	const char *colon = memchr(pat, ':', plen);
	const char *key = pat + 1;
	size_t key_len = (size_t)((colon ? colon : pend - 1) - key);
	if (!colon) { /* one non-empty segment */
		if (qend == path || !push_param(m, key, key_len, path, (size_t)(qend - path)))
			return false;
		if (match_from(pend, qend, m))
			return true;
		pop_param(m);
		return false;
	}
	/* Greedy: the longest run of segments that lets the rest match. */
	for (const char *e = path + strlen(path); e > path; e--) {
		if (*e != '/' && *e != 0)
			continue;
		if (e[-1] == '/')
			continue; /* no empty last segment */
		if (!push_param(m, key, key_len, path, (size_t)(e - path)))
			return false;
		if (match_from(pend, e, m))
			return true;
		pop_param(m);
	}
	return false;
}

bool router_match(const struct route *tab, size_t n, const char *method, const char *path, struct route_match *ret)
{
	for (size_t i = 0; i < n; i++) {
		struct route_match m = { .route = &tab[i] };
		if (!streq(tab[i].method, method) || path[0] != '/')
			continue;
		if (match_from(tab[i].pattern, path, &m)) {
			*ret = m;
			return true;
		}
	}
	return false;
}

void route_match_release(struct route_match *m)
{
	while (m->n_params)
		pop_param(m);
}
