/*
 * NAME
 *	guard_report - replies, events, log lines and alerts of decisions
 * DESCRIPTION
 *	Every decision that is not a plain accept gets an events row and
 *	one log line "QUEUEID: login=... action=... reason=...".  The first
 *	trip of a login in a limit's window, every block, and every
 *	decision about a login on watch also run NotifyCommand.  Reply
 *	texts come from settings so a site can say what its users should
 *	do.
 */
#include <stdio.h>
#include <string.h>

#include "guard_int.h"
#include "log.h"

static const char *const kind_names[] = {
	[VERDICT_NONE] = "none",       [VERDICT_LIMIT] = "limit",
	[VERDICT_RCPT_CAP] = "rcpt_cap", [VERDICT_BLOCKED] = "blocked",
	[VERDICT_STORE] = "store",
};

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

/* alert_due - 1 when this trip of login should raise an alert */
static int alert_due(struct guard *g, const char *login,
		     const struct verdict *v, long window_s, time_t now)
{
	unsigned h = 2166136261u, i;
	struct guard_alert_slot *slot;
	const char *p;
	int due;

	for (p = login; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	i = (h ^ (unsigned)v->limit_id) % GUARD_ALERT_SLOTS;
	slot = &g->alerts[i];
	pthread_mutex_lock(&g->alert_lock);
	due = strcmp(slot->login, login) != 0 ||
	      slot->limit_id != v->limit_id || now >= slot->until;
	if (due) {
		snprintf(slot->login, sizeof(slot->login), "%s", login);
		slot->limit_id = v->limit_id;
		slot->until = now + (window_s > 0 ? window_s : 3600);
	}
	pthread_mutex_unlock(&g->alert_lock);
	return due;
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

/* alert - run NotifyCommand for a decision */
static void alert(struct guard_conn *c, const struct verdict *v,
		  enum action action, const char *qid)
{
	char ts[32];
	const char *vars[] = {
		"OUTGUARD_EVENT", action == ACTION_BLOCK ? "block" : "limit",
		"OUTGUARD_LOGIN", c->login,
		"OUTGUARD_ACTION", action_name(action),
		"OUTGUARD_REASON", v->reason,
		"OUTGUARD_CLIENT", c->client_addr,
		"OUTGUARD_QUEUE_ID", qid,
		"OUTGUARD_CLASS", c->cls ? c->cls->name : "",
		"OUTGUARD_STATUS", engine_user_status_name(c->user.status),
		"OUTGUARD_TIME", ts,
		NULL,
	};

	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
	notify_send(c->g->notify, vars);
}

/* guard_report - events row, log line and maybe an alert */
void guard_report(struct guard_conn *c, const struct verdict *v,
		  enum action action, const char *detail)
{
	const char *qid = c->queue_id[0] ? c->queue_id : "NOQUEUE";
	const char *login = c->login[0] ? c->login : "-";
	const char *kind = kind_names[v->kind];
	struct store_event e;
	time_t now = time(NULL);
	char full[400];

	snprintf(full, sizeof(full), "%s%s%s", v->reason, detail ? "; " : "",
		 detail ? detail : "");
	e.ts = now;
	e.login = c->login[0] ? c->login : NULL;
	e.client_addr = c->client_addr[0] ? c->client_addr : NULL;
	e.queue_id = c->queue_id[0] ? c->queue_id : NULL;
	e.kind = kind;
	e.action = action_name(action);
	e.detail = full;
	store_add_event(c->g->store, &e);
	log_msg(LOG_NOTICE, "%s: login=%s client=%s action=%s kind=%s "
		"reason=\"%s\"", qid, login,
		c->client_addr[0] ? c->client_addr : "-", action_name(action),
		kind, full);
	if (!c->login[0] || v->kind == VERDICT_STORE)
		return;
	if (action == ACTION_BLOCK && v->kind == VERDICT_LIMIT)
		alert(c, v, action, qid);
	else if (c->user.status == USER_WATCH ||
		 (v->kind != VERDICT_BLOCKED &&
		  alert_due(c->g, c->login, v, limit_window(c, v), now)))
		alert(c, v, action, qid);
}
