#!/bin/bash
# test_sendmail_bounces.sh - real bounces in a real Sendmail's log, read
# by lib/maillog.c (through maillog_dump).  Sendmail logs only through
# syslog(3), to /dev/log: inside the test's own mount namespace a private
# /dev (null, zero, random, urandom, full bound from the real one) holds
# a datagram socket "log" whose reader (python3) appends every message
# to $E2E_TMP/syslog.  The sink answers 550 5.1.1 to every RCPT.  The
# follower must report each recipient of the message as bounced with
# Sendmail's queue id, and a second run from the printed position only
# what came after.  Then the outguard daemon with MailLog on that log,
# attached to a new Sendmail: it counts alice's bounces (metric bounce,
# outguardctl status and counts), and after a restart counts bob's
# without counting alice's again.

. "$(dirname "$0")/sendmail_lib.sh"

e2e_require swaks sasl
sm_require "$@"
e2e_init
sm_init
DUMP=${MAILLOG_DUMP:-$(e2e_find_binary test/e2e/maillog_dump)}
[ -x "${DUMP:-/nonexistent}" ] || e2e_skip "maillog_dump not built"
SM_DEV=
SYSLOG=$E2E_TMP/syslog
DEV_FILES="null zero random urandom full"

# syslog_start - the private /dev with a log socket; its reader
syslog_start()
{
	local f
	SM_DEV=$E2E_TMP/dev
	mkdir -p "$SM_DEV"
	for f in $DEV_FILES; do
		: >"$SM_DEV/$f"
		mount --bind "/dev/$f" "$SM_DEV/$f" ||
			e2e_fatal "cannot bind /dev/$f"
	done
	: >"$SYSLOG"
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
out = open(sys.argv[2], "ab", buffering=0)
while True:
    out.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
' "$SM_DEV/log" "$SYSLOG" &
	e2e_track $!
	wait_for 5 test -S "$SM_DEV/log" || e2e_fatal "no syslog socket"
	mount --bind "$SM_DEV" /dev || e2e_fatal "cannot bind $SM_DEV on /dev"
}

# syslog_cleanup - EXIT trap: Sendmail stopped, the mounts undone (so
# that removing the temp dir never reaches the real devices), then the
# usual cleanup
syslog_cleanup()
{
	local rc=$? f
	sm_stop
	if [ -n "$SM_DEV" ]; then
		umount /dev 2>/dev/null
		for f in $DEV_FILES; do
			umount "$SM_DEV/$f" 2>/dev/null
		done
	fi
	(exit "$rc")
	sm_cleanup
}
trap syslog_cleanup EXIT

# sink_start - replaces lib.sh's: a sink that refuses every RCPT
sink_start()
{
	[ -n "$SINK_PID" ] && return 0
	SINK_PORT=$(free_ports 1) || e2e_fatal "no free port for smtp-sink"
	SINK_DIR=$E2E_TMP/sink
	mkdir -p "$SINK_DIR"
	smtp-sink -u nobody -f RCPT \
		-B "550 5.1.1 Recipient address rejected: User unknown" \
		"127.0.0.1:$SINK_PORT" 16 >"$E2E_TMP/sink.log" 2>&1 &
	SINK_PID=$!
	wait_for 5 port_open "$SINK_PORT" ||
		e2e_fatal "smtp-sink did not listen on $SINK_PORT"
}

# logged - true when the syslog has the delivery line of queue id $1
# for recipient $2
logged()
{
	grep -q "$1: to=<$2>, .* stat=" "$SYSLOG"
}

# dump - maillog_dump of the syslog file, [POSITION]; output to $1
dump()
{
	local out=$1
	shift
	"$DUMP" "$SYSLOG" "$@" >"$out"
}

syslog_start
sm_start

check "alice sends to two recipients" \
	sm_send_auth alice --to "nobody@example.net,Other@Example.NET"
qid1=$(sm_queue_id)
expect_ne "a queue id" "" "$qid1"
check "Sendmail logged the first bounce" \
	wait_for 20 logged "$qid1" nobody@example.net
check "Sendmail logged the second bounce" \
	wait_for 20 logged "$qid1" Other@Example.NET
dump "$E2E_TMP/dump1"
check "the bounce: sendmail, queue id, recipient, bounced, 5.1.1" \
	grep -qx "sendmail $qid1 nobody@example.net bounced 5.1.1" \
	"$E2E_TMP/dump1"
check "the other, its domain in lower case" \
	grep -qx "sendmail $qid1 Other@example.net bounced 5.1.1" \
	"$E2E_TMP/dump1"
expect_eq "two results for the message" 2 \
	"$(grep -c " $qid1 " "$E2E_TMP/dump1")"
pos=$(sed -n 's/^pos //p' "$E2E_TMP/dump1")
expect_ne "a position" "" "$pos"

check "alice sends again" sm_send_auth alice --to "third@example.net"
qid2=$(sm_queue_id)
check "Sendmail logged the third bounce" \
	wait_for 20 logged "$qid2" third@example.net
dump "$E2E_TMP/dump2" "$pos"
check "from the position: the new bounce" \
	grep -qx "sendmail $qid2 third@example.net bounced 5.1.1" \
	"$E2E_TMP/dump2"
expect_eq "from the position: nothing of the first message" 0 \
	"$(grep -c " $qid1 " "$E2E_TMP/dump2")"
say "syslog lines: $(wc -l <"$SYSLOG"), results from the start:" \
	"$("$DUMP" "$SYSLOG" | grep -vc '^pos ')"

# --- the daemon counts them (MailLog) ------------------------------------
BOUNCES="SELECT total(bounce) FROM counts WHERE login = 'alice' AND kind = 0"
OG_CONF_EXTRA="MailLog $SYSLOG"
og_init
sql "INSERT INTO limits (class, metric, window_s, threshold, action)
	VALUES ('default', 'bounce', 3600, 100, 'tempfail')"
og_start
sm_start "$OG_SOCK"
check "alice sends to two recipients through outguard" \
	sm_send_auth alice --to "m1@example.net,m2@example.net"
qid3=$(sm_queue_id)
check "Sendmail logged both bounces" \
	wait_for 20 logged "$qid3" m2@example.net
check "outguard counted alice's two bounces" sql_wait "$BOUNCES" 2.0 20
ogctl status alice --json >"$E2E_TMP/status.json"
expect_eq "outguardctl status: bounce count 2" 2 "$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print([l["count"] for l in d["limits"] if l["metric"] == "bounce"][0])' \
	"$E2E_TMP/status.json")"
og_stop
og_start
check "bob sends after the restart" sm_send_auth bob --to "m3@example.net"
qid4=$(sm_queue_id)
check "Sendmail logged bob's bounce" wait_for 20 logged "$qid4" m3@example.net
check "bob's bounce counted" sql_wait \
	"SELECT total(bounce) FROM counts WHERE login = 'bob' AND kind = 0" \
	1.0 20
expect_eq "alice still 2: nothing counted twice after the restart" 2.0 \
	"$(sql "$BOUNCES")"
e2e_finish
