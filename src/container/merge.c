/* merge.c - the create-time merge of an image's config into a container's
 * Config (engine-api.md §5.3, moby daemon/commit.go "merge").
 *
 * The create body wins wherever it says something; "saying something" is
 * per field: an empty string, a missing key, null, or an empty list/map all
 * mean "inherit", except for Entrypoint where null and [] differ. */
#include <string.h>

#include "../base/util.h"
#include "../common/json.h"
#include "ocispec.h"

static bool str_empty(json_t *v) { return !json_is_string(v) || json_string_length(v) == 0; }
static size_t arr_len(json_t *v) { return json_is_array(v) ? json_array_size(v) : 0; }

static int set_copy(json_t *dst, const char *key, json_t *v)
{
	return json_object_set_new(dst, key, v ? json_deep_copy(v) : json_null()) < 0 ? -ENOMEM : 0;
}

/* Length of the key part of "K=V" (the whole string when there is no '='). */
static size_t env_key_len(const char *e)
{
	const char *eq = strchr(e, '=');
	return eq ? (size_t)(eq - e) : strlen(e);
}

static bool env_has_key(json_t *env, const char *e)
{
	size_t n = env_key_len(e), i;
	json_t *v;
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);
		if (s && env_key_len(s) == n && strncmp(s, e, n) == 0)
			return true;
	}
	return false;
}

/* Create Env, then each image entry whose key the create body did not set;
 * then PATH when neither had one (moby's default, what a scratch image needs). */
static int merge_env(json_t *out, json_t *img_env)
{
	json_t *env = json_object_get(out, "Env");
	if (!json_is_array(env)) {
		env = json_array();
		if (!env || json_object_set_new(out, "Env", env) < 0)
			return -ENOMEM;
	}
	size_t i;
	json_t *v;
	if (json_is_array(img_env))
		json_array_foreach(img_env, i, v)
			if (json_is_string(v) && !env_has_key(env, json_string_value(v)) &&
			    json_array_append(env, v) < 0)
				return -ENOMEM;
	if (!env_has_key(env, "PATH=") && json_array_append_new(env, json_string("PATH=" CTR_DEFAULT_PATH)) < 0)
		return -ENOMEM;
	return 0;
}

/* Keys of img the create body lacks are added (Labels, ExposedPorts, Volumes). */
static int merge_map(json_t *out, const char *key, json_t *img)
{
	json_t *m = json_object_get(out, key);
	if (!json_is_object(m)) {
		m = json_object();
		if (!m || json_object_set_new(out, key, m) < 0)
			return -ENOMEM;
	}
	const char *k;
	json_t *v;
	if (json_is_object(img))
		json_object_foreach(img, k, v)
			if (!json_object_get(m, k) && json_object_set_new(m, k, json_deep_copy(v)) < 0)
				return -ENOMEM;
	return 0;
}

static int inherit_string(json_t *out, const char *key, json_t *img)
{
	json_t *iv = json_object_get(img, key);
	if (str_empty(json_object_get(out, key)) && json_is_string(iv))
		return set_copy(out, key, iv);
	return 0;
}

static const char *const health_numbers[] = { "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries" };

static int merge_healthcheck(json_t *out, json_t *img_hc)
{
	if (!json_is_object(img_hc))
		return 0;
	json_t *hc = json_object_get(out, "Healthcheck");
	if (!json_is_object(hc))
		return set_copy(out, "Healthcheck", img_hc);
	if (arr_len(json_object_get(hc, "Test")) == 0 && json_object_get(img_hc, "Test") &&
	    set_copy(hc, "Test", json_object_get(img_hc, "Test")) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(health_numbers); i++) {
		json_t *mine = json_object_get(hc, health_numbers[i]);
		json_t *theirs = json_object_get(img_hc, health_numbers[i]);
		bool zero = !json_is_integer(mine) || json_integer_value(mine) == 0;
		if (zero && json_is_integer(theirs) && set_copy(hc, health_numbers[i], theirs) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Entrypoint/Cmd: only when the create Entrypoint is empty does anything come
 * from the image: an empty Cmd takes the image's, and a null (not [])
 * Entrypoint takes the image's. Any given Entrypoint, [""] included, drops both. */
static int merge_command(json_t *out, json_t *img)
{
	json_t *ep = json_object_get(out, "Entrypoint");
	if (arr_len(ep) != 0)
		return 0;
	if (arr_len(json_object_get(out, "Cmd")) == 0 && set_copy(out, "Cmd", json_object_get(img, "Cmd")) < 0)
		return -ENOMEM;
	if ((!ep || json_is_null(ep)) && set_copy(out, "Entrypoint", json_object_get(img, "Entrypoint")) < 0)
		return -ENOMEM;
	return 0;
}

static int append_strings(char ***v, json_t *arr)
{
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e) {
		if (!json_is_string(e))
			return -EINVAL;
		if (strv_push(v, json_string_value(e)) < 0)
			return -ENOMEM;
	}
	return 0;
}

int ctr_config_args(json_t *config, char ***ret)
{
	_cleanup_strv_free_ char **args = calloc(1, sizeof(char *));
	if (!args)
		return -ENOMEM;
	json_t *ep = json_object_get(config, "Entrypoint");
	bool no_ep = arr_len(ep) == 1 && streq(json_string_value(json_array_get(ep, 0)), "");
	int r;
	if (json_is_array(ep) && !no_ep && (r = append_strings(&args, ep)) < 0)
		return r;
	json_t *cmd = json_object_get(config, "Cmd");
	if (json_is_array(cmd) && (r = append_strings(&args, cmd)) < 0)
		return r;
	if (!args[0])
		return -EINVAL;
	*ret = TAKE_PTR(args);
	return 0;
}

static int merge_fields(json_t *out, json_t *img)
{
	int r;
	if ((r = inherit_string(out, "User", img)) < 0 || (r = inherit_string(out, "WorkingDir", img)) < 0 ||
	    (r = inherit_string(out, "StopSignal", img)) < 0 ||
	    (r = merge_env(out, json_object_get(img, "Env"))) < 0 ||
	    (r = merge_map(out, "Labels", json_object_get(img, "Labels"))) < 0 ||
	    (r = merge_map(out, "ExposedPorts", json_object_get(img, "ExposedPorts"))) < 0 ||
	    (r = merge_map(out, "Volumes", json_object_get(img, "Volumes"))) < 0 ||
	    (r = merge_healthcheck(out, json_object_get(img, "Healthcheck"))) < 0 ||
	    (r = merge_command(out, img)) < 0)
		return r;
	return 0;
}

int ctr_merge_config(json_t *image_config, json_t *create, json_t **ret, struct berr *err)
{
	if (create && !json_is_object(create))
		return berr_set(err, BERR_INVALID, EINVAL, "container config: expected an object");
	json_t *img = json_is_object(image_config) ? image_config : NULL;
	_cleanup_json_ json_t *empty = json_object();
	_cleanup_json_ json_t *out = json_deep_copy(create ? create : empty);
	if (!out || !empty)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "merging container config");
	json_object_del(out, "HostConfig");
	json_object_del(out, "NetworkingConfig");
	if (merge_fields(out, img ? img : empty) < 0)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "merging container config");
	_cleanup_strv_free_ char **args = NULL;
	int r = ctr_config_args(out, &args);
	if (r == -ENOMEM)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "merging container config");
	if (r < 0)
		return berr_set_msg(err, BERR_INVALID, EINVAL, "No command specified");
	*ret = TAKE_PTR(out);
	return 0;
}
