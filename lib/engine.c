/*
 * NAME
 *	engine - the limits decision
 * DESCRIPTION
 *	See engine.h.  engine_decide() walks the class's limits once; for
 *	each row it takes the count the row's metric has with the current
 *	message included, and when that goes above the (possibly halved)
 *	threshold the row's action is a candidate.  The most severe
 *	candidate wins; among equals the first row in the class wins, so
 *	the reason names a stable row.  engine_outlook() uses the same
 *	threshold and counts, without the next message.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine.h"

/* running_count - a windowed limit's count before the message, or -1 */
static long running_count(const struct engine_input *in,
			  const struct policy_limit *l)
{
	const struct window_counts *w = NULL;
	int i;

	for (i = 0; l->window_s > 0 && i < in->cls->nwindows; i++)
		if (in->counts[i].window_s == l->window_s)
			w = &in->counts[i];
	if (w == NULL)
		return -1;
	switch (l->metric) {
	case METRIC_RCPT:
		return w->rcpts;
	case METRIC_MSG:
		return w->msgs;
	case METRIC_SESSION:
		return w->sessions;
	case METRIC_NETWORKS:
		return w->networks;
	case METRIC_REFUSED:
		return w->refused;
	case METRIC_NEW_RCPT:
		return w->new_rcpt;
	case METRIC_BOUNCE:
		return w->bounce;
	default:
		return -1;
	}
}

/* metric_count - the count of a limit's metric, current message included */
static long metric_count(const struct engine_input *in,
			 const struct policy_limit *l)
{
	long n;

	if (l->metric == METRIC_RCPT_PER_MSG)
		return in->msg_rcpts;
	if ((n = running_count(in, l)) < 0)
		return -1;
	switch (l->metric) {
	case METRIC_RCPT:
		return n + in->msg_rcpts;
	case METRIC_MSG:
		return n + 1;
	case METRIC_NETWORKS:
		return n + 1; /* and the current one */
	case METRIC_REFUSED:
		return n + in->msg_refused;
	case METRIC_NEW_RCPT:
		return n + in->msg_new_rcpt;
	default:
		return n; /* sessions: the current one is counted */
	}
}

/* engine_threshold - halved for a login on watch */
long engine_threshold(const struct policy_limit *l, enum user_status s)
{
	return s == USER_WATCH ? l->threshold / 2 : l->threshold;
}

/* engine_effective - the threshold, lifted by the baseline, halved on watch */
long engine_effective(const struct engine_input *in, int i)
{
	const struct policy_limit *l = &in->cls->limits[i];
	long t = l->threshold, b;

	if (l->baseline_factor > 0 && in->baseline != NULL &&
	    in->baseline[i] > 0) {
		b = (long)(l->baseline_factor * (double)in->baseline[i]);
		if (b > t)
			t = b;
	}
	return in->status == USER_WATCH ? t / 2 : t;
}

/* engine_count - a limit's count with the current message */
long engine_count(const struct engine_input *in, const struct policy_limit *l)
{
	return metric_count(in, l);
}

/* engine_decide - the verdict for one more recipient */
void engine_decide(const struct engine_input *in, struct verdict *v)
{
	const struct policy_limit *l;
	long count, threshold;
	int i;

	memset(v, 0, sizeof(*v));
	if (in->status == USER_BLOCKED) {
		v->action = ACTION_TEMPFAIL; /* until unblocked */
		v->kind = VERDICT_BLOCKED;
		snprintf(v->reason, sizeof(v->reason), "login is blocked");
		return;
	}
	if (in->cls == NULL)
		return;
	for (i = 0; i < in->cls->nlimits; i++) {
		l = &in->cls->limits[i];
		threshold = engine_effective(in, i);
		count = metric_count(in, l);
		if (count < 0 || count <= threshold)
			continue;
		if (v->kind != VERDICT_NONE && l->action <= v->action)
			continue;
		v->action = l->action;
		v->kind = l->metric == METRIC_RCPT_PER_MSG ? VERDICT_RCPT_CAP
							   : VERDICT_LIMIT;
		v->limit_id = l->id;
		if (l->metric == METRIC_RCPT_PER_MSG)
			snprintf(v->reason, sizeof(v->reason),
				 "rcpt_per_msg %ld>%ld class=%s%s", count,
				 threshold, in->cls->name,
				 in->status == USER_WATCH ? " watch" : "");
		else
			snprintf(v->reason, sizeof(v->reason),
				 "%s %ld>%ld/%lds class=%s%s",
				 policy_metric_name(l->metric), count,
				 threshold, l->window_s, in->cls->name,
				 in->status == USER_WATCH ? " watch" : "");
	}
}

/* engine_outlook - each limit now, and what the next message gets */
enum action engine_outlook(const struct engine_input *in,
			   struct engine_state *st)
{
	enum action next = ACTION_ACCEPT;
	struct engine_state one;
	int i;

	for (i = 0; in->cls != NULL && i < in->cls->nlimits; i++) {
		one.effective = engine_effective(in, i);
		one.baseline = in->cls->limits[i].baseline_factor > 0 &&
					       in->baseline != NULL
				       ? in->baseline[i]
				       : 0;
		one.count = running_count(in, &in->cls->limits[i]);
		one.reached = one.count >= 0 && one.count >= one.effective;
		one.exceeded = one.count >= 0 && one.count > one.effective;
		if (one.reached)
			next = action_max(next, in->cls->limits[i].action);
		if (st != NULL)
			st[i] = one;
	}
	return in->status == USER_BLOCKED ? ACTION_BLOCK : next;
}

static const char *const status_names[] = { "active", "watch", "blocked" };

/* engine_user_status_parse - SQL spelling to status */
int engine_user_status_parse(const char *s, enum user_status *out)
{
	int i;

	for (i = 0; s != NULL && i < 3; i++) {
		if (strcasecmp(s, status_names[i]) == 0) {
			*out = (enum user_status)i;
			return 0;
		}
	}
	return -1;
}

/* engine_user_status_name - the SQL spelling */
const char *engine_user_status_name(enum user_status s)
{
	return (unsigned)s < 3 ? status_names[s] : "unknown";
}

/* engine_kind_name - the name of a verdict kind in logs and events */
const char *engine_kind_name(enum verdict_kind k)
{
	static const char *const names[VERDICT_KINDS] = {
		[VERDICT_NONE] = "none",
		[VERDICT_LIMIT] = "limit",
		[VERDICT_RCPT_CAP] = "rcpt_cap",
		[VERDICT_BLOCKED] = "blocked",
		[VERDICT_STORE] = "store",
		[VERDICT_SENDER] = "sender",
		[VERDICT_REPLY_TO] = "reply_to",
		[VERDICT_DISPLAY_NAME] = "display_name",
		[VERDICT_LOOKALIKE] = "lookalike",
		[VERDICT_RULE] = "rule",
		[VERDICT_TRIPWIRE] = "tripwire",
	};

	return (unsigned)k < VERDICT_KINDS ? names[k] : "unknown";
}
