#!/bin/bash
# NAME
#	run-simulate.sh - how long outguardctl simulate takes on a big history
# SYNOPSIS
#	bash test/bench/run-simulate.sh OUTGUARD OUTGUARDCTL [ROWS] [LOGINS]
# DESCRIPTION
#	Makes a database with "outguard -n" in a temp dir, fills msg_log
#	and session_log with ROWS rows (default 1000000: nine messages of
#	1-20 recipients per session) of LOGINS logins (default 1000) over
#	the last 30 days, from a few networks each, then times simulate
#	with the policy unchanged and with a stricter hourly limit, and
#	prints the wall time, CPU time and peak memory of each run.
set -eu
OG=$1
CTL=$2
ROWS=${3:-1000000}
LOGINS=${4:-1000}
T=$(mktemp -d /tmp/simbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
printf 'Database %s/og.db\nSocket unix:%s/og.sock\nSyslog no\n' "$T" "$T" \
	>"$T/og.conf"
"$OG" -n -c "$T/og.conf" >/dev/null 2>&1
NOW=$(date +%s)
SESS=$((ROWS / 10))
sqlite3 "$T/og.db" <<SQL
PRAGMA journal_mode=WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n
	WHERE i < $SESS - 1)
INSERT INTO session_log (login, ts, client_addr, network)
	SELECT 'user' || (i % $LOGINS), $NOW - 2592000 + i * (2592000 / $SESS),
	'10.' || (i % 7) || '.' || (i % $LOGINS % 250) || '.1', NULL FROM n;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n
	WHERE i < $SESS * 9 - 1)
INSERT INTO msg_log (login, ts, rcpts, client_addr)
	SELECT 'user' || (i / 9 % $LOGINS),
	$NOW - 2592000 + (i / 9) * (2592000 / $SESS) + i % 9,
	1 + (i * 7919) % 20,
	'10.' || (i / 9 % 7) || '.' || (i / 9 % $LOGINS % 250) || '.1' FROM n;
COMMIT;
SQL
echo "history: $(sqlite3 "$T/og.db" 'SELECT (SELECT count(*) FROM msg_log) || " messages, " || (SELECT count(*) FROM session_log) || " sessions"')"
: >"$T/same.sql"
echo "UPDATE limits SET threshold = threshold / 4 WHERE metric = 'rcpt';" \
	>"$T/strict.sql"
for f in same strict; do
	/usr/bin/time -f "$f.sql: %e s wall, %U s user, %S s sys, %M KB peak" \
		"$CTL" -d "$T/og.db" simulate "$T/$f.sql" >"$T/$f.out"
	head -1 "$T/$f.out"
done
