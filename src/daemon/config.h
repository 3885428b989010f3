/* config.h - berthd's settings: command-line flags merged with daemon.json,
 * with dockerd's names and rules.
 *
 * Flags and file keys share one table. A setting given both as a flag and
 * in the file is an error (as in dockerd), so is a file key no setting
 * has. A missing default config file is fine; one named by --config-file
 * must exist. After daemon_config_load() every field is set (defaults
 * applied) except group, which NULL means "berth if that group exists, else
 * root". The struct owns its strings; daemon_config_release() frees them. */
#ifndef BERTH_DAEMON_CONFIG_H
#define BERTH_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/err.h"

#define DAEMON_DEFAULT_DATA_ROOT "/var/lib/berth"
#define DAEMON_DEFAULT_EXEC_ROOT "/run/berth"
#define DAEMON_DEFAULT_CONFIG_FILE "/etc/berth/daemon.json"

struct daemon_config {
	char *data_root;
	char *exec_root;
	char **hosts; /* "unix:///run/berth/berth.sock", ... */
	char *log_level;
	char *log_format; /* "text" or "json" */
	char *group;
	char *config_file;
	bool debug;
	bool show_help, show_version;
	uint32_t set_by_flag; /* bit i: option table entry i came from the command line */
};

/* Parse flags, read and merge the config file, apply defaults, validate. */
int daemon_config_load(struct daemon_config *cfg, int argc, char *const *argv, struct berr *err);

/* The steps of daemon_config_load, for tests. */
int daemon_config_parse_args(struct daemon_config *cfg, int argc, char *const *argv, struct berr *err);
/* text is daemon.json's content; path only names it in messages. */
int daemon_config_merge_json(struct daemon_config *cfg, const char *text, size_t len, const char *path,
			     struct berr *err);
int daemon_config_finish(struct daemon_config *cfg, struct berr *err);

/* The socket path of a -H value: "unix:///x/y.sock" -> "/x/y.sock". Other
 * schemes are refused with a message saying only unix:// is supported. */
int daemon_config_host_path(const char *host, char **ret, struct berr *err);

/* berthd --help text. */
void daemon_config_usage(FILE *f, const char *prog);

void daemon_config_release(struct daemon_config *cfg);

#endif
