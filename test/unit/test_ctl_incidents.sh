#!/bin/bash
# NAME
#	test_ctl_incidents.sh - outguardctl incidents against a real database
# SYNOPSIS
#	bash test_ctl_incidents.sh OUTGUARD OUTGUARDCTL
# DESCRIPTION
#	Creates a database with "outguard -n", writes incidents, their
#	quarantine rows, users and events with SQL, and checks list and
#	show (text and JSON), close, release and delete of incidents
#	without held mail (no MTA needed), the refusal to settle a closed
#	incident, and that an incident whose held mail the MTA's tools
#	cannot reach (MAIL_CONFIG names no Postfix) stays open with its
#	login untouched.  Releasing real held mail through Postfix is
#	test/e2e/test_postfix_incidents.sh.
# DIAGNOSTICS
#	Ends with "N passed, N failed"; exits 1 when a check failed.
. "$(dirname "$0")/ctl_lib.sh" test_ctl_incidents "$@"

ctl_make_db
export MAIL_CONFIG=$T/no-postfix SUDO_USER=pm

now=$(date +%s)
sql "INSERT INTO incidents (id, login, opened, updated, kind, action,
	trigger, trips, counts, networks) VALUES
	(1, 'alice', $now - 500, $now - 400, 'limit', 'block',
	 'networks 6>5/3600s class=default', 3, 'msg 5/1h', '127.1.0.0/24 127.2.0.0/24'),
	(2, 'bob', $now - 300, $now - 300, 'limit', 'header', 'rcpt 301>300/3600s',
	 1, NULL, NULL),
	(3, 'carol', $now - 90000, $now - 90000, 'rule', 'reject', 'old', 1,
	 NULL, NULL);
UPDATE incidents SET status = 'closed', closed = $now - 80000 WHERE id = 3;
INSERT INTO quarantine (ts, queue_id, login, subject, reason, incident_id)
	VALUES ($now - 450, 'QALICE1', 'alice', 'hello', 'rcpt 1>0', 1);
INSERT INTO users (login, status) VALUES ('alice', 'blocked'), ('bob', 'watch');
INSERT INTO msg_log (login, ts, rcpts) VALUES ('bob', $now - 10, 5),
	('alice', $now - 10, 2);
INSERT INTO events (ts, login, kind, action, detail, incident_id) VALUES
	($now - 500, 'alice', 'limit', 'block', 'networks 6>5', 1),
	($now - 7200, 'alice', 'limit', 'header', 'long before', NULL);"

# --- list ------------------------------------------------------------------
ctl incidents list
check "list exits 0" "$rc" 0
check "list shows the open ones, newest first" \
	"$(awk 'NR > 1 {print $1, $3, $4}' <<<"$out" | tr '\n' ';')" \
	"2 bob open;1 alice open;"
contains "list heading" "$out" "ID  OPENED"
contains "list shows the trigger" "$out" "networks 6>5/3600s class=default"
ctl incidents list --all --json
valid "list --all --json"
check "--all lists the closed one too" "$(rows 'r["id"]')" "[2, 1, 3]"
check "JSON has the networks and held count" \
	"$(json '(d[1]["networks"], d[1]["held"], d[1]["messages"])')" \
	"('127.1.0.0/24 127.2.0.0/24', 1, 1)"
ctl incidents list --login ALICE --json
check "--login" "$(rows 'r["id"]')" "[1]"
ctl incidents list --all --since 1d --json
check "--since" "$(rows 'r["id"]')" "[2, 1]"
ctl incidents list --frob
check "unknown option exits 2" "$rc" 2
contains "with the usage" "$err" "incidents list [--all]"

# --- show ------------------------------------------------------------------
ctl incidents show 1
check "show exits 0" "$rc" 0
contains "show: trigger" "$out" "TRIGGER:   networks 6>5/3600s class=default"
contains "show: counts" "$out" "COUNTS:    msg 5/1h"
contains "show: messages" "$out" "Messages (1):"
contains "show: the held message" "$out" "QALICE1"
contains "show: the login's event" "$out" "networks 6>5"
check "show: not events from long before" \
	"$(grep -c 'long before' <<<"$out")" 0
ctl incidents show 1 --json
check "show --json exits 0" "$rc" 0
ctl --json incidents show 1
valid "show --json"
check "show --json: incident, messages, events" \
	"$(json '(d["login"], [m["queue_id"] for m in d["messages"]], [e["detail"] for e in d["events"]])')" \
	"('alice', ['QALICE1'], ['networks 6>5'])"
ctl incidents show 99
check "show of no incident exits 1" "$rc" 1
check "and says so" "$err" "outguardctl: no incident 99"
ctl incidents show x1
check "bad id exits 2" "$rc" 2
ctl incidents show
check "show without id exits 2" "$rc" 2

# --- release with held mail the MTA cannot reach: nothing changes ---------
ctl incidents release 1
check "unreachable MTA: release exits 1" "$rc" 1
contains "it says the incident stays open" "$err" \
	"incident 1 stays open: 1 of its messages are still held"
check "the incident is still open" \
	"$(sql "SELECT status FROM incidents WHERE id = 1")" open
check "the login is still blocked" \
	"$(sql "SELECT status FROM users WHERE login = 'alice'")" blocked
check "its counters are kept" \
	"$(sql "SELECT COUNT(*) FROM msg_log WHERE login = 'alice'")" 1

# --- release without held mail: reset and unblock -------------------------
ctl incidents release 2
check "release exits 0" "$rc" 0
check "release says what it did" "$out" \
	"incident 2 (bob): released: 0 messages released, 0 gone; counters reset; login set active"
check "bob is active" "$(sql "SELECT status FROM users WHERE login = 'bob'")" \
	active
check "bob's counters are reset" \
	"$(sql "SELECT COUNT(*) FROM msg_log WHERE login = 'bob'")" 0
check "the incident is closed as released, by SUDO_USER" \
	"$(sql "SELECT status, closed_by, closed >= $now FROM incidents WHERE id = 2")" \
	"released|pm|1"
check "events: reset, unblock, release" \
	"$(sql "SELECT group_concat(action, ' ') FROM (SELECT action FROM events WHERE login = 'bob' AND kind = 'admin' ORDER BY id)")" \
	"reset unblock release"
ctl incidents release 2
check "a second release exits 1" "$rc" 1
check "and says so" "$err" "outguardctl: incident 2 is released already"

# --- delete: the login stays blocked unless --unblock ---------------------
sql "UPDATE quarantine SET status = 'deleted' WHERE incident_id = 1"
ctl --json incidents delete 1
check "delete exits 0" "$rc" 0
valid "delete --json"
check "delete --json" "$(json '(d["status"], d["unblocked"], d["reset"], d["closed_by"])')" \
	"('deleted', False, True, 'pm')"
check "alice stays blocked" \
	"$(sql "SELECT status FROM users WHERE login = 'alice'")" blocked
check "alice's counters are reset" \
	"$(sql "SELECT COUNT(*) FROM msg_log WHERE login = 'alice'")" 0
sql "INSERT INTO incidents (id, login, opened, updated, kind, action, trigger)
	VALUES (4, 'alice', $now, $now, 'limit', 'block', 'again')"
ctl incidents delete 4 --unblock
check "delete --unblock exits 0" "$rc" 0
check "alice is active" "$(sql "SELECT status FROM users WHERE login = 'alice'")" \
	active
ctl incidents delete 4 --frob
check "delete with a bad option exits 2" "$rc" 2

# --- close -----------------------------------------------------------------
sql "INSERT INTO incidents (id, login, opened, updated, kind, action, trigger)
	VALUES (5, 'dave', $now, $now, 'rule', 'reject', 'x');
INSERT INTO users (login, status) VALUES ('dave', 'blocked');"
ctl incidents close 5 known test account
check "close exits 0" "$rc" 0
check "close says so" "$out" "incident 5 (dave): closed: known test account"
check "close records the note" \
	"$(sql "SELECT status, outcome FROM incidents WHERE id = 5")" \
	"closed|known test account"
check "close leaves the login alone" \
	"$(sql "SELECT status FROM users WHERE login = 'dave'")" blocked
ctl incidents close 5
check "closing again exits 1" "$rc" 1

ctl_finish
