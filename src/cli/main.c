/* main.c - global options and the command table. */
#include <string.h>

#include "cli/cli.h"

/* Help texts are docker's, wrapped where docker wraps them. */
#define FORMAT_TABLE_HELP                                                     \
	"Format output using a custom template:\n"                            \
	"'table':            Print output in table format\n"                  \
	"with column headers (default)\n"                                     \
	"'table TEMPLATE':   Print output in table format\n"                  \
	"using the given Go template\n"                                       \
	"'json':             Print in JSON format\n"                          \
	"'TEMPLATE':         Print output using the given\n"                  \
	"Go template.\n"                                                      \
	"Refer to https://docs.docker.com/go/formatting/\n"                   \
	"for more information about formatting output with\n"                 \
	"templates"
#define FORMAT_HELP                                                           \
	"Format output using a custom template:\n"                            \
	"'json':             Print in JSON format\n"                          \
	"'TEMPLATE':         Print output using the given\n"                  \
	"Go template.\n"                                                      \
	"Refer to https://docs.docker.com/go/formatting/\n"                   \
	"for more information about formatting output with\n"                 \
	"templates"

static const struct cli_opt images_opts[] = {
	{ 'a', "all", OPT_BOOL, NULL, "Show all images (default hides intermediate images)", false },
	{ 0, "digests", OPT_BOOL, NULL, "Show digests", false },
	{ 'f', "filter", OPT_FILTER, "filter", "Filter output based on conditions provided", false },
	{ 0, "format", OPT_STRING, "string", FORMAT_TABLE_HELP, false },
	{ 0, "no-trunc", OPT_BOOL, NULL, "Don't truncate output", false },
	{ 'q', "quiet", OPT_BOOL, NULL, "Only show image IDs", false },
	{ 0 },
};

static const struct cli_opt inspect_opts[] = {
	{ 'f', "format", OPT_STRING, "string", FORMAT_HELP, false },
	{ 's', "size", OPT_BOOL, NULL, "Display total file sizes if the type is container", false },
	{ 0, "type", OPT_STRING, "string", "Only inspect objects of the given type", false },
	{ 0 },
};

static const struct cli_opt image_inspect_opts[] = {
	{ 'f', "format", OPT_STRING, "string", FORMAT_HELP, false },
	{ 0 },
};

static const struct cli_opt history_opts[] = {
	{ 0, "format", OPT_STRING, "string", FORMAT_TABLE_HELP, false },
	{ 'H', "human", OPT_BOOL, NULL, "Print sizes and dates in human readable format\n(default true)", true },
	{ 0, "no-trunc", OPT_BOOL, NULL, "Don't truncate output", false },
	{ 'q', "quiet", OPT_BOOL, NULL, "Only show image IDs", false },
	{ 0 },
};

static const struct cli_opt rmi_opts[] = {
	{ 'f', "force", OPT_BOOL, NULL, "Force removal of the image", false },
	{ 0, "no-prune", OPT_BOOL, NULL, "Do not delete untagged parents", false },
	{ 0 },
};

static const struct cli_opt prune_opts[] = {
	{ 'a', "all", OPT_BOOL, NULL, "Remove all unused images, not just dangling ones", false },
	{ 0, "filter", OPT_FILTER, "filter", "Provide filter values (e.g. \"until=<timestamp>\")", false },
	{ 'f', "force", OPT_BOOL, NULL, "Do not prompt for confirmation", false },
	{ 0 },
};

static const struct cli_opt import_opts[] = {
	{ 'c', "change", OPT_LIST, "list", "Apply Dockerfile instruction to the created image", false },
	{ 'm', "message", OPT_STRING, "string", "Set commit message for imported image", false },
	{ 0 },
};

static const struct cli_opt save_opts[] = {
	{ 'o', "output", OPT_STRING, "string", "Write to a file, instead of STDOUT", false },
	{ 0 },
};

static const struct cli_opt load_opts[] = {
	{ 'i', "input", OPT_STRING, "string", "Read from tar archive file, instead of STDIN", false },
	{ 'q', "quiet", OPT_BOOL, NULL, "Suppress the load output", false },
	{ 0 },
};

static const struct cli_opt events_opts[] = {
	{ 'f', "filter", OPT_FILTER, "filter", "Filter output based on conditions provided", false },
	{ 0, "format", OPT_STRING, "string", FORMAT_HELP, false },
	{ 0, "since", OPT_STRING, "string", "Show all events created since timestamp", false },
	{ 0, "until", OPT_STRING, "string", "Stream events until this timestamp", false },
	{ 0 },
};

static const struct cli_opt df_opts[] = {
	{ 0, "format", OPT_STRING, "string", FORMAT_TABLE_HELP, false },
	{ 'v', "verbose", OPT_BOOL, NULL, "Show detailed information on space usage", false },
	{ 0 },
};

static const struct cli_opt format_only_opts[] = {
	{ 'f', "format", OPT_STRING, "string", FORMAT_HELP, false },
	{ 0 },
};

#define CONTAINER_CREATE_OPTS                                                                                     \
	{ 0, "cap-add", OPT_LIST, "list", "Add Linux capabilities", false },                                      \
	{ 0, "cap-drop", OPT_LIST, "list", "Drop Linux capabilities", false },                                    \
	{ 0, "cpus", OPT_STRING, "decimal", "Number of CPUs", false },                                            \
	{ 0, "device", OPT_LIST, "list", "Add a host device to the container", false },                           \
	{ 0, "entrypoint", OPT_STRING, "string", "Overwrite the default ENTRYPOINT\nof the image", false },       \
	{ 'e', "env", OPT_LIST, "list", "Set environment variables", false },                                     \
	{ 0, "env-file", OPT_LIST, "list", "Read in a file of environment\nvariables", false },                   \
	{ 'h', "hostname", OPT_STRING, "string", "Container host name", false },                                  \
	{ 0, "init", OPT_BOOL, NULL, "Run an init inside the container\nthat forwards signals and reaps\nprocesses", \
	  false },                                                                                                \
	{ 'i', "interactive", OPT_BOOL, NULL, "Keep STDIN open even if not attached", false },                   \
	{ 'l', "label", OPT_LIST, "list", "Set meta data on a container", false },                                \
	{ 'm', "memory", OPT_STRING, "bytes", "Memory limit", false },                                            \
	{ 0, "name", OPT_STRING, "string", "Assign a name to the container", false },                             \
	{ 0, "network", OPT_STRING, "network", "Connect a container to a network", false },                       \
	{ 0, "pids-limit", OPT_STRING, "int", "Tune container pids limit (set\n-1 for unlimited)", false },       \
	{ 0, "privileged", OPT_BOOL, NULL, "Give extended privileges to this\ncontainer", false },                \
	{ 0, "read-only", OPT_BOOL, NULL, "Mount the container's root\nfilesystem as read only", false },         \
	{ 0, "rm", OPT_BOOL, NULL,                                                                                \
	  "Automatically remove the\ncontainer and its associated\nanonymous volumes when it exits", false },     \
	{ 0, "security-opt", OPT_LIST, "list", "Security Options", false },                                       \
	{ 0, "shm-size", OPT_STRING, "bytes", "Size of /dev/shm", false },                                        \
	{ 0, "stop-signal", OPT_STRING, "string", "Signal to stop the container", false },                        \
	{ 0, "stop-timeout", OPT_STRING, "int", "Timeout (in seconds) to stop a\ncontainer", false },             \
	{ 0, "sysctl", OPT_LIST, "map", "Sysctl options (default map[])", false },                                \
	{ 't', "tty", OPT_BOOL, NULL, "Allocate a pseudo-TTY", false },                                           \
	{ 0, "ulimit", OPT_LIST, "ulimit", "Ulimit options (default [])", false },                                \
	{ 'u', "user", OPT_STRING, "string", "Username or UID (format:\n<name|uid>[:<group|gid>])", false },      \
	{ 'w', "workdir", OPT_STRING, "string", "Working directory inside the\ncontainer", false }

static const struct cli_opt create_opts[] = {
	CONTAINER_CREATE_OPTS,
	{ 0 },
};

static const struct cli_opt run_opts[] = {
	{ 'd', "detach", OPT_BOOL, NULL, "Run container in background and\nprint container ID", false },
	CONTAINER_CREATE_OPTS,
	{ 0 },
};

static const struct cli_opt start_opts[] = {
	{ 'a', "attach", OPT_BOOL, NULL, "Attach STDOUT/STDERR and forward\nsignals", false },
	{ 'i', "interactive", OPT_BOOL, NULL, "Attach container's STDIN", false },
	{ 0 },
};

static const struct cli_opt stop_opts[] = {
	{ 's', "signal", OPT_STRING, "string", "Signal to send to the container", false },
	{ 't', "time", OPT_STRING, "int", "Seconds to wait before killing the\ncontainer", false },
	{ 0 },
};

static const struct cli_opt kill_opts[] = {
	{ 's', "signal", OPT_STRING, "string", "Signal to send to the container", false },
	{ 0 },
};

static const struct cli_opt rm_opts[] = {
	{ 'f', "force", OPT_BOOL, NULL, "Force the removal of a running container\n(uses SIGKILL)", false },
	{ 'l', "link", OPT_BOOL, NULL, "Remove the specified link", false },
	{ 'v', "volumes", OPT_BOOL, NULL, "Remove anonymous volumes associated\nwith the container", false },
	{ 0 },
};

static const struct cli_opt ps_opts[] = {
	{ 'a', "all", OPT_BOOL, NULL, "Show all containers (default shows\njust running)", false },
	{ 'f', "filter", OPT_FILTER, "filter", "Filter output based on conditions\nprovided", false },
	{ 0, "format", OPT_STRING, "string", FORMAT_TABLE_HELP, false },
	{ 'n', "last", OPT_STRING, "int", "Show n last created containers\n(includes all states) (default -1)",
	  false },
	{ 'l', "latest", OPT_BOOL, NULL, "Show the latest created container\n(includes all states)", false },
	{ 0, "no-trunc", OPT_BOOL, NULL, "Don't truncate output", false },
	{ 'q', "quiet", OPT_BOOL, NULL, "Only display container IDs", false },
	{ 's', "size", OPT_BOOL, NULL, "Display total file sizes", false },
	{ 0 },
};

static const struct cli_opt logs_opts[] = {
	{ 0, "details", OPT_BOOL, NULL, "Show extra details provided to logs", false },
	{ 'f', "follow", OPT_BOOL, NULL, "Follow log output", false },
	{ 0, "since", OPT_STRING, "string",
	  "Show logs since timestamp (e.g.\n\"2013-01-02T13:23:37Z\") or relative\n(e.g. \"42m\" for 42 minutes)", false },
	{ 'n', "tail", OPT_STRING, "string", "Number of lines to show from the\nend of the logs (default \"all\")",
	  false },
	{ 't', "timestamps", OPT_BOOL, NULL, "Show timestamps", false },
	{ 0, "until", OPT_STRING, "string",
	  "Show logs before a timestamp (e.g.\n\"2013-01-02T13:23:37Z\") or relative\n(e.g. \"42m\" for 42 minutes)",
	  false },
	{ 0 },
};

static const struct cli_opt attach_opts[] = {
	{ 0, "no-stdin", OPT_BOOL, NULL, "Do not attach STDIN", false },
	{ 0 },
};

static const struct cli_opt container_prune_opts[] = {
	{ 0, "filter", OPT_FILTER, "filter", "Provide filter values (e.g. \"until=<timestamp>\")", false },
	{ 'f', "force", OPT_BOOL, NULL, "Do not prompt for confirmation", false },
	{ 0 },
};

static const struct cli_opt container_inspect_opts[] = {
	{ 'f', "format", OPT_STRING, "string", FORMAT_HELP, false },
	{ 's', "size", OPT_BOOL, NULL, "Display total file sizes", false },
	{ 0 },
};

#define IMAGES_ALIASES "berth image ls, berth image list, berth images"
#define RMI_ALIASES "berth image rm, berth image remove, berth rmi"

static const struct cli_cmd commands[] = {
	{ "run", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create and run a new container from an image",
	  "berth container run, berth run", run_opts, 1, -1, cmd_run },
	{ "container run", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create and run a new container from an image",
	  "berth container run, berth run", run_opts, 1, -1, cmd_run },
	{ "create", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container",
	  "berth container create, berth create", create_opts, 1, -1, cmd_create },
	{ "container create", "[OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container",
	  "berth container create, berth create", create_opts, 1, -1, cmd_create },
	{ "start", "[OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers",
	  "berth container start, berth start", start_opts, 1, -1, cmd_start },
	{ "container start", "[OPTIONS] CONTAINER [CONTAINER...]", "Start one or more stopped containers",
	  "berth container start, berth start", start_opts, 1, -1, cmd_start },
	{ "stop", "[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
	  "berth container stop, berth stop", stop_opts, 1, -1, cmd_stop },
	{ "container stop", "[OPTIONS] CONTAINER [CONTAINER...]", "Stop one or more running containers",
	  "berth container stop, berth stop", stop_opts, 1, -1, cmd_stop },
	{ "restart", "[OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers",
	  "berth container restart, berth restart", stop_opts, 1, -1, cmd_restart },
	{ "container restart", "[OPTIONS] CONTAINER [CONTAINER...]", "Restart one or more containers",
	  "berth container restart, berth restart", stop_opts, 1, -1, cmd_restart },
	{ "kill", "[OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers",
	  "berth container kill, berth kill", kill_opts, 1, -1, cmd_kill },
	{ "container kill", "[OPTIONS] CONTAINER [CONTAINER...]", "Kill one or more running containers",
	  "berth container kill, berth kill", kill_opts, 1, -1, cmd_kill },
	{ "rm", "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers",
	  "berth container rm, berth container remove, berth rm", rm_opts, 1, -1, cmd_rm },
	{ "container rm", "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers",
	  "berth container rm, berth container remove, berth rm", rm_opts, 1, -1, cmd_rm },
	{ "container remove", "[OPTIONS] CONTAINER [CONTAINER...]", "Remove one or more containers",
	  "berth container rm, berth container remove, berth rm", rm_opts, 1, -1, cmd_rm },
	{ "ps", "[OPTIONS]", "List containers", "berth container ls, berth container list, berth container ps, berth ps",
	  ps_opts, 0, 0, cmd_ps },
	{ "container ls", "[OPTIONS]", "List containers",
	  "berth container ls, berth container list, berth container ps, berth ps", ps_opts, 0, 0, cmd_ps },
	{ "container list", "[OPTIONS]", "List containers",
	  "berth container ls, berth container list, berth container ps, berth ps", ps_opts, 0, 0, cmd_ps },
	{ "container ps", "[OPTIONS]", "List containers",
	  "berth container ls, berth container list, berth container ps, berth ps", ps_opts, 0, 0, cmd_ps },
	{ "logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", "berth container logs, berth logs",
	  logs_opts, 1, 1, cmd_logs },
	{ "container logs", "[OPTIONS] CONTAINER", "Fetch the logs of a container", "berth container logs, berth logs",
	  logs_opts, 1, 1, cmd_logs },
	{ "attach", "[OPTIONS] CONTAINER", "Attach local standard input, output, and error streams to a running container",
	  "berth container attach, berth attach", attach_opts, 1, 1, cmd_attach },
	{ "container attach", "[OPTIONS] CONTAINER",
	  "Attach local standard input, output, and error streams to a running container",
	  "berth container attach, berth attach", attach_opts, 1, 1, cmd_attach },
	{ "wait", "CONTAINER [CONTAINER...]", "Block until one or more containers stop, then print their exit codes",
	  "berth container wait, berth wait", NULL, 1, -1, cmd_wait },
	{ "container wait", "CONTAINER [CONTAINER...]",
	  "Block until one or more containers stop, then print their exit codes", "berth container wait, berth wait",
	  NULL, 1, -1, cmd_wait },
	{ "container inspect", "[OPTIONS] CONTAINER [CONTAINER...]",
	  "Display detailed information on one or more containers", NULL, container_inspect_opts, 1, -1,
	  cmd_container_inspect },
	{ "container prune", "[OPTIONS]", "Remove all stopped containers", NULL, container_prune_opts, 0, 0,
	  cmd_container_prune },
	{ "images", "[OPTIONS] [REPOSITORY[:TAG]]", "List images", IMAGES_ALIASES, images_opts, 0, 1, cmd_images },
	{ "image ls", "[OPTIONS] [REPOSITORY[:TAG]]", "List images", IMAGES_ALIASES, images_opts, 0, 1, cmd_images },
	{ "image list", "[OPTIONS] [REPOSITORY[:TAG]]", "List images", IMAGES_ALIASES, images_opts, 0, 1, cmd_images },
	{ "inspect", "[OPTIONS] NAME|ID [NAME|ID...]", "Return low-level information on Docker objects", NULL,
	  inspect_opts, 1, -1, cmd_inspect },
	{ "image inspect", "[OPTIONS] IMAGE [IMAGE...]", "Display detailed information on one or more images", NULL,
	  image_inspect_opts, 1, -1, cmd_image_inspect },
	{ "history", "[OPTIONS] IMAGE", "Show the history of an image", "berth image history, berth history",
	  history_opts, 1, 1, cmd_history },
	{ "image history", "[OPTIONS] IMAGE", "Show the history of an image", "berth image history, berth history",
	  history_opts, 1, 1, cmd_history },
	{ "tag", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	  "berth image tag, berth tag", NULL, 2, 2, cmd_tag },
	{ "image tag", "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
	  "berth image tag, berth tag", NULL, 2, 2, cmd_tag },
	{ "rmi", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", RMI_ALIASES, rmi_opts, 1, -1, cmd_rmi },
	{ "image rm", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", RMI_ALIASES, rmi_opts, 1, -1, cmd_rmi },
	{ "image remove", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images", RMI_ALIASES, rmi_opts, 1, -1,
	  cmd_rmi },
	{ "image prune", "[OPTIONS]", "Remove unused images", NULL, prune_opts, 0, 0, cmd_image_prune },
	{ "import", "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
	  "Import the contents from a tarball to create a filesystem image", "berth image import, berth import",
	  import_opts, 1, 2, cmd_import },
	{ "image import", "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]",
	  "Import the contents from a tarball to create a filesystem image", "berth image import, berth import",
	  import_opts, 1, 2, cmd_import },
	{ "save", "[OPTIONS] IMAGE [IMAGE...]",
	  "Save one or more images to a tar archive (streamed to STDOUT by default)", "berth image save, berth save",
	  save_opts, 1, -1, cmd_save },
	{ "image save", "[OPTIONS] IMAGE [IMAGE...]",
	  "Save one or more images to a tar archive (streamed to STDOUT by default)", "berth image save, berth save",
	  save_opts, 1, -1, cmd_save },
	{ "load", "[OPTIONS]", "Load an image from a tar archive or STDIN", "berth image load, berth load", load_opts,
	  0, 0, cmd_load },
	{ "image load", "[OPTIONS]", "Load an image from a tar archive or STDIN", "berth image load, berth load",
	  load_opts, 0, 0, cmd_load },
	{ "events", "[OPTIONS]", "Get real time events from the server", "berth system events, berth events",
	  events_opts, 0, 0, cmd_events },
	{ "system events", "[OPTIONS]", "Get real time events from the server", "berth system events, berth events",
	  events_opts, 0, 0, cmd_events },
	{ "system df", "[OPTIONS]", "Show berth disk usage", NULL, df_opts, 0, 0, cmd_system_df },
	{ "version", "[OPTIONS]", "Show the berth version information", NULL, format_only_opts, 0, 0, cmd_version },
	{ "info", "[OPTIONS]", "Display system-wide information", "berth system info, berth info", format_only_opts,
	  0, 0, cmd_info },
	{ "system info", "[OPTIONS]", "Display system-wide information", "berth system info, berth info",
	  format_only_opts, 0, 0, cmd_info },
};

struct group {
	const char *name, *desc;
};

static const struct group groups[] = {
	{ "container", "Manage containers" },
	{ "image", "Manage images" },
	{ "system", "Manage berth" },
};

static const struct cli_cmd *find_cmd(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].path, path))
			return &commands[i];
	return NULL;
}

static const struct group *find_group(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (!strcmp(groups[i].name, name))
			return &groups[i];
	return NULL;
}

static void print_group_help(const struct group *g, FILE *out)
{
	size_t n = strlen(g->name);

	fprintf(out, "Usage:  berth %s COMMAND\n\n%s\n\nCommands:\n", g->name, g->desc);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const char *p = commands[i].path;
		if (strncmp(p, g->name, n) || p[n] != ' ')
			continue;
		/* aliases (image list, image remove) are not listed separately */
		if (!strcmp(p + n + 1, "list") || !strcmp(p + n + 1, "remove") || !strcmp(p + n + 1, "ps"))
			continue;
		fprintf(out, "  %-11s %s\n", p + n + 1, commands[i].short_desc);
	}
	fprintf(out, "\nRun 'berth %s COMMAND --help' for more information on a command.\n", g->name);
}

static void print_main_help(FILE *out)
{
	static const char *const common[] = { "run", "ps", "images", "version", "info" };
	static const char *const others[] = { "attach", "create", "events", "history", "import", "inspect", "kill",
					      "load",   "logs",   "restart", "rm",     "rmi",    "save",    "start",
					      "stop",   "tag",    "wait" };

	fputs("Usage:  berth [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\nCommon Commands:\n", out);
	for (size_t i = 0; i < ARRAY_SIZE(common); i++)
		fprintf(out, "  %-11s %s\n", common[i], find_cmd(common[i])->short_desc);
	fputs("\nManagement Commands:\n", out);
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		fprintf(out, "  %-11s %s\n", groups[i].name, groups[i].desc);
	fputs("\nCommands:\n", out);
	for (size_t i = 0; i < ARRAY_SIZE(others); i++)
		fprintf(out, "  %-11s %s\n", others[i], find_cmd(others[i])->short_desc);
	fputs("\nGlobal Options:\n"
	      "  -D, --debug              Enable debug mode\n"
	      "  -H, --host list          Daemon socket to connect to\n"
	      "  -v, --version            Print version information and quit\n"
	      "\nRun 'berth COMMAND --help' for more information on a command.\n",
	      out);
}

static int unknown_command(const char *words)
{
	fprintf(stderr, "berth: unknown command: berth %s\n\nRun 'berth --help' for more information\n", words);
	return 1;
}

static int run_cmd(struct cli *c, const struct cli_cmd *cmd, int argc, char **argv)
{
	struct cli_args a;
	int exit_code = 0, r;
	char **nv = NULL;

	if (cmd->run == cmd_run || cmd->run == cmd_create)
		argc = cli_args_stop_at_positional(cmd, argc, argv, &nv);
	r = cli_parse_args(cmd, cmd->path, argc, nv ? nv : argv, &a, &exit_code);
	free(nv);
	if (r < 0)
		return exit_code;
	r = cmd->run(c, &a);
	cli_args_release(&a);
	return r;
}

/* "image ls ...", "system df ...": a group word and its subcommand. */
static int run_group(struct cli *c, const struct group *g, int argc, char **argv)
{
	char path[64];
	const struct cli_cmd *cmd;

	if (argc == 0 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
		print_group_help(g, stdout);
		return 0;
	}
	snprintf(path, sizeof(path), "%s %s", g->name, argv[0]);
	cmd = find_cmd(path);
	if (!cmd) {
		fprintf(stderr, "berth: unknown command: berth %s\n\nUsage:  berth %s\n\nRun 'berth %s --help' for more information\n",
			path, g->name, g->name);
		return 1;
	}
	return run_cmd(c, cmd, argc - 1, argv + 1);
}

static int run_help(int argc, char **argv)
{
	char path[64];
	const struct cli_cmd *cmd;
	const struct group *g;

	if (argc == 0) {
		print_main_help(stdout);
		return 0;
	}
	snprintf(path, sizeof(path), "%s%s%s", argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
	if ((cmd = find_cmd(path)) || (cmd = find_cmd(argv[0]))) {
		cli_print_help(cmd, cmd->path, stdout);
		return 0;
	}
	if ((g = find_group(argv[0]))) {
		print_group_help(g, stdout);
		return 0;
	}
	fprintf(stderr, "Unknown help topic: %s\n", path);
	return 1;
}

/* Global options before the command word; returns the index of the command. */
static int parse_globals(struct cli *c, int argc, char **argv, int *ret_exit)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-H") || !strcmp(a, "--host")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "flag needs an argument: %s\n", a[1] == '-' ? "--host" : "'H' in -H");
				return *ret_exit = EXIT_USAGE, -EINVAL;
			}
			c->host = argv[++i];
			c->host_explicit = true;
		} else if (!strncmp(a, "--host=", 7) || !strncmp(a, "-H=", 3)) {
			c->host = strchr(a, '=') + 1;
			c->host_explicit = true;
		} else if (!strcmp(a, "-D") || !strcmp(a, "--debug")) {
			c->debug = true;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--version")) {
			printf("berth version %s\n", CLI_VERSION);
			return *ret_exit = 0, -ECANCELED;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_main_help(stdout);
			return *ret_exit = 0, -ECANCELED;
		} else {
			fprintf(stderr, "unknown %s: %s\nSee 'berth --help'.\n", a[1] == '-' ? "flag" : "shorthand flag", a);
			return *ret_exit = EXIT_USAGE, -EINVAL;
		}
	}
	return i;
}

static void pick_host(struct cli *c)
{
	const char *env;

	if (c->host)
		return;
	if ((env = getenv("BERTH_HOST")) && *env)
		c->host = env, c->host_explicit = true;
	else if ((env = getenv("DOCKER_HOST")) && *env)
		c->host = env, c->host_explicit = true;
	else
		c->host = CLI_DEFAULT_HOST;
}

int cli_main(int argc, char **argv)
{
	struct cli c = { 0 };
	int exit_code = 0, i = parse_globals(&c, argc, argv, &exit_code);
	const struct cli_cmd *cmd;
	const struct group *g;
	int r;

	if (i < 0)
		return exit_code;
	if (i >= argc) {
		print_main_help(stdout);
		return 0;
	}
	pick_host(&c);
	if (!strcmp(argv[i], "help"))
		return run_help(argc - i - 1, argv + i + 1);
	if ((g = find_group(argv[i])))
		r = run_group(&c, g, argc - i - 1, argv + i + 1);
	else if ((cmd = find_cmd(argv[i])))
		r = run_cmd(&c, cmd, argc - i - 1, argv + i + 1);
	else
		r = unknown_command(argv[i]);
	cli_disconnect(&c);
	return r;
}
