/*
 * NAME
 *	ctl_incidents - outguardctl incidents: review and settle incidents
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_cmd_incidents(struct ctl *ctl, int argc, char **argv);
 * DESCRIPTION
 *	The daemon opens an incident when a login first trips a limit or
 *	check and adds later trips and held messages to it.
 *
 *	list [--all] [--since WHEN] [--login LOGIN] [--limit N] shows the
 *	open incidents (every one with --all), newest first.
 *
 *	show ID prints the incident, its messages and the login's events
 *	from an hour before it opened on.
 *
 *	release ID delivers every message of the incident still held
 *	(through ctl_quarantine_act, as quarantine release does), resets
 *	the login's counters, sets it active if it was blocked or on
 *	watch, and closes the incident as "released".  delete ID deletes
 *	every held message and resets the counters; the login stays
 *	blocked unless --unblock is given (delete the spam, then change
 *	the password, then unblock).  close ID [NOTE...] only closes it.
 *	Each writes an events row of kind "admin", and the incident
 *	records who closed it (SUDO_USER, else the user running the
 *	command) and the outcome.
 *
 *	A message the MTA no longer has is reported and marked gone; the
 *	others are still done and the command exits 1.  A message held on
 *	another relay of a fleet (quarantine.relay) is left alone with a
 *	line naming that relay; the local ones are still done, and the
 *	incident stays open and the login as it is, exit CTL_REMOTE (3):
 *	run the same command on each relay named, the last one settles.  While a message
 *	is still held after the attempt (the MTA's tools failed), the
 *	login is left as it is and the incident stays open, so the
 *	command can be run again.
 *
 *	With --json, release and delete print one JSON object a line:
 *	each message's, as quarantine release and delete print it, then
 *	the incident's.
 */
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

#define NOTE_MAX 500   /* longest close note kept */
#define MSG_MAX	 10000 /* most messages of one incident handled */

/* The store's columns, in its order; list shows some of them. */
static const struct ctl_col icols[] = {
	{ "ID", "id", CTL_NUM, 0 },
	{ "OPENED", "opened", CTL_TIME, 0 },
	{ "UPDATED", "updated", CTL_TIME, 0 },
	{ "LOGIN", "login", CTL_STR, 0 },
	{ "STATUS", "status", CTL_STR, 0 },
	{ "KIND", "kind", CTL_STR, 0 },
	{ "ACTION", "action", CTL_STR, 0 },
	{ "TRIGGER", "trigger", CTL_STR, 0 },
	{ "TRIPS", "trips", CTL_NUM, 0 },
	{ "COUNTS", "counts", CTL_STR, 0 },
	{ "NETWORKS", "networks", CTL_STR, 0 },
	{ "HELD", "held", CTL_NUM, 0 },
	{ "MESSAGES", "messages", CTL_NUM, 0 },
	{ "CLOSED", "closed", CTL_TIME, 0 },
	{ "CLOSED BY", "closed_by", CTL_STR, 0 },
	{ "OUTCOME", "outcome", CTL_STR, 0 },
};
#define ICOLS ((int)(sizeof icols / sizeof *icols))

/* list: the store column of each, the trigger last of the text ones */
static const int list_order[ICOLS] = { 0, 1, 3, 4,  6,	8,  11, 7,
				       2, 5, 9, 10, 12, 13, 14, 15 };
#define LIST_TEXT 8 /* the first 8 are shown as text */

/* One incident, as the store hands it out. */
struct irow {
	char *v[ICOLS]; /* malloced or NULL */
};

/* list_row - a store row in list order */
static int list_row(void *arg, int n, const char *const *names,
		    const char *const *v)
{
	const char *row[ICOLS];
	int i;

	(void)names;
	if (n < ICOLS)
		return 1;
	for (i = 0; i < ICOLS; i++)
		row[i] = v[list_order[i]];
	ctl_table_push(arg, row);
	return 0;
}

/* incidents_list - list [--all] [--since] [--login] [--limit] */
static int incidents_list(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_list o = { .max = 0 };
	struct ctl_col cols[ICOLS];
	char *args[64];
	int i, n = 0, all = 0, rc;
	struct ctl_table *t;

	args[n++] = "incidents";
	for (i = 2; i < argc && n < 63; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else
			args[n++] = argv[i];
	}
	args[n] = NULL;
	if ((rc = ctl_list_opts(ctl, n, args,
				CTL_OPT_SINCE | CTL_OPT_LOGIN | CTL_OPT_LIMIT,
				&o)) != CTL_OK)
		return rc;
	if (ctl_store(ctl) == NULL)
		return CTL_ERROR;
	for (i = 0; i < ICOLS; i++) {
		cols[i] = icols[list_order[i]];
		if (i >= LIST_TEXT)
			cols[i].flags = CTL_JSON_ONLY;
	}
	t = ctl_table_make(cols, ICOLS);
	rc = store_admin_incidents(ctl->store, all, o.since, o.login, o.max,
				   list_row, t);
	return ctl_table_done(ctl, t, rc, "the incidents");
}

/* irow_fill - a store row into the struct irow at arg */
static int irow_fill(void *arg, int n, const char *const *names,
		     const char *const *v)
{
	struct irow *r = arg;
	int i;

	(void)names;
	for (i = 0; i < ICOLS && i < n; i++)
		if (v[i] && (r->v[i] = strdup(v[i])) == NULL)
			ctl_nomem();
	return 1;
}

/* irow_free - release a row's values */
static void irow_free(struct irow *r)
{
	int i;

	for (i = 0; i < ICOLS; i++)
		free(r->v[i]);
}

/* parse_id - an incident id; 0, or -1 (said) */
static int parse_id(const char *s, long long *id)
{
	char *end;

	*id = strtoll(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || *id <= 0) {
		ctl_error("bad incident id: %s", s);
		return -1;
	}
	return 0;
}

/* irow_get - incident id into r; 0, or -1 (said) */
static int irow_get(struct ctl *ctl, long long id, struct irow *r)
{
	int rc;

	memset(r, 0, sizeof *r);
	if (ctl_store(ctl) == NULL)
		return -1;
	rc = store_admin_incident_get(ctl->store, id, irow_fill, r);
	if (rc < 0)
		ctl_error("cannot read the incidents table");
	else if (rc == 0)
		ctl_error("no incident %lld", id);
	else
		return 0;
	irow_free(r);
	return -1;
}

/* columns of an incident's messages */
static const struct ctl_col mcols[] = {
	{ "ID", "id", CTL_NUM, 0 },
	{ "TIME", "time", CTL_TIME, 0 },
	{ "QUEUE ID", "queue_id", CTL_STR, 0 },
	{ "FROM", "mail_from", CTL_STR, 0 },
	{ "RCPTS", "rcpts", CTL_STR, 0 },
	{ "SUBJECT", "subject", CTL_STR, 0 },
	{ "REASON", "reason", CTL_STR, 0 },
	{ "STATUS", "status", CTL_STR, 0 },
	{ "RELAY", "relay", CTL_STR, 0 },
};
#define MCOLS ((int)(sizeof mcols / sizeof *mcols))

/* columns of the login's events */
static const struct ctl_col ecols[] = {
	{ "ID", "id", CTL_NUM, CTL_JSON_ONLY },
	{ "TIME", "time", CTL_TIME, 0 },
	{ "LOGIN", "login", CTL_STR, CTL_JSON_ONLY },
	{ "CLIENT", "client", CTL_STR, 0 },
	{ "QUEUE ID", "queue_id", CTL_STR, 0 },
	{ "KIND", "kind", CTL_STR, 0 },
	{ "ACTION", "action", CTL_STR, 0 },
	{ "COUNT", "count", CTL_NUM, 0 },
	{ "DETAIL", "detail", CTL_STR, 0 },
};

/* incidents_show - show ID: the incident, its messages, its events */
static int incidents_show(struct ctl *ctl, long long id)
{
	struct ctl_table *t, *m, *e;
	struct irow r;
	time_t since;
	int rc;

	if (irow_get(ctl, id, &r) < 0)
		return CTL_ERROR;
	t = ctl_table_make(icols, ICOLS);
	ctl_table_push(t, (const char *const *)r.v);
	m = ctl_table_make(mcols, MCOLS);
	e = ctl_table_make(ecols, 9);
	since = (time_t)strtoll(r.v[1] ? r.v[1] : "0", NULL, 10) - 3600;
	rc = store_admin_incident_messages(ctl->store, id, 0, ctl_table_row, m);
	if (rc == 0)
		rc = store_admin_events(ctl->store, since, r.v[3], 50,
					ctl_table_row, e);
	if (rc < 0) {
		ctl_error("cannot read the messages and events of incident "
			  "%lld",
			  id);
	} else if (ctl->json) {
		fputc('{', stdout);
		ctl_table_json_fields(t, 0, stdout);
		fputs(",\"messages\":", stdout);
		ctl_table_json(m, stdout);
		fputs(",\"events\":", stdout);
		ctl_table_json(e, stdout);
		fputs("}\n", stdout);
	} else {
		ctl_table_print_kv(t, 0, stdout);
		printf("\nMessages (%d):\n", ctl_table_rows(m));
		if (ctl_table_rows(m) > 0)
			ctl_table_print(m, 0, stdout);
		printf("\nEvents of %s (newest first, at most 50):\n",
		       r.v[3] ? r.v[3] : "-");
		if (ctl_table_rows(e) > 0)
			ctl_table_print(e, 0, stdout);
	}
	ctl_table_free(t);
	ctl_table_free(m);
	ctl_table_free(e);
	irow_free(&r);
	return rc < 0 ? CTL_ERROR : CTL_OK;
}

/* The messages of an incident: quarantine ids and statuses. */
struct msgs {
	const struct ctl *ctl; /* whose relay is local */
	long long id[MSG_MAX];
	char status[MSG_MAX][12];
	char remote[MSG_MAX]; /* 1: held on another relay */
	int n, nremote;
};

/* msgs_row - one message into struct msgs */
static int msgs_row(void *arg, int n, const char *const *names,
		    const char *const *v)
{
	struct msgs *m = arg;

	(void)names;
	if (n < 9 || m->n >= MSG_MAX)
		return 1;
	m->id[m->n] = strtoll(v[0], NULL, 10);
	snprintf(m->status[m->n], sizeof m->status[0], "%s", v[7] ? v[7] : "");
	m->remote[m->n] = !ctl_quarantine_local(m->ctl, v[8]);
	m->nremote += m->remote[m->n];
	m->n++;
	return 0;
}

/* msgs_get - the incident's messages (held ones only); 0, or -1 (said) */
static int msgs_get(struct ctl *ctl, long long id, int held_only,
		    struct msgs *m)
{
	m->n = m->nremote = 0;
	m->ctl = ctl;
	if (store_admin_incident_messages(ctl->store, id, held_only, msgs_row,
					  m) == 0)
		return 0;
	ctl_error("cannot read the messages of incident %lld", id);
	return -1;
}

/* What settling an incident did. */
struct settled {
	int done, gone; /* messages released or deleted; gone */
	int unblocked, reset;
	char was[16]; /* the login's status before */
};

/*
 * settle_login - reset login's counters, and set it active when
 * unblock and it is not; 0, or -1 (said)
 */
static int settle_login(struct ctl *ctl, const char *login, int unblock,
			long long id, struct settled *s)
{
	char err[512], detail[64];
	struct ctl_user u;

	if (ctl_user_get(ctl, login, &u) < 0)
		return -1;
	free(u.note);
	snprintf(s->was, sizeof s->was, "%s", u.status);
	if (store_admin_reset(ctl->store, login, err, sizeof err) < 0) {
		ctl_error("%s: %s", login, err);
		return -1;
	}
	s->reset = 1;
	snprintf(detail, sizeof detail, "counters cleared; incident %lld", id);
	if (ctl_admin_event(ctl, login, "reset", detail) < 0)
		return -1;
	if (!unblock || strcmp(u.status, "active") == 0)
		return 0;
	if (store_admin_set_user(ctl->store, login, "active", NULL, "", err,
				 sizeof err) < 0) {
		ctl_error("%s: %s", login, err);
		return -1;
	}
	s->unblocked = 1;
	snprintf(detail, sizeof detail, "was %s; incident %lld", u.status, id);
	return ctl_admin_event(ctl, login, "unblock", detail);
}

/* print_settled - the outcome, as text or a JSON object */
static void print_settled(struct ctl *ctl, long long id, const char *login,
			  const char *status, const char *outcome,
			  const char *by, const struct settled *s)
{
	if (!ctl->json) {
		printf("incident %lld (%s): %s: %s\n", id, login, status,
		       outcome);
		return;
	}
	printf("{\"id\":%lld,\"login\":", id);
	ctl_json_string(stdout, login);
	fputs(",\"status\":", stdout);
	ctl_json_string(stdout, status);
	printf(",\"messages\":%d,\"gone\":%d,\"unblocked\":%s,\"reset\":%s,"
	       "\"closed_by\":",
	       s->done, s->gone, s->unblocked ? "true" : "false",
	       s->reset ? "true" : "false");
	ctl_json_string(stdout, by);
	fputs(",\"outcome\":", stdout);
	ctl_json_string(stdout, outcome);
	fputs("}\n", stdout);
}

/*
 * act_messages - release (1) or delete (0) the held ones; s counted.
 * 0; -1 (said); -2 when only messages held on other relays are left.
 */
static int act_messages(struct ctl *ctl, long long id, int release,
			struct settled *s)
{
	static struct msgs held, after;
	char key[32];
	int i, j;

	if (msgs_get(ctl, id, 1, &held) < 0)
		return -1;
	for (i = 0; i < held.n; i++) {
		snprintf(key, sizeof key, "%lld", held.id[i]);
		ctl_quarantine_act(ctl, key, release);
	}
	if (msgs_get(ctl, id, 0, &after) < 0)
		return -1;
	for (i = 0; i < held.n; i++)
		for (j = 0; j < after.n; j++)
			if (after.id[j] == held.id[i]) {
				s->gone += !strcmp(after.status[j], "gone");
				s->done += !strcmp(after.status[j],
						   "released") ||
					   !strcmp(after.status[j], "deleted");
			}
	if (msgs_get(ctl, id, 1, &after) < 0)
		return -1;
	if (after.n > 0 && after.n == after.nremote) {
		ctl_error("incident %lld stays open: %d of its messages are "
			  "held on other relays (named above); run the same "
			  "command there",
			  id, after.n);
		return -2;
	}
	if (after.n > 0) {
		ctl_error("incident %lld stays open: %d of its messages are "
			  "still held; run the command again when the MTA's "
			  "tools work",
			  id, after.n);
		return -1;
	}
	return 0;
}

/*
 * settle - release (mode 'r'), delete ('d') or close ('c') incident
 * id; unblock for delete --unblock; note for close
 */
static int settle(struct ctl *ctl, long long id, int mode, int unblock,
		  const char *note)
{
	const char *status = mode == 'r'   ? "released"
			     : mode == 'd' ? "deleted"
					   : "closed";
	char by[256], outcome[NOTE_MAX + 200], err[512], detail[NOTE_MAX + 260];
	struct settled s = { 0 };
	struct irow r;
	int rc = CTL_ERROR, act = 0;

	if (irow_get(ctl, id, &r) < 0)
		return CTL_ERROR;
	if (r.v[4] == NULL || strcmp(r.v[4], "open") != 0) {
		ctl_error("incident %lld is %s already", id,
			  r.v[4] ? r.v[4] : "closed");
		goto out;
	}
	if (mode != 'c' &&
	    ((act = act_messages(ctl, id, mode == 'r', &s)) < 0 ||
	     settle_login(ctl, r.v[3], mode == 'r' || unblock, id, &s) < 0)) {
		if (act == -2 && s.gone == 0)
			rc = CTL_REMOTE;
		goto out;
	}
	if (mode == 'c')
		snprintf(outcome, sizeof outcome, "%s",
			 *note ? note : "closed; nothing changed");
	else
		snprintf(outcome, sizeof outcome,
			 "%d message%s %s, %d gone; counters reset; %s", s.done,
			 s.done == 1 ? "" : "s", status, s.gone,
			 s.unblocked ? "login set active"
				     : "login status unchanged");
	rc = store_admin_incident_close(ctl->store, id, status,
					ctl_admin_name(by, sizeof by), outcome,
					err, sizeof err);
	if (rc <= 0) {
		ctl_error("incident %lld: %s", id,
			  rc < 0 ? err : "closed meanwhile by someone else");
		rc = CTL_ERROR;
		goto out;
	}
	snprintf(detail, sizeof detail, "incident %lld: %s", id, outcome);
	rc = ctl_admin_event(ctl, r.v[3],
			     mode == 'r'   ? "release"
			     : mode == 'd' ? "delete"
					   : "close",
			     detail) < 0 ||
			     s.gone > 0
		     ? CTL_ERROR
		     : CTL_OK;
	print_settled(ctl, id, r.v[3] ? r.v[3] : "-", status, outcome, by, &s);
out:
	irow_free(&r);
	return rc;
}

/* ctl_cmd_incidents - list | show ID | release ID | delete ID | close ID */
int ctl_cmd_incidents(struct ctl *ctl, int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : "";
	char note[NOTE_MAX + 1] = "";
	int unblock = 0, i;
	size_t n = 0;
	long long id;

	if (strcmp(sub, "list") == 0)
		return incidents_list(ctl, argc, argv);
	if (argc < 3 || (strcmp(sub, "show") && strcmp(sub, "release") &&
			 strcmp(sub, "delete") && strcmp(sub, "close")))
		return ctl_cmd_usage(argv[0]);
	if (strcmp(sub, "delete") == 0 && argc == 4 &&
	    strcmp(argv[3], "--unblock") == 0)
		unblock = 1;
	else if (strcmp(sub, "close") != 0 && argc != 3)
		return ctl_cmd_usage(argv[0]);
	if (parse_id(argv[2], &id) < 0)
		return CTL_USAGE;
	for (i = 3;
	     strcmp(sub, "close") == 0 && i < argc && n < sizeof note - 1; i++)
		n += (size_t)snprintf(note + n, sizeof note - n, "%s%s",
				      i > 3 ? " " : "", argv[i]);
	if (strcmp(sub, "show") == 0)
		return incidents_show(ctl, id);
	return settle(ctl, id, sub[0] == 'r' ? 'r' : sub[0], unblock, note);
}
