/*
 * NAME
 *	guard_report - replies, events, log lines and alerts of decisions
 * DESCRIPTION
 *	Every decision that is not a plain accept gets an events row and
 *	one log line "QUEUEID: login=... action=... reason=...".  The first
 *	trip of a login in a limit's window, every block, and every
 *	decision about a login on watch also run NotifyCommand.  A trip of
 *	an authenticated login also goes to its incident, block_command
 *	and the alert mail (guard_response.c, which also keeps the table
 *	of alerts already sent, guard_alert_due()).  Reply
 *	texts come from settings so a site can say what its users should
 *	do.
 *
 *	Bounded under attack: a refusal of a blocked login, or of a login
 *	over a limit whose trip was already reported in its window (no
 *	alert due), is counted in one events row per login, kind, action
 *	and minute (store_add_event_folded) instead of a row of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard_int.h"
#include "log.h"
#include "metrics.h"

/* set_reply - fill a reply */
static void set_reply(struct guard_reply *r, const char *code,
		      const char *xcode, const char *text)
{
	snprintf(r->code, sizeof(r->code), "%s", code);
	snprintf(r->xcode, sizeof(r->xcode), "%s", xcode);
	snprintf(r->text, sizeof(r->text), "%s", text);
}

/* guard_reply_for - the SMTP reply for a refusing verdict */
void guard_reply_for(const struct policy *pol, const struct verdict *v,
		     enum action action, struct guard_reply *r)
{
	const char *t;

	if (v->kind == VERDICT_STORE) {
		t = policy_setting(pol, "reply_store_error",
				   "Temporary local problem; please try again "
				   "later.");
		set_reply(r, "451", "4.3.0", t);
	} else if (action == ACTION_BLOCK || v->kind == VERDICT_BLOCKED) {
		t = policy_setting(pol, "reply_block",
				   "Sending from your account is suspended; "
				   "contact your postmaster.");
		set_reply(r, "451", "4.7.1", t);
	} else if (v->kind >= VERDICT_SENDER) {
		t = v->kind == VERDICT_SENDER
			    ? policy_setting(pol, "reply_forged_sender",
					     "Sender address not allowed.")
		    : v->kind == VERDICT_LOOKALIKE
			    ? policy_setting(pol, "reply_lookalike",
					     "Sender domain refused.")
		    : v->kind == VERDICT_TRIPWIRE
			    ? policy_setting(pol, "reply_rcpt_rule",
					     "Recipient refused by policy.")
			    : policy_setting(pol, "reply_reject",
					     "Message refused by policy.");
		if (action == ACTION_TEMPFAIL)
			set_reply(r, "451", "4.7.1", t);
		else
			set_reply(r, "550", "5.7.1", t);
	} else if (v->kind == VERDICT_RCPT_CAP) {
		t = policy_setting(pol, "reply_rcpt_per_msg",
				   "Too many recipients in one message.");
		if (action == ACTION_REJECT)
			set_reply(r, "550", "5.5.3", t);
		else
			set_reply(r, "452", "4.5.3", t);
	} else if (action == ACTION_REJECT) {
		t = policy_setting(pol, "reply_reject",
				   "Message refused by the sending policy.");
		set_reply(r, "550", "5.7.1", t);
	} else {
		t = policy_setting(pol, "reply_tempfail",
				   "Sending limit reached; try again later.");
		set_reply(r, "451", "4.7.1", t);
	}
}

/* limit_window - window_s of the deciding limits row, or 0 */
static long limit_window(const struct guard_conn *c, const struct verdict *v)
{
	int i;

	for (i = 0; c->cls != NULL && i < c->cls->nlimits; i++)
		if (c->cls->limits[i].id == v->limit_id)
			return c->cls->limits[i].window_s;
	return 0;
}

/* report_vars - the OUTGUARD_* variables of a decision, into vars[] */
static void report_vars(struct guard_conn *c, const struct verdict *v,
			enum action action, const char *qid, char *ts,
			size_t tslen, const char *vars[20])
{
	const char *const list[] = {
		"OUTGUARD_EVENT",
		action == ACTION_BLOCK ? "block" : engine_kind_name(v->kind),
		"OUTGUARD_LOGIN",
		c->login,
		"OUTGUARD_ACTION",
		action_name(action),
		"OUTGUARD_REASON",
		v->reason,
		"OUTGUARD_CLIENT",
		c->client_addr,
		"OUTGUARD_QUEUE_ID",
		qid,
		"OUTGUARD_CLASS",
		c->cls ? c->cls->name : "",
		"OUTGUARD_STATUS",
		engine_user_status_name(c->user.status),
		"OUTGUARD_TIME",
		ts,
		NULL,
	};

	snprintf(ts, tslen, "%lld", (long long)time(NULL));
	memcpy(vars, list, sizeof(list));
}

/* is_trip - 1 when the decision counts for the login's incident */
static int is_trip(const struct guard_conn *c, const struct verdict *v,
		   enum action action)
{
	return c->login[0] && action != ACTION_ACCEPT &&
	       v->kind != VERDICT_STORE && v->kind != VERDICT_BLOCKED;
}

/* guard_report - events row, log line and maybe an alert */
void guard_report(struct guard_conn *c, const struct verdict *v,
		  enum action action, const char *detail)
{
	const char *qid = c->queue_id[0] ? c->queue_id : "NOQUEUE";
	const char *login = c->login[0] ? c->login : "-";
	const char *kind = engine_kind_name(v->kind);
	const char *vars[20];
	int trip = is_trip(c, v, action);
	int due = 0, fold = 0;
	struct store_event e;
	time_t now = time(NULL);
	char full[400], ts[32];

	snprintf(full, sizeof(full), "%s%s%s", v->reason, detail ? "; " : "",
		 detail ? detail : "");
	if (trip) /* first, so that the events row names the incident */
		guard_trip(c, action, kind, full);
	e.ts = now;
	e.login = c->login[0] ? c->login : NULL;
	e.client_addr = c->client_addr[0] ? c->client_addr : NULL;
	e.queue_id = c->queue_id[0] ? c->queue_id : NULL;
	e.kind = kind;
	e.action = action_name(action);
	e.detail = full;
	if (c->login[0] && v->kind == VERDICT_BLOCKED) {
		fold = 1;
	} else if (c->login[0] && v->kind != VERDICT_STORE &&
		   !(action == ACTION_BLOCK && v->kind == VERDICT_LIMIT) &&
		   c->user.status != USER_WATCH) {
		due = guard_alert_due(c->g, c->login, v, limit_window(c, v),
				      now);
		fold = !due && action_refuses(action) &&
		       (v->kind == VERDICT_LIMIT ||
			v->kind == VERDICT_RCPT_CAP);
	}
	if (fold) /* blocked, or over a limit already reported */
		store_add_event_folded(c->g->store, &e);
	else
		store_add_event(c->g->store, &e);
	metrics_decision(action, v->kind);
	log_msg(LOG_NOTICE,
		"%s: login=%s client=%s action=%s kind=%s "
		"reason=\"%s\"",
		qid, login, c->client_addr[0] ? c->client_addr : "-",
		action_name(action), kind, full);
	if (!c->login[0] || v->kind == VERDICT_STORE)
		return;
	report_vars(c, v, action, qid, ts, sizeof(ts), vars);
	if (action == ACTION_BLOCK && v->kind == VERDICT_LIMIT)
		notify_send(c->g->notify, vars);
	else if (c->user.status == USER_WATCH || due)
		notify_send(c->g->notify, vars);
	if (trip)
		guard_respond(c, v, action, vars, limit_window(c, v));
}

/* seen_first - 1 the first time this process meets domain (remembered) */
static int seen_first(struct guard *g, const char *domain)
{
	unsigned h = 2166136261u, i, n;
	const char *p;
	int first = 0;

	for (p = domain; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	pthread_mutex_lock(&g->seen_lock);
	if (g->seen == NULL)
		g->seen = calloc(GUARD_SEEN_SLOTS, sizeof(*g->seen));
	if (g->seen != NULL && g->nseen >= GUARD_SEEN_SLOTS / 2) {
		memset(g->seen, 0, GUARD_SEEN_SLOTS * sizeof(*g->seen));
		g->nseen = 0; /* forget; the database still knows */
	}
	for (n = 0; g->seen != NULL && n < GUARD_SEEN_SLOTS; n++) {
		i = (h + n) % GUARD_SEEN_SLOTS;
		if (g->seen[i][0] == '\0') {
			snprintf(g->seen[i], sizeof(g->seen[i]), "%.127s",
				 domain);
			g->nseen++;
			first = 1;
			break;
		}
		if (strncmp(g->seen[i], domain, sizeof(g->seen[i]) - 1) == 0)
			break;
	}
	pthread_mutex_unlock(&g->seen_lock);
	return first;
}

/* finding_alert - NotifyCommand for a finding */
static void finding_alert(struct guard_conn *c, const struct check_finding *f,
			  const char *event)
{
	const char *vars[] = {
		"OUTGUARD_EVENT",
		event,
		"OUTGUARD_DOMAIN",
		f->domain,
		"OUTGUARD_RULE",
		f->rule,
		"OUTGUARD_LOGIN",
		c->login,
		"OUTGUARD_ACTION",
		action_name(f->v.action),
		"OUTGUARD_REASON",
		f->v.reason,
		"OUTGUARD_CLIENT",
		c->client_addr,
		"OUTGUARD_QUEUE_ID",
		c->queue_id[0] ? c->queue_id : "NOQUEUE",
		NULL,
	};

	notify_send(c->g->notify, vars);
}

/* guard_finding - seen_domains and alerts for a check's finding */
void guard_finding(struct guard_conn *c, const struct check_finding *f)
{
	struct store *s = c->g->store;

	if (f->domain[0]) {
		if (seen_first(c->g, f->domain) &&
		    store_seen_known(s, f->domain) == 0) {
			log_msg(LOG_NOTICE,
				"%s: new suspicious domain %s "
				"(%s)",
				c->queue_id[0] ? c->queue_id : "NOQUEUE",
				f->domain, f->rule);
			finding_alert(c, f, "new_domain");
		}
		store_add_seen(s, f->domain, f->rule, time(NULL));
	}
	if (f->alert && f->domain[0] == '\0' && c->login[0]) {
		struct verdict key = f->v;

		key.limit_id = -(long)f->v.kind; /* once an hour per kind */
		if (guard_alert_due(c->g, c->login, &key, 3600, time(NULL)))
			finding_alert(c, f, engine_kind_name(f->v.kind));
	}
}
