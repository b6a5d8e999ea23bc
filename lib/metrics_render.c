/*
 * NAME
 *	metrics_render - the metrics in the Prometheus text format
 * DESCRIPTION
 *	See metrics.h.  One "# HELP" and one "# TYPE" line per family,
 *	then its samples; every label combination of a family is written,
 *	zeros too, so that a series exists from the first scrape.  The
 *	text grows in a heap buffer (about 12 kB in all).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_int.h"
#include "version.h"

#define LOAD(field) atomic_load_explicit(&(field), memory_order_relaxed)

/* A text being written: buf of size bytes, n used; failed on OOM. */
struct text {
	char *buf;
	size_t size, n;
	int failed;
};

/* put - append printf-style, growing the buffer */
static void put(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	size_t want;
	char *grown;
	int r;

	if (t->failed)
		return;
	va_start(ap, fmt);
	r = vsnprintf(t->buf + t->n, t->size - t->n, fmt, ap);
	va_end(ap);
	if (r < 0) {
		t->failed = 1;
		return;
	}
	if ((size_t)r < t->size - t->n) {
		t->n += (size_t)r;
		return;
	}
	want = t->size * 2 + (size_t)r;
	if ((grown = realloc(t->buf, want)) == NULL) {
		t->failed = 1;
		return;
	}
	t->buf = grown;
	t->size = want;
	va_start(ap, fmt);
	vsnprintf(t->buf + t->n, t->size - t->n, fmt, ap);
	va_end(ap);
	t->n += (size_t)r;
}

/* family - the HELP and TYPE lines */
static void family(struct text *t, const char *name, const char *type,
		   const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* process - up, build info and start time */
static void process(struct text *t)
{
	family(t, "outguard_up", "gauge", "1 while the daemon answers.");
	put(t, "outguard_up 1\n");
	family(t, "outguard_build_info", "gauge",
	       "The running version, in the label; always 1.");
	put(t, "outguard_build_info{version=\"%s\"} 1\n", OUTGUARD_VERSION);
	family(t, "process_start_time_seconds", "gauge",
	       "Start time of the process since the Unix epoch in seconds.");
	put(t, "process_start_time_seconds %lld\n",
	    LOAD(metrics_all.start_time));
}

/* mail - messages, decisions, rule and lookalike hits */
static void mail(struct text *t)
{
	int a, k, f;

	family(t, "outguard_messages_total", "counter",
	       "Messages begun (MAIL FROM), by whether the client logged in.");
	put(t, "outguard_messages_total{authenticated=\"no\"} %llu\n",
	    (unsigned long long)LOAD(metrics_all.messages[0]));
	put(t, "outguard_messages_total{authenticated=\"yes\"} %llu\n",
	    (unsigned long long)LOAD(metrics_all.messages[1]));
	family(t, "outguard_decisions_total", "counter",
	       "Decisions logged (one per log line), by action and reason "
	       "kind.");
	for (a = 0; a < METRICS_ACTIONS; a++)
		for (k = VERDICT_NONE + 1; k < VERDICT_KINDS; k++)
			put(t,
			    "outguard_decisions_total{action=\"%s\","
			    "kind=\"%s\"} %llu\n",
			    action_name(a), engine_kind_name(k),
			    (unsigned long long)LOAD(
				    metrics_all.decisions[a][k]));
	family(t, "outguard_rule_hits_total", "counter",
	       "Rules that matched, by field and by whether the mail was "
	       "authenticated.");
	for (f = 0; f < RULE_FIELD_COUNT; f++)
		for (a = 0; a < 2; a++)
			put(t,
			    "outguard_rule_hits_total{field=\"%s\","
			    "scope=\"%s\"} %llu\n",
			    rules_field_name(f), a ? "auth" : "unauth",
			    (unsigned long long)LOAD(
				    metrics_all.rule_hits[f][a]));
	family(t, "outguard_lookalike_hits_total", "counter",
	       "Domains found to be lookalikes of a protected domain, by "
	       "kind.");
	for (k = LOOKALIKE_NONE + 1; k < METRICS_LOOKALIKE_KINDS; k++)
		put(t, "outguard_lookalike_hits_total{kind=\"%s\"} %llu\n",
		    lookalike_kind_name(k),
		    (unsigned long long)LOAD(metrics_all.lookalike_hits[k]));
}

/* store_read - the lookup histogram; _count is its buckets' sum */
static void store_read(struct text *t)
{
	const char *name = "outguard_store_read_duration_seconds";
	unsigned long long sum = 0;
	int i;

	family(t, name, "histogram",
	       "Time of the per-message lookup of a login's user row and "
	       "counts.");
	for (i = 0; i <= METRICS_BUCKETS; i++) {
		sum += LOAD(metrics_all.read_buckets[i]);
		put(t, "%s_bucket{le=\"%s\"} %llu\n", name,
		    i < METRICS_BUCKETS ? metrics_read_bound_label[i] : "+Inf",
		    sum);
	}
	put(t, "%s_sum %.9f\n", name,
	    (double)LOAD(metrics_all.read_sum_ns) / 1e9);
	put(t, "%s_count %llu\n", name, sum);
}

/* store - errors, degraded time, the writer's queue */
static void store(struct text *t, uint64_t now_ns)
{
	uint64_t ns;
	int on;

	family(t, "outguard_store_errors_total", "counter",
	       "Failed database operations.");
	put(t, "outguard_store_errors_total %llu\n",
	    (unsigned long long)LOAD(metrics_all.store_errors));
	ns = metrics_degraded_ns(now_ns, &on);
	family(t, "outguard_store_degraded", "gauge",
	       "1 while the database fails and OnStoreError applies.");
	put(t, "outguard_store_degraded %d\n", on);
	family(t, "outguard_store_degraded_seconds_total", "counter",
	       "Time the database failed and OnStoreError applied.");
	put(t, "outguard_store_degraded_seconds_total %.3f\n",
	    (double)ns / 1e9);
	family(t, "outguard_store_write_queue_depth", "gauge",
	       "Writes queued for the store's writer thread.");
	put(t, "outguard_store_write_queue_depth %ld\n",
	    LOAD(metrics_all.write_queue));
	family(t, "outguard_maillog_behind_bytes", "gauge",
	       "Bytes of the MailLog file not read yet (the follower's lag).");
	put(t, "outguard_maillog_behind_bytes %ld\n",
	    LOAD(metrics_all.maillog_behind));
	family(t, "outguard_maillog_last_read_timestamp_seconds", "gauge",
	       "When the MailLog follower last finished a batch (0: never).");
	put(t, "outguard_maillog_last_read_timestamp_seconds %lld\n",
	    (long long)LOAD(metrics_all.maillog_read_at));
	family(t, "outguard_maillog_bounces_total", "counter",
	       "Bounced recipients read from MailLog.");
	put(t, "outguard_maillog_bounces_total %lu\n",
	    (unsigned long)LOAD(metrics_all.maillog_bounces));
}

/* policy - reloads and the version loaded */
static void policy(struct text *t)
{
	family(t, "outguard_policy_reloads_total", "counter",
	       "Policy changes loaded after start.");
	put(t, "outguard_policy_reloads_total %llu\n",
	    (unsigned long long)LOAD(metrics_all.reloads));
	family(t, "outguard_policy_reload_failures_total", "counter",
	       "Policy loads that failed (the old policy was kept).");
	put(t, "outguard_policy_reload_failures_total %llu\n",
	    (unsigned long long)LOAD(metrics_all.reload_failures));
	family(t, "outguard_policy_version", "gauge",
	       "policy_version of the policy in use.");
	put(t, "outguard_policy_version %lld\n",
	    LOAD(metrics_all.policy_version));
}

/* metrics_render_at - every family, as of now_ns */
char *metrics_render_at(uint64_t now_ns, size_t *len)
{
	struct text t = { NULL, 16384, 0, 0 };

	if ((t.buf = malloc(t.size)) == NULL)
		return NULL;
	t.buf[0] = '\0';
	process(&t);
	mail(&t);
	store_read(&t);
	store(&t, now_ns);
	policy(&t);
	if (t.failed) {
		free(t.buf);
		return NULL;
	}
	*len = t.n;
	return t.buf;
}

/* metrics_render - every family, now */
char *metrics_render(size_t *len)
{
	return metrics_render_at(metrics_clock(), len);
}
