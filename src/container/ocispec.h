/* ocispec.h - from an image and a Docker create request to an OCI config.json.
 *
 * Pure functions the daemon calls when it creates and starts a container:
 *
 *   ctr_merge_config()  image config "config" + create body Config -> the
 *                       container's effective Config (engine-api.md §5.3);
 *   ctr_spec_build()    effective Config + HostConfig + what the daemon has
 *                       prepared (rootfs, /etc files, cgroup path, network
 *                       namespace, seccomp profile) -> OCI config (json_t),
 *                       with Docker's defaults (security.md);
 *   ctr_etc_files()     write hostname, hosts and resolv.conf for a container;
 *   ctr_signal_parse()  "SIGTERM", "term", "15", "RTMIN+3" -> signal number;
 *   ctr_seccomp_*()     Docker's seccomp profile format -> OCI linux.seccomp.
 *
 * Nothing here starts processes or touches cgroups; ctr_spec_build() only
 * reads (the rootfs' /etc/passwd and /etc/group, resolved inside the rootfs,
 * and device nodes named by the request), and ctr_etc_files() only writes into
 * the directory it is given. Inputs are borrowed; every returned json_t is new
 * and owned by the caller. Errors are berr with kind BERR_INVALID for bad
 * requests (the router's 400), with Docker's wording where clients match it. */
#ifndef BERTH_CONTAINER_OCISPEC_H
#define BERTH_CONTAINER_OCISPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../base/err.h"

#define CTR_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CTR_DEFAULT_NOFILE UINT64_C(1048576)
#define CTR_DEFAULT_SHM_SIZE (INT64_C(64) * 1024 * 1024)
#define CTR_INIT_PATH "/sbin/docker-init" /* where --init's binary appears in the container */

/* --- create-time merge ---------------------------------------------------- */

/* image_config: the image config's "config" object (may be NULL);
 * create: the create body (its Config keys at top level, as the API sends it;
 * HostConfig and NetworkingConfig are left out of the result). The result is
 * a new object following moby's merge rules, with PATH added to Env when
 * neither side set it. Nothing to run -> BERR_INVALID "No command specified". */
int ctr_merge_config(json_t *image_config, json_t *create, json_t **ret, struct berr *err);

/* The process arguments a merged Config runs: Entrypoint (unless it is [""],
 * "no entrypoint") followed by Cmd. NULL-terminated strv; -EINVAL when empty. */
int ctr_config_args(json_t *config, char ***ret);

/* --- OCI spec --------------------------------------------------------------- */

enum ctr_net_mode {
	CTR_NET_PRIVATE,   /* bridge, default, user networks: a new network namespace */
	CTR_NET_NONE,      /* a new, empty network namespace */
	CTR_NET_HOST,      /* the host's network namespace */
	CTR_NET_CONTAINER, /* join net_ns_path (another container's /proc/<pid>/ns/net) */
};

struct ctr_spec_input {
	const char *id;          /* 64 hex; required */
	json_t *config;          /* merged Config (ctr_merge_config); required */
	json_t *host_config;     /* HostConfig; NULL or sparse = daemon defaults */
	const char *rootfs;      /* the container's root (merged overlay dir); required */
	const char *hostname_path, *hosts_path, *resolv_conf_path; /* bind-mounted when set */
	const char *cgroups_path;   /* NULL: "/berth/<id>" */
	uint64_t nofile_hard_max;   /* the host's RLIMIT_NOFILE hard limit; 0: getrlimit() */
	enum ctr_net_mode net_mode;
	const char *net_ns_path;    /* CTR_NET_CONTAINER */
	const char *pid_ns_path, *ipc_ns_path; /* PidMode/IpcMode "container:x", resolved by the daemon */
	json_t *seccomp_profile;    /* Docker-format default profile; NULL: seccomp off unless the
	                               request carries seccomp=<json> */
	const char *init_path;      /* host docker-init for --init; NULL: none configured */
	const char *cgroup_root;    /* for rt_cgroup_detect; NULL: /sys/fs/cgroup */
	json_t *extra_mounts;       /* OCI mount objects (volumes, binds) the daemon resolved;
	                               a default mount at the same destination is dropped */
	const char *host_hostname;  /* hostname for CTR_NET_HOST; NULL: gethostname() */
	const char *host_dev_dir;   /* devices added for Privileged; NULL: "/dev" */
};

/* Build the OCI config. The result passes rt_spec_parse(). */
int ctr_spec_build(const struct ctr_spec_input *in, json_t **ret, struct berr *err);

/* --- pieces exported for the daemon and for tests ---------------------------- */

struct ctr_user {
	uint32_t uid, gid;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char *home; /* from passwd; "/" when unknown */
};
void ctr_user_release(struct ctr_user *u);

/* Resolve Docker's User ("", name, uid, name:group, uid:gid, ...) against the
 * rootfs' /etc/passwd and /etc/group, opened inside rootfs_fd (RESOLVE_IN_ROOT).
 * Unknown names: BERR_INVALID "unable to find user X: no matching entries in
 * passwd file" (same for groups). */
int ctr_user_resolve(int rootfs_fd, const char *user, struct ctr_user *ret, struct berr *err);

/* A group name or gid (HostConfig.GroupAdd) against the rootfs' /etc/group. */
int ctr_group_resolve(int rootfs_fd, const char *group, uint32_t *ret, struct berr *err);

/* Capability set after Privileged / CapAdd / CapDrop, as a mask over CAP_*.
 * Names with or without "CAP_", any case, and "ALL". */
int ctr_caps_compute(json_t *cap_add, json_t *cap_drop, bool privileged, uint64_t *ret, struct berr *err);
/* Docker's 14 default capabilities. */
uint64_t ctr_caps_default(void);
/* Every capability this kernel knows (0..cap_last_cap). */
uint64_t ctr_caps_all(void);

/* Signal from a name or number: "SIGTERM", "TERM", "term", "15", "RTMIN+3",
 * "SIGRTMAX-1". Negative errno (-EINVAL) when unknown. */
int ctr_signal_parse(const char *s);

/* Translate a Docker-format seccomp profile (archMap, includes/excludes on
 * caps, arches, minKernel) into an OCI linux.seccomp object for this machine's
 * architecture and the given bounding set. kernel_release as uname -r; NULL:
 * the running kernel. *ret may be set to NULL: the profile disables seccomp. */
int ctr_seccomp_translate(json_t *profile, uint64_t bounding, const char *kernel_release, json_t **ret,
			  struct berr *err);
/* Load data/seccomp/default.json: next to the binary (../share/berth,
 * ./data), /usr/share/berth, then the build tree's data dir. */
int ctr_seccomp_default_load(json_t **ret, struct berr *err);

/* --- /etc files ------------------------------------------------------------ */

struct ctr_etc_input {
	const char *hostname;    /* required */
	const char *domainname;  /* may be NULL or "" */
	const char *ip;          /* the container's address; NULL: no own line in hosts */
	enum ctr_net_mode net_mode;
	const char *host_resolv_conf; /* NULL: /etc/resolv.conf */
	const char *host_hosts;       /* for CTR_NET_HOST; NULL: /etc/hosts */
	json_t *host_config;     /* Dns, DnsSearch, DnsOptions, ExtraHosts; may be NULL */
};

/* Write "hostname", "hosts" and "resolv.conf" into dir_fd (atomically each). */
int ctr_etc_files(int dir_fd, const struct ctr_etc_input *in, struct berr *err);

/* The resolv.conf text for a container (exported for tests): host content
 * filtered like moby does for the network mode. Malloc'ed. */
int ctr_resolv_conf(const char *host_content, enum ctr_net_mode mode, json_t *host_config, char **ret);

#endif
