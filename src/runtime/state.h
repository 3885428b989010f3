/* state.h - what the runtime remembers about a container between commands.
 *
 * Each container has a directory <root>/<id> (root is --root, default
 * /run/berth-runtime, mode 0700) holding:
 *   state.json   pid, process start time, bundle, rootfs, created, cgroup path
 *                (written atomically: old or new, never half)
 *   config.json  the bundle's config at create time (exec defaults, hooks)
 *   exec.fifo    present between create and start: the init blocks on it
 * The status is not stored: it is derived each time from whether the init
 * process (identified by pid *and* start time, so a reused pid is not
 * mistaken for it) is alive, whether exec.fifo still exists, and the freezer. */
#ifndef BERTH_RUNTIME_STATE_H
#define BERTH_RUNTIME_STATE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../base/err.h"

#define RT_DEFAULT_ROOT "/run/berth-runtime"

enum rt_status { RT_STATUS_CREATING, RT_STATUS_CREATED, RT_STATUS_RUNNING, RT_STATUS_PAUSED, RT_STATUS_STOPPED };
const char *rt_status_to_string(enum rt_status s);

struct rt_state {
	char *id;
	pid_t pid;
	unsigned long long start_time; /* field 22 of /proc/PID/stat */
	char *bundle, *rootfs, *created, *owner, *cgroup_path, *oci_version;
	char *cgroup_root; /* NULL = /sys/fs/cgroup */
	json_t *annotations; /* owned; may be NULL */
};

/* Container ids: letters, digits, '_', '+', '-', '.'; not "." or "..". */
int rt_id_validate(const char *id, struct berr *err);

/* Open <root>/<id> (O_PATH|O_DIRECTORY). -ENOENT when it does not exist. */
int rt_state_dir_open(const char *root, const char *id, struct berr *err);
int rt_state_load(const char *root, const char *id, struct rt_state **ret, struct berr *err);
int rt_state_save(int dirfd, const struct rt_state *st, struct berr *err);
void rt_state_free(struct rt_state *st);
static inline void rt_state_freep(struct rt_state **s) { rt_state_free(*s); }
#define _cleanup_state_ _cleanup_(rt_state_freep)

/* Start time of pid from /proc, 0 when the process is gone or a zombie. */
unsigned long long rt_proc_start_time(pid_t pid);
/* Whether the state's init process still exists (not reaped, not a zombie). */
bool rt_state_alive(const struct rt_state *st);
enum rt_status rt_state_status(const char *root, const struct rt_state *st);

/* The JSON that `state` prints (runc's field names), and the OCI state
 * given to hooks on stdin. */
json_t *rt_state_to_json(const struct rt_state *st, enum rt_status status);
json_t *rt_state_hook_json(const struct rt_state *st, enum rt_status status);

/* RFC 3339 UTC timestamp with nanoseconds, as runc writes "created". */
char *rt_now_rfc3339(void);

#endif
