/*
 * NAME
 *	metrics - the daemon's counters, gauges and histograms
 * SYNOPSIS
 *	#include "metrics.h"
 * DESCRIPTION
 *	The mail path, the store and the policy watcher note what they do
 *	here; metrics_render() writes it all in the Prometheus text
 *	exposition format (version 0.0.4) for the HTTP front
 *	(milter/outguard/metrics_http.c), which is the only code that
 *	speaks HTTP.  This module knows neither libmilter nor HTTP.
 *
 *	Every metric is a process-wide C11 atomic, updated with relaxed
 *	atomic operations: noting something costs one or two atomic adds
 *	and takes no lock.  Only the store's degraded state takes a
 *	mutex, and only when the store fails or recovers.  There are no
 *	per-login labels: label values come from small fixed sets
 *	(actions, verdict kinds, rule fields, lookalike kinds), so the
 *	output has a fixed number of series.
 *
 *	A reader (the renderer) reads each value on its own: a scrape
 *	taken while mail flows is not one consistent snapshot, but every
 *	counter only grows, and a histogram's _count is the sum of its
 *	buckets as rendered.
 */
#ifndef OUTGUARD_METRICS_H
#define OUTGUARD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "engine.h"
#include "lookalike.h"
#include "rules.h"

/* metrics_start - note the process start time (the daemon calls it) */
void metrics_start(void);

/* metrics_clock - a monotonic clock in nanoseconds, for durations */
uint64_t metrics_clock(void);

/* metrics_message - a message began (MAIL FROM), with a login or not */
void metrics_message(int authenticated);

/* metrics_decision - a decision that was logged (guard_report) */
void metrics_decision(enum action a, enum verdict_kind k);

/* metrics_store_read - the per-message lookup took ns nanoseconds */
void metrics_store_read(uint64_t ns);

/* metrics_store_error - the store failed once (store_fail) */
void metrics_store_error(void);

/*
 * metrics_store_degraded - the store became unhealthy (on 1: every
 * message now gets OnStoreError) or healthy again (0); call it on the
 * transitions only.  The time in between is outguard's degraded time.
 */
void metrics_store_degraded(int on);

/*
 * metrics_maillog - the MailLog follower finished a batch at unix time
 * now with behind bytes of the file still unread, and counted bounces
 */
void metrics_maillog(long behind, long long now, long bounces);

/* metrics_write_queue - the store writer's queue now holds depth writes */
void metrics_write_queue(long depth);

/*
 * metrics_policy_reload - the watcher loaded a changed policy (ok 1,
 * version its version) or failed to (ok 0, version ignored); the first
 * load at start counts as ok too and sets the version only
 */
void metrics_policy_reload(int ok, long long version, int initial);

/* metrics_rule_hit - n rules of field matched (authenticated mail or not) */
void metrics_rule_hit(enum rule_field field, int authenticated, int n);

/* metrics_lookalike_hit - a domain was found to be a lookalike of kind */
void metrics_lookalike_hit(enum lookalike_kind kind);

/*
 * metrics_render - everything in the text format, in a new NUL-ended
 * buffer of *len bytes that the caller frees; NULL when out of memory
 */
char *metrics_render(size_t *len);

/* metrics_render_at - the same, as seen at monotonic time now_ns */
char *metrics_render_at(uint64_t now_ns, size_t *len);

/* metrics_reset - every metric back to zero (tests) */
void metrics_reset(void);

/* metrics_store_degraded_at - metrics_store_degraded at time now_ns */
void metrics_store_degraded_at(int on, uint64_t now_ns);

#endif
