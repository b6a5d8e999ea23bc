/*
 * NAME
 *	checks - forged senders, lookalike domains and rules
 * DESCRIPTION
 *	See checks.h.  Every check that fires proposes a finding; keep()
 *	keeps the most severe, the first among equals.  A check whose
 *	action is "accept" in settings is off.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "domain.h"
#include "lookalike.h"
#include "metrics.h"
#include "rules.h"

/* keep - take the proposal when it is more severe than what f holds */
static int keep(struct check_finding *f, enum action a, enum verdict_kind k,
		const char *domain, const char *rule, int alert,
		const char *reason)
{
	if (a == ACTION_ACCEPT && !alert)
		return 0;
	if (f->v.kind != VERDICT_NONE && a <= f->v.action)
		return 0;
	memset(f, 0, sizeof(*f));
	f->v.action = a;
	f->v.kind = k;
	f->alert = alert;
	snprintf(f->v.reason, sizeof(f->v.reason), "%.*s",
		 (int)sizeof(f->v.reason) - 1, reason);
	snprintf(f->domain, sizeof(f->domain), "%s", domain ? domain : "");
	snprintf(f->rule, sizeof(f->rule), "%s", rule);
	return 1;
}

/* rule - run the rules of field on text; propose the most severe hit */
static void rule(const struct policy *p, struct rules_scratch *sc,
		 enum rule_field field, int auth, const char *text,
		 const char *domain, enum verdict_kind kind,
		 struct check_finding *f)
{
	struct rule_hit hit;
	char name[64], reason[200];
	int n;

	if (text == NULL || *text == '\0' ||
	    !ruleset_has_field(p->rules, field))
		return;
	n = ruleset_match(p->rules, sc, field, auth, text, strlen(text), &hit);
	if (n == 0)
		return;
	metrics_rule_hit(field, auth, n);
	snprintf(name, sizeof(name), "rule %ld", hit.id);
	snprintf(reason, sizeof(reason), "%s: %s matches %.100s", name,
		 rules_field_name(field), hit.reason);
	keep(f, hit.action, kind, domain, name, 1, reason);
}

/* propose_lookalike - propose the lookalike finding hit for domain */
static void propose_lookalike(const struct policy *p, int auth,
			      const char *what, const char *domain,
			      const struct lookalike_hit *hit,
			      struct check_finding *f)
{
	char rule_name[64], reason[200];

	metrics_lookalike_hit(hit->kind);
	snprintf(rule_name, sizeof(rule_name), "lookalike %s",
		 lookalike_kind_name(hit->kind));
	snprintf(reason, sizeof(reason), "%s %.150s", what, hit->reason);
	keep(f,
	     auth ? p->checks.lookalike_outbound : p->checks.lookalike_inbound,
	     VERDICT_LOOKALIKE, domain, rule_name, 1, reason);
}

/* lookalike - propose a lookalike finding for domain */
static void lookalike(const struct policy *p, int auth, const char *what,
		      const char *domain, struct check_finding *f)
{
	struct lookalike_hit hit;

	if (domain == NULL || *domain == '\0' ||
	    !lookalike_check(p->lookalike, domain, &hit))
		return;
	propose_lookalike(p, auth, what, domain, &hit, f);
}

/* checks_domain - local, freemail, protected, lookalike */
void checks_domain(const struct policy *p, const char *d,
		   struct checks_domain *out)
{
	const char *t;

	memset(out, 0, sizeof(*out));
	if (d == NULL || *d == '\0')
		return;
	out->local = policy_domains_within(&p->local_domains, d);
	out->freemail = policy_domains_has(&p->freemail_domains, d);
	for (t = d; out->protected_by == NULL && t != NULL && *t;) {
		if (policy_domains_has(&p->protected_domains, t))
			out->protected_by = t;
		else if ((t = strchr(t, '.')) != NULL)
			t++;
	}
	out->lookalike = lookalike_check(p->lookalike, d, &out->hit);
}

/* checks_envelope - sender and connection checks */
int checks_envelope(const struct policy *p, struct rules_scratch *sc,
		    const struct checks_msg *m, struct check_finding *f)
{
	const char *d = m->mail_from_domain;
	struct checks_domain cd;
	char reason[200];

	memset(f, 0, sizeof(*f));
	checks_domain(p, d, &cd);
	if (m->auth && *d && !m->sender_allowed) {
		if (p->local_domains.n > 0 && !cd.local) {
			snprintf(reason, sizeof(reason),
				 "envelope sender %.120s "
				 "is outside the local domains",
				 m->mail_from);
			keep(f, p->checks.foreign_sender, VERDICT_SENDER, NULL,
			     "foreign_sender", 0, reason);
		}
		if (cd.freemail) {
			snprintf(reason, sizeof(reason),
				 "envelope sender %.120s "
				 "is a freemail address",
				 m->mail_from);
			keep(f, p->checks.freemail_sender, VERDICT_SENDER, NULL,
			     "freemail_sender", 0, reason);
		}
	}
	if (cd.lookalike)
		propose_lookalike(p, m->auth, "envelope sender domain", d,
				  &cd.hit, f);
	rule(p, sc, RULE_MAIL_FROM, m->auth, m->mail_from, d, VERDICT_RULE, f);
	rule(p, sc, RULE_MAIL_FROM_DOMAIN, m->auth, d, d, VERDICT_RULE, f);
	rule(p, sc, RULE_HELO, m->auth, m->helo, NULL, VERDICT_RULE, f);
	rule(p, sc, RULE_CLIENT_NAME, m->auth, m->client_name, NULL,
	     VERDICT_RULE, f);
	return f->v.kind != VERDICT_NONE;
}

/* checks_rcpt - the recipient rules: a tripwire */
int checks_rcpt(const struct policy *p, struct rules_scratch *sc, int auth,
		const char *rcpt, const char *rcpt_domain,
		struct check_finding *f)
{
	memset(f, 0, sizeof(*f));
	rule(p, sc, RULE_RCPT, auth, rcpt, NULL, VERDICT_TRIPWIRE, f);
	rule(p, sc, RULE_RCPT_DOMAIN, auth, rcpt_domain, NULL, VERDICT_TRIPWIRE,
	     f);
	return f->v.kind != VERDICT_NONE;
}

/*
 * brand_in - the first protected brand named by a word of text (lower
 * case): runs of letters and digits, and runs that also hold hyphens
 * ("wells-fargo"), each looked up in the sorted brand labels
 */
static const struct policy_brand *brand_in(const struct policy *p,
					   const char *text)
{
	const struct policy_brand *b;
	const char *t = text, *w;
	int hyphens;

	for (hyphens = 0; hyphens < 2; hyphens++) {
		for (t = text; *t;) {
			while (*t && !isalnum((unsigned char)*t))
				t++;
			for (w = t; *t && (isalnum((unsigned char)*t) ||
					   (hyphens && *t == '-'));
			     t++)
				;
			if (t > w && (b = policy_brand_find(p, w, t - w)))
				return b;
		}
	}
	return NULL;
}

/* display_name - the From: display name names a brand it is not from */
static void display_name(const struct policy *p, const struct checks_msg *m,
			 struct check_finding *f)
{
	const struct policy_brand *b;
	char lower[256], reason[200];
	int i;

	if (m->from == NULL || m->from->display[0] == '\0')
		return;
	for (i = 0; m->from->display[i] && i < (int)sizeof(lower) - 1; i++)
		lower[i] = (char)tolower((unsigned char)m->from->display[i]);
	lower[i] = '\0';
	if ((b = brand_in(p, lower)) == NULL ||
	    domain_is_within(m->from_domain, b->domain))
		return;
	snprintf(reason, sizeof(reason),
		 "From: display name names %.60s but "
		 "the address is at %.80s",
		 b->domain, m->from_domain);
	keep(f, p->checks.display_name, VERDICT_DISPLAY_NAME, m->from_domain,
	     "display_name", 0, reason);
}

/* reply_to - a freemail or foreign Reply-To on local mail */
static void reply_to(const struct policy *p, const struct checks_msg *m,
		     struct check_finding *f)
{
	const char *rd = m->reply_to_domain;
	char reason[200];

	if (!*rd || !*m->from_domain || p->local_domains.n == 0 ||
	    !policy_domains_within(&p->local_domains, m->from_domain) ||
	    policy_domains_within(&p->local_domains, rd))
		return;
	snprintf(reason, sizeof(reason),
		 "Reply-To: %.100s is %s while "
		 "From: is local",
		 m->reply_to ? m->reply_to->addr : rd,
		 policy_domains_has(&p->freemail_domains, rd) ? "freemail"
							      : "foreign");
	keep(f, p->checks.reply_to, VERDICT_REPLY_TO, NULL, "reply_to", 1,
	     reason);
}

/* checks_headers - From:, Reply-To: and Subject: */
int checks_headers(const struct policy *p, struct rules_scratch *sc,
		   const struct checks_msg *m, struct check_finding *f)
{
	char reason[200];

	memset(f, 0, sizeof(*f));
	if (m->auth && *m->from_domain && !m->sender_allowed &&
	    policy_domains_has(&p->freemail_domains, m->from_domain)) {
		snprintf(reason, sizeof(reason),
			 "From: %.120s is a freemail "
			 "address",
			 m->from ? m->from->addr : m->from_domain);
		keep(f, p->checks.freemail_sender, VERDICT_SENDER, NULL,
		     "freemail_from", 0, reason);
	}
	if (m->auth)
		reply_to(p, m, f);
	display_name(p, m, f);
	lookalike(p, m->auth, "From: domain", m->from_domain, f);
	lookalike(p, m->auth, "Reply-To: domain", m->reply_to_domain, f);
	rule(p, sc, RULE_FROM, m->auth, m->from_raw, m->from_domain,
	     VERDICT_RULE, f);
	rule(p, sc, RULE_FROM_DOMAIN, m->auth, m->from_domain, m->from_domain,
	     VERDICT_RULE, f);
	rule(p, sc, RULE_REPLY_TO, m->auth, m->reply_to_raw, m->reply_to_domain,
	     VERDICT_RULE, f);
	rule(p, sc, RULE_REPLY_TO_DOMAIN, m->auth, m->reply_to_domain,
	     m->reply_to_domain, VERDICT_RULE, f);
	rule(p, sc, RULE_SUBJECT, m->auth, m->subject, NULL, VERDICT_RULE, f);
	return f->v.kind != VERDICT_NONE;
}
