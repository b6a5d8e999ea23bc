/*
 * NAME
 *	sql_int - one integer from a SQLite database, for the unit tests
 * SYNOPSIS
 *	#include "sql_int.h"
 *	long long n = sql_int_at(path, "SELECT count(*) FROM msg_log");
 * DESCRIPTION
 *	Opens path on a connection of its own, runs the statement and
 *	returns the first column of its first row; -1 when the database
 *	cannot be opened, the statement fails or returns no row.
 */
#ifndef OUTGUARD_SQL_INT_H
#define OUTGUARD_SQL_INT_H

#include <sqlite3.h>

/* sql_int_at - the first column of the first row of text at path */
static inline long long sql_int_at(const char *path, const char *text)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	long long v = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, text, -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return v;
}

#endif
