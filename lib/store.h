/*
 * NAME
 *	store - the SQLite database: policy, counters, events, quarantine
 * SYNOPSIS
 *	#include "store.h"
 * DESCRIPTION
 *	The only module that includes sqlite3.h.  The database is one file
 *	in WAL mode, created from schema/outguard.sql when missing and
 *	migrated with schema/migrations/ (PRAGMA user_version).  Every
 *	statement is prepared with bound parameters; no SQL is built from
 *	mail data.
 *
 *	In the daemon, reads on the mail path (store_user_get,
 *	store_counts_get) borrow a connection from a pool, and all writes go
 *	through one writer thread that commits them in batches off the
 *	mail path (store_start_writer).  Counts include what is queued and
 *	what messages in flight have reserved, so concurrent messages of
 *	one login see each other and the stored totals are exact.
 *
 *	outguardctl uses the same handle without the writer: its writes
 *	(store_admin_*) are synchronous.
 *
 *	A postgresql:// URI opens the same interface on PostgreSQL
 *	(lib/store_pg*.c, the only files that include libpq-fe.h): the
 *	reservations of messages in flight are then kept in the database
 *	(outguard_reserve), so counts are exact across daemons.
 * DIAGNOSTICS
 *	Functions that can fail return -1 and log the cause once (rate
 *	limited).  store_healthy() says whether the last write or read
 *	failed; the caller applies OnStoreError.
 */
#ifndef OUTGUARD_STORE_H
#define OUTGUARD_STORE_H

#include <stddef.h>
#include <time.h>

#include "engine.h"
#include "policy.h"

struct store;

/* Flags for store_open. */
#define STORE_CREATE   1 /* create and migrate a missing database */
#define STORE_READONLY 2 /* open read-only; never migrate */

/*
 * store_open - open (and with STORE_CREATE create or migrate) a database:
 * a file (SQLite) or a postgresql:// URI (PostgreSQL, store_pg.h).
 * Returns NULL with the cause in err.
 */
struct store *store_open(const char *path, int flags, char *err, size_t errlen);

/* store_close - stop the writer after flushing it, close; NULL is fine */
void store_close(struct store *s);

/* store_path - the database path or URI (its password masked) */
const char *store_path(const struct store *s);

/* store_schema_version - PRAGMA user_version the code creates */
int store_schema_version(void);

/* store_start_writer - daemon mode: start the writer thread; 0 or -1 */
int store_start_writer(struct store *s);

/* Relay names (store_relay.c): what quarantine.relay holds. */
#define STORE_RELAY_MAX 128 /* with the NUL */

/* store_relay_default - $OUTGUARD_RELAY, else the host name, into buf */
void store_relay_default(char *buf, size_t len);

/* store_relay_valid - 1 when name is a good RelayName, else 0 */
int store_relay_valid(const char *name);

/*
 * store_set_relay - this daemon's relay name (NULL or "": the default),
 * written into the quarantine rows it writes; before store_start_writer
 */
void store_set_relay(struct store *s, const char *name);

/* store_relay - this relay's name (the default unless set) */
const char *store_relay(const struct store *s);

/* store_flush - wait until the writer has committed what is queued */
void store_flush(struct store *s);

/*
 * store_healthy - 1 when the store works; 0 when the last read or write
 * failed (why says what, NUL-terminated, may be NULL).
 */
int store_healthy(struct store *s, char *why, size_t whylen);

/*
 * store_set_enforce - OnStoreError enforce (SPEC 6.3): when on, a
 * store_lookup() that cannot read the database does not fail: it
 * answers from the login's last counts this process read (kept for
 * the most recent logins) plus what this process has counted since
 * (reserved, or queued and not yet written), and the user as last
 * read (else the default class).  Both moments are logged.
 */
void store_set_enforce(struct store *s, int on);

/*
 * store_set_queue_logins - with on (MailLog is set: bounces are
 * followed), each counted message with a queue id is also written to
 * queue_logins, where store_add_bounces finds its login (schema 9).
 * Set it before the writer starts.
 */
void store_set_queue_logins(struct store *s, int on);

/* store_chown - hand the database files to uid/gid (before dropping) */
int store_chown(struct store *s, unsigned uid, unsigned gid);

/* Policy ------------------------------------------------------------ */

/* store_policy_version - policy_version.version; 0 or -1 */
int store_policy_version(struct store *s, long long *version);

/* store_policy_load - a new snapshot (refs 0); NULL with err on failure */
struct policy *store_policy_load(struct store *s, char *err, size_t errlen);

/* Per-message reads (thread-safe) ----------------------------------- */

struct store_user {
	char class_name[64]; /* "default" when the login has no row */
	enum user_status status;
	int known; /* 1 when the login has a users row */
};

/* store_user_get - the login's users row; 0, or -1 on a store failure */
int store_user_get(struct store *s, const char *login, struct store_user *u);

/*
 * store_counts_get - counts per window (c[i].window_s set by the caller,
 * at most POLICY_MAX_WINDOWS windows)
 * of messages, recipients and sessions of login after now - window_s,
 * plus what is queued or reserved.  0, or -1 on a store failure.
 */
int store_counts_get(struct store *s, const char *login, time_t now,
		     struct window_counts *c, int n);

/*
 * A lookup's mark: the login's pending counts plus what commits have
 * moved from them into the database, when the counts were read.  While
 * it is held, store_since() tells what other messages of the login have
 * added since, so a decision at RCPT sees them without reading the
 * database again.  All zero (held 0) when nothing is held.
 */
struct store_mark {
	long msgs, rcpts, sessions;
	int held;
	struct store_pg_flight *flight; /* PostgreSQL: the reservation */
};

/*
 * store_lookup - store_user_get() and then store_counts_get() in one
 * read transaction, with networks counted apart from network (the
 * current one, or NULL): windows_for(arg, u, c) fills c[i].window_s for the
 * user's class and returns how many (0: no counts needed).  When counts
 * are read and mark is not NULL, the mark is taken (held until
 * store_mark_drop).  0 or -1.
 */
int store_lookup(struct store *s, const char *login, const char *network,
		 time_t now, struct store_user *u,
		 int (*windows_for)(void *arg, const struct store_user *u,
				    struct window_counts *c),
		 void *arg, struct window_counts *c, struct store_mark *mark);

/*
 * store_user_sender - 1 when user_senders lets login send as address
 * (the address itself or "@domain"), 0 when not, -1 on a store failure
 */
int store_user_sender(struct store *s, const char *login, const char *address,
		      const char *domain);

/*
 * store_message_counted - 1 when msg_log holds login's message with this
 * Message-Id (committed), 0 if not, -1 on a store failure
 */
int store_message_counted(struct store *s, const char *login,
			  const char *message_id);

/* store_seen_known - 1 when seen_domains has domain, 0 if not, -1 error */
int store_seen_known(struct store *s, const char *domain);

/* Reservations of messages in flight (memory only, never fail) ------- */

/* store_reserve - count msgs/rcpts of a message in flight for login */
void store_reserve(struct store *s, const char *login, int msgs, int rcpts);

/* store_release - undo a reservation (message refused or aborted) */
void store_release(struct store *s, const char *login, int msgs, int rcpts);

/*
 * store_since - what the login's counts grew by since mark was taken:
 * messages, recipients and sessions reserved, queued or stored by any
 * message, the caller's own reservations included.  Zeros when mark is
 * not held.
 */
void store_since(struct store *s, const char *login,
		 const struct store_mark *mark, long *msgs, long *rcpts,
		 long *sessions);

/* store_mark_drop - release a held mark of login; a no-op otherwise */
void store_mark_drop(struct store *s, const char *login,
		     struct store_mark *mark);

/*
 * store_login_lock, store_login_unlock - a lock per login (striped) for
 * a decision and the reservation it makes: concurrent messages of one
 * login that decide under it and reserve before unlocking cannot each
 * slip under a limit together.
 */
void store_login_lock(struct store *s, const char *login);
void store_login_unlock(struct store *s, const char *login);

/*
 * store_login_held - for "the caller holds login's lock" contracts: in
 * debug and sanitizer builds aborts unless it does (lock.h); else nothing
 */
void store_login_held(struct store *s, const char *login);

/* Queued writes (daemon: committed by the writer thread) ------------- */

/*
 * store_add_message - record an accepted or held message of rcpts
 * recipients, and in the same step drop the reservation the message
 * held (res_msgs, res_rcpts), so readers never count it twice.
 */
void store_add_message(struct store *s, const char *login, time_t ts, int rcpts,
		       const char *client_addr, const char *queue_id,
		       int res_msgs, int res_rcpts);

/*
 * store_add_message_id - record a message that held no reservation,
 * with its Message-Id (NULL: none), so store_message_counted() finds it
 */
void store_add_message_id(struct store *s, const char *login, time_t ts,
			  int rcpts, const char *client_addr,
			  const char *queue_id, const char *message_id);

/*
 * store_add_message_new - store_add_message() or store_add_message_id()
 * (message_id NULL: none) of a message with new_rcpt recipients new to
 * the login: msg_log's trigger counts them (metric new_rcpt) in the
 * same rows as the message, with no write of their own
 */
void store_add_message_new(struct store *s, const char *login, time_t ts,
			   int rcpts, const char *client_addr,
			   const char *queue_id, const char *message_id,
			   int res_msgs, int res_rcpts, long new_rcpt);

/* store_add_session - record an authenticated session from network */
void store_add_session(struct store *s, const char *login, time_t ts,
		       const char *client_addr, const char *network);

struct store_event {
	time_t ts;
	const char *login, *client_addr, *queue_id;
	const char *kind, *action, *detail;
};

/* store_add_event - append an events row (strings are copied) */
void store_add_event(struct store *s, const struct store_event *e);

/*
 * store_add_event_folded - count a refusal of e->login (not NULL) in the
 * events row of its login, kind and action for e->ts's minute: the
 * first one in a minute inserts the row (count 1, agg_minute set, its
 * detail), later ones add 1 to its count.  For refusals of a login that
 * is blocked or already over a limit, so an attack writes O(minutes)
 * rows.
 */
void store_add_event_folded(struct store *s, const struct store_event *e);

/*
 * store_add_counts - count refused, new_rcpt and bounce recipients of
 * login at ts in counts (the minute and second rows, like msg_log's
 * trigger); pending until committed, so store_lookup() sees them at
 * once.  Zeros queue nothing.
 */
void store_add_counts(struct store *s, const char *login, time_t ts,
		      long refused, long new_rcpt, long bounce);

/*
 * store_add_contacts - remember that login wrote to the recipients whose
 * keyed hashes are hashes[0..n) at ts (contacts, newest ts kept), and
 * keep the login at about max contacts (the oldest go; see
 * store_write.c).  The array is copied.
 */
void store_add_contacts(struct store *s, const char *login, time_t ts,
			const long long *hashes, int n, long max);

/*
 * store_contacts_known - how many of hashes[0..n) (distinct) login wrote
 * to at or after since, in one statement; -1 on a store failure.  What
 * is still queued for the writer (the last few milliseconds) is not
 * seen.
 */
int store_contacts_known(struct store *s, const char *login, time_t since,
			 const long long *hashes, int n);

/*
 * store_contacts_stale - store_contacts_known, and the hashes reordered
 * (sorted within each part): first the *nstale that are new or were
 * last written before fresh, then those written at or after fresh,
 * which store_add_contacts need not write again.  On a store failure
 * -1 and *nstale = n; on PostgreSQL (no such read there yet) what
 * store_contacts_known says, and *nstale = n.
 */
int store_contacts_stale(struct store *s, const char *login, time_t since,
			 time_t fresh, long long *hashes, int n, int *nstale);

/*
 * store_set_contacts - how long the writer keeps contacts rows
 * (contact_days) and peaks rows (baseline_days), in seconds; it prunes
 * older ones
 */
void store_set_contacts(struct store *s, long keep_s, long peaks_s);

/*
 * store_add_peak - count as a candidate for login's peak of metric in
 * window_s on ts's day (peaks keeps the highest)
 */
void store_add_peak(struct store *s, const char *login, const char *metric,
		    long window_s, time_t ts, long count);

/*
 * store_baseline - login's usual peak of metric in window_s: the
 * second-highest daily peak of the baseline_days days before now's day
 * (today left out), 0 when it has fewer than two such days; -1 on a
 * store failure
 */
long store_baseline(struct store *s, const char *login, const char *metric,
		    long window_s, time_t now, long baseline_days);

/*
 * store_add_bounces - count one bounce (metric bounce) at ts for each
 * queue id of qids (space separated, one per bounced recipient) on the
 * login whose newest msg_log row has that id (ids of no authenticated
 * message count nothing), and set daemon_state key (NULL: none) to
 * pos, in one transaction: a daemon that restarts from pos has counted
 * exactly the results before it.
 */
void store_add_bounces(struct store *s, time_t ts, const char *qids,
		       const char *key, const char *pos);

/* store_state_get - daemon_state's value of key into buf: 1, 0 none, -1 */
int store_state_get(struct store *s, const char *key, char *buf, size_t len);

struct store_quarantine {
	time_t ts;
	const char *queue_id, *login, *mail_from, *rcpts, *subject, *reason;
};

/* store_add_quarantine - append a quarantine row (strings copied) */
void store_add_quarantine(struct store *s, const struct store_quarantine *q);

/*
 * store_set_retention - how long the writer keeps counter rows (the
 * longest window) and events, in seconds; it prunes older rows.
 */
void store_set_retention(struct store *s, long counters_s, long events_s);

/*
 * store_set_history - how long the writer keeps msg_log and session_log
 * rows, the history outguardctl simulate replays (history_days), in
 * seconds; never less than the counters' retention
 */
void store_set_history(struct store *s, long history_s);

/* A login tripped a limit or check (not a store error). */
struct store_trip {
	time_t ts;
	const char *login;   /* lower case, as the guard has it */
	const char *kind;    /* events.kind */
	const char *action;  /* action_name() */
	const char *trigger; /* the reason */
	const char *counts;  /* "msg 12/1h, rcpt 600/1h, ..." or NULL */
};

/*
 * store_add_trip - open an incident for t->login with this trip and the
 * networks of the login's sessions of the last hour, or count it on the
 * login's open one (keeping the worse action; the networks are counted
 * again at most once a minute).  Queue it before the trip's events and
 * quarantine rows: they then name the incident.  Strings are copied.
 */
void store_add_trip(struct store *s, const struct store_trip *t);

/* The open incident of a login, as an alert tells it. */
struct store_incident_brief {
	long long id;
	long trips;
	char networks[512]; /* space separated */
	long nheld;	    /* quarantine rows still held */
	char held[2048];    /* "QUEUEID subject" lines, the first ones */
};

/*
 * store_incident_open - wait for the writer to commit what is queued
 * (store_flush), then login's open incident into b.  1 when there is
 * one, 0 when not, -1 on failure.  For the notifier thread, never the
 * mail path.
 */
int store_incident_open(struct store *s, const char *login,
			struct store_incident_brief *b);

/* store_add_seen - count a hit of a suspicious domain in seen_domains */
void store_add_seen(struct store *s, const char *domain, const char *rule,
		    time_t ts);

/*
 * store_set_status - set users.status for login (creates the row); a
 * blocked login stays blocked when asked to watch
 */
void store_set_status(struct store *s, const char *login,
		      enum user_status status, const char *note);

/* Admin (outguardctl): synchronous, see store_admin.c ---------------- */

/* A row handed to a callback: n columns, names and text values. */
typedef int (*store_row_fn)(void *arg, int n, const char *const *names,
			    const char *const *values);

/* store_admin_set_user - upsert status and/or class (NULL: keep); 0/-1 */
int store_admin_set_user(struct store *s, const char *login, const char *status,
			 const char *cls, const char *note, char *err,
			 size_t errlen);

/* store_admin_reset - forget login's counters; 0/-1 */
int store_admin_reset(struct store *s, const char *login, char *err,
		      size_t errlen);

/* store_admin_event - append an events row now (admin actions) */
int store_admin_event(struct store *s, const struct store_event *e);

/*
 * store_admin_events - events newest first, filtered; rows to fn (id, ts,
 * login, client_addr, queue_id, kind, action, count, detail)
 */
int store_admin_events(struct store *s, time_t since, const char *login,
		       int max, store_row_fn fn, void *arg);

/* store_admin_top - logins by recipients in the window; rows to fn */
int store_admin_top(struct store *s, time_t now, long window_s, int max,
		    store_row_fn fn, void *arg);

/* store_admin_class_exists - 1 if the class exists, 0 if not, -1 error */
int store_admin_class_exists(struct store *s, const char *cls);

/* store_admin_user - login's users row to fn; 1 found, 0 none, -1 error */
int store_admin_user(struct store *s, const char *login, store_row_fn fn,
		     void *arg);

/*
 * store_admin_rules - every rules row by id to fn (id, enabled, scope,
 * field, action, pattern, reason); 0/-1
 */
int store_admin_rules(struct store *s, store_row_fn fn, void *arg);

/* store_admin_protected - protected_domains (domain, note) to fn; 0/-1 */
int store_admin_protected(struct store *s, store_row_fn fn, void *arg);

/* store_admin_protect - add a normal-form domain: 1 added, 0 there, -1 */
int store_admin_protect(struct store *s, const char *domain, const char *note,
			char *err, size_t errlen);

/* store_admin_unprotect - delete a domain: 1 deleted, 0 not there, -1 */
int store_admin_unprotect(struct store *s, const char *domain, char *err,
			  size_t errlen);

/*
 * store_admin_seen - seen_domains first seen at or after since, newest
 * first, to fn (domain, first_seen, last_seen, hits, rule); 0/-1
 */
int store_admin_seen(struct store *s, time_t since, int max, store_row_fn fn,
		     void *arg);

/*
 * store_admin_quarantine - quarantine rows newest first, only the held
 * ones unless all (id, ts, queue_id, login, mail_from, rcpts, subject,
 * reason, status, reviewed_by, reviewed_at, relay); 0/-1
 */
int store_admin_quarantine(struct store *s, int all, store_row_fn fn,
			   void *arg);

/* store_admin_quarantine_get - row by id, else by queue id; 1, 0, -1 */
int store_admin_quarantine_get(struct store *s, const char *key,
			       store_row_fn fn, void *arg);

/*
 * store_admin_incidents - incidents opened at or after since, newest
 * first, open ones unless all, of login (NULL: any), at most max (0:
 * all).  Columns: id, opened, updated, login, status, kind, action,
 * trigger, trips, counts, networks, held, messages, closed, closed_by,
 * outcome; 0/-1
 */
int store_admin_incidents(struct store *s, int all, time_t since,
			  const char *login, int max, store_row_fn fn,
			  void *arg);

/* store_admin_incident_get - incident id (columns as above); 1, 0, -1 */
int store_admin_incident_get(struct store *s, long long id, store_row_fn fn,
			     void *arg);

/*
 * store_admin_incident_messages - quarantine rows of incident id, oldest
 * first, only held ones if held_only (id, ts, queue_id, mail_from,
 * rcpts, subject, reason, status, relay); 0/-1
 */
int store_admin_incident_messages(struct store *s, long long id, int held_only,
				  store_row_fn fn, void *arg);

/*
 * store_admin_incident_close - close open incident id with status,
 * who and outcome; 1 closed, 0 no open incident id, -1 with err
 */
int store_admin_incident_close(struct store *s, long long id,
			       const char *status, const char *by,
			       const char *outcome, char *err, size_t errlen);

/*
 * store_admin_quarantine_status - set row id's status, reviewed_by and
 * reviewed_at; 1, 0 none, -1
 */
int store_admin_quarantine_status(struct store *s, long long id,
				  const char *status, const char *reviewer,
				  time_t when, char *err, size_t errlen);

/* Back-testing (outguardctl simulate), store_sim.c ------------------ */

struct store_sim;

/*
 * store_sim_open - a copy of s's policy tables (classes, limits, users,
 * settings, rules, local_domains, user_senders, freemail_domains,
 * protected_domains, webmail_sources, network_groups, policy_version)
 * in a private in-memory database of the same schema, with sql run on
 * it statement by statement.  sql may read anything in the copy and
 * change only those tables: ATTACH, PRAGMA, schema changes and writes
 * to any other table are refused.  The live database is only read.
 * NULL with the cause in err (a bad statement: "line N: message").
 */
struct store_sim *store_sim_open(struct store *s, const char *sql, char *err,
				 size_t errlen);

/* store_sim_policy - the copy's policy snapshot (refs 0); NULL with err */
struct policy *store_sim_policy(struct store_sim *m, char *err, size_t errlen);

/*
 * store_sim_user - login's users row in the copy into u, and in *from
 * when its status holds: 0 (always) when sql changed the status, else
 * the row's changed time (the status was set live then).  0 or -1.
 */
int store_sim_user(struct store_sim *m, const char *login, struct store_user *u,
		   long long *from);

/*
 * A row of history: kind 0 a session (n 0), 1 a stored message (n its
 * recipients, new_rcpt those new to the login), 2 a minute's bounces (n
 * of them; client_addr NULL).
 */
typedef int (*store_hist_fn)(void *arg, const char *login, long long ts,
			     int kind, int n, int new_rcpt,
			     const char *client_addr);

/*
 * store_sim_history - the live session_log and msg_log rows, and the
 * counts minutes with bounces, with ts at or after since, ordered by
 * login, ts, then sessions, messages, bounces, to fn (non-zero stops);
 * 0, or -1 with err
 */
int store_sim_history(struct store_sim *m, long long since, store_hist_fn fn,
		      void *arg, char *err, size_t errlen);

/* store_sim_close - drop the copy; NULL is fine */
void store_sim_close(struct store_sim *m);

#endif
