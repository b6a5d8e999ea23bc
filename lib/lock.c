/*
 * NAME
 *	lock - the out-of-line parts of lock.h's checks
 * DESCRIPTION
 *	See lock.h.  A thread's token is the address of a thread-local
 *	byte: unique among live threads, and no cast of pthread_t.  The
 *	read locks a thread holds are a small thread-local list.  These
 *	are built in every build, so that a test can force the checks on.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lock.h"

static _Thread_local char token;
static _Thread_local const struct lock_rw *rd_held[LOCK_RD_MAX];
static _Thread_local int rd_n;

/* lock_self - the calling thread's token */
uintptr_t lock_self(void)
{
	return (uintptr_t)&token;
}

/* lock_fail - a broken lock contract: say where, abort */
void lock_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: lock contract broken: %s\n", file, line, what);
	abort();
}

/* lock_rd_note - add l to, or remove it from, this thread's read locks */
void lock_rd_note(const struct lock_rw *l, int add)
{
	int i;

	if (add) {
		if (rd_n == LOCK_RD_MAX)
			lock_fail(__FILE__, __LINE__, "too many read locks");
		rd_held[rd_n++] = l;
		return;
	}
	for (i = rd_n - 1; i >= 0; i--)
		if (rd_held[i] == l) {
			rd_held[i] = rd_held[--rd_n];
			return;
		}
}

/* lock_rd_mine - whether this thread holds l for reading */
int lock_rd_mine(const struct lock_rw *l)
{
	int i;

	for (i = 0; i < rd_n; i++)
		if (rd_held[i] == l)
			return 1;
	return 0;
}
