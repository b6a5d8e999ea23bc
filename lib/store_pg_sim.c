/*
 * NAME
 *	store_pg_sim - outguardctl simulate's reads on PostgreSQL
 * SYNOPSIS
 *	#include "store_pg_int.h"
 * DESCRIPTION
 *	store_sim.c builds its private in-memory SQLite copy the same way
 *	on both stores; on PostgreSQL these two functions stand for the
 *	ATTACH of the live file and the read of the history.
 *	store_pg_sim_copy() copies the policy tables, in one snapshot,
 *	into the copy's tables of the same names, column by column as the
 *	copy's (SQLite) schema names them (a column PostgreSQL lacks is an
 *	error); the daemon's policy mirror is filled the same way
 *	(store_pg_policy_sync).  store_pg_sim_history() runs the history query and hands
 *	its rows over one at a time (libpq's single-row mode: the history
 *	is never held in memory whole), ordered by login bytes as SQLite
 *	orders them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg_int.h"

/* The history of store_sim.c's hist_sql, in PostgreSQL's dialect. */
static const char hist_sql[] =
	"SELECT * FROM (SELECT login, ts, 0 AS k, 0 AS n, 0 AS nr, "
	"client_addr FROM session_log WHERE ts >= $1 UNION ALL "
	"SELECT login, ts, 1, rcpts, new_rcpt, client_addr FROM msg_log "
	"WHERE ts >= $1 UNION ALL "
	"SELECT login, ts, 2, bounce, 0, NULL FROM counts WHERE kind = 0 "
	"AND bounce > 0 AND ts >= $1) h "
	"ORDER BY login COLLATE \"C\", ts, k";

/* sim_columns - table's columns in db, "a, b, c" and "?,?,?"; n or -1 */
static int sim_columns(sqlite3 *db, const char *table, char *cols, size_t clen,
		       char *marks, size_t mlen)
{
	sqlite3_stmt *st = NULL;
	size_t c = 0, m = 0;
	int n = 0;

	cols[0] = marks[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1)", -1,
			       &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW && c < clen && m < mlen) {
		c += snprintf(cols + c, clen - c, "%s\"%s\"", n ? ", " : "",
			      (const char *)sqlite3_column_text(st, 0));
		m += snprintf(marks + m, mlen - m, "%s?", n ? "," : "");
		n++;
	}
	sqlite3_finalize(st);
	return c < clen && m < mlen ? n : -1;
}

/* sim_copy_table - one table's rows from c into db's table; 0 or -1 */
static int sim_copy_table(PGconn *c, sqlite3 *db, const char *table, char *err,
			  size_t errlen)
{
	char cols[1024], marks[256], sql[1400];
	sqlite3_stmt *st = NULL;
	PGresult *r = NULL;
	int i, j, n, rc = -1;

	if ((n = sim_columns(db, table, cols, sizeof(cols), marks,
			     sizeof(marks))) <= 0) {
		snprintf(err, errlen, "copying the policy: no table %s", table);
		return -1;
	}
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s", cols, table);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "copying the policy: %s: %s", table,
			 PQerrorMessage(c));
		err[strcspn(err, "\n")] = '\0';
		goto out;
	}
	snprintf(sql, sizeof(sql), "DELETE FROM main.%s", table);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		goto sqlerr;
	snprintf(sql, sizeof(sql), "INSERT INTO main.%s (%s) VALUES (%s)",
		 table, cols, marks);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto sqlerr;
	for (i = 0; i < PQntuples(r); i++) {
		for (j = 0; j < n; j++)
			if (PQgetisnull(r, i, j))
				sqlite3_bind_null(st, j + 1);
			else
				sqlite3_bind_text(st, j + 1,
						  PQgetvalue(r, i, j), -1,
						  SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto sqlerr;
		sqlite3_reset(st);
	}
	rc = 0;
	goto out;
sqlerr:
	snprintf(err, errlen, "copying the policy: %s: %s", table,
		 sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	PQclear(r);
	return rc;
}

/* store_pg_sim_copy - the policy tables into db, one snapshot */
int store_pg_sim_copy(struct store *s, sqlite3 *db, const char *const *tables,
		      int ntables, char *err, size_t errlen)
{
	struct pg_conn *pc = pg_get(s);
	int i, rc = -1;

	if (pc == NULL) {
		snprintf(err, errlen, "copying the policy: cannot connect");
		return -1;
	}
	if (pg_simple(pc->c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
		      err, errlen) < 0)
		goto out;
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < ntables; i++)
		if (sim_copy_table(pc->c, db, tables[i], err, errlen) < 0)
			break;
	rc = i == ntables ? 0 : -1;
	sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	pg_simple(pc->c, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, 0);
out:
	pg_put(s, pc);
	return rc;
}

/* store_pg_sim_history - the history rows to fn, one at a time */
int store_pg_sim_history(struct store *s, long long since, store_hist_fn fn,
			 void *arg, char *err, size_t errlen)
{
	const Oid types[1] = { 20 }; /* bigint */
	struct pg_conn *pc = pg_get(s);
	const char *v[1];
	char num[24];
	PGresult *r;
	int rc = 0, stop = 0;

	if (pc == NULL) {
		snprintf(err, errlen, "reading the history: cannot connect");
		return -1;
	}
	snprintf(num, sizeof(num), "%lld", since);
	v[0] = num;
	if (!PQsendQueryParams(pc->c, hist_sql, 1, types, v, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(pc->c)) {
		snprintf(err, errlen, "reading the history: %s",
			 PQerrorMessage(pc->c));
		err[strcspn(err, "\n")] = '\0';
		rc = -1;
	}
	/* every result is read, also after fn stopped or failed */
	while (rc == 0 && (r = PQgetResult(pc->c)) != NULL) {
		if (PQresultStatus(r) == PGRES_SINGLE_TUPLE && !stop)
			stop = fn(arg, PQgetvalue(r, 0, 0),
				  atoll(PQgetvalue(r, 0, 1)),
				  atoi(PQgetvalue(r, 0, 2)),
				  atoi(PQgetvalue(r, 0, 3)),
				  atoi(PQgetvalue(r, 0, 4)),
				  PQgetisnull(r, 0, 5) ? NULL
						       : PQgetvalue(r, 0, 5));
		else if (PQresultStatus(r) != PGRES_SINGLE_TUPLE &&
			 PQresultStatus(r) != PGRES_TUPLES_OK) {
			snprintf(err, errlen, "reading the history: %s",
				 PQresultErrorMessage(r));
			err[strcspn(err, "\n")] = '\0';
			PQclear(r);
			while ((r = PQgetResult(pc->c)) != NULL)
				PQclear(r);
			rc = -1;
			break;
		}
		PQclear(r);
	}
	pg_put(s, pc);
	return rc;
}
