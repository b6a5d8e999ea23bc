/*
 * NAME
 *	lookalike - is a domain dressed up as a protected one?
 * SYNOPSIS
 *	#include "lookalike.h"
 * DESCRIPTION
 *	See lookalike.h.  Names are compared by their registrable label:
 *	the registrable domain (Public Suffix List) without its suffix,
 *	"linkedin" for linkedin.com and linkedin.co.uk.  The skeleton of
 *	a label is ICU's (UTS #39) of its Unicode form, lower-cased, with
 *	combining accents (U+0300..U+036F) dropped, so "1inkedin",
 *	"rnicrosoft", "g00gle" and Cyrillic "раypal" collapse onto the
 *	brand.
 *
 *	lookalike_add() prepares each protected domain once: normal form,
 *	registrable domain, label and skeleton, with hash maps from each
 *	of them to the entry.  lookalike_check() makes one skeleton per
 *	call and then compares strings only, in this order (the first
 *	step that holds wins; within a step the first added, except that
 *	steps 3 to 5 prefer the longest brand):
 *	  0. not a lookalike: no normal form, no registrable domain, a
 *	     protected domain or a subdomain of one, or the same
 *	     registrable domain as a protected one (the same owner);
 *	  1. other_tld: the same label (hash lookup);
 *	  2. confusable or homograph: the same skeleton (hash lookup);
 *	  3. edit: labels one edit apart (brand of 4 characters or more);
 *	  4. brand_word: the brand in the label, see lookalike_brand();
 *	  5. steps 3 and 4 on the skeletons, reported as confusable or
 *	     homograph.
 *	Homograph means the candidate label has non-ASCII letters; such
 *	labels skip steps 3 and 4, whose A-label text means nothing.
 *	Brands under 4 characters get no edit step, and count in step 4
 *	only as a whole word ("dhl-delivery").  Steps 3 to 5 scan every
 *	protected domain behind cheap filters: a 64-bit mask of the bytes
 *	present (one edit leaves at most one character of the brand out,
 *	a brand plus a word none), the lengths, and no step 5 when both
 *	skeletons equal their labels.  With 1,000 protected domains a
 *	check costs a few microseconds, most of it in libidn2, libpsl and
 *	ICU.
 *
 *	Thread safety: after the last lookalike_add(), the detector is
 *	only read.  ICU documents the functions taking a const
 *	USpoofChecker, uspoof_getSkeletonUTF8() among them, as safe to
 *	call concurrently on one checker, so one checker per detector
 *	serves every thread.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uspoof.h>

#include "domain.h"
#include "lookalike.h"

#define SKEL_MAX 1024 /* a 63-byte label's skeleton fits */
#define UNI_MAX	 (4 * DOMAIN_MAX)

enum lookalike_rank {
	RANK_NONE,
	RANK_LABEL,    /* same label, other suffix */
	RANK_SKELETON, /* same skeleton */
	RANK_EDIT,
	RANK_BRAND,
	RANK_SKEL_EDIT,
	RANK_SKEL_BRAND,
};

/* a label or skeleton ready to compare */
struct lookalike_name {
	const char *s;
	size_t chars;  /* code points */
	uint64_t mask; /* classes of the bytes in s */
	int widest;    /* bytes of its widest code point */
};

struct lookalike_prot {
	char *domain;		     /* normal form; owns the strings */
	const char *reg;	     /* registrable domain, inside domain */
	struct lookalike_name label; /* "linkedin" (A-label form) */
	struct lookalike_name skel;
	size_t brand; /* code points of the Unicode label */
	int plain;    /* skeleton and label are the same */
};

struct lookalike_slot {
	const char *key; /* not owned */
	int idx;
};

/* string -> first index added, open addressing */
struct lookalike_map {
	struct lookalike_slot *slot;
	size_t cap, used;
};

struct lookalike {
	USpoofChecker *sc;
	struct lookalike_prot *p;
	int n, cap;
	struct lookalike_map domains, regs, labels, skels;
};

/* a domain under check */
struct lookalike_cand {
	char d[DOMAIN_MAX + 1];
	char labelbuf[DOMAIN_MAX + 1];
	char ulabel[UNI_MAX];
	char skelbuf[SKEL_MAX];
	struct lookalike_name label, skel;
	int wide;  /* the Unicode label has non-ASCII */
	int plain; /* skeleton and label are the same */
};

/* lookalike_hash - FNV-1a */
static uint64_t lookalike_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* map_get - the index stored for key, or -1 */
static int map_get(const struct lookalike_map *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return -1;
	for (i = lookalike_hash(key) & (m->cap - 1); m->slot[i].key;
	     i = (i + 1) & (m->cap - 1))
		if (strcmp(m->slot[i].key, key) == 0)
			return m->slot[i].idx;
	return -1;
}

/* map_put - store key -> idx unless key is there; room is reserved */
static void map_put(struct lookalike_map *m, const char *key, int idx)
{
	size_t i;

	for (i = lookalike_hash(key) & (m->cap - 1); m->slot[i].key;
	     i = (i + 1) & (m->cap - 1))
		if (strcmp(m->slot[i].key, key) == 0)
			return;
	m->slot[i].key = key;
	m->slot[i].idx = idx;
	m->used++;
}

/* map_reserve - room for one more key at most half full; -1 no memory */
static int map_reserve(struct lookalike_map *m)
{
	struct lookalike_map bigger;
	size_t i;

	if (2 * (m->used + 1) <= m->cap)
		return 0;
	bigger.cap = m->cap ? 2 * m->cap : 64;
	bigger.used = 0;
	bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
	if (bigger.slot == NULL)
		return -1;
	for (i = 0; i < m->cap; i++)
		if (m->slot[i].key)
			map_put(&bigger, m->slot[i].key, m->slot[i].idx);
	free(m->slot);
	*m = bigger;
	return 0;
}

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

/* u8_len - bytes of the UTF-8 sequence at s (1 for a stray byte) */
static size_t u8_len(const char *s)
{
	size_t n = 1;

	if ((unsigned char)*s >= 0xC0)
		while (n < 4 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n++;
	return n;
}

/* name_init - describe s (not copied) for the filters */
static void name_init(struct lookalike_name *nm, const char *s)
{
	size_t n, i;

	nm->s = s;
	nm->chars = 0;
	nm->mask = 0;
	nm->widest = 1;
	for (; *s; s += n) {
		n = u8_len(s);
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
static int lookalike_skeleton(const USpoofChecker *sc, const char *u, char *out,
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
static const char *lookalike_label(const char *d, char *out, size_t outlen,
				   char *uni, size_t unilen)
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

/* lookalike_new - an empty detector; NULL when out of memory */
struct lookalike *lookalike_new(void)
{
	struct lookalike *l = calloc(1, sizeof(*l));
	UErrorCode st = U_ZERO_ERROR;

	if (l == NULL)
		return NULL;
	l->sc = uspoof_open(&st);
	if (U_FAILURE(st) || l->sc == NULL) {
		free(l);
		return NULL;
	}
	return l;
}

/* lookalike_reserve - room for one more entry everywhere; -1 no memory */
static int lookalike_reserve(struct lookalike *l)
{
	struct lookalike_prot *p;
	int cap;

	if (map_reserve(&l->domains) < 0 || map_reserve(&l->regs) < 0 ||
	    map_reserve(&l->labels) < 0 || map_reserve(&l->skels) < 0)
		return -1;
	if (l->n < l->cap)
		return 0;
	cap = l->cap ? 2 * l->cap : 32;
	if ((p = realloc(l->p, (size_t)cap * sizeof(*p))) == NULL)
		return -1;
	l->p = p;
	l->cap = cap;
	return 0;
}

/* lookalike_store - copy one prepared entry in and index it */
static int lookalike_store(struct lookalike *l, const char *d, const char *reg,
			   const char *label, const char *uni, const char *skel)
{
	size_t dn = strlen(d) + 1, ln = strlen(label) + 1;
	struct lookalike_prot *p;
	struct lookalike_name u;
	char *buf;

	if (lookalike_reserve(l) < 0 ||
	    (buf = malloc(dn + ln + strlen(skel) + 1)) == NULL)
		return -1;
	memcpy(buf, d, dn);
	memcpy(buf + dn, label, ln);
	strcpy(buf + dn + ln, skel);
	p = &l->p[l->n];
	p->domain = buf;
	p->reg = buf + (reg - d);
	name_init(&p->label, buf + dn);
	name_init(&p->skel, buf + dn + ln);
	name_init(&u, uni);
	p->brand = u.chars;
	p->plain = strcmp(p->label.s, p->skel.s) == 0;
	map_put(&l->domains, p->domain, l->n);
	map_put(&l->regs, p->reg, l->n);
	map_put(&l->labels, p->label.s, l->n);
	map_put(&l->skels, p->skel.s, l->n);
	l->n++;
	return 0;
}

/* lookalike_add - protect a domain; -1 with the reason in err */
int lookalike_add(struct lookalike *l, const char *domain, char *err,
		  size_t errlen)
{
	char d[DOMAIN_MAX + 1], label[DOMAIN_MAX + 1], uni[UNI_MAX];
	char skel[SKEL_MAX];
	const char *reg;

	if (domain_normalise(domain, d, sizeof(d)) < 0) {
		snprintf(err, errlen, "not a domain name: \"%s\"", d);
		return -1;
	}
	if (map_get(&l->domains, d) >= 0)
		return 0;
	reg = lookalike_label(d, label, sizeof(label), uni, sizeof(uni));
	if (reg == NULL) {
		snprintf(err, errlen, "%s is a public suffix", d);
		return -1;
	}
	if (lookalike_skeleton(l->sc, uni, skel, sizeof(skel)) < 0) {
		snprintf(err, errlen, "%s: no confusable skeleton", d);
		return -1;
	}
	if (lookalike_store(l, d, reg, label, uni, skel) < 0) {
		snprintf(err, errlen, "%s: out of memory", d);
		return -1;
	}
	return 0;
}

/* lookalike_count - how many domains are protected */
int lookalike_count(const struct lookalike *l)
{
	return l ? l->n : 0;
}

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
	la = *a ? u8_len(a) : 0;
	lb = *b ? u8_len(b) : 0;
	if (la && lb && strcmp(a + la, b + lb) == 0)
		return 1; /* changed */
	if (la && strcmp(a + la, b) == 0)
		return 1; /* removed from b */
	if (lb && strcmp(a, b + lb) == 0)
		return 1; /* added to b */
	if (!la || !lb || !a[la] || !b[lb])
		return 0;
	la2 = u8_len(a + la);
	lb2 = u8_len(b + lb);
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
	size_t d =
	    c->chars > p->chars ? c->chars - p->chars : p->chars - c->chars;

	if (brand >= 4 && d <= 1 && lookalike_one_edit(c->s, p->s))
		return skel ? RANK_SKEL_EDIT : RANK_EDIT;
	if (brand >= 3 && c->chars > p->chars && (p->mask & ~c->mask) == 0 &&
	    lookalike_brand(c->s, p->s, brand))
		return skel ? RANK_SKEL_BRAND : RANK_BRAND;
	return RANK_NONE;
}

/* lookalike_scan - the best ranked protected entry for c, or -1 */
static int lookalike_scan(const struct lookalike *l,
			  const struct lookalike_cand *c,
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

/* lookalike_kind - the kind reported for a rank */
static enum lookalike_kind lookalike_kind(enum lookalike_rank r, int wide)
{
	switch (r) {
	case RANK_LABEL:
		return LOOKALIKE_OTHER_TLD;
	case RANK_EDIT:
		return LOOKALIKE_EDIT;
	case RANK_BRAND:
		return LOOKALIKE_BRAND_WORD;
	case RANK_NONE:
		return LOOKALIKE_NONE;
	default:
		return wide ? LOOKALIKE_HOMOGRAPH : LOOKALIKE_CONFUSABLE;
	}
}

/* lookalike_fill - the hit for rank r against protected entry p */
static void lookalike_fill(struct lookalike_hit *hit,
			   const struct lookalike_cand *c,
			   const struct lookalike_prot *p,
			   enum lookalike_rank r)
{
	static const char *const how[][2] = {
	    [RANK_LABEL] = {"", " under another suffix"},
	    [RANK_SKELETON] = {"looks like ", ""},
	    [RANK_EDIT] = {"one edit from ", ""},
	    [RANK_BRAND] = {"brand ", " plus a word"},
	    [RANK_SKEL_EDIT] = {"looks like ", " with one edit"},
	    [RANK_SKEL_BRAND] = {"looks like brand ", " plus a word"},
	};
	char name[DOMAIN_MAX + UNI_MAX + 4], uni[UNI_MAX];
	size_t n = sizeof(hit->reason);

	hit->kind = lookalike_kind(r, c->wide);
	snprintf(hit->protected_domain, sizeof(hit->protected_domain), "%s",
		 p->domain);
	if (c->wide && domain_to_unicode(c->d, uni, sizeof(uni)) == 0)
		snprintf(name, sizeof(name), "%s (%s)", c->d, uni);
	else
		snprintf(name, sizeof(name), "%s", c->d);
	if (snprintf(hit->reason, n, "%s: %s\"%s\"%s (protected %s)", name,
		     how[r][0], p->label.s, how[r][1], p->domain) >= (int)n)
		memcpy(hit->reason + n - 4, "...", 4); /* a huge name */
}

/* lookalike_prepare - normalise c->d and make its label and skeleton */
static int lookalike_prepare(const struct lookalike *l, const char *domain,
			     struct lookalike_cand *c)
{
	const char *reg, *s;

	if (domain_normalise(domain, c->d, sizeof(c->d)) < 0)
		return -1;
	for (s = c->d;; s++) {
		if (map_get(&l->domains, s) >= 0)
			return -1; /* protected, or under one */
		if ((s = strchr(s, '.')) == NULL)
			break;
	}
	reg = lookalike_label(c->d, c->labelbuf, sizeof(c->labelbuf), c->ulabel,
			      sizeof(c->ulabel));
	if (reg == NULL || map_get(&l->regs, reg) >= 0)
		return -1; /* no registrable domain, or a protected one */
	name_init(&c->label, c->labelbuf);
	c->wide = 0;
	for (s = c->ulabel; *s; s++)
		c->wide |= (unsigned char)*s >= 0x80;
	lookalike_skeleton(l->sc, c->ulabel, c->skelbuf, sizeof(c->skelbuf));
	name_init(&c->skel, c->skelbuf);
	c->plain = strcmp(c->labelbuf, c->skelbuf) == 0;
	return 0;
}

/*
 * lookalike_check - 1 when domain is a lookalike, with hit filled; 0
 * when not (hit is then cleared: kind LOOKALIKE_NONE, empty texts).
 * Reads the detector only; safe from many threads at once.
 */
int lookalike_check(const struct lookalike *l, const char *domain,
		    struct lookalike_hit *hit)
{
	struct lookalike_cand c;
	enum lookalike_rank r = RANK_NONE;
	int at;

	if (hit)
		memset(hit, 0, sizeof(*hit));
	if (l == NULL || l->n == 0 || lookalike_prepare(l, domain, &c) < 0)
		return 0;
	if ((at = map_get(&l->labels, c.label.s)) >= 0)
		r = RANK_LABEL;
	else if (c.skel.s[0] && (at = map_get(&l->skels, c.skel.s)) >= 0)
		r = RANK_SKELETON;
	else
		at = lookalike_scan(l, &c, &r);
	if (r == RANK_NONE)
		return 0;
	if (hit)
		lookalike_fill(hit, &c, &l->p[at], r);
	return 1;
}

/* lookalike_kind_name - "edit", "other_tld", "brand_word", ... */
const char *lookalike_kind_name(enum lookalike_kind k)
{
	switch (k) {
	case LOOKALIKE_EDIT:
		return "edit";
	case LOOKALIKE_OTHER_TLD:
		return "other_tld";
	case LOOKALIKE_BRAND_WORD:
		return "brand_word";
	case LOOKALIKE_CONFUSABLE:
		return "confusable";
	case LOOKALIKE_HOMOGRAPH:
		return "homograph";
	default:
		return "none";
	}
}

/* lookalike_free - release the detector and everything in it */
void lookalike_free(struct lookalike *l)
{
	int i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->p[i].domain);
	free(l->p);
	free(l->domains.slot);
	free(l->regs.slot);
	free(l->labels.slot);
	free(l->skels.slot);
	uspoof_close(l->sc);
	free(l);
}
