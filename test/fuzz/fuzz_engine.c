/*
 * NAME
 *	fuzz_engine - the limits decision with arbitrary limits and counts
 * DESCRIPTION
 *	The input is lines:
 *	    limit METRIC WINDOW THRESHOLD ACTION   a limits row of the class
 *	    count WINDOW MSGS RCPTS SESSIONS NETWORKS   the store's counts
 *	    status active|watch|blocked
 *	    rcpts N			recipients of this message so far
 *	    noclass			the login has no class (no limits)
 *	Rows the store would skip are skipped.  Counts are clamped to
 *	[0, 2^40] (the store counts messages, it cannot hold more);
 *	thresholds and windows are any non-negative 64-bit numbers, as an
 *	admin may write them.  engine_decide() runs for the message, then
 *	for each recipient count from 1 to 3.  Property: the verdict is
 *	the one a plain reading of engine.h gives (a blocked login is
 *	tempfailed; otherwise the most severe limit whose count, with the
 *	current message, goes above its threshold, halved on watch; the
 *	first of equals), with a terminated reason.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fuzz.h"

#define COUNT_MAX (1L << 40)

/* metric_count - the count a limit sees, or -1 when it has no window */
static long metric_count(const struct policy_class *c,
			 const struct window_counts *w,
			 const struct policy_limit *l, long rcpts)
{
	int i = policy_class_window(c, l->window_s);

	if (l->metric == METRIC_RCPT_PER_MSG)
		return rcpts;
	if (i < 0)
		return -1;
	switch (l->metric) {
	case METRIC_RCPT:
		return w[i].rcpts + rcpts;
	case METRIC_MSG:
		return w[i].msgs + 1;
	case METRIC_SESSION:
		return w[i].sessions;
	case METRIC_REFUSED: /* the fuzzer's messages have no refusals */
		return w[i].refused;
	case METRIC_NEW_RCPT:
		return w[i].new_rcpt;
	case METRIC_BOUNCE:
		return w[i].bounce;
	default:
		return w[i].networks + 1;
	}
}

/* check_verdict - engine_decide() against the reading of engine.h */
static void check_verdict(const struct engine_input *in)
{
	const struct policy_limit *l, *want = NULL;
	struct verdict v;
	long count, threshold;
	int i;

	memset(&v, 'x', sizeof(v));
	engine_decide(in, &v);
	FUZZ_CHECK(fuzz_bounded(v.reason, sizeof(v.reason)), "reason");
	if (in->status == USER_BLOCKED) {
		FUZZ_CHECK(v.kind == VERDICT_BLOCKED &&
				   v.action == ACTION_TEMPFAIL,
			   "blocked: kind %d action %d", v.kind, v.action);
		return;
	}
	for (i = 0; in->cls != NULL && i < in->cls->nlimits; i++) {
		l = &in->cls->limits[i];
		threshold = l->threshold / (in->status == USER_WATCH ? 2 : 1);
		count = metric_count(in->cls, in->counts, l, in->msg_rcpts);
		if (count > threshold &&
		    (want == NULL || l->action > want->action))
			want = l;
	}
	if (want == NULL) {
		FUZZ_CHECK(v.kind == VERDICT_NONE && v.action == ACTION_ACCEPT,
			   "nothing tripped, got kind %d (%s)", v.kind,
			   v.reason);
		return;
	}
	FUZZ_CHECK(v.action == want->action && v.limit_id == want->id &&
			   v.kind == (want->metric == METRIC_RCPT_PER_MSG
					      ? VERDICT_RCPT_CAP
					      : VERDICT_LIMIT),
		   "want limit %ld (%s), got %ld (%s, %s)", want->id,
		   action_name(want->action), v.limit_id, action_name(v.action),
		   v.reason);
	FUZZ_CHECK(v.reason[0] != '\0', "no reason");
}

/* read_line - one input line into the class, counts or input */
static void read_line(struct policy *p, struct policy_class *c, char *line,
		      struct window_counts *counts, struct engine_input *in)
{
	char *w = fuzz_word(&line), *metric, *a, *b, *d;
	struct window_counts *wc = NULL;
	long window;
	int i;

	if (strcmp(w, "limit") == 0) {
		metric = fuzz_word(&line);
		a = fuzz_word(&line);
		b = fuzz_word(&line);
		fuzz_limit_add(p, c, c->nlimits + 1, metric,
			       fuzz_long(a, 0, LONG_MAX),
			       fuzz_long(b, 0, LONG_MAX), fuzz_word(&line));
	} else if (strcmp(w, "count") == 0) {
		window = fuzz_long(fuzz_word(&line), 0, LONG_MAX);
		for (i = 0; i < POLICY_MAX_WINDOWS; i++)
			if (counts[i].window_s == window)
				wc = &counts[i];
		if (wc == NULL)
			return;
		a = fuzz_word(&line);
		b = fuzz_word(&line);
		d = fuzz_word(&line);
		wc->msgs = fuzz_long(a, 0, COUNT_MAX);
		wc->rcpts = fuzz_long(b, 0, COUNT_MAX);
		wc->sessions = fuzz_long(d, 0, COUNT_MAX);
		wc->networks = fuzz_long(fuzz_word(&line), 0, COUNT_MAX);
	} else if (strcmp(w, "status") == 0) {
		engine_user_status_parse(fuzz_word(&line), &in->status);
	} else if (strcmp(w, "rcpts") == 0) {
		in->msg_rcpts = fuzz_long(fuzz_word(&line), 0, COUNT_MAX);
	} else if (strcmp(w, "noclass") == 0) {
		in->cls = NULL;
	}
	for (i = 0; i < c->nwindows; i++) { /* a window a limit added */
		if (counts[i].window_s != c->windows[i]) {
			memset(&counts[i], 0, sizeof(counts[i]));
			counts[i].window_s = c->windows[i];
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct window_counts counts[POLICY_MAX_WINDOWS] = { { 0 } };
	struct engine_input in = { 0 };
	struct policy_class *c;
	struct fuzz_lines l;
	struct policy *p;
	char *line;

	fuzz_init();
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return 0;
	if ((c = fuzz_class(p, "default")) == NULL ||
	    fuzz_lines_init(&l, data, size) < 0) {
		policy_free(p);
		return 0;
	}
	in.cls = c;
	in.counts = counts;
	in.msg_rcpts = 1;
	while ((line = fuzz_line(&l)) != NULL)
		read_line(p, c, line, counts, &in);
	check_verdict(&in);
	for (in.msg_rcpts = 1; in.msg_rcpts <= 3; in.msg_rcpts++)
		check_verdict(&in);
	fuzz_lines_free(&l);
	policy_free(p);
	return 0;
}
