/*
 * NAME
 *	store - open, create and migrate the database; health
 * DESCRIPTION
 *	store_open() opens the main connection, creates the schema from
 *	the embedded schema/outguard.sql when the database is empty and
 *	applies the embedded migrations up to store_schema_version(), each
 *	in its own transaction.  A database newer than the code is refused.
 *	Every connection gets WAL, synchronous=NORMAL and a busy timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "store_int.h"

extern const char *const schema_sql[];
extern const int schema_sql_count;

/* store_schema_version - the version the code creates */
int store_schema_version(void)
{
	return schema_sql_count;
}

/* store_conn_open - a configured connection */
sqlite3 *store_conn_open(const char *path, int readonly, char *err,
			 size_t errlen)
{
	int flags = SQLITE_OPEN_NOMUTEX |
		    (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	sqlite3_exec(db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF;",
		     NULL, NULL, NULL);
	return db;
}

/* user_version - PRAGMA user_version, or -1 */
static int user_version(sqlite3 *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* store_migrate - bring db from its version to the code's */
int store_migrate(sqlite3 *db, int create, char *err, size_t errlen)
{
	char *msg = NULL, pragma[64];
	int v = user_version(db), i;

	if (v < 0) {
		snprintf(err, errlen, "not a database: %s", sqlite3_errmsg(db));
		return -1;
	}
	if (v > schema_sql_count) {
		snprintf(err, errlen,
			 "database schema version %d is newer than this "
			 "outguard (%d)", v, schema_sql_count);
		return -1;
	}
	if (v < schema_sql_count && !create) {
		snprintf(err, errlen,
			 "database schema version %d is older than %d: run "
			 "outguard -n to migrate it", v, schema_sql_count);
		return -1;
	}
	for (i = v; i < schema_sql_count; i++) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d;",
			 i + 1);
		if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) !=
			    SQLITE_OK ||
		    sqlite3_exec(db, schema_sql[i], NULL, NULL, &msg) !=
			    SQLITE_OK ||
		    sqlite3_exec(db, pragma, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "schema step %d: %s", i + 1,
				 msg ? msg : sqlite3_errmsg(db));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
		if (v > 0)	/* an existing database, not a new one */
			log_msg(LOG_NOTICE, "database migrated to version %d",
				i + 1);
	}
	return 0;
}

/* store_open - open, and create or migrate */
struct store *store_open(const char *path, int flags, char *err,
			 size_t errlen)
{
	struct store *s;
	struct stat st;
	int ro = (flags & STORE_READONLY) != 0;

	if (!(flags & STORE_CREATE) && stat(path, &st) < 0) {
		snprintf(err, errlen, "no database at %s: %s", path,
			 strerror(errno));
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(s);
		return NULL;
	}
	s->flags = flags;
	s->healthy = 1;
	pthread_mutex_init(&s->db_lock, NULL);
	pthread_mutex_init(&s->health_lock, NULL);
	pthread_mutex_init(&s->q_lock, NULL);
	pthread_cond_init(&s->q_cond, NULL);
	pthread_cond_init(&s->q_done, NULL);
	pthread_rwlock_init(&s->commit_lock, NULL);
	pthread_mutex_init(&s->pend_lock, NULL);
	pthread_mutex_init(&s->readers_lock, NULL);
	for (int i = 0; i < STORE_LOGIN_LOCKS; i++)
		pthread_mutex_init(&s->login_locks[i], NULL);
	pthread_cond_init(&s->readers_cond, NULL);
	if ((flags & STORE_CREATE) && !ro) {
		/* sqlite creates the file; make it ours alone */
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);

		if (fd >= 0)
			close(fd);
	}
	if ((s->db = store_conn_open(path, ro, err, errlen)) == NULL)
		goto fail;
	if (!ro && sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL,
				NULL) != SQLITE_OK) {
		int rc = sqlite3_errcode(s->db);

		if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
			snprintf(err, errlen, "%s: not a database, or damaged "
				 "(%s); restore it from a backup", path,
				 sqlite3_errmsg(s->db));
		else
			snprintf(err, errlen, "%s: cannot write the database "
				 "(%s); outguard must be able to write it and "
				 "its directory", path, sqlite3_errmsg(s->db));
		goto fail;
	}
	/* SQLite opens a file it cannot write (chattr +i, a read-only
	 * mount of a WAL database) read-only without a word: the daemon
	 * (STORE_CREATE) must not start on it */
	if ((flags & STORE_CREATE) && !ro &&
	    sqlite3_db_readonly(s->db, "main") == 1) {
		snprintf(err, errlen, "%s: cannot write the database (opened "
			 "read-only); outguard must be able to write it and "
			 "its directory", path);
		goto fail;
	}
	if (store_migrate(s->db, (flags & STORE_CREATE) && !ro, err, errlen) <
	    0)
		goto fail;
	return s;
fail:
	store_close(s);
	return NULL;
}

/* store_close - flush and stop the writer, close every connection */
void store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_writer_stop(s);
	store_readers_close(s);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
}

/*
 * store_reopen - the file at the path is not the one we have open (it
 * was restored or recreated): open the writer and main connections on
 * it, migrating it if needed, and retire the pooled readers.  The
 * writer thread calls this; queued writes then go to the new file.
 */
int store_reopen(struct store *s)
{
	sqlite3 *w, *m;
	char err[300];
	struct stat st;

	if ((w = store_conn_open(s->path, 0, err, sizeof(err))) == NULL ||
	    sqlite3_exec(w, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    store_migrate(w, 1, err, sizeof(err)) < 0 ||
	    (m = store_conn_open(s->path, 0, err, sizeof(err))) == NULL) {
		log_ratelimited("reopen", 10, LOG_ERR, "store: cannot reopen "
				"%s: %s", s->path, w ? sqlite3_errmsg(w) : err);
		sqlite3_close(w);
		return -1;
	}
	store_writer_swap(s, w);
	pthread_mutex_lock(&s->db_lock);
	sqlite3_close(s->db);
	s->db = m;
	pthread_mutex_unlock(&s->db_lock);
	pthread_mutex_lock(&s->readers_lock);
	s->generation++;
	pthread_mutex_unlock(&s->readers_lock);
	store_readers_close(s);
	if (stat(s->path, &st) == 0) {
		s->st_dev = st.st_dev;
		s->st_ino = st.st_ino;
	}
	log_msg(LOG_NOTICE, "store: %s was replaced; reopened it", s->path);
	return 0;
}

/* store_path - the path */
const char *store_path(const struct store *s)
{
	return s->path;
}

/* store_chown - hand the database files to uid/gid */
int store_chown(struct store *s, unsigned uid, unsigned gid)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char p[4096];
	unsigned i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", s->path, sfx[i]);
		if (chown(p, uid, gid) < 0 && errno != ENOENT)
			return -1;
	}
	return 0;
}

/* store_fail - record a failure */
void store_fail(struct store *s, const char *what, sqlite3 *db)
{
	char why[200];
	int was;

	if (db != NULL)
		snprintf(why, sizeof(why), "%s: %s", what, sqlite3_errmsg(db));
	else
		snprintf(why, sizeof(why), "%s", what);
	metrics_store_error();
	pthread_mutex_lock(&s->health_lock);
	was = s->healthy;
	s->healthy = 0;
	memcpy(s->why, why, sizeof(s->why));
	if (was)
		metrics_store_degraded(1);
	pthread_mutex_unlock(&s->health_lock);
	log_ratelimited(what, 10, LOG_ERR, "store error: %s (database %s)", why,
			s->path);
}

/* store_ok - healthy again */
void store_ok(struct store *s)
{
	int was;

	pthread_mutex_lock(&s->health_lock);
	was = s->healthy;
	s->healthy = 1;
	if (!was)
		metrics_store_degraded(0);
	pthread_mutex_unlock(&s->health_lock);
	if (!was)
		log_msg(LOG_NOTICE, "store recovered: database %s works again",
			s->path);
}

/* store_healthy - 1 ok, 0 failing */
int store_healthy(struct store *s, char *why, size_t whylen)
{
	int ok;

	pthread_mutex_lock(&s->health_lock);
	ok = s->healthy;
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", ok ? "" : s->why);
	pthread_mutex_unlock(&s->health_lock);
	return ok;
}
