/*
 * NAME
 *	log - syslog and stderr logging
 * DESCRIPTION
 *	See log.h.  The rate limiter keeps a small fixed table of keys;
 *	when it is full the oldest entry is reused.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static struct {
	char ident[32];
	int use_syslog;
	int use_stderr;
	int level;
} lg = { "outguard", 0, 1, LOG_INFO };

#define RL_SLOTS 64

static struct {
	char key[64];
	time_t last;
	long dropped;
} rl[RL_SLOTS];
static pthread_mutex_t rl_lock = PTHREAD_MUTEX_INITIALIZER;

/* log_open - choose destinations */
void log_open(const char *ident, int use_syslog, int facility, int level,
	      int use_stderr)
{
	snprintf(lg.ident, sizeof(lg.ident), "%s", ident);
	if (lg.use_syslog)
		closelog();
	lg.use_syslog = use_syslog;
	lg.use_stderr = use_stderr;
	lg.level = level;
	if (use_syslog)
		openlog(lg.ident, LOG_PID | LOG_NDELAY, facility);
}

/* log_vmsg - write one line */
static void log_vmsg(int prio, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void log_vmsg(int prio, const char *fmt, va_list ap)
{
	char buf[1024];

	if (prio > lg.level)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (lg.use_syslog)
		syslog(prio, "%s", buf);
	if (lg.use_stderr)
		fprintf(stderr, "%s[%ld]: %s\n", lg.ident, (long)getpid(), buf);
}

/* log_msg - write one line at priority prio */
void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

/* log_ratelimited - at most one line per key and period */
int log_ratelimited(const char *key, int period, int prio, const char *fmt, ...)
{
	time_t now = time(NULL);
	long dropped = 0;
	int i, slot = 0, write_it = 1;
	va_list ap;

	pthread_mutex_lock(&rl_lock);
	for (i = 0; i < RL_SLOTS; i++) {
		if (strncmp(rl[i].key, key, sizeof(rl[i].key) - 1) == 0)
			break;
		if (rl[i].last < rl[slot].last)
			slot = i;
	}
	if (i < RL_SLOTS) {
		if (now - rl[i].last < period) {
			rl[i].dropped++;
			write_it = 0;
		} else {
			dropped = rl[i].dropped;
			rl[i].dropped = 0;
			rl[i].last = now;
		}
	} else {
		snprintf(rl[slot].key, sizeof(rl[slot].key), "%s", key);
		rl[slot].last = now;
		rl[slot].dropped = 0;
	}
	pthread_mutex_unlock(&rl_lock);
	if (!write_it)
		return 0;
	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
	if (dropped > 0)
		log_msg(prio, "(the line above repeated %ld times before)",
			dropped);
	return 1;
}

static const struct {
	const char *name;
	int value;
} levels[] = {
	{ "emerg", LOG_EMERG }, { "alert", LOG_ALERT }, { "crit", LOG_CRIT },
	{ "err", LOG_ERR },	{ "error", LOG_ERR },	{ "warning", LOG_WARNING },
	{ "warn", LOG_WARNING }, { "notice", LOG_NOTICE }, { "info", LOG_INFO },
	{ "debug", LOG_DEBUG },
}, facilities[] = {
	{ "mail", LOG_MAIL },	{ "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* log_level_parse - level name to priority */
int log_level_parse(const char *s)
{
	unsigned i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcasecmp(s, levels[i].name) == 0)
			return levels[i].value;
	return -1;
}

/* log_facility_parse - facility name to value */
int log_facility_parse(const char *s)
{
	unsigned i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++)
		if (strcasecmp(s, facilities[i].name) == 0)
			return facilities[i].value;
	return -1;
}
