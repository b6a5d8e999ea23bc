/*
 * NAME
 *	action - what outguard does with a message or recipient
 * SYNOPSIS
 *	#include "action.h"
 * DESCRIPTION
 *	Actions are ordered by severity; when several limits or checks
 *	trip, the most severe one wins.  block is the strongest: it marks
 *	the login blocked and tempfails this and every later message.
 */
#ifndef OUTGUARD_ACTION_H
#define OUTGUARD_ACTION_H

enum action {
	ACTION_ACCEPT = 0,
	ACTION_HEADER,
	ACTION_QUARANTINE,
	ACTION_TEMPFAIL,
	ACTION_REJECT,
	ACTION_DISCARD,
	ACTION_BLOCK,
};

/* action_name - the SQL spelling of an action ("tempfail") */
const char *action_name(enum action a);

/* action_parse - SQL spelling to action; returns 0, or -1 when unknown */
int action_parse(const char *s, enum action *out);

/* action_max - the more severe of two actions */
static inline enum action action_max(enum action a, enum action b)
{
	return a > b ? a : b;
}

/* action_refuses - true when the action keeps the message from delivery */
static inline int action_refuses(enum action a)
{
	return a >= ACTION_TEMPFAIL;
}

#endif
