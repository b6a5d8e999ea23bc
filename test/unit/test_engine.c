/*
 * NAME
 *	test_engine - the limits decision, table-driven
 * DESCRIPTION
 *	Builds the default class by hand (as schema/outguard.sql defines
 *	it) and checks engine_decide() on counts at and across each
 *	threshold: graduated stages, the most severe action winning, the
 *	per-message cap, watch halving, blocked logins; and
 *	engine_outlook() between messages, as outguardctl status shows it.
 */
#include "check.h"
#include "engine.h"

static struct policy_limit dflt_limits[] = {
	{ 1, METRIC_RCPT_PER_MSG, 0, 100, ACTION_TEMPFAIL, 0 },
	{ 2, METRIC_RCPT, 3600, 300, ACTION_HEADER, 0 },
	{ 3, METRIC_RCPT, 3600, 500, ACTION_TEMPFAIL, 0 },
	{ 4, METRIC_RCPT, 86400, 2000, ACTION_TEMPFAIL, 0 },
	{ 5, METRIC_MSG, 3600, 200, ACTION_TEMPFAIL, 0 },
	{ 6, METRIC_SESSION, 3600, 50, ACTION_QUARANTINE, 0 },
	{ 7, METRIC_NETWORKS, 3600, 5, ACTION_BLOCK, 0 },
};

static struct policy_class dflt = {
	"default", dflt_limits, 7, { 3600, 86400 }, 2,
};

struct row {
	const char *what;
	enum user_status status;
	long h_msgs, h_rcpts, h_sess, d_rcpts; /* before this message */
	long msg_rcpts;			       /* with this recipient */
	enum action want;
	enum verdict_kind want_kind;
	long want_limit;
	long h_nets; /* other networks this hour */
};

static const struct row rows[] = {
	{ "nothing counted yet", USER_ACTIVE, 0, 0, 1, 0, 1, ACTION_ACCEPT,
	  VERDICT_NONE, 0, 0 },
	{ "rcpt exactly at 300 is not above", USER_ACTIVE, 10, 299, 1, 299, 1,
	  ACTION_ACCEPT, VERDICT_NONE, 0, 0 },
	{ "rcpt 301 reaches the header stage", USER_ACTIVE, 10, 300, 1, 300, 1,
	  ACTION_HEADER, VERDICT_LIMIT, 2, 0 },
	{ "rcpt 501 reaches tempfail, most severe wins", USER_ACTIVE, 10, 500,
	  1, 500, 1, ACTION_TEMPFAIL, VERDICT_LIMIT, 3, 0 },
	{ "this message's recipients count too", USER_ACTIVE, 10, 290, 1, 290,
	  11, ACTION_HEADER, VERDICT_LIMIT, 2, 0 },
	{ "day window: 2001 in the day, 10 in the hour", USER_ACTIVE, 1, 10, 1,
	  2000, 1, ACTION_TEMPFAIL, VERDICT_LIMIT, 4, 0 },
	{ "msg 200 before means this is the 201st", USER_ACTIVE, 200, 0, 1, 0,
	  1, ACTION_TEMPFAIL, VERDICT_LIMIT, 5, 0 },
	{ "msg 199 before: this is the 200th, fine", USER_ACTIVE, 199, 0, 1, 0,
	  1, ACTION_ACCEPT, VERDICT_NONE, 0, 0 },
	{ "100 recipients in a message pass", USER_ACTIVE, 0, 0, 1, 0, 100,
	  ACTION_ACCEPT, VERDICT_NONE, 0, 0 },
	{ "the 101st recipient hits the cap", USER_ACTIVE, 0, 0, 1, 0, 101,
	  ACTION_TEMPFAIL, VERDICT_RCPT_CAP, 1, 0 },
	{ "sessions above 50 quarantine", USER_ACTIVE, 0, 0, 51, 0, 1,
	  ACTION_QUARANTINE, VERDICT_LIMIT, 6, 0 },
	{ "watch halves: 151 rcpt > 150 header", USER_WATCH, 0, 150, 1, 150, 1,
	  ACTION_HEADER, VERDICT_LIMIT, 2, 0 },
	{ "watch halves: 251 rcpt > 250 tempfail", USER_WATCH, 0, 250, 1, 250,
	  1, ACTION_TEMPFAIL, VERDICT_LIMIT, 3, 0 },
	{ "watch halves the cap: 51st recipient", USER_WATCH, 0, 0, 1, 0, 51,
	  ACTION_TEMPFAIL, VERDICT_RCPT_CAP, 1, 0 },
	{ "blocked login is refused whatever the counts", USER_BLOCKED, 0, 0, 1,
	  0, 1, ACTION_TEMPFAIL, VERDICT_BLOCKED, 0, 0 },
	{ "4 other networks and this one: 5, fine", USER_ACTIVE, 0, 0, 1, 0, 1,
	  ACTION_ACCEPT, VERDICT_NONE, 0, 4 },
	{ "5 other networks and this one: block", USER_ACTIVE, 0, 0, 1, 0, 1,
	  ACTION_BLOCK, VERDICT_LIMIT, 7, 5 },
};

/* run_row - one table row */
static void run_row(const struct row *r)
{
	struct window_counts wc[2] = {
		{ 3600, r->h_msgs, r->h_rcpts, r->h_sess, r->h_nets, 0, 0, 0 },
		{ 86400, r->h_msgs, r->d_rcpts, r->h_sess, r->h_nets, 0, 0, 0 },
	};
	struct engine_input in = { &dflt, r->status, wc,  r->msg_rcpts,
				   0,	  0,	     NULL };
	struct verdict v;
	char what[200];

	engine_decide(&in, &v);
	snprintf(what, sizeof(what), "%s: action", r->what);
	CHECK_STR(what, action_name(v.action), action_name(r->want));
	snprintf(what, sizeof(what), "%s: kind", r->what);
	CHECK_INT(what, v.kind, r->want_kind);
	snprintf(what, sizeof(what), "%s: deciding limit", r->what);
	CHECK_INT(what, v.limit_id, r->want_limit);
}

/* test_reason - the reason names the metric, count and threshold */
static void test_reason(void)
{
	struct window_counts wc[2] = { { 3600, 0, 500, 1, 0, 0, 0, 0 },
				       { 86400, 0, 500, 1, 0, 0, 0, 0 } };
	struct engine_input in = { &dflt, USER_ACTIVE, wc, 1, 0, 0, NULL };
	struct verdict v;

	engine_decide(&in, &v);
	CHECK_STR("reason", v.reason, "rcpt 501>500/3600s class=default");
}

/* test_no_class - no class, no limits */
static void test_no_class(void)
{
	struct engine_input in = { NULL, USER_ACTIVE, NULL, 1000, 0, 0, NULL };
	struct verdict v;

	engine_decide(&in, &v);
	CHECK_STR("no class accepts", action_name(v.action), "accept");
}

/*
 * An outlook: the counts before the next message (hour msgs, rcpts,
 * sessions, networks; day rcpts), the action it gets, and per limits
 * row of dflt "EFFECTIVE/COUNT STATE" (count -: none; state o ok,
 * r reached, x exceeded).
 */
struct outlook_row {
	const char *what;
	enum user_status status;
	long h_msgs, h_rcpts, h_sess, h_nets, d_rcpts;
	enum action want_next;
	const char *want;
};

static const struct outlook_row outlooks[] = {
	{ "nothing counted", USER_ACTIVE, 0, 0, 0, 0, 0, ACTION_ACCEPT,
	  "100/- - 300/0 o 500/0 o 2000/0 o 200/0 o 50/0 o 5/0 o" },
	{ "rcpt at 300: header reached", USER_ACTIVE, 3, 300, 1, 0, 300,
	  ACTION_HEADER,
	  "100/- - 300/300 r 500/300 o 2000/300 o 200/3 o 50/1 o 5/0 o" },
	{ "rcpt 501: tempfail wins", USER_ACTIVE, 3, 501, 1, 0, 501,
	  ACTION_TEMPFAIL,
	  "100/- - 300/501 x 500/501 x 2000/501 o 200/3 o 50/1 o 5/0 o" },
	{ "watch halves: 250 reaches", USER_WATCH, 0, 250, 1, 0, 250,
	  ACTION_TEMPFAIL,
	  "50/- - 150/250 x 250/250 r 1000/250 o 100/0 o 25/1 o 2/0 o" },
	{ "5 networks: block next", USER_ACTIVE, 0, 0, 1, 5, 0, ACTION_BLOCK,
	  "100/- - 300/0 o 500/0 o 2000/0 o 200/0 o 50/1 o 5/5 r" },
	{ "blocked whatever the counts", USER_BLOCKED, 0, 0, 0, 0, 0,
	  ACTION_BLOCK,
	  "100/- - 300/0 o 500/0 o 2000/0 o 200/0 o 50/0 o 5/0 o" },
};

/* run_outlook - one outlook row */
static void run_outlook(const struct outlook_row *r)
{
	struct window_counts wc[2] = {
		{ 3600, r->h_msgs, r->h_rcpts, r->h_sess, r->h_nets, 0, 0, 0 },
		{ 86400, r->h_msgs, r->d_rcpts, r->h_sess, r->h_nets, 0, 0, 0 },
	};
	struct engine_input in = { &dflt, r->status, wc, 0, 0, 0, NULL };
	struct engine_state st[7];
	char what[200], got[256], cnt[24];
	size_t n = 0;
	int i;

	snprintf(what, sizeof(what), "%s: next", r->what);
	CHECK_STR(what, action_name(engine_outlook(&in, st)),
		  action_name(r->want_next));
	for (i = 0; i < 7; i++) {
		snprintf(cnt, sizeof(cnt), "%ld", st[i].count);
		n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%ld/%s %c",
				      i ? " " : "", st[i].effective,
				      st[i].count < 0 ? "-" : cnt,
				      st[i].count < 0  ? '-'
				      : st[i].exceeded ? 'x'
				      : st[i].reached  ? 'r'
						       : 'o');
	}
	snprintf(what, sizeof(what), "%s: limits", r->what);
	CHECK_STR(what, got, r->want);
}

/* test_severity - the order of actions */
static void test_severity(void)
{
	enum action a;

	CHECK(ACTION_ACCEPT < ACTION_HEADER &&
		      ACTION_HEADER < ACTION_QUARANTINE &&
		      ACTION_QUARANTINE < ACTION_TEMPFAIL &&
		      ACTION_TEMPFAIL < ACTION_REJECT &&
		      ACTION_REJECT < ACTION_DISCARD &&
		      ACTION_DISCARD < ACTION_BLOCK,
	      "severity order");
	CHECK_INT("parse Quarantine", action_parse("Quarantine", &a), 0);
	CHECK_INT("parsed", a, ACTION_QUARANTINE);
	CHECK_INT("parse nonsense", action_parse("bounce", &a), -1);
}

/*
 * test_new_metrics - refused, new_rcpt and bounce at their window's edge
 * (the store gives the window's count; the engine adds this message's
 * refusals and new recipients), and a learned baseline
 */
static void test_new_metrics(void)
{
	struct policy_limit lim[] = {
		{ 1, METRIC_REFUSED, 3600, 50, ACTION_BLOCK, 0 },
		{ 2, METRIC_NEW_RCPT, 3600, 100, ACTION_QUARANTINE, 0 },
		{ 3, METRIC_BOUNCE, 600, 20, ACTION_TEMPFAIL, 0 },
		{ 4, METRIC_RCPT, 3600, 300, ACTION_TEMPFAIL, 2.0 },
	};
	struct policy_class cls = { "t", lim, 4, { 3600, 600 }, 2 };
	struct window_counts wc[2] = { { 3600, 0, 0, 1, 0, 50, 100, 0 },
				       { 600, 0, 0, 1, 0, 0, 0, 20 } };
	long base[4] = { 0, 0, 0, 0 };
	struct engine_input in = { &cls, USER_ACTIVE, wc, 1, 0, 0, base };
	struct engine_state st[4];
	struct verdict v;

	engine_decide(&in, &v);
	CHECK_STR("at every threshold: accept", action_name(v.action),
		  "accept");
	in.msg_refused = 1;
	engine_decide(&in, &v);
	CHECK_STR("the 51st refusal blocks", action_name(v.action), "block");
	CHECK_STR("refused reason", v.reason, "refused 51>50/3600s class=t");
	in.msg_refused = 0;
	in.msg_new_rcpt = 1;
	engine_decide(&in, &v);
	CHECK_STR("the 101st new recipient holds", action_name(v.action),
		  "quarantine");
	in.msg_new_rcpt = 0;
	wc[1].bounce = 21;
	engine_decide(&in, &v);
	CHECK_STR("21 bounces in 10 minutes", action_name(v.action),
		  "tempfail");
	CHECK_INT("bounce limit row", v.limit_id, 3);
	wc[1].bounce = 0;

	/* rcpt 300 with factor 2: a usual peak of 200 lifts it to 400 */
	wc[0].rcpts = 350;
	engine_decide(&in, &v);
	CHECK_STR("no baseline: the class's 300", action_name(v.action),
		  "tempfail");
	base[3] = 100;
	CHECK_INT("a low baseline keeps 300", engine_effective(&in, 3), 300);
	base[3] = 200;
	CHECK_INT("2 x 200 = 400", engine_effective(&in, 3), 400);
	engine_decide(&in, &v);
	CHECK_STR("351 under 400", action_name(v.action), "accept");
	wc[0].rcpts = 400;
	engine_decide(&in, &v);
	CHECK_STR("401 over 400", action_name(v.action), "tempfail");
	CHECK_STR("the reason names the effective threshold", v.reason,
		  "rcpt 401>400/3600s class=t");
	in.status = USER_WATCH;
	CHECK_INT("watch halves the lifted threshold", engine_effective(&in, 3),
		  200);
	in.status = USER_ACTIVE;
	engine_outlook(&in, st);
	CHECK_INT("outlook baseline", st[3].baseline, 200);
	CHECK_INT("outlook effective", st[3].effective, 400);
	CHECK_INT("outlook: no factor, no baseline", st[0].baseline, 0);
	in.baseline = NULL;
	CHECK_INT("no baselines given: the class's", engine_effective(&in, 3),
		  300);
}

int main(void)
{
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	for (i = 0; i < sizeof(outlooks) / sizeof(outlooks[0]); i++)
		run_outlook(&outlooks[i]);
	test_reason();
	test_no_class();
	test_severity();
	test_new_metrics();
	return check_done();
}
