/* cmd_version.c - `berth version`: the client's facts, then the server's
 * components from GET /version, aligned by a tabwriter (minwidth 20,
 * padding 1) as docker aligns them. */
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "cli/cli.h"
#include "common/template.h"

/* The layout, written with berth's own template engine over the data
 * {"Client":{...},"Server":{...}}; Engine details come first. */
static const char version_tmpl[] =
	"{{with .Client}}Client:\n"
	" Version:\t{{.Version}}\n"
	" API version:\t{{.ApiVersion}}{{if ne .ApiVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}\n"
	" OS/Arch:\t{{.Os}}/{{.Arch}}\n"
	" Context:\t{{.Context}}{{end}}"
	"{{with .Server}}\n\nServer:{{with .Platform}}{{if .Name}} {{.Name}}{{end}}{{end}}"
	"{{range .Components}}\n {{.Name}}:"
	"{{if eq .Name \"Engine\"}}\n  Version:\t{{.Version}}"
	"\n  API version:\t{{index .Details \"ApiVersion\"}} (minimum version {{index .Details \"MinAPIVersion\"}})"
	"\n  Go version:\t{{index .Details \"GoVersion\"}}"
	"\n  Git commit:\t{{index .Details \"GitCommit\"}}"
	"\n  Built:\t{{index .Details \"BuildTime\"}}"
	"\n  OS/Arch:\t{{index .Details \"Os\"}}/{{index .Details \"Arch\"}}"
	"\n  Experimental:\t{{index .Details \"Experimental\"}}"
	"{{else}}\n  Version:\t{{.Version}}{{range $k, $v := .Details}}\n  {{$k}}:\t{{$v}}{{end}}{{end}}"
	"{{end}}{{end}}\n";

static json_t *client_info(const struct cli *c)
{
	struct utsname u;
	const char *arch = "amd64";

	if (uname(&u) == 0)
		arch = !strcmp(u.machine, "x86_64") ? "amd64" : !strcmp(u.machine, "aarch64") ? "arm64" : u.machine;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "Version", CLI_VERSION, "ApiVersion",
			 c->api_version[0] ? c->api_version : CLI_API_VERSION, "DefaultAPIVersion", CLI_API_VERSION,
			 "Os", "linux", "Arch", arch, "Context", "default");
}

/* docker shows the Engine's BuildTime in time.ANSIC ("Thu May  7 21:09:36 2026"). */
static void ansic_build_time(json_t *details)
{
	const char *bt = json_string_value(json_object_get(details, "BuildTime"));
	struct tm tm = { 0 };
	char buf[64];

	if (!bt || !strptime(bt, "%Y-%m-%dT%H:%M:%S", &tm))
		return;
	strftime(buf, sizeof(buf), "%a %b %e %H:%M:%S %Y", &tm);
	json_object_set_new(details, "BuildTime", json_string(buf));
}

/* Older daemons have no Components: synthesise the Engine one. */
static void normalise_server(json_t *sv)
{
	json_t *comps = json_object_get(sv, "Components"), *e;
	size_t i;

	if (!json_array_size(comps)) {
		json_t *details = json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?, s:s}", "ApiVersion",
					    json_object_get(sv, "ApiVersion"), "MinAPIVersion", json_object_get(sv, "MinAPIVersion"),
					    "GitCommit", json_object_get(sv, "GitCommit"), "GoVersion", json_object_get(sv, "GoVersion"),
					    "Os", json_object_get(sv, "Os"), "Arch", json_object_get(sv, "Arch"), "BuildTime",
					    json_object_get(sv, "BuildTime"), "Experimental", "false");
		comps = json_pack("[{s:s, s:O?, s:o}]", "Name", "Engine", "Version", json_object_get(sv, "Version"), "Details",
				  details);
		json_object_set_new(sv, "Components", comps);
	}
	json_array_foreach(comps, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "Name")) ?: "", "Engine"))
			ansic_build_time(json_object_get(e, "Details"));
}

static int print_default(json_t *data)
{
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_free_ char *text = NULL, *aligned = NULL;
	struct tmpl *t = NULL;
	int r = tmpl_parse(version_tmpl, "version", &t, &err);

	if (r >= 0)
		r = tmpl_exec_string(t, data, NULL, &text, &err);
	tmpl_free(t);
	if (r < 0)
		return cli_fail("%s", err.msg), r;
	aligned = tabwriter_format(text, strlen(text), 20, 1);
	fputs(aligned, stdout);
	return 0;
}

int cmd_version(struct cli *c, const struct cli_args *a)
{
	const char *format = cli_flag_str(a, "format");
	json_t *server = NULL, *data;
	int r = cli_get_json(c, "/version", &server);

	if (r >= 0)
		normalise_server(server);
	data = json_pack("{s:o, s:o}", "Client", client_info(c), "Server", server ? server : json_null());
	if (*format)
		r = fmt_template_line(format, data, "version", stdout) < 0 ? -EINVAL : r;
	else
		print_default(data);
	json_decref(data);
	return r < 0 ? 1 : 0;
}
