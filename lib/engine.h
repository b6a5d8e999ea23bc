/*
 * NAME
 *	engine - decide what a message or recipient gets from the limits
 * SYNOPSIS
 *	#include "engine.h"
 * DESCRIPTION
 *	The engine is a pure function of a policy snapshot, the user's
 *	class and status, and the counts the store returned: it does no
 *	I/O and knows nothing of libmilter, so it is tested and
 *	benchmarked on its own.
 *
 *	A user exceeds a limit when the count including the current
 *	message goes above its threshold within the last window_s seconds.
 *	Every limit row of the class is a stage; the most severe action
 *	reached wins.  A user with status watch has every threshold
 *	halved; a blocked user is tempfailed (VERDICT_BLOCKED) at once.
 *
 *	refused counts what the store holds plus this message's refusals
 *	so far (the recipient being decided is not refused yet); new_rcpt
 *	what the store holds plus this message's recipients already known
 *	to be new; bounce only what the store holds.
 *
 *	A limits row with a baseline_factor has the effective threshold
 *	max(threshold, baseline_factor x the login's usual peak), the peak
 *	given per row in in->baseline (0 or NULL: the class numbers).
 *
 *	engine_outlook() states the same rules for a login between
 *	messages, for outguardctl status: each limit's effective threshold
 *	and running count, and the action the next message gets.
 */
#ifndef OUTGUARD_ENGINE_H
#define OUTGUARD_ENGINE_H

#include <stddef.h>

#include "action.h"
#include "policy.h"

enum user_status { USER_ACTIVE = 0, USER_WATCH, USER_BLOCKED };

/* Counts in one window, from the store, before the current message. */
struct window_counts {
	long window_s;
	long msgs;     /* accepted or held messages */
	long rcpts;    /* their recipients */
	long sessions; /* authenticated sessions, including this one */
	long networks; /* distinct client networks, not this one's */
	long refused;  /* recipients refused by outguard (not blocked) */
	long new_rcpt; /* recipients not written to in contact_days */
	long bounce;   /* recipients the MTA bounced */
};

/* What the current message adds, as far as it has got. */
struct engine_input {
	const struct policy_class *cls; /* NULL: no limits apply */
	enum user_status status;
	const struct window_counts *counts; /* one per cls->windows[] */
	long msg_rcpts;	  /* recipients of this message, with this one */
	long msg_refused; /* refusals of this message so far (metric refused) */
	long msg_new_rcpt; /* its recipients known to be new (new_rcpt) */
	const long
		*baseline; /* per cls->limits[]: usual peak, 0 none; or NULL */
};

enum verdict_kind {
	VERDICT_NONE = 0,     /* nothing tripped */
	VERDICT_LIMIT,	      /* a limits row */
	VERDICT_RCPT_CAP,     /* rcpt_per_msg: 452 4.5.3 */
	VERDICT_BLOCKED,      /* the login is blocked */
	VERDICT_STORE,	      /* the store failed: OnStoreError */
	VERDICT_SENDER,	      /* foreign or freemail sender address */
	VERDICT_REPLY_TO,     /* Reply-To freemail/foreign, From local */
	VERDICT_DISPLAY_NAME, /* display name names a brand elsewhere */
	VERDICT_LOOKALIKE,    /* a lookalike of a protected domain */
	VERDICT_RULE,	      /* a rules row */
	VERDICT_TRIPWIRE,     /* a rules row on a recipient */
};

#define VERDICT_KINDS (VERDICT_TRIPWIRE + 1)

struct verdict {
	enum action action;
	enum verdict_kind kind;
	long limit_id;	  /* the deciding limits row, or 0 */
	char reason[160]; /* e.g. "rcpt 501>500/3600s class=default" */
};

/* What one limits row makes of a login between messages. */
struct engine_state {
	long effective; /* the threshold, halved on watch */
	long baseline;	/* the login's usual peak, 0 when none */
	long count;	/* running count; -1 when none (rcpt_per_msg) */
	int reached;	/* count >= effective: the next message trips it */
	int exceeded;	/* count > effective: already above it */
};

/* engine_decide - the verdict for one more recipient of a message */
void engine_decide(const struct engine_input *in, struct verdict *v);

/* engine_threshold - l's threshold for a login of status s */
long engine_threshold(const struct policy_limit *l, enum user_status s);

/*
 * engine_effective - the threshold of in->cls->limits[i]: the larger of
 * its threshold and baseline_factor times the login's usual peak
 * (in->baseline, when the row has a factor), halved on watch
 */
long engine_effective(const struct engine_input *in, int i);

/*
 * engine_count - the count of l's metric with the current message
 * included (msg_rcpts recipients), as engine_decide compares it; -1
 * when the counts have no window of l
 */
long engine_count(const struct engine_input *in, const struct policy_limit *l);

/*
 * engine_outlook - the limits of in->cls for the login now, before its
 * next message (in->msg_rcpts is not used).  When st is not NULL it
 * gets one state per limits row (in->cls->nlimits).  Returns the action
 * the next message gets: the most severe action of the limits reached,
 * ACTION_BLOCK for a blocked login, else ACTION_ACCEPT.
 */
enum action engine_outlook(const struct engine_input *in,
			   struct engine_state *st);

/* engine_user_status_parse - "active"/"watch"/"blocked"; 0 or -1 */
int engine_user_status_parse(const char *s, enum user_status *out);

/* engine_user_status_name - the SQL spelling */
const char *engine_user_status_name(enum user_status s);

/* engine_kind_name - a verdict kind as the log and events say ("limit") */
const char *engine_kind_name(enum verdict_kind k);

#endif
