/* json.c - see json.h. */
#include "json.h"

#include <fcntl.h>
#include <string.h>

#include "../base/util.h"

int json_parse(const char *buf, size_t len, const char *what, json_t **ret, struct berr *err)
{
	json_error_t je;
	json_t *j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return berr_set(err, BERR_INVALID, EINVAL, "%s: invalid JSON at line %d column %d: %s", what,
				je.line, je.column, je.text);
	*ret = j;
	return 0;
}

int json_load_path(const char *path, json_t **ret, struct berr *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = read_file_at(AT_FDCWD, path, &buf, &len);
	if (r < 0)
		return berr_set(err, berr_kind_from_errno(r), -r, "reading %s", path);
	return json_parse(buf, len, path, ret, err);
}

static int wrong_type(struct berr *err, const char *where, const char *key, const char *want)
{
	return berr_set(err, BERR_INVALID, EINVAL, "%s%s%s: expected %s", where ? where : "",
			where && *where ? "." : "", key, want);
}

int json_opt_string(json_t *obj, const char *key, const char *where, char **ret, struct berr *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return wrong_type(err, where, key, "a string");
	char *s = strdup(json_string_value(v));
	if (!s)
		return -ENOMEM;
	free(*ret);
	*ret = s;
	return 0;
}

int json_opt_bool(json_t *obj, const char *key, const char *where, bool *ret, struct berr *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return wrong_type(err, where, key, "true or false");
	*ret = json_is_true(v);
	return 0;
}

int json_opt_int64(json_t *obj, const char *key, const char *where, int64_t *ret, struct berr *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return wrong_type(err, where, key, "an integer");
	*ret = json_integer_value(v);
	return 0;
}

int json_opt_uint64(json_t *obj, const char *key, const char *where, uint64_t *ret, struct berr *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	/* jansson stores integers as signed 64-bit; values above INT64_MAX
	 * arrive as reals and are refused rather than silently rounded. */
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return wrong_type(err, where, key, "a non-negative integer");
	*ret = (uint64_t)json_integer_value(v);
	return 0;
}

int json_opt_strv(json_t *obj, const char *key, const char *where, char ***ret, struct berr *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return wrong_type(err, where, key, "an array of strings");
	_cleanup_strv_free_ char **out = calloc(1, sizeof(char *));
	if (!out)
		return -ENOMEM;
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return berr_set(err, BERR_INVALID, EINVAL, "%s%s%s[%zu]: expected a string",
					where ? where : "", where && *where ? "." : "", key, i);
		int r = strv_push(&out, json_string_value(e));
		if (r < 0)
			return r;
	}
	strv_free(*ret);
	*ret = TAKE_PTR(out);
	return 0;
}

int json_opt_object(json_t *obj, const char *key, const char *where, json_t **ret, struct berr *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return wrong_type(err, where, key, "an object");
	*ret = v;
	return 0;
}

int json_opt_array(json_t *obj, const char *key, const char *where, json_t **ret, struct berr *err)
{
	json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return wrong_type(err, where, key, "an array");
	*ret = v;
	return 0;
}

char *json_dump_compact(const json_t *j) { return json_dumps(j, JSON_COMPACT); }
