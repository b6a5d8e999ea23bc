/*
 * NAME
 *	storebench - what the store costs per message, no MTA
 * SYNOPSIS
 *	storebench DATABASE LOGINS [MSGS [THREADS]]
 * DESCRIPTION
 *	Opens DATABASE (which it writes to: give it a copy), starts the
 *	writer thread as the daemon does, and has THREADS threads
 *	(default 4) do, for MSGS messages in all (default 20000), the
 *	store's work for one authenticated message of one recipient,
 *	in the order the daemon does it: count the session, look up the
 *	user and its counts in the windows of its class, reserve, read
 *	the user again at end-of-message, count the message.  Each
 *	message goes to a login user0 .. user<LOGINS-1> picked at random.
 *	Then it waits for the writer to commit everything and prints the
 *	wall time per message, the process CPU time per message (the
 *	writer's included), and the mean of the lookup alone:
 *	  storebench: LOGINS logins, N msgs, T threads: W us wall, C us
 *	  CPU, L us lookup per message
 *	run-scale.sh runs it on its templates: it shows the store's share
 *	of the per-message cost without the noise of the MTA side.
 * DIAGNOSTICS
 *	Exit 1 when the database cannot be opened or a lookup fails.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "policy.h"
#include "store.h"

struct bench {
	struct store *store;
	struct policy *pol;
	unsigned logins;
	long msgs; /* per thread */
	unsigned seed;
	double lookup_us; /* out: this thread's lookups */
	int failed;	  /* out */
};

/* now_us - a monotonic clock in microseconds */
static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* cpu_us - the CPU time of the process so far, all threads */
static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

/* windows - store_lookup's callback: the windows of the user's class */
static int windows(void *arg, const struct store_user *u,
		   struct window_counts *c)
{
	const struct policy_class *cls;
	int i;

	cls = policy_class_find(arg, u->class_name);
	if (cls == NULL)
		cls = policy_class_find(arg, "default");
	for (i = 0; cls != NULL && i < cls->nwindows; i++)
		c[i].window_s = cls->windows[i];
	return cls != NULL ? cls->nwindows : 0;
}

/* run - one thread: its share of the messages */
static void *run(void *arg)
{
	struct window_counts c[POLICY_MAX_WINDOWS];
	struct store_mark mark;
	struct bench *b = arg;
	struct store_user u;
	char login[32], addr[32], net[32];
	unsigned i, r;
	double t;
	long n;

	for (n = 0; n < b->msgs; n++) {
		r = (unsigned)rand_r(&b->seed) * 2654435761u;
		i = r % b->logins;
		snprintf(login, sizeof(login), "user%u", i);
		snprintf(addr, sizeof(addr), "10.9.%u.%u", i / 250 % 250,
			 i % 250 + 1);
		snprintf(net, sizeof(net), "10.9.%u.0/24", i / 250 % 250);
		t = now_us();
		store_add_session(b->store, login, time(NULL), addr, net);
		if (store_lookup(b->store, login, net, time(NULL), &u, windows,
				 b->pol, c, &mark) < 0)
			b->failed = 1;
		store_mark_drop(b->store, login, &mark);
		b->lookup_us += now_us() - t;
		store_reserve(b->store, login, 1, 1);
		if (store_user_get(b->store, login, &u) < 0)
			b->failed = 1;
		store_add_message(b->store, login, time(NULL), 1, addr,
				  "4XbenchQ1D", 1, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long msgs = argc > 3 ? atol(argv[3]) : 20000;
	int i, nt = argc > 4 ? atoi(argv[4]) : 4, failed = 0;
	unsigned logins = argc > 2 ? (unsigned)atol(argv[2]) : 0;
	double t0, c0, t1, c1, lookup = 0;
	pthread_t tid[64];
	struct bench b[64];
	struct policy *p;
	struct store *s;
	char err[300];

	if (argc < 3 || logins == 0 || msgs <= 0 || nt < 1 || nt > 64) {
		fprintf(stderr, "usage: storebench DATABASE LOGINS [MSGS "
				"[THREADS]]\n");
		return 2;
	}
	if ((s = store_open(argv[1], 0, err, sizeof(err))) == NULL ||
	    (p = store_policy_load(s, err, sizeof(err))) == NULL) {
		fprintf(stderr, "storebench: %s\n", err);
		return 1;
	}
	store_set_retention(s, p->max_window, 30 * 86400L);
	if (store_start_writer(s) < 0) {
		fprintf(stderr, "storebench: cannot start the writer\n");
		return 1;
	}
	t0 = now_us();
	c0 = cpu_us();
	for (i = 0; i < nt; i++) {
		b[i] = (struct bench){
			s, p, logins, msgs / nt, (unsigned)(i + 1) * 7919u, 0, 0
		};
		pthread_create(&tid[i], NULL, run, &b[i]);
	}
	for (i = 0; i < nt; i++) {
		pthread_join(tid[i], NULL);
		lookup += b[i].lookup_us;
		failed |= b[i].failed;
	}
	store_flush(s);
	t1 = now_us();
	c1 = cpu_us();
	msgs = msgs / nt * nt;
	printf("storebench: %u logins, %ld msgs, %d threads: %.1f us wall, "
	       "%.1f us CPU, %.1f us lookup per message\n",
	       logins, msgs, nt, (t1 - t0) / msgs, (c1 - c0) / msgs,
	       lookup / msgs);
	policy_free(p);
	store_close(s);
	if (failed)
		fprintf(stderr, "storebench: a lookup failed\n");
	return failed;
}
