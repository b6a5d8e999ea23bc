/*
 * NAME
 *	store_pg - the store on PostgreSQL: connections, schema, policy
 * SYNOPSIS
 *	#include "store_pg_int.h"
 * DESCRIPTION
 *	store_pg_open() connects with libpq (connect_timeout 5 unless the
 *	URI says otherwise), creates the schema from the embedded
 *	schema/postgresql/outguard.sql on an empty database and applies the
 *	embedded migrations, in one transaction under the advisory lock
 *	(28519, 0) so two daemons starting at once do not both create it.
 *	s->path is the URI with its password masked, for the logs.
 *
 *	The policy is loaded by copying the policy tables, in one
 *	REPEATABLE READ READ ONLY transaction, into an in-memory SQLite
 *	database with the SQLite schema (s->db, the "mirror"), which the
 *	SQLite loader (store_policy.c) then reads: one loader, one set of
 *	checks, for both stores.
 *
 *	Every statement is prepared (pg_exec) on the connection it runs
 *	on, the first time it runs there, with its parameter types given.
 * DIAGNOSTICS
 *	A failed statement goes through store_fail() like SQLite's; a
 *	connection found broken is closed and the next use reconnects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_pg_int.h"

extern const char *const pg_schema_sql[];
extern const int pg_schema_sql_count;

#define PG_BASE_VERSION 5 /* the version of schema/postgresql/outguard.sql */

/* store_pg_uri - a PostgreSQL URI? */
int store_pg_uri(const char *path)
{
	return path != NULL && (strncmp(path, "postgresql://", 13) == 0 ||
				strncmp(path, "postgres://", 11) == 0);
}

/* mask - the URI with the password of its user part replaced */
static char *mask(const char *uri)
{
	const char *at, *colon, *p = strstr(uri, "://");
	char *out;
	size_t n = strlen(uri) + 8;

	if ((out = malloc(n)) == NULL)
		return NULL;
	snprintf(out, n, "%s", uri);
	if (p == NULL)
		return out;
	p += 3;
	at = strchr(p, '@');
	colon = strchr(p, ':');
	if (at != NULL && colon != NULL && colon < at && strchr(p, '/') > at)
		snprintf(out, n, "%.*s:***%s", (int)(colon - uri), uri, at);
	if ((p = strstr(out, "password=")) != NULL) {
		size_t end = strcspn(p + 9, "&");

		memmove((char *)p + 12, p + 9 + end, strlen(p + 9 + end) + 1);
		memcpy((char *)p + 9, "***", 3);
	}
	return out;
}

/* scalar_int - the first column of the first row of sql as a number */
static long long scalar_int(PGconn *c, const char *sql, int *ok)
{
	PGresult *r = PQexec(c, sql);
	long long v = 0;

	*ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	if (*ok && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
		v = atoll(PQgetvalue(r, 0, 0));
	else if (*ok)
		*ok = 2; /* no row or NULL */
	PQclear(r);
	return v;
}

/* pg_migrate - create or migrate under the advisory lock */
static int pg_migrate(PGconn *c, int create, char *err, size_t errlen)
{
	int code = PG_BASE_VERSION - 1 + pg_schema_sql_count, ok, i;
	long long v;
	char sql[96], e[400];

	if (pg_simple(c, "BEGIN", e, sizeof(e)) < 0 ||
	    (create && pg_simple(c, "SELECT pg_advisory_xact_lock(28519, 0)", e,
				 sizeof(e)) < 0))
		goto fail;
	v = scalar_int(
		c, "SELECT (to_regclass('schema_version') IS NOT NULL)::int",
		&ok);
	if (ok == 1 && v == 1)
		v = scalar_int(c, "SELECT version FROM schema_version", &ok);
	if (!ok) {
		snprintf(e, sizeof(e), "%s", PQerrorMessage(c));
		goto fail;
	}
	if (v > code) {
		snprintf(err, errlen,
			 "database schema version %lld is newer than this "
			 "outguard (%d)",
			 v, code);
		goto out;
	}
	if (v < code && !create) {
		snprintf(err, errlen,
			 v == 0 ? "no outguard schema in the database: start "
				  "outguard once or run outguard -n"
				: "database schema version %lld is older than "
				  "%d: run outguard -n to migrate it",
			 v, code);
		goto out;
	}
	for (i = v == 0 ? 0 : (int)v - PG_BASE_VERSION + 1;
	     i < pg_schema_sql_count; i++) {
		if (pg_simple(c, pg_schema_sql[i], e, sizeof(e)) < 0)
			goto fail;
		snprintf(sql, sizeof(sql),
			 "UPDATE schema_version SET version = %d",
			 PG_BASE_VERSION + i);
		if (pg_simple(c, sql, e, sizeof(e)) < 0)
			goto fail;
		if (v > 0)
			log_msg(LOG_NOTICE, "database migrated to version %d",
				PG_BASE_VERSION + i);
	}
	if (pg_simple(c, "COMMIT", e, sizeof(e)) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "schema: %s", e);
	if ((i = (int)strlen(err)) > 0 && err[i - 1] == '\n')
		err[i - 1] = '\0';
out:
	pg_simple(c, "ROLLBACK", NULL, 0);
	return -1;
}

/* store_pg_open - connect, create or migrate, set up the mirror */
int store_pg_open(struct store *s, const char *uri, int flags, char *err,
		  size_t errlen)
{
	struct store_pg *pg = calloc(1, sizeof(*pg));
	struct pg_conn *pc;
	PGconn *c;
	char *m;

	if (pg == NULL || (pg->uri = strdup(uri)) == NULL ||
	    (m = mask(uri)) == NULL) {
		if (pg != NULL)
			free(pg->uri);
		free(pg);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(s->path);
	s->path = m;
	s->pg = pg;
	pthread_mutex_init(&pg->pool_lock, NULL);
	pthread_cond_init(&pg->pool_cond, NULL);
	pthread_mutex_init(&pg->win_lock, NULL);
	pthread_mutex_init(&pg->q_lock, NULL);
	pthread_cond_init(&pg->q_cond, NULL);
	pthread_cond_init(&pg->q_done, NULL);
	pthread_mutex_init(&pg->ver_lock, NULL);
	pg->policy_version = -1;
	pg->listen_pipe[0] = pg->listen_pipe[1] = -1;
	if ((c = pg_connect(uri, err, errlen)) == NULL)
		return -1;
	if (pg_migrate(c, (flags & STORE_CREATE) && !(flags & STORE_READONLY),
		       err, errlen) < 0) {
		PQfinish(c);
		return -1;
	}
	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		PQfinish(c);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pc->c = c;
	pg->open = 1;
	pg_put(s, pc);
	/* the mirror: the policy tables as SQLite, for the policy loader */
	if ((s->db = store_conn_open(":memory:", 0, err, errlen)) == NULL ||
	    store_migrate(s->db, 1, err, errlen) < 0)
		return -1;
	return 0;
}

/* store_pg_start_writer - drop this relay's old reservations, start the
 * writer and the listener */
int store_pg_start_writer(struct store *s)
{
	struct pg_conn *pc = pg_get(s);
	const char *v[1] = { s->relay };
	PGresult *r;

	if (pc == NULL)
		return -1;
	/* a crashed daemon of this relay left them */
	r = PQexecParams(pc->c, "DELETE FROM reservations WHERE relay = $1", 1,
			 NULL, v, NULL, NULL, 0);
	PQclear(r);
	pg_put(s, pc);
	if (pg_writer_start(s) < 0)
		return -1;
	store_pg_listen_start(s);
	if (pg_pruner_start(s) < 0)
		log_msg(LOG_ERR, "store: cannot start the pruning thread");
	return 0;
}

/* store_pg_close - writer, listener, pool */
void store_pg_close(struct store *s)
{
	struct store_pg *pg = s->pg;
	struct pg_conn *pc, *next;

	pg_pruner_stop(s);
	store_pg_listen_stop(s);
	store_pg_flush(s);
	if (pg->lookups > 0)
		log_msg(LOG_NOTICE,
			"postgresql: %ld lookups, %ld synchronous round trips "
			"(%.2f a lookup), %ld writes in %ld batches",
			pg->lookups, pg->calls,
			(double)pg->calls / (double)pg->lookups, pg->written,
			pg->batches);
	if (pg->writer_running) {
		pthread_mutex_lock(&pg->q_lock);
		pg->stopping = 1;
		pthread_cond_broadcast(&pg->q_cond);
		pthread_mutex_unlock(&pg->q_lock);
		pthread_join(pg->writer, NULL);
		pg->writer_running = 0;
	}
	for (pc = pg->pool; pc != NULL; pc = next) {
		next = pc->next;
		PQfinish(pc->c);
		free(pc);
	}
	if (pg->wconn != NULL) {
		PQfinish(pg->wconn->c);
		free(pg->wconn);
	}
	free(pg->uri);
	free(pg);
	s->pg = NULL;
}

/* run - a statement on a pooled connection; once more on a new one if
 * the connection had broken (a restarted server, a killed backend) */
static PGresult *run(struct store *s, enum pg_stmt i, int n,
		     const char *const *values)
{
	struct pg_conn *pc;
	PGresult *r = NULL;
	int tries;

	for (tries = 0; tries < 2 && r == NULL; tries++) {
		__atomic_add_fetch(&s->pg->calls, 1, __ATOMIC_RELAXED);
		if ((pc = pg_get(s)) == NULL)
			return NULL;
		r = pg_exec(s, pc, i, n, values);
		if (r == NULL && PQstatus(pc->c) == CONNECTION_OK)
			tries = 2; /* a statement error: no retry */
		pg_put(s, pc);
	}
	if (r != NULL)
		store_ok(s);
	return r;
}

/* parse_array - a bigint[] in text form into v (at most max) */
static int parse_array(const char *t, long *v, int max)
{
	int n = 0;
	char *end;

	if (*t == '{')
		t++;
	while (*t && *t != '}' && n < max) {
		v[n++] = strtol(t, &end, 10);
		if (end == t)
			break;
		t = end;
		if (*t == ',')
			t++;
	}
	return n;
}

/* user_from - a store_user from class and status text */
static void user_from(struct store_user *u, const char *cls, const char *status,
		      int known)
{
	snprintf(u->class_name, sizeof(u->class_name), "%s",
		 cls && *cls ? cls : "default");
	u->known = known;
	if (status == NULL || engine_user_status_parse(status, &u->status) < 0)
		u->status = USER_ACTIVE;
}

/* store_pg_user_get - the users row */
int store_pg_user_get(struct store *s, const char *login, struct store_user *u)
{
	const char *v[1] = { login };
	unsigned gen;
	PGresult *r;

	if (pg_users_get(s->pg, login, u)) /* unchanged since read */
		return 0;
	gen = pg_users_gen(login);
	r = run(s, PG_USER, 1, v);
	user_from(u, NULL, NULL, 0);
	if (r == NULL)
		return -1;
	if (PQntuples(r) > 0)
		user_from(u, PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), 1);
	PQclear(r);
	pg_users_put(s->pg, login, u, gen);
	return 0;
}

/* store_pg_exists - one of the yes/no reads */
int store_pg_exists(struct store *s, int which, const char *a, const char *b,
		    const char *c)
{
	static const enum pg_stmt st[] = { PG_SENDER, PG_SEEN, PG_COUNTED };
	static const int n[] = { 3, 1, 2 };
	const char *v[3] = { a, b, c };
	PGresult *r = run(s, st[which], n[which], v);
	int rc;

	if (r == NULL)
		return -1;
	rc = PQntuples(r) > 0;
	PQclear(r);
	return rc;
}

/* store_pg_policy_version - from NOTIFY when listening, else read */
int store_pg_policy_version(struct store *s, long long *version)
{
	PGresult *r;

	pthread_mutex_lock(&s->pg->ver_lock);
	*version = s->pg->policy_version;
	pthread_mutex_unlock(&s->pg->ver_lock);
	if (*version >= 0)
		return 0;
	if ((r = run(s, PG_VERSION, 0, NULL)) == NULL)
		return -1;
	*version = PQntuples(r) > 0 ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return 0;
}

/*
 * The policy tables, the same on both stores; the mirror is refilled
 * from them at every load, column by column as its schema has them.
 */
static const char *const policy_tables[] = {
	"classes",	    "limits",	"local_domains",     "user_senders",
	"freemail_domains", "rules",	"protected_domains", "webmail_sources",
	"network_groups",   "settings", "policy_version",
};

/* store_pg_policy_sync - the policy tables into the mirror, one snapshot */
int store_pg_policy_sync(struct store *s, char *err, size_t errlen)
{
	int rc;

	lock_acquire(&s->db_lock);
	rc = store_pg_sim_copy(s, s->db, policy_tables,
			       sizeof(policy_tables) / sizeof(policy_tables[0]),
			       err, errlen);
	lock_release(&s->db_lock);
	if (rc == 0)
		store_ok(s);
	return rc;
}

/* store_pg_policy_loaded - the union of the policy's windows */
void store_pg_policy_loaded(struct store *s, const struct policy *p)
{
	struct store_pg *pg = s->pg;
	int i, j, k;

	pthread_mutex_lock(&pg->win_lock);
	pg->nwindows = 0;
	for (i = 0; i < p->nclasses; i++)
		for (j = 0; j < p->classes[i].nwindows; j++) {
			for (k = 0; k < pg->nwindows; k++)
				if (pg->windows[k] == p->classes[i].windows[j])
					break;
			if (k == pg->nwindows && k < PG_WINDOWS)
				pg->windows[pg->nwindows++] =
					p->classes[i].windows[j];
		}
	pthread_mutex_unlock(&pg->win_lock);
}

/* the reserve call's result, by column */
enum {
	R_ID,
	R_GRANTED,
	R_RES,
	R_CLASS,
	R_STATUS,
	R_KNOWN,
	R_WS,
	R_MSGS,
	R_RCPTS,
	R_SESS,
	R_NETS,
	R_REFUSED, /* refused, new_rcpt, bounce: summed beside the call */
	R_NEW_RCPT,
	R_BOUNCE
};

/* reserve - call outguard_reserve(); the result or NULL */
static PGresult *reserve(struct store *s, const char *login, time_t now,
			 long long res_id, int want, const char *network,
			 const long *ws, int nws)
{
	char ts[24], id[24], w[8], arr[PG_WINDOWS * 12 + 4], stale[16];
	char margin[16];
	const char *v[12];
	size_t len = 0;
	int i;

	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	snprintf(id, sizeof(id), "%lld", res_id);
	snprintf(w, sizeof(w), "%d", want);
	snprintf(stale, sizeof(stale), "%d", PG_STALE_S);
	len += snprintf(arr + len, sizeof(arr) - len, "{");
	for (i = 0; i < nws && len < sizeof(arr) - 24; i++)
		len += snprintf(arr + len, sizeof(arr) - len, "%s%ld",
				i ? "," : "", ws[i]);
	snprintf(arr + len, sizeof(arr) - len, "}");
	v[0] = login;
	v[1] = ts;
	v[2] = s->relay;
	v[3] = res_id > 0 ? id : NULL;
	v[4] = w;
	v[5] = want > 0 ? "1" : "0";
	snprintf(margin, sizeof(margin), "%d", want > 1 ? PG_LEASE_MARGIN : 0);
	v[6] = margin;
	v[7] = "false";
	v[8] = NULL;
	v[9] = network;
	v[10] = arr;
	v[11] = stale;
	return run(s, PG_RESERVE, 12, v);
}

/* counts_from - the result's counts of window ws */
static void counts_from(PGresult *r, long ws, long *m, long *rc, long *se,
			long *nets)
{
	long w[PG_WINDOWS * 2], a[PG_WINDOWS * 2];
	int n = parse_array(PQgetvalue(r, 0, R_WS), w, PG_WINDOWS * 2), i;

	*m = *rc = *se = 0;
	if (nets != NULL)
		*nets = 0;
	for (i = 0; i < n && w[i] != ws; i++)
		;
	if (i == n)
		return;
	parse_array(PQgetvalue(r, 0, R_MSGS), a, PG_WINDOWS * 2);
	*m = a[i];
	parse_array(PQgetvalue(r, 0, R_RCPTS), a, PG_WINDOWS * 2);
	*rc = a[i];
	parse_array(PQgetvalue(r, 0, R_SESS), a, PG_WINDOWS * 2);
	*se = a[i];
	if (nets != NULL) {
		parse_array(PQgetvalue(r, 0, R_NETS), a, PG_WINDOWS * 2);
		*nets = a[i];
	}
}

/* extras_from - the result's refused, new_rcpt and bounce of c's window */
static void extras_from(PGresult *r, struct window_counts *c)
{
	long w[PG_WINDOWS * 2], a[PG_WINDOWS * 2];
	int n = parse_array(PQgetvalue(r, 0, R_WS), w, PG_WINDOWS * 2), i;

	c->refused = c->new_rcpt = c->bounce = 0;
	for (i = 0; i < n && w[i] != c->window_s; i++)
		;
	if (i == n || PQnfields(r) <= R_BOUNCE)
		return;
	if (parse_array(PQgetvalue(r, 0, R_REFUSED), a, PG_WINDOWS * 2) > i)
		c->refused = a[i];
	if (parse_array(PQgetvalue(r, 0, R_NEW_RCPT), a, PG_WINDOWS * 2) > i)
		c->new_rcpt = a[i];
	if (parse_array(PQgetvalue(r, 0, R_BOUNCE), a, PG_WINDOWS * 2) > i)
		c->bounce = a[i];
}

/*
 * store_pg_lookup - one round trip: the users row, the counts of every
 * window of the policy, and the message's first recipients reserved:
 * one, or a lease of PG_LEASE far from every limit (prepaid: those
 * decisions cost no call)
 */
int store_pg_lookup(struct store *s, const char *login, const char *network,
		    time_t now, struct store_user *u,
		    int (*windows_for)(void *arg, const struct store_user *u,
				       struct window_counts *c),
		    void *arg, struct window_counts *c, struct store_mark *mark)
{
	struct store_pg_flight *f;
	long ws[PG_WINDOWS], nets;
	unsigned gen;
	int nws, n, i;
	PGresult *r;

	if (mark != NULL)
		store_pg_mark_drop(s, login, mark);
	pthread_mutex_lock(&s->pg->win_lock);
	nws = s->pg->nwindows;
	memcpy(ws, s->pg->windows, sizeof(ws));
	pthread_mutex_unlock(&s->pg->win_lock);
	__atomic_add_fetch(&s->pg->lookups, 1, __ATOMIC_RELAXED);
	gen = pg_users_gen(login);
	r = reserve(s, login, now, 0, mark != NULL ? PG_LEASE : 0, network, ws,
		    nws);
	user_from(u, NULL, NULL, 0);
	if (r == NULL)
		return -1;
	user_from(u, PQgetvalue(r, 0, R_CLASS), PQgetvalue(r, 0, R_STATUS),
		  PQgetvalue(r, 0, R_KNOWN)[0] == 't');
	pg_users_put(s->pg, login, u, gen);
	n = windows_for(arg, u, c);
	f = mark != NULL ? calloc(1, sizeof(*f)) : NULL;
	for (i = 0; i < n; i++) {
		counts_from(r, c[i].window_s, &c[i].msgs, &c[i].rcpts,
			    &c[i].sessions, &nets);
		c[i].networks = nets;
		extras_from(r, &c[i]);
		if (f != NULL && i < POLICY_MAX_WINDOWS) {
			f->ws[i] = c[i].window_s;
			f->m[i] = c[i].msgs;
			f->r[i] = c[i].rcpts;
			f->se[i] = c[i].sessions;
			f->n = i + 1;
		}
	}
	if (f != NULL) {
		if (!PQgetisnull(r, 0, R_ID))
			f->res_id = atoll(PQgetvalue(r, 0, R_ID));
		f->prepaid = atoi(PQgetvalue(r, 0, R_GRANTED));
		memset(mark, 0, sizeof(*mark));
		mark->held = 1;
		mark->flight = f;
	}
	PQclear(r);
	return 0;
}

/* store_pg_counts_get - the counts alone (no reservation) */
int store_pg_counts_get(struct store *s, const char *login, time_t now,
			struct window_counts *c, int n)
{
	long ws[POLICY_MAX_WINDOWS] = { 0 }, nets;
	PGresult *r;
	int i;

	for (i = 0; i < n && i < POLICY_MAX_WINDOWS; i++)
		ws[i] = c[i].window_s;
	if ((r = reserve(s, login, now, 0, 0, NULL, ws, i)) == NULL)
		return -1;
	for (i = 0; i < n && i < POLICY_MAX_WINDOWS; i++) {
		counts_from(r, c[i].window_s, &c[i].msgs, &c[i].rcpts,
			    &c[i].sessions, &nets);
		c[i].networks = nets;
		extras_from(r, &c[i]);
	}
	PQclear(r);
	return 0;
}

/*
 * store_pg_since - what the login's counts grew by since the lookup:
 * the prepaid recipients cost nothing; past them each decision reserves
 * one more recipient in the database (exact across relays) and reads
 * the counts in the same call.  The growth is the largest of the
 * windows' (they differ only by rows that left a window), plus the
 * message's own reservation as the guard counts it.
 */
void store_pg_since(struct store *s, const char *login,
		    const struct store_mark *mark, long *msgs, long *rcpts,
		    long *sessions)
{
	struct store_pg_flight *f = mark->flight;
	long m, rc, se, own_m, own_r;
	PGresult *r;
	int i;

	*msgs = *rcpts = *sessions = 0;
	if (f == NULL)
		return;
	if (f->prepaid > 0) {
		f->prepaid--;
		return;
	}
	own_m = f->res_id > 0 ? 1 : 0;
	r = reserve(s, login, time(NULL), f->res_id, 1, NULL, f->ws, f->n);
	if (r == NULL)
		return;
	own_r = atol(PQgetvalue(r, 0, R_RES)) -
		atol(PQgetvalue(r, 0, R_GRANTED));
	if (!PQgetisnull(r, 0, R_ID))
		f->res_id = atoll(PQgetvalue(r, 0, R_ID));
	/* signed: a message that settled with fewer recipients than it
	 * had reserved (or none) makes the count shrink; clipped at 0 the
	 * guard would count more than the database and refuse what it
	 * granted, and that reservation would in turn refuse others */
	for (i = 0; i < f->n; i++) {
		counts_from(r, f->ws[i], &m, &rc, &se, NULL);
		if (i == 0 || m - f->m[i] > *msgs)
			*msgs = m - f->m[i];
		if (i == 0 || rc - f->r[i] > *rcpts)
			*rcpts = rc - f->r[i];
		if (i == 0 || se - f->se[i] > *sessions)
			*sessions = se - f->se[i];
	}
	*msgs += own_m;
	*rcpts += own_r;
	PQclear(r);
}
