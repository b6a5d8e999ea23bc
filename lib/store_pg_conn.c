/*
 * NAME
 *	store_pg_conn - PostgreSQL connections and statements: the bottom
 *	of the PostgreSQL store
 * SYNOPSIS
 *	#include "store_pg_int.h"
 * DESCRIPTION
 *	pg_connect() opens a connection (connect_timeout 5 unless the URI
 *	says otherwise, application_name outguard).  The mail path's
 *	connections come from a pool (pg_get, pg_put) that grows to
 *	PG_POOL_MAX; a connection given back broken or inside a
 *	transaction is closed, so the next pg_get() reconnects.  Every
 *	statement is one of stmts[], prepared by pg_exec() on the
 *	connection it runs on the first time it runs there, with its
 *	parameter types given.  Calls no other store_pg file.
 * DIAGNOSTICS
 *	pg_fail() turns a failed statement into store_fail() with
 *	PostgreSQL's message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "store_pg_int.h"

#define T  "25"	  /* text */
#define B  "20"	  /* bigint */
#define TA "1009" /* text[] */
#define BA "1016" /* bigint[] */

/* clang-format off */
static const struct pg_stmt_def stmts[PG_DETECT_FIRST] = {
	/* and beside the call, in the same round trip, each window's
	 * refused, new_rcpt and bounce (store_pg_detect.c writes them),
	 * summed as outguard_reserve sums msgs: whole minutes, then the
	 * seconds of the minute the window's edge cuts */
	[PG_RESERVE] = { "SELECT r.res_id, r.granted, r.res_rcpts, r.class, "
		"r.status, r.known, r.window_s, r.msgs, r.rcpts, r.sessions, "
		"r.networks, x.refused, x.new_rcpt, x.bounce FROM "
		"outguard_reserve($1, $2, $3, $4, $5::integer, $6::integer, "
		"$7::integer, $8::boolean, $9, $10, $11::bigint[], $12) r "
		"CROSS JOIN LATERAL (SELECT coalesce(array_agg(e.rf ORDER BY "
		"w.i), '{}') AS refused, coalesce(array_agg(e.nr ORDER BY "
		"w.i), '{}') AS new_rcpt, coalesce(array_agg(e.bo ORDER BY "
		"w.i), '{}') AS bounce FROM unnest(r.window_s) WITH ORDINALITY "
		"AS w(ws, i) CROSS JOIN LATERAL (SELECT coalesce(sum(c.refused), "
		"0) AS rf, coalesce(sum(c.new_rcpt), 0) AS nr, "
		"coalesce(sum(c.bounce), 0) AS bo FROM counts c WHERE "
		"c.login = $1 AND c.ts >= $2 - w.ws + 1 AND (c.kind = 0 OR "
		"(c.kind = 1 AND c.ts < ($2 - w.ws + 60) / 60 * 60))) e) x",
		12, { T, B, T, B, T, T, T, T, T, T, T, B } },
	[PG_USER] = { "SELECT class, status FROM users WHERE login = $1",
		1, { T } },
	[PG_SENDER] = { "SELECT 1 FROM user_senders WHERE login = $1 AND "
		"(address = $2 OR address = '@' || $3)", 3, { T, T, T } },
	[PG_SEEN] = { "SELECT 1 FROM seen_domains WHERE domain = $1",
		1, { T } },
	[PG_COUNTED] = { "SELECT 1 FROM msg_log WHERE message_id = $2 AND "
		"login = $1", 2, { T, T } },
	[PG_VERSION] = { "SELECT version FROM policy_version WHERE id = 1",
		0, { 0 } },
	[PG_SETTLE] = { "SELECT outguard_settle(ARRAY[$1::bigint], "
		"ARRAY[$2::text], ARRAY[$3::bigint], ARRAY[$4::bigint], "
		"ARRAY[$5::text], ARRAY[$6::text], ARRAY[$7::text], "
		"ARRAY[$8::bigint])",
		8, { B, T, B, B, T, T, T, B } },
	[PG_SESSION] = { "INSERT INTO session_log (login, ts, client_addr, "
		"network) VALUES ($1, $2, $3, $4)", 4, { T, B, T, T } },
	[PG_EVENT] = { "INSERT INTO events (login, ts, client_addr, queue_id, "
		"kind, action, detail, incident_id) VALUES ($1, $2, $3, $4, "
		"$5, $6, $7, (SELECT id FROM incidents WHERE login = $1 AND "
		"status = 'open'))", 7, { T, B, T, T, T, T, T } },
	[PG_QUARANTINE] = { "INSERT INTO quarantine (login, ts, queue_id, "
		"mail_from, rcpts, subject, reason, incident_id, relay) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT id FROM "
		"incidents WHERE login = $1 AND status = 'open'), $8)",
		8, { T, B, T, T, T, T, T, T } },
	[PG_STATUS] = { "INSERT INTO users AS u (login, changed, status, "
		"note) VALUES ($1, $2, $3, $4) ON CONFLICT (login) DO UPDATE "
		"SET status = CASE WHEN u.status = 'blocked' THEN u.status "
		"ELSE excluded.status END, changed = excluded.changed, "
		"note = coalesce(excluded.note, u.note)", 4, { T, B, T, T } },
	[PG_SEEN_ADD] = { "INSERT INTO seen_domains AS d (domain, first_seen, "
		"last_seen, hits, rule) VALUES ($1, $2, $2, 1, $3) ON CONFLICT "
		"(domain) DO UPDATE SET last_seen = $2, hits = d.hits + 1",
		3, { T, B, T } },
	[PG_TRIP] = { "INSERT INTO incidents AS i (login, opened, updated, "
		"kind, action, trigger, counts, networks) VALUES ($1, $2, $2, "
		"$3, $4, $5, $6, CASE WHEN EXISTS (SELECT 1 FROM incidents "
		"WHERE login = $1 AND status = 'open') THEN NULL ELSE (SELECT "
		"string_agg(key, ' ') FROM (SELECT key FROM counts WHERE "
		"login = $1 AND kind = 2 AND ts > $2 - 3600 ORDER BY key "
		"LIMIT 64) k) END) ON CONFLICT (login) WHERE status = 'open' "
		"DO UPDATE SET updated = greatest(i.updated, excluded.updated), "
		"trips = i.trips + 1, action = CASE WHEN array_position("
		"ARRAY['accept','header','quarantine','tempfail','reject',"
		"'discard','block'], excluded.action) > array_position("
		"ARRAY['accept','header','quarantine','tempfail','reject',"
		"'discard','block'], i.action) THEN excluded.action ELSE "
		"i.action END, networks = CASE WHEN excluded.updated / 60 > "
		"i.updated / 60 THEN coalesce((SELECT string_agg(key, ' ') "
		"FROM (SELECT key FROM counts WHERE login = $1 AND kind = 2 "
		"AND ts > i.opened - 3600 ORDER BY key LIMIT 64) k), "
		"i.networks) ELSE i.networks END",
		6, { T, B, T, T, T, T } },
	[PG_SETTLE_N] = { "INSERT INTO msg_log (login, ts, rcpts, client_addr, "
		"queue_id, message_id, new_rcpt) SELECT s.login, s.ts, s.rcpts, "
		"s.client_addr, s.queue_id, s.message_id, "
		"coalesce(s.new_rcpt, 0) FROM unnest($1::text[], $2::bigint[], "
		"$3::bigint[], $4::text[], $5::text[], $6::text[], "
		"$7::bigint[]) AS s(login, ts, rcpts, client_addr, queue_id, "
		"message_id, new_rcpt) WHERE s.rcpts > 0 ORDER BY s.login, s.ts",
		7, { TA, BA, BA, TA, TA, TA, BA } },
	[PG_UNRESERVE] = { "DELETE FROM reservations WHERE id = ANY ($1)",
		1, { BA } },
	[PG_SESSION_N] = { "INSERT INTO session_log (login, ts, client_addr, "
		"network) SELECT * FROM unnest($1::text[], $2::bigint[], "
		"$3::text[], $4::text[]) ORDER BY 1, 2",
		4, { TA, BA, TA, TA } },
};
/* clang-format on */

/* pg_connect - connect, with a connect_timeout unless the URI has one */
PGconn *pg_connect(const char *uri, char *err, size_t errlen)
{
	const char *const kw[] = { "connect_timeout", "application_name",
				   "dbname", NULL };
	const char *const val[] = { "5", "outguard", uri, NULL };
	PGconn *c = PQconnectdbParams(kw, val, 1);
	char *nl;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(c));
		if ((nl = strrchr(err, '\n')) != NULL && nl[1] == '\0')
			*nl = '\0';
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* pg_simple - one statement without parameters */
int pg_simple(PGconn *c, const char *sql, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;

	if (rc < 0 && err != NULL)
		snprintf(err, errlen, "%s", PQerrorMessage(c));
	PQclear(r);
	return rc;
}

/* now_ms - CLOCK_MONOTONIC in milliseconds */
static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * pg_get - a free connection, else a new one, else wait for one.
 * While the server is unreachable a new connection is tried only after
 * a backoff (0.5 s, doubling to 30 s): the mail path does not wait for
 * connection attempts, it answers from local counts (store_cache.c).
 */
struct pg_conn *pg_get(struct store *s)
{
	struct store_pg *pg = s->pg;
	struct pg_conn *pc;
	char err[300];
	PGconn *c;
	long long t;

	pthread_mutex_lock(&pg->pool_lock);
	while (pg->pool == NULL && pg->open >= PG_POOL_MAX)
		pthread_cond_wait(&pg->pool_cond, &pg->pool_lock);
	if ((pc = pg->pool) != NULL) {
		pg->pool = pc->next;
		pthread_mutex_unlock(&pg->pool_lock);
		return pc;
	}
	if (pg->down_until > 0 && now_ms() < pg->down_until) {
		pthread_mutex_unlock(&pg->pool_lock);
		return NULL;
	}
	pg->open++;
	pthread_mutex_unlock(&pg->pool_lock);
	c = pg_connect(pg->uri, err, sizeof(err));
	pc = c != NULL ? calloc(1, sizeof(*pc)) : NULL;
	pthread_mutex_lock(&pg->pool_lock);
	t = now_ms();
	if (pc == NULL) {
		pg->open--;
		if (pg->down_since == 0)
			pg->down_since = t;
		pg->down_ms = pg->down_ms == 0	     ? 500
			      : pg->down_ms >= 15000 ? 30000
						     : pg->down_ms * 2;
		pg->down_until = t + pg->down_ms;
		pthread_cond_signal(&pg->pool_cond);
	} else if (pg->down_since != 0) {
		log_msg(LOG_NOTICE, "store: PostgreSQL back after %lld s",
			(t - pg->down_since + 500) / 1000);
		pg->down_since = pg->down_until = 0;
		pg->down_ms = 0;
	}
	pthread_mutex_unlock(&pg->pool_lock);
	if (pc == NULL) {
		if (c == NULL)
			store_fail(s, err, NULL);
		PQfinish(c);
		return NULL;
	}
	pc->c = c;
	return pc;
}

/* pg_put - back to the pool; a broken connection is closed */
void pg_put(struct store *s, struct pg_conn *pc)
{
	struct store_pg *pg = s->pg;

	if (pc == NULL)
		return;
	pthread_mutex_lock(&pg->pool_lock);
	if (PQstatus(pc->c) != CONNECTION_OK ||
	    PQtransactionStatus(pc->c) != PQTRANS_IDLE) {
		PQfinish(pc->c);
		free(pc);
		pg->open--;
	} else {
		pc->next = pg->pool;
		pg->pool = pc;
	}
	pthread_cond_signal(&pg->pool_cond);
	pthread_mutex_unlock(&pg->pool_lock);
}

/* pg_fail - log and mark unhealthy */
void pg_fail(struct store *s, const char *what, PGconn *c, const PGresult *res)
{
	char why[240], *nl;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : "";

	if (*msg == '\0' && c != NULL)
		msg = PQerrorMessage(c);
	snprintf(why, sizeof(why), "%s: %s", what, msg);
	if ((nl = strchr(why, '\n')) != NULL)
		*nl = '\0';
	store_fail(s, why, NULL);
}

/* pg_exec - prepare on first use on pc, run */
PGresult *pg_exec(struct store *s, struct pg_conn *pc, enum pg_stmt i, int n,
		  const char *const *values)
{
	const struct pg_stmt_def *d;
	Oid types[12];
	PGresult *r;
	char name[16];
	int k;

	if (i >= PG_DETECT_FIRST) /* store_pg_detect.c's */
		d = &pg_detect_stmts[i - PG_DETECT_FIRST];
	else
		d = &stmts[i];
	snprintf(name, sizeof(name), "og%d", (int)i);
	if (!(pc->prepared & (1ull << i))) {
		for (k = 0; k < d->n; k++)
			types[k] = (Oid)atoi(d->types[k]);
		r = PQprepare(pc->c, name, d->sql, d->n, types);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			pg_fail(s, "prepare", pc->c, r);
			PQclear(r);
			return NULL;
		}
		PQclear(r);
		pc->prepared |= 1ull << i;
	}
	r = PQexecPrepared(pc->c, name, n, values, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK &&
	    PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_fail(s, "statement", pc->c, r);
		PQclear(r);
		return NULL;
	}
	return r;
}
