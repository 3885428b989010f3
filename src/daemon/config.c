/* config.c - see config.h. One table describes every setting: its flag
 * names, its daemon.json key and where it lands in struct daemon_config. */
#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <string.h>

#include "base/log.h"
#include "base/util.h"
#include "common/json.h"

enum opt_kind {
	OPT_STRING, /* --flag VALUE; a JSON string */
	OPT_STRV,   /* repeatable --flag VALUE; a JSON array of strings */
	OPT_BOOL,   /* --flag (or --flag=true|false); a JSON boolean */
};

struct opt {
	const char *name; /* long flag without "--" */
	char shortname;   /* 0 when none */
	const char *key;  /* daemon.json key; NULL: command line only */
	enum opt_kind kind;
	size_t off;
	const char *arg, *help;
};

#define F(m) offsetof(struct daemon_config, m)
static const struct opt opts[] = {
	{ "config-file", 0, NULL, OPT_STRING, F(config_file), "FILE",
	  "Daemon configuration file (default " DAEMON_DEFAULT_CONFIG_FILE ")" },
	{ "data-root", 0, "data-root", OPT_STRING, F(data_root), "DIR",
	  "Root directory of persistent state (default " DAEMON_DEFAULT_DATA_ROOT ")" },
	{ "debug", 'D', "debug", OPT_BOOL, F(debug), NULL, "Enable debug mode" },
	{ "exec-root", 0, "exec-root", OPT_STRING, F(exec_root), "DIR",
	  "Root directory of execution state (default " DAEMON_DEFAULT_EXEC_ROOT ")" },
	{ "group", 'G', "group", OPT_STRING, F(group), "GROUP",
	  "Group for the unix socket (default \"berth\" when it exists, else root)" },
	{ "help", 'h', NULL, OPT_BOOL, F(show_help), NULL, "Print usage" },
	{ "host", 'H', "hosts", OPT_STRV, F(hosts), "unix://PATH",
	  "Socket to listen on (default unix://<exec-root>/berth.sock)" },
	{ "log-format", 0, "log-format", OPT_STRING, F(log_format), "FORMAT",
	  "Log format: \"text\" or \"json\" (default \"text\")" },
	{ "log-level", 'l', "log-level", OPT_STRING, F(log_level), "LEVEL",
	  "Log level: debug, info, warn, error, fatal (default \"info\")" },
	{ "version", 'v', NULL, OPT_BOOL, F(show_version), NULL, "Print version information and quit" },
};
#undef F

#define FIELD(cfg, o, type) ((type *)((char *)(cfg) + (o)->off))

static const struct opt *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static const struct opt *find_short(char c)
{
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (opts[i].shortname == c)
			return &opts[i];
	return NULL;
}

static const struct opt *find_key(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		if (opts[i].key && strcmp(opts[i].key, key) == 0)
			return &opts[i];
	return NULL;
}

static int set_string(char **field, const char *v)
{
	char *s = strdup(v);
	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

static int parse_bool_word(const char *v, bool *ret)
{
	if (!v || streq(v, "true") || streq(v, "1")) {
		*ret = true;
		return 0;
	}
	if (streq(v, "false") || streq(v, "0")) {
		*ret = false;
		return 0;
	}
	return -EINVAL;
}

/* Apply one flag; inline_val is the part after '=' (or after -X) or NULL. */
static int apply_flag(struct daemon_config *cfg, const struct opt *o, const char *shown, const char *inline_val,
		      int argc, char *const *argv, int *i, struct berr *err)
{
	cfg->set_by_flag |= 1u << (o - opts);
	if (o->kind == OPT_BOOL) {
		if (parse_bool_word(inline_val, FIELD(cfg, o, bool)) < 0)
			return berr_set(err, BERR_INVALID, EINVAL, "invalid argument \"%s\" for \"%s\" flag",
					inline_val, shown);
		return 0;
	}
	const char *v = inline_val;
	if (!v) {
		if (*i + 1 >= argc)
			return berr_set(err, BERR_INVALID, EINVAL, "flag needs an argument: %s", shown);
		v = argv[++*i];
	}
	if (o->kind == OPT_STRV)
		return strv_push(FIELD(cfg, o, char **), v);
	return set_string(FIELD(cfg, o, char *), v);
}

static int parse_long(struct daemon_config *cfg, int argc, char *const *argv, int *i, struct berr *err)
{
	const char *a = argv[*i] + 2, *eq = strchr(a, '=');
	size_t len = eq ? (size_t)(eq - a) : strlen(a);
	const struct opt *o = find_long(a, len);
	if (!o)
		return berr_set(err, BERR_INVALID, EINVAL, "unknown flag: --%.*s", (int)len, a);
	return apply_flag(cfg, o, argv[*i], eq ? eq + 1 : NULL, argc, argv, i, err);
}

static int parse_short(struct daemon_config *cfg, int argc, char *const *argv, int *i, struct berr *err)
{
	const char *a = argv[*i] + 1;
	const struct opt *o = find_short(a[0]);
	if (!o)
		return berr_set(err, BERR_INVALID, EINVAL, "unknown shorthand flag: '%c' in %s", a[0], argv[*i]);
	const char *inline_val = a[1] ? (a[1] == '=' ? a + 2 : a + 1) : NULL;
	char shown[3] = { '-', a[0], 0 };
	return apply_flag(cfg, o, shown, inline_val, argc, argv, i, err);
}

int daemon_config_parse_args(struct daemon_config *cfg, int argc, char *const *argv, struct berr *err)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;
		if (str_startswith(a, "--") && a[2])
			r = parse_long(cfg, argc, argv, &i, err);
		else if (a[0] == '-' && a[1] && a[1] != '-')
			r = parse_short(cfg, argc, argv, &i, err);
		else
			r = berr_set(err, BERR_INVALID, EINVAL, "berthd takes no arguments, got \"%s\"", a);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- daemon.json ---- */

/* A value as dockerd's message shows it: strings bare, lists as [a b]. */
static char *flag_value_text(const struct daemon_config *cfg, const struct opt *o)
{
	char *s = NULL;
	if (o->kind == OPT_BOOL)
		return strdup(*FIELD(cfg, o, const bool) ? "true" : "false");
	if (o->kind == OPT_STRING)
		return strdup(*FIELD(cfg, o, char *const) ? *FIELD(cfg, o, char *const) : "");
	char *const *v = *FIELD(cfg, o, char **const);
	size_t n = 3;
	for (size_t i = 0; v && v[i]; i++)
		n += strlen(v[i]) + 1;
	s = malloc(n);
	if (!s)
		return NULL;
	size_t at = 0;
	s[at++] = '[';
	for (size_t i = 0; v && v[i]; i++)
		at += (size_t)snprintf(s + at, n - at, "%s%s", i ? " " : "", v[i]);
	snprintf(s + at, n - at, "]");
	return s;
}

static char *json_value_text(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (!json_is_array(v))
		return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	size_t n = 3, i;
	json_t *e;
	json_array_foreach (v, i, e)
		n += (json_is_string(e) ? strlen(json_string_value(e)) : 4) + 1;
	char *s = malloc(n);
	if (!s)
		return NULL;
	size_t at = 0;
	s[at++] = '[';
	json_array_foreach (v, i, e)
		at += (size_t)snprintf(s + at, n - at, "%s%s", i ? " " : "",
				       json_is_string(e) ? json_string_value(e) : "?");
	snprintf(s + at, n - at, "]");
	return s;
}

/* Append "a, b" style items to a growing message. */
static int list_append(char **list, const char *item)
{
	char *n = NULL;
	if (asprintf(&n, "%s%s%s", *list ? *list : "", *list ? ", " : "", item) < 0)
		return -ENOMEM;
	free(*list);
	*list = n;
	return 0;
}

static int check_keys(const struct daemon_config *cfg, json_t *root, const char *path, struct berr *err)
{
	_cleanup_free_ char *unknown = NULL, *both = NULL;
	const char *key;
	json_t *v;
	json_object_foreach (root, key, v) {
		const struct opt *o = find_key(key);
		if (!o) {
			if (list_append(&unknown, key) < 0)
				return -ENOMEM;
			continue;
		}
		if (!(cfg->set_by_flag & (1u << (o - opts))))
			continue;
		_cleanup_free_ char *fv = flag_value_text(cfg, o), *jv = json_value_text(v), *item = NULL;
		if (!fv || !jv || asprintf(&item, "%s: (from flag: %s, from file: %s)", key, fv, jv) < 0)
			return -ENOMEM;
		if (list_append(&both, item) < 0)
			return -ENOMEM;
	}
	if (unknown)
		return berr_set(err, BERR_INVALID, EINVAL,
				"unable to configure the berth daemon with file %s: the following directives don't "
				"match any configuration option: %s", path, unknown);
	if (both)
		return berr_set(err, BERR_INVALID, EINVAL,
				"unable to configure the berth daemon with file %s: the following directives are "
				"specified both as a flag and in the configuration file: %s", path, both);
	return 0;
}

static int apply_json(struct daemon_config *cfg, const struct opt *o, json_t *v, const char *path, struct berr *err)
{
	if (o->kind == OPT_BOOL && json_is_boolean(v)) {
		*FIELD(cfg, o, bool) = json_is_true(v);
		return 0;
	}
	if (o->kind == OPT_STRING && json_is_string(v))
		return set_string(FIELD(cfg, o, char *), json_string_value(v));
	if (o->kind == OPT_STRV && json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach (v, i, e) {
			if (!json_is_string(e))
				goto bad;
			if (strv_push(FIELD(cfg, o, char **), json_string_value(e)) < 0)
				return -ENOMEM;
		}
		return 0;
	}
bad:
	return berr_set(err, BERR_INVALID, EINVAL, "unable to configure the berth daemon with file %s: %s: expected %s",
			path, o->key,
			o->kind == OPT_BOOL ? "true or false" : o->kind == OPT_STRV ? "a list of strings" : "a string");
}

int daemon_config_merge_json(struct daemon_config *cfg, const char *text, size_t len, const char *path,
			     struct berr *err)
{
	_cleanup_json_ json_t *root = NULL;
	int r = json_parse(text, len, path, &root, err);
	if (r < 0)
		return berr_prefix(err, "unable to configure the berth daemon with file %s", path);
	if (!json_is_object(root))
		return berr_set(err, BERR_INVALID, EINVAL,
				"unable to configure the berth daemon with file %s: expected a JSON object", path);
	r = check_keys(cfg, root, path, err);
	if (r < 0)
		return r;
	const char *key;
	json_t *v;
	json_object_foreach (root, key, v) {
		r = apply_json(cfg, find_key(key), v, path, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- defaults and checks ---- */

int daemon_config_host_path(const char *host, char **ret, struct berr *err)
{
	const char *p = NULL;
	if (str_startswith(host, "unix://"))
		p = host + strlen("unix://");
	else if (!strstr(host, "://") && host[0] == '/')
		p = host; /* dockerd accepts a bare path as a unix socket too */
	if (!p)
		return berr_set(err, BERR_INVALID, EINVAL,
				"invalid host \"%s\": only unix:// sockets are supported (e.g. unix:///run/berth/berth.sock)",
				host);
	if (p[0] != '/')
		return berr_set(err, BERR_INVALID, EINVAL, "invalid host \"%s\": the socket path must be absolute",
				host);
	char *s = strdup(p);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static int set_default(char **field, const char *v)
{
	return *field ? 0 : set_string(field, v);
}

static int finish_defaults(struct daemon_config *cfg)
{
	if (set_default(&cfg->data_root, DAEMON_DEFAULT_DATA_ROOT) < 0 ||
	    set_default(&cfg->exec_root, DAEMON_DEFAULT_EXEC_ROOT) < 0 ||
	    set_default(&cfg->log_format, "text") < 0 ||
	    set_default(&cfg->log_level, cfg->debug ? "debug" : "info") < 0)
		return -ENOMEM;
	if (cfg->hosts && cfg->hosts[0])
		return 0;
	char *h = NULL;
	if (asprintf(&h, "unix://%s/berth.sock", cfg->exec_root) < 0)
		return -ENOMEM;
	return strv_consume(&cfg->hosts, h);
}

int daemon_config_finish(struct daemon_config *cfg, struct berr *err)
{
	if (finish_defaults(cfg) < 0)
		return berr_set(err, BERR_INTERNAL, ENOMEM, "configuring");
	static const char *const levels[] = { "debug", "info", "warn", "error", "fatal" };
	bool ok = false;
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		ok = ok || streq(cfg->log_level, levels[i]);
	if (!ok)
		return berr_set(err, BERR_INVALID, EINVAL,
				"unable to parse logging level: %s (use debug, info, warn, error or fatal)",
				cfg->log_level);
	if (!streq(cfg->log_format, "text") && !streq(cfg->log_format, "json"))
		return berr_set(err, BERR_INVALID, EINVAL, "unknown log format \"%s\" (use text or json)",
				cfg->log_format);
	if (cfg->data_root[0] != '/' || cfg->exec_root[0] != '/')
		return berr_set(err, BERR_INVALID, EINVAL, "data-root and exec-root must be absolute paths");
	for (size_t i = 0; cfg->hosts[i]; i++) {
		_cleanup_free_ char *p = NULL;
		int r = daemon_config_host_path(cfg->hosts[i], &p, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_config_file(struct daemon_config *cfg, struct berr *err)
{
	bool explicit = cfg->config_file != NULL;
	const char *path = explicit ? cfg->config_file : DAEMON_DEFAULT_CONFIG_FILE;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = read_file_at(AT_FDCWD, path, &text, &len);
	if (r == -ENOENT && !explicit)
		return 0;
	if (r < 0)
		return berr_set(err, berr_kind_from_errno(r), -r, "unable to configure the berth daemon with file %s",
				path);
	return daemon_config_merge_json(cfg, text, len, path, err);
}

int daemon_config_load(struct daemon_config *cfg, int argc, char *const *argv, struct berr *err)
{
	int r = daemon_config_parse_args(cfg, argc, argv, err);
	if (r < 0 || cfg->show_help || cfg->show_version)
		return r;
	r = read_config_file(cfg, err);
	if (r < 0)
		return r;
	return daemon_config_finish(cfg, err);
}

void daemon_config_usage(FILE *f, const char *prog)
{
	fprintf(f, "Usage:\t%s [OPTIONS]\n\nA self-sufficient runtime for containers.\n\nOptions:\n", prog);
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++) {
		const struct opt *o = &opts[i];
		char left[64];
		snprintf(left, sizeof(left), "%s%c%s--%s %s", o->shortname ? "-" : "  ", o->shortname ? o->shortname : ' ',
			 o->shortname ? "," : " ", o->name, o->arg ? o->arg : "");
		fprintf(f, "  %-30s %s\n", left, o->help);
	}
}

void daemon_config_release(struct daemon_config *cfg)
{
	free(cfg->data_root);
	free(cfg->exec_root);
	strv_free(cfg->hosts);
	free(cfg->log_level);
	free(cfg->log_format);
	free(cfg->group);
	free(cfg->config_file);
	*cfg = (struct daemon_config){ 0 };
}
