/*
 * NAME
 *	store_policy - load a policy snapshot from the policy tables
 * DESCRIPTION
 *	store_policy_load() reads classes, limits, settings, local and
 *	freemail domains, rules (compiled here, once per load) and
 *	protected domains (prepared for the lookalike detector) in one
 *	read transaction.  A row that makes no sense (unknown metric or
 *	action, a window where none belongs, a class that does not exist,
 *	a regex that does not compile, a domain that is not one) is
 *	skipped and recorded in the snapshot's problems, never fatal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "lookalike.h"
#include "network.h"
#include "rules.h"
#include "webmail.h"
#include "store_int.h"

/* col_text - a column as a C string, never NULL */
static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

/* load_classes - the classes table */
static int load_classes(sqlite3 *db, struct policy *p)
{
	sqlite3_stmt *st;
	struct policy_class *grown;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT name FROM classes ORDER BY name", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		grown = realloc(p->classes,
				(p->nclasses + 1) * sizeof(*p->classes));
		if (grown == NULL)
			break;
		p->classes = grown;
		memset(&p->classes[p->nclasses], 0, sizeof(*grown));
		p->classes[p->nclasses].name = strdup(col_text(st, 0));
		if (p->classes[p->nclasses].name != NULL)
			p->nclasses++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* check_limit - parse and validate one limits row; 0 or -1 (problem) */
static int check_limit(struct policy *p, sqlite3_stmt *st,
		       struct policy_limit *l)
{
	long id = sqlite3_column_int64(st, 0);

	l->id = id;
	l->window_s = sqlite3_column_int64(st, 3);
	l->threshold = sqlite3_column_int64(st, 4);
	l->baseline_factor = sqlite3_column_double(st, 6);
	if (policy_metric_parse(col_text(st, 2), &l->metric) < 0) {
		policy_problem(p, "limits id %ld: unknown metric \"%s\"", id,
			       col_text(st, 2));
		return -1;
	}
	if (action_parse(col_text(st, 5), &l->action) < 0) {
		policy_problem(p, "limits id %ld: unknown action \"%s\"", id,
			       col_text(st, 5));
		return -1;
	}
	if (l->metric == METRIC_RCPT_PER_MSG) {
		l->window_s = 0;
	} else if (l->window_s <= 0) {
		policy_problem(p, "limits id %ld: metric %s needs window_s > 0",
			       id, col_text(st, 2));
		return -1;
	}
	if (l->threshold < 0) {
		policy_problem(p, "limits id %ld: negative threshold", id);
		return -1;
	}
	return 0;
}

/* add_limit - append a checked limit to its class */
static int add_limit(struct policy *p, struct policy_class *c,
		     const struct policy_limit *l)
{
	struct policy_limit *grown;

	if (l->window_s > 0 && policy_class_window(c, l->window_s) < 0) {
		if (c->nwindows == POLICY_MAX_WINDOWS) {
			policy_problem(p,
				       "limits id %ld: class %s has more "
				       "than %d windows; row ignored",
				       l->id, c->name, POLICY_MAX_WINDOWS);
			return 0;
		}
		c->windows[c->nwindows++] = l->window_s;
	}
	grown = realloc(c->limits, (c->nlimits + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	c->limits = grown;
	c->limits[c->nlimits++] = *l;
	if (l->window_s > p->max_window)
		p->max_window = l->window_s;
	return 0;
}

/* load_limits - the limits table, into the classes */
static int load_limits(sqlite3 *db, struct policy *p)
{
	static const char sql[] = "SELECT id, class, metric, window_s, "
				  "threshold, action, baseline_factor "
				  "FROM limits ORDER BY id";
	struct policy_class *c;
	struct policy_limit l;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		c = (struct policy_class *)policy_class_find(p,
							     col_text(st, 1));
		if (c == NULL) {
			policy_problem(p,
				       "limits id %lld: no class \"%s\" "
				       "in classes; row ignored",
				       (long long)sqlite3_column_int64(st, 0),
				       col_text(st, 1));
			continue;
		}
		if (check_limit(p, st, &l) == 0 && add_limit(p, c, &l) < 0)
			break;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* load_settings - the settings table */
static int load_settings(sqlite3 *db, struct policy *p)
{
	struct policy_setting *grown;
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT key, value FROM settings", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		grown = realloc(p->settings,
				(p->nsettings + 1) * sizeof(*grown));
		if (grown == NULL)
			break;
		p->settings = grown;
		grown[p->nsettings].key = strdup(col_text(st, 0));
		grown[p->nsettings].value = strdup(col_text(st, 1));
		p->nsettings++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* load_domains - one column of domains into a set */
static int load_domains(sqlite3 *db, struct policy *p, const char *sql,
			struct policy_domains *set, const char *table)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (policy_domains_add(set, col_text(st, 0)) < 0)
			policy_problem(p,
				       "%s: \"%s\" is not a domain; row "
				       "ignored",
				       table, col_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* load_rules - compile the enabled rules */
static int load_rules(sqlite3 *db, struct policy *p)
{
	static const char sql[] = "SELECT id, scope, field, pattern, action, "
				  "reason FROM rules WHERE enabled ORDER BY id";
	sqlite3_stmt *st;
	char err[300];
	int rc;

	if ((p->rules = ruleset_new()) == NULL)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (ruleset_add(p->rules, (long)sqlite3_column_int64(st, 0),
				col_text(st, 1), col_text(st, 2),
				col_text(st, 3), col_text(st, 4),
				(const char *)sqlite3_column_text(st, 5), err,
				sizeof(err)) < 0)
			policy_problem(p, "%s; rule skipped", err);
	sqlite3_finalize(st);
	ruleset_prepare(p->rules);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* load_protected - the protected domains into the lookalike detector */
static int load_protected(sqlite3 *db, struct policy *p)
{
	sqlite3_stmt *st;
	char err[300];
	int rc, i;

	if ((p->lookalike = lookalike_new()) == NULL)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT domain FROM protected_domains", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (lookalike_add(p->lookalike, col_text(st, 0), err,
				  sizeof(err)) < 0)
			policy_problem(p,
				       "protected_domains \"%s\": %s; row "
				       "ignored",
				       col_text(st, 0), err);
		else
			policy_domains_add(&p->protected_domains,
					   col_text(st, 0));
	}
	sqlite3_finalize(st);
	/* the site's own domains: the lookalikes a CEO fraud uses */
	for (i = 0; i < p->local_domains.n; i++)
		lookalike_add(p->lookalike, p->local_domains.names[i], err,
			      sizeof(err));
	return rc == SQLITE_DONE ? 0 : -1;
}

/* load_groups - network_groups: ranges that count as one network */
static int load_groups(sqlite3 *db, struct policy *p)
{
	sqlite3_stmt *st;
	int rc;

	if ((p->groups = network_groups_new()) == NULL)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT cidr, name FROM network_groups", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (network_groups_add(p->groups, col_text(st, 0),
				       col_text(st, 1)) < 0)
			policy_problem(p,
				       "network_groups \"%s\": not a CIDR "
				       "range; row ignored",
				       col_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* load_webmail - webmail_sources, compiled; bad rows are problems */
static int load_webmail(sqlite3 *db, struct policy *p)
{
	sqlite3_stmt *st;
	char err[300];
	int rc;

	if ((p->webmail = webmail_new()) == NULL)
		return -1;
	if (sqlite3_prepare_v2(db,
			       "SELECT network, header, pattern, "
			       "ip_header FROM webmail_sources ORDER BY rowid",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (webmail_add(p->webmail, col_text(st, 0), col_text(st, 1),
				col_text(st, 2), col_text(st, 3), err,
				sizeof(err)) < 0)
			policy_problem(p,
				       "webmail_sources \"%s\": %s; row "
				       "ignored",
				       col_text(st, 0), err);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* load_version - policy_version.version */
static int load_version(sqlite3 *db, struct policy *p)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "SELECT version FROM policy_version", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		p->version = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* store_policy_read - a new snapshot from db, see store_int.h */
struct policy *store_policy_read(sqlite3 *db, char *err, size_t errlen)
{
	struct policy *p;
	int rc;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK &&
	     load_version(db, p) == 0 && load_classes(db, p) == 0 &&
	     load_limits(db, p) == 0 && load_settings(db, p) == 0 &&
	     load_domains(db, p, "SELECT domain FROM local_domains",
			  &p->local_domains, "local_domains") == 0 &&
	     load_domains(db, p, "SELECT domain FROM freemail_domains",
			  &p->freemail_domains, "freemail_domains") == 0 &&
	     load_rules(db, p) == 0 && load_protected(db, p) == 0 &&
	     load_groups(db, p) == 0 && load_webmail(db, p) == 0;
	if (!rc)
		snprintf(err, errlen, "loading policy: %s", sqlite3_errmsg(db));
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (!rc) {
		policy_free(p);
		return NULL;
	}
	policy_finish(p);
	if (policy_class_find(p, "default") == NULL)
		policy_problem(p, "class \"default\" is missing: logins "
				  "without a users row have no limits");
	return p;
}

/* store_policy_load - a new snapshot */
struct policy *store_policy_load(struct store *s, char *err, size_t errlen)
{
	struct policy *p;

	/* PostgreSQL: the tables are copied into s->db first (store_pg.c) */
	if (s->pg && store_pg_policy_sync(s, err, errlen) < 0)
		return NULL;
	lock_acquire(&s->db_lock);
	p = store_policy_read(s->db, err, errlen);
	lock_release(&s->db_lock);
	if (p != NULL && s->pg)
		store_pg_policy_loaded(s, p);
	return p;
}
