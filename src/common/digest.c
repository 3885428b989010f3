/* digest.c - see digest.h. */
#include "common/digest.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

#include "base/util.h"

#define SHA256_PREFIX "sha256:"
#define SHA256_PREFIX_LEN 7
#define SHA256_HEX_LEN 64
#define SHA512_HEX_LEN 128

struct digester {
	EVP_MD_CTX *ctx;
	bool finished;
};

struct digester *digester_new(void)
{
	struct digester *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL) != 1) {
		digester_free(d);
		return NULL;
	}
	return d;
}

void digester_free(struct digester *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int digester_update(struct digester *d, const void *buf, size_t n)
{
	if (d->finished)
		return -EINVAL;
	if (n > 0 && EVP_DigestUpdate(d->ctx, buf, n) != 1)
		return -EIO;
	return 0;
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int digester_final(struct digester *d, digest_t out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	if (d->finished)
		return -EINVAL;
	d->finished = true;
	if (EVP_DigestFinal_ex(d->ctx, md, &len) != 1 || len * 2 != SHA256_HEX_LEN)
		return -EIO;
	memcpy(out, SHA256_PREFIX, SHA256_PREFIX_LEN);
	hex_encode(md, len, out + SHA256_PREFIX_LEN);
	return 0;
}

int digest_buf(const void *buf, size_t n, digest_t out)
{
	_cleanup_digester_ struct digester *d = digester_new();
	if (!d)
		return -ENOMEM;
	int r = digester_update(d, buf, n);
	if (r < 0)
		return r;
	return digester_final(d, out);
}

int digest_fd(int fd, digest_t out, size_t *ret_size)
{
	_cleanup_digester_ struct digester *d = digester_new();
	if (!d)
		return -ENOMEM;
	_cleanup_free_ char *buf = malloc(128 * 1024);
	if (!buf)
		return -ENOMEM;
	size_t total = 0;
	for (;;) {
		ssize_t n = RETRY_EINTR(read(fd, buf, 128 * 1024));
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		int r = digester_update(d, buf, (size_t)n);
		if (r < 0)
			return r;
		total += (size_t)n;
	}
	int r = digester_final(d, out);
	if (r < 0)
		return r;
	if (ret_size)
		*ret_size = total;
	return 0;
}

static bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }
static bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

/* OCI descriptor.md: algorithm := component (separator component)*,
 * component := [a-z0-9]+, separator := [+._-]. */
static bool algorithm_ok(const char *s, size_t n)
{
	bool need_component = true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (is_lower_alnum(c)) {
			need_component = false;
		} else if (strchr("+._-", c) && !need_component) {
			need_component = true;
		} else {
			return false;
		}
	}
	return !need_component;
}

static size_t hex_span(const char *s)
{
	size_t n = 0;
	while (is_lower_hex(s[n]))
		n++;
	return n;
}

int digest_validate(const char *s, struct berr *err)
{
	if (!s || !*s)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid digest \"\": empty");
	const char *colon = strchr(s, ':');
	if (!colon)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "invalid digest \"%s\": expected <algorithm>:<hex>", s);
	size_t alen = (size_t)(colon - s);
	if (!algorithm_ok(s, alen))
		return berr_set_msg(err, BERR_INVALID, EINVAL, "invalid digest \"%s\": malformed algorithm", s);
	const char *hex = colon + 1;
	size_t hlen = strlen(hex);
	if (hlen == 0 || hex_span(hex) != hlen)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "invalid digest \"%s\": the encoded part must be lowercase hex", s);
	bool sha256 = alen == 6 && memcmp(s, "sha256", 6) == 0;
	bool sha512 = alen == 6 && memcmp(s, "sha512", 6) == 0;
	if (sha256 && hlen != SHA256_HEX_LEN)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "invalid digest \"%s\": sha256 needs 64 hex digits, not %zu", s, hlen);
	if (sha512 && hlen != SHA512_HEX_LEN)
		return berr_set_msg(err, BERR_INVALID, EINVAL,
				    "invalid digest \"%s\": sha512 needs 128 hex digits, not %zu", s, hlen);
	if (!sha256)
		return berr_set_msg(err, BERR_INVALID, EOPNOTSUPP,
				    "unsupported digest algorithm \"%.*s\" in \"%s\" (only sha256)", (int)alen, s, s);
	return 0;
}

const char *digest_hex(const char *s)
{
	const char *colon = strchr(s, ':');
	return colon ? colon + 1 : s;
}

int digest_chain_id(const char *parent_chain, const char *diff_id, digest_t out)
{
	if (!parent_chain) {
		if (strlen(diff_id) != DIGEST_SHA256_LEN)
			return -EINVAL;
		memcpy(out, diff_id, DIGEST_SHA256_LEN + 1);
		return 0;
	}
	_cleanup_digester_ struct digester *d = digester_new();
	if (!d)
		return -ENOMEM;
	int r = digester_update(d, parent_chain, strlen(parent_chain));
	if (r >= 0)
		r = digester_update(d, " ", 1);
	if (r >= 0)
		r = digester_update(d, diff_id, strlen(diff_id));
	if (r < 0)
		return r;
	return digester_final(d, out);
}
