/*
 * NAME
 *	metrics - note what the daemon does, with atomic adds
 * DESCRIPTION
 *	See metrics.h.  Each function is one or two relaxed atomic
 *	operations on metrics_all; the store read histogram finds its
 *	bucket by a scan of 15 bounds.  The degraded state is the only
 *	one under a mutex: its start, its end and a scrape must agree so
 *	that the degraded seconds never go backwards.
 */
#include <string.h>
#include <time.h>

#include "metrics_int.h"

struct metrics metrics_all = {
	.degraded_lock = PTHREAD_MUTEX_INITIALIZER,
};

const uint64_t metrics_read_bound_ns[METRICS_BUCKETS] = {
	50000,	   100000,    250000,	 500000,     1000000,
	2500000,   5000000,   10000000,	 25000000,   50000000,
	100000000, 250000000, 500000000, 1000000000, 2500000000,
};

const char *const metrics_read_bound_label[METRICS_BUCKETS] = {
	"5e-05",  "0.0001", "0.00025", "0.0005", "0.001",
	"0.0025", "0.005",  "0.01",    "0.025",	 "0.05",
	"0.1",	  "0.25",   "0.5",     "1",	 "2.5",
};

#define ADD(field, n)                                                          \
	atomic_fetch_add_explicit(&(field), (n), memory_order_relaxed)

/* metrics_start - note the start time */
void metrics_start(void)
{
	atomic_store_explicit(&metrics_all.start_time, (long long)time(NULL),
			      memory_order_relaxed);
}

/* metrics_clock - CLOCK_MONOTONIC in nanoseconds */
uint64_t metrics_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* metrics_message - one more message */
void metrics_message(int authenticated)
{
	ADD(metrics_all.messages[authenticated != 0], 1);
}

/* metrics_decision - one more logged decision */
void metrics_decision(enum action a, enum verdict_kind k)
{
	if ((unsigned)a < METRICS_ACTIONS && (unsigned)k < VERDICT_KINDS)
		ADD(metrics_all.decisions[a][k], 1);
}

/* metrics_store_read - one lookup into its bucket, and the sum */
void metrics_store_read(uint64_t ns)
{
	unsigned i = 0;

	while (i < METRICS_BUCKETS && ns > metrics_read_bound_ns[i])
		i++;
	ADD(metrics_all.read_buckets[i], 1);
	ADD(metrics_all.read_sum_ns, ns);
}

/* metrics_store_error - one more store failure */
void metrics_store_error(void)
{
	ADD(metrics_all.store_errors, 1);
}

/* metrics_store_degraded_at - begin or end a degraded period at now_ns */
void metrics_store_degraded_at(int on, uint64_t now_ns)
{
	struct metrics *m = &metrics_all;

	pthread_mutex_lock(&m->degraded_lock);
	if (on && !m->degraded) {
		m->degraded = 1;
		m->degraded_since = now_ns;
	} else if (!on && m->degraded) {
		m->degraded = 0;
		if (now_ns > m->degraded_since)
			m->degraded_ns += now_ns - m->degraded_since;
	}
	pthread_mutex_unlock(&m->degraded_lock);
}

/* metrics_store_degraded - begin or end a degraded period now */
void metrics_store_degraded(int on)
{
	metrics_store_degraded_at(on, metrics_clock());
}

/* metrics_degraded_ns - the degraded time up to now_ns */
uint64_t metrics_degraded_ns(uint64_t now_ns, int *on)
{
	struct metrics *m = &metrics_all;
	uint64_t ns;

	pthread_mutex_lock(&m->degraded_lock);
	ns = m->degraded_ns;
	if (m->degraded && now_ns > m->degraded_since)
		ns += now_ns - m->degraded_since;
	*on = m->degraded;
	pthread_mutex_unlock(&m->degraded_lock);
	return ns;
}

/* metrics_maillog - a batch of the MailLog follower, see metrics.h */
void metrics_maillog(long behind, long long now, long bounces)
{
	atomic_store_explicit(&metrics_all.maillog_behind, behind,
			      memory_order_relaxed);
	atomic_store_explicit(&metrics_all.maillog_read_at, now,
			      memory_order_relaxed);
	ADD(metrics_all.maillog_bounces, bounces);
}

/* metrics_write_queue - the writer queue's depth now */
void metrics_write_queue(long depth)
{
	atomic_store_explicit(&metrics_all.write_queue, depth,
			      memory_order_relaxed);
}

/* metrics_policy_reload - a policy load, or a failed one */
void metrics_policy_reload(int ok, long long version, int initial)
{
	if (!ok) {
		ADD(metrics_all.reload_failures, 1);
		return;
	}
	if (!initial)
		ADD(metrics_all.reloads, 1);
	atomic_store_explicit(&metrics_all.policy_version, version,
			      memory_order_relaxed);
}

/* metrics_rule_hit - n more rules of field matched */
void metrics_rule_hit(enum rule_field field, int authenticated, int n)
{
	if ((unsigned)field < RULE_FIELD_COUNT && n > 0)
		ADD(metrics_all.rule_hits[field][authenticated != 0],
		    (uint64_t)n);
}

/* metrics_lookalike_hit - one more lookalike */
void metrics_lookalike_hit(enum lookalike_kind kind)
{
	if ((unsigned)kind < METRICS_LOOKALIKE_KINDS)
		ADD(metrics_all.lookalike_hits[kind], 1);
}

/* metrics_reset - zero everything (tests; no other thread may run) */
void metrics_reset(void)
{
	struct metrics *m = &metrics_all;

	pthread_mutex_lock(&m->degraded_lock);
	m->degraded = 0;
	m->degraded_since = m->degraded_ns = 0;
	pthread_mutex_unlock(&m->degraded_lock);
	memset((void *)m->messages, 0, sizeof(m->messages));
	memset((void *)m->decisions, 0, sizeof(m->decisions));
	memset((void *)m->read_buckets, 0, sizeof(m->read_buckets));
	memset((void *)m->rule_hits, 0, sizeof(m->rule_hits));
	memset((void *)m->lookalike_hits, 0, sizeof(m->lookalike_hits));
	m->read_sum_ns = m->store_errors = 0;
	m->reloads = m->reload_failures = 0;
	m->write_queue = 0;
	m->maillog_behind = 0;
	m->maillog_read_at = 0;
	m->maillog_bounces = 0;
	m->policy_version = 0;
}
