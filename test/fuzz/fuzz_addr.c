/*
 * NAME
 *	fuzz_addr - envelope addresses, logins and domain names
 * DESCRIPTION
 *	The input is what the MTA hands over for MAIL FROM, RCPT TO or
 *	{auth_authen}, any bytes up to the first NUL.  addr_envelope(),
 *	addr_login() and addr_domain() run with output buffers from 1 byte
 *	up, and domain_normalise() on the whole input and on the domain
 *	part, as guard.c calls them.  Properties: outputs are terminated
 *	within their size; a login is trimmed and has no upper-case ASCII;
 *	a normal-form domain is 1..253 bytes of lower-case labels of
 *	letters, digits, "-" and "_" (1..63 each, no "-" at either end)
 *	and is a fixed point: normalising it again gives it back, and so
 *	does normalising its Unicode form; its registrable domain is a
 *	suffix of it that it is within.
 */
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "domain.h"
#include "fuzz.h"

/* check_normal_form - the shape of a domain in normal form */
static void check_normal_form(const char *d)
{
	size_t n = strlen(d), label = 0;
	const char *s;

	FUZZ_CHECK(n >= 1 && n <= DOMAIN_MAX - 1, "length %zu: \"%s\"", n, d);
	for (s = d;; s++) {
		if (*s == '.' || *s == '\0') {
			FUZZ_CHECK(label >= 1 && label <= 63 && s[-1] != '-' &&
					   s[-(long)label] != '-',
				   "label of \"%s\"", d);
			if (*s == '\0')
				break;
			label = 0;
			continue;
		}
		FUZZ_CHECK((*s >= 'a' && *s <= 'z') ||
				   (*s >= '0' && *s <= '9') || *s == '-' ||
				   *s == '_',
			   "byte 0x%02x in \"%s\"", (unsigned char)*s, d);
		label++;
	}
}

/* check_domain - normalise in, and check what comes out */
static void check_domain(const char *in)
{
	char d[DOMAIN_MAX + 2], again[DOMAIN_MAX + 2], uni[4 * DOMAIN_MAX];
	char small[8];
	const char *reg;

	memset(small, 'x', sizeof(small));
	domain_normalise(in, small, 7);
	FUZZ_CHECK(fuzz_bounded(small, 7) && small[7] == 'x', "outlen 7");
	if (domain_normalise(in, d, sizeof(d)) < 0) {
		FUZZ_CHECK(fuzz_bounded(d, sizeof(d)), "failed output");
		return;
	}
	check_normal_form(d);
	FUZZ_CHECK(domain_normalise(d, again, sizeof(again)) == 0 &&
			   strcmp(d, again) == 0,
		   "\"%s\" normalises to \"%s\"", d, again);
	if (domain_to_unicode(d, uni, sizeof(uni)) == 0)
		FUZZ_CHECK(domain_normalise(uni, again, sizeof(again)) == 0 &&
				   strcmp(d, again) == 0,
			   "\"%s\" -> \"%s\" -> \"%s\"", d, uni, again);
	if ((reg = domain_registrable(d)) != NULL)
		FUZZ_CHECK(reg >= d && reg < d + strlen(d) &&
				   domain_is_within(d, reg),
			   "registrable \"%s\" of \"%s\"", reg, d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t outlens[] = { 1, 2, 16, 256, 512 };
	char out[600], login[600];
	struct fuzz_lines l;
	const char *dom, *s;
	size_t i, n;
	int rc;

	fuzz_init();
	if (fuzz_lines_init(&l, data, size) < 0)
		return 0;
	for (i = 0; i < sizeof(outlens) / sizeof(outlens[0]); i++) {
		n = outlens[i];
		memset(out, 'x', sizeof(out));
		rc = addr_envelope(l.buf, out, n);
		FUZZ_CHECK(fuzz_bounded(out, n) && out[n] == 'x', "envelope");
		FUZZ_CHECK(rc == 0 || strlen(out) == n - 1, "rc %d", rc);
		dom = addr_domain(out);
		FUZZ_CHECK(!*dom || (dom > out && dom <= out + strlen(out)),
			   "domain");
		memset(login, 'x', sizeof(login));
		if (addr_login(l.buf, login, n) == 0) {
			FUZZ_CHECK(
				login[0] && !isspace((unsigned char)login[0]) &&
					!isspace((unsigned char)
							 login[strlen(login) -
							       1]),
				"login \"%s\" not trimmed", login);
			for (s = login; *s; s++)
				FUZZ_CHECK(*s < 'A' || *s > 'Z', "login \"%s\"",
					   login);
		}
		FUZZ_CHECK(fuzz_bounded(login, n) && login[n] == 'x', "login");
	}
	addr_envelope(l.buf, out, 512); /* as guard_mail() does */
	check_domain(addr_domain(out));
	check_domain(l.buf);
	fuzz_lines_free(&l);
	return 0;
}
