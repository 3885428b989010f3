/* containers.h - berthd's containers: records (SQLite, containers.db in the
 * data root), their lifecycle through berth-shim, and waiting for state
 * changes.
 *
 * On disk, per container, <data-root>/containers/<id>/:
 *   config.json            the OCI bundle's config (root = merged/)
 *   hostname hosts resolv.conf
 *   upper/ work/ merged/   the overlay (mounted while running)
 *   <id>-json.log          the json-file log (written by the shim)
 *   exit.json              the shim's exit file
 * and in the exec root: shims/<id12>.sock, the shim's control socket.
 *
 * A record (struct ctr) is reference counted; the manager's lock guards
 * every mutable field. A running container has a watcher thread blocked on
 * the shim's wait op; it records the exit, emits "die", unmounts, and
 * removes AutoRemove containers. Every function is thread-safe. */
#ifndef BERTH_DAEMON_CONTAINERS_H
#define BERTH_DAEMON_CONTAINERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"

struct daemon;
struct containers;

enum ctr_state { CTR_CREATED, CTR_RUNNING, CTR_EXITED };

struct ctr {
	/* immutable after create */
	char id[65];
	char name[256]; /* "/name" */
	char image_id[80];
	char *image_name; /* as given */
	json_t *config, *host_config;
	int64_t created_ns;
	char *dir, *sock, *log_path;
	/* guarded by the manager lock */
	enum ctr_state state;
	int pid, exit_code;
	int64_t started_ns, finished_ns;
	char *error;
	bool mounted, removed, removing, stopping, shim_ready;
	uint64_t exit_gen;
	int attach_waiting;
	int refs;
};

int containers_open(struct daemon *d, struct containers **ret, struct berr *err);
void containers_close(struct containers *m);

/* Lookup by full ID, name (with or without '/'), unique ID prefix; a new
 * reference (ctr_unref). 404 "No such container: x"; 400 ambiguous prefix. */
int containers_get(struct containers *m, const char *name, struct ctr **ret, struct berr *err);
void ctr_unref(struct containers *m, struct ctr *c);
/* Every container, a reference each, newest first. */
int containers_list(struct containers *m, struct ctr ***ret, size_t *ret_n);
void containers_list_free(struct containers *m, struct ctr **v, size_t n);
void containers_counts(struct containers *m, int *total, int *running, int *paused, int *stopped);
/* image_in_use_fn for the image store. */
int containers_image_in_use(const char *id, char **ret_container_id, void *ud);

/* body: the create request body. */
int containers_create(struct containers *m, const char *name, json_t *body, char ret_id[static 65],
		      struct berr *err);
/* 1 when it was already running (304). */
int containers_start(struct containers *m, struct ctr *c, struct berr *err);
/* 1 when not running (304). timeout < 0: default (StopTimeout or 10). */
int containers_stop(struct containers *m, struct ctr *c, int timeout, struct berr *err);
int containers_kill(struct containers *m, struct ctr *c, int sig, struct berr *err);
int containers_resize(struct containers *m, struct ctr *c, int h, int w, struct berr *err);
int containers_remove(struct containers *m, struct ctr *c, bool force, struct berr *err);

enum ctr_wait_cond { CTR_WAIT_NOT_RUNNING, CTR_WAIT_NEXT_EXIT, CTR_WAIT_REMOVED };
/* Block until the condition holds (or gone() says the client left: -ECANCELED). */
int containers_wait(struct containers *m, struct ctr *c, enum ctr_wait_cond cond, bool (*gone)(void *), void *ud,
		    int *ret_code);
/* Connect an attach stream to the container's shim (waiting for a start if
 * the container is only created). Returns the connected socket after the
 * shim's {"ok":true}. */
int containers_attach(struct containers *m, struct ctr *c, bool in, bool out, bool errs, bool (*gone)(void *),
		      void *ud, int *ret_fd, struct berr *err);
void containers_event(struct containers *m, struct ctr *c, const char *action, json_t *extra);

/* Snapshots of guarded fields. */
enum ctr_state ctr_get_state(struct containers *m, struct ctr *c, int *pid, int *exit_code, int64_t *started,
			     int64_t *finished, char **error);

#endif
