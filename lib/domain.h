/*
 * NAME
 *	domain - domain names: normal form, IDN, registrable part
 * SYNOPSIS
 *	#include "domain.h"
 * DESCRIPTION
 *	Domains are compared in one normal form: lower case, no trailing
 *	dot, Unicode labels converted to A-labels (IDNA2008 with UTS#46
 *	mapping, libidn2).  The registrable domain (eTLD+1) comes from the
 *	Public Suffix List compiled into libpsl, so "mail.linkedin.com" is
 *	under "linkedin.com" and "shop.example.co.uk" under
 *	"example.co.uk".
 */
#ifndef OUTGUARD_DOMAIN_H
#define OUTGUARD_DOMAIN_H

#include <stddef.h>

#define DOMAIN_MAX 254

/*
 * domain_normalise - in (UTF-8 or ASCII, any case) to the normal form
 * in out.  Returns 0, or -1 when in is not a usable domain name (out is
 * then the lower-cased input, truncated).
 */
int domain_normalise(const char *in, char *out, size_t outlen);

/*
 * domain_to_unicode - a normal-form domain with its xn-- labels decoded
 * to UTF-8.  Returns 0, or -1 (out is then a copy of ascii).
 */
int domain_to_unicode(const char *ascii, char *out, size_t outlen);

/*
 * domain_registrable - the registrable domain of a normal-form domain:
 * a pointer into d, or NULL when d is itself a public suffix or empty.
 */
const char *domain_registrable(const char *d);

/* domain_is_within - 1 when d is parent or a subdomain of it (normal form) */
int domain_is_within(const char *d, const char *parent);

#endif
