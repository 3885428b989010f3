/* json.h - helpers over jansson for reading untrusted JSON with clear errors.
 *
 * Getters take a parent object, a key and a "where" path used in messages
 * ("process.args[2]: expected a string"). A missing key is not an error for
 * the optional getters (ret untouched, returns 0); a key of the wrong type is
 * -EINVAL with the error set. */
#ifndef BERTH_COMMON_JSON_H
#define BERTH_COMMON_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "../base/err.h"

/* jansson >= 2.14 provides json_decrefp() for cleanup attributes. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Parse a whole buffer; the error names the line and column. */
int json_parse(const char *buf, size_t len, const char *what, json_t **ret, struct berr *err);
int json_load_path(const char *path, json_t **ret, struct berr *err);

int json_opt_string(json_t *obj, const char *key, const char *where, char **ret, struct berr *err);
int json_opt_bool(json_t *obj, const char *key, const char *where, bool *ret, struct berr *err);
int json_opt_int64(json_t *obj, const char *key, const char *where, int64_t *ret, struct berr *err);
int json_opt_uint64(json_t *obj, const char *key, const char *where, uint64_t *ret, struct berr *err);
/* Array of strings into a NULL-terminated strv (NULL when absent). */
int json_opt_strv(json_t *obj, const char *key, const char *where, char ***ret, struct berr *err);
/* Object or array member of the given type, borrowed; NULL when absent. */
int json_opt_object(json_t *obj, const char *key, const char *where, json_t **ret, struct berr *err);
int json_opt_array(json_t *obj, const char *key, const char *where, json_t **ret, struct berr *err);

/* Serialize compactly (jansson's JSON_COMPACT), malloc'ed. */
char *json_dump_compact(const json_t *j);

#endif
