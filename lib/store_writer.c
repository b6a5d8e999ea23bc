/*
 * NAME
 *	store_writer - the writer thread
 * DESCRIPTION
 *	One thread commits the queued writes (store_write.c) in batches,
 *	at most one batch every GATHER_MS, and checkpoints the WAL after
 *	each (store_wal.c).  Once a second it does its housekeeping: it
 *	notices a database file that was removed or replaced (and then
 *	reopens the writer and main connections on the new file and
 *	retires the pooled readers), writes a
 *	heartbeat (which is how a read-only or full database shows up
 *	when no mail flows), and every minute starts pruning old counters
 *	and events (store_prune.c), which then goes on a step between
 *	batches until it has caught up.
 * DIAGNOSTICS
 *	A failed batch stays queued and is retried after a second; the
 *	store is unhealthy until a write succeeds.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

#define GATHER_MS 10 /* between the starts of two batches */

/* writer_swap - the writer thread moves to connection db */
static void writer_swap(struct store *s, sqlite3 *db)
{
	store_wconn_close(&s->w_thread);
	sqlite3_close(s->w_thread.db);
	s->w_thread.db = db;
	store_wal_setup(s, db);
}

/*
 * reopen - the file at the path is not the one we have open (it was
 * restored or recreated): open the writer and main connections on it,
 * migrating it if needed, and retire the pooled readers.  The writer
 * thread calls this; queued writes then go to the new file.
 */
static int reopen(struct store *s)
{
	sqlite3 *w, *m;
	char err[300];
	struct stat st;

	if ((w = store_conn_open(s->path, 0, err, sizeof(err))) == NULL ||
	    sqlite3_exec(w, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    store_migrate(w, 1, err, sizeof(err)) < 0 ||
	    (m = store_conn_open(s->path, 0, err, sizeof(err))) == NULL) {
		log_ratelimited("reopen", 10, LOG_ERR,
				"store: cannot reopen "
				"%s: %s",
				s->path, w ? sqlite3_errmsg(w) : err);
		sqlite3_close(w);
		return -1;
	}
	writer_swap(s, w);
	lock_acquire(&s->db_lock);
	sqlite3_close(s->db);
	s->db = m;
	lock_release(&s->db_lock);
	pthread_mutex_lock(&s->readers_lock);
	s->generation++;
	pthread_mutex_unlock(&s->readers_lock);
	store_readers_close(s);
	if (stat(s->path, &st) == 0) {
		s->st_dev = st.st_dev;
		s->st_ino = st.st_ino;
	}
	log_msg(LOG_NOTICE, "store: %s was replaced; reopened it", s->path);
	return 0;
}

/* housekeeping - notice removal, heartbeat, prune; once a second */
static void housekeeping(struct store *s, time_t now, time_t *last_beat,
			 time_t *last_prune)
{
	static const char beat_sql[] =
		"INSERT OR REPLACE INTO daemon_state (key, value) "
		"VALUES ('heartbeat', strftime('%s','now'))";
	struct stat st;
	char why[200];
	int healthy = store_healthy(s, why, sizeof(why));

	if (stat(s->path, &st) < 0) {
		s->gone = 1; /* writes wait; counts stay in memory */
		store_fail(s,
			   "database file removed; restore it, or create "
			   "a new one with outguard -n",
			   NULL);
		return;
	}
	if (st.st_ino != s->st_ino || st.st_dev != s->st_dev) {
		if (reopen(s) < 0) {
			s->gone = 1;
			store_fail(s,
				   "database file replaced and cannot be "
				   "opened",
				   NULL);
			return;
		}
		s->gone = 0;
		healthy = 0; /* prove the new file with a heartbeat */
		*last_prune = now;
	}
	if (!healthy || now - *last_beat >= 10) {
		*last_beat = now;
		if (sqlite3_exec(s->w_thread.db, beat_sql, NULL, NULL, NULL) ==
		    SQLITE_OK)
			store_ok(s);
		else
			store_fail(s, "heartbeat", s->w_thread.db);
	}
	if (healthy && now - *last_prune >= 60) {
		*last_prune = now;
		s->prune_behind = 1; /* see writer_main */
	}
}

/*
 * gather - let writes gather into one batch: sleep until GATHER_MS after
 * the start of the last batch.  A commit costs about as much as many
 * rows, and each one empties the page caches of the readers; at a few
 * hundred messages a second (two writes each) a commit per write was a
 * fifth of the daemon's CPU time.  Readers count what is queued, so
 * nothing waits for the commit.
 */
static void gather(struct store *s, struct timespec *last)
{
	struct timespec now, t;
	long ns;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (now.tv_sec - last->tv_sec) * 1000000000L +
	     (now.tv_nsec - last->tv_nsec);
	if (!s->stopping && ns >= 0 && ns < GATHER_MS * 1000000L) {
		t.tv_sec = 0;
		t.tv_nsec = GATHER_MS * 1000000L - ns;
		nanosleep(&t, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
	}
	*last = now;
}

/* writer_main - the writer thread */
static void *writer_main(void *arg)
{
	struct store *s = arg;
	time_t now, last_beat = 0, last_prune = 0, last_house = 0;
	struct timespec until, last_batch = { 0, 0 };
	int failed = 0;

	for (;;) {
		lock_acquire(&s->q_lock);
		if (s->q_head == NULL && !s->stopping && !s->prune_behind) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			lock_wait(&s->q_lock, &s->q_cond, &until);
		}
		if (s->stopping && (s->q_head == NULL || failed)) {
			lock_release(&s->q_lock);
			break;
		}
		lock_release(&s->q_lock);
		gather(s, &last_batch);
		failed = s->gone || store_drain(s, &s->w_thread) < 0;
		if (!failed)
			store_checkpoint(s, s->w_thread.db);
		now = time(NULL);
		if (now != last_house) {
			last_house = now;
			housekeeping(s, now, &last_beat, &last_prune);
		}
		/* a step of pruning between batches, until it has caught up */
		if (!failed && s->prune_behind)
			s->prune_behind = store_prune(s, s->w_thread.db, now) >
					  0;
		if (failed && !s->stopping)
			sleep(1); /* retry the batch in a second */
	}
	return NULL;
}

/* store_start_writer - start the writer thread */
int store_start_writer(struct store *s)
{
	char err[300];
	struct stat st;

	if (s->pg)
		return store_pg_start_writer(s);

	if (stat(s->path, &st) == 0) {
		s->st_dev = st.st_dev;
		s->st_ino = st.st_ino;
	}
	s->w_thread.db = store_conn_open(s->path, 0, err, sizeof(err));
	if (s->w_thread.db == NULL) {
		log_msg(LOG_ERR, "store: %s", err);
		return -1;
	}
	store_wal_setup(s, s->w_thread.db);
	if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
		sqlite3_close(s->w_thread.db);
		s->w_thread.db = NULL;
		return -1;
	}
	s->writer_running = 1;
	return 0;
}

/* store_writer_stop - flush and stop the writer; drop what cannot be written */
void store_writer_stop(struct store *s)
{
	if (s->writer_running) {
		lock_acquire(&s->q_lock);
		s->stopping = 1;
		pthread_cond_signal(&s->q_cond);
		lock_release(&s->q_lock);
		pthread_join(s->writer, NULL);
		s->writer_running = 0;
		store_wconn_close(&s->w_thread);
		sqlite3_close(s->w_thread.db);
		s->w_thread.db = NULL;
	}
	store_queue_discard(s);
	store_wconn_close(&s->w_direct);
	store_pend_free(s);
}
