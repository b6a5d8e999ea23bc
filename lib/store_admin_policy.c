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
	const struct store_arg args[] = { STORE_TEXT(cls), STORE_END };
	int rc = store_admin_query(s, "admin class",
				   "SELECT 1 FROM classes WHERE name = ?1",
				   args, NULL, NULL, NULL, 0);

	return rc < 0 ? -1 : rc > 0;
}

/*
 * store_admin_rules - every rules row by id.  Columns: id, enabled,
 * scope, field, action, pattern, reason.  0, or -1.
 */
int store_admin_rules(struct store *s, store_row_fn fn, void *arg)
{
	static const char sql[] = "SELECT id, enabled, scope, field, action, "
				  "pattern, reason FROM rules ORDER BY id";
	int rc = store_admin_query(s, "admin rules", sql, NULL, fn, arg, NULL,
				   0);

	return rc < 0 ? -1 : 0;
}

/*
 * store_admin_protected - every protected_domains row by domain.
 * Columns: domain, note.  0, or -1.
 */
int store_admin_protected(struct store *s, store_row_fn fn, void *arg)
{
	static const char sql[] = "SELECT domain, note FROM protected_domains "
				  "ORDER BY domain";
	int rc = store_admin_query(s, "admin protected", sql, NULL, fn, arg,
				   NULL, 0);

	return rc < 0 ? -1 : 0;
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
	const struct store_arg args[] = { STORE_TEXT(domain), STORE_TEXT(note),
					  STORE_END };
	int rc = store_admin_query(s, "protect", sql, args, NULL, NULL, err,
				   errlen);

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
	const struct store_arg args[] = { STORE_TEXT(domain), STORE_END };
	int rc = store_admin_query(s, "unprotect", sql, args, NULL, NULL, err,
				   errlen);

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
	/* PostgreSQL: domains sorted as bytes, as SQLite sorts them */
	static const char sql_pg[] =
		"SELECT domain, first_seen, last_seen, hits, rule "
		"FROM seen_domains WHERE first_seen >= ?1 "
		"ORDER BY first_seen DESC, domain COLLATE \"C\" LIMIT ?2";
	const struct store_arg args[] = { STORE_INT(since),
					  STORE_INT(max > 0 ? max : -1),
					  STORE_END };
	int rc = store_admin_query(s, "admin seen", s->pg ? sql_pg : sql, args,
				   fn, arg, NULL, 0);

	return rc < 0 ? -1 : 0;
}
