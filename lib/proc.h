/*
 * NAME
 *	proc - run a program and wait for it
 * SYNOPSIS
 *	#include "proc.h"
 * DESCRIPTION
 *	The one way outguard starts another program: the daemon's
 *	notifier (NotifyCommand, block_command, the alert mail) and
 *	outguardctl's MTA tools (postqueue, postsuper, mailq, ...).
 *	proc_run() starts argv with posix_spawn (no fork of a threaded
 *	daemon), without a shell unless argv names one, in the given
 *	environment; optionally feeds text to its standard input, reads its
 *	standard output into a string, and kills it past a timeout; then
 *	reaps it and says how it ended.  Nothing is logged or printed: the
 *	caller words failures for its own users.
 *
 *	isolate is for the daemon's children: the child gets its own
 *	process group, so that a timeout kills it and everything it
 *	started, an empty signal mask, and SIGPIPE, SIGTERM, SIGINT and
 *	SIGHUP at their defaults whatever the daemon blocks or ignores.
 */
#ifndef OUTGUARD_PROC_H
#define OUTGUARD_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* How to run it.  All zero: argv[0] a path, our environment and files. */
struct proc_opts {
	char *const *env;  /* NULL: ours (environ) */
	int search_path;   /* look argv[0] up in PATH */
	int isolate;	   /* own group, default signals (see below) */
	int null_stdin;	   /* no input: /dev/null (else ours) */
	const char *input; /* text on its standard input, or NULL */
	char **out;	   /* its standard output, malloced; NULL: ours */
	int merge;	   /* with out: its standard error too */
	size_t out_max;	   /* with out: read at most this; 0: 16 MiB */
	int timeout_ms;	   /* > 0: SIGKILL after this long */
	/* called once it runs, before the wait; NULL: none */
	void (*started)(void *arg, pid_t pid);
	void *started_arg;
};

/* How it ended. */
struct proc_result {
	pid_t pid;
	int exited;    /* it exited: status holds the exit status */
	int status;    /* 0..255 */
	int signal;    /* the signal that ended it, or 0 */
	int timed_out; /* killed at timeout_ms (signal is SIGKILL) */
};

/*
 * proc_run - run argv (NULL-terminated) as o says and wait for it.
 * 0 with r filled when it ran; -1 with the cause in err when it could
 * not be started or waited for.  *o->out is NULL unless it ran (it is
 * also set when it was killed or exited non-zero); the caller frees it.
 */
int proc_run(char *const argv[], const struct proc_opts *o,
	     struct proc_result *r, char *err, size_t errlen);

#endif
