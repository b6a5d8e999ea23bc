/*
 * NAME
 *	store_pg_write - the writes on PostgreSQL: the settle of a
 *	message, the writer thread, the admin queries
 * SYNOPSIS
 *	#include "store_pg_int.h"
 * DESCRIPTION
 *	A message's reservation (store_pg.c) ends when its mark is
 *	dropped: store_pg_add_message() keeps the message's msg_log row in
 *	the calling thread (the guard records a message and then ends it
 *	in the same callback), and store_pg_mark_drop() queues its settle:
 *	the reservation deleted and the row stored in one transaction, so
 *	every reader sees the message either reserved or stored.  A
 *	message dropped without a record only deletes its reservation.
 *
 *	Writes are queued and committed by one writer thread with its own
 *	connection, a batch per transaction, off the mail path.  A batch
 *	costs a few statements however many messages it holds: its
 *	reservations go in one DELETE, its msg_log rows in one INSERT (a
 *	row's new_rcpt with it: msg_log's trigger counts it) and
 *	its sessions in another (arrays of the values, unnest()), the
 *	other writes one statement each, sorted by login (stably: a
 *	login's trip stays before its events).  Every relay's batches take
 *	one advisory lock first, so two never update the same counts rows
 *	at once (no deadlock whatever a batch's order).  A failed batch is
 *	rolled back, kept and retried after a second on a new connection
 *	if the old one broke.  Without a writer (outguardctl) a write runs
 *	at once, a settle as one outguard_settle().
 *
 *	store_pg_admin_query() runs outguardctl's statements: "?N" becomes
 *	"$N" and every argument is sent as text.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "store_pg_int.h"

#define OP_VALUES 8 /* PG_QUARANTINE's and PG_SETTLE's */
#define OP_SETTLE 8 /* PG_SETTLE's values */

struct pg_op {
	struct pg_op *next;
	enum pg_stmt kind;
	int n;
	char *v[OP_VALUES];
};

/* the message recorded by this thread, settled when its mark drops */
static __thread struct pg_op *held_settle;

/* op_free - free an op */
static void op_free(struct pg_op *op)
{
	int i;

	if (op == NULL)
		return;
	for (i = 0; i < OP_VALUES; i++)
		free(op->v[i]);
	free(op);
}

/* op_new - an op with copies of n values */
static struct pg_op *op_new(enum pg_stmt kind, int n, const char *const *v)
{
	struct pg_op *op = calloc(1, sizeof(*op));
	int i;

	if (op == NULL)
		return NULL;
	op->kind = kind;
	op->n = n;
	for (i = 0; i < n; i++)
		if (v[i] != NULL && (op->v[i] = strdup(v[i])) == NULL) {
			op_free(op);
			return NULL;
		}
	return op;
}

/* op_run - one op on pc; 0 or -1 */
static int op_run(struct store *s, struct pg_conn *pc, const struct pg_op *op)
{
	PGresult *r = pg_exec(s, pc, op->kind, op->n,
			      (const char *const *)op->v);

	PQclear(r);
	return r != NULL ? 0 : -1;
}

/* enqueue_op - to the writer, or run now without one */
static void enqueue_op(struct store *s, struct pg_op *op)
{
	struct store_pg *pg = s->pg;
	struct pg_conn *pc;

	if (op == NULL)
		return;
	if (!pg->writer_running) {
		if ((pc = pg_get(s)) != NULL) {
			if (op_run(s, pc, op) == 0)
				store_ok(s);
			pg_put(s, pc);
		}
		op_free(op);
		return;
	}
	pthread_mutex_lock(&pg->q_lock);
	if (pg->q_len >= PG_QUEUE_MAX) {
		pthread_mutex_unlock(&pg->q_lock);
		log_ratelimited("pg queue full", 60, LOG_ERR,
				"store: write queue full, dropping writes");
		op_free(op);
		return;
	}
	if (pg->q_tail != NULL)
		pg->q_tail->next = op;
	else
		pg->q_head = op;
	pg->q_tail = op;
	pg->q_len++;
	pg->q_enqueued++;
	pthread_cond_signal(&pg->q_cond);
	pthread_mutex_unlock(&pg->q_lock);
}

/* pg_enqueue - a write of kind with n text values */
void pg_enqueue(struct store *s, enum pg_stmt kind, int n,
		const char *const *values)
{
	enqueue_op(s, op_new(kind, n, values));
}

/* store_pg_add_message - keep the message's row for its settle: its
 * new_rcpt is counted by msg_log's trigger, as on SQLite */
void store_pg_add_message(struct store *s, const char *login, time_t ts,
			  int rcpts, const char *client_addr,
			  const char *queue_id, const char *message_id,
			  long new_rcpt)
{
	char t[24], r[24], nr[24];
	const char *v[OP_VALUES] = { NULL,	  login,    t,		r,
				     client_addr, queue_id, message_id, nr };

	snprintf(t, sizeof(t), "%lld", (long long)ts);
	snprintf(r, sizeof(r), "%d", rcpts);
	snprintf(nr, sizeof(nr), "%ld", new_rcpt > 0 ? new_rcpt : 0);
	if (held_settle != NULL) /* recorded and never ended: store it */
		enqueue_op(s, held_settle);
	held_settle = op_new(PG_SETTLE, OP_SETTLE, v);
}

/* store_pg_mark_drop - settle: the reservation goes, the row comes */
void store_pg_mark_drop(struct store *s, const char *login,
			struct store_mark *mark)
{
	struct store_pg_flight *f = mark->flight;
	struct pg_op *op = NULL;
	char id[24], t[24];
	const char *v[OP_VALUES] = { id, login, t, "0", NULL, NULL, NULL, "0" };

	if (held_settle != NULL && strcmp(held_settle->v[1], login) == 0) {
		op = held_settle;
		held_settle = NULL;
	}
	if (f != NULL && f->res_id > 0) {
		snprintf(id, sizeof(id), "%lld", f->res_id);
		snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
		if (op == NULL)
			op = op_new(PG_SETTLE, OP_SETTLE, v);
		else if ((op->v[0] = strdup(id)) == NULL)
			log_msg(LOG_ERR, "store: out of memory");
	}
	enqueue_op(s, op);
	if (f != NULL) { /* a degraded lookup's mark stays for store_pend */
		free(f);
		memset(mark, 0, sizeof(*mark));
	}
}

/* store_pg_add_session - an authenticated session */
void store_pg_add_session(struct store *s, const char *login, time_t ts,
			  const char *client_addr, const char *network)
{
	char t[24];
	const char *v[] = { login, t, client_addr, network };

	snprintf(t, sizeof(t), "%lld", (long long)ts);
	pg_enqueue(s, PG_SESSION, 4, v);
}

/* store_pg_add_event - an events row */
void store_pg_add_event(struct store *s, const struct store_event *e)
{
	char t[24];
	const char *v[] = { e->login, t,	 e->client_addr, e->queue_id,
			    e->kind,  e->action, e->detail };

	snprintf(t, sizeof(t), "%lld", (long long)e->ts);
	pg_enqueue(s, PG_EVENT, 7, v);
}

/* store_pg_add_quarantine - a quarantine row */
void store_pg_add_quarantine(struct store *s, const struct store_quarantine *q)
{
	char t[24];
	const char *v[] = { q->login, t,	  q->queue_id, q->mail_from,
			    q->rcpts, q->subject, q->reason,   s->relay };

	snprintf(t, sizeof(t), "%lld", (long long)q->ts);
	pg_enqueue(s, PG_QUARANTINE, 8, v);
}

/* store_pg_add_trip - open or count the login's incident */
void store_pg_add_trip(struct store *s, const struct store_trip *tr)
{
	char t[24];
	const char *v[] = { tr->login,	t,	     tr->kind,
			    tr->action, tr->trigger, tr->counts };

	snprintf(t, sizeof(t), "%lld", (long long)tr->ts);
	pg_enqueue(s, PG_TRIP, 6, v);
}

/* store_pg_add_seen - a hit of a suspicious domain */
void store_pg_add_seen(struct store *s, const char *domain, const char *rule,
		       time_t ts)
{
	char t[24];
	const char *v[] = { domain, t, rule };

	snprintf(t, sizeof(t), "%lld", (long long)ts);
	pg_enqueue(s, PG_SEEN_ADD, 3, v);
}

/* store_pg_set_status - users.status */
void store_pg_set_status(struct store *s, const char *login,
			 enum user_status status, const char *note)
{
	char t[24];
	const char *v[] = { login, t, engine_user_status_name(status), note };

	snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
	pg_enqueue(s, PG_STATUS, 4, v);
}

/* op_cmp - by login, then by queue order (a stable sort) */
static int op_cmp(const void *a, const void *b)
{
	const struct pg_op *const *x = a, *const *y = b;
	/* seen_domains and bounces (many logins) first */
	const char *lx = (*x)->kind == PG_SEEN_ADD || (*x)->kind == PG_BOUNCES
				 ? ""
				 : (*x)->v[0];
	const char *ly = (*y)->kind == PG_SEEN_ADD || (*y)->kind == PG_BOUNCES
				 ? ""
				 : (*y)->v[0];
	int c;

	if ((*x)->kind == PG_SETTLE)
		lx = (*x)->v[1];
	if ((*y)->kind == PG_SETTLE)
		ly = (*y)->v[1];
	c = strcmp(lx ? lx : "", ly ? ly : "");
	if (c != 0)
		return c;
	return (*x)->next < (*y)->next ? -1 : (*x)->next > (*y)->next;
}

/* committed - what a written op adds to the counts leaves the pending
 * table (store_pg_add_message and _session put it there) */
static void committed(struct store *s, const struct pg_op *op)
{
	long r;

	if (op->kind == PG_SETTLE && op->v[1] != NULL &&
	    (r = atol(op->v[3] ? op->v[3] : "0")) > 0)
		store_cache_committed(s, op->v[1], 1, r, 0);
	else if (op->kind == PG_SESSION && op->v[0] != NULL)
		store_cache_committed(s, op->v[0], 0, 0, 1);
}

/* One array parameter being built: text, grown as needed. */
struct pg_arr {
	char *t;
	size_t len, cap;
};

/* arr_put - append s (NULL: NULL) to a, quoted as an array element;
 * room for the closing brace and NUL is always left */
static int arr_put(struct pg_arr *a, const char *s)
{
	size_t need = (s != NULL ? 2 * strlen(s) : 0) + 8;
	char *t;

	if (a->len + need > a->cap) {
		a->cap = (a->len + need) * 2 + 256;
		if ((t = realloc(a->t, a->cap)) == NULL)
			return -1;
		a->t = t;
	}
	a->t[a->len] = a->len == 0 ? '{' : ',';
	a->len++;
	if (s == NULL) {
		memcpy(a->t + a->len, "NULL", 4);
		a->len += 4;
		return 0;
	}
	a->t[a->len++] = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			a->t[a->len++] = '\\';
		a->t[a->len++] = *s;
	}
	a->t[a->len++] = '"';
	return 0;
}

/*
 * run_arrays - the ops of arr of kind as one statement st taking an
 * array per value, of their values first to first + nv - 1; 0 (also
 * when there are none) or -1
 */
static int run_arrays(struct store *s, struct pg_op **arr, long n,
		      enum pg_stmt kind, enum pg_stmt st, int first, int nv)
{
	struct pg_arr a[OP_VALUES];
	const char *v[OP_VALUES];
	PGresult *r = NULL;
	int j, rc = -1, any = 0;
	long i;

	memset(a, 0, sizeof(a));
	for (i = 0; i < n; i++) {
		if (arr[i]->kind != kind)
			continue;
		any = 1;
		for (j = 0; j < nv; j++)
			if (arr_put(&a[j], arr[i]->v[first + j]) < 0)
				goto out;
	}
	if (!any) {
		rc = 0;
		goto out;
	}
	for (j = 0; j < nv; j++) {
		a[j].t[a[j].len++] = '}';
		a[j].t[a[j].len] = '\0';
		v[j] = a[j].t;
	}
	r = pg_exec(s, s->pg->wconn, st, nv, v);
	rc = r != NULL ? 0 : -1;
	PQclear(r);
out:
	for (j = 0; j < OP_VALUES; j++)
		free(a[j].t);
	return rc;
}

/*
 * write_batch - ops (n of them, in arr) in one transaction; 0 or -1.
 * The settles of the batch are one statement and its sessions another
 * (arrays), the rest one statement each in arr's order.  The batches
 * of every daemon take one lock first (28519 << 16 | 1, a bigint key,
 * apart from the per-login locks of outguard_reserve), so two relays
 * never update the same counts rows at once: no deadlock whatever the
 * order of a batch's statements, and a batch waits at most for another
 * relay's batch (a writer cut off inside its transaction is ended by
 * the server after 10 s idle, its lock with it).
 */
static int write_batch(struct store *s, struct pg_op **arr, long n)
{
	struct store_pg *pg = s->pg;
	char err[300];
	PGconn *c;
	long i;

	if (pg->wconn == NULL) {
		if ((c = pg_connect(pg->uri, err, sizeof(err))) == NULL) {
			store_fail(s, err, NULL);
			return -1;
		}
		if ((pg->wconn = calloc(1, sizeof(*pg->wconn))) == NULL) {
			PQfinish(c);
			return -1;
		}
		pg->wconn->c = c;
	}
	c = pg->wconn->c;
	if (pg_simple(c,
		      "BEGIN; SET LOCAL synchronous_commit = off; "
		      "SET LOCAL idle_in_transaction_session_timeout = 10000; "
		      "SELECT pg_advisory_xact_lock(1869021185)",
		      err, sizeof(err)) < 0) {
		store_fail(s, err, NULL);
		goto fail;
	}
	if (run_arrays(s, arr, n, PG_SETTLE, PG_UNRESERVE, 0, 1) < 0 ||
	    run_arrays(s, arr, n, PG_SETTLE, PG_SETTLE_N, 1, 7) < 0 ||
	    run_arrays(s, arr, n, PG_SESSION, PG_SESSION_N, 0, 4) < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (arr[i]->kind != PG_SETTLE && arr[i]->kind != PG_SESSION &&
		    op_run(s, pg->wconn, arr[i]) < 0)
			goto fail;
	if (pg_simple(c, "COMMIT", err, sizeof(err)) < 0) {
		store_fail(s, err, NULL);
		goto fail;
	}
	store_ok(s);
	return 0;
fail:
	pg_simple(c, "ROLLBACK", NULL, 0);
	if (PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		free(pg->wconn);
		pg->wconn = NULL;
	}
	return -1;
}

/* writer_main - take batches off the queue and commit them */
static void *writer_main(void *arg)
{
	struct store *s = arg;
	struct store_pg *pg = s->pg;
	struct pg_op *arr[PG_BATCH_MAX], *op;
	time_t failed_at = 0;
	long n, i;
	int rc;

	pthread_mutex_lock(&pg->q_lock);
	for (;;) {
		while (pg->q_head == NULL && !pg->stopping)
			pthread_cond_wait(&pg->q_cond, &pg->q_lock);
		if (pg->q_head == NULL)
			break;
		if (pg->q_len < PG_BATCH_MIN && !pg->stopping) {
			/* let a batch gather: its statements and commit
			 * cost the server alike for 2 writes or 200 */
			pthread_mutex_unlock(&pg->q_lock);
			poll(NULL, 0, PG_BATCH_WAIT_MS);
			pthread_mutex_lock(&pg->q_lock);
		}
		for (n = 0; n < PG_BATCH_MAX && (op = pg->q_head) != NULL;
		     n++) {
			pg->q_head = op->next;
			arr[n] = op;
			op->next = (struct pg_op *)(n + 1); /* sort key */
		}
		if (pg->q_head == NULL)
			pg->q_tail = NULL;
		pg->q_len -= n;
		pg->writing = 1;
		pthread_mutex_unlock(&pg->q_lock);
		qsort(arr, (size_t)n, sizeof(arr[0]), op_cmp);
		rc = write_batch(s, arr, n);
		pthread_mutex_lock(&pg->q_lock);
		if (rc < 0 && failed_at == 0)
			failed_at = time(NULL);
		if (rc < 0 && !pg->stopping) { /* back at the head, retry */
			for (i = n - 1; i >= 0; i--) {
				arr[i]->next = pg->q_head;
				pg->q_head = arr[i];
				if (pg->q_tail == NULL)
					pg->q_tail = arr[i];
			}
			pg->q_len += n;
			pg->writing = 0;
			pthread_mutex_unlock(&pg->q_lock);
			sleep(1);
			pthread_mutex_lock(&pg->q_lock);
			continue;
		}
		if (failed_at != 0) {
			log_msg(LOG_NOTICE,
				"store: writes reach PostgreSQL again after "
				"%lld s; writing what was queued (%ld)",
				(long long)(time(NULL) - failed_at),
				n + pg->q_len);
			failed_at = 0;
		}
		for (i = 0; i < n; i++) {
			committed(s, arr[i]);
			op_free(arr[i]);
		}
		pg->q_committed += n;
		pg->written += n;
		pg->batches++;
		pg->writing = 0;
		pthread_cond_broadcast(&pg->q_done);
	}
	pthread_mutex_unlock(&pg->q_lock);
	return NULL;
}

/* pg_writer_start - start the writer thread; 0 or -1 */
int pg_writer_start(struct store *s)
{
	if (pthread_create(&s->pg->writer, NULL, writer_main, s) != 0)
		return -1;
	s->pg->writer_running = 1;
	return 0;
}

/* store_pg_flush - this thread's held row, then wait for the writer */
void store_pg_flush(struct store *s)
{
	struct store_pg *pg = s->pg;
	struct timespec until;
	long target;

	if (held_settle != NULL) {
		enqueue_op(s, held_settle);
		held_settle = NULL;
	}
	if (!pg->writer_running)
		return;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&pg->q_lock);
	target = pg->q_enqueued;
	while (pg->q_committed < target && (pg->q_head || pg->writing)) {
		pthread_cond_signal(&pg->q_cond);
		if (pthread_cond_timedwait(&pg->q_done, &pg->q_lock, &until))
			break;
	}
	pthread_mutex_unlock(&pg->q_lock);
}

/* One SQLite spelling and its PostgreSQL one (in order, all applied). */
static const char *const dialect[][2] = {
	{ " COLLATE NOCASE", "" }, /* logins are stored lower case */
	{ "INSERT OR IGNORE INTO", "INSERT INTO" },
	/* store_admin_set_user's upsert: name the row being updated */
	{ "coalesce(?2, class)", "coalesce(?2, users.class)" },
	{ "coalesce(?3, status)", "coalesce(?3, users.status)" },
	{ "THEN note ", "THEN users.note " },
	/* integers used as booleans */
	{ "(?1 OR ", "(?1 <> 0 OR " },
	{ "(NOT ?2 OR ", "(?2 = 0 OR " },
	{ "max(updated, excluded.updated)",
	  "greatest(incidents.updated, excluded.updated)" },
};

/*
 * translate - an admin statement written for SQLite as PostgreSQL
 * takes it: the spellings of dialect[], "?N" as "$N", "LIMIT ?N" as
 * "LIMIT nullif($N, -1)" (-1 is SQLite's "no limit"), and an INSERT OR
 * IGNORE gets ON CONFLICT DO NOTHING.  The admin statements are fixed
 * strings of lib/store_admin*.c; none holds mail data.
 */
static char *translate(const char *sql)
{
	size_t len = strlen(sql) * 2 + 64, i;
	char *a = malloc(len), *b = malloc(len), *p, *t;
	int ignore = strstr(sql, "INSERT OR IGNORE") != NULL;

	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return NULL;
	}
	snprintf(a, len, "%s", sql);
	for (i = 0; i < sizeof(dialect) / sizeof(dialect[0]); i++)
		while ((p = strstr(a, dialect[i][0])) != NULL) {
			snprintf(b, len, "%.*s%s%s", (int)(p - a), a,
				 dialect[i][1], p + strlen(dialect[i][0]));
			t = a, a = b, b = t;
		}
	for (p = a, t = b; *p; p++) {
		if (strncmp(p, "LIMIT ?", 7) == 0) {
			t += sprintf(t, "LIMIT nullif($%ld::bigint, -1)",
				     strtol(p + 7, &p, 10));
			p--;
		} else {
			*t++ = *p == '?' ? '$' : *p;
		}
	}
	*t = '\0';
	if (ignore)
		strcat(b, " ON CONFLICT DO NOTHING");
	free(a);
	return b;
}

/* store_pg_admin_query - an admin statement, rows to fn */
int store_pg_admin_query(struct store *s, const char *what, const char *sql,
			 const struct store_arg *args, store_row_fn fn,
			 void *arg, char *err, size_t errlen)
{
	char nums[16][24], *q = translate(sql), why[300];
	const char *v[16], *names[64], *vals[64];
	Oid types[16];
	struct pg_conn *pc;
	PGresult *r = NULL;
	int n = 0, i, j, rows = -1, nf;

	for (; args != NULL && args[n].kind != STORE_ARG_END && n < 16; n++) {
		if (args[n].kind == STORE_ARG_INT) {
			snprintf(nums[n], sizeof(nums[n]), "%lld",
				 (long long)args[n].i);
			v[n] = nums[n];
			types[n] = 20; /* bigint */
		} else {
			v[n] = args[n].t;
			types[n] = 25; /* text */
		}
	}
	if (q == NULL || (pc = pg_get(s)) == NULL) {
		snprintf(why, sizeof(why), "%s: cannot connect", what);
		goto out;
	}
	r = PQexecParams(pc->c, q, n, types, v, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		nf = PQnfields(r) < 64 ? PQnfields(r) : 64;
		for (j = 0; j < nf; j++)
			names[j] = PQfname(r, j);
		for (i = 0, rows = 0; i < PQntuples(r); i++) {
			rows++;
			for (j = 0; j < nf; j++)
				vals[j] = PQgetisnull(r, i, j)
						  ? NULL
						  : PQgetvalue(r, i, j);
			if (fn != NULL && fn(arg, nf, names, vals) != 0)
				break;
		}
	} else if (PQresultStatus(r) == PGRES_COMMAND_OK) {
		rows = atoi(PQcmdTuples(r));
	} else {
		snprintf(why, sizeof(why), "%s: %s", what,
			 PQresultErrorMessage(r));
		why[strcspn(why, "\n")] = '\0';
	}
	pg_put(s, pc);
out:
	if (rows < 0) {
		if (err != NULL)
			snprintf(err, errlen, "%s", why);
		else
			store_fail(s, why, NULL);
	}
	PQclear(r);
	free(q);
	return rows;
}

/* brief_row - the open incident's row */
static int brief_row(void *arg, int n, const char *const *names,
		     const char *const *v)
{
	struct store_incident_brief *b = arg;

	(void)names;
	if (n < 3)
		return 1;
	b->id = atoll(v[0] ? v[0] : "0");
	b->trips = atol(v[1] ? v[1] : "0");
	snprintf(b->networks, sizeof(b->networks), "%s", v[2] ? v[2] : "");
	return 1;
}

/* held_row - one held message's line */
static int held_row(void *arg, int n, const char *const *names,
		    const char *const *v)
{
	struct store_incident_brief *b = arg;
	size_t len = strlen(b->held);

	(void)names;
	(void)n;
	b->nheld++;
	snprintf(b->held + len, sizeof(b->held) - len, "%.60s %.300s\n",
		 v[0] ? v[0] : "", v[1] ? v[1] : "");
	return 0;
}

/* store_pg_incident_open - login's open incident */
int store_pg_incident_open(struct store *s, const char *login,
			   struct store_incident_brief *b)
{
	struct store_arg a[] = { STORE_TEXT(login), STORE_END }, h[2];
	int rc;

	memset(b, 0, sizeof(*b));
	store_pg_flush(s);
	rc = store_pg_admin_query(s, "incident",
				  "SELECT id, trips, networks FROM incidents "
				  "WHERE login = ?1 AND status = 'open'",
				  a, brief_row, b, NULL, 0);
	if (rc <= 0)
		return rc;
	h[0] = STORE_INT(b->id);
	h[1] = STORE_END;
	if (store_pg_admin_query(s, "incident held",
				 "SELECT queue_id, subject FROM quarantine "
				 "WHERE incident_id = ?1 AND status = 'held' "
				 "ORDER BY id",
				 h, held_row, b, NULL, 0) < 0)
		return -1;
	return 1;
}
