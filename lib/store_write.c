/*
 * NAME
 *	store_write - the queue of writes
 * DESCRIPTION
 *	Writes from the mail path are queued and committed by the writer
 *	thread (store_writer.c) in batches, in one transaction each: the
 *	mail path never waits for a disk or a lock.  Counted rows stay
 *	visible to readers through store_pend until the commit that
 *	stores them; reads go on while a batch commits (write_batch).
 *	Without a writer thread (outguardctl, tests) the
 *	queue is written at once by the caller.
 * DIAGNOSTICS
 *	A failed batch is rolled back, kept, and retried after a second;
 *	the store is unhealthy until a write succeeds.  The queue is
 *	bounded: past STORE_QUEUE_MAX the oldest writes are dropped and
 *	counted in the log.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "metrics.h"
#include "store_int.h"

#define STORE_QUEUE_MAX 200000
#define STORE_BATCH_MAX 2000
#define BOUND_EVERY	64 /* contacts: check the bound once in so many */

enum op_kind {
	OP_MESSAGE,
	OP_SESSION,
	OP_EVENT,
	OP_QUARANTINE,
	OP_STATUS,
	OP_SEEN,
	OP_TRIP,
	OP_EXTRA_MIN,	/* refused, new_rcpt, bounce in a minute row */
	OP_EXTRA_SEC,	/* the same in a second row */
	OP_EVENT_AGG,	/* a refusal folded into its minute's events row */
	OP_CONTACTS,	/* recipients' hashes into contacts, one row each */
	OP_BOUND,	/* not queued: contacts of a login past contact_max */
	OP_BOUNCES,	/* bounces by queue id, and the log's position */
	OP_BOUNCE_SEC,	/* not queued: a bounce's second row */
	OP_STATE,	/* not queued: daemon_state key = value */
	OP_PEAK,	/* a day's peak of a metric and window */
	OP_QUEUE_LOGIN, /* not queued: an OP_MESSAGE's queue id, with MailLog */
	OP_BATCH	/* not queued: the batch's number */
};

struct store_op {
	struct store_op *next;
	enum op_kind kind;
	long long ts;
	long n;		     /* recipients, or the status */
	int queue_login;     /* OP_MESSAGE: also into queue_logins */
	long x[STORE_EXTRA]; /* OP_EXTRA_*: refused, new_rcpt, bounce */
	long long *hashes;   /* OP_CONTACTS: n of them */
	char *v[7];	     /* strings, by kind; see op_sql (v[6]: ?12) */
};

/* the order of action severity; instr() of " name " gives the rank */
#define ACTION_RANKS                                                           \
	"' accept header quarantine tempfail reject discard block '"
#define RANK(x) "instr(" ACTION_RANKS ", ' ' || " x " || ' ')"
#define NETWORKS_SINCE(t)                                                      \
	"(SELECT group_concat(key, ' ') FROM (SELECT key FROM counts "         \
	"WHERE login = ?3 AND kind = 2 AND ts > " t " - 3600 "                 \
	"ORDER BY key LIMIT 64))"

/* A trip's incident upsert (see store_incident.c): ?1 ts, ?3 login, ?4
 * kind, ?5 action, ?6 trigger, ?7 counts.  Not clang-formatted: it
 * reads as SQL around its macros. */
/* clang-format off */
static const char trip_sql[] =
	"INSERT INTO incidents (login, opened, updated, kind, action, "
	"trigger, counts, networks) VALUES (?3, ?1, ?1, ?4, ?5, ?6, ?7, "
	"CASE WHEN EXISTS (SELECT 1 FROM incidents WHERE login = ?3 AND "
	"status = 'open') THEN NULL ELSE " NETWORKS_SINCE("?1") " END) "
	"ON CONFLICT (login) WHERE status = 'open' DO UPDATE SET "
	"updated = max(updated, excluded.updated), trips = trips + 1, "
	"action = CASE WHEN " RANK("excluded.action") " > " RANK("action")
	" THEN excluded.action ELSE action END, "
	"networks = CASE WHEN excluded.updated / 60 > updated / 60 THEN "
	"coalesce(" NETWORKS_SINCE("incidents.opened") ", networks) "
	"ELSE networks END";
/* clang-format on */

/* One statement per kind; ?1 ts, ?2 n, ?3.. v[0..] */
static const char *const op_sql[] = {
	/* ?10: new_rcpt, which msg_log's trigger adds to counts (006) */
	[OP_MESSAGE] = "INSERT INTO msg_log (ts, rcpts, login, client_addr, "
		       "queue_id, message_id, new_rcpt) VALUES (?1, ?2, ?3, "
		       "?4, ?5, ?6, ?10)",
	[OP_SESSION] = "INSERT INTO session_log (ts, login, client_addr, "
		       "network) VALUES (?1, ?3, ?4, ?5)",
	[OP_EVENT] = "INSERT INTO events (ts, login, client_addr, queue_id, "
		     "kind, action, detail, incident_id) VALUES (?1, ?3, ?4, "
		     "?5, ?6, ?7, ?8, (SELECT id FROM incidents WHERE "
		     "login = ?3 AND status = 'open'))",
	[OP_QUARANTINE] = "INSERT INTO quarantine (ts, queue_id, login, "
			  "mail_from, rcpts, subject, reason, incident_id, "
			  "relay) VALUES (?1, ?3, ?4, ?5, ?6, ?7, ?8, (SELECT "
			  "id FROM incidents WHERE login = ?4 AND status = "
			  "'open'), ?12)",
	[OP_STATUS] = "INSERT INTO users (login, status, note, changed) "
		      "VALUES (?3, ?4, ?5, ?1) ON CONFLICT(login) DO UPDATE "
		      "SET status = CASE WHEN status = 'blocked' THEN status "
		      "ELSE excluded.status END, changed = excluded.changed, "
		      "note = coalesce(excluded.note, note)",
	[OP_SEEN] = "INSERT INTO seen_domains (domain, first_seen, last_seen, "
		    "hits, rule) VALUES (?3, ?1, ?1, 1, ?4) "
		    "ON CONFLICT(domain) DO UPDATE SET last_seen = ?1, "
		    "hits = hits + 1",
	[OP_TRIP] = trip_sql,
	[OP_EXTRA_MIN] = "INSERT INTO counts (login, kind, key, ts, refused, "
			 "new_rcpt, bounce) VALUES (?3, 0, ?1 / 60, "
			 "?1 / 60 * 60, ?9, ?10, ?11) ON CONFLICT (login, "
			 "kind, key) DO UPDATE SET refused = refused + "
			 "excluded.refused, new_rcpt = new_rcpt + "
			 "excluded.new_rcpt, bounce = bounce + excluded.bounce",
	[OP_EXTRA_SEC] = "INSERT INTO counts (login, kind, key, ts, refused, "
			 "new_rcpt, bounce) VALUES (?3, 1, ?1, ?1, ?9, ?10, "
			 "?11) ON CONFLICT (login, kind, key) DO UPDATE SET "
			 "refused = refused + excluded.refused, new_rcpt = "
			 "new_rcpt + excluded.new_rcpt, bounce = bounce + "
			 "excluded.bounce",
	[OP_EVENT_AGG] = "INSERT INTO events (ts, login, client_addr, "
			 "queue_id, kind, action, detail, incident_id, count, "
			 "agg_minute) VALUES (?1, ?3, ?4, ?5, ?6, ?7, ?8, "
			 "(SELECT id FROM incidents WHERE login = ?3 AND "
			 "status = 'open'), 1, ?1 / 60) ON CONFLICT (login, "
			 "kind, action, agg_minute) WHERE agg_minute IS NOT "
			 "NULL DO UPDATE SET count = count + 1",
	[OP_CONTACTS] = "INSERT INTO contacts (login, hash, ts) VALUES (?3, "
			"?2, ?1) ON CONFLICT (login, hash) DO UPDATE SET "
			"ts = max(ts, excluded.ts)",
	/* the oldest past the newest ?2 (ties in ts go together) */
	[OP_BOUND] = "DELETE FROM contacts WHERE login = ?3 AND ts <= (SELECT "
		     "ts FROM contacts WHERE login = ?3 ORDER BY ts DESC "
		     "LIMIT 1 OFFSET ?2)",
	/* the newest message with the queue id (queue_logins, 007) */
	[OP_BOUNCES] = "INSERT INTO counts (login, kind, key, ts, bounce) "
		       "SELECT login, 0, ?1 / 60, ?1 / 60 * 60, 1 FROM "
		       "queue_logins WHERE queue_id = ?3 "
		       "ON CONFLICT (login, kind, key) DO UPDATE SET "
		       "bounce = bounce + 1",
	[OP_BOUNCE_SEC] = "INSERT INTO counts (login, kind, key, ts, bounce) "
			  "SELECT login, 1, ?1, ?1, 1 FROM queue_logins "
			  "WHERE queue_id = ?3 "
			  "ON CONFLICT (login, kind, key) DO UPDATE SET "
			  "bounce = bounce + 1",
	[OP_PEAK] = "INSERT INTO peaks (login, metric, window_s, day, peak) "
		    "VALUES (?3, ?4, ?9, ?1 / 86400, ?2) ON CONFLICT (login, "
		    "metric, window_s, day) DO UPDATE SET peak = "
		    "max(peak, excluded.peak)",
	[OP_STATE] = "INSERT OR REPLACE INTO daemon_state (key, value) "
		     "VALUES (?3, ?4)",
	/* ?3 queue id, ?4 login; the newest message of a queue id wins */
	[OP_QUEUE_LOGIN] = "INSERT OR REPLACE INTO queue_logins (queue_id, "
			   "login, ts) VALUES (?3, ?4, ?1)",
	/* one more than the last batch of any writer on the file */
	[OP_BATCH] = "INSERT INTO daemon_state (key, value) VALUES "
		     "('writer_batch', 1) ON CONFLICT (key) DO UPDATE SET "
		     "value = value + 1 RETURNING value",
};
#define NOPS (sizeof(op_sql) / sizeof(op_sql[0]))
_Static_assert(NOPS <= STORE_WCONN_STMTS, "store_wconn has too few statements");

/* op_free - free one op */
static void op_free(struct store_op *op)
{
	int i;

	for (i = 0; i < 7; i++)
		free(op->v[i]);
	free(op->hashes);
	free(op);
}

/* op_new - an op with copies of up to six strings (NULL stays NULL) */
static struct store_op *op_new(enum op_kind kind, long long ts, long n,
			       const char *const v[6])
{
	struct store_op *op = calloc(1, sizeof(*op));
	int i;

	if (op == NULL)
		return NULL;
	op->kind = kind;
	op->ts = ts;
	op->n = n;
	for (i = 0; i < 6; i++)
		if (v[i] != NULL && (op->v[i] = strdup(v[i])) == NULL) {
			op_free(op);
			return NULL;
		}
	return op;
}

/* op_pending - what the op adds to store_pend until committed */
static void op_pending(const struct store_op *op, long *m, long *r, long *se)
{
	*m = op->kind == OP_MESSAGE ? 1 : 0;
	*r = op->kind == OP_MESSAGE ? op->n : 0;
	*se = op->kind == OP_SESSION ? 1 : 0;
}

/* op_share - what op adds to its login's pending counts (msgs, rcpts,
 * sessions, then refused, new_rcpt, bounce), into v; 0 if nothing */
static int op_share(const struct store_op *op, long v[STORE_FLY])
{
	int extra = op->kind == OP_EXTRA_MIN ||
		    (op->kind == OP_MESSAGE && op->x[1] != 0);
	int i, any;

	op_pending(op, &v[0], &v[1], &v[2]);
	for (i = 0; i < STORE_EXTRA; i++)
		v[3 + i] = extra ? op->x[i] : 0;
	for (i = any = 0; i < STORE_FLY; i++)
		any |= v[i] != 0;
	return any;
}

/* op_extra - the refused, new_rcpt and bounce op adds (sign -1: takes
 * off) to store_pend until committed (caller holds pend_lock) */
static void op_extra(struct store *s, const struct store_op *op, long sign)
{
	long v[STORE_FLY], x[STORE_EXTRA];
	int i;

	op_share(op, v);
	if (v[3] == 0 && v[4] == 0 && v[5] == 0)
		return;
	for (i = 0; i < STORE_EXTRA; i++)
		x[i] = sign * v[3 + i];
	store_pend_extra(s, op->v[0], x, NULL);
}

/* wconn_stmt - w's statement of kind, prepared on first use; NULL */
static sqlite3_stmt *wconn_stmt(struct store_wconn *w, enum op_kind kind)
{
	sqlite3_stmt *st = w->st[kind];

	if (st == NULL && sqlite3_prepare_v3(w->db, op_sql[kind], -1,
					     SQLITE_PREPARE_PERSISTENT, &st,
					     NULL) == SQLITE_OK)
		w->st[kind] = st;
	return st;
}

/* step_done - step a bound statement, reset it; 0 or -1 */
static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * run_contacts - one row per hash; then, when a hash is 0 modulo
 * BOUND_EVERY (about one new contact in that many, and no outsider can
 * aim at it: the hash is keyed), the login's contacts past op->n, its
 * contact_max, go.  A login so holds at most contact_max plus a few
 * hundred rows, without counting its rows on every message.
 */
static int run_contacts(struct store_wconn *w, const struct store_op *op)
{
	sqlite3_stmt *st = wconn_stmt(w, OP_CONTACTS), *b;
	int i, bound = 0;

	if (st == NULL)
		return -1;
	for (i = 0; i < (int)op->x[0]; i++) {
		sqlite3_bind_int64(st, 1, op->ts);
		sqlite3_bind_int64(st, 2, op->hashes[i]);
		sqlite3_bind_text(st, 3, op->v[0], -1, SQLITE_STATIC);
		if (step_done(st) < 0)
			return -1;
		bound |= (unsigned long long)op->hashes[i] % BOUND_EVERY == 0;
	}
	if (!bound)
		return 0;
	if ((b = wconn_stmt(w, OP_BOUND)) == NULL)
		return -1;
	sqlite3_bind_int64(b, 2, op->n);
	sqlite3_bind_text(b, 3, op->v[0], -1, SQLITE_STATIC);
	return step_done(b);
}

/* bind_step - bind ts and one text as ?1 and ?3 of kind's statement and
 * step it; 0 or -1 */
static int bind_step(struct store_wconn *w, enum op_kind kind, long long ts,
		     const char *t3, const char *t4)
{
	sqlite3_stmt *st = wconn_stmt(w, kind);

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, ts);
	sqlite3_bind_text(st, 3, t3, -1, SQLITE_TRANSIENT);
	if (t4 != NULL)
		sqlite3_bind_text(st, 4, t4, -1, SQLITE_STATIC);
	return step_done(st);
}

/*
 * run_bounces - a bounce per queue id of v[2] (space separated) on the
 * login of its newest message, in the minute and second rows of ts;
 * then daemon_state v[0] = v[1], the log's position: in the batch's
 * transaction, so the counts and the position commit together
 */
static int run_bounces(struct store_wconn *w, const struct store_op *op)
{
	const char *p = op->v[2] ? op->v[2] : "";
	char qid[64];
	size_t n;

	while (*p) {
		n = strcspn(p, " ");
		if (n > 0 && n < sizeof(qid)) {
			memcpy(qid, p, n);
			qid[n] = '\0';
			if (bind_step(w, OP_BOUNCES, op->ts, qid, NULL) < 0 ||
			    bind_step(w, OP_BOUNCE_SEC, op->ts, qid, NULL) < 0)
				return -1;
		}
		p += n;
		p += strspn(p, " ");
	}
	if (op->v[0] == NULL || op->v[1] == NULL)
		return 0;
	return bind_step(w, OP_STATE, op->ts, op->v[0], op->v[1]);
}

/* run_op - execute one op with w's statements, prepared on first use */
static int run_op(struct store_wconn *w, const struct store_op *op)
{
	sqlite3_stmt *st;
	int i, rc;

	if (op->kind == OP_CONTACTS)
		return run_contacts(w, op);
	if (op->kind == OP_BOUNCES)
		return run_bounces(w, op);
	if (op->kind == OP_MESSAGE && op->queue_login &&
	    bind_step(w, OP_QUEUE_LOGIN, op->ts, op->v[2], op->v[0]) < 0)
		return -1;
	if ((st = wconn_stmt(w, op->kind)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, op->ts);
	sqlite3_bind_int64(st, 2, op->n);
	for (i = 0; i < 6; i++)
		if (sqlite3_bind_parameter_count(st) >= i + 3)
			sqlite3_bind_text(st, i + 3, op->v[i], -1,
					  SQLITE_STATIC);
	for (i = 0; i < STORE_EXTRA; i++)
		if (sqlite3_bind_parameter_count(st) >= i + 9)
			sqlite3_bind_int64(st, i + 9, op->x[i]);
	if (sqlite3_bind_parameter_count(st) >= 12) /* OP_QUARANTINE */
		sqlite3_bind_text(st, 12, op->v[6], -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* batch_number - number the batch (first in its transaction); 0 when
 * that failed */
static long long batch_number(struct store_wconn *w)
{
	sqlite3_stmt *st = wconn_stmt(w, OP_BATCH);
	long long k = 0;

	if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
		k = sqlite3_column_int64(st, 0);
	if (st != NULL && sqlite3_step(st) != SQLITE_DONE)
		k = 0;
	if (st != NULL)
		sqlite3_reset(st);
	return k;
}

/* batch_fly - ops are batch k, committing: their shares fly */
static void batch_fly(struct store *s, struct store_op *ops, long long k)
{
	struct store_op *op;
	long v[STORE_FLY];

	lock_acquire(&s->pend_lock);
	for (op = ops; op != NULL; op = op->next)
		if (op_share(op, v))
			store_pend_fly(s, op->v[0], v, 1);
	s->committing = k;
	lock_release(&s->pend_lock);
}

/*
 * write_batch - commit ops in one transaction; pending drops at commit.
 * The batch is numbered (daemon_state writer_batch) and its share of
 * the pending counts marked as flying while COMMIT writes the WAL, so
 * readers go on meanwhile: one whose snapshot holds the number holds
 * the batch, and takes its share off the pending counts.  Only moving
 * the counts out of pending waits for the reads under way.
 */
static int write_batch(struct store *s, struct store_wconn *w,
		       struct store_op *ops)
{
	sqlite3 *db = w->db;
	struct store_op *op;
	long long k;
	long v[STORE_FLY];
	int rc;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    (k = batch_number(w)) == 0)
		goto fail;
	for (op = ops; op != NULL; op = op->next)
		if (run_op(w, op) < 0)
			goto fail;
	batch_fly(s, ops, k);
	rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	lock_rw_write(&s->commit_lock);
	lock_acquire(&s->pend_lock);
	s->committing = 0;
	for (op = ops; op != NULL; op = op->next) {
		if (!op_share(op, v))
			continue;
		store_pend_fly(s, op->v[0], v, -1);
		if (rc != SQLITE_OK)
			continue;
		if (v[0] || v[1] || v[2]) {
			store_pend_commit(s, op->v[0], v[0], v[1], v[2]);
			store_cache_count(s, op->v[0], v[0], v[1], v[2]);
		}
		op_extra(s, op, -1);
	}
	lock_release(&s->pend_lock);
	lock_rw_release(&s->commit_lock);
	if (rc != SQLITE_OK)
		goto fail;
	store_ok(s);
	return 0;
fail:
	store_fail(s, "write", db);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* drop_oldest - the queue is full: drop its head (caller holds q_lock) */
static void drop_oldest(struct store *s)
{
	struct store_op *op = s->q_head;
	long m, r, se;

	LOCK_HELD(&s->q_lock);
	s->q_head = op->next;
	if (s->q_head == NULL)
		s->q_tail = NULL;
	s->q_len--;
	op_pending(op, &m, &r, &se);
	lock_acquire(&s->pend_lock);
	if (m || r || se)
		store_pend_add(s, op->v[0], -m, -r, -se);
	op_extra(s, op, -1);
	lock_release(&s->pend_lock);
	op_free(op);
	log_ratelimited("queue full", 10, LOG_ERR,
			"store: write queue full (%d); dropping the oldest "
			"writes",
			STORE_QUEUE_MAX);
}

/*
 * enqueue - queue op, or write it now when there is no writer.  What op
 * counts becomes pending, and in the same step a reservation of res_m
 * messages and res_r recipients that op replaces is dropped.
 */
static void enqueue(struct store *s, const char *login, struct store_op *op,
		    long res_m, long res_r)
{
	long m = 0, r = 0, se = 0;

	if (op == NULL)
		log_ratelimited("enqueue", 10, LOG_ERR, "store: out of memory");
	else
		op_pending(op, &m, &r, &se);
	lock_acquire(&s->q_lock);
	if (m - res_m || r - res_r || se ||
	    (op && (op->kind == OP_EXTRA_MIN || op->x[1] != 0))) {
		lock_acquire(&s->pend_lock);
		store_pend_add(s, login, m - res_m, r - res_r, se);
		if (op != NULL)
			op_extra(s, op, 1);
		lock_release(&s->pend_lock);
	}
	if (op == NULL) {
		lock_release(&s->q_lock);
		return;
	}
	if (s->q_len >= STORE_QUEUE_MAX)
		drop_oldest(s);
	if (s->q_tail)
		s->q_tail->next = op;
	else
		s->q_head = op;
	s->q_tail = op;
	s->q_len++;
	s->q_enqueued++;
	metrics_write_queue(s->q_len);
	pthread_cond_signal(&s->q_cond);
	lock_release(&s->q_lock);
	if (!s->writer_running)
		store_flush(s);
}

/* take_batch - detach up to STORE_BATCH_MAX ops (caller holds q_lock) */
static struct store_op *take_batch(struct store *s, long *n)
{
	struct store_op *head, *op;

	LOCK_HELD(&s->q_lock);
	head = op = s->q_head;
	for (*n = 1; op->next != NULL && *n < STORE_BATCH_MAX; (*n)++)
		op = op->next;
	s->q_head = op->next;
	if (s->q_head == NULL)
		s->q_tail = NULL;
	op->next = NULL;
	s->q_len -= *n;
	metrics_write_queue(s->q_len);
	return head;
}

/* put_back - a failed batch goes back to the head (caller holds q_lock) */
static void put_back(struct store *s, struct store_op *batch, long n)
{
	struct store_op *last = batch;

	LOCK_HELD(&s->q_lock);
	while (last->next != NULL)
		last = last->next;
	last->next = s->q_head;
	if (s->q_head == NULL)
		s->q_tail = last;
	s->q_head = batch;
	s->q_len += n;
	metrics_write_queue(s->q_len);
}

/*
 * store_drain - write what is queued; returns -1 when a batch failed.
 * The writer thread's connection writes one batch and returns, so that
 * under a steady load, where the queue is never empty, its checkpoints,
 * heartbeat and pruning still run between batches (they once waited
 * for a pause, and the WAL grew by gigabytes at a million logins)
 */
int store_drain(struct store *s, struct store_wconn *w)
{
	struct store_op *batch, *next;
	long n;
	int rc = 0, once = w == &s->w_thread;

	lock_acquire(&s->q_lock);
	while (s->q_head != NULL && rc == 0) {
		batch = take_batch(s, &n);
		s->q_writing = 1;
		lock_release(&s->q_lock);
		rc = write_batch(s, w, batch);
		lock_acquire(&s->q_lock);
		s->q_writing = 0;
		if (rc < 0) {
			put_back(s, batch, n);
			break;
		}
		for (; batch != NULL; batch = next) {
			next = batch->next;
			op_free(batch);
		}
		s->q_committed += n;
		if (once)
			break;
	}
	pthread_cond_broadcast(&s->q_done);
	lock_release(&s->q_lock);
	return rc;
}

/* store_flush - write or wait for what is queued now */
void store_flush(struct store *s)
{
	struct timespec until;
	long target;

	if (s->pg) {
		store_pg_flush(s);
		return;
	}

	if (!s->writer_running) {
		lock_acquire(&s->db_lock);
		s->w_direct.db = s->db;
		store_drain(s, &s->w_direct);
		lock_release(&s->db_lock);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	lock_acquire(&s->q_lock);
	target = s->q_enqueued;
	while (s->q_committed < target && (s->q_head != NULL || s->q_writing)) {
		pthread_cond_signal(&s->q_cond);
		if (lock_wait(&s->q_lock, &s->q_done, &until))
			break;
	}
	lock_release(&s->q_lock);
}

/* store_wconn_close - finalize a connection's statements, not the
 * connection */
void store_wconn_close(struct store_wconn *w)
{
	unsigned i;

	for (i = 0; i < NOPS; i++) {
		sqlite3_finalize(w->st[i]);
		w->st[i] = NULL;
	}
}

/* store_queue_discard - drop what is still queued (the writer has
 * stopped), saying how much */
void store_queue_discard(struct store *s)
{
	struct store_op *op;

	if (s->q_head != NULL)
		log_msg(LOG_ERR, "store: %ld writes could not be saved at exit",
			s->q_len);
	while ((op = s->q_head) != NULL) {
		s->q_head = op->next;
		op_free(op);
	}
	s->q_tail = NULL;
	s->q_len = 0;
	metrics_write_queue(0);
}

/* store_set_retention - how long counters and events are kept */
void store_set_retention(struct store *s, long counters_s, long events_s)
{
	lock_acquire(&s->q_lock);
	s->keep_counters = counters_s;
	s->keep_events = events_s;
	lock_release(&s->q_lock);
}

/* store_set_history - how long msg_log and session_log are kept */
void store_set_history(struct store *s, long history_s)
{
	lock_acquire(&s->q_lock);
	s->keep_history = history_s;
	lock_release(&s->q_lock);
}

/* store_set_contacts - how long contacts and peaks rows are kept */
void store_set_contacts(struct store *s, long keep_s, long peaks_s)
{
	lock_acquire(&s->q_lock);
	s->keep_contacts = keep_s;
	s->keep_peaks = peaks_s;
	lock_release(&s->q_lock);
}

/* store_set_queue_logins - write messages' queue ids to queue_logins */
void store_set_queue_logins(struct store *s, int on)
{
	s->queue_logins = on;
}

/* queue_login - op (an OP_MESSAGE) goes to queue_logins too when bounces
 * are followed and it has a queue id */
static struct store_op *queue_login(struct store *s, struct store_op *op)
{
	if (op != NULL && s->queue_logins && op->v[2] != NULL &&
	    op->v[2][0] != '\0')
		op->queue_login = 1;
	return op;
}

/* store_add_message_new - queue a message with its new recipients */
void store_add_message_new(struct store *s, const char *login, time_t ts,
			   int rcpts, const char *client_addr,
			   const char *queue_id, const char *message_id,
			   int res_msgs, int res_rcpts, long new_rcpt)
{
	const char *v[6] = { login, client_addr, queue_id, message_id };
	struct store_op *op;

	if (s->pg) { /* the row (its trigger counts new_rcpt too) */
		lock_acquire(&s->pend_lock); /* queued until settled */
		store_pend_add(s, login, 1 - res_msgs, rcpts - res_rcpts, 0);
		lock_release(&s->pend_lock);
		store_pg_add_message(s, login, ts, rcpts, client_addr, queue_id,
				     message_id, new_rcpt);
		return;
	}
	if ((op = queue_login(s, op_new(OP_MESSAGE, ts, rcpts, v))) != NULL)
		op->x[1] = new_rcpt;
	enqueue(s, login, op, res_msgs, res_rcpts);
}

/* store_add_message - queue an accepted message, drop its reservation */
void store_add_message(struct store *s, const char *login, time_t ts, int rcpts,
		       const char *client_addr, const char *queue_id,
		       int res_msgs, int res_rcpts)
{
	store_add_message_new(s, login, ts, rcpts, client_addr, queue_id, NULL,
			      res_msgs, res_rcpts, 0);
}

/* store_add_message_id - queue a message known by its Message-Id */
void store_add_message_id(struct store *s, const char *login, time_t ts,
			  int rcpts, const char *client_addr,
			  const char *queue_id, const char *message_id)
{
	store_add_message_new(s, login, ts, rcpts, client_addr, queue_id,
			      message_id, 0, 0, 0);
}

/* store_add_session - queue an authenticated session */
void store_add_session(struct store *s, const char *login, time_t ts,
		       const char *client_addr, const char *network)
{
	if (s->pg) {
		lock_acquire(&s->pend_lock); /* queued until written */
		store_pend_add(s, login, 0, 0, 1);
		lock_release(&s->pend_lock);
		store_pg_add_session(s, login, ts, client_addr, network);
		return;
	}
	const char *v[6] = { login, client_addr, network };

	enqueue(s, login, op_new(OP_SESSION, ts, 0, v), 0, 0);
}

/* store_add_event - queue an events row */
void store_add_event(struct store *s, const struct store_event *e)
{
	if (s->pg) {
		store_pg_add_event(s, e);
		return;
	}
	const char *v[6] = { e->login, e->client_addr, e->queue_id,
			     e->kind,  e->action,      e->detail };

	enqueue(s, e->login, op_new(OP_EVENT, e->ts, 0, v), 0, 0);
}

/* store_add_quarantine - queue a quarantine row */
void store_add_quarantine(struct store *s, const struct store_quarantine *q)
{
	if (s->pg) {
		store_pg_add_quarantine(s, q);
		return;
	}
	const char *v[6] = { q->queue_id, q->login,   q->mail_from,
			     q->rcpts,	  q->subject, q->reason };
	struct store_op *op = op_new(OP_QUARANTINE, q->ts, 0, v);

	/* the relay that holds it: the seventh string, ?12 */
	if (op != NULL && (op->v[6] = strdup(s->relay)) == NULL) {
		op_free(op);
		op = NULL;
	}
	enqueue(s, q->login, op, 0, 0);
}

/* store_set_status - queue a users.status change */
void store_set_status(struct store *s, const char *login,
		      enum user_status status, const char *note)
{
	if (s->pg) {
		store_pg_set_status(s, login, status, note);
		return;
	}
	const char *v[6] = { login, engine_user_status_name(status), note };

	enqueue(s, login, op_new(OP_STATUS, time(NULL), 0, v), 0, 0);
}

/* store_add_trip - queue a trip for the login's incident */
void store_add_trip(struct store *s, const struct store_trip *t)
{
	if (s->pg) {
		store_pg_add_trip(s, t);
		return;
	}
	const char *v[6] = { t->login, t->kind, t->action, t->trigger,
			     t->counts };

	enqueue(s, t->login, op_new(OP_TRIP, t->ts, 0, v), 0, 0);
}

/* store_add_seen - queue a seen_domains hit */
void store_add_seen(struct store *s, const char *domain, const char *rule,
		    time_t ts)
{
	if (s->pg) {
		store_pg_add_seen(s, domain, rule, ts);
		return;
	}
	const char *v[6] = { domain, rule };

	enqueue(s, domain, op_new(OP_SEEN, ts, 0, v), 0, 0);
}

/* extra_op - an OP_EXTRA_* op of login at ts */
static struct store_op *extra_op(enum op_kind kind, const char *login,
				 time_t ts, const long x[STORE_EXTRA])
{
	const char *v[6] = { login };
	struct store_op *op = op_new(kind, ts, 0, v);
	int i;

	for (i = 0; op != NULL && i < STORE_EXTRA; i++)
		op->x[i] = x[i];
	return op;
}

/* store_add_counts - queue refused, new_rcpt and bounce counts */
void store_add_counts(struct store *s, const char *login, time_t ts,
		      long refused, long new_rcpt, long bounce)
{
	const long x[STORE_EXTRA] = { refused, new_rcpt, bounce };

	if (refused == 0 && new_rcpt == 0 && bounce == 0)
		return;
	if (s->pg) {
		store_pg_add_counts(s, login, ts, refused, new_rcpt, bounce);
		return;
	}
	enqueue(s, login, extra_op(OP_EXTRA_MIN, login, ts, x), 0, 0);
	enqueue(s, login, extra_op(OP_EXTRA_SEC, login, ts, x), 0, 0);
}

/* store_add_event_folded - count a refusal in its minute's events row */
void store_add_event_folded(struct store *s, const struct store_event *e)
{
	const char *v[6] = { e->login, e->client_addr, e->queue_id,
			     e->kind,  e->action,      e->detail };

	if (s->pg) {
		store_pg_add_event_folded(s, e);
		return;
	}
	enqueue(s, e->login, op_new(OP_EVENT_AGG, e->ts, 0, v), 0, 0);
}

/* store_add_contacts - queue login's recipients' hashes for contacts */
void store_add_contacts(struct store *s, const char *login, time_t ts,
			const long long *hashes, int n, long max)
{
	const char *v[6] = { login };
	struct store_op *op;

	if (n <= 0)
		return;
	if (s->pg) {
		store_pg_add_contacts(s, login, ts, hashes, n, max);
		return;
	}
	if ((op = op_new(OP_CONTACTS, ts, max, v)) != NULL &&
	    (op->hashes = malloc(n * sizeof(*hashes))) == NULL) {
		op_free(op);
		op = NULL;
	}
	if (op != NULL) {
		memcpy(op->hashes, hashes, n * sizeof(*hashes));
		op->x[0] = n;
	}
	enqueue(s, login, op, 0, 0);
}

/* store_add_bounces - queue bounces by queue id with the log's position */
void store_add_bounces(struct store *s, time_t ts, const char *qids,
		       const char *key, const char *pos)
{
	const char *v[6] = { key, pos, qids };

	if (s->pg) {
		store_pg_add_bounces(s, ts, qids, key, pos);
		return;
	}
	enqueue(s, "", op_new(OP_BOUNCES, ts, 0, v), 0, 0);
}

/* store_add_peak - queue a candidate for the day's peak */
void store_add_peak(struct store *s, const char *login, const char *metric,
		    long window_s, time_t ts, long count)
{
	const char *v[6] = { login, metric };
	struct store_op *op;

	if (s->pg) {
		store_pg_add_peak(s, login, metric, window_s, ts, count);
		return;
	}
	if ((op = op_new(OP_PEAK, ts, count, v)) != NULL)
		op->x[0] = window_s;
	enqueue(s, login, op, 0, 0);
}
