/* berth-shim - the per-container monitor (src/shim/shim.h); this file only
 * parses the command line and detaches from the caller. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "base/util.h"
#include "common/jsonlog.h"
#include "runtime/selfexe.h"
#include "shim/shim.h"

static const char usage[] =
	"usage: berth-shim --id ID --bundle DIR --runtime-root DIR --socket PATH --log PATH\n"
	"                  --exit-file PATH [--log-max-size N] [--log-max-files N] [--tty] [--stdin]\n"
	"                  [--pid-file PATH] [--ready-fd N] [--cgroup-root DIR]\n";

enum { O_ID = 256, O_BUNDLE, O_ROOT, O_SOCKET, O_LOG, O_MAXSIZE, O_MAXFILES, O_EXIT, O_TTY, O_STDIN, O_PID, O_READY,
       O_CGROOT, O_HELP };

static const struct option options[] = {
	{ "id", required_argument, NULL, O_ID },
	{ "bundle", required_argument, NULL, O_BUNDLE },
	{ "runtime-root", required_argument, NULL, O_ROOT },
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "log", required_argument, NULL, O_LOG },
	{ "log-max-size", required_argument, NULL, O_MAXSIZE },
	{ "log-max-files", required_argument, NULL, O_MAXFILES },
	{ "exit-file", required_argument, NULL, O_EXIT },
	{ "tty", no_argument, NULL, O_TTY },
	{ "stdin", no_argument, NULL, O_STDIN },
	{ "pid-file", required_argument, NULL, O_PID },
	{ "ready-fd", required_argument, NULL, O_READY },
	{ "cgroup-root", required_argument, NULL, O_CGROOT },
	{ "help", no_argument, NULL, O_HELP },
	{ 0 },
};

static int bad(const char *what, const char *arg)
{
	fprintf(stderr, "berth-shim: invalid %s: %s\n%s", what, arg, usage);
	return 2;
}

static int parse(int argc, char **argv, struct shim_opts *o)
{
	int c;
	uint64_t v;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case O_ID: o->id = optarg; break;
		case O_BUNDLE: o->bundle = optarg; break;
		case O_ROOT: o->runtime_root = optarg; break;
		case O_SOCKET: o->socket = optarg; break;
		case O_LOG: o->log_path = optarg; break;
		case O_EXIT: o->exit_file = optarg; break;
		case O_TTY: o->tty = true; break;
		case O_STDIN: o->open_stdin = true; break;
		case O_PID: o->pid_file = optarg; break;
		case O_CGROOT: o->cgroup_root = optarg; break;
		case O_MAXSIZE:
			if (safe_atou64(optarg, &v) < 0)
				return bad("--log-max-size", optarg);
			o->log_max_size = v;
			break;
		case O_MAXFILES:
			if (safe_atou64(optarg, &v) < 0 || v < 1 || v > 1000)
				return bad("--log-max-files", optarg);
			o->log_max_files = (unsigned)v;
			break;
		case O_READY:
			if (safe_atou64(optarg, &v) < 0 || v < 3 || v > 65535)
				return bad("--ready-fd", optarg);
			o->ready_fd = (int)v;
			break;
		case O_HELP: fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind != argc || !o->id || !o->bundle || !o->runtime_root || !o->socket || !o->log_path || !o->exit_file) {
		fprintf(stderr, "berth-shim: --id, --bundle, --runtime-root, --socket, --log and --exit-file are required\n%s",
			usage);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct shim_opts o = { .ready_fd = -1, .log_max_size = JSONLOG_DEFAULT_MAX_SIZE,
			       .log_max_files = JSONLOG_DEFAULT_MAX_FILES };
	char **orig_argv = argv;
	int r = parse(argc, argv, &o);
	if (r)
		return r;
	/* The container's init is a copy of us until it execs (CVE-2019-5736). */
	_cleanup_berr_ struct berr err = { 0 };
	if (rt_selfexe_ensure_sealed(orig_argv, &err) < 0) {
		fprintf(stderr, "berth-shim: %s\n", err.msg);
		return 1;
	}
	/* Detach: the caller gets its child back at once and learns the outcome
	 * on --ready-fd; we continue in a child that is not a group leader, so
	 * it can start its own session. */
	pid_t pid = fork();
	if (pid < 0) {
		perror("berth-shim: fork");
		return 1;
	}
	if (pid > 0)
		_exit(0);
	return shim_run(&o);
}
