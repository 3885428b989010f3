/* ref.c - see ref.h. Follows the grammar of Docker's distribution/reference
 * (reference := name [":" tag] ["@" digest]) and the normalisation steps of
 * its ParseNormalizedNamed, written as small hand-rolled matchers: each
 * match_* returns how many bytes of its input form the production (0 = no
 * match), never reading past the NUL. */
#include "common/ref.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/util.h"
#include "common/digest.h"

#define DEFAULT_DOMAIN "docker.io"
#define LEGACY_DOMAIN "index.docker.io"
#define OFFICIAL_PREFIX "library/"
#define DEFAULT_TAG "latest"
#define NAME_TOTAL_LENGTH_MAX 255
#define TAG_MAX 128
#define FORMAT_ERR "invalid reference format"

static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
static bool is_alnum(char c) { return isalnum((unsigned char)c) != 0; }
static bool is_word(char c) { return is_alnum(c) || c == '_'; }
static bool is_hex(char c) { return isxdigit((unsigned char)c) != 0; }

/* domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static size_t match_domain_component(const char *s)
{
	if (!is_alnum(s[0]))
		return 0;
	size_t n = 1, last_alnum = 1;
	while (is_alnum(s[n]) || s[n] == '-') {
		n++;
		if (s[n - 1] != '-')
			last_alnum = n;
	}
	return last_alnum;
}

/* host := domain-component ("." domain-component)* | "[" ipv6 "]" */
static size_t match_host(const char *s)
{
	if (s[0] == '[') {
		size_t n = 1;
		while (is_hex(s[n]) || s[n] == ':')
			n++;
		return (n > 1 && s[n] == ']') ? n + 1 : 0;
	}
	size_t n = match_domain_component(s);
	while (n > 0 && s[n] == '.') {
		size_t c = match_domain_component(s + n + 1);
		if (c == 0)
			break;
		n += 1 + c;
	}
	return n;
}

/* domain := host [":" port] */
static size_t match_domain(const char *s)
{
	size_t n = match_host(s);
	if (n == 0 || s[n] != ':')
		return n;
	size_t p = 0;
	while (isdigit((unsigned char)s[n + 1 + p]))
		p++;
	return p > 0 ? n + 1 + p : n;
}

/* separator := [_.] | "__" | "-"+ */
static size_t match_separator(const char *s)
{
	if (s[0] == '_' && s[1] == '_')
		return 2;
	if (s[0] == '_' || s[0] == '.')
		return 1;
	size_t n = 0;
	while (s[n] == '-')
		n++;
	return n;
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)* */
static size_t match_path_component(const char *s)
{
	size_t n = 0;
	while (is_lower_alnum(s[n]))
		n++;
	while (n > 0) {
		size_t sep = match_separator(s + n);
		if (sep == 0 || !is_lower_alnum(s[n + sep]))
			break;
		n += sep;
		while (is_lower_alnum(s[n]))
			n++;
	}
	return n;
}

/* path := path-component ("/" path-component)* */
static size_t match_path(const char *s)
{
	size_t n = match_path_component(s);
	while (n > 0 && s[n] == '/') {
		size_t c = match_path_component(s + n + 1);
		if (c == 0)
			return 0; /* a trailing or doubled '/' never matches */
		n += 1 + c;
	}
	return n;
}

/* tag := [\w][\w.-]{0,127} */
static size_t match_tag(const char *s)
{
	if (!is_word(s[0]))
		return 0;
	size_t n = 1;
	while (n < TAG_MAX && (is_word(s[n]) || s[n] == '.' || s[n] == '-'))
		n++;
	return n;
}

/* digest := algorithm ":" [0-9a-fA-F]{32,};
 * algorithm := [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)* */
static size_t match_digest(const char *s)
{
	size_t n = 0;
	for (;;) {
		if (!isalpha((unsigned char)s[n]))
			return 0;
		while (is_alnum(s[n]))
			n++;
		if (!s[n] || !strchr("-_+.", s[n]))
			break;
		n++;
	}
	if (s[n] != ':')
		return 0;
	size_t h = 0;
	while (is_hex(s[n + 1 + h]))
		h++;
	return h >= 32 ? n + 1 + h : 0;
}

static bool is_hex64(const char *s)
{
	size_t n = 0;
	while ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))
		n++;
	return n == 64 && s[n] == '\0';
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (isupper((unsigned char)s[i]))
			return true;
	return false;
}

/* The first component names a registry when it looks like a host
 * (a '.' or ':', "localhost") or has capitals, which a Hub path never has. */
static bool is_registry_component(const char *s, size_t n)
{
	if (memchr(s, '.', n) || memchr(s, ':', n))
		return true;
	if (n == strlen("localhost") && memcmp(s, "localhost", n) == 0)
		return true;
	return has_upper(s, n);
}

/* splitDockerDomain: ret_domain gets the registry, ret_rest the remainder
 * with "library/" added for single-component Hub names. */
static int split_domain(const char *s, char **ret_domain, char **ret_rest)
{
	const char *slash = strchr(s, '/');
	_cleanup_free_ char *domain = NULL, *rest = NULL;
	if (!slash || !is_registry_component(s, (size_t)(slash - s))) {
		domain = strdup(DEFAULT_DOMAIN);
		rest = strdup(s);
	} else {
		domain = strndup(s, (size_t)(slash - s));
		rest = strdup(slash + 1);
	}
	if (!domain || !rest)
		return -ENOMEM;
	if (streq(domain, LEGACY_DOMAIN)) {
		free(domain);
		if (!(domain = strdup(DEFAULT_DOMAIN)))
			return -ENOMEM;
	}
	if (streq(domain, DEFAULT_DOMAIN) && !strchr(rest, '/')) {
		char *r = NULL;
		if (asprintf(&r, OFFICIAL_PREFIX "%s", rest) < 0)
			return -ENOMEM;
		free(rest);
		rest = r;
	}
	*ret_domain = TAKE_PTR(domain);
	*ret_rest = TAKE_PTR(rest);
	return 0;
}

static int format_error(struct berr *err)
{
	return berr_set_msg(err, BERR_INVALID, EINVAL, FORMAT_ERR);
}

/* Split "path[:tag][@digest]" (the part after the domain) into r. */
static int parse_remainder(const char *rest, size_t domain_len, struct image_ref *r, struct berr *err)
{
	size_t n = match_path(rest);
	if (n == 0)
		return format_error(err);
	if (domain_len + 1 + n > NAME_TOTAL_LENGTH_MAX)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "repository name must not be more than %d characters", NAME_TOTAL_LENGTH_MAX);
	if (!(r->path = strndup(rest, n)))
		return -ENOMEM;
	const char *p = rest + n;
	if (*p == ':') {
		size_t t = match_tag(p + 1);
		if (t == 0)
			return format_error(err);
		if (!(r->tag = strndup(p + 1, t)))
			return -ENOMEM;
		p += 1 + t;
	}
	if (*p == '@') {
		size_t d = match_digest(p + 1);
		if (d == 0 || p[1 + d] != '\0')
			return format_error(err);
		_cleanup_berr_ struct berr derr = { 0 };
		int q = digest_validate(p + 1, &derr);
		if (q < 0)
			return berr_set_msg(err, BERR_INVALID, -q, FORMAT_ERR ": %s", derr.msg);
		if (!(r->digest = strdup(p + 1)))
			return -ENOMEM;
		p += 1 + d;
	}
	return *p ? format_error(err) : 0;
}

int ref_parse(const char *s, bool no_default_tag, struct image_ref *ret, struct berr *err)
{
	if (is_hex64(s))
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s);
	struct image_ref r = { 0 };
	_cleanup_free_ char *rest = NULL;
	int q = split_domain(s, &r.domain, &rest);
	if (q < 0)
		return q;
	/* Docker checks the case of everything up to the first ':' (so also
	 * "library/") before the grammar, to give this precise message. */
	size_t remote_len = strcspn(rest, ":");
	if (has_upper(rest, remote_len)) {
		q = berr_set_msg(err, BERR_INVALID, EINVAL,
				 FORMAT_ERR ": repository name (%.*s) must be lowercase", (int)remote_len, rest);
		goto fail;
	}
	size_t dlen = strlen(r.domain);
	if (match_domain(r.domain) != dlen) {
		q = format_error(err);
		goto fail;
	}
	q = parse_remainder(rest, dlen, &r, err);
	if (q < 0)
		goto fail;
	if (!r.tag && !r.digest && !no_default_tag && !(r.tag = strdup(DEFAULT_TAG))) {
		q = -ENOMEM;
		goto fail;
	}
	*ret = r;
	return 0;
fail:
	ref_release(&r);
	return q;
}

void ref_release(struct image_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	*r = (struct image_ref){ 0 };
}

/* The familiar name drops "docker.io/" and, for one-level official
 * images, "library/". */
static const char *familiar_path(const struct image_ref *r, bool *ret_hub)
{
	*ret_hub = streq(r->domain, DEFAULT_DOMAIN);
	if (*ret_hub && str_startswith(r->path, OFFICIAL_PREFIX) &&
	    !strchr(r->path + strlen(OFFICIAL_PREFIX), '/'))
		return r->path + strlen(OFFICIAL_PREFIX);
	return r->path;
}

static char *format_ref(const struct image_ref *r, bool familiar, bool with_suffix)
{
	bool hub = false;
	const char *path = familiar ? familiar_path(r, &hub) : r->path;
	char *out = NULL;
	if (asprintf(&out, "%s%s%s%s%s%s%s", hub ? "" : r->domain, hub ? "" : "/", path,
		     with_suffix && r->tag ? ":" : "", with_suffix && r->tag ? r->tag : "",
		     with_suffix && r->digest ? "@" : "", with_suffix && r->digest ? r->digest : "") < 0)
		return NULL;
	return out;
}

char *ref_string(const struct image_ref *r) { return format_ref(r, false, true); }
char *ref_familiar(const struct image_ref *r) { return format_ref(r, true, true); }
char *ref_familiar_name(const struct image_ref *r) { return format_ref(r, true, false); }
char *ref_name(const struct image_ref *r) { return format_ref(r, false, false); }

bool ref_is_id_like(const char *s)
{
	if (str_startswith(s, "sha256:"))
		s += strlen("sha256:");
	size_t n = 0;
	while ((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f'))
		n++;
	return n >= 1 && n <= 64 && s[n] == '\0';
}
