# lib.sh - helpers of the fault, bad-input and concurrency tests
#
# Source it from a test script in test/fault (bash, as root):
#
#	. "$(dirname "$0")/lib.sh"
#	e2e_require outguard sqlite3     # see test/e2e/lib.sh
#	e2e_init; og_init; og_start
#	raw <<EOF                        # a byte-exact milter session
#	connect client.test 192.0.2.1
#	...
#	EOF
#	check "refused" raw_has "rcpt: reply 451 4.3.0 "
#	ml -c 64 -n 500 -l 1             # milterload on the daemon's socket
#	expect_eq "all decided" 500 "$(ml_val continue)"
#	og_report_rss "after the load"
#	fault_finish                     # sanitizer reports fail the test
#
# It builds on test/e2e/lib.sh (the temp dir, the daemon, Postfix,
# check/expect_eq) and adds: the daemon's peak RSS, milterload and
# rawmilter.py runs, waits on the daemon's log, the database's
# integrity and counts, a SIGKILL, a restart on the same database, and
# a database locked by another writer until the test lets it go.
#
# Names a test can rely on (besides lib.sh's):
#   MILTERLOAD   the load client (ctest passes it; else a build dir's)
#   ML_OUT       output of the last ml run (its RESULT line)
#   RAW_OUT      output of the last raw run, one line per step
#   OG_RESTARTS  how many times og_restart has run

# shellcheck shell=bash disable=SC2034
FAULT_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$FAULT_HERE/../e2e/lib.sh"

MILTERLOAD=${MILTERLOAD:-}
ML_OUT=
RAW_OUT=
RAW_N=0
ML_N=0
OG_RESTARTS=0
LOCK_PID=
LOCK_FLAG=

# fault_require_milterload - skip unless the load client is built
fault_require_milterload()
{
	local f
	if [ -z "$MILTERLOAD" ]; then
		for f in "$E2E_ROOT"/build*/test/bench/milterload; do
			[ -x "$f" ] && { MILTERLOAD=$f; break; }
		done
	fi
	[ -x "${MILTERLOAD:-/nonexistent}" ] ||
		e2e_skip "milterload not built (set MILTERLOAD)"
	command -v python3 >/dev/null || e2e_skip "python3 not installed"
}

# og_rss - the running daemon's peak resident set (VmHWM), in kB
og_rss()
{
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' \
		"/proc/$OG_PID/status" 2>/dev/null
}

# og_report_rss - WHAT: print the daemon's peak RSS (for the report)
og_report_rss()
{
	echo "RSS outguard peak (VmHWM) $*: $(og_rss) kB"
}

# og_alive - true while the daemon we started runs
og_alive()
{
	[ -n "$OG_PID" ] && kill -0 "$OG_PID" 2>/dev/null
}

# og_log_has - true when the daemon's log has a line matching ERE
og_log_has()
{
	grep -E -q -- "$1" "$OG_LOG"
}

# og_log_wait - ERE [SECS]: wait for a matching line in the daemon's log
og_log_wait()
{
	wait_for "${2:-20}" og_log_has "$1"
}

# og_kill - SIGKILL the daemon by PID and reap it; the socket stays
og_kill()
{
	[ -n "$OG_PID" ] || return 0
	kill -KILL "$OG_PID" 2>/dev/null
	wait "$OG_PID" 2>/dev/null
	OG_PID=
}

# og_restart - start the daemon again on the same config and database,
# with a new log (OG_LOG); a stale socket of a killed daemon goes first
og_restart()
{
	[ -z "$OG_PID" ] || og_stop
	OG_RESTARTS=$((OG_RESTARTS + 1))
	OG_LOG=$E2E_TMP/og/restart$OG_RESTARTS.log
	rm -f "$OG_SOCK"
	og_start
}

# og_try_start - start the daemon when it may refuse: 0 when it listens,
# 1 when it exited (its status in OG_LAST_EXIT, its words in OG_LOG)
og_try_start()
{
	local i
	OG_RESTARTS=$((OG_RESTARTS + 1))
	OG_LOG=$E2E_TMP/og/restart$OG_RESTARTS.log
	rm -f "$OG_SOCK"
	"$OUTGUARD" -f -c "$OG_CONF" >"$OG_LOG" 2>&1 &
	OG_PID=$!
	for ((i = 0; i < 200; i++)); do
		if ! kill -0 "$OG_PID" 2>/dev/null; then
			wait "$OG_PID"
			OG_LAST_EXIT=$?
			OG_PID=
			return 1
		fi
		[ -S "$OG_SOCK" ] && og_log_has "listening on" && return 0
		sleep 0.1
	done
	e2e_fatal "outguard neither listened nor exited in 20 s"
}

# ml - ARGS: milterload on the daemon's socket, quiet; output in ML_OUT;
# returns milterload's status
ml()
{
	ML_N=$((ML_N + 1))
	ML_OUT=$E2E_TMP/ml$ML_N.out
	"$MILTERLOAD" -s "unix:$OG_SOCK" -q "$@" >"$ML_OUT" 2>&1
}

# ml_val - KEY: a key=value of the last milterload RESULT line
ml_val()
{
	grep '^RESULT ' "$ML_OUT" | tr ' ' '\n' | sed -n "s/^$1=//p" |
		head -n 1
}

# raw - run rawmilter.py with the script on stdin; output in RAW_OUT
# (also printed, indented); returns its status.  Feed it with a here
# document or < <(...), not a pipe: RAW_OUT must be set in this shell.
raw()
{
	local rc
	RAW_N=$((RAW_N + 1))
	RAW_OUT=$E2E_TMP/raw$RAW_N.out
	python3 "$FAULT_HERE/rawmilter.py" "unix:$OG_SOCK" >"$RAW_OUT" 2>&1
	rc=$?
	sed 's/^/    /' "$RAW_OUT" | cut -c1-160
	return $rc
}

# raw_has - true when the last raw output has a line starting with S
raw_has()
{
	awk -v s="$1" 'index($0, s) == 1 { found = 1 }
		END { exit !found }' "$RAW_OUT"
}

# raw_msg - LOGIN RCPT QID: a one-recipient message script for raw
# (LOGIN "": unauthenticated, from stranger@corp.net)
raw_msg()
{
	echo "connect client.test 192.0.2.10"
	if [ -n "$1" ]; then
		echo "login $1"
		echo "mail <$1@$E2E_DOMAIN>"
	else
		echo "mail <stranger@corp.net>"
	fi
	cat <<EOF
qid $3
rcpt <$2>
header Subject fault test $3
eom
quit
EOF
}

# send_one - LOGIN QID: one message through raw; prints its RCPT reply
# (and "eom: REPLY" on a second line when the end of message was not
# a plain continue)
send_one()
{
	raw >/dev/null < <(raw_msg "$1" "someone@$E2E_RCPT_DOMAIN" "$2")
	sed -n 's/^rcpt: //p' "$RAW_OUT"
	grep -v '^eom: continue$' "$RAW_OUT" | grep '^eom: \|^closed'
}

# policy_edit SQL - change the policy and wait until the daemon loaded it
policy_edit()
{
	local n
	n=$(grep -c "policy version .* loaded" "$OG_LOG")
	sql "$1" || e2e_fatal "cannot change the policy"
	wait_for 20 policy_loaded_after "$n" ||
		e2e_fatal "the daemon did not load the new policy"
}

# policy_loaded_after N - true when the log has more than N policy loads
policy_loaded_after()
{
	[ "$(grep -c "policy version .* loaded" "$OG_LOG")" -gt "$1" ]
}

# msg_count - LOGIN: msg_log rows of the login (sqlite3, 5 s timeout)
msg_count()
{
	sql "SELECT COUNT(*) FROM msg_log WHERE login = '$1'"
}

# msg_queue_ids - LOGIN: its msg_log queue ids, sorted, space-separated
msg_queue_ids()
{
	sql "SELECT group_concat(queue_id, ' ') FROM (SELECT queue_id
	     FROM msg_log WHERE login = '$1' ORDER BY queue_id)"
}

# db_integrity - PRAGMA integrity_check of the database ("ok")
db_integrity()
{
	sql "PRAGMA integrity_check" 2>&1 | head -n 5
}

# db_lock - another writer takes the database's write lock and keeps it
# until db_unlock (an admin's long transaction); waits until it has it
db_lock()
{
	LOCK_FLAG=$E2E_TMP/lock.held
	rm -f "$E2E_TMP/lock.taken"
	: >"$LOCK_FLAG"
	{
		echo "BEGIN IMMEDIATE;"
		echo "INSERT OR REPLACE INTO daemon_state VALUES ('lock', 'x');"
		echo ".shell touch $E2E_TMP/lock.taken"
		while [ -e "$LOCK_FLAG" ]; do sleep 0.1; done
		echo "ROLLBACK;"
	} | sqlite3 -batch -cmd ".timeout 10000" "$OG_DB" >/dev/null 2>&1 &
	LOCK_PID=$!
	wait_for 15 test -e "$E2E_TMP/lock.taken" ||
		e2e_fatal "the other writer did not get the lock"
}

# db_unlock - the other writer rolls back and exits
db_unlock()
{
	[ -n "$LOCK_PID" ] || return 0
	rm -f "$LOCK_FLAG"
	wait "$LOCK_PID" 2>/dev/null
	LOCK_PID=
}

# fault_cleanup - EXIT: let go of the lock, stop the daemon, unmount
# what the test mounted (FAULT_MOUNT), then lib.sh's cleanup
fault_cleanup()
{
	local rc=$?
	db_unlock
	og_stop
	if [ -n "${FAULT_MOUNT:-}" ] && mountpoint -q "$FAULT_MOUNT"; then
		umount "$FAULT_MOUNT" || umount -l "$FAULT_MOUNT"
	fi
	(exit $rc)
	e2e_cleanup
}

# fault_finish - fail on a sanitizer report in any log of the daemon,
# then e2e_finish ("N passed, N failed" and the exit status)
fault_finish()
{
	local f re='ERROR: (Address|Leak|Thread)Sanitizer|runtime error:'
	for f in "$E2E_TMP"/og/*.log; do
		[ -f "$f" ] || continue
		if grep -q -E "$re" "$f"; then
			fail "sanitizer report in $(basename "$f")"
			grep -E -A20 "$re" "$f" | head -n 40
		fi
	done
	e2e_finish
}

# fault_init - e2e_init with fault_cleanup as the EXIT trap
fault_init()
{
	e2e_init
	trap fault_cleanup EXIT
}
