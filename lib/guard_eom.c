/*
 * NAME
 *	guard_eom - a message's end: header checks and the final decision
 * DESCRIPTION
 *	See guard.h.  At end-of-message guard re-reads the login's status
 *	(a block made during DATA still applies), decides what RCPT could
 *	not for mail decided here (Postfix's non_smtpd_milters, and
 *	webmail, whose login is in a header), runs the From:, Reply-To:
 *	and Subject: checks, applies the header or quarantine stage and
 *	counts the message.
 *
 *	Deferred mail with a login is counted with its Message-Id; a
 *	message whose Message-Id was counted for that login before (one
 *	filtered again after a tempfail further down the line) is not
 *	counted twice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "guard_int.h"
#include "mailaddr.h"

/* header_checks - the checks of From:, Reply-To: and Subject: */
static int header_checks(struct guard_conn *c, struct check_finding *f)
{
	struct mailaddr from, reply_to;
	char from_domain[256] = "", reply_to_domain[256] = "";
	struct checks_msg m;

	guard_msg_facts(c, &m);
	m.from_raw = c->from_raw;
	m.reply_to_raw = c->reply_to_raw;
	m.subject = c->subject;
	if (mailaddr_first(c->from_raw, &from)) {
		m.from = &from;
		domain_normalise(from.domain, from_domain, sizeof(from_domain));
	}
	if (mailaddr_first(c->reply_to_raw, &reply_to)) {
		m.reply_to = &reply_to;
		domain_normalise(reply_to.domain, reply_to_domain,
				 sizeof(reply_to_domain));
	}
	m.from_domain = from_domain;
	m.reply_to_domain = reply_to_domain;
	return checks_headers(c->pol, c->scratch, &m, f);
}

/* eom_refuse - the whole message is refused at end-of-message */
static void eom_refuse(struct guard_conn *c, const struct verdict *v,
		       struct guard_eom *out)
{
	out->action = v->action == ACTION_REJECT ? ACTION_REJECT
						 : ACTION_TEMPFAIL;
	guard_reply_for(c->pol, v, v->action, &out->reply);
	guard_count_refusal(c, v,
			    c->rcpts_ok + c->rcpts_deferred > 0
				    ? c->rcpts_ok + c->rcpts_deferred
				    : 1);
	guard_report(c, v, v->action, "message refused at end-of-data");
}

/*
 * eom_stage - apply the header or quarantine stage; the report comes
 * first, so that the quarantine row names the incident it opens
 */
static void eom_stage(struct guard_conn *c, struct guard_eom *out)
{
	const char *name;
	struct store_quarantine q;

	if (c->stage.action != ACTION_ACCEPT)
		guard_report(c, &c->stage, c->stage.action, NULL);
	out->action = c->stage.action;
	if (c->stage.action == ACTION_HEADER) {
		name = policy_setting(c->pol, "header_name", "X-Outguard");
		out->add_header = 1;
		snprintf(out->header_name, sizeof(out->header_name), "%s",
			 name);
		snprintf(out->header_value, sizeof(out->header_value),
			 "%.130s%s%.60s", c->stage.reason,
			 c->login[0] ? " login=" : "", c->login);
	} else if (c->stage.action == ACTION_QUARANTINE) {
		out->quarantine = 1;
		snprintf(out->quarantine_reason, sizeof(out->quarantine_reason),
			 "outguard: %s", c->stage.reason);
		q.ts = time(NULL);
		q.queue_id = c->queue_id;
		q.login = c->login;
		q.mail_from = c->mail_from;
		q.rcpts = c->rcpts;
		q.subject = c->subject;
		q.reason = c->stage.reason;
		store_add_quarantine(c->g->store, &q);
	}
}

/*
 * webmail_identify - a webmail source's message: the login its header
 * named (else the SMTP login, if any) and the originating client; then
 * the user, its counts and the envelope checks, as guard_mail does for
 * SMTP.  A Message-Id counted before is not counted again.
 */
static void webmail_identify(struct guard_conn *c)
{
	int rc;

	if (c->wid.login[0])
		snprintf(c->login, sizeof(c->login), "%s", c->wid.login);
	if (c->wid.ip[0])
		snprintf(c->origin, sizeof(c->origin), "%s", c->wid.ip);
	if (c->login[0]) {
		if (c->message_id[0]) {
			rc = store_message_counted(c->g->store, c->login,
						   c->message_id);
			c->counted_before = rc == 1;
			if (rc < 0)
				c->store_failed = 1;
		}
		guard_lookup_user(c, time(NULL), 0);
	}
	guard_envelope_checks(c);
}

/*
 * eom_deferred - what RCPT would have decided for mail decided at
 * end-of-message: recipient rules, the envelope checks and the limits
 * for all its recipients at once.  1 when the message is refused (out
 * is set and the message ended).
 */
static int eom_deferred(struct guard_conn *c, struct guard_eom *out)
{
	struct verdict v;

	if (c->webmail)
		webmail_identify(c);
	if (action_refuses(c->rcpt_hit.v.action)) {
		guard_tripwire(c, &c->rcpt_hit);
		eom_refuse(c, &c->rcpt_hit.v, out);
		return 1;
	}
	if (action_refuses(c->env.v.action)) {
		guard_finding(c, &c->env);
		eom_refuse(c, &c->env.v, out);
		return 1;
	}
	if (!c->login[0] || c->counted_before || c->rcpts_deferred == 0)
		return 0;
	if (!guard_store_verdict(c, &v)) {
		store_login_lock(c->g->store, c->login);
		guard_limits_decide(c, c->rcpts_deferred, &v);
		store_login_unlock(c->g->store, c->login);
	}
	if (v.kind == VERDICT_RCPT_CAP && action_refuses(v.action))
		v.action = ACTION_REJECT; /* retrying cannot help it */
	if (action_refuses(v.action)) {
		guard_block_login(c, &v);
		eom_refuse(c, &v, out);
		return 1;
	}
	if (v.kind == VERDICT_STORE)
		guard_report(c, &v, ACTION_ACCEPT, NULL);
	if (v.action > c->stage.action)
		c->stage = v;
	return 0;
}

/*
 * eom_contacts - the limits with the message's recipients new to the
 * login (new_rcpt): a stage applies to the message; a refusing verdict
 * holds it instead (it was accepted at RCPT, and refusing after DATA
 * stalls Postfix), a block also blocks the login; its later messages
 * are refused at RCPT
 */
static void eom_contacts(struct guard_conn *c)
{
	long n = c->rcpts_ok > 0		  ? c->rcpts_ok
		 : c->defer && !c->counted_before ? c->rcpts_deferred
						  : 0;
	struct verdict v;

	if (!guard_contacts_count(c, n))
		return;
	store_login_lock(c->g->store, c->login);
	guard_limits_decide(c, n, &v);
	store_login_unlock(c->g->store, c->login);
	if (v.action <= c->stage.action)
		return;
	if (action_refuses(v.action)) {
		guard_block_login(c, &v);
		v.action = ACTION_QUARANTINE;
	}
	if (v.action > c->stage.action)
		c->stage = v;
}

/* eom_record - count the accepted or held message */
static void eom_record(struct guard_conn *c)
{
	time_t now = time(NULL);

	if (!c->login[0])
		return;
	if (c->rcpts_ok > 0) {
		store_add_message_new(c->g->store, c->login, now,
				      (int)c->rcpts_ok, c->client_addr,
				      c->queue_id, NULL, 1, (int)c->rcpts_ok,
				      c->msg_new_rcpt);
		guard_peaks_record(c, c->rcpts_ok, now);
		guard_contacts_record(c, now);
		c->done = 1;
	} else if (c->defer && c->rcpts_deferred > 0 && !c->counted_before) {
		store_add_message_new(c->g->store, c->login, now,
				      (int)c->rcpts_deferred, c->origin,
				      c->queue_id,
				      c->message_id[0] ? c->message_id : NULL,
				      0, 0, c->msg_new_rcpt);
		guard_peaks_record(c, c->rcpts_deferred, now);
		guard_contacts_record(c, now);
		if (c->webmail) /* the origin's network, once a message */
			store_add_session(c->g->store, c->login, now, c->origin,
					  c->network[0] ? c->network : NULL);
	}
}

/* guard_eom - the message's final decision */
void guard_eom(struct guard_conn *c, const char *queue_id,
	       struct guard_eom *out)
{
	struct store_user now_user;
	struct check_finding f;
	struct verdict v;

	memset(out, 0, sizeof(*out));
	if (!c->in_msg)
		return;
	if (queue_id && *queue_id)
		snprintf(c->queue_id, sizeof(c->queue_id), "%s", queue_id);
	/* a block made while the message was in DATA still applies */
	if (c->login[0] && c->rcpts_ok > 0 &&
	    store_user_get(c->g->store, c->login, &now_user) == 0 &&
	    now_user.status == USER_BLOCKED) {
		memset(&v, 0, sizeof(v));
		v.action = ACTION_TEMPFAIL;
		v.kind = VERDICT_BLOCKED;
		snprintf(v.reason, sizeof(v.reason), "login is blocked");
		eom_refuse(c, &v, out);
		guard_msg_end(c);
		return;
	}
	if (c->defer && eom_deferred(c, out)) {
		guard_msg_end(c);
		return;
	}
	if (header_checks(c, &f)) {
		guard_finding(c, &f);
		if (action_refuses(f.v.action)) {
			eom_refuse(c, &f.v, out);
			guard_msg_end(c);
			return;
		}
		if (f.v.action > c->stage.action)
			c->stage = f.v;
	}
	eom_contacts(c);
	eom_stage(c, out);
	eom_record(c);
	guard_msg_end(c);
}
