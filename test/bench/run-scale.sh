#!/bin/bash
# NAME
#	run-scale.sh - outguard with 1,000 and with 1,000,000 known logins
# SYNOPSIS
#	test/bench/run-scale.sh [BUILD_DIR]
# DESCRIPTION
#	Builds milterload, storebench and outguard in BUILD_DIR (the
#	argument, else $BUILD, else <repo>/build) and measures what a
#	message costs when the database knows LOGINS logins:
#
#	Templates.  For each number of logins a database is made once
#	with test/bench/scale-fill.sql (users rows for all logins, a day
#	of messages and sessions for a third of them) and cached as
#	BUILD_DIR/bench-scale/og-N.db; it is made again when the schema
#	or the fill script changed or after two hours, when its history
#	would start to slide out of the windows.  Every limit is raised
#	100000-fold so that everything is counted and nothing refused.
#
#	Load.  For each CONNS value, ROUNDS rounds; in each, for each
#	number of logins in turn, outguard starts on a fresh copy of the
#	template, milterload warms it up for WARMUP seconds and then
#	sends for DURATION seconds, one message of RCPTS recipients per
#	connection, each from a login picked at random among the N.
#	Printed per row: median messages/s and range, wall time per
#	message (1e6 / msgs/s), outguard's CPU time per message (from
#	/proc, all its threads), median p99 latency, failures, and
#	outguard's peak RSS (VmHWM, the highest of the rounds); then the
#	ratio of the largest to the smallest number of logins.
#
#	Store alone.  storebench does the store's work for a message
#	(session, lookup, end-of-message read, message) on copies of the
#	templates, without milter and MTA: ROUNDS interleaved runs of
#	STORE_MSGS messages with 4 threads, median.
#
#	Pruning.  Unless PRUNE_MSGS is 0, outguard runs on a new database
#	with every counter window shortened to PRUNE_WINDOW seconds, and
#	milterload sends it PRUNE_MSGS messages at PRUNE_RATE a second
#	from 1,000,000 logins; every 30 s the counter rows and the size
#	of the database file and its WAL are printed, and the same once
#	the load is over and everything has expired.  Counter rows are
#	kept for the longest window plus a minute and pruned once a
#	minute, so they stay below PRUNE_RATE x (PRUNE_WINDOW + 120 s).
# ENVIRONMENT
#	BUILD, LOGINS ("1000 1000000"), CONNS ("8 64"), ROUNDS (3),
#	DURATION (8), WARMUP (3), RCPTS (1), STORE_MSGS (40000),
#	PRUNE_MSGS (1000000), PRUNE_WINDOW (10), PRUNE_RATE (2000),
#	OUTGUARD (another daemon binary to measure), PARTS ("load store
#	prune": which of the three to run), KEEP=1 keeps the temporary
#	directory.
# DIAGNOSTICS
#	Progress goes to stderr.  Exit 1 when a build, a template, a
#	start-up or a run fails.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/test/bench
build=${1:-${BUILD:-$top/build}}
logins_list=${LOGINS:-"1000 1000000"}
conns_list=${CONNS:-"8 64"}
rounds=${ROUNDS:-3}
duration=${DURATION:-8}
warmup=${WARMUP:-3}
rcpts=${RCPTS:-1}
store_msgs=${STORE_MSGS:-40000}
prune_msgs=${PRUNE_MSGS:-1000000}
prune_window=${PRUNE_WINDOW:-10}
prune_rate=${PRUNE_RATE:-2000}
parts=${PARTS:-"load store prune"}
cache=$build/bench-scale
load=$build/test/bench/milterload
og=${OUTGUARD:-$build/milter/outguard}
tmp=$(mktemp -d /tmp/outguard-scale.XXXXXX)
status=0

. "$here/bench_lib.sh"

bench_cleanup_on_exit "$tmp"

# thousands N - N with thousands separators
thousands() {
	printf "%s" "$1" | sed -e :a -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|[,.]\)/\1,\2\3/; ta'
}

# mb FILE - the size of FILE in MB with one decimal, 0 when missing
mb() {
	stat -c %s "$1" 2>/dev/null |
		awk '{ printf "%.1f", $1 / 1048576 } END { if (!NR) print 0 }'
}

# og_conf DIR - an outguard config with its socket and database in DIR
og_conf() {
	cat >"$1/og.conf" <<-EOF
		Socket unix:$1/f.sock
		Database $1/og.db
		Syslog no
		LogLevel warning
	EOF
}

# new_db DIR - a new database in DIR, made by outguard -n, with every
# limit raised 100000-fold and the benchmark's domain local
new_db() {
	og_conf "$1"
	"$og" -n -c "$1/og.conf" >"$1/check.log" 2>&1 &&
		sqlite3 "$1/og.db" \
			"UPDATE limits SET threshold = threshold * 100000;
			 INSERT INTO local_domains VALUES ('example.test');" ||
		{ cat "$1/check.log" >&2; return 1; }
}

# template N - print the path of the template of N logins, made if needed
template() {
	local n=$1 db=$cache/og-$1.db dir=$tmp/template-$1 stamp t0
	stamp=$(cat "$here/scale-fill.sql" "$top/schema/outguard.sql" \
		"$top"/schema/migrations/*.sql | sha1sum | cut -c1-16)
	if [ -f "$db" ] && [ "$(cat "$db.stamp" 2>/dev/null)" = "$stamp" ] &&
		[ -z "$(find "$db" -mmin +120)" ]; then
		echo "$db"
		return 0
	fi
	echo "making the template of $(thousands "$n") logins" >&2
	t0=$(date +%s)
	mkdir -p "$cache" "$dir"
	new_db "$dir" || return 1
	sqlite3 "$dir/og.db" ".parameter set @logins $n" \
		".parameter set @now $(date +%s)" \
		".read $here/scale-fill.sql" >/dev/null || return 1
	rm -f "$db" "$db.stamp"
	mv "$dir/og.db" "$db" && echo "$stamp" >"$db.stamp" || return 1
	rm -rf "$dir"
	echo "  $(mb "$db") MB in $(($(date +%s) - t0)) s" >&2
	echo "$db"
}

# run_one N CONNS ROUND - warm-up and one measured run on a fresh copy
run_one() {
	local n=$1 c=$2 r=$3 dir=$tmp/run-$1-$2 out cpu0 cpu1
	out=$dir/round$r.out
	mkdir -p "$dir"
	rm -f "$dir/og.db" "$dir/og.db-wal" "$dir/og.db-shm"
	# synced, so that the kernel does not write the copy back while
	# a later round is measured
	cp "${tpl[$n]}" "$dir/og.db" && sync "$dir/og.db" || return 1
	og_conf "$dir"
	bench_start "outguard" "$dir" "$og" -f -c "$dir/og.conf" || return 1
	"$load" -s "unix:$dir/f.sock" -c "$c" -l "$n" -R -r "$rcpts" \
		-d "$warmup" -q >"$dir/warmup$r.out" 2>&1
	cpu0=$(proc_cpu_ms "$bench_pid")
	"$load" -s "unix:$dir/f.sock" -c "$c" -l "$n" -R -r "$rcpts" \
		-d "$duration" -q >"$out" 2>"$out.err"
	cpu1=$(proc_cpu_ms "$bench_pid")
	echo "cpu_ms=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { print b - a }')" \
		"hwm_kb=$(proc_hwm_kb "$bench_pid")" \
		"wal_mb=$(mb "$dir/og.db-wal")" >"$dir/round$r.proc"
	bench_stop
	grep -q '^RESULT ' "$out" && [ "$(val "$out" failed)" = 0 ] || {
		echo "run-scale: $n logins, $c conns, round $r failed:" >&2
		head -n 5 "$out.err" >&2
		return 1
	}
	echo "  round $r, $(thousands "$n") logins, $c conns:" \
		"$(val "$out" msgs_per_s) msgs/s" >&2
}

# pval FILE KEY - KEY=... of a .proc file
pval() {
	tr ' ' '\n' <"$1" | sed -n "s/^$2=//p"
}

# row N CONNS - one table row from the rounds; sets us[N] and cpu[N]
row() {
	local n=$1 c=$2 dir=$tmp/run-$1-$2 r rate hwm
	local outs=("$dir"/round*.out)
	rate=$(for f in "${outs[@]}"; do val "$f" msgs_per_s; done | median)
	us[$n]=$(awk -v r="$rate" 'BEGIN { printf "%.0f", (r > 0 ? 1e6 / r : 0) }')
	cpu[$n]=$(for r in $(seq "$rounds"); do
		awk -v ms="$(pval "$dir/round$r.proc" cpu_ms)" \
			-v m="$(val "$dir/round$r.out" msgs)" \
			'BEGIN { printf "%.0f\n", (m > 0 ? ms * 1000 / m : 0) }'
	done | median)
	hwm=$(for r in $(seq "$rounds"); do pval "$dir/round$r.proc" hwm_kb
	done | highest)
	printf "%10s %5s %8s %13s %7s %7s %7s %6s %8s\n" "$(thousands "$n")" \
		"$c" "$(printf %.0f "$rate")" \
		"$(for f in "${outs[@]}"; do val "$f" msgs_per_s; done |
			lowest | xargs printf %.0f)-$(for f in "${outs[@]}"; do
			val "$f" msgs_per_s; done | highest | xargs printf %.0f)" \
		"${us[$n]}" "${cpu[$n]}" \
		"$(for f in "${outs[@]}"; do val "$f" p99_ms; done | median)" \
		"$(for f in "${outs[@]}"; do val "$f" failed; done |
			awk '{ s += $1 } END { print s }')" \
		"$(awk -v k="$hwm" 'BEGIN { printf "%.0f MB", k / 1024 }')"
}

# ratio A B - A / B with two decimals
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

# measure - the load rounds for every CONNS value, then the table
measure() {
	local c r n lo hi
	lo=${logins_list%% *}
	hi=${logins_list##* }
	for c in $conns_list; do
		for r in $(seq "$rounds"); do
			for n in $logins_list; do
				run_one "$n" "$c" "$r" || { status=1; return; }
			done
		done
	done
	echo "milterload: 1 message of $rcpts recipient(s) per connection," \
		"logins at random; $rounds rounds of ${duration}s after" \
		"${warmup}s of warm-up, interleaved, each on a fresh copy of" \
		"the template; $(nproc) CPUs"
	printf "%10s %5s %8s %13s %7s %7s %7s %6s %8s\n" logins conns \
		msgs/s range us/msg cpu_us p99_ms failed peak_rss
	for c in $conns_list; do
		for n in $logins_list; do
			row "$n" "$c"
		done
		[ "$lo" != "$hi" ] &&
			echo "  $c connections: $(thousands "$hi") logins cost" \
				"$(ratio "${us[$hi]}" "${us[$lo]}")x the wall time" \
				"and $(ratio "${cpu[$hi]}" "${cpu[$lo]}")x the CPU" \
				"time per message of $(thousands "$lo")" \
				"(target: at most 1.20x)"
	done
}

# store_alone - storebench on copies of the templates, interleaved
store_alone() {
	local n r line
	for r in $(seq "$rounds"); do
		for n in $logins_list; do
			rm -f "$tmp/sb.db" "$tmp/sb.db-wal" "$tmp/sb.db-shm"
			cp "${tpl[$n]}" "$tmp/sb.db" || return 1
			line=$("$build/test/bench/storebench" "$tmp/sb.db" "$n" \
				"$store_msgs" 4) || { status=1; return; }
			echo "$line" | sed 's/.* \([0-9.]*\) us CPU.*/\1/' \
				>>"$tmp/sb-$n"
		done
	done
	rm -f "$tmp/sb.db" "$tmp/sb.db-wal" "$tmp/sb.db-shm"
	echo "the store alone (storebench, 4 threads, $store_msgs messages," \
		"median of $rounds): CPU per message"
	for n in $logins_list; do
		echo "  $(thousands "$n") logins: $(median <"$tmp/sb-$n") us"
	done
}

# prune_sample DIR T - one line of the pruning table
prune_sample() {
	local q
	local m se c
	q=$(sqlite3 -cmd ".timeout 5000" "$1/og.db" \
		"SELECT (SELECT count(*) FROM msg_log) || ' ' ||
			(SELECT count(*) FROM session_log) || ' ' ||
			(SELECT count(*) FROM counts)") || return
	read -r m se c <<<"$q"
	printf "%6s %10s %12s %10s %8s %8s\n" "$2" "$(thousands "$m")" \
		"$(thousands "$se")" "$(thousands "$c")" \
		"$(mb "$1/og.db")" "$(mb "$1/og.db-wal")"
}

# prune_demo - PRUNE_MSGS messages with short windows; rows and sizes
prune_demo() {
	local dir=$tmp/prune t0 lpid t n=0
	mkdir -p "$dir"
	new_db "$dir" &&
		sqlite3 "$dir/og.db" "UPDATE limits SET window_s = $prune_window
			WHERE window_s > 0" || { status=1; return; }
	bench_start outguard "$dir" "$og" -f -c "$dir/og.conf" ||
		{ status=1; return; }
	echo "pruning: $(thousands "$prune_msgs") messages at $prune_rate a" \
		"second from 1,000,000 logins (random), 8 connections, a new" \
		"database; counter windows ${prune_window}s, so rows are kept" \
		"$((prune_window + 60))s and pruned every minute"
	printf "%6s %10s %12s %10s %8s %8s\n" time msg_log session_log counts \
		db_MB wal_MB
	t0=$(date +%s)
	"$load" -s "unix:$dir/f.sock" -c 8 -l 1000000 -R -n "$prune_msgs" \
		-w "$prune_rate" -q >"$dir/load.out" 2>"$dir/load.err" &
	lpid=$!
	while kill -0 "$lpid" 2>/dev/null; do
		sleep 1
		n=$((n + 1))
		[ $((n % 30)) = 0 ] && kill -0 "$lpid" 2>/dev/null &&
			prune_sample "$dir" "${n}s"
	done
	wait "$lpid" || { status=1; head -n 5 "$dir/load.err" >&2; }
	t=$(($(date +%s) - t0))
	prune_sample "$dir" "${t}s"
	echo "  $(thousands "$(val "$dir/load.out" msgs)") messages in ${t}s" \
		"($(printf %.0f "$(val "$dir/load.out" msgs_per_s)") msgs/s)," \
		"$(val "$dir/load.out" failed) failed; outguard's peak RSS" \
		"$(awk -v k="$(proc_hwm_kb "$bench_pid")" \
			'BEGIN { printf "%.0f MB", k / 1024 }')"
	sleep $((prune_window + 130))
	prune_sample "$dir" "+$((prune_window + 130))s"
	echo "  (the last line: $((prune_window + 130))s after the load, when" \
		"every row has expired and outguard has pruned)"
	bench_stop
}

if [ -n "${OUTGUARD:-}" ]; then
	bench_build milterload storebench
else
	bench_build milterload storebench outguard
fi
declare -A tpl us cpu
echo "load before: $(uptime)" >&2
for n in $logins_list; do
	tpl[$n]=$(template "$n") || { echo "run-scale: no template" >&2; exit 1; }
done
case " $parts " in *" load "*) measure ;; esac
case " $parts " in *" store "*) store_alone ;; esac
case " $parts " in *" prune "*) [ "$prune_msgs" != 0 ] && prune_demo ;; esac
echo "load (uptime) at the end: $(uptime | sed 's/.*load average: //')"
exit $status
