/*
 * NAME
 *	test_store - the SQLite store: schema, migrations, counts, policy
 * DESCRIPTION
 *	Runs on real database files in a temp directory, without the
 *	writer thread (writes are then synchronous).  Checks: a new
 *	database gets the current schema version and the default policy;
 *	a newer or broken database is refused and left as it was; counts
 *	slide across a window's edge; reservations and queued messages
 *	are counted once; bad policy rows are skipped with a problem;
 *	pruning deletes what is past retention, in as many calls as it
 *	takes, and nothing else.  The detection state (refused, new_rcpt
 *	and bounce counts, contacts, bounces by queue id, peaks, folded
 *	events) and its pruning are checked through the store's own
 *	functions, so the same checks run on both stores: with PG_URI set
 *	(test/pg/test_pg_unit.sh starts a private server) the tests that
 *	fit PostgreSQL run there instead, on a database emptied before
 *	each, and those that are SQLite's own (its files, migrations,
 *	in-process reservations) are left out.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "sql_int.h"
#include "store.h"
#include "store_windows.h"
#include "store_int.h" /* store_prune */

static char dir[64];
static const char *datadir; /* argv[1]: test/data, for ../../schema */
static const char *pg_uri;  /* $PG_URI: run on PostgreSQL */

/* db_path - a fresh database path in the temp dir */
static const char *db_path(const char *name)
{
	static char p[128];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

/* sql - run SQL on a database file directly; 0 or -1 */
static int sql(const char *path, const char *text)
{
	sqlite3 *db;
	int rc;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	rc = sqlite3_exec(db, text, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -1;
}

/* int_row - the first column as a number */
static int int_row(void *arg, int n, const char *const *names,
		   const char *const *v)
{
	(void)names;
	if (n >= 1 && v[0] != NULL)
		*(long long *)arg = strtoll(v[0], NULL, 10);
	return 0;
}

/* q_int - one integer from SQL through the store (either backend) */
static long long q_int(struct store *s, const char *text)
{
	long long v = -1;
	char err[300];

	if (store_admin_query(s, "test", text, NULL, int_row, &v, err,
			      sizeof(err)) < 0)
		printf("# %s: %s\n", text, err);
	return v;
}

/* q_exec - a statement through the store; 0 or -1 */
static int q_exec(struct store *s, const char *text)
{
	char err[300];

	if (store_admin_query(s, "test", text, NULL, NULL, NULL, err,
			      sizeof(err)) < 0) {
		printf("# %s: %s\n", text, err);
		return -1;
	}
	return 0;
}

/*
 * fresh - a new, empty store: a new file on SQLite; on PostgreSQL the
 * one database with its state tables emptied (the policy kept)
 */
static struct store *fresh(const char *name)
{
	char err[300];
	struct store *s;

	s = store_open(pg_uri ? pg_uri : db_path(name), STORE_CREATE, err,
		       sizeof(err));
	CHECK(s != NULL, err);
	if (s != NULL && pg_uri)
		CHECK_INT("emptied",
			  q_exec(s, "TRUNCATE msg_log, session_log, counts, "
				    "events, quarantine, incidents, contacts, "
				    "peaks, reservations, daemon_state, users, "
				    "seen_domains"),
			  0);
	return s;
}

/* test_create - a new database */
static void test_create(void)
{
	const char *p = db_path("new.db");
	char err[300];
	struct store *s = store_open(p, STORE_CREATE, err, sizeof(err));
	struct policy *pol;

	CHECK(s != NULL, "create a new database");
	CHECK_INT("user_version", sql_int_at(p, "PRAGMA user_version"),
		  store_schema_version());
	CHECK_INT("default class limits",
		  sql_int_at(p, "SELECT COUNT(*) FROM "
				"limits WHERE class='default'"),
		  9);
	pol = store_policy_load(s, err, sizeof(err));
	CHECK(pol != NULL, "load the default policy");
	CHECK_INT("default policy has no problems", pol ? pol->nproblems : -1,
		  0);
	CHECK(policy_class_find(pol, "bulk") != NULL, "class bulk exists");
	CHECK_INT("max window is a day", pol ? pol->max_window : 0, 86400);
	CHECK_STR("header_name setting", policy_setting(pol, "header_name", ""),
		  "X-Outguard");
	policy_free(pol);
	store_close(s);
	s = store_open(p, 0, err, sizeof(err));
	CHECK(s != NULL, "reopen without create");
	store_close(s);
	s = store_open(db_path("missing.db"), 0, err, sizeof(err));
	CHECK(s == NULL, "a missing database without create is an error");
}

/* test_newer - a database from a newer outguard is refused */
static void test_newer(void)
{
	const char *p = db_path("newer.db");
	char err[300], want[300];
	struct store *s;

	CHECK_INT("make newer", sql(p, "PRAGMA user_version=99"), 0);
	s = store_open(p, STORE_CREATE, err, sizeof(err));
	CHECK(s == NULL, "newer database refused");
	snprintf(want, sizeof(want),
		 "database schema version 99 is newer "
		 "than this outguard (%d)",
		 store_schema_version());
	CHECK_STR("newer message", err, want);
	CHECK_INT("left at 99", sql_int_at(p, "PRAGMA user_version"), 99);
}

/* test_failed_migration - a failing step is rolled back whole */
static void test_failed_migration(void)
{
	const char *p = db_path("broken.db");
	char err[300];
	struct store *s;

	/* someone's table in the way of step 1 */
	CHECK_INT("make conflict", sql(p, "CREATE TABLE limits (x)"), 0);
	s = store_open(p, STORE_CREATE, err, sizeof(err));
	CHECK(s == NULL, "conflicting database refused");
	CHECK(strncmp(err, "schema step 1: ", 15) == 0, err);
	CHECK_INT("version still 0", sql_int_at(p, "PRAGMA user_version"), 0);
	CHECK_INT("no half-made tables",
		  sql_int_at(p, "SELECT COUNT(*) FROM "
				"sqlite_master WHERE name='classes'"),
		  0);
}

/* test_migrate_v1 - a version 1 database is migrated and keeps its data */
static void test_migrate_v1(void)
{
	const char *p = db_path("v1.db");
	char path[512], err[300], *v1;
	struct store *s;

	snprintf(path, sizeof(path), "%s/../../schema/outguard.sql", datadir);
	v1 = check_read_file(path);
	CHECK(v1 != NULL, "read schema/outguard.sql");
	if (v1 == NULL)
		return;
	CHECK_INT("make a version 1 database", sql(p, v1), 0);
	free(v1);
	CHECK_INT("stamp it version 1", sql(p, "PRAGMA user_version=1"), 0);
	CHECK_INT("site data in v1",
		  sql(p, "UPDATE limits SET threshold = 42 WHERE id = 5;"
			 "INSERT INTO users (login, status) VALUES "
			 "('mallory', 'blocked')"),
		  0);
	s = store_open(p, 0, err, sizeof(err));
	CHECK(s == NULL, "an old database is not migrated without create");
	s = store_open(p, STORE_CREATE, err, sizeof(err));
	CHECK(s != NULL, err);
	store_close(s);
	CHECK_INT("now at the current version",
		  sql_int_at(p, "PRAGMA user_version"), store_schema_version());
	CHECK_INT("site limit kept",
		  sql_int_at(p, "SELECT threshold FROM limits "
				"WHERE id = 5"),
		  42);
	CHECK_INT("users kept",
		  sql_int_at(p, "SELECT COUNT(*) FROM users WHERE "
				"status = 'blocked'"),
		  1);
	CHECK_INT("version 2 settings added",
		  sql_int_at(p, "SELECT COUNT(*) FROM settings WHERE key = "
				"'action_foreign_sender'"),
		  1);
	CHECK_INT("version 2 protected domains added",
		  sql_int_at(p, "SELECT COUNT(*) > 20 FROM protected_domains"),
		  1);
}

/* counts_at - hour and day counts of login at now */
static void counts_at(struct store *s, const char *login, time_t now,
		      struct window_counts c[2])
{
	c[0].window_s = 3600;
	c[1].window_s = 86400;
	CHECK_INT("counts read", store_counts_get(s, login, now, c, 2), 0);
}

/* test_queue_logins - rows only with MailLog, the newest per queue id */
static void test_queue_logins(struct store *s, const char *p, time_t t0)
{
	store_flush(s);
	CHECK_INT("no MailLog: no queue_logins rows",
		  sql_int_at(p, "SELECT count(*) FROM queue_logins"), 0);
	store_set_queue_logins(s, 1);
	store_add_message(s, "carol", t0, 1, "192.0.2.3", "Q4", 0, 0);
	store_add_message(s, "dave", t0 + 5, 1, "192.0.2.3", "Q4", 0, 0);
	store_add_message(s, "carol", t0 + 6, 1, "192.0.2.3", "", 0, 0);
	store_flush(s);
	CHECK_INT("MailLog: one row per queue id",
		  sql_int_at(p, "SELECT count(*) FROM queue_logins"), 1);
	CHECK_INT("MailLog: the newest message of a queue id",
		  sql_int_at(p, "SELECT count(*) FROM queue_logins WHERE "
				"queue_id = 'Q4' AND login = 'dave' AND ts = "
				"1700000005"),
		  1);
}

/* test_windows - a row leaves the window exactly window_s later */
static void test_windows(void)
{
	struct store *s = fresh("win.db");
	struct window_counts c[2];
	time_t t0 = 1700000000;

	if (s == NULL)
		return;
	store_add_message(s, "alice", t0, 7, "192.0.2.1", "Q1", 0, 0);
	store_add_message(s, "alice", t0 + 1800, 3, "192.0.2.1", "Q2", 0, 0);
	store_add_message(s, "bob", t0, 50, "192.0.2.2", "Q3", 0, 0);
	store_add_session(s, "alice", t0, "192.0.2.1", "192.0.2.0/24");
	store_flush(s);
	counts_at(s, "alice", t0 + 3599, c);
	CHECK_INT("hour msgs just inside", c[0].msgs, 2);
	CHECK_INT("hour rcpts just inside", c[0].rcpts, 10);
	CHECK_INT("hour sessions just inside", c[0].sessions, 1);
	counts_at(s, "alice", t0 + 3600, c);
	CHECK_INT("hour msgs at the edge: first has left", c[0].msgs, 1);
	CHECK_INT("hour rcpts at the edge", c[0].rcpts, 3);
	CHECK_INT("day still has both", c[1].rcpts, 10);
	CHECK_INT("session left the hour", c[0].sessions, 0);
	counts_at(s, "alice", t0 + 86400 + 1800, c);
	CHECK_INT("day: all gone", c[1].msgs, 0);
	counts_at(s, "ALICE", t0 + 10, c);
	CHECK_INT("logins are stored lower-case by the caller", c[0].msgs, 0);
	if (!pg_uri) /* queue_logins: SQLite's bounce join (schema 9) */
		test_queue_logins(s, db_path("win.db"), t0);
	store_close(s);
}

/* windows_hour_day - store_lookup's callback: an hour and a day */
static int windows_hour_day(void *arg, const struct store_user *u,
			    struct window_counts *c)
{
	(void)arg;
	(void)u;
	c[0].window_s = 3600;
	c[1].window_s = 86400;
	return 2;
}

/* test_networks - distinct networks, the current one apart */
static void test_networks(void)
{
	struct store *s = fresh("net.db");
	struct window_counts c[1], c2[2];
	struct store_user u;
	time_t now = 1700000000;
	static const char *const nets[] = { "192.0.2.0/24", "198.51.100.0/24",
					    "192.0.2.0/24", "group:carrier",
					    "203.0.113.0/24" };
	unsigned i;

	if (s == NULL)
		return;
	for (i = 0; i < sizeof(nets) / sizeof(nets[0]); i++)
		store_add_session(s, "mia", now - 60 * (long)i, "x", nets[i]);
	store_add_session(s, "mia", now - 7200, "x", "233.252.0.0/24");
	store_add_session(s, "mia", now - 3000, "x", NULL);
	store_add_session(s, "mia", now - 3700, "x", "203.0.113.0/24");
	CHECK_INT("lookup",
		  store_lookup(s, "mia", "192.0.2.0/24", now, &u, windows_3600,
			       NULL, c, NULL),
		  0);
	CHECK_INT("other networks in the hour", c[0].networks, 3);
	CHECK_INT("sessions in the hour, one without a network", c[0].sessions,
		  6);
	store_lookup(s, "mia", "10.9.9.0/24", now, &u, windows_3600, NULL, c,
		     NULL);
	CHECK_INT("from a new network: all four others", c[0].networks, 4);
	store_lookup(s, "mia", NULL, now, &u, windows_3600, NULL, c, NULL);
	CHECK_INT("no current network", c[0].networks, 4);
	store_lookup(s, "mia", "192.0.2.0/24", now, &u, windows_hour_day, NULL,
		     c2, NULL);
	CHECK_INT("hour of two windows: networks", c2[0].networks, 3);
	CHECK_INT("day: one more network, each counted once", c2[1].networks,
		  4);
	CHECK_INT("day: every session", c2[1].sessions, 8);
	store_close(s);
}

/* test_reservations - in flight and queued counts, counted once */
static void test_reservations(void)
{
	const char *p = db_path("res.db");
	char err[300];
	struct store *s = store_open(p, STORE_CREATE, err, sizeof(err));
	struct window_counts c[2];
	time_t now = time(NULL);

	store_reserve(s, "carol", 1, 1);
	store_reserve(s, "carol", 0, 4);
	counts_at(s, "carol", now, c);
	CHECK_INT("reserved msg counted", c[0].msgs, 1);
	CHECK_INT("reserved rcpts counted", c[0].rcpts, 5);
	store_add_message(s, "carol", now, 5, NULL, "Q9", 1, 5);
	counts_at(s, "carol", now, c);
	CHECK_INT("stored, reservation dropped: msgs", c[0].msgs, 1);
	CHECK_INT("stored, reservation dropped: rcpts", c[0].rcpts, 5);
	store_reserve(s, "carol", 1, 2);
	store_release(s, "carol", 1, 2);
	counts_at(s, "carol", now, c);
	CHECK_INT("released reservation gone", c[0].rcpts, 5);
	CHECK_INT("one msg_log row",
		  sql_int_at(p, "SELECT COUNT(*) FROM msg_log"), 1);
	store_close(s);
}

/* since_is - store_since() of login against mark, as "msgs/rcpts" */
static const char *since_is(struct store *s, const char *login,
			    const struct store_mark *mark)
{
	static char buf[64];
	long m, r, se;

	store_since(s, login, mark, &m, &r, &se);
	snprintf(buf, sizeof(buf), "%ld/%ld", m, r);
	return buf;
}

/*
 * test_marks - what other messages add after a lookup, whether still
 * reserved, queued or already committed, and nothing twice
 */
static void test_marks(void)
{
	const char *p = db_path("mark.db");
	char err[300];
	struct store *s = store_open(p, STORE_CREATE, err, sizeof(err));
	struct store_mark mark, other;
	struct store_user u;
	struct window_counts c[1];
	time_t now = time(NULL);

	store_add_message(s, "nia", now - 10, 2, NULL, "Q1", 0, 0);
	CHECK_INT("lookup",
		  store_lookup(s, "nia", NULL, now, &u, windows_3600, NULL, c,
			       &mark),
		  0);
	CHECK_INT("mark held", mark.held, 1);
	CHECK_INT("counts before", (int)c[0].rcpts, 2);
	CHECK_STR("nothing new yet", since_is(s, "nia", &mark), "0/0");
	store_reserve(s, "nia", 1, 3);
	CHECK_STR("a reservation", since_is(s, "nia", &mark), "1/3");
	store_add_message(s, "nia", now, 3, NULL, "Q2", 1, 3);
	CHECK_STR("committed: still counted once", since_is(s, "nia", &mark),
		  "1/3");
	store_reserve(s, "nia", 1, 4);
	store_release(s, "nia", 1, 4);
	CHECK_STR("a released reservation", since_is(s, "nia", &mark), "1/3");
	store_lookup(s, "nia", NULL, now, &u, windows_3600, NULL, c, &other);
	store_add_message(s, "nia", now, 1, NULL, "Q3", 0, 0);
	CHECK_STR("two marks: the first", since_is(s, "nia", &mark), "2/4");
	CHECK_STR("two marks: the second", since_is(s, "nia", &other), "1/1");
	store_mark_drop(s, "nia", &mark);
	CHECK_INT("dropped", mark.held, 0);
	CHECK_STR("a dropped mark sees nothing", since_is(s, "nia", &mark),
		  "0/0");
	store_add_message(s, "nia", now, 5, NULL, "Q4", 0, 0);
	CHECK_STR("the other still counts", since_is(s, "nia", &other), "2/6");
	store_mark_drop(s, "nia", &other);
	store_mark_drop(s, "nia", &other); /* twice is harmless */
	store_lookup(s, "nia", NULL, now, &u, windows_3600, NULL, c, &mark);
	CHECK_INT("all four stored", (int)c[0].msgs, 4);
	CHECK_STR("a new mark starts at zero", since_is(s, "nia", &mark),
		  "0/0");
	store_mark_drop(s, "nia", &mark);
	store_close(s);
}

/* test_policy_problems - bad rows are skipped and named */
static void test_policy_problems(void)
{
	const char *p = db_path("pol.db");
	char err[300];
	struct store *s = store_open(p, STORE_CREATE, err, sizeof(err));
	struct policy *pol;
	long long v0, v1;

	store_policy_version(s, &v0);
	CHECK_INT("add bad rows",
		  sql(p, "INSERT INTO limits (id, class, metric, window_s, "
			 "threshold, action) VALUES "
			 "(100, 'nosuch', 'msg', 60, 1, 'tempfail'),"
			 "(101, 'default', 'rcpt', 0, 1, 'tempfail')"),
		  0);
	store_policy_version(s, &v1);
	CHECK(v1 > v0, "a limits change moves policy_version");
	pol = store_policy_load(s, err, sizeof(err));
	CHECK_INT("two problems", pol ? pol->nproblems : -1, 2);
	if (pol && pol->nproblems == 2) {
		CHECK_STR("unknown class", pol->problems[0],
			  "limits id 100: no class \"nosuch\" in classes; row "
			  "ignored");
		CHECK_STR("no window", pol->problems[1],
			  "limits id 101: metric rcpt needs window_s > 0");
	}
	CHECK_INT("default keeps its 9 rows",
		  policy_class_find(pol, "default")->nlimits, 9);
	policy_free(pol);
	store_close(s);
}

/* test_prune - rows past retention go, in several steps; the rest stays */
static void test_prune(void)
{
	const char *p = db_path("prune.db");
	char err[300], q[600];
	struct store *s = store_open(p, STORE_CREATE, err, sizeof(err));
	long long now = 1700000000, day = 86400;
	int k, rc = -1;

	snprintf(q, sizeof(q),
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
		 "FROM n WHERE i < 12000) "
		 "INSERT INTO msg_log (login, ts, rcpts) SELECT 'u' || i, "
		 "%lld - i %% 100, 1 FROM n;"
		 "INSERT INTO session_log (login, ts) SELECT login, ts "
		 "FROM msg_log;"
		 "INSERT INTO msg_log (login, ts, rcpts) VALUES "
		 "('u1', %lld, 1), ('u2', %lld, 1);"
		 "INSERT INTO events (ts, kind, action) VALUES "
		 "(%lld, 'limit', 'tempfail'), (%lld, 'limit', 'tempfail');"
		 "INSERT INTO quarantine (ts, status) VALUES (%lld, 'held'), "
		 "(%lld, 'released'), (%lld, 'released');",
		 now - 2 * day, now - 3600, now - 3661, now - 31 * day,
		 now - 29 * day, now - 31 * day, now - 31 * day, now - day);
	CHECK_INT("old rows made", sql(p, q), 0);
	store_set_retention(s, 3600, 30 * day);
	lock_acquire(&s->db_lock);
	for (k = 0; k < 100 && (rc = store_prune(s, s->db, now)) > 0; k++)
		;
	lock_release(&s->db_lock);
	CHECK_INT("prune done", rc, 0);
	CHECK_INT("msg_log: only the row inside the hour + 60 s kept",
		  sql_int_at(p, "SELECT COUNT(*) FROM msg_log"), 1);
	CHECK_INT("msg_log: that row is u1's",
		  sql_int_at(p,
			     "SELECT COUNT(*) FROM msg_log WHERE login = 'u1'"),
		  1);
	CHECK_INT("session_log: 12000 old rows gone",
		  sql_int_at(p, "SELECT COUNT(*) FROM session_log"), 0);
	CHECK_INT("events: the one inside 30 days kept",
		  sql_int_at(p, "SELECT COUNT(*) FROM events"), 1);
	CHECK_INT("quarantine: held and recent kept",
		  sql_int_at(p, "SELECT COUNT(*) FROM quarantine"), 2);
	store_close(s);
}

/*
 * test_prune_history - msg_log and session_log are kept for the history
 * (history_days, outguardctl simulate), the counts only for the window
 */
static void test_prune_history(void)
{
	const char *p = db_path("prune-history.db");
	char err[300], q[600];
	struct store *s = store_open(p, STORE_CREATE, err, sizeof(err));
	long long now = 1700000000, day = 86400;
	int rc;

	snprintf(q, sizeof(q),
		 "INSERT INTO msg_log (login, ts, rcpts) VALUES "
		 "('a', %lld, 1), ('a', %lld, 1), ('a', %lld, 1);"
		 "INSERT INTO session_log (login, ts) VALUES ('a', %lld), "
		 "('a', %lld);",
		 now - 31 * day, now - 2 * day, now - 60, now - 31 * day,
		 now - 2 * day);
	CHECK_INT("history made", sql(p, q), 0);
	store_set_retention(s, 3600, 30 * day);
	store_set_history(s, 30 * day);
	lock_acquire(&s->db_lock);
	while ((rc = store_prune(s, s->db, now)) > 0)
		;
	lock_release(&s->db_lock);
	CHECK_INT("history prune done", rc, 0);
	CHECK_INT("msg_log: the rows of the last 30 days kept",
		  sql_int_at(p, "SELECT COUNT(*) FROM msg_log"), 2);
	CHECK_INT("session_log: the row of the last 30 days kept",
		  sql_int_at(p, "SELECT COUNT(*) FROM session_log"), 1);
	CHECK_INT("counts: only the last hour's minute and second",
		  sql_int_at(p, "SELECT COUNT(*) FROM counts WHERE kind < 2"),
		  2);
	store_close(s);
}

/* fold - a refusal of login at ts, folded into its minute's row */
static void fold(struct store *s, const char *login, time_t ts)
{
	struct store_event e = { ts,	  login,      "192.0.2.7",     NULL,
				 "limit", "tempfail", "over rcpt/3600" };

	store_add_event_folded(s, &e);
}

/* hist_new - the new_rcpt of the messages of the login in arg[0] */
static int hist_new(void *arg, const char *login, long long ts, int kind, int n,
		    int new_rcpt, const char *client_addr)
{
	void **a = arg;

	(void)ts, (void)n, (void)client_addr;
	if (kind == 1 && strcmp(login, a[0]) == 0)
		*(long long *)a[1] += new_rcpt;
	return 0;
}

/* sim_new_rcpt - the new_rcpt outguardctl simulate replays for login
 * from since on; -1 on error */
static long long sim_new_rcpt(struct store *s, const char *login,
			      long long since)
{
	struct store_sim *m;
	long long sum = 0;
	void *a[2] = { (void *)login, &sum };
	char err[300];

	if ((m = store_sim_open(s, "", err, sizeof(err))) == NULL ||
	    store_sim_history(m, since, hist_new, a, err, sizeof(err)) < 0) {
		printf("# simulate: %s\n", err);
		sum = -1;
	}
	store_sim_close(m);
	return sum;
}

/*
 * test_detect - the detection state, through the store's functions:
 * refused counted; a known contact is not new, a stranger is; a
 * bounce joins its login by queue id and the log's position is kept;
 * N refusals in a minute are one events row of count N; a day's peak
 * is its highest, the baseline the second-highest day; a login's
 * contacts stay at contact_max
 */
static void test_detect(void)
{
	struct store *s = fresh("detect.db");
	const long long known[] = { 1111, 2222 },
			asked[] = { 1111, 2222, 3333 };
	struct window_counts c[2];
	time_t now = 1700000040, day = 86400; /* a minute's start */
	char buf[64];
	long long h;
	int i;

	if (s == NULL)
		return;
	store_add_counts(s, "dora", now - 10, 3, 0, 0);
	store_add_counts(s, "dora", now - 5000, 4, 0, 0); /* out of the hour */
	store_add_counts(s, "dora", now, 2, 0, 0);
	store_flush(s);
	counts_at(s, "dora", now, c);
	CHECK_INT("refused counted in the hour", c[0].refused, 5);
	CHECK_INT("refused counted in the day", c[1].refused, 9);

	store_add_contacts(s, "dora", now - 100, known, 2, 5000);
	store_flush(s);
	CHECK_INT("two known contacts, a stranger",
		  store_contacts_known(s, "dora", now - 90 * day, asked, 3), 2);
	CHECK_INT("contacts are the login's own",
		  store_contacts_known(s, "erin", now - 90 * day, asked, 3), 0);
	CHECK_INT("contacts older than since are new",
		  store_contacts_known(s, "dora", now - 50, asked, 3), 0);
	store_add_message_new(s, "dora", now, 3, "192.0.2.7", "QD1", NULL, 0, 0,
			      2);
	store_flush(s);
	counts_at(s, "dora", now, c);
	CHECK_INT("a message with its new recipients: msgs", c[0].msgs, 1);
	CHECK_INT("a message with its new recipients: new_rcpt counted once",
		  c[0].new_rcpt, 2);
	CHECK_INT("the message's msg_log row has its new_rcpt",
		  q_int(s, "SELECT new_rcpt FROM msg_log WHERE login = 'dora'"),
		  2);
	CHECK_INT("counts has the new_rcpt once",
		  q_int(s, "SELECT sum(new_rcpt) FROM counts WHERE login = "
			   "'dora' AND kind = 0"),
		  2);
	CHECK_INT("simulate's history replays the new_rcpt",
		  sim_new_rcpt(s, "dora", now - 60), 2);

	store_set_queue_logins(s, 1); /* MailLog is set: bounces join */
	store_add_message(s, "erin", now - 50, 2, "192.0.2.8", "QB1", 0, 0);
	store_add_message(s, "fred", now - 40, 1, "192.0.2.8", "QB2", 0, 0);
	store_flush(s);
	store_add_bounces(s, now, "QB1 QB1 QUNKNOWN QB2", "maillog_pos",
			  "4096");
	store_flush(s);
	counts_at(s, "erin", now, c);
	CHECK_INT("two bounces joined to erin by queue id", c[0].bounce, 2);
	counts_at(s, "fred", now, c);
	CHECK_INT("one bounce joined to fred", c[0].bounce, 1);
	CHECK_INT("the log's position kept",
		  store_state_get(s, "maillog_pos", buf, sizeof(buf)), 1);
	CHECK_STR("the log's position", buf, "4096");

	for (i = 0; i < 7; i++)
		fold(s, "gina", now + i);
	fold(s, "gina", now + 60);
	store_flush(s);
	CHECK_INT("7 refusals in a minute, 1 in the next: two rows",
		  q_int(s, "SELECT count(*) FROM events WHERE login = 'gina'"),
		  2);
	snprintf(buf, sizeof(buf), "%lld", (long long)now / 60);
	CHECK_INT("the minute's row counts 7",
		  q_int(s, "SELECT count FROM events WHERE login = 'gina' "
			   "AND agg_minute = 28333334"),
		  7);
	CHECK_INT("minute as expected", strcmp(buf, "28333334"), 0);

	store_add_peak(s, "hana", "rcpt", 3600, now - 3 * day, 10);
	store_add_peak(s, "hana", "rcpt", 3600, now - 2 * day, 30);
	store_add_peak(s, "hana", "rcpt", 3600, now - 2 * day + 60, 25);
	store_add_peak(s, "hana", "rcpt", 3600, now - day, 20);
	store_add_peak(s, "hana", "rcpt", 3600, now, 500); /* today: not yet */
	store_flush(s);
	CHECK_INT("a day keeps its highest peak",
		  q_int(s, "SELECT count(*) FROM peaks WHERE login = 'hana' "
			   "AND peak = 25"),
		  0);
	CHECK_INT("baseline: the second-highest day before today",
		  store_baseline(s, "hana", "rcpt", 3600, now, 28), 20);

	for (i = 0; i < 10; i++) {
		h = 64LL * (i + 1); /* 0 modulo 64: the bound is checked */
		store_add_contacts(s, "ines", now + i, &h, 1, 3);
	}
	store_flush(s);
	CHECK_INT(
		"contacts bounded to contact_max",
		q_int(s, "SELECT count(*) FROM contacts WHERE login = 'ines'"),
		3);
	CHECK_INT(
		"the newest kept",
		q_int(s, "SELECT min(hash) FROM contacts WHERE login = 'ines'"),
		64 * 8);
	store_close(s);
}

/* prune_all - a whole pruning pass as of now; rows deleted or -1 */
static long prune_all(struct store *s, time_t now)
{
	long total = 0;
	int k, rc = 0;

	if (pg_uri)
		return store_pg_prune(s, now);
	lock_acquire(&s->db_lock);
	for (k = 0; k < 100 && (rc = store_prune(s, s->db, now)) > 0; k++)
		total++;
	lock_release(&s->db_lock);
	return rc < 0 ? -1 : total;
}

/*
 * test_prune_detect - pruning of the detection state: old counts,
 * messages, events, contacts and peaks go, recent ones stay; on
 * PostgreSQL a reservation a dead daemon never settled goes, a live
 * one stays, and a pass waits for no one: while another daemon holds
 * the prune lock it deletes nothing
 */
static void test_prune_detect(void)
{
	struct store *s = fresh("prune-detect.db"), *s2 = NULL;
	const long long old_h = 4444, new_h = 5555;
	const time_t now = 1700000000, day = 86400;
	char err[300], q[300];

	if (s == NULL)
		return;
	store_add_message(s, "jan", now - 2 * day, 4, "x", "QP1", 0, 0);
	store_add_message(s, "jan", now - 60, 2, "x", "QP2", 0, 0);
	store_add_counts(s, "jan", now - 2 * day, 1, 1, 1);
	store_add_counts(s, "jan", now - 60, 1, 1, 1);
	fold(s, "jan", now - 31 * day);
	fold(s, "jan", now - 60);
	store_add_contacts(s, "jan", now - 91 * day, &old_h, 1, 5000);
	store_add_contacts(s, "jan", now - 60, &new_h, 1, 5000);
	store_add_peak(s, "jan", "rcpt", 3600, now - 40 * day, 9);
	store_add_peak(s, "jan", "rcpt", 3600, now - day, 7);
	store_flush(s);
	if (pg_uri) {
		snprintf(q, sizeof(q),
			 "INSERT INTO reservations (login, relay, ts, msgs, "
			 "rcpts) VALUES ('jan', 'crashed', %lld, 1, 5), "
			 "('jan', 'alive', %lld, 1, 2)",
			 (long long)now - 7200, (long long)now - 10);
		CHECK_INT("reservations made", q_exec(s, q), 0);
		s2 = store_open(pg_uri, 0, err, sizeof(err));
		CHECK(s2 != NULL, err);
		CHECK_INT("another daemon takes the prune lock",
			  q_int(s2, "SELECT count(*) FROM (SELECT "
				    "pg_advisory_lock(28519, 1)) x"),
			  1);
		CHECK_INT("a pass while another daemon prunes: nothing",
			  prune_all(s, now), 0);
		CHECK_INT("so the old message stays",
			  q_int(s, "SELECT count(*) FROM msg_log"), 2);
		CHECK_INT("it lets the lock go (the same connection)",
			  q_int(s2, "SELECT pg_advisory_unlock(28519, 1)::int"),
			  1);
		store_close(s2);
	}
	store_set_retention(s, 3600, 30 * day);
	store_set_contacts(s, 90 * day, 28 * day);
	CHECK(prune_all(s, now) >= 0, "a pass ran");
	CHECK_INT("msg_log: the old message gone",
		  q_int(s, "SELECT count(*) FROM msg_log"), 1);
	CHECK_INT("counts: only the last hour's minute and second",
		  q_int(s, "SELECT count(*) FROM counts"), 2);
	CHECK_INT("counts: the recent refused kept",
		  q_int(s, "SELECT sum(refused) FROM counts WHERE kind = 0"),
		  1);
	CHECK_INT("events: the recent folded row kept",
		  q_int(s, "SELECT count(*) FROM events"), 1);
	CHECK_INT("contacts: the one past contact_days gone",
		  q_int(s, "SELECT count(*) FROM contacts"), 1);
	CHECK_INT("contacts: the recent one kept",
		  q_int(s, "SELECT hash FROM contacts"), new_h);
	CHECK_INT("peaks: the one past baseline_days gone",
		  q_int(s, "SELECT count(*) FROM peaks"), 1);
	if (pg_uri) {
		CHECK_INT("the stale reservation released",
			  q_int(s, "SELECT count(*) FROM reservations WHERE "
				   "relay = 'crashed'"),
			  0);
		CHECK_INT("the live reservation kept",
			  q_int(s, "SELECT count(*) FROM reservations WHERE "
				   "relay = 'alive'"),
			  1);
	}
	CHECK_INT("a second pass finds nothing", prune_all(s, now), 0);
	store_close(s);
}

int main(int argc, char **argv)
{
	datadir = argc > 1 ? argv[1] : "test/data";
	if (check_tmpdir(dir, "store") < 0)
		return 2;
	pg_uri = getenv("PG_URI");
	if (pg_uri != NULL && *pg_uri == '\0')
		pg_uri = NULL;
	if (pg_uri) { /* what fits PostgreSQL */
		test_windows();
		test_networks();
		test_detect();
		test_prune_detect();
		return check_finish(dir);
	}
	test_create();
	test_newer();
	test_failed_migration();
	test_migrate_v1();
	test_windows();
	test_reservations();
	test_marks();
	test_networks();
	test_policy_problems();
	test_prune();
	test_prune_history();
	test_detect();
	test_prune_detect();
	return check_finish(dir);
}
