/*
 * NAME
 *	test_bounce - bounces from the MTA's log counted on the login
 * DESCRIPTION
 *	A guard with MailLog on a log file: messages of two logins are
 *	accepted under queue ids, Postfix lines reporting bounces (and a
 *	delivery, a deferral, a bounce of an unknown queue id, garbage)
 *	are appended to the log, and counts.bounce of each login becomes
 *	exactly its bounced recipients.  The guard is then stopped and
 *	started again on the same database and log, more lines come, and
 *	the totals are exact: nothing lost, nothing counted twice (the
 *	position is saved with the counts).  A limit on bounce then
 *	refuses the login at RCPT.  With PG_URI set (test/pg/test_pg_unit.sh
 *	starts a private server) the same runs on PostgreSQL.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "guard.h"
#include "store_int.h" /* store_admin_query */

#define PF "Dec  3 08:00:00 mx postfix/smtp[123]: "

static char dir[64], dbp[512], logp[128];
static struct guard *g;
static struct conf conf;

/* int_row - the first column as a number */
static int int_row(void *arg, int n, const char *const *names,
		   const char *const *v)
{
	(void)names;
	if (n >= 1 && v[0] != NULL)
		*(long long *)arg = strtoll(v[0], NULL, 10);
	return 0;
}

/* sql_int - one integer from the database (either store) */
static long long sql_int(const char *text)
{
	long long v = -1;
	char err[300];

	store_flush(guard_store(g));
	if (store_admin_query(guard_store(g), "test", text, NULL, int_row, &v,
			      err, sizeof(err)) < 0)
		printf("# %s: %s\n", text, err);
	return v;
}

/* bounces - the login's counted bounces */
static long long bounces(const char *login)
{
	char q[160];

	snprintf(q, sizeof(q),
		 "SELECT coalesce(sum(bounce), 0) FROM counts WHERE "
		 "login = '%s' AND "
		 "kind = 0",
		 login);
	return sql_int(q);
}

/* wait_for - until the login has want bounces (the follower polls every
 * 200 ms); gives up after 20 s, and the check then fails */
static long long wait_for(const char *login, long long want)
{
	long long n = 0;
	int i;

	for (i = 0; i < 200 && (n = bounces(login)) != want; i++)
		usleep(100000);
	return n;
}

/* append - lines to the log */
static void append(const char *text)
{
	FILE *f = fopen(logp, "a");

	if (f == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

/* accept_msg - one accepted message of login under queue id qid */
static void accept_msg(const char *login, const char *qid, int n)
{
	struct guard_conn *c = guard_conn_new(g, "192.0.2.7", "client.test");
	struct guard_reply r;
	struct guard_eom eom;
	char rcpt[64];
	int i;

	guard_mail(c, login, "<sender@example.test>", NULL);
	for (i = 0; i < n; i++) {
		snprintf(rcpt, sizeof(rcpt), "<u%d@example.net>", i);
		guard_rcpt(c, rcpt, NULL, &r);
	}
	guard_eom(c, qid, &eom);
	guard_conn_free(c);
}

/* start - a guard on the database and the log */
static int start(void)
{
	char err[300];

	g = guard_new(&conf, err, sizeof(err));
	CHECK(g != NULL, err);
	return g != NULL;
}

int main(void)
{
	char err[300], cmd[128];

	snprintf(dir, sizeof(dir), "/tmp/og-bounce-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(dbp, sizeof(dbp), "%s/og.db", dir);
	if (getenv("PG_URI") != NULL && *getenv("PG_URI")) /* PostgreSQL */
		snprintf(dbp, sizeof(dbp), "%s", getenv("PG_URI"));
	snprintf(logp, sizeof(logp), "%s/mail.log", dir);
	append(PF "old: a line before the daemon ever ran\n");
	conf_init(&conf);
	conf_set(&conf, "Database", dbp, err, sizeof(err));
	conf_set(&conf, "MailLog", logp, err, sizeof(err));
	if (!start())
		return check_done();
	accept_msg("alice", "4AAA1", 3);
	accept_msg("bob", "4BBB1", 2);
	if (strncmp(dbp, "postgresql:", 11) != 0) { /* SQLite's join (009) */
		CHECK_INT("queue_logins has the two messages",
			  sql_int("SELECT count(*) FROM queue_logins"), 2);
		CHECK_INT("no msg_log_queue_id index (009)",
			  sql_int("SELECT count(*) FROM sqlite_master WHERE "
				  "name = 'msg_log_queue_id'"),
			  0);
	}
	append(PF
	       "4AAA1: to=<u0@example.net>, relay=mx[192.0.2.1]:25, "
	       "delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced "
	       "(host said: 550 5.1.1 no such user)\n" PF
	       "4AAA1: to=<u1@example.net>, relay=mx[192.0.2.1]:25, "
	       "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)\n" PF
	       "4AAA1: to=<u2@example.net>, relay=mx[192.0.2.1]:25, "
	       "delay=1, delays=0/0/0/1, dsn=4.2.0, status=deferred "
	       "(greylisted)\n" PF
	       "4BBB1: to=<u0@example.net>, relay=mx[192.0.2.1]:25, "
	       "delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced "
	       "(550 no)\n" PF
	       "4ZZZZ: to=<x@example.net>, relay=mx[192.0.2.1]:25, "
	       "delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced "
	       "(no such message of ours)\n"
	       "garbage \x01\x02 status=bounced\n");
	CHECK_INT("alice: one bounce", wait_for("alice", 1), 1);
	CHECK_INT("bob: one bounce", wait_for("bob", 1), 1);
	CHECK_INT("no other login counted",
		  sql_int("SELECT coalesce(sum(bounce), 0) FROM counts "
			  "WHERE kind = 0"),
		  2);
	CHECK(sql_int("SELECT count(*) FROM daemon_state WHERE key = "
		      "'maillog_pos'") == 1,
	      "the position is saved");

	/* restart; a line written while it was down, and one after */
	guard_free(g);
	append(PF "4AAA1: to=<u2@example.net>, relay=mx[192.0.2.1]:25, "
		  "delay=9, delays=0/0/0/9, dsn=5.7.1, status=bounced "
		  "(550 5.7.1 spam)\n");
	if (!start())
		return check_done();
	CHECK_INT("alice: the line written while down counts once",
		  wait_for("alice", 2), 2);
	accept_msg("bob", "4BBB2", 1);
	append(PF "4BBB2: to=<u0@example.net>, relay=mx[192.0.2.1]:25, "
		  "delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced "
		  "(550 no)\n");
	CHECK_INT("bob: two", wait_for("bob", 2), 2);
	CHECK_INT("alice: still two, nothing read twice", bounces("alice"), 2);

	/* a bounce limit refuses at RCPT */
	CHECK_INT("a bounce limit added",
		  store_admin_query(guard_store(g), "test",
				    "INSERT INTO limits (class, metric, "
				    "window_s, threshold, action) VALUES "
				    "('default', 'bounce', 3600, 1, "
				    "'tempfail')",
				    NULL, NULL, NULL, err, sizeof(err)),
		  1);
	usleep(1200000); /* the watcher reloads within a second */
	{
		struct guard_conn *c = guard_conn_new(g, "192.0.2.7", NULL);
		struct guard_reply r;

		guard_mail(c, "alice", "<a@example.test>", NULL);
		CHECK_INT("alice over her bounce limit: refused",
			  guard_rcpt(c, "<x@example.net>", NULL, &r),
			  ACTION_TEMPFAIL);
		guard_conn_free(c);
	}
	guard_free(g);
	conf_free(&conf);
	if (check_fail == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("could not remove %s\n", dir);
	}
	return check_done();
}
