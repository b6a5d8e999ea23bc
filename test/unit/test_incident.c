/*
 * NAME
 *	test_incident - incidents, block_command and the alert mail
 * DESCRIPTION
 *	The store without a writer (writes are synchronous): trips open
 *	one incident per login, later trips count on it and keep the worst
 *	action and the first counts, quarantine and events rows written
 *	after a trip join it, a closed incident lets the next trip open a
 *	new one, and the admin listing and close work.
 *
 *	The notifier: a job's input reaches the command, prepare sets a
 *	variable, a command past its timeout is killed.
 *
 *	The guard with its writer and notifier on a temp database whose
 *	settings name a block_command and an alert address (the "sendmail"
 *	appends to a file): two quarantined messages make one incident and
 *	one alert mail; a block then runs block_command with the login and
 *	the incident, and mails again.  guard_free() runs what is queued,
 *	so the files are complete when it returns: nothing here waits on
 *	a clock.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "guard.h"
#include "notify.h"
#include "store.h"

static char dir[64];

/* path - a file in the temp dir */
static const char *path(const char *name)
{
	static char p[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* sql - run SQL on a database file; 0 or -1 */
static int sql(const char *db_path, const char *text)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, text, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		printf("sql failed: %s: %s\n", text, sqlite3_errmsg(db));
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* sql_text - the first column of the first row as text ("" if none) */
static const char *sql_text(const char *db_path, const char *text)
{
	static char out[1024];
	sqlite3_stmt *st;
	sqlite3 *db;

	out[0] = '\0';
	if (sqlite3_open(db_path, &db) != SQLITE_OK)
		return out;
	if (sqlite3_prepare_v2(db, text, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW &&
		    sqlite3_column_text(st, 0) != NULL)
			snprintf(out, sizeof(out), "%s",
				 sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	} else {
		printf("sql failed: %s: %s\n", text, sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	return out;
}

/* sql_int - the first column of the first row as a number */
static long long sql_int(const char *db_path, const char *text)
{
	return strtoll(sql_text(db_path, text), NULL, 10);
}

/* read_all - a file's text (static buffer), "" when missing */
static const char *read_all(const char *p)
{
	static char buf[65536];
	FILE *f = fopen(p, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

/* count_of - occurrences of needle in hay */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

/* held - queue a held quarantine row of login */
static void held(struct store *s, const char *login, const char *qid, time_t ts)
{
	struct store_quarantine q = {
		ts,	   qid,	  login, "a@example.test", "r@example.net",
		"subject", "test"
	};

	store_add_quarantine(s, &q);
}

/* trip - queue a trip of login, then its events row */
static void trip(struct store *s, const char *login, const char *action,
		 const char *reason, time_t ts)
{
	struct store_trip t = {
		ts, login, "limit", action, reason, "msg 1/1h"
	};
	struct store_event e = { ts,	  login,  "192.0.2.7", NULL,
				 "limit", action, reason };

	store_add_trip(s, &t);
	store_add_event(s, &e);
}

/* count_row - a store_row_fn that counts */
static int count_row(void *arg, int n, const char *const *names,
		     const char *const *values)
{
	(void)n;
	(void)names;
	(void)values;
	(*(int *)arg)++;
	return 0;
}

/* test_trips - one open incident per login, what joins it, closing */
static void test_trips(void)
{
	const char *p = path("trips.db");
	char err[300];
	struct store *s = store_open(p, STORE_CREATE, err, sizeof(err));
	struct store_incident_brief b;
	time_t now = time(NULL) / 60 * 60; /* now + 60, + 61: one minute */
	long long id, id2;
	int n;

	CHECK(s != NULL, err);
	if (s == NULL)
		return;
	store_add_session(s, "ann", now - 100, "192.0.2.7", "192.0.2.0/24");
	store_add_session(s, "ann", now - 50, "198.51.100.7",
			  "198.51.100.0/24");
	store_add_session(s, "ann", now - 40, "192.0.2.8", "192.0.2.0/24");
	store_add_session(s, "ann", now - 7200, "203.0.113.1",
			  "203.0.113.0/24");
	held(s, "ann", "OLDQ", now - 7200); /* before it: stays out */
	trip(s, "ann", "quarantine", "rcpt 7>6/3600s class=default", now);
	held(s, "ann", "Q1", now);
	CHECK_INT("one incident", sql_int(p, "SELECT COUNT(*) FROM incidents"),
		  1);
	id = sql_int(p, "SELECT id FROM incidents");
	CHECK_STR("opened for ann",
		  sql_text(p, "SELECT login || ' ' || "
			      "status || ' ' || kind || ' ' "
			      "|| action || ' ' || trips FROM "
			      "incidents"),
		  "ann open limit quarantine 1");
	CHECK_STR("networks of the hour",
		  sql_text(p, "SELECT networks FROM "
			      "incidents"),
		  "192.0.2.0/24 198.51.100.0/24");
	CHECK_INT("Q1 joins it",
		  sql_int(p, "SELECT incident_id FROM "
			     "quarantine WHERE queue_id = 'Q1'"),
		  id);
	CHECK_STR("an old held row stays out",
		  sql_text(p, "SELECT coalesce(incident_id, 'none') FROM "
			      "quarantine WHERE queue_id = 'OLDQ'"),
		  "none");
	CHECK_INT("the event names it",
		  sql_int(p, "SELECT incident_id FROM "
			     "events"),
		  id);

	store_add_session(s, "ann", now + 60, "233.252.0.1", "233.252.0.0/24");
	trip(s, "ann", "tempfail", "msg 201>200/3600s", now + 60);
	held(s, "ann", "Q2", now + 60);
	store_add_session(s, "ann", now + 61, "10.1.1.1", "10.1.1.0/24");
	trip(s, "ann", "header", "rcpt 301>300/3600s", now + 61);
	trip(s, "bob", "reject", "foreign sender", now + 61);
	CHECK_INT("ann's trips counted on one incident",
		  sql_int(p, "SELECT trips FROM incidents WHERE login = 'ann'"),
		  3);
	CHECK_STR("worst action, first trigger and counts kept",
		  sql_text(p, "SELECT action || '|' || trigger || '|' || "
			      "counts FROM incidents WHERE login = 'ann'"),
		  "tempfail|rcpt 7>6/3600s class=default|msg 1/1h");
	CHECK_STR("networks grow in the next minute, not in the same",
		  sql_text(p, "SELECT networks FROM incidents WHERE login = "
			      "'ann'"),
		  "192.0.2.0/24 198.51.100.0/24 233.252.0.0/24");
	CHECK_INT("Q2 joins it",
		  sql_int(p, "SELECT incident_id FROM "
			     "quarantine WHERE queue_id = 'Q2'"),
		  id);
	CHECK_INT("every ann event names it",
		  sql_int(p, "SELECT COUNT(*) FROM events WHERE login = 'ann' "
			     "AND incident_id = "
			     "(SELECT id FROM incidents "
			     "WHERE login = 'ann')"),
		  3);
	CHECK_INT("bob has his own",
		  sql_int(p, "SELECT COUNT(*) FROM "
			     "incidents"),
		  2);

	CHECK_INT("the brief", store_incident_open(s, "ann", &b), 1);
	CHECK_INT("brief id", b.id, id);
	CHECK_INT("brief trips", b.trips, 3);
	CHECK_INT("brief held", b.nheld, 2);
	CHECK_STR("brief held lines", b.held, "Q1 subject\nQ2 subject\n");
	CHECK_INT("no incident for carol", store_incident_open(s, "carol", &b),
		  0);

	n = 0;
	CHECK_INT("list open",
		  store_admin_incidents(s, 0, 0, NULL, 0, count_row, &n), 0);
	CHECK_INT("two open", n, 2);
	n = 0;
	store_admin_incidents(s, 0, 0, "ann", 0, count_row, &n);
	CHECK_INT("one of ann", n, 1);
	n = 0;
	store_admin_incident_messages(s, id, 1, count_row, &n);
	CHECK_INT("two held messages", n, 2);
	n = 0;
	CHECK_INT("get", store_admin_incident_get(s, id, count_row, &n), 1);
	CHECK_INT("get none", store_admin_incident_get(s, 9999, count_row, &n),
		  0);

	CHECK_INT("close",
		  store_admin_incident_close(s, id, "closed", "root", "test",
					     err, sizeof(err)),
		  1);
	CHECK_INT("close twice",
		  store_admin_incident_close(s, id, "closed", "root", "test",
					     err, sizeof(err)),
		  0);
	CHECK_STR("closed by",
		  sql_text(p, "SELECT status || ' ' || closed_by "
			      "|| ' ' || outcome || ' ' || "
			      "(closed > 0) FROM incidents WHERE "
			      "status = 'closed'"),
		  "closed root test 1");
	trip(s, "ann", "quarantine", "rcpt 9>6/3600s", now + 63);
	held(s, "ann", "Q3", now + 63);
	id2 = sql_int(p, "SELECT id FROM incidents WHERE login = 'ann' AND "
			 "status = 'open'");
	CHECK(id2 > 0 && id2 != id, "a new trip after closing opens another");
	CHECK_INT("Q3 joins the new one",
		  sql_int(p, "SELECT incident_id FROM "
			     "quarantine WHERE queue_id "
			     "= 'Q3'"),
		  id2);
	CHECK_INT("Q1 stays with the old one",
		  sql_int(p, "SELECT incident_id FROM quarantine WHERE "
			     "queue_id = 'Q1'"),
		  id);
	n = 0;
	store_admin_incidents(s, 1, 0, "ann", 0, count_row, &n);
	CHECK_INT("all of ann's: two", n, 2);
	store_close(s);
}

/* set_greeting - a prepare: sets OUTGUARD_GREETING from OUTGUARD_NAME */
static void set_greeting(void *arg, struct notify_task *t)
{
	char v[100];

	snprintf(v, sizeof(v), "%s %s", (const char *)arg,
		 notify_task_var(t, "OUTGUARD_NAME"));
	notify_task_setvar(t, "OUTGUARD_GREETING", v);
}

/* test_notify - input, prepare, timeout */
static void test_notify(void)
{
	struct notify *n = notify_new(NULL);
	const char *vars[] = { "OUTGUARD_NAME", "ann", NULL };
	const char *evil[] = { "OUTGUARD_NAME",
			       "x\r\nX-Injected: 1\x1b[2J\x7f\xc3\xa9", NULL };
	struct notify_job j = { 0 };
	char cmd[300];

	CHECK(n != NULL, "notify_new without NotifyCommand");
	if (n == NULL)
		return;
	snprintf(cmd, sizeof(cmd), "cat >%s; echo \"$OUTGUARD_GREETING\" >>%s",
		 path("input.txt"), path("input.txt"));
	j.what = "input test";
	j.command = cmd;
	j.input = "line one\nline two\n";
	j.prepare = set_greeting;
	j.arg = "hello";
	notify_run(n, &j, vars);
	snprintf(cmd, sizeof(cmd), "printf %%s \"$OUTGUARD_NAME\" >%s",
		 path("mailvar.txt"));
	j.what = "a value from mail";
	j.input = NULL;
	j.prepare = NULL;
	notify_run(n, &j, evil);
	snprintf(cmd, sizeof(cmd), "sleep 5; touch %s", path("late"));
	j.what = "timeout test";
	j.command = cmd;
	j.input = NULL;
	j.prepare = NULL;
	j.timeout = 1;
	notify_run(n, &j, vars);
	notify_send(n, vars); /* no NotifyCommand: nothing */
	notify_free(n);
	CHECK_STR("input and prepare", read_all(path("input.txt")),
		  "line one\nline two\nhello ann\n");
	CHECK(access(path("late"), F_OK) != 0, "killed at its timeout");
	CHECK_STR("control characters from mail become '?', UTF-8 stays",
		  read_all(path("mailvar.txt")),
		  "x??X-Injected: 1?[2J?\xc3\xa9");
}

/* send - one message of login with n recipients and queue id qid */
static int send(struct guard *g, const char *login, const char *qid, int n)
{
	struct guard_conn *c = guard_conn_new(g, "192.0.2.7", "client.test");
	struct guard_reply r;
	struct guard_eom eom;
	char rcpt[64];
	int i, ok = 0;

	guard_mail(c, login, "<sender@example.test>", NULL);
	for (i = 0; i < n; i++) {
		snprintf(rcpt, sizeof(rcpt), "<r%d@example.net>", i);
		if (guard_rcpt(c, rcpt, NULL, &r) == ACTION_ACCEPT)
			ok++;
	}
	guard_header(c, "Subject", qid);
	if (ok > 0)
		guard_eom(c, qid, &eom);
	else
		guard_abort(c);
	guard_conn_free(c);
	return ok;
}

/* test_guard - incident, block_command and alert mail from the guard */
static void test_guard(void)
{
	const char *p = path("guard.db");
	char err[300], text[1200], want[200];
	struct store *s = store_open(p, STORE_CREATE, err, sizeof(err));
	struct guard *g;
	struct conf conf;
	const char *mail;
	long long id;

	CHECK(s != NULL, err);
	store_close(s);
	snprintf(text, sizeof(text),
		 "INSERT INTO settings (key, value) VALUES "
		 "('block_command', 'env | grep ^OUTGUARD_ | sort >%s'), "
		 "('alert_address', 'pm@example.test, sec@example.test'), "
		 "('alert_sendmail', 'cat >>%s'); "
		 "INSERT INTO limits (class, metric, window_s, threshold, "
		 "action) VALUES ('default', 'rcpt', 3600, 0, 'quarantine'), "
		 "('default', 'msg', 3600, 2, 'block');",
		 path("block.env"), path("mail.txt"));
	sql(p, text);
	conf_init(&conf);
	conf_set(&conf, "Database", p, err, sizeof(err));
	if ((g = guard_new(&conf, err, sizeof(err))) == NULL) {
		CHECK(0, err);
		return;
	}
	CHECK_INT("first held", send(g, "ann", "QA1", 1), 1);
	CHECK_INT("second held", send(g, "ann", "QA2", 2), 2);
	store_flush(guard_store(g));
	CHECK_STR("one incident, two trips",
		  sql_text(p, "SELECT count(*) || ' ' || max(trips) || ' ' || "
			      "max(action) FROM incidents"),
		  "1 2 quarantine");
	id = sql_int(p, "SELECT id FROM incidents");
	CHECK_INT("both held rows join it",
		  sql_int(p, "SELECT COUNT(*) FROM quarantine WHERE "
			     "incident_id = (SELECT id FROM incidents)"),
		  2);
	CHECK(strstr(sql_text(p, "SELECT counts FROM incidents"),
		     "msg 1/1h, rcpt 1/1h, sessions 1/1h, networks 1/1h") !=
		      NULL,
	      sql_text(p, "SELECT counts FROM incidents"));
	CHECK_INT("third is blocked", send(g, "ann", "QA3", 1), 0);
	guard_free(g); /* runs the queued commands */
	conf_free(&conf);

	CHECK_STR("block recorded",
		  sql_text(p, "SELECT action || ' ' || trips "
			      "FROM incidents"),
		  "block 3");
	snprintf(want, sizeof(want), "OUTGUARD_INCIDENT=%lld\n", id);
	CHECK(strstr(read_all(path("block.env")), want) != NULL,
	      read_all(path("block.env")));
	CHECK(strstr(read_all(path("block.env")), "OUTGUARD_LOGIN=ann\n") !=
		      NULL,
	      "block_command has OUTGUARD_LOGIN");
	CHECK(strstr(read_all(path("block.env")), "OUTGUARD_CLIENT=192.0.2.7"
						  "\n") != NULL,
	      "block_command has OUTGUARD_CLIENT");
	CHECK(strstr(read_all(path("block.env")), "OUTGUARD_REASON=msg 3>2/"
						  "3600s") != NULL,
	      "block_command has OUTGUARD_REASON");
	mail = read_all(path("mail.txt"));
	CHECK_INT("two mails: the first trip and the block",
		  count_of(mail, "X-Outguard-Alert: yes\n"), 2);
	CHECK_INT("addressed",
		  count_of(mail, "\nTo: pm@example.test, "
				 "sec@example.test\n"),
		  2);
	CHECK_INT("from MAILER-DAEMON", count_of(mail, "From: MAILER-DAEMON\n"),
		  2);
	snprintf(want, sizeof(want), "outguardctl incidents release %lld ", id);
	CHECK_INT("the release command", count_of(mail, want), 2);
	CHECK_INT("unblock command",
		  count_of(mail, "outguardctl unblock ann\n"), 2);
	CHECK(strstr(mail, "Subject: [outguard] ann: block (msg 3>2/3600s") !=
		      NULL,
	      "the block's subject");
	CHECK(strstr(mail, "Held messages (2; queue id and subject):\n"
			   "  QA1 QA1\n  QA2 QA2\n") != NULL,
	      "the block's mail lists both held messages");
	CHECK(strstr(mail, "Networks:  192.0.2.0/24\n") != NULL,
	      "networks in the mail");
	if (check_fail)
		printf("--- mail.txt\n%s---\n", mail);
}

int main(void)
{
	if (check_tmpdir(dir, "incident") < 0)
		return 2;
	test_trips();
	test_notify();
	test_guard();
	return check_finish(dir);
}
