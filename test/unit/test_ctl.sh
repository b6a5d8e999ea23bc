#!/bin/bash
# NAME
#	test_ctl.sh - outguardctl's commands against a real database
# SYNOPSIS
#	bash test_ctl.sh OUTGUARD OUTGUARDCTL
# DESCRIPTION
#	Creates a database with "outguard -n", fills msg_log, session_log
#	and events with rows of known times and sizes, and checks what
#	every command prints (text and JSON) and what it writes.  Each
#	check says "got X, want Y" when it fails.  Needs sqlite3 and
#	python3 (JSON is checked with python3's json module).
# DIAGNOSTICS
#	Ends with "N passed, N failed"; exits 1 when a check failed.
. "$(dirname "$0")/ctl_lib.sh" test_ctl "$@"

# --- usage and start-up --------------------------------------------------
"$CTL" >/dev/null 2>&1
check "no command exits 2" $? 2
out=$("$CTL" --help)
check "--help exits 0" $? 0
contains "--help lists status" "$out" "status LOGIN"
contains "--help lists events" "$out" "events [--since"
"$CTL" -d "$DB" frobnicate >/dev/null 2>&1
check "unknown command exits 2" $? 2
"$CTL" -c x -d y status a >/dev/null 2>&1
check "-c with -d exits 2" $? 2

ctl status alice
check "missing database exits 1" "$rc" 1
check "missing database message" "$err" \
	"outguardctl: no database at $DB: start outguard once or run outguard -n"
check "missing database not created" "$(test -e "$DB" && echo yes)" ""

ctl_make_db
check "database exists" "$(test -f "$DB" && echo yes)" yes

out=$("$CTL" -c "$T/og.conf" status nobody 2>&1)
check "-c reads Database" $? 0
contains "-c status output" "$out" "Class:"

ctl status
check "status without login exits 2" "$rc" 2
contains "status usage" "$err" "status LOGIN"

# the hourly rcpt numbers this test was written for (schema 6's defaults;
# 007-defaults.sql raised them): the checks below are about outguardctl
sql "UPDATE limits SET threshold = threshold / 2 WHERE metric = 'rcpt' AND
	window_s = 3600 AND threshold IN (600, 1000, 6000, 10000)"
# --- known traffic -------------------------------------------------------
now=$(date +%s)
sql "INSERT INTO msg_log (login, ts, rcpts) VALUES
	('alice', $now - 100, 250), ('alice', $now - 200, 60),
	('alice', $now - 7200, 1000), ('bob', $now - 50, 5),
	('bob', $now - 60, 7), ('dave', $now - 90000, 3);
INSERT INTO session_log (login, ts) VALUES ('alice', $now - 100),
	('carol', $now - 10), ('carol', $now - 20);"

ctl status Alice --json
check "status exits 0" "$rc" 0
check "status login lower-cased" "$(json 'd["login"]')" alice
check "status class" "$(json 'd["class"]')" default
check "status status" "$(json 'd["status"]')" active
check "status known" "$(json 'd["known"]')" False
R1H='l["metric"] == "rcpt" and l["window_s"] == 3600'
check "status rcpt_per_msg count" \
	"$(lim 'l["count"]' 'l["metric"] == "rcpt_per_msg"')" "[None]"
check "status rcpt 1h counts" \
	"$(lim 'l["count"]' "$R1H")" "[310, 310]"
check "status rcpt 1d count" \
	"$(lim 'l["count"]' 'l["window_s"] == 86400')" "[1310]"
check "status msg 1h count" \
	"$(lim 'l["count"]' 'l["metric"] == "msg"')" "[2]"
check "status exceeded" \
	"$(lim '(l["threshold"], l["exceeded"])' "$R1H")" \
	"[(300, True), (500, False)]"
check "status next action" "$(json 'd["next_action"]')" header

ctl status alice
contains "status text marks exceeded" "$out" \
	"rcpt          1h            300  header        310  EXCEEDED"
contains "status text no count" "$out" \
	"rcpt_per_msg  -             100  tempfail        -  -"

# a learned baseline: the second-highest daily peak before today (a
# spike of 900 does not lift it, today's 5000 is not learned yet)
day=$((now / 86400))
sql "UPDATE limits SET baseline_factor = 2 WHERE class = 'default' AND
	metric = 'rcpt' AND window_s = 3600 AND threshold = 500;
INSERT INTO peaks VALUES ('alice', 'rcpt', 3600, $day - 1, 400),
	('alice', 'rcpt', 3600, $day - 2, 900),
	('alice', 'rcpt', 3600, $day - 3, 300),
	('alice', 'rcpt', 3600, $day, 5000),
	('alice', 'rcpt', 3600, $day - 40, 2000);"
ctl status alice --json
check "status baseline" "$(lim '(l["baseline"], l["effective_threshold"])' "$R1H")" \
	"[(None, 300), (400, 800)]"
ctl status alice
contains "status text baseline" "$out" \
	"rcpt          1h            500       400        800  tempfail      310  ok"
ctl status bob --json
check "status without history: the class numbers" \
	"$(lim '(l["baseline"], l["effective_threshold"])' "$R1H")" \
	"[(None, 300), (0, 500)]"
sql "UPDATE limits SET baseline_factor = NULL; DELETE FROM peaks"

# --- top -----------------------------------------------------------------
ctl top --json
check "top exits 0" "$rc" 0
check "top order" "$(rows 'r["login"]')" \
	"['alice', 'bob', 'carol']"
check "top alice" "$(rows '(r["rcpts"], r["msgs"], r["sessions"])')" \
	"[(310, 2, 1), (12, 2, 0), (0, 0, 2)]"
check "top carol sessions only" "$(json 'd[2]["sessions"], d[2]["rcpts"]')" \
	"(2, 0)"
ctl --json top --window 3h --limit 1
check "top window and limit" "$(rows '(r["login"], r["rcpts"])')" \
	"[('alice', 1310)]"
ctl top --window=2d --json
check "top 2d includes dave" "$(rows 'r["login"]')" \
	"['alice', 'bob', 'dave', 'carol']"
ctl top --window 30m
check "top text" "$out" "LOGIN  RCPTS  MSGS  SESSIONS  CLASS    STATUS
alice    310     2         1  default  active
bob       12     2         0  default  active
carol      0     0         2  default  active"
ctl top --window 1x
check "top bad duration exits 2" "$rc" 2

# --- block, unblock ------------------------------------------------------
ctl block Alice phished on friday
check "block exits 0" "$rc" 0
check "block output" "$out" "alice: status blocked (was active)"
check "block users row" "$(sql "SELECT login, class, status, note FROM users")" \
	"alice|default|blocked|phished on friday"
check "block event" \
	"$(sql "SELECT login, kind, action, detail FROM events ORDER BY id DESC LIMIT 1")" \
	"alice|admin|block|phished on friday"
ctl status alice --json
check "blocked status" "$(json 'd["status"], d["note"], d["next_action"]')" \
	"('blocked', 'phished on friday', 'block')"

ctl unblock ALICE --json
check "unblock exits 0" "$rc" 0
check "unblock json" "$(json 'd')" \
	"{'login': 'alice', 'status': 'active', 'previous': 'blocked'}"
check "unblock users row" "$(sql "SELECT status, note FROM users WHERE login = 'alice'")" \
	"active|"

# --- watch halves the thresholds ----------------------------------------
sql "UPDATE users SET status = 'watch' WHERE login = 'alice'"
ctl status alice --json
check "watch effective thresholds" \
	"$(lim '(l["effective_threshold"], l["state"])' 'l["metric"] == "rcpt"')" \
	"[(150, 'exceeded'), (250, 'exceeded'), (1000, 'exceeded')]"
check "watch next action" "$(json 'd["next_action"]')" tempfail
ctl status alice
contains "watch text shows effective" "$out" "EFFECTIVE"

# --- reset ---------------------------------------------------------------
sql "INSERT INTO msg_log (login, ts, rcpts) VALUES ('ALICE', $now - 5, 1)"
ctl reset alice
check "reset exits 0" "$rc" 0
check "reset output" "$out" "alice: counters reset"
check "reset msg_log" "$(sql "SELECT count(*) FROM msg_log WHERE login = 'alice' COLLATE NOCASE")" 0
check "reset session_log" "$(sql "SELECT count(*) FROM session_log WHERE login = 'alice'")" 0
check "reset keeps others" "$(sql "SELECT count(*) FROM msg_log WHERE login = 'bob'")" 2
check "reset keeps status" "$(sql "SELECT status FROM users WHERE login = 'alice'")" watch
ctl status alice --json
check "reset counts zero" "$(lim 'l["count"]')" "[None, 0, 0, 0, 0, 0, 0, 0, 0]"

# --- class ---------------------------------------------------------------
ctl class alice nosuch
check "unknown class exits 1" "$rc" 1
check "unknown class message" "$err" \
	'outguardctl: unknown class "nosuch" (known classes: bulk, default)'
ctl class alice bulk
check "class exits 0" "$rc" 0
check "class output" "$out" "alice: class bulk (was default)"
check "class users row" "$(sql "SELECT class, status FROM users WHERE login = 'alice'")" \
	"bulk|watch"
ctl status alice --json
check "class limits" "$(lim 'l["threshold"]' 'l["window_s"] < 86400')" \
	"[1000, 3000, 5000, 2000, 50, 500, 1200, 1500]"
ctl class carol
check "class without CLASS exits 2" "$rc" 2
ctl class Carol BULK
check "class name as the classes table spells it" "$out" \
	"carol: class bulk (was default)"
check "class event" \
	"$(sql "SELECT login, action, detail FROM events ORDER BY id DESC LIMIT 1")" \
	"carol|class|class default -> bulk"

# --- events --------------------------------------------------------------
sql "INSERT INTO events (ts, login, client_addr, queue_id, kind, action,
	detail) VALUES ($now - 7200, 'bob', '192.0.2.7', '4XyZ1', 'limit',
	'tempfail', 'rcpt 501>500/3600s class=default')"
ctl events --json
check "events exits 0" "$rc" 0
check "events newest first" "$(rows 'r["login"] + "/" + r["action"]')" \
	"['carol/class', 'alice/class', 'alice/reset', 'alice/unblock', 'alice/block', 'bob/tempfail']"
check "events fields" \
	"$(json '[d[-1][k] for k in ("client", "queue_id", "kind", "detail")]')" \
	"['192.0.2.7', '4XyZ1', 'limit', 'rcpt 501>500/3600s class=default']"
check "events time" "$(json 'd[-1]["time"]')" \
	"$(date -u -d @$((now - 7200)) +%Y-%m-%dT%H:%M:%S+00:00)"
ctl events --login BOB --json
check "events --login" "$(rows 'r["login"]')" "['bob']"
ctl events --since 1h --json
check "events --since duration" "$(json 'len(d)')" 5
ctl events --since $((now - 10000)) --limit 2 --json
check "events --since epoch --limit" "$(rows 'r["login"]')" \
	"['carol', 'alice']"
ctl events --login bob
when=$(date -u -d @$((now - 7200)) +%Y-%m-%dT%H:%M:%S+00:00)
check "events text" "$out" \
"TIME                       LOGIN  CLIENT     QUEUE ID  KIND   ACTION    COUNT  DETAIL
$when  bob    192.0.2.7  4XyZ1     limit  tempfail      1  rcpt 501>500/3600s class=default"
ctl events --since yesterday
check "events bad --since exits 2" "$rc" 2
ctl events --login nobody
check "events none" "$out" "$(printf '%s\n%s' \
	"TIME  LOGIN  CLIENT  QUEUE ID  KIND  ACTION  COUNT  DETAIL" "(none)")"

# --- hostile strings stay valid JSON and harmless text --------------------
sql "INSERT INTO events (ts, login, kind, action, detail) VALUES ($now + 100,
	'eve' || char(9) || '\"', 'limit', 'reject', 'a' || char(27) ||
	'[31m\\' || char(10) || CAST(x'ffc0afeda080e282ac' AS TEXT))"
ctl events --limit 1 --json
printf '%s' "$out" | python3 -m json.tool >/dev/null 2>&1
check "hostile JSON is valid" $? 0
check "hostile JSON decoded" "$(json 'ascii(d[0]["login"] + d[0]["detail"])')" \
	"'eve\\t\"a\\x1b[31m\\\\\\n\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\u20ac'"
ctl events --limit 1
check "hostile text escaped" "$(printf '%s' "$out" | tail -n 1 | tr -d '\n' |
	LC_ALL=C grep -c '[[:cntrl:]]')" 0
contains "hostile text shows escapes" "$out" 'a\x1b[31m\\x0a\xff\xc0'

# --- every JSON output parses ---------------------------------------------
for args in "status alice" "top" "events" "block bob" "unblock bob" \
	"reset bob" "class bob bulk"; do
	ctl $args --json
	printf '%s' "$out" | python3 -m json.tool >/dev/null 2>&1
	check "valid JSON: $args" "$?:$rc" "0:0"
done

ctl_finish
