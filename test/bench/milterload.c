/*
 * NAME
 *	milterload - milter protocol load client that behaves like Postfix
 * SYNOPSIS
 *	milterload -s SOCKET [-c CONNS] [-n MSGS | -d SECS] [-r RCPTS]
 *		[-l LOGINS] [-R] [-m MSGS_PER_CONN] [-b BODY_BYTES]
 *		[-a CLIENT_ADDR] [-w RATE] [-t TIMEOUT] [-E MAX_ERRORS]
 *		[-q] [-v]
 * DESCRIPTION
 *	CONNS threads each open milter connections to SOCKET (unix:PATH or
 *	inet:PORT@HOST) and send SASL-authenticated messages the way
 *	Postfix 3.7's smtpd does (see mlsession.h): RCPTS recipients,
 *	five headers and a small body (BODY_BYTES, default 256).  Each
 *	connection is one SMTP session, authenticated as userN, N chosen
 *	among LOGINS logins round-robin or at random (-R), and carries
 *	MSGS_PER_CONN messages (default 1), each followed by SMFIC_ABORT
 *	as smtpd sends it, then QUIT.  CLIENT_ADDR (default 127.0.0.1)
 *	is the SMTP client's address.  With -w, messages start at RATE
 *	a second in all (not faster; slower when the filter cannot keep
 *	up), else as fast as the filter answers.
 *
 *	A message's latency runs from its first packet (for the first
 *	message of a connection: from connect(), including negotiation,
 *	CONNECT and HELO) to the filter's decision.  The report gives
 *	messages/s, latency percentiles, the decisions, where refusals
 *	happened, recipients refused, edits and quarantines, then one
 *	machine-readable line that starts with "RESULT ".
 *
 *	-t bounds every wait for the filter (default 10 s).  -E stops the
 *	run after that many failed messages (default 20).  -v prints
 *	every packet to stderr (use with -c 1 -n 1); -q prints only the
 *	RESULT line.
 * DIAGNOSTICS
 *	The first failures are printed with the message number and cause.
 *	Exit 0 when every message got a decision, 1 when any failed, 2 on
 *	usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "mlsession.h"
#include "mlstats.h"

#define ML_SHOW_ERRORS 5 /* failures printed in full */

/* The run, shared by all threads. */
struct ml_run {
	struct ml_setup setup;
	unsigned conns;
	unsigned long msgs; /* 0: run for secs */
	double secs;
	unsigned logins;
	int random_login;
	unsigned per_conn;
	unsigned long max_errors;
	double deadline;	/* monotonic seconds, when secs */
	double start;		/* monotonic seconds */
	double rate;		/* messages a second, 0: no limit */
	unsigned long next_seq; /* atomic */
	unsigned long errors;	/* under lock */
	int stop;		/* atomic */
	pthread_mutex_t lock;	/* stderr, negotiation record */
	int have_neg;
	struct ml_session neg; /* first negotiation, for the report */
};

/* One thread. */
struct ml_worker {
	struct ml_run *run;
	pthread_t tid;
	unsigned id;
	uint64_t rng;
	struct ml_stats stats;
};

/* ml_now - monotonic seconds */
static double ml_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ml_sleep_until - sleep until the monotonic clock reads t */
static void ml_sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
}

/* ml_claim - the next message number, or 0 when the run is over */
static int ml_claim(struct ml_run *run, unsigned long *seq)
{
	if (__atomic_load_n(&run->stop, __ATOMIC_RELAXED))
		return 0;
	if (run->msgs == 0 && ml_now() >= run->deadline)
		return 0;
	*seq = __atomic_fetch_add(&run->next_seq, 1, __ATOMIC_RELAXED);
	if (run->msgs != 0 && *seq >= run->msgs)
		return 0;
	if (run->rate > 0)
		ml_sleep_until(run->start + *seq / run->rate);
	return 1;
}

/* ml_failed - count and maybe print a failed message */
static void ml_failed(struct ml_worker *w, unsigned long seq, const char *why)
{
	struct ml_run *run = w->run;
	unsigned long n;

	w->stats.errors++;
	pthread_mutex_lock(&run->lock);
	n = ++run->errors;
	if (n <= ML_SHOW_ERRORS)
		fprintf(stderr, "milterload: message %lu: %s\n", seq, why);
	if (n == ML_SHOW_ERRORS + 1)
		fprintf(stderr, "milterload: further failures not shown\n");
	if (n == run->max_errors) {
		fprintf(stderr, "milterload: %lu failures, stopping\n", n);
		__atomic_store_n(&run->stop, 1, __ATOMIC_RELAXED);
	}
	pthread_mutex_unlock(&run->lock);
}

/* ml_note_neg - keep the first negotiation for the report */
static void ml_note_neg(struct ml_run *run, const struct ml_session *s)
{
	int i;

	pthread_mutex_lock(&run->lock);
	if (!run->have_neg) {
		run->have_neg = 1;
		run->neg.version = s->version;
		run->neg.actions = s->actions;
		run->neg.protocol = s->protocol;
		for (i = 0; i < ML_MACRO_STAGES; i++)
			if (s->macros[i] != NULL)
				run->neg.macros[i] = strdup(s->macros[i]);
	}
	pthread_mutex_unlock(&run->lock);
}

/* ml_login - the login number of a message */
static unsigned ml_login(struct ml_worker *w, unsigned long seq)
{
	if (!w->run->random_login)
		return (unsigned)(seq % w->run->logins);
	w->rng ^= w->rng << 13; /* xorshift64 */
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (unsigned)(w->rng % w->run->logins);
}

/* ml_worker_main - send messages until the run is over */
static void *ml_worker_main(void *arg)
{
	struct ml_worker *w = arg;
	struct ml_run *run = w->run;
	struct ml_session s;
	struct ml_result r;
	struct ml_msg m;
	unsigned on_conn = 0, login = 0;
	double t0;

	ml_session_init(&s, &run->setup);
	while (ml_claim(run, &m.seq)) {
		t0 = ml_now();
		if (!ml_session_ready(&s) || on_conn >= run->per_conn) {
			on_conn = 0;
			if (ml_session_open(&s, 1024 + m.seq % 60000) < 0) {
				ml_failed(w, m.seq, s.conn.err);
				continue;
			}
			w->stats.sessions++;
			ml_note_neg(run, &s);
			/* One SMTP AUTH per session, as in real life. */
			login = ml_login(w, m.seq);
		}
		m.login = login;
		on_conn++;
		if (ml_session_message(&s, &m, &r) < 0) {
			ml_failed(w, m.seq, s.conn.err);
			continue;
		}
		ml_stats_add(&w->stats, &r, ml_now() - t0);
	}
	ml_session_free(&s);
	return NULL;
}

/* ml_make_body - CRLF lines of text, len bytes; never freed */
static char *ml_make_body(size_t len)
{
	static const char line[] = "The quick brown fox jumps over the "
				   "lazy dog, again and again.\r\n";
	char *b = malloc(len + 1);
	size_t i;

	if (b == NULL) {
		perror("milterload");
		exit(1);
	}
	for (i = 0; i < len; i++)
		b[i] = line[i % (sizeof(line) - 1)];
	if (len >= 2) {
		b[len - 2] = '\r';
		b[len - 1] = '\n';
	}
	b[len] = 0;
	return b;
}

/* ml_usage - print usage and exit 2 */
static void ml_usage(const char *why)
{
	if (why)
		fprintf(stderr, "milterload: %s\n", why);
	fprintf(stderr,
		"usage: milterload -s SOCKET [-c CONNS] [-n MSGS | -d SECS] "
		"[-r RCPTS]\n"
		"\t[-l LOGINS] [-R] [-m MSGS_PER_CONN] [-b BODY_BYTES] "
		"[-a CLIENT_ADDR]\n"
		"\t[-w RATE] [-t TIMEOUT_SECS] [-E MAX_ERRORS] [-q] [-v]\n");
	exit(2);
}

/* ml_num - a positive number option, or usage */
static double ml_num(const char *arg, int opt, double max)
{
	char *end;
	double v = strtod(arg, &end);
	char why[64];

	if (*arg == 0 || *end != 0 || !(v > 0) || v > max) {
		snprintf(why, sizeof(why), "bad -%c value: %s", opt, arg);
		ml_usage(why);
	}
	return v;
}

/* ml_options - parse the command line into run */
static void ml_options(struct ml_run *run, int argc, char **argv, int *quiet)
{
	const char *spec = NULL;
	char err[ML_ERR_LEN];
	struct in_addr in;
	int c;

	while ((c = getopt(argc, argv, "a:b:c:d:E:hl:m:n:qRr:s:t:vw:")) != -1) {
		switch (c) {
		case 'a':
			run->setup.client_addr = optarg;
			break;
		case 'b':
			run->setup.body_len = (size_t)ml_num(optarg, c, 1e7);
			break;
		case 'c':
			run->conns = (unsigned)ml_num(optarg, c, 1000);
			break;
		case 'd':
			run->secs = ml_num(optarg, c, 86400);
			break;
		case 'E':
			run->max_errors = (unsigned long)ml_num(optarg, c,
								1e12);
			break;
		case 'l':
			run->logins = (unsigned)ml_num(optarg, c, 1e9);
			break;
		case 'm':
			run->per_conn = (unsigned)ml_num(optarg, c, 1e9);
			break;
		case 'n':
			run->msgs = (unsigned long)ml_num(optarg, c, 1e12);
			break;
		case 'q':
			*quiet = 1;
			break;
		case 'R':
			run->random_login = 1;
			break;
		case 'r':
			run->setup.rcpts = (unsigned)ml_num(optarg, c, 1e5);
			break;
		case 's':
			spec = optarg;
			break;
		case 't':
			run->setup.timeout_ms = (int)(ml_num(optarg, c, 3600) *
						      1000);
			break;
		case 'v':
			run->setup.trace = 1;
			break;
		case 'w':
			run->rate = ml_num(optarg, c, 1e7);
			break;
		default:
			ml_usage(NULL);
		}
	}
	if (optind != argc)
		ml_usage("unexpected arguments");
	if (spec == NULL)
		ml_usage("-s SOCKET is required");
	if (run->msgs && run->secs > 0)
		ml_usage("give -n or -d, not both");
	if (run->msgs == 0 && !(run->secs > 0))
		run->msgs = 1000;
	if (inet_pton(AF_INET, run->setup.client_addr, &in) != 1)
		ml_usage("-a wants an IPv4 address");
	if (ml_addr_parse(&run->setup.addr, spec, err, sizeof(err)) < 0) {
		fprintf(stderr, "milterload: %s\n", err);
		exit(2);
	}
}

/* main - parse options, run the workers, report */
int main(int argc, char **argv)
{
	static struct ml_run run;
	struct ml_worker *w;
	struct ml_stats total;
	char date[64];
	time_t now = time(NULL);
	int quiet = 0;
	double start, elapsed;
	unsigned i;

	run.conns = 8;
	run.logins = 1000;
	run.per_conn = 1;
	run.max_errors = 20;
	run.setup.version = SMFI_PROT_VERSION;
	run.setup.actions = SMFI_CURR_ACTS;  /* all Postfix 3.7 offers */
	run.setup.protocol = SMFI_CURR_PROT; /* MILTER8_V6_PROTO_MASK */
	run.setup.timeout_ms = 10000;
	run.setup.rcpts = 1;
	run.setup.body_len = 256;
	run.setup.client_addr = "127.0.0.1";
	ml_options(&run, argc, argv, &quiet);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
		 gmtime(&now));
	run.setup.date = date;
	run.setup.body = ml_make_body(run.setup.body_len);
	pthread_mutex_init(&run.lock, NULL);
	ml_session_init(&run.neg, &run.setup);

	w = calloc(run.conns, sizeof(*w));
	if (w == NULL) {
		perror("milterload");
		return 1;
	}
	start = ml_now();
	run.start = start;
	run.deadline = start + run.secs;
	for (i = 0; i < run.conns; i++) {
		w[i].run = &run;
		w[i].id = i;
		w[i].rng = 0x9e3779b97f4a7c15ULL * (i + 1) ^ (uint64_t)now;
		if (pthread_create(&w[i].tid, NULL, ml_worker_main, &w[i])) {
			perror("milterload: pthread_create");
			return 1;
		}
	}
	ml_stats_init(&total);
	for (i = 0; i < run.conns; i++) {
		pthread_join(w[i].tid, NULL);
		ml_stats_merge(&total, &w[i].stats);
		ml_stats_free(&w[i].stats);
	}
	elapsed = ml_now() - start;

	ml_stats_finish(&total);
	if (!quiet)
		ml_stats_print(stdout, &total, &run.setup,
			       run.have_neg ? &run.neg : NULL, run.conns,
			       run.per_conn, run.logins, run.random_login,
			       elapsed);
	ml_stats_result(stdout, &total, &run.setup, run.conns, run.per_conn,
			run.logins, elapsed);
	ml_stats_free(&total);
	ml_session_free(&run.neg);
	free(w);
	return total.errors > 0 || total.done == 0 ? 1 : 0;
}
