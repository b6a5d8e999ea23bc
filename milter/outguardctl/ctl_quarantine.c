/*
 * NAME
 *	ctl_quarantine - outguardctl quarantine: review held mail
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_cmd_quarantine(struct ctl *ctl, int argc, char **argv);
 *	int ctl_quarantine_act(struct ctl *ctl, const char *key, int release);
 * DESCRIPTION
 *	The daemon writes a quarantine row when it holds a message; the
 *	MTA keeps the message.  These commands join the two, the MTA's
 *	side through ctl_mta (Postfix or Sendmail, from the config's MTA
 *	key):
 *
 *	list [--all] shows the held rows (every row with --all, and then
 *	who reviewed each and when), newest first, with where the MTA has
 *	the message now: its quarantine ("hold" for Postfix, "quarantine"
 *	for Sendmail), another queue's name, or "gone" when the MTA no
 *	longer has it.
 *
 *	show ID prints the row, then the message as the MTA has it.
 *
 *	release ID delivers the message at once; delete ID removes it.
 *	Each sets the row's status (released, deleted), reviewed_by (the
 *	admin, see ctl_admin_name) and reviewed_at, and writes an events
 *	row of kind "admin".  When the MTA no longer has the message the
 *	row becomes "gone" (reviewed likewise) and the command fails.
 *
 *	ID is the row's id, or failing that a queue id.
 *
 *	On a fleet of relays sharing one PostgreSQL database, each row
 *	names the relay whose MTA holds the message (quarantine.relay).
 *	list shows every relay's rows, with where the local MTA has those
 *	of this relay and "remote" for the others; show, release and
 *	delete act through the local MTA only on this relay's rows (a
 *	row without a relay, from before the column, counts as local).
 *	For another relay's row they say "held on RELAY: run outguardctl
 *	there" and return CTL_REMOTE, changing nothing.
 * DIAGNOSTICS
 *	A tool that fails has its own message printed; the exit status
 *	is then CTL_ERROR.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl.h"

#define QCOLS_STORE 12 /* columns of a store_admin_quarantine row */
#define QCOL_RELAY  11 /* quarantine.relay, of them */

/* One quarantine row, as the store hands it out. */
struct qrow {
	char *v[QCOLS_STORE]; /* id, ts, queue_id, login, from, rcpts,
				   subject, reason, status, reviewed_by,
				   reviewed_at, relay; malloced or NULL */
};

/* ctl_quarantine_local - 1 when relay (NULL: an old row) is this one */
int ctl_quarantine_local(const struct ctl *ctl, const char *relay)
{
	return relay == NULL || *relay == 0 ||
	       strcasecmp(relay, ctl->relay) == 0;
}

/* qrow_fill - a store row into the struct qrow at arg */
static int qrow_fill(void *arg, int n, const char *const *names,
		     const char *const *v)
{
	struct qrow *r = arg;
	int i;

	(void)names;
	if (n < QCOLS_STORE)
		return 1;
	for (i = 0; i < QCOLS_STORE; i++)
		if (v[i] && (r->v[i] = strdup(v[i])) == NULL)
			ctl_nomem();
	return 1;
}

/* qrow_free - release a row's values */
static void qrow_free(struct qrow *r)
{
	int i;

	for (i = 0; i < QCOLS_STORE; i++)
		free(r->v[i]);
}

/* qrow_get - the row named by key into r; 0, or -1 (said) */
static int qrow_get(struct ctl *ctl, const char *key, struct qrow *r)
{
	int rc;

	memset(r, 0, sizeof *r);
	if (ctl_store(ctl) == NULL)
		return -1;
	rc = store_admin_quarantine_get(ctl->store, key, qrow_fill, r);
	if (rc < 0)
		ctl_error("cannot read the quarantine table");
	else if (rc == 0)
		ctl_error("no quarantined message %s", key);
	else if (r->v[2] == NULL || *r->v[2] == 0)
		ctl_error("quarantine %s has no queue id", r->v[0]);
	else
		return 0;
	qrow_free(r);
	return -1;
}

/* columns of list and show; IN MTA is filled from the MTA's listing */
static const struct ctl_col qcols[] = {
	{ "ID", "id", CTL_NUM, 0 },
	{ "", "ts", CTL_NUM, CTL_JSON_ONLY },
	{ "TIME", "time", CTL_TIME, 0 },
	{ "QUEUE ID", "queue_id", CTL_STR, 0 },
	{ "LOGIN", "login", CTL_STR, 0 },
	{ "FROM", "mail_from", CTL_STR, 0 },
	{ "RCPTS", "rcpts", CTL_STR, 0 },
	{ "SUBJECT", "subject", CTL_STR, 0 },
	{ "REASON", "reason", CTL_STR, 0 },
	{ "RELAY", "relay", CTL_STR, 0 },
	{ "STATUS", "status", CTL_STR, 0 },
	{ "REVIEWED BY", "reviewed_by", CTL_STR, 0 },
	{ "REVIEWED AT", "reviewed_at", CTL_TIME, 0 },
	{ "IN MTA", "in_mta", CTL_STR, 0 },
};
#define QCOLS		 ((int)(sizeof qcols / sizeof *qcols))
#define QCOL_REVIEWED_BY 11

/* qtable - a table of qcols; the review columns JSON-only unless review */
static struct ctl_table *qtable(int review)
{
	struct ctl_col cols[QCOLS];

	memcpy(cols, qcols, sizeof cols);
	if (!review) {
		cols[QCOL_REVIEWED_BY].flags = CTL_JSON_ONLY;
		cols[QCOL_REVIEWED_BY + 1].flags = CTL_JSON_ONLY;
	}
	return ctl_table_make(cols, QCOLS);
}

/* qtable_push - a store row (v) and where the MTA has it, as a row */
static void qtable_push(struct ctl_table *t, const char *const *v,
			const char *where)
{
	const char *row[QCOLS];

	row[0] = v[0];
	row[1] = v[1];
	memcpy(row + 2, v + 1, 7 * sizeof *v); /* ts (as time) to reason */
	row[9] = v[QCOL_RELAY];
	memcpy(row + 10, v + 8, 3 * sizeof *v); /* status, reviewed */
	row[QCOLS - 1] = where;
	ctl_table_push(t, row);
}

/* list_arg - a table and the MTA's queue, for list_row */
struct list_arg {
	struct ctl_table *t;
	const struct ctl_mta *mta;
	const struct ctl *ctl;
};

/* list_row - a quarantine row, with where the MTA has its message */
static int list_row(void *arg, int n, const char *const *names,
		    const char *const *v)
{
	struct list_arg *a = arg;

	(void)names;
	if (n < QCOLS_STORE)
		return 1;
	qtable_push(a->t, v,
		    ctl_quarantine_local(a->ctl, v[QCOL_RELAY])
			    ? ctl_mta_where(a->mta, v[2], NULL)
			    : "remote");
	return 0;
}

/* quarantine_list - list [--all] */
static int quarantine_list(struct ctl *ctl, int all)
{
	struct ctl_mta *mta;
	struct list_arg a;
	int rc;

	if (ctl_store(ctl) == NULL || (mta = ctl_mta_open(ctl)) == NULL)
		return CTL_ERROR;
	a.t = qtable(all);
	a.mta = mta;
	a.ctl = ctl;
	rc = store_admin_quarantine(ctl->store, all, list_row, &a);
	if (rc < 0)
		ctl_error("cannot read the quarantine table");
	else
		ctl_table_print(a.t, ctl->json, stdout);
	ctl_table_free(a.t);
	ctl_mta_free(mta);
	return rc < 0 ? CTL_ERROR : CTL_OK;
}

/* print_row - the row as "Title: value" lines (JSON: one object) */
static void print_row(struct ctl *ctl, const struct qrow *r, const char *where)
{
	struct ctl_table *t = qtable(1);

	qtable_push(t, (const char *const *)r->v, where);
	if (ctl->json) {
		fputc('{', stdout);
		ctl_table_json_fields(t, 0, stdout);
		fputs("}\n", stdout);
	} else {
		ctl_table_print_kv(t, 0, stdout);
	}
	ctl_table_free(t);
}

/* set_status - the row's status, reviewer and time; 0, or -1 (said) */
static int set_status(struct ctl *ctl, const struct qrow *r, const char *status)
{
	char err[512], who[CTL_LOGIN_MAX + 1];

	ctl_admin_name(who, sizeof who);
	if (store_admin_quarantine_status(ctl->store,
					  strtoll(r->v[0], NULL, 10), status,
					  who, ctl->now, err, sizeof err) > 0)
		return 0;
	ctl_error("quarantine %s: cannot set status %s: %s", r->v[0], status,
		  *err ? err : "no such row");
	return -1;
}

/* mark_gone - the MTA does not have the message: say so, status gone */
static int mark_gone(struct ctl *ctl, const struct qrow *r)
{
	ctl_error("quarantine %s: the MTA no longer has message %s (marked "
		  "gone)",
		  r->v[0], r->v[2]);
	set_status(ctl, r, "gone");
	return CTL_ERROR;
}

/*
 * say_remote - another relay holds r's message: say which, on stderr
 * (and as JSON on stdout when json_too); CTL_REMOTE
 */
static int say_remote(struct ctl *ctl, const struct qrow *r, int json_too)
{
	ctl_error("quarantine %s (queue id %s) is held on %s: run outguardctl "
		  "there",
		  r->v[0], r->v[2], r->v[QCOL_RELAY]);
	if (json_too && ctl->json) {
		printf("{\"id\":%s,\"queue_id\":", r->v[0]);
		ctl_json_string(stdout, r->v[2]);
		fputs(",\"status\":", stdout);
		ctl_json_string(stdout, r->v[8]);
		fputs(",\"relay\":", stdout);
		ctl_json_string(stdout, r->v[QCOL_RELAY]);
		fputs("}\n", stdout);
	}
	return CTL_REMOTE;
}

/* quarantine_show - show ID: the row, then the message */
static int quarantine_show(struct ctl *ctl, const char *key)
{
	struct ctl_mta *mta = NULL;
	const char *where;
	struct qrow r;
	int rc = CTL_ERROR, st;

	if (qrow_get(ctl, key, &r) < 0)
		return CTL_ERROR;
	if (!ctl_quarantine_local(ctl, r.v[QCOL_RELAY])) {
		print_row(ctl, &r, "remote");
		rc = say_remote(ctl, &r, 0);
		goto out;
	}
	if ((mta = ctl_mta_open(ctl)) == NULL)
		goto out;
	where = ctl_mta_where(mta, r.v[2], NULL);
	print_row(ctl, &r, where);
	if (strcmp(where, "gone") == 0) {
		ctl_error("quarantine %s: the MTA no longer has message %s",
			  r.v[0], r.v[2]);
		goto out;
	}
	if (ctl->json) {
		/* JSON: the row only; the message is for people */
		rc = CTL_OK;
		goto out;
	}
	fputc('\n', stdout);
	st = ctl_mta_show(mta, r.v[2]);
	if (st == CTL_MTA_OK)
		rc = CTL_OK;
	else if (st == CTL_MTA_GONE)
		ctl_error("quarantine %s: the MTA no longer has message %s",
			  r.v[0], r.v[2]);
out:
	ctl_mta_free(mta);
	qrow_free(&r);
	return rc;
}

/* qevent - the events row of a release or delete; 0, or -1 (said) */
static int qevent(struct ctl *ctl, const struct qrow *r, const char *action)
{
	struct store_event e = { 0 };
	char detail[256 + CTL_LOGIN_MAX];

	snprintf(detail, sizeof detail,
		 "quarantine %s, queue id %.64s, login %s", r->v[0], r->v[2],
		 r->v[3] ? r->v[3] : "-");
	e.ts = ctl->now;
	e.login = r->v[3];
	e.queue_id = r->v[2];
	e.kind = "admin";
	e.action = action;
	e.detail = detail;
	if (store_admin_event(ctl->store, &e) < 0) {
		ctl_error("quarantine %s: %s done, but its event was not "
			  "written",
			  r->v[0], action);
		return -1;
	}
	return 0;
}

/* print_done - "quarantine ID (queue id QID): status", or JSON */
static void print_done(struct ctl *ctl, const struct qrow *r,
		       const char *status)
{
	if (ctl->json) {
		printf("{\"id\":%s,\"queue_id\":", r->v[0]);
		ctl_json_string(stdout, r->v[2]);
		fputs(",\"status\":", stdout);
		ctl_json_string(stdout, status);
		fputs("}\n", stdout);
	} else {
		printf("quarantine %s (queue id %s): %s\n", r->v[0], r->v[2],
		       status);
	}
}

/* ctl_quarantine_act - release ID or delete ID */
int ctl_quarantine_act(struct ctl *ctl, const char *key, int release)
{
	const char *done = release ? "released" : "deleted", *where;
	struct ctl_mta *mta = NULL;
	struct qrow r;
	int rc = CTL_ERROR, held, st;

	if (qrow_get(ctl, key, &r) < 0)
		return CTL_ERROR;
	if (r.v[8] && (strcmp(r.v[8], "released") == 0 ||
		       strcmp(r.v[8], "deleted") == 0)) {
		ctl_error("quarantine %s (queue id %s) was %s already", r.v[0],
			  r.v[2], r.v[8]);
		goto out;
	}
	if (!ctl_quarantine_local(ctl, r.v[QCOL_RELAY])) {
		rc = say_remote(ctl, &r, 1);
		goto out;
	}
	if ((mta = ctl_mta_open(ctl)) == NULL)
		goto out;
	where = ctl_mta_where(mta, r.v[2], &held);
	if (strcmp(where, "gone") == 0) {
		rc = mark_gone(ctl, &r);
		goto out;
	}
	if (!release && !held) {
		ctl_error("quarantine %s: message %s is no longer held (%s "
			  "has it in \"%s\")",
			  r.v[0], r.v[2], ctl_mta_name(mta), where);
		goto out;
	}
	st = release ? ctl_mta_release(mta, r.v[2])
		     : ctl_mta_delete(mta, r.v[2]);
	if (st == CTL_MTA_GONE) {
		rc = mark_gone(ctl, &r);
		goto out;
	}
	if (st != CTL_MTA_OK)
		goto out;
	if (set_status(ctl, &r, done) == 0 &&
	    qevent(ctl, &r, release ? "release" : "delete") == 0)
		rc = CTL_OK;
	print_done(ctl, &r, done);
out:
	ctl_mta_free(mta);
	qrow_free(&r);
	return rc;
}

/* ctl_cmd_quarantine - list [--all] | show ID | release ID | delete ID */
int ctl_cmd_quarantine(struct ctl *ctl, int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : "";
	int all = argc == 3 && strcmp(argv[2], "--all") == 0;

	if (strcmp(sub, "list") == 0 && (argc == 2 || all))
		return quarantine_list(ctl, all);
	if (argc != 3 || (strcmp(sub, "show") && strcmp(sub, "release") &&
			  strcmp(sub, "delete")))
		return ctl_cmd_usage(argv[0]);
	if (strcmp(sub, "show") == 0)
		return quarantine_show(ctl, argv[2]);
	return ctl_quarantine_act(ctl, argv[2], strcmp(sub, "release") == 0);
}
