/* digest.h - content digests as the image formats write them:
 * "sha256:" followed by 64 lowercase hex digits. OpenSSL's EVP does the
 * hashing (SHA-NI where the CPU has it).
 *
 * Only sha256 is produced; digest_validate() also accepts well-formed
 * sha512 digests (the OCI spec allows them) so that they can be refused
 * with a clear "unsupported" message rather than "malformed". */
#ifndef BERTH_COMMON_DIGEST_H
#define BERTH_COMMON_DIGEST_H

#include <stddef.h>

#include "base/err.h"

#define DIGEST_SHA256_LEN 71 /* strlen("sha256:") + 64 */
typedef char digest_t[DIGEST_SHA256_LEN + 1];

struct digester; /* running sha256 */

struct digester *digester_new(void); /* NULL on OOM */
int digester_update(struct digester *d, const void *buf, size_t n);
/* Finish into out ("sha256:<hex>"); the digester can't be updated after. */
int digester_final(struct digester *d, digest_t out);
void digester_free(struct digester *d);
static inline void digester_freep(struct digester **d) { digester_free(*d); }
#define _cleanup_digester_ _cleanup_(digester_freep)

int digest_buf(const void *buf, size_t n, digest_t out);
/* Digest of everything readable from fd (to EOF); ret_size may be NULL. */
int digest_fd(int fd, digest_t out, size_t *ret_size);

/* 0 for "sha256:<64 lowercase hex>"; -EOPNOTSUPP for a well-formed other
 * algorithm; -EINVAL otherwise (err says what is wrong). */
int digest_validate(const char *s, struct berr *err);
/* The hex part (after "sha256:"); s must be valid. */
const char *digest_hex(const char *s);

/* ChainID (OCI config.md): chain(L0) = diffid(L0),
 * chain(L0..n) = sha256(chain(L0..n-1) + " " + diffid(Ln)). parent may be NULL. */
int digest_chain_id(const char *parent_chain, const char *diff_id, digest_t out);

#endif
