/* format.c - docker's --format handling and Go's text/tabwriter.
 *
 * A table format runs the template once per row into a buffer, then once
 * on the header map with docker's header functions, and aligns header and
 * rows with tabwriter (minwidth 10, tabwidth 1, padding 3, ' '). Other
 * formats print each row's output followed by "\n". */
#include <string.h>

#include "cli/cli.h"
#include "common/template.h"

/* ---- tabwriter ---- */

struct tw_cell {
	const char *text;
	size_t size, width; /* bytes, runes */
};

struct tw_line {
	struct tw_cell *cells;
	size_t n;
};

struct tw {
	struct tw_line *lines;
	size_t nlines;
	size_t widths[64];
	size_t nwidths;
	int minwidth, padding;
	FILE *out;
};

static size_t runes(const char *s, size_t n)
{
	size_t r = 0;
	for (size_t i = 0; i < n; i++)
		r += ((unsigned char)s[i] & 0xc0) != 0x80;
	return r;
}

static void tw_write_lines(struct tw *t, size_t line0, size_t line1)
{
	for (size_t i = line0; i < line1; i++) {
		const struct tw_line *l = &t->lines[i];
		for (size_t j = 0; j < l->n; j++) {
			const struct tw_cell *c = &l->cells[j];
			fwrite(c->text, 1, c->size, t->out);
			if (j < t->nwidths)
				for (size_t k = c->width; k < t->widths[j]; k++)
					fputc(' ', t->out);
		}
		if (i + 1 < t->nlines)
			fputc('\n', t->out);
	}
}

/* Go's Writer.format: a column block is a run of lines that have a
 * tab-terminated cell in this column; its width is the widest cell plus
 * padding (at least minwidth); columns to the right are formatted inside
 * each block recursively. */
static void tw_format(struct tw *t, size_t line0, size_t line1)
{
	size_t column = t->nwidths;

	for (size_t this = line0; this < line1; this++) {
		if (column + 1 >= t->lines[this].n)
			continue;
		tw_write_lines(t, line0, this);
		line0 = this;
		size_t width = (size_t)t->minwidth;
		for (; this < line1; this++) {
			const struct tw_line *l = &t->lines[this];
			if (column + 1 >= l->n)
				break;
			size_t w = l->cells[column].width + (size_t)t->padding;
			width = w > width ? w : width;
		}
		if (t->nwidths < ARRAY_SIZE(t->widths)) {
			t->widths[t->nwidths++] = width;
			tw_format(t, line0, this);
			t->nwidths--;
		}
		line0 = this;
		if (this >= line1)
			break;
	}
	tw_write_lines(t, line0, line1);
}

static void tw_split(struct tw *t, const char *text, size_t len)
{
	struct tw_line cur = { 0 };
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && text[i] != '\t' && text[i] != '\n')
			continue;
		cur.cells = reallocarray(cur.cells, cur.n + 1, sizeof(*cur.cells));
		if (!cur.cells)
			abort();
		cur.cells[cur.n++] = (struct tw_cell){ text + start, i - start, runes(text + start, i - start) };
		start = i + 1;
		if (i < len && text[i] == '\t')
			continue;
		t->lines = reallocarray(t->lines, t->nlines + 1, sizeof(*t->lines));
		if (!t->lines)
			abort();
		t->lines[t->nlines++] = cur;
		cur = (struct tw_line){ 0 };
	}
}

char *tabwriter_format(const char *text, size_t len, int minwidth, int padding)
{
	struct tw t = { .minwidth = minwidth, .padding = padding };
	char *out = NULL;
	size_t outlen = 0, block = 0;

	t.out = open_memstream(&out, &outlen);
	if (!t.out)
		abort();
	tw_split(&t, text, len);
	/* a line without tabs ends the blocks above it (Go flushes there) */
	size_t total = t.nlines;
	for (size_t i = 0; i + 1 < total; i++) {
		if (t.lines[i].n == 1) {
			tw_format(&t, block, i + 1);
			block = i + 1;
		}
	}
	tw_format(&t, block, total);
	fclose(t.out);
	for (size_t i = 0; i < total; i++)
		free(t.lines[i].cells);
	free(t.lines);
	return out;
}

/* ---- formats ---- */

static char *replace_escapes(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		abort();
	for (; *s; s++) {
		if (s[0] == '\\' && (s[1] == 't' || s[1] == 'n')) {
			*o++ = s[1] == 't' ? '\t' : '\n';
			s++;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

static char *trim_spaces(const char *s)
{
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	return strndup(s, n);
}

int fmt_begin(struct fmt_ctx *fc, const char *format, const char *def, json_t *header, const char *root_type,
	      bool escapes)
{
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_free_ char *trimmed = NULL, *src = NULL;

	*fc = (struct fmt_ctx){ .header = header, .root_type = root_type, .flags = TMPL_STRICT_ROOT | TMPL_JSON_ESCAPE_HTML };
	if (!format || !*format || !strcmp(format, "table"))
		format = def;
	if (!strcmp(format, "json"))
		format = "{{json .}}";
	fc->table = !strncmp(format, "table", 5);
	trimmed = trim_spaces(fc->table ? format + 5 : format);
	src = escapes ? replace_escapes(trimmed) : strdup(trimmed);
	if (tmpl_parse(src, "", &fc->t, &err) < 0) {
		fprintf(stderr, "template parsing error: %s\n", err.msg);
		json_decref(header);
		fc->header = NULL;
		return -EINVAL;
	}
	fc->f = open_memstream(&fc->buf, &fc->len);
	if (!fc->f)
		abort();
	return 0;
}

int fmt_row(struct fmt_ctx *fc, json_t *row)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct tmpl_opts o = { .flags = fc->flags, .root_type = fc->root_type };

	if (tmpl_exec(fc->t, row, &o, fc->f, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return -EINVAL;
	}
	fputc('\n', fc->f);
	return 0;
}

void fmt_end(struct fmt_ctx *fc, FILE *out)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct tmpl_opts o = { .flags = TMPL_HEADER };
	_cleanup_free_ char *text = NULL, *aligned = NULL;
	size_t n = 0;
	FILE *f;

	fclose(fc->f);
	fc->f = NULL;
	if (!fc->table) {
		fwrite(fc->buf, 1, fc->len, out);
		return;
	}
	f = open_memstream(&text, &n);
	if (!f)
		abort();
	tmpl_exec(fc->t, fc->header, &o, f, &err); /* docker ignores header errors too */
	fputc('\n', f);
	fwrite(fc->buf, 1, fc->len, f);
	fclose(f);
	aligned = tabwriter_format(text, n, 10, 3);
	fputs(aligned, out);
}

void fmt_release(struct fmt_ctx *fc)
{
	if (fc->f)
		fclose(fc->f);
	free(fc->buf);
	tmpl_free(fc->t);
	json_decref(fc->header);
	*fc = (struct fmt_ctx){ 0 };
}

int fmt_template_line(const char *format, json_t *v, const char *name, FILE *out)
{
	_cleanup_berr_ struct berr err = { 0 };
	struct tmpl *t = NULL;
	int r;

	if (!strcmp(format, "json"))
		format = "{{json .}}";
	r = tmpl_parse(format, name, &t, &err);
	if (r < 0) {
		fprintf(stderr, "template parsing error: %s\n", err.msg);
		return r;
	}
	r = tmpl_exec(t, v, NULL, out, &err);
	tmpl_free(t);
	if (r < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return r;
	}
	fputc('\n', out);
	return 0;
}
