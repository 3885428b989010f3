/* template_exec.c - evaluating a parsed template and the functions it can
 * call (see template-internal.h). */
#include "common/template-internal.h"

/* ------------------------------------------------------------------ */
/* Evaluation                                                         */
/* ------------------------------------------------------------------ */

struct var {
	const char *name;
	json_t *v;
};

struct exec {
	const struct tmpl *t;
	FILE *out;
	unsigned flags;
	const char *root_type;
	json_t *root;
	struct berr *err;
	struct var *vars;
	size_t nvars;
	/* context of the command being evaluated, for messages */
	size_t pos;
	const char *src;
};

_printf_(2, 3) static int exec_error(struct exec *x, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	const char *s = x->t->src;
	size_t col = x->pos;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	for (size_t i = 0; i < x->pos; i++)
		if (s[i] == '\n')
			col = x->pos - i - 1;
	return berr_set_msg(x->err, BERR_INVALID, EINVAL, "template: %s:%d:%zu: executing \"%s\" at <%s>: %s",
			    x->t->name, tmpl_line_of(s, x->pos), col, x->t->name, x->src ? x->src : "", msg);
}

static void vars_truncate(struct exec *x, size_t n)
{
	while (x->nvars > n)
		json_decref(x->vars[--x->nvars].v);
}

static void var_push(struct exec *x, const char *name, json_t *v)
{
	struct var nv = { name, json_incref(v) };
	PUSH(x->vars, x->nvars, nv);
}

static int var_set(struct exec *x, const char *name, json_t *v)
{
	for (size_t i = x->nvars; i-- > 0;)
		if (!strcmp(x->vars[i].name, name)) {
			json_decref(x->vars[i].v);
			x->vars[i].v = json_incref(v);
			return 0;
		}
	return exec_error(x, "undefined variable: %s", name);
}

/* Go's type names for the JSON kinds, as they appear in messages. */
static const char *go_type(const json_t *v)
{
	if (!v)
		return "<nil>";
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "map[string]interface {}";
	case JSON_ARRAY: return "[]interface {}";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float64";
	case JSON_TRUE:
	case JSON_FALSE: return "bool";
	default: return "<nil>";
	}
}

static int eval_field(struct exec *x, json_t *recv, const char *name, json_t **ret)
{
	if (!recv || json_is_null(recv)) { /* nil data: no value, as Go's default missingkey */
		*ret = NULL;
		return 0;
	}
	if (!json_is_object(recv))
		return exec_error(x, "can't evaluate field %s in type %s", name, go_type(recv));
	json_t *v = json_object_get(recv, name);
	if (!v && recv == x->root && (x->flags & TMPL_STRICT_ROOT))
		return exec_error(x, "can't evaluate field %s in type %s", name,
				  x->root_type ? x->root_type : go_type(recv));
	*ret = json_incref(v);
	return 0;
}

static int apply_fields(struct exec *x, json_t *v, char *const *fields, size_t n, json_t **ret)
{
	json_t *cur = v; /* owned */

	for (size_t i = 0; i < n; i++) {
		json_t *nv = NULL;
		int r = eval_field(x, cur, fields[i], &nv);
		json_decref(cur);
		if (r < 0)
			return r;
		cur = nv;
	}
	*ret = cur;
	return 0;
}

static int lookup_var(struct exec *x, const char *name, json_t **ret)
{
	for (size_t i = x->nvars; i-- > 0;)
		if (!strcmp(x->vars[i].name, name)) {
			*ret = json_incref(x->vars[i].v);
			return 0;
		}
	return exec_error(x, "undefined variable: %s", name);
}

static int eval_pipe(struct exec *x, json_t *dot, const struct pipe *p, json_t **ret);
static int call_func(struct exec *x, json_t *dot, const char *name, const struct cmd *c, json_t *final,
		     bool has_final, json_t **ret);

/* An operand used as an argument (or as the whole command). */
static int eval_arg(struct exec *x, json_t *dot, const struct arg *a, json_t **ret)
{
	json_t *base = NULL;
	int r = 0;

	switch (a->kind) {
	case A_DOT: base = json_incref(dot); break;
	case A_FIELD: base = json_incref(dot); break;
	case A_VAR: r = lookup_var(x, a->s, &base); break;
	case A_STRING: base = json_stringn(a->s, a->slen); break;
	case A_INT: base = json_integer(a->i); break;
	case A_REAL: base = json_real(a->d); break;
	case A_BOOL: base = json_boolean(a->b); break;
	case A_NIL: base = json_null(); break;
	case A_PIPE: r = eval_pipe(x, dot, a->pipe, &base); break;
	case A_FUNC: r = call_func(x, dot, a->s, NULL, NULL, false, &base); break;
	}
	if (r < 0)
		return r;
	return apply_fields(x, base, a->fields, a->nfields, ret);
}

static int eval_cmd(struct exec *x, json_t *dot, const struct cmd *c, json_t *final, bool has_final, json_t **ret)
{
	const struct arg *first = c->args[0];

	x->pos = c->pos;
	x->src = c->src;
	if (first->kind == A_FUNC)
		return call_func(x, dot, first->s, c, final, has_final, ret);
	if (c->n > 1 || has_final) {
		if (first->kind == A_FIELD || first->kind == A_VAR)
			return exec_error(x, "%s has arguments but cannot be invoked as function",
					  first->nfields ? first->fields[first->nfields - 1] : first->s);
		return exec_error(x, "can't give argument to non-function %s", first->src);
	}
	return eval_arg(x, dot, first, ret);
}

static int eval_pipe(struct exec *x, json_t *dot, const struct pipe *p, json_t **ret)
{
	json_t *v = NULL;
	bool has = false;

	for (size_t i = 0; i < p->n; i++) {
		json_t *nv = NULL;
		int r = eval_cmd(x, dot, p->cmds[i], v, has, &nv);
		json_decref(v);
		if (r < 0)
			return r;
		v = nv;
		has = true;
	}
	for (size_t i = 0; i < p->nvars; i++) {
		if (p->declare)
			var_push(x, p->vars[i], v);
		else if (var_set(x, p->vars[i], v) < 0)
			return json_decref(v), -EINVAL;
	}
	*ret = v;
	return 0;
}

/* Go's truth: false, 0, "", empty arrays/maps, nil and no value are false. */
static bool truth(const json_t *v)
{
	if (!v)
		return false;
	switch (json_typeof(v)) {
	case JSON_OBJECT: return json_object_size(v) > 0;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0;
	case JSON_TRUE: return true;
	default: return false;
	}
}

static int walk_list(struct exec *x, json_t *dot, const struct list *l);

static int walk_range_item(struct exec *x, const struct node *n, json_t *key, json_t *elem)
{
	size_t mark = x->nvars;
	int r;

	if (n->pipe->nvars == 1) {
		var_push(x, n->pipe->vars[0], elem);
	} else if (n->pipe->nvars == 2) {
		var_push(x, n->pipe->vars[0], key);
		var_push(x, n->pipe->vars[1], elem);
	}
	r = walk_list(x, elem, n->list);
	vars_truncate(x, mark);
	return r;
}

static int walk_range(struct exec *x, json_t *dot, const struct node *n)
{
	size_t mark = x->nvars;
	_cleanup_jv_ json_t *v = NULL;
	int r = eval_pipe(x, dot, n->pipe, &v);
	size_t count = 0;

	vars_truncate(x, mark); /* the declared variables are per item */
	if (r < 0)
		return r;
	if (json_is_array(v)) {
		for (size_t i = 0; r >= 0 && i < json_array_size(v); i++, count++) {
			_cleanup_jv_ json_t *k = json_integer((json_int_t)i);
			r = walk_range_item(x, n, k, json_array_get(v, i));
		}
	} else if (json_is_object(v)) {
		size_t nk;
		_cleanup_free_ const char **keys = tmpl_sorted_keys(v, &nk);
		for (size_t i = 0; r >= 0 && i < nk; i++, count++) {
			_cleanup_jv_ json_t *k = json_string(keys[i]);
			r = walk_range_item(x, n, k, json_object_get(v, keys[i]));
		}
	} else if (json_is_integer(v)) { /* Go >= 1.22: range over an int */
		for (json_int_t i = 0; r >= 0 && i < json_integer_value(v); i++, count++) {
			_cleanup_jv_ json_t *k = json_integer(i);
			r = walk_range_item(x, n, k, k);
		}
	} else if (v && !json_is_null(v)) {
		_cleanup_free_ char *s = tmpl_value_string(v);
		return exec_error(x, "range can't iterate over %s", s);
	}
	if (r < 0)
		return r;
	return count ? 0 : walk_list(x, dot, n->elselist);
}

static int walk_cond(struct exec *x, json_t *dot, const struct node *n)
{
	size_t mark = x->nvars;
	_cleanup_jv_ json_t *v = NULL;
	int r = eval_pipe(x, dot, n->pipe, &v);

	if (r >= 0) {
		if (truth(v))
			r = walk_list(x, n->kind == N_WITH ? v : dot, n->list);
		else
			r = walk_list(x, dot, n->elselist);
	}
	vars_truncate(x, mark);
	return r;
}

static int walk_node(struct exec *x, json_t *dot, const struct node *n)
{
	_cleanup_jv_ json_t *v = NULL;
	int r;

	switch (n->kind) {
	case N_TEXT:
		fwrite(n->text, 1, n->len, x->out);
		return 0;
	case N_ACTION:
		r = eval_pipe(x, dot, n->pipe, &v);
		if (r >= 0 && !n->pipe->nvars)
			tmpl_put_top_value(x->out, v);
		return r;
	case N_IF:
	case N_WITH:
		return walk_cond(x, dot, n);
	case N_RANGE:
		return walk_range(x, dot, n);
	}
	return 0;
}

static int walk_list(struct exec *x, json_t *dot, const struct list *l)
{
	size_t mark = x->nvars;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < l->n; i++)
		r = walk_node(x, dot, l->v[i]);
	vars_truncate(x, mark);
	return r;
}

int tmpl_exec(const struct tmpl *t, json_t *data, const struct tmpl_opts *opts, FILE *out, struct berr *err)
{
	struct exec x = {
		.t = t, .out = out, .root = data, .err = err,
		.flags = opts ? opts->flags : 0, .root_type = opts ? opts->root_type : NULL,
	};
	int r;

	var_push(&x, "$", data);
	r = walk_list(&x, data, t->root);
	vars_truncate(&x, 0);
	free(x.vars);
	return r;
}

int tmpl_exec_string(const struct tmpl *t, json_t *data, const struct tmpl_opts *opts, char **ret, struct berr *err)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);
	int r;

	if (!f)
		return neg_errno();
	r = tmpl_exec(t, data, opts, f, err);
	fclose(f);
	if (r < 0) {
		free(s);
		return r;
	}
	*ret = s;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Functions                                                          */
/* ------------------------------------------------------------------ */

typedef int (*tmpl_fn)(struct exec *x, json_t **a, size_t n, json_t **ret);

static char *str_of(const json_t *v)
{
	return tmpl_value_string(v);
}

/* The string argument a function needs (Go would reject other types; the
 * JSON data model has no typed strings, so values are printed instead). */
static int want_string(struct exec *x, const char *fn, json_t *v, char **ret)
{
	if (!v)
		return exec_error(x, "error calling %s: invalid value; expected string", fn);
	*ret = json_is_string(v) ? xstrndup(json_string_value(v), json_string_length(v)) : str_of(v);
	return 0;
}

static int want_int(struct exec *x, const char *fn, json_t *v, int64_t *ret)
{
	if (json_is_integer(v)) {
		*ret = json_integer_value(v);
		return 0;
	}
	return exec_error(x, "wrong type for value; expected int; got %s", go_type(v));
}

static int fn_not(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	*ret = json_boolean(!truth(a[0]));
	return 0;
}

static int fn_and(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	size_t i = 0;
	while (i + 1 < n && truth(a[i]))
		i++;
	*ret = json_incref(a[i]);
	return 0;
}

static int fn_or(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	size_t i = 0;
	while (i + 1 < n && !truth(a[i]))
		i++;
	*ret = json_incref(a[i]);
	return 0;
}

static int fn_len(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	json_t *v = a[0];
	size_t len;

	if (json_is_string(v))
		len = json_string_length(v);
	else if (json_is_array(v))
		len = json_array_size(v);
	else if (json_is_object(v))
		len = json_object_size(v);
	else if (!v || json_is_null(v))
		return exec_error(x, "error calling len: len of nil pointer");
	else
		return exec_error(x, "error calling len: len of type %s", go_type(v));
	*ret = json_integer((json_int_t)len);
	return 0;
}

static int index_one(struct exec *x, json_t *v, json_t *key, json_t **ret)
{
	if (json_is_object(v) || json_is_null(v)) {
		_cleanup_free_ char *k = NULL;
		if (want_string(x, "index", key, &k) < 0)
			return -EINVAL;
		json_t *e = json_is_object(v) ? json_object_get(v, k) : NULL;
		/* docker's typed maps (labels) give "" for a missing key */
		*ret = e ? json_incref(e) : json_string("");
		return 0;
	}
	if (!json_is_array(v) && !json_is_string(v))
		return exec_error(x, "error calling index: can't index item of type %s", go_type(v));
	if (!json_is_integer(key))
		return exec_error(x, "error calling index: cannot index slice/array with type %s", go_type(key));
	int64_t i = json_integer_value(key);
	size_t len = json_is_array(v) ? json_array_size(v) : json_string_length(v);
	if (i < 0 || (uint64_t)i >= len)
		return exec_error(x, "error calling index: index out of range: %" PRId64, i);
	*ret = json_is_array(v) ? json_incref(json_array_get(v, (size_t)i))
				: json_integer((unsigned char)json_string_value(v)[i]);
	return 0;
}

static int fn_index(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	json_t *cur = json_incref(a[0]);

	if (!cur)
		return exec_error(x, "error calling index: index of untyped nil");
	for (size_t i = 1; i < n; i++) {
		json_t *nv = NULL;
		int r = index_one(x, cur, a[i], &nv);
		json_decref(cur);
		if (r < 0)
			return r;
		cur = nv;
	}
	*ret = cur;
	return 0;
}

static int fn_slice(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	json_t *v = a[0];
	size_t len = json_is_array(v) ? json_array_size(v) : json_string_length(v);
	int64_t idx[2] = { 0, (int64_t)len };

	if (!json_is_array(v) && !json_is_string(v))
		return exec_error(x, "error calling slice: can't slice item of type %s", go_type(v));
	for (size_t i = 1; i < n && i < 3; i++)
		if (want_int(x, "slice", a[i], &idx[i - 1]) < 0)
			return -EINVAL;
	if (idx[0] < 0 || idx[1] < idx[0] || (uint64_t)idx[1] > len)
		return exec_error(x, "error calling slice: index out of range: %" PRId64, idx[1]);
	if (json_is_string(v)) {
		*ret = json_stringn(json_string_value(v) + idx[0], (size_t)(idx[1] - idx[0]));
		return 0;
	}
	json_t *out = json_array();
	for (int64_t i = idx[0]; i < idx[1]; i++)
		json_array_append(out, json_array_get(v, (size_t)i));
	*ret = out;
	return 0;
}

/* -1, 0, 1, or -2 when the values cannot be compared. */
static int compare(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b)) {
			json_int_t x = json_integer_value(a), y = json_integer_value(b);
			return x < y ? -1 : x > y;
		}
		double x = json_number_value(a), y = json_number_value(b);
		return x < y ? -1 : x > y;
	}
	if (json_is_string(a) && json_is_string(b)) {
		int c = strcmp(json_string_value(a), json_string_value(b));
		return c < 0 ? -1 : c > 0;
	}
	if (json_is_boolean(a) && json_is_boolean(b))
		return json_is_true(a) == json_is_true(b) ? 0 : 2;
	if (json_is_null(a) && json_is_null(b))
		return 0;
	return -2;
}

static int cmp_error(struct exec *x, const char *fn, json_t *a, json_t *b)
{
	if (!a || !b)
		return exec_error(x, "error calling %s: invalid type for comparison", fn);
	if (json_is_array(a) || json_is_object(a))
		return exec_error(x, "error calling %s: non-comparable type %s", fn, go_type(a));
	return exec_error(x, "error calling %s: incompatible types for comparison", fn);
}

static int fn_eq(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	bool eq = false;

	for (size_t i = 1; i < n && !eq; i++) {
		int c = a[0] && a[i] ? compare(a[0], a[i]) : -2;
		if (c == -2)
			return cmp_error(x, "eq", a[0], a[i]);
		eq = c == 0;
	}
	*ret = json_boolean(eq);
	return 0;
}

static int fn_ne(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	int c = a[0] && a[1] ? compare(a[0], a[1]) : -2;
	if (c == -2)
		return cmp_error(x, "ne", a[0], a[1]);
	*ret = json_boolean(c != 0);
	return 0;
}

static int ordered(struct exec *x, const char *fn, json_t **a, int *ret)
{
	int c = a[0] && a[1] ? compare(a[0], a[1]) : -2;
	if (c == -2 || json_is_boolean(a[0]))
		return cmp_error(x, fn, a[0], a[1]);
	*ret = c;
	return 0;
}

#define ORDER_FN(name, expr)                                                     \
	static int fn_##name(struct exec *x, json_t **a, size_t n, json_t **ret) \
	{                                                                        \
		int c;                                                           \
		if (ordered(x, #name, a, &c) < 0)                                \
			return -EINVAL;                                          \
		*ret = json_boolean(expr);                                       \
		return 0;                                                        \
	}
ORDER_FN(lt, c < 0)
ORDER_FN(le, c <= 0)
ORDER_FN(gt, c > 0)
ORDER_FN(ge, c >= 0)

/* fmt.Sprint: a space between operands when neither side is a string. */
static void sprint(FILE *f, json_t **a, size_t n, bool ln)
{
	for (size_t i = 0; i < n; i++) {
		if (i && (ln || (!json_is_string(a[i - 1]) && !json_is_string(a[i]))))
			fputc(' ', f);
		if (!a[i])
			fputs("<nil>", f);
		else
			tmpl_put_value(f, a[i], false);
	}
	if (ln)
		fputc('\n', f);
}

static json_t *string_from(void (*fn)(FILE *, json_t **, size_t, bool), json_t **a, size_t n, bool b)
{
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);
	if (!f)
		abort();
	fn(f, a, n, b);
	fclose(f);
	json_t *v = json_stringn(s, len);
	free(s);
	return v;
}

static int fn_print(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	*ret = string_from(sprint, a, n, false);
	return 0;
}

static int fn_println(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	*ret = string_from(sprint, a, n, true);
	return 0;
}

/* strconv.Quote, for %q. */
static void put_quoted(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = strchr("\a\b\f\n\r\t\v", c);
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (esc && c)
			fprintf(f, "\\%c", "abfnrtv"[esc - "\a\b\f\n\r\t\v"]);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

struct spec {
	bool minus, zero, plus;
	int width, prec;
	char verb;
};

static void put_padded(FILE *f, const struct spec *sp, const char *s, size_t n)
{
	size_t w = sp->width > 0 ? (size_t)sp->width : 0;
	if (!sp->minus)
		for (size_t i = n; i < w; i++)
			fputc(sp->zero ? '0' : ' ', f);
	fwrite(s, 1, n, f);
	if (sp->minus)
		for (size_t i = n; i < w; i++)
			fputc(' ', f);
}

static void format_one(FILE *f, const struct spec *sp, json_t *v)
{
	_cleanup_free_ char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);
	char v0 = sp->verb;

	if (!m)
		abort();
	if ((v0 == 'd' || v0 == 'x' || v0 == 'X' || v0 == 'c') && json_is_integer(v)) {
		long long i = json_integer_value(v);
		if (v0 == 'c')
			fputc((int)i, m);
		else
			fprintf(m, v0 == 'd' ? (sp->plus ? "%+lld" : "%lld") : v0 == 'x' ? "%llx" : "%llX", i);
	} else if (strchr("feEgG", v0) && json_is_number(v)) {
		if (sp->prec < 0 && (v0 == 'g' || v0 == 'G'))
			tmpl_put_float(m, json_number_value(v), false);
		else
			fprintf(m, (char[]){ '%', '.', '*', v0, 0 }, sp->prec < 0 ? 6 : sp->prec, json_number_value(v));
	} else if (v0 == 'q' && json_is_string(v)) {
		put_quoted(m, json_string_value(v), json_string_length(v));
	} else if (v0 == 't' && json_is_boolean(v)) {
		fputs(json_is_true(v) ? "true" : "false", m);
	} else if ((v0 == 'x' || v0 == 'X') && json_is_string(v)) {
		for (size_t i = 0; i < json_string_length(v); i++)
			fprintf(m, v0 == 'x' ? "%02x" : "%02X", (unsigned char)json_string_value(v)[i]);
	} else if (v0 == 'v' || (v0 == 's' && (json_is_string(v) || json_is_array(v) || json_is_object(v)))) {
		if (!v)
			fputs("<nil>", m);
		else
			tmpl_put_value(m, v, false);
		if (v0 == 's' && sp->prec >= 0 && json_is_string(v) && (size_t)sp->prec < json_string_length(v))
			fseek(m, sp->prec, SEEK_SET);
	} else { /* Go's bad-verb form: %!d(string=x) */
		_cleanup_free_ char *sv = v ? str_of(v) : NULL;
		fprintf(m, "%%!%c(%s=%s)", v0, v ? go_type(v) : "<nil>", sv ? sv : "");
	}
	long end = ftell(m);
	fclose(m);
	put_padded(f, sp, s, (size_t)end);
}

static const char *parse_spec(const char *p, struct spec *sp)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; p++) {
		if (*p == '-')
			sp->minus = true;
		else if (*p == '0')
			sp->zero = true;
		else if (*p == '+')
			sp->plus = true;
		else if (*p != ' ' && *p != '#')
			break;
	}
	while (isdigit((unsigned char)*p))
		sp->width = sp->width * 10 + (*p++ - '0');
	if (*p == '.') {
		sp->prec = 0;
		while (isdigit((unsigned char)*++p))
			sp->prec = sp->prec * 10 + (*p - '0');
	}
	sp->verb = *p;
	return *p ? p + 1 : p;
}

static int fn_printf(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	_cleanup_free_ char *fmt = NULL, *s = NULL;
	size_t len = 0, argi = 1;
	FILE *f;

	if (want_string(x, "printf", a[0], &fmt) < 0)
		return -EINVAL;
	f = open_memstream(&s, &len);
	if (!f)
		abort();
	for (const char *p = fmt; *p;) {
		struct spec sp;
		if (*p != '%') {
			fputc(*p++, f);
			continue;
		}
		p = parse_spec(p + 1, &sp);
		if (sp.verb == '%')
			fputc('%', f);
		else if (!sp.verb)
			fputs("%!(NOVERB)", f);
		else if (argi >= n)
			fprintf(f, "%%!%c(MISSING)", sp.verb);
		else
			format_one(f, &sp, a[argi++]);
	}
	for (size_t i = argi; i < n; i++) {
		_cleanup_free_ char *sv = str_of(a[i]);
		fprintf(f, "%s%s=%s%s", i == argi ? "%!(EXTRA " : ", ", go_type(a[i]), sv, i + 1 == n ? ")" : "");
	}
	fclose(f);
	*ret = json_stringn(s, len);
	return 0;
}

static json_t *sprint_string(json_t **a, size_t n)
{
	return string_from(sprint, a, n, false);
}

static int escaper(json_t **a, size_t n, json_t **ret, void (*esc)(FILE *, unsigned char))
{
	_cleanup_jv_ json_t *in = sprint_string(a, n);
	char *s = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		abort();
	for (size_t i = 0; i < json_string_length(in); i++)
		esc(f, (unsigned char)json_string_value(in)[i]);
	fclose(f);
	*ret = json_stringn(s, len);
	free(s);
	return 0;
}

static void esc_html(FILE *f, unsigned char c)
{
	const char *r = c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : c == '\'' ? "&#39;" :
			c == '"' ? "&#34;" : c == 0 ? "\xef\xbf\xbd" : NULL;
	if (r)
		fputs(r, f);
	else
		fputc(c, f);
}

static void esc_js(FILE *f, unsigned char c)
{
	if (c == '\\' || c == '\'' || c == '"')
		fprintf(f, "\\%c", c);
	else if (c == '<' || c == '>' || c == '&' || c == '=' || c < 0x20)
		fprintf(f, "\\u%04X", c);
	else
		fputc(c, f);
}

static void esc_query(FILE *f, unsigned char c)
{
	if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
		fputc(c, f);
	else if (c == ' ')
		fputc('+', f);
	else
		fprintf(f, "%%%02X", c);
}

static int fn_html(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	return escaper(a, n, ret, esc_html);
}

static int fn_js(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	return escaper(a, n, ret, esc_js);
}

static int fn_urlquery(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	return escaper(a, n, ret, esc_query);
}

static int fn_json(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	_cleanup_free_ char *s = tmpl_json(a[0], x->flags & TMPL_JSON_ESCAPE_HTML);
	*ret = json_string(s);
	return 0;
}

/* strings.Split: an empty separator splits into UTF-8 sequences. */
static int fn_split(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	_cleanup_free_ char *s = NULL, *sep = NULL;
	json_t *out;

	if (want_string(x, "split", a[0], &s) < 0 || want_string(x, "split", a[1], &sep) < 0)
		return -EINVAL;
	out = json_array();
	if (!*sep) {
		for (const unsigned char *p = (unsigned char *)s; *p;) {
			uint32_t c;
			size_t len = tmpl_utf8_decode(p, strlen((const char *)p), &c);
			len = len ? len : 1;
			json_array_append_new(out, json_stringn((const char *)p, len));
			p += len;
		}
		*ret = out;
		return 0;
	}
	for (char *p = s;;) {
		char *e = strstr(p, sep);
		json_array_append_new(out, json_stringn(p, e ? (size_t)(e - p) : strlen(p)));
		if (!e)
			break;
		p = e + strlen(sep);
	}
	*ret = out;
	return 0;
}

static int fn_join(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	_cleanup_free_ char *sep = NULL;
	char *s = NULL;
	size_t len = 0, i;
	json_t *e;
	FILE *f;

	if (a[0] && json_is_null(a[0])) { /* a nil []string joins to "" */
		*ret = json_string("");
		return 0;
	}
	if (!json_is_array(a[0]))
		return exec_error(x, "wrong type for value; expected []string; got %s", go_type(a[0]));
	if (want_string(x, "join", a[1], &sep) < 0)
		return -EINVAL;
	f = open_memstream(&s, &len);
	if (!f)
		abort();
	json_array_foreach(a[0], i, e) {
		if (i)
			fputs(sep, f);
		tmpl_put_value(f, e, false);
	}
	fclose(f);
	*ret = json_stringn(s, len);
	free(s);
	return 0;
}

static int map_bytes(struct exec *x, const char *fn, json_t *v, int (*conv)(int), json_t **ret)
{
	_cleanup_free_ char *s = NULL;
	bool word_start = true;

	if (want_string(x, fn, v, &s) < 0)
		return -EINVAL;
	for (char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (conv) {
			*p = (char)conv(c);
			continue;
		}
		/* strings.Title: upper-case letters that start a word */
		if (word_start)
			*p = (char)toupper(c);
		word_start = !(isalnum(c) || c == '_' || c == '\'' || c >= 0x80);
	}
	*ret = json_string(s);
	return 0;
}

static int fn_lower(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	return map_bytes(x, "lower", a[0], tolower, ret);
}

static int fn_upper(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	return map_bytes(x, "upper", a[0], toupper, ret);
}

static int fn_title(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	return map_bytes(x, "title", a[0], NULL, ret);
}

static int fn_pad(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	_cleanup_free_ char *s = NULL;
	int64_t before = 0, after = 0;

	if (want_string(x, "pad", a[0], &s) < 0 || want_int(x, "pad", a[1], &before) < 0 ||
	    want_int(x, "pad", a[2], &after) < 0)
		return -EINVAL;
	if (before < 0 || after < 0 || before > 4096 || after > 4096)
		return exec_error(x, "error calling pad: negative or too large count");
	json_t *out = json_sprintf("%*s%s%*s", (int)before, "", s, (int)after, "");
	*ret = out;
	return 0;
}

/* docker's truncate: the first n runes when the string is longer. */
static int fn_truncate(struct exec *x, json_t **a, size_t n, json_t **ret)
{
	_cleanup_free_ char *s = NULL;
	int64_t max = 0;
	size_t i = 0, runes = 0, len;

	if (want_string(x, "truncate", a[0], &s) < 0 || want_int(x, "truncate", a[1], &max) < 0)
		return -EINVAL;
	len = strlen(s);
	while (i < len && (int64_t)runes < max) {
		uint32_t c;
		size_t l = tmpl_utf8_decode((unsigned char *)s + i, len - i, &c);
		i += l ? l : 1;
		runes++;
	}
	*ret = json_stringn(s, i);
	return 0;
}

struct func {
	const char *name;
	tmpl_fn fn;
	int min, max; /* argument counts; max -1 = variadic */
	bool header_identity;
};

static const struct func funcs[] = {
	{ "and", fn_and, 1, -1, false },       { "or", fn_or, 1, -1, false },
	{ "not", fn_not, 1, 1, false },        { "len", fn_len, 1, 1, false },
	{ "index", fn_index, 1, -1, false },   { "slice", fn_slice, 1, 3, false },
	{ "eq", fn_eq, 1, -1, false },         { "ne", fn_ne, 2, 2, false },
	{ "lt", fn_lt, 2, 2, false },          { "le", fn_le, 2, 2, false },
	{ "gt", fn_gt, 2, 2, false },          { "ge", fn_ge, 2, 2, false },
	{ "print", fn_print, 0, -1, false },   { "println", fn_println, 0, -1, false },
	{ "printf", fn_printf, 1, -1, false }, { "html", fn_html, 0, -1, false },
	{ "js", fn_js, 0, -1, false },         { "urlquery", fn_urlquery, 0, -1, false },
	{ "json", fn_json, 1, 1, true },       { "split", fn_split, 2, 2, true },
	{ "join", fn_join, 2, 2, true },       { "title", fn_title, 1, 1, true },
	{ "lower", fn_lower, 1, 1, true },     { "upper", fn_upper, 1, 1, true },
	{ "pad", fn_pad, 3, 3, false },        { "truncate", fn_truncate, 2, 2, true },
};

static const struct func *find_func(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(funcs); i++)
		if (strlen(funcs[i].name) == len && !strncmp(funcs[i].name, name, len))
			return &funcs[i];
	return NULL;
}

bool tmpl_func_exists(const char *name, size_t len)
{
	return find_func(name, len) != NULL;
}

static void free_args(json_t **a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(a[i]);
	free(a);
}

static int call_func(struct exec *x, json_t *dot, const char *name, const struct cmd *c, json_t *final,
		     bool has_final, json_t **ret)
{
	const struct func *f = find_func(name, strlen(name));
	size_t nargs = (c ? c->n - 1 : 0) + has_final, k = 0;
	json_t **a = xcalloc(nargs + 1, sizeof(*a));
	size_t pos = x->pos;
	const char *src = x->src;
	int r = 0;

	for (size_t i = 1; c && i < c->n && r >= 0; i++)
		r = eval_arg(x, dot, c->args[i], &a[k++]);
	if (has_final)
		a[k++] = json_incref(final);
	x->pos = pos, x->src = src;
	if (r >= 0 && ((int)nargs < f->min || (f->max >= 0 && (int)nargs > f->max)))
		r = exec_error(x, "wrong number of args for %s: want %s%d got %zu", name,
			       f->max < 0 ? "at least " : "", (int)nargs < f->min ? f->min : f->max, nargs);
	if (r >= 0 && f->header_identity && (x->flags & TMPL_HEADER))
		*ret = json_incref(a[0]);
	else if (r >= 0)
		r = f->fn(x, a, nargs, ret);
	free_args(a, k);
	return r;
}
