/*
 * NAME
 *	lookalike - is a domain dressed up as a protected one?
 * SYNOPSIS
 *	#include "lookalike.h"
 * DESCRIPTION
 *	See lookalike.h.  Names are compared by their registrable label
 *	("linkedin" for linkedin.com and linkedin.co.uk) and its skeleton,
 *	made in lookalike_name.c.
 *
 *	lookalike_add() prepares each protected domain once: normal form,
 *	registrable domain, label and skeleton, with hash maps
 *	(lookalike_map.c) from each of them to the entry.
 *	lookalike_check() makes one skeleton per call and then compares
 *	strings only, in this order (the first step that holds wins;
 *	within a step the first added, except that steps 3 to 5 prefer the
 *	longest brand):
 *	  0. not a lookalike: no normal form, no registrable domain, a
 *	     protected domain or a subdomain of one, or the same
 *	     registrable domain as a protected one (the same owner);
 *	  1. other_tld: the same label (hash lookup);
 *	  2. confusable or homograph: the same skeleton (hash lookup);
 *	  3. edit: labels one edit apart (brand of 4 characters or more);
 *	  4. brand_word: the brand in the label, see lookalike_brand()
 *	     in lookalike_match.c;
 *	  5. steps 3 and 4 on the skeletons, reported as confusable or
 *	     homograph.
 *	Homograph means the candidate label has non-ASCII letters; such
 *	labels skip steps 3 and 4, whose A-label text means nothing.
 *	Brands under 4 characters get no edit step, and count in step 4
 *	only as a whole word ("dhl-delivery").  Steps 3 to 5 scan every
 *	protected domain behind cheap filters (lookalike_match.c).  With
 *	1,000 protected domains a check costs a few microseconds, most of
 *	it in libidn2, libpsl and ICU.
 *
 *	Thread safety: after the last lookalike_add(), the detector is
 *	only read.  ICU documents the functions taking a const
 *	USpoofChecker, uspoof_getSkeletonUTF8() among them, as safe to
 *	call concurrently on one checker, so one checker per detector
 *	serves every thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lookalike_int.h"

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

	if (lookalike_map_reserve(&l->domains) < 0 ||
	    lookalike_map_reserve(&l->regs) < 0 ||
	    lookalike_map_reserve(&l->labels) < 0 ||
	    lookalike_map_reserve(&l->skels) < 0)
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
	lookalike_name_init(&p->label, buf + dn);
	lookalike_name_init(&p->skel, buf + dn + ln);
	lookalike_name_init(&u, uni);
	p->brand = u.chars;
	p->plain = strcmp(p->label.s, p->skel.s) == 0;
	lookalike_map_put(&l->domains, p->domain, l->n);
	lookalike_map_put(&l->regs, p->reg, l->n);
	lookalike_map_put(&l->labels, p->label.s, l->n);
	lookalike_map_put(&l->skels, p->skel.s, l->n);
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
	if (lookalike_map_get(&l->domains, d) >= 0)
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
		[RANK_LABEL] = { "", " under another suffix" },
		[RANK_SKELETON] = { "looks like ", "" },
		[RANK_EDIT] = { "one edit from ", "" },
		[RANK_BRAND] = { "brand ", " plus a word" },
		[RANK_SKEL_EDIT] = { "looks like ", " with one edit" },
		[RANK_SKEL_BRAND] = { "looks like brand ", " plus a word" },
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
		if (lookalike_map_get(&l->domains, s) >= 0)
			return -1; /* protected, or under one */
		if ((s = strchr(s, '.')) == NULL)
			break;
	}
	reg = lookalike_label(c->d, c->labelbuf, sizeof(c->labelbuf), c->ulabel,
			      sizeof(c->ulabel));
	if (reg == NULL || lookalike_map_get(&l->regs, reg) >= 0)
		return -1; /* no registrable domain, or a protected one */
	lookalike_name_init(&c->label, c->labelbuf);
	c->wide = 0;
	for (s = c->ulabel; *s; s++)
		c->wide |= (unsigned char)*s >= 0x80;
	lookalike_skeleton(l->sc, c->ulabel, c->skelbuf, sizeof(c->skelbuf));
	lookalike_name_init(&c->skel, c->skelbuf);
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
	if ((at = lookalike_map_get(&l->labels, c.label.s)) >= 0)
		r = RANK_LABEL;
	else if (c.skel.s[0] &&
		 (at = lookalike_map_get(&l->skels, c.skel.s)) >= 0)
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
