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
 * rcpts, subject, reason, status, reviewed_by, reviewed_at, relay (the
 * relay whose MTA holds it, NULL on rows from before).  0, or -1.
 */
int store_admin_quarantine(struct store *s, int all, store_row_fn fn, void *arg)
{
	static const char sql[] =
		"SELECT id, ts, queue_id, login, mail_from, rcpts, subject, "
		"reason, status, reviewed_by, reviewed_at, relay FROM quarantine "
		"WHERE ?1 <> 0 OR status = 'held' ORDER BY ts DESC, id DESC";
	const struct store_arg args[] = { STORE_INT(all != 0), STORE_END };
	int rc = store_admin_query(s, "admin quarantine", sql, args, fn, arg,
				   NULL, 0);

	return rc < 0 ? -1 : 0;
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
		"reason, status, reviewed_by, reviewed_at, relay FROM quarantine "
		"WHERE id = CAST(?1 AS bigint) OR queue_id = ?2 "
		"ORDER BY id = CAST(?1 AS bigint) DESC, ts DESC, id DESC "
		"LIMIT 1";
	const char *c;
	int rc;

	for (c = key; *c >= '0' && *c <= '9'; c++)
		;
	rc = store_admin_query(
		s, "admin quarantine get", sql,
		(const struct store_arg[]){
			*key && *c == 0 && c - key < 19
				? STORE_INT(strtoll(key, NULL, 10))
				: STORE_NULL,
			STORE_TEXT(key), STORE_END },
		fn, arg, NULL, 0);
	return rc < 0 ? -1 : rc > 0;
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
	const struct store_arg args[] = { STORE_INT(id), STORE_TEXT(status),
					  STORE_TEXT(reviewer), STORE_INT(when),
					  STORE_END };
	int rc = store_admin_query(s, "quarantine status", sql, args, NULL,
				   NULL, err, errlen);

	return rc < 0 ? -1 : rc > 0;
}
