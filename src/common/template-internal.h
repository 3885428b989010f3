/* template-internal.h - what the three parts of the --format engine share:
 * value formatting (template_value.c), the parser (template.c) and the
 * evaluator with its functions (template_exec.c). Not for other modules. */
#ifndef BERTH_COMMON_TEMPLATE_INTERNAL_H
#define BERTH_COMMON_TEMPLATE_INTERNAL_H

#include "common/template.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/macros.h"

static inline void json_decref_p(json_t **p)
{
	json_decref(*p);
}
#define _cleanup_jv_ _cleanup_(json_decref_p)

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

static inline void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

static inline void *xrealloc_array(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n ? n : 1, size);
	if (!p)
		abort();
	return p;
}

static inline char *xstrndup(const char *s, size_t n)
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

/* Value formatting (template_value.c). */
void tmpl_put_float(FILE *f, double v, bool json);
const char **tmpl_sorted_keys(const json_t *obj, size_t *ret_n);
void tmpl_put_value(FILE *f, const json_t *v, bool top);
void tmpl_put_top_value(FILE *f, const json_t *v);
size_t tmpl_utf8_decode(const unsigned char *s, size_t n, uint32_t *ret);
/* Parser (template.c): the 1-based line of a source offset. */
int tmpl_line_of(const char *src, size_t pos);
/* Evaluator (template_exec.c): whether a function name is known. */
bool tmpl_func_exists(const char *name, size_t len);

#endif
