#!/bin/bash
# test_pg_store.sh - the store on PostgreSQL (SPEC 6.2), end to end of lib/
#
# Starts a private PostgreSQL (pg_lib.sh) and checks:
#   - outguard -n on "Database postgresql://..." creates the schema on
#     an empty database (schema_version 5 and the default policy), says
#     ok and prints the URI with its password masked; run again, it
#     changes nothing;
#   - a wrong password: outguard -n and outguardctl exit 1 with libpq's
#     "password authentication failed", and the daemon does not start;
#   - outguardctl -d postgresql://... status reads the policy and counts;
#     every admin command that needs no MTA works and does its work;
#   - exact shared counting: pgstore runs two stores (relays a and b) on
#     one database, 64 threads over both, one login, against a limit
#     of 1,000 recipients an hour: exactly 1,000 are accepted, msg_log
#     and counts hold exactly 1,000, no reservation is left, and the
#     queue ids (with quotes, a backslash, a comma, braces and NULL:
#     the writer sends a batch as arrays) are stored as sent; the
#     same with 2,000, where lookups lease 16 recipients at once;
#   - a policy change made with psql reaches store_policy_version() of
#     a running store through LISTEN/NOTIFY (the delay is printed);
#   - a block made with psql reaches store_user_get() of a running
#     store that holds the login's row (NOTIFY outguard_user);
#   - pg_terminate_backend of every outguard connection: the next
#     message works again (reconnect).
#   - the daemon's mail path (milterload, 300 messages of 3 recipients):
#     msg_log and counts hold every accepted message and session;
#   - OnStoreError enforce (SPEC 6.3): one store sends 600 recipients
#     of bob's 1,000 an hour, PostgreSQL is stopped, the store goes on
#     accepting exactly the 400 left from its own counts (not more,
#     not a mail stop), PostgreSQL is started and everything it
#     counted is written: msg_log holds 1,000.
# Exits 77 (skip) without PostgreSQL.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/pg_lib.sh"

# check WHAT GOT WANT
check()
{
	if [ "$2" = "$3" ]; then
		ok "$1 ($2)"
	else
		bad "$1: got '$2', want '$3'"
	fi
}

pg_require
OUTGUARD=${OUTGUARD:?OUTGUARD: the outguard binary}
OUTGUARDCTL=${OUTGUARDCTL:?OUTGUARDCTL: the outguardctl binary}
MILTERLOAD=${MILTERLOAD:?MILTERLOAD: test/bench/milterload}
PGSTORE=${PGSTORE:?PGSTORE: the pgstore test program}
pg_start

conf=$PG_TMP/outguard.conf
printf 'Database %s\nSocket unix:%s/og.sock\n' "$PG_URI" "$PG_TMP" >"$conf"
out=$("$OUTGUARD" -n -c "$conf" 2>&1)
rc=$?
check "outguard -n on an empty database" "$rc" 0
# the same version and default policy as a new SQLite database
lite=$(mktemp -d /tmp/og-pgstore-lite.XXXXXX)
printf 'Database %s/og.db\nSyslog no\n' "$lite" >"$lite/og.conf"
"$OUTGUARD" -n -c "$lite/og.conf" >/dev/null 2>&1
check "schema created" "$(pg_sql 'SELECT version FROM schema_version')" \
	"$(sqlite3 "$lite/og.db" 'PRAGMA user_version')"
check "default limits" \
	"$(pg_sql "SELECT count(*) FROM limits WHERE class = 'default'")" \
	"$(sqlite3 "$lite/og.db" "SELECT count(*) FROM limits WHERE class = 'default'")"
rm -rf "$lite"
case $out in
*"$PG_PASSWORD"*) bad "outguard -n shows the password" ;;
*'outguard:***@'*) ok "outguard -n masks the password" ;;
*) bad "outguard -n does not name the database: $out" ;;
esac
"$OUTGUARD" -n -c "$conf" >/dev/null 2>&1
check "outguard -n again" "$?" 0
check "still one schema_version row" \
	"$(pg_sql 'SELECT count(*) FROM schema_version')" 1

# a wrong password
wrong=${PG_URI/$PG_PASSWORD/wrong$PG_PASSWORD}
printf 'Database %s\nSocket unix:%s/og2.sock\n' "$wrong" "$PG_TMP" \
	>"$PG_TMP/wrong.conf"
out=$("$OUTGUARD" -n -c "$PG_TMP/wrong.conf" 2>&1)
check "outguard -n, wrong password: exit" "$?" 1
case $out in
*"password authentication failed"*) ok "outguard -n says why" ;;
*) bad "outguard -n, wrong password: $out" ;;
esac
out=$(timeout 30 "$OUTGUARD" -f -c "$PG_TMP/wrong.conf" 2>&1)
check "daemon, wrong password: exit" "$?" 1
case $out in
*"password authentication failed"*) ok "daemon says why" ;;
*) bad "daemon, wrong password: $out" ;;
esac
out=$("$OUTGUARDCTL" -d "$wrong" status alice 2>&1)
check "outguardctl, wrong password: exit" "$?" 1
case $out in
*"wrong$PG_PASSWORD"*) bad "outguardctl shows the password" ;;
*"password authentication failed"*) ok "outguardctl says why" ;;
*) bad "outguardctl, wrong password: $out" ;;
esac

out=$("$OUTGUARDCTL" -d "$PG_URI" status alice 2>&1)
check "outguardctl -d URI status" "$?" 0
case $out in
*"Class:        default"*) ok "status shows the class" ;;
*) bad "status: $out" ;;
esac

# the admin commands that need no MTA, on PostgreSQL
pg_sql "INSERT INTO msg_log (login, ts, rcpts) VALUES
	('dora', extract(epoch from now())::bigint, 3);
INSERT INTO incidents (login, opened, updated, kind, action, trigger)
	VALUES ('dora', 1, 1, 'limit', 'tempfail', 'test')" >/dev/null
for cmd in "top" "block dora testing" "unblock dora" "class dora bulk" \
	"reset dora" "events" "events --login dora" "rules list" \
	"rules test paypal-login.com" "protected add examp1e.com x" \
	"protected list" "protected remove examp1e.com" "seen" \
	"incidents list --all" "incidents show 1" "incidents close 1 done" \
	"--json top"; do
	# shellcheck disable=SC2086
	out=$("$OUTGUARDCTL" -d "$PG_URI" $cmd 2>&1)
	check "outguardctl $cmd" "$?" 0
	case $out in *ERROR*) bad "outguardctl $cmd: $out" ;; esac
done
check "block, unblock, class, reset, close wrote events" \
	"$(pg_sql "SELECT count(*) FROM events WHERE login = 'dora' AND kind = 'admin'")" 5
check "class set" "$(pg_sql "SELECT class FROM users WHERE login = 'dora'")" bulk
check "reset cleared msg_log" \
	"$(pg_sql "SELECT count(*) FROM msg_log WHERE login = 'dora'")" 0
check "incident closed" \
	"$(pg_sql "SELECT status FROM incidents WHERE id = 1")" closed

# exact shared counting: 1,000 recipients an hour, two relays
pg_sql "DELETE FROM limits WHERE class = 'default';
INSERT INTO limits (class, metric, window_s, threshold, action)
VALUES ('default', 'rcpt', 3600, 1000, 'tempfail')" >/dev/null
out=$("$PGSTORE" "$PG_URI" alice 64 12 2)
check "pgstore ran" "$?" 0
check "two relays, 64 threads: accepted" "$out" "accepted 1000"
check "msg_log holds what was accepted" \
	"$(pg_sql "SELECT sum(rcpts) FROM msg_log WHERE login = 'alice'")" 1000
check "counts hold it" \
	"$(pg_sql "SELECT sum(rcpts) FROM counts WHERE login = 'alice' AND kind = 0")" 1000
check "no reservation left" "$(pg_sql 'SELECT count(*) FROM reservations')" 0
# the writer sends a batch's values as arrays: quotes, a backslash, a
# comma, braces and the word NULL arrive as they were (pgstore's QID)
check "queue ids stored as sent" \
	"$(pg_sql "SELECT count(*) FROM msg_log WHERE login = 'alice'
	AND queue_id IS DISTINCT FROM 'Q\"1\\,{x} NULL'")" 0

# far from the limit a lookup leases 16 recipients (PG_LEASE, while
# every limit leaves 1,024 more): still exactly the limit
pg_sql "UPDATE limits SET threshold = 2000 WHERE class = 'default'" >/dev/null
out=$("$PGSTORE" "$PG_URI" erin 64 20 2)
check "with leases, 2,000 an hour: accepted" "$out" "accepted 2000"
check "msg_log holds it" \
	"$(pg_sql "SELECT sum(rcpts) FROM msg_log WHERE login = 'erin'")" 2000
check "no reservation left" "$(pg_sql 'SELECT count(*) FROM reservations')" 0

# live policy through LISTEN/NOTIFY
"$PGSTORE" "$PG_URI" watch >"$PG_TMP/watch.out" 2>&1 &
wpid=$!
for _ in $(seq 100); do
	grep -q ready "$PG_TMP/watch.out" && break
	sleep 0.1
done
pg_sql "UPDATE limits SET threshold = 1001 WHERE class = 'default'" >/dev/null
wait $wpid
check "watch saw the change" "$?" 0
echo "# $(cat "$PG_TMP/watch.out" | tr '\n' ' ') (ms after ready)"

# a block made with psql reaches store_user_get() (NOTIFY outguard_user)
"$PGSTORE" "$PG_URI" block carol >"$PG_TMP/block.out" 2>&1 &
wpid=$!
for _ in $(seq 100); do
	grep -q ready "$PG_TMP/block.out" && break
	sleep 0.1
done
pg_sql "INSERT INTO users (login, status) VALUES ('carol', 'blocked')" \
	>/dev/null
wait $wpid
check "a block reaches a running store" "$?" 0
echo "# $(tr '\n' ' ' <"$PG_TMP/block.out")(ms after ready)"

# connections cut: the next message reconnects
pg_sql "UPDATE limits SET threshold = 1010 WHERE class = 'default'" >/dev/null
pg_super -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'outguard'" >/dev/null
out=$("$PGSTORE" "$PG_URI" alice 2 5 1)
check "after pg_terminate_backend" "$out" "accepted 10"

# OnStoreError enforce: PostgreSQL stopped in the middle
pg_sql "UPDATE limits SET threshold = 1000 WHERE class = 'default'" >/dev/null
coproc OUTAGE { "$PGSTORE" "$PG_URI" outage bob 150 2 2>"$PG_TMP/outage.err"; }
read -r -t 120 p1 <&"${OUTAGE[0]}"
check "outage phase 1 (database up)" "$p1" "phase1 600"
pg_server_stop
echo go >&"${OUTAGE[1]}"
read -r -t 120 p2 <&"${OUTAGE[0]}"
check "outage phase 2 (database stopped): the rest of the limit" \
	"$p2" "phase2 400"
pg_server_start
echo go >&"${OUTAGE[1]}"
read -r -t 120 p3 <&"${OUTAGE[0]}"
check "outage phase 3 (database back)" "$p3" closed
check "what was counted during the outage is written" \
	"$(pg_sql "SELECT sum(rcpts) FROM msg_log WHERE login = 'bob'")" 1000
grep -q "enforcing the limits" "$PG_TMP/outage.err" &&
	ok "the outage is logged" || bad "no log of the outage"
grep -q "writes reach PostgreSQL again" "$PG_TMP/outage.err" &&
	ok "the return is logged" || bad "no log of the return"
sed 's/^/# /' "$PG_TMP/outage.err" | grep -v "store error" | head -n 8

# the daemon's mail path: every message it accepts reaches msg_log
# and counts (settled by the writer, in batches), none is left reserved
pg_sql "UPDATE limits SET threshold = 1000000 WHERE class = 'default';
INSERT INTO local_domains VALUES ('example.test') ON CONFLICT DO NOTHING" \
	>/dev/null
printf 'Database %s\nSocket unix:%s/mail.sock\nSyslog no\n' "$PG_URI" \
	"$PG_TMP" >"$PG_TMP/mail.conf"
"$OUTGUARD" -f -c "$PG_TMP/mail.conf" >"$PG_TMP/mail.log" 2>&1 &
ogpid=$!
for _ in $(seq 100); do
	[ -S "$PG_TMP/mail.sock" ] && break
	sleep 0.1
done
"$MILTERLOAD" -s "unix:$PG_TMP/mail.sock" -c 4 -n 300 -r 3 -l 20 -q \
	>"$PG_TMP/ml.out" 2>&1
check "milterload through the daemon" "$?" 0
kill -TERM "$ogpid"
wait "$ogpid"
ml=$(grep -o 'continue=[0-9]* accept=[0-9]*' "$PG_TMP/ml.out")
check "the daemon accepted every message" "$ml" "continue=300 accept=0"
check "msg_log holds them" "$(pg_sql "SELECT count(*) || ' ' || sum(rcpts)
	FROM msg_log WHERE login LIKE 'user%'")" "300 900"
check "counts hold them" "$(pg_sql "SELECT sum(msgs) || ' ' || sum(rcpts)
	|| ' ' || sum(sessions) FROM counts WHERE login LIKE 'user%'
	AND kind = 0")" "300 900 300"
check "no reservation left by the daemon" \
	"$(pg_sql 'SELECT count(*) FROM reservations')" 0

echo "$PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
