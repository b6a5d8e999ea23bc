/*
 * NAME
 *	ctl_status - outguardctl status LOGIN
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_cmd_status(struct ctl *ctl, int argc, char **argv);
 * DESCRIPTION
 *	Shows a login as the daemon sees it: its class and status (from
 *	users; class default and active without a row), the note, and every
 *	limits row of its class with the count the daemon would use now.
 *	The counts come from store_counts_get() over the class's windows,
 *	the limits from a policy snapshot (store_policy_load()).
 *	rcpt_per_msg has no running count: "-".
 *
 *	What the counts mean is the engine's (engine_outlook()): a limit
 *	is "reached" when the count is at its threshold (the next
 *	recipient or message goes above it and trips the limit) and
 *	"exceeded" when the count is already above it.  With status watch
 *	every threshold is halved; the effective threshold is shown.
 *	"next" is the action the next message gets: the most severe action
 *	of the limits reached, or block.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* user_row - copy a users row into a struct ctl_user */
static int user_row(void *arg, int n, const char *const *names,
		    const char *const *v)
{
	struct ctl_user *u = arg;

	(void)names;
	if (n < 5)
		return 1;
	snprintf(u->cls, sizeof u->cls, "%s", v[1] ? v[1] : "default");
	snprintf(u->status, sizeof u->status, "%s", v[2] ? v[2] : "active");
	if (v[3] && (u->note = strdup(v[3])) == NULL)
		ctl_nomem();
	snprintf(u->changed, sizeof u->changed, "%s", v[4] ? v[4] : "");
	return 0;
}

/* ctl_user_get - login's row into u (free u->note); 0, or -1 (said) */
int ctl_user_get(struct ctl *ctl, const char *login, struct ctl_user *u)
{
	int rc;

	memset(u, 0, sizeof *u);
	strcpy(u->cls, "default");
	strcpy(u->status, "active");
	rc = store_admin_user(ctl->store, login, user_row, u);
	if (rc < 0) {
		ctl_error("%s: cannot read users", login);
		return -1;
	}
	u->known = rc;
	return 0;
}

/* fmt_long - v in buf, or NULL when v < 0 */
static const char *fmt_long(char *buf, size_t len, long v)
{
	if (v < 0)
		return NULL;
	snprintf(buf, len, "%ld", v);
	return buf;
}

/*
 * limits_table - one row per limit of in->cls, as the engine sees it;
 * *next becomes the action the next message gets.
 */
static struct ctl_table *limits_table(const struct engine_input *in,
				      enum action *next)
{
	static const struct ctl_col cols[] = {
		{ "METRIC", "metric", CTL_STR, 0 },
		{ "WINDOW", "window", CTL_STR, CTL_TEXT_ONLY },
		{ "WINDOW_S", "window_s", CTL_NUM, CTL_JSON_ONLY },
		{ "THRESHOLD", "threshold", CTL_NUM, 0 },
		{ "BASELINE", "baseline", CTL_NUM, 0 },
		{ "EFFECTIVE", "effective_threshold", CTL_NUM, 0 },
		{ "ACTION", "action", CTL_STR, 0 },
		{ "COUNT", "count", CTL_NUM, 0 },
		{ "STATE", "", CTL_STR, CTL_TEXT_ONLY },
		{ "STATE", "state", CTL_STR, CTL_JSON_ONLY },
		{ "REACHED", "reached", CTL_BOOL, CTL_JSON_ONLY },
		{ "EXCEEDED", "exceeded", CTL_BOOL, CTL_JSON_ONLY },
	};
	struct ctl_col mine[12];
	char win[16], ws[24], th[24], eff[24], cnt[24], bl[24];
	const struct policy_limit *l;
	struct engine_state *st = NULL;
	const char *v[12];
	struct ctl_table *t;
	int i, n = in->cls ? in->cls->nlimits : 0, factors = 0;

	memcpy(mine, cols, sizeof mine);
	for (i = 0; i < n; i++)
		factors += in->cls->limits[i].baseline_factor > 0;
	if (factors == 0)
		mine[4].flags = CTL_JSON_ONLY; /* no row learns one */
	if (in->status != USER_WATCH && factors == 0)
		mine[5].flags = CTL_JSON_ONLY; /* equals the threshold */
	if ((t = ctl_table_new(mine, 12)) == NULL ||
	    (n > 0 && (st = calloc((size_t)n, sizeof *st)) == NULL))
		ctl_nomem();
	*next = engine_outlook(in, st);
	for (i = 0; i < n; i++) {
		l = &in->cls->limits[i];
		ctl_format_duration(l->window_s, win, sizeof win);
		v[0] = policy_metric_name(l->metric);
		v[1] = l->window_s > 0 ? win : NULL;
		v[2] = fmt_long(ws, sizeof ws, l->window_s);
		v[3] = fmt_long(th, sizeof th, l->threshold);
		v[4] = l->baseline_factor > 0
			       ? fmt_long(bl, sizeof bl, st[i].baseline)
			       : NULL;
		v[5] = fmt_long(eff, sizeof eff, st[i].effective);
		v[6] = action_name(l->action);
		v[7] = fmt_long(cnt, sizeof cnt, st[i].count);
		v[9] = st[i].count < 0	? NULL
		       : st[i].exceeded ? "exceeded"
		       : st[i].reached	? "reached"
					: "ok";
		v[8] = st[i].exceeded ? "EXCEEDED" : v[9];
		v[10] = st[i].count < 0 ? NULL : st[i].reached ? "1" : "0";
		v[11] = st[i].count < 0 ? NULL : st[i].exceeded ? "1" : "0";
		if (ctl_table_add(t, v) < 0)
			ctl_nomem();
	}
	free(st);
	return t;
}

/* user_table - the one-row table of the login's own fields */
static struct ctl_table *user_table(const char *login, const struct ctl_user *u,
				    const struct policy_class *cls,
				    enum action next)
{
	static const struct ctl_col cols[] = {
		{ "Login", "login", CTL_STR, 0 },
		{ "Class", "class", CTL_STR, 0 },
		{ "Status", "status", CTL_STR, 0 },
		{ "Note", "note", CTL_STR, 0 },
		{ "Changed", "changed", CTL_TIME, 0 },
		{ "Known", "known", CTL_BOOL, CTL_JSON_ONLY },
		{ "Class exists", "class_exists", CTL_BOOL, CTL_JSON_ONLY },
		{ "Next message", "next_action", CTL_STR, 0 },
	};
	const char *v[8];
	struct ctl_table *t;

	if ((t = ctl_table_new(cols, 8)) == NULL)
		ctl_nomem();
	v[0] = login;
	v[1] = u->cls;
	v[2] = u->status;
	v[3] = u->note;
	v[4] = *u->changed ? u->changed : NULL;
	v[5] = u->known ? "1" : "0";
	v[6] = cls ? "1" : "0";
	v[7] = action_name(next);
	if (ctl_table_add(t, v) < 0)
		ctl_nomem();
	return t;
}

/* print_status - the login's fields, then its limits */
static void print_status(struct ctl *ctl, const struct ctl_table *user,
			 const struct ctl_table *limits,
			 const struct ctl_user *u, const char *login)
{
	if (ctl->json) {
		putchar('{');
		ctl_table_json_fields(user, 0, stdout);
		fputs(",\"limits\":", stdout);
		ctl_table_json(limits, stdout);
		fputs("}\n", stdout);
		return;
	}
	ctl_table_print_kv(user, 0, stdout);
	if (strcmp(u->status, "watch") == 0)
		printf("On watch: every threshold is halved.\n");
	else if (strcmp(u->status, "blocked") == 0)
		printf("Blocked: all mail is refused until "
		       "\"outguardctl unblock %s\".\n",
		       login);
	putchar('\n');
	ctl_table_print(limits, 0, stdout);
}

/* load - the policy and the counts of the login's class; 0, or -1 */
static int load(struct ctl *ctl, const char *login, struct ctl_user *u,
		struct policy **p, struct window_counts *c)
{
	const struct policy_class *cls;
	char err[512];
	int i;

	if (ctl_user_get(ctl, login, u) < 0)
		return -1;
	if ((*p = store_policy_load(ctl->store, err, sizeof err)) == NULL) {
		ctl_error("cannot load the policy: %s", err);
		return -1;
	}
	if ((cls = policy_class_find(*p, u->cls)) == NULL)
		return 0;
	for (i = 0; i < cls->nwindows; i++)
		c[i].window_s = cls->windows[i];
	if (cls->nwindows > 0 && store_counts_get(ctl->store, login, ctl->now,
						  c, cls->nwindows) < 0) {
		ctl_error("%s: cannot read the counters", login);
		return -1;
	}
	return 0;
}

/* ctl_cmd_status - status LOGIN */
int ctl_cmd_status(struct ctl *ctl, int argc, char **argv)
{
	struct window_counts c[POLICY_MAX_WINDOWS];
	struct ctl_user u = { "default", "active", NULL, "", 0 };
	char login[CTL_LOGIN_MAX + 1];
	struct ctl_table *user, *limits;
	struct engine_input in = { NULL, USER_ACTIVE, c, 0, 0, 0, NULL };
	enum action next;
	struct policy *p = NULL;
	long *base = NULL;
	int i, rc = CTL_ERROR;

	if (argc != 2)
		return ctl_cmd_usage(argv[0]);
	if (ctl_login(argv[1], login, sizeof login) < 0)
		return CTL_ERROR;
	memset(c, 0, sizeof c);
	if (ctl_store(ctl) == NULL || load(ctl, login, &u, &p, c) < 0)
		goto out;
	in.cls = policy_class_find(p, u.cls);
	if (in.cls == NULL)
		ctl_error("warning: class \"%s\" does not exist: no limits "
			  "apply to %s",
			  u.cls, login);
	engine_user_status_parse(u.status, &in.status);
	if (in.cls != NULL && in.cls->nlimits > 0 &&
	    (base = calloc((size_t)in.cls->nlimits, sizeof *base)) == NULL)
		ctl_nomem();
	for (i = 0; base != NULL && i < in.cls->nlimits; i++)
		if (in.cls->limits[i].baseline_factor > 0)
			base[i] = store_baseline(
				ctl->store, login,
				policy_metric_name(in.cls->limits[i].metric),
				in.cls->limits[i].window_s, ctl->now,
				policy_setting_long(p, "baseline_days", 28));
	in.baseline = base;
	limits = limits_table(&in, &next);
	user = user_table(login, &u, in.cls, next);
	print_status(ctl, user, limits, &u, login);
	ctl_table_free(user);
	ctl_table_free(limits);
	rc = CTL_OK;
out:
	free(base);
	policy_free(p);
	free(u.note);
	return rc;
}
