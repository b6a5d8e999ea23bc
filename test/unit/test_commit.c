/*
 * NAME
 *	test_commit - counts read while the writer commits are exact
 * DESCRIPTION
 *	The writer commits a batch without shutting readers out (store
 *	write.c, store_pend_fly): a read whose snapshot holds the batch
 *	takes the batch's share off the pending counts, one whose snapshot
 *	does not keeps it.  Here THREADS threads send from LOGINS logins
 *	with the writer thread running, as the daemon does: each takes a
 *	login's lock, looks the login up, checks that the counts equal
 *	what was sent from it so far (messages, recipients and refused,
 *	whether queued, committing or committed), and sends one more.
 *	A count read twice or missed fails, as does a lookup that fails.
 *	At the end, flushed, the stored counts must equal the totals.
 *
 *	Then a steady load: for STEADY_MS two threads queue sessions as
 *	fast as they can, so the queue is never empty (it overflows, and
 *	says so in the log).  The writer must
 *	still come round to its housekeeping between batches: its first
 *	heartbeat (daemon_state) is written during the load, not after
 *	it (the writer once drained the queue until it was empty, and
 *	checkpoints, heartbeats and pruning waited for a pause).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "store.h"
#include "store_windows.h"

#define THREADS	  4
#define LOGINS	  3
#define ROUNDS	  4000 /* messages per thread */
#define STEADY_MS 1500

static char dir[64];
static struct store *s;
static time_t t0;
static const char *logins[LOGINS] = { "ann", "bob", "cy" };
static long sent_msgs[LOGINS], sent_rcpts[LOGINS], sent_refused[LOGINS];
static pthread_mutex_t result_lock = PTHREAD_MUTEX_INITIALIZER;
static long wrong, failed, reads;

/* sender - ROUNDS messages, each after a lookup that must be exact */
static void *sender(void *arg)
{
	unsigned seed = (unsigned)(long)arg;
	struct window_counts c[1];
	struct store_user u;
	char qid[32];
	int i, l, rcpts, rc, bad;

	for (i = 0; i < ROUNDS; i++) {
		l = rand_r(&seed) % LOGINS;
		rcpts = 1 + rand_r(&seed) % 5;
		store_login_lock(s, logins[l]);
		rc = store_lookup(s, logins[l], NULL, t0, &u, windows_3600,
				  NULL, c, NULL);
		bad = rc == 0 && (c[0].msgs != sent_msgs[l] ||
				  c[0].rcpts != sent_rcpts[l] ||
				  c[0].refused != sent_refused[l]);
		if (bad && wrong < 5)
			printf("%s: read %ld/%ld/%ld, sent %ld/%ld/%ld\n",
			       logins[l], c[0].msgs, c[0].rcpts, c[0].refused,
			       sent_msgs[l], sent_rcpts[l], sent_refused[l]);
		snprintf(qid, sizeof(qid), "Q%lx%d", (long)arg, i);
		store_add_message(s, logins[l], t0, rcpts, NULL, qid, 0, 0);
		sent_msgs[l]++;
		sent_rcpts[l] += rcpts;
		if (i % 7 == 0) {
			store_add_counts(s, logins[l], t0, 1, 0, 0);
			sent_refused[l]++;
		}
		store_login_unlock(s, logins[l]);
		pthread_mutex_lock(&result_lock);
		reads++;
		wrong += bad;
		failed += rc != 0;
		pthread_mutex_unlock(&result_lock);
	}
	return NULL;
}

static volatile int steady_stop;

/* steady - sessions, queued without pause until steady_stop */
static void *steady(void *arg)
{
	char login[16];
	long i;

	for (i = 0; !steady_stop; i++) {
		snprintf(login, sizeof(login), "s%ld-%ld", (long)arg, i % 500);
		store_add_session(s, login, t0, "192.0.2.1", "192.0.2.0/24");
	}
	return NULL;
}

/* heartbeats - daemon_state heartbeat rows in the file at path */
static int heartbeats(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
		    SQLITE_OK &&
	    sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM daemon_state "
			       "WHERE key = 'heartbeat'",
			       -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return n;
}

/* test_steady - the writer's housekeeping runs under a steady load */
static void test_steady(const char *path)
{
	char err[300];
	pthread_t th[2];
	long i;

	s = store_open(path, STORE_CREATE, err, sizeof(err));
	CHECK(s != NULL, err);
	if (s == NULL)
		return;
	CHECK_INT("writer starts", store_start_writer(s), 0);
	t0 = time(NULL);
	steady_stop = 0;
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, steady, (void *)i);
	usleep(STEADY_MS * 1000);
	CHECK_INT("a heartbeat under load", heartbeats(path), 1);
	steady_stop = 1;
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	store_close(s);
}

int main(void)
{
	pthread_t th[THREADS];
	struct window_counts c[1];
	struct store_user u;
	char path[128], err[300];
	long i;

	if (check_tmpdir(dir, "commit") < 0)
		return 2;
	snprintf(path, sizeof(path), "%s/commit.db", dir);
	s = store_open(path, STORE_CREATE, err, sizeof(err));
	CHECK(s != NULL, err);
	if (s == NULL)
		return check_finish(dir);
	CHECK_INT("writer starts", store_start_writer(s), 0);
	t0 = time(NULL);
	for (i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, sender, (void *)(i + 1));
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	CHECK_INT("every lookup read", reads, THREADS * ROUNDS);
	CHECK_INT("no lookup failed", failed, 0);
	CHECK_INT("no count read twice or missed", wrong, 0);
	store_flush(s);
	for (i = 0; i < LOGINS; i++) {
		store_lookup(s, logins[i], NULL, t0, &u, windows_3600, NULL, c,
			     NULL);
		CHECK_INT("stored messages", c[0].msgs, sent_msgs[i]);
		CHECK_INT("stored recipients", c[0].rcpts, sent_rcpts[i]);
		CHECK_INT("stored refused", c[0].refused, sent_refused[i]);
	}
	store_close(s);
	snprintf(path, sizeof(path), "%s/steady.db", dir);
	test_steady(path);
	return check_finish(dir);
}
