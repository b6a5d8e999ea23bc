/*
 * NAME
 *	webmail - who really sent mail that a webmail host submitted
 * SYNOPSIS
 *	#include "webmail.h"
 * DESCRIPTION
 *	Webmail that submits without SMTP AUTH (or with one account for
 *	all its users) names the real user in a header it adds, e.g.
 *	SquirrelMail's "Received: from 203.0.113.7 (SquirrelMail
 *	authenticated user alice) by webmail...".  A webmail_sources row
 *	(network, header, pattern, ip_header) says: for mail from a client
 *	in network, the login is what pattern captures in header (the group
 *	"login", else group 1, else the match), and the originating client
 *	is the first IP address in ip_header (in the header that named the
 *	login, when ip_header and header are the same).  The sources are compiled
 *	once per policy load and read-only afterwards.
 *
 *	Only the first WEBMAIL_MAX_SOURCES rows are used.  For each header
 *	only its first match counts: the first header that yields a login
 *	wins, so a user cannot add a second one to the body of the headers.
 */
#ifndef OUTGUARD_WEBMAIL_H
#define OUTGUARD_WEBMAIL_H

#include <stddef.h>

#define WEBMAIL_MAX_SOURCES 32

struct webmail;

/* What the headers of one message said. */
struct webmail_id {
	char login[256]; /* "" until a header named one */
	char ip[64];	 /* the originating client, "" if none */
};

/* webmail_new - no sources yet; NULL when out of memory */
struct webmail *webmail_new(void);

/*
 * webmail_add - one webmail_sources row (ip_header may be NULL or "").
 * 0, or -1 with the cause in err (the row is then not added).
 */
int webmail_add(struct webmail *w, const char *network, const char *header,
		const char *pattern, const char *ip_header, char *err,
		size_t errlen);

/* webmail_count - how many sources there are */
int webmail_count(const struct webmail *w);

/*
 * webmail_match - the sources whose network holds client address addr,
 * as a bit set (bit i: source i); 0 when none
 */
unsigned webmail_match(const struct webmail *w, const char *addr);

/*
 * webmail_header - look at one header of a message from the sources in
 * set, filling id's login and ip when still empty
 */
void webmail_header(const struct webmail *w, unsigned set, const char *name,
		    const char *value, struct webmail_id *id);

/*
 * webmail_ip - the first IPv4 or IPv6 address in text ("[203.0.113.7]",
 * "from 2001:db8::1 (...)", "[IPv6:2001:db8::1]") into out; 1, or 0
 */
int webmail_ip(const char *text, char *out, size_t outlen);

/* webmail_free - release; NULL is fine */
void webmail_free(struct webmail *w);

#endif
