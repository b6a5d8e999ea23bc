/*
 * NAME
 *	checks - forged senders, lookalike domains and rules
 * SYNOPSIS
 *	#include "checks.h"
 * DESCRIPTION
 *	Like the engine, a pure function of the policy snapshot and what is
 *	known of the message; no I/O.  Three moments:
 *	  checks_envelope  after MAIL: on authenticated mail a sender
 *			   outside local_domains and user_senders, a
 *			   freemail sender; for all mail a lookalike sender
 *			   domain and the rules on mail_from,
 *			   mail_from_domain, helo and client_name;
 *	  checks_rcpt	   each recipient: the rules on rcpt and rcpt_domain
 *			   (a phishing reply address is a tripwire);
 *	  checks_headers   end-of-message: a freemail From:, a freemail or
 *			   foreign Reply-To: while From: is local, a display
 *			   name naming a protected brand, lookalike From:
 *			   and Reply-To: domains, and the rules on from,
 *			   from_domain, reply_to, reply_to_domain, subject.
 *	Each returns the most severe finding.  checks_domain() states what
 *	the sender checks make of one domain, for them and for outguardctl
 *	rules test.
 */
#ifndef OUTGUARD_CHECKS_H
#define OUTGUARD_CHECKS_H

#include "engine.h"
#include "lookalike.h"
#include "mailaddr.h"
#include "policy.h"

/* What the sender checks make of one domain (normal form). */
struct checks_domain {
	int local;		  /* local_domains holds it or a parent */
	int freemail;		  /* freemail_domains holds it */
	const char *protected_by; /* it or the parent that is protected */
	int lookalike;		  /* 1: hit says what it imitates */
	struct lookalike_hit hit;
};

struct rules_scratch;

/*
 * checks_domain - the sender checks on domain d; all 0 for NULL or "".
 * out->protected_by points into d.
 */
void checks_domain(const struct policy *p, const char *d,
		   struct checks_domain *out);

/* What is known of the message; strings are never NULL ("" if unknown). */
struct checks_msg {
	int auth;		      /* an authenticated login sends it */
	const char *mail_from;	      /* envelope sender, no <>; "" for <> */
	const char *mail_from_domain; /* its domain, normal form */
	int sender_allowed;	      /* user_senders lists it for the login */
	const char *helo, *client_name;
	const char *from_raw;	     /* From: as it came, "" if none */
	const struct mailaddr *from; /* its first address, or NULL */
	const char *from_domain;     /* normal form */
	const char *reply_to_raw;
	const struct mailaddr *reply_to;
	const char *reply_to_domain;
	const char *subject; /* decoded */
};

struct check_finding {
	struct verdict v; /* action, kind, reason */
	char domain[256]; /* the suspicious domain, for seen_domains */
	char rule[64];	  /* "rule 12", "lookalike edit", ... */
	int alert;	  /* alert even when the action only marks */
};

/* checks_envelope - the envelope's findings; 1 when something was found */
int checks_envelope(const struct policy *p, struct rules_scratch *sc,
		    const struct checks_msg *m, struct check_finding *f);

/* checks_rcpt - one recipient's findings; 1 when something was found */
int checks_rcpt(const struct policy *p, struct rules_scratch *sc, int auth,
		const char *rcpt, const char *rcpt_domain,
		struct check_finding *f);

/* checks_headers - the headers' findings; 1 when something was found */
int checks_headers(const struct policy *p, struct rules_scratch *sc,
		   const struct checks_msg *m, struct check_finding *f);

#endif
