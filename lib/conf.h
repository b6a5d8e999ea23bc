/*
 * NAME
 *	conf - the process settings of outguard.conf
 * SYNOPSIS
 *	#include "conf.h"
 * DESCRIPTION
 *	outguard.conf holds "Key value" lines and # comments, in the style
 *	of opendkim.conf.  Only process settings live here; policy lives in
 *	the database.  The keys are declared in one table in conf.c.
 * DIAGNOSTICS
 *	conf_load() reports the first problem as "FILE:LINE: message" in
 *	err and returns -1; the struct then holds defaults and the keys
 *	read before the problem.
 */
#ifndef OUTGUARD_CONF_H
#define OUTGUARD_CONF_H

#include <stddef.h>

#define CONF_DEFAULT_PATH  "/etc/outguard/outguard.conf"
#define CONF_DEFAULT_UMASK 007 /* a 0660 socket: owner and group only */

enum conf_store_error {
	CONF_STORE_TEMPFAIL,
	CONF_STORE_ACCEPT,
	CONF_STORE_ENFORCE /* the default: SPEC 6.3 */
};
enum conf_mta { CONF_MTA_POSTFIX, CONF_MTA_SENDMAIL };

struct conf {
	char *socket;	     /* libmilter socket spec */
	char *database;	     /* SQLite file or postgresql:// URI */
	char *user_id;	     /* user[:group] to run as, or NULL */
	char *socket_group;  /* group of the unix socket, or NULL */
	int umask;	     /* process umask (socket, PidFile) */
	char *pid_file;	     /* or NULL */
	int syslog;	     /* 1: log to syslog */
	int syslog_facility; /* LOG_MAIL, ... */
	int log_level;	     /* LOG_INFO, ... (syslog priorities) */
	enum conf_store_error on_store_error;
	enum conf_mta mta;
	char *notify_command; /* or NULL */
	char *mail_log;	      /* MailLog: a path, "journal", or NULL */
	char *metrics_socket; /* inet:PORT@HOST of /metrics, or NULL: off */
	char *relay_name;     /* RelayName, or NULL: the host name */
};

/* An inet:PORT@HOST or inet6:PORT@HOST spec, split. */
struct conf_inet {
	int v6;		/* inet6: */
	unsigned port;	/* 1..65535 */
	char host[256]; /* name or address, without [] */
};

/* conf_init - fill in the defaults; conf_free() releases the strings */
void conf_init(struct conf *c);

/* conf_free - release what conf_init()/conf_load() allocated */
void conf_free(struct conf *c);

/*
 * conf_load - read a config file over the current values.
 * Returns 0, or -1 with "path:line: problem" (or "path: problem") in err.
 */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);

/* conf_set - set one key by name, as a config line would; for -p etc. */
int conf_set(struct conf *c, const char *key, const char *value, char *err,
	     size_t errlen);

/*
 * conf_inet_parse - split "inet:PORT@HOST" or "inet6:PORT@HOST" (the
 * host required, case-insensitive prefix); 0, or -1 when it is not one
 */
int conf_inet_parse(const char *spec, struct conf_inet *out);

#endif
