/*
 * NAME
 *	ctl_cmds - the commands of outguardctl
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	extern const struct ctl_cmd ctl_cmds[];
 * DESCRIPTION
 *	One function per command, and the table that names them.  A
 *	command gets its name and arguments in argv, checks them before it
 *	opens the store (a usage error never touches the database), and
 *	returns the exit status.  Logins are lower-cased on the way in.
 *
 *	Changes made here (block, unblock, reset, class) each write an
 *	events row of kind "admin", so the log shows who was changed and
 *	when.  The daemon reads users for every message, so a change
 *	applies to the next message.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define CTL_REASON_MAX 500 /* longest block reason kept */

/*
 * ctl_admin_event - write the events row of an admin change to login
 * (NULL for a change that is not a login's); 0, or -1
 */
int ctl_admin_event(struct ctl *ctl, const char *login, const char *action,
		    const char *detail)
{
	struct store_event e = { 0 };

	e.ts = ctl->now;
	e.login = login;
	e.kind = "admin";
	e.action = action;
	e.detail = detail;
	if (store_admin_event(ctl->store, &e) < 0) {
		ctl_error("%s: the change is made, but its event was not "
			  "written",
			  login ? login : detail);
		return -1;
	}
	return 0;
}

/* print_change - report a change: "login: key value (was old)" */
static void print_change(struct ctl *ctl, const char *login, const char *key,
			 const char *value, const char *was)
{
	static const struct ctl_col cols[] = {
		{ "login", "login", CTL_STR, 0 },
		{ "", "", CTL_STR, 0 }, /* key set below */
		{ "was", "previous", CTL_STR, 0 },
	};
	struct ctl_col c[3];
	struct ctl_table *t;
	const char *v[3] = { login, value, was };

	memcpy(c, cols, sizeof c);
	c[1].title = c[1].key = key;
	if (ctl->json) {
		t = ctl_table_make(c, was ? 3 : 2);
		ctl_table_push(t, v);
		fputc('{', stdout);
		ctl_table_json_fields(t, 0, stdout);
		fputs("}\n", stdout);
		ctl_table_free(t);
	} else if (was) {
		printf("%s: %s %s (was %s)\n", login, key, value, was);
	} else {
		printf("%s: %s %s\n", login, key, value);
	}
}

/* set_status - block and unblock: status, note, an event, a report */
static int set_status(struct ctl *ctl, const char *login, const char *status,
		      const char *action, const char *note)
{
	struct ctl_user u;
	char err[512], was[32];

	if (ctl_store(ctl) == NULL || ctl_user_get(ctl, login, &u) < 0)
		return CTL_ERROR;
	free(u.note);
	if (store_admin_set_user(ctl->store, login, status, NULL, note, err,
				 sizeof err) < 0) {
		ctl_error("%s: %s", login, err);
		return CTL_ERROR;
	}
	print_change(ctl, login, "status", status, u.status);
	if (strcmp(action, "unblock") == 0) {
		snprintf(was, sizeof was, "was %s", u.status);
		note = was;
	}
	return ctl_admin_event(ctl, login, action, *note ? note : NULL) < 0
		       ? CTL_ERROR
		       : CTL_OK;
}

/* cmd_block - block LOGIN [reason...] */
static int cmd_block(struct ctl *ctl, int argc, char **argv)
{
	char login[CTL_LOGIN_MAX + 1], reason[CTL_REASON_MAX + 1] = "";
	size_t n = 0;
	int i;

	if (argc < 2)
		return ctl_cmd_usage(argv[0]);
	if (ctl_login(argv[1], login, sizeof login) < 0)
		return CTL_ERROR;
	for (i = 2; i < argc && n < sizeof reason - 1; i++)
		n += (size_t)snprintf(reason + n, sizeof reason - n, "%s%s",
				      i > 2 ? " " : "", argv[i]);
	return set_status(ctl, login, "blocked", "block", reason);
}

/* cmd_unblock - unblock LOGIN: active again, the block's note cleared */
static int cmd_unblock(struct ctl *ctl, int argc, char **argv)
{
	char login[CTL_LOGIN_MAX + 1];

	if (argc != 2)
		return ctl_cmd_usage(argv[0]);
	if (ctl_login(argv[1], login, sizeof login) < 0)
		return CTL_ERROR;
	return set_status(ctl, login, "active", "unblock", "");
}

/* cmd_reset - reset LOGIN: forget its counters */
static int cmd_reset(struct ctl *ctl, int argc, char **argv)
{
	char login[CTL_LOGIN_MAX + 1], err[512];

	if (argc != 2)
		return ctl_cmd_usage(argv[0]);
	if (ctl_login(argv[1], login, sizeof login) < 0)
		return CTL_ERROR;
	if (ctl_store(ctl) == NULL)
		return CTL_ERROR;
	if (store_admin_reset(ctl->store, login, err, sizeof err) < 0) {
		ctl_error("%s: %s", login, err);
		return CTL_ERROR;
	}
	print_change(ctl, login, "counters", "reset", NULL);
	return ctl_admin_event(ctl, login, "reset", "counters cleared") < 0
		       ? CTL_ERROR
		       : CTL_OK;
}

/* unknown_class - error: cls is unknown, here are the known ones */
static void unknown_class(const struct policy *p, const char *cls)
{
	char list[1024] = "";
	size_t n = 0;
	int i;

	for (i = 0; i < p->nclasses && n < sizeof list - 1; i++)
		n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
				      i ? ", " : "", p->classes[i].name);
	ctl_error("unknown class \"%s\" (known classes: %s)", cls, list);
}

/* set_class - move login to the class called name (any case); 0/-1 */
static int set_class(struct ctl *ctl, const char *login, const char *name)
{
	char err[512], detail[200];
	const struct policy_class *cls;
	struct ctl_user u;
	struct policy *p;
	int rc = -1;

	if (ctl_user_get(ctl, login, &u) < 0)
		return -1;
	free(u.note);
	if ((p = store_policy_load(ctl->store, err, sizeof err)) == NULL) {
		ctl_error("cannot load the classes: %s", err);
		return -1;
	}
	if ((cls = policy_class_find(p, name)) == NULL) {
		unknown_class(p, name);
	} else if (store_admin_set_user(ctl->store, login, NULL, cls->name,
					NULL, err, sizeof err) < 0) {
		ctl_error("%s: %s", login, err);
	} else {
		print_change(ctl, login, "class", cls->name, u.cls);
		snprintf(detail, sizeof detail, "class %.60s -> %.60s", u.cls,
			 cls->name);
		rc = ctl_admin_event(ctl, login, "class", detail);
	}
	policy_free(p);
	return rc;
}

/* cmd_class - class LOGIN CLASS */
static int cmd_class(struct ctl *ctl, int argc, char **argv)
{
	char login[CTL_LOGIN_MAX + 1];

	if (argc != 3)
		return ctl_cmd_usage(argv[0]);
	if (ctl_login(argv[1], login, sizeof login) < 0)
		return CTL_ERROR;
	if (ctl_store(ctl) == NULL || set_class(ctl, login, argv[2]) < 0)
		return CTL_ERROR;
	return CTL_OK;
}

/* cmd_top - top [--window DURATION] [--limit N] */
static int cmd_top(struct ctl *ctl, int argc, char **argv)
{
	static const struct ctl_col cols[] = {
		{ "LOGIN", "login", CTL_STR, 0 },
		{ "RCPTS", "rcpts", CTL_NUM, 0 },
		{ "MSGS", "msgs", CTL_NUM, 0 },
		{ "SESSIONS", "sessions", CTL_NUM, 0 },
		{ "CLASS", "class", CTL_STR, 0 },
		{ "STATUS", "status", CTL_STR, 0 },
	};
	struct ctl_list o = { .window = 3600, .max = 20 };
	struct ctl_table *t;
	int rc;

	if ((rc = ctl_list_opts(ctl, argc, argv, CTL_OPT_WINDOW | CTL_OPT_LIMIT,
				&o)) != CTL_OK)
		return rc;
	if (ctl_store(ctl) == NULL)
		return CTL_ERROR;
	t = ctl_table_make(cols, 6);
	rc = store_admin_top(ctl->store, ctl->now, o.window, o.max,
			     ctl_table_row, t);
	return ctl_table_done(ctl, t, rc, "the counters");
}

/* event_row - an events row: the ts column twice (epoch and time) */
static int event_row(void *arg, int n, const char *const *names,
		     const char *const *v)
{
	const char *row[10];

	(void)names;
	if (n < 9)
		return 1;
	row[0] = v[0];
	row[1] = v[1];
	memcpy(row + 2, v + 1, 8 * sizeof *v);
	ctl_table_push(arg, row);
	return 0;
}

/* cmd_events - events [--since WHEN] [--login LOGIN] [--limit N] */
static int cmd_events(struct ctl *ctl, int argc, char **argv)
{
	static const struct ctl_col cols[] = {
		{ "ID", "id", CTL_NUM, CTL_JSON_ONLY },
		{ "TS", "ts", CTL_NUM, CTL_JSON_ONLY },
		{ "TIME", "time", CTL_TIME, 0 },
		{ "LOGIN", "login", CTL_STR, 0 },
		{ "CLIENT", "client", CTL_STR, 0 },
		{ "QUEUE ID", "queue_id", CTL_STR, 0 },
		{ "KIND", "kind", CTL_STR, 0 },
		{ "ACTION", "action", CTL_STR, 0 },
		{ "COUNT", "count", CTL_NUM, 0 },
		{ "DETAIL", "detail", CTL_STR, 0 },
	};
	struct ctl_list o = { .max = 50 };
	struct ctl_table *t;
	int rc;

	if ((rc = ctl_list_opts(ctl, argc, argv,
				CTL_OPT_SINCE | CTL_OPT_LOGIN | CTL_OPT_LIMIT,
				&o)) != CTL_OK)
		return rc;
	if (ctl_store(ctl) == NULL)
		return CTL_ERROR;
	t = ctl_table_make(cols, 10);
	rc = store_admin_events(ctl->store, o.since, o.login, o.max, event_row,
				t);
	return ctl_table_done(ctl, t, rc, "events");
}

/* ctl_cmds - the commands; later ones (rules, quarantine...) go here */
const struct ctl_cmd ctl_cmds[] = {
	{ "status", "LOGIN",
	  "class, status, note; each limit with its current count",
	  ctl_cmd_status },
	{ "top", "[--window DURATION] [--limit N]",
	  "logins by recipients in the window (default 1h, 20 logins)",
	  cmd_top },
	{ "block", "LOGIN [REASON...]",
	  "refuse (tempfail) all mail of LOGIN until unblocked", cmd_block },
	{ "unblock", "LOGIN", "set LOGIN active again (from blocked or watch)",
	  cmd_unblock },
	{ "reset", "LOGIN", "forget LOGIN's counters (status unchanged)",
	  cmd_reset },
	{ "class", "LOGIN CLASS", "move LOGIN to limit class CLASS",
	  cmd_class },
	{ "events",
	  "[--since DURATION|EPOCH|DATE] [--login LOGIN] "
	  "[--limit N]",
	  "decisions and admin changes, newest first (default 50)",
	  cmd_events },
	{ "rules", "list | test TEXT...",
	  "list the rules; or which rules and checks match TEXT",
	  ctl_cmd_rules },
	{ "protected", "add DOMAIN [NOTE...] | remove DOMAIN | list",
	  "edit the domains whose lookalikes are caught", ctl_cmd_protected },
	{ "seen", "[--since DURATION|EPOCH|DATE] [--limit N]",
	  "suspicious domains met, by first seen, newest first (default 50)",
	  ctl_cmd_seen },
	{ "quarantine", "list [--all] | show ID | release ID | delete ID",
	  "review held mail: list it, show one, deliver it or delete it",
	  ctl_cmd_quarantine },
	{ "incidents",
	  "list [--all] [--since DURATION|EPOCH|DATE] "
	  "[--login LOGIN] [--limit N] | show ID | release ID | "
	  "delete ID [--unblock] | close ID [NOTE...]",
	  "what tripped, per login: list, show; release or delete all its "
	  "held mail and reset (release: unblock) the login; or close",
	  ctl_cmd_incidents },
	{ "simulate", "[--since DURATION|EPOCH|DATE] FILE.sql",
	  "replay the stored history through the policy as FILE.sql would "
	  "change it (on a copy): what would have tripped, per login",
	  ctl_cmd_simulate },
	{ NULL, NULL, NULL, NULL },
};
