/*
 * NAME
 *	test_guard - messages through guard with a real store
 * DESCRIPTION
 *	Drives guard as the milter callbacks do (mail, rcpt..., eom) with
 *	the writer and policy watcher running on a temp database, and
 *	checks replies and what was counted: unauthenticated and refused
 *	mail is not counted, the per-message cap refuses from the 101st
 *	recipient, stages add a header or quarantine, a block limit
 *	blocks the login, a block made during DATA applies at
 *	end-of-message, a class in users overrides the default, and a
 *	limit changed with SQL applies within a second.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "sql_int.h"
#include "guard.h"

static char dir[64], dbp[128];
static struct guard *g;

/* sql - run SQL on the database */
static void sql(const char *text)
{
	sqlite3 *db;

	sqlite3_open(dbp, &db);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, text, NULL, NULL, NULL) != SQLITE_OK)
		printf("sql failed: %s: %s\n", text, sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* sql_int - one integer, after the writer has caught up */
static long long sql_int(const char *text)
{
	store_flush(guard_store(g));
	return sql_int_at(dbp, text);
}

/* send - one message of n recipients; how many were accepted */
static int send(const char *login, int n, struct guard_eom *eom,
		struct guard_reply *last_refusal)
{
	struct guard_conn *c = guard_conn_new(g, "192.0.2.7", "client.test");
	struct guard_reply r;
	char rcpt[64];
	int i, ok = 0;

	guard_mail(c, login, "<sender@example.test>", NULL);
	for (i = 0; i < n; i++) {
		snprintf(rcpt, sizeof(rcpt), "<r%d@example.net>", i);
		if (guard_rcpt(c, rcpt, NULL, &r) == ACTION_ACCEPT)
			ok++;
		else if (last_refusal)
			*last_refusal = r;
	}
	guard_header(c, "Subject", "hello");
	memset(eom, 0, sizeof(*eom));
	if (ok > 0)
		guard_eom(c, "QTEST", eom);
	else
		guard_abort(c);
	guard_conn_free(c);
	return ok;
}

/* reply_is - "451 4.7.1" style check */
static void reply_is(const char *what, const struct guard_reply *r,
		     const char *code, const char *xcode)
{
	char got[32], want[32];

	snprintf(got, sizeof(got), "%s %s", r->code, r->xcode);
	snprintf(want, sizeof(want), "%s %s", code, xcode);
	CHECK_STR(what, got, want);
}

/* test_unauth - unauthenticated mail is never counted */
static void test_unauth(void)
{
	struct guard_eom eom;

	CHECK_INT("unauth accepted", send(NULL, 3, &eom, NULL), 3);
	CHECK_INT("unauth accepted at eom", eom.action, ACTION_ACCEPT);
	CHECK_INT("nothing counted", sql_int("SELECT COUNT(*) FROM msg_log"),
		  0);
	CHECK_INT("no session", sql_int("SELECT COUNT(*) FROM session_log"), 0);
}

/* test_msg_limit - the third message is refused and not counted */
static void test_msg_limit(void)
{
	struct guard_reply r = { "", "", "" };
	struct guard_eom eom;

	sql("UPDATE limits SET threshold = 2 WHERE class = 'default' AND "
	    "metric = 'msg'");
	usleep(1200000); /* the watcher reloads within a second */
	CHECK_INT("1st", send("Alice", 2, &eom, NULL), 2);
	CHECK_INT("2nd", send("alice", 2, &eom, NULL), 2);
	CHECK_INT("3rd refused", send("ALICE", 2, &eom, &r), 0);
	reply_is("3rd reply", &r, "451", "4.7.1");
	CHECK_INT("two counted",
		  sql_int("SELECT COUNT(*) FROM msg_log WHERE "
			  "login = 'alice'"),
		  2);
	CHECK_INT("refusal event",
		  sql_int("SELECT COUNT(*) FROM events WHERE "
			  "login = 'alice' AND action = "
			  "'tempfail' AND kind = 'limit'"),
		  1);
	CHECK_INT("three sessions",
		  sql_int("SELECT COUNT(*) FROM session_log "
			  "WHERE login = 'alice'"),
		  3);
	sql("UPDATE limits SET threshold = 200 WHERE class = 'default' AND "
	    "metric = 'msg'");
	usleep(1200000);
	CHECK_INT("raised limit applies", send("alice", 1, &eom, NULL), 1);
}

/* test_rcpt_cap - 150 recipients: 100 in, 50 get 452 4.5.3 */
static void test_rcpt_cap(void)
{
	struct guard_reply r = { "", "", "" };
	struct guard_eom eom;

	CHECK_INT("100 accepted", send("bob", 150, &eom, &r), 100);
	reply_is("cap reply", &r, "452", "4.5.3");
	CHECK_INT("delivered", eom.action, ACTION_ACCEPT);
	CHECK_INT("100 counted",
		  sql_int("SELECT rcpts FROM msg_log WHERE "
			  "login = 'bob'"),
		  100);
}

/* test_class - a bulk login has ten times the cap */
static void test_class(void)
{
	struct guard_eom eom;

	sql("INSERT INTO users (login, class) VALUES ('news', 'bulk')");
	CHECK_INT("bulk: 150 accepted", send("news", 150, &eom, NULL), 150);
}

/* test_stages - header and quarantine at end-of-message */
static void test_stages(void)
{
	struct guard_eom eom;

	sql("INSERT INTO limits (class, metric, window_s, threshold, action) "
	    "VALUES ('default', 'rcpt', 3600, 3, 'header'), "
	    "('default', 'rcpt', 3600, 6, 'quarantine')");
	usleep(1200000);
	CHECK_INT("carol 1", send("carol", 3, &eom, NULL), 3);
	CHECK_INT("no stage yet", eom.add_header, 0);
	CHECK_INT("carol 2", send("carol", 1, &eom, NULL), 1);
	CHECK_INT("header stage", eom.add_header, 1);
	CHECK_STR("header name", eom.header_name, "X-Outguard");
	CHECK(strstr(eom.header_value, "rcpt 4>3/3600s") != NULL,
	      eom.header_value);
	CHECK_INT("carol 3", send("carol", 3, &eom, NULL), 3);
	CHECK_INT("quarantine stage", eom.quarantine, 1);
	CHECK_INT("quarantine row",
		  sql_int("SELECT COUNT(*) FROM quarantine "
			  "WHERE login = 'carol' AND "
			  "queue_id = 'QTEST' AND reason "
			  "LIKE 'rcpt 7>6/3600s%'"),
		  1);
	CHECK_INT("held mail counts",
		  sql_int("SELECT SUM(rcpts) FROM msg_log "
			  "WHERE login = 'carol'"),
		  7);
	sql("DELETE FROM limits WHERE threshold IN (3, 6)");
	usleep(1200000);
}

/* test_block - a block limit blocks the login, unblock restores */
static void test_block(void)
{
	struct guard_reply r = { "", "", "" };
	struct guard_eom eom;

	sql("INSERT INTO limits (class, metric, window_s, threshold, action) "
	    "VALUES ('default', 'msg', 3600, 1, 'block')");
	usleep(1200000);
	CHECK_INT("dave 1", send("dave", 1, &eom, NULL), 1);
	CHECK_INT("dave 2 blocked", send("dave", 1, &eom, &r), 0);
	reply_is("block reply", &r, "451", "4.7.1");
	CHECK_INT("status blocked",
		  sql_int("SELECT status = 'blocked' FROM "
			  "users WHERE login = 'dave'"),
		  1);
	sql("DELETE FROM limits WHERE action = 'block'");
	usleep(1200000);
	CHECK_INT("still blocked without the limit", send("dave", 1, &eom, &r),
		  0);
	sql("UPDATE users SET status = 'active' WHERE login = 'dave'");
	CHECK_INT("unblocked", send("dave", 1, &eom, NULL), 1);
}

/*
 * test_escalation - a login that keeps being refused is blocked by the
 * default refused row (more than 50 in an hour); refusals after the
 * first trip fold into one events row per minute with a count
 */
static void test_escalation(void)
{
	struct guard_reply r = { "", "", "" };
	struct guard_eom eom;
	int i, refused = 0;

	sql("INSERT INTO users (login, class) VALUES ('frank', 'esc')");
	sql("INSERT INTO classes (name) VALUES ('esc')");
	sql("INSERT INTO limits (class, metric, window_s, threshold, action) "
	    "VALUES ('esc', 'msg', 3600, 1, 'tempfail'), "
	    "('esc', 'refused', 3600, 50, 'block')");
	usleep(1200000);
	CHECK_INT("frank 1", send("frank", 5, &eom, NULL), 5);
	for (i = 0; i < 10; i++)
		refused += 5 - send("frank", 5, &eom, &r);
	CHECK_INT("50 refused", refused, 50);
	reply_is("limit reply", &r, "451", "4.7.1");
	CHECK_INT("not blocked at 50",
		  sql_int("SELECT count(*) FROM users WHERE login = 'frank' "
			  "AND status = 'blocked'"),
		  0);
	CHECK_INT("refused counted",
		  sql_int("SELECT sum(refused) FROM counts WHERE login = "
			  "'frank' AND kind = 0"),
		  50);
	CHECK_INT("the 51st refusal blocks", send("frank", 5, &eom, &r), 0);
	CHECK_INT("blocked",
		  sql_int("SELECT count(*) FROM users WHERE login = 'frank' "
			  "AND status = 'blocked'"),
		  1);
	CHECK_INT("one open incident",
		  sql_int("SELECT count(*) FROM incidents WHERE login = "
			  "'frank' AND status = 'open'"),
		  1);
	CHECK_INT("the block has its own row",
		  sql_int("SELECT count(*) FROM events WHERE login = 'frank' "
			  "AND action = 'block' AND agg_minute IS NULL AND "
			  "detail LIKE 'refused 51>50/3600s%'"),
		  1);
	for (i = 0; i < 20; i++)
		send("frank", 3, &eom, NULL);
	CHECK_INT("a blocked login's refusals are not counted",
		  sql_int("SELECT sum(refused) FROM counts WHERE login = "
			  "'frank' AND kind = 0"),
		  51);
	CHECK_INT("the first limit refusal has its own row",
		  sql_int("SELECT count(*) FROM events WHERE login = 'frank' "
			  "AND kind = 'limit' AND action = 'tempfail' AND "
			  "agg_minute IS NULL"),
		  1);
	CHECK_INT("the next nine are folded",
		  sql_int("SELECT sum(count) FROM events WHERE login = 'frank' "
			  "AND kind = 'limit' AND action = 'tempfail' AND "
			  "agg_minute IS NOT NULL"),
		  9);
	CHECK_INT("the blocked login's 20 are folded",
		  sql_int("SELECT sum(count) FROM events WHERE login = 'frank' "
			  "AND kind = 'blocked' AND agg_minute IS NOT NULL"),
		  20);
	CHECK(sql_int("SELECT count(*) FROM events WHERE login = 'frank'") <= 5,
	      "O(minutes) events rows");
	sql("DELETE FROM limits WHERE class = 'esc'");
	usleep(1200000);
}

/*
 * send_to - one message of login to recipients PREFIX<first>.. of n,
 * written to the store before the next; 1 when accepted (eom set)
 */
static int send_to(const char *login, const char *prefix, int first, int n,
		   struct guard_eom *eom)
{
	struct guard_conn *c = guard_conn_new(g, "192.0.2.9", "client.test");
	struct guard_reply r;
	char rcpt[96];
	int i, ok = 0;

	guard_mail(c, login, "<sender@example.test>", NULL);
	for (i = 0; i < n; i++) {
		snprintf(rcpt, sizeof(rcpt), "<%s%d@example.org>", prefix,
			 first + i);
		ok += guard_rcpt(c, rcpt, NULL, &r) == ACTION_ACCEPT;
	}
	memset(eom, 0, sizeof(*eom));
	if (ok > 0)
		guard_eom(c, "QNEW", eom);
	else
		guard_abort(c);
	guard_conn_free(c);
	store_flush(guard_store(g));
	return ok > 0 && eom->action != ACTION_TEMPFAIL;
}

/*
 * test_first_contact - the default new_rcpt rows: an honest login
 * writing again and again to its 30 contacts never trips; one writing
 * to strangers is held past 120 new recipients an hour, refused at RCPT
 * past 150, and the refusals block it
 */
static void test_first_contact(void)
{
	struct guard_eom eom;
	int i, held = 0, plain = 0, first_held = 0;

	/* test_block deleted the default block rows */
	sql("INSERT INTO limits (class, metric, window_s, threshold, action) "
	    "VALUES ('default', 'refused', 3600, 50, 'block')");
	usleep(1200000);
	for (i = 0; i < 10; i++) {
		CHECK_INT("gina writes to her 30",
			  send_to("gina", "Friend", 0, 30, &eom), 1);
		CHECK_INT("gina: no stage", eom.action, ACTION_ACCEPT);
	}
	CHECK_INT("gina: 30 new recipients in all",
		  sql_int("SELECT sum(new_rcpt) FROM counts WHERE login = "
			  "'gina' AND kind = 0"),
		  30);
	CHECK_INT("gina: 30 contacts",
		  sql_int("SELECT count(*) FROM contacts WHERE login = 'gina'"),
		  30);
	for (i = 0; i < 260; i++) {
		if (!send_to("hank", "s", i, 1, &eom))
			continue;
		if (eom.quarantine) {
			held++;
			if (first_held == 0)
				first_held = i + 1;
		} else {
			plain++;
		}
	}
	CHECK_INT("hank: 120 delivered", plain, 120);
	CHECK_INT("hank: held from the 121st", first_held, 121);
	CHECK_INT("hank: 31 held", held, 31);
	CHECK_INT("hank: blocked",
		  sql_int("SELECT count(*) FROM users WHERE login = 'hank' AND "
			  "status = 'blocked'"),
		  1);
	CHECK_INT(
		"hank: the block names refused",
		sql_int("SELECT count(*) FROM events WHERE login = 'hank' "
			"AND action = 'block' AND detail LIKE 'refused 51>50%'"),
		1);
	CHECK_INT(
		"hank: one incident",
		sql_int("SELECT count(*) FROM incidents WHERE login = 'hank'"),
		1);
}

/* test_block_during_data - the status is read again at end-of-message */
static void test_block_during_data(void)
{
	struct guard_conn *c = guard_conn_new(g, "192.0.2.8", NULL);
	struct guard_reply r;
	struct guard_eom eom;

	guard_mail(c, "erin", "erin@example.test", NULL);
	CHECK_INT("rcpt ok", guard_rcpt(c, "x@example.net", NULL, &r),
		  ACTION_ACCEPT);
	sql("INSERT INTO users (login, status) VALUES ('erin', 'blocked')");
	guard_eom(c, "QERIN", &eom);
	CHECK_INT("eom tempfails", eom.action, ACTION_TEMPFAIL);
	reply_is("eom reply", &eom.reply, "451", "4.7.1");
	guard_conn_free(c);
	CHECK_INT("not counted",
		  sql_int("SELECT COUNT(*) FROM msg_log WHERE "
			  "login = 'erin'"),
		  0);
}

int main(void)
{
	struct conf conf;
	char err[300];

	snprintf(dir, sizeof(dir), "/tmp/og-guard-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(dbp, sizeof(dbp), "%s/og.db", dir);
	conf_init(&conf);
	conf_set(&conf, "Database", dbp, err, sizeof(err));
	g = guard_new(&conf, err, sizeof(err));
	CHECK(g != NULL, err);
	if (g == NULL)
		return check_done();
	test_unauth();
	test_msg_limit();
	test_rcpt_cap();
	test_class();
	test_stages();
	test_block();
	test_block_during_data();
	test_escalation();
	test_first_contact();
	guard_free(g);
	conf_free(&conf);
	if (check_fail == 0) {
		snprintf(err, sizeof(err), "rm -rf %s", dir);
		if (system(err) != 0)
			printf("could not remove %s\n", dir);
	}
	return check_done();
}
