/*
 * NAME
 *	store_sim - a private copy of the policy for back-testing
 * DESCRIPTION
 *	See store.h.  store_sim_open() creates an in-memory database with
 *	the code's schema (store_migrate), empties its policy tables,
 *	attaches the live database, copies the live policy tables and the
 *	live users' status into it, and detaches the live database before
 *	any of the caller's SQL runs: that SQL cannot name the live file.
 *	An authorizer then lets the SQL read anything and change only the
 *	policy tables of the copy.  The history is read on the live
 *	store's main connection in one ordered query.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store_int.h"

struct store_sim {
	struct store *live;
	sqlite3 *db;	  /* the copy, in memory */
	char denied[160]; /* what the authorizer refused last */
	sqlite3_stmt *user_st;
};

/* The tables a FILE may change; they are copied from the live database. */
static const char *const policy_tables[] = {
	"classes",
	"limits",
	"users",
	"settings",
	"rules",
	"local_domains",
	"user_senders",
	"freemail_domains",
	"protected_domains",
	"webmail_sources",
	"network_groups",
	"policy_version",
};
#define NPOLICY (int)(sizeof(policy_tables) / sizeof(policy_tables[0]))

static const char user_sql[] =
	"SELECT u.class, u.status, u.changed, l.status IS NOT u.status "
	"FROM users u LEFT JOIN sim_live_users l ON l.login = u.login "
	"WHERE u.login = ?1";

static const char hist_sql[] =
	"SELECT login, ts, 0, 0, 0, client_addr FROM session_log "
	"WHERE ts >= ?1 UNION ALL "
	"SELECT login, ts, 1, rcpts, new_rcpt, client_addr FROM msg_log "
	"WHERE ts >= ?1 UNION ALL "
	"SELECT login, ts, 2, bounce, 0, NULL FROM counts WHERE kind = 0 "
	"AND bounce > 0 AND ts >= ?1 "
	"ORDER BY 1, 2, 3";

/* the live users' status on PostgreSQL: the copy's users, before FILE */
static const char live_users_pg[] =
	"CREATE TABLE sim_live_users (login TEXT PRIMARY KEY COLLATE NOCASE, "
	"status TEXT) WITHOUT ROWID;"
	"INSERT INTO sim_live_users SELECT login, status FROM main.users;";

/* is_policy - 1 when name is a policy table */
static int is_policy(const char *name)
{
	for (int i = 0; name != NULL && i < NPOLICY; i++)
		if (strcasecmp(name, policy_tables[i]) == 0)
			return 1;
	return 0;
}

/* authorize - FILE's statements: read anything, change policy tables */
static int authorize(void *arg, int code, const char *a1, const char *a2,
		     const char *db, const char *trigger)
{
	struct store_sim *m = arg;

	(void)a2;
	(void)trigger;
	switch (code) {
	case SQLITE_SELECT:
	case SQLITE_READ:
	case SQLITE_FUNCTION:
	case SQLITE_TRANSACTION:
	case SQLITE_SAVEPOINT:
	case SQLITE_RECURSIVE:
		return SQLITE_OK;
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
		if (is_policy(a1) && (db == NULL || !strcmp(db, "main")))
			return SQLITE_OK;
		snprintf(m->denied, sizeof(m->denied),
			 "%s is not a policy table", a1 ? a1 : "?");
		return SQLITE_DENY;
	default:
		snprintf(m->denied, sizeof(m->denied),
			 "only reads and changes of the policy tables' rows "
			 "are allowed (no ATTACH, PRAGMA or schema change)");
		return SQLITE_DENY;
	}
}

/* exec - run internal SQL on the copy; 0 or -1 with err */
static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "copying the policy: %s",
		 msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/* copy_policy - the live policy tables into the copy; 0 or -1 */
static int copy_policy(struct store_sim *m, char *err, size_t errlen)
{
	char sql[512];
	sqlite3_stmt *st;
	int rc;

	if (m->live->pg) { /* PostgreSQL: no ATTACH, the rows are copied */
		if (store_pg_sim_copy(m->live, m->db, policy_tables, NPOLICY,
				      err, errlen) < 0)
			return -1;
		return exec(m->db, live_users_pg, err, errlen);
	}
	if (sqlite3_prepare_v2(m->db, "ATTACH ?1 AS live", -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "attach: %s", sqlite3_errmsg(m->db));
		return -1;
	}
	sqlite3_bind_text(st, 1, store_path(m->live), -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "reading %s: %s", store_path(m->live),
			 sqlite3_errmsg(m->db));
		return -1;
	}
	rc = exec(m->db, "BEGIN", err, errlen);
	for (int i = 0; rc == 0 && i < NPOLICY; i++) {
		snprintf(sql, sizeof(sql),
			 "DELETE FROM main.%s; INSERT INTO main.%s "
			 "SELECT * FROM live.%s;",
			 policy_tables[i], policy_tables[i], policy_tables[i]);
		rc = exec(m->db, sql, err, errlen);
	}
	if (rc == 0)
		rc = exec(m->db,
			  "CREATE TABLE sim_live_users (login TEXT PRIMARY "
			  "KEY COLLATE NOCASE, status TEXT) WITHOUT ROWID;"
			  "INSERT INTO sim_live_users SELECT login, status "
			  "FROM live.users; COMMIT;",
			  err, errlen);
	if (rc < 0)
		sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_exec(m->db, "DETACH live", NULL, NULL, NULL);
	return rc;
}

/* line_of - the line number of p in sql */
static int line_of(const char *sql, const char *p)
{
	int n = 1;

	for (; sql < p; sql++)
		n += *sql == '\n';
	return n;
}

/* run_file - FILE's statements on the copy, in order; 0 or -1 */
static int run_file(struct store_sim *m, const char *sql, char *err,
		    size_t errlen)
{
	const char *p = sql, *tail;
	sqlite3_stmt *st;
	int rc;

	sqlite3_set_authorizer(m->db, authorize, m);
	while (*p) {
		m->denied[0] = '\0';
		st = NULL;
		rc = sqlite3_prepare_v2(m->db, p, -1, &st, &tail);
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (rc == SQLITE_OK && st != NULL) {
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				;
			if (rc == SQLITE_DONE)
				rc = SQLITE_OK;
		}
		if (rc != SQLITE_OK) {
			snprintf(err, errlen, "line %d: %s%s%s",
				 line_of(sql, p), sqlite3_errmsg(m->db),
				 m->denied[0] ? ": " : "", m->denied);
			sqlite3_finalize(st);
			return -1;
		}
		sqlite3_finalize(st);
		if (tail == NULL || tail == p)
			break;
		p = tail;
	}
	sqlite3_set_authorizer(m->db, NULL, NULL);
	return 0;
}

/* store_sim_open - the copy with sql applied */
struct store_sim *store_sim_open(struct store *s, const char *sql, char *err,
				 size_t errlen)
{
	struct store_sim *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->live = s;
	if (sqlite3_open_v2(":memory:", &m->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "in-memory database: %s",
			 m->db ? sqlite3_errmsg(m->db) : "out of memory");
		goto fail;
	}
	if (store_migrate(m->db, 1, err, errlen) < 0 ||
	    copy_policy(m, err, errlen) < 0 ||
	    run_file(m, sql ? sql : "", err, errlen) < 0)
		goto fail;
	if (sqlite3_prepare_v2(m->db, user_sql, -1, &m->user_st, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "users: %s", sqlite3_errmsg(m->db));
		goto fail;
	}
	return m;
fail:
	store_sim_close(m);
	return NULL;
}

/* store_sim_policy - the copy's snapshot */
struct policy *store_sim_policy(struct store_sim *m, char *err, size_t errlen)
{
	return store_policy_read(m->db, err, errlen);
}

/* store_sim_user - a users row of the copy */
int store_sim_user(struct store_sim *m, const char *login, struct store_user *u,
		   long long *from)
{
	const unsigned char *cls, *status;
	int rc;

	memset(u, 0, sizeof(*u));
	snprintf(u->class_name, sizeof(u->class_name), "default");
	*from = 0;
	sqlite3_bind_text(m->user_st, 1, login, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(m->user_st)) == SQLITE_ROW) {
		u->known = 1;
		cls = sqlite3_column_text(m->user_st, 0);
		status = sqlite3_column_text(m->user_st, 1);
		if (cls != NULL && *cls)
			snprintf(u->class_name, sizeof(u->class_name), "%s",
				 (const char *)cls);
		if (engine_user_status_parse((const char *)status, &u->status) <
		    0)
			u->status = USER_ACTIVE;
		if (!sqlite3_column_int(m->user_st, 3))
			*from = sqlite3_column_int64(m->user_st, 2);
	}
	sqlite3_reset(m->user_st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* store_sim_history - the live history in login and time order */
int store_sim_history(struct store_sim *m, long long since, store_hist_fn fn,
		      void *arg, char *err, size_t errlen)
{
	struct store *s = m->live;
	sqlite3_stmt *st = NULL;
	int rc;

	if (s->pg)
		return store_pg_sim_history(s, since, fn, arg, err, errlen);
	lock_acquire(&s->db_lock);
	rc = sqlite3_prepare_v2(s->db, hist_sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, since);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
		       fn(arg, (const char *)sqlite3_column_text(st, 0),
			  sqlite3_column_int64(st, 1),
			  sqlite3_column_int(st, 2), sqlite3_column_int(st, 3),
			  sqlite3_column_int(st, 4),
			  (const char *)sqlite3_column_text(st, 5)) == 0)
			;
		if (rc == SQLITE_ROW)
			rc = SQLITE_DONE;
	}
	if (rc != SQLITE_DONE)
		snprintf(err, errlen, "reading the history: %s",
			 sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	lock_release(&s->db_lock);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* store_sim_close - drop the copy */
void store_sim_close(struct store_sim *m)
{
	if (m == NULL)
		return;
	sqlite3_finalize(m->user_st);
	sqlite3_close(m->db);
	free(m);
}
