/*
 * NAME
 *	pgstore - the store's mail path on PostgreSQL, two relays at once
 * SYNOPSIS
 *	pgstore URI LOGIN THREADS MSGS RCPTS
 *	pgstore URI watch
 *	pgstore URI outage LOGIN MSGS RCPTS
 *	pgstore URI block LOGIN
 *	pgstore URI new LOGIN TS RCPTS NEW
 * DESCRIPTION
 *	Opens the store twice on URI, as relays "a" and "b" (two daemons),
 *	each with its writer, and runs THREADS threads, half on each,
 *	that send MSGS messages of RCPTS recipients each for LOGIN the way
 *	the guard does: store_lookup at MAIL, then per recipient the
 *	login's lock, store_since, engine_decide and store_reserve, then
 *	store_add_message and store_mark_drop.  Prints "accepted N" (the
 *	recipients the engine let through) and, after both writers are
 *	flushed and closed, nothing else: the script compares N with the
 *	limit and with what the database stored.
 *
 *	With "watch" it opens the store as the daemon does (writer and
 *	LISTEN thread), prints "ready VERSION", and exits printing
 *	"changed VERSION MS" once store_policy_version() returns another
 *	version (MS: milliseconds after it first looked), or 1 after 30 s.
 *
 *	With "block" it looks LOGIN up (its users row is then kept by the
 *	store), prints "ready STATUS", and exits printing "blocked MS"
 *	once store_user_get() says blocked, or 1 after 30 s.
 *
 *	With "outage" it runs one store with OnStoreError enforce and two
 *	threads in three phases, reading a line from stdin before phases
 *	2 and 3 (the script stops PostgreSQL before phase 2 and starts it
 *	before phase 3): 1 sends MSGS messages and prints "phase1 N"; 2
 *	sends MSGS more with the database gone and prints "phase2 N"; 3
 *	waits until the writer has written what it queued, closes and
 *	prints "closed".
 *
 *	With "new" it stores one message of LOGIN at TS with RCPTS
 *	recipients, NEW of them new to the login, the way the guard does
 *	with the writer running (store_lookup, store_reserve,
 *	store_add_message_new, store_mark_drop), flushes and closes.  URI
 *	may be a SQLite file too: the scripts compare the two stores.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "policy.h"
#include "store.h"

/* every message's queue id: what the writer's arrays must quote */
#define QID "Q\"1\\,{x} NULL"

static struct store *relay[2];
static struct policy *pol[2];
static const char *login;
static int nmsgs, nrcpts;
static long accepted;
static pthread_mutex_t acc_lock = PTHREAD_MUTEX_INITIALIZER;

struct msg {
	const struct policy_class *cls;
	const struct policy *p;
};

/* windows_for - the class's windows, as the guard's class_windows */
static int windows_for(void *arg, const struct store_user *u,
		       struct window_counts *c)
{
	struct msg *m = arg;
	int i;

	m->cls = policy_class_find(m->p, u->class_name);
	if (m->cls == NULL)
		m->cls = policy_class_find(m->p, "default");
	if (m->cls == NULL)
		return 0;
	for (i = 0; i < m->cls->nwindows; i++)
		c[i].window_s = m->cls->windows[i];
	return m->cls->nwindows;
}

/* sender - one thread's messages on relay arg */
static void *sender(void *arg)
{
	int r = (int)(long)arg, i, k, n, reserved;
	struct store *s = relay[r];
	struct window_counts c[POLICY_MAX_WINDOWS], now[POLICY_MAX_WINDOWS];
	struct store_mark mark;
	struct store_user u;
	struct engine_input in;
	struct verdict v;
	struct msg m;
	long ok, dm, dr, ds, mine = 0;

	for (i = 0; i < nmsgs; i++) {
		memset(&mark, 0, sizeof(mark));
		memset(&m, 0, sizeof(m));
		m.p = pol[r];
		if (store_lookup(s, login, NULL, time(NULL), &u, windows_for,
				 &m, c, &mark) < 0) {
			fprintf(stderr, "lookup failed\n");
			exit(1);
		}
		n = m.cls ? m.cls->nwindows : 0;
		ok = 0;
		reserved = 0;
		for (k = 0; k < nrcpts; k++) {
			store_login_lock(s, login);
			store_since(s, login, &mark, &dm, &dr, &ds);
			if (mark.held) {
				dm -= reserved;
				dr -= ok;
			}
			for (int w = 0; w < n; w++) {
				now[w] = c[w];
				now[w].msgs += dm;
				now[w].rcpts += dr;
				now[w].sessions += ds;
			}
			in.cls = m.cls;
			in.status = u.status;
			in.counts = now;
			in.msg_rcpts = ok + 1;
			engine_decide(&in, &v);
			if (!action_refuses(v.action)) {
				store_reserve(s, login, reserved ? 0 : 1, 1);
				reserved = 1;
				ok++;
			}
			store_login_unlock(s, login);
		}
		if (ok > 0)
			store_add_message(s, login, time(NULL), (int)ok,
					  "192.0.2.1", QID, 1, (int)ok);
		else
			store_release(s, login, 0, 0);
		store_mark_drop(s, login, &mark);
		mine += ok;
	}
	pthread_mutex_lock(&acc_lock);
	accepted += mine;
	pthread_mutex_unlock(&acc_lock);
	return NULL;
}

/* phase - nth threads of sender() on relay 0; the recipients accepted */
static long phase(int nth)
{
	pthread_t th[2];
	int i;

	accepted = 0;
	for (i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, sender, (void *)0L);
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	return accepted;
}

/* outage - enforce while the database is away, write back after */
static int outage(const char *uri)
{
	char err[512], line[16];
	int i;

	if ((relay[0] = store_open(uri, STORE_CREATE, err, sizeof(err))) ==
		    NULL ||
	    (pol[0] = store_policy_load(relay[0], err, sizeof(err))) == NULL) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	store_set_enforce(relay[0], 1);
	if (store_start_writer(relay[0]) < 0)
		return 1;
	printf("phase1 %ld\n", phase(2));
	store_flush(relay[0]);
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 1;
	printf("phase2 %ld\n", phase(2));
	fflush(stdout);
	if (fgets(line, sizeof(line), stdin) == NULL)
		return 1;
	for (i = 0; i < 6; i++) /* the writer retries every second */
		store_flush(relay[0]);
	store_close(relay[0]);
	policy_free(pol[0]);
	printf("closed\n");
	return 0;
}

/* block - wait for a block to reach store_user_get() */
static int block(const char *uri)
{
	struct window_counts c[POLICY_MAX_WINDOWS];
	struct timespec t0, t1;
	struct store_user u;
	struct msg m;
	char err[512];
	int i;

	if ((relay[0] = store_open(uri, STORE_CREATE, err, sizeof(err))) ==
		    NULL ||
	    (pol[0] = store_policy_load(relay[0], err, sizeof(err))) == NULL ||
	    store_start_writer(relay[0]) < 0)
		return 1;
	usleep(300000); /* the listener subscribed */
	memset(&m, 0, sizeof(m));
	m.p = pol[0];
	if (store_lookup(relay[0], login, NULL, time(NULL), &u, windows_for, &m,
			 c, NULL) < 0 ||
	    store_user_get(relay[0], login, &u) < 0)
		return 1;
	printf("ready %d\n", (int)u.status);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 3000; i++) {
		if (store_user_get(relay[0], login, &u) == 0 &&
		    u.status == USER_BLOCKED) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			printf("blocked %ld\n",
			       (t1.tv_sec - t0.tv_sec) * 1000 +
				       (t1.tv_nsec - t0.tv_nsec) / 1000000);
			store_close(relay[0]);
			return 0;
		}
		usleep(10000);
	}
	return 1;
}

/* one_new - one message with new recipients through the mail path */
static int one_new(const char *uri, const char *who, long long ts, int rcpts,
		   long nnew)
{
	struct window_counts c[POLICY_MAX_WINDOWS];
	struct store_mark mark;
	struct store_user u;
	struct store *s;
	struct msg m;
	char err[512];

	memset(&mark, 0, sizeof(mark));
	memset(&m, 0, sizeof(m));
	if ((s = store_open(uri, STORE_CREATE, err, sizeof(err))) == NULL ||
	    (m.p = store_policy_load(s, err, sizeof(err))) == NULL ||
	    store_start_writer(s) < 0) {
		fprintf(stderr, "store: %s\n", err);
		return 1;
	}
	if (store_lookup(s, who, NULL, (time_t)ts, &u, windows_for, &m, c,
			 &mark) < 0) {
		fprintf(stderr, "lookup failed\n");
		return 1;
	}
	store_login_lock(s, who);
	store_reserve(s, who, 1, rcpts);
	store_login_unlock(s, who);
	store_add_message_new(s, who, (time_t)ts, rcpts, "192.0.2.1", "QNEW",
			      NULL, 1, rcpts, nnew);
	store_mark_drop(s, who, &mark);
	store_flush(s);
	store_close(s);
	policy_free((struct policy *)m.p);
	return 0;
}

/* watch - wait for a policy change to reach store_policy_version() */
static int watch(const char *uri)
{
	struct timespec t0, t1;
	struct store *s;
	long long v0, v;
	char err[512];
	int i;

	if ((s = store_open(uri, STORE_CREATE, err, sizeof(err))) == NULL ||
	    store_start_writer(s) < 0 || store_policy_version(s, &v0) < 0)
		return 1;
	usleep(300000); /* the listener subscribed */
	store_policy_version(s, &v0);
	printf("ready %lld\n", v0);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 3000; i++) {
		if (store_policy_version(s, &v) == 0 && v != v0) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			printf("changed %lld %ld\n", v,
			       (t1.tv_sec - t0.tv_sec) * 1000 +
				       (t1.tv_nsec - t0.tv_nsec) / 1000000);
			store_close(s);
			return 0;
		}
		usleep(10000);
	}
	store_close(s);
	return 1;
}

int main(int argc, char **argv)
{
	pthread_t th[256];
	char err[512];
	int nth, i;

	if (argc == 3 && strcmp(argv[2], "watch") == 0)
		return watch(argv[1]);
	if (argc == 4 && strcmp(argv[2], "block") == 0) {
		login = argv[3];
		return block(argv[1]);
	}
	if (argc == 7 && strcmp(argv[2], "new") == 0)
		return one_new(argv[1], argv[3], atoll(argv[4]), atoi(argv[5]),
			       atol(argv[6]));
	if (argc == 6 && strcmp(argv[2], "outage") == 0) {
		login = argv[3];
		nmsgs = atoi(argv[4]);
		nrcpts = atoi(argv[5]);
		return outage(argv[1]);
	}
	if (argc != 6) {
		fprintf(stderr,
			"usage: pgstore URI LOGIN THREADS MSGS RCPTS\n");
		return 2;
	}
	login = argv[2];
	nth = atoi(argv[3]);
	nmsgs = atoi(argv[4]);
	nrcpts = atoi(argv[5]);
	if (nth < 2 || nth > 256)
		return 2;
	for (i = 0; i < 2; i++) {
		setenv("OUTGUARD_RELAY", i ? "b" : "a", 1);
		relay[i] = store_open(argv[1], STORE_CREATE, err, sizeof(err));
		if (relay[i] == NULL) {
			fprintf(stderr, "store_open: %s\n", err);
			return 1;
		}
		if ((pol[i] = store_policy_load(relay[i], err, sizeof(err))) ==
		    NULL) {
			fprintf(stderr, "policy: %s\n", err);
			return 1;
		}
		if (store_start_writer(relay[i]) < 0) {
			fprintf(stderr, "writer\n");
			return 1;
		}
	}
	for (i = 0; i < nth; i++)
		pthread_create(&th[i], NULL, sender, (void *)(long)(i % 2));
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < 2; i++) {
		store_flush(relay[i]);
		store_close(relay[i]);
		policy_free(pol[i]);
	}
	printf("accepted %ld\n", accepted);
	return 0;
}
