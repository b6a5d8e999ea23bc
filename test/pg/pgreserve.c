/*
 * NAME
 *	pgreserve - outguard_reserve() from two relays' connections at once
 * SYNOPSIS
 *	pgreserve -u URI [-u URI2] [-c CONNS] [-m MSGS] [-k MAXRCPT]
 *		[-L LEASE] [-M MARGIN] [-n LOGINS] [-l LOGIN] [-s SEED]
 * DESCRIPTION
 *	Each -u is a relay (A, B, ...) with CONNS connections, a thread
 *	each, sending MSGS messages of 1 to MAXRCPT recipients as logins
 *	LOGIN (one login) or LOGIN0..LOGIN{N-1} (-n, chosen at random).  A
 *	message does what the daemon would on PostgreSQL: at MAIL one call
 *	of outguard_reserve() asks for a lease of LEASE recipients (none
 *	from inside the last MARGIN of a limit); each recipient the lease
 *	does not cover asks for one more, exactly; at end of message the
 *	relay's writer thread settles the reservation with what was used
 *	(outguard_settle, a batch of messages per statement, on its own
 *	connection).  A refused recipient is not retried.  Only prepared
 *	statements; every value is a parameter.
 *
 *	At the end it prints one line of key=value: rcpts accepted and
 *	refused, messages with a recipient accepted, reserve calls per
 *	message, the mean and 99th percentile time of a reserve call in
 *	microseconds, elapsed seconds and messages per second.
 * DIAGNOSTICS
 *	Exit 0, or 1 with a message on stderr when a connection or a
 *	statement fails.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define MAX_RELAYS   4
#define MAX_CONNS    256
#define SETTLE_BATCH 512
#define LAT_SAMPLES  65536

static const char reserve_sql[] =
	"SELECT res_id, granted FROM outguard_reserve($1, $2, $3, $4, $5, "
	"$6, $7, $8, $9, $10, $11, $12)";
static const char settle_sql[] =
	"SELECT outguard_settle($1::bigint[], $2::text[], $3::bigint[], "
	"$4::bigint[], $5::text[], $6::text[], $7::text[])";

struct settle {
	long long res_id; /* 0: none */
	char login[64];
	long long ts;
	int rcpts;
};

struct relay {
	const char *uri;
	char name[8];
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct settle *q; /* queued settles */
	int nq, cap, done;
	long settled;
	pthread_t writer;
};

struct worker {
	struct relay *r;
	pthread_t th;
	unsigned seed;
	long accepted, refused, msgs, calls;
	double lat_sum;
	double *lat; /* samples, LAT_SAMPLES */
	long nlat;
	int failed;
};

static int opt_msgs = 100, opt_maxrcpt = 1, opt_lease = 1, opt_margin = 0;
static int opt_logins = 0;
static const char *opt_login = "alice";

/* die - print and exit 1 */
static void die(const char *what, PGconn *db)
{
	fprintf(stderr, "pgreserve: %s: %s", what,
		db ? PQerrorMessage(db) : "failed\n");
	exit(1);
}

/* now_us - a monotonic clock in microseconds */
static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* db_open - connect and prepare a statement; exits on failure */
static PGconn *db_open(const char *uri, const char *name, const char *sql)
{
	PGconn *db = PQconnectdb(uri);
	PGresult *res;

	if (PQstatus(db) != CONNECTION_OK)
		die("connect", db);
	res = PQprepare(db, name, sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("prepare", db);
	PQclear(res);
	return db;
}

/*
 * reserve - one outguard_reserve() call: want recipients, need of them
 * even inside the margin, added to *res_id's reservation (0: a new one,
 * set when made).  Returns the recipients granted.
 */
static int reserve(struct worker *w, PGconn *db, const char *login,
		   long long *res_id, int want, int need, int margin)
{
	char ts[24], id[24], swant[12], sneed[12], smargin[12];
	const char *v[12];
	PGresult *res;
	double t0;
	int granted;

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	snprintf(id, sizeof(id), "%lld", *res_id);
	snprintf(swant, sizeof(swant), "%d", want);
	snprintf(sneed, sizeof(sneed), "%d", need);
	snprintf(smargin, sizeof(smargin), "%d", margin);
	v[0] = login;
	v[1] = ts;
	v[2] = w->r->name;
	v[3] = *res_id ? id : NULL;
	v[4] = swant;
	v[5] = sneed;
	v[6] = smargin;
	v[7] = "false";
	v[8] = NULL;
	v[9] = NULL;
	v[10] = "{}";
	v[11] = "3600";
	t0 = now_us();
	res = PQexecPrepared(db, "reserve", 12, v, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		die("outguard_reserve", db);
	t0 = now_us() - t0;
	w->lat_sum += t0;
	if (w->nlat < LAT_SAMPLES)
		w->lat[w->nlat++] = t0;
	w->calls++;
	if (!PQgetisnull(res, 0, 0))
		*res_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	granted = atoi(PQgetvalue(res, 0, 1));
	PQclear(res);
	return granted;
}

/* settle_queue - hand a finished message to the relay's writer */
static void settle_queue(struct relay *r, long long res_id, const char *login,
			 int rcpts)
{
	struct settle *s;

	pthread_mutex_lock(&r->lock);
	if (r->nq == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->q = realloc(r->q, r->cap * sizeof(*r->q));
		if (r->q == NULL)
			die("out of memory", NULL);
	}
	s = &r->q[r->nq++];
	s->res_id = res_id;
	snprintf(s->login, sizeof(s->login), "%s", login);
	s->ts = (long long)time(NULL);
	s->rcpts = rcpts;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

/* arr_add - append one element to a PostgreSQL array literal */
static void arr_add(char *buf, size_t *len, const char *val, int quote)
{
	const char *p;

	if (*len > 1) /* buf starts with "{" */
		buf[(*len)++] = ',';
	if (val == NULL) {
		memcpy(buf + *len, "NULL", 4);
		*len += 4;
		return;
	}
	if (quote)
		buf[(*len)++] = '"';
	for (p = val; *p; p++) {
		if (quote && (*p == '"' || *p == '\\'))
			buf[(*len)++] = '\\';
		buf[(*len)++] = *p;
	}
	if (quote)
		buf[(*len)++] = '"';
}

/* settle_batch - settle n queued messages in one statement */
static void settle_batch(PGconn *db, const struct settle *s, int n)
{
	static const size_t sz = SETTLE_BATCH * 140 + 16;
	char *a[7], num[24];
	size_t len[7];
	const char *v[7];
	PGresult *res;
	int i, j;

	for (j = 0; j < 7; j++) {
		if ((a[j] = malloc(sz)) == NULL)
			die("out of memory", NULL);
		a[j][0] = '{';
		len[j] = 1;
	}
	for (i = 0; i < n; i++) {
		snprintf(num, sizeof(num), "%lld", s[i].res_id);
		arr_add(a[0], &len[0], s[i].res_id ? num : NULL, 0);
		arr_add(a[1], &len[1], s[i].login, 1);
		snprintf(num, sizeof(num), "%lld", s[i].ts);
		arr_add(a[2], &len[2], num, 0);
		snprintf(num, sizeof(num), "%d", s[i].rcpts);
		arr_add(a[3], &len[3], num, 0);
		arr_add(a[4], &len[4], NULL, 0);
		arr_add(a[5], &len[5], NULL, 0);
		arr_add(a[6], &len[6], NULL, 0);
	}
	for (j = 0; j < 7; j++) {
		a[j][len[j]++] = '}';
		a[j][len[j]] = '\0';
		v[j] = a[j];
	}
	res = PQexecPrepared(db, "settle", 7, v, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		die("outguard_settle", db);
	PQclear(res);
	for (j = 0; j < 7; j++)
		free(a[j]);
}

/* writer_main - a relay's writer: settle what is queued, in batches */
static void *writer_main(void *arg)
{
	struct relay *r = arg;
	PGconn *db = db_open(r->uri, "settle", settle_sql);
	struct settle batch[SETTLE_BATCH];
	int n;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		while (r->nq == 0 && !r->done)
			pthread_cond_wait(&r->cond, &r->lock);
		if (r->nq == 0 && r->done) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		n = r->nq < SETTLE_BATCH ? r->nq : SETTLE_BATCH;
		memcpy(batch, r->q, n * sizeof(*batch));
		memmove(r->q, r->q + n, (r->nq - n) * sizeof(*r->q));
		r->nq -= n;
		pthread_mutex_unlock(&r->lock);
		settle_batch(db, batch, n);
		r->settled += n;
	}
	PQfinish(db);
	return NULL;
}

/* message - one message of k recipients, as the daemon would send it */
static void message(struct worker *w, PGconn *db, const char *login, int k)
{
	long long res_id = 0;
	int lease, used = 0, i;

	/* MAIL: the lookup, with a lease when the login is far from its
	 * limits (need 0: nothing from inside the margin) */
	lease = reserve(w, db, login, &res_id, opt_lease, 0, opt_margin);
	for (i = 0; i < k; i++) {
		if (used < lease) {
			used++;
		} else if (reserve(w, db, login, &res_id, 1, 1, 0) == 1) {
			lease++;
			used++;
		} else {
			w->refused++;
		}
	}
	w->accepted += used;
	if (used > 0)
		w->msgs++;
	if (res_id || used)
		settle_queue(w->r, res_id, login, used);
}

/* worker_main - a connection's thread: its messages */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	PGconn *db = db_open(w->r->uri, "reserve", reserve_sql);
	char login[64];
	int i, k;

	for (i = 0; i < opt_msgs; i++) {
		k = 1 + (int)(rand_r(&w->seed) % (unsigned)opt_maxrcpt);
		if (opt_logins > 0)
			snprintf(login, sizeof(login), "%s%u", opt_login,
				 rand_r(&w->seed) % (unsigned)opt_logins);
		else
			snprintf(login, sizeof(login), "%s", opt_login);
		message(w, db, login, k);
	}
	PQfinish(db);
	return NULL;
}

/* cmp_double - qsort order */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* usage - print the synopsis and exit 2 */
static void usage(void)
{
	fprintf(stderr, "usage: pgreserve -u URI [-u URI2] [-c CONNS] "
			"[-m MSGS] [-k MAXRCPT] [-L LEASE] [-M MARGIN] "
			"[-n LOGINS] [-l LOGIN] [-s SEED]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct relay relays[MAX_RELAYS];
	static struct worker workers[MAX_RELAYS * MAX_CONNS];
	int nrelays = 0, conns = 8, nw, i, j, opt;
	long acc = 0, ref = 0, msgs = 0, calls = 0, nlat = 0, sent;
	unsigned seed = 1;
	double t0, secs, lat_sum = 0, *lat;

	while ((opt = getopt(argc, argv, "u:c:m:k:L:M:n:l:s:")) != -1) {
		switch (opt) {
		case 'u':
			if (nrelays == MAX_RELAYS)
				usage();
			relays[nrelays].uri = optarg;
			snprintf(relays[nrelays].name,
				 sizeof(relays[nrelays].name), "%c",
				 'A' + nrelays);
			nrelays++;
			break;
		case 'c':
			conns = atoi(optarg);
			break;
		case 'm':
			opt_msgs = atoi(optarg);
			break;
		case 'k':
			opt_maxrcpt = atoi(optarg);
			break;
		case 'L':
			opt_lease = atoi(optarg);
			break;
		case 'M':
			opt_margin = atoi(optarg);
			break;
		case 'n':
			opt_logins = atoi(optarg);
			break;
		case 'l':
			opt_login = optarg;
			break;
		case 's':
			seed = (unsigned)atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (nrelays == 0 || conns < 1 || conns > MAX_CONNS || opt_msgs < 0 ||
	    opt_maxrcpt < 1 || opt_lease < 0 || opt_margin < 0)
		usage();
	nw = nrelays * conns;
	if ((lat = malloc(sizeof(double) * LAT_SAMPLES * (size_t)nw)) == NULL)
		die("out of memory", NULL);
	for (i = 0; i < nrelays; i++) {
		pthread_mutex_init(&relays[i].lock, NULL);
		pthread_cond_init(&relays[i].cond, NULL);
		if (pthread_create(&relays[i].writer, NULL, writer_main,
				   &relays[i]) != 0)
			die("pthread_create", NULL);
	}
	t0 = now_us();
	for (i = 0; i < nw; i++) {
		workers[i].r = &relays[i % nrelays];
		workers[i].seed = seed * 7919u + (unsigned)i;
		workers[i].lat = lat + (size_t)i * LAT_SAMPLES;
		if (pthread_create(&workers[i].th, NULL, worker_main,
				   &workers[i]) != 0)
			die("pthread_create", NULL);
	}
	for (i = 0; i < nw; i++)
		pthread_join(workers[i].th, NULL);
	for (i = 0; i < nrelays; i++) {
		pthread_mutex_lock(&relays[i].lock);
		relays[i].done = 1;
		pthread_cond_signal(&relays[i].cond);
		pthread_mutex_unlock(&relays[i].lock);
		pthread_join(relays[i].writer, NULL);
	}
	secs = (now_us() - t0) / 1e6;
	for (i = 0; i < nw; i++) {
		acc += workers[i].accepted;
		ref += workers[i].refused;
		msgs += workers[i].msgs;
		calls += workers[i].calls;
		lat_sum += workers[i].lat_sum;
		for (j = 0; j < workers[i].nlat; j++)
			lat[nlat++] = workers[i].lat[j];
	}
	qsort(lat, nlat, sizeof(*lat), cmp_double);
	sent = (long)nw * opt_msgs;
	printf("accepted=%ld refused=%ld msgs=%ld sent=%ld calls=%ld "
	       "calls_per_msg=%.3f mean_us=%.1f p99_us=%.1f secs=%.3f "
	       "msgs_per_s=%.0f\n",
	       acc, ref, msgs, sent, calls,
	       sent > 0 ? (double)calls / sent : 0.0,
	       calls ? lat_sum / calls : 0.0,
	       nlat ? lat[(long)(nlat * 0.99)] : 0.0, secs,
	       secs > 0 ? sent / secs : 0.0);
	free(lat);
	return 0;
}
