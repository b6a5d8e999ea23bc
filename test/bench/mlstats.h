/*
 * NAME
 *	mlstats - counts and latencies of a load run, and the report
 * SYNOPSIS
 *	#include "mlstats.h"
 * DESCRIPTION
 *	Each thread keeps its own ml_stats; they are merged at the end.
 */
#ifndef MLSTATS_H
#define MLSTATS_H

#include <stdio.h>

#include "mlsession.h"

struct ml_stats {
	unsigned long done;	/* messages with a decision */
	unsigned long errors;	/* messages that failed */
	unsigned long sessions; /* connections negotiated */
	unsigned long verdict[ML_V_COUNT];
	unsigned long ended_at[ML_S_COUNT]; /* decided before EOM */
	unsigned long rcpts;
	unsigned long rcpt_refused;
	unsigned long quarantined;
	unsigned long mods[ML_M_COUNT];
	unsigned long progress;
	double *lat; /* seconds per message */
	size_t nlat;
	size_t caplat;
};

/* ml_stats_init - empty counts */
void ml_stats_init(struct ml_stats *st);

/* ml_stats_add - count one decided message and its latency */
void ml_stats_add(struct ml_stats *st, const struct ml_result *r, double secs);

/* ml_stats_merge - add src's counts and latencies to dst */
void ml_stats_merge(struct ml_stats *dst, const struct ml_stats *src);

/* ml_stats_finish - sort latencies; call before printing */
void ml_stats_finish(struct ml_stats *st);

/* ml_stats_print - the report for people; neg may be NULL */
void ml_stats_print(FILE *fp, const struct ml_stats *st,
		    const struct ml_setup *setup, const struct ml_session *neg,
		    unsigned conns, unsigned per_conn, unsigned logins,
		    int random_login, double elapsed);

/* ml_stats_result - the one "RESULT key=value ..." line */
void ml_stats_result(FILE *fp, const struct ml_stats *st,
		     const struct ml_setup *setup, unsigned conns,
		     unsigned per_conn, unsigned logins, double elapsed);

/* ml_stats_free - release the latencies */
void ml_stats_free(struct ml_stats *st);

#endif
