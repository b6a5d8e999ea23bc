/*
 * NAME
 *	daemon - what outguard.c offers the daemon's other files
 * SYNOPSIS
 *	#include "daemon.h"
 */
#ifndef OUTGUARD_DAEMON_H
#define OUTGUARD_DAEMON_H

/* daemon_die - a start-up error: print "outguard: ..." and exit 1 */
void daemon_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
