/*
 * NAME
 *	store_read - the reads of the mail path and the policy load
 * DESCRIPTION
 *	Readers borrow a connection, with its statements prepared once,
 *	from a pool and give it back after the read: libmilter starts and
 *	ends worker threads all the time, so a connection per thread would
 *	be opened (and its schema parsed) again and again.  The pool grows
 *	to the number of reads that run at once, up to STORE_READERS_MAX;
 *	past that a read waits for a connection to come back.  A read
 *	takes tens of microseconds, so a few connections serve any number
 *	of milter connections, and every open connection holds a page
 *	cache (up to 2 MB) that each commit of the writer empties: with
 *	a connection per milter thread (64 at once) and a million logins
 *	the daemon used twice the memory and 15% more CPU per message.
 *	WAL lets the reads run beside the writer.  Counts add what the
 *	writer has queued and what messages in flight have reserved, so
 *	that nothing is counted twice or missed (counts_read: a batch
 *	committing meanwhile is told by its number); a lookup marks them
 *	(store_pend_mark) in the same step.
 *
 *	A count reads the login's rows of counts, which lie next to each
 *	other: its minutes from the oldest window's first minute on, and
 *	its networks; a minute that a window's edge cuts in two is counted
 *	from its second rows inside the window, and only when it has any.
 *	Windows are exact to the second, and a read costs the minutes the
 *	login was active in, not its messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "store_int.h"

#define STORE_READERS_MAX 8 /* read connections open at most */

struct store_reader {
	struct store_reader *next; /* in the free list */
	int generation;		   /* s->generation when opened */
	sqlite3 *db;
	sqlite3_stmt *user_st, *cnt_st, *net_st, *sec_st;
	sqlite3_stmt *begin_st, *commit_st, *sender_st, *seen_st, *msgid_st;
	sqlite3_stmt *known_st, *batch_st;
};

static const char user_sql[] =
	"SELECT class, status FROM users WHERE login = ?1";
/* counts (schema/migrations/005): the login's minutes from ?2 on, its
 * networks with a session after ?2, and the seconds from ?2 to ?3 */
static const char cnt_sql[] =
	"SELECT key, msgs, rcpts, sessions, refused, new_rcpt, bounce "
	"FROM counts WHERE login = ?1 AND kind = 0 AND key >= ?2";
static const char net_sql[] =
	"SELECT key, ts FROM counts WHERE login = ?1 AND kind = 2 AND ts > ?2";
static const char sec_sql[] =
	"SELECT total(msgs), total(rcpts), total(sessions), total(refused), "
	"total(new_rcpt), total(bounce) FROM counts "
	"WHERE login = ?1 AND kind = 1 AND key BETWEEN ?2 AND ?3";
/* the last batch the writers committed (store_write.c) */
static const char batch_sql[] =
	"SELECT value FROM daemon_state WHERE key = 'writer_batch'";
static const char sender_sql[] =
	"SELECT 1 FROM user_senders WHERE login = ?1 AND "
	"(address = ?2 OR address = '@' || ?3)";
static const char seen_sql[] = "SELECT 1 FROM seen_domains WHERE domain = ?1";
/* contacts (schema/migrations/006): which of a message's recipients,
 * a JSON array of hashes, the login wrote to since ?2, and when last */
static const char known_sql[] =
	"SELECT hash, ts FROM contacts WHERE login = ?1 AND ts >= ?2 AND "
	"hash IN (SELECT value FROM json_each(?3))";
static const char msgid_sql[] =
	"SELECT 1 FROM msg_log WHERE message_id = ?2 AND login = ?1";

/* reader_free - close one reader */
static void reader_free(struct store_reader *r)
{
	sqlite3_finalize(r->user_st);
	sqlite3_finalize(r->cnt_st);
	sqlite3_finalize(r->net_st);
	sqlite3_finalize(r->sec_st);
	sqlite3_finalize(r->begin_st);
	sqlite3_finalize(r->commit_st);
	sqlite3_finalize(r->sender_st);
	sqlite3_finalize(r->seen_st);
	sqlite3_finalize(r->msgid_st);
	sqlite3_finalize(r->known_st);
	sqlite3_finalize(r->batch_st);
	sqlite3_close(r->db);
	free(r);
}

/* reader_new - open a reader */
static struct store_reader *reader_new(struct store *s)
{
	struct store_reader *r;
	char err[300];

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	pthread_mutex_lock(&s->readers_lock);
	r->generation = s->generation;
	pthread_mutex_unlock(&s->readers_lock);
	if ((r->db = store_conn_open(s->path, 1, err, sizeof(err))) == NULL) {
		log_ratelimited("reader open", 10, LOG_ERR, "store: %s", err);
		free(r);
		return NULL;
	}
	if (sqlite3_prepare_v3(r->db, user_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->user_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, cnt_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->cnt_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, net_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->net_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, sec_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->sec_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, "BEGIN", -1, SQLITE_PREPARE_PERSISTENT,
			       &r->begin_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT,
			       &r->commit_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, sender_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->sender_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, seen_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->seen_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, msgid_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->msgid_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, known_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->known_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, batch_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->batch_st, NULL) != SQLITE_OK) {
		store_fail(s, "prepare reads", r->db);
		reader_free(r);
		return NULL;
	}
	return r;
}

/*
 * reader_get - borrow a reader from the pool, opening one while fewer
 * than STORE_READERS_MAX are open, else waiting for one to come back
 */
static struct store_reader *reader_get(struct store *s)
{
	struct store_reader *r;

	pthread_mutex_lock(&s->readers_lock);
	while (s->readers == NULL && s->readers_open >= STORE_READERS_MAX)
		pthread_cond_wait(&s->readers_cond, &s->readers_lock);
	if ((r = s->readers) != NULL)
		s->readers = r->next;
	else
		s->readers_open++; /* ours to open */
	pthread_mutex_unlock(&s->readers_lock);
	if (r == NULL && (r = reader_new(s)) == NULL) {
		pthread_mutex_lock(&s->readers_lock);
		s->readers_open--;
		pthread_cond_signal(&s->readers_cond);
		pthread_mutex_unlock(&s->readers_lock);
	}
	return r;
}

/* reader_put - give a reader back; one on a replaced file is closed */
static void reader_put(struct store *s, struct store_reader *r)
{
	int stale;

	pthread_mutex_lock(&s->readers_lock);
	stale = r->generation != s->generation;
	if (stale) {
		s->readers_open--;
	} else {
		r->next = s->readers;
		s->readers = r;
	}
	pthread_cond_signal(&s->readers_cond);
	pthread_mutex_unlock(&s->readers_lock);
	if (stale)
		reader_free(r);
}

/* store_readers_close - close the free readers; a borrowed one is closed
 * when it comes back after store_reopen has moved the generation */
void store_readers_close(struct store *s)
{
	struct store_reader *r;

	pthread_mutex_lock(&s->readers_lock);
	while ((r = s->readers) != NULL) {
		s->readers = r->next;
		s->readers_open--;
		reader_free(r);
	}
	pthread_cond_broadcast(&s->readers_cond);
	pthread_mutex_unlock(&s->readers_lock);
}

/* user_read - the login's users row, on reader r; 0 or -1 */
static int user_read(struct store *s, struct store_reader *r, const char *login,
		     struct store_user *u)
{
	const unsigned char *cls, *status;
	int rc;

	snprintf(u->class_name, sizeof(u->class_name), "default");
	u->status = USER_ACTIVE;
	u->known = 0;
	sqlite3_bind_text(r->user_st, 1, login, -1, SQLITE_STATIC);
	rc = sqlite3_step(r->user_st);
	if (rc == SQLITE_ROW) {
		u->known = 1;
		cls = sqlite3_column_text(r->user_st, 0);
		status = sqlite3_column_text(r->user_st, 1);
		if (cls != NULL && *cls)
			snprintf(u->class_name, sizeof(u->class_name), "%s",
				 (const char *)cls);
		if (engine_user_status_parse((const char *)status, &u->status) <
		    0)
			u->status = USER_ACTIVE;
	}
	sqlite3_reset(r->user_st);
	sqlite3_clear_bindings(r->user_st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_fail(s, "read users", r->db);
		return -1;
	}
	return 0;
}

/* store_user_get - the login's users row */
int store_user_get(struct store *s, const char *login, struct store_user *u)
{
	if (s->pg)
		return store_pg_user_get(s, login, u);
	struct store_reader *r = reader_get(s);
	int rc;

	if (r == NULL) {
		memset(u, 0, sizeof(*u));
		snprintf(u->class_name, sizeof(u->class_name), "default");
		return -1;
	}
	rc = user_read(s, r, login, u);
	reader_put(s, r);
	return rc;
}

/*
 * sum_minutes - add the minute rows of st to the windows they lie wholly
 * inside; lo[i] is window i's first second.  A minute that window i's
 * edge cuts, when it has anything, sets edge[i]: its seconds inside the
 * window are added from the second rows.
 */
static int sum_minutes(sqlite3_stmt *st, const long long *lo,
		       struct window_counts *c, int *edge, int n)
{
	long long minute;
	long msgs, rcpts, sess, x[STORE_EXTRA];
	int rc, i;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		minute = sqlite3_column_int64(st, 0);
		msgs = (long)sqlite3_column_int64(st, 1);
		rcpts = (long)sqlite3_column_int64(st, 2);
		sess = (long)sqlite3_column_int64(st, 3);
		for (i = 0; i < STORE_EXTRA; i++)
			x[i] = (long)sqlite3_column_int64(st, 4 + i);
		for (i = 0; i < n; i++) {
			if (minute * 60 >= lo[i]) {
				c[i].msgs += msgs;
				c[i].rcpts += rcpts;
				c[i].sessions += sess;
				c[i].refused += x[0];
				c[i].new_rcpt += x[1];
				c[i].bounce += x[2];
			} else if (minute == lo[i] / 60 &&
				   (msgs || sess || x[0] || x[1] || x[2])) {
				edge[i] = 1;
			}
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* sum_seconds - add the second rows from lo to the end of its minute */
static int sum_seconds(sqlite3_stmt *st, const char *login, long long lo,
		       struct window_counts *c)
{
	int rc;

	sqlite3_bind_text(st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, lo);
	sqlite3_bind_int64(st, 3, lo / 60 * 60 + 59);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c->msgs += (long)sqlite3_column_int64(st, 0);
		c->rcpts += (long)sqlite3_column_int64(st, 1);
		c->sessions += (long)sqlite3_column_int64(st, 2);
		c->refused += (long)sqlite3_column_int64(st, 3);
		c->new_rcpt += (long)sqlite3_column_int64(st, 4);
		c->bounce += (long)sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * sum_networks - the networks other than network (NULL: none) whose
 * latest session falls in each window
 */
static int sum_networks(sqlite3_stmt *st, const long long *lo,
			const char *network, struct window_counts *c, int n)
{
	const char *net;
	long long ts;
	int rc, i;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		net = (const char *)sqlite3_column_text(st, 0);
		ts = sqlite3_column_int64(st, 1);
		if (net == NULL || (network != NULL && !strcmp(net, network)))
			continue;
		for (i = 0; i < n; i++)
			if (ts >= lo[i])
				c[i].networks++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * batch_seen - the last batch committed in r's snapshot (its read
 * transaction is open); 0 when unknown
 */
static long long batch_seen(struct store_reader *r)
{
	long long k = 0;

	if (sqlite3_step(r->batch_st) == SQLITE_ROW)
		k = sqlite3_column_int64(r->batch_st, 0);
	sqlite3_reset(r->batch_st);
	return k;
}

/*
 * counts_read - counts per window on reader r, in its open read
 * transaction; 0 or -1.  The caller holds commit_lock shared from
 * before the transaction starts to after it ends: no commit moves
 * counts out of pending meanwhile.  A batch may commit meanwhile: when
 * the login has a share in it and the snapshot holds the batch, that
 * share is taken off what is pending, so nothing is counted twice or
 * missed.
 */
static int counts_read(struct store *s, struct store_reader *r,
		       const char *login, const char *network, time_t now,
		       struct window_counts *c, int n, struct store_mark *mark)
{
	long long lo[POLICY_MAX_WINDOWS], first;
	int edge[POLICY_MAX_WINDOWS];
	long pm, pr, ps, px[STORE_EXTRA], fly[STORE_FLY];
	long long k;
	int i, rc = 0;

	LOCK_RW_HELD(&s->commit_lock);
	if (n > POLICY_MAX_WINDOWS)
		n = POLICY_MAX_WINDOWS;
	first = (long long)now + 1;
	for (i = 0; i < n; i++) {
		c[i].msgs = c[i].rcpts = c[i].sessions = c[i].networks = 0;
		c[i].refused = c[i].new_rcpt = c[i].bounce = 0;
		edge[i] = 0;
		lo[i] = (long long)now - c[i].window_s + 1;
		if (lo[i] < first)
			first = lo[i];
	}
	sqlite3_bind_text(r->cnt_st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->cnt_st, 2, first / 60);
	sqlite3_bind_text(r->net_st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->net_st, 2, first - 1);
	if (sum_minutes(r->cnt_st, lo, c, edge, n) < 0 ||
	    sum_networks(r->net_st, lo, network, c, n) < 0)
		rc = -1;
	for (i = 0; i < n && rc == 0; i++)
		if (edge[i] && sum_seconds(r->sec_st, login, lo[i], &c[i]) < 0)
			rc = -1;
	sqlite3_clear_bindings(r->cnt_st);
	sqlite3_clear_bindings(r->net_st);
	sqlite3_clear_bindings(r->sec_st);
	lock_acquire(&s->pend_lock);
	store_pend_get(s, login, &pm, &pr, &ps);
	store_pend_extra(s, login, NULL, px);
	k = store_pend_flying(s, login, fly);
	if (mark != NULL && rc == 0)
		store_pend_mark(s, login, mark);
	lock_release(&s->pend_lock);
	if (rc < 0) {
		store_fail(s, "read counts", r->db);
		return -1;
	}
	if (k != 0 && batch_seen(r) >= k) {
		pm -= fly[0];
		pr -= fly[1];
		ps -= fly[2];
		for (i = 0; i < STORE_EXTRA; i++)
			px[i] -= fly[3 + i];
	}
	for (i = 0; i < n; i++) {
		c[i].msgs += pm;
		c[i].rcpts += pr;
		c[i].sessions += ps;
		c[i].refused += px[0];
		c[i].new_rcpt += px[1];
		c[i].bounce += px[2];
	}
	return 0;
}

/* store_counts_get - counts per window, queued and reserved included */
int store_counts_get(struct store *s, const char *login, time_t now,
		     struct window_counts *c, int n)
{
	if (s->pg)
		return store_pg_counts_get(s, login, now, c, n);
	struct store_reader *r = reader_get(s);
	int rc;

	if (r == NULL)
		return -1;
	lock_rw_read(&s->commit_lock);
	sqlite3_step(r->begin_st);
	sqlite3_reset(r->begin_st);
	rc = counts_read(s, r, login, NULL, now, c, n, NULL);
	sqlite3_step(r->commit_st);
	sqlite3_reset(r->commit_st);
	lock_rw_release(&s->commit_lock);
	reader_put(s, r);
	return rc;
}

/*
 * store_lookup - the users row, then the counts of the windows that
 * windows_for() picks for the user's class, in one read transaction
 */
static int lookup(struct store *s, const char *login, const char *network,
		  time_t now, struct store_user *u,
		  int (*windows_for)(void *arg, const struct store_user *u,
				     struct window_counts *c),
		  void *arg, struct window_counts *c, struct store_mark *mark)
{
	uint64_t t0 = metrics_clock();
	struct store_reader *r = reader_get(s);
	int n, rc;

	if (r == NULL)
		return -1;
	lock_rw_read(&s->commit_lock);
	sqlite3_step(r->begin_st);
	sqlite3_reset(r->begin_st);
	rc = user_read(s, r, login, u);
	if (rc == 0 && (n = windows_for(arg, u, c)) > 0)
		rc = counts_read(s, r, login, network, now, c, n, mark);
	sqlite3_step(r->commit_st);
	sqlite3_reset(r->commit_st);
	lock_rw_release(&s->commit_lock);
	reader_put(s, r);
	metrics_store_read(metrics_clock() - t0);
	return rc;
}

/* A lookup's windows_for, and how many windows it asked for. */
struct lookup_windows {
	int (*fn)(void *arg, const struct store_user *u,
		  struct window_counts *c);
	void *arg;
	int n;
};

/* windows_seen - the caller's windows_for, noting n */
static int windows_seen(void *arg, const struct store_user *u,
			struct window_counts *c)
{
	struct lookup_windows *w = arg;

	w->n = w->fn(w->arg, u, c);
	return w->n;
}

/* store_lookup - read (either store); with enforce, the cache's answer
 * when the database cannot be read */
int store_lookup(struct store *s, const char *login, const char *network,
		 time_t now, struct store_user *u,
		 int (*windows_for)(void *arg, const struct store_user *u,
				    struct window_counts *c),
		 void *arg, struct window_counts *c, struct store_mark *mark)
{
	struct lookup_windows w = { windows_for, arg, 0 };
	long p[3] = { 0, 0, 0 };
	int rc;

	if (s->cache == NULL && s->pg == NULL)
		return lookup(s, login, network, now, u, windows_for, arg, c,
			      mark);
	if (s->pg)
		rc = store_pg_lookup(s, login, network, now, u, windows_seen,
				     &w, c, mark);
	else
		rc = lookup(s, login, network, now, u, windows_seen, &w, c,
			    mark);
	if (rc == 0) {
		/* the pending counts now, kept apart; a commit (which moves
		 * them into the cache under pend_lock) is either before
		 * this or after it */
		lock_acquire(&s->pend_lock);
		store_pend_get(s, login, &p[0], &p[1], &p[2]);
		store_cache_put(s, login, u, c, w.n, p);
		lock_release(&s->pend_lock);
	} else
		rc = store_cache_lookup(s, login, now, u, windows_for, arg, c,
					mark);
	return rc;
}

/* exists - step a bound statement once: 1 row, 0 none, -1 error */
static int exists(struct store *s, struct store_reader *r, sqlite3_stmt *st,
		  const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	store_fail(s, what, r->db);
	return -1;
}

/* store_user_sender - may login send as address? */
int store_user_sender(struct store *s, const char *login, const char *address,
		      const char *domain)
{
	if (s->pg)
		return store_pg_exists(s, STORE_PG_SENDER, login, address,
				       domain);
	struct store_reader *r = reader_get(s);
	int rc;

	if (r == NULL)
		return -1;
	sqlite3_bind_text(r->sender_st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->sender_st, 2, address, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->sender_st, 3, domain, -1, SQLITE_STATIC);
	rc = exists(s, r, r->sender_st, "read user_senders");
	reader_put(s, r);
	return rc;
}

/* store_seen_known - is the domain in seen_domains? */
int store_seen_known(struct store *s, const char *domain)
{
	if (s->pg)
		return store_pg_exists(s, STORE_PG_SEEN, domain, NULL, NULL);
	struct store_reader *r = reader_get(s);
	int rc;

	if (r == NULL)
		return -1;
	sqlite3_bind_text(r->seen_st, 1, domain, -1, SQLITE_STATIC);
	rc = exists(s, r, r->seen_st, "read seen_domains");
	reader_put(s, r);
	return rc;
}

/* store_message_counted - has login's message message_id been counted? */
int store_message_counted(struct store *s, const char *login,
			  const char *message_id)
{
	if (s->pg)
		return store_pg_exists(s, STORE_PG_COUNTED, login, message_id,
				       NULL);
	struct store_reader *r = reader_get(s);
	int rc;

	if (r == NULL)
		return -1;
	sqlite3_bind_text(r->msgid_st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_text(r->msgid_st, 2, message_id, -1, SQLITE_STATIC);
	rc = exists(s, r, r->msgid_st, "read msg_log");
	reader_put(s, r);
	return rc;
}

/* contacts_json - hashes[0..n) as a JSON array; NULL when out of memory */
static char *contacts_json(const long long *hashes, int n)
{
	size_t len = 0, cap = (size_t)n * 22 + 3;
	char *json;
	int i;

	if ((json = malloc(cap)) == NULL)
		return NULL;
	json[len++] = '[';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(json + len, cap - len, "%s%lld",
					i ? "," : "", hashes[i]);
	snprintf(json + len, cap - len, "]");
	return json;
}

/* cmp_hash - qsort and bsearch order of hashes */
static int cmp_hash(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/*
 * contacts_read - how many of hashes[0..n) (distinct; sorted when fresh
 * is set) login wrote to since; with fresh, fresh[i] = 1 for those whose
 * ts is at or after fresh_ts.  -1 on a store failure.
 */
static int contacts_read(struct store *s, const char *login, time_t since,
			 time_t fresh_ts, const long long *hashes, int n,
			 unsigned char *fresh)
{
	struct store_reader *r;
	const long long *at;
	long long h;
	char *json;
	int rc, known = 0;

	if ((json = contacts_json(hashes, n)) == NULL)
		return -1;
	if ((r = reader_get(s)) == NULL) {
		free(json);
		return -1;
	}
	sqlite3_bind_text(r->known_st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->known_st, 2, (sqlite3_int64)since);
	sqlite3_bind_text(r->known_st, 3, json, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(r->known_st)) == SQLITE_ROW) {
		known++;
		if (fresh == NULL ||
		    sqlite3_column_int64(r->known_st, 1) < fresh_ts)
			continue;
		h = sqlite3_column_int64(r->known_st, 0);
		at = bsearch(&h, hashes, n, sizeof(*hashes), cmp_hash);
		if (at != NULL)
			fresh[at - hashes] = 1;
	}
	sqlite3_reset(r->known_st);
	sqlite3_clear_bindings(r->known_st);
	if (rc != SQLITE_DONE) {
		store_fail(s, "read contacts", r->db);
		known = -1;
	}
	reader_put(s, r);
	free(json);
	return known;
}

/* store_contacts_known - how many of the hashes login wrote to since */
int store_contacts_known(struct store *s, const char *login, time_t since,
			 const long long *hashes, int n)
{
	if (n <= 0)
		return 0;
	if (s->pg)
		return store_pg_contacts_known(s, login, since, hashes, n);
	return contacts_read(s, login, since, 0, hashes, n, NULL);
}

/*
 * store_contacts_stale - store_contacts_known, in the same statement,
 * and the hashes that need writing first: new, or last written before
 * fresh
 */
int store_contacts_stale(struct store *s, const char *login, time_t since,
			 time_t fresh, long long *hashes, int n, int *nstale)
{
	unsigned char *mark;
	long long *tmp;
	int i, k = 0, known;

	*nstale = n;
	if (n <= 0 || s->pg)
		return store_contacts_known(s, login, since, hashes, n);
	if ((mark = calloc((size_t)n, 1)) == NULL ||
	    (tmp = malloc((size_t)n * sizeof(*tmp))) == NULL) {
		free(mark);
		return -1;
	}
	qsort(hashes, n, sizeof(*hashes), cmp_hash);
	known = contacts_read(s, login, since, fresh, hashes, n, mark);
	if (known >= 0) {
		for (i = 0; i < n; i++)
			if (!mark[i])
				tmp[k++] = hashes[i];
		*nstale = k;
		for (i = 0; i < n; i++)
			if (mark[i])
				tmp[k++] = hashes[i];
		memcpy(hashes, tmp, (size_t)n * sizeof(*tmp));
	}
	free(tmp);
	free(mark);
	return known;
}

/* store_policy_version - policy_version.version */
int store_policy_version(struct store *s, long long *version)
{
	if (s->pg)
		return store_pg_policy_version(s, version);
	sqlite3_stmt *st;
	int rc;

	lock_acquire(&s->db_lock);
	rc = sqlite3_prepare_v2(
		s->db, "SELECT version FROM policy_version WHERE id = 1", -1,
		&st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*version = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_ROW)
		store_fail(s, "read policy_version", s->db);
	lock_release(&s->db_lock);
	return rc == SQLITE_ROW ? 0 : -1;
}
