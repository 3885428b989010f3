/* cli.h - internals of the berth CLI, an Engine API client.
 *
 * The CLI links only base and common. Each command lives in its own file
 * (cmd_<name>.c) and is described by a struct cli_cmd in the table in
 * main.c: its usage line, docker's help texts, its flags and its argument
 * count. Parsing is generic (args.c); a command's run() gets the parsed
 * values and returns the process exit status: 0, 1 for errors (already
 * printed on stderr), 125 for usage errors as docker does.
 *
 * The connection (conn.c) is opened lazily by cli_connect(): host from -H,
 * BERTH_HOST, DOCKER_HOST or the default socket, HEAD /_ping, API version
 * negotiated to min(server, CLI_API_VERSION); on the default socket an
 * absent daemon is started in the background. */
#ifndef BERTH_CLI_CLI_H
#define BERTH_CLI_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"
#include "common/httpclient.h"

#define CLI_VERSION "0.1.0"
#define CLI_API_VERSION "1.44"
#define CLI_DEFAULT_HOST "unix:///run/berth/berth.sock"
#define CLI_RUN_DIR "/run/berth"

enum { EXIT_USAGE = 125 };

enum cli_opt_type {
	OPT_BOOL,
	OPT_STRING,
	OPT_LIST,   /* repeatable string */
	OPT_FILTER, /* repeatable name=value */
};

struct cli_opt {
	char shorthand;
	const char *name;
	enum cli_opt_type type;
	const char *type_name; /* shown after the flag in help: "string", "filter", "list" */
	const char *help;      /* docker's text, wrapped as docker prints it */
	bool def_true;         /* a bool flag that defaults to true */
};

struct cli;
struct cli_args;

struct cli_cmd {
	const char *path;    /* "images", "image ls" */
	const char *use;     /* "[OPTIONS] [REPOSITORY[:TAG]]" */
	const char *short_desc;
	const char *aliases; /* the "Aliases:" line without berth prefixes, or NULL */
	const struct cli_opt *opts;
	int min_args, max_args; /* max -1: unlimited */
	int (*run)(struct cli *c, const struct cli_args *a);
};

struct cli_optval {
	bool set;
	bool b;
	const char *s;
	const char **list;
	size_t n;
};

struct cli_args {
	const struct cli_cmd *cmd;
	const char *name; /* as invoked: "images", "image ls" */
	char **argv;      /* positional arguments */
	int argc;
	struct cli_optval *vals; /* parallel to cmd->opts */
};

struct cli {
	const char *host;
	bool host_explicit;
	struct hclient *hc;
	char api_version[16];
	bool debug;
};

/* ---- args.c ---- */
/* Parse argv (after the command words) for cmd. On a usage error prints
 * docker's message and returns -EX with *ret_exit set. */
int cli_parse_args(const struct cli_cmd *cmd, const char *name, int argc, char **argv, struct cli_args *ret,
		   int *ret_exit);
void cli_args_release(struct cli_args *a);
bool cli_flag_bool(const struct cli_args *a, const char *name);
const char *cli_flag_str(const struct cli_args *a, const char *name);
const char **cli_flag_list(const struct cli_args *a, const char *name, size_t *ret_n);
bool cli_flag_set(const struct cli_args *a, const char *name);
void cli_print_help(const struct cli_cmd *cmd, const char *name, FILE *out);
/* "berth: 'berth x' requires ..." style errors and other usage failures. */
int cli_usage_error(const struct cli_cmd *cmd, const char *name, bool see, const char *fmt, ...) _printf_(4, 5);

/* ---- conn.c ---- */
/* Connect, ping and negotiate once; prints the error itself. */
int cli_connect(struct cli *c);
void cli_disconnect(struct cli *c);

struct cli_request {
	const char *method;
	const char *target; /* without the /v1.xx prefix */
	const void *body;
	size_t body_len;
	int body_fd; /* -1 or streamed as a chunked body */
	const char *content_type;
};
/* Send a versioned request; on a status >= 400 prints "Error response
 * from daemon: ..." and fails. */
int cli_call(struct cli *c, const struct cli_request *q, struct hclient_resp **ret);
/* cli_call without printing daemon errors: *ret_status tells the status
 * and the response is kept for the caller to read or turn into a berr. */
int cli_call_raw(struct cli *c, const struct cli_request *q, struct hclient_resp **ret);
int cli_get_json(struct cli *c, const char *target, json_t **ret);
/* Print "Error response from daemon: <message>" for an error response. */
int cli_daemon_error(struct hclient_resp *r);
/* Print "berth: ..." (or an Error: line) on stderr; returns 1. */
int cli_fail(const char *fmt, ...) _printf_(1, 2);

/* ---- query.c ---- */
/* Query-string builder: "?a=1&b=x" with escaped values. */
struct query {
	char *buf;
	size_t len;
	FILE *f;
};
void query_init(struct query *q, const char *path);
void query_add(struct query *q, const char *key, const char *value);
char *query_finish(struct query *q);
/* {"name":{"value":true}} from name=value strings, NULL when none. */
json_t *filters_json(const char *const *filters, size_t n);
int filters_add(json_t *filters, const char *name, const char *value);
/* Add filters=<json> when non-empty. */
void query_add_filters(struct query *q, json_t *filters);

/* ---- format.c ---- */
/* Docker's formatter: "table", "table TEMPLATE", "json" or a template;
 * rows are collected and, for tables, aligned with a tabwriter (minwidth
 * 10, padding 3) under a header made by running the template on the
 * header map. */
struct fmt_ctx {
	bool table;
	struct tmpl *t;
	json_t *header;
	unsigned flags;
	const char *root_type;
	char *buf;
	size_t len;
	FILE *f;
};
/* format: the user's --format ("" for the default); def: the default
 * "table ..." format; escapes: turn \t and \n into tabs and newlines. */
int fmt_begin(struct fmt_ctx *fc, const char *format, const char *def, json_t *header, const char *root_type,
	      bool escapes);
int fmt_row(struct fmt_ctx *fc, json_t *row);
void fmt_end(struct fmt_ctx *fc, FILE *out);
void fmt_release(struct fmt_ctx *fc);
/* Print the template output of one value followed by "\n" (inspect,
 * events, version, info); the template is parsed once by the caller. */
int fmt_template_line(const char *format, json_t *v, const char *name, FILE *out);

/* Go's text/tabwriter with ' ' padding and no flags. Returns malloc'ed text. */
char *tabwriter_format(const char *text, size_t len, int minwidth, int padding);

/* ---- jsonmsg.c ---- */
/* Render a JSON message stream (load, import): "stream" text, status
 * lines, progress redrawn in place on a terminal. An errorDetail makes it
 * fail (message printed). */
int jsonmsg_display(struct hclient_resp *r, FILE *out, bool terminal);

/* ---- util.c ---- */
/* stringid.TruncateID: drop "sha256:" and keep 12 characters. */
char *cli_trunc_id(const char *id, bool trunc);
/* Go's time.Time.String() for unix seconds in local time:
 * "2026-11-28 01:52:29 +0000 UTC". */
void cli_time_string(int64_t secs, char *buf, size_t n);
/* RFC 3339 in local time ("2026-11-28T01:52:29Z" or with an offset). */
void cli_time_rfc3339(int64_t secs, long nanos, bool fixed_nanos, char *buf, size_t n);
/* Ask "[y/N]" on stdin; true for y/Y. */
bool cli_confirm(const char *msg);
/* Ellipsis(s, n) in docker's formatter: n display runes, "…" at the end. */
char *cli_ellipsis(const char *s, size_t max);

/* ---- containers (cmd_run.c, cmd_container*.c) ---- */
struct cli_stream {
	int fd;           /* the hijacked connection */
	char *buf;        /* bytes read past the 101 */
	size_t len;
	bool tty, in;
	const char *id;
	const char *kind; /* "containers" (default) or "exec" for resize */
};
/* 8-byte frame demultiplexer writing to fds 1 and 2. */
struct demux {
	unsigned char hdr[8];
	size_t hlen;
	uint32_t left;
};
void demux_feed(struct demux *d, const char *buf, size_t n);
/* A request on a new connection of its own (wait, attach). */
int cli_open_extra(struct cli *c, const char *method, const char *target, bool upgrade, struct hclient **ret_hc,
		   struct hclient_resp **ret);
int cli_attach(struct cli *c, const char *id, bool out, bool in, bool tty, struct cli_stream *st);
/* Copy streams until the daemon closes; 1 when detached by ctrl-p ctrl-q. */
int cli_stream_run(struct cli *c, struct cli_stream *st);
int cli_wait_status(struct hclient_resp *wresp, int *ret_status);
void cli_resize(struct cli *c, const char *kind, const char *id);
void cli_terminal_size(int fd, unsigned *rows, unsigned *cols);
int run_build_body(const struct cli_args *a, bool detach, json_t **ret);
/* Insert "--" before the first positional argument (run, create). */
int cli_args_stop_at_positional(const struct cli_cmd *cmd, int argc, char **argv, char ***ret_argv);

int cmd_run(struct cli *c, const struct cli_args *a);
int cmd_create(struct cli *c, const struct cli_args *a);
int cmd_start(struct cli *c, const struct cli_args *a);
int cmd_stop(struct cli *c, const struct cli_args *a);
int cmd_restart(struct cli *c, const struct cli_args *a);
int cmd_kill(struct cli *c, const struct cli_args *a);
int cmd_rm(struct cli *c, const struct cli_args *a);
int cmd_ps(struct cli *c, const struct cli_args *a);
int cmd_logs(struct cli *c, const struct cli_args *a);
int cmd_attach(struct cli *c, const struct cli_args *a);
int cmd_wait(struct cli *c, const struct cli_args *a);
int cmd_container_inspect(struct cli *c, const struct cli_args *a);
int cmd_container_prune(struct cli *c, const struct cli_args *a);

/* Commands */
int cmd_images(struct cli *c, const struct cli_args *a);
int cmd_inspect(struct cli *c, const struct cli_args *a);
int cmd_image_inspect(struct cli *c, const struct cli_args *a);
int cmd_history(struct cli *c, const struct cli_args *a);
int cmd_tag(struct cli *c, const struct cli_args *a);
int cmd_rmi(struct cli *c, const struct cli_args *a);
int cmd_image_prune(struct cli *c, const struct cli_args *a);
/* cmd_prune.c: POST a /<x>/prune with the --filter values (+ extra) and read its report. */
int cli_prune_call(struct cli *c, const struct cli_args *a, const char *path, json_t *extra_filters,
		   json_t **ret_report);
int cmd_import(struct cli *c, const struct cli_args *a);
int cmd_save(struct cli *c, const struct cli_args *a);
int cmd_load(struct cli *c, const struct cli_args *a);
int cmd_events(struct cli *c, const struct cli_args *a);
int cmd_system_df(struct cli *c, const struct cli_args *a);
int cmd_version(struct cli *c, const struct cli_args *a);
int cmd_info(struct cli *c, const struct cli_args *a);

/* images.c: docker's per-tag rows for an image summary (also used by df -v). */
int images_rows(json_t *summary, bool digests, bool trunc, int64_t now, json_t *rows);
json_t *images_header(void);

/* cmd_rmi.c: "Untagged: x" / "Deleted: y" lines (prune uses lower case). */
void rmi_print_deletions(json_t *items, FILE *out, const char *untagged, const char *deleted);

/* The entry point cmd/berth.c calls. */
int cli_main(int argc, char **argv);

#endif
