#!/bin/bash
# test_pg_reserve.sh - outguard_reserve() is exact across relays
#
# A private PostgreSQL (pg_lib.sh) with schema/postgresql/outguard.sql.
# pgreserve plays two relays at once, 32 connections each (one relay
# over TCP on 127.0.0.1, the other over the unix socket), all sending as
# one login against the default class's tempfail limit of 1,000
# recipients an hour (SPEC 6.2):
#   - one recipient reserved at a time: exactly 1,000 accepted; msg_log,
#     counts (minutes and seconds) hold exactly what was accepted, and
#     no reservation is left;
#   - leases of 8 outside a margin of 64: never more than 1,000, stored
#     equals accepted, and one more connection then gets exactly the
#     rest, and no more;
#   - the msg limit (200 an hour) binds as exactly;
#   - a login on watch gets half, a blocked one nothing;
#   - another relay's live reservation counts, a stale one does not;
#   - mail already stored counts by window: the hour's, the day's;
#   - 300 logins from both relays, far from their limits: one call a
#     message (its lease covers its recipients); the relays' settle
#     batches, which update the same counts rows, do not deadlock, and
#     all is stored;
#   - window edges are exact to the second (fixed times, through psql);
#   - a session is counted by the same call, and networks leave out the
#     session's own.
# Needs pgreserve (PGRESERVE, else a build dir's) and the PostgreSQL
# server; exits 77 (skip) without them.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$HERE/pg_lib.sh"

LOGIN=alice


# expect WHAT WANT GOT
expect()
{
	if [ "$2" = "$3" ]; then
		ok "$1 ($3)"
	else
		bad "$1: want $2, got $3"
	fi
}

# val KEY - KEY's value in the last pgreserve output line
val()
{
	echo "$OUT" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# run ARGS - pgreserve as two relays (TCP and socket); OUT its line
run()
{
	OUT=$("$PGRESERVE" -u "$PG_URI" -u "$PG_URI_SOCK" -l "$LOGIN" "$@") ||
		pg_die "pgreserve $*: $OUT"
	echo "  pgreserve $*: $OUT"
}

# run1 ARGS - pgreserve as one relay with one connection
run1()
{
	OUT=$("$PGRESERVE" -u "$PG_URI" -c 1 -l "$LOGIN" "$@") ||
		pg_die "pgreserve $*: $OUT"
	echo "  pgreserve -c 1 $*: $OUT"
}

# stored - "msg_log rcpts,msg_log rows,counts minute rcpts,counts second
# rcpts,reservations" of the login
stored()
{
	pg_sql "SELECT (SELECT coalesce(sum(rcpts), 0) FROM msg_log
			WHERE login = '$LOGIN'),
		(SELECT count(*) FROM msg_log WHERE login = '$LOGIN'),
		(SELECT coalesce(sum(rcpts), 0) FROM counts
			WHERE login = '$LOGIN' AND kind = 0),
		(SELECT coalesce(sum(rcpts), 0) FROM counts
			WHERE login = '$LOGIN' AND kind = 1),
		(SELECT count(*) FROM reservations)"
}

# reset - forget every count, as outguardctl reset would
reset()
{
	pg_sql "DELETE FROM msg_log; DELETE FROM session_log;
		DELETE FROM counts; DELETE FROM reservations;
		DELETE FROM users" >/dev/null
}

pg_require
PGRESERVE=${PGRESERVE:-}
if [ -z "$PGRESERVE" ]; then
	for f in "$TOP"/build*/test/pg/pgreserve; do
		[ -x "$f" ] && { PGRESERVE=$f; break; }
	done
fi
[ -x "${PGRESERVE:-/nonexistent}" ] || pg_skip "pgreserve not built (set PGRESERVE)"

pg_start
pg_apply "$TOP/schema/postgresql/outguard.sql" >/dev/null ||
	pg_die "schema/postgresql/outguard.sql does not apply"
# default class: 1,000 recipients an hour (tempfail), 2,000 a day, 100
# a message; the header row at 300 refuses nothing and must not cap
pg_sql "UPDATE limits SET threshold = 1000 WHERE class = 'default'
	AND metric = 'rcpt' AND window_s = 3600 AND action = 'tempfail';
	UPDATE limits SET threshold = 100000 WHERE class = 'default'
	AND metric = 'msg'" >/dev/null

echo "# 64 connections on two relays, one recipient reserved at a time"
run -c 32 -m 12 -k 3 -L 1 -M 0
expect "exactly the limit accepted" 1000 "$(val accepted)"
[ "$(val refused)" -gt 0 ] && ok "the rest refused ($(val refused))" ||
	bad "nothing was refused: the run did not reach the limit"
msgs=$(val msgs)
expect "stored: msg_log rcpts, rows; counts minutes, seconds; reservations" \
	"1000,$msgs,1000,1000,0" "$(stored)"

echo "# leases of 8 recipients outside a margin of 64"
reset
run -c 32 -m 10 -k 5 -L 8 -M 64
acc=$(val accepted)
[ "$acc" -le 1000 ] && [ "$acc" -gt 900 ] &&
	ok "no more than the limit accepted ($acc)" ||
	bad "leases: $acc accepted against a limit of 1000"
expect "stored equals accepted, no reservation left" \
	"$acc,$acc,0" "$(stored | cut -d, -f1,3,5)"
run1 -m 300 -k 1 -L 1 -M 0
expect "one more connection gets exactly the rest" \
	$((1000 - acc)) "$(val accepted)"
expect "and no more" 1000 "$(stored | cut -d, -f1)"

echo "# the msg limit: 200 messages an hour"
reset
pg_sql "UPDATE limits SET threshold = 200 WHERE class = 'default'
	AND metric = 'msg'" >/dev/null
run -c 32 -m 4 -k 1 -L 1 -M 0
expect "exactly 200 messages" 200 "$(val msgs)"
expect "stored: 200 rows" 200 "$(stored | cut -d, -f2)"
pg_sql "UPDATE limits SET threshold = 100000 WHERE class = 'default'
	AND metric = 'msg'" >/dev/null

echo "# watch halves the limits, blocked gets nothing"
reset
pg_sql "INSERT INTO users (login, status) VALUES ('$LOGIN', 'watch')" \
	>/dev/null
run -c 32 -m 6 -k 3 -L 1 -M 0
expect "a login on watch: exactly half" 500 "$(val accepted)"
reset
pg_sql "INSERT INTO users (login, status) VALUES ('$LOGIN', 'blocked')" \
	>/dev/null
run -c 4 -m 5 -k 2 -L 1 -M 0
expect "a blocked login: nothing" 0 "$(val accepted)"

echo "# reservations of other relays; stored mail by window"
reset
now=$(date +%s)
pg_sql "INSERT INTO reservations (login, relay, ts, msgs, rcpts) VALUES
	('$LOGIN', 'C', $now, 1, 100),
	('$LOGIN', 'D', $((now - 7200)), 1, 500)" >/dev/null
run -c 8 -m 80 -k 3 -L 1 -M 0
expect "a live reservation of relay C counts, a stale one not" 900 \
	"$(val accepted)"
reset
pg_sql "INSERT INTO msg_log (login, ts, rcpts) VALUES
	('$LOGIN', $((now - 3000)), 300), ('$LOGIN', $((now - 4000)), 300)" \
	>/dev/null
run -c 8 -m 80 -k 3 -L 1 -M 0
expect "300 stored in the hour, 300 before it: 700 left" 700 \
	"$(val accepted)"
reset
pg_sql "INSERT INTO msg_log (login, ts, rcpts) VALUES
	('$LOGIN', $((now - 40000)), 1700)" >/dev/null
run -c 8 -m 30 -k 3 -L 1 -M 0
expect "1,700 stored earlier in the day: the day's 2,000 leave 300" 300 \
	"$(val accepted)"

echo "# many logins: two relays' settle batches share counts rows"
reset
OUT=$("$PGRESERVE" -u "$PG_URI" -u "$PG_URI_SOCK" -l many -n 300 -c 8 \
	-m 300 -k 5 -L 8 -M 64) || bad "pgreserve failed (a deadlock?): $OUT"
echo "  pgreserve -n 300 -c 8 -m 300 -k 5 -L 8 -M 64: $OUT"
expect "every recipient of 300 logins accepted" 0 "$(val refused)"
expect "with one reserve call a message (the lease)" "$(val sent)" \
	"$(val calls)"
expect "and stored" "$(val accepted)" \
	"$(pg_sql "SELECT sum(rcpts) FROM msg_log WHERE login LIKE 'many%'")"

echo "# window edges, to the second (fixed times)"
reset
m0=1699999980	# a minute's first second
t0=$((m0 + 30))	# its 30th second
pg_sql "INSERT INTO msg_log (login, ts, rcpts) VALUES
	('$LOGIN', $t0, 10), ('$LOGIN', $((t0 + 20)), 5)" >/dev/null
# r TS - window_s,rcpts,granted of a call at TS that asks for nothing
r()
{
	pg_sql "SELECT window_s, rcpts, granted FROM outguard_reserve(
		'$LOGIN', $1, 'A', NULL, 0, 0, 0, false, NULL, NULL, '{60}',
		3600)"
}
w='"{60,3600,86400}"'
expect "at m0+3599 the hour holds the whole minute (its minute row)" \
	"$w,\"{0,15,15}\",0" "$(r $((m0 + 3599)))"
expect "at t0+3599 the hour holds t0 on (second rows)" \
	"$w,\"{0,15,15}\",0" "$(r $((t0 + 3599)))"
expect "at t0+3600 the hour has lost t0's 10" \
	"$w,\"{0,5,15}\",0" "$(r $((t0 + 3600)))"
expect "at t0+3620 the hour has lost both" \
	"$w,\"{0,0,15}\",0" "$(r $((t0 + 3620)))"
expect "at t0+79 the caller's 60 s window holds t0+20 only" \
	"$w,\"{5,15,15}\",0" "$(r $((t0 + 79)))"
# g TS WANT - recipients granted at TS (reserved, then forgotten)
g()
{
	pg_sql "SELECT granted FROM outguard_reserve('$LOGIN', $1, 'A',
		NULL, $2, 1, 0, false, NULL, NULL, '{}', 3600);
		DELETE FROM reservations" | head -n 1
}
expect "a grant never passes rcpt_per_msg (100)" 100 "$(g $((t0 + 60)) 5000)"
pg_sql "UPDATE limits SET threshold = 5000 WHERE class = 'default'
	AND metric = 'rcpt_per_msg'" >/dev/null
expect "else it is what the hour leaves (1000 - 15)" 985 \
	"$(g $((t0 + 60)) 5000)"
expect "and the hour is back once it has passed" 1000 \
	"$(g $((t0 + 3620)) 5000)"

echo "# a session counted in the same call; networks but the current one"
# sn TS NETWORK - sessions,networks of a call that counts a session
sn()
{
	pg_sql "SELECT sessions, networks FROM outguard_reserve('bob', $1,
		'A', NULL, 0, 0, 0, true, '192.0.2.1', '$2', '{}', 3600)"
}
expect "the first session is counted, its network is not another" \
	'"{1,1}","{0,0}"' "$(sn $((t0 + 100)) net1)"
expect "a second from another network: two sessions, one other network" \
	'"{2,2}","{1,1}"' "$(sn $((t0 + 101)) net2)"
expect "an hour later the hour has forgotten both" \
	'"{1,3}","{0,2}"' "$(sn $((t0 + 3701)) net3)"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
