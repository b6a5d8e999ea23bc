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
 *	takes, and nothing else.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "store_int.h" /* store_prune */

static char dir[64];
static const char *datadir; /* argv[1]: test/data, for ../../schema */

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

/* sql_int - one integer from SQL */
static long long sql_int(const char *path, const char *text)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	long long v = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, text, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

/* test_create - a new database */
static void test_create(void)
{
	const char *p = db_path("new.db");
	char err[300];
	struct store *s = store_open(p, STORE_CREATE, err, sizeof(err));
	struct policy *pol;

	CHECK(s != NULL, "create a new database");
	CHECK_INT("user_version", sql_int(p, "PRAGMA user_version"),
		  store_schema_version());
	CHECK_INT("default class limits",
		  sql_int(p, "SELECT COUNT(*) FROM "
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
	CHECK_INT("left at 99", sql_int(p, "PRAGMA user_version"), 99);
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
	CHECK_INT("version still 0", sql_int(p, "PRAGMA user_version"), 0);
	CHECK_INT("no half-made tables",
		  sql_int(p, "SELECT COUNT(*) FROM "
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
		  sql_int(p, "PRAGMA user_version"), store_schema_version());
	CHECK_INT("site limit kept",
		  sql_int(p, "SELECT threshold FROM limits "
			     "WHERE id = 5"),
		  42);
	CHECK_INT("users kept",
		  sql_int(p, "SELECT COUNT(*) FROM users WHERE "
			     "status = 'blocked'"),
		  1);
	CHECK_INT("version 2 settings added",
		  sql_int(p, "SELECT COUNT(*) FROM settings WHERE key = "
			     "'action_foreign_sender'"),
		  1);
	CHECK_INT("version 2 protected domains added",
		  sql_int(p, "SELECT COUNT(*) > 20 FROM protected_domains"), 1);
}

/* counts_at - hour and day counts of login at now */
static void counts_at(struct store *s, const char *login, time_t now,
		      struct window_counts c[2])
{
	c[0].window_s = 3600;
	c[1].window_s = 86400;
	CHECK_INT("counts read", store_counts_get(s, login, now, c, 2), 0);
}

/* test_windows - a row leaves the window exactly window_s later */
static void test_windows(void)
{
	const char *p = db_path("win.db");
	char err[300];
	struct store *s = store_open(p, STORE_CREATE, err, sizeof(err));
	struct window_counts c[2];
	time_t t0 = 1700000000;

	store_add_message(s, "alice", t0, 7, "192.0.2.1", "Q1", 0, 0);
	store_add_message(s, "alice", t0 + 1800, 3, "192.0.2.1", "Q2", 0, 0);
	store_add_message(s, "bob", t0, 50, "192.0.2.2", "Q3", 0, 0);
	store_add_session(s, "alice", t0, "192.0.2.1", "192.0.2.0/24");
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
	store_flush(s);
	CHECK_INT("no MailLog: no queue_logins rows",
		  sql_int(p, "SELECT count(*) FROM queue_logins"), 0);
	store_set_queue_logins(s, 1);
	store_add_message(s, "carol", t0, 1, "192.0.2.3", "Q4", 0, 0);
	store_add_message(s, "dave", t0 + 5, 1, "192.0.2.3", "Q4", 0, 0);
	store_add_message(s, "carol", t0 + 6, 1, "192.0.2.3", "", 0, 0);
	store_flush(s);
	CHECK_INT("MailLog: one row per queue id",
		  sql_int(p, "SELECT count(*) FROM queue_logins"), 1);
	CHECK_INT("MailLog: the newest message of a queue id",
		  sql_int(p, "SELECT count(*) FROM queue_logins WHERE "
			     "queue_id = 'Q4' AND login = 'dave' AND ts = "
			     "1700000005"),
		  1);
	store_close(s);
}

/* windows_3600 - store_lookup's callback: one hour */
static int windows_3600(void *arg, const struct store_user *u,
			struct window_counts *c)
{
	(void)arg;
	(void)u;
	c[0].window_s = 3600;
	return 1;
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
	const char *p = db_path("net.db");
	char err[300];
	struct store *s = store_open(p, STORE_CREATE, err, sizeof(err));
	struct window_counts c[1], c2[2];
	struct store_user u;
	time_t now = 1700000000;
	static const char *const nets[] = { "192.0.2.0/24", "198.51.100.0/24",
					    "192.0.2.0/24", "group:carrier",
					    "203.0.113.0/24" };
	unsigned i;

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
	CHECK_INT("one msg_log row", sql_int(p, "SELECT COUNT(*) FROM msg_log"),
		  1);
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
		  sql_int(p, "SELECT COUNT(*) FROM msg_log"), 1);
	CHECK_INT("msg_log: that row is u1's",
		  sql_int(p, "SELECT COUNT(*) FROM msg_log WHERE login = 'u1'"),
		  1);
	CHECK_INT("session_log: 12000 old rows gone",
		  sql_int(p, "SELECT COUNT(*) FROM session_log"), 0);
	CHECK_INT("events: the one inside 30 days kept",
		  sql_int(p, "SELECT COUNT(*) FROM events"), 1);
	CHECK_INT("quarantine: held and recent kept",
		  sql_int(p, "SELECT COUNT(*) FROM quarantine"), 2);
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
		  sql_int(p, "SELECT COUNT(*) FROM msg_log"), 2);
	CHECK_INT("session_log: the row of the last 30 days kept",
		  sql_int(p, "SELECT COUNT(*) FROM session_log"), 1);
	CHECK_INT("counts: only the last hour's minute and second",
		  sql_int(p, "SELECT COUNT(*) FROM counts WHERE kind < 2"), 2);
	store_close(s);
}

int main(int argc, char **argv)
{
	datadir = argc > 1 ? argv[1] : "test/data";
	if (check_tmpdir(dir, "store") < 0)
		return 2;
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
	return check_finish(dir);
}
