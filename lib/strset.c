/*
 * NAME
 *	strset - a growing set of strings, each with a small index
 * DESCRIPTION
 *	See strset.h.  The hash table is kept at most half full and
 *	rebuilt at twice the size when it would pass that.
 */
#include <stdlib.h>
#include <string.h>

#include "strset.h"

/* hash - FNV-1a of str */
static unsigned hash(const char *str)
{
	unsigned h = 2166136261u;

	while (*str)
		h = (h ^ (unsigned char)*str++) * 16777619u;
	return h;
}

/* rehash - a table of nslot slots for the strings there are; 0 or -1 */
static int rehash(struct strset *set, unsigned nslot)
{
	int *slot = calloc(nslot, sizeof(*slot));
	unsigned j;

	if (slot == NULL)
		return -1;
	for (int i = 0; i < set->n; i++) {
		for (j = hash(set->s[i]) & (nslot - 1); slot[j];
		     j = (j + 1) & (nslot - 1))
			;
		slot[j] = i + 1;
	}
	free(set->slot);
	set->slot = slot;
	set->nslot = nslot;
	return 0;
}

/* strset_add - find or add str */
int strset_add(struct strset *set, const char *str)
{
	char **grown;
	unsigned j;

	if ((unsigned)(set->n + 1) * 2 > set->nslot &&
	    rehash(set, set->nslot ? set->nslot * 2 : 64) < 0)
		return -1;
	for (j = hash(str) & (set->nslot - 1); set->slot[j];
	     j = (j + 1) & (set->nslot - 1))
		if (strcmp(set->s[set->slot[j] - 1], str) == 0)
			return set->slot[j] - 1;
	if (set->n == set->cap) {
		grown = realloc(set->s, (set->cap * 2 + 16) * sizeof(*grown));
		if (grown == NULL)
			return -1;
		set->s = grown;
		set->cap = set->cap * 2 + 16;
	}
	if ((set->s[set->n] = strdup(str)) == NULL)
		return -1;
	set->slot[j] = ++set->n;
	return set->n - 1;
}

/* strset_clear - forget the strings */
void strset_clear(struct strset *set)
{
	for (int i = 0; i < set->n; i++)
		free(set->s[i]);
	set->n = 0;
	if (set->nslot > 1024) { /* a big one is not cleared again and again */
		free(set->slot);
		set->slot = NULL;
		set->nslot = 0;
	} else if (set->slot != NULL) {
		memset(set->slot, 0, set->nslot * sizeof(*set->slot));
	}
}

/* strset_free - release everything */
void strset_free(struct strset *set)
{
	strset_clear(set);
	free(set->s);
	free(set->slot);
	memset(set, 0, sizeof(*set));
}
