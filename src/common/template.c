/* template.c - a Go text/template subset for --format (see template.h): the
 * parser (source -> text segments and actions -> tokens -> node tree).
 *
 * The engine has three parts: value formatting as Go's fmt and
 * encoding/json would print decoded JSON (template_value.c), this parser,
 * and an evaluator that walks the tree (template_exec.c). Every evaluated
 * value is an owned jansson reference; NULL stands for Go's "invalid". */
#include "common/template-internal.h"

/* ------------------------------------------------------------------ */
/* Syntax tree                                                        */
/* ------------------------------------------------------------------ */

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

int tmpl_line_of(const char *src, size_t pos)
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
	return berr_set_msg(p->err, BERR_INVALID, EINVAL, "template: %s:%d: %s", p->name, tmpl_line_of(p->src, pos), msg);
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
		if (unquote(text + 1, t->len - 2, &u, &n) < 0 || !n || tmpl_utf8_decode((unsigned char *)u, n, &c) != n)
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
	if (!tmpl_func_exists(s, t->len))
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
