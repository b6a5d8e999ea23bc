/*
 * NAME
 *	store_prune - keep the database from growing without bound
 * DESCRIPTION
 *	Counter rows older than the longest window (plus a minute) and
 *	events, finished quarantine rows and closed incidents older than
 *	their retention are deleted, a few thousand rows per statement so
 *	the writer never holds the write lock for long.  Called by the writer once a minute.
 */
#include "log.h"
#include "store_int.h"

#define PRUNE_STEP 5000
#define DAY 86400L

static const char *const prune_sql[] = {
	"DELETE FROM msg_log WHERE rowid IN (SELECT rowid FROM msg_log "
	"WHERE ts < ?1 LIMIT 5000)",
	"DELETE FROM session_log WHERE rowid IN (SELECT rowid FROM "
	"session_log WHERE ts < ?1 LIMIT 5000)",
	"DELETE FROM events WHERE id IN (SELECT id FROM events "
	"WHERE ts < ?2 LIMIT 5000)",
	"DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine "
	"WHERE ts < ?2 AND status <> 'held' LIMIT 5000)",
	"DELETE FROM incidents WHERE id IN (SELECT id FROM incidents "
	"WHERE status <> 'open' AND closed < ?2 LIMIT 5000)",
};

/* prune_one - run one step of one statement; rows deleted, or -1 */
static int prune_one(sqlite3 *db, const char *sql, long long counters_before,
		     long long events_before)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, counters_before);
	sqlite3_bind_int64(st, 2, events_before);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? sqlite3_changes(db) : -1;
}

/* store_prune - delete what is past retention, a bounded amount a call */
void store_prune(struct store *s, sqlite3 *db, time_t now)
{
	long keep_c, keep_e, total = 0;
	unsigned i;
	int n, rounds;

	pthread_mutex_lock(&s->q_lock);
	keep_c = s->keep_counters > 0 ? s->keep_counters : DAY;
	keep_e = s->keep_events > 0 ? s->keep_events : 30 * DAY;
	pthread_mutex_unlock(&s->q_lock);
	keep_c += 60;
	for (i = 0; i < sizeof(prune_sql) / sizeof(prune_sql[0]); i++) {
		for (rounds = 0; rounds < 20; rounds++) {
			n = prune_one(db, prune_sql[i],
				      (long long)now - keep_c,
				      (long long)now - keep_e);
			if (n < 0) {
				store_fail(s, "prune", db);
				return;
			}
			total += n;
			if (n < PRUNE_STEP)
				break;
		}
	}
	if (total > 0)
		log_msg(LOG_DEBUG, "store: pruned %ld old rows", total);
}
