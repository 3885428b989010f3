/* template.c - a Go text/template subset for --format (see template.h).
 *
 * Three parts: value formatting as Go's fmt and encoding/json would print
 * decoded JSON; a parser (source -> text segments and actions -> tokens ->
 * node tree); and an evaluator that walks the tree. Every evaluated value is
 * an owned jansson reference; NULL stands for Go's "invalid" (no value). */
#include "common/template.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/macros.h"

static void json_decref_p(json_t **p)
{
	json_decref(*p);
}
#define _cleanup_jv_ _cleanup_(json_decref_p)

/* ------------------------------------------------------------------ */
/* Value formatting                                                   */
/* ------------------------------------------------------------------ */

/* Shortest decimal digits that read back as v: digits[] without a dot and
 * the exponent of the first digit (v = d.ddd * 10^exp). v must be finite
 * and non-zero; the sign is dropped. */
static void shortest_digits(double v, char digits[32], int *ret_exp)
{
	char buf[64];

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, fabs(v));
		if (strtod(buf, NULL) == fabs(v))
			break;
	}
	size_t n = 0;
	char *p = buf;
	for (; *p && *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*ret_exp = atoi(p + 1);
}

/* d.ddde+XX with at least two exponent digits, like Go and C. */
static void put_exponent_form(FILE *f, const char *digits, int exp, bool two_digit_exp)
{
	fputc(digits[0], f);
	if (digits[1])
		fprintf(f, ".%s", digits + 1);
	fprintf(f, two_digit_exp ? "e%c%02d" : "e%c%d", exp < 0 ? '-' : '+', abs(exp));
}

static void put_positional_form(FILE *f, const char *digits, int exp)
{
	int nd = (int)strlen(digits);

	if (exp < 0) {
		fputs("0.", f);
		for (int i = -1; i > exp; i--)
			fputc('0', f);
		fputs(digits, f);
		return;
	}
	for (int i = 0; i <= exp || i < nd; i++) {
		if (i == exp + 1)
			fputc('.', f);
		fputc(i < nd ? digits[i] : '0', f);
	}
}

/* A float64 as Go prints it: fmt's %v is strconv 'g' with the shortest
 * digits, whose exponent form starts below 1e-4 and at 1e6 ("1e+06");
 * encoding/json writes positional digits between 1e-6 and 1e21. */
static void put_float(FILE *f, double v, bool json)
{
	char digits[32];
	int exp;

	if (v == 0) {
		fputs(signbit(v) && !json ? "-0" : "0", f);
		return;
	}
	if (!isfinite(v)) {
		fputs(isnan(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf", f);
		return;
	}
	if (v < 0)
		fputc('-', f);
	shortest_digits(v, digits, &exp);
	if (json) { /* encoding/json: 'f' unless < 1e-6 or >= 1e21, then "e-7" */
		if (fabs(v) < 1e-6 || fabs(v) >= 1e21)
			put_exponent_form(f, digits, exp, false);
		else
			put_positional_form(f, digits, exp);
	} else if (exp < -4 || exp >= 6) { /* strconv 'g', shortest: eprec 6 */
		put_exponent_form(f, digits, exp, true);
	} else {
		put_positional_form(f, digits, exp);
	}
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Object keys sorted (Go prints and ranges over maps in key order). */
static const char **sorted_keys(const json_t *obj, size_t *ret_n)
{
	size_t n = json_object_size(obj), i = 0;
	const char **keys = calloc(n + 1, sizeof(*keys));
	const char *k;
	json_t *v;

	if (!keys)
		abort();
	json_object_foreach((json_t *)obj, k, v)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	*ret_n = n;
	return keys;
}

static void put_value(FILE *f, const json_t *v, bool top)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		fwrite(json_string_value(v), 1, json_string_length(v), f);
		break;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		put_float(f, json_real_value(v), false);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		fputs(json_is_true(v) ? "true" : "false", f);
		break;
	case JSON_NULL:
		fputs(top ? "<no value>" : "<nil>", f);
		break;
	case JSON_ARRAY: {
		size_t i;
		json_t *e;
		fputc('[', f);
		json_array_foreach((json_t *)v, i, e) {
			if (i)
				fputc(' ', f);
			put_value(f, e, false);
		}
		fputc(']', f);
		break;
	}
	case JSON_OBJECT: {
		size_t n;
		_cleanup_free_ const char **keys = sorted_keys(v, &n);
		fputs("map[", f);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "%s%s:", i ? " " : "", keys[i]);
			put_value(f, json_object_get(v, keys[i]), false);
		}
		fputc(']', f);
		break;
	}
	}
}

static void put_top_value(FILE *f, const json_t *v)
{
	if (!v)
		fputs("<no value>", f);
	else
		put_value(f, v, true);
}

/* Decode one UTF-8 sequence; returns its length, or 0 when invalid. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *ret)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len;
	uint32_t c;

	if (s[0] < 0x80) {
		*ret = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, c = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, c = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*ret = c;
	return len;
}

/* encoding/json's string escaping (Go >= 1.22: \b and \f short forms). */
static void put_json_string(FILE *f, const char *s, size_t n, bool escape_html)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		uint32_t cp;
		size_t len;

		if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
		} else if (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f') {
			fputc('\\', f);
			fputc(c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : c == '\b' ? 'b' : 'f', f);
		} else if (c < 0x20 || (escape_html && (c == '<' || c == '>' || c == '&'))) {
			fprintf(f, "\\u00%02x", c);
		} else if (c < 0x80) {
			fputc(c, f);
		} else if (!(len = utf8_decode(p + i, n - i, &cp))) {
			fputs("\\ufffd", f);
			i++;
			continue;
		} else if (cp == 0x2028 || cp == 0x2029) {
			fprintf(f, "\\u%04x", cp);
			i += len;
			continue;
		} else {
			fwrite(p + i, 1, len, f);
			i += len;
			continue;
		}
		i++;
	}
	fputc('"', f);
}

static void put_json(FILE *f, const json_t *v, bool escape_html)
{
	const char *k;
	json_t *e;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		put_json_string(f, json_string_value(v), json_string_length(v), escape_html);
		break;
	case JSON_REAL:
		put_float(f, json_real_value(v), true);
		break;
	case JSON_ARRAY:
		fputc('[', f);
		json_array_foreach((json_t *)v, i, e) {
			if (i)
				fputc(',', f);
			put_json(f, e, escape_html);
		}
		fputc(']', f);
		break;
	case JSON_OBJECT:
		i = 0;
		fputc('{', f);
		json_object_foreach((json_t *)v, k, e) {
			if (i++)
				fputc(',', f);
			put_json_string(f, k, strlen(k), escape_html);
			fputc(':', f);
			put_json(f, e, escape_html);
		}
		fputc('}', f);
		break;
	case JSON_NULL:
		fputs("null", f);
		break;
	default:
		put_value(f, v, false);
		break;
	}
}

static char *to_string(void (*fn)(FILE *, const json_t *, bool), const json_t *v, bool b)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (!f)
		abort();
	fn(f, v, b);
	fclose(f);
	return s;
}

static void put_json_or_null(FILE *f, const json_t *v, bool escape_html)
{
	if (!v)
		fputs("null", f);
	else
		put_json(f, v, escape_html);
}

static void put_top_value_b(FILE *f, const json_t *v, bool unused)
{
	put_top_value(f, v);
}

char *tmpl_value_string(const json_t *v)
{
	return to_string(put_top_value_b, v, false);
}

char *tmpl_json(const json_t *v, bool escape_html)
{
	return to_string(put_json_or_null, v, escape_html);
}

/* ------------------------------------------------------------------ */
/* Syntax tree                                                        */
/* ------------------------------------------------------------------ */

enum arg_kind { A_DOT, A_FIELD, A_VAR, A_FUNC, A_STRING, A_INT, A_REAL, A_BOOL, A_NIL, A_PIPE };

struct pipe;

struct arg {
	enum arg_kind kind;
	size_t pos;
	char *src;   /* source text, for error context */
	char *s;     /* string literal, variable or function name */
	size_t slen;
	int64_t i;
	double d;
	bool b;
	struct pipe *pipe;
	char **fields; /* trailing .A.B applied to the term */
	size_t nfields;
};

struct cmd {
	size_t pos;
	char *src;
	struct arg **args;
	size_t n;
};

struct pipe {
	size_t pos;
	char *vars[2];
	size_t nvars;
	bool declare; /* := (else =) */
	struct cmd **cmds;
	size_t n;
};

enum node_kind { N_TEXT, N_ACTION, N_IF, N_RANGE, N_WITH };

struct list;

struct node {
	enum node_kind kind;
	char *text;
	size_t len;
	struct pipe *pipe;
	struct list *list, *elselist;
};

struct list {
	struct node **v;
	size_t n;
};

struct tmpl {
	char *name;
	char *src;
	struct list *root;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

static void *xrealloc_array(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		abort();
	return p;
}

#define PUSH(arr, n, item)                                                  \
	do {                                                                \
		(arr) = xrealloc_array((arr), (n) + 1, sizeof(*(arr)));     \
		(arr)[(n)++] = (item);                                      \
	} while (0)

static void pipe_free(struct pipe *p);
static void list_free(struct list *l);

static void arg_free(struct arg *a)
{
	if (!a)
		return;
	free(a->src);
	free(a->s);
	pipe_free(a->pipe);
	for (size_t i = 0; i < a->nfields; i++)
		free(a->fields[i]);
	free(a->fields);
	free(a);
}

static void cmd_free(struct cmd *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		arg_free(c->args[i]);
	free(c->args);
	free(c->src);
	free(c);
}

static void pipe_free(struct pipe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		cmd_free(p->cmds[i]);
	free(p->cmds);
	free(p->vars[0]);
	free(p->vars[1]);
	free(p);
}

static void node_free(struct node *n)
{
	if (!n)
		return;
	free(n->text);
	pipe_free(n->pipe);
	list_free(n->list);
	list_free(n->elselist);
	free(n);
}

static void list_free(struct list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		node_free(l->v[i]);
	free(l->v);
	free(l);
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	list_free(t->root);
	free(t->name);
	free(t->src);
	free(t);
}

/* ------------------------------------------------------------------ */
/* Lexer                                                              */
/* ------------------------------------------------------------------ */

enum tok {
	TK_EOF, TK_FIELD, TK_DOT, TK_VAR, TK_IDENT, TK_STRING, TK_RAWSTRING, TK_CHAR, TK_NUMBER,
	TK_PIPE, TK_LPAREN, TK_RPAREN, TK_DECLARE, TK_ASSIGN, TK_COMMA,
};

struct token {
	enum tok kind;
	size_t pos, len;
	bool space_before;
};

struct parser {
	const char *src;
	const char *name;
	struct berr *err;
	struct token *toks;
	size_t ntoks, cur;
	/* open control structures: the node and whether we are in its else */
	struct frame {
		struct node *node;
		bool in_else;
		bool implicit; /* opened by "else if": closed by the same end */
	} *frames;
	size_t nframes;
	struct list *root;
};

static int line_of(const char *src, size_t pos)
{
	int line = 1;
	for (size_t i = 0; i < pos; i++)
		line += src[i] == '\n';
	return line;
}

_printf_(3, 4) static int parse_error(struct parser *p, size_t pos, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort();
	va_end(ap);
	return berr_set_msg(p->err, BERR_INVALID, EINVAL, "template: %s:%d: %s", p->name, line_of(p->src, pos), msg);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alnum_(char c)
{
	return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* End of a quoted literal starting at s[i] (the quote), or 0. */
static size_t scan_quoted(const char *s, size_t i, size_t end)
{
	char q = s[i];

	for (i++; i < end; i++) {
		if (s[i] == '\\' && q != '`') {
			i++;
			continue;
		}
		if (s[i] == q)
			return i + 1;
		if (s[i] == '\n' && q != '`')
			return 0;
	}
	return 0;
}

static size_t scan_number(const char *s, size_t i, size_t end)
{
	bool hex = false;

	if (s[i] == '+' || s[i] == '-')
		i++;
	if (s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
		hex = true;
	for (; i < end; i++) {
		char c = s[i];
		if (isalnum((unsigned char)c) || c == '.' || c == '_')
			continue;
		if ((c == '+' || c == '-') && strchr(hex ? "pP" : "eE", s[i - 1]))
			continue;
		break;
	}
	return i;
}

static int lex_one(struct parser *p, size_t i, size_t end, struct token *t)
{
	const char *s = p->src;
	char c = s[i];

	t->pos = i;
	if (strchr("|(),=", c)) {
		t->kind = c == '|' ? TK_PIPE : c == '(' ? TK_LPAREN : c == ')' ? TK_RPAREN : c == ',' ? TK_COMMA : TK_ASSIGN;
		t->len = 1;
	} else if (c == ':') {
		if (i + 1 >= end || s[i + 1] != '=')
			return parse_error(p, i, "expected :=");
		t->kind = TK_DECLARE, t->len = 2;
	} else if (c == '"' || c == '`' || c == '\'') {
		size_t e = scan_quoted(s, i, end);
		if (!e)
			return parse_error(p, i, c == '\'' ? "unterminated character constant" :
						     c == '`' ? "unterminated raw quoted string" : "unterminated quoted string");
		t->kind = c == '"' ? TK_STRING : c == '`' ? TK_RAWSTRING : TK_CHAR;
		t->len = e - i;
	} else if (c == '$') {
		size_t e = i + 1;
		while (e < end && is_alnum_(s[e]))
			e++;
		t->kind = TK_VAR, t->len = e - i;
	} else if (c == '.' && i + 1 < end && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '_')) {
		size_t e = i + 1;
		while (e < end && is_alnum_(s[e]))
			e++;
		t->kind = TK_FIELD, t->len = e - i;
	} else if (isdigit((unsigned char)c) || ((c == '-' || c == '+' || c == '.') && i + 1 < end && isdigit((unsigned char)s[i + 1]))) {
		t->kind = TK_NUMBER, t->len = scan_number(s, i, end) - i;
	} else if (c == '.') {
		t->kind = TK_DOT, t->len = 1;
	} else if (is_alnum_(c)) {
		size_t e = i;
		while (e < end && is_alnum_(s[e]))
			e++;
		t->kind = TK_IDENT, t->len = e - i;
	} else {
		return parse_error(p, i, "unrecognized character in action: U+%04X '%c'", (unsigned char)c, c);
	}
	return 0;
}

/* Tokenize the action body src[start, end) into p->toks. */
static int lex_action(struct parser *p, size_t start, size_t end)
{
	bool space = false;
	int r;

	p->ntoks = p->cur = 0;
	for (size_t i = start; i < end;) {
		struct token t = { 0 };
		if (is_space(p->src[i])) {
			space = true;
			i++;
			continue;
		}
		r = lex_one(p, i, end, &t);
		if (r < 0)
			return r;
		t.space_before = space;
		space = false;
		PUSH(p->toks, p->ntoks, t);
		i += t.len;
	}
	struct token eof = { .kind = TK_EOF, .pos = end, .space_before = true };
	PUSH(p->toks, p->ntoks, eof);
	p->ntoks--; /* eof is a sentinel, not counted */
	return 0;
}

static const struct token *peek(struct parser *p)
{
	return &p->toks[p->cur];
}

static const struct token *next(struct parser *p)
{
	const struct token *t = &p->toks[p->cur];
	if (t->kind != TK_EOF)
		p->cur++;
	return t;
}

static bool tok_is(const struct parser *p, const struct token *t, const char *word)
{
	return t->kind == TK_IDENT && t->len == strlen(word) && !strncmp(p->src + t->pos, word, t->len);
}

/* ------------------------------------------------------------------ */
/* Parser                                                             */
/* ------------------------------------------------------------------ */

static bool func_exists(const char *name, size_t len);

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

static void put_utf8(char **out, uint32_t c)
{
	char *o = *out;
	if (c < 0x80) {
		*o++ = (char)c;
	} else if (c < 0x800) {
		*o++ = (char)(0xc0 | c >> 6);
		*o++ = (char)(0x80 | (c & 0x3f));
	} else if (c < 0x10000) {
		*o++ = (char)(0xe0 | c >> 12);
		*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	} else {
		*o++ = (char)(0xf0 | c >> 18);
		*o++ = (char)(0x80 | ((c >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((c >> 6) & 0x3f));
		*o++ = (char)(0x80 | (c & 0x3f));
	}
	*out = o;
}

/* Go's strconv.Unquote for "..." and '...' bodies (s excludes the quotes). */
static int unquote(const char *s, size_t n, char **ret, size_t *ret_len)
{
	char *buf = xcalloc(n + 1, 4), *o = buf;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			*o++ = s[i];
			continue;
		}
		if (++i >= n)
			goto bad;
		const char *simple = strchr("abfnrtv\\'\"", s[i]);
		if (simple && s[i]) {
			*o++ = "\a\b\f\n\r\t\v\\'\""[simple - "abfnrtv\\'\""];
			continue;
		}
		int digits = s[i] == 'x' ? 2 : s[i] == 'u' ? 4 : s[i] == 'U' ? 8 : 0;
		if (digits) {
			uint32_t c = 0;
			if (i + (size_t)digits >= n)
				goto bad;
			for (int k = 1; k <= digits; k++) {
				if (!isxdigit((unsigned char)s[i + k]))
					goto bad;
				c = c * 16 + (uint32_t)hexval(s[i + k]);
			}
			i += (size_t)digits;
			if (digits == 2)
				*o++ = (char)c;
			else
				put_utf8(&o, c);
			continue;
		}
		if (s[i] >= '0' && s[i] <= '7' && i + 2 < n) {
			*o++ = (char)((s[i] - '0') * 64 + (s[i + 1] - '0') * 8 + (s[i + 2] - '0'));
			i += 2;
			continue;
		}
		goto bad;
	}
	*ret_len = (size_t)(o - buf);
	*ret = buf;
	return 0;
bad:
	free(buf);
	return -EINVAL;
}

static int parse_number(struct parser *p, const struct token *t, struct arg *a)
{
	_cleanup_free_ char *text = xstrndup(p->src + t->pos, t->len);
	char *end;
	bool hex = strstr(text, "0x") || strstr(text, "0X");

	if (t->kind == TK_CHAR) {
		_cleanup_free_ char *u = NULL;
		size_t n;
		uint32_t c;
		if (unquote(text + 1, t->len - 2, &u, &n) < 0 || !n || utf8_decode((unsigned char *)u, n, &c) != n)
			return parse_error(p, t->pos, "malformed character constant: %s", text);
		a->kind = A_INT, a->i = c;
		return 0;
	}
	if (!hex && strpbrk(text, ".eE")) {
		a->kind = A_REAL;
		errno = 0;
		a->d = strtod(text, &end);
	} else {
		a->kind = A_INT;
		errno = 0;
		a->i = strtoll(text, &end, 0);
	}
	if (*end || errno)
		return parse_error(p, t->pos, "bad number syntax: \"%s\"", text);
	return 0;
}

static int parse_pipe(struct parser *p, const char *ctx, bool decl_ok, struct pipe **ret);

/* Adjacent ".Name" tokens after a term. */
static void parse_fields(struct parser *p, struct arg *a)
{
	while (peek(p)->kind == TK_FIELD && !peek(p)->space_before) {
		const struct token *t = next(p);
		PUSH(a->fields, a->nfields, xstrndup(p->src + t->pos + 1, t->len - 1));
	}
}

static int parse_ident(struct parser *p, const struct token *t, struct arg *a)
{
	static const char *const keywords[] = { "if", "else", "end", "range", "with", "define",
						"template", "block", "break", "continue" };
	const char *s = p->src + t->pos;

	if (tok_is(p, t, "true") || tok_is(p, t, "false")) {
		a->kind = A_BOOL, a->b = *s == 't';
		return 0;
	}
	if (tok_is(p, t, "nil"))
		return parse_error(p, t->pos, "nil is not a command");
	for (size_t k = 0; k < ARRAY_SIZE(keywords); k++)
		if (tok_is(p, t, keywords[k]))
			return parse_error(p, t->pos, "unexpected <%s> in command", keywords[k]);
	if (!func_exists(s, t->len))
		return parse_error(p, t->pos, "function \"%.*s\" not defined", (int)t->len, s);
	a->kind = A_FUNC;
	a->s = xstrndup(s, t->len);
	return 0;
}

static int parse_term(struct parser *p, struct arg *a)
{
	const struct token *t = next(p);
	int r = 0;

	a->pos = t->pos;
	switch (t->kind) {
	case TK_FIELD:
		a->kind = A_FIELD;
		PUSH(a->fields, a->nfields, xstrndup(p->src + t->pos + 1, t->len - 1));
		break;
	case TK_DOT:
		a->kind = A_DOT;
		break;
	case TK_VAR:
		a->kind = A_VAR;
		a->s = xstrndup(p->src + t->pos, t->len);
		break;
	case TK_IDENT:
		return parse_ident(p, t, a);
	case TK_STRING:
		a->kind = A_STRING;
		if (unquote(p->src + t->pos + 1, t->len - 2, &a->s, &a->slen) < 0)
			return parse_error(p, t->pos, "invalid syntax: %.*s", (int)t->len, p->src + t->pos);
		return 0;
	case TK_RAWSTRING:
		a->kind = A_STRING;
		a->s = xstrndup(p->src + t->pos + 1, t->len - 2);
		a->slen = t->len - 2;
		return 0;
	case TK_NUMBER:
	case TK_CHAR:
		return parse_number(p, t, a);
	case TK_LPAREN:
		a->kind = A_PIPE;
		r = parse_pipe(p, "parenthesized pipeline", false, &a->pipe);
		if (r < 0)
			return r;
		if (next(p)->kind != TK_RPAREN)
			return parse_error(p, t->pos, "unclosed left paren");
		break;
	case TK_EOF:
		return parse_error(p, t->pos, "missing value for command");
	default:
		return parse_error(p, t->pos, "unexpected \"%.*s\" in operand", (int)t->len, p->src + t->pos);
	}
	parse_fields(p, a);
	return 0;
}

static int parse_cmd(struct parser *p, struct cmd **ret)
{
	struct cmd *c = xcalloc(1, sizeof(*c));
	size_t start = peek(p)->pos;
	int r = 0;

	c->pos = start;
	for (;;) {
		enum tok k = peek(p)->kind;
		if (k == TK_EOF || k == TK_PIPE || k == TK_RPAREN)
			break;
		struct arg *a = xcalloc(1, sizeof(*a));
		size_t apos = peek(p)->pos;
		r = parse_term(p, a);
		PUSH(c->args, c->n, a);
		if (r < 0)
			break;
		a->src = xstrndup(p->src + apos, p->toks[p->cur - 1].pos + p->toks[p->cur - 1].len - apos);
	}
	if (r >= 0 && c->n == 0)
		r = parse_error(p, start, "missing value for command");
	if (r < 0) {
		cmd_free(c);
		return r;
	}
	c->src = xstrndup(p->src + start, p->toks[p->cur - 1].pos + p->toks[p->cur - 1].len - start);
	*ret = c;
	return 0;
}

/* "$x :=", "$x =" or (range) "$i, $e :=" */
static void parse_decl(struct parser *p, struct pipe *pp, bool decl_ok)
{
	const struct token *t = p->toks + p->cur;

	if (t[0].kind != TK_VAR)
		return;
	if (t[1].kind == TK_DECLARE || t[1].kind == TK_ASSIGN) {
		pp->vars[0] = xstrndup(p->src + t[0].pos, t[0].len);
		pp->nvars = 1;
		pp->declare = t[1].kind == TK_DECLARE;
		p->cur += 2;
	} else if (decl_ok && t[1].kind == TK_COMMA && t[2].kind == TK_VAR &&
		   (t[3].kind == TK_DECLARE || t[3].kind == TK_ASSIGN)) {
		pp->vars[0] = xstrndup(p->src + t[0].pos, t[0].len);
		pp->vars[1] = xstrndup(p->src + t[2].pos, t[2].len);
		pp->nvars = 2;
		pp->declare = t[3].kind == TK_DECLARE;
		p->cur += 4;
	}
}

static int parse_pipe(struct parser *p, const char *ctx, bool decl_ok, struct pipe **ret)
{
	struct pipe *pp = xcalloc(1, sizeof(*pp));
	int r = 0;

	pp->pos = peek(p)->pos;
	parse_decl(p, pp, decl_ok);
	if (peek(p)->kind == TK_EOF || peek(p)->kind == TK_RPAREN) {
		r = parse_error(p, pp->pos, "missing value for %s", ctx);
		goto out;
	}
	for (;;) {
		struct cmd *c;
		r = parse_cmd(p, &c);
		if (r < 0)
			goto out;
		PUSH(pp->cmds, pp->n, c);
		if (pp->n > 1 && c->args[0]->kind != A_FUNC) {
			r = parse_error(p, c->pos, "non executable command in pipeline stage %zu", pp->n);
			goto out;
		}
		if (peek(p)->kind != TK_PIPE)
			break;
		next(p);
	}
out:
	if (r < 0) {
		pipe_free(pp);
		return r;
	}
	*ret = pp;
	return 0;
}

static struct list *cur_list(struct parser *p)
{
	if (!p->nframes)
		return p->root;
	struct frame *f = &p->frames[p->nframes - 1];
	return f->in_else ? f->node->elselist : f->node->list;
}

static void add_node(struct parser *p, struct node *n)
{
	struct list *l = cur_list(p);
	PUSH(l->v, l->n, n);
}

static int open_control(struct parser *p, enum node_kind kind, const char *word, bool implicit)
{
	struct node *n = xcalloc(1, sizeof(*n));
	int r;

	n->kind = kind;
	r = parse_pipe(p, word, kind == N_RANGE, &n->pipe);
	if (r >= 0 && peek(p)->kind != TK_EOF)
		r = parse_error(p, peek(p)->pos, "unexpected \"%.*s\" in %s", (int)peek(p)->len,
				p->src + peek(p)->pos, word);
	if (r < 0) {
		node_free(n);
		return r;
	}
	n->list = xcalloc(1, sizeof(struct list));
	n->elselist = xcalloc(1, sizeof(struct list));
	add_node(p, n);
	struct frame f = { .node = n, .implicit = implicit };
	PUSH(p->frames, p->nframes, f);
	return 0;
}

static int parse_else(struct parser *p, size_t pos)
{
	struct frame *f = p->nframes ? &p->frames[p->nframes - 1] : NULL;

	if (!f || f->in_else)
		return parse_error(p, pos, "unexpected {{else}}");
	f->in_else = true;
	const struct token *t = next(p);
	if (t->kind == TK_EOF)
		return 0;
	if (tok_is(p, t, "if") && f->node->kind == N_IF)
		return open_control(p, N_IF, "if", true);
	if (tok_is(p, t, "with") && f->node->kind == N_WITH)
		return open_control(p, N_WITH, "with", true);
	return parse_error(p, t->pos, "unexpected \"%.*s\" in else", (int)t->len, p->src + t->pos);
}

static int parse_end(struct parser *p, size_t pos)
{
	if (peek(p)->kind != TK_EOF)
		return parse_error(p, pos, "unexpected \"%.*s\" in end", (int)peek(p)->len, p->src + peek(p)->pos);
	if (!p->nframes)
		return parse_error(p, pos, "unexpected {{end}}");
	while (p->nframes && p->frames[--p->nframes].implicit)
		;
	return 0;
}

static int parse_action(struct parser *p, size_t start, size_t end)
{
	static const struct { const char *word; enum node_kind kind; } controls[] = {
		{ "if", N_IF }, { "range", N_RANGE }, { "with", N_WITH },
	};
	int r = lex_action(p, start, end);
	const struct token *t;

	if (r < 0)
		return r;
	t = peek(p);
	for (size_t i = 0; i < ARRAY_SIZE(controls); i++)
		if (tok_is(p, t, controls[i].word)) {
			next(p);
			return open_control(p, controls[i].kind, controls[i].word, false);
		}
	if (tok_is(p, t, "else"))
		return next(p), parse_else(p, t->pos);
	if (tok_is(p, t, "end"))
		return next(p), parse_end(p, t->pos);
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = N_ACTION;
	r = parse_pipe(p, "command", false, &n->pipe);
	if (r >= 0 && peek(p)->kind != TK_EOF)
		r = parse_error(p, peek(p)->pos, "unexpected \"%.*s\" in command", (int)peek(p)->len,
				p->src + peek(p)->pos);
	if (r < 0) {
		node_free(n);
		return r;
	}
	add_node(p, n);
	return 0;
}

static void add_text(struct parser *p, const char *s, size_t n)
{
	if (!n)
		return;
	struct node *node = xcalloc(1, sizeof(*node));
	node->kind = N_TEXT;
	node->text = xstrndup(s, n);
	node->len = n;
	add_node(p, node);
}

/* Where the action opened at `open` (just after "{{") closes: index of "}}". */
static size_t find_close(const char *s, size_t open, size_t len)
{
	for (size_t i = open; i + 1 < len; i++) {
		if (s[i] == '"' || s[i] == '`' || s[i] == '\'') {
			size_t e = scan_quoted(s, i, len);
			if (!e)
				return len;
			i = e - 1;
		} else if (s[i] == '}' && s[i + 1] == '}') {
			return i;
		}
	}
	return len;
}

static int find_action_close(struct parser *p, size_t open, size_t body, size_t len, size_t *ret,
			     bool *ret_trim)
{
	const char *s = p->src;
	size_t close = find_close(s, body, len);

	if (close >= len)
		return parse_error(p, open, "unclosed action");
	*ret_trim = close >= body + 2 && s[close - 1] == '-' && is_space(s[close - 2]);
	*ret = close;
	return 0;
}

/* A comment is exactly "/" "*" ... "*" "/", then an optional " -", then "}}". */
static int find_comment_close(struct parser *p, size_t open, size_t body, size_t len, size_t *ret,
			      bool *ret_trim)
{
	const char *s = p->src;
	const char *e = strstr(s + body + 2, "*/");
	size_t close;

	if (!e)
		return parse_error(p, open, "unclosed comment");
	close = (size_t)(e - s) + 2;
	*ret_trim = is_space(s[close]) && s[close + 1] == '-';
	if (*ret_trim)
		close += 2;
	if (strncmp(s + close, "}}", 2))
		return parse_error(p, open, "comment ends before closing delimiter");
	*ret = close;
	return 0;
}

static int parse_segments(struct parser *p)
{
	const char *s = p->src;
	size_t len = strlen(s), pos = 0;

	while (pos < len) {
		const char *at = strstr(s + pos, "{{");
		size_t open = at ? (size_t)(at - s) : len, text_end = open;
		if (!at) {
			add_text(p, s + pos, len - pos);
			break;
		}
		size_t body = open + 2;
		if (s[body] == '-' && is_space(s[body + 1])) { /* "{{- " trims the text before */
			body += 2;
			while (text_end > pos && is_space(s[text_end - 1]))
				text_end--;
		}
		add_text(p, s + pos, text_end - pos);
		bool trim_right = false;
		size_t close = 0, body_end;
		int r = s[body] == '/' && s[body + 1] == '*' ? find_comment_close(p, open, body, len, &close, &trim_right)
							     : find_action_close(p, open, body, len, &close, &trim_right);
		if (r < 0)
			return r;
		body_end = trim_right ? close - 2 : close;
		if (!(s[body] == '/' && s[body + 1] == '*')) {
			r = parse_action(p, body, body_end);
			if (r < 0)
				return r;
		}
		size_t after = close + 2;
		if (trim_right)
			while (after < len && is_space(s[after]))
				after++;
		pos = after;
	}
	return 0;
}

int tmpl_parse(const char *src, const char *name, struct tmpl **ret, struct berr *err)
{
	struct parser p = { .src = src, .name = name ? name : "", .err = err };
	int r;

	p.root = xcalloc(1, sizeof(struct list));
	r = parse_segments(&p);
	if (r >= 0 && p.nframes)
		r = parse_error(&p, strlen(src), "unexpected EOF");
	free(p.toks);
	free(p.frames);
	if (r < 0) {
		list_free(p.root);
		return r;
	}
	struct tmpl *t = xcalloc(1, sizeof(*t));
	t->name = xstrndup(p.name, strlen(p.name));
	t->src = xstrndup(src, strlen(src));
	t->root = p.root;
	*ret = t;
	return 0;
}

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
			    x->t->name, line_of(s, x->pos), col, x->t->name, x->src ? x->src : "", msg);
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
		_cleanup_free_ const char **keys = sorted_keys(v, &nk);
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
			put_top_value(x->out, v);
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
			put_value(f, a[i], false);
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
			put_float(m, json_number_value(v), false);
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
			put_value(m, v, false);
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
			size_t len = utf8_decode(p, strlen((const char *)p), &c);
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
		put_value(f, e, false);
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
		size_t l = utf8_decode((unsigned char *)s + i, len - i, &c);
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

static bool func_exists(const char *name, size_t len)
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
