/*
 * NAME
 *	test_mailaddr - header address lists and RFC 2047, table-driven
 * DESCRIPTION
 *	Each row is a header value and the (display, addr, domain) of
 *	every address it must give.  Then hostile values (unbalanced
 *	delimiters, huge and deeply nested input, 8-bit bytes) must give
 *	a defined count, NUL-terminated fields and no sanitizer report,
 *	in time linear in their size; and encoded-words decode as
 *	RFC 2047 says, or are left alone.
 */
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "mailaddr.h"

struct want {
	const char *display, *addr, *domain;
};

struct row {
	const char *value;
	int count;
	struct want want[4];
};

/* clang-format off */
static const struct row rows[] = {
	/* the ordinary forms */
	{ "John Doe <john@example.com>", 1,
	  { { "John Doe", "john@example.com", "example.com" } } },
	{ "<john@example.com>", 1,
	  { { "", "john@example.com", "example.com" } } },
	{ "john@example.com", 1,
	  { { "", "john@example.com", "example.com" } } },
	{ "  john@example.com  ", 1,
	  { { "", "john@example.com", "example.com" } } },
	{ "john@example.com (John Doe)", 1,
	  { { "John Doe", "john@example.com", "example.com" } } },
	{ "(John Doe) john@example.com", 1,
	  { { "John Doe", "john@example.com", "example.com" } } },
	{ "\"Doe, John\" <john@example.com>", 1,
	  { { "Doe, John", "john@example.com", "example.com" } } },
	{ "\"John \\\"JD\\\" Doe\" <jd@example.com>", 1,
	  { { "John \"JD\" Doe", "jd@example.com", "example.com" } } },
	{ "John Doe <John.Doe@Example.COM>", 1,
	  { { "John Doe", "John.Doe@Example.COM", "example.com" } } },
	{ "a@example.com.", 1, { { "", "a@example.com.", "example.com" } } },
	{ "\"john doe\"@example.com", 1,
	  { { "", "\"john doe\"@example.com", "example.com" } } },
	{ "Jane <\"jane q\"@example.org>", 1,
	  { { "Jane", "\"jane q\"@example.org", "example.org" } } },
	{ "<\"a@b\"@example.org>", 1,
	  { { "", "\"a@b\"@example.org", "example.org" } } },
	{ "root@[192.0.2.1]", 1, { { "", "root@[192.0.2.1]", "192.0.2.1" } } },
	{ "Op <op@[IPv6:2001:DB8::1]>", 1,
	  { { "Op", "op@[IPv6:2001:DB8::1]", "IPv6:2001:DB8::1" } } },
	/* lists */
	{ "a@x.example, b@y.example", 2,
	  { { "", "a@x.example", "x.example" },
	    { "", "b@y.example", "y.example" } } },
	{ "\"Smith, J\" <j@x.example>, \"Doe, A\" <a@y.example>", 2,
	  { { "Smith, J", "j@x.example", "x.example" },
	    { "Doe, A", "a@y.example", "y.example" } } },
	{ "a@x.example (one, two), B <b@y.example>", 2,
	  { { "one, two", "a@x.example", "x.example" },
	    { "B", "b@y.example", "y.example" } } },
	{ "a@x.example,,, ,b@y.example,", 2,
	  { { "", "a@x.example", "x.example" },
	    { "", "b@y.example", "y.example" } } },
	{ "a@x.example; b@y.example", 2,
	  { { "", "a@x.example", "x.example" },
	    { "", "b@y.example", "y.example" } } },
	/* groups */
	{ "Team: a@x.example, B <b@y.example>;", 2,
	  { { "", "a@x.example", "x.example" },
	    { "B", "b@y.example", "y.example" } } },
	{ "undisclosed-recipients:;", 0, { { 0 } } },
	{ "undisclosed-recipients: ;, c@z.example", 1,
	  { { "", "c@z.example", "z.example" } } },
	{ "A: a@x.example;, B: ; c@z.example", 2,
	  { { "", "a@x.example", "x.example" },
	    { "", "c@z.example", "z.example" } } },
	{ "Team: a@x.example", 1, { { "", "a@x.example", "x.example" } } },
	/* comments and folding */
	{ "John (the man) Doe <john@example.com>", 1,
	  { { "John Doe", "john@example.com", "example.com" } } },
	{ "john@example.com (a (b) c)", 1,
	  { { "a (b) c", "john@example.com", "example.com" } } },
	{ "(x\\)y) <john(c)@(d)example.com(e)>", 1,
	  { { "x)y", "john@example.com", "example.com" } } },
	{ "John\r\n Doe\r\n\t<john@\r\n example.com>", 1,
	  { { "John Doe", "john@example.com", "example.com" } } },
	{ "john . doe @ example . com", 1,
	  { { "", "john.doe@example.com", "example.com" } } },
	{ "\"  spaced   out  \" <s@example.com>", 1,
	  { { "spaced out", "s@example.com", "example.com" } } },
	/* obsolete and odd forms */
	{ "<@relay.example,@r2.example:user@example.com>", 1,
	  { { "", "user@example.com", "example.com" } } },
	{ "Joe <@relay.example:joe@example.com>", 1,
	  { { "Joe", "joe@example.com", "example.com" } } },
	{ "<mailto:m@example.com>", 1,
	  { { "", "m@example.com", "example.com" } } },
	{ "John Doe john@example.com", 1,
	  { { "John Doe", "john@example.com", "example.com" } } },
	{ "[EXT] Bob <bob@example.com>", 1,
	  { { "[EXT] Bob", "bob@example.com", "example.com" } } },
	{ "a@b@Example.com", 1, { { "", "a@b@Example.com", "example.com" } } },
	{ "Doe, John <john@example.com>", 2,
	  { { "Doe", "", "" },
	    { "John", "john@example.com", "example.com" } } },
	{ "x@\"evil\".com", 1, { { "x@evil.com", "", "" } } },
	{ "x@[192.0.2.1].evil.test", 1,
	  { { "x@[192.0.2.1].evil.test", "", "" } } },
	{ "<x@evil[192.0.2.1]>", 1,
	  { { "", "x@evil[192.0.2.1]", "evil[192.0.2.1]" } } },
	{ "Name <a@example.com> (note)", 1,
	  { { "Name", "a@example.com", "example.com" } } },
	{ "<a@example.com> (=?iso-8859-1?q?Ren=E9?=)", 1,
	  { { "Ren\xc3\xa9", "a@example.com", "example.com" } } },
	/* display names that look like addresses */
	{ "\"paypal.com\" <x@evil.test>", 1,
	  { { "paypal.com", "x@evil.test", "evil.test" } } },
	{ "\"service@paypal.com\" <x@evil.test>", 1,
	  { { "service@paypal.com", "x@evil.test", "evil.test" } } },
	{ "service@paypal.com <x@evil.test>", 1,
	  { { "service@paypal.com", "x@evil.test", "evil.test" } } },
	{ "\"PayPal <service@paypal.com>\" <x@evil.test>", 1,
	  { { "PayPal <service@paypal.com>", "x@evil.test", "evil.test" } } },
	/* encoded-words */
	{ "=?UTF-8?B?Sm9zw6k=?= <jose@example.com>", 1,
	  { { "Jos\xc3\xa9", "jose@example.com", "example.com" } } },
	{ "=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>", 1,
	  { { "Andr\xc3\xa9 Pirard", "PIRARD@vm1.ulg.ac.be",
	      "vm1.ulg.ac.be" } } },
	{ "=?utf-8?q?Pay?= =?utf-8?q?Pal?= <x@evil.test>", 1,
	  { { "PayPal", "x@evil.test", "evil.test" } } },
	{ "\"=?utf-8?q?Pay_Pal?=\" <x@evil.test>", 1,
	  { { "Pay Pal", "x@evil.test", "evil.test" } } },
	{ "x@evil.test (=?utf-8?q?PayPal?=)", 1,
	  { { "PayPal", "x@evil.test", "evil.test" } } },
	/* no usable address: display only */
	{ "John Smith", 1, { { "John Smith", "", "" } } },
	{ "Name <a@x.example, b@y.example>", 1, { { "Name", "", "" } } },
	{ "Two <a@x.example> <b@y.example>", 1, { { "Two", "", "" } } },
	{ "<root>", 1, { { "", "root", "" } } },
	{ "Name <>", 1, { { "Name", "", "" } } },
	/* unbalanced */
	{ "\"open quote <a@x.example>", 1,
	  { { "open quote <a@x.example>", "", "" } } },
	{ "Name <a@x.example", 1, { { "Name", "a@x.example", "x.example" } } },
	{ "Name a@x.example>", 1, { { "Name", "a@x.example", "x.example" } } },
	{ "Name (open <a@x.example>", 1, { { "Name", "", "" } } },
	{ "a@x.example) , b@y.example", 2,
	  { { "", "a@x.example", "x.example" },
	    { "", "b@y.example", "y.example" } } },
	{ "a@[192.0.2.1, b@y.example", 1,
	  { { "a@[192.0.2.1, b@y.example", "", "" } } },
	{ "Name <a@x.example> trailing, b@y.example", 2,
	  { { "Name", "a@x.example", "x.example" },
	    { "", "b@y.example", "y.example" } } },
	/* empty */
	{ "", 0, { { 0 } } },
	{ " \t\r\n ", 0, { { 0 } } },
	{ "<>", 0, { { 0 } } },
	{ "(just a comment)", 0, { { 0 } } },
	{ ",,,;;;", 0, { { 0 } } },
};
/* clang-format on */

/* terminated - every field of the first n entries ends within its buffer */
static int terminated(const struct mailaddr *m, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!memchr(m[i].display, 0, sizeof(m[i].display)) ||
		    !memchr(m[i].addr, 0, sizeof(m[i].addr)) ||
		    !memchr(m[i].domain, 0, sizeof(m[i].domain)))
			return 0;
	return 1;
}

/* run_row - one table row */
static void run_row(const struct row *r)
{
	struct mailaddr out[MAILADDR_MAX];
	char what[512];
	int n, i;

	memset(out, 'X', sizeof(out));
	n = mailaddr_parse(r->value, out, MAILADDR_MAX);
	snprintf(what, sizeof(what), "count of [%s]", r->value);
	CHECK_INT(what, n, r->count);
	CHECK(terminated(out, n), what);
	for (i = 0; i < n && i < r->count && i < 4; i++) {
		snprintf(what, sizeof(what), "display %d of [%s]", i, r->value);
		CHECK_STR(what, out[i].display, r->want[i].display);
		snprintf(what, sizeof(what), "addr %d of [%s]", i, r->value);
		CHECK_STR(what, out[i].addr, r->want[i].addr);
		snprintf(what, sizeof(what), "domain %d of [%s]", i, r->value);
		CHECK_STR(what, out[i].domain, r->want[i].domain);
	}
}

/* fill - len bytes repeating pattern, NUL-terminated, in malloc'd memory */
static char *fill(const char *pattern, size_t len)
{
	size_t plen = strlen(pattern), i;
	char *s = malloc(len + 1);

	if (s == NULL)
		abort();
	for (i = 0; i < len; i++)
		s[i] = pattern[i % plen];
	s[len] = '\0';
	return s;
}

/* parse_hostile - parse value into garbage-filled slots; the count,
 * checked to be in range with fields terminated */
static int parse_hostile(const char *what, const char *value)
{
	struct mailaddr out[MAILADDR_MAX];
	int n;

	memset(out, 'X', sizeof(out));
	n = mailaddr_parse(value, out, MAILADDR_MAX);
	CHECK(n >= 0 && n <= MAILADDR_MAX, what);
	CHECK(terminated(out, n), what);
	return n;
}

/* time_parse - CPU seconds for 10 parses of a value */
static double time_parse(const char *value)
{
	struct mailaddr out[MAILADDR_MAX];
	clock_t t0 = clock();
	int i;

	for (i = 0; i < 10; i++)
		mailaddr_parse(value, out, MAILADDR_MAX);
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/* test_big - 64 KB pathological values: defined, and linear in time */
static void test_big(void)
{
	/* clang-format off */
	static const struct {
		const char *pattern;
		int count;
	} big[] = {
		{ "(", 0 },
		{ "\",\"", 1 },
		{ "\",", MAILADDR_MAX },
		{ ",", 0 },
		{ "<", 0 },
		{ "\"", 0 },
		{ "a", 1 },
		{ "@", 1 },
		{ "=?", 1 },
		{ "a@b,", MAILADDR_MAX },
		{ "(a)", 0 },
		{ ":", 0 },
		{ "<>,", 0 },
		{ "\\", 1 },
		{ "\xff\xfe", 1 },
		{ "=?x?q?=?x?q?", 1 },
		{ "=?utf-8?q?a?= ", 1 },
		{ "=?iso-8859-1?q?" "?=,", 1 },
		{ "=?iso-8859-1?q?a?=", 1 },
	};
	/* clang-format on */
	char what[128];
	unsigned i;

	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		char *s = fill(big[i].pattern, 65536);

		snprintf(what, sizeof(what), "64 KB of [%s]", big[i].pattern);
		CHECK_INT(what, parse_hostile(what, s), big[i].count);
		snprintf(what, sizeof(what), "64 KB of [%s] in linear time",
			 big[i].pattern);
		CHECK(time_parse(s) < 1.0, what);
		free(s);
	}
}

/* test_hostile - unbalanced, oversized and 8-bit values */
static void test_hostile(void)
{
	struct mailaddr out[MAILADDR_MAX];
	char *s, *local = fill("a", 10240);
	size_t n;

	if ((s = malloc(10240 + 64)) == NULL)
		abort();
	snprintf(s, 10240 + 64, "Big <%s@Example.com>", local);
	CHECK_INT("10 KB local part", parse_hostile("10 KB local", s), 1);
	mailaddr_parse(s, out, 1);
	CHECK_INT("10 KB local part: addr truncated", strlen(out[0].addr),
		  sizeof(out[0].addr) - 1);
	CHECK_STR("10 KB local part: whole domain", out[0].domain,
		  "example.com");
	snprintf(s, 10240 + 64, "%s@example.com", local);
	mailaddr_parse(s, out, 1);
	CHECK_STR("10 KB bare local part: domain", out[0].domain,
		  "example.com");
	snprintf(s, 10240 + 64, "\"%s\" <a@b>", local);
	mailaddr_parse(s, out, 1);
	CHECK_INT("10 KB display truncated", strlen(out[0].display),
		  sizeof(out[0].display) - 1);
	CHECK_STR("10 KB display: addr", out[0].addr, "a@b");
	free(s);
	free(local);

	/* only the first MAILADDR_INPUT_MAX bytes count */
	s = fill(" ", MAILADDR_INPUT_MAX + 100);
	memcpy(s, "a@b,", 4);
	memcpy(s + MAILADDR_INPUT_MAX + 10, "c@d", 3);
	CHECK_INT("beyond MAILADDR_INPUT_MAX", parse_hostile("input max", s),
		  1);
	n = MAILADDR_INPUT_MAX - 2;
	memcpy(s + n, "c@d", 3);
	CHECK_INT("cut at MAILADDR_INPUT_MAX", parse_hostile("cut", s), 2);
	mailaddr_parse(s, out, 2);
	CHECK_STR("cut at MAILADDR_INPUT_MAX: addr", out[1].addr, "c@");
	free(s);

	CHECK_INT("8-bit display",
		  parse_hostile("8-bit", "Andr\xe9 \xff\xfe <a@b.example>"), 1);
	mailaddr_parse("Andr\xe9 \xff\xfe <a@b.example>", out, 1);
	CHECK_STR("8-bit display kept", out[0].display, "Andr\xe9 \xff\xfe");
	mailaddr_parse("\xc3 \x80\x80 <a@b>", out, 1);
	CHECK_STR("invalid UTF-8 kept", out[0].display, "\xc3 \x80\x80");
	mailaddr_parse("\"a\001b\177c\" <a@b>", out, 1);
	CHECK_STR("controls become spaces", out[0].display, "a b c");
	mailaddr_parse("=?utf-8?q?a=0D=0Ab?= <a@b>", out, 1);
	CHECK_STR("decoded CRLF becomes a space", out[0].display, "a b");

	CHECK_INT("unbalanced <<", parse_hostile("<<", "<<a@b"), 0);
	CHECK_INT("unbalanced >>", parse_hostile(">>", "a@b>>"), 1);
	CHECK_INT("unbalanced ))", parse_hostile("))", "))a@b"), 1);
	CHECK_INT("unbalanced \\", parse_hostile("\\", "\"a\\"), 1);
	CHECK_INT("unbalanced [", parse_hostile("[", "[a@b"), 1);
	CHECK_INT("lone =?", parse_hostile("=?", "=?"), 1);
	CHECK_INT("NULL value", mailaddr_parse(NULL, out, 4), 0);
	CHECK_INT("max 0", mailaddr_parse("a@b", out, 0), 0);
	CHECK_INT("max -1", mailaddr_parse("a@b", out, -1), 0);
	out[2].addr[0] = 'X';
	CHECK_INT("max limits", mailaddr_parse("a@b, c@d, e@f", out, 2), 2);
	CHECK_INT("no slot past max written", out[2].addr[0], 'X');
	s = fill("a@b,", 4 * 40);
	CHECK_INT("max capped at MAILADDR_MAX", mailaddr_parse(s, out, 1000),
		  MAILADDR_MAX);
	free(s);
}

/* test_nesting - the comment depth bound */
static void test_nesting(void)
{
	struct mailaddr out[2];
	char v[512];
	int i, n = 0;

	for (i = 0; i < 64; i++)
		v[n++] = '(';
	for (i = 0; i < 64; i++)
		v[n++] = ')';
	strcpy(v + n, " a@b");
	CHECK_INT("64 deep comment is a comment", mailaddr_parse(v, out, 2), 1);
	CHECK_STR("64 deep comment: addr", out[0].addr, "a@b");
	n = 0;
	for (i = 0; i < 65; i++)
		v[n++] = '(';
	for (i = 0; i < 65; i++)
		v[n++] = ')';
	strcpy(v + n, " a@b");
	CHECK_INT("65 deep: rest is comment", mailaddr_parse(v, out, 2), 0);
}

struct dec {
	const char *in, *want;
};

/* clang-format off */
static const struct dec decs[] = {
	{ "plain text", "plain text" },
	{ "=?UTF-8?B?SGVsbG8gV29ybGQ=?=", "Hello World" },
	{ "=?utf-8?b?SGk?=", "Hi" },
	{ "=?UTF-8?Q?a_b_c?=", "a b c" },
	{ "=?UTF-8?Q?caf=C3=A9?=", "caf\xc3\xa9" },
	{ "=?ISO-8859-1?Q?Andr=E9?=", "Andr\xc3\xa9" },
	{ "=?iso-8859-1?b?QW5kcuk=?=", "Andr\xc3\xa9" },
	{ "=?windows-1252?Q?=80?=", "\xe2\x82\xac" },
	{ "=?ISO-8859-1*fr?Q?=E9t=E9?=", "\xc3\xa9t\xc3\xa9" },
	{ "=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab" },
	{ "=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=  =?UTF-8?Q?c?=", "abc" },
	{ "=?UTF-8?Q?a_?= =?UTF-8?Q?b?=", "a b" },
	{ "x =?UTF-8?Q?a?= y", "x a y" },
	{ "=?UTF-8?Q?a?= =?bogus?Q?b?=", "a =?bogus?Q?b?=" },
	{ "=?x-unknown-cs?Q?abc?=", "=?x-unknown-cs?Q?abc?=" },
	{ "=?UTF-8?X?abc?=", "=?UTF-8?X?abc?=" },
	{ "=?UTF-8?Q?abc", "=?UTF-8?Q?abc" },
	{ "=?UTF-8?Q?a=ZZ?=", "=?UTF-8?Q?a=ZZ?=" },
	{ "=?UTF-8?Q?a=E?=", "=?UTF-8?Q?a=E?=" },
	{ "=?UTF-8?B?S?=", "=?UTF-8?B?S?=" },
	{ "=?UTF-8?B?S*Gk=?=", "=?UTF-8?B?S*Gk=?=" },
	{ "=?UTF-8?B?SGk=x?=", "=?UTF-8?B?SGk=x?=" },
	{ "=??Q?abc?=", "=??Q?abc?=" },
	{ "=?UTF-8?Q?a b?=", "=?UTF-8?Q?a b?=" },
	{ "=?US-ASCII?Q?=FF?=", "=?US-ASCII?Q?=FF?=" },
	{ "=?utf-8?q?" "?=", "" },
	{ "a=?utf-8?q?b?=c", "abc" },
	{ "=?UTF-8//TRANSLIT?Q?x?=", "=?UTF-8//TRANSLIT?Q?x?=" },
	{ "=?ISO-2022-JP?B?GyRCJEgbKEI=?=", "\xe3\x81\xa8" },
	{ "=?UTF-16BE?B?AEgAaQ==?=", "Hi" },
	{ "=?utf-8?b?SGkA?=", "=?utf-8?b?SGkA?=" },
	{ "=?utf-8?q?a=00b?=", "=?utf-8?q?a=00b?=" },
	{ "=?UTF-16BE?B?AEgAAA==?=", "=?UTF-16BE?B?AEgAAA==?=" },
	{ "", "" },
};
/* clang-format on */

/* test_decode - encoded-words, one table row at a time */
static void test_decode(void)
{
	char out[256];
	unsigned i;

	for (i = 0; i < sizeof(decs) / sizeof(decs[0]); i++) {
		size_t n = mailaddr_decode_words(decs[i].in, out, sizeof(out));

		CHECK_STR(decs[i].in, out, decs[i].want);
		CHECK_INT(decs[i].in, n, strlen(out));
	}
}

/* test_decode_bounds - truncation, and never a cut UTF-8 sequence */
static void test_decode_bounds(void)
{
	char out[8];
	size_t n;

	CHECK_INT("outlen 0", mailaddr_decode_words("abc", out, 0), 0);
	n = mailaddr_decode_words("abcdefghij", out, sizeof(out));
	CHECK_STR("truncated plain", out, "abcdefg");
	CHECK_INT("truncated plain length", n, 7);
	n = mailaddr_decode_words("=?UTF-8?Q?abcdef=C3=A9?=", out, sizeof(out));
	CHECK_STR("cut sequence dropped", out, "abcdef");
	n = mailaddr_decode_words("=?ISO-8859-1?Q?abcde=E9=E9?=", out,
				  sizeof(out));
	CHECK_STR("iconv stops at a whole character", out, "abcde\xc3\xa9");
	n = mailaddr_decode_words("abcdef\xc3\xa9", out, sizeof(out));
	CHECK_STR("raw cut sequence dropped", out, "abcdef");
	CHECK_INT("raw cut sequence length", n, 6);
	n = mailaddr_decode_words(NULL, out, sizeof(out));
	CHECK_STR("NULL text", out, "");
}

int main(void)
{
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	test_hostile();
	test_nesting();
	test_big();
	test_decode();
	test_decode_bounds();
	return check_done();
}
