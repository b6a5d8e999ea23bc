/*
 * NAME
 *	lookalike_map - string to index hash maps of the lookalike detector
 * SYNOPSIS
 *	#include "lookalike_int.h"
 *
 *	int lookalike_map_get(const struct lookalike_map *m, const char *key);
 *
 *	void lookalike_map_put(struct lookalike_map *m, const char *key,
 *			       int idx);
 *
 *	int lookalike_map_reserve(struct lookalike_map *m);
 * DESCRIPTION
 *	Open addressing with linear probing over FNV-1a hashes; the
 *	capacity is a power of two and the map stays at most half full,
 *	so a probe ends at an empty slot.  Keys are not copied: they are
 *	the strings of the protected entries, which outlive the map.  A
 *	key keeps the first index stored for it.  Nothing is ever
 *	removed; lookalike_free() frees the slots.
 *
 *	After the last put, a map is only read, from any thread.
 * DIAGNOSTICS
 *	lookalike_map_reserve() returns -1 when out of memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lookalike_int.h"

/* lookalike_hash - FNV-1a */
static uint64_t lookalike_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

/* lookalike_map_get - the index stored for key, or -1 */
int lookalike_map_get(const struct lookalike_map *m, const char *key)
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

/* lookalike_map_put - key -> idx unless key is there; room is reserved */
void lookalike_map_put(struct lookalike_map *m, const char *key, int idx)
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

/* lookalike_map_reserve - room for one more key; -1 when out of memory */
int lookalike_map_reserve(struct lookalike_map *m)
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
			lookalike_map_put(&bigger, m->slot[i].key,
					  m->slot[i].idx);
	free(m->slot);
	*m = bigger;
	return 0;
}
