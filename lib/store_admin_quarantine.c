/*
 * NAME
 *	store_admin_quarantine - outguardctl's quarantine rows
 * SYNOPSIS
 *	#include "store.h"
 * DESCRIPTION
 *	Listing, finding and updating quarantine rows for outguardctl, on
 *	the main connection as store_admin.c describes: each function
 *	takes s->db_lock and finalizes its statement before it returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

/*
 * store_admin_quarantine - quarantine rows, newest first: those still
 * held, or all of them.  Columns: id, ts, queue_id, login, mail_from,
 * rcpts, subject, reason, status, reviewed_by, reviewed_at.  0, or -1.
 */
int store_admin_quarantine(struct store *s, int all, store_row_fn fn, void *arg)
{
	static const char sql[] =
		"SELECT id, ts, queue_id, login, mail_from, rcpts, subject, "
		"reason, status, reviewed_by, reviewed_at FROM quarantine "
		"WHERE ?1 OR status = 'held' ORDER BY ts DESC, id DESC";
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	if ((st = store_admin_prepare(s, sql)) == NULL) {
		store_fail(s, "admin quarantine", s->db);
	} else {
		sqlite3_bind_int(st, 1, all != 0);
		rc = store_admin_rows(s, st, "admin quarantine", fn, arg);
	}
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}

/* quarantine_pick - the caller's callback, and how many rows it got */
struct quarantine_pick {
	store_row_fn fn;
	void *arg;
	int found;
};

/* quarantine_pick_row - count the row and hand it on */
static int quarantine_pick_row(void *arg, int n, const char *const *names,
			       const char *const *values)
{
	struct quarantine_pick *p = arg;

	p->found++;
	return p->fn(p->arg, n, names, values);
}

/*
 * store_admin_quarantine_get - the quarantine row whose id is key, or
 * failing that the newest whose queue_id is key, to fn (columns as for
 * store_admin_quarantine).  1 found, 0 none, -1 error.
 */
int store_admin_quarantine_get(struct store *s, const char *key,
			       store_row_fn fn, void *arg)
{
	static const char sql[] =
		"SELECT id, ts, queue_id, login, mail_from, rcpts, subject, "
		"reason, status, reviewed_by, reviewed_at FROM quarantine "
		"WHERE id = ?1 OR queue_id = ?2 "
		"ORDER BY id = ?1 DESC, ts DESC, id DESC LIMIT 1";
	struct quarantine_pick p = { fn, arg, 0 };
	sqlite3_stmt *st;
	const char *c;
	int rc = -1;

	for (c = key; *c >= '0' && *c <= '9'; c++)
		;
	pthread_mutex_lock(&s->db_lock);
	if ((st = store_admin_prepare(s, sql)) == NULL) {
		store_fail(s, "admin quarantine get", s->db);
	} else {
		if (*key && *c == 0 && c - key < 19)
			sqlite3_bind_int64(st, 1, strtoll(key, NULL, 10));
		else
			sqlite3_bind_null(st, 1);
		store_admin_text(st, 2, key);
		rc = store_admin_rows(s, st, "admin quarantine get",
				      quarantine_pick_row, &p);
	}
	pthread_mutex_unlock(&s->db_lock);
	return rc < 0 ? -1 : p.found > 0;
}

/*
 * store_admin_quarantine_status - set the status of quarantine row id
 * and who reviewed it when (reviewer NULL: unknown).  1 when set, 0 when
 * there is no such row, -1 with err.
 */
int store_admin_quarantine_status(struct store *s, long long id,
				  const char *status, const char *reviewer,
				  time_t when, char *err, size_t errlen)
{
	static const char sql[] =
		"UPDATE quarantine SET status = ?2, reviewed_by = ?3, "
		"reviewed_at = ?4 WHERE id = ?1";
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	if ((st = store_admin_prepare(s, sql)) == NULL) {
		store_admin_err(s, "quarantine status", err, errlen);
	} else {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
		store_admin_text(st, 2, status);
		store_admin_text(st, 3, reviewer);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)when);
		if (sqlite3_step(st) == SQLITE_DONE)
			rc = sqlite3_changes(s->db) > 0;
		else
			store_admin_err(s, "quarantine status", err, errlen);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}
