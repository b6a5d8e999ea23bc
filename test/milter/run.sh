#!/bin/bash
# NAME
#	run.sh - run one miltertest scenario against the real outguard daemon
# SYNOPSIS
#	OUTGUARD=/path/outguard OUTGUARDCTL=/path/outguardctl \
#	    bash test/milter/run.sh test/milter/SCENARIO.lua
# DESCRIPTION
#	In a new temporary directory DIR: writes outguard.conf (Socket
#	unix:DIR/og.sock, Database DIR/og.db, Syslog no, LogLevel debug,
#	OnStoreError tempfail,
#	plus the lines of SCENARIO.conf if there is one, with @DIR@
#	replaced by DIR); runs "outguard -n" (which must create the
#	database with the default policy and exit 0); applies SCENARIO.sql
#	with sqlite3 if there is one; starts "outguard -f" in the background
#	with its log in DIR/og.log and waits for its socket; starts the
#	reply tap (replytap.py) on DIR/tap.sock in front of it; runs
#
#	    miltertest -s lib/main.lua -D scenario=SCENARIO.lua
#	        -D socket=unix:DIR/tap.sock -D db=DIR/og.db
#	        -D ctl=$OUTGUARDCTL -D sqlite3=... -D replies=DIR/replies.log
#	        -D libdir=.../lib -D dir=DIR
#
#	(lib/main.lua runs the scenario and prints its error: miltertest
#	exits 1 on a Lua error without saying what it was.)
#
#	then stops the daemon with SIGTERM by its PID and waits for that
#	PID to exit.  The scenario fails if miltertest fails, if the daemon
#	died during the run or did not exit 0 after SIGTERM, or if its log
#	shows a sanitizer report.  On failure the daemon's log and the
#	replies seen are printed.
#
#	The tap only records the daemon's replies (miltertest does not
#	show a scenario the text of a reply to RCPT); every byte passes
#	through unchanged.
# ENVIRONMENT
#	OUTGUARD, OUTGUARDCTL	the programs under test (required)
#	MILTERTEST		miltertest (default: from PATH)
#	OG_MT_KEEP=1		keep DIR afterwards
#	OG_MT_VERBOSE=N		pass -v N times to miltertest
# EXIT STATUS
#	0 pass, 1 fail, 77 skipped (a tool is missing).
set -u

here=$(cd "$(dirname "$0")" && pwd)
scenario=${1:?usage: run.sh SCENARIO.lua}
case $scenario in /*) ;; *) scenario=$PWD/$scenario ;; esac
name=$(basename "$scenario" .lua)
base=${scenario%.lua}

skip() { echo "SKIP $name: $*"; exit 77; }
die() { echo "FAIL $name: $*" >&2; exit 1; }

miltertest=${MILTERTEST:-$(command -v miltertest)}
[ -n "$miltertest" ] && [ -x "$miltertest" ] ||
	skip "miltertest not installed (Debian package miltertest)"
sqlite3=$(command -v sqlite3) || skip "sqlite3 not installed"
python3=$(command -v python3) || skip "python3 not installed"
[ -x "${OUTGUARD:-}" ] || die "OUTGUARD is not an executable: '${OUTGUARD:-}'"
[ -x "${OUTGUARDCTL:-}" ] ||
	die "OUTGUARDCTL is not an executable: '${OUTGUARDCTL:-}'"
[ -r "$scenario" ] || die "no scenario $scenario"

# A unix socket path has at most 107 bytes: fall back to /tmp.
tmp=${TMPDIR:-/tmp}
[ ${#tmp} -le 60 ] || tmp=/tmp
dir=$(mktemp -d "$tmp/og-mt.XXXXXX") || die "mktemp failed"
conf=$dir/outguard.conf
db=$dir/og.db
sock=$dir/og.sock
tapsock=$dir/tap.sock
log=$dir/og.log
replies=$dir/replies.log
og_pid=
tap_pid=
status=1

# stop_pid PID WHAT - SIGTERM one process we started and wait up to 15 s;
# returns its exit status (or 124 after SIGKILL when it would not stop)
stop_pid() {
	local pid=$1 what=$2 i
	kill -TERM "$pid" 2>/dev/null || { wait "$pid"; return; }
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return; }
		sleep 0.1
	done
	echo "$what (pid $pid) still running 15 s after SIGTERM; killing it" >&2
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	return 124
}

show_logs() {
	echo "----- outguard log ($log) -----"
	cat "$log" 2>/dev/null
	echo "----- replies seen by the tap ($replies) -----"
	cat "$replies" 2>/dev/null
	echo "-----"
}

cleanup() {
	[ -n "$tap_pid" ] && stop_pid "$tap_pid" "reply tap" >/dev/null 2>&1
	if [ -n "$og_pid" ]; then
		stop_pid "$og_pid" outguard
		og_pid=
	fi
	if [ "${OG_MT_KEEP:-0}" = 1 ]; then
		echo "kept $dir"
	else
		rm -rf "$dir"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

{
	echo "# written by test/milter/run.sh for $name"
	echo "Socket unix:$sock"
	echo "Database $db"
	echo "Syslog no"
	echo "LogLevel debug"
	# these tests were written for tempfail (the default before
	# OnStoreError enforce); a test's own .conf may say otherwise
	echo "OnStoreError tempfail"
	if [ -r "$base.conf" ]; then
		sed "s|@DIR@|$dir|g" "$base.conf"
	fi
} >"$conf"

# Check the config; this creates the database with the default policy.
if ! "$OUTGUARD" -n -c "$conf" >"$dir/check.log" 2>&1; then
	cat "$dir/check.log"
	die "outguard -n -c $conf failed"
fi
[ -s "$db" ] || die "outguard -n did not create the database $db"

if [ -r "$base.sql" ]; then
	"$sqlite3" -bail "$db" <"$base.sql" ||
		die "applying $(basename "$base.sql") failed"
fi

"$OUTGUARD" -f -c "$conf" >"$log" 2>&1 &
og_pid=$!
for ((i = 0; i < 100; i++)); do
	[ -S "$sock" ] && break
	if ! kill -0 "$og_pid" 2>/dev/null; then
		wait "$og_pid"
		rc=$?
		og_pid=
		show_logs
		die "outguard exited with status $rc before opening $sock"
	fi
	sleep 0.1
done
if [ ! -S "$sock" ]; then
	show_logs
	die "outguard did not create $sock within 10 s"
fi

: >"$replies"
"$python3" "$here/replytap.py" "$tapsock" "$sock" "$replies" &
tap_pid=$!
for ((i = 0; i < 100; i++)); do
	[ -S "$tapsock" ] && break
	kill -0 "$tap_pid" 2>/dev/null || die "the reply tap did not start"
	sleep 0.1
done
[ -S "$tapsock" ] || die "the reply tap did not create $tapsock"

verbose=()
for ((i = 0; i < ${OG_MT_VERBOSE:-0}; i++)); do verbose+=(-v); done

echo "=== $name (outguard pid $og_pid, dir $dir)"
# The timeout leaves time (within ctest's TIMEOUT 60) to stop the daemon.
# lib/main.lua runs the scenario and prints its error (miltertest does not).
timeout 30 "$miltertest" "${verbose[@]}" -s "$here/lib/main.lua" \
	-D "scenario=$scenario" -D "socket=unix:$tapsock" -D "db=$db" \
	-D "ctl=$OUTGUARDCTL" -D "sqlite3=$sqlite3" -D "replies=$replies" \
	-D "libdir=$here/lib" -D "dir=$dir"
mt_status=$?
[ $mt_status = 124 ] && echo "FAIL $name: miltertest timed out after 30 s" >&2

status=$mt_status
if ! kill -0 "$og_pid" 2>/dev/null; then
	wait "$og_pid"
	echo "FAIL $name: outguard died during the scenario (status $?)" >&2
	og_pid=
	status=1
else
	stop_pid "$og_pid" outguard
	rc=$?
	og_pid=
	if [ $rc != 0 ]; then
		echo "FAIL $name: outguard exited with status $rc after SIGTERM" >&2
		status=1
	fi
fi
if grep -qE 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$log"; then
	echo "FAIL $name: sanitizer report in the daemon's log" >&2
	status=1
fi

if [ $status != 0 ]; then
	show_logs
	echo "FAIL $name"
	exit 1
fi
echo "PASS $name"
exit 0
