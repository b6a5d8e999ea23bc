/*
 * NAME
 *	store_conn - connections, schema and health: the bottom of the store
 * SYNOPSIS
 *	#include "store_int.h"
 * DESCRIPTION
 *	What every other store file uses and which uses none of them:
 *	store_conn_open() gives a connection with synchronous=NORMAL and
 *	a busy timeout (WAL is set by who opens the main and writer
 *	connections); store_migrate() creates the schema from the embedded
 *	schema/outguard.sql on an empty database and applies the embedded
 *	migrations up to store_schema_version(), each in its own
 *	transaction, refusing a database newer than the code.
 *
 *	The store's health is one flag and the last failure's text under
 *	health_lock: store_fail() clears it (logged, rate-limited),
 *	store_ok() sets it again (logged once), store_healthy() reads it.
 *	This is the one failure policy of the store: every file reports
 *	through store_fail(), and the guard asks store_healthy().
 */
#include <stdio.h>
#include <string.h>

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
			 "outguard (%d)",
			 v, schema_sql_count);
		return -1;
	}
	if (v < schema_sql_count && !create) {
		snprintf(err, errlen,
			 "database schema version %d is older than %d: run "
			 "outguard -n to migrate it",
			 v, schema_sql_count);
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
		if (v > 0) /* an existing database, not a new one */
			log_msg(LOG_NOTICE, "database migrated to version %d",
				i + 1);
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
