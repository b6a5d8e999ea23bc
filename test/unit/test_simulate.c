/*
 * NAME
 *	test_simulate - the replay core of outguardctl simulate, table-driven
 * DESCRIPTION
 *	Each row gives a class's limits, a login's status, a history and
 *	the result the replay must give.  Limits are written
 *	"metric/window>threshold:action" (ids 1, 2, ... in order); the
 *	history as "S<ts>@<n>" (a session from 10.0.<n>.1) and
 *	"M<ts>x<rcpts>@<n>" (a stored message; "M<ts>x<rcpts>n<new>@<n>"
 *	with new of them new to the login), "B<ts>x<n>" (n bounces); the
 *	result as
 *	"refused=M/R held=M/R stamped=M/R blocked=T attempts=N msgs=N" and
 *	each trip " id:first:msgs:rcpts:threshold" (id 0: blocked), or
 *	"-" when the login tripped nothing.
 */
#include <stdio.h>

#include "check.h"
#include "simulate.h"

struct row {
	const char *what;
	const char *limits;
	enum user_status status;
	long long status_from;
	long long from; /* the reported period's start */
	const char *history;
	const char *want;
};

static const struct row rows[] = {
	{ "header stage stamps the message that goes above",
	  "rcpt/3600>10:header", USER_ACTIVE, 0, 0,
	  "S0@1 M0x4@1 M10x4@1 M20x4@1",
	  "refused=0/0 held=0/0 stamped=1/4 blocked=0 attempts=0 msgs=3 "
	  "1:20:1:4:10" },
	{ "tempfail refuses the recipients above, counts the rest",
	  "rcpt/3600>10:tempfail", USER_ACTIVE, 0, 0,
	  "S0@1 M0x4@1 M10x4@1 M20x4@1 M30x1@1",
	  "refused=2/3 held=0/0 stamped=0/0 blocked=0 attempts=0 msgs=4 "
	  "1:20:2:3:10" },
	{ "window edge: a row window_s old has left the window",
	  "rcpt/3600>10:tempfail", USER_ACTIVE, 0, 0,
	  "S0@1 M0x10@1 M3599x1@1 M3600x1@1",
	  "refused=1/1 held=0/0 stamped=0/0 blocked=0 attempts=0 msgs=3 "
	  "1:3599:1:1:10" },
	{ "refused recipients are not counted later", "rcpt/3600>10:tempfail",
	  USER_ACTIVE, 0, 0, "S0@1 M0x15@1 M3601x10@1",
	  "refused=1/5 held=0/0 stamped=0/0 blocked=0 attempts=0 msgs=2 "
	  "1:0:1:5:10" },
	{ "nothing tripped", "rcpt/3600>10:tempfail", USER_ACTIVE, 0, 0,
	  "S0@1 M0x5@1 M100x5@1", "-" },
	{ "watch halves the threshold", "rcpt/3600>10:tempfail", USER_WATCH, 0,
	  0, "S0@1 M0x6@1",
	  "refused=1/1 held=0/0 stamped=0/0 blocked=0 attempts=0 msgs=1 "
	  "1:0:1:1:5" },
	{ "a status set live holds from its time", "rcpt/3600>10:tempfail",
	  USER_WATCH, 100, 0, "S0@1 M0x6@1 M200x1@1",
	  "refused=1/1 held=0/0 stamped=0/0 blocked=0 attempts=0 msgs=2 "
	  "1:200:1:1:5" },
	{ "most severe wins", "rcpt/3600>5:header rcpt/3600>8:tempfail",
	  USER_ACTIVE, 0, 0, "S0@1 M0x10@1",
	  "refused=1/2 held=0/0 stamped=1/8 blocked=0 attempts=0 msgs=1 "
	  "2:0:1:2:8 1:0:1:8:5" },
	{ "quarantine holds", "msg/3600>1:quarantine", USER_ACTIVE, 0, 0,
	  "S0@1 M0x2@1 M5x3@1",
	  "refused=0/0 held=1/3 stamped=0/0 blocked=0 attempts=0 msgs=2 "
	  "1:5:1:3:1" },
	{ "rcpt_per_msg refuses past the cap", "rcpt_per_msg/0>5:tempfail",
	  USER_ACTIVE, 0, 0, "S0@1 M0x8@1",
	  "refused=1/3 held=0/0 stamped=0/0 blocked=0 attempts=0 msgs=1 "
	  "1:0:1:3:5" },
	{ "a third network blocks, later mail is refused as blocked",
	  "networks/3600>2:block", USER_ACTIVE, 0, 0,
	  "S0@1 M0x1@1 S10@2 M10x1@2 S20@3 M20x2@3 S30@1 M30x1@1",
	  "refused=2/3 held=0/0 stamped=0/0 blocked=20 attempts=0 msgs=4 "
	  "1:20:1:2:2 0:30:1:1:0" },
	{ "the same network again is not a new one", "networks/3600>1:block",
	  USER_ACTIVE, 0, 0, "S0@1 M0x1@1 S10@1 M10x1@1", "-" },
	{ "a session without stored mail is a refused attempt",
	  "session/3600>2:tempfail", USER_ACTIVE, 0, 0,
	  "S0@1 M0x1@1 S10@1 M10x1@1 S20@1",
	  "refused=1/1 held=0/0 stamped=0/0 blocked=0 attempts=1 msgs=2 "
	  "1:20:1:1:2" },
	{ "an attempt the policy lets through is only counted",
	  "session/3600>5:tempfail", USER_ACTIVE, 0, 0, "S0@1 S10@1", "-" },
	{ "rows before from fill the windows, are not reported",
	  "rcpt/3600>10:tempfail", USER_ACTIVE, 0, 1000,
	  "S0@1 M0x10@1 M900x1@1 M1500x1@1",
	  "refused=1/1 held=0/0 stamped=0/0 blocked=0 attempts=0 msgs=1 "
	  "1:1500:1:1:10" },
	{ "a session of the same second counts before its message",
	  "session/3600>1:tempfail", USER_ACTIVE, 0, 0,
	  "M0x1@1 S0@1 S5@2 M5x1@2",
	  "refused=1/1 held=0/0 stamped=0/0 blocked=0 attempts=0 msgs=2 "
	  "1:5:1:1:1" },
	{ "a block set live by this message: the replay decides it",
	  "networks/3600>1:block", USER_BLOCKED, 10, 0,
	  "S0@1 M0x1@1 S10@2 M10x1@2 S20@1 M20x1@1",
	  "refused=2/2 held=0/0 stamped=0/0 blocked=10 attempts=0 msgs=3 "
	  "1:10:1:1:1 0:20:1:1:0" },
	{ "a live unblock after the replay's block takes over",
	  "networks/3600>1:block", USER_ACTIVE, 15, 0,
	  "S0@1 M0x1@1 S10@2 M10x1@2 S4000@1 M4000x1@1",
	  "refused=1/1 held=0/0 stamped=0/0 blocked=10 attempts=0 msgs=3 "
	  "1:10:1:1:1" },
	{ "without the unblock the login stays blocked",
	  "networks/3600>1:block", USER_ACTIVE, 0, 0,
	  "S0@1 M0x1@1 S10@2 M10x1@2 S4000@1 M4000x1@1",
	  "refused=2/2 held=0/0 stamped=0/0 blocked=10 attempts=0 msgs=3 "
	  "1:10:1:1:1 0:4000:1:1:0" },
	{ "refusals escalate: past refused/3600>3 the login is blocked",
	  "rcpt/3600>2:tempfail refused/3600>3:block", USER_ACTIVE, 0, 0,
	  "S0@1 M0x4@1 M10x3@1 M20x1@1",
	  "refused=3/6 held=0/0 stamped=0/0 blocked=10 attempts=0 msgs=3 "
	  "1:0:1:2:2 2:10:1:3:3 0:20:1:1:0" },
	{ "the per-message cap's refusals do not escalate",
	  "rcpt_per_msg/0>1:tempfail refused/3600>1:block", USER_ACTIVE, 0, 0,
	  "S0@1 M0x5@1 M10x5@1",
	  "refused=2/8 held=0/0 stamped=0/0 blocked=0 attempts=0 msgs=2 "
	  "1:0:2:8:1" },
	{ "a refused attempt counts one refusal",
	  "session/3600>1:tempfail "
	  "refused/3600>1:block",
	  USER_ACTIVE, 0, 0, "S0@1 M0x1@1 S10@1 S20@1 S30@1",
	  "refused=3/3 held=0/0 stamped=0/0 blocked=30 attempts=3 msgs=1 "
	  "1:10:2:2:1 2:30:1:1:1" },
	{ "new recipients past a stage hold the message at its end",
	  "new_rcpt/3600>3:quarantine", USER_ACTIVE, 0, 0,
	  "S0@1 M0x3n3@1 M10x2n1@1 M20x2n0@1",
	  "refused=0/0 held=2/4 stamped=0/0 blocked=0 attempts=0 msgs=3 "
	  "1:10:2:4:3" },
	{ "past a refusing new_rcpt row: held, then refused at RCPT",
	  "new_rcpt/3600>2:tempfail", USER_ACTIVE, 0, 0,
	  "S0@1 M0x3n3@1 M10x1n1@1 M4000x1n1@1",
	  "refused=1/1 held=1/3 stamped=0/0 blocked=0 attempts=0 msgs=3 "
	  "1:0:2:4:2" },
	{ "new recipients count only up to the accepted ones",
	  "rcpt/3600>2:tempfail new_rcpt/3600>2:quarantine", USER_ACTIVE, 0, 0,
	  "S0@1 M0x5n5@1",
	  "refused=1/3 held=0/0 stamped=0/0 blocked=0 "
	  "attempts=0 msgs=1 1:0:1:3:2" },
	{ "bounces count in their window", "bounce/3600>2:tempfail",
	  USER_ACTIVE, 0, 0, "S0@1 M0x1@1 B5x3 M10x1@1 M3700x1@1",
	  "refused=1/1 held=0/0 stamped=0/0 blocked=0 attempts=0 msgs=3 "
	  "1:10:1:1:2" },
	{ "a blocked login is refused throughout", "rcpt/3600>10:tempfail",
	  USER_BLOCKED, 0, 0, "S0@1 M0x1@1",
	  "refused=1/1 held=0/0 stamped=0/0 blocked=0 attempts=0 msgs=1 "
	  "0:0:1:1:0" },
};

/* parse_limits - "metric/window>threshold:action ..." into l; count */
static int parse_limits(const char *s, struct policy_limit *l, int max)
{
	char metric[32], action[32];
	int n = 0, used;
	long w, th;

	while (n < max && sscanf(s, " %31[a-z_]/%ld>%ld:%31[a-z]%n", metric, &w,
				 &th, action, &used) == 4) {
		l[n].id = n + 1;
		CHECK(policy_metric_parse(metric, &l[n].metric) == 0, metric);
		CHECK(action_parse(action, &l[n].action) == 0, action);
		l[n].window_s = w;
		l[n].threshold = th;
		n++;
		s += used;
	}
	return n;
}

/* run_row - one table row */
static void run_row(const struct row *r)
{
	struct policy_limit lim[8];
	struct policy_class cls = { "default", lim, 0, { 0 }, 0 };
	struct policy pol = { 0 };
	struct sim_user u = { "default", r->status, r->status_from };
	struct sim_record rec;
	const struct sim_login *res;
	const char *h = r->history;
	char kind, addr[32], got[512];
	long long ts;
	int n, used, rcpts, fresh, net, len;
	struct sim *s;

	cls.nlimits = parse_limits(r->limits, lim, 8);
	for (int i = 0; i < cls.nlimits; i++)
		if (lim[i].window_s > 0 &&
		    policy_class_window(&cls, lim[i].window_s) < 0)
			cls.windows[cls.nwindows++] = lim[i].window_s;
	pol.classes = &cls;
	pol.nclasses = 1;
	pol.ipv4_prefix = 24;
	pol.ipv6_prefix = 48;
	s = sim_new(&pol, r->from);
	CHECK(s != NULL && sim_login_begin(s, "a", &u) == 0, r->what);
	while (sscanf(h, " %c%lld%n", &kind, &ts, &used) == 2) {
		h += used;
		rcpts = fresh = net = 0;
		if (kind != 'S' && sscanf(h, "x%d%n", &rcpts, &used) == 1)
			h += used;
		if (kind == 'M' && sscanf(h, "n%d%n", &fresh, &used) == 1)
			h += used;
		if (sscanf(h, "@%d%n", &net, &used) == 1)
			h += used;
		snprintf(addr, sizeof(addr), "10.0.%d.1", net);
		rec = (struct sim_record){ ts,
					   kind == 'M'	 ? SIM_MESSAGE
					   : kind == 'B' ? SIM_BOUNCE
							 : SIM_SESSION,
					   rcpts, kind == 'B' ? NULL : addr,
					   fresh };
		CHECK(sim_add(s, &rec) == 0, r->what);
	}
	CHECK(sim_login_end(s) == 0, r->what);
	res = sim_results(s, &n);
	if (n == 0) {
		snprintf(got, sizeof(got), "-");
	} else {
		len = snprintf(got, sizeof(got),
			       "refused=%ld/%ld held=%ld/%ld stamped=%ld/%ld "
			       "blocked=%lld attempts=%ld msgs=%ld",
			       res->refused_msgs, res->refused_rcpts,
			       res->held_msgs, res->held_rcpts,
			       res->stamped_msgs, res->stamped_rcpts,
			       res->blocked, res->attempts, res->msgs);
		for (int i = 0; i < res->ntrips; i++)
			len += snprintf(
				got + len, sizeof(got) - len,
				" %ld:%lld:%ld:%ld:%ld", res->trips[i].limit_id,
				res->trips[i].first, res->trips[i].msgs,
				res->trips[i].rcpts, res->trips[i].threshold);
	}
	CHECK_STR(r->what, got, r->want);
	sim_free(s);
}

/* test_logins - results per login, in order, only those that tripped */
static void test_logins(void)
{
	struct policy_limit lim = {
		1, METRIC_RCPT, 3600, 2, ACTION_TEMPFAIL, 0
	};
	struct policy_class cls = { "default", &lim, 1, { 3600 }, 1 };
	struct policy pol = { 0 };
	struct sim_record m3 = { 100, SIM_MESSAGE, 3, "10.0.0.1", 0 };
	struct sim_record m1 = { 100, SIM_MESSAGE, 1, "10.0.0.1", 0 };
	const struct sim_login *res;
	struct sim_totals t;
	struct sim *s;
	int n;

	pol.classes = &cls;
	pol.nclasses = 1;
	s = sim_new(&pol, 0);
	sim_login_begin(s, "x", NULL);
	sim_add(s, &m3);
	sim_login_begin(s, "y", NULL); /* ends x */
	sim_add(s, &m1);
	sim_login_begin(s, "z", NULL);
	sim_add(s, &m3);
	sim_login_end(s);
	res = sim_results(s, &n);
	CHECK_INT("two logins tripped", n, 2);
	if (n == 2) {
		CHECK_STR("first is x", res[0].login, "x");
		CHECK_STR("second is z", res[1].login, "z");
	}
	sim_totals_get(s, &t);
	CHECK_INT("logins replayed", t.logins, 3);
	CHECK_INT("messages replayed", t.msgs, 3);
	CHECK_INT("recipients replayed", t.rcpts, 7);
	CHECK_INT("logins tripped", t.tripped, 2);
	sim_free(s);
	sim_free(NULL);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	test_logins();
	return check_done();
}
