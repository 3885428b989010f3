/* changes.c - see changes.h. One handler per instruction, in a table. */
#include "changes.h"

#include <ctype.h>
#include <string.h>

#include "base/util.h"
#include "common/json.h"

struct change_state {
	json_t *cfg;
	bool cmd_set;
};

typedef int (*change_fn)(struct change_state *st, const char *args, struct berr *err);

/* ---- words: whitespace-separated, quotes removed, backslash escapes ---- */

static int next_word(const char **pp, char **ret)
{
	const char *p = *pp;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return 0;
	size_t cap = strlen(p) + 1, n = 0;
	char *w = malloc(cap), quote = 0;
	if (!w)
		return -ENOMEM;
	for (; *p && (quote || !isspace((unsigned char)*p)); p++) {
		if (quote && *p == quote) {
			quote = 0;
		} else if (!quote && (*p == '"' || *p == '\'')) {
			quote = *p;
		} else if (*p == '\\' && quote != '\'' && p[1]) {
			w[n++] = *++p;
		} else {
			w[n++] = *p;
		}
	}
	w[n] = 0;
	*pp = p;
	*ret = w;
	return 1;
}

/* "k=v k2='v 2'" or the legacy "k the rest" into (key, value) pairs. */
static int name_values(const char *instr, const char *args, char ***ret_kv, struct berr *err)
{
	_cleanup_strv_free_ char **kv = NULL;
	const char *p = args;
	char *w = NULL;
	int r = next_word(&p, &w);
	if (r <= 0)
		return r < 0 ? r : berr_set(err, BERR_INVALID, 0, "%s requires at least one argument", instr);
	if (!strchr(w, '=')) { /* legacy: the first word is the name, the rest the value */
		while (isspace((unsigned char)*p))
			p++;
		if (!*p) {
			free(w);
			return berr_set(err, BERR_INVALID, 0, "%s must have two arguments", instr);
		}
		if (strv_consume(&kv, w) < 0 || strv_push(&kv, p) < 0)
			return -ENOMEM;
		*ret_kv = TAKE_PTR(kv);
		return 0;
	}
	do {
		char *eq = strchr(w, '=');
		if (!eq || eq == w) {
			r = berr_set(err, BERR_INVALID, 0,
				     "Syntax error - can't find = in \"%s\". Must be of the form: name=value", w);
			free(w);
			return r;
		}
		*eq = 0;
		if (strv_push(&kv, w) < 0 || strv_push(&kv, eq + 1) < 0) {
			free(w);
			return -ENOMEM;
		}
		free(w);
	} while ((r = next_word(&p, &w)) > 0);
	if (r < 0)
		return r;
	*ret_kv = TAKE_PTR(kv);
	return 0;
}

/* A JSON array of strings ("exec form"), or NULL when args is not one. */
static json_t *exec_form(const char *args)
{
	while (isspace((unsigned char)*args))
		args++;
	if (*args != '[')
		return NULL;
	json_t *a = json_loads(args, 0, NULL);
	size_t i;
	json_t *e;
	if (!json_is_array(a))
		goto no;
	json_array_foreach (a, i, e)
		if (!json_is_string(e))
			goto no;
	return a;
no:
	json_decref(a);
	return NULL;
}

static json_t *command(const char *args)
{
	json_t *a = exec_form(args);
	return a ? a : json_pack("[s,s,s]", "/bin/sh", "-c", args);
}

/* ---- instructions ---- */

static int do_cmd(struct change_state *st, const char *args, struct berr *err)
{
	st->cmd_set = true;
	return json_object_set_new(st->cfg, "Cmd", command(args)) < 0 ? -ENOMEM : 0;
}

static int do_entrypoint(struct change_state *st, const char *args, struct berr *err)
{
	if (json_object_set_new(st->cfg, "Entrypoint", command(args)) < 0)
		return -ENOMEM;
	/* Like a Dockerfile: a new ENTRYPOINT drops the CMD unless one was set here. */
	if (!st->cmd_set)
		json_object_set_new(st->cfg, "Cmd", json_null());
	return 0;
}

/* Set or replace K=V in the Env list. */
static int env_set(json_t *env, const char *k, const char *v)
{
	_cleanup_free_ char *item = NULL;
	if (asprintf(&item, "%s=%s", k, v) < 0)
		return -ENOMEM;
	size_t i, kl = strlen(k);
	json_t *e;
	json_array_foreach (env, i, e) {
		const char *s = json_string_value(e);
		if (s && strncmp(s, k, kl) == 0 && s[kl] == '=')
			return json_array_set_new(env, i, json_string(item));
	}
	return json_array_append_new(env, json_string(item));
}

static json_t *member(json_t *cfg, const char *key, bool array)
{
	json_t *v = json_object_get(cfg, key);
	if (array ? json_is_array(v) : json_is_object(v))
		return v;
	v = array ? json_array() : json_object();
	json_object_set_new(cfg, key, v);
	return v;
}

static int do_env(struct change_state *st, const char *args, struct berr *err)
{
	_cleanup_strv_free_ char **kv = NULL;
	int r = name_values("ENV", args, &kv, err);
	if (r < 0)
		return r;
	json_t *env = member(st->cfg, "Env", true);
	for (size_t i = 0; kv[i]; i += 2)
		if (env_set(env, kv[i], kv[i + 1]) < 0)
			return -ENOMEM;
	return 0;
}

static int do_label(struct change_state *st, const char *args, struct berr *err)
{
	_cleanup_strv_free_ char **kv = NULL;
	int r = name_values("LABEL", args, &kv, err);
	if (r < 0)
		return r;
	json_t *labels = member(st->cfg, "Labels", false);
	for (size_t i = 0; kv[i]; i += 2)
		if (json_object_set_new(labels, kv[i], json_string(kv[i + 1])) < 0)
			return -ENOMEM;
	return 0;
}

static int parse_port(const char *s, unsigned *ret)
{
	uint64_t v;
	if (!*s || strspn(s, "0123456789") != strlen(s) || safe_atou64(s, &v) < 0 || v > 65535)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* "80", "80/udp", "8000-8002/tcp" into ExposedPorts keys. */
static int expose_one(json_t *ports, const char *spec, struct berr *err)
{
	_cleanup_free_ char *s = strdup(spec);
	if (!s)
		return -ENOMEM;
	char *slash = strchr(s, '/');
	const char *proto = "tcp";
	if (slash) {
		*slash = 0;
		proto = slash + 1;
		for (char *c = slash + 1; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	char *dash = strchr(s, '-');
	if (dash)
		*dash = 0;
	unsigned lo, hi;
	if (parse_port(s, &lo) < 0 || parse_port(dash ? dash + 1 : s, &hi) < 0 || hi < lo ||
	    !(streq(proto, "tcp") || streq(proto, "udp") || streq(proto, "sctp")))
		return berr_set(err, BERR_INVALID, 0, "invalid port \"%s\" in EXPOSE", spec);
	for (unsigned p = lo; p <= hi; p++) {
		char key[32];
		snprintf(key, sizeof(key), "%u/%s", p, proto);
		if (json_object_set_new(ports, key, json_object()) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int do_expose(struct change_state *st, const char *args, struct berr *err)
{
	json_t *ports = member(st->cfg, "ExposedPorts", false);
	const char *p = args;
	char *w;
	int r, n = 0;
	while ((r = next_word(&p, &w)) > 0) {
		r = expose_one(ports, w, err);
		free(w);
		if (r < 0)
			return r;
		n++;
	}
	if (r == 0 && n == 0)
		return berr_set(err, BERR_INVALID, 0, "EXPOSE requires at least one argument");
	return r;
}

static int do_volume(struct change_state *st, const char *args, struct berr *err)
{
	json_t *vols = member(st->cfg, "Volumes", false);
	_cleanup_json_ json_t *a = exec_form(args);
	size_t i;
	json_t *e;
	if (a) {
		json_array_foreach (a, i, e) {
			const char *v = json_string_value(e);
			if (!*v)
				return berr_set(err, BERR_INVALID, 0, "VOLUME specified can not be an empty string");
			json_object_set_new(vols, v, json_object());
		}
		return 0;
	}
	const char *p = args;
	char *w;
	int r, n = 0;
	while ((r = next_word(&p, &w)) > 0) {
		json_object_set_new(vols, w, json_object());
		free(w);
		n++;
	}
	if (r == 0 && n == 0)
		return berr_set(err, BERR_INVALID, 0, "VOLUME specified can not be an empty string");
	return r;
}

static int do_string(struct change_state *st, const char *key, const char *instr, const char *args,
		     struct berr *err)
{
	if (!*args)
		return berr_set(err, BERR_INVALID, 0, "%s requires exactly one argument", instr);
	return json_object_set_new(st->cfg, key, json_string(args)) < 0 ? -ENOMEM : 0;
}

static int do_user(struct change_state *st, const char *args, struct berr *err)
{
	return do_string(st, "User", "USER", args, err);
}

static int do_stopsignal(struct change_state *st, const char *args, struct berr *err)
{
	if (strpbrk(args, " \t"))
		return berr_set(err, BERR_INVALID, 0, "STOPSIGNAL requires exactly one argument");
	return do_string(st, "StopSignal", "STOPSIGNAL", args, err);
}

static int do_workdir(struct change_state *st, const char *args, struct berr *err)
{
	if (!*args)
		return berr_set(err, BERR_INVALID, 0, "WORKDIR requires exactly one argument");
	const char *cur = json_string_value(json_object_get(st->cfg, "WorkingDir"));
	if (!cur || !*cur)
		cur = "/";
	bool slash = cur[strlen(cur) - 1] == '/';
	_cleanup_free_ char *dir = NULL;
	if (args[0] == '/' ? !(dir = strdup(args)) : asprintf(&dir, "%s%s%s", cur, slash ? "" : "/", args) < 0)
		return -ENOMEM;
	return json_object_set_new(st->cfg, "WorkingDir", json_string(dir)) < 0 ? -ENOMEM : 0;
}

static int do_onbuild(struct change_state *st, const char *args, struct berr *err)
{
	size_t n = strcspn(args, " \t");
	if (n == 0)
		return berr_set(err, BERR_INVALID, 0, "ONBUILD requires at least one argument");
	static const char *const banned[] = { "ONBUILD", "FROM", "MAINTAINER" };
	for (size_t i = 0; i < ARRAY_SIZE(banned); i++)
		if (strlen(banned[i]) == n && strncasecmp(args, banned[i], n) == 0)
			return berr_set(err, BERR_INVALID, 0, "%s isn't allowed as an ONBUILD trigger", banned[i]);
	return json_array_append_new(member(st->cfg, "OnBuild", true), json_string(args)) < 0 ? -ENOMEM : 0;
}

static const struct {
	const char *name;
	change_fn fn;
} instructions[] = {
	{ "CMD", do_cmd },     { "ENTRYPOINT", do_entrypoint }, { "ENV", do_env },
	{ "EXPOSE", do_expose }, { "LABEL", do_label },         { "ONBUILD", do_onbuild },
	{ "STOPSIGNAL", do_stopsignal }, { "USER", do_user },   { "VOLUME", do_volume },
	{ "WORKDIR", do_workdir },
};

/* One line: "INSTRUCTION args". */
static int apply_line(struct change_state *st, char *line, struct berr *err)
{
	while (isspace((unsigned char)*line))
		line++;
	size_t end = strlen(line);
	while (end && isspace((unsigned char)line[end - 1]))
		line[--end] = 0;
	if (!*line || *line == '#')
		return 0;
	size_t n = strcspn(line, " \t");
	const char *args = line + n + strspn(line + n, " \t");
	for (size_t i = 0; i < ARRAY_SIZE(instructions); i++)
		if (strlen(instructions[i].name) == n && strncasecmp(line, instructions[i].name, n) == 0)
			return instructions[i].fn(st, args, err);
	return berr_set(err, BERR_INVALID, 0, "%.*s is not a valid change command", (int)n, line);
}

int changes_parse(char *const *changes, json_t **ret, struct berr *err)
{
	struct change_state st = { .cfg = json_object() };
	_cleanup_json_ json_t *cfg = st.cfg;
	if (!cfg)
		return -ENOMEM;
	for (size_t i = 0; changes && changes[i]; i++) {
		_cleanup_free_ char *copy = strdup(changes[i]);
		if (!copy)
			return -ENOMEM;
		char *save = NULL;
		for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			int r = apply_line(&st, line, err);
			if (r < 0)
				return r == -ENOMEM ? berr_set(err, BERR_INTERNAL, ENOMEM, "parsing changes") : r;
		}
	}
	*ret = TAKE_PTR(cfg);
	return 0;
}
