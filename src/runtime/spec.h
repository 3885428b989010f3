/* spec.h - the OCI runtime-spec config.json (1.0 and 1.1) as C structures.
 *
 * rt_spec_parse() validates the whole document up front so that a bad config
 * fails before any namespace, mount or cgroup exists. Everything here is
 * plain data owned by the rt_spec; rt_spec_free() releases it. Absent
 * optional numbers are marked with the has_* flags (or -1 where noted).
 *
 * Fields the runtime does not act on (annotations other than for state, the
 * windows/solaris/vm sections) are accepted and ignored, as runc does. */
#ifndef BERTH_RUNTIME_SPEC_H
#define BERTH_RUNTIME_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/err.h"

enum rt_ns_type {
	RT_NS_PID,
	RT_NS_NETWORK,
	RT_NS_MOUNT,
	RT_NS_IPC,
	RT_NS_UTS,
	RT_NS_USER,
	RT_NS_CGROUP,
	RT_NS_TIME,
	_RT_NS_MAX,
};

const char *rt_ns_type_to_string(enum rt_ns_type t); /* OCI name: "pid", "network", ... */
int rt_ns_type_from_string(const char *s);            /* negative errno when unknown */
int rt_ns_clone_flag(enum rt_ns_type t);               /* CLONE_NEW* */
const char *rt_ns_proc_name(enum rt_ns_type t);        /* name under /proc/PID/ns: "pid", "net", ... */

struct rt_namespace {
	bool present; /* listed in linux.namespaces */
	char *path;   /* join this one instead of creating; NULL = new */
};

struct rt_idmap {
	uint32_t container_id, host_id, size;
};

struct rt_rlimit {
	int resource; /* RLIMIT_* */
	uint64_t soft, hard;
};

/* The five capability sets as bit masks over CAP_* numbers (0..63). */
struct rt_caps {
	bool present; /* process.capabilities given at all */
	uint64_t bounding, effective, inheritable, permitted, ambient;
};

struct rt_user {
	uint32_t uid, gid;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	bool has_umask;
	uint32_t umask;
};

struct rt_process {
	bool terminal;
	unsigned console_height, console_width; /* 0 = unset */
	char **args;                            /* required, non-empty */
	char **env;
	char *cwd;                              /* required, absolute */
	struct rt_user user;
	struct rt_caps caps;
	struct rt_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor_profile; /* accepted; applied when AppArmor is enabled */
	char *selinux_label;
};

/* One mount. flags/clear_flags come from the option table; propagation flags
 * are applied after the mount; data holds the options the kernel takes as
 * mount data ("mode=755,size=65536k"). */
struct rt_mount {
	char *destination; /* absolute, inside the container */
	char *type;        /* "bind", "proc", "tmpfs", ...; NULL = bind when options say bind */
	char *source;
	char **options;    /* as written, for state and for re-use by exec */
	unsigned long flags;       /* MS_* to set */
	unsigned long clear_flags; /* MS_* the options explicitly cleared (rw, suid, ...) */
	unsigned long propagation; /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [|MS_REC] */
	bool is_bind;      /* bind or rbind */
	bool recursive_ro; /* "rro" */
	char *data;
};

enum rt_hook_kind {
	RT_HOOK_PRESTART,
	RT_HOOK_CREATE_RUNTIME,
	RT_HOOK_CREATE_CONTAINER,
	RT_HOOK_START_CONTAINER,
	RT_HOOK_POSTSTART,
	RT_HOOK_POSTSTOP,
	_RT_HOOK_MAX,
};

struct rt_hook {
	char *path; /* absolute */
	char **args;
	char **env;
	int timeout; /* seconds; 0 = none */
};

struct rt_device {
	char type; /* 'c', 'b', 'u', 'p' */
	char *path;
	int64_t major, minor;
	bool has_mode, has_uid, has_gid;
	uint32_t file_mode, uid, gid;
};

struct rt_device_rule {
	bool allow;
	char type;             /* 'a', 'c', 'b' */
	int64_t major, minor;  /* -1 = wildcard */
	char access[4];        /* subset of "rwm" */
};

/* linux.resources. Every field is optional; has_* tells whether it was given. */
struct rt_resources {
	bool has_mem_limit, has_mem_reservation, has_mem_swap, has_mem_swappiness, has_kernel_mem;
	int64_t mem_limit, mem_reservation, mem_swap; /* -1 = unlimited */
	uint64_t mem_swappiness;
	bool disable_oom_killer;
	bool has_cpu_shares, has_cpu_quota, has_cpu_period;
	uint64_t cpu_shares, cpu_period;
	int64_t cpu_quota; /* -1 = unlimited */
	char *cpuset_cpus, *cpuset_mems;
	bool has_pids_limit;
	int64_t pids_limit; /* <= 0 = unlimited */
	bool has_blkio_weight;
	uint16_t blkio_weight;
	struct rt_device_rule *devices;
	size_t n_devices;
	json_t *unified; /* linux.resources.unified (cgroup v2 key/value), borrowed from raw */
};

struct rt_sysctl {
	char *key, *value;
};

struct rt_spec {
	char *oci_version;
	char *root_path; /* as written; relative to the bundle when not absolute */
	bool root_readonly;
	char *hostname, *domainname;
	struct rt_process process;
	struct rt_mount *mounts;
	size_t n_mounts;
	struct rt_hook *hooks[_RT_HOOK_MAX];
	size_t n_hooks[_RT_HOOK_MAX];

	/* linux */
	struct rt_namespace ns[_RT_NS_MAX];
	struct rt_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	struct rt_device *devices;
	size_t n_devices;
	char *cgroups_path;
	struct rt_resources resources;
	struct rt_sysctl *sysctls;
	size_t n_sysctls;
	char **masked_paths, **readonly_paths;
	unsigned long rootfs_propagation; /* 0 = default (MS_REC|MS_SLAVE for the rootfs' parent) */
	char *mount_label;
	json_t *seccomp; /* linux.seccomp, borrowed from raw; compiled by seccomp.c */
	char *personality_domain; /* "LINUX" or "LINUX32" */

	json_t *annotations; /* borrowed from raw */
	json_t *raw;         /* the parsed document, owned */
};

/* Parse and validate. On error ret is untouched and err says where, e.g.
 * "config.json: process.args: must not be empty". */
int rt_spec_parse(const char *buf, size_t len, struct rt_spec **ret, struct berr *err);
int rt_spec_load(const char *path, struct rt_spec **ret, struct berr *err);
void rt_spec_free(struct rt_spec *s);
static inline void rt_spec_freep(struct rt_spec **s) { rt_spec_free(*s); }
#define _cleanup_spec_ _cleanup_(rt_spec_freep)

/* Parse a single "process" object (for `exec --process`). */
int rt_process_parse(json_t *obj, const char *where, struct rt_process *ret, struct berr *err);
void rt_process_release(struct rt_process *p);

/* Mount option table: "ro", "nosuid", "rbind", "rprivate", ... Fills flags,
 * clear_flags, propagation, is_bind, recursive_ro and data for m->options. */
int rt_mount_parse_options(struct rt_mount *m, struct berr *err);

/* The default config.json that `berth-runtime spec` writes (runc's defaults). */
json_t *rt_spec_default(void);

/* Name tables used by the parser and by the CLI. */
int rt_cap_from_name(const char *name);  /* "CAP_CHOWN" -> 0; negative errno when unknown */
const char *rt_cap_to_name(int cap);
int rt_rlimit_from_name(const char *name); /* "RLIMIT_NOFILE" -> RLIMIT_NOFILE */

#endif
