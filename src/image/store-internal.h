/* store-internal.h - what store.c, load.c and delete.c share.
 *
 * Locking: s->lock guards the database connection and the lease table, and
 * is held for every metadata read or transaction and for every removal of a
 * blob or snapshot. Long work (reading archives, hashing, unpacking) runs
 * without it.
 *
 * Leases: an operation that is creating or reusing blobs and snapshots
 * (load, import) holds a lease on each before it becomes visible; the
 * garbage collector and deletes leave leased objects alone, so a concurrent
 * rmi or prune cannot take away what a load is about to record. When the
 * operation ends it drops its leases and removes whatever of them no record
 * points to: all or nothing. Keys are "b:<digest>" for blobs and
 * "s:<chain id>" for snapshots (a base layer's ChainID equals its DiffID). */
#ifndef BERTH_IMAGE_STORE_INTERNAL_H
#define BERTH_IMAGE_STORE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <sqlite3.h>

#include "image/content.h"
#include "image/meta.h"
#include "image/store.h"

struct lease {
	char *key;
	unsigned count;
};

struct image_store {
	pthread_mutex_t lock;
	char *root;
	int root_fd, snaps_fd, lock_fd;
	struct content_store content;
	sqlite3 *db;
	struct lease *leases;
	size_t n_leases;
	bool opened; /* open (and recovery) succeeded: a close may mark the store clean */
};

/* A set of leases one operation holds. */
struct store_op {
	struct image_store *s;
	char **held;
};
int store_op_hold_blob(struct store_op *op, const char *digest);
int store_op_hold_snapshot(struct store_op *op, const char *chain_id);
/* Drop every lease and remove what no record uses. */
void store_op_release(struct store_op *op);

/* With s->lock held: remove the blob / snapshot unless a record or a lease
 * still needs it; *freed (may be NULL) grows by the bytes released. */
void store_drop_blob_locked(struct image_store *s, const char *digest, uint64_t *freed);
void store_drop_snapshot_locked(struct image_store *s, const char *chain_id, uint64_t *freed);

/* Resolve a user-given name (store.h) with s->lock held. ret_ref (may be
 * NULL) gets the full reference when the name matched as one, else NULL. */
int store_resolve_locked(struct image_store *s, const char *name, digest_t ret_id, char **ret_ref, struct berr *err);

int berr_db(struct berr *err, int r, const char *what);
int64_t store_now_ns(void);

static inline void store_unlockp(pthread_mutex_t **m)
{
	if (*m)
		pthread_mutex_unlock(*m);
}
#define _cleanup_unlock_ _unused_ _cleanup_(store_unlockp)
static inline pthread_mutex_t *store_lock(struct image_store *s)
{
	pthread_mutex_lock(&s->lock);
	return &s->lock;
}

#endif
