/* template_value.c - printing decoded JSON values as Go's fmt and
 * encoding/json would (see template-internal.h). */
#include "common/template-internal.h"

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
void tmpl_put_float(FILE *f, double v, bool json)
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
const char **tmpl_sorted_keys(const json_t *obj, size_t *ret_n)
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

void tmpl_put_value(FILE *f, const json_t *v, bool top)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		fwrite(json_string_value(v), 1, json_string_length(v), f);
		break;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		tmpl_put_float(f, json_real_value(v), false);
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
			tmpl_put_value(f, e, false);
		}
		fputc(']', f);
		break;
	}
	case JSON_OBJECT: {
		size_t n;
		_cleanup_free_ const char **keys = tmpl_sorted_keys(v, &n);
		fputs("map[", f);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "%s%s:", i ? " " : "", keys[i]);
			tmpl_put_value(f, json_object_get(v, keys[i]), false);
		}
		fputc(']', f);
		break;
	}
	}
}

void tmpl_put_top_value(FILE *f, const json_t *v)
{
	if (!v)
		fputs("<no value>", f);
	else
		tmpl_put_value(f, v, true);
}

/* Decode one UTF-8 sequence; returns its length, or 0 when invalid. */
size_t tmpl_utf8_decode(const unsigned char *s, size_t n, uint32_t *ret)
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
		} else if (!(len = tmpl_utf8_decode(p + i, n - i, &cp))) {
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
		tmpl_put_float(f, json_real_value(v), true);
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
		tmpl_put_value(f, v, false);
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
	tmpl_put_top_value(f, v);
}

char *tmpl_value_string(const json_t *v)
{
	return to_string(put_top_value_b, v, false);
}

char *tmpl_json(const json_t *v, bool escape_html)
{
	return to_string(put_json_or_null, v, escape_html);
}
