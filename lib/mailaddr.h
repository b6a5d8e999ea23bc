/*
 * NAME
 *	mailaddr - addresses in header fields (From:, Reply-To:)
 * SYNOPSIS
 *	#include "mailaddr.h"
 * DESCRIPTION
 *	Parses an RFC 5322 address list as it arrives in a header value:
 *	display names (quoted strings, RFC 2047 encoded-words decoded to
 *	UTF-8), angle addresses, comments, quoted local parts, groups
 *	("undisclosed-recipients:;"), obsolete forms, and the junk real
 *	mail contains.  Input is untrusted: any bytes, any length, any
 *	nesting give a defined result within fixed bounds; nothing is
 *	allocated.
 */
#ifndef OUTGUARD_MAILADDR_H
#define OUTGUARD_MAILADDR_H

#include <stddef.h>

#define MAILADDR_INPUT_MAX 65536 /* bytes of a value looked at */
#define MAILADDR_MAX	   32	 /* addresses returned at most */

struct mailaddr {
	char display[256]; /* display name, UTF-8, "" if none */
	char addr[320];	   /* local@domain without <>, "" if none */
	char domain[256];  /* the domain part, lower-cased, "" if none */
};

/*
 * mailaddr_parse - the addresses of a header value, at most max (and at
 * most MAILADDR_MAX); returns how many were stored.  Fields that do not
 * fit are truncated; an entry whose address did not parse has addr "".
 */
int mailaddr_parse(const char *value, struct mailaddr *out, int max);

/*
 * mailaddr_first - the first entry of a header value that has an address
 * ("Doe, John <j@x>" is two entries, the first without one) into out;
 * 1, or 0 when none has
 */
int mailaddr_first(const char *value, struct mailaddr *out);

/*
 * mailaddr_decode_words - copy text into out (outlen bytes, always
 * NUL-terminated), decoding RFC 2047 encoded-words (B and Q) to UTF-8;
 * undecodable words are kept as they are.  Returns the length written.
 */
size_t mailaddr_decode_words(const char *text, char *out, size_t outlen);

#endif
