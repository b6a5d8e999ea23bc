/*
 * NAME
 *	metrics_int - what metrics.c and metrics_render.c share
 * DESCRIPTION
 *	The one struct of every metric, and the store read histogram's
 *	bucket bounds.  Not for other modules: they note things through
 *	metrics.h.
 */
#ifndef OUTGUARD_METRICS_INT_H
#define OUTGUARD_METRICS_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "metrics.h"

#define METRICS_ACTIONS		(ACTION_BLOCK + 1)
#define METRICS_LOOKALIKE_KINDS (LOOKALIKE_HOMOGRAPH + 1)
/* the histogram's bounds; one more bucket counts what lies above them */
#define METRICS_BUCKETS 15

struct metrics {
	_Atomic uint64_t messages[2]; /* [authenticated] */
	_Atomic uint64_t decisions[METRICS_ACTIONS][VERDICT_KINDS];
	_Atomic uint64_t read_buckets[METRICS_BUCKETS + 1]; /* not cumulative */
	_Atomic uint64_t read_sum_ns;
	_Atomic uint64_t store_errors;
	_Atomic long write_queue;
	_Atomic long maillog_behind;	   /* bytes of MailLog not read yet */
	_Atomic long long maillog_read_at; /* unix time of the last batch */
	_Atomic unsigned long maillog_bounces;
	_Atomic uint64_t reloads, reload_failures;
	_Atomic long long policy_version;
	_Atomic uint64_t rule_hits[RULE_FIELD_COUNT][2]; /* [authenticated] */
	_Atomic uint64_t lookalike_hits[METRICS_LOOKALIKE_KINDS];
	_Atomic long long start_time; /* Unix seconds */

	pthread_mutex_t degraded_lock; /* the three below */
	int degraded;
	uint64_t degraded_since; /* metrics_clock() when it began */
	uint64_t degraded_ns;	 /* ended periods, summed */
};

extern struct metrics metrics_all;

/* upper bounds of the store read buckets, in ns and as le="" labels */
extern const uint64_t metrics_read_bound_ns[METRICS_BUCKETS];
extern const char *const metrics_read_bound_label[METRICS_BUCKETS];

/* metrics_degraded_ns - degraded time up to now_ns; *on the state now */
uint64_t metrics_degraded_ns(uint64_t now_ns, int *on);

#endif
