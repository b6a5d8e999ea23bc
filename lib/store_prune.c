/*
 * NAME
 *	store_prune - keep the database from growing without bound
 * DESCRIPTION
 *	Counter rows older than the longest window (plus a minute) and
 *	events and finished quarantine rows older than their retention are
 *	deleted, PRUNE_STEP rows per statement and commit, the tables in
 *	turn, so the writer never holds the write lock for long.  The
 *	writer calls it once a minute; a call stops after PRUNE_BUDGET_MS
 *	and says so, and the writer then calls again a second later until
 *	it has caught up: at most half of the writer's time goes to
 *	pruning, and pruning keeps up with any rate the writer can insert
 *	at (a deletion costs about what an insertion did).
 */
#include <time.h>

#include "log.h"
#include "store_int.h"

#define PRUNE_STEP 5000
#define PRUNE_BUDGET_MS 500
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
};
#define NPRUNE (sizeof(prune_sql) / sizeof(prune_sql[0]))

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

/* elapsed_ms - milliseconds since t0 */
static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * store_prune - delete what is past retention for at most
 * PRUNE_BUDGET_MS: 0 when nothing is left, 1 when rows are left for
 * the next call, -1 on error (logged)
 */
int store_prune(struct store *s, sqlite3 *db, time_t now)
{
	long keep_c, keep_e, total = 0;
	int n, done[NPRUNE] = { 0 }, left = NPRUNE;
	struct timespec t0;
	unsigned i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&s->q_lock);
	keep_c = s->keep_counters > 0 ? s->keep_counters : DAY;
	keep_e = s->keep_events > 0 ? s->keep_events : 30 * DAY;
	pthread_mutex_unlock(&s->q_lock);
	keep_c += 60;
	while (left > 0) {
		for (i = 0; i < NPRUNE; i++) {
			if (done[i])
				continue;
			n = prune_one(db, prune_sql[i],
				      (long long)now - keep_c,
				      (long long)now - keep_e);
			if (n < 0) {
				store_fail(s, "prune", db);
				return -1;
			}
			s->commits_since_checkpoint++;
			total += n;
			if (n < PRUNE_STEP) {
				done[i] = 1;
				left--;
			}
		}
		if (left > 0 && elapsed_ms(&t0) >= PRUNE_BUDGET_MS)
			break;
	}
	if (total > 0)
		log_msg(LOG_DEBUG, "store: pruned %ld old rows%s", total,
			left > 0 ? ", more left" : "");
	return left > 0;
}
