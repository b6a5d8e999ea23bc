/*
 * NAME
 *	store_admin_policy - outguardctl's reads and writes of policy tables
 * SYNOPSIS
 *	#include "store.h"
 * DESCRIPTION
 *	Classes, rules, protected domains and seen lookalike domains, for
 *	outguardctl, on the main connection as store_admin.c describes:
 *	each function takes s->db_lock and finalizes its statement before
 *	it returns.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store_int.h"

/* store_admin_class_exists - 1 if the class exists, 0 if not, -1 error */
int store_admin_class_exists(struct store *s, const char *cls)
{
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	st = store_admin_prepare(s, "SELECT 1 FROM classes WHERE name = ?1");
	if (st != NULL) {
		store_admin_text(st, 1, cls);
		switch (sqlite3_step(st)) {
		case SQLITE_ROW:
			rc = 1;
			break;
		case SQLITE_DONE:
			rc = 0;
			break;
		}
	}
	if (rc < 0)
		store_fail(s, "admin class", s->db);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}

/*
 * store_admin_rules - every rules row by id.  Columns: id, enabled,
 * scope, field, action, pattern, reason.  0, or -1.
 */
int store_admin_rules(struct store *s, store_row_fn fn, void *arg)
{
	static const char sql[] = "SELECT id, enabled, scope, field, action, "
				  "pattern, reason FROM rules ORDER BY id";
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	if ((st = store_admin_prepare(s, sql)) == NULL)
		store_fail(s, "admin rules", s->db);
	else
		rc = store_admin_rows(s, st, "admin rules", fn, arg);
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}

/*
 * store_admin_protected - every protected_domains row by domain.
 * Columns: domain, note.  0, or -1.
 */
int store_admin_protected(struct store *s, store_row_fn fn, void *arg)
{
	static const char sql[] = "SELECT domain, note FROM protected_domains "
				  "ORDER BY domain";
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	if ((st = store_admin_prepare(s, sql)) == NULL)
		store_fail(s, "admin protected", s->db);
	else
		rc = store_admin_rows(s, st, "admin protected", fn, arg);
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}

/*
 * admin_change - run sql with text parameters ?1 and ?2 (db_lock held);
 * the number of rows it changed, or -1 with err.
 */
static int admin_change(struct store *s, const char *sql, const char *a,
			const char *b, const char *what, char *err,
			size_t errlen)
{
	sqlite3_stmt *st;
	int rc = -1;

	if ((st = store_admin_prepare(s, sql)) == NULL) {
		store_admin_err(s, what, err, errlen);
		return -1;
	}
	store_admin_text(st, 1, a);
	if (sqlite3_bind_parameter_count(st) > 1)
		store_admin_text(st, 2, b);
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = sqlite3_changes(s->db);
	else
		store_admin_err(s, what, err, errlen);
	sqlite3_finalize(st);
	return rc;
}

/*
 * store_admin_protect - add domain (in normal form; the caller checks
 * it) to protected_domains with note (NULL or "": none).  1 when added,
 * 0 when it was there already (its note unchanged), -1 with err.
 */
int store_admin_protect(struct store *s, const char *domain, const char *note,
			char *err, size_t errlen)
{
	static const char sql[] = "INSERT OR IGNORE INTO protected_domains "
				  "(domain, note) VALUES (?1, nullif(?2, ''))";
	int rc;

	pthread_mutex_lock(&s->db_lock);
	rc = admin_change(s, sql, domain, note, "protect", err, errlen);
	pthread_mutex_unlock(&s->db_lock);
	return rc < 0 ? -1 : rc > 0;
}

/*
 * store_admin_unprotect - delete domain (any case) from
 * protected_domains.  1 when deleted, 0 when it was not there, -1 with
 * err.
 */
int store_admin_unprotect(struct store *s, const char *domain, char *err,
			  size_t errlen)
{
	static const char sql[] = "DELETE FROM protected_domains "
				  "WHERE domain = ?1 COLLATE NOCASE";
	int rc;

	pthread_mutex_lock(&s->db_lock);
	rc = admin_change(s, sql, domain, NULL, "unprotect", err, errlen);
	pthread_mutex_unlock(&s->db_lock);
	return rc < 0 ? -1 : rc > 0;
}

/*
 * store_admin_seen - seen_domains rows first seen at or after since,
 * newest first, at most max (0: all).  Columns: domain, first_seen,
 * last_seen, hits, rule.  0, or -1.
 */
int store_admin_seen(struct store *s, time_t since, int max, store_row_fn fn,
		     void *arg)
{
	static const char sql[] =
		"SELECT domain, first_seen, last_seen, hits, rule "
		"FROM seen_domains WHERE first_seen >= ?1 "
		"ORDER BY first_seen DESC, domain LIMIT ?2";
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&s->db_lock);
	if ((st = store_admin_prepare(s, sql)) == NULL) {
		store_fail(s, "admin seen", s->db);
	} else {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
		sqlite3_bind_int(st, 2, max > 0 ? max : -1);
		rc = store_admin_rows(s, st, "admin seen", fn, arg);
	}
	pthread_mutex_unlock(&s->db_lock);
	return rc;
}
