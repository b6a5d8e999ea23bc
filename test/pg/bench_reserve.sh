#!/bin/bash
# bench_reserve.sh - what outguard_reserve() costs (a benchmark, not a test)
#
# usage: bash test/pg/bench_reserve.sh [PGRESERVE]
#
# A private PostgreSQL (pg_lib.sh, fsync on as in production) with
# schema/postgresql/outguard.sql and limits too high to refuse.  Prints,
# over TCP on 127.0.0.1 and over the unix socket:
#   - the round trip of SELECT 1 (pgbench, one connection): the floor;
#   - one connection, 10,000 logins, one recipient a message: the time
#     of a reserve call and messages per second;
#   - two relays of 8 connections, 10,000 logins: messages per second;
#   - two relays of 32 connections, one login (the hot case: every call
#     waits for the login's lock): messages per second;
#   - leases of 8 recipients for 1-5 recipient messages: reserve calls
#     per message.
# Each message's settle is batched by its relay's writer (not timed per
# call, included in messages per second).  Run it on a quiet machine:
# it prints the load average with the figures.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
PG_FSYNC=${PG_FSYNC:-on}
. "$HERE/pg_lib.sh"
P=${1:-${PGRESERVE:-$TOP/build/test/pg/pgreserve}}
[ -x "$P" ] || pg_skip "pgreserve not built: $P"
pg_require
pg_start
pg_apply "${SCHEMA:-$TOP/schema/postgresql/outguard.sql}" >/dev/null ||
	pg_die "schema does not apply"
pg_sql "UPDATE limits SET threshold = 1000000000 WHERE action <> 'header'" \
	>/dev/null
echo "SELECT 1;" >"$PG_TMP/s1.sql"
# time spent inside the functions, per call (pg_stat_user_functions)
pg_super -c "ALTER SYSTEM SET track_functions = 'all'" \
	-c "SELECT pg_reload_conf()" >/dev/null

# inside - the time a call spent inside each function since the last
# call of inside (lock waits included)
inside()
{
	sleep 1	# the backends' statistics reach the shared ones
	pg_super -At -c "SELECT string_agg(funcname || ' ' ||
		round((self_time / calls * 1000)::numeric) || ' us', ', ')
		FROM pg_stat_user_functions WHERE funcname LIKE 'outguard_%'
		AND calls > 0" -c "SELECT pg_stat_reset()" | head -n 1
}

# pick KEY... - the named values of pgreserve's line on stdin
pick()
{
	local line k out=
	read -r line
	for k in "$@"; do
		out="$out $k=$(echo "$line" | tr ' ' '\n' | sed -n "s/^$k=//p")"
	done
	echo "$out"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs, fsync=$PG_FSYNC"
for via in tcp socket; do
	if [ "$via" = tcp ]; then
		uri=$PG_URI host=127.0.0.1
	else
		uri=$PG_URI_SOCK host=$PG_SOCKDIR
	fi
	echo "== $via"
	PGPASSWORD=$PG_PASSWORD "$PG_BIN/pgbench" -n -M prepared -h "$host" \
		-p "$PG_PORT" -U "$PG_USER" -f "$PG_TMP/s1.sql" -c 1 -t 5000 \
		"$PG_DB" 2>&1 | sed -n 's/^latency average = /SELECT 1 round trip: /p'
	inside >/dev/null
	echo "1 connection, 10,000 logins:$("$P" -u "$uri" -c 1 -m 3000 \
		-n 10000 -l u$via -k 1 | pick mean_us p99_us msgs_per_s)"
	echo "  inside the server: $(inside)"
	echo "2 relays x 8 connections, 10,000 logins:$("$P" -u "$uri" \
		-u "$uri" -c 8 -m 500 -n 10000 -l v$via -k 1 |
		pick mean_us p99_us msgs_per_s)"
	echo "2 relays x 32 connections, one login:$("$P" -u "$uri" -u "$uri" \
		-c 32 -m 40 -l hot$via -k 1 | pick mean_us p99_us msgs_per_s)"
	echo "leases of 8, 1-5 recipients, 10,000 logins:$("$P" -u "$uri" \
		-c 4 -m 500 -n 10000 -l w$via -k 5 -L 8 -M 64 |
		pick calls_per_msg mean_us msgs_per_s)"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
