/*
 * NAME
 *	notify - run NotifyCommand and other commands, off the mail path
 * SYNOPSIS
 *	#include "notify.h"
 * DESCRIPTION
 *	notify_send() queues an alert for NotifyCommand and returns at
 *	once; notify_run() queues a command of its own (block_command,
 *	the alert mail's sendmail), with its own timeout and optionally
 *	text on its standard input.  One thread runs them in order with
 *	/bin/sh -c, the details in OUTGUARD_* environment variables,
 *	standard input from /dev/null unless the job has input.  A
 *	command that runs longer than its timeout is killed (its whole
 *	process group).  Each start, failure and timeout is logged.  The
 *	queue is bounded; jobs beyond it are dropped and logged.
 *
 *	A job may name a prepare function, called on the runner thread
 *	just before its command starts: it may read what the mail path
 *	must not wait for (the store) and set variables and the input.
 */
#ifndef OUTGUARD_NOTIFY_H
#define OUTGUARD_NOTIFY_H

#define NOTIFY_TIMEOUT	 30
#define NOTIFY_QUEUE_MAX 1000

struct notify;
struct notify_task; /* a queued job, handed to prepare */

typedef void (*notify_prepare_fn)(void *arg, struct notify_task *t);

/* A command of its own, for notify_run(). */
struct notify_job {
	const char *what;	   /* names it in log lines: "block_command" */
	const char *command;	   /* run with /bin/sh -c */
	int timeout;		   /* seconds; <= 0: NOTIFY_TIMEOUT */
	const char *input;	   /* standard input, or NULL: /dev/null */
	notify_prepare_fn prepare; /* or NULL */
	void *arg;		   /* prepare's; not copied: must outlive n */
};

/*
 * notify_new - start the runner.  command is NotifyCommand: NULL or ""
 * makes notify_send() a no-op (notify_run() works either way).
 */
struct notify *notify_new(const char *command);

/*
 * notify_send - queue one alert for NotifyCommand.  vars is a
 * NULL-terminated list of alternating names and values, e.g.
 * { "OUTGUARD_LOGIN", "alice", NULL }; a NULL value is sent as empty.
 * Everything is copied.
 */
void notify_send(struct notify *n, const char *const *vars);

/* notify_run - queue job with vars (as for notify_send); copied */
void notify_run(struct notify *n, const struct notify_job *job,
		const char *const *vars);

/* notify_task_var - for prepare: the value of variable name, or NULL */
const char *notify_task_var(const struct notify_task *t, const char *name);

/*
 * notify_task_setvar - for prepare: set (or add) a variable; 0 or -1.
 * Control characters in the value are replaced by '?'.
 */
int notify_task_setvar(struct notify_task *t, const char *name,
		       const char *value);

/* notify_task_input - for prepare: the standard input text; 0 or -1 */
int notify_task_input(struct notify_task *t, const char *text);

/* notify_free - run what is queued, then stop; NULL is fine */
void notify_free(struct notify *n);

#endif
