#!/bin/bash
# NAME
#	test_ctl_simulate.sh - outguardctl simulate against a real database
# SYNOPSIS
#	bash test_ctl_simulate.sh OUTGUARD OUTGUARDCTL
# DESCRIPTION
#	Creates a database with "outguard -n", writes a history of known
#	times into msg_log and session_log, and checks simulate's text and
#	JSON with the policy unchanged and changed, --since and
#	history_days, and FILE errors: a bad statement or one touching
#	anything but the policy tables exits 2 and changes nothing.  After
#	every run the database file's bytes, its mtime and policy_version
#	must be what they were.
# DIAGNOSTICS
#	Ends with "N passed, N failed"; exits 1 when a check failed.
. "$(dirname "$0")/ctl_lib.sh" test_ctl_simulate "$@"

ctl_make_db
# the hourly rcpt numbers this test was written for (schema 6's defaults;
# 007-defaults.sql raised them): the checks below are about outguardctl
sql "UPDATE limits SET threshold = threshold / 2 WHERE metric = 'rcpt' AND
	window_s = 3600 AND threshold IN (600, 1000, 6000, 10000)"
NOW=$(date +%s)
H=$((NOW - 7200)) # two hours ago: alice's busy hour starts

# alice: one session, then 60 messages of 9 recipients a minute apart
# (540 in the hour: the default header stage at 300, tempfail at 500);
# bob: 3 quiet messages; carol: sessions from 7 networks in 7 minutes
# (the default networks limit blocks above 5), a message after each
sql "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n
	WHERE i < 59)
INSERT INTO msg_log (login, ts, rcpts, client_addr)
	SELECT 'alice', $H + i * 60, 9, '192.0.2.1' FROM n;
INSERT INTO session_log (login, ts, client_addr, network)
	VALUES ('alice', $H, '192.0.2.1', '192.0.2.0/24');
INSERT INTO session_log (login, ts, client_addr, network)
	VALUES ('bob', $H, '198.51.100.7', '198.51.100.0/24');
INSERT INTO msg_log (login, ts, rcpts, client_addr) VALUES
	('bob', $H, 2, '198.51.100.7'), ('bob', $H + 600, 1, '198.51.100.7'),
	('bob', $H + 1200, 3, '198.51.100.7');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 7)
INSERT INTO session_log (login, ts, client_addr, network)
	SELECT 'carol', $H + i * 60, '10.0.' || i || '.9', '10.0.' || i || '.0/24'
	FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5)
INSERT INTO msg_log (login, ts, rcpts, client_addr)
	SELECT 'carol', $H + i * 60, 1, '10.0.' || i || '.9' FROM n;"

# live_state - what must not move: bytes, mtime, policy_version
live_state() {
	echo "$(sha256sum <"$DB") $(stat -c %Y.%s "$DB") $(sql \
		'SELECT version FROM policy_version')"
}
BEFORE=$(live_state)
sleep 1 # an mtime a write would move

printf '' >"$T/empty.sql"
ctl simulate "$T/empty.sql"
check "unchanged policy exits 0" "$rc" 0
contains "summary" "$out" "3 logins, 9 sessions, 68 messages, 551 recipients; 2 logins tripped"
line=$(printf '%s\n' "$out" | grep '^alice .* 1h ' | grep header)
contains "alice's header stage" "$line" "300  header"
ctl --json simulate "$T/empty.sql"
valid "unchanged policy"
check "logins tripped" "$(json 'd["logins_tripped"]')" 2
check "alice: refused, stamped" \
	"$(json '[(l["refused_msgs"], l["refused_rcpts"], l["stamped_msgs"], l["stamped_rcpts"]) for l in d["logins"] if l["login"] == "alice"]')" \
	"[(5, 40, 23, 203)]"
check "alice's trips" \
	"$(json '[(t["limit_id"], t["metric"], t["window_s"], t["action"], t["msgs"], t["rcpts"]) for t in d["trips"] if t["login"] == "alice"]')" \
	"[(2, 'rcpt', 3600, 'header', 23, 203), (3, 'rcpt', 3600, 'tempfail', 5, 40)]"
check "alice's first trip: the 34th message" \
	"$(json '[l["first"] for l in d["logins"] if l["login"] == "alice"][0]')" \
	"$(date -u -d @$((H + 33 * 60)) +%Y-%m-%dT%H:%M:%S+00:00)"
check "carol blocked at the 6th network" \
	"$(json '[(l["blocked"], l["refused_msgs"], l["attempts"]) for l in d["logins"] if l["login"] == "carol"]')" \
	"[('$(date -u -d @$((H + 360)) +%Y-%m-%dT%H:%M:%S+00:00)', 2, 2)]"
check "carol's trips" \
	"$(json '[(t["metric"], t["action"], t["msgs"]) for t in d["trips"] if t["login"] == "carol"]')" \
	"[('networks', 'block', 1), ('blocked', 'tempfail', 1)]"

# a stricter policy: bob's class gets a limit of 4 recipients an hour
cat >"$T/strict.sql" <<'EOF'
-- bob moves to a strict class
INSERT INTO classes (name) VALUES ('strict');
INSERT INTO limits (class, metric, window_s, threshold, action)
	VALUES ('strict', 'rcpt', 3600, 4, 'tempfail');
UPDATE users SET class = 'strict' WHERE login = 'bob';
INSERT INTO users (login, class) SELECT 'bob', 'strict'
	WHERE NOT EXISTS (SELECT 1 FROM users WHERE login = 'bob');
UPDATE limits SET threshold = 200 WHERE class = 'default' AND id = 3;
EOF
ctl --json simulate "$T/strict.sql"
valid "stricter policy"
check "three logins trip" "$(json 'd["logins_tripped"]')" 3
check "bob refused 2 of the third message" \
	"$(json '[(l["refused_msgs"], l["refused_rcpts"]) for l in d["logins"] if l["login"] == "bob"]')" \
	"[(1, 2)]"
# refused from the 23rd message (7 + 4 x 9 = 43 refusals by the 27th);
# in the 28th the 9th refusal makes 51: the default refused row blocks
check "alice refused from the 23rd message" \
	"$(json '[(t["threshold"], t["msgs"], t["rcpts"]) for t in d["trips"] if t["login"] == "alice" and t["limit_id"] == 3]')" \
	"[(200, 5, 43)]"
check "alice blocked by escalation in the 28th message" \
	"$(json '[(l["blocked"], l["refused_msgs"]) for l in d["logins"] if l["login"] == "alice"]')" \
	"[('$(date -u -d @$((H + 27 * 60)) +%Y-%m-%dT%H:%M:%S+00:00)', 38)]"
check "alice's escalation trip" \
	"$(json '[(t["metric"], t["window_s"], t["threshold"], t["action"], t["msgs"], t["rcpts"]) for t in d["trips"] if t["login"] == "alice" and t["metric"] == "refused"]')" \
	"[('refused', 3600, 50, 'block', 1, 9)]"
ctl simulate "$T/strict.sql"
contains "text names bob's class limit" "$out" "bob"

# --since after alice's hour: nothing of hers is reported
ctl --json simulate --since "$((H + 3700))" "$T/empty.sql"
check "--since narrows" "$(json 'd["logins_tripped"]'):$(json 'd["msgs"]')" "0:0"
# history_days from the FILE's settings: 0 days is nothing
echo "INSERT OR REPLACE INTO settings VALUES ('history_days', '0');" >"$T/days.sql"
ctl --json simulate "$T/days.sql"
check "history_days 0" "$(json 'd["msgs"]')" 0
echo "SELECT 1;" | "$CTL" -d "$DB" simulate - >/dev/null 2>&1
check "FILE - is standard input" "$?" 0

# FILE errors: exit 2, the statement's line, nothing changed
printf 'UPDATE limits SET threshold = 1;\n\nUPDATE nosuch SET x = 1;\n' \
	>"$T/bad.sql"
ctl simulate "$T/bad.sql"
check "bad statement exits 2" "$rc" 2
check "bad statement message" "$err" \
	"outguardctl: $T/bad.sql, line 3: no such table: nosuch (nothing was changed)"
check "bad statement prints nothing" "$out" ""
for stmt in "DELETE FROM msg_log" "INSERT INTO events (ts, kind, action) VALUES (1, 'x', 'y')" \
	"UPDATE counts SET msgs = 0" "ATTACH '$DB' AS other" "PRAGMA user_version = 1" \
	"DROP TABLE limits" "CREATE TABLE x (a)" "DETACH main" \
	"UPDATE limits SET threshold = 1; DELETE FROM session_log"; do
	echo "$stmt;" >"$T/deny.sql"
	ctl simulate "$T/deny.sql"
	check "refused: $stmt" "$rc" 2
	contains "refused says why: $stmt" "$err" "not authorized"
done
ctl simulate "$T/none.sql"
check "missing FILE exits 2" "$rc" 2
contains "missing FILE message" "$err" "No such file"
ctl simulate
check "no FILE is a usage error" "$rc" 2
ctl simulate --since nonsense "$T/empty.sql"
check "bad --since exits 2" "$rc" 2

check "the live database did not change" "$(live_state)" "$BEFORE"
check "no events written" "$(sql 'SELECT count(*) FROM events')" 0
ctl_finish
