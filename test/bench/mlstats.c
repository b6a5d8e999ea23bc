/*
 * NAME
 *	mlstats - counts and latencies of a load run, and the report
 * DESCRIPTION
 *	See mlstats.h.  Percentiles are nearest-rank over every message.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "mlstats.h"

/* ml_stats_init - empty counts */
void ml_stats_init(struct ml_stats *st)
{
	memset(st, 0, sizeof(*st));
}

/* ml_lat_add - append latencies; aborts without memory */
static void ml_lat_add(struct ml_stats *st, const double *v, size_t n)
{
	if (st->nlat + n > st->caplat) {
		size_t cap = st->caplat ? st->caplat : 4096;

		while (cap < st->nlat + n)
			cap *= 2;
		st->lat = realloc(st->lat, cap * sizeof(*st->lat));
		if (st->lat == NULL) {
			fprintf(stderr, "milterload: out of memory\n");
			abort();
		}
		st->caplat = cap;
	}
	memcpy(st->lat + st->nlat, v, n * sizeof(*v));
	st->nlat += n;
}

/* ml_stats_add - count one decided message */
void ml_stats_add(struct ml_stats *st, const struct ml_result *r, double secs)
{
	int i;

	st->done++;
	st->verdict[r->verdict]++;
	if (r->stage != ML_S_EOM)
		st->ended_at[r->stage]++;
	st->rcpts += r->rcpts;
	st->rcpt_refused += r->rcpt_refused;
	st->quarantined += r->quarantined != 0;
	for (i = 0; i < ML_M_COUNT; i++)
		st->mods[i] += r->mods[i];
	st->progress += r->progress;
	ml_lat_add(st, &secs, 1);
}

/* ml_stats_merge - add src to dst */
void ml_stats_merge(struct ml_stats *dst, const struct ml_stats *src)
{
	int i;

	dst->done += src->done;
	dst->errors += src->errors;
	dst->sessions += src->sessions;
	for (i = 0; i < ML_V_COUNT; i++)
		dst->verdict[i] += src->verdict[i];
	for (i = 0; i < ML_S_COUNT; i++)
		dst->ended_at[i] += src->ended_at[i];
	dst->rcpts += src->rcpts;
	dst->rcpt_refused += src->rcpt_refused;
	dst->quarantined += src->quarantined;
	for (i = 0; i < ML_M_COUNT; i++)
		dst->mods[i] += src->mods[i];
	dst->progress += src->progress;
	if (src->nlat)
		ml_lat_add(dst, src->lat, src->nlat);
}

/* ml_cmp - qsort order of doubles */
static int ml_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* ml_stats_finish - sort latencies */
void ml_stats_finish(struct ml_stats *st)
{
	if (st->nlat)
		qsort(st->lat, st->nlat, sizeof(*st->lat), ml_cmp);
}

/* ml_pct_ms - nearest-rank percentile p (0..100) in milliseconds */
static double ml_pct_ms(const struct ml_stats *st, double p)
{
	size_t rank;

	if (st->nlat == 0)
		return 0;
	rank = (size_t)ceil(p / 100.0 * (double)st->nlat);
	if (rank < 1)
		rank = 1;
	if (rank > st->nlat)
		rank = st->nlat;
	return st->lat[rank - 1] * 1000.0;
}

/* ml_flags - names of the set bits among a table of flags */
static void ml_flags(FILE *fp, uint32_t mask, const uint32_t *bits,
		     const char *const *names, int n)
{
	int i, any = 0;

	for (i = 0; i < n; i++)
		if (mask & bits[i]) {
			fprintf(fp, "%s%s", any ? "," : "", names[i]);
			any = 1;
		}
	if (!any)
		fputs("-", fp);
}

/* ml_print_neg - what the filter negotiated */
static void ml_print_neg(FILE *fp, const struct ml_session *neg)
{
	static const uint32_t nr[] = {
		SMFIP_NR_CONN, SMFIP_NR_HELO, SMFIP_NR_MAIL,
		SMFIP_NR_RCPT, SMFIP_NR_DATA, SMFIP_NR_UNKN,
		SMFIP_NR_HDR,  SMFIP_NR_EOH,  SMFIP_NR_BODY,
	};
	static const uint32_t no[] = {
		SMFIP_NOCONNECT, SMFIP_NOHELO, SMFIP_NOMAIL,
		SMFIP_NORCPT,	 SMFIP_NODATA, SMFIP_NOUNKNOWN,
		SMFIP_NOHDRS,	 SMFIP_NOEOH,  SMFIP_NOBODY,
	};
	static const char *const stage[] = {
		"conn",	   "helo", "mail", "rcpt", "data",
		"unknown", "hdr",  "eoh",  "body",
	};
	static const char *const mstage[ML_MACRO_STAGES] = {
		"connect", "helo", "envfrom", "envrcpt", "data", "eom", "eoh",
	};
	int i;

	fprintf(fp, "negotiated: version %u, actions 0x%x, protocol 0x%x\n",
		neg->version, neg->actions, neg->protocol);
	fputs("            no reply: ", fp);
	ml_flags(fp, neg->protocol, nr, stage, 9);
	fputs("; not sent: ", fp);
	ml_flags(fp, neg->protocol, no, stage, 9);
	fputs("\n", fp);
	for (i = 0; i < ML_MACRO_STAGES; i++)
		if (neg->macros[i])
			fprintf(fp, "            macros %s: %s\n", mstage[i],
				neg->macros[i]);
}

/* ml_stats_print - the report for people */
void ml_stats_print(FILE *fp, const struct ml_stats *st,
		    const struct ml_setup *setup, const struct ml_session *neg,
		    unsigned conns, unsigned per_conn, unsigned logins,
		    int random_login, double elapsed)
{
	int i, any;

	fprintf(fp,
		"target:     %s, %u connections, %u message%s per "
		"connection, %u rcpt%s, %u logins %s\n",
		setup->addr.spec, conns, per_conn, per_conn == 1 ? "" : "s",
		setup->rcpts, setup->rcpts == 1 ? "" : "s", logins,
		random_login ? "at random" : "round-robin");
	if (neg)
		ml_print_neg(fp, neg);
	fprintf(fp,
		"messages:   %lu decided, %lu failed, in %.2f s: "
		"%.1f msgs/s (%lu sessions)\n",
		st->done, st->errors, elapsed,
		elapsed > 0 ? st->done / elapsed : 0.0, st->sessions);
	fprintf(fp,
		"latency:    p50 %.3f ms, p90 %.3f ms, p99 %.3f ms, "
		"max %.3f ms\n",
		ml_pct_ms(st, 50), ml_pct_ms(st, 90), ml_pct_ms(st, 99),
		ml_pct_ms(st, 100));
	fputs("decisions:  ", fp);
	for (i = 0, any = 0; i < ML_V_COUNT; i++)
		if (st->verdict[i] || i == ML_V_CONTINUE)
			fprintf(fp, "%s%s %lu", any++ ? ", " : "",
				ml_verdict_name(i), st->verdict[i]);
	fputs("\n", fp);
	for (i = 0, any = 0; i < ML_S_COUNT; i++)
		if (st->ended_at[i])
			fprintf(fp, "%s%s %lu",
				any++ ? ", " : "decided at: ", ml_stage_name(i),
				st->ended_at[i]);
	if (any)
		fputs(" (before end of message)\n", fp);
	fprintf(fp, "recipients: %lu given, %lu refused at RCPT\n", st->rcpts,
		st->rcpt_refused);
	fprintf(fp, "edits:      quarantined %lu", st->quarantined);
	for (i = 0; i < ML_M_COUNT; i++)
		if (st->mods[i])
			fprintf(fp, ", %s %lu", ml_mod_name(i), st->mods[i]);
	if (st->progress)
		fprintf(fp, ", progress %lu", st->progress);
	fputs("\n", fp);
}

/* ml_stats_result - the machine-readable line */
void ml_stats_result(FILE *fp, const struct ml_stats *st,
		     const struct ml_setup *setup, unsigned conns,
		     unsigned per_conn, unsigned logins, double elapsed)
{
	int i;

	fprintf(fp,
		"RESULT msgs=%lu failed=%lu secs=%.3f msgs_per_s=%.1f "
		"p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f",
		st->done, st->errors, elapsed,
		elapsed > 0 ? st->done / elapsed : 0.0, ml_pct_ms(st, 50),
		ml_pct_ms(st, 90), ml_pct_ms(st, 99), ml_pct_ms(st, 100));
	for (i = 0; i < ML_V_COUNT; i++)
		fprintf(fp, " %s=%lu", ml_verdict_name(i), st->verdict[i]);
	for (i = 0; i < ML_S_COUNT; i++)
		if (i != ML_S_EOM)
			fprintf(fp, " at_%s=%lu", ml_stage_name(i),
				st->ended_at[i]);
	fprintf(fp, " rcpts=%lu rcpt_refused=%lu quarantined=%lu", st->rcpts,
		st->rcpt_refused, st->quarantined);
	for (i = 0; i < ML_M_COUNT; i++)
		fprintf(fp, " %s=%lu", ml_mod_name(i), st->mods[i]);
	fprintf(fp,
		" progress=%lu sessions=%lu conns=%u per_conn=%u "
		"rcpts_per_msg=%u logins=%u socket=%s\n",
		st->progress, st->sessions, conns, per_conn, setup->rcpts,
		logins, setup->addr.spec);
}

/* ml_stats_free - release the latencies */
void ml_stats_free(struct ml_stats *st)
{
	free(st->lat);
	st->lat = NULL;
	st->nlat = st->caplat = 0;
}
