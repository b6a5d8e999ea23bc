/*
 * NAME
 *	domain - domain names: normal form, IDN, registrable part
 * SYNOPSIS
 *	#include "domain.h"
 * DESCRIPTION
 *	See domain.h.  A name is trimmed, one trailing dot is dropped and
 *	ASCII is lower-cased.  Each label with non-ASCII bytes goes
 *	through libidn2 on its own (UTS#46 mapping, so fullwidth letters
 *	and ideographic full stops map too): non-transitional first, then
 *	transitional; ASCII labels stay as they are.  STD3 rules are not
 *	asked of libidn2, because mail uses "_" (DKIM and DMARC names);
 *	instead every label of the ASCII result must be 1..63 letters,
 *	digits, "-" or "_", not starting or ending with "-", and the name
 *	at most 253 characters.  An "xn--" label must be a valid A-label:
 *	libidn2 decodes it, and it is kept in the form its Unicode label
 *	gets, so that a name and its Unicode form have one normal form.
 *
 *	The registrable domain comes from libpsl: the newest of the list
 *	compiled into libpsl and the system's publicsuffix file, loaded
 *	once (pthread_once) and read-only after, so every function here
 *	is thread-safe.
 */
#include <pthread.h>
#include <string.h>

#include <idn2.h>
#include <libpsl.h>

#include "domain.h"

#define DOMAIN_IN_MAX	1024 /* longest raw input looked at, bytes */
#define DOMAIN_TEXT_MAX 253  /* longest name, without the NUL */
#define LABEL_MAX	63

/* ASCII only, whatever the locale */
#define DOMAIN_SPACE(c) ((c) == ' ' || ((c) >= '\t' && (c) <= '\r'))
#define DOMAIN_LOWER(c) ((c) >= 'A' && (c) <= 'Z' ? (c) + 'a' - 'A' : (c))
#define DOMAIN_LDH(c)                                                          \
	(((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') ||           \
	 (c) == '-' || (c) == '_')

static const psl_ctx_t *domain_psl;
static pthread_once_t domain_psl_once = PTHREAD_ONCE_INIT;

/* domain_psl_load - the Public Suffix List, newest of built-in and file */
static void domain_psl_load(void)
{
	domain_psl = psl_latest(NULL);
	if (domain_psl == NULL)
		domain_psl = psl_builtin();
}

/* domain_copy - copy n bytes of s into out, truncated; -1 if truncated */
static int domain_copy(const char *s, size_t n, char *out, size_t outlen)
{
	int rc = 0;

	if (n >= outlen) {
		n = outlen - 1;
		rc = -1;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return rc;
}

/* domain_label_ok - 1 when s[0..n) is a usable ASCII label */
static int domain_label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > LABEL_MAX || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!DOMAIN_LDH(s[i]))
			return 0;
	return 1;
}

/*
 * domain_idn - s through libidn2 to ASCII (UTS#46), non-transitional
 * first, then transitional.  0 with *a to idn2_free(), or -1.
 */
static int domain_idn(const char *s, char **a)
{
	int rc;

	*a = NULL;
	rc = idn2_to_ascii_8z(s, a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK)
		rc = idn2_to_ascii_8z(s, a, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
	return rc == IDN2_OK ? 0 : -1;
}

/*
 * domain_alabel - check the xn-- label s[0..n) and write its canonical
 * form to out (size outlen): the label decoded, then mapped and encoded
 * as a Unicode name is, so that both spellings have one normal form (an
 * A-label of characters UTS#46 maps, like U+247E "(11)", is no label).
 * Returns the length written, or -1.
 */
static int domain_alabel(const char *s, size_t n, char *out, size_t outlen)
{
	char label[LABEL_MAX + 1], *u = NULL, *a;
	size_t len;
	int rc;

	memcpy(label, s, n);
	label[n] = '\0';
	if (idn2_to_unicode_8z8z(label, &u, 0) != IDN2_OK) {
		idn2_free(u);
		return -1;
	}
	rc = domain_idn(u, &a);
	idn2_free(u);
	if (rc < 0)
		return -1;
	len = strlen(a);
	if (!domain_label_ok(a, len) || len >= outlen) {
		idn2_free(a);
		return -1;
	}
	memcpy(out, a, len);
	idn2_free(a);
	return (int)len;
}

/*
 * domain_ascii - check the lower-case ASCII name s and write its normal
 * form (xn-- labels canonical) to out.  Returns 0 or -1.
 */
static int domain_ascii(const char *s, char *out, size_t outlen)
{
	char buf[DOMAIN_TEXT_MAX + 1];
	size_t o = 0, n;
	const char *dot;
	int len;

	for (;;) {
		dot = strchr(s, '.');
		n = dot ? (size_t)(dot - s) : strlen(s);
		if (n > LABEL_MAX)
			return -1;
		if (n >= 4 && strncmp(s, "xn--", 4) == 0) {
			len = domain_alabel(s, n, buf + o, sizeof(buf) - o);
			if (len < 0)
				return -1;
			o += (size_t)len;
		} else {
			if (!domain_label_ok(s, n) || o + n >= sizeof(buf))
				return -1;
			memcpy(buf + o, s, n);
			o += n;
		}
		if (dot == NULL)
			break;
		if (o + 1 >= sizeof(buf))
			return -1;
		buf[o++] = '.';
		s = dot + 1;
	}
	buf[o] = '\0';
	return domain_copy(buf, o, out, outlen);
}

/*
 * domain_unicode - a name with non-ASCII bytes to ASCII: each label with
 * non-ASCII bytes through libidn2 on its own (UTS#46 maps the ideographic
 * and fullwidth stops in it to dots), the ASCII labels as they are, then
 * checked by domain_ascii().  Label by label, as domain_alabel() works,
 * so that a name and its Unicode form have one normal form, and a label
 * libidn2 refuses ("ab--c") or needs transitional processing for
 * decides nothing about the others.
 */
static int domain_unicode(const char *s, char *out, size_t outlen)
{
	char buf[DOMAIN_IN_MAX], label[DOMAIN_IN_MAX], *a;
	const char *dot, *add;
	size_t o = 0, n, i;
	int wide, rc = 0;

	for (;;) {
		dot = strchr(s, '.');
		n = dot ? (size_t)(dot - s) : strlen(s);
		memcpy(label, s, n);
		label[n] = '\0';
		for (wide = 0, i = 0; i < n; i++)
			wide |= (unsigned char)label[i] >= 0x80;
		a = NULL;
		if (wide && domain_idn(label, &a) < 0)
			return -1;
		add = a ? a : label;
		n = strlen(add);
		if (o + n + 1 < sizeof(buf)) {
			memcpy(buf + o, add, n);
			o += n;
		} else {
			rc = -1;
		}
		idn2_free(a);
		if (rc < 0 || dot == NULL)
			break;
		buf[o++] = '.';
		s = dot + 1;
	}
	if (o > 0 && buf[o - 1] == '.') /* a mapped ideographic stop */
		o--;
	buf[o] = '\0';
	if (rc < 0 || o > DOMAIN_TEXT_MAX)
		return -1;
	return domain_ascii(buf, out, outlen);
}

/* domain_normalise - in (UTF-8 or ASCII, any case) to the normal form */
int domain_normalise(const char *in, char *out, size_t outlen)
{
	char buf[DOMAIN_IN_MAX];
	const char *b = in ? in : "", *e;
	size_t n, i;
	int wide = 0;

	if (outlen == 0)
		return -1;
	while (DOMAIN_SPACE(*b))
		b++;
	e = b + strlen(b);
	while (e > b && DOMAIN_SPACE(e[-1]))
		e--;
	if (e > b && e[-1] == '.')
		e--;
	n = (size_t)(e - b);
	domain_copy(b, n, buf, sizeof(buf));
	for (i = 0; buf[i]; i++) {
		buf[i] = (char)DOMAIN_LOWER(buf[i]);
		wide |= (unsigned char)buf[i] >= 0x80;
	}
	domain_copy(buf, strlen(buf), out, outlen);
	if (n == 0 || n >= sizeof(buf))
		return -1;
	if (wide)
		return domain_unicode(buf, out, outlen) < 0 ? -1 : 0;
	if (n > DOMAIN_TEXT_MAX)
		return -1;
	return domain_ascii(buf, out, outlen);
}

/* domain_to_unicode - a normal-form domain with xn-- labels decoded */
int domain_to_unicode(const char *ascii, char *out, size_t outlen)
{
	char *u = NULL;
	int rc;

	if (outlen == 0)
		return -1;
	if (ascii == NULL)
		ascii = "";
	if (strstr(ascii, "xn--") == NULL)
		return domain_copy(ascii, strlen(ascii), out, outlen);
	if (idn2_to_unicode_8z8z(ascii, &u, 0) != IDN2_OK) {
		domain_copy(ascii, strlen(ascii), out, outlen);
		return -1;
	}
	if ((rc = domain_copy(u, strlen(u), out, outlen)) < 0)
		domain_copy(ascii, strlen(ascii), out, outlen);
	idn2_free(u);
	return rc;
}

/* domain_registrable - the registrable domain: a pointer into d, or NULL */
const char *domain_registrable(const char *d)
{
	if (d == NULL || *d == '\0')
		return NULL;
	pthread_once(&domain_psl_once, domain_psl_load);
	if (domain_psl == NULL)
		return NULL;
	return psl_registrable_domain(domain_psl, d);
}

/* domain_is_within - 1 when d is parent or a subdomain of it */
int domain_is_within(const char *d, const char *parent)
{
	size_t n, m;

	if (d == NULL || parent == NULL || *parent == '\0')
		return 0;
	n = strlen(d);
	m = strlen(parent);
	if (n == m)
		return strcmp(d, parent) == 0;
	return n > m && d[n - m - 1] == '.' && strcmp(d + n - m, parent) == 0;
}
