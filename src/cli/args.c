/* args.c - pflag-style option parsing, docker's usage errors and help.
 *
 * Flags may appear anywhere among the arguments (cobra's default); "--"
 * ends them. Long flags: --name, --name=value, --name value; short: -a,
 * -abc, -fvalue, -f value, -H=false. Errors read like pflag's and exit 125. */
#include <stdarg.h>
#include <string.h>

#include "cli/cli.h"

static const struct cli_opt help_opt = { 'h', "help", OPT_BOOL, NULL, NULL, false };

static size_t opt_count(const struct cli_cmd *cmd)
{
	size_t n = 0;
	while (cmd->opts && cmd->opts[n].name)
		n++;
	return n;
}

static void print_usage_tail(const struct cli_cmd *cmd, const char *name, bool see)
{
	fprintf(stderr, "\nUsage:  berth %s %s\n\n%s 'berth %s --help' for more information\n", name, cmd->use,
		see ? "See" : "Run", name);
}

int cli_usage_error(const struct cli_cmd *cmd, const char *name, bool see, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage_tail(cmd, name, see);
	return -EINVAL;
}

static int flag_error(const struct cli_cmd *cmd, const char *name, int *ret_exit, const char *fmt, ...)
	_printf_(4, 5);
static int flag_error(const struct cli_cmd *cmd, const char *name, int *ret_exit, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage_tail(cmd, name, false);
	*ret_exit = EXIT_USAGE;
	return -EINVAL;
}

/* strconv.ParseBool */
static int parse_bool(const char *s, bool *ret)
{
	static const char *const t[] = { "1", "t", "T", "TRUE", "true", "True" };
	static const char *const f[] = { "0", "f", "F", "FALSE", "false", "False" };

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		if (!strcmp(s, t[i]))
			return *ret = true, 0;
		if (!strcmp(s, f[i]))
			return *ret = false, 0;
	}
	return -EINVAL;
}

static void flag_names(const struct cli_opt *o, char *buf, size_t n)
{
	if (o->shorthand)
		snprintf(buf, n, "-%c, --%s", o->shorthand, o->name);
	else
		snprintf(buf, n, "--%s", o->name);
}

static int set_value(const struct cli_cmd *cmd, const char *name, const struct cli_opt *o, struct cli_optval *v,
		     const char *value, int *ret_exit)
{
	char names[128];

	flag_names(o, names, sizeof(names));
	v->set = true;
	switch (o->type) {
	case OPT_BOOL:
		if (!value)
			v->b = true;
		else if (parse_bool(value, &v->b) < 0)
			return flag_error(cmd, name, ret_exit,
					  "invalid argument \"%s\" for \"%s\" flag: strconv.ParseBool: parsing \"%s\": invalid syntax",
					  value, names, value);
		return 0;
	case OPT_STRING:
		v->s = value;
		return 0;
	case OPT_FILTER:
		if (!strchr(value, '='))
			return flag_error(cmd, name, ret_exit,
					  "invalid argument \"%s\" for \"%s\" flag: bad format of filter (expected name=value)",
					  value, names);
		/* fall through */
	case OPT_LIST:
		v->list = reallocarray(v->list, v->n + 2, sizeof(*v->list));
		if (!v->list)
			abort();
		v->list[v->n++] = value;
		v->list[v->n] = NULL;
		return 0;
	}
	return 0;
}

static const struct cli_opt *find_long(const struct cli_cmd *cmd, const char *s, size_t len, size_t *ret_i)
{
	for (size_t i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (strlen(cmd->opts[i].name) == len && !strncmp(cmd->opts[i].name, s, len))
			return *ret_i = i, &cmd->opts[i];
	if (len == 4 && !strncmp(s, "help", 4))
		return *ret_i = SIZE_MAX, &help_opt;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_cmd *cmd, char c, size_t *ret_i)
{
	for (size_t i = 0; cmd->opts && cmd->opts[i].name; i++)
		if (cmd->opts[i].shorthand == c)
			return *ret_i = i, &cmd->opts[i];
	if (c == 'h')
		return *ret_i = SIZE_MAX, &help_opt;
	return NULL;
}

struct parse_state {
	const struct cli_cmd *cmd;
	const char *name;
	int argc;
	char **argv;
	int i;
	struct cli_args *a;
	bool help;
	int *ret_exit;
};

static int store(struct parse_state *st, size_t idx, const struct cli_opt *o, const char *value)
{
	static struct cli_optval help_val;

	if (idx == SIZE_MAX) {
		st->help = true;
		return 0;
	}
	return set_value(st->cmd, st->name, o, idx == SIZE_MAX ? &help_val : &st->a->vals[idx], value, st->ret_exit);
}

static int parse_long(struct parse_state *st, const char *arg)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg), idx;
	const struct cli_opt *o = find_long(st->cmd, arg, len, &idx);

	if (!o)
		return flag_error(st->cmd, st->name, st->ret_exit, "unknown flag: --%.*s", (int)len, arg);
	if (eq || o->type == OPT_BOOL)
		return store(st, idx, o, eq ? eq + 1 : NULL);
	if (st->i + 1 >= st->argc)
		return flag_error(st->cmd, st->name, st->ret_exit, "flag needs an argument: --%s", o->name);
	return store(st, idx, o, st->argv[++st->i]);
}

static int parse_shorts(struct parse_state *st, const char *arg)
{
	for (const char *p = arg; *p; p++) {
		size_t idx;
		const struct cli_opt *o = find_short(st->cmd, *p, &idx);
		if (!o)
			return flag_error(st->cmd, st->name, st->ret_exit, "unknown shorthand flag: '%c' in -%s", *p, arg);
		if (o->type == OPT_BOOL) {
			int r = store(st, idx, o, p[1] == '=' ? p + 2 : NULL);
			if (r < 0 || p[1] == '=')
				return r;
			continue;
		}
		if (p[1])
			return store(st, idx, o, p[1] == '=' ? p + 2 : p + 1);
		if (st->i + 1 >= st->argc)
			return flag_error(st->cmd, st->name, st->ret_exit, "flag needs an argument: '%c' in -%c", *p, *p);
		return store(st, idx, o, st->argv[++st->i]);
	}
	return 0;
}

static const char *plural(int n)
{
	return n == 1 ? "argument" : "arguments";
}

static int check_arg_count(const struct cli_cmd *cmd, const char *name, int n, int *ret_exit)
{
	*ret_exit = 1;
	if (cmd->max_args == 0 && n > 0)
		return cli_usage_error(cmd, name, false, "berth: 'berth %s' accepts no arguments", name);
	if (cmd->min_args == cmd->max_args && n != cmd->min_args)
		return cli_usage_error(cmd, name, false, "berth: 'berth %s' requires %d %s", name, cmd->min_args,
				       plural(cmd->min_args));
	if (n < cmd->min_args)
		return cli_usage_error(cmd, name, true, "berth: 'berth %s' requires at least %d %s", name,
				       cmd->min_args, plural(cmd->min_args));
	if (cmd->max_args >= 0 && n > cmd->max_args)
		return cli_usage_error(cmd, name, false, "berth: 'berth %s' requires at most %d %s", name,
				       cmd->max_args, plural(cmd->max_args));
	*ret_exit = 0;
	return 0;
}

int cli_parse_args(const struct cli_cmd *cmd, const char *name, int argc, char **argv, struct cli_args *ret,
		   int *ret_exit)
{
	struct cli_args a = { .cmd = cmd, .name = name };
	struct parse_state st = { .cmd = cmd, .name = name, .argc = argc, .argv = argv, .a = &a, .ret_exit = ret_exit };
	bool dashdash = false;
	int r = 0;

	a.vals = calloc(opt_count(cmd) + 1, sizeof(*a.vals));
	a.argv = calloc((size_t)argc + 1, sizeof(*a.argv));
	if (!a.vals || !a.argv)
		abort();
	for (st.i = 0; st.i < argc && r >= 0; st.i++) {
		const char *arg = argv[st.i];
		if (dashdash || arg[0] != '-' || !arg[1])
			a.argv[a.argc++] = argv[st.i];
		else if (!strcmp(arg, "--"))
			dashdash = true;
		else if (arg[1] == '-')
			r = parse_long(&st, arg + 2);
		else
			r = parse_shorts(&st, arg + 1);
	}
	if (r >= 0 && st.help) {
		cli_print_help(cmd, name, stdout);
		*ret_exit = 0;
		r = -ECANCELED;
	}
	if (r >= 0)
		r = check_arg_count(cmd, name, a.argc, ret_exit);
	if (r < 0) {
		cli_args_release(&a);
		return r;
	}
	*ret = a;
	return 0;
}

void cli_args_release(struct cli_args *a)
{
	for (size_t i = 0; a->cmd && a->vals && i < opt_count(a->cmd); i++)
		free(a->vals[i].list);
	free(a->vals);
	free(a->argv);
	a->vals = NULL;
	a->argv = NULL;
}

static const struct cli_optval *lookup(const struct cli_args *a, const char *name, const struct cli_opt **ret_opt)
{
	for (size_t i = 0; a->cmd->opts && a->cmd->opts[i].name; i++)
		if (!strcmp(a->cmd->opts[i].name, name)) {
			*ret_opt = &a->cmd->opts[i];
			return &a->vals[i];
		}
	abort(); /* a command asked for a flag it does not declare */
}

bool cli_flag_bool(const struct cli_args *a, const char *name)
{
	const struct cli_opt *o;
	const struct cli_optval *v = lookup(a, name, &o);
	return v->set ? v->b : o->def_true;
}

const char *cli_flag_str(const struct cli_args *a, const char *name)
{
	const struct cli_opt *o;
	const struct cli_optval *v = lookup(a, name, &o);
	return v->s ? v->s : "";
}

const char **cli_flag_list(const struct cli_args *a, const char *name, size_t *ret_n)
{
	const struct cli_opt *o;
	const struct cli_optval *v = lookup(a, name, &o);
	*ret_n = v->n;
	return v->list;
}

bool cli_flag_set(const struct cli_args *a, const char *name)
{
	const struct cli_opt *o;
	return lookup(a, name, &o)->set;
}

/* "  -a, --all" / "      --digests" plus " type". */
static int flag_column(const struct cli_opt *o, char *buf, size_t n)
{
	char shorthand[8] = "    ";

	if (o->shorthand)
		snprintf(shorthand, sizeof(shorthand), "-%c, ", o->shorthand);
	return snprintf(buf, n, "  %s--%s%s%s", shorthand, o->name, o->type_name ? " " : "",
			o->type_name ? o->type_name : "");
}

static void print_options(const struct cli_opt *opts, FILE *out)
{
	char buf[128];
	int width = 0;

	for (size_t i = 0; opts[i].name; i++) {
		int w = flag_column(&opts[i], buf, sizeof(buf));
		width = w > width ? w : width;
	}
	fputs("\nOptions:\n", out);
	for (size_t i = 0; opts[i].name; i++) {
		int w = flag_column(&opts[i], buf, sizeof(buf));
		fprintf(out, "%s%*s", buf, width - w + 3, "");
		for (const char *p = opts[i].help; *p; p++) {
			fputc(*p, out);
			if (*p == '\n')
				fprintf(out, "%*s", width + 3, "");
		}
		fputc('\n', out);
	}
}

void cli_print_help(const struct cli_cmd *cmd, const char *name, FILE *out)
{
	fprintf(out, "Usage:  berth %s %s\n\n%s\n", name, cmd->use, cmd->short_desc);
	if (cmd->aliases)
		fprintf(out, "\nAliases:\n  %s\n", cmd->aliases);
	if (cmd->opts && cmd->opts[0].name)
		print_options(cmd->opts, out);
}
