/*
 * NAME
 *	test_metrics - counters, the histogram, degraded time and the
 *	text format, table-driven
 * DESCRIPTION
 *	Each case notes things through metrics.h and looks for exact
 *	sample lines in metrics_render_at()'s text; time is passed in, so
 *	nothing here depends on a clock.  Four threads adding at once
 *	must lose no increment.  MetricsSocket specs are split by
 *	conf_inet_parse.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf.h"
#include "metrics.h"

#define SEC 1000000000ull

/* has - does text hold line as a whole line? */
static int has(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = text; (p = strstr(p, line)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

/* render_at - the text at time now; aborts when out of memory */
static char *render_at(uint64_t now)
{
	size_t len;
	char *t = metrics_render_at(now, &len);

	if (t == NULL || strlen(t) != len)
		abort();
	return t;
}

/* expect - each line of want[] is in the text at time now */
static void expect(const char *what, uint64_t now, const char *const *want)
{
	char *t = render_at(now), msg[300];

	for (; *want != NULL; want++) {
		snprintf(msg, sizeof(msg), "%s: want line \"%s\"", what, *want);
		CHECK(has(t, *want), msg);
	}
	free(t);
}

/* test_empty - a fresh process: zeros, every family typed */
static void test_empty(void)
{
	static const char *const want[] = {
		"outguard_up 1",
		"# TYPE outguard_decisions_total counter",
		"outguard_decisions_total{action=\"tempfail\",kind=\"limit\"} 0",
		"outguard_decisions_total{action=\"block\",kind=\"tripwire\"} 0",
		"outguard_store_read_duration_seconds_bucket{le=\"+Inf\"} 0",
		"outguard_store_read_duration_seconds_count 0",
		"outguard_store_degraded 0",
		"outguard_store_degraded_seconds_total 0.000",
		"outguard_store_write_queue_depth 0",
		"outguard_maillog_behind_bytes 0",
		"outguard_maillog_bounces_total 0",
		"outguard_rule_hits_total{field=\"subject\",scope=\"auth\"} 0",
		"outguard_lookalike_hits_total{kind=\"homograph\"} 0",
		"# TYPE outguard_store_read_duration_seconds histogram",
		NULL,
	};
	char *t;

	metrics_reset();
	expect("empty", 0, want);
	t = render_at(0);
	CHECK(strstr(t, "kind=\"none\"") == NULL, "no kind=\"none\" series");
	free(t);
}

/* test_counters - each noting function moves its own series */
static void test_counters(void)
{
	static const char *const want[] = {
		"outguard_messages_total{authenticated=\"yes\"} 2",
		"outguard_messages_total{authenticated=\"no\"} 1",
		"outguard_decisions_total{action=\"tempfail\",kind=\"limit\"} 3",
		"outguard_decisions_total{action=\"accept\",kind=\"store\"} 1",
		"outguard_decisions_total{action=\"reject\",kind=\"limit\"} 0",
		"outguard_store_errors_total 2",
		"outguard_store_write_queue_depth 17",
		"outguard_maillog_behind_bytes 4096",
		"outguard_maillog_last_read_timestamp_seconds 1700000000",
		"outguard_maillog_bounces_total 5",
		"outguard_policy_reloads_total 1",
		"outguard_policy_reload_failures_total 1",
		"outguard_policy_version 42",
		"outguard_rule_hits_total{field=\"rcpt\",scope=\"unauth\"} 3",
		"outguard_rule_hits_total{field=\"rcpt\",scope=\"auth\"} 0",
		"outguard_lookalike_hits_total{kind=\"edit\"} 1",
		NULL,
	};
	int i;

	metrics_reset();
	metrics_message(1);
	metrics_message(1);
	metrics_message(0);
	for (i = 0; i < 3; i++)
		metrics_decision(ACTION_TEMPFAIL, VERDICT_LIMIT);
	metrics_decision(ACTION_ACCEPT, VERDICT_STORE);
	metrics_decision((enum action)99, VERDICT_LIMIT); /* ignored */
	metrics_store_error();
	metrics_store_error();
	metrics_write_queue(17);
	metrics_maillog(100, 1600000000, 3);
	metrics_maillog(4096, 1700000000, 2);
	metrics_policy_reload(1, 7, 1); /* the first load: no reload */
	metrics_policy_reload(1, 42, 0);
	metrics_policy_reload(0, 0, 0); /* failed: version stays */
	metrics_rule_hit(RULE_RCPT, 0, 2);
	metrics_rule_hit(RULE_RCPT, 0, 1);
	metrics_lookalike_hit(LOOKALIKE_EDIT);
	expect("counters", 0, want);
}

/* test_histogram - bounds are inclusive; buckets are cumulative */
static void test_histogram(void)
{
	static const char *const want[] = {
		"outguard_store_read_duration_seconds_bucket{le=\"5e-05\"} 2",
		"outguard_store_read_duration_seconds_bucket{le=\"0.0001\"} 3",
		"outguard_store_read_duration_seconds_bucket{le=\"0.001\"} 3",
		"outguard_store_read_duration_seconds_bucket{le=\"0.0025\"} 4",
		"outguard_store_read_duration_seconds_bucket{le=\"2.5\"} 4",
		"outguard_store_read_duration_seconds_bucket{le=\"+Inf\"} 5",
		"outguard_store_read_duration_seconds_count 5",
		"outguard_store_read_duration_seconds_sum 3.002160000",
		NULL,
	};

	metrics_reset();
	metrics_store_read(10000); /* 10 us */
	metrics_store_read(50000); /* on the bound: that bucket */
	metrics_store_read(100000);
	metrics_store_read(2000000); /* 2 ms */
	metrics_store_read(3 * SEC); /* past every bound */
	expect("histogram", 0, want);
}

/* test_degraded - degraded seconds grow while on, stay when off */
static void test_degraded(void)
{
	static const struct {
		int change; /* -1: none, else the new state */
		uint64_t at, now;
		const char *seconds, *gauge;
	} steps[] = {
		{ -1, 0, 5 * SEC, "0.000", "0" },
		{ 1, 10 * SEC, 12 * SEC + SEC / 2, "2.500", "1" },
		{ 1, 11 * SEC, 13 * SEC, "3.000", "1" }, /* already on */
		{ 0, 14 * SEC, 20 * SEC, "4.000", "0" },
		{ 0, 15 * SEC, 30 * SEC, "4.000", "0" }, /* already off */
		{ 1, 40 * SEC, 41 * SEC, "5.000", "1" },
	};
	char line[2][100];
	const char *want[3] = { line[0], line[1], NULL };
	unsigned i;

	metrics_reset();
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].change >= 0)
			metrics_store_degraded_at(steps[i].change, steps[i].at);
		snprintf(line[0], sizeof(line[0]),
			 "outguard_store_degraded_seconds_total %s",
			 steps[i].seconds);
		snprintf(line[1], sizeof(line[1]), "outguard_store_degraded %s",
			 steps[i].gauge);
		expect("degraded", steps[i].now, want);
	}
	metrics_reset();
}

/* adder - a thread that notes 100,000 decisions and reads */
static void *adder(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 100000; i++) {
		metrics_decision(ACTION_REJECT, VERDICT_RULE);
		metrics_store_read(1000);
	}
	return NULL;
}

/* test_threads - four threads at once lose nothing */
static void test_threads(void)
{
	static const char *const want[] = {
		"outguard_decisions_total{action=\"reject\",kind=\"rule\"} "
		"400000",
		"outguard_store_read_duration_seconds_count 400000",
		"outguard_store_read_duration_seconds_sum 0.400000000",
		NULL,
	};
	pthread_t t[4];
	int i;

	metrics_reset();
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, adder, NULL);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	expect("threads", 0, want);
}

/* test_inet - MetricsSocket specs */
static void test_inet(void)
{
	static const struct {
		const char *spec;
		int ok, v6;
		unsigned port;
		const char *host;
	} rows[] = {
		{ "inet:9101@127.0.0.1", 1, 0, 9101, "127.0.0.1" },
		{ "INET:1@localhost", 1, 0, 1, "localhost" },
		{ "inet6:9101@::1", 1, 1, 9101, "::1" },
		{ "inet6:9101@[::1]", 1, 1, 9101, "::1" },
		{ "inet:65535@h", 1, 0, 65535, "h" },
		{ "inet:9101", 0, 0, 0, NULL },
		{ "inet:9101@", 0, 0, 0, NULL },
		{ "inet:@127.0.0.1", 0, 0, 0, NULL },
		{ "inet:0@127.0.0.1", 0, 0, 0, NULL },
		{ "inet:65536@127.0.0.1", 0, 0, 0, NULL },
		{ "inet:-1@127.0.0.1", 0, 0, 0, NULL },
		{ "inet:91x1@127.0.0.1", 0, 0, 0, NULL },
		{ "inet:9101@a b", 0, 0, 0, NULL },
		{ "unix:/run/x.sock", 0, 0, 0, NULL },
		{ "9101@127.0.0.1", 0, 0, 0, NULL },
		{ "", 0, 0, 0, NULL },
	};
	struct conf_inet in;
	unsigned i;
	int rc;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		rc = conf_inet_parse(rows[i].spec, &in);
		CHECK_INT(rows[i].spec, rc, rows[i].ok ? 0 : -1);
		if (rc < 0 || !rows[i].ok)
			continue;
		CHECK_INT(rows[i].spec, in.v6, rows[i].v6);
		CHECK_INT(rows[i].spec, in.port, rows[i].port);
		CHECK_STR(rows[i].spec, in.host, rows[i].host);
	}
}

int main(void)
{
	test_empty();
	test_counters();
	test_histogram();
	test_degraded();
	test_threads();
	test_inet();
	return check_done();
}
