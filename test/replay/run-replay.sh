#!/bin/bash
# NAME
#	run-replay.sh - attack and honest-user shapes replayed through a
#	private Postfix, with the daemon on a clock 30 times fast
# SYNOPSIS
#	test/replay/run-replay.sh [--quick] [--no-history]
# DESCRIPTION
#	Measures how the default policy treats the incidents of SPEC
#	section 1 and honest senders (issue 10).  With test/e2e/lib.sh:
#	a private Postfix on loopback with SASL submission and smtp-sink
#	as the next hop, and the outguard daemon on a fresh database
#	with the default policy (as "outguard -n" makes it, the users'
#	domain in local_domains, nothing else changed), run under
#	libfaketime (LD_PRELOAD, FAKETIME="+0 x30": its clock, and every
#	sleep and timeout, runs 30 times fast).  The senders run in real
#	time at 1/30 of the simulated rates (test/replay/replay.py, one
#	process per shape, each its own login and client networks in
#	127.0.0.0/8), so the daemon sees the simulated rates; 6 simulated
#	hours take 12 real minutes.
#
#	History: a stolen account has its owner's past, an honest user
#	his own.  Unless --no-history, the daemon first runs with its
#	clock two days back at x300 (FAKETIME="-2d x300") while every
#	login plays its ordinary day (replay.py --history: 6 hours in 72
#	real seconds); its speed is checked as below, and it is stopped.
#	The replay's daemon then starts on the same database, behind a
#	new Postfix instance and an emptied sink, so that the table
#	counts the replay only.  The history is outside every window of
#	the default policy (the longest is a day); it is there for what
#	learns from the past (contacts, usual peaks: SPEC section 6.1).
#
#	First the calibration shape "clock" sends 5 messages 3 real
#	seconds apart: the times the daemon stored for them must be 90
#	simulated seconds apart, within 10%, or the run stops.  Then all
#	shapes run at once: steady, sessions, bcc and probe (attacks),
#	office, roaming and moderator (honest); replay.py describes them.
#	When every sender is done and Postfix has delivered what it
#	accepted, the daemon is stopped and test/replay/report.py prints
#	one row per shape: messages and recipients delivered (the
#	maillog, checked against smtp-sink's dumps), the time to the
#	first refusal and to the block (simulated minutes), what was
#	refused, held or stamped with X-Outguard, the login's events
#	rows, and PASS or MISS against the issue's target (attacks: at
#	most 300 recipients delivered, blocked within 15 simulated
#	minutes; honest: nothing refused, held or stamped).  The clock
#	is checked again over every stored message of the run.
#
#	The table is data: the exit status says only whether the harness
#	worked (the clock ran at the speed asked for, every shape sent
#	all it planned without a connection or AUTH failure, the daemon
#	recorded every shape's sessions, the maillog and smtp-sink agree,
#	the calibration mail arrived).
#
#	--quick: the first 16 simulated minutes of each shape and of its
#	history (about a minute in all): the smoke test replay_smoke.  Without it: the
#	whole replay, ctest -L replay (not in the normal run).
# ENVIRONMENT
#	OUTGUARD (else found in a build dir), REPLAY_SPEED (30),
#	REPLAY_HISTORY_SPEED (300), FAKETIME_LIB (libfaketimeMT.so.1), KEEP=1 keeps the temp dir.
# DIAGNOSTICS
#	Progress on stderr, the table on stdout.  Exit 0 when the harness
#	worked, 1 when not, 77 (skipped) without root, Postfix, Cyrus
#	SASL, sqlite3, python3 or libfaketime.
set -u
quick=0
history=1
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--no-history) history=0 ;;
	*) echo "usage: $0 [--quick] [--no-history]" >&2; exit 2 ;;
	esac
	shift
done
# The shapes' logins (lib.sh makes them SASL users, password "secret").
E2E_USERS="clock steady sessions bcc probe office roaming moderator"
. "$(dirname "$0")/../e2e/lib.sh"
RP_HERE=$(cd "$(dirname "$0")" && pwd)
RP_SPEED=${REPLAY_SPEED:-30}
RP_HSPEED=${REPLAY_HISTORY_SPEED:-300}
RP_SHAPES="steady sessions bcc probe office roaming moderator"
RP_MINUTES=0
[ "$quick" = 1 ] && RP_MINUTES=16

# rp_faketime_lib - the multi-threaded libfaketime, or ""
rp_faketime_lib()
{
	local f
	for f in /usr/lib/*/faketime/libfaketimeMT.so.1 \
		/usr/lib/faketime/libfaketimeMT.so.1; do
		[ -r "$f" ] && { echo "$f"; return; }
	done
	echo ""
}

# rp_og_start FAKETIME - og_start under libfaketime, e.g. "+0 x30"
rp_og_start()
{
	local asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

	echo "# FAKETIME='$1' LD_PRELOAD=$RP_FTLIB" \
		"outguard -f -c $OG_CONF" >>"$OG_LOG"
	# A sanitizer build's runtime must otherwise be first to load.
	FAKETIME=$1 LD_PRELOAD=$RP_FTLIB ASAN_OPTIONS=$asan \
		"$OUTGUARD" -f -c "$OG_CONF" >>"$OG_LOG" 2>&1 &
	OG_PID=$!
	wait_for 10 og_ready || e2e_fatal "outguard did not start listening"
	say "outguard pid $OG_PID under libfaketime '$1', db $OG_DB"
}

# rp_play SHAPE [--history] - start SHAPE's sender in the background
# (its log in RP_LOGS, its speed RP_SPEED); pid in RP_PID
rp_play()
{
	python3 "$RP_HERE/replay.py" "$@" --port "$PF_SUB_PORT" \
		--password "$E2E_PASSWORD" --speed "$RP_SPEED" \
		--minutes "$RP_MINUTES" --tag "$(basename "$E2E_TMP")" \
		--out "$RP_LOGS/$1.jsonl" 2>"$RP_LOGS/$1.err" &
	RP_PID=$!
	e2e_track "$RP_PID"
}

# rp_history - the day before: every login's ordinary day (replay.py
# --history), two days ago, on a clock RP_HSPEED times fast; then the
# daemon is stopped (the replay's starts on the same database)
rp_history()
{
	local logs=$RP_LOGS speed=$RP_SPEED pids='' s

	RP_LOGS=$logs/history
	RP_SPEED=$RP_HSPEED
	mkdir -p "$RP_LOGS"
	say "history: every login's ordinary day, 2 days ago, at x$RP_SPEED"
	for s in $RP_SHAPES; do
		rp_play "$s" --history
		pids="$pids $RP_PID"
	done
	# shellcheck disable=SC2086
	rp_wait $pids
	for s in $RP_SHAPES; do
		check "history: $s's sender played its day" \
			grep -q '"end"' "$RP_LOGS/$s.jsonl"
	done
	rp_report --speed-only --label history ||
		e2e_fatal "the history daemon's clock does not run x$RP_SPEED"
	pf_wait_idle 60 || say "Postfix still has mail in its queue"
	RP_LOGS=$logs
	RP_SPEED=$speed
	og_stop
}

# rp_wait PIDS - wait for the senders, a progress line every minute
rp_wait()
{
	local pid left n s line i=0
	while :; do
		left=0
		for pid in "$@"; do
			kill -0 "$pid" 2>/dev/null && left=$((left + 1))
		done
		[ "$left" = 0 ] && break
		sleep 1
		i=$((i + 1))
		[ $((i % 60)) = 0 ] || continue
		line=
		for s in $RP_SHAPES; do
			n=$(grep -c '"n":' "$RP_LOGS/$s.jsonl" 2>/dev/null)
			line="$line $s=${n:-0}"
		done
		say "$((i / 60)) min (simulated $((i * RP_SPEED / 60)) min):" \
			"messages$line"
	done
	for pid in "$@"; do
		wait "$pid" || say "a sender exited with status $?"
	done
	for s in clock $RP_SHAPES; do
		[ -s "$RP_LOGS/$s.err" ] &&
			say "$s's stderr: $(tail -n 3 "$RP_LOGS/$s.err")"
	done
	return 0
}

# rp_report [ARGS] - report.py on what the run collected
rp_report()
{
	python3 "$RP_HERE/report.py" --logs "$RP_LOGS" --db "$OG_DB" \
		--speed "$RP_SPEED" "$@"
}

e2e_require postfix sasl sqlite3 outguard
command -v python3 >/dev/null || e2e_skip "python3 not installed"
RP_FTLIB=${FAKETIME_LIB:-$(rp_faketime_lib)}
[ -r "${RP_FTLIB:-/nonexistent}" ] ||
	e2e_skip "libfaketime not installed (Debian package faketime)"
e2e_init
RP_LOGS=$E2E_TMP/replay
mkdir -p "$RP_LOGS"
og_init
if [ "$history" = 1 ]; then
	rp_og_start "-2d x$RP_HSPEED"
	pf_start "$OG_SOCK"
	rp_history
	OG_LOG=$E2E_TMP/og/outguard-replay.log
fi
# The replay's daemon, on the history's database; a new Postfix instance
# (its own maillog and queue) and an empty sink: they count the replay only.
rp_og_start "+0 x$RP_SPEED"
pf_start "$OG_SOCK"
sink_reset

say "calibration: 5 messages 3 s apart, 90 simulated s apart for outguard"
rp_play clock
rp_wait "$RP_PID"
sql_wait "SELECT count(*) FROM msg_log WHERE login = 'clock'" 5 10 ||
	e2e_fatal "the daemon did not store the 5 calibration messages"
if ! rp_report --speed-only; then
	e2e_fatal "the daemon's clock does not run x$RP_SPEED under" \
		"libfaketime ($RP_FTLIB): the replay's times would be wrong"
fi

if [ "$quick" = 1 ]; then
	say "quick: the first $RP_MINUTES simulated minutes of each shape"
else
	say "full replay: about 12 real minutes (6 simulated hours)"
fi
pids=
for s in $RP_SHAPES; do
	rp_play "$s"
	pids="$pids $RP_PID"
done
# shellcheck disable=SC2086
rp_wait $pids
say "senders done; waiting for Postfix to deliver what it accepted"
pf_wait_idle 180 || say "Postfix still has mail in its queue"
pf_queue_json >"$E2E_TMP/queue.json"
og_stop	# a sanitizer report in its log is a failed check (E2E_FAIL)
rp_report --maillog "$PF_DIR/log/maillog" --sink "$SINK_DIR" \
	--hold "$E2E_TMP/queue.json" --check
rc=$?
[ "$rc" = 0 ] && [ "$E2E_FAIL" != 0 ] && rc=1
case $rc in
0) echo "replay: the harness worked (the table is data, not a test)" ;;
3) echo "replay: FAIL: the daemon's clock was off; the table is void" ;;
*) echo "replay: FAIL: the harness did not work" ;;
esac
[ "$rc" = 0 ] && exit 0
e2e_diag
exit 1
