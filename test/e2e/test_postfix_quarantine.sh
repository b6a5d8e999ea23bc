#!/bin/bash
# test_postfix_quarantine.sh - outguardctl quarantine against a private
# Postfix: a quarantine stage at 0 holds every message; list (text and
# --json) shows the held rows and that Postfix has them, show prints the
# message, release delivers one to the sink, delete removes the other,
# and a second release of the deleted one fails with a clear message;
# every release, delete and gone records reviewed_by and reviewed_at.
# Each row names this host as its relay (quarantine.relay); a row of
# another relay is not released (exit 3), one without a relay is local.

. "$(dirname "$0")/lib.sh"

e2e_require postfix swaks sasl sqlite3 outguard outguardctl
e2e_init

# qstatus - ID: the status of quarantine row ID
qstatus()
{
	sql "SELECT status FROM quarantine WHERE id=$1"
}

# held_both - true when two messages are held and have quarantine rows
held_both()
{
	[ "$(pf_hold_count)" -eq 2 ] &&
		[ "$(sql "SELECT COUNT(*) FROM quarantine")" -eq 2 ]
}

# json_check - PYTHON: run the expression on the parsed JSON of stdin
json_check()
{
	python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"
}

# reviewed_now - ID WHO: row ID was reviewed by WHO within the last minute
reviewed_now()
{
	sql_is "SELECT reviewed_by = '$2' AND reviewed_at BETWEEN strftime('%s','now') - 60 AND strftime('%s','now') FROM quarantine WHERE id=$1" 1
}

# not_held - QUEUEID: true when Postfix does not hold QUEUEID
not_held()
{
	! pf_hold_ids | grep -qx "$1"
}

ADMIN=${SUDO_USER:-$(id -un)}

say "=== quarantine stage at 0"
og_init
sql "INSERT INTO limits (class, metric, window_s, threshold, action) VALUES ('default','rcpt',3600,0,'quarantine')" ||
	e2e_fatal "policy SQL failed"
og_start
pf_start "$OG_SOCK"
sink_reset
export MAIL_CONFIG=$PF_CONF

check "alice's first message is accepted" \
	send_auth alice --h-Subject "quarantine-one"
QID1=$(swaks_queue_id)
check "alice's second message is accepted" \
	send_auth alice --h-Subject "quarantine-two"
QID2=$(swaks_queue_id)
check "both are held, each with a quarantine row" wait_for 10 held_both
ID1=$(sql "SELECT id FROM quarantine WHERE queue_id='$QID1'")
ID2=$(sql "SELECT id FROM quarantine WHERE queue_id='$QID2'")
expect_ne "the first message has a row" "" "$ID1"
expect_ne "the second message has a row" "" "$ID2"

out=$(ogctl quarantine list)
expect_eq "quarantine list exits 0" 0 $?
echo "$out"
expect_eq "list shows two held rows in the hold queue" 2 \
	"$(grep -c " held  *hold *$" <<<"$out")"
check "list names the first queue id" grep -q "$QID1" <<<"$out"
check "list --json parses, both held and in the hold queue" json_check \
	"len(d)==2 and all(r['status']=='held' and r['in_mta']=='hold' and r['login'].lower()=='alice' for r in d) and d[0]['id']==$ID2" \
	<<<"$(ogctl quarantine list --json)"

out=$(ogctl quarantine show "$ID1")
expect_eq "quarantine show exits 0" 0 $?
check "show prints the message's Subject" \
	grep -q "^Subject: quarantine-one" <<<"$out"
check "show prints the row" grep -q "$QID1" <<<"$out"

# quarantine.relay: the daemon names this host; a row without a relay
# (from before the column) is local; another relay's row is left alone
HOST=$(hostname)
expect_eq "both rows name this host as their relay" "$HOST|$HOST" \
	"$(sql "SELECT group_concat(relay, '|') FROM quarantine WHERE id IN ($ID1, $ID2)")"
sql "UPDATE quarantine SET relay = NULL WHERE id = $ID1"
sql "UPDATE quarantine SET relay = 'mx9' WHERE id = $ID2"
out=$(ogctl quarantine release "$ID2" 2>&1)
expect_eq "releasing another relay's message exits 3" 3 $?
check "and names that relay" grep -q \
	"quarantine $ID2 (queue id $QID2) is held on mx9: run outguardctl there" \
	<<<"$out"
expect_eq "its row is still held" held "$(qstatus "$ID2")"
expect_eq "Postfix still holds it" 2 "$(pf_hold_count)"
check "list shows it as remote" json_check \
	"any(r['id']==$ID2 and r['relay']=='mx9' and r['in_mta']=='remote' for r in d)" \
	<<<"$(ogctl quarantine list --json)"
check "-r mx9 makes it local: show prints it" \
	"$OUTGUARDCTL" -d "$OG_DB" -r mx9 quarantine show "$ID2"
sql "UPDATE quarantine SET relay = '$HOST' WHERE id = $ID2"

check "quarantine release $ID1 succeeds" ogctl quarantine release "$ID1"
check "the released message reaches the sink" sink_wait 1
check "it is at the sink" sink_has "quarantine-one"
expect_eq "its row is released" released "$(qstatus "$ID1")"
check "reviewed by $ADMIN, now" reviewed_now "$ID1" "$ADMIN"
expect_eq "a release event is written" 1 \
	"$(sql "SELECT COUNT(*) FROM events WHERE kind='admin' AND action='release' AND queue_id='$QID1'")"

check "quarantine delete $ID2 (under sudo) succeeds" \
	env SUDO_USER=postmaster-e2e "$OUTGUARDCTL" -d "$OG_DB" \
	quarantine delete "$ID2"
check "it is gone from the hold queue" not_held "$QID2"
expect_eq "its row is deleted" deleted "$(qstatus "$ID2")"
check "reviewed by the sudo user, now" reviewed_now "$ID2" postmaster-e2e
expect_eq "a delete event is written" 1 \
	"$(sql "SELECT COUNT(*) FROM events WHERE kind='admin' AND action='delete' AND queue_id='$QID2'")"

out=$(ogctl quarantine release "$ID2" 2>&1)
expect_eq "releasing the deleted message again exits 1" 1 $?
echo "$out"
check "with a clear message" grep -q "deleted already" <<<"$out"

# a held row whose message Postfix lost: list says gone, release fails
sql "INSERT INTO quarantine (ts, queue_id, login, subject, reason) VALUES (strftime('%s','now'), 'NOSUCHID', 'alice', 'lost', 'test')"
ID3=$(sql "SELECT id FROM quarantine WHERE queue_id='NOSUCHID'")
check "list shows the lost message as gone" json_check \
	"any(r['id']==$ID3 and r['in_mta']=='gone' for r in d)" \
	<<<"$(ogctl quarantine list --json)"
check_fails "show of the lost message fails" ogctl quarantine show "$ID3"
check_fails "release of the lost message fails" \
	ogctl quarantine release "$ID3"
expect_eq "its row is marked gone" gone "$(qstatus "$ID3")"
check "and reviewed by $ADMIN, now" reviewed_now "$ID3" "$ADMIN"
check "list --all shows all three rows, each reviewed" json_check \
	"len(d)==3 and all(r['reviewed_by'] and r['reviewed_at'] for r in d)" \
	<<<"$(ogctl quarantine list --all --json)"
check "list --all prints who reviewed" grep -q "postmaster-e2e" \
	<<<"$(ogctl quarantine list --all)"
check "show prints who reviewed and when" grep -q "^REVIEWED AT: *2" \
	<<<"$(ogctl quarantine show "$ID2" 2>/dev/null)"

e2e_finish
