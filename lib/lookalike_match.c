/*
 * NAME
 *	lookalike_match - edit and brand-word lookalikes of protected names
 * SYNOPSIS
 *	#include "lookalike_int.h"
 *
 *	int lookalike_scan(const struct lookalike *l,
 *			   const struct lookalike_cand *c,
 *			   enum lookalike_rank *rank);
 * DESCRIPTION
 *	Steps 3 to 5 of lookalike_check() (see lookalike.c): the labels
 *	one edit apart (a changed, added, removed or swapped code point;
 *	brands of 4 characters or more), the brand as a word of the label
 *	(lookalike_brand()), and both again on the skeletons.  A label
 *	with non-ASCII letters skips the label steps, whose A-label text
 *	means nothing.  lookalike_scan() compares the candidate with
 *	every protected entry behind cheap filters: a 64-bit mask of the
 *	bytes present (one edit leaves at most one character of the brand
 *	out, a brand plus a word none), the lengths, and no skeleton step
 *	when both skeletons equal their labels.  The lowest rank wins,
 *	then the longest brand, then the first added.
 *
 *	Everything here only reads; safe from many threads.
 * DIAGNOSTICS
 *	None.
 */
#include <stdint.h>
#include <string.h>

#include "lookalike_int.h"

/* lookalike_one_edit - 1 when UTF-8 a and b are exactly one edit apart */
static int lookalike_one_edit(const char *a, const char *b)
{
	size_t i = 0, la, lb, la2, lb2;

	while (a[i] && a[i] == b[i])
		i++;
	if (a[i] == b[i])
		return 0; /* equal */
	while (i > 0 && ((unsigned char)a[i] & 0xC0) == 0x80)
		i--;
	a += i;
	b += i;
	la = *a ? lookalike_u8_len(a) : 0;
	lb = *b ? lookalike_u8_len(b) : 0;
	if (la && lb && strcmp(a + la, b + lb) == 0)
		return 1; /* changed */
	if (la && strcmp(a + la, b) == 0)
		return 1; /* removed from b */
	if (lb && strcmp(a, b + lb) == 0)
		return 1; /* added to b */
	if (!la || !lb || !a[la] || !b[lb])
		return 0;
	la2 = lookalike_u8_len(a + la);
	lb2 = lookalike_u8_len(b + lb);
	return la == lb2 && lb == la2 && memcmp(a, b + lb, la) == 0 &&
	       memcmp(a + la, b, lb) == 0 &&
	       strcmp(a + la + la2, b + lb + lb2) == 0; /* swapped */
}

/* words that phishing glues in front of a brand ("securepaypal") */
static const char lookalike_words[] =
	" access account accounts alert alerts app auth billing client"
	" confirm contact customer delivery email get go help helpdesk id"
	" info login mail member my noreply notice notify official online"
	" pay payment portal recover reset safe secure security service"
	" services signin support team track tracking update verify web"
	" webmail www ";

/* lookalike_word - 1 when s[0..n) is one of lookalike_words */
static int lookalike_word(const char *s, size_t n)
{
	char word[16];

	if (n == 0 || n + 3 > sizeof(word))
		return 0;
	word[0] = ' ';
	memcpy(word + 1, s, n);
	word[n + 1] = ' ';
	word[n + 2] = '\0';
	return strstr(lookalike_words, word) != NULL;
}

/* lookalike_delim - a character that separates words in a label */
static int lookalike_delim(char c)
{
	return c == '-' || c == '_' || (c >= '0' && c <= '9');
}

/*
 * lookalike_brand - 1 when the label s holds the brand b (of chars code
 * points) as a word of its own.  Words are separated by "-", "_" and
 * digits.  A brand under 5 characters must be a whole word (dhl-express,
 * irs-refund).  A longer one must start a word (mail-linkedin, paypal2,
 * linkedinmail) or follow one of lookalike_words in it (securepaypal);
 * and what it is glued to after must be 3 characters or more, or one
 * of lookalike_words (appleid), so that officers and chasers do not
 * count.  A brand that merely ends a word does not count either:
 * pineapple, purchase and boxoffice are not apple, chase and office.
 */
static int lookalike_brand(const char *s, const char *b, size_t chars)
{
	size_t n = strlen(s), m = strlen(b), i, w, e, r;
	const char *hit;

	for (hit = strstr(s, b); hit; hit = strstr(hit + 1, b)) {
		i = (size_t)(hit - s);
		e = i + m;
		for (w = i; w > 0 && !lookalike_delim(s[w - 1]); w--)
			;
		for (r = e; r < n && !lookalike_delim(s[r]); r++)
			;
		if (chars < 5) {
			if (w == i && r == e)
				return 1;
			continue;
		}
		if (w != i && !lookalike_word(s + w, i - w))
			continue;
		if (r == e || r - e >= 3 || lookalike_word(s + e, r - e))
			return 1;
	}
	return 0;
}

/* lookalike_near - 0 when the masks alone rule out c against p */
static inline int lookalike_near(const struct lookalike_name *c,
				 const struct lookalike_name *p)
{
	uint64_t miss = p->mask & ~c->mask;

	return (miss & (miss - 1)) == 0 ||
	       (p->widest > 1 && __builtin_popcountll(miss) <= p->widest);
}

/*
 * lookalike_compare - the rank at which name c (a label, or a skeleton
 * when skel) is a lookalike of protected name p; brand is the brand's
 * length in code points.  Only for names lookalike_near() lets by: one
 * edit leaves at most one code point of p out of c, a brand none.
 */
static enum lookalike_rank lookalike_compare(const struct lookalike_name *c,
					     const struct lookalike_name *p,
					     size_t brand, int skel)
{
	size_t d = c->chars > p->chars ? c->chars - p->chars
				       : p->chars - c->chars;

	if (brand >= 4 && d <= 1 && lookalike_one_edit(c->s, p->s))
		return skel ? RANK_SKEL_EDIT : RANK_EDIT;
	if (brand >= 3 && c->chars > p->chars && (p->mask & ~c->mask) == 0 &&
	    lookalike_brand(c->s, p->s, brand))
		return skel ? RANK_SKEL_BRAND : RANK_BRAND;
	return RANK_NONE;
}

/* lookalike_scan - the best ranked protected entry for c, or -1 */
int lookalike_scan(const struct lookalike *l, const struct lookalike_cand *c,
		   enum lookalike_rank *rank)
{
	enum lookalike_rank r, best = RANK_NONE;
	const struct lookalike_prot *p;
	int i, at = -1;

	for (i = 0; i < l->n; i++) {
		p = &l->p[i];
		r = RANK_NONE;
		if (!c->wide && lookalike_near(&c->label, &p->label))
			r = lookalike_compare(&c->label, &p->label, p->brand,
					      0);
		if (r == RANK_NONE && c->skel.s[0] &&
		    (c->wide || !c->plain || !p->plain) &&
		    lookalike_near(&c->skel, &p->skel))
			r = lookalike_compare(&c->skel, &p->skel, p->brand, 1);
		if (r == RANK_NONE || (best && r > best))
			continue;
		if (r == best && p->brand <= l->p[at].brand)
			continue;
		best = r;
		at = i;
	}
	*rank = best;
	return at;
}
