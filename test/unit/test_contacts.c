/*
 * NAME
 *	test_contacts - the contact memory of metric new_rcpt
 * DESCRIPTION
 *	SipHash-2-4 against the reference vector and its key parser; the
 *	store's contacts: store_contacts_known() counts which of a
 *	message's hashes a login wrote to since a time,
 *	store_contacts_stale() puts first those to write again, the memory per
 *	login stays near contact_max however many strangers it writes to
 *	(and keeps the newest), and pruning removes contacts older than
 *	contact_days.  The learned baseline's peaks: the day's highest
 *	count is kept, and the usual peak is the second-highest day
 *	before today within baseline_days.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "check.h"
#include "siphash.h"
#include "store_int.h"

#define T0 1700000000L

static char dir[64];

/* test_siphash - the reference paper's vector, and the key parser */
static void test_siphash(void)
{
	unsigned char key[16], msg[15];
	int i;

	for (i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (i = 0; i < 15; i++)
		msg[i] = (unsigned char)i;
	CHECK(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL,
	      "SipHash-2-4 reference vector");
	CHECK(siphash24(key, "", 0) == 0x726fdb47dd0e0e31ULL,
	      "SipHash-2-4 of nothing");
	CHECK_INT("key parses",
		  siphash_key_parse("000102030405060708090a0b0c0d0e0f", key),
		  0);
	CHECK(siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL,
	      "the parsed key");
	CHECK_INT("short key", siphash_key_parse("0001", key), -1);
	CHECK_INT("bad digit",
		  siphash_key_parse("000102030405060708090a0b0c0d0e0g", key),
		  -1);
}

/* rows - contacts rows of login */
static long long rows(sqlite3 *db, const char *login, const char *extra)
{
	char sql[256];
	sqlite3_stmt *st;
	long long n = -1;

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM contacts WHERE login = '%s' %s", login,
		 extra);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return n;
}

/* test_store - known, the bound, pruning */
static void test_store(void)
{
	long long h[20], batch[10], mix[13];
	char path[128], err[300];
	struct store *s;
	sqlite3 *db;
	int i, j, n;

	snprintf(path, sizeof(path), "%s/c.db", dir);
	s = store_open(path, STORE_CREATE, err, sizeof(err));
	CHECK(s != NULL, err);
	if (s == NULL || sqlite3_open(path, &db) != SQLITE_OK)
		return;
	for (i = 0; i < 20; i++)
		h[i] = (long long)(0x9e3779b97f4a7c15ULL * (i + 1));
	store_add_contacts(s, "alice", T0, h, 10, 5000);
	store_add_contacts(s, "alice", T0 + 5, h, 3, 5000); /* again */
	CHECK_INT("ten rows, repeats kept once", rows(db, "alice", ""), 10);
	CHECK_INT("5 known of 5 old and 5 new",
		  store_contacts_known(s, "alice", T0, h + 5, 10), 5);
	CHECK_INT("all 10 known", store_contacts_known(s, "alice", T0, h, 10),
		  10);
	CHECK_INT("none for bob", store_contacts_known(s, "bob", T0, h, 10), 0);
	CHECK_INT("since after the last: none",
		  store_contacts_known(s, "alice", T0 + 6, h, 10), 0);
	CHECK_INT("since the repeat: the 3 written again",
		  store_contacts_known(s, "alice", T0 + 5, h, 10), 3);
	CHECK_INT("nothing asked", store_contacts_known(s, "alice", T0, h, 0),
		  0);

	/* which need writing: h[0..3) at T0 + 5 are fresh at T0 + 5; the
	 * other seven known at T0 are stale, h[10..13) are new */
	for (i = 0; i < 13; i++)
		mix[i] = h[12 - i];
	CHECK_INT("stale: 10 known of 13",
		  store_contacts_stale(s, "alice", T0, T0 + 5, mix, 13, &n),
		  10);
	CHECK_INT("stale: 13 less the 3 fresh to write", n, 10);
	for (i = 0, j = 0; i < 13; i++)
		j += (i < n) ==
		     (mix[i] != h[0] && mix[i] != h[1] && mix[i] != h[2]);
	CHECK_INT("stale: the fresh ones last, the rest first", j, 13);
	for (i = 0; i < 10; i++)
		mix[i] = h[i];
	CHECK_INT("stale: all fresh since T0",
		  store_contacts_stale(s, "alice", T0, T0, mix, 10, &n), 10);
	CHECK_INT("stale: none to write", n, 0);
	CHECK_INT("stale: nothing known for bob",
		  store_contacts_stale(s, "bob", T0, T0, mix, 13, &n), 0);
	CHECK_INT("stale: bob writes all", n, 13);

	/* 3,000 strangers in messages of 10, a bound of 100 */
	for (i = 0; i < 300; i++) {
		for (j = 0; j < 10; j++)
			batch[j] = (long long)((i * 10 + j + 1) *
					       0xd1b54a32d192ed03ULL);
		store_add_contacts(s, "mallory", T0 + i, batch, 10, 100);
	}
	CHECK(rows(db, "mallory", "") >= 100, "the newest 100 are kept");
	CHECK(rows(db, "mallory", "") <= 100 + 640,
	      "the memory stays near its bound");
	CHECK_INT("the last message's recipients are known",
		  store_contacts_known(s, "mallory", T0, batch, 10), 10);
	CHECK_INT("the oldest are gone",
		  rows(db, "mallory", "AND ts < 1700000100"), 0);
	CHECK_INT("alice untouched", rows(db, "alice", ""), 10);

	/* pruning: contacts older than contact_days */
	store_set_contacts(s, 86400, 28 * 86400L);
	store_add_contacts(s, "carol", time(NULL) - 2 * 86400, h, 4, 5000);
	store_add_contacts(s, "carol", time(NULL), h + 4, 4, 5000);
	while (store_prune(s, db, time(NULL)) > 0)
		;
	CHECK_INT("pruned to the recent", rows(db, "carol", ""), 4);
	sqlite3_close(db);
	store_close(s);
}

/* test_peaks - store_add_peak keeps a day's highest; store_baseline */
static void test_peaks(void)
{
	const time_t now = (time_t)T0;
	char path[128], err[300];
	struct store *s;

	snprintf(path, sizeof(path), "%s/p.db", dir);
	s = store_open(path, STORE_CREATE, err, sizeof(err));
	CHECK(s != NULL, err);
	if (s == NULL)
		return;
	store_add_peak(s, "alice", "rcpt", 3600, now - 86400, 80);
	CHECK_INT("one day of history: no baseline",
		  store_baseline(s, "alice", "rcpt", 3600, now, 28), 0);
	store_add_peak(s, "alice", "rcpt", 3600, now - 86400, 30);
	store_add_peak(s, "alice", "rcpt", 3600, now - 2 * 86400, 50);
	CHECK_INT("two days: the lower",
		  store_baseline(s, "alice", "rcpt", 3600, now, 28), 50);
	store_add_peak(s, "alice", "rcpt", 3600, now - 3 * 86400, 5000);
	CHECK_INT("one attack day does not lift it",
		  store_baseline(s, "alice", "rcpt", 3600, now, 28), 80);
	store_add_peak(s, "alice", "rcpt", 3600, now, 9000);
	CHECK_INT("today is not learned yet",
		  store_baseline(s, "alice", "rcpt", 3600, now, 28), 80);
	CHECK_INT("older than baseline_days: gone",
		  store_baseline(s, "alice", "rcpt", 3600, now, 2), 50);
	CHECK_INT("another window",
		  store_baseline(s, "alice", "rcpt", 86400, now, 28), 0);
	CHECK_INT("another login",
		  store_baseline(s, "bob", "rcpt", 3600, now, 28), 0);
	store_close(s);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/og-contacts-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 2;
	test_siphash();
	test_store();
	test_peaks();
	if (check_fail == 0) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("could not remove %s\n", dir);
	}
	return check_done();
}
