/*
 * NAME
 *	store_admin - synchronous reads and writes for outguardctl
 * SYNOPSIS
 *	#include "store.h"
 * DESCRIPTION
 *	outguardctl works on the main connection of a store opened without
 *	the writer thread: every function here takes s->db_lock, prepares
 *	its statement with bound parameters, runs it and finalizes it
 *	before it returns.  That sequence is store_admin_query(), which
 *	store_admin_policy.c, store_admin_quarantine.c and
 *	store_incident.c use too: the parameters as a STORE_END-terminated
 *	array of STORE_TEXT()/STORE_INT(), the rows to a store_row_fn, the
 *	failure either in the caller's err or through store_fail().  Writes commit at once (a single statement, or
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

/*
 * In a statement's PostgreSQL variant: the C collation, so that lower()
 * folds only ASCII letters and ORDER BY compares bytes, as SQLite does
 * (PostgreSQL's default collation comes from the database's locale).
 */
#define ADMIN_C " COLLATE \"C\""

/* admin_bind - bind args to st's parameters (extra args: none); 0, -1 */
static int admin_bind(sqlite3_stmt *st, const struct store_arg *args)
{
	int i, rc = SQLITE_OK, n = sqlite3_bind_parameter_count(st);

	for (i = 0; args != NULL && args[i].kind != STORE_ARG_END && i < n;
	     i++) {
		if (args[i].kind == STORE_ARG_INT)
			rc = sqlite3_bind_int64(st, i + 1, args[i].i);
		else if (args[i].t != NULL)
			rc = sqlite3_bind_text(st, i + 1, args[i].t, -1,
					       SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_null(st, i + 1);
		if (rc != SQLITE_OK)
			return -1;
	}
	return 0;
}

/*
 * admin_run - store_admin_query with s->db_lock held: the rows stepped
 * or changed, or -1 (err, or store_fail())
 */
static int admin_run(struct store *s, const char *what, const char *sql,
		     const struct store_arg *args, store_row_fn fn, void *arg,
		     char *err, size_t errlen)
{
	const char *names[ADMIN_MAX_COLS], *vals[ADMIN_MAX_COLS];
	sqlite3_stmt *st = NULL;
	int n, i, rc, rows = 0;

	LOCK_HELD(&s->db_lock);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    admin_bind(st, args) < 0) {
		rc = SQLITE_ERROR;
		goto out;
	}
	if ((n = sqlite3_column_count(st)) > ADMIN_MAX_COLS)
		n = ADMIN_MAX_COLS;
	for (i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		for (i = 0; fn != NULL && i < n; i++)
			vals[i] = (const char *)sqlite3_column_text(st, i);
		if (fn != NULL && fn(arg, n, names, vals) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc == SQLITE_DONE && n == 0)
		rows = sqlite3_changes(s->db);
out:
	if (rc != SQLITE_DONE && err != NULL)
		snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(s->db));
	else if (rc != SQLITE_DONE)
		store_fail(s, what, s->db);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? rows : -1;
}

/* store_admin_query - prepare, bind, step, finalize under db_lock */
int store_admin_query(struct store *s, const char *what, const char *sql,
		      const struct store_arg *args, store_row_fn fn, void *arg,
		      char *err, size_t errlen)
{
	int rc;

	if (s->pg)
		return store_pg_admin_query(s, what, sql, args, fn, arg, err,
					    errlen);
	lock_acquire(&s->db_lock);
	rc = admin_run(s, what, sql, args, fn, arg, err, errlen);
	lock_release(&s->db_lock);
	return rc;
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
	const struct store_arg args[] = {
		STORE_TEXT(login), STORE_TEXT(cls),	  STORE_TEXT(status),
		STORE_TEXT(note),  STORE_INT(time(NULL)), STORE_END
	};
	int rc;

	if (status && strcmp(status, "active") && strcmp(status, "watch") &&
	    strcmp(status, "blocked")) {
		snprintf(err, errlen, "bad status \"%s\"", status);
		return -1;
	}
	rc = store_admin_query(s, "set user", sql, args, NULL, NULL, err,
			       errlen);
	return rc < 0 ? -1 : 0;
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
	static const char *const sql[] = {
		"BEGIN IMMEDIATE",
		"DELETE FROM counts WHERE login = lower(?1)",
		"DELETE FROM msg_log WHERE login = ?1 COLLATE NOCASE",
		"DELETE FROM session_log WHERE login = ?1 COLLATE NOCASE",
		"COMMIT",
	};
	const struct store_arg args[] = { STORE_TEXT(login), STORE_END };
	unsigned i;
	int rc = 0;

	if (s->pg) /* one statement: one transaction */
		return store_pg_admin_query(
			       s, "reset",
			       "WITH c AS (DELETE FROM counts WHERE login = "
			       "lower(?1" ADMIN_C ")), m AS (DELETE FROM "
			       "msg_log WHERE lower(login" ADMIN_C ") = "
			       "lower(?1" ADMIN_C ")) DELETE FROM session_log "
			       "WHERE lower(login" ADMIN_C
			       ") = lower(?1" ADMIN_C ")",
			       args, NULL, NULL, err, errlen) < 0
			       ? -1
			       : 0;
	lock_acquire(&s->db_lock);
	for (i = 0; rc >= 0 && i < sizeof(sql) / sizeof(sql[0]); i++)
		rc = admin_run(s, "reset", sql[i], args, NULL, NULL, err,
			       errlen);
	if (rc < 0 && i > 1)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	lock_release(&s->db_lock);
	return rc < 0 ? -1 : 0;
}

/* store_admin_event - append an events row (ts 0: now); 0, or -1 */
int store_admin_event(struct store *s, const struct store_event *e)
{
	static const char sql[] =
		"INSERT INTO events (ts, login, client_addr, queue_id, kind, "
		"action, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
	const struct store_arg args[] = {
		STORE_INT(e->ts ? e->ts : time(NULL)),
		STORE_TEXT(e->login),
		STORE_TEXT(e->client_addr),
		STORE_TEXT(e->queue_id),
		STORE_TEXT(e->kind),
		STORE_TEXT(e->action),
		STORE_TEXT(e->detail),
		STORE_END,
	};
	int rc;

	rc = store_admin_query(s, "admin event", sql, args, NULL, NULL, NULL,
			       0);
	return rc < 0 ? -1 : 0;
}

/*
 * store_admin_events - events at or after since, of login (NULL: all),
 * newest first, at most max (0: all).  Columns: id, ts, login,
 * client_addr, queue_id, kind, action, count (the refusals a folded
 * row stands for, else 1), detail.  0, or -1.
 */
int store_admin_events(struct store *s, time_t since, const char *login,
		       int max, store_row_fn fn, void *arg)
{
	static const char sql[] =
		"SELECT id, ts, login, client_addr, queue_id, kind, action, "
		"count, detail FROM events WHERE ts >= ?1 "
		"AND (?2 IS NULL OR lower(login) = lower(?2)) "
		"ORDER BY ts DESC, id DESC LIMIT ?3";
	/* PostgreSQL: lower() of ASCII only, as SQLite's (ADMIN_C) */
	static const char sql_pg[] =
		"SELECT id, ts, login, client_addr, queue_id, kind, action, "
		"count, detail FROM events WHERE ts >= ?1 "
		"AND (?2 IS NULL OR lower(login" ADMIN_C ") = lower(?2" ADMIN_C
		")) ORDER BY ts DESC, id DESC LIMIT ?3";
	const struct store_arg args[] = { STORE_INT(since), STORE_TEXT(login),
					  STORE_INT(max > 0 ? max : -1),
					  STORE_END };
	int rc;

	rc = store_admin_query(s, "admin events", s->pg ? sql_pg : sql, args,
			       fn, arg, NULL, 0);
	return rc < 0 ? -1 : 0;
}

/* TOP_SQL(C, USERS) - the query, logins lower-cased with collation C
 * and users joined on USERS: one text for both stores */
#define TOP_SQL(C, USERS)                                                      \
	"WITH m AS (SELECT lower(login" C ") AS login, COUNT(*) AS msgs, "     \
	"SUM(rcpts) AS rcpts FROM msg_log WHERE ts > ?1 GROUP BY 1), "         \
	"s AS (SELECT lower(login" C ") AS login, COUNT(*) AS sessions "       \
	"FROM session_log WHERE ts > ?1 GROUP BY 1), "                         \
	"l AS (SELECT login FROM m UNION SELECT login FROM s) "                \
	"SELECT l.login AS login, coalesce(m.rcpts, 0) AS rcpts, "             \
	"coalesce(m.msgs, 0) AS msgs, "                                        \
	"coalesce(s.sessions, 0) AS sessions, "                                \
	"coalesce(u.class, 'default') AS class, "                              \
	"coalesce(u.status, 'active') AS status FROM l "                       \
	"LEFT JOIN m ON m.login = l.login "                                    \
	"LEFT JOIN s ON s.login = l.login "                                    \
	"LEFT JOIN users u ON " USERS " "                                      \
	"ORDER BY 2 DESC, 3 DESC, 4 DESC, 1 LIMIT ?2"

/*
 * store_admin_top - logins with messages or sessions after now -
 * window_s, by recipients, then messages, then sessions, at most max
 * (0: all).  Columns: login, rcpts, msgs, sessions, class, status
 * (class and status from users, or default/active).  0, or -1.
 */
int store_admin_top(struct store *s, time_t now, long window_s, int max,
		    store_row_fn fn, void *arg)
{
	static const char sql[] = TOP_SQL("",
					  "u.login = l.login COLLATE NOCASE");
	/* PostgreSQL: logins lower-cased and sorted as bytes (ADMIN_C) */
	static const char sql_pg[] = TOP_SQL(
		ADMIN_C, "lower(u.login::text" ADMIN_C ") = l.login");
	const struct store_arg args[] = { STORE_INT(now - window_s),
					  STORE_INT(max > 0 ? max : -1),
					  STORE_END };
	int rc;

	rc = store_admin_query(s, "admin top", s->pg ? sql_pg : sql, args, fn,
			       arg, NULL, 0);
	return rc < 0 ? -1 : 0;
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
	const struct store_arg args[] = { STORE_TEXT(login), STORE_END };
	int rc = store_admin_query(s, "admin user", sql, args, fn, arg, NULL,
				   0);

	return rc < 0 ? -1 : rc > 0;
}

/* state_row - the value into the buffer */
static int state_row(void *arg, int n, const char *const *names,
		     const char *const *v)
{
	char **buf = arg;

	(void)names;
	if (n >= 1 && v[0] != NULL)
		snprintf(buf[0], (size_t)(buf[1] - buf[0]), "%s", v[0]);
	return 0;
}

/* store_state_get - a daemon_state value */
int store_state_get(struct store *s, const char *key, char *buf, size_t len)
{
	const struct store_arg args[] = { STORE_TEXT(key), STORE_END };
	char *b[2] = { buf, buf + len };
	int rc;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	rc = store_admin_query(s, "read daemon_state",
			       "SELECT value FROM daemon_state WHERE key = ?1",
			       args, state_row, b, NULL, 0);
	return rc < 0 ? -1 : rc > 0 && buf[0] != '\0';
}

/* long_row - the first column as a number */
static int long_row(void *arg, int n, const char *const *names,
		    const char *const *v)
{
	(void)names;
	if (n >= 1 && v[0] != NULL)
		*(long *)arg = strtol(v[0], NULL, 10);
	return 0;
}

/* store_baseline - the second-highest daily peak before today */
long store_baseline(struct store *s, const char *login, const char *metric,
		    long window_s, time_t now, long baseline_days)
{
	const long long today = (long long)now / 86400;
	const struct store_arg args[] = {
		STORE_TEXT(login),   STORE_TEXT(metric),
		STORE_INT(window_s), STORE_INT(today - baseline_days),
		STORE_INT(today),    STORE_END
	};
	long peak = 0;

	if (s->pg)
		return store_pg_baseline(s, login, metric, window_s, now,
					 baseline_days);
	if (store_admin_query(
		    s, "read peaks",
		    "SELECT peak FROM peaks WHERE login = ?1 AND "
		    "metric = ?2 AND window_s = ?3 AND day >= ?4 "
		    "AND day < ?5 ORDER BY peak DESC LIMIT 1 OFFSET 1",
		    args, long_row, &peak, NULL, 0) < 0)
		return -1;
	return peak;
}
