#!/bin/bash
# NAME
#	simulate_equals_daemon.sh - simulate decides what the daemon decided
# SYNOPSIS
#	OUTGUARD=/path/outguard OUTGUARDCTL=/path/outguardctl \
#	    bash test/milter/simulate_equals_daemon.sh
# DESCRIPTION
#	Starts the real daemon under libfaketime in a temp dir with a test
#	policy, drives a recorded day of five logins through it over the
#	milter protocol (dayreplay.py drive: an honest user, a spray of
#	one-recipient mail, a list moderator, a login from five networks,
#	a login writing to strangers that escalates to a block;
#	the clock set to each message's time, two days ago), stops it, and
#	then:
#	- runs "outguardctl simulate" with an empty FILE (the policy
#	  unchanged) and checks that, per login, the limits tripped and
#	  how many messages each decided, the first trip, the messages and
#	  recipients refused, and the messages held and stamped are what
#	  the daemon's events rows say (dayreplay.py daemon / sim);
#	- runs it with a stricter FILE and checks the extra trips: the
#	  honest user's 5-recipient message and every list message go
#	  above a cap of 4, the spray is refused from its 21st message;
#	- checks the daemon's database did not change.
#	Every refusal of this day is a whole one-recipient message: what
#	the history holds (msg_log, session_log) can show it.  A message
#	refused in part is stored with its accepted recipients only, so
#	simulate cannot count its refused ones (outguardctl(8)).
# EXIT STATUS
#	0 pass, 1 fail, 77 skipped (sqlite3, python3 or libfaketime missing).
set -u

here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "SKIP: $*"; exit 77; }
[ -x "${OUTGUARD:-}" ] && [ -x "${OUTGUARDCTL:-}" ] ||
	{ echo "OUTGUARD and OUTGUARDCTL must be set"; exit 1; }
command -v sqlite3 >/dev/null || skip "sqlite3 not installed"
command -v python3 >/dev/null || skip "python3 not installed"
ft=
for f in /usr/lib/*/faketime/libfaketimeMT.so.1 \
	/usr/lib/faketime/libfaketimeMT.so.1; do
	[ -r "$f" ] && ft=$f && break
done
[ -n "$ft" ] || skip "libfaketime not installed (Debian package faketime)"

tmp=${TMPDIR:-/tmp}
[ ${#tmp} -le 60 ] || tmp=/tmp
dir=$(mktemp -d "$tmp/og-simd.XXXXXX")
og_pid=
cleanup() {
	[ -z "$og_pid" ] || kill -TERM "$og_pid" 2>/dev/null
	[ -n "${OG_MT_KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
. "$(dirname "$0")/../lib/check.sh"
check() { check_eq "$@"; }

db=$dir/og.db
cat >"$dir/og.conf" <<EOF
Socket unix:$dir/og.sock
Database $db
Syslog no
LogLevel debug
EOF
"$OUTGUARD" -n -c "$dir/og.conf" >"$dir/og.log" 2>&1 ||
	{ cat "$dir/og.log"; exit 1; }
sqlite3 "$db" "DELETE FROM limits;
INSERT INTO limits (id, class, metric, window_s, threshold, action) VALUES
	(1, 'default', 'rcpt_per_msg', 0, 50, 'tempfail'),
	(2, 'default', 'rcpt', 3600, 30, 'header'),
	(3, 'default', 'msg', 3600, 40, 'tempfail'),
	(4, 'default', 'networks', 3600, 3, 'block'),
	(5, 'default', 'rcpt', 86400, 400, 'quarantine'),
	(6, 'default', 'refused', 3600, 5, 'block'),
	(7, 'default', 'new_rcpt', 3600, 8, 'quarantine');"

# two days ago, on the hour: a day of history well inside history_days
base=$(( ($(date +%s) - 2 * 86400) / 3600 * 3600 ))
echo "+0" >"$dir/clock"
# a sanitizer build: libfaketime is preloaded ahead of the ASan runtime
asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
ASAN_OPTIONS=$asan LD_PRELOAD=$ft FAKETIME_TIMESTAMP_FILE=$dir/clock \
	FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 \
	"$OUTGUARD" -f -c "$dir/og.conf" >>"$dir/og.log" 2>&1 &
og_pid=$!
for _ in $(seq 100); do
	[ -S "$dir/og.sock" ] && break
	sleep 0.1
done
[ -S "$dir/og.sock" ] || { cat "$dir/og.log"; echo "FAIL: no socket"; exit 1; }

python3 "$here/dayreplay.py" drive "unix:$dir/og.sock" "$dir/clock" "$base" \
	"$db" >"$dir/plan.json"
check "the day was driven" "$?" 0
kill -TERM "$og_pid"
wait "$og_pid"
check "the daemon stopped cleanly" "$?" 0
og_pid=

# what the day looked like to the daemon
check "messages stored" "$(sqlite3 "$db" 'SELECT count(*) FROM msg_log')" \
	"$(python3 -c 'import json,sys; print(sum(1 for p in json.load(open(sys.argv[1])) if p["accepted"]))' "$dir/plan.json")"
check "the day is in the past" \
	"$(sqlite3 "$db" "SELECT min(ts) >= $base AND max(ts) < $base + 86400 FROM msg_log")" 1
check "hana untouched" \
	"$(sqlite3 "$db" "SELECT count(*) FROM events WHERE login = 'hana'")" 0
check "nina blocked by the daemon" \
	"$(sqlite3 "$db" "SELECT status FROM users WHERE login = 'nina'")" \
	blocked
check "vic blocked by escalation (refused) in the daemon" \
	"$(sqlite3 "$db" "SELECT count(*) FROM events WHERE login = 'vic' AND
		action = 'block' AND detail LIKE 'refused %'"):$(sqlite3 "$db" \
		"SELECT status FROM users WHERE login = 'vic'")" "1:blocked"
check "vic held for new recipients in the daemon" \
	"$(sqlite3 "$db" "SELECT count(*) > 0 FROM events WHERE login = 'vic' AND
		action = 'quarantine' AND detail LIKE 'new_rcpt %'")" 1
before=$(sha256sum <"$db")$(stat -c %Y "$db")
sleep 1

: >"$dir/same.sql"
"$OUTGUARDCTL" -d "$db" --json simulate "$dir/same.sql" >"$dir/same.json"
check "simulate, policy unchanged" "$?" 0
want=$(python3 "$here/dayreplay.py" daemon "$db" "$dir/plan.json")
got=$(python3 "$here/dayreplay.py" sim "$dir/same.json" "$dir/plan.json")
check "simulate = daemon (trips, first, refused, held, stamped)" "$got" "$want"
for who in sam lena nina vic; do
	check "$who tripped in the daemon" \
		"$(sqlite3 "$db" "SELECT count(*) > 0 FROM events WHERE login = '$who'")" 1
done
"$OUTGUARDCTL" -d "$db" simulate "$dir/same.sql" >"$dir/same.txt"
check "text output too" "$?" 0

cat >"$dir/strict.sql" <<'EOF'
UPDATE limits SET threshold = 4 WHERE id = 1;   -- rcpt_per_msg 4
UPDATE limits SET threshold = 20 WHERE id = 3;  -- msg 20 an hour
EOF
"$OUTGUARDCTL" -d "$db" --json simulate "$dir/strict.sql" >"$dir/strict.json"
check "simulate, stricter" "$?" 0
got=$(python3 "$here/dayreplay.py" sim "$dir/strict.json" "$dir/plan.json")
check "stricter: hana's 5-recipient message is capped" \
	"$(python3 -c 'import json,sys; v=json.loads(sys.argv[1])["hana"]; print(v["trips"], v["refused"])' "$got")" \
	"{'rcpt_per_msg 0 tempfail': 1} [1, 1]"
check "stricter: every list message is capped" \
	"$(python3 -c 'import json,sys; v=json.loads(sys.argv[1])["lena"]; print(v["trips"].get("rcpt_per_msg 0 tempfail"), v["refused"])' "$got")" \
	"36 [36, 288]"
check "stricter: the spray is refused from its 21st message" \
	"$(python3 -c 'import json,sys; v=json.loads(sys.argv[1])["sam"]; print(v["first"], v["trips"].get("msg 3600 tempfail", 0) > 0)' "$got")" \
	"20 True"
check "the daemon's database did not change" \
	"$(sha256sum <"$db")$(stat -c %Y "$db")" "$before"

[ "$fail" -eq 0 ] || { echo "daemon: $want"; cat "$dir/same.txt"; }
check_summary
