/* events.c - see events.h. A fixed ring of JSON objects under one mutex;
 * readers wait on a condition variable that every publish broadcasts. */
#include "events.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "base/util.h"
#include "daemon/filters.h"

struct events {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	json_t *ring[EVENTS_RING];
	uint64_t next_seq; /* sequence number of the next event; the first is 1 */
	bool closed;
};

struct events *events_new(void)
{
	struct events *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return NULL;
	pthread_mutex_init(&ev->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ev->cond, &ca);
	pthread_condattr_destroy(&ca);
	ev->next_seq = 1;
	return ev;
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < EVENTS_RING; i++)
		json_decref(ev->ring[i]);
	pthread_cond_destroy(&ev->cond);
	pthread_mutex_destroy(&ev->lock);
	free(ev);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static json_t *make_event(int64_t t, const char *type, const char *action, const char *actor_id, json_t *attrs)
{
	json_t *e = json_object();
	if (!e) {
		json_decref(attrs);
		return NULL;
	}
	bool mirrors = streq(type, "container") || streq(type, "image");
	if (mirrors) { /* deprecated fields moby still fills; compose v1 reads them */
		json_object_set_new(e, "status", json_string(action));
		json_object_set_new(e, "id", json_string(actor_id));
		json_t *img = streq(type, "container") ? json_object_get(attrs, "image") : NULL;
		if (img)
			json_object_set(e, "from", img);
	}
	json_object_set_new(e, "Type", json_string(type));
	json_object_set_new(e, "Action", json_string(action));
	json_object_set_new(e, "Actor", json_pack("{s:s, s:o}", "ID", actor_id, "Attributes",
						  attrs ? attrs : json_object()));
	json_object_set_new(e, "scope", json_string("local"));
	json_object_set_new(e, "time", json_integer(t / 1000000000LL));
	json_object_set_new(e, "timeNano", json_integer(t));
	return e;
}

uint64_t events_publish_at(struct events *ev, int64_t time_ns, const char *type, const char *action,
			   const char *actor_id, json_t *attrs)
{
	json_t *e = make_event(time_ns, type, action, actor_id ? actor_id : "", attrs);
	if (!e)
		return 0;
	pthread_mutex_lock(&ev->lock);
	uint64_t seq = ev->next_seq++;
	json_t **slot = &ev->ring[seq % EVENTS_RING];
	json_decref(*slot);
	*slot = e;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
	return seq;
}

uint64_t events_publish(struct events *ev, const char *type, const char *action, const char *actor_id, json_t *attrs)
{
	return events_publish_at(ev, now_ns(), type, action, actor_id, attrs);
}

static size_t collect(struct events *ev, uint64_t after, json_t **ret, uint64_t *seqs, size_t max)
{
	uint64_t oldest = ev->next_seq > EVENTS_RING ? ev->next_seq - EVENTS_RING : 1;
	uint64_t s = after + 1 > oldest ? after + 1 : oldest;
	size_t n = 0;
	for (; s < ev->next_seq && n < max; s++, n++) {
		ret[n] = json_incref(ev->ring[s % EVENTS_RING]);
		seqs[n] = s;
	}
	return n;
}

int events_read(struct events *ev, uint64_t after_seq, unsigned timeout_ms, json_t **ret, uint64_t *ret_seqs,
		size_t max)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ev->lock);
	size_t n;
	int r = 0;
	while ((n = collect(ev, after_seq, ret, ret_seqs, max)) == 0 && !ev->closed && timeout_ms && r == 0)
		r = pthread_cond_timedwait(&ev->cond, &ev->lock, &deadline);
	bool closed = ev->closed;
	pthread_mutex_unlock(&ev->lock);
	if (n == 0 && closed)
		return -ESHUTDOWN;
	return (int)n;
}

uint64_t events_last_seq(struct events *ev)
{
	pthread_mutex_lock(&ev->lock);
	uint64_t s = ev->next_seq - 1;
	pthread_mutex_unlock(&ev->lock);
	return s;
}

void events_close(struct events *ev)
{
	pthread_mutex_lock(&ev->lock);
	ev->closed = true;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
}

int64_t events_time_ns(const json_t *e)
{
	return json_integer_value(json_object_get(e, "timeNano"));
}

/* ---- filters ---- */

static const char *attr(const json_t *e, const char *key)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(e, "Actor"), "Attributes"), key));
}

static const char *field(const json_t *e, const char *key)
{
	return json_string_value(json_object_get(e, key));
}

/* v equals s, or s without its ":tag" (moby's image filter). */
static bool same_or_untagged(const char *v, const char *s)
{
	if (!v || !s)
		return false;
	if (streq(v, s))
		return true;
	const char *colon = strrchr(s, ':');
	if (!colon || strchr(colon, '/'))
		return false;
	return strlen(v) == (size_t)(colon - s) && strncmp(v, s, (size_t)(colon - s)) == 0;
}

static bool any_value(const struct api_filters *f, const char *key, const char *const *cands, size_t n)
{
	char *const *vals = api_filters_get(f, key);
	if (!vals || !vals[0])
		return true;
	for (size_t i = 0; vals[i]; i++)
		for (size_t j = 0; j < n; j++)
			if (same_or_untagged(vals[i], cands[j]))
				return true;
	return false;
}

static bool match_typed(const json_t *e, const struct api_filters *f, const char *key, const char *type)
{
	if (!api_filters_get(f, key))
		return true;
	if (!streq(field(e, "Type"), type))
		return false;
	const char *id = json_string_value(json_object_get(json_object_get(e, "Actor"), "ID"));
	const char *c[] = { id, attr(e, "name") };
	return any_value(f, key, c, ARRAY_SIZE(c));
}

bool events_match(const json_t *e, const struct api_filters *f)
{
	const char *type = field(e, "Type"), *action = field(e, "Action");
	const char *id = json_string_value(json_object_get(json_object_get(e, "Actor"), "ID"));
	if (!api_filters_match_exact(f, "type", type) || !api_filters_match_exact(f, "scope", field(e, "scope")))
		return false;
	/* "exec_start: sh" matches event=exec_start */
	_cleanup_free_ char *act = action ? strndup(action, strcspn(action, ":")) : NULL;
	if (!api_filters_match_exact(f, "event", action) && !api_filters_match_exact(f, "event", act))
		return false;
	if (api_filters_get(f, "image")) {
		const char *c[] = { streq(type, "image") ? id : NULL, streq(type, "image") ? attr(e, "name") : NULL,
				    attr(e, "image") };
		if (!any_value(f, "image", c, ARRAY_SIZE(c)))
			return false;
	}
	return match_typed(e, f, "container", "container") && match_typed(e, f, "network", "network") &&
	       match_typed(e, f, "volume", "volume") && match_typed(e, f, "daemon", "daemon") &&
	       api_filters_match_labels(f, "label", json_object_get(json_object_get(e, "Actor"), "Attributes"));
}
