#!/bin/bash
# test_postfix_bounces.sh - real bounces in a real Postfix log, read by
# lib/maillog.c (through maillog_dump): a second smtp-sink answers 550
# 5.1.1 to every RCPT, and transport_maps sends the domain bounce.test
# there; everything else goes to the normal sink.  The follower must
# report the bounce and the delivery of one message with its queue id,
# and a second run from the position the first printed must report only
# what came after (no line lost, none twice).  Then the outguard daemon
# with MailLog on that log: it counts alice's bounces (metric bounce,
# outguardctl status and counts), a restart counts nothing twice, and a
# bounce after the restart counts once more.

. "$(dirname "$0")/lib.sh"

e2e_require postfix swaks sasl
e2e_init
DUMP=${MAILLOG_DUMP:-$(e2e_find_binary test/e2e/maillog_dump)}
[ -x "${DUMP:-/nonexistent}" ] || e2e_skip "maillog_dump not built"

# bounce_sink_start - smtp-sink that refuses every RCPT with 550 5.1.1
bounce_sink_start()
{
	BOUNCE_PORT=$(free_ports 1) || e2e_fatal "no free port"
	smtp-sink -u nobody -f RCPT \
		-B "550 5.1.1 Recipient address rejected: User unknown" \
		"127.0.0.1:$BOUNCE_PORT" 16 >"$E2E_TMP/bounce-sink.log" 2>&1 &
	e2e_track $!
	wait_for 5 port_open "$BOUNCE_PORT" ||
		e2e_fatal "bounce sink did not listen on $BOUNCE_PORT"
}

# dump - maillog_dump of the instance's log, [POSITION]; output to $1
dump()
{
	local out=$1
	shift
	"$DUMP" "$PF_DIR/log/maillog" "$@" >"$out"
}

# logged - wait until the maillog has a status= line for queue id $1
logged()
{
	wait_for 20 pf_log_grep -q "$1: to=<$2>.* status=$3"
}

bounce_sink_start
PF_MAIN_EXTRA="transport_maps = inline:{ bounce.test=smtp:[127.0.0.1]:$BOUNCE_PORT }"
pf_start

check "alice sends to a bouncing and a good recipient" \
	send_auth alice --to "nobody@bounce.test,friend@$E2E_RCPT_DOMAIN"
qid1=$(swaks_queue_id)
expect_ne "a queue id" "" "$qid1"
check "Postfix logged the bounce" logged "$qid1" nobody@bounce.test bounced
check "Postfix logged the delivery" \
	logged "$qid1" "friend@$E2E_RCPT_DOMAIN" sent
pf_wait_idle

dump "$E2E_TMP/dump1"
check "the bounce: postfix, queue id, recipient, bounced, 5.1.1" \
	grep -qx "postfix $qid1 nobody@bounce.test bounced 5.1.1" \
	"$E2E_TMP/dump1"
check "the delivery: delivered 2.0.0" \
	grep -qx "postfix $qid1 friend@$E2E_RCPT_DOMAIN delivered 2.0.0" \
	"$E2E_TMP/dump1"
expect_eq "exactly one bounce so far" 1 \
	"$(grep -c ' bounced ' "$E2E_TMP/dump1")"
pos=$(sed -n 's/^pos //p' "$E2E_TMP/dump1")
expect_ne "a position" "" "$pos"

check "alice sends to two bouncing recipients" \
	send_auth alice --to "a@bounce.test,B@Bounce.Test"
qid2=$(swaks_queue_id)
check "Postfix logged the second bounce" logged "$qid2" a@bounce.test bounced
pf_wait_idle

dump "$E2E_TMP/dump2" "$pos"
expect_eq "from the position: two bounces, both of the new message" 2 \
	"$(grep -c "^postfix $qid2 [aB]@bounce.test bounced 5.1.1$" \
		"$E2E_TMP/dump2")"
expect_eq "from the position: nothing of the first message" 0 \
	"$(grep -c " $qid1 " "$E2E_TMP/dump2")"
check "the domain is in lower case" \
	grep -q "^postfix $qid2 B@bounce.test bounced" "$E2E_TMP/dump2"
dump "$E2E_TMP/dump-all"
expect_eq "from the start: three bounces in all" 3 \
	"$(grep -c ' bounced 5.1.1$' "$E2E_TMP/dump-all")"
say "maillog lines: $(grep -c 'status=' "$PF_DIR/log/maillog")," \
	"results: $(grep -vc '^pos ' "$E2E_TMP/dump-all")"

# --- the daemon counts them (MailLog) ------------------------------------
BOUNCES="SELECT total(bounce) FROM counts WHERE login = 'alice' AND kind = 0"
OG_CONF_EXTRA="MailLog $E2E_TMP/pf$((PF_N + 1))/log/maillog"
og_init
sql "INSERT INTO limits (class, metric, window_s, threshold, action)
	VALUES ('default', 'bounce', 3600, 100, 'tempfail')"
pf_start "$OG_SOCK"
og_start
check "alice sends to two bouncing recipients and a good one" \
	send_auth alice --to "x1@bounce.test,y1@bounce.test,ok@$E2E_RCPT_DOMAIN"
qid3=$(swaks_queue_id)
check "Postfix logged the bounces" logged "$qid3" y1@bounce.test bounced
check "outguard counted alice's two bounces" sql_wait "$BOUNCES" 2.0 20
ogctl status alice --json >"$E2E_TMP/status.json"
expect_eq "outguardctl status: bounce count 2" 2 "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print([l["count"] for l in d["limits"] if l["metric"] == "bounce"][0])' \
	"$E2E_TMP/status.json")"
check "the follower's position is saved" \
	sql_is "SELECT count(*) FROM daemon_state WHERE key = 'maillog_pos'" 1
og_stop
og_start
check "bob sends to a bouncing recipient" send_auth bob --to "z1@bounce.test"
qid4=$(swaks_queue_id)
check "Postfix logged it" logged "$qid4" z1@bounce.test bounced
check "bob's bounce counted after the restart" sql_wait \
	"SELECT total(bounce) FROM counts WHERE login = 'bob' AND kind = 0" \
	1.0 20
expect_eq "alice still 2: nothing counted twice after the restart" 2.0 \
	"$(sql "$BOUNCES")"
e2e_finish
