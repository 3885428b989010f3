/* berth-runtime - an OCI runtime with runc's command line, over berth's
 * runtime library (src/runtime). Parses arguments, calls one library
 * operation, prints its result or its error. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/log.h"
#include "base/util.h"
#include "common/json.h"
#include "runtime/container.h"
#include "runtime/selfexe.h"
#include "runtime/spec.h"
#include "runtime/state.h"

#define VERSION "0.1.0"

struct globals {
	const char *root;
	const char *cgroup_root;
	const char *log_path;
	bool json_log;
};

struct command {
	const char *name;
	int (*run)(struct globals *g, int argc, char **argv);
	const char *usage;
	const char *help;
};

static int fail(struct berr *err, int status)
{
	log_error("%s", err->msg ? err->msg : "unknown error");
	return status;
}

static int usage_error(const char *cmd, const char *msg)
{
	log_error("%s: %s (see 'berth-runtime %s --help')", cmd, msg, cmd);
	return 1;
}

/* Options shared by create and run. */
enum { OPT_BUNDLE = 'b', OPT_PIDFILE = 1000, OPT_CONSOLE, OPT_PRESERVE, OPT_NOPIVOT, OPT_NONEWKEYRING, OPT_HELP = 'h' };

static const struct option create_opts[] = {
	{ "bundle", required_argument, NULL, 'b' },
	{ "pid-file", required_argument, NULL, OPT_PIDFILE },
	{ "console-socket", required_argument, NULL, OPT_CONSOLE },
	{ "preserve-fds", required_argument, NULL, OPT_PRESERVE },
	{ "no-pivot", no_argument, NULL, OPT_NOPIVOT },
	{ "no-new-keyring", no_argument, NULL, OPT_NONEWKEYRING },
	{ "detach", no_argument, NULL, 'd' },
	{ "keep", no_argument, NULL, 'k' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static void print_help(const char *name);

static int parse_create(const char *cmd, int argc, char **argv, struct rt_create_opts *o, bool *detach)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+b:dkh", create_opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bundle = optarg;
			break;
		case OPT_PIDFILE:
			o->pid_file = optarg;
			break;
		case OPT_CONSOLE:
			o->console_socket = optarg;
			break;
		case OPT_PRESERVE:
			o->preserve_fds = atoi(optarg);
			break;
		case 'd':
			*detach = true;
			break;
		case OPT_NOPIVOT:
		case OPT_NONEWKEYRING:
		case 'k':
			break; /* accepted for compatibility; berth always pivots */
		case 'h':
			print_help(cmd);
			exit(0);
		default:
			exit(usage_error(cmd, "invalid option"));
		}
	}
	if (optind != argc - 1)
		exit(usage_error(cmd, "expects exactly one argument: the container id"));
	o->id = argv[optind];
	return 0;
}

static int seal_self(char **orig_argv)
{
	_cleanup_berr_ struct berr err = { 0 };
	if (rt_selfexe_ensure_sealed(orig_argv, &err) < 0)
		return fail(&err, 1);
	return 0;
}

static char **g_argv;

static int cmd_create(struct globals *g, int argc, char **argv)
{
	struct rt_create_opts o = { .root = g->root, .cgroup_root = g->cgroup_root };
	bool detach = false;
	parse_create("create", argc, argv, &o, &detach);
	if (seal_self(g_argv))
		return 1;
	_cleanup_berr_ struct berr err = { 0 };
	if (rt_container_create(&o, NULL, &err) < 0)
		return fail(&err, rt_error_exit_status(&err));
	return 0;
}

static int cmd_run(struct globals *g, int argc, char **argv)
{
	struct rt_create_opts o = { .root = g->root, .cgroup_root = g->cgroup_root };
	bool detach = false;
	parse_create("run", argc, argv, &o, &detach);
	if (seal_self(g_argv))
		return 1;
	_cleanup_berr_ struct berr err = { 0 };
	int status = 0;
	if (rt_container_run(&o, detach, &status, &err) < 0)
		return fail(&err, rt_error_exit_status(&err));
	return status;
}

/* Commands of the form `NAME [--force|--all|-a] ID`. */
static int single_id(const char *cmd, int argc, char **argv, const char *flag, bool *flag_set, const char **id)
{
	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			print_help(cmd);
			exit(0);
		} else if (flag && (streq(argv[i], flag) || (flag[2] && argv[i][1] == flag[2] && !argv[i][2]))) {
			*flag_set = true;
		} else if (argv[i][0] == '-') {
			exit(usage_error(cmd, "invalid option"));
		} else if (!*id) {
			*id = argv[i];
		} else {
			return -1; /* extra positional: the caller decides */
		}
	}
	if (!*id)
		exit(usage_error(cmd, "expects a container id"));
	return 0;
}

static int cmd_start(struct globals *g, int argc, char **argv)
{
	const char *id = NULL;
	if (single_id("start", argc, argv, NULL, NULL, &id) < 0)
		return usage_error("start", "expects exactly one container id");
	_cleanup_berr_ struct berr err = { 0 };
	return rt_container_start(g->root, id, &err) < 0 ? fail(&err, 1) : 0;
}

static int cmd_state(struct globals *g, int argc, char **argv)
{
	const char *id = NULL;
	if (single_id("state", argc, argv, NULL, NULL, &id) < 0)
		return usage_error("state", "expects exactly one container id");
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_json_ json_t *j = NULL;
	if (rt_container_state(g->root, id, &j, &err) < 0)
		return fail(&err, 1);
	_cleanup_free_ char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	printf("%s\n", s);
	return 0;
}

static int cmd_delete(struct globals *g, int argc, char **argv)
{
	const char *id = NULL;
	bool force = false;
	if (single_id("delete", argc, argv, "--force", &force, &id) < 0)
		return usage_error("delete", "expects exactly one container id");
	_cleanup_berr_ struct berr err = { 0 };
	return rt_container_delete(g->root, id, force, &err) < 0 ? fail(&err, 1) : 0;
}

static int cmd_pause(struct globals *g, int argc, char **argv)
{
	const char *id = NULL;
	bool pause = streq(argv[0], "pause");
	if (single_id(argv[0], argc, argv, NULL, NULL, &id) < 0)
		return usage_error(argv[0], "expects exactly one container id");
	_cleanup_berr_ struct berr err = { 0 };
	return rt_container_pause(g->root, id, pause, &err) < 0 ? fail(&err, 1) : 0;
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "HUP", SIGHUP },     { "INT", SIGINT },     { "QUIT", SIGQUIT },   { "ILL", SIGILL },
	{ "TRAP", SIGTRAP },   { "ABRT", SIGABRT },   { "IOT", SIGIOT },     { "BUS", SIGBUS },
	{ "FPE", SIGFPE },     { "KILL", SIGKILL },   { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },   { "PIPE", SIGPIPE },   { "ALRM", SIGALRM },   { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },   { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },   { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU },   { "URG", SIGURG },
	{ "XCPU", SIGXCPU },   { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO },       { "PWR", SIGPWR },     { "SYS", SIGSYS },
};

static int parse_signal(const char *s)
{
	int64_t n;
	if (safe_atoi64(s, &n) == 0)
		return n > 0 && n < 65 ? (int)n : -EINVAL;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (strcasecmp(s, signals[i].name) == 0)
			return signals[i].sig;
	if (strncasecmp(s, "RTMIN+", 6) == 0 && safe_atoi64(s + 6, &n) == 0 && SIGRTMIN + n <= SIGRTMAX)
		return SIGRTMIN + (int)n;
	return -EINVAL;
}

static int cmd_kill(struct globals *g, int argc, char **argv)
{
	const char *id = NULL, *sigs = "SIGTERM";
	bool all = false;
	int positional = 0;
	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "--all") || streq(argv[i], "-a"))
			all = true;
		else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			print_help("kill");
			return 0;
		} else if (argv[i][0] == '-' && positional < 1)
			return usage_error("kill", "invalid option");
		else if (positional++ == 0)
			id = argv[i];
		else if (positional == 2)
			sigs = argv[i];
		else
			return usage_error("kill", "expects a container id and an optional signal");
	}
	if (!id)
		return usage_error("kill", "expects a container id");
	int sig = parse_signal(sigs);
	if (sig < 0) {
		log_error("unknown signal \"%s\"", sigs);
		return 1;
	}
	_cleanup_berr_ struct berr err = { 0 };
	return rt_container_kill(g->root, id, sig, all, &err) < 0 ? fail(&err, 1) : 0;
}

static int cmd_list(struct globals *g, int argc, char **argv)
{
	bool quiet = false, json = false;
	for (int i = 1; i < argc; i++) {
		if (streq(argv[i], "-q") || streq(argv[i], "--quiet"))
			quiet = true;
		else if ((streq(argv[i], "--format") || streq(argv[i], "-f")) && i + 1 < argc)
			json = streq(argv[++i], "json");
		else if (streq(argv[i], "--format=json"))
			json = true;
		else if (streq(argv[i], "--format=table"))
			json = false;
		else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			print_help("list");
			return 0;
		} else
			return usage_error("list", "invalid argument");
	}
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_json_ json_t *arr = NULL;
	if (rt_container_list(g->root, &arr, &err) < 0)
		return fail(&err, 1);
	if (json) {
		_cleanup_free_ char *s = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", json_array_size(arr) ? s : "null");
		return 0;
	}
	size_t i;
	json_t *c;
	if (!quiet)
		printf("%-12s %-10s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
	json_array_foreach(arr, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		if (quiet) {
			printf("%s\n", id);
			continue;
		}
		printf("%-12s %-10lld %-10s %-40s %-31s %s\n", id,
		       (long long)json_integer_value(json_object_get(c, "pid")),
		       json_string_value(json_object_get(c, "status")), json_string_value(json_object_get(c, "bundle")),
		       json_string_value(json_object_get(c, "created")), json_string_value(json_object_get(c, "owner")));
	}
	return 0;
}

static bool pid_in(pid_t p, const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == p)
			return true;
	return false;
}

/* Run `ps ARGS` and print its header and the lines of our pids. */
static int ps_table(char **ps_args, const pid_t *pids, size_t n)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		dup2(p[1], STDOUT_FILENO);
		size_t k = strv_length(ps_args);
		char **av = calloc(k + 2, sizeof(char *));
		av[0] = (char *)"ps";
		for (size_t i = 0; i < k; i++)
			av[i + 1] = ps_args[i];
		if (k == 0)
			av[1] = (char *)"-ef";
		execvp("ps", av);
		_exit(127);
	}
	close(p[1]);
	_cleanup_fclose_ FILE *f = fdopen(p[0], "r");
	char line[4096];
	int pid_col = -1;
	while (f && fgets(line, sizeof(line), f)) {
		char copy[4096], *save = NULL;
		snprintf(copy, sizeof(copy), "%s", line);
		int col = 0;
		bool print = pid_col < 0;
		for (char *tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save), col++) {
			if (pid_col < 0 && streq(tok, "PID"))
				pid_col = col;
			else if (col == pid_col)
				print = pid_in((pid_t)atoi(tok), pids, n);
		}
		if (print)
			fputs(line, stdout);
	}
	int st;
	waitpid(child, &st, 0);
	return pid_col < 0 ? 1 : 0;
}

static int cmd_ps(struct globals *g, int argc, char **argv)
{
	bool json = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((streq(argv[i], "--format") || streq(argv[i], "-f")) && i + 1 < argc)
			json = streq(argv[++i], "json");
		else if (streq(argv[i], "--format=json"))
			json = true;
		else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			print_help("ps");
			return 0;
		} else if (!streq(argv[i], "--format=table"))
			return usage_error("ps", "invalid option");
	}
	if (i >= argc)
		return usage_error("ps", "expects a container id");
	const char *id = argv[i++];
	_cleanup_berr_ struct berr err = { 0 };
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	if (rt_container_pids(g->root, id, &pids, &n, &err) < 0)
		return fail(&err, 1);
	if (!json)
		return ps_table(argv + i, pids, n);
	printf("[");
	for (size_t k = 0; k < n; k++)
		printf("%s%d", k ? "," : "", (int)pids[k]);
	printf("]\n");
	return 0;
}

static int cmd_spec(struct globals *g, int argc, char **argv)
{
	const char *bundle = ".";
	for (int i = 1; i < argc; i++) {
		if ((streq(argv[i], "--bundle") || streq(argv[i], "-b")) && i + 1 < argc)
			bundle = argv[++i];
		else if (str_startswith(argv[i], "--bundle="))
			bundle = argv[i] + 9;
		else if (streq(argv[i], "-h") || streq(argv[i], "--help")) {
			print_help("spec");
			return 0;
		} else if (!streq(argv[i], "--rootless"))
			return usage_error("spec", "invalid argument");
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	if (access(path, F_OK) == 0) {
		log_error("File %s exists. Remove it first", path);
		return 1;
	}
	_cleanup_json_ json_t *j = rt_spec_default();
	if (!j || json_dump_file(j, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
		log_error("writing %s failed", path);
		return 1;
	}
	return 0;
}

enum { EO_PROCESS = 2000, EO_CWD, EO_ENV, EO_USER, EO_PID, EO_CONSOLE, EO_PRESERVE, EO_CAP, EO_NNP, EO_TTY, EO_DETACH };
static const struct option exec_opts[] = {
	{ "process", required_argument, NULL, 'p' },
	{ "cwd", required_argument, NULL, EO_CWD },
	{ "env", required_argument, NULL, 'e' },
	{ "user", required_argument, NULL, 'u' },
	{ "pid-file", required_argument, NULL, EO_PID },
	{ "console-socket", required_argument, NULL, EO_CONSOLE },
	{ "preserve-fds", required_argument, NULL, EO_PRESERVE },
	{ "cap", required_argument, NULL, 'c' },
	{ "no-new-privs", no_argument, NULL, EO_NNP },
	{ "tty", no_argument, NULL, 't' },
	{ "detach", no_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

static int cmd_exec(struct globals *g, int argc, char **argv)
{
	struct rt_exec_opts o = { .root = g->root };
	_cleanup_strv_free_ char **env = NULL, **caps = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:e:u:c:tdh", exec_opts, NULL)) != -1) {
		switch (c) {
		case 'p': o.process_file = optarg; break;
		case EO_CWD: o.cwd = optarg; break;
		case 'e': strv_push(&env, optarg); break;
		case 'u': o.user = optarg; break;
		case EO_PID: o.pid_file = optarg; break;
		case EO_CONSOLE: o.console_socket = optarg; break;
		case EO_PRESERVE: o.preserve_fds = atoi(optarg); break;
		case 'c': strv_push(&caps, optarg); break;
		case EO_NNP: o.no_new_privs = true; break;
		case 't': o.tty = o.tty_set = true; break;
		case 'd': o.detach = true; break;
		case 'h': print_help("exec"); return 0;
		default: return usage_error("exec", "invalid option");
		}
	}
	if (optind >= argc)
		return usage_error("exec", "expects a container id");
	o.id = argv[optind++];
	o.args = argv + optind;
	o.env = env;
	o.add_caps = caps;
	if (!o.process_file && optind >= argc)
		return usage_error("exec", "expects a command to run (or --process)");
	if (seal_self(g_argv))
		return 1;
	_cleanup_berr_ struct berr err = { 0 };
	int status = 0;
	if (rt_container_exec(&o, &status, &err) < 0)
		return fail(&err, rt_error_exit_status(&err));
	return status;
}

static int cmd_version(struct globals *g, int argc, char **argv)
{
	printf("berth-runtime version %s\nspec: 1.1.0\n", VERSION);
	return 0;
}

static const struct command commands[] = {
	{ "create", cmd_create, "create [--bundle DIR] [--pid-file F] [--console-socket S] ID",
	  "Create a container from the bundle; its process waits until 'start'." },
	{ "start", cmd_start, "start ID", "Run the process of a created container." },
	{ "run", cmd_run, "run [--bundle DIR] [--pid-file F] [--console-socket S] [-d] ID",
	  "Create and start a container; without -d wait for it, forward signals, delete it and exit with its status." },
	{ "state", cmd_state, "state ID", "Print the state of a container as JSON." },
	{ "kill", cmd_kill, "kill [--all] ID [SIGNAL]", "Send a signal (default SIGTERM) to the container's init, or with --all to every process in it." },
	{ "delete", cmd_delete, "delete [--force] ID", "Delete a stopped (or, with --force, any) container and its resources." },
	{ "exec", cmd_exec, "exec [--process F.json] [-t] [-d] [--cwd D] [--env K=V] [--user UID[:GID]] [--cap CAP] ID [CMD ARG...]",
	  "Run a new process inside a running container." },
	{ "ps", cmd_ps, "ps [--format table|json] ID [PS-ARGS...]", "List the processes running inside a container." },
	{ "list", cmd_list, "list [-q] [--format table|json]", "List the containers under --root." },
	{ "pause", cmd_pause, "pause ID", "Freeze every process of a container." },
	{ "resume", cmd_pause, "resume ID", "Thaw a paused container." },
	{ "spec", cmd_spec, "spec [--bundle DIR]", "Write a default config.json into the bundle." },
	{ "version", cmd_version, "version", "Print the version." },
};

static void print_help(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (streq(commands[i].name, name)) {
			printf("Usage: berth-runtime [global options] %s\n\n%s\n", commands[i].usage, commands[i].help);
			return;
		}
	printf("berth-runtime - run OCI containers (runc-compatible command line)\n\n"
	       "Usage: berth-runtime [global options] COMMAND [options] [arguments]\n\nCommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printf("  %-8s %s\n", commands[i].name, commands[i].help);
	printf("\nGlobal options:\n"
	       "  --root DIR           state directory (default " RT_DEFAULT_ROOT ")\n"
	       "  --cgroup-root DIR    cgroup mount to use (default /sys/fs/cgroup; berth extension)\n"
	       "  --log FILE           write errors to FILE instead of stderr\n"
	       "  --log-format FORMAT  text (default) or json\n"
	       "  --debug              verbose logging\n"
	       "  -v, --version        print the version\n"
	       "  -h, --help           this help; 'berth-runtime COMMAND --help' for a command\n");
}

static int open_log(struct globals *g)
{
	if (!g->log_path)
		return 0;
	int fd = open(g->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "berth-runtime: opening log %s: %m\n", g->log_path);
		return -1;
	}
	log_set_fd(fd);
	return 0;
}

int main(int argc, char **argv)
{
	struct globals g = { .root = RT_DEFAULT_ROOT };
	g_argv = argv;
	log_set_prefix("berth-runtime");
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		if ((streq(a, "--root") || streq(a, "--cgroup-root") || streq(a, "--log") || streq(a, "--log-format") || streq(a, "--criu") ||
		     streq(a, "--rootless")) && !val)
			return usage_error(a, "needs a value");
		if (streq(a, "--root"))
			g.root = argv[++i];
		else if (str_startswith(a, "--root="))
			g.root = a + 7;
		else if (streq(a, "--cgroup-root"))
			g.cgroup_root = argv[++i];
		else if (streq(a, "--log"))
			g.log_path = argv[++i];
		else if (str_startswith(a, "--log="))
			g.log_path = a + 6;
		else if (streq(a, "--log-format") || str_startswith(a, "--log-format=")) {
			const char *f = a[12] == '=' ? a + 13 : argv[++i];
			if (!streq(f, "json") && !streq(f, "text"))
				return usage_error("--log-format", "expects text or json");
			g.json_log = streq(f, "json");
		} else if (streq(a, "--debug"))
			log_set_level(LOG_LVL_DEBUG);
		else if (streq(a, "--criu") || streq(a, "--rootless"))
			i++;
		else if (streq(a, "--systemd-cgroup")) {
			log_error("--systemd-cgroup is not supported: berth-runtime manages cgroupfs directly");
			return 1;
		} else if (streq(a, "-v") || streq(a, "--version"))
			return cmd_version(&g, 0, NULL);
		else if (streq(a, "-h") || streq(a, "--help")) {
			print_help("");
			return 0;
		} else
			return usage_error("berth-runtime", "unknown global option");
	}
	if (g.json_log) {
		log_set_format(LOG_FMT_JSON);
		log_set_prefix(NULL);
	}
	if (open_log(&g) < 0)
		return 1;
	if (i >= argc) {
		print_help("");
		return 1;
	}
	for (size_t k = 0; k < ARRAY_SIZE(commands); k++)
		if (streq(commands[k].name, argv[i]))
			return commands[k].run(&g, argc - i, argv + i);
	log_error("unknown command \"%s\" (see 'berth-runtime --help')", argv[i]);
	return 1;
}
