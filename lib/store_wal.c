/*
 * NAME
 *	store_wal - the writer's checkpoints: the WAL stays small
 * DESCRIPTION
 *	The writer's connection tells, after each commit, how many frames
 *	the WAL holds (a WAL hook, which also turns SQLite's own
 *	checkpoints off); past STORE_CKPT_FRAMES the writer copies them
 *	back into the database between two batches and has the next
 *	commit start the WAL from its beginning again.  A WAL that grew
 *	past STORE_WAL_LIMIT bytes is cut back to it then.
 * DIAGNOSTICS
 *	A checkpoint that fails for another reason than a busy reader is
 *	logged, at most once a minute.
 */
#include <stdio.h>

#include "log.h"
#include "store_int.h"

#define STORE_CKPT_FRAMES 4096 /* WAL frames (pages) between checkpoints */
#define STORE_WAL_LIMIT	  (64 << 20) /* bytes the WAL is cut back to */
#define CKPT_WAIT_MS	  100	     /* for reads on older frames */

/* wal_hook - after each commit of the writer: the WAL's length in frames */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *s = arg;

	(void)db;
	(void)name;
	s->wal_frames = frames;
	return SQLITE_OK;
}

/*
 * store_checkpoint - copy the WAL back into the database once it holds
 * STORE_CKPT_FRAMES frames.  SQLite would do this inside a COMMIT,
 * where the writer holds the lock readers of the mail path wait on;
 * here it runs outside it.  RESTART waits up to CKPT_WAIT_MS for reads
 * still on older frames (the mail path's last microseconds) so that the
 * next commit writes the WAL from its start again: a checkpoint that
 * never waits hardly ever got there under a steady stream of reads, and
 * the WAL grew by gigabytes.  A long read (an admin's open transaction)
 * makes it give up, having copied what it could; it tries again when
 * the WAL has grown by another quarter of the threshold.
 */
void store_checkpoint(struct store *s, sqlite3 *db)
{
	int rc;

	if (db != s->w_thread.db || s->wal_frames < s->ckpt_at)
		return;
	sqlite3_busy_timeout(db, CKPT_WAIT_MS);
	rc = sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_RESTART,
				       NULL, NULL);
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	s->ckpt_at = rc == SQLITE_OK ? STORE_CKPT_FRAMES
				     : s->wal_frames + STORE_CKPT_FRAMES / 4;
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		log_ratelimited("checkpoint", 60, LOG_WARNING,
				"store: checkpoint: %s", sqlite3_errmsg(db));
}

/* store_wal_setup - the writer's connection db: checkpoints are ours,
 * a WAL that grew past the limit is cut back when it restarts, and its
 * page cache is 16 MB (2 MB by default), which keeps the inner pages of
 * a million logins' counts: the store alone took 105-118 us of CPU per
 * message at a million logins with 2 MB, 81-90 us with 16 MB, and no
 * less with 64 MB */
void store_wal_setup(struct store *s, sqlite3 *db)
{
	char sql[128];

	sqlite3_wal_hook(db, wal_hook, s); /* no auto-checkpoint */
	snprintf(sql, sizeof(sql),
		 "PRAGMA journal_size_limit=%d; "
		 "PRAGMA cache_size=-16384",
		 STORE_WAL_LIMIT);
	sqlite3_exec(db, sql, NULL, NULL, NULL);
	s->wal_frames = 0;
	s->ckpt_at = STORE_CKPT_FRAMES;
}
