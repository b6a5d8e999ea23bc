#!/bin/bash
# test_postfix_incidents.sh - incidents, block_command and alert mail
# through a private Postfix.  A quarantine stage at 0 recipients holds
# every message and a block at more than 2 messages an hour blocks:
# alice's two messages are held and make one incident with both; her
# third blocks her, which adds to the same incident and runs
# block_command with OUTGUARD_LOGIN and OUTGUARD_INCIDENT.  alert_address
# (a relay.test address, so Postfix relays it to the sink) gets exactly
# one alert mail for the two quarantine trips and one for the block,
# sent through this Postfix's own sendmail (-C), each naming alice and
# "outguardctl incidents release ID".  "outguardctl incidents release
# ID" then delivers both held messages to the sink, unblocks alice,
# resets her counters and closes the incident; bob's held message is
# deleted with "incidents delete".

. "$(dirname "$0")/lib.sh"

e2e_require postfix swaks sasl sqlite3 outguard outguardctl
e2e_init

# alert_files - the sink's dump files of alert mails, one a line
alert_files()
{
	local files
	files=$(sink_files)
	[ -n "$files" ] || return 0
	# shellcheck disable=SC2086
	grep -l '^X-Outguard-Alert: yes' $files
}

# alerts_with - how many alert mails have a Subject containing TEXT
alerts_with()
{
	local f n=0
	for f in $(alert_files); do
		grep -q "^Subject: .*$1" "$f" && n=$((n + 1))
	done
	echo "$n"
}

# alerts_with_ge - TEXT N: at least N alert mails have TEXT in Subject
alerts_with_ge()
{
	[ "$(alerts_with "$1")" -ge "$2" ]
}

# not_held - QUEUEID: true when Postfix does not hold QUEUEID
not_held()
{
	! pf_hold_ids | grep -qx "$1"
}

og_init
pf_start "$OG_SOCK"	# the daemon starts below, before any mail
SENDMAIL="/usr/sbin/sendmail -C $PF_CONF -i -t"
sql "INSERT INTO limits (class, metric, window_s, threshold, action) VALUES
	('default', 'rcpt', 3600, 0, 'quarantine'),
	('default', 'msg', 3600, 2, 'block');
INSERT INTO settings (key, value) VALUES
	('block_command', 'env | grep ^OUTGUARD_ | sort >$E2E_TMP/block.env'),
	('block_command_timeout', '10'),
	('alert_address', 'postmaster@$E2E_RELAY_DOMAIN'),
	('alert_sendmail', '$SENDMAIL');" || e2e_fatal "policy SQL failed"
og_start
sink_reset
export MAIL_CONFIG=$PF_CONF

say "=== two held messages, then a block: one incident"
check "alice's first message is accepted" \
	send_auth alice --h-Subject "incident-one"
QID1=$(swaks_queue_id)
check "alice's second message is accepted" \
	send_auth alice --h-Subject "incident-two"
QID2=$(swaks_queue_id)
send_auth alice --h-Subject "incident-three"
check "alice's third message blocks her: 451 4.7.1" \
	swaks_rcpt_replied "451 4.7.1"
check "alice is blocked" sql_wait \
	"SELECT status FROM users WHERE login='alice'" blocked
check "one incident with three trips, worst action block" sql_wait \
	"SELECT COUNT(*), MAX(trips), MAX(action) FROM incidents" "1|3|block"
ID=$(sql "SELECT id FROM incidents WHERE login='alice'")
expect_eq "both held messages belong to it" 2 \
	"$(sql "SELECT COUNT(*) FROM quarantine WHERE incident_id=$ID AND queue_id IN ('$QID1','$QID2')")"
expect_eq "it names the network" "127.0.0.0/24" \
	"$(sql "SELECT networks FROM incidents WHERE id=$ID")"
expect_eq "its events name it" 3 \
	"$(sql "SELECT COUNT(*) FROM events WHERE login='alice' AND incident_id=$ID")"

say "=== block_command"
check "block_command ran" wait_for 15 test -s "$E2E_TMP/block.env"
check "with OUTGUARD_LOGIN" grep -qx "OUTGUARD_LOGIN=alice" "$E2E_TMP/block.env"
check "with OUTGUARD_INCIDENT" grep -qx "OUTGUARD_INCIDENT=$ID" \
	"$E2E_TMP/block.env"
check "with OUTGUARD_CLIENT" grep -qx "OUTGUARD_CLIENT=127.0.0.1" \
	"$E2E_TMP/block.env"
check "the daemon logged it" og_log_grep -q "block_command for alice started"

say "=== alert mail through Postfix's sendmail"
check "the block's alert mail reaches the sink" \
	wait_for 30 alerts_with_ge "alice: block" 1
check "Postfix has delivered the rest" pf_wait_idle 30
expect_eq "exactly one alert mail for the two quarantine trips" 1 \
	"$(alerts_with "alice: quarantine")"
expect_eq "and one for the block" 1 "$(alerts_with "alice: block")"
expect_eq "two alert mails in all" 2 "$(alert_files | wc -l)"
for f in $(alert_files); do
	check "$(basename "$f") names the release command" \
		grep -q "outguardctl incidents release $ID " "$f"
	check "$(basename "$f") names the unblock command" \
		grep -qx "  outguardctl unblock alice" "$f"
	check "$(basename "$f") is addressed to alert_address" \
		grep -qx "To: postmaster@$E2E_RELAY_DOMAIN" "$f"
done
check "the block's mail lists both held messages" grep -q "^  $QID2 incident-two" \
	"$(for f in $(alert_files); do grep -l 'alice: block' "$f"; done)"

say "=== outguardctl incidents release"
out=$(ogctl incidents list)
echo "$out"
check "incidents list shows it with 2 held" \
	grep -qE "^ *$ID .* alice +open +block +3 +2 " <<<"$out"
out=$(ogctl incidents show "$ID")
check "incidents show lists both messages" \
	grep -q "$QID2" <<<"$out"
sink_reset
out=$(ogctl incidents release "$ID" 2>&1)
expect_eq "incidents release exits 0" 0 $?
echo "$out"
check "both released messages reach the sink" sink_wait 2
check "the first is there" sink_has "incident-one"
check "the second is there" sink_has "incident-two"
expect_eq "both rows are released" "released|released" \
	"$(sql "SELECT group_concat(status, '|') FROM quarantine WHERE incident_id=$ID")"
expect_eq "the incident is closed as released" "released" \
	"$(sql "SELECT status FROM incidents WHERE id=$ID")"
check "with who and when" sql_is \
	"SELECT closed_by IS NOT NULL AND closed > 0 FROM incidents WHERE id=$ID" 1
expect_eq "alice is active again" active \
	"$(sql "SELECT status FROM users WHERE login='alice'")"
expect_eq "her counters are reset" 0 \
	"$(sql "SELECT COUNT(*) FROM msg_log WHERE login='alice'")"
out=$(ogctl incidents release "$ID" 2>&1)
expect_eq "a second release exits 1" 1 $?
check "saying it is released already" grep -q "released already" <<<"$out"

say "=== outguardctl incidents delete"
check "bob's message is accepted" send_auth bob --h-Subject "incident-bob"
QIDB=$(swaks_queue_id)
check "it is held in bob's incident" sql_wait \
	"SELECT COUNT(*) FROM quarantine q JOIN incidents i ON q.incident_id = i.id WHERE i.login='bob' AND q.queue_id='$QIDB'" 1
IDB=$(sql "SELECT id FROM incidents WHERE login='bob'")
check "incidents delete succeeds" ogctl incidents delete "$IDB"
check "the message is gone from the hold queue" not_held "$QIDB"
expect_eq "the incident is closed as deleted" deleted \
	"$(sql "SELECT status FROM incidents WHERE id=$IDB")"

e2e_finish
