/*
 * NAME
 *	store - open and close the database
 * DESCRIPTION
 *	store_open() opens the main connection in WAL mode (store_conn.c),
 *	refuses a file it cannot write when it is to create, and creates
 *	or migrates the schema (store_migrate()).  store_close() stops the
 *	writer (store_writer.c) and closes the pooled readers
 *	(store_read.c) and the main connection.  The top of the store:
 *	nothing below calls back into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

/* store_open - open, and create or migrate */
struct store *store_open(const char *path, int flags, char *err, size_t errlen)
{
	struct store *s;
	struct stat st;
	int ro = (flags & STORE_READONLY) != 0, pg = store_pg_uri(path);

	if (!pg && store_files_access(path, ro, err, errlen) < 0)
		return NULL;
	if (!pg && !(flags & STORE_CREATE) && stat(path, &st) < 0) {
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
	store_relay_default(s->relay, sizeof(s->relay));
	lock_init(&s->db_lock);
	pthread_mutex_init(&s->health_lock, NULL);
	lock_init(&s->q_lock);
	pthread_cond_init(&s->q_cond, NULL);
	pthread_cond_init(&s->q_done, NULL);
	lock_rw_init(&s->commit_lock);
	lock_init(&s->pend_lock);
	pthread_mutex_init(&s->readers_lock, NULL);
	for (int i = 0; i < STORE_LOGIN_LOCKS; i++)
		lock_init(&s->login_locks[i]);
	pthread_cond_init(&s->readers_cond, NULL);
	if (pg)
		return store_pg_open(s, path, flags, err, errlen) < 0
			       ? (store_close(s), NULL)
			       : s;
	if ((flags & STORE_CREATE) && !ro)
		store_files_create(path); /* 0600: ours alone */
	if ((s->db = store_conn_open(path, ro, err, errlen)) == NULL)
		goto fail;
	if (!ro && sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL,
				NULL) != SQLITE_OK) {
		int rc = sqlite3_errcode(s->db);

		if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
			snprintf(err, errlen,
				 "%s: not a database, or damaged "
				 "(%s); restore it from a backup",
				 path, sqlite3_errmsg(s->db));
		else
			snprintf(err, errlen,
				 "%s: cannot write the database "
				 "(%s); outguard must be able to write it and "
				 "its directory",
				 path, sqlite3_errmsg(s->db));
		goto fail;
	}
	/* SQLite opens a file it cannot write (chattr +i, a read-only
	 * mount of a WAL database) read-only without a word: the daemon
	 * (STORE_CREATE) must not start on it */
	if ((flags & STORE_CREATE) && !ro &&
	    sqlite3_db_readonly(s->db, "main") == 1) {
		snprintf(err, errlen,
			 "%s: cannot write the database (opened "
			 "read-only); outguard must be able to write it and "
			 "its directory",
			 path);
		goto fail;
	}
	if (store_migrate(s->db, (flags & STORE_CREATE) && !ro, err, errlen) <
	    0)
		goto fail;
	if ((flags & STORE_CREATE) && !ro)
		store_files_secure(path);
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
	if (s->pg)
		store_pg_close(s);
	store_writer_stop(s);
	store_readers_close(s);
	store_cache_free(s);
	sqlite3_close(s->db);
	free(s->path);
	free(s);
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

	if (s->pg) /* nothing on this host */
		return 0;
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", s->path, sfx[i]);
		if (chown(p, uid, gid) < 0 && errno != ENOENT)
			return -1;
	}
	return 0;
}
