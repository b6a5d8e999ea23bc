/*
 * NAME
 *	store_windows - store_lookup's window callbacks for the tests
 * SYNOPSIS
 *	#include "store_windows.h"
 *	store_lookup(s, login, NULL, now, &u, windows_3600, NULL, c, NULL);
 */
#ifndef OUTGUARD_STORE_WINDOWS_H
#define OUTGUARD_STORE_WINDOWS_H

#include "store.h"

/* windows_3600 - store_lookup's callback: one hour */
static inline int windows_3600(void *arg, const struct store_user *u,
			       struct window_counts *c)
{
	(void)arg;
	(void)u;
	c[0].window_s = 3600;
	return 1;
}

#endif
