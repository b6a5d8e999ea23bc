/*
 * NAME
 *	lookalike_name - labels and skeletons of domains
 * SYNOPSIS
 *	#include "lookalike_int.h"
 *
 *	const char *lookalike_label(const char *d, char *out, size_t outlen,
 *				    char *uni, size_t unilen);
 *
 *	int lookalike_skeleton(const USpoofChecker *sc, const char *u,
 *			       char *out, size_t outlen);
 *
 *	void lookalike_name_init(struct lookalike_name *nm, const char *s);
 *
 *	size_t lookalike_u8_len(const char *s);
 * DESCRIPTION
 *	Names are compared by their registrable label: the registrable
 *	domain (Public Suffix List) without its suffix, "linkedin" for
 *	linkedin.com and linkedin.co.uk, kept in its A-label form and
 *	made Unicode for the skeleton (lookalike_label()).  The skeleton
 *	of a label is ICU's (UTS #39) of its Unicode form, lower-cased,
 *	with combining accents (U+0300..U+036F) dropped, so "1inkedin",
 *	"rnicrosoft", "g00gle" and Cyrillic "раypal" collapse onto the
 *	brand (lookalike_skeleton()).
 *
 *	lookalike_name_init() describes a label or skeleton for the cheap
 *	filters of lookalike_match.c: its length in code points, its
 *	widest code point, and a 64-bit mask of the classes of its bytes.
 *
 *	ICU documents uspoof_getSkeletonUTF8() on a const USpoofChecker
 *	as safe to call concurrently on one checker.
 * DIAGNOSTICS
 *	lookalike_label() returns NULL and lookalike_skeleton() -1 when
 *	there is no label (a public suffix) or no skeleton.
 */
#include <stdint.h>
#include <string.h>

#include "lookalike_int.h"

/* lookalike_class - the mask bit of a byte */
static int lookalike_class(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '0' && c <= '9')
		return 26 + c - '0';
	if (c == '-')
		return 36;
	if (c == '_')
		return 37;
	return 38 + c % 26;
}

/* lookalike_u8_len - bytes of the UTF-8 sequence at s (1: a stray byte) */
size_t lookalike_u8_len(const char *s)
{
	size_t n = 1;

	if ((unsigned char)*s >= 0xC0)
		while (n < 4 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n++;
	return n;
}

/* lookalike_name_init - describe s (not copied) for the filters */
void lookalike_name_init(struct lookalike_name *nm, const char *s)
{
	size_t n, i;

	nm->s = s;
	nm->chars = 0;
	nm->mask = 0;
	nm->widest = 1;
	for (; *s; s += n) {
		n = lookalike_u8_len(s);
		nm->chars++;
		if ((int)n > nm->widest)
			nm->widest = (int)n;
		for (i = 0; i < n; i++)
			nm->mask |= 1ULL
				    << lookalike_class((unsigned char)s[i]);
	}
}

/*
 * lookalike_skeleton - the lower-cased ICU skeleton of the UTF-8 label
 * u, accents dropped, into out.  Returns 0, or -1 (out is then "").
 */
int lookalike_skeleton(const USpoofChecker *sc, const char *u, char *out,
		       size_t outlen)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t n, i, o;

	out[0] = '\0';
	n = uspoof_getSkeletonUTF8(sc, 0, u, -1, out, (int32_t)outlen, &st);
	if (U_FAILURE(st) || n < 0 || (size_t)n >= outlen) {
		out[0] = '\0';
		return -1;
	}
	out[n] = '\0';
	for (i = o = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];
		unsigned char c2 = (unsigned char)out[i + 1];

		if ((c == 0xCC && c2 >= 0x80 && c2 <= 0xBF) ||
		    (c == 0xCD && c2 >= 0x80 && c2 <= 0xAF)) {
			i++; /* U+0300..U+036F */
			continue;
		}
		out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + 'a' - 'A' : c);
	}
	out[o] = '\0';
	return 0;
}

/*
 * lookalike_label - the registrable label of the normal-form domain d
 * into out, and its Unicode form into uni.  Returns the registrable
 * domain (inside d), or NULL when d has none.
 */
const char *lookalike_label(const char *d, char *out, size_t outlen, char *uni,
			    size_t unilen)
{
	const char *reg = domain_registrable(d), *dot;
	size_t n;

	if (reg == NULL || (dot = strchr(reg, '.')) == NULL)
		return NULL;
	n = (size_t)(dot - reg);
	if (n == 0 || n >= outlen)
		return NULL;
	memcpy(out, reg, n);
	out[n] = '\0';
	domain_to_unicode(out, uni, unilen);
	return reg;
}
