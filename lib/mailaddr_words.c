/*
 * NAME
 *	mailaddr_words - RFC 2047 encoded-words in header text
 * SYNOPSIS
 *	#include "mailaddr.h"
 *
 *	size_t mailaddr_decode_words(const char *text, char *out,
 *				     size_t outlen);
 * DESCRIPTION
 *	mailaddr_decode_words() decodes "=?charset?B|Q?text?=" wherever
 *	it occurs, converting with iconv(3); white space between two
 *	decoded words is dropped.  A word that does not parse, does not
 *	decode, names an unknown charset or is longer than WORD_MAX is
 *	copied as it is.  A UTF-8 sequence cut by truncation is dropped.
 *	The address parser decodes display names with it, guard.c the
 *	Subject.
 *
 *	It keeps no state and is thread-safe; the only memory allocated
 *	is iconv_open()'s, freed before it returns.
 * DIAGNOSTICS
 *	None: all input gives a defined result.
 */
#include <errno.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>

#include "mailaddr_int.h"

#define WORD_MAX    1024 /* longest encoded text of an encoded-word */
#define CHARSET_MAX 64	 /* longest charset name of an encoded-word */

/* word - the parts of an encoded-word */
struct word {
	const char *cs; /* charset, perhaps with "*language" */
	size_t csn;
	int enc;	 /* 'B' or 'Q' */
	const char *txt; /* encoded text */
	size_t txtn;
};

/* is_token - a charset character of RFC 2047 */
static int is_token(int c)
{
	return c > ' ' && c < 0x7f && strchr("()<>@,;:\"/[]?.=", c) == NULL;
}

/* word_parse - the encoded-word at p, looked at for a bounded length;
 * its length, or 0 if there is none */
static size_t word_parse(const char *p, struct word *w)
{
	const char *q = p + 2;

	if (p[0] != '=' || p[1] != '?')
		return 0;
	w->cs = q;
	while (is_token((unsigned char)*q) && q - w->cs <= CHARSET_MAX)
		q++;
	w->csn = (size_t)(q - w->cs);
	if (w->csn == 0 || w->csn > CHARSET_MAX || q[0] != '?')
		return 0;
	w->enc = q[1] & ~0x20;
	if ((w->enc != 'B' && w->enc != 'Q') || q[2] != '?')
		return 0;
	w->txt = q += 3;
	while (*q > ' ' && *q < 0x7f && *q != '?' && q - w->txt <= WORD_MAX)
		q++;
	w->txtn = (size_t)(q - w->txt);
	if (w->txtn > WORD_MAX || q[0] != '?' || q[1] != '=')
		return 0;
	return (size_t)(q + 2 - p);
}

/* hex_val - value of a hex digit, or -1 */
static int hex_val(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c &= ~0x20;
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* b64_val - value of a base64 digit, or -1 */
static int b64_val(int c)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *d = c ? strchr(digits, c) : NULL;

	return d ? (int)(d - digits) : -1;
}

/* b64_decode - base64 to bytes (buf holds n); the length, or -1 */
static long b64_decode(const char *s, size_t n, char *buf)
{
	unsigned acc = 0;
	size_t i, len = 0;
	int bits = 0, v;

	for (i = 0; i < n && s[i] != '='; i++) {
		if ((v = b64_val((unsigned char)s[i])) < 0)
			return -1;
		acc = ((acc << 6) | (unsigned)v) & 0xffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			buf[len++] = (char)(acc >> bits);
		}
	}
	for (; i < n; i++)
		if (s[i] != '=')
			return -1;
	return bits == 6 ? -1 : (long)len;
}

/* q_decode - the Q encoding to bytes (buf holds n); the length, or -1 */
static long q_decode(const char *s, size_t n, char *buf)
{
	size_t i, len = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			buf[len++] = ' ';
		} else if (s[i] != '=') {
			buf[len++] = s[i];
		} else if (i + 2 < n &&
			   (hi = hex_val((unsigned char)s[i + 1])) >= 0 &&
			   (lo = hex_val((unsigned char)s[i + 2])) >= 0) {
			buf[len++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			return -1;
		}
	}
	return (long)len;
}

/* word_convert - n bytes in charset cs appended to o as UTF-8; 0, or
 * -1 with o unchanged if the charset is unknown or the bytes bad */
static int word_convert(const struct word *w, char *b, size_t n,
			struct mailaddr_text *o)
{
	char cs[CHARSET_MAX + 1], *op;
	size_t csn = strcspn(w->cs, "*?"), oleft, r;
	iconv_t cd;
	int bad;

	memcpy(cs, w->cs, csn);
	cs[csn] = '\0';
	if (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "UTF8") == 0) {
		text_put(o, b, n);
		return 0;
	}
	if (csn == 0 || (cd = iconv_open("UTF-8", cs)) == (iconv_t)-1)
		return -1;
	op = o->buf + o->len;
	oleft = o->cap - o->len - 1;
	r = iconv(cd, &b, &n, &op, &oleft);
	if (r != (size_t)-1)
		r = iconv(cd, NULL, NULL, &op, &oleft);
	bad = r == (size_t)-1 && errno != E2BIG;
	iconv_close(cd);
	if (bad) {
		o->buf[o->len] = '\0';
		return -1;
	}
	o->trunc |= r == (size_t)-1;
	o->len = (size_t)(op - o->buf);
	o->buf[o->len] = '\0';
	return 0;
}

/* word_decode - decode the encoded-word at p onto o; the bytes of p
 * used, or 0 (o unchanged) if there is no decodable word there or it
 * decodes to a NUL */
static size_t word_decode(const char *p, struct mailaddr_text *o)
{
	char buf[WORD_MAX];
	struct mailaddr_text was = *o;
	struct word w;
	size_t used = word_parse(p, &w);
	long n;

	if (used == 0)
		return 0;
	if (w.enc == 'B')
		n = b64_decode(w.txt, w.txtn, buf);
	else
		n = q_decode(w.txt, w.txtn, buf);
	if (n < 0 || word_convert(&w, buf, (size_t)n, o) < 0)
		return 0;
	if (memchr(o->buf + was.len, '\0', o->len - was.len) != NULL) {
		*o = was;
		o->buf[o->len] = '\0';
		return 0;
	}
	return used;
}

/* utf8_trim - drop a UTF-8 sequence cut off at the end of t */
static void utf8_trim(struct mailaddr_text *t)
{
	size_t i = t->len, cont = 0, need;
	unsigned char c;

	while (i > 0 && cont < 3 &&
	       ((unsigned char)t->buf[i - 1] & 0xc0) == 0x80) {
		i--;
		cont++;
	}
	if (i == 0 || (c = (unsigned char)t->buf[i - 1]) < 0xc0)
		return;
	need = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
	if (cont < need) {
		t->len = i - 1;
		t->buf[t->len] = '\0';
	}
}

/* mailaddr_decode_words - text with RFC 2047 encoded-words decoded */
size_t mailaddr_decode_words(const char *text, char *out, size_t outlen)
{
	const char *p = text ? text : "", *q;
	struct mailaddr_text o;
	size_t n;

	if (out == NULL || outlen == 0)
		return 0;
	text_init(&o, out, outlen);
	while (*p && !o.trunc) {
		if ((n = word_decode(p, &o)) == 0) {
			text_putc(&o, *p++);
			continue;
		}
		for (p += n;; p = q + n) {
			for (q = p; is_ws((unsigned char)*q); q++)
				;
			if (q == p || (n = word_decode(q, &o)) == 0)
				break;
		}
	}
	if (o.trunc)
		utf8_trim(&o);
	return o.len;
}
