/*
 * NAME
 *	callbacks - outguard's libmilter callbacks
 * SYNOPSIS
 *	#include "callbacks.h"
 * DESCRIPTION
 *	callbacks_desc() returns the smfiDesc to register; the callbacks
 *	hand everything to the guard given to callbacks_init().
 */
#ifndef OUTGUARD_CALLBACKS_H
#define OUTGUARD_CALLBACKS_H

#include <libmilter/mfapi.h>

#include "guard.h"

/* callbacks_init - the guard every connection uses */
void callbacks_init(struct guard *g);

/* callbacks_desc - the filter description for smfi_register() */
struct smfiDesc *callbacks_desc(void);

#endif
