/*
 * NAME
 *	fuzz_mailaddr - the header address parser and encoded-words
 * DESCRIPTION
 *	The input is a header value (From:, Reply-To:, Subject:), any
 *	bytes.  mailaddr_parse() runs with room for every address and for
 *	one; mailaddr_decode_words() with output buffers from 1 byte up.
 *	Properties: the count is within bounds, every field is a
 *	terminated string of its size, a domain is there only with an
 *	address and holds no upper-case ASCII (unless a literal, or the
 *	address was truncated and may have been one), a display
 *	name is cleaned (no control characters, no leading, trailing or
 *	double spaces), and decode_words returns the length it wrote.
 */
#include <string.h>

#include "fuzz.h"
#include "mailaddr.h"

/* check_entry - the properties of one parsed address */
static void check_entry(const struct mailaddr *a)
{
	const char *s;

	FUZZ_CHECK(fuzz_bounded(a->display, sizeof(a->display)), "display");
	FUZZ_CHECK(fuzz_bounded(a->addr, sizeof(a->addr)), "addr");
	FUZZ_CHECK(fuzz_bounded(a->domain, sizeof(a->domain)), "domain");
	FUZZ_CHECK(a->addr[0] || !a->domain[0], "domain \"%s\" without addr",
		   a->domain);
	FUZZ_CHECK(a->addr[0] || a->display[0], "an empty entry");
	if (!strchr(a->addr, '[') && strlen(a->addr) < sizeof(a->addr) - 1)
		for (s = a->domain; *s; s++)
			FUZZ_CHECK(*s < 'A' || *s > 'Z', "domain \"%s\"",
				   a->domain);
	for (s = a->display; *s; s++) {
		FUZZ_CHECK((unsigned char)*s >= ' ' && *s != 0x7f,
			   "control byte in display \"%s\"", a->display);
		FUZZ_CHECK(*s != ' ' || (s > a->display && s[1] && s[1] != ' '),
			   "display \"%s\" not trimmed", a->display);
	}
}

/* check_decode - decode_words into outlen bytes */
static void check_decode(const char *text, size_t outlen)
{
	char out[512];
	size_t n;

	memset(out, 'x', sizeof(out));
	n = mailaddr_decode_words(text, out, outlen);
	FUZZ_CHECK(n < outlen, "returned %zu for %zu bytes", n, outlen);
	FUZZ_CHECK(out[n] == '\0' && strlen(out) == n,
		   "returned %zu, wrote %zu", n, strlen(out));
	FUZZ_CHECK(out[outlen] == 'x', "wrote past %zu bytes", outlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t outlens[] = { 1, 2, 9, 64, 256, 511 };
	struct mailaddr out[MAILADDR_MAX];
	struct fuzz_lines l;
	int n, i;

	fuzz_init();
	if (fuzz_lines_init(&l, data, size) < 0)
		return 0;
	n = mailaddr_parse(l.buf, out, MAILADDR_MAX);
	FUZZ_CHECK(n >= 0 && n <= MAILADDR_MAX, "count %d", n);
	for (i = 0; i < n; i++)
		check_entry(&out[i]);
	n = mailaddr_parse(l.buf, out, 1);
	FUZZ_CHECK(n == 0 || n == 1, "count %d with max 1", n);
	if (n == 1)
		check_entry(&out[0]);
	for (i = 0; i < (int)(sizeof(outlens) / sizeof(outlens[0])); i++)
		check_decode(l.buf, outlens[i]);
	fuzz_lines_free(&l);
	return 0;
}
