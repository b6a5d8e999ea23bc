/*
 * NAME
 *	store_prune - keep the database from growing without bound
 * DESCRIPTION
 *	Counter rows older than the longest window (plus a minute),
 *	msg_log, session_log and queue_logins rows older than the history
 *	kept for outguardctl simulate (history_days, at least the
 *	counters') and
 *	events, finished quarantine rows and closed incidents older than
 *	their retention, contacts older than contact_days and peaks
 *	older than baseline_days, are
 *	deleted, PRUNE_STEP rows per statement and
 *	commit, with a
 *	checkpoint between steps when the WAL has grown (a step over a
 *	million logins' indexes touches a page or two per row).  Once a
 *	minute the writer starts a pass; while a pass has rows left it
 *	runs one step of each table between two batches of writes, so
 *	the writer never stops for long and deletes keep up with inserts
 *	(a deletion costs about what its insertion did): a limit per pass
 *	(100,000 rows a minute before) fell behind above 1,700 messages
 *	a second.
 */
#include "log.h"
#include "store_int.h"

#define PRUNE_STEP 1000
#define DAY	   86400L

static const char *const prune_sql[] = {
	"DELETE FROM msg_log WHERE rowid IN (SELECT rowid FROM msg_log "
	"WHERE ts < ?4 LIMIT ?3)",
	"DELETE FROM session_log WHERE rowid IN (SELECT rowid FROM "
	"session_log WHERE ts < ?4 LIMIT ?3)",
	"DELETE FROM queue_logins WHERE queue_id IN (SELECT queue_id FROM "
	"queue_logins WHERE ts < ?4 LIMIT ?3)",
	"DELETE FROM counts WHERE (login, kind, key) IN (SELECT login, kind, "
	"key FROM counts WHERE ts < ?1 LIMIT ?3)",
	"DELETE FROM events WHERE id IN (SELECT id FROM events "
	"WHERE ts < ?2 LIMIT ?3)",
	"DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine "
	"WHERE ts < ?2 AND status <> 'held' LIMIT ?3)",
	"DELETE FROM incidents WHERE id IN (SELECT id FROM incidents "
	"WHERE status <> 'open' AND closed < ?2 LIMIT ?3)",
	"DELETE FROM contacts WHERE (login, hash) IN (SELECT login, hash "
	"FROM contacts WHERE ts < ?5 LIMIT ?3)",
	"DELETE FROM peaks WHERE (login, metric, window_s, day) IN (SELECT "
	"login, metric, window_s, day FROM peaks WHERE day < ?6 LIMIT ?3)",
};
#define NPRUNE (sizeof(prune_sql) / sizeof(prune_sql[0]))

/* prune_one - run one step of one statement; rows deleted, or -1 */
static int prune_one(sqlite3 *db, const char *sql, long long counters_before,
		     long long events_before, long long history_before,
		     long long contacts_before, long long peaks_day)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, counters_before);
	sqlite3_bind_int64(st, 2, events_before);
	sqlite3_bind_int(st, 3, PRUNE_STEP);
	/* ?4 history, ?5 contacts, ?6 peaks' day: a statement without one
	 * answers SQLITE_RANGE, which is fine */
	sqlite3_bind_int64(st, 4, history_before);
	sqlite3_bind_int64(st, 5, contacts_before);
	sqlite3_bind_int64(st, 6, peaks_day);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
}

/*
 * store_prune - one step of each statement: 1 when a step deleted a
 * full PRUNE_STEP (more may be left), 0 when nothing is left, -1 on
 * error (logged)
 */
int store_prune(struct store *s, sqlite3 *db, time_t now)
{
	long keep_c, keep_e, keep_h, keep_k, keep_p, total = 0;
	int n, more = 0;
	unsigned i;

	lock_acquire(&s->q_lock);
	keep_c = s->keep_counters > 0 ? s->keep_counters : DAY;
	keep_e = s->keep_events > 0 ? s->keep_events : 30 * DAY;
	keep_h = s->keep_history;
	keep_k = s->keep_contacts > 0 ? s->keep_contacts : 90 * DAY;
	keep_p = s->keep_peaks > 0 ? s->keep_peaks : 28 * DAY;
	lock_release(&s->q_lock);
	keep_c += 60;
	if (keep_h < keep_c) /* the log is at least what the counts need */
		keep_h = keep_c;
	for (i = 0; i < NPRUNE; i++) {
		n = prune_one(db, prune_sql[i], (long long)now - keep_c,
			      (long long)now - keep_e, (long long)now - keep_h,
			      (long long)now - keep_k,
			      ((long long)now - keep_p) / DAY - 1);
		if (n < 0) {
			store_fail(s, "prune", db);
			return -1;
		}
		store_checkpoint(s, db);
		total += n;
		more |= n == PRUNE_STEP;
	}
	if (total > 0)
		log_msg(LOG_DEBUG, "store: pruned %ld old rows%s", total,
			more ? ", more left" : "");
	return more;
}
