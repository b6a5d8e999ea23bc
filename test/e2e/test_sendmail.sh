#!/bin/bash
# test_sendmail.sh - outguard attached to a real Sendmail (sendmail_lib.sh:
# the Debian packages unpacked, never installed, in private namespaces),
# with "MTA sendmail" in its config:
#   per-login tempfail: alice (class tight: 2 messages an hour) gets
#     451 4.7.1 at RCPT for her third message, bob (default) does not;
#   quarantine review: a quarantine stage at 0 puts messages in Sendmail's
#     quarantine (hf files); outguardctl quarantine list shows them,
#     show prints one, release delivers it to the sink, delete removes
#     another from the queue directory (not while Sendmail has it
#     locked), and a message Sendmail no longer
#     has makes release exit 1 with a clear message and the row "gone";
#     every review records reviewed_by and reviewed_at.

. "$(dirname "$0")/sendmail_lib.sh"

e2e_require swaks sasl sqlite3 outguard outguardctl
sm_require "$@"
e2e_init
sm_init
OG_CONF_EXTRA="MTA sendmail"
ADMIN=${SUDO_USER:-$(id -un)}

# smctl - outguardctl with the daemon's config (MTA sendmail)
smctl()
{
	"$OUTGUARDCTL" -c "$OG_CONF" "$@"
}

# qcol - COLUMN ID: a column of quarantine row ID
qcol()
{
	sql "SELECT $1 FROM quarantine WHERE id=$2"
}

# json_check - PYTHON: run the expression on the parsed JSON of stdin
json_check()
{
	python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"
}

# held_rows - N: true when N messages are quarantined, each with a row
held_rows()
{
	[ "$(sm_quarantined_ids | wc -l)" -eq "$1" ] &&
		[ "$(sql "SELECT COUNT(*) FROM quarantine")" -eq "$1" ]
}

# queue_files - QUEUEID: the files Sendmail has for it, one a line
queue_files()
{
	find "$SM_QUEUE" -name "??$1"
}

# reviewed_now - ID WHO: row ID was reviewed by WHO within the last minute
reviewed_now()
{
	sql_is "SELECT reviewed_by = '$2' AND reviewed_at BETWEEN strftime('%s','now') - 60 AND strftime('%s','now') FROM quarantine WHERE id=$1" 1
}

say "=== per-login tempfail"
og_init
sql "INSERT INTO classes (name) VALUES ('tight');
INSERT INTO limits (class, metric, window_s, threshold, action) VALUES ('tight', 'msg', 3600, 2, 'tempfail');
INSERT INTO users (login, class) VALUES ('alice', 'tight');" ||
	e2e_fatal "policy SQL failed"
og_start
sm_start "$OG_SOCK"
sink_reset

for n in 1 2; do
	sm_send_auth alice --h-Subject "tight-$n"
	check "alice's message $n of 2 is accepted" sm_accepted
done
sm_send_auth alice --h-Subject "tight-3"
check "alice's third message: 451 4.7.1 at RCPT" swaks_rcpt_replied "451 4.7.1"
check_fails "and it is not accepted" sm_accepted
sm_send_auth bob --h-Subject "default-1"
check "bob (class default) is not limited" sm_accepted
check "the three accepted messages reach the sink" \
	wait_for 15 sink_has "default-1"
check "alice's second as well" wait_for 15 sink_has "tight-2"
check "and her first" wait_for 15 sink_has "tight-1"
check_fails "the refused one does not" sink_has "tight-3"
expect_eq "alice has two counted messages" 2 \
	"$(sql "SELECT COUNT(*) FROM msg_log WHERE login='alice'")"
expect_eq "outguard saw the Sendmail queue id and client address" 2 \
	"$(sql "SELECT COUNT(*) FROM msg_log WHERE login='alice' AND queue_id <> '' AND client_addr='127.0.0.1'")"
expect_eq "one tempfail event for alice" 1 \
	"$(sql "SELECT COUNT(*) FROM events WHERE login='alice' AND action='tempfail'")"

say "=== quarantine review"
og_init
sql "INSERT INTO limits (class, metric, window_s, threshold, action) VALUES ('default', 'rcpt', 3600, 0, 'quarantine')" ||
	e2e_fatal "policy SQL failed"
og_start
sm_start "$OG_SOCK"
sink_reset

for n in one two three; do
	sm_send_auth alice --h-Subject "quarantine-$n"
	check "alice's message $n is accepted" sm_accepted
	eval "QID_$n=\$(sm_queue_id)"
done
check "all three are in Sendmail's quarantine, each with a row" \
	wait_for 10 held_rows 3
# shellcheck disable=SC2154
for n in one two three; do
	eval "q=\$QID_$n"
	eval "ID_$n=\$(sql \"SELECT id FROM quarantine WHERE queue_id='$q'\")"
done
# shellcheck disable=SC2154
expect_ne "the first message has a row" "" "$ID_one"
check "its control file is an hf file" test -f "$SM_QUEUE/hf$QID_one"
check "Sendmail delivered none of them" test "$(sink_count)" -eq 0

out=$(smctl quarantine list)
expect_eq "quarantine list exits 0" 0 $?
echo "$out"
expect_eq "list shows three held rows in Sendmail's quarantine" 3 \
	"$(grep -c " held  *quarantine *$" <<<"$out")"
check "list names the first queue id" grep -q "$QID_one" <<<"$out"
check "list --json: three held rows, in the quarantine, not reviewed" \
	json_check "len(d)==3 and all(r['status']=='held' and r['in_mta']=='quarantine' and r['login'].lower()=='alice' and r['reviewed_by'] is None for r in d)" \
	<<<"$(smctl --json quarantine list)"

out=$(smctl quarantine show "$ID_one")
expect_eq "quarantine show exits 0" 0 $?
check "show prints the row" grep -q "$QID_one" <<<"$out"
check "show prints Sendmail's quarantine reason" \
	grep -q "QUARANTINE: outguard" <<<"$out"
check "show prints the message's Subject" \
	grep -q "^Subject: quarantine-one" <<<"$out"
check "show prints the body" grep -q "^This is a test mailing" <<<"$out"

check "quarantine release $ID_one succeeds" smctl quarantine release "$ID_one"
check "the released message reaches the sink" \
	wait_for 15 sink_has "quarantine-one"
check_fails "it is no longer quarantined" sm_quarantined "$QID_one"
expect_eq "its row is released" released "$(qcol status "$ID_one")"
check "reviewed by $ADMIN, now" reviewed_now "$ID_one" "$ADMIN"
expect_eq "a release event is written" 1 \
	"$(sql "SELECT COUNT(*) FROM events WHERE kind='admin' AND action='release' AND queue_id='$QID_one'")"

out=$(flock "$SM_QUEUE/hf$QID_two" "$OUTGUARDCTL" -c "$OG_CONF" \
	quarantine delete "$ID_two" 2>&1)
expect_eq "delete while Sendmail has the message locked exits 1" 1 $?
check "saying it is locked" grep -q "is locked" <<<"$out"
expect_eq "and leaves the row held" held "$(qcol status "$ID_two")"
check "and the message quarantined" sm_quarantined "$QID_two"
check "quarantine delete $ID_two (under sudo) succeeds" \
	env SUDO_USER=postmaster-e2e "$OUTGUARDCTL" -c "$OG_CONF" \
	quarantine delete "$ID_two"
check_fails "it is gone from Sendmail's quarantine" sm_quarantined "$QID_two"
expect_eq "its queue files are removed" "" "$(queue_files "$QID_two")"
expect_eq "its row is deleted" deleted "$(qcol status "$ID_two")"
check "reviewed by the sudo user, now" reviewed_now "$ID_two" postmaster-e2e
out=$(smctl quarantine release "$ID_two" 2>&1)
expect_eq "releasing the deleted message exits 1" 1 $?
check "saying it was deleted already" grep -q "deleted already" <<<"$out"

# Sendmail loses the third behind outguardctl's back: released and
# delivered by hand.
sendmail -qQ -Q "-qI$QID_three" && sendmail -qf "-qI$QID_three"
check "the third is delivered by hand" \
	wait_for 15 sink_has "quarantine-three"
check "list shows the third as gone" json_check \
	"any(r['id']==$ID_three and r['in_mta']=='gone' for r in d)" \
	<<<"$(smctl --json quarantine list)"
out=$(smctl quarantine release "$ID_three" 2>&1)
expect_eq "releasing a message Sendmail no longer has exits 1" 1 $?
echo "$out"
check "with a clear message" grep -q "no longer has message $QID_three" \
	<<<"$out"
expect_eq "its row is gone" gone "$(qcol status "$ID_three")"
check "and reviewed by $ADMIN" reviewed_now "$ID_three" "$ADMIN"
out=$(smctl quarantine delete "$ID_three" 2>&1)
expect_eq "deleting it exits 1 as well" 1 $?

check "list --all --json: every row reviewed" json_check \
	"len(d)==3 and all(r['reviewed_by'] and r['reviewed_at'] for r in d) and {r['status'] for r in d}=={'released','deleted','gone'}" \
	<<<"$(smctl --json quarantine list --all)"
out=$(smctl quarantine list --all)
check "list --all prints who reviewed" grep -q "postmaster-e2e" <<<"$out"
check "show prints who reviewed" grep -q "^REVIEWED BY: *postmaster-e2e" \
	<<<"$(smctl quarantine show "$ID_two" 2>/dev/null)"
expect_eq "the sink has the released and the lost one only" 2 "$(sink_count)"

e2e_finish
