/*
 * NAME
 *	lookalike_int - what lookalike*.c share; not for other modules
 * SYNOPSIS
 *	#include "lookalike_int.h"
 * DESCRIPTION
 *	The detector's layout (struct lookalike: the protected entries
 *	and the hash maps that index them), a domain under check (struct
 *	lookalike_cand), and the functions of the three helper files:
 *	lookalike_map.c (string -> index hash map), lookalike_name.c
 *	(labels, skeletons and the filters' description of a name) and
 *	lookalike_match.c (edit and brand-word comparison, the scan of
 *	every protected entry).
 */
#ifndef OUTGUARD_LOOKALIKE_INT_H
#define OUTGUARD_LOOKALIKE_INT_H

#include <stddef.h>
#include <stdint.h>

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

/* lookalike_map.c ---------------------------------------------------- */

/* lookalike_map_get - the index stored for key, or -1 */
int lookalike_map_get(const struct lookalike_map *m, const char *key);

/*
 * lookalike_map_put - store key -> idx unless key is there already (the
 * first index added stays); key is not copied.  lookalike_map_reserve()
 * must have made room.
 */
void lookalike_map_put(struct lookalike_map *m, const char *key, int idx);

/*
 * lookalike_map_reserve - room for one more key, the map at most half
 * full.  0, or -1 when out of memory (the map is then unchanged).
 */
int lookalike_map_reserve(struct lookalike_map *m);

/* lookalike_name.c --------------------------------------------------- */

/* lookalike_u8_len - bytes of the UTF-8 sequence at s (1: a stray byte) */
size_t lookalike_u8_len(const char *s);

/* lookalike_name_init - describe s (not copied) for the filters */
void lookalike_name_init(struct lookalike_name *nm, const char *s);

/*
 * lookalike_skeleton - the lower-cased ICU skeleton of the UTF-8 label
 * u, accents dropped, into out.  Returns 0, or -1 (out is then "").
 */
int lookalike_skeleton(const USpoofChecker *sc, const char *u, char *out,
		       size_t outlen);

/*
 * lookalike_label - the registrable label of the normal-form domain d
 * into out, and its Unicode form into uni.  Returns the registrable
 * domain (inside d), or NULL when d has none.
 */
const char *lookalike_label(const char *d, char *out, size_t outlen, char *uni,
			    size_t unilen);

/* lookalike_match.c -------------------------------------------------- */

/*
 * lookalike_scan - the protected entry of l that candidate c is the best
 * ranked edit or brand-word lookalike of (steps 3 to 5), with its rank
 * in *rank; -1 with RANK_NONE when there is none.
 */
int lookalike_scan(const struct lookalike *l, const struct lookalike_cand *c,
		   enum lookalike_rank *rank);

#endif
