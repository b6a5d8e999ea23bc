/*
 * NAME
 *	lookalike - is a domain dressed up as a protected one?
 * SYNOPSIS
 *	#include "lookalike.h"
 * DESCRIPTION
 *	A detector holds the protected domains (brands and the site's own
 *	domains) prepared once per policy load; checks are read-only and
 *	safe from many threads.  A domain is a lookalike of a protected
 *	domain P when it is not P or a subdomain of P, and its registrable
 *	domain (Public Suffix List) is:
 *	  - one edit from P's (a changed, added, removed or swapped
 *	    character: wallmart.com, linkedln.com);
 *	  - P's label under another public suffix (linkedin.biz);
 *	  - P's label plus a word or a hyphen (linkedinmail.net,
 *	    linkedin-mail.com, mail-linkedin.com);
 *	  - the same as P after confusable characters are mapped to one
 *	    skeleton (ICU's spoof checker, uspoof_getSkeleton): digits and
 *	    letters (1inkedin, rnicrosoft), and IDN homographs (Cyrillic
 *	    a in paypal, punycode xn-- labels decoded first).
 *	Labels under 4 characters get no edit check, and count as a brand
 *	only as a whole word (dhl-delivery), where more would flag too much.
 */
#ifndef OUTGUARD_LOOKALIKE_H
#define OUTGUARD_LOOKALIKE_H

#include <stddef.h>

struct lookalike;

enum lookalike_kind {
	LOOKALIKE_NONE = 0,
	LOOKALIKE_EDIT,	      /* one edit from the brand */
	LOOKALIKE_OTHER_TLD,  /* the brand under another suffix */
	LOOKALIKE_BRAND_WORD, /* the brand plus a word or hyphen */
	LOOKALIKE_CONFUSABLE, /* same skeleton: 1inkedin, rnicrosoft */
	LOOKALIKE_HOMOGRAPH,  /* same skeleton, with non-ASCII letters */
};

struct lookalike_hit {
	enum lookalike_kind kind;
	char protected_domain[256];
	char reason[200]; /* e.g. "wallmart.com: one edit from walmart.com" */
};

/* lookalike_new - an empty detector; NULL when out of memory */
struct lookalike *lookalike_new(void);

/*
 * lookalike_add - protect a domain (any form; normalised here).
 * Returns 0, or -1 with the reason in err (the domain is skipped).
 */
int lookalike_add(struct lookalike *l, const char *domain, char *err,
		  size_t errlen);

/* lookalike_count - how many domains are protected */
int lookalike_count(const struct lookalike *l);

/*
 * lookalike_check - 1 when domain (any form) is a lookalike of a
 * protected domain, with hit filled; 0 when it is not (including when it
 * is a protected domain or a subdomain of one, or not a domain at all).
 */
int lookalike_check(const struct lookalike *l, const char *domain,
		    struct lookalike_hit *hit);

/* lookalike_kind_name - "edit", "other_tld", "brand_word", ... */
const char *lookalike_kind_name(enum lookalike_kind k);

/* lookalike_free - NULL is fine */
void lookalike_free(struct lookalike *l);

#endif
