/* daemon.h - berthd's process: data and exec roots, the one-daemon-per-data-
 * root lock, the image store, the event bus and the API server on a libuv
 * loop, and a clean shutdown on SIGTERM/SIGINT.
 *
 * Startup does constant work: it creates the roots, takes the lock, opens
 * the store (which does not scan images) and listens. struct daemon is
 * shared read-only by the request threads once the server runs; its
 * members are thread-safe objects themselves (store, events). */
#ifndef BERTH_DAEMON_DAEMON_H
#define BERTH_DAEMON_DAEMON_H

#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "daemon/config.h"

#define BERTH_VERSION "0.1.0"
#define BERTH_SERVER_HEADER "berth/" BERTH_VERSION " (linux)"

struct image_store;
struct events;
struct containers;

struct daemon {
	const struct daemon_config *cfg;
	struct image_store *store;
	struct events *events;
	struct containers *containers;
	char id[40];      /* engine ID (a UUID kept in the data root) */
	int64_t start_ns; /* CLOCK_REALTIME at startup */
};

/* Run berthd until a signal stops it; returns the process exit status. */
int daemon_run(const struct daemon_config *cfg);

/* Take the data root's lock (non-blocking flock on <data-root>/berthd.lock,
 * which then holds our pid); a second daemon gets a BERR_CONFLICT naming the
 * pid that holds it. Returns the locked fd. */
int daemon_lock_data_root(const char *data_root, struct berr *err);

#endif
