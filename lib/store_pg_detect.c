/*
 * NAME
 *	store_pg_detect - the detection state on PostgreSQL: refused,
 *	new_rcpt and bounce counts, contacts, bounces, peaks, folded
 *	events, and pruning
 * SYNOPSIS
 *	#include "store_pg_int.h"
 * DESCRIPTION
 *	The twins of what lib/store_write.c queues for SQLite, as
 *	prepared statements (pg_detect_stmts[], run by pg_exec) queued
 *	to the PostgreSQL writer (pg_enqueue): a refused, new_rcpt or
 *	bounce count is one upsert of the login's minute and second rows
 *	of counts; a message's recipients' hashes are one upsert of
 *	contacts (an array, in hash order, so two relays lock rows in one
 *	order), bounded to contact_max per login when a hash is 0 modulo
 *	BOUND_EVERY, as on SQLite; a follower's batch of bounces is one
 *	statement that joins each queue id to the login of its newest
 *	msg_log row, counts the bounces and stores the log's position in
 *	daemon_state in the same transaction; a refusal of a login
 *	already over a limit is folded into its minute's events row.
 *
 *	The mail path reads the new counts in its one reserve call (the
 *	PG_RESERVE statement sums them beside outguard_reserve()), and
 *	reads contacts (store_pg_contacts_known, at the end of a message
 *	with new_rcpt limits) and peaks (store_pg_baseline, at MAIL for
 *	rows with a baseline_factor) with a prepared statement each.
 *
 *	Pruning: a thread per daemon starts a pass once a minute
 *	(PG_PRUNE_EVERY); a pass runs only where pg_try_advisory_lock
 *	(28519, 1) succeeds, so one daemon of a fleet prunes at a time,
 *	and deletes what SQLite's writer deletes (store_prune.c) plus the
 *	reservations a crashed daemon never settled, PG_PRUNE_STEP rows
 *	per statement, each step its own transaction.
 * DIAGNOSTICS
 *	A failed write is retried by the writer; a failed read counts
 *	every recipient as known (no new_rcpt) and no baseline; a failed
 *	prune step ends the pass (logged), the next starts a minute on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store_pg_int.h"

#define BOUND_EVERY	 64 /* contacts: check the bound once in so many */
#define PG_PRUNE_EVERY	 60 /* seconds between two passes */
#define PG_PRUNE_STEP	 1000
#define PG_PRUNE_LOCK_ID 1 /* (28519, 1): the fleet's one pruner */
#define DAY		 86400L

/* num - n as text into buf */
static const char *num(char *buf, size_t len, long long n)
{
	snprintf(buf, len, "%lld", n);
	return buf;
}

/* hash_array - the hashes as a bigint[] literal; NULL out of memory */
static char *hash_array(const long long *hashes, int n)
{
	size_t cap = (size_t)n * 22 + 3, len = 0;
	char *a = malloc(cap);
	int i;

	if (a == NULL)
		return NULL;
	a[len++] = '{';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(a + len, cap - len, "%s%lld",
					i ? "," : "", hashes[i]);
	snprintf(a + len, cap - len, "}");
	return a;
}

/* store_pg_add_counts - refused, new_rcpt and bounce of login at ts */
void store_pg_add_counts(struct store *s, const char *login, time_t ts,
			 long refused, long new_rcpt, long bounce)
{
	char t[24], r[24], n[24], b[24];
	const char *v[] = { login, num(t, sizeof(t), ts),
			    num(r, sizeof(r), refused),
			    num(n, sizeof(n), new_rcpt),
			    num(b, sizeof(b), bounce) };

	pg_enqueue(s, PG_EXTRA, 5, v);
}

/* store_pg_add_event_folded - a refusal into its minute's events row */
void store_pg_add_event_folded(struct store *s, const struct store_event *e)
{
	char t[24];
	const char *v[] = { e->login,	    num(t, sizeof(t), e->ts),
			    e->client_addr, e->queue_id,
			    e->kind,	    e->action,
			    e->detail };

	pg_enqueue(s, PG_EVENT_AGG, 7, v);
}

/* store_pg_add_contacts - the hashes into login's contacts, bounded */
void store_pg_add_contacts(struct store *s, const char *login, time_t ts,
			   const long long *hashes, int n, long max)
{
	char t[24], m[24], *a = hash_array(hashes, n);
	const char *v[] = { login, num(t, sizeof(t), ts), a };
	const char *bv[] = { login, num(m, sizeof(m), max) };
	int i, bound = 0;

	if (a == NULL) {
		log_ratelimited("enqueue", 10, LOG_ERR, "store: out of memory");
		return;
	}
	pg_enqueue(s, PG_CONTACTS, 3, v);
	free(a);
	for (i = 0; i < n; i++)
		bound |= (unsigned long long)hashes[i] % BOUND_EVERY == 0;
	if (bound && max > 0)
		pg_enqueue(s, PG_BOUND, 2, bv);
}

/* store_pg_add_bounces - bounces by queue id, and the log's position */
void store_pg_add_bounces(struct store *s, time_t ts, const char *qids,
			  const char *key, const char *pos)
{
	size_t cap = 2 * strlen(qids ? qids : "") + 3, len = 0, k;
	const char *p = qids ? qids : "";
	char t[24], *a = malloc(cap);
	const char *v[4];

	if (a == NULL) {
		log_ratelimited("enqueue", 10, LOG_ERR, "store: out of memory");
		return;
	}
	/* "q1 q2" as {q1,q2}: queue ids are [0-9A-Za-z], never quoted */
	a[len++] = '{';
	while (*p) {
		k = strcspn(p, " ");
		if (k > 0) {
			if (len > 1)
				a[len++] = ',';
			memcpy(a + len, p, k);
			len += k;
		}
		p += k;
		p += strspn(p, " ");
	}
	a[len++] = '}';
	a[len] = '\0';
	v[0] = num(t, sizeof(t), ts);
	v[1] = a;
	v[2] = key != NULL && pos != NULL ? key : NULL;
	v[3] = key != NULL && pos != NULL ? pos : NULL;
	if (len > 2 || v[2] != NULL)
		pg_enqueue(s, PG_BOUNCES, 4, v);
	free(a);
}

/* store_pg_add_peak - a candidate for the day's peak */
void store_pg_add_peak(struct store *s, const char *login, const char *metric,
		       long window_s, time_t ts, long count)
{
	char w[24], t[24], c[24];
	const char *v[] = { login, metric, num(w, sizeof(w), window_s),
			    num(t, sizeof(t), ts), num(c, sizeof(c), count) };

	pg_enqueue(s, PG_PEAK, 5, v);
}

/* read_long - a prepared read's first column of its first row; -1 on
 * error, dflt without a row */
static long long read_long(struct store *s, enum pg_stmt i, int n,
			   const char *const *v, long long dflt)
{
	struct pg_conn *pc = pg_get(s);
	PGresult *r;
	long long x = dflt;

	if (pc == NULL)
		return -1;
	__atomic_add_fetch(&s->pg->calls, 1, __ATOMIC_RELAXED);
	r = pg_exec(s, pc, i, n, v);
	pg_put(s, pc);
	if (r == NULL)
		return -1;
	if (PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		x = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	store_ok(s);
	return x;
}

/* store_pg_contacts_known - how many of the hashes login wrote to since */
int store_pg_contacts_known(struct store *s, const char *login, time_t since,
			    const long long *hashes, int n)
{
	char t[24], *a = hash_array(hashes, n);
	const char *v[] = { login, num(t, sizeof(t), since), a };
	long long k;

	if (a == NULL)
		return -1;
	k = read_long(s, PG_KNOWN, 3, v, 0);
	free(a);
	return (int)k;
}

/* store_pg_baseline - the second-highest daily peak before today */
long store_pg_baseline(struct store *s, const char *login, const char *metric,
		       long window_s, time_t now, long baseline_days)
{
	const long long today = (long long)now / DAY;
	char w[24], f[24], d[24];
	const char *v[] = { login, metric, num(w, sizeof(w), window_s),
			    num(f, sizeof(f), today - baseline_days),
			    num(d, sizeof(d), today) };
	long long k = read_long(s, PG_BASELINE, 5, v, 0);

	return k < 0 ? 0 : (long)k;
}

/* prune_step - one step of statement i with bound; rows deleted or -1 */
static long prune_step(struct store *s, struct pg_conn *pc, enum pg_stmt i,
		       long long bound)
{
	char b[24], n[24];
	const char *v[] = { num(b, sizeof(b), bound),
			    num(n, sizeof(n), PG_PRUNE_STEP) };
	PGresult *r = pg_exec(s, pc, i, 2, v);
	long rows;

	if (r == NULL)
		return -1;
	rows = atol(PQcmdTuples(r));
	PQclear(r);
	return rows;
}

/* stopping - the daemon is stopping: a pass ends at its next step */
static int stopping(struct store_pg *pg)
{
	int stop;

	if (!pg->pruner_running)
		return 0;
	pthread_mutex_lock(&pg->prune_lock);
	stop = pg->prune_stop;
	pthread_mutex_unlock(&pg->prune_lock);
	return stop;
}

/* try_lock - the fleet's prune lock on pc (session level): 1 taken, 0
 * another daemon prunes, -1 error */
static int try_lock(struct store *s, struct pg_conn *pc)
{
	PGresult *r = pg_exec(s, pc, PG_PRUNE_LOCK, 0, NULL);
	int got;

	if (r == NULL)
		return -1;
	got = PQntuples(r) > 0 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return got;
}

/*
 * store_pg_prune - a whole pass as of now, where this daemon holds the
 * fleet's prune lock: rows deleted, 0 when another daemon holds it, -1
 * on error (logged)
 */
long store_pg_prune(struct store *s, time_t now)
{
	const enum pg_stmt st[] = { PG_PRUNE_MSG,	  PG_PRUNE_SESSION,
				    PG_PRUNE_COUNTS,	  PG_PRUNE_EVENTS,
				    PG_PRUNE_QUARANTINE,  PG_PRUNE_INCIDENTS,
				    PG_PRUNE_CONTACTS,	  PG_PRUNE_PEAKS,
				    PG_PRUNE_RESERVATIONS };
	long long bound[sizeof(st) / sizeof(st[0])];
	long keep_c, keep_e, keep_h, keep_k, keep_p, total = 0, n;
	struct pg_conn *pc;
	unsigned i;
	int more = 1, got;

	lock_acquire(&s->q_lock);
	keep_c = s->keep_counters > 0 ? s->keep_counters : DAY;
	keep_e = s->keep_events > 0 ? s->keep_events : 30 * DAY;
	keep_h = s->keep_history;
	keep_k = s->keep_contacts > 0 ? s->keep_contacts : 90 * DAY;
	keep_p = s->keep_peaks > 0 ? s->keep_peaks : 28 * DAY;
	lock_release(&s->q_lock);
	keep_c += 60;
	if (keep_h < keep_c) /* the log is at least what the counts need */
		keep_h = keep_c;
	bound[0] = bound[1] = (long long)now - keep_h;
	bound[2] = (long long)now - keep_c;
	bound[3] = bound[4] = bound[5] = (long long)now - keep_e;
	bound[6] = (long long)now - keep_k;
	bound[7] = ((long long)now - keep_p) / DAY - 1;
	bound[8] = (long long)now - PG_STALE_S; /* not counted any more */
	if ((pc = pg_get(s)) == NULL)
		return -1;
	if ((got = try_lock(s, pc)) <= 0) {
		pg_put(s, pc);
		return got;
	}
	while (more && total >= 0 && !stopping(s->pg)) {
		more = 0;
		for (i = 0; i < sizeof(st) / sizeof(st[0]); i++) {
			if ((n = prune_step(s, pc, st[i], bound[i])) < 0) {
				total = -1;
				break;
			}
			total += n;
			more |= n == PG_PRUNE_STEP;
		}
	}
	PQclear(pg_exec(s, pc, PG_PRUNE_UNLOCK, 0, NULL));
	pg_put(s, pc);
	if (total > 0)
		log_msg(LOG_DEBUG, "store: pruned %ld old rows", total);
	return total;
}

/* pruner_main - a pass once every PG_PRUNE_EVERY seconds until stopped */
static void *pruner_main(void *arg)
{
	struct store *s = arg;
	struct store_pg *pg = s->pg;
	struct timespec until;

	pthread_mutex_lock(&pg->prune_lock);
	while (!pg->prune_stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += PG_PRUNE_EVERY;
		while (!pg->prune_stop &&
		       pthread_cond_timedwait(&pg->prune_cond, &pg->prune_lock,
					      &until) == 0)
			;
		if (pg->prune_stop)
			break;
		pthread_mutex_unlock(&pg->prune_lock);
		store_pg_prune(s, time(NULL));
		pthread_mutex_lock(&pg->prune_lock);
	}
	pthread_mutex_unlock(&pg->prune_lock);
	return NULL;
}

/* pg_pruner_start - start the pruning thread; 0 or -1 */
int pg_pruner_start(struct store *s)
{
	struct store_pg *pg = s->pg;

	pthread_mutex_init(&pg->prune_lock, NULL);
	pthread_cond_init(&pg->prune_cond, NULL);
	pg->prune_stop = 0;
	if (pthread_create(&pg->pruner, NULL, pruner_main, s) != 0)
		return -1;
	pg->pruner_running = 1;
	return 0;
}

/* pg_pruner_stop - stop the pruning thread, waiting for a pass to end */
void pg_pruner_stop(struct store *s)
{
	struct store_pg *pg = s->pg;

	if (!pg->pruner_running)
		return;
	pthread_mutex_lock(&pg->prune_lock);
	pg->prune_stop = 1;
	pthread_cond_broadcast(&pg->prune_cond);
	pthread_mutex_unlock(&pg->prune_lock);
	pthread_join(pg->pruner, NULL);
	pg->pruner_running = 0;
}
