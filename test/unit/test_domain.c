/*
 * NAME
 *	test_domain - normal form, IDN and registrable part of domains
 * SYNOPSIS
 *	test_domain [datadir]
 * DESCRIPTION
 *	Table-driven: each row is an input and the result wanted.  The
 *	data directory is not used.
 */
#include <string.h>

#include "check.h"
#include "domain.h"

/* test_normalise - domain_normalise rows: input, status, output */
static void test_normalise(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *out;
	} rows[] = {
		{ "LinkedIn.COM.", 0, "linkedin.com" },
		{ "  mail.Example.org \t", 0, "mail.example.org" },
		{ "Bücher.de", 0, "xn--bcher-kva.de" },
		{ "BÜCHER.DE", 0, "xn--bcher-kva.de" },
		{ "münchen.de", 0, "xn--mnchen-3ya.de" },
		{ "XN--MNCHEN-3YA.DE", 0, "xn--mnchen-3ya.de" },
		{ "straße.de", 0, "xn--strae-oqa.de" },
		{ "раypal.com", 0, "xn--ypal-43d9g.com" },
		{ "ｌｉｎｋｅｄｉｎ．com", 0, "linkedin.com" },
		{ "bücher。de", 0, "xn--bcher-kva.de" },
		{ "_dmarc.example.com", 0, "_dmarc.example.com" },
		{ "s1._domainkey.bücher.de", 0,
		  "s1._domainkey.xn--bcher-kva.de" },
		/* libidn2 refuses "--" in places 3-4 of any label; ASCII names
	     * with one are domains, so are these (found by fuzz_addr) */
		{ "r3---sn.bücher.de", 0, "r3---sn.xn--bcher-kva.de" },
		{ "un--a.㜴㜶", 0, "un--a.xn--eple" },
		/* each label on its own: ß stays ß beside such a label */
		{ "ab--c.straße.de", 0, "ab--c.xn--strae-oqa.de" },
		{ "a-b.c_d.example", 0, "a-b.c_d.example" },
		{ "localhost", 0, "localhost" },
		{ "xn--zz.com", -1, "xn--zz.com" },
		{ "xn--a.com", -1, "xn--a.com" },
		{ "xn--bshpal.com", -1,
		  "xn--bshpal.com" }, /* ⑾⒁⑾⑶: (11)(14)... */
		{ "xn--abc-.com", -1,
		  "xn--abc-.com" }, /* punycode of plain ASCII */
		{ "", -1, "" },
		{ ".", -1, "" },
		{ "example..com", -1, "example..com" },
		{ ".example.com", -1, ".example.com" },
		{ "example.com..", -1, "example.com." },
		{ "-bad.example.com", -1, "-bad.example.com" },
		{ "bad-.example.com", -1, "bad-.example.com" },
		{ "a b.example.com", -1, "a b.example.com" },
		{ "user@example.com", -1, "user@example.com" },
		{ "[192.0.2.1]", -1, "[192.0.2.1]" },
		{ "foo!.bücher.de", -1, "foo!.bücher.de" },
		{ "bad\xff.com", -1, "bad\xff.com" },
		{ "a23456789012345678901234567890"
		  "1234567890123456789012345678901234.com",
		  -1, NULL },
	};
	char out[DOMAIN_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = domain_normalise(rows[i].in, out, sizeof(out));

		CHECK_INT(rows[i].in, rc, rows[i].rc);
		if (rows[i].out)
			CHECK_STR(rows[i].in, out, rows[i].out);
	}
}

/* test_limits - lengths at and over the limits, a small out, NULL */
static void test_limits(void)
{
	char name[400], out[DOMAIN_MAX + 1], small[8];

	/* 4 labels of 63 (255 with dots) are too long; 3 of 63 + 61 fit */
	memset(name, 'a', sizeof(name));
	name[63] = name[127] = name[191] = '.';
	name[255] = '\0';
	CHECK_INT("255 characters", domain_normalise(name, out, sizeof(out)),
		  -1);
	name[253] = '\0';
	CHECK_INT("253 characters", domain_normalise(name, out, sizeof(out)),
		  0);
	CHECK_INT("253 characters, out", (long long)strlen(out), 253);
	CHECK_INT("out too small",
		  domain_normalise("example.com", small, sizeof(small)), -1);
	CHECK_STR("out too small, truncated", small, "example");
	CHECK_INT("NULL input", domain_normalise(NULL, out, sizeof(out)), -1);
	CHECK_INT("no out", domain_normalise("example.com", out, 0), -1);
}

/* test_unicode - domain_to_unicode rows */
static void test_unicode(void)
{
	static const struct {
		const char *in, *out;
		int rc;
	} rows[] = {
		{ "xn--bcher-kva.de", "bücher.de", 0 },
		{ "mail.xn--mnchen-3ya.de", "mail.münchen.de", 0 },
		{ "xn--80ak6aa92e.com", "аррӏе.com", 0 },
		{ "linkedin.com", "linkedin.com", 0 },
	};
	char out[4 * DOMAIN_MAX], small[6];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		CHECK_INT(rows[i].in,
			  domain_to_unicode(rows[i].in, out, sizeof(out)),
			  rows[i].rc);
		CHECK_STR(rows[i].in, out, rows[i].out);
	}
	CHECK_INT("to unicode, small",
		  domain_to_unicode("xn--bcher-kva.de", small, sizeof(small)),
		  -1);
	CHECK_STR("to unicode, small, copy", small, "xn--b");
}

/* test_registrable - domain_registrable rows (NULL: none) */
static void test_registrable(void)
{
	static const struct {
		const char *in, *out;
	} rows[] = {
		{ "mail.linkedin.com", "linkedin.com" },
		{ "linkedin.com", "linkedin.com" },
		{ "a.b.example.co.uk", "example.co.uk" },
		{ "example.co.uk", "example.co.uk" },
		{ "x.y.xn--bcher-kva.de", "xn--bcher-kva.de" },
		{ "foo.xn--p1ai", "foo.xn--p1ai" },
		{ "ox.ac.uk", "ox.ac.uk" },
		{ "a.b.c.unknown-tld", "c.unknown-tld" },
		{ "co.uk", NULL },
		{ "com", NULL },
		{ "localhost", NULL },
		{ "", NULL },
	};
	const char *in = "mail.linkedin.com", *got;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		got = domain_registrable(rows[i].in);
		if (rows[i].out == NULL)
			CHECK(got == NULL, rows[i].in);
		else
			CHECK_STR(rows[i].in, got, rows[i].out);
	}
	got = domain_registrable(in);
	CHECK(got == in + 5, "registrable points into its input");
	CHECK(domain_registrable(NULL) == NULL, "registrable NULL");
}

/* test_within - domain_is_within rows */
static void test_within(void)
{
	static const struct {
		const char *d, *parent;
		int want;
	} rows[] = {
		{ "linkedin.com", "linkedin.com", 1 },
		{ "mail.linkedin.com", "linkedin.com", 1 },
		{ "a.b.linkedin.com", "linkedin.com", 1 },
		{ "evillinkedin.com", "linkedin.com", 0 },
		{ "linkedin.com.evil.net", "linkedin.com", 0 },
		{ "com", "linkedin.com", 0 },
		{ "linkedin.com", "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_INT(rows[i].d,
			  domain_is_within(rows[i].d, rows[i].parent),
			  rows[i].want);
}

int main(void)
{
	test_normalise();
	test_limits();
	test_unicode();
	test_registrable();
	test_within();
	return check_done();
}
