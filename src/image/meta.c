/* meta.c - see meta.h. */
#include "meta.h"

#include <stdarg.h>
#include <string.h>

#include "base/util.h"

#define SCHEMA_VERSION 1

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS images("
	"  id TEXT PRIMARY KEY, config_digest TEXT NOT NULL, parent TEXT,"
	"  created INTEGER NOT NULL, size INTEGER NOT NULL,"
	"  last_tag_time INTEGER NOT NULL DEFAULT 0, added INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS images_parent ON images(parent);"
	"CREATE TABLE IF NOT EXISTS tags("
	"  ref TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id), seq INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS tags_image ON tags(image_id);"
	"CREATE TABLE IF NOT EXISTS repo_digests("
	"  ref TEXT PRIMARY KEY, image_id TEXT NOT NULL REFERENCES images(id), seq INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS repo_digests_image ON repo_digests(image_id);"
	"CREATE TABLE IF NOT EXISTS layers("
	"  chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT,"
	"  size INTEGER NOT NULL, blob TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS image_layers("
	"  image_id TEXT NOT NULL REFERENCES images(id), idx INTEGER NOT NULL,"
	"  chain_id TEXT NOT NULL REFERENCES layers(chain_id), PRIMARY KEY(image_id, idx));"
	"CREATE INDEX IF NOT EXISTS image_layers_chain ON image_layers(chain_id);";

static int db_err(sqlite3 *db, struct berr *err, const char *what)
{
	return berr_set_msg(err, BERR_INTERNAL, EIO, "%s: %s", what, sqlite3_errmsg(db));
}

/* Prepare sql and bind arguments by types: 's' text (NULL allowed), 'i' int64. */
static int prep(sqlite3 *db, sqlite3_stmt **ret, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	va_list ap;
	va_start(ap, types);
	int rc = SQLITE_OK;
	for (int i = 0; types[i] && rc == SQLITE_OK; i++) {
		if (types[i] == 's') {
			const char *s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(st, i + 1, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i + 1);
		} else {
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		return -EIO;
	}
	*ret = st;
	return 0;
}

static void finalizep(sqlite3_stmt **st) { sqlite3_finalize(*st); }
#define _cleanup_stmt_ _cleanup_(finalizep)

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_CONSTRAINT ? -EEXIST : rc == SQLITE_BUSY ? -EBUSY : -EIO;
}

/* Run a statement without results. */
#define EXEC(db, sql, types, ...)                                                \
	({                                                                       \
		_cleanup_stmt_ sqlite3_stmt *_st = NULL;                         \
		int _r = prep(db, &_st, sql, types, ##__VA_ARGS__);              \
		_r < 0 ? _r : step_done(_st);                                    \
	})

/* Collect the first column of every row as strings. */
static int collect(sqlite3_stmt *st, char ***ret)
{
	char **v = NULL;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		if (strv_push(&v, s ? s : "") < 0) {
			strv_free(v);
			return -ENOMEM;
		}
	}
	if (rc != SQLITE_DONE) {
		strv_free(v);
		return -EIO;
	}
	if (!v && !(v = calloc(1, sizeof(char *))))
		return -ENOMEM;
	*ret = v;
	return 0;
}

#define COLLECT(db, ret, sql, types, ...)                                        \
	({                                                                       \
		_cleanup_stmt_ sqlite3_stmt *_st = NULL;                         \
		int _r = prep(db, &_st, sql, types, ##__VA_ARGS__);              \
		_r < 0 ? _r : collect(_st, ret);                                 \
	})

static int check_version(sqlite3 *db, struct berr *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	if (prep(db, &st, "SELECT version FROM schema_version", "") < 0)
		return db_err(db, err, "reading the schema version");
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		if (EXEC(db, "INSERT INTO schema_version(version) VALUES(?)", "i", (int64_t)SCHEMA_VERSION) < 0)
			return db_err(db, err, "writing the schema version");
		return 0;
	}
	if (rc != SQLITE_ROW)
		return db_err(db, err, "reading the schema version");
	int64_t v = sqlite3_column_int64(st, 0);
	if (v != SCHEMA_VERSION)
		return berr_set_msg(err, BERR_INTERNAL, EPROTO,
				    "image metadata has schema version %lld, this berth knows %d", (long long)v,
				    SCHEMA_VERSION);
	return 0;
}

int meta_open(const char *path, sqlite3 **ret, struct berr *err)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		int r = berr_set_msg(err, BERR_INTERNAL, EIO, "opening %s: %s", path,
				     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return r;
	}
	sqlite3_busy_timeout(db, 10000);
	int r = 0;
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", NULL,
			 NULL, NULL) != SQLITE_OK)
		r = db_err(db, err, "configuring the image database");
	if (r >= 0 && meta_begin(db, err) >= 0) {
		if (sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK)
			r = db_err(db, err, "creating the image tables");
		if (r >= 0)
			r = check_version(db, err);
		if (r >= 0)
			r = meta_commit(db, err);
		else
			meta_rollback(db);
	} else if (r >= 0) {
		r = berr_code(err);
	}
	if (r < 0) {
		sqlite3_close(db);
		return r;
	}
	*ret = db;
	return 0;
}

void meta_close(sqlite3 *db) { sqlite3_close(db); }

int meta_begin_read(sqlite3 *db, struct berr *err)
{
	if (sqlite3_exec(db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, err, "starting a read transaction");
	return 0;
}

int meta_begin(sqlite3 *db, struct berr *err)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_err(db, err, "starting a transaction");
	return 0;
}

int meta_commit(sqlite3 *db, struct berr *err)
{
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int r = db_err(db, err, "committing image metadata");
		meta_rollback(db);
		return r;
	}
	return 0;
}

void meta_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

void meta_image_release(struct meta_image *m)
{
	free(m->parent);
	free(m->layers);
	m->parent = NULL;
	m->layers = NULL;
	m->n_layers = 0;
}

int meta_image_exists(sqlite3 *db, const char *id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prep(db, &st, "SELECT 1 FROM images WHERE id = ?", "s", id);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

static void copy_digest(digest_t dst, const unsigned char *src)
{
	str_copy(dst, sizeof(digest_t), src ? (const char *)src : "");
}

static int image_layers_get(sqlite3 *db, struct meta_image *m)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prep(db, &st,
		     "SELECT l.chain_id, l.diff_id, l.size FROM image_layers il JOIN layers l USING(chain_id)"
		     " WHERE il.image_id = ? ORDER BY il.idx",
		     "s", m->id);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct meta_layer *nl = realloc(m->layers, (m->n_layers + 1) * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		m->layers = nl;
		struct meta_layer *l = &nl[m->n_layers++];
		copy_digest(l->chain_id, sqlite3_column_text(st, 0));
		copy_digest(l->diff_id, sqlite3_column_text(st, 1));
		l->size = (uint64_t)sqlite3_column_int64(st, 2);
	}
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int meta_image_get(sqlite3 *db, const char *id, struct meta_image *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prep(db, &st, "SELECT parent, created, size, last_tag_time FROM images WHERE id = ?", "s", id);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	struct meta_image m = { 0 };
	str_copy(m.id, sizeof(m.id), id);
	const unsigned char *parent = sqlite3_column_text(st, 0);
	if (parent && !(m.parent = strdup((const char *)parent)))
		return -ENOMEM;
	m.created = sqlite3_column_int64(st, 1);
	m.size = (uint64_t)sqlite3_column_int64(st, 2);
	m.last_tag_time = sqlite3_column_int64(st, 3);
	r = image_layers_get(db, &m);
	if (r < 0) {
		meta_image_release(&m);
		return r;
	}
	*ret = m;
	return 0;
}

int meta_image_ids(sqlite3 *db, char ***ret)
{
	return COLLECT(db, ret, "SELECT id FROM images ORDER BY created DESC, added DESC, id", "");
}

int meta_image_by_prefix(sqlite3 *db, const char *prefix, char ***ret)
{
	/* The prefix is hex checked by the caller, so it holds no LIKE/GLOB
	 * metacharacters; substr() keeps the comparison exact anyway. */
	return COLLECT(db, ret, "SELECT id FROM images WHERE substr(id, 1, length(?1)) = ?1 LIMIT 2", "s", prefix);
}

int meta_image_children(sqlite3 *db, const char *id, char ***ret)
{
	return COLLECT(db, ret, "SELECT id FROM images WHERE parent = ?", "s", id);
}

int meta_image_insert(sqlite3 *db, const struct meta_image *m)
{
	int r = meta_image_exists(db, m->id);
	if (r != 0)
		return r < 0 ? r : 0;
	r = EXEC(db,
		 "INSERT INTO images(id, config_digest, parent, created, size, added)"
		 " VALUES(?, ?, ?, ?, ?, (SELECT COALESCE(MAX(added), 0) + 1 FROM images))",
		 "sssii", m->id, m->id, m->parent, m->created, (int64_t)m->size);
	for (size_t i = 0; r >= 0 && i < m->n_layers; i++)
		r = EXEC(db, "INSERT INTO image_layers(image_id, idx, chain_id) VALUES(?, ?, ?)", "sis", m->id,
			 (int64_t)i, m->layers[i].chain_id);
	return r;
}

int meta_image_delete(sqlite3 *db, const char *id, char ***ret_chains, uint64_t **ret_sizes)
{
	_cleanup_strv_free_ char **chains = NULL;
	int r = COLLECT(db, &chains, "SELECT chain_id FROM image_layers WHERE image_id = ? ORDER BY idx DESC", "s",
			id);
	if (r < 0)
		return r;
	r = EXEC(db, "DELETE FROM image_layers WHERE image_id = ?", "s", id);
	if (r >= 0)
		r = EXEC(db, "DELETE FROM images WHERE id = ?", "s", id);
	if (r < 0)
		return r;
	_cleanup_strv_free_ char **gone = NULL;
	_cleanup_free_ uint64_t *sizes = calloc(strv_length(chains) + 1, sizeof(uint64_t));
	if (!sizes)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; chains[i]; i++) {
		r = meta_chain_used(db, chains[i]);
		if (r != 0) {
			if (r < 0)
				return r;
			continue;
		}
		uint64_t size = 0;
		if (meta_layer_size(db, chains[i], &size) < 0)
			continue; /* listed twice (a repeated layer): already gone */
		r = EXEC(db, "DELETE FROM layers WHERE chain_id = ?", "s", chains[i]);
		if (r < 0 || (r = strv_push(&gone, chains[i])) < 0)
			return r;
		sizes[n++] = size;
	}
	if (ret_chains)
		*ret_chains = gone ? TAKE_PTR(gone) : calloc(1, sizeof(char *));
	if (ret_sizes)
		*ret_sizes = TAKE_PTR(sizes);
	return 0;
}

int meta_image_touch_tag(sqlite3 *db, const char *id, int64_t now)
{
	return EXEC(db, "UPDATE images SET last_tag_time = ? WHERE id = ?", "is", now, id);
}

int meta_layer_size(sqlite3 *db, const char *chain_id, uint64_t *ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prep(db, &st, "SELECT size FROM layers WHERE chain_id = ?", "s", chain_id);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	*ret = (uint64_t)sqlite3_column_int64(st, 0);
	return 0;
}

int meta_layer_insert(sqlite3 *db, const struct meta_layer *l, const char *parent_chain)
{
	return EXEC(db, "INSERT OR IGNORE INTO layers(chain_id, diff_id, parent, size, blob) VALUES(?, ?, ?, ?, ?)",
		    "sssis", l->chain_id, l->diff_id, parent_chain, (int64_t)l->size, l->diff_id);
}

static int sum_query(sqlite3 *db, uint64_t *ret, const char *sql, const char *types, const char *arg)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prep(db, &st, sql, types, arg);
	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return -EIO;
	*ret = (uint64_t)sqlite3_column_int64(st, 0);
	return 0;
}

int meta_layers_total(sqlite3 *db, uint64_t *ret)
{
	return sum_query(db, ret, "SELECT COALESCE(SUM(size), 0) FROM layers", "", NULL);
}

int meta_layers_shared(sqlite3 *db, const char *id, uint64_t *ret)
{
	return sum_query(db, ret,
			 "SELECT COALESCE(SUM(size), 0) FROM layers WHERE chain_id IN"
			 " (SELECT chain_id FROM image_layers WHERE image_id = ?1 AND chain_id IN"
			 "  (SELECT chain_id FROM image_layers WHERE image_id != ?1))",
			 "s", id);
}

static const char *ref_table(const char *ref) { return strchr(ref, '@') ? "repo_digests" : "tags"; }

int meta_ref_lookup(sqlite3 *db, const char *ref, digest_t ret_id)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT image_id FROM %s WHERE ref = ?", ref_table(ref));
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prep(db, &st, sql, "s", ref);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	copy_digest(ret_id, sqlite3_column_text(st, 0));
	return 0;
}

int meta_ref_set(sqlite3 *db, const char *ref, const char *id, digest_t ret_old)
{
	digest_t old = "";
	int r = meta_ref_lookup(db, ref, old);
	if (r < 0 && r != -ENOENT)
		return r;
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "INSERT OR REPLACE INTO %s(ref, image_id, seq) VALUES(?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM %s))",
		 ref_table(ref), ref_table(ref));
	if (!streq(old, id))
		r = EXEC(db, sql, "ss", ref, id);
	else
		r = 0;
	if (r >= 0 && ret_old)
		memcpy(ret_old, old, sizeof(digest_t));
	return r;
}

int meta_ref_delete(sqlite3 *db, const char *ref)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE ref = ?", ref_table(ref));
	return EXEC(db, sql, "s", ref);
}

int meta_image_refs(sqlite3 *db, const char *id, char ***ret_tags, char ***ret_digests)
{
	_cleanup_strv_free_ char **tags = NULL;
	int r = COLLECT(db, &tags, "SELECT ref FROM tags WHERE image_id = ? ORDER BY seq", "s", id);
	if (r >= 0 && ret_digests)
		r = COLLECT(db, ret_digests, "SELECT ref FROM repo_digests WHERE image_id = ? ORDER BY seq", "s", id);
	if (r < 0)
		return r;
	*ret_tags = TAKE_PTR(tags);
	return 0;
}

static int exists_query(sqlite3 *db, const char *sql, const char *arg)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prep(db, &st, sql, "s", arg);
	if (r < 0)
		return r;
	int rc = sqlite3_step(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

int meta_blob_used(sqlite3 *db, const char *digest)
{
	return exists_query(db,
			    "SELECT 1 WHERE EXISTS(SELECT 1 FROM images WHERE config_digest = ?1)"
			    " OR EXISTS(SELECT 1 FROM layers WHERE blob = ?1)",
			    digest);
}

int meta_chain_used(sqlite3 *db, const char *chain_id)
{
	return exists_query(db, "SELECT 1 FROM image_layers WHERE chain_id = ? LIMIT 1", chain_id);
}

int meta_used_blobs(sqlite3 *db, char ***ret)
{
	return COLLECT(db, ret, "SELECT config_digest FROM images UNION SELECT blob FROM layers ORDER BY 1", "");
}

int meta_used_chains(sqlite3 *db, char ***ret)
{
	return COLLECT(db, ret, "SELECT chain_id FROM layers ORDER BY 1", "");
}
