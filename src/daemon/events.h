/* events.h - the daemon's event bus: publishers log Engine API events
 * (image tag, container start, ...), subscribers (GET /events) read them.
 *
 * The bus keeps the most recent EVENTS_RING events in a ring so that
 * subscribers can replay history (`since`). Each event gets a sequence
 * number; a subscriber remembers the last one it saw and asks for the
 * events after it, waiting (bounded) for new ones. Events are immutable
 * JSON objects shared by reference: a reader gets its own references.
 * Every function is thread-safe. */
#ifndef BERTH_DAEMON_EVENTS_H
#define BERTH_DAEMON_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#define EVENTS_RING 1024

struct events;

struct events *events_new(void); /* NULL on OOM */
void events_free(struct events *ev);

/* Log an event in moby's shape: Type, Action, Actor {ID, Attributes}, scope
 * "local", time, timeNano, and for container and image events the
 * deprecated status/id(/from) mirrors. attrs (may be NULL) is stolen.
 * Returns the event's sequence number, or 0 on OOM. */
uint64_t events_publish(struct events *ev, const char *type, const char *action, const char *actor_id,
			json_t *attrs);
/* The same with an explicit time, for tests. */
uint64_t events_publish_at(struct events *ev, int64_t time_ns, const char *type, const char *action,
			   const char *actor_id, json_t *attrs);

/* The events with a sequence number above after_seq (the oldest kept ones if
 * some were dropped), at most max, each with a new reference, oldest first.
 * When there are none, waits up to timeout_ms for one (0: don't wait).
 * Returns how many were stored in ret, or -ESHUTDOWN once events_close()
 * ran and nothing is left. ret_seqs[i] are their sequence numbers. */
int events_read(struct events *ev, uint64_t after_seq, unsigned timeout_ms, json_t **ret, uint64_t *ret_seqs,
		size_t max);

/* The sequence number of the newest event (0 when none). */
uint64_t events_last_seq(struct events *ev);

/* Wake every reader and make later reads of an exhausted ring return
 * -ESHUTDOWN (daemon shutdown). */
void events_close(struct events *ev);

/* The time (unix ns) of an event object. */
int64_t events_time_ns(const json_t *e);

/* ---- filters (GET /events?filters=) ---- */
struct api_filters;
/* Whether event e passes the filters (type, event, image, container, label,
 * network, volume, daemon, scope). */
bool events_match(const json_t *e, const struct api_filters *f);

#endif
