/*
 * NAME
 *	store_pg_detect_sql - the statements of store_pg_detect.c
 * SYNOPSIS
 *	#include "store_pg_int.h"
 * DESCRIPTION
 *	pg_detect_stmts[]: the SQL and parameter types of the statements
 *	PG_DETECT_FIRST on, which pg_exec() (store_pg_conn.c) prepares on
 *	first use.  Data only: a file of its own, so store_pg_conn.c
 *	reads it without depending on the functions that run it.
 */
#include "store_pg_int.h"

_Static_assert(PG_NSTMTS <= 64, "pg_conn.prepared has too few bits");

#define T "25" /* text */
#define B "20" /* bigint */

#define T "25" /* text */
#define B "20" /* bigint */

/* delete a step of a table's rows: $1 the bound, $2 the step */
#define PRUNE(table, where)                                                    \
	{                                                                      \
		"DELETE FROM " table                                           \
		" WHERE ctid = ANY(ARRAY(SELECT ctid FROM " table              \
		" WHERE " where " LIMIT $2))",                                 \
			2,                                                     \
		{                                                              \
			B, B                                                   \
		}                                                              \
	}

/* clang-format off */
const struct pg_stmt_def pg_detect_stmts[PG_NSTMTS - PG_DETECT_FIRST] = {
	/* $1 login, $2 ts, $3 refused, $4 new_rcpt, $5 bounce */
	[PG_EXTRA - PG_DETECT_FIRST] = { "INSERT INTO counts AS c (login, "
		"kind, key, ts, refused, new_rcpt, bounce) VALUES ($1, 0, "
		"($2 / 60)::text, $2 / 60 * 60, $3, $4, $5), ($1, 1, "
		"$2::text, $2, $3, $4, $5) ON CONFLICT (login, kind, key) DO "
		"UPDATE SET refused = c.refused + excluded.refused, new_rcpt = "
		"c.new_rcpt + excluded.new_rcpt, bounce = c.bounce + "
		"excluded.bounce", 5, { T, B, B, B, B } },
	/* $1 login, $2 ts, $3 client_addr, $4 queue_id, $5 kind,
	 * $6 action, $7 detail */
	[PG_EVENT_AGG - PG_DETECT_FIRST] = { "INSERT INTO events AS e (login, "
		"ts, client_addr, queue_id, kind, action, detail, incident_id, "
		"count, agg_minute) VALUES ($1, $2, $3, $4, $5, $6, $7, "
		"(SELECT id FROM incidents WHERE login = $1 AND status = "
		"'open'), 1, $2 / 60) ON CONFLICT (login, kind, action, "
		"agg_minute) WHERE agg_minute IS NOT NULL DO UPDATE SET "
		"count = e.count + 1", 7, { T, B, T, T, T, T, T } },
	/* $1 login, $2 ts, $3 the hashes */
	[PG_CONTACTS - PG_DETECT_FIRST] = { "INSERT INTO contacts AS c (login, "
		"hash, ts) SELECT DISTINCT $1, h, $2 FROM unnest($3::bigint[]) "
		"h ORDER BY 2 ON CONFLICT (login, hash) DO UPDATE SET ts = "
		"greatest(c.ts, excluded.ts)", 3, { T, B, T } },
	/* $1 login, $2 contact_max: the oldest past the newest $2 */
	[PG_BOUND - PG_DETECT_FIRST] = { "DELETE FROM contacts WHERE login = "
		"$1 AND ts <= (SELECT ts FROM contacts WHERE login = $1 ORDER "
		"BY ts DESC LIMIT 1 OFFSET $2)", 2, { T, B } },
	/* $1 ts, $2 the queue ids, $3 daemon_state key (NULL: none),
	 * $4 its value: a bounce per queue id on the login of its newest
	 * message, in the minute and second rows of $1 */
	[PG_BOUNCES - PG_DETECT_FIRST] = { "WITH b AS (INSERT INTO counts AS "
		"c (login, kind, key, ts, bounce) SELECT m.login, k.kind, "
		"CASE k.kind WHEN 0 THEN ($1 / 60)::text ELSE $1::text END, "
		"CASE k.kind WHEN 0 THEN $1 / 60 * 60 ELSE $1 END, count(*) "
		"FROM unnest($2::text[]) q(qid) CROSS JOIN LATERAL (SELECT "
		"login FROM msg_log WHERE queue_id = q.qid ORDER BY ts DESC "
		"LIMIT 1) m CROSS JOIN (VALUES (0), (1)) k(kind) GROUP BY "
		"m.login, k.kind ORDER BY 1, 2 ON CONFLICT (login, kind, key) "
		"DO UPDATE SET bounce = c.bounce + excluded.bounce) "
		"INSERT INTO daemon_state (key, value) SELECT $3, $4 WHERE "
		"$3 IS NOT NULL ON CONFLICT (key) DO UPDATE SET value = "
		"excluded.value", 4, { B, T, T, T } },
	/* $1 login, $2 metric, $3 window_s, $4 ts, $5 count */
	[PG_PEAK - PG_DETECT_FIRST] = { "INSERT INTO peaks AS p (login, "
		"metric, window_s, day, peak) VALUES ($1, $2, $3, $4 / 86400, "
		"$5) ON CONFLICT (login, metric, window_s, day) DO UPDATE SET "
		"peak = greatest(p.peak, excluded.peak)", 5,
		{ T, T, B, B, B } },
	/* $1 login, $2 since, $3 the hashes (distinct) */
	[PG_KNOWN - PG_DETECT_FIRST] = { "SELECT count(*) FROM contacts WHERE "
		"login = $1 AND ts >= $2 AND hash = ANY($3::bigint[])", 3,
		{ T, B, T } },
	/* $1 login, $2 metric, $3 window_s, $4 first day, $5 today */
	[PG_BASELINE - PG_DETECT_FIRST] = { "SELECT peak FROM peaks WHERE "
		"login = $1 AND metric = $2 AND window_s = $3 AND day >= $4 "
		"AND day < $5 ORDER BY peak DESC LIMIT 1 OFFSET 1", 5,
		{ T, T, B, B, B } },
	[PG_PRUNE_LOCK - PG_DETECT_FIRST] = { "SELECT pg_try_advisory_lock("
		"28519, 1)", 0, { 0 } },
	[PG_PRUNE_UNLOCK - PG_DETECT_FIRST] = { "SELECT pg_advisory_unlock("
		"28519, 1)", 0, { 0 } },
	[PG_PRUNE_MSG - PG_DETECT_FIRST] = PRUNE("msg_log", "ts < $1"),
	[PG_PRUNE_SESSION - PG_DETECT_FIRST] =
		PRUNE("session_log", "ts < $1"),
	[PG_PRUNE_COUNTS - PG_DETECT_FIRST] = PRUNE("counts", "ts < $1"),
	[PG_PRUNE_EVENTS - PG_DETECT_FIRST] = PRUNE("events", "ts < $1"),
	[PG_PRUNE_QUARANTINE - PG_DETECT_FIRST] =
		PRUNE("quarantine", "ts < $1 AND status <> 'held'"),
	[PG_PRUNE_INCIDENTS - PG_DETECT_FIRST] =
		PRUNE("incidents", "status <> 'open' AND closed < $1"),
	[PG_PRUNE_CONTACTS - PG_DETECT_FIRST] = PRUNE("contacts", "ts < $1"),
	[PG_PRUNE_PEAKS - PG_DETECT_FIRST] = PRUNE("peaks", "day < $1"),
	[PG_PRUNE_RESERVATIONS - PG_DETECT_FIRST] =
		PRUNE("reservations", "ts < $1"),
};
/* clang-format on */
