/* test_template.c - src/common/template.c, the Go text/template subset.
 *
 * Where docker can run without a daemon, it was the oracle: the client half
 * of `docker version --format '...'` (CLI 28.2.2) is executed before the
 * daemon is contacted, so the rows marked [docker] are what that printed for
 * the data {"Client":{"Version":"28.2.2","Os":"linux","Arch":"amd64"}}. Other
 * rows follow Go's documented text/template and fmt behaviour for values
 * decoded from JSON into interface{} (maps print sorted as map[k:v], missing
 * keys as <no value>, float64 with %v), noted per row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/template.h"

#define CLIENT "{\"Client\":{\"Version\":\"28.2.2\",\"Os\":\"linux\",\"Arch\":\"amd64\"},\"Server\":null}"

struct tcase {
	const char *tmpl, *data, *want;
};

static char *run(const char *src, const char *data, const struct tmpl_opts *opts, struct berr *err)
{
	struct tmpl *t = NULL;
	json_error_t je;
	json_t *d = json_loads(data ? data : "{}", JSON_DECODE_ANY, &je);
	char *out = NULL;

	assert_non_null(d);
	if (tmpl_parse(src, "", &t, err) >= 0)
		tmpl_exec_string(t, d, opts, &out, err);
	tmpl_free(t);
	json_decref(d);
	return out;
}

static void check_table(const struct tcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct berr err = { 0 };
		char *out = run(c[i].tmpl, c[i].data, NULL, &err);
		if (!out || strcmp(out, c[i].want))
			fail_msg("%s: got [%s] (%s), want [%s]", c[i].tmpl, out ? out : "(null)",
				 err.msg ? err.msg : "", c[i].want);
		free(out);
		berr_clear(&err);
	}
}

static void test_docker_oracle(void **state)
{
	static const struct tcase c[] = {
		{ "{{.Client.Version | upper}}", CLIENT, "28.2.2" },
		{ "{{join (split .Client.Version \".\") \",\"}}", CLIENT, "28,2,2" },
		{ "{{split .Client.Version \".\"}}", CLIENT, "[28 2 2]" },
		{ "{{range split .Client.Version \".\"}}<{{.}}>{{end}}", CLIENT, "<28><2><2>" },
		{ "{{range $i, $e := split .Client.Version \".\"}}{{$i}}={{$e}} {{end}}", CLIENT, "0=28 1=2 2=2 " },
		{ "{{if .Server}}yes{{else}}no{{end}}", CLIENT, "no" },
		{ "{{printf \"%s-%d-%q-%v-%5s|%-5s|\" \"a\" 3 \"b\" 1.5 \"x\" \"y\"}}", CLIENT, "a-3-\"b\"-1.5-    x|y    |" },
		{ "{{index (split .Client.Version \".\") 1}}", CLIENT, "2" },
		{ "{{len .Client.Version}}", CLIENT, "6" },
		{ "{{title \"hello world\"}}", CLIENT, "Hello World" },
		{ "{{pad \"x\" 2 3}}", CLIENT, "  x   " },
		{ "{{truncate \"abcdef\" 3}}", CLIENT, "abc" },
		{ "{{println \"a\" \"b\"}}x", CLIENT, "a b\nx" },
		{ "{{print \"a\" \"b\" 1 2 \"c\"}}", CLIENT, "ab1 2c" },
		{ "{{lower \"ABC\"}}", CLIENT, "abc" },
		{ "{{json \"a<b>&\"}}", CLIENT, "\"a<b>&\"" },
		{ "{{eq 1 1}} {{ne \"a\" \"b\"}} {{lt 1 2}} {{and 1 0}} {{or 0 \"x\"}} {{not true}}", CLIENT,
		  "true true true 0 x false" },
		{ "  {{- \"x\" -}}  y", CLIENT, "xy" },
		{ "{{/* c */}}z", CLIENT, "z" },
		{ "{{with .Client}}{{.Os}}{{end}}", CLIENT, "linux" },
		{ "{{1.5}} {{1e6}} {{100000.0}} {{0x10}} {{-3}} {{true}}", CLIENT, "1.5 1e+06 100000 16 -3 true" },
		{ "{{index \"abc\" 1}}", CLIENT, "98" },
		{ "{{slice \"abcd\" 1 3}}", CLIENT, "bc" },
		{ "{{printf \"%v\" (split \"a,b\" \",\")}}", CLIENT, "[a b]" },
		{ "{{printf \"%d\" \"x\"}}", CLIENT, "%!d(string=x)" },
		{ "{{html \"<a>\"}} {{js \"a'b\"}} {{urlquery \"a b&\"}}", CLIENT, "&lt;a&gt; a\\'b a+b%26" },
		{ "{{$x := \"v\"}}{{$x}}", CLIENT, "v" },
		{ "{{range $i, $e := split \"a,b\" \",\"}}{{if $i}},{{end}}{{$e}}{{end}}", CLIENT, "a,b" },
		/* strings.Split("", ",") is [""]: one iteration */
		{ "{{range split \"\" \",\"}}a{{else}}none{{end}}", CLIENT, "a" },
		{ "{{range (split \"\" \"\")}}a{{else}}none{{end}}", CLIENT, "none" },
		/* docker replaces \t and \n only in table/row formats, not here */
		{ "{{.Client.Os}}\\t{{.Client.Arch}}", CLIENT, "linux\\tamd64" },
	};
	check_table(c, sizeof(c) / sizeof(c[0]));
}

static void test_values(void **state)
{
	static const struct tcase c[] = {
		/* fmt %v of map[string]interface{}: sorted keys, nested nil as <nil> */
		{ "{{.}}", "{\"b\":[1,null],\"a\":{\"y\":true,\"x\":\"s\"}}", "map[a:map[x:s y:true] b:[1 <nil>]]" },
		/* missing key and JSON null at top level: <no value> */
		{ "{{.Nope}}|{{.N}}|{{.N.Deeper}}", "{\"N\":null}", "<no value>|<no value>|<no value>" },
		/* float64 %v: shortest digits, exponent from 1e6 and below 1e-4 */
		{ "{{.a}} {{.b}} {{.c}} {{.d}}", "{\"a\":1986818.0,\"b\":0.5,\"c\":0.00001,\"d\":123456.5}",
		  "1.986818e+06 0.5 1e-05 123456.5" },
		{ "{{.i}}", "{\"i\":1795830749}", "1795830749" },
		/* encoding/json: struct order kept, no HTML escaping in docker's json func */
		{ "{{json .}}", "{\"b\":\"<&>\",\"a\":[1,2.5,null],\"c\":{}}", "{\"b\":\"<&>\",\"a\":[1,2.5,null],\"c\":{}}" },
		{ "{{json .Missing}}", "{}", "null" },
		{ "{{json .S}}", "{\"S\":\"tab\\there\\u0001\"}", "\"tab\\there\\u0001\"" },
		{ "{{json .Config}}", "{\"Config\":{\"Cmd\":[\"sh\"],\"Env\":null}}", "{\"Cmd\":[\"sh\"],\"Env\":null}" },
		{ "{{.Config.Cmd}}", "{\"Config\":{\"Cmd\":[\"sh\",\"-c\",\"x y\"]}}", "[sh -c x y]" },
		{ "{{join .RepoTags \",\"}}", "{\"RepoTags\":[\"a:1\",\"b:2\"]}", "a:1,b:2" },
		{ "{{join .RepoTags \",\"}}", "{\"RepoTags\":null}", "" },
		{ "{{index .Labels \"k\"}}|{{index .Labels \"z\"}}", "{\"Labels\":{\"k\":\"v\"}}", "v|" },
		{ "{{range .L}}[{{.}}]{{else}}empty{{end}}", "{\"L\":[]}", "empty" },
		{ "{{range .L}}[{{.}}]{{else}}empty{{end}}", "{}", "empty" },
		{ "{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}", "{\"M\":{\"b\":\"2\",\"a\":\"1\"}}", "a=1;b=2;" },
		{ "{{range .M}}{{.}}{{end}}", "{\"M\":{\"b\":\"2\",\"a\":\"1\"}}", "12" },
		{ "{{range 3}}{{.}}{{end}}", "{}", "012" },
		{ "{{if .A}}a{{else if .B}}b{{else}}c{{end}}", "{\"B\":1}", "b" },
		{ "{{if and .A .B}}y{{else}}n{{end}}", "{\"A\":1,\"B\":\"\"}", "n" },
		{ "{{with .X}}{{.}}{{else}}none{{end}}", "{\"X\":0}", "none" },
		{ "{{$.A}}{{with .B}}{{$.A}}{{.}}{{end}}", "{\"A\":\"a\",\"B\":\"b\"}", "aab" },
		{ "{{$x := 1}}{{$x = 2}}{{$x}}", "{}", "2" },
		{ "{{(index .L 0).N}}", "{\"L\":[{\"N\":\"n\"}]}", "n" },
		{ "{{.A | printf \"%s!\"}}", "{\"A\":\"hi\"}", "hi!" },
		{ "{{printf \"%-6s|%06d|%.2f|%x|%t\" \"ab\" 42 3.14159 255 true}}", "{}", "ab    |000042|3.14|ff|true" },
		{ "{{printf \"%s\"}} {{printf \"x\" 1}}", "{}", "%!s(MISSING) x%!(EXTRA int=1)" },
		{ "a\n{{- \"b\"}}\n", "{}", "ab\n" },
		{ "{{\"\\u00e9\\t\"}}|{{'a'}}|{{`raw\\n`}}", "{}", "\xc3\xa9\t|97|raw\\n" },
		{ "{{eq .A \"x\" \"y\"}} {{lt 1.5 2}} {{ge \"b\" \"a\"}}", "{\"A\":\"y\"}", "true true true" },
		{ "{{len .M}} {{len .L}}", "{\"M\":{\"a\":1},\"L\":[1,2,3]}", "1 3" },
		{ "{{.A.B.C}}", "{\"A\":{\"B\":{\"C\":\"deep\"}}}", "deep" },
	};
	check_table(c, sizeof(c) / sizeof(c[0]));
}

static void check_error(const char *tmpl, const char *data, const struct tmpl_opts *opts, const char *want)
{
	struct berr err = { 0 };
	char *out = run(tmpl, data, opts, &err);

	if (out || !err.msg || strcmp(err.msg, want))
		fail_msg("%s: got [%s] / [%s], want error [%s]", tmpl, out ? out : "", err.msg ? err.msg : "", want);
	berr_clear(&err);
}

static void test_errors(void **state)
{
	/* parse errors: text/template's wording, "template: NAME:LINE: ..." */
	check_error("{{foo}}", NULL, NULL, "template: :1: function \"foo\" not defined");
	check_error("{{if}}", NULL, NULL, "template: :1: missing value for if");
	check_error("{{end}}", NULL, NULL, "template: :1: unexpected {{end}}");
	check_error("{{else}}", NULL, NULL, "template: :1: unexpected {{else}}");
	check_error("{{", NULL, NULL, "template: :1: unclosed action");
	check_error("a\n{{if 1}}b", NULL, NULL, "template: :2: unexpected EOF");
	check_error("{{\"a\" | .B}}", NULL, NULL, "template: :1: non executable command in pipeline stage 2");
	check_error("{{\"abc}}", NULL, NULL, "template: :1: unclosed action");
	/* execution errors: "template: NAME:LINE:COL: executing "NAME" at <NODE>: ..." */
	check_error("{{.A.B}}", "{\"A\":\"s\"}", NULL,
		    "template: :1:2: executing \"\" at <.A.B>: can't evaluate field B in type string");
	check_error("x {{index .L 5}}", "{\"L\":[1]}", NULL,
		    "template: :1:4: executing \"\" at <index .L 5>: error calling index: index out of range: 5");
	check_error("{{join .S \",\"}}", "{\"S\":\"x\"}", NULL,
		    "template: :1:2: executing \"\" at <join .S \",\">: wrong type for value; expected []string; got string");
	check_error("{{range .S}}{{end}}", "{\"S\":\"x\"}", NULL,
		    "template: :1:8: executing \"\" at <.S>: range can't iterate over x");
	/* docker's row contexts are Go structs: unknown fields are errors */
	struct tmpl_opts strict = { .flags = TMPL_STRICT_ROOT, .root_type = "*formatter.imageContext" };
	check_error("{{.ID}} {{.Foo}}", "{\"ID\":\"x\"}", &strict,
		    "template: :1:10: executing \"\" at <.Foo>: can't evaluate field Foo in type *formatter.imageContext");
}

static void test_header_mode(void **state)
{
	/* docker executes a table format once on the header map with
	 * HeaderFunctions, which return the column name unchanged */
	struct tmpl_opts hdr = { .flags = TMPL_HEADER };
	struct berr err = { 0 };
	char *out = run("{{upper .Repository}}\t{{.ID | lower}}\t{{json .Size}}\t{{truncate .Tag 2}}",
			"{\"Repository\":\"REPOSITORY\",\"ID\":\"IMAGE ID\",\"Size\":\"SIZE\",\"Tag\":\"TAG\"}", &hdr, &err);
	assert_non_null(out);
	assert_string_equal(out, "REPOSITORY\tIMAGE ID\tSIZE\tTAG");
	free(out);
}

static void test_json_escape_html(void **state)
{
	/* docker's row contexts go through encoding/json's Marshal: <none> is
	 * written as \u003cnone\u003e by `docker images --format json` */
	struct tmpl_opts o = { .flags = TMPL_JSON_ESCAPE_HTML };
	struct berr err = { 0 };
	char *out = run("{{json .}}", "{\"Digest\":\"<none>\",\"X\":\"a&b\"}", &o, &err);
	assert_non_null(out);
	assert_string_equal(out, "{\"Digest\":\"\\u003cnone\\u003e\",\"X\":\"a\\u0026b\"}");
	free(out);
}

static void test_value_string(void **state)
{
	json_t *v = json_pack("[s, i, b, n, {s:s}]", "a", 1, 0, "k", "v");
	char *s = tmpl_value_string(v);
	assert_string_equal(s, "[a 1 false <nil> map[k:v]]");
	free(s);
	s = tmpl_value_string(NULL);
	assert_string_equal(s, "<no value>");
	free(s);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_oracle), cmocka_unit_test(test_values),
		cmocka_unit_test(test_errors),	      cmocka_unit_test(test_header_mode),
		cmocka_unit_test(test_json_escape_html), cmocka_unit_test(test_value_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
