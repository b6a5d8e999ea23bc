/*
 * NAME
 *	store_pg - the PostgreSQL backend of the store, as the store's
 *	public functions call it
 * SYNOPSIS
 *	#include "store_int.h"
 * DESCRIPTION
 *	store_open() hands a postgresql:// (or postgres://) URI to
 *	store_pg_open(); every public store function whose work differs
 *	on PostgreSQL starts with "if (s->pg) return store_pg_...()".
 *	This header names no libpq type: only lib/store_pg*.c include
 *	libpq-fe.h (their own store_pg_int.h).
 */
#ifndef OUTGUARD_STORE_PG_H
#define OUTGUARD_STORE_PG_H

#include <stddef.h>
#include <time.h>

#include "store.h"

struct store_arg;

/* store_pg_uri - 1 when path names a PostgreSQL database */
int store_pg_uri(const char *path);

/* store_pg_open - connect, create or migrate; s is set up; 0 or -1 */
int store_pg_open(struct store *s, const char *uri, int flags, char *err,
		  size_t errlen);

/* store_pg_close - stop the writer and listener, close connections */
void store_pg_close(struct store *s);

int store_pg_start_writer(struct store *s);
void store_pg_flush(struct store *s);

/* store_pg_policy_sync - copy the policy tables into the mirror */
int store_pg_policy_sync(struct store *s, char *err, size_t errlen);

/* store_pg_policy_loaded - remember the windows of a loaded policy */
void store_pg_policy_loaded(struct store *s, const struct policy *p);

int store_pg_policy_version(struct store *s, long long *version);
int store_pg_user_get(struct store *s, const char *login, struct store_user *u);
int store_pg_counts_get(struct store *s, const char *login, time_t now,
			struct window_counts *c, int n);
int store_pg_lookup(struct store *s, const char *login, const char *network,
		    time_t now, struct store_user *u,
		    int (*windows_for)(void *arg, const struct store_user *u,
				       struct window_counts *c),
		    void *arg, struct window_counts *c,
		    struct store_mark *mark);
int store_pg_exists(struct store *s, int which, const char *a, const char *b,
		    const char *c);
#define STORE_PG_SENDER	 0
#define STORE_PG_SEEN	 1
#define STORE_PG_COUNTED 2

void store_pg_since(struct store *s, const char *login,
		    const struct store_mark *mark, long *msgs, long *rcpts,
		    long *sessions);
void store_pg_mark_drop(struct store *s, const char *login,
			struct store_mark *mark);

/* Queued writes: the settle of a message (its msg_log row, new_rcpt
 * its recipients new to the login), sessions, the rest. */
void store_pg_add_message(struct store *s, const char *login, time_t ts,
			  int rcpts, const char *client_addr,
			  const char *queue_id, const char *message_id,
			  long new_rcpt);
void store_pg_add_session(struct store *s, const char *login, time_t ts,
			  const char *client_addr, const char *network);
void store_pg_add_event(struct store *s, const struct store_event *e);
void store_pg_add_quarantine(struct store *s, const struct store_quarantine *q);
void store_pg_add_trip(struct store *s, const struct store_trip *t);
void store_pg_add_seen(struct store *s, const char *domain, const char *rule,
		       time_t ts);
void store_pg_set_status(struct store *s, const char *login,
			 enum user_status status, const char *note);
int store_pg_incident_open(struct store *s, const char *login,
			   struct store_incident_brief *b);

/* The detection state and pruning, store_pg_detect.c. */
void store_pg_add_counts(struct store *s, const char *login, time_t ts,
			 long refused, long new_rcpt, long bounce);
void store_pg_add_event_folded(struct store *s, const struct store_event *e);
void store_pg_add_contacts(struct store *s, const char *login, time_t ts,
			   const long long *hashes, int n, long max);
void store_pg_add_bounces(struct store *s, time_t ts, const char *qids,
			  const char *key, const char *pos);
void store_pg_add_peak(struct store *s, const char *login, const char *metric,
		       long window_s, time_t ts, long count);
int store_pg_contacts_known(struct store *s, const char *login, time_t since,
			    const long long *hashes, int n);
long store_pg_baseline(struct store *s, const char *login, const char *metric,
		       long window_s, time_t now, long baseline_days);

/* store_pg_prune - a pruning pass as of now where this daemon holds
 * the fleet's prune lock: rows deleted, 0 when another holds it, -1 */
long store_pg_prune(struct store *s, time_t now);

/* store_pg_admin_query - store_admin_query() on PostgreSQL */
int store_pg_admin_query(struct store *s, const char *what, const char *sql,
			 const struct store_arg *args, store_row_fn fn,
			 void *arg, char *err, size_t errlen);

/* store_pg_sim_copy - policy tables into a SQLite db: simulate's copy, the
 * daemon's mirror (store_pg_sim.c) */
int store_pg_sim_copy(struct store *s, struct sqlite3 *db,
		      const char *const *tables, int ntables, char *err,
		      size_t errlen);

/* store_pg_sim_history - simulate: the history rows to fn, streamed */
int store_pg_sim_history(struct store *s, long long since, store_hist_fn fn,
			 void *arg, char *err, size_t errlen);

#endif
