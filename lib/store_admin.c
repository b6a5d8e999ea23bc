/*
 * NAME
 *	store_admin - synchronous reads and writes for outguardctl
 * SYNOPSIS
 *	#include "store.h"
 * DESCRIPTION
 *	outguardctl works on the main connection of a store opened without
 *	the writer thread: every function here takes s->db_lock, prepares
 *	its statement with bound parameters, runs it and finalizes it
 *	before it returns.  Writes commit at once (a single statement, or
 *	BEGIN IMMEDIATE ... COMMIT), waiting for the daemon's writer up to
 *	the busy timeout of store_conn_open().
 *
 *	Listings hand each row to a store_row_fn as text (NULL for SQL
 *	NULL).  The callback runs with the store locked, so it must not
 *	call the store; the names and values are valid only during the
 *	call.  A callback that returns non-zero stops the listing.
 *
 *	Logins are compared case-insensitively, and written lower-cased.
 * DIAGNOSTICS
 *	Functions with an err argument return -1 with the cause there;
 *	the others return -1 and log the cause through store_fail().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

#define ADMIN_MAX_COLS 16 /* columns handed to a store_row_fn */

/* admin_err - the connection's last error as "what: message" in err */
static void admin_err(struct store *s, const char *what, char *err,
		      size_t errlen)
{
	snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(s->db));
}

/* admin_prepare - a statement on the main connection (db_lock held) */
static sqlite3_stmt *admin_prepare(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	return st;
}

/* admin_text - bind text, or NULL when v is NULL */
static void admin_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* admin_exec - run a statement without parameters (db_lock held) */
static int admin_exec(struct store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/*
 * admin_rows - step st, handing each row to fn, and finalize it.
 * Returns 0, or -1 when a step failed (logged).  db_lock held.
 */
static int admin_rows(struct store *s, sqlite3_stmt *st, const char *what,
		      store_row_fn fn, void *arg)
{
	const char *names[ADMIN_MAX_COLS], *vals[ADMIN_MAX_COLS];
	int n = sqlite3_column_count(st), i, rc;

	if (n > ADMIN_MAX_COLS)
		n = ADMIN_MAX_COLS;
	for (i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			vals[i] = (const char *)sqlite3_column_text(st, i);
		if (fn(arg, n, names, vals) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		store_fail(s, what, s->db);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * store_admin_set_user - upsert a users row: status and/or cls (NULL
 * keeps the current value, or the default for a new row), note (NULL
 * keeps it, "" clears it); changed is set to now.  The caller checks
 * that cls exists.  0, or -1 with err.
 */
int store_admin_set_user(struct store *s, const char *login, const char *status,
			 const char *cls, const char *note, char *err,
			 size_t errlen)
{
	static const char sql[] =
		"INSERT INTO users (login, class, status, note, changed) "
		"VALUES (lower(?1), coalesce(?2, 'default'), "
		"coalesce(?3, 'active'), nullif(?4, ''), ?5) "
		"ON CONFLICT (login) DO UPDATE SET "
		"class = coalesce(?2, class), status = coalesce(?3, status), "
		"note = CASE WHEN ?4 IS NULL THEN note "
		"ELSE nullif(?4, '') END, changed = ?5";
	sqlite3_stmt *st;
	int rc = -1;

	if (status && strcmp(status, "active") && strcmp(status, "watch") &&
	    strcmp(status, "blocked")) {
		snprintf(err, errlen, "bad status \"%s\"", status);
		return -1;
	}
	pthread_mutex_lock(&s->db_lock);
	if ((st = admin_prepare(s, sql)) == NULL) {
		admin_err(s, "set user", err, errlen);
		goto out;
	}
	admin_text(st, 1, login);
	admin_text(st, 2, cls);
	admin_text(st, 3, status);
	admin_text(st, 4, note);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	else
		admin_err(s, "set user", err, errlen);
	sqlite3_finalize(st);
out:
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}

/* admin_delete - delete login's rows of one log table (db_lock held) */
static int admin_delete(struct store *s, const char *sql, const char *login)
{
	sqlite3_stmt *st = admin_prepare(s, sql);
	int rc;

	if (st == NULL)
		return -1;
	admin_text(st, 1, login);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * store_admin_reset - forget login's counters: its counts, msg_log and
 * session_log rows, in one transaction.  A running daemon may still
 * hold a few queued rows of the login and commit them afterwards.
 * 0, or -1 with err (and nothing deleted).
 */
int store_admin_reset(struct store *s, const char *login, char *err,
		      size_t errlen)
{
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	if (admin_exec(s, "BEGIN IMMEDIATE") < 0) {
		admin_err(s, "reset", err, errlen);
		goto out;
	}
	if (admin_delete(s, "DELETE FROM counts WHERE login = lower(?1)",
			 login) < 0 ||
	    admin_delete(s,
			 "DELETE FROM msg_log WHERE login = ?1 "
			 "COLLATE NOCASE",
			 login) < 0 ||
	    admin_delete(s,
			 "DELETE FROM session_log WHERE login = ?1 "
			 "COLLATE NOCASE",
			 login) < 0 ||
	    admin_exec(s, "COMMIT") < 0) {
		admin_err(s, "reset", err, errlen);
		admin_exec(s, "ROLLBACK");
		goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}

/* store_admin_event - append an events row (ts 0: now); 0, or -1 */
int store_admin_event(struct store *s, const struct store_event *e)
{
	static const char sql[] =
		"INSERT INTO events (ts, login, client_addr, queue_id, kind, "
		"action, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	if ((st = admin_prepare(s, sql)) != NULL) {
		sqlite3_bind_int64(st, 1,
				   (sqlite3_int64)(e->ts ? e->ts : time(NULL)));
		admin_text(st, 2, e->login);
		admin_text(st, 3, e->client_addr);
		admin_text(st, 4, e->queue_id);
		admin_text(st, 5, e->kind);
		admin_text(st, 6, e->action);
		admin_text(st, 7, e->detail);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = 0;
	}
	if (rc < 0)
		store_fail(s, "admin event", s->db);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}

/*
 * store_admin_events - events at or after since, of login (NULL: all),
 * newest first, at most max (0: all).  Columns: id, ts, login,
 * client_addr, queue_id, kind, action, detail.  0, or -1.
 */
int store_admin_events(struct store *s, time_t since, const char *login,
		       int max, store_row_fn fn, void *arg)
{
	static const char sql[] =
		"SELECT id, ts, login, client_addr, queue_id, kind, action, "
		"detail FROM events WHERE ts >= ?1 "
		"AND (?2 IS NULL OR login = ?2 COLLATE NOCASE) "
		"ORDER BY ts DESC, id DESC LIMIT ?3";
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	if ((st = admin_prepare(s, sql)) == NULL) {
		store_fail(s, "admin events", s->db);
	} else {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
		admin_text(st, 2, login);
		sqlite3_bind_int(st, 3, max > 0 ? max : -1);
		rc = admin_rows(s, st, "admin events", fn, arg);
	}
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}

/*
 * store_admin_top - logins with messages or sessions after now -
 * window_s, by recipients, then messages, then sessions, at most max
 * (0: all).  Columns: login, rcpts, msgs, sessions, class, status
 * (class and status from users, or default/active).  0, or -1.
 */
int store_admin_top(struct store *s, time_t now, long window_s, int max,
		    store_row_fn fn, void *arg)
{
	static const char sql[] =
		"WITH m AS (SELECT lower(login) AS login, COUNT(*) AS msgs, "
		"SUM(rcpts) AS rcpts FROM msg_log WHERE ts > ?1 GROUP BY 1), "
		"s AS (SELECT lower(login) AS login, COUNT(*) AS sessions "
		"FROM session_log WHERE ts > ?1 GROUP BY 1), "
		"l AS (SELECT login FROM m UNION SELECT login FROM s) "
		"SELECT l.login AS login, coalesce(m.rcpts, 0) AS rcpts, "
		"coalesce(m.msgs, 0) AS msgs, "
		"coalesce(s.sessions, 0) AS sessions, "
		"coalesce(u.class, 'default') AS class, "
		"coalesce(u.status, 'active') AS status FROM l "
		"LEFT JOIN m ON m.login = l.login "
		"LEFT JOIN s ON s.login = l.login "
		"LEFT JOIN users u ON u.login = l.login COLLATE NOCASE "
		"ORDER BY 2 DESC, 3 DESC, 4 DESC, 1 LIMIT ?2";
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	if ((st = admin_prepare(s, sql)) == NULL) {
		store_fail(s, "admin top", s->db);
	} else {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)(now - window_s));
		sqlite3_bind_int(st, 2, max > 0 ? max : -1);
		rc = admin_rows(s, st, "admin top", fn, arg);
	}
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}

/* A row callback that also counts the rows, for store_admin_user. */
struct admin_count {
	store_row_fn fn;
	void *arg;
	int rows;
};

/* admin_count_row - count the row and hand it on */
static int admin_count_row(void *arg, int n, const char *const *names,
			   const char *const *values)
{
	struct admin_count *c = arg;

	c->rows++;
	return c->fn(c->arg, n, names, values);
}

/*
 * store_admin_user - login's users row to fn (columns login, class,
 * status, note, changed).  1 when there is a row, 0 when there is
 * none (fn is not called), -1 on failure.
 */
int store_admin_user(struct store *s, const char *login, store_row_fn fn,
		     void *arg)
{
	static const char sql[] = "SELECT login, class, status, note, changed "
				  "FROM users WHERE login = ?1";
	struct admin_count c = { fn, arg, 0 };
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	if ((st = admin_prepare(s, sql)) == NULL) {
		store_fail(s, "admin user", s->db);
	} else {
		admin_text(st, 1, login);
		rc = admin_rows(s, st, "admin user", admin_count_row, &c);
	}
	pthread_mutex_unlock(&s->db_lock);
	return rc < 0 ? -1 : c.rows > 0;
}

/* store_admin_prepare - admin_prepare for the other store_*.c files */
sqlite3_stmt *store_admin_prepare(struct store *s, const char *sql)
{
	return admin_prepare(s, sql);
}

/* store_admin_text - admin_text for the other store_*.c files */
void store_admin_text(sqlite3_stmt *st, int i, const char *v)
{
	admin_text(st, i, v);
}

/* store_admin_rows - admin_rows for the other store_*.c files */
int store_admin_rows(struct store *s, sqlite3_stmt *st, const char *what,
		     store_row_fn fn, void *arg)
{
	return admin_rows(s, st, what, fn, arg);
}

/* store_admin_err - admin_err for the other store_*.c files */
void store_admin_err(struct store *s, const char *what, char *err,
		     size_t errlen)
{
	admin_err(s, what, err, errlen);
}
