/*
 * NAME
 *	notify - run NotifyCommand for alerts, off the mail path
 * SYNOPSIS
 *	#include "notify.h"
 * DESCRIPTION
 *	notify_send() queues an alert and returns at once; one thread runs
 *	the command with /bin/sh -c, the alert's details in OUTGUARD_*
 *	environment variables, standard input from /dev/null.  A command
 *	that runs longer than NOTIFY_TIMEOUT seconds is killed (its whole
 *	process group) and logged; a failing command is logged.  The queue
 *	is bounded; alerts beyond it are dropped and logged.
 */
#ifndef OUTGUARD_NOTIFY_H
#define OUTGUARD_NOTIFY_H

#define NOTIFY_TIMEOUT 30
#define NOTIFY_QUEUE_MAX 1000

struct notify;

/* notify_new - start the runner; command NULL or "" makes sends no-ops */
struct notify *notify_new(const char *command);

/*
 * notify_send - queue one alert.  vars is a NULL-terminated list of
 * alternating names and values, e.g. { "OUTGUARD_LOGIN", "alice", NULL };
 * a NULL value is sent as empty.  Everything is copied.
 */
void notify_send(struct notify *n, const char *const *vars);

/* notify_free - wait for queued alerts (bounded), stop; NULL is fine */
void notify_free(struct notify *n);

#endif
