#!/bin/bash
# NAME
#	run-e2e-throughput.sh - messages/s through Postfix: no milter, the
#	do-nothing filter, outguard
# SYNOPSIS
#	test/bench/run-e2e-throughput.sh [--quick] [BUILD_DIR]
# DESCRIPTION
#	Starts one private Postfix with test/e2e/lib.sh (loopback only,
#	smtp-sink as the next hop) with three more listeners, each
#	without SASL and with {auth_authen} defaulting to "loaduser",
#	since smtp-source cannot authenticate (pf_load_listener):
#	  none        no milter
#	  nullfilter  test/bench/nullfilter, the naive do-nothing filter
#	  outguard    the daemon on a new database with the default
#	              policy; loaduser is in a class "bench" that has the
#	              default limits raised 100000-fold, so every message
#	              is counted and none refused
#	Then ROUNDS rounds; in each, for each listener in turn,
#	smtp-source sends MSGS messages of RCPTS recipients from
#	loaduser@example.test over SESSIONS parallel SMTP sessions, one
#	message per session, and the time until Postfix has accepted
#	the last one gives that listener's messages/s; before the next
#	run the script waits until the sink has them all.  Printed: the
#	median messages/s of each listener and the range over the rounds,
#	the ratio to no milter, the filter process's own CPU time per
#	message (from /proc, median), outguard's extra time per message over
#	the do-nothing filter, and how many messages each filter saw
#	(outguard must count every message sent through it).
#
#	--quick: one round of 200 messages after a warm-up of 50; for
#	the ctest smoke test bench_e2e_smoke, which checks that the
#	script runs and that every message arrives and is counted.
#	The binaries are OUTGUARD and NULLFILTER when set, else built
#	in BUILD_DIR (the argument, else $BUILD, else <repo>/build).
# ENVIRONMENT
#	ROUNDS (3), MSGS (3000), SESSIONS (8), RCPTS (1), WARMUP (300
#	messages to each listener first), OUTGUARD, NULLFILTER, BUILD,
#	KEEP=1 keeps the temporary directory.  RESET=1 deletes the
#	counted messages and sessions before each run through outguard:
#	every message of loaduser's day is read again for each new one,
#	and without RESET that history grows to MSGS x ROUNDS messages.
# DIAGNOSTICS
#	Progress on stderr.  Exit 77 (skipped) without root, Postfix or
#	sqlite3; exit 1 when smtp-source fails, a message does not
#	arrive, or a filter did not see every message sent through it.
set -u

quick=0
if [ "${1:-}" = --quick ]; then
	quick=1
	shift
fi
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${1:-${BUILD:-$top/build}}
rounds=${ROUNDS:-3}
msgs=${MSGS:-3000}
sessions=${SESSIONS:-8}
rcpts=${RCPTS:-1}
warmup=${WARMUP:-300}
if [ "$quick" = 1 ]; then
	rounds=1 msgs=200 warmup=50
fi
modes="none nullfilter outguard"
declare -A rate
status=0

. "$here/../e2e/lib.sh"
. "$here/bench_lib.sh"

e2e_require postfix sqlite3
command -v smtp-source >/dev/null || e2e_skip "smtp-source not installed"
e2e_init
tmp=$E2E_TMP
bench_cleanup_on_exit "" e2e_cleanup	# e2e_cleanup removes $E2E_TMP

# binaries - OUTGUARD and NULLFILTER, built when not given
binaries() {
	if [ -z "${OUTGUARD:-}" ] || [ -z "${NULLFILTER:-}" ]; then
		say "building outguard and nullfilter in $build"
		bench_build outguard nullfilter
		OUTGUARD=${OUTGUARD:-$build/milter/outguard}
		NULLFILTER=${NULLFILTER:-$build/test/bench/nullfilter}
	fi
	[ -x "$OUTGUARD" ] && [ -x "$NULLFILTER" ] ||
		e2e_fatal "no outguard or nullfilter binary"
}

# start_filters - outguard (class bench for loaduser) and nullfilter
start_filters() {
	OG_CONF_EXTRA="LogLevel warning" og_init
	sql "INSERT INTO classes (name, note) VALUES ('bench',
		'run-e2e-throughput: the default limits, raised');
	     INSERT INTO limits (class, metric, window_s, threshold, action)
		SELECT 'bench', metric, window_s, threshold * 100000, action
		FROM limits WHERE class = 'default';
	     INSERT INTO users (login, class) VALUES ('loaduser', 'bench');" ||
		e2e_fatal "cannot set up the bench class"
	og_start
	mkdir -p "$E2E_TMP/nf"
	chmod 755 "$E2E_TMP/nf"
	"$NULLFILTER" -p "unix:$E2E_TMP/nf/f.sock" >"$E2E_TMP/nf/log" 2>&1 &
	nf_pid=$!
	bench_track "$nf_pid"
	wait_for 10 test -S "$E2E_TMP/nf/f.sock" ||
		e2e_fatal "nullfilter did not start: $(cat "$E2E_TMP/nf/log")"
	chmod 666 "$E2E_TMP/nf/f.sock"
}

# start_postfix - Postfix with one load listener per mode
start_postfix() {
	local ports
	ports=$(free_ports 3) || e2e_fatal "no free ports"
	port_none=$(echo "$ports" | sed -n 1p)
	port_nullfilter=$(echo "$ports" | sed -n 2p)
	port_outguard=$(echo "$ports" | sed -n 3p)
	PF_MASTER_EXTRA="$(pf_load_listener "$port_none" loaduser none)
$(pf_load_listener "$port_nullfilter" loaduser "$E2E_TMP/nf/f.sock")
$(pf_load_listener "$port_outguard" loaduser "$OG_SOCK")"
	pf_start
	for p in $port_none $port_nullfilter $port_outguard; do
		wait_for 10 port_open "$p" || e2e_fatal "no listener on $p"
	done
}

# send MODE N - N messages to MODE's listener; prints the seconds taken
send() {
	local port t0 t1
	eval "port=\$port_$1"
	t0=$(date +%s.%N)
	smtp-source -s "$sessions" -m "$2" -r "$rcpts" -l 512 \
		-M client.e2e.test -f "loaduser@$E2E_DOMAIN" \
		-t "rcpt@$E2E_RELAY_DOMAIN" "127.0.0.1:$port" \
		>>"$E2E_TMP/smtp-source.log" 2>&1 || return 1
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

# filter_pid MODE - the PID of MODE's filter, "" for none
filter_pid() {
	case $1 in
	nullfilter) echo "$nf_pid" ;;
	outguard) echo "$OG_PID" ;;
	esac
}

# run MODE N [DIR] - send, then wait for the sink to have everything;
# with DIR, add the rate and the filter's CPU time per message to
# DIR/MODE.rates and DIR/MODE.cpu
run() {
	local secs want pid c0=0 c1=0
	sent=$((sent + $2))
	eval "sent_$1=\$((sent_$1 + $2))"
	pid=$(filter_pid "$1")
	if [ "$1" = outguard ]; then
		og_expect=$((og_expect + $2))
		if [ "${RESET:-0}" = 1 ]; then
			sql "DELETE FROM msg_log; DELETE FROM session_log;"
			og_expect=$2
		fi
	fi
	[ -n "$pid" ] && c0=$(proc_cpu_ms "$pid")
	if ! secs=$(send "$1" "$2"); then
		echo "run-e2e-throughput: smtp-source to $1 failed:" >&2
		tail -n 5 "$E2E_TMP/smtp-source.log" >&2
		status=1
		return 1
	fi
	want=$sent
	if ! wait_for 120 sink_count_ge "$want"; then
		echo "run-e2e-throughput: $1: the sink has $(sink_count)" \
			"of $want messages" >&2
		status=1
		return 1
	fi
	[ -n "$pid" ] && c1=$(proc_cpu_ms "$pid")
	[ -n "${3:-}" ] || return 0
	awk -v n="$2" -v s="$secs" 'BEGIN { printf "%.1f\n", n / s }' \
		>>"$3/$1.rates"
	awk -v n="$2" -v a="$c0" -v b="$c1" \
		'BEGIN { printf "%.0f\n", (b - a) * 1000 / n }' >>"$3/$1.cpu"
	return 0
}

binaries
start_filters
start_postfix
sent=0 sent_none=0 sent_nullfilter=0 sent_outguard=0 og_expect=0
say "load before: $(uptime)"
for m in $modes; do
	run "$m" "$warmup" || exit 1
done
for r in $(seq "$rounds"); do
	for m in $modes; do
		run "$m" "$msgs" "$E2E_TMP" || exit 1
		say "round $r, $m: $(tail -n 1 "$E2E_TMP/$m.rates") msgs/s"
	done
done
q="SELECT COUNT(*) FROM msg_log WHERE login = 'loaduser'"
sql_wait "$q" "$og_expect" 10	# the writer commits in batches
counted=$(sql "$q")
bench_stop	# nullfilter prints its counts as it exits
nf_eom=$(tr ' ' '\n' <"$E2E_TMP/nf/log" | sed -n 's/^eom=//p')

echo "smtp-source -> Postfix -> smtp-sink: $msgs messages of $rcpts" \
	"recipient(s), $sessions sessions in parallel, one message per" \
	"session; $rounds round(s), interleaved; $(nproc) CPUs"
printf "%-11s %9s %15s %9s %13s\n" milter msgs/s range ratio \
	filter_cpu_us
for m in $modes; do
	rate[$m]=$(median <"$E2E_TMP/$m.rates")
	printf "%-11s %9.0f %15s %9s %13s\n" "$m" "${rate[$m]}" \
		"$(lowest <"$E2E_TMP/$m.rates" | xargs printf %.0f)-$(highest \
			<"$E2E_TMP/$m.rates" | xargs printf %.0f)" \
		"$(awk -v a="${rate[$m]}" -v b="${rate[none]}" \
			'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" \
		"$([ "$m" = none ] && echo - || median <"$E2E_TMP/$m.cpu")"
done
awk -v o="${rate[outguard]}" -v n="${rate[nullfilter]}" 'BEGIN {
	printf "outguard against the do-nothing filter: %+.1f%% time per " \
	       "message (target: at most +5%%)\n",
	       (o > 0 ? (n / o - 1) * 100 : 0) }'
echo "messages seen: nullfilter ${nf_eom:-?} of $sent_nullfilter," \
	"outguard counted $counted of $og_expect" \
	"$([ "${RESET:-0}" = 1 ] && echo "(history deleted before each run)")"
[ "$counted" = "$og_expect" ] && [ "$nf_eom" = "$sent_nullfilter" ] ||
	status=1
say "load at the end: $(uptime)"
exit $status
