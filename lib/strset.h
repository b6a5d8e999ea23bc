/*
 * NAME
 *	strset - a growing set of strings, each with a small index
 * SYNOPSIS
 *	#include "strset.h"
 *	struct strset set = { 0 };
 *	int i = strset_add(&set, "192.0.2.1");	// set.s[i]
 * DESCRIPTION
 *	Interning for the replay of simulate.c: the first add of a string
 *	copies it and gives it the next index, later adds find it (open
 *	addressing on an FNV-1a hash).  strset_clear() forgets the strings
 *	and keeps the memory of the tables; strset_free() releases all.
 */
#ifndef OUTGUARD_STRSET_H
#define OUTGUARD_STRSET_H

struct strset {
	char **s; /* the strings, by index */
	int n, cap;
	int *slot;	/* index + 1 per hash slot, 0 empty */
	unsigned nslot; /* a power of two, or 0 */
};

/* strset_add - the index of str (added if new); -1 when out of memory */
int strset_add(struct strset *set, const char *str);

/* strset_clear - forget every string (the set stays usable) */
void strset_clear(struct strset *set);

/* strset_free - release the set's memory; it is then empty */
void strset_free(struct strset *set);

#endif
