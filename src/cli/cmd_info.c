/* cmd_info.c - `berth info`: a readable subset of GET /info in docker's
 * layout ("Server:" section, one fact per line, sub-items indented). */
#include <string.h>

#include "cli/cli.h"
#include "common/humanize.h"

static void line(const char *label, json_t *info, const char *key)
{
	json_t *v = json_object_get(info, key);

	if (json_is_string(v) && json_string_length(v))
		printf(" %s: %s\n", label, json_string_value(v));
	else if (json_is_integer(v))
		printf(" %s: %lld\n", label, (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		printf(" %s: %s\n", label, json_is_true(v) ? "true" : "false");
}

/* " Label:" then one indented item per line. */
static void list_line(const char *label, json_t *arr)
{
	size_t i;
	json_t *e;

	if (!json_array_size(arr))
		return;
	printf(" %s:\n", label);
	json_array_foreach(arr, i, e)
		printf("  %s\n", json_string_value(e) ?: "");
}

static void containers(json_t *info)
{
	line("Containers", info, "Containers");
	printf("  Running: %lld\n  Paused: %lld\n  Stopped: %lld\n",
	       (long long)json_integer_value(json_object_get(info, "ContainersRunning")),
	       (long long)json_integer_value(json_object_get(info, "ContainersPaused")),
	       (long long)json_integer_value(json_object_get(info, "ContainersStopped")));
	line("Images", info, "Images");
	line("Server Version", info, "ServerVersion");
}

static void storage(json_t *info)
{
	json_t *st = json_object_get(info, "DriverStatus"), *pair;
	size_t i;

	line("Storage Driver", info, "Driver");
	json_array_foreach(st, i, pair)
		printf("  %s: %s\n", json_string_value(json_array_get(pair, 0)) ?: "",
		       json_string_value(json_array_get(pair, 1)) ?: "");
	line("Logging Driver", info, "LoggingDriver");
	line("Cgroup Driver", info, "CgroupDriver");
	line("Cgroup Version", info, "CgroupVersion");
}

static void plugins(json_t *info)
{
	json_t *p = json_object_get(info, "Plugins");

	if (!json_is_object(p))
		return;
	puts(" Plugins:");
	static const char *const kinds[] = { "Volume", "Network", "Log" };
	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		json_t *arr = json_object_get(p, kinds[k]), *e;
		size_t i;
		if (!json_array_size(arr))
			continue;
		printf("  %s:", kinds[k]);
		json_array_foreach(arr, i, e)
			printf(" %s", json_string_value(e) ?: "");
		putchar('\n');
	}
}

static void runtimes(json_t *info)
{
	json_t *rt = json_object_get(info, "Runtimes"), *v;
	const char *k;

	if (json_object_size(rt)) {
		fputs(" Runtimes:", stdout);
		json_object_foreach(rt, k, v)
			printf(" %s", k);
		putchar('\n');
	}
	line("Default Runtime", info, "DefaultRuntime");
}

static void host(json_t *info)
{
	char mem[HUMAN_BUF];

	list_line("Security Options", json_object_get(info, "SecurityOptions"));
	line("Kernel Version", info, "KernelVersion");
	line("Operating System", info, "OperatingSystem");
	line("OSType", info, "OSType");
	line("Architecture", info, "Architecture");
	line("CPUs", info, "NCPU");
	if (json_object_get(info, "MemTotal"))
		printf(" Total Memory: %s\n",
		       human_bytes((double)json_integer_value(json_object_get(info, "MemTotal")), mem));
	line("Name", info, "Name");
	line("ID", info, "ID");
	line("Berth Root Dir", info, "DockerRootDir");
	line("Debug Mode", info, "Debug");
	line("Experimental", info, "ExperimentalBuild");
	line("Live Restore Enabled", info, "LiveRestoreEnabled");
}

static void warnings(json_t *info)
{
	size_t i;
	json_t *w;

	json_array_foreach(json_object_get(info, "Warnings"), i, w)
		fprintf(stderr, "%s\n", json_string_value(w) ?: "");
}

int cmd_info(struct cli *c, const struct cli_args *a)
{
	const char *format = cli_flag_str(a, "format");
	json_t *info = NULL;
	int r;

	if (*format) {
		if (cli_get_json(c, "/info", &info) < 0)
			return 1;
		r = fmt_template_line(format, info, "", stdout);
		json_decref(info);
		return r < 0 ? 1 : 0;
	}
	printf("Client:\n Version:    %s\n Context:    default\n Debug Mode: %s\n\nServer:\n", CLI_VERSION,
	       c->debug ? "true" : "false");
	if (cli_get_json(c, "/info", &info) < 0)
		return 1;
	containers(info);
	storage(info);
	plugins(info);
	runtimes(info);
	host(info);
	warnings(info);
	json_decref(info);
	return 0;
}
