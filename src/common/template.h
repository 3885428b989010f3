/* template.h - the subset of Go's text/template that docker's --format uses.
 *
 * Data is a jansson value. Supported: literal text; {{pipeline}} with
 * fields (.A.B, $x.A, (pipe).A), variables ($, $x := ..., $x = ...),
 * string/number/bool/nil literals, parentheses and "|" pipelines;
 * {{if}}/{{else if}}/{{else}}/{{end}}, {{range}} (arrays, objects in sorted
 * key order, integers; with "$i, $e :=" declarations), {{with}}; comments
 * comments ({{/-star ... star-/}}) and the {{- / -}} trim markers. Functions: Go's and, or,
 * not, len, index, slice, eq, ne, lt, le, gt, ge, print, printf, println,
 * html, js, urlquery, and docker's json, split, join, title, lower, upper,
 * pad, truncate.
 *
 * Values print as Go's fmt prints the equivalent decoded JSON: strings raw,
 * integers in decimal, reals like %v ("1e+06"), arrays "[a b]", objects
 * "map[k:v]" (sorted keys), a missing value or null as "<no value>" (inside
 * containers "<nil>").
 *
 * Errors read like Go's: "template: NAME:1: function \"foo\" not defined"
 * for parsing, "template: NAME:1:2: executing \"NAME\" at <.Foo>: ..." for
 * execution. A parsed template is immutable and can be executed many times. */
#ifndef BERTH_COMMON_TEMPLATE_H
#define BERTH_COMMON_TEMPLATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "base/err.h"

struct tmpl;

int tmpl_parse(const char *src, const char *name, struct tmpl **ret, struct berr *err);
void tmpl_free(struct tmpl *t);

enum {
	/* A field missing from the root object is an error ("can't evaluate
	 * field X in type T"), as for docker's typed row contexts. */
	TMPL_STRICT_ROOT = 1 << 0,
	/* Table header mode: json, split, join, title, lower, upper and
	 * truncate return their first argument unchanged (docker's
	 * HeaderFunctions), so "{{upper .Repository}}" heads "REPOSITORY". */
	TMPL_HEADER = 1 << 1,
	/* json escapes <, > and & as \u003c... (docker's row contexts marshal
	 * with encoding/json's defaults). */
	TMPL_JSON_ESCAPE_HTML = 1 << 2,
};

struct tmpl_opts {
	unsigned flags;
	const char *root_type; /* for TMPL_STRICT_ROOT messages: "*formatter.imageContext" */
};

/* Execute against data, writing to out. On error, what was written so far
 * stays written (as in Go). opts may be NULL. */
int tmpl_exec(const struct tmpl *t, json_t *data, const struct tmpl_opts *opts, FILE *out, struct berr *err);
/* Same, into a malloc'ed string. */
int tmpl_exec_string(const struct tmpl *t, json_t *data, const struct tmpl_opts *opts, char **ret, struct berr *err);

/* Go's fmt %v of a value (NULL or null -> "<no value>"); malloc'ed. */
char *tmpl_value_string(const json_t *v);
/* Go's encoding/json of a value, compact; malloc'ed. */
char *tmpl_json(const json_t *v, bool escape_html);

#endif
