/* containers.c - see containers.h. */
#include "daemon/containers.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "common/json.h"
#include "container/ocispec.h"
#include "daemon/daemon.h"
#include "daemon/dlog.h"
#include "daemon/events.h"
#include "daemon/filters.h"
#include "image/store.h"

struct containers {
	struct daemon *d;
	sqlite3 *db;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct ctr **v;
	size_t n;
	char *root, *shim_dir, *runtime_root, *shim_path;
	json_t *seccomp;
	int watchers;
	bool closing;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void cwait(struct containers *m, unsigned ms)
{
	struct timespec ts;
	deadline_in(&ts, ms);
	pthread_cond_timedwait(&m->cv, &m->mu, &ts);
}

/* ---- records ---- */

static void ctr_free(struct ctr *c)
{
	if (!c)
		return;
	free(c->image_name);
	json_decref(c->config);
	json_decref(c->host_config);
	free(c->dir);
	free(c->sock);
	free(c->log_path);
	free(c->error);
	free(c);
}

void ctr_unref(struct containers *m, struct ctr *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&m->mu);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&m->mu);
	if (last)
		ctr_free(c);
}

static const char *state_name(enum ctr_state s)
{
	return s == CTR_RUNNING ? "running" : s == CTR_EXITED ? "exited" : "created";
}

static int set_paths(struct containers *m, struct ctr *c)
{
	if (asprintf(&c->dir, "%s/%s", m->root, c->id) < 0 ||
	    asprintf(&c->sock, "%s/%.12s.sock", m->shim_dir, c->id) < 0 ||
	    asprintf(&c->log_path, "%s/%s-json.log", c->dir, c->id) < 0)
		return -ENOMEM;
	return 0;
}

/* Serialise under the lock, write outside of it. */
static json_t *record_json_locked(struct ctr *c)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:O, s:O, s:I, s:s, s:i, s:i, s:I, s:I, s:s}", "id", c->id, "name",
			 c->name, "image_id", c->image_id, "image_name", c->image_name ? c->image_name : "", "config",
			 c->config, "host_config", c->host_config, "created", (json_int_t)c->created_ns, "state",
			 state_name(c->state), "pid", c->pid, "exit_code", c->exit_code, "started",
			 (json_int_t)c->started_ns, "finished", (json_int_t)c->finished_ns, "error",
			 c->error ? c->error : "");
}

static void save(struct containers *m, struct ctr *c)
{
	pthread_mutex_lock(&m->mu);
	bool gone = c->removed || c->removing;
	json_t *j = gone ? NULL : record_json_locked(c);
	pthread_mutex_unlock(&m->mu);
	if (!j)
		return;
	_cleanup_free_ char *s = json_dump_compact(j);
	json_decref(j);
	sqlite3_stmt *st = NULL;
	if (!s || sqlite3_prepare_v2(m->db, "INSERT OR REPLACE INTO containers(id, name, data) VALUES (?, ?, ?)", -1,
				     &st, NULL) != SQLITE_OK) {
		dlog_error("saving container %s: %s", c->id, sqlite3_errmsg(m->db));
		return;
	}
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		dlog_error("saving container %s: %s", c->id, sqlite3_errmsg(m->db));
	sqlite3_finalize(st);
}

static void db_delete(struct containers *m, const char *id)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(m->db, "DELETE FROM containers WHERE id = ?", -1, &st, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_step(st);
	sqlite3_finalize(st);
}

static struct ctr *record_from_json(struct containers *m, json_t *j)
{
	struct ctr *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	const char *id = json_string_value(json_object_get(j, "id")), *name = json_string_value(json_object_get(j, "name"));
	const char *iid = json_string_value(json_object_get(j, "image_id"));
	const char *st = json_string_value(json_object_get(j, "state"));
	const char *e = json_string_value(json_object_get(j, "error"));
	if (!id || !name || !iid || strlen(id) != 64) {
		free(c);
		return NULL;
	}
	str_copy(c->id, sizeof(c->id), id);
	str_copy(c->name, sizeof(c->name), name);
	str_copy(c->image_id, sizeof(c->image_id), iid);
	c->image_name = strdup(json_string_value(json_object_get(j, "image_name")) ?: "");
	c->config = json_incref(json_object_get(j, "config"));
	c->host_config = json_incref(json_object_get(j, "host_config"));
	if (!c->config)
		c->config = json_object();
	if (!c->host_config)
		c->host_config = json_object();
	c->created_ns = json_integer_value(json_object_get(j, "created"));
	c->state = streq(st, "running") ? CTR_RUNNING : streq(st, "exited") ? CTR_EXITED : CTR_CREATED;
	c->pid = (int)json_integer_value(json_object_get(j, "pid"));
	c->exit_code = (int)json_integer_value(json_object_get(j, "exit_code"));
	c->started_ns = json_integer_value(json_object_get(j, "started"));
	c->finished_ns = json_integer_value(json_object_get(j, "finished"));
	c->error = e && *e ? strdup(e) : NULL;
	c->refs = 1;
	if (set_paths(m, c) < 0) {
		ctr_free(c);
		return NULL;
	}
	return c;
}

/* ---- shim control ---- */

static int shim_connect(const char *path, unsigned timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (str_copy(sa.sun_path, sizeof(sa.sun_path), path) < 0)
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return neg_errno();
	if (timeout_ms) {
		struct timeval tv = { .tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = neg_errno();
		close(fd);
		return r;
	}
	return fd;
}

/* Read one line byte by byte (what follows belongs to a stream). */
static int read_line(int fd, char *buf, size_t n)
{
	size_t i = 0;
	while (i + 1 < n) {
		ssize_t k = read(fd, buf + i, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? neg_errno() : -EPIPE;
		if (buf[i] == '\n')
			break;
		i++;
	}
	buf[i] = 0;
	return (int)i;
}

static int shim_send(int fd, json_t *req)
{
	_cleanup_free_ char *s = json_dump_compact(req);
	if (!s)
		return -ENOMEM;
	size_t n = strlen(s);
	s[n] = 0;
	int r = write_all(fd, s, n);
	return r < 0 ? r : write_all(fd, "\n", 1);
}

/* One request, one reply. req is stolen. */
static int shim_call(const char *sock, json_t *req, unsigned timeout_ms, json_t **ret)
{
	_cleanup_json_ json_t *rq = req;
	_cleanup_close_ int fd = shim_connect(sock, timeout_ms);
	if (fd < 0)
		return fd;
	int r = shim_send(fd, rq);
	if (r < 0)
		return r;
	char line[4096];
	if ((r = read_line(fd, line, sizeof(line))) < 0)
		return r;
	*ret = json_loads(line, 0, NULL);
	return *ret ? 0 : -EPROTO;
}

static int shim_simple(struct ctr *c, json_t *req, struct berr *err)
{
	_cleanup_json_ json_t *rep = NULL;
	int r = shim_call(c->sock, req, 10000, &rep);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "talking to the shim of %s", c->id);
	const char *e = json_string_value(json_object_get(rep, "error"));
	if (e)
		return berr_set(err, BERR_INTERNAL, 0, "%s", e);
	return 0;
}

/* ---- lookups ---- */

static struct ctr *find_locked(struct containers *m, const char *name, bool *ambiguous)
{
	*ambiguous = false;
	const char *bare = name[0] == '/' ? name + 1 : name;
	for (size_t i = 0; i < m->n; i++)
		if (streq(m->v[i]->id, name) || streq(m->v[i]->name + 1, bare))
			return m->v[i];
	struct ctr *found = NULL;
	size_t len = strlen(name);
	if (!len)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (strncmp(m->v[i]->id, name, len) == 0) {
			if (found) {
				*ambiguous = true;
				return NULL;
			}
			found = m->v[i];
		}
	return found;
}

int containers_get(struct containers *m, const char *name, struct ctr **ret, struct berr *err)
{
	bool amb;
	pthread_mutex_lock(&m->mu);
	struct ctr *c = find_locked(m, name, &amb);
	if (c)
		c->refs++;
	pthread_mutex_unlock(&m->mu);
	if (amb)
		return berr_set(err, BERR_INVALID, 0, "multiple IDs found with provided prefix: %s", name);
	if (!c)
		return berr_set(err, BERR_NOT_FOUND, 0, "No such container: %s", name);
	*ret = c;
	return 0;
}

int containers_list(struct containers *m, struct ctr ***ret, size_t *ret_n)
{
	pthread_mutex_lock(&m->mu);
	struct ctr **v = calloc(m->n + 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&m->mu);
		return -ENOMEM;
	}
	size_t n = 0;
	for (size_t i = m->n; i-- > 0;) {
		m->v[i]->refs++;
		v[n++] = m->v[i];
	}
	pthread_mutex_unlock(&m->mu);
	/* newest first */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && v[j]->created_ns > v[j - 1]->created_ns; j--) {
			struct ctr *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*ret = v;
	*ret_n = n;
	return 0;
}

void containers_list_free(struct containers *m, struct ctr **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ctr_unref(m, v[i]);
	free(v);
}

void containers_counts(struct containers *m, int *total, int *running, int *paused, int *stopped)
{
	*total = *running = *paused = *stopped = 0;
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->n; i++) {
		(*total)++;
		if (m->v[i]->state == CTR_RUNNING)
			(*running)++;
		else
			(*stopped)++;
	}
	pthread_mutex_unlock(&m->mu);
}

int containers_image_in_use(const char *id, char **ret_container_id, void *ud)
{
	struct containers *m = ud;
	if (!m)
		return 0;
	int found = 0;
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; i < m->n && !found; i++)
		if (streq(m->v[i]->image_id, id) ||
		    (str_startswith(id, "sha256:") && streq(m->v[i]->image_id, id + 7))) {
			found = 1;
			if (ret_container_id)
				*ret_container_id = strdup(m->v[i]->id);
		}
	pthread_mutex_unlock(&m->mu);
	return found;
}

enum ctr_state ctr_get_state(struct containers *m, struct ctr *c, int *pid, int *exit_code, int64_t *started,
			     int64_t *finished, char **error)
{
	pthread_mutex_lock(&m->mu);
	enum ctr_state s = c->state;
	if (pid)
		*pid = c->pid;
	if (exit_code)
		*exit_code = c->exit_code;
	if (started)
		*started = c->started_ns;
	if (finished)
		*finished = c->finished_ns;
	if (error)
		*error = c->error ? strdup(c->error) : NULL;
	pthread_mutex_unlock(&m->mu);
	return s;
}

void containers_event(struct containers *m, struct ctr *c, const char *action, json_t *extra)
{
	json_t *a = json_object();
	if (!a) {
		json_decref(extra);
		return;
	}
	json_t *labels = json_object_get(c->config, "Labels");
	const char *k;
	json_t *v;
	json_object_foreach(labels, k, v)
		json_object_set(a, k, v);
	json_object_set_new(a, "image", json_string(c->image_name ? c->image_name : c->image_id));
	json_object_set_new(a, "name", json_string(c->name + 1));
	if (extra)
		json_object_update(a, extra);
	json_decref(extra);
	events_publish(m->d->events, "container", action, c->id, a);
}

/* ---- names ---- */

static const char *const adjectives[] = {
	"admiring", "brave",  "busy",    "clever",   "cool",    "eager",   "elegant", "focused", "gallant",
	"happy",    "hungry", "jolly",   "keen",     "kind",    "loving",  "modest",  "nifty",   "peaceful",
	"quirky",   "serene", "sharp",   "stoic",    "sweet",   "tender",  "vibrant", "wizardly", "zealous",
};
static const char *const nouns[] = {
	"albattani", "bell",    "curie",   "darwin",  "euclid",  "fermi",   "galileo", "hopper",  "hypatia",
	"kepler",    "lovelace", "meitner", "newton",  "noether", "pascal",  "ritchie", "shannon", "tesla",
	"thompson",  "turing",  "wozniak", "yalow",   "zhukovsky", "babbage", "bohr",    "dijkstra", "knuth",
};

static bool name_taken_locked(struct containers *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (streq(m->v[i]->name, name))
			return true;
	return false;
}

static bool name_valid(const char *s)
{
	if (!s[0] || !s[1])
		return false;
	for (size_t i = 0; s[i]; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '_' && ch != '.' && ch != '-')))
			return false;
	}
	return true;
}

/* ---- mounts and bundle ---- */

static int mount_rootfs(struct containers *m, struct ctr *c, struct berr *err)
{
	_cleanup_strv_free_ char **dirs = NULL;
	int r = image_store_layer_dirs(m->d->store, c->image_id, &dirs, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *lower = NULL, *opt = NULL, *merged = NULL;
	if (dirs && dirs[0]) {
		lower = strv_join(dirs, ":");
	} else if (asprintf(&lower, "%s/empty", c->dir) >= 0) {
		/* An image without layers: overlayfs still wants a lower dir. */
		mkdir(lower, 0755);
	} else {
		lower = NULL;
	}
	if (!lower || asprintf(&merged, "%s/merged", c->dir) < 0 ||
	    asprintf(&opt, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, c->dir, c->dir) < 0)
		return -ENOMEM;
	if (mount("overlay", merged, "overlay", 0, opt) < 0)
		return berr_set(err, BERR_INTERNAL, errno, "mounting the container's root filesystem");
	pthread_mutex_lock(&m->mu);
	c->mounted = true;
	pthread_mutex_unlock(&m->mu);
	return 0;
}

static void unmount_rootfs(struct containers *m, struct ctr *c)
{
	_cleanup_free_ char *merged = NULL;
	if (asprintf(&merged, "%s/merged", c->dir) < 0)
		return;
	while (umount2(merged, MNT_DETACH) == 0)
		;
	pthread_mutex_lock(&m->mu);
	c->mounted = false;
	pthread_mutex_unlock(&m->mu);
}

static enum ctr_net_mode net_mode_of(json_t *hc)
{
	const char *nm = json_string_value(json_object_get(hc, "NetworkMode"));
	if (streq(nm, "host"))
		return CTR_NET_HOST;
	if (streq(nm, "none"))
		return CTR_NET_NONE;
	return CTR_NET_PRIVATE;
}

static int write_bundle(struct containers *m, struct ctr *c, struct berr *err)
{
	_cleanup_free_ char *merged = NULL, *hn = NULL, *hs = NULL, *rc = NULL, *cfg = NULL;
	if (asprintf(&merged, "%s/merged", c->dir) < 0 || asprintf(&hn, "%s/hostname", c->dir) < 0 ||
	    asprintf(&hs, "%s/hosts", c->dir) < 0 || asprintf(&rc, "%s/resolv.conf", c->dir) < 0 ||
	    asprintf(&cfg, "%s/config.json", c->dir) < 0)
		return -ENOMEM;
	struct ctr_spec_input in = {
		.id = c->id,
		.config = c->config,
		.host_config = c->host_config,
		.rootfs = merged,
		.hostname_path = hn,
		.hosts_path = hs,
		.resolv_conf_path = rc,
		.net_mode = net_mode_of(c->host_config),
		.seccomp_profile = m->seccomp,
	};
	_cleanup_json_ json_t *spec = NULL;
	int r = ctr_spec_build(&in, &spec, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *s = json_dumps(spec, JSON_COMPACT);
	if (!s)
		return -ENOMEM;
	r = write_file_atomic_at(AT_FDCWD, cfg, s, strlen(s), 0600);
	if (r < 0)
		return berr_set(err, BERR_INTERNAL, -r, "writing %s", cfg);
	return 0;
}

/* ---- create ---- */

static int random_id(char id[static 65])
{
	unsigned char b[32];
	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return neg_errno();
	for (size_t i = 0; i < 32; i++)
		snprintf(id + 2 * i, 3, "%02x", b[i]);
	return 0;
}

int containers_create(struct containers *m, const char *name, json_t *body, char ret_id[static 65],
		      struct berr *err)
{
	if (!json_is_object(body))
		return berr_set(err, BERR_INVALID, 0, "invalid JSON: container config is missing");
	const char *image = json_string_value(json_object_get(body, "Image"));
	if (!image || !*image)
		return berr_set(err, BERR_INVALID, 0, "no image specified");
	if (name && *name) {
		const char *bare = name[0] == '/' ? name + 1 : name;
		if (!name_valid(bare))
			return berr_set(err, BERR_INVALID, 0,
					"Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", bare);
	}
	_cleanup_image_ struct image *im = NULL;
	int r = image_store_get(m->d->store, image, &im, err);
	if (r < 0)
		return r;
	struct ctr *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->refs = 1;
	c->created_ns = now_ns();
	snprintf(c->image_id, sizeof(c->image_id), "%s", im->id);
	if (!(c->image_name = strdup(image)) || random_id(c->id) < 0 || set_paths(m, c) < 0) {
		ctr_free(c);
		return -ENOMEM;
	}
	r = ctr_merge_config(json_object_get(im->config, "config"), body, &c->config, err);
	if (r < 0) {
		ctr_free(c);
		return r;
	}
	json_object_set_new(c->config, "Image", json_string(image));
	const char *hn = json_string_value(json_object_get(c->config, "Hostname"));
	enum ctr_net_mode nm;
	json_t *hc = json_object_get(body, "HostConfig");
	c->host_config = json_is_object(hc) ? json_deep_copy(hc) : json_object();
	const char *nmode = json_string_value(json_object_get(c->host_config, "NetworkMode"));
	if (!nmode || !*nmode || streq(nmode, "default"))
		json_object_set_new(c->host_config, "NetworkMode", json_string("bridge"));
	nm = net_mode_of(c->host_config);
	if (!hn || !*hn) {
		char h[13];
		snprintf(h, sizeof(h), "%.12s", c->id);
		if (nm == CTR_NET_HOST) {
			char buf[256] = "";
			gethostname(buf, sizeof(buf) - 1);
			json_object_set_new(c->config, "Hostname", json_string(buf));
		} else
			json_object_set_new(c->config, "Hostname", json_string(h));
	}
	/* name */
	pthread_mutex_lock(&m->mu);
	if (name && *name) {
		snprintf(c->name, sizeof(c->name), "/%s", name[0] == '/' ? name + 1 : name);
		if (name_taken_locked(m, c->name)) {
			struct ctr *o = NULL;
			for (size_t i = 0; i < m->n; i++)
				if (streq(m->v[i]->name, c->name))
					o = m->v[i];
			pthread_mutex_unlock(&m->mu);
			berr_set(err, BERR_CONFLICT, 0,
				 "Conflict. The container name \"%s\" is already in use by container \"%s\". You have "
				 "to remove (or rename) that container to be able to reuse that name.",
				 c->name, o ? o->id : "");
			ctr_free(c);
			return -EEXIST;
		}
	} else {
		for (unsigned tries = 0;; tries++) {
			uint32_t rnd[2];
			if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
				rnd[0] = rnd[1] = tries;
			snprintf(c->name, sizeof(c->name), "/%s_%s", adjectives[rnd[0] % ARRAY_SIZE(adjectives)],
				 nouns[rnd[1] % ARRAY_SIZE(nouns)]);
			if (tries > 10)
				snprintf(c->name + strlen(c->name), sizeof(c->name) - strlen(c->name), "%u", rnd[0] % 10);
			if (!name_taken_locked(m, c->name))
				break;
		}
	}
	struct ctr **nv = realloc(m->v, (m->n + 1) * sizeof(*nv));
	if (!nv) {
		pthread_mutex_unlock(&m->mu);
		ctr_free(c);
		return -ENOMEM;
	}
	m->v = nv;
	m->v[m->n++] = c;
	c->removing = true; /* not visible to saves until set up */
	pthread_mutex_unlock(&m->mu);

	/* directories and /etc files */
	const char *sub[] = { "", "/upper", "/work", "/merged" };
	for (size_t i = 0; i < ARRAY_SIZE(sub) && r >= 0; i++) {
		_cleanup_free_ char *p = NULL;
		if (asprintf(&p, "%s%s", c->dir, sub[i]) < 0)
			r = -ENOMEM;
		else if (mkdir(p, i ? 0755 : 0710) < 0)
			r = berr_set(err, BERR_INTERNAL, errno, "creating %s", p);
	}
	if (r >= 0) {
		int dfd = open(c->dir, O_DIRECTORY | O_CLOEXEC);
		struct ctr_etc_input ei = {
			.hostname = json_string_value(json_object_get(c->config, "Hostname")),
			.domainname = json_string_value(json_object_get(c->config, "Domainname")),
			.net_mode = nm,
			.host_config = c->host_config,
		};
		r = dfd < 0 ? berr_set(err, BERR_INTERNAL, errno, "opening %s", c->dir) : ctr_etc_files(dfd, &ei, err);
		if (dfd >= 0)
			close(dfd);
	}
	if (r < 0) {
		rm_rf_at(AT_FDCWD, c->dir);
		pthread_mutex_lock(&m->mu);
		for (size_t i = 0; i < m->n; i++)
			if (m->v[i] == c) {
				m->v[i] = m->v[--m->n];
				break;
			}
		pthread_mutex_unlock(&m->mu);
		ctr_free(c);
		return r;
	}
	pthread_mutex_lock(&m->mu);
	c->removing = false;
	pthread_mutex_unlock(&m->mu);
	save(m, c);
	memcpy(ret_id, c->id, 65);
	containers_event(m, c, "create", NULL);
	return 0;
}

/* ---- exit handling ---- */

static void read_exit_file(struct ctr *c, int *code, int64_t *finished)
{
	_cleanup_free_ char *p = NULL, *s = NULL;
	*finished = now_ns();
	if (asprintf(&p, "%s/exit.json", c->dir) < 0 || read_file_at(AT_FDCWD, p, &s, NULL) < 0)
		return;
	_cleanup_json_ json_t *j = json_loads(s, 0, NULL);
	if (!j)
		return;
	*code = (int)json_integer_value(json_object_get(j, "exit_code"));
	const char *f = json_string_value(json_object_get(j, "finished_at"));
	int64_t t;
	_cleanup_berr_ struct berr e = { 0 };
	if (f && api_parse_time(f, now_ns(), &t, &e) == 0 && t > 0)
		*finished = t;
}

static int remove_locked_out(struct containers *m, struct ctr *c, bool force, bool from_watcher, struct berr *err);

static void record_exit(struct containers *m, struct ctr *c, int code, bool have_code)
{
	int64_t fin;
	int fcode = code;
	read_exit_file(c, &fcode, &fin);
	if (!have_code)
		code = fcode;
	unmount_rootfs(m, c);
	pthread_mutex_lock(&m->mu);
	c->state = CTR_EXITED;
	c->exit_code = code;
	c->finished_ns = fin;
	c->pid = 0;
	c->shim_ready = false;
	c->exit_gen++;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	save(m, c);
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", code);
	containers_event(m, c, "die", json_pack("{s:s}", "exitCode", buf));
}

static bool auto_remove(struct ctr *c)
{
	return json_is_true(json_object_get(c->host_config, "AutoRemove"));
}

static void *watcher(void *arg)
{
	void **a = arg;
	struct containers *m = a[0];
	struct ctr *c = a[1];
	free(a);
	json_t *rep = NULL;
	int r = shim_call(c->sock, json_pack("{s:s}", "op", "wait"), 0, &rep);
	int code = 0;
	bool have = false;
	if (r == 0 && json_is_integer(json_object_get(rep, "exit_code"))) {
		code = (int)json_integer_value(json_object_get(rep, "exit_code"));
		have = true;
	}
	json_decref(rep);
	/* let the shim write its exit file and go (bounded) */
	for (int i = 0; i < 50 && access(c->sock, F_OK) == 0; i++)
		usleep(20000);
	pthread_mutex_lock(&m->mu);
	bool closing = m->closing && r < 0;
	pthread_mutex_unlock(&m->mu);
	if (!closing) {
		record_exit(m, c, code, have);
		if (auto_remove(c)) {
			_cleanup_berr_ struct berr e = { 0 };
			remove_locked_out(m, c, true, true, &e);
		}
	}
	pthread_mutex_lock(&m->mu);
	m->watchers--;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	ctr_unref(m, c);
	return NULL;
}

static int start_watcher(struct containers *m, struct ctr *c)
{
	void **a = malloc(2 * sizeof(void *));
	if (!a)
		return -ENOMEM;
	a[0] = m;
	a[1] = c;
	pthread_mutex_lock(&m->mu);
	c->refs++;
	m->watchers++;
	pthread_mutex_unlock(&m->mu);
	pthread_t t;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&t, &at, watcher, a);
	pthread_attr_destroy(&at);
	if (r) {
		free(a);
		pthread_mutex_lock(&m->mu);
		c->refs--;
		m->watchers--;
		pthread_mutex_unlock(&m->mu);
		return -r;
	}
	return 0;
}

/* ---- start ---- */

static int exit_code_for(const char *msg)
{
	if (strstr(msg, "executable file not found") || strstr(msg, "no such file or directory") ||
	    strstr(msg, "No such file or directory"))
		return 127;
	if (strstr(msg, "permission denied") || strstr(msg, "Permission denied") || strstr(msg, "is a directory"))
		return 126;
	return 128;
}

static int start_failed(struct containers *m, struct ctr *c, const char *msg, struct berr *err)
{
	unmount_rootfs(m, c);
	pthread_mutex_lock(&m->mu);
	c->state = CTR_EXITED;
	c->exit_code = exit_code_for(msg);
	c->finished_ns = now_ns();
	free(c->error);
	c->error = strdup(msg);
	c->shim_ready = false;
	c->exit_gen++;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	save(m, c);
	return berr_set(err, BERR_INTERNAL, 0, "failed to create task for container: %s", msg);
}

static int spawn_shim(struct containers *m, struct ctr *c, int *ret_pid, char *msg, size_t msgn)
{
	_cleanup_free_ char *exitf = NULL, *errf = NULL;
	if (asprintf(&exitf, "%s/exit.json", c->dir) < 0 || asprintf(&errf, "%s/shim.err", c->dir) < 0)
		return -ENOMEM;
	unlink(exitf);
	bool tty = json_is_true(json_object_get(c->config, "Tty"));
	bool in = json_is_true(json_object_get(c->config, "OpenStdin"));
	const char *argv[24];
	size_t n = 0;
	argv[n++] = m->shim_path;
	argv[n++] = "--id";
	argv[n++] = c->id;
	argv[n++] = "--bundle";
	argv[n++] = c->dir;
	argv[n++] = "--runtime-root";
	argv[n++] = m->runtime_root;
	argv[n++] = "--socket";
	argv[n++] = c->sock;
	argv[n++] = "--log";
	argv[n++] = c->log_path;
	argv[n++] = "--exit-file";
	argv[n++] = exitf;
	argv[n++] = "--ready-fd";
	argv[n++] = "3";
	if (tty)
		argv[n++] = "--tty";
	if (in)
		argv[n++] = "--stdin";
	argv[n] = NULL;
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return neg_errno();
	int errfd = open(errf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	pid_t pid = fork();
	if (pid < 0) {
		int r = neg_errno();
		close(p[0]);
		close(p[1]);
		if (errfd >= 0)
			close(errfd);
		return r;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		if (nul < 0)
			_exit(127);
		dup2(nul, 0);
		dup2(nul, 1);
		dup2(errfd >= 0 ? errfd : nul, 2);
		if (dup2(p[1], 3) < 0)
			_exit(127);
		close_range(4, ~0U, 0);
		sigset_t s;
		sigemptyset(&s);
		sigprocmask(SIG_SETMASK, &s, NULL);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	if (errfd >= 0)
		close(errfd);
	char line[4096] = "";
	struct pollfd pf = { .fd = p[0], .events = POLLIN };
	int r = poll(&pf, 1, 60000);
	if (r > 0)
		r = read_line(p[0], line, sizeof(line));
	else
		r = -ETIMEDOUT;
	close(p[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0) {
		_cleanup_free_ char *e = NULL;
		read_file_at(AT_FDCWD, errf, &e, NULL);
		snprintf(msg, msgn, "berth-shim did not start: %s", e && *e ? e : strerror(-r));
		return -EIO;
	}
	if (str_startswith(line, "ok ")) {
		*ret_pid = atoi(line + 3);
		return 0;
	}
	snprintf(msg, msgn, "%s", str_startswith(line, "error ") ? line + 6 : line);
	return -EIO;
}

int containers_start(struct containers *m, struct ctr *c, struct berr *err)
{
	pthread_mutex_lock(&m->mu);
	if (c->removing || c->removed) {
		pthread_mutex_unlock(&m->mu);
		return berr_set(err, BERR_CONFLICT, 0, "container %s is marked for removal and cannot be started", c->id);
	}
	if (c->state == CTR_RUNNING || c->shim_ready || c->stopping) {
		pthread_mutex_unlock(&m->mu);
		return 1;
	}
	c->stopping = true; /* starting: keeps a second start out */
	pthread_mutex_unlock(&m->mu);
	char msg[4096] = "";
	int pid = 0, r;
	if ((r = mount_rootfs(m, c, err)) < 0 || (r = write_bundle(m, c, err)) < 0) {
		unmount_rootfs(m, c);
		pthread_mutex_lock(&m->mu);
		c->stopping = false;
		pthread_mutex_unlock(&m->mu);
		return r;
	}
	r = spawn_shim(m, c, &pid, msg, sizeof(msg));
	if (r < 0) {
		pthread_mutex_lock(&m->mu);
		c->stopping = false;
		pthread_mutex_unlock(&m->mu);
		return start_failed(m, c, msg, err);
	}
	/* let attach streams connect before the process runs (bounded) */
	pthread_mutex_lock(&m->mu);
	c->shim_ready = true;
	pthread_cond_broadcast(&m->cv);
	for (int i = 0; i < 50 && c->attach_waiting > 0; i++)
		cwait(m, 100);
	pthread_mutex_unlock(&m->mu);
	_cleanup_berr_ struct berr e2 = { 0 };
	if (shim_simple(c, json_pack("{s:s}", "op", "start"), &e2) < 0) {
		_cleanup_berr_ struct berr e3 = { 0 };
		shim_simple(c, json_pack("{s:s, s:i, s:b}", "op", "kill", "signal", SIGKILL, "all", 1), &e3);
		pthread_mutex_lock(&m->mu);
		c->stopping = false;
		pthread_mutex_unlock(&m->mu);
		return start_failed(m, c, e2.msg ? e2.msg : "start failed", err);
	}
	pthread_mutex_lock(&m->mu);
	c->state = CTR_RUNNING;
	c->pid = pid;
	c->started_ns = now_ns();
	c->exit_code = 0;
	free(c->error);
	c->error = NULL;
	c->stopping = false;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	save(m, c);
	containers_event(m, c, "start", NULL);
	if (start_watcher(m, c) < 0)
		dlog_error("container %s: cannot watch its shim", c->id);
	return 0;
}

/* ---- signals, stop, wait ---- */

int containers_kill(struct containers *m, struct ctr *c, int sig, struct berr *err)
{
	pthread_mutex_lock(&m->mu);
	bool running = c->state == CTR_RUNNING;
	pthread_mutex_unlock(&m->mu);
	if (!running)
		return berr_set(err, BERR_CONFLICT, 0, "container %s is not running", c->id);
	int r = shim_simple(c, json_pack("{s:s, s:i, s:b}", "op", "kill", "signal", sig, "all", 0), err);
	if (r < 0)
		return r;
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", sig);
	containers_event(m, c, "kill", json_pack("{s:s}", "signal", buf));
	return 0;
}

/* Wait until c is not running, at most ms; true when it stopped. */
static bool wait_stopped(struct containers *m, struct ctr *c, unsigned ms)
{
	struct timespec end;
	deadline_in(&end, ms);
	pthread_mutex_lock(&m->mu);
	while (c->state == CTR_RUNNING) {
		if (pthread_cond_timedwait(&m->cv, &m->mu, &end) == ETIMEDOUT)
			break;
	}
	bool ok = c->state != CTR_RUNNING;
	pthread_mutex_unlock(&m->mu);
	return ok;
}

int containers_stop(struct containers *m, struct ctr *c, int timeout, struct berr *err)
{
	pthread_mutex_lock(&m->mu);
	bool running = c->state == CTR_RUNNING;
	pthread_mutex_unlock(&m->mu);
	if (!running)
		return 1;
	int sig = SIGTERM;
	const char *ss = json_string_value(json_object_get(c->config, "StopSignal"));
	if (ss && *ss && ctr_signal_parse(ss) > 0)
		sig = ctr_signal_parse(ss);
	if (timeout < 0) {
		json_t *st = json_object_get(c->config, "StopTimeout");
		timeout = json_is_integer(st) ? (int)json_integer_value(st) : 10;
	}
	_cleanup_berr_ struct berr e = { 0 };
	if (containers_kill(m, c, sig, &e) < 0 && !wait_stopped(m, c, 0))
		dlog_debug("stop %s: %s", c->id, e.msg);
	if (timeout < 0 || !wait_stopped(m, c, (unsigned)timeout * 1000u)) {
		berr_clear(&e);
		containers_kill(m, c, SIGKILL, &e);
		if (!wait_stopped(m, c, 15000))
			return berr_set(err, BERR_INTERNAL, 0, "container %s did not stop", c->id);
	}
	containers_event(m, c, "stop", NULL);
	return 0;
}

int containers_resize(struct containers *m, struct ctr *c, int h, int w, struct berr *err)
{
	pthread_mutex_lock(&m->mu);
	bool running = c->state == CTR_RUNNING || c->shim_ready;
	pthread_mutex_unlock(&m->mu);
	if (!running)
		return berr_set(err, BERR_CONFLICT, 0, "container %s is not running", c->id);
	return shim_simple(c, json_pack("{s:s, s:i, s:i}", "op", "resize", "height", h, "width", w), err);
}

int containers_wait(struct containers *m, struct ctr *c, enum ctr_wait_cond cond, bool (*gone)(void *), void *ud,
		    int *ret_code)
{
	pthread_mutex_lock(&m->mu);
	uint64_t gen = c->exit_gen;
	int r = 0;
	for (;;) {
		if (cond == CTR_WAIT_NOT_RUNNING && c->state != CTR_RUNNING && !c->shim_ready)
			break;
		if (cond == CTR_WAIT_NEXT_EXIT && (c->exit_gen != gen || c->removed))
			break;
		if (cond == CTR_WAIT_REMOVED && c->removed)
			break;
		if (m->closing) {
			r = -ESHUTDOWN;
			break;
		}
		pthread_mutex_unlock(&m->mu);
		bool g = gone && gone(ud);
		pthread_mutex_lock(&m->mu);
		if (g) {
			r = -ECANCELED;
			break;
		}
		cwait(m, 250);
	}
	*ret_code = c->exit_code;
	pthread_mutex_unlock(&m->mu);
	return r;
}

int containers_attach(struct containers *m, struct ctr *c, bool in, bool out, bool errs, bool (*gone)(void *),
		      void *ud, int *ret_fd, struct berr *err)
{
	pthread_mutex_lock(&m->mu);
	bool counted = false;
	int r = 0;
	for (;;) {
		if (c->removed || c->removing) {
			r = berr_set(err, BERR_NOT_FOUND, 0, "No such container: %s", c->id);
			break;
		}
		if (c->shim_ready && c->state != CTR_EXITED)
			break;
		if (c->state == CTR_EXITED && !counted) {
			r = berr_set(err, BERR_CONFLICT, 0, "You cannot attach to a stopped container, start it first");
			break;
		}
		if (counted && c->state == CTR_EXITED) {
			r = berr_set(err, BERR_CONFLICT, 0, "container %s exited", c->id);
			break;
		}
		if (!counted) {
			counted = true;
			c->attach_waiting++;
		}
		pthread_mutex_unlock(&m->mu);
		bool g = gone && gone(ud);
		pthread_mutex_lock(&m->mu);
		if (g) {
			r = -ECANCELED;
			berr_set(err, BERR_INTERNAL, ECANCELED, "client gone");
			break;
		}
		cwait(m, 200);
	}
	pthread_mutex_unlock(&m->mu);
	int fd = -1;
	if (r == 0) {
		fd = shim_connect(c->sock, 10000);
		if (fd < 0)
			r = berr_set(err, BERR_INTERNAL, -fd, "attaching to %s", c->id);
	}
	if (r == 0) {
		bool once = json_is_true(json_object_get(c->config, "StdinOnce"));
		char line[1024];
		_cleanup_json_ json_t *req = json_pack("{s:s, s:b, s:b, s:b, s:b}", "op", "attach", "stdin", in,
						       "stdout", out, "stderr", errs, "stdin_once", once);
		if (shim_send(fd, req) < 0 || read_line(fd, line, sizeof(line)) < 0 || !strstr(line, "\"ok\"")) {
			r = berr_set(err, BERR_INTERNAL, 0, "attaching to %s failed", c->id);
		} else {
			struct timeval tv = { 0 };
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		}
	}
	pthread_mutex_lock(&m->mu);
	if (counted) {
		c->attach_waiting--;
		pthread_cond_broadcast(&m->cv);
	}
	pthread_mutex_unlock(&m->mu);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	*ret_fd = fd;
	containers_event(m, c, "attach", NULL);
	return 0;
}

/* ---- remove ---- */

static int remove_locked_out(struct containers *m, struct ctr *c, bool force, bool from_watcher, struct berr *err)
{
	pthread_mutex_lock(&m->mu);
	if (c->removed || c->removing) {
		pthread_mutex_unlock(&m->mu);
		if (from_watcher)
			return 0;
		return berr_set(err, BERR_CONFLICT, 0, "removal of container %s is already in progress", c->id);
	}
	bool running = c->state == CTR_RUNNING || c->shim_ready;
	pthread_mutex_unlock(&m->mu);
	if (running) {
		if (!force)
			return berr_set(err, BERR_CONFLICT, 0,
					"cannot remove container \"%s\": container is running: stop the container "
					"before removing or force remove",
					c->name);
		_cleanup_berr_ struct berr e = { 0 };
		containers_kill(m, c, SIGKILL, &e);
		if (!wait_stopped(m, c, 15000))
			return berr_set(err, BERR_INTERNAL, 0, "could not kill container %s", c->id);
	}
	pthread_mutex_lock(&m->mu);
	if (c->removed || c->removing) {
		pthread_mutex_unlock(&m->mu);
		return 0;
	}
	c->removing = true;
	pthread_mutex_unlock(&m->mu);
	unmount_rootfs(m, c);
	rm_rf_at(AT_FDCWD, c->dir);
	db_delete(m, c->id);
	pthread_mutex_lock(&m->mu);
	bool listed = false;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i] == c) {
			memmove(m->v + i, m->v + i + 1, (m->n - i - 1) * sizeof(*m->v));
			m->n--;
			listed = true;
			break;
		}
	pthread_mutex_unlock(&m->mu);
	containers_event(m, c, "destroy", NULL); /* before waiters on "removed" return */
	pthread_mutex_lock(&m->mu);
	c->removed = true;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	if (listed)
		ctr_unref(m, c);
	return 0;
}

int containers_remove(struct containers *m, struct ctr *c, bool force, struct berr *err)
{
	return remove_locked_out(m, c, force, false, err);
}

/* ---- open / close ---- */

static char *find_shim(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			char *p = NULL;
			if (asprintf(&p, "%s/berth-shim", self) >= 0 && access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	const char *env = getenv("BERTH_SHIM");
	if (env && access(env, X_OK) == 0)
		return strdup(env);
	return strdup("berth-shim");
}

static int load_all(struct containers *m)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(m->db, "SELECT data FROM containers", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		_cleanup_json_ json_t *j = s ? json_loads(s, 0, NULL) : NULL;
		struct ctr *c = j ? record_from_json(m, j) : NULL;
		if (!c)
			continue;
		struct ctr **nv = realloc(m->v, (m->n + 1) * sizeof(*nv));
		if (!nv) {
			ctr_free(c);
			break;
		}
		m->v = nv;
		m->v[m->n++] = c;
	}
	sqlite3_finalize(st);
	for (size_t i = 0; i < m->n; i++) {
		struct ctr *c = m->v[i];
		if (c->state != CTR_RUNNING)
			continue;
		json_t *rep = NULL;
		bool alive = shim_call(c->sock, json_pack("{s:s}", "op", "state"), 2000, &rep) == 0 &&
			     streq(json_string_value(json_object_get(rep, "status")), "running");
		json_decref(rep);
		if (alive) {
			c->shim_ready = true;
			start_watcher(m, c);
		} else {
			int code = c->exit_code;
			int64_t fin;
			read_exit_file(c, &code, &fin);
			unmount_rootfs(m, c);
			c->state = CTR_EXITED;
			c->exit_code = code;
			c->finished_ns = fin;
			c->pid = 0;
			save(m, c);
		}
	}
	return 0;
}

int containers_open(struct daemon *d, struct containers **ret, struct berr *err)
{
	struct containers *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->d = d;
	pthread_mutex_init(&m->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_cond_init(&m->cv, &ca);
	pthread_condattr_destroy(&ca);
	_cleanup_free_ char *dbp = NULL;
	if (asprintf(&m->root, "%s/containers", d->cfg->data_root) < 0 ||
	    asprintf(&m->shim_dir, "%s/shims", d->cfg->exec_root) < 0 ||
	    asprintf(&m->runtime_root, "%s/runtime", d->cfg->exec_root) < 0 ||
	    asprintf(&dbp, "%s/containers.db", d->cfg->data_root) < 0 || !(m->shim_path = find_shim())) {
		containers_close(m);
		return -ENOMEM;
	}
	mkdir_p(m->root, 0700);
	mkdir_p(m->shim_dir, 0700);
	mkdir_p(m->runtime_root, 0700);
	if (sqlite3_open_v2(dbp, &m->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
		    SQLITE_OK ||
	    sqlite3_busy_timeout(m->db, 10000) != SQLITE_OK ||
	    sqlite3_exec(m->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE IF NOT EXISTS containers("
			 "id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, data TEXT NOT NULL);",
			 NULL, NULL, NULL) != SQLITE_OK) {
		berr_set(err, BERR_INTERNAL, 0, "opening %s: %s", dbp, m->db ? sqlite3_errmsg(m->db) : "out of memory");
		containers_close(m);
		return -EIO;
	}
	_cleanup_berr_ struct berr e = { 0 };
	if (ctr_seccomp_default_load(&m->seccomp, &e) < 0)
		dlog_warn("no default seccomp profile: %s", e.msg);
	load_all(m);
	*ret = m;
	return 0;
}

void containers_close(struct containers *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->mu);
	m->closing = true;
	pthread_cond_broadcast(&m->cv);
	pthread_mutex_unlock(&m->mu);
	/* watchers block on shims that outlive us: they are left running; the
	 * records stay valid (leaked on purpose) so they can finish safely. */
	bool idle;
	pthread_mutex_lock(&m->mu);
	idle = m->watchers == 0;
	pthread_mutex_unlock(&m->mu);
	if (!idle)
		return;
	for (size_t i = 0; i < m->n; i++)
		ctr_unref(m, m->v[i]);
	free(m->v);
	if (m->db)
		sqlite3_close(m->db);
	json_decref(m->seccomp);
	free(m->root);
	free(m->shim_dir);
	free(m->runtime_root);
	free(m->shim_path);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	free(m);
}
