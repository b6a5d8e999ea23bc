/*
 * NAME
 *	policybench - what the forgery checks cost per message, no MTA
 * SYNOPSIS
 *	policybench DATABASE [ROUNDS]
 * DESCRIPTION
 *	Loads the policy of DATABASE as the daemon does and times, on the
 *	benchmark's own message (the sender, headers and recipient that
 *	milterload sends), checks_envelope() plus checks_headers() per
 *	message, checks_rcpt() per recipient, and one lookalike check.
 *	run-bench.sh runs it on the default and the 1k policy: the
 *	end-to-end figures move by more than this between runs on a shared
 *	machine, this one does not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "checks.h"
#include "lookalike.h"
#include "mailaddr.h"
#include "rules.h"
#include "store.h"

/* now_us - a monotonic clock in microseconds */
static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* message - the benchmark's message, as guard would see it */
static void message(struct checks_msg *m, struct mailaddr *from)
{
	static const char from_raw[] = "User 123 <user123@example.test>";

	mailaddr_parse(from_raw, from, 1);
	m->auth = 1;
	m->mail_from = "user123@example.test";
	m->mail_from_domain = "example.test";
	m->helo = m->client_name = "client.example.test";
	m->from_raw = from_raw;
	m->from = from;
	m->from_domain = "example.test";
	m->reply_to_raw = m->reply_to_domain = "";
	m->subject = "load test message 123";
}

int main(int argc, char **argv)
{
	int i, n = argc > 2 ? atoi(argv[2]) : 20000;
	struct rules_scratch *sc = rules_scratch_new();
	struct checks_msg m = { 0 };
	struct check_finding f;
	struct lookalike_hit h;
	struct mailaddr from;
	double t0, t1, t2, t3;
	struct policy *p;
	struct store *s;
	char err[300];

	if (argc < 2 || n <= 0) {
		fprintf(stderr, "usage: policybench DATABASE [ROUNDS]\n");
		return 2;
	}
	if ((s = store_open(argv[1], 0, err, sizeof(err))) == NULL ||
	    (p = store_policy_load(s, err, sizeof(err))) == NULL) {
		fprintf(stderr, "policybench: %s\n", err);
		return 1;
	}
	message(&m, &from);
	t0 = now_us();
	for (i = 0; i < n; i++) {
		checks_envelope(p, sc, &m, &f);
		checks_headers(p, sc, &m, &f);
	}
	t1 = now_us();
	for (i = 0; i < n; i++)
		checks_rcpt(p, sc, 1, "rcpt123@example.net", "example.net", &f);
	t2 = now_us();
	for (i = 0; i < n; i++)
		lookalike_check(p->lookalike, "mailer.example.org", &h);
	t3 = now_us();
	printf("%d rules, %d protected: %.2f us per message + %.2f us per "
	       "recipient; a lookalike check %.2f us\n",
	       ruleset_count(p->rules), lookalike_count(p->lookalike),
	       (t1 - t0) / n, (t2 - t1) / n, (t3 - t2) / n);
	policy_free(p);
	store_close(s);
	rules_scratch_free(sc);
	return 0;
}
