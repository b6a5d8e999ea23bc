/*
 * NAME
 *	addr - normalise envelope addresses and logins
 * DESCRIPTION
 *	See addr.h.  Only ASCII letters are folded: SMTPUTF8 local parts
 *	and logins keep their bytes.
 */
#include <ctype.h>
#include <string.h>

#include "addr.h"

/* addr_envelope - strip <> and space, fold the domain */
int addr_envelope(const char *in, char *out, size_t outlen)
{
	const char *b = in ? in : "", *e;
	size_t n;
	char *at;
	int rc = 0;

	if (outlen == 0)
		return -1;
	while (isspace((unsigned char)*b))
		b++;
	e = b + strlen(b);
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	if (e > b && *b == '<') {
		b++;
		if (e > b && e[-1] == '>')
			e--;
	}
	n = (size_t)(e - b);
	if (n >= outlen) {
		n = outlen - 1;
		rc = -1;
	}
	memcpy(out, b, n);
	out[n] = '\0';
	if ((at = strrchr(out, '@')) != NULL)
		for (; *at; at++)
			*at = (char)tolower((unsigned char)*at);
	return rc;
}

/* addr_domain - the part after the last @ */
const char *addr_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	return at ? at + 1 : "";
}

/* addr_login - lower-cased, trimmed login */
int addr_login(const char *in, char *out, size_t outlen)
{
	const char *b = in ? in : "", *e;
	size_t n, i;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	while (isspace((unsigned char)*b))
		b++;
	e = b + strlen(b);
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - b);
	if (n == 0 || n >= outlen)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)b[i]);
	out[n] = '\0';
	return 0;
}
