/*
 * NAME
 *	log - one place for outguard's log lines
 * SYNOPSIS
 *	#include "log.h"
 * DESCRIPTION
 *	Lines go to syslog, to stderr, or both, with syslog priorities.
 *	Lines above the configured level are dropped.  log_ratelimited()
 *	drops repeats of the same problem within a period, so a failing
 *	database does not flood the log with one line per message.
 */
#ifndef OUTGUARD_LOG_H
#define OUTGUARD_LOG_H

#include <syslog.h>

/* log_open - choose destinations; safe to call again to change them */
void log_open(const char *ident, int use_syslog, int facility, int level,
	      int use_stderr);

/* log_msg - write one line at priority prio (LOG_ERR, LOG_INFO, ...) */
void log_msg(int prio, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * log_ratelimited - like log_msg, but at most once per period seconds for
 * the same key; returns 1 when the line was written.  key is copied.
 */
int log_ratelimited(const char *key, int period, int prio, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* log_level_parse - "info", "debug", ... to a priority; -1 if unknown */
int log_level_parse(const char *s);

/* log_facility_parse - "mail", "local0", ... to a facility; -1 if unknown */
int log_facility_parse(const char *s);

#endif
