/*
 * NAME
 *	store_incident - incidents: the trips the writer records, the
 *	read behind an alert, and outguardctl's queries
 * SYNOPSIS
 *	#include "store.h"
 * DESCRIPTION
 *	A trip (store_add_trip, queued like every write of the mail path)
 *	is one upsert run by the writer (its SQL is the writer's, in
 *	store_write.c's op_sql): it opens the login's incident or
 *	counts the trip on its open one (at most one open per login: the
 *	partial unique index incidents_open).  The events and quarantine
 *	rows queued after it name the open incident (store_write.c), so
 *	the guard reports a trip before it writes the message's rows.
 *
 *	The networks of an incident are the client networks of the login
 *	(its kind 2 rows of counts) with a session from an hour before it
 *	opened on, at most 64 of them: counted when it opens and again by
 *	the first trip of every later minute, so that an attack's
 *	thousands of trips do not each read them (the VALUES of the upsert
 *	are computed before the conflict is found, hence the EXISTS
 *	there).  The worst action is kept by the order of action.h,
 *	spelled out in that SQL.
 *
 *	store_incident_open() is the notifier thread's read, on the main
 *	connection after the writer has committed what was queued; the
 *	store_admin_incident* functions are outguardctl's, synchronous.
 * DIAGNOSTICS
 *	Reads return -1 and log through store_fail(); changes return -1
 *	with the cause in err.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

/* text_col - column i of st as text, or "" */
static const char *text_col(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return t ? t : "";
}

/* held_lines - b->held: "QUEUEID subject" lines of incident b->id */
static int held_lines(sqlite3 *db, struct store_incident_brief *b)
{
	static const char sql[] =
		"SELECT queue_id, subject FROM quarantine WHERE incident_id "
		"= ?1 AND status = 'held' ORDER BY id";
	sqlite3_stmt *st;
	char line[400];
	size_t n = 0;
	int rc, len;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, b->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		b->nheld++;
		len = snprintf(line, sizeof(line), "%.60s %.300s\n",
			       text_col(st, 0), text_col(st, 1));
		if (len > 0 && n + (size_t)len < sizeof(b->held)) {
			memcpy(b->held + n, line, (size_t)len + 1);
			n += (size_t)len;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* store_incident_open - login's open incident; 1, 0 none, -1 failed */
int store_incident_open(struct store *s, const char *login,
			struct store_incident_brief *b)
{
	static const char sql[] =
		"SELECT id, trips, networks FROM incidents WHERE login = ?1 "
		"AND status = 'open'";
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (s->pg)
		return store_pg_incident_open(s, login, b);
	memset(b, 0, sizeof(*b));
	store_flush(s);
	lock_acquire(&s->db_lock);
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	switch (sqlite3_step(st)) {
	case SQLITE_ROW:
		b->id = sqlite3_column_int64(st, 0);
		b->trips = sqlite3_column_int(st, 1);
		snprintf(b->networks, sizeof(b->networks), "%s",
			 text_col(st, 2));
		rc = held_lines(s->db, b) < 0 ? -1 : 1;
		break;
	case SQLITE_DONE:
		rc = 0;
		break;
	}
out:
	if (rc < 0)
		store_fail(s, "incident read", s->db);
	sqlite3_finalize(st);
	lock_release(&s->db_lock);
	return rc;
}

/* The columns of a listing, with the counts of its messages. */
#define INCIDENT_COLS                                                          \
	"SELECT i.id, i.opened, i.updated, i.login, i.status, i.kind, "        \
	"i.action, i.trigger, i.trips, i.counts, i.networks, "                 \
	"(SELECT COUNT(*) FROM quarantine q WHERE q.login = i.login AND "      \
	"q.status = 'held' AND q.incident_id = i.id) AS held, "                \
	"(SELECT COUNT(*) FROM quarantine q WHERE q.login = i.login AND "      \
	"q.incident_id = i.id) AS messages, i.closed, i.closed_by, "           \
	"i.outcome FROM incidents i "

/*
 * store_admin_incidents - incidents opened at or after since, newest
 * first: the open ones, or all; of login (NULL: all); at most max (0:
 * all).  Columns: id, opened, updated, login, status, kind, action,
 * trigger, trips, counts, networks, held, messages, closed, closed_by,
 * outcome.  0, or -1.
 */
int store_admin_incidents(struct store *s, int all, time_t since,
			  const char *login, int max, store_row_fn fn,
			  void *arg)
{
	static const char sql[] = INCIDENT_COLS
		"WHERE (?1 <> 0 OR i.status = 'open') AND "
		"i.opened >= ?2 AND (?3 IS NULL OR i.login = ?3) "
		"ORDER BY i.opened DESC, i.id DESC LIMIT ?4";
	const struct store_arg args[] = { STORE_INT(all != 0), STORE_INT(since),
					  STORE_TEXT(login),
					  STORE_INT(max > 0 ? max : -1),
					  STORE_END };
	int rc = store_admin_query(s, "admin incidents", sql, args, fn, arg,
				   NULL, 0);

	return rc < 0 ? -1 : 0;
}

/*
 * store_admin_incident_get - incident id to fn, columns as for
 * store_admin_incidents.  1 found, 0 none, -1 error.
 */
int store_admin_incident_get(struct store *s, long long id, store_row_fn fn,
			     void *arg)
{
	static const char sql[] = INCIDENT_COLS "WHERE i.id = ?1";
	const struct store_arg args[] = { STORE_INT(id), STORE_END };
	int rc = store_admin_query(s, "admin incident", sql, args, fn, arg,
				   NULL, 0);

	return rc < 0 ? -1 : rc > 0;
}

/*
 * store_admin_incident_messages - the quarantine rows of incident id,
 * oldest first; only the held ones when held_only.  Columns: id, ts,
 * queue_id, mail_from, rcpts, subject, reason, status, relay.  0, or -1.
 */
int store_admin_incident_messages(struct store *s, long long id, int held_only,
				  store_row_fn fn, void *arg)
{
	static const char sql[] =
		"SELECT id, ts, queue_id, mail_from, rcpts, subject, reason, "
		"status, relay FROM quarantine WHERE incident_id = ?1 AND "
		"(?2 = 0 OR status = 'held') ORDER BY ts, id";
	const struct store_arg args[] = { STORE_INT(id),
					  STORE_INT(held_only != 0),
					  STORE_END };
	int rc = store_admin_query(s, "admin incident messages", sql, args, fn,
				   arg, NULL, 0);

	return rc < 0 ? -1 : 0;
}

/*
 * store_admin_incident_close - close incident id if it is open: status
 * (released, deleted, closed), closed now, closed_by by, outcome.  1
 * when closed, 0 when there is no open incident id, -1 with err.
 */
int store_admin_incident_close(struct store *s, long long id,
			       const char *status, const char *by,
			       const char *outcome, char *err, size_t errlen)
{
	static const char sql[] =
		"UPDATE incidents SET status = ?2, closed = ?3, closed_by = "
		"?4, outcome = ?5 WHERE id = ?1 AND status = 'open'";
	const struct store_arg args[] = {
		STORE_INT(id),	STORE_TEXT(status),  STORE_INT(time(NULL)),
		STORE_TEXT(by), STORE_TEXT(outcome), STORE_END
	};
	int rc = store_admin_query(s, "close incident", sql, args, NULL, NULL,
				   err, errlen);

	return rc < 0 ? -1 : rc > 0;
}
