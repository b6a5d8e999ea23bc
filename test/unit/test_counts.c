/*
 * NAME
 *	test_counts - per-minute counts agree with the message and session log
 * DESCRIPTION
 *	Counting reads the counts table, which triggers fill from msg_log
 *	and session_log (schema/migrations/005).  With
 *	random logs (from the store and from plain SQL, as an admin would
 *	write them), random windows from a second to a day and random
 *	times, every count store_lookup() gives must equal the same sum
 *	taken over the log rows themselves: before and after pruning,
 *	after a reset of a login, and on a
 *	version 4 database with a log that the migration has to fold in.
 *	The counts of refused, new_rcpt and bounce recipients
 *	(store_add_counts, schema 6) are checked the same way against a
 *	reference table of what was added (ref_extra).
 *	The seed is fixed, so a failure repeats.
 *
 *	With PG_URI set (test/pg/test_pg_unit.sh starts a private server)
 *	the store is PostgreSQL: every row written there, through the store
 *	or as plain SQL, is also written to a SQLite reference database
 *	(msg_log, session_log, ref_extra), and the store's counts
 *	(store_counts_get, all networks) must equal the reference's sums.
 *	The version 4 migration is SQLite's own and is left out.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "store_int.h" /* store_admin_query */

#define ROWS 3000
#define SPAN 7200 /* the log spans two hours before T0 */
#define T0   1700000000L

static char dir[64];
static const char *datadir; /* argv[1]: test/data, for ../../schema */
static sqlite3 *ref;	    /* a connection for the reference sums */
static const char *pg_uri;  /* $PG_URI: the store on PostgreSQL */
static struct store *pg;    /* and the store there, for plain SQL */

static const char *const logins[] = { "alice", "bob", "carol" };
static const char *const nets[] = { "192.0.2.0/24", "198.51.100.0/24",
				    "203.0.113.0/24", "group:carrier", NULL };
static const long window_set[] = { 1,	59,   60,   61,	  119,
				   600, 3599, 3600, 3601, 86400 };
#define NITEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ref_int - one integer from SQL on the reference connection */
static long long ref_int(const char *sql, const char *login, long long lo,
			 const char *net)
{
	sqlite3_stmt *st;
	long long v = -1;

	if (sqlite3_prepare_v2(ref, sql, -1, &st, NULL) != SQLITE_OK)
		return -2;
	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, lo);
	if (net != NULL)
		sqlite3_bind_text(st, 3, net, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* ref_exec - run SQL on the reference connection */
static void ref_exec(const char *what, const char *sql)
{
	CHECK_INT(what, sqlite3_exec(ref, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* both - plain SQL (one statement) into the store's database and, on
 * PostgreSQL, into the reference too */
static void both(const char *what, const char *sql)
{
	char err[300];

	ref_exec(what, sql);
	if (pg != NULL && store_admin_query(pg, what, sql, NULL, NULL, NULL,
					    err, sizeof(err)) < 0)
		CHECK(0, err);
}

/* pg_int - one integer from PostgreSQL (count_row) */
static int count_row(void *arg, int n, const char *const *names,
		     const char *const *v)
{
	(void)names;
	if (n >= 1 && v[0] != NULL)
		*(long long *)arg = strtoll(v[0], NULL, 10);
	return 0;
}

struct pick {
	int n;
	long w[4];
};

/* pick_windows - store_lookup's callback: the windows chosen */
static int pick_windows(void *arg, const struct store_user *u,
			struct window_counts *c)
{
	const struct pick *p = arg;
	int i;

	(void)u;
	for (i = 0; i < p->n; i++)
		c[i].window_s = p->w[i];
	return p->n;
}

/*
 * compare - for trials random (login, current network, windows, now),
 * the store's counts against the sums over the log rows; mismatches
 */
static int compare(struct store *s, int trials, const char *what)
{
	struct window_counts c[4];
	struct store_user u;
	struct pick p;
	const char *login, *net;
	long long lo, now;
	int t, i, rc, bad = 0;

	store_flush(s);
	for (t = 0; t < trials; t++) {
		login = logins[rand() % NITEMS(logins)];
		net = nets[rand() % NITEMS(nets)];
		now = T0 - SPAN + rand() % (SPAN + 86400 + 600);
		p.n = 1 + rand() % 4;
		for (i = 0; i < p.n; i++)
			p.w[i] = window_set[rand() % NITEMS(window_set)];
		if (pg_uri) { /* the windows asked, every network */
			net = NULL;
			for (i = 0; i < p.n; i++)
				c[i].window_s = p.w[i];
			rc = store_counts_get(s, login, (time_t)now, c, p.n);
		} else {
			rc = store_lookup(s, login, net, (time_t)now, &u,
					  pick_windows, &p, c, NULL);
		}
		if (rc < 0) {
			bad++;
			continue;
		}
		for (i = 0; i < p.n; i++) {
			lo = now - p.w[i];
			bad += c[i].msgs !=
			       ref_int("SELECT count(*) FROM msg_log WHERE "
				       "login = ?1 AND ts > ?2",
				       login, lo, NULL);
			bad += c[i].rcpts !=
			       ref_int("SELECT total(rcpts) FROM msg_log WHERE "
				       "login = ?1 AND ts > ?2",
				       login, lo, NULL);
			bad += c[i].sessions !=
			       ref_int("SELECT count(*) FROM session_log WHERE "
				       "login = ?1 AND ts > ?2",
				       login, lo, NULL);
			bad += c[i].networks !=
			       ref_int("SELECT count(DISTINCT network) FROM "
				       "session_log WHERE login = ?1 AND "
				       "ts > ?2 AND "
				       "network <> coalesce(?3, '')",
				       login, lo, net);
			bad += c[i].refused !=
			       ref_int("SELECT total(refused) FROM ref_extra "
				       "WHERE login = ?1 AND ts > ?2",
				       login, lo, NULL);
			bad += c[i].new_rcpt !=
			       ref_int("SELECT total(new_rcpt) FROM ref_extra "
				       "WHERE login = ?1 AND ts > ?2",
				       login, lo, NULL);
			bad += c[i].bounce !=
			       ref_int("SELECT total(bounce) FROM ref_extra "
				       "WHERE login = ?1 AND ts > ?2",
				       login, lo, NULL);
		}
	}
	if (bad)
		printf("%s: %d mismatches\n", what, bad);
	return bad;
}

/* fill - ROWS random messages and sessions, half through the store s
 * (all by plain SQL when s is NULL), every tenth at the second before */
static void fill(struct store *s)
{
	char sql[256];
	const char *login, *net;
	long long ts = 0;
	int i, x[3];

	ref_exec("reference of the other counts",
		 "CREATE TABLE IF NOT EXISTS ref_extra (login, ts, refused, "
		 "new_rcpt, bounce)");
	if (pg_uri) /* the reference's own log */
		ref_exec("reference log",
			 "CREATE TABLE IF NOT EXISTS msg_log (login, ts, "
			 "rcpts);"
			 "CREATE TABLE IF NOT EXISTS session_log (login, ts, "
			 "network)");
	for (i = 0; i < ROWS; i++) {
		login = logins[rand() % NITEMS(logins)];
		net = nets[rand() % NITEMS(nets)];
		if (i % 10 != 0) /* every tenth at the second before */
			ts = T0 - SPAN + rand() % (SPAN + 1);
		if (s != NULL && i % 2 == 0) {
			x[0] = 1 + rand() % 50;
			store_add_message(s, login, (time_t)ts, x[0],
					  "192.0.2.9", "Q", 0, 0);
			snprintf(sql, sizeof(sql),
				 "INSERT INTO msg_log (login, ts, rcpts) "
				 "VALUES ('%s', %lld, %d);",
				 login, ts, x[0]);
			if (pg_uri)
				ref_exec("reference message", sql);
			if (i % 4 == 0)
				store_add_session(s, login, (time_t)ts,
						  "192.0.2.9", net);
			snprintf(sql, sizeof(sql),
				 "INSERT INTO session_log (login, ts, network) "
				 "VALUES ('%s', %lld, %s%s%s);",
				 login, ts, net ? "'" : "", net ? net : "NULL",
				 net ? "'" : "");
			if (pg_uri && i % 4 == 0)
				ref_exec("reference session", sql);
			x[0] = rand() % 4;
			x[1] = rand() % 3;
			x[2] = rand() % 2;
			store_add_counts(s, login, (time_t)ts, x[0], x[1],
					 x[2]);
			snprintf(sql, sizeof(sql),
				 "INSERT INTO ref_extra VALUES ('%s', %lld, "
				 "%d, %d, %d);",
				 login, ts, x[0], x[1], x[2]);
			ref_exec("insert the reference", sql);
			continue;
		}
		snprintf(sql, sizeof(sql),
			 "INSERT INTO msg_log (login, ts, rcpts) VALUES "
			 "('%s', %lld, %d);",
			 login, ts, 1 + rand() % 50);
		both("insert a message", sql);
		if (i % 3 == 0) {
			snprintf(sql, sizeof(sql),
				 "INSERT INTO session_log (login, ts, network) "
				 "VALUES ('%s', %lld, %s%s%s);",
				 login, ts, net ? "'" : "", net ? net : "NULL",
				 net ? "'" : "");
			both("insert a session", sql);
		}
	}
}

/* leftovers - counts rows of a login */
static long long leftovers(const char *login)
{
	const struct store_arg a[] = { STORE_TEXT(login), STORE_END };
	long long n = -1;

	if (pg != NULL) {
		store_admin_query(
			pg, "leftovers",
			"SELECT count(*) FROM counts WHERE login = ?1", a,
			count_row, &n, NULL, 0);
		return n;
	}
	return ref_int("SELECT count(*) + ?2 FROM counts WHERE login = ?1",
		       login, 0, NULL);
}

/* test_random - random logs, then pruning and a reset */
static void test_random(void)
{
	char path[128], err[300];
	struct store *s;

	snprintf(path, sizeof(path), "%s/random.db", dir);
	s = store_open(pg_uri ? pg_uri : path, STORE_CREATE, err, sizeof(err));
	CHECK(s != NULL, err);
	if (pg_uri) { /* the reference is a file of its own */
		pg = s;
		snprintf(path, sizeof(path), "%s/reference.db", dir);
	}
	if (s == NULL || sqlite3_open(path, &ref) != SQLITE_OK)
		return;
	fill(s);
	CHECK_INT("random logs", compare(s, 4000, "random logs"), 0);
	/* pruning at a minute's start, as the longest window's edge is */
	both("prune", "DELETE FROM msg_log WHERE ts < 1699995780");
	both("prune", "DELETE FROM session_log WHERE ts < 1699995780");
	if (pg == NULL)
		ref_exec("prune", "DELETE FROM counts WHERE ts < 1699995780");
	else /* the reference has no counts */
		CHECK(store_admin_query(pg, "prune",
					"DELETE FROM counts WHERE ts < "
					"1699995780",
					NULL, NULL, NULL, err,
					sizeof(err)) >= 0,
		      err);
	ref_exec("prune", "DELETE FROM ref_extra WHERE ts < 1699995780");
	CHECK_INT("after pruning", compare(s, 2000, "after pruning"), 0);
	CHECK_INT("reset bob", store_admin_reset(s, "Bob", err, sizeof(err)),
		  0);
	ref_exec("reset bob's reference",
		 "DELETE FROM ref_extra WHERE login = 'bob'");
	if (pg != NULL)
		ref_exec("reset bob's reference log",
			 "DELETE FROM msg_log WHERE login = 'bob';"
			 "DELETE FROM session_log WHERE login = 'bob'");
	CHECK_INT("after a reset", compare(s, 1000, "after a reset"), 0);
	CHECK_INT("a reset leaves no counts", leftovers("bob"), 0);
	CHECK(leftovers("alice") > 0, "a reset of bob keeps alice's counts");
	sqlite3_close(ref);
	store_close(s);
	pg = NULL;
}

/* test_migrate - a version 4 database's log is folded into counts */
static void test_migrate(void)
{
	static const char *const steps[] = { "outguard.sql",
					     "migrations/002-forgery.sql",
					     "migrations/003-networks.sql",
					     "migrations/004-response.sql" };
	char path[128], file[512], err[300], *text;
	struct store *s;
	int i;

	snprintf(path, sizeof(path), "%s/v4.db", dir);
	if (sqlite3_open(path, &ref) != SQLITE_OK)
		return;
	for (i = 0; i < NITEMS(steps); i++) {
		snprintf(file, sizeof(file), "%s/../../schema/%s", datadir,
			 steps[i]);
		text = check_read_file(file);
		CHECK(text != NULL, file);
		if (text == NULL)
			return;
		ref_exec(steps[i], text);
		free(text);
	}
	ref_exec("stamp it version 4", "PRAGMA user_version = 4");
	fill(NULL);
	sqlite3_close(ref);
	s = store_open(path, STORE_CREATE, err, sizeof(err));
	CHECK(s != NULL, err);
	if (s == NULL || sqlite3_open(path, &ref) != SQLITE_OK)
		return;
	CHECK_INT("migrated to the current version",
		  ref_int("SELECT ?2 + user_version FROM pragma_user_version",
			  "", 0, NULL),
		  store_schema_version());
	CHECK_INT("a migrated log", compare(s, 3000, "a migrated log"), 0);
	sqlite3_close(ref);
	store_close(s);
}

int main(int argc, char **argv)
{
	datadir = argc > 1 ? argv[1] : "test/data";
	srand(20261122);
	if (check_tmpdir(dir, "counts") < 0)
		return 2;
	pg_uri = getenv("PG_URI");
	if (pg_uri != NULL && *pg_uri == '\0')
		pg_uri = NULL;
	test_random();
	if (pg_uri == NULL) /* SQLite's own migration */
		test_migrate();
	return check_finish(dir);
}
