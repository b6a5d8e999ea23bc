/*
 * NAME
 *	store_int - what the store_*.c files share; not for other modules
 * DESCRIPTION
 *	struct store and the helpers the store's files use among
 *	themselves.  Only store_*.c include this (and so sqlite3.h).
 */
#ifndef OUTGUARD_STORE_INT_H
#define OUTGUARD_STORE_INT_H

#include <pthread.h>
#include <sys/types.h>
#include <sqlite3.h>

#include "lock.h"
#include "store.h"
#include "store_pg.h"

#define STORE_BUSY_MS	  2000 /* how long a statement waits for a lock */
#define STORE_LOGIN_LOCKS 64   /* stripes of store_login_lock */

struct store_op;    /* a queued write, store_write.c */
struct store_cache; /* the last counts read, store_cache.c */
struct store_pend;  /* per-login reservations and queued counts */

#define STORE_WCONN_STMTS 20 /* kinds of queued writes, at most */

/* A writing connection and its statements, prepared on first use. */
struct store_wconn {
	sqlite3 *db;
	sqlite3_stmt *st[STORE_WCONN_STMTS];
};

struct store {
	char *path;
	struct store_pg *pg;	   /* PostgreSQL (store_pg*.c), else NULL */
	struct store_cache *cache; /* OnStoreError enforce, else NULL */
	int flags;
	char relay[STORE_RELAY_MAX]; /* quarantine.relay, store_relay.c */
	sqlite3 *db;	     /* main connection: admin, policy, writer */
	struct lock db_lock; /* one user of db at a time */
	pthread_mutex_t readers_lock;
	pthread_cond_t readers_cond;  /* a reader was given back */
	struct store_reader *readers; /* free read connections, store_read.c */
	int readers_open;	      /* open, free or borrowed */

	/* health, see store_healthy() */
	pthread_mutex_t health_lock;
	int healthy;
	char why[200];

	/* writer thread, store_write.c */
	pthread_t writer;
	struct store_wconn w_thread; /* the writer thread's connection */
	struct store_wconn w_direct; /* s->db, when there is no writer */
	int writer_running;
	int stopping;
	struct lock q_lock;
	pthread_cond_t q_cond; /* work queued or stop */
	pthread_cond_t q_done; /* a batch committed */
	struct store_op *q_head, *q_tail;
	long q_len;
	long q_committed, q_enqueued;
	int q_writing; /* a batch taken off the queue is written */
	long keep_counters, keep_events; /* retention, seconds */
	long keep_history;		 /* msg_log and session_log, seconds */
	long keep_contacts;		 /* contact_days, seconds */
	long keep_peaks;		 /* baseline_days, seconds */
	int queue_logins; /* MailLog: messages' queue ids to queue_logins */
	int wal_frames;	  /* writer thread: frames in the WAL */
	int ckpt_at;	  /* writer thread: checkpoint from here */
	int prune_behind; /* writer thread: a prune pass is on */
	dev_t st_dev;	  /* the file opened, to notice removal */
	ino_t st_ino;
	int gone;	/* the file was removed: writes wait */
	int generation; /* bumped when connections are reopened */

	/* counts not yet in the database, store_write.c */
	struct lock_rw commit_lock; /* readers shared, a commit's end excl. */
	struct lock pend_lock;
	long long committing; /* the batch committing (writer_batch), or 0 */
	struct store_pend **pend;
	unsigned pend_size;
	struct lock login_locks[STORE_LOGIN_LOCKS];
};

/* store_conn.c, the bottom: calls no other store file */

/* store_conn_open - a configured connection; NULL with err */
sqlite3 *store_conn_open(const char *path, int readonly, char *err,
			 size_t errlen);

/* store_migrate - create or migrate the schema on db; 0 or -1 */
int store_migrate(sqlite3 *db, int create, char *err, size_t errlen);

/* store_db - the main connection; the caller holds s->db_lock */
static inline sqlite3 *store_db(struct store *s)
{
	LOCK_HELD(&s->db_lock);
	return s->db;
}

/*
 * store_policy_read - a policy snapshot (refs 0) read from db in one
 * transaction, store_policy.c; NULL with err.  The caller owns db.
 */
struct policy *store_policy_read(sqlite3 *db, char *err, size_t errlen);

/* store_fail - record a failure (logged rate-limited), marks unhealthy */
void store_fail(struct store *s, const char *what, sqlite3 *db);

/* store_ok - a write or read succeeded: healthy again */
void store_ok(struct store *s);

/* store_writer_stop - flush the queue and stop the writer thread */
void store_writer_stop(struct store *s);

/* store_readers_close - close the pooled read connections */
void store_readers_close(struct store *s);

#define STORE_EXTRA 3 /* the counts columns refused, new_rcpt, bounce */

/*
 * store_pend_extra - with x: add login's pending refused, new_rcpt and
 * bounce deltas (x[STORE_EXTRA]); with x NULL: read them into out
 * (caller holds pend_lock)
 */
void store_pend_extra(struct store *s, const char *login, const long *x,
		      long *out);

/* msgs, rcpts, sessions and the STORE_EXTRA: a batch's share */
#define STORE_FLY (3 + STORE_EXTRA)

/*
 * store_pend_fly - add v (sign -1: take off) to login's share of the
 * batch the writer commits (caller holds pend_lock)
 */
void store_pend_fly(struct store *s, const char *login, const long v[STORE_FLY],
		    long sign);

/*
 * store_pend_flying - login's share of the batch committing into v;
 * returns the batch's number (daemon_state writer_batch), or 0 when no
 * batch commits or login has no share in it (caller holds pend_lock)
 */
long long store_pend_flying(struct store *s, const char *login,
			    long v[STORE_FLY]);

/* store_pend_get - counts pending for login (caller holds pend_lock) */
void store_pend_get(struct store *s, const char *login, long *msgs, long *rcpts,
		    long *sessions);

/* store_pend_add - add deltas for login (caller holds pend_lock) */
void store_pend_add(struct store *s, const char *login, long msgs, long rcpts,
		    long sessions);

/*
 * store_pend_commit - counts of login were committed: they leave the
 * pending counts and are remembered as moved for held marks (caller
 * holds pend_lock)
 */
void store_pend_commit(struct store *s, const char *login, long msgs,
		       long rcpts, long sessions);

/*
 * store_pend_mark - take a mark of login's pending and moved counts
 * (caller holds pend_lock and commit_lock); mark->held 0 if out of memory
 */
void store_pend_mark(struct store *s, const char *login,
		     struct store_mark *mark);

/* store_drain - write what is queued on w (the writer thread's: one
 * batch); -1 when a batch failed */
int store_drain(struct store *s, struct store_wconn *w);

/* store_wconn_close - finalize w's statements, not its connection */
void store_wconn_close(struct store_wconn *w);

/* store_queue_discard - drop what is still queued, logging how much */
void store_queue_discard(struct store *s);

/* store_checkpoint - on the writer's connection db, checkpoint and
 * restart the WAL once it has grown; else nothing */
void store_checkpoint(struct store *s, sqlite3 *db);

/* store_wal_setup - make db, the writer's connection, report the WAL's
 * size to store_checkpoint (SQLite's own checkpoints off) */
void store_wal_setup(struct store *s, sqlite3 *db);

/* store_prune - one step of deleting counters and events past
 * retention: 1 more may be left, 0 all done, -1 error */
int store_prune(struct store *s, sqlite3 *db, time_t now);

/*
 * store_cache.c: OnStoreError enforce.  store_cache_put() keeps what a
 * lookup read, less this process's pending counts (nothing unless
 * enforce is on); store_cache_lookup()
 * answers a lookup that could not read, 0 (or -1 when enforce is off).
 */
void store_cache_put(struct store *s, const char *login,
		     const struct store_user *u, const struct window_counts *c,
		     int n, const long pending[3]);
int store_cache_lookup(struct store *s, const char *login, time_t now,
		       struct store_user *u,
		       int (*windows_for)(void *arg, const struct store_user *u,
					  struct window_counts *c),
		       void *arg, struct window_counts *c,
		       struct store_mark *mark);
void store_cache_free(struct store *s);

/* store_cache_count - (caller holds pend_lock) msgs/rcpts/sessions of
 * login were committed
 * (SQLite) or recorded (PostgreSQL): the cache counts them too */
void store_cache_count(struct store *s, const char *login, long msgs,
		       long rcpts, long sessions);

/* store_pend_since, store_pend_mark_drop - store_since and
 * store_mark_drop on the pending table (store_mark.c chooses) */
void store_pend_since(struct store *s, const char *login,
		      const struct store_mark *mark, long *msgs, long *rcpts,
		      long *sessions);
void store_pend_mark_drop(struct store *s, const char *login,
			  struct store_mark *mark);

/* store_cache_committed - a PostgreSQL write of login's counts was
 * committed: they leave the pending table and enter the cache */
void store_cache_committed(struct store *s, const char *login, long msgs,
			   long rcpts, long sessions);

/* store_pend_free - drop the pending table */
void store_pend_free(struct store *s);

/* One parameter of an admin query, ?1, ?2, ... in order. */
struct store_arg {
	enum { STORE_ARG_END, STORE_ARG_TEXT, STORE_ARG_INT } kind;
	sqlite3_int64 i;
	const char *t; /* STORE_ARG_TEXT: NULL binds NULL */
};
#define STORE_TEXT(v) ((struct store_arg){ STORE_ARG_TEXT, 0, (v) })
#define STORE_INT(v)                                                           \
	((struct store_arg){ STORE_ARG_INT, (sqlite3_int64)(v), 0 })
#define STORE_NULL STORE_TEXT(NULL)
#define STORE_END  ((struct store_arg){ STORE_ARG_END, 0, 0 })

/*
 * store_admin_query - the admin query sequence, store_admin.c: take
 * s->db_lock, prepare sql on the main connection, bind args (up to
 * STORE_END; NULL: none), step it, handing each row to fn (NULL: none;
 * fn returning non-zero stops), finalize, unlock.  Returns the rows
 * stepped (a statement with columns) or the rows changed (one without),
 * or -1: then the cause is "what: message" in err when err is not NULL,
 * else logged through store_fail().
 */
int store_admin_query(struct store *s, const char *what, const char *sql,
		      const struct store_arg *args, store_row_fn fn, void *arg,
		      char *err, size_t errlen);

/*
 * store_files.c: the database's file modes.  store_files_create()
 * makes a missing file 0600; store_files_secure() takes others'
 * permissions off the file, -wal and -shm (logged); and
 * store_files_access() returns -1 with a sentence naming the file,
 * its owner and mode when this process may not use it.
 */
void store_files_create(const char *path);
void store_files_secure(const char *path);
int store_files_access(const char *path, int readonly, char *err,
		       size_t errlen);

#endif
