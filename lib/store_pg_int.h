/*
 * NAME
 *	store_pg_int - what lib/store_pg*.c share; includes libpq-fe.h
 * DESCRIPTION
 *	struct store_pg hangs off struct store (s->pg).  Connections come
 *	from a small pool (pg_get/pg_put); every statement runs through
 *	pg_exec(), which prepares it on first use on that connection and
 *	turns a failure into store_fail() (a broken connection is closed,
 *	so the next pg_get opens a new one: reconnecting is implicit).
 */
#ifndef OUTGUARD_STORE_PG_INT_H
#define OUTGUARD_STORE_PG_INT_H

#include <libpq-fe.h>

#include "store_int.h"

#define PG_POOL_MAX 32 /* mail-path connections open at most */
#define PG_WINDOWS  32 /* distinct windows of a policy, at most */
#define PG_STALE_S  3600
/* a lookup reserves up to PG_LEASE recipients at once when every
 * refusing limit leaves PG_LEASE_MARGIN more: far from its limits a
 * message's recipients cost no further round trip, near them each
 * one is reserved exactly (the unused part returns at the settle) */
#define PG_LEASE	16
#define PG_LEASE_MARGIN 1024
#define PG_QUEUE_MAX	200000
#define PG_BATCH_MAX	500
/* the writer waits PG_BATCH_WAIT_MS for a batch of fewer than
 * PG_BATCH_MIN writes to grow (settles only leave reservations later:
 * the counts are the same) */
#define PG_BATCH_MIN	 64
#define PG_BATCH_WAIT_MS 10

/* The prepared statements, by index. */
enum pg_stmt {
	PG_RESERVE,
	PG_USER,
	PG_SENDER,
	PG_SEEN,
	PG_COUNTED,
	PG_VERSION,
	PG_SETTLE,
	PG_SESSION,
	PG_EVENT,
	PG_QUARANTINE,
	PG_STATUS,
	PG_SEEN_ADD,
	PG_TRIP,
	PG_SETTLE_N,  /* the msg_log rows of a batch's settles, as arrays */
	PG_UNRESERVE, /* the reservations of a batch's settles */
	PG_SESSION_N, /* the sessions of a batch, as arrays */
	/* store_pg_detect.c's, in its pg_detect_stmts[] */
	PG_EXTRA,
	PG_DETECT_FIRST = PG_EXTRA,
	PG_EVENT_AGG,
	PG_CONTACTS,
	PG_BOUND,
	PG_BOUNCES,
	PG_PEAK,
	PG_KNOWN,
	PG_BASELINE,
	PG_PRUNE_LOCK,
	PG_PRUNE_UNLOCK,
	PG_PRUNE_MSG,
	PG_PRUNE_SESSION,
	PG_PRUNE_COUNTS,
	PG_PRUNE_EVENTS,
	PG_PRUNE_QUARANTINE,
	PG_PRUNE_INCIDENTS,
	PG_PRUNE_CONTACTS,
	PG_PRUNE_PEAKS,
	PG_PRUNE_RESERVATIONS,
	PG_NSTMTS
};

/* One prepared statement: its SQL and parameter types (OIDs as text). */
struct pg_stmt_def {
	const char *sql;
	int n;
	const char *types[12];
};

/* store_pg_detect.c's statements, PG_DETECT_FIRST on */
extern const struct pg_stmt_def pg_detect_stmts[PG_NSTMTS - PG_DETECT_FIRST];

/* pg_pruner_start, _stop - the pruning thread, store_pg_detect.c */
int pg_pruner_start(struct store *s);
void pg_pruner_stop(struct store *s);

struct pg_conn {
	struct pg_conn *next; /* in the free list */
	PGconn *c;
	unsigned long long prepared; /* bit i: statement i is prepared */
};

struct pg_op; /* a queued write, store_pg_write.c */

struct store_pg {
	char *uri;
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;
	struct pg_conn *pool; /* free connections */
	int open;	      /* open, free or borrowed */

	/* the windows of the loaded policy, asked for at every lookup */
	pthread_mutex_t win_lock;
	long windows[PG_WINDOWS];
	int nwindows;

	/* the writer, store_pg_write.c */
	pthread_t writer;
	int writer_running, stopping, writing;
	pthread_mutex_t q_lock;
	pthread_cond_t q_cond, q_done;
	struct pg_op *q_head, *q_tail;
	long q_len, q_enqueued, q_committed;
	struct pg_conn *wconn;

	/* the listener, store_pg_listen.c */
	pthread_t listener;
	int listener_running;
	int listen_pipe[2];
	long long policy_version; /* from NOTIFY; -1 unknown */
	int listening;		  /* LISTEN is up: users rows may be trusted */

	/* the server unreachable: no connection is tried before
	 * down_until (backoff 0.5 to 30 s), see pg_get */
	long long down_until, down_since; /* ms, CLOCK_MONOTONIC; 0: up */
	long down_ms;

	/* for the log at close: mail-path round trips per lookup */
	long calls, lookups, batches, written; /* atomic (__atomic_*) */

	/* the pruning thread, store_pg_detect.c */
	pthread_t pruner;
	int pruner_running, prune_stop;
	pthread_mutex_t prune_lock;
	pthread_cond_t prune_cond;
	pthread_mutex_t ver_lock;
};

/* The reservation of a message in flight, held by its mark. */
struct store_pg_flight {
	long long res_id; /* 0: none yet */
	int prepaid;	  /* recipients granted at the lookup, not used */
	int n;		  /* windows below */
	long ws[POLICY_MAX_WINDOWS];
	long m[POLICY_MAX_WINDOWS], r[POLICY_MAX_WINDOWS],
		se[POLICY_MAX_WINDOWS];
};

/* pg_connect - a new connection to uri; NULL with err */
PGconn *pg_connect(const char *uri, char *err, size_t errlen);

/* pg_get - a pooled connection; NULL (logged) when none can be had */
struct pg_conn *pg_get(struct store *s);

/* pg_put - give a connection back (closed if it broke) */
void pg_put(struct store *s, struct pg_conn *pc);

/*
 * pg_exec - run prepared statement i with n text params; the result
 * (PGRES_TUPLES_OK or PGRES_COMMAND_OK), or NULL after store_fail().
 */
PGresult *pg_exec(struct store *s, struct pg_conn *pc, enum pg_stmt i, int n,
		  const char *const *values);

/* pg_simple - run sql without parameters; 0 or -1 (err set) */
int pg_simple(PGconn *c, const char *sql, char *err, size_t errlen);

/* pg_enqueue - hand a write to the writer (or run it now without one) */
void pg_enqueue(struct store *s, enum pg_stmt kind, int n,
		const char *const *values);

/* pg_writer_start - start the writer thread, store_pg_write.c; 0 or -1 */
int pg_writer_start(struct store *s);

/* pg_fail - log a statement's failure, mark the store unhealthy */
void pg_fail(struct store *s, const char *what, PGconn *c, const PGresult *res);

/*
 * store_pg_users.c: users rows read by lookups, trusted while LISTEN
 * outguard_user is up (one store per process uses them).
 */
unsigned pg_users_gen(const char *login);
void pg_users_put(struct store_pg *pg, const char *login,
		  const struct store_user *u, unsigned gen);
int pg_users_get(struct store_pg *pg, const char *login, struct store_user *u);
void pg_users_forget(const char *login);
void pg_users_reset(struct store_pg *pg, int listening);

/* store_pg_listen_start, _stop - the LISTEN thread */
int store_pg_listen_start(struct store *s);
void store_pg_listen_stop(struct store *s);

#endif
