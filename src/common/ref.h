/* ref.h - image references as Docker normalises them.
 *
 *   busybox                  -> docker.io/library/busybox:latest
 *   me/app:v1                -> docker.io/me/app:v1
 *   localhost:5000/a/b       -> localhost:5000/a/b:latest
 *   busybox@sha256:<hex>     -> docker.io/library/busybox@sha256:<hex> (no tag)
 * The first component is a registry domain when it contains '.' or ':' or
 * is "localhost". Repository path components are lowercase [a-z0-9] runs
 * joined by '.', '_', '__' or '-'; tags are [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
 * Total name length is at most 255. Errors read like Docker's:
 * "invalid reference format: repository name (library/Busybox) must be lowercase". */
#ifndef BERTH_COMMON_REF_H
#define BERTH_COMMON_REF_H

#include <stdbool.h>

#include "base/err.h"

struct image_ref {
	char *domain; /* "docker.io", "localhost:5000" */
	char *path;   /* "library/busybox" */
	char *tag;    /* NULL when only a digest was given */
	char *digest; /* "sha256:..." or NULL */
};

/* Parse and normalise; adds tag "latest" when neither tag nor digest is given
 * (unless no_default_tag). ret is set only on success. */
int ref_parse(const char *s, bool no_default_tag, struct image_ref *ret, struct berr *err);
void ref_release(struct image_ref *r);

/* Full form: "docker.io/library/busybox:latest" (tag and/or "@digest"). */
char *ref_string(const struct image_ref *r);
/* Familiar form, as `docker images` shows: "busybox:latest", "me/app:v1",
 * "localhost:5000/a/b:latest". */
char *ref_familiar(const struct image_ref *r);
/* Familiar repository name without tag or digest: "busybox". */
char *ref_familiar_name(const struct image_ref *r);
/* Full repository name without tag or digest: "docker.io/library/busybox". */
char *ref_name(const struct image_ref *r);

/* Whether s could be an image ID or ID prefix rather than a name:
 * "sha256:<hex...>" or 1-64 lowercase hex digits. */
bool ref_is_id_like(const char *s);

#endif
