/*
 * NAME
 *	ctl - what the outguardctl files share
 * SYNOPSIS
 *	#include "ctl.h"
 * DESCRIPTION
 *	outguardctl.c parses the global options, opens the store on first
 *	use and dispatches to a command of the table ctl_cmds[] in
 *	ctl_cmds.c.  A command parses its own arguments, talks to the
 *	store through the store_admin_* functions and prints with the
 *	table printer of ctl_out.c, as aligned text or as JSON.
 *
 *	A command returns the exit status: CTL_OK, CTL_ERROR (after
 *	ctl_error() said why), CTL_USAGE (after ctl_cmd_usage()) or
 *	CTL_REMOTE (quarantined mail held on another relay was not acted
 *	on, after saying which relay holds it; nothing else failed).
 */
#ifndef OUTGUARD_CTL_H
#define OUTGUARD_CTL_H

#include <stdio.h>
#include <time.h>

#include "store.h"

enum { CTL_OK = 0, CTL_ERROR = 1, CTL_USAGE = 2, CTL_REMOTE = 3 };

#define CTL_LOGIN_MAX 320 /* longest login accepted on the command line */

/* One run of the program. */
struct ctl {
	const char *db_path;   /* the database, from -d or the config */
	const char *conf_path; /* -c FILE (for its MTA key), or NULL */
	int json;	       /* --json */
	time_t now;	       /* when the run started */
	const char *relay;     /* this relay: -r, RelayName, host name */
	struct store *store;   /* opened by ctl_store() */
};

/* A command: name, argument synopsis, one line of help, and its code. */
struct ctl_cmd {
	const char *name;
	const char *synopsis;
	const char *help;
	int (*run)(struct ctl *ctl, int argc, char **argv);
};

/* ctl_cmds - the commands, ended by an entry with a NULL name */
extern const struct ctl_cmd ctl_cmds[];

/* outguardctl.c ---------------------------------------------------- */

/* ctl_store - the store, opened on first use; NULL after ctl_error() */
struct store *ctl_store(struct ctl *ctl);

/* ctl_error - print "outguardctl: ..." on stderr */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ctl_nomem - say "out of memory" and exit 1 */
void ctl_nomem(void) __attribute__((noreturn));

/* ctl_cmd_usage - print the usage of command name on stderr; CTL_USAGE */
int ctl_cmd_usage(const char *name);

/*
 * ctl_opt - match argv[*i] against the option name ("--window") in the
 * forms "--window VALUE" and "--window=VALUE".  Returns 1 and sets val
 * (advancing *i past a separate value), 0 when argv[*i] is another
 * word, -1 when the value is missing.
 */
int ctl_opt(int argc, char **argv, int *i, const char *name, const char **val);

/* ctl_parse_duration - "30m", "1h", "2d", "1w", "3600"; 0, or -1 */
int ctl_parse_duration(const char *s, long *out);

/* ctl_parse_count - a number 0..1000000; 0, or -1 */
int ctl_parse_count(const char *s, int *out);

/* ctl_parse_since - a duration ago, an epoch or a local date; 0/-1 */
int ctl_parse_since(const char *s, time_t now, time_t *out);

/* ctl_format_duration - 3600 to "1h", 90 to "90s" */
void ctl_format_duration(long secs, char *buf, size_t len);

/* ctl_format_time - local ISO-8601 "2024-05-01T12:00:00+02:00" */
void ctl_format_time(time_t t, char *buf, size_t len);

/* ctl_login - check and lower-case a login into buf; 0, or -1 */
int ctl_login(const char *arg, char *buf, size_t len);

/*
 * ctl_admin_name - who runs this: $SUDO_USER when set, else the name of
 * the real uid (its number when it has none), into buf; returns buf
 */
const char *ctl_admin_name(char *buf, size_t len);

/* ctl_cmds.c ------------------------------------------------------- */

/*
 * ctl_admin_event - the events row (kind admin) of a change made to
 * login (NULL: not a login's, e.g. a protected domain); 0, or -1 after
 * saying the change is made but not recorded
 */
int ctl_admin_event(struct ctl *ctl, const char *login, const char *action,
		    const char *detail);

/* ctl_status.c ----------------------------------------------------- */

/* A login's users row, or the defaults when it has none. */
struct ctl_user {
	char cls[64];	  /* "default" without a row */
	char status[16];  /* "active" without a row */
	char *note;	  /* malloced, or NULL */
	char changed[24]; /* epoch seconds, or "" */
	int known;	  /* 1 when the login has a row */
};

/* ctl_user_get - login's row into u (free u->note); 0, or -1 (said) */
int ctl_user_get(struct ctl *ctl, const char *login, struct ctl_user *u);

/* ctl_cmd_status - status LOGIN */
int ctl_cmd_status(struct ctl *ctl, int argc, char **argv);

/* ctl_rules.c ------------------------------------------------------ */

/* ctl_cmd_rules - rules list | rules test TEXT */
int ctl_cmd_rules(struct ctl *ctl, int argc, char **argv);

/* ctl_seen.c ------------------------------------------------------- */

/* ctl_cmd_protected - protected add DOMAIN [NOTE] | remove DOMAIN | list */
int ctl_cmd_protected(struct ctl *ctl, int argc, char **argv);

/* ctl_cmd_seen - seen [--since WHEN] [--limit N] */
int ctl_cmd_seen(struct ctl *ctl, int argc, char **argv);

/* ctl_quarantine.c ------------------------------------------------- */

/* ctl_cmd_quarantine - list [--all] | show ID | release ID | delete ID */
int ctl_cmd_quarantine(struct ctl *ctl, int argc, char **argv);

/*
 * ctl_quarantine_local - 1 when a quarantine row's relay (NULL: a row
 * from before quarantine.relay) is this relay, whose MTA holds it
 */
int ctl_quarantine_local(const struct ctl *ctl, const char *relay);

/*
 * ctl_quarantine_act - release (1) or delete (0) the quarantine row key
 * (its id, else its queue id) through the MTA's tools, set its status
 * and write an events row; prints the outcome.  CTL_OK or CTL_ERROR;
 * CTL_REMOTE, changing nothing, when another relay holds the message
 * (after saying "... held on RELAY: run outguardctl there").
 */
int ctl_quarantine_act(struct ctl *ctl, const char *key, int release);

/* ctl_mta.c, ctl_mta_sendmail.c ------------------------------------ */

/* What the MTA actions return. */
enum { CTL_MTA_FAIL = -1, CTL_MTA_OK = 0, CTL_MTA_GONE = 1 };

/* The MTA of the config, with its queue as listed when opened. */
struct ctl_mta;

/*
 * ctl_mta_open - the MTA named by the config's MTA key (Postfix without
 * a config, i.e. with -d), its queue listed once; NULL after ctl_error()
 */
struct ctl_mta *ctl_mta_open(const struct ctl *ctl);

/* ctl_mta_name - "Postfix" or "Sendmail" */
const char *ctl_mta_name(const struct ctl_mta *m);

/*
 * ctl_mta_where - where the listing has queue id qid: "hold" (Postfix)
 * or "quarantine" (Sendmail) when quarantined, another queue's name
 * ("deferred", "queue", ...), or "gone"; *held (may be NULL) is set to 1
 * for the quarantine.  The string lives as long as m.
 */
const char *ctl_mta_where(const struct ctl_mta *m, const char *qid, int *held);

/* ctl_mta_show - print qid's message on stdout: CTL_MTA_OK/GONE/FAIL */
int ctl_mta_show(struct ctl_mta *m, const char *qid);

/*
 * ctl_mta_release - take qid out of the quarantine and have the MTA
 * deliver it now (a message in another queue is just delivered):
 * CTL_MTA_OK, CTL_MTA_GONE (the MTA does not have it) or CTL_MTA_FAIL
 * (said).  Output of a failing tool goes to stderr.
 */
int ctl_mta_release(struct ctl_mta *m, const char *qid);

/* ctl_mta_delete - remove quarantined qid: CTL_MTA_OK/GONE/FAIL */
int ctl_mta_delete(struct ctl_mta *m, const char *qid);

/* ctl_mta_free - close; NULL is fine */
void ctl_mta_free(struct ctl_mta *m);

/* ctl_incidents.c -------------------------------------------------- */

/*
 * ctl_cmd_incidents - list [--all] [--since WHEN] [--login LOGIN]
 * [--limit N] | show ID | release ID | delete ID [--unblock] |
 * close ID [NOTE...]
 */
int ctl_cmd_incidents(struct ctl *ctl, int argc, char **argv);

/* ctl_simulate.c --------------------------------------------------- */

/* ctl_cmd_simulate - simulate [--since WHEN] FILE.sql */
int ctl_cmd_simulate(struct ctl *ctl, int argc, char **argv);

/* ctl_out.c -------------------------------------------------------- */

enum ctl_type {
	CTL_STR,  /* text; JSON string */
	CTL_NUM,  /* right-aligned; JSON number */
	CTL_BOOL, /* "1"/"0": yes/no; JSON true/false */
	CTL_TIME, /* epoch seconds shown as local ISO-8601 */
};

#define CTL_JSON_ONLY 1 /* the column is left out of text output */
#define CTL_TEXT_ONLY 2 /* the column is left out of JSON output */

struct ctl_col {
	const char *title; /* text heading */
	const char *key;   /* JSON key */
	enum ctl_type type;
	int flags;
};

struct ctl_table;

/* ctl_table_new - a table with ncols columns (cols is copied) */
struct ctl_table *ctl_table_new(const struct ctl_col *cols, int ncols);

/* ctl_table_add - append a row of ncols values (copied; NULL = none) */
int ctl_table_add(struct ctl_table *t, const char *const *values);

/* The options of the listing commands (ctl_list_opts's allow mask). */
#define CTL_OPT_WINDOW 1 /* --window DURATION */
#define CTL_OPT_SINCE  2 /* --since WHEN */
#define CTL_OPT_LOGIN  4 /* --login LOGIN */
#define CTL_OPT_LIMIT  8 /* --limit N */

struct ctl_list {
	long window; /* the caller sets the defaults */
	time_t since;
	int max;
	const char *login; /* NULL, or points into login_buf */
	char login_buf[CTL_LOGIN_MAX + 1];
};

/*
 * ctl_list_opts - parse argv[1..] for the options in allow into o;
 * CTL_OK, or CTL_USAGE after saying what is wrong
 */
int ctl_list_opts(struct ctl *ctl, int argc, char **argv, int allow,
		  struct ctl_list *o);

/*
 * ctl_table_done - print t (or say "cannot read what" when rc < 0),
 * free it; CTL_OK or CTL_ERROR
 */
int ctl_table_done(struct ctl *ctl, struct ctl_table *t, int rc,
		   const char *what);

/* ctl_table_make, ctl_table_push - the same, exiting when out of memory */
struct ctl_table *ctl_table_make(const struct ctl_col *cols, int n);
void ctl_table_push(struct ctl_table *t, const char *const *values);

/* ctl_table_row - a store_row_fn that pushes the row into the table arg */
int ctl_table_row(void *arg, int n, const char *const *names,
		  const char *const *values);

/* ctl_table_rows - how many rows the table has */
int ctl_table_rows(const struct ctl_table *t);

/* ctl_table_print - aligned text with a heading, or a JSON array */
void ctl_table_print(const struct ctl_table *t, int json, FILE *f);

/* ctl_table_json - the table as a JSON array (no newline after it) */
void ctl_table_json(const struct ctl_table *t, FILE *f);

/* ctl_table_print_kv - row as "Title: value" lines, one per column */
void ctl_table_print_kv(const struct ctl_table *t, int row, FILE *f);

/* ctl_table_json_fields - row as JSON members "k":v,... (no braces) */
void ctl_table_json_fields(const struct ctl_table *t, int row, FILE *f);

/* ctl_table_free - release the table; NULL is fine */
void ctl_table_free(struct ctl_table *t);

/* ctl_json_string - s as a JSON string (null for NULL), always valid */
void ctl_json_string(FILE *f, const char *s);

#endif
