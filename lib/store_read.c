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
 *	writer has queued and what messages in flight have reserved, read
 *	under the commit lock so nothing is counted twice or missed; a
 *	lookup marks them (store_pend_mark) in the same step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"

#define STORE_READERS_MAX 8	/* read connections open at most */

struct store_reader {
	struct store_reader *next;	/* in the free list */
	int generation;			/* s->generation when opened */
	sqlite3 *db;
	sqlite3_stmt *user_st, *msg_st, *sess_st, *begin_st, *commit_st;
	sqlite3_stmt *sender_st, *seen_st, *msgid_st;
};

static const char user_sql[] =
	"SELECT class, status FROM users WHERE login = ?1";
static const char msg_sql[] =
	"SELECT ts, rcpts FROM msg_log WHERE login = ?1 AND ts > ?2";
/* one walk of the covering index (login, network, ts) for both the
 * session and the networks metric; the order groups the networks */
static const char sess_sql[] =
	"SELECT network, ts FROM session_log WHERE login = ?1 AND ts > ?2 "
	"ORDER BY network";
static const char sender_sql[] =
	"SELECT 1 FROM user_senders WHERE login = ?1 AND "
	"(address = ?2 OR address = '@' || ?3)";
static const char seen_sql[] = "SELECT 1 FROM seen_domains WHERE domain = ?1";
static const char msgid_sql[] =
	"SELECT 1 FROM msg_log WHERE message_id = ?2 AND login = ?1";

/* reader_free - close one reader */
static void reader_free(struct store_reader *r)
{
	sqlite3_finalize(r->user_st);
	sqlite3_finalize(r->msg_st);
	sqlite3_finalize(r->sess_st);
	sqlite3_finalize(r->begin_st);
	sqlite3_finalize(r->commit_st);
	sqlite3_finalize(r->sender_st);
	sqlite3_finalize(r->seen_st);
	sqlite3_finalize(r->msgid_st);
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
	    sqlite3_prepare_v3(r->db, msg_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->msg_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, sess_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->sess_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, "BEGIN", -1, SQLITE_PREPARE_PERSISTENT,
			       &r->begin_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT,
			       &r->commit_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, sender_sql, -1,
			       SQLITE_PREPARE_PERSISTENT, &r->sender_st,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, seen_sql, -1, SQLITE_PREPARE_PERSISTENT,
			       &r->seen_st, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(r->db, msgid_sql, -1,
			       SQLITE_PREPARE_PERSISTENT, &r->msgid_st,
			       NULL) != SQLITE_OK) {
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
		s->readers_open++;	/* ours to open */
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
static int user_read(struct store *s, struct store_reader *r,
		     const char *login, struct store_user *u)
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
		if (engine_user_status_parse((const char *)status,
					     &u->status) < 0)
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

/* count_network - a network whose latest session was at ts */
static void count_network(struct window_counts *c, int n, time_t now,
			  long long ts)
{
	int i;

	for (i = 0; i < n; i++)
		if (ts > (long long)now - c[i].window_s)
			c[i].networks++;
}

/*
 * sum_sessions - sessions per window, and the networks other than
 * network (NULL: none) whose latest session falls in each window.  The
 * rows come grouped by network, NULL first; a network is told apart by
 * its first 255 bytes.
 */
static int sum_sessions(sqlite3_stmt *st, time_t now, const char *network,
			struct window_counts *c, int n)
{
	char group[256] = "";
	long long ts, latest = 0;
	const char *net;
	int rc, i, grouped = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		net = (const char *)sqlite3_column_text(st, 0);
		ts = sqlite3_column_int64(st, 1);
		for (i = 0; i < n; i++)
			if (ts > (long long)now - c[i].window_s)
				c[i].sessions++;
		if (net == NULL || (network != NULL && !strcmp(net, network)))
			continue;
		if (grouped && !strncmp(net, group, sizeof(group) - 1)) {
			if (ts > latest)
				latest = ts;
			continue;
		}
		if (grouped)
			count_network(c, n, now, latest);
		snprintf(group, sizeof(group), "%s", net);
		latest = ts;
		grouped = 1;
	}
	if (grouped)
		count_network(c, n, now, latest);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* sum_msgs - add the msg_log rows of st to the windows they fall in */
static int sum_msgs(sqlite3_stmt *st, time_t now, struct window_counts *c,
		    int n)
{
	long long ts;
	long k;
	int rc, i;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ts = sqlite3_column_int64(st, 0);
		k = sqlite3_column_int(st, 1);
		for (i = 0; i < n; i++) {
			if (ts <= (long long)now - c[i].window_s)
				continue;
			c[i].msgs++;
			c[i].rcpts += k;
		}
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * counts_read - counts per window on reader r; 0 or -1.  The caller
 * holds commit_lock shared from before the read transaction starts to
 * after it ends, so the rows it sees and the pending counts it adds
 * are from the same side of every commit.
 */
static int counts_read(struct store *s, struct store_reader *r,
		       const char *login, const char *network, time_t now,
		       struct window_counts *c, int n, struct store_mark *mark)
{
	long maxw = 0, pm, pr, ps;
	int i, rc = 0;

	for (i = 0; i < n; i++) {
		c[i].msgs = c[i].rcpts = c[i].sessions = c[i].networks = 0;
		if (c[i].window_s > maxw)
			maxw = c[i].window_s;
	}
	sqlite3_bind_text(r->msg_st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->msg_st, 2, (long long)now - maxw);
	sqlite3_bind_text(r->sess_st, 1, login, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->sess_st, 2, (long long)now - maxw);
	if (sum_msgs(r->msg_st, now, c, n) < 0 ||
	    sum_sessions(r->sess_st, now, network, c, n) < 0)
		rc = -1;
	sqlite3_clear_bindings(r->msg_st);
	sqlite3_clear_bindings(r->sess_st);
	pthread_mutex_lock(&s->pend_lock);
	store_pend_get(s, login, &pm, &pr, &ps);
	if (mark != NULL && rc == 0)
		store_pend_mark(s, login, mark);
	pthread_mutex_unlock(&s->pend_lock);
	if (rc < 0) {
		store_fail(s, "read counts", r->db);
		return -1;
	}
	for (i = 0; i < n; i++) {
		c[i].msgs += pm;
		c[i].rcpts += pr;
		c[i].sessions += ps;
	}
	return 0;
}

/* store_counts_get - counts per window, queued and reserved included */
int store_counts_get(struct store *s, const char *login, time_t now,
		     struct window_counts *c, int n)
{
	struct store_reader *r = reader_get(s);
	int rc;

	if (r == NULL)
		return -1;
	pthread_rwlock_rdlock(&s->commit_lock);
	rc = counts_read(s, r, login, NULL, now, c, n, NULL);
	pthread_rwlock_unlock(&s->commit_lock);
	reader_put(s, r);
	return rc;
}

/*
 * store_lookup - the users row, then the counts of the windows that
 * windows_for() picks for the user's class, in one read transaction
 */
int store_lookup(struct store *s, const char *login, const char *network,
		 time_t now, struct store_user *u,
		 int (*windows_for)(void *arg, const struct store_user *u,
				    struct window_counts *c),
		 void *arg, struct window_counts *c, struct store_mark *mark)
{
	struct store_reader *r = reader_get(s);
	int n, rc;

	if (r == NULL)
		return -1;
	pthread_rwlock_rdlock(&s->commit_lock);
	sqlite3_step(r->begin_st);
	sqlite3_reset(r->begin_st);
	rc = user_read(s, r, login, u);
	if (rc == 0 && (n = windows_for(arg, u, c)) > 0)
		rc = counts_read(s, r, login, network, now, c, n, mark);
	sqlite3_step(r->commit_st);
	sqlite3_reset(r->commit_st);
	pthread_rwlock_unlock(&s->commit_lock);
	reader_put(s, r);
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

/* store_policy_version - policy_version.version */
int store_policy_version(struct store *s, long long *version)
{
	sqlite3_stmt *st;
	int rc;

	pthread_mutex_lock(&s->db_lock);
	rc = sqlite3_prepare_v2(s->db,
				"SELECT version FROM policy_version WHERE id = 1",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*version = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_ROW)
		store_fail(s, "read policy_version", s->db);
	pthread_mutex_unlock(&s->db_lock);
	return rc == SQLITE_ROW ? 0 : -1;
}
