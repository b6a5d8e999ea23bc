/*
 * NAME
 *	addr - envelope addresses and logins from the MTA
 * SYNOPSIS
 *	#include "addr.h"
 * DESCRIPTION
 *	Normalises what the MTA hands over: envelope addresses with or
 *	without <> (Postfix's non_smtpd_milters omits them), logins to
 *	lower case.  Output is always NUL-terminated and bounded; input of
 *	any length or content gives a defined result.
 */
#ifndef OUTGUARD_ADDR_H
#define OUTGUARD_ADDR_H

#include <stddef.h>

/*
 * addr_envelope - in without surrounding space and <>, domain part in
 * lower case, into out.  Returns 0, or -1 when it did not fit (out then
 * holds a truncated copy).  "<>" gives "".
 */
int addr_envelope(const char *in, char *out, size_t outlen);

/* addr_domain - the domain part of an address (after the last @), or "" */
const char *addr_domain(const char *addr);

/*
 * addr_login - a SASL login in lower case, trimmed.  Returns 0, or -1
 * when it is empty or does not fit (out is then "").
 */
int addr_login(const char *in, char *out, size_t outlen);

#endif
