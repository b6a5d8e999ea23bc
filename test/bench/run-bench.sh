#!/bin/bash
# NAME
#	run-bench.sh - outguard against the do-nothing filter, side by side
# SYNOPSIS
#	test/bench/run-bench.sh [BUILD_DIR]
# DESCRIPTION
#	Builds milterload, nullfilter and outguard in BUILD_DIR (the
#	argument, else $BUILD, else <repo>/build; configured first when
#	it has no CMakeCache.txt), then drives each filter with milterload
#	as Postfix would: CONNS connections, one message per connection,
#	LOGINS logins, RCPTS recipients per message.  The filters, each on
#	a unix socket in a temporary directory:
#	  nullfilter      naive do-nothing filter: the reference (ratio 1)
#	  nullfilter-e    do-nothing, but negotiates stages as outguard does
#	  outguard        the daemon with a new database: outguard -n
#	                  creates it, every limit is raised 100000-fold so
#	                  nothing is refused while everything is counted
#	  outguard-1k     the same with 1,000 rules (spread over the rule
#	                  fields) and 1,000 protected domains loaded, none
#	                  of which the load trips (policy-1k.sql)
#	With METRICS=1, three more (and outguard-1k left out):
#	  outguard-m      outguard with MetricsSocket on a free loopback
#	                  port, not scraped
#	  outguard-mh     the same, while scrape-hammer.py GETs its
#	                  /metrics without pause on HAMMER (4) connections
#	                  during its rounds (only its own, not the others');
#	                  the scrapes per second are printed under the table
#	  outguard-mo     the same, while the hammer scrapes outguard-m
#	                  instead: the control, with the same CPU taken by
#	                  the scraper and the HTTP thread on the machine but
#	                  none in the daemon measured; outguard-mh against
#	                  outguard-mo is what scraping costs the mail path
#	                  itself, outguard-mo against outguard-m what the
#	                  scraper's CPU costs a machine with few cores
#	  outguard-pg     with PG=1: outguard on a private PostgreSQL
#	                  (test/pg/pg_lib.sh, loopback TCP), limits raised
#	                  as above; its log's last line says how many
#	                  synchronous round trips it made per message
#	For each RCPTS value all filters are started, warmed up for WARMUP
#	seconds, then measured in ROUNDS interleaved rounds of DURATION
#	seconds each (so background load hits them alike), then stopped
#	with SIGTERM and waited for by PID.  Prints the median messages/s
#	(and the range over the rounds), median p50 and p99 latency,
#	refused messages, failures, and the ratio of the median to the
#	reference's.  Without an outguard binary only the reference
#	filters are measured.
# ENVIRONMENT
#	BUILD, ROUNDS (3), DURATION (8), WARMUP (1), CONNS (8),
#	LOGINS (1000), RCPTS ("1 10"), METRICS (0), HAMMER (4), KEEP=1
#	keeps the temporary directory with every report and log, PG=1
#	adds outguard-pg, FILTERS (a list of the names above) measures
#	only those.
# DIAGNOSTICS
#	Progress goes to stderr.  Exit 1 when a build, a filter start-up
#	or a run fails.
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/test/bench
build=${1:-${BUILD:-$top/build}}
rounds=${ROUNDS:-3}
duration=${DURATION:-8}
warmup=${WARMUP:-1}
conns=${CONNS:-8}
logins=${LOGINS:-1000}
rcpts_list=${RCPTS:-"1 10"}
metrics=${METRICS:-0}
hammer=${HAMMER:-4}
load=$build/test/bench/milterload
null=$build/test/bench/nullfilter
og=$build/milter/outguard
tmp=$(mktemp -d /tmp/outguard-bench.XXXXXX)
status=0

. "$here/bench_lib.sh"

bench_cleanup_on_exit "$tmp"

# build - configure if needed, build the tools and, if it can, outguard
build() {
	if [ ! -f "$build/CMakeCache.txt" ]; then
		cmake -S "$top" -B "$build" >"$tmp/cmake.log" 2>&1 || {
			cat "$tmp/cmake.log" >&2
			echo "run-bench: cmake configure failed" >&2
			exit 1
		}
	fi
	cmake --build "$build" --target milterload nullfilter policybench \
		-j"$(nproc)" \
		>"$tmp/build.log" 2>&1 || {
		cat "$tmp/build.log" >&2
		echo "run-bench: cannot build milterload and nullfilter" >&2
		exit 1
	}
	if ! cmake --build "$build" --target outguard -j"$(nproc)" \
		>"$tmp/build-outguard.log" 2>&1; then
		tail -n 20 "$tmp/build-outguard.log" >&2
		echo "run-bench: outguard does not build; reference only" >&2
		og=
	fi
}

# free_port - a free TCP port on 127.0.0.1
free_port() {
	python3 -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_outguard DIR [loaded|metrics] - config, database with raised
# limits, daemon; with metrics, a MetricsSocket (its port in DIR/port)
start_outguard() {
	local dir=$1
	cat >"$dir/og.conf" <<-EOF
		Socket unix:$dir/f.sock
		Database $dir/og.db
		Syslog no
		LogLevel warning
	EOF
	if [ "${2:-}" = metrics ]; then
		free_port >"$dir/port" || return 1
		echo "MetricsSocket inet:$(cat "$dir/port")@127.0.0.1" \
			>>"$dir/og.conf"
	fi
	if ! "$og" -n -c "$dir/og.conf" >"$dir/check.log" 2>&1; then
		cat "$dir/check.log" >&2
		return 1
	fi
	sqlite3 "$dir/og.db" \
		"UPDATE limits SET threshold = threshold * 100000;
		 INSERT INTO local_domains VALUES ('example.test');" || return 1
	if [ "${2:-}" = loaded ]; then
		sqlite3 "$dir/og.db" <"$here/policy-1k.sql" || return 1
	fi
	"$og" -f -c "$dir/og.conf" >"$dir/filter.log" 2>&1 &
}

# start_outguard_pg DIR - outguard on the private PostgreSQL
start_outguard_pg() {
	local dir=$1
	cat >"$dir/og.conf" <<-EOF
		Socket unix:$dir/f.sock
		Database $PG_URI
		Syslog no
		LogLevel notice
	EOF
	if ! "$og" -n -c "$dir/og.conf" >"$dir/check.log" 2>&1; then
		cat "$dir/check.log" >&2
		return 1
	fi
	pg_sql "UPDATE limits SET threshold = threshold * 100000
		WHERE threshold < 10000000;
		INSERT INTO local_domains VALUES ('example.test')
		ON CONFLICT DO NOTHING;" >/dev/null || return 1
	"$og" -f -c "$dir/og.conf" >"$dir/filter.log" 2>&1 &
}

# start_filter NAME DIR - start a filter on DIR/f.sock, wait for it
start_filter() {
	local name=$1 dir=$2 pid
	mkdir -p "$dir"
	case $name in
	nullfilter)	"$null" -p "unix:$dir/f.sock" >"$dir/filter.log" 2>&1 &
			;;
	nullfilter-e)	"$null" -e -p "unix:$dir/f.sock" >"$dir/filter.log" \
				2>&1 &
			;;
	outguard)	start_outguard "$dir" || return 1 ;;
	outguard-1k)	start_outguard "$dir" loaded || return 1 ;;
	outguard-m*)	start_outguard "$dir" metrics || return 1 ;;
	outguard-pg)	start_outguard_pg "$dir" || return 1 ;;
	esac
	pid=$!
	bench_track "$pid"
	for _ in $(seq 150); do
		[ -S "$dir/f.sock" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "run-bench: $name did not open $dir/f.sock:" >&2
	tail -n 20 "$dir/filter.log" >&2
	return 1
}

# run_load DIR RCPTS SECS OUT - one milterload run; 1 when it failed.
# For outguard-mh, scrape-hammer.py runs beside it (report in OUT.hammer)
run_load() {
	local hpid="" rc
	case $1 in
	*/outguard-mh-*)
		python3 "$here/scrape-hammer.py" "$(cat "$1/port")" "$hammer" \
			>"$4.hammer" 2>&1 &
		hpid=$!
		;;
	*/outguard-mo-*)
		python3 "$here/scrape-hammer.py" \
			"$(cat "${1%/outguard-mo-*}/outguard-m-$2/port")" \
			"$hammer" >"$4.hammer" 2>&1 &
		hpid=$!
		;;
	esac
	"$load" -s "unix:$1/f.sock" -c "$conns" -l "$logins" -r "$2" \
		-d "$3" >"$4" 2>"$4.err" && grep -q '^RESULT ' "$4"
	rc=$?
	if [ -n "$hpid" ]; then
		kill -TERM "$hpid" 2>/dev/null
		wait "$hpid"
	fi
	return $rc
}

# report NAME RCPTS - one table row from the rounds of a filter
report() {
	local name=$1 rcpts=$2 dir=$tmp/$1-$2 f rate lo hi
	local refused=0 rrefused=0 failed=0
	local outs=("$dir"/round*.out)
	rate=$(for f in "${outs[@]}"; do val "$f" msgs_per_s; done | median)
	lo=$(for f in "${outs[@]}"; do val "$f" msgs_per_s; done | sort -g |
		head -n 1)
	hi=$(for f in "${outs[@]}"; do val "$f" msgs_per_s; done | sort -g |
		tail -n 1)
	for f in "${outs[@]}"; do
		refused=$((refused + $(val "$f" msgs) - $(val "$f" continue) -
			$(val "$f" accept)))
		rrefused=$((rrefused + $(val "$f" rcpt_refused)))
		failed=$((failed + $(val "$f" failed)))
	done
	[ "$name" = nullfilter ] && ref=$rate
	printf "%-13s %5s %9s %15s %8s %8s %8s %6s %6s\n" "$name" "$rcpts" \
		"$rate" "$lo-$hi" \
		"$(for f in "${outs[@]}"; do val "$f" p50_ms; done | median)" \
		"$(for f in "${outs[@]}"; do val "$f" p99_ms; done | median)" \
		"$refused" "$failed" \
		"$(awk -v a="$rate" -v b="$ref" \
			'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
	if [ "$rrefused" != 0 ]; then
		echo "  note: $name refused $rrefused recipients at RCPT"
	fi
	case $name in
	outguard-mh|outguard-mo)
		echo "  note: during $name's rounds the hammer made $(for f in \
			"${outs[@]}"; do val "$f.hammer" scrapes_per_s; done |
			median) GET /metrics a second (median; $hammer" \
			"connections)"
		;;
	esac
}

# measure RCPTS - start all filters, warm up, interleaved rounds, stop
measure() {
	local rcpts=$1 f r dir out
	for f in $filters; do
		start_filter "$f" "$tmp/$f-$rcpts" || { status=1; return 1; }
	done
	for f in $filters; do
		run_load "$tmp/$f-$rcpts" "$rcpts" "$warmup" \
			"$tmp/$f-$rcpts/warmup.out"
	done
	for r in $(seq "$rounds"); do
		for f in $filters; do
			dir=$tmp/$f-$rcpts
			out=$dir/round$r.out
			if ! run_load "$dir" "$rcpts" "$duration" "$out"; then
				echo "run-bench: $f, $rcpts rcpts, round $r:" \
					"failed" >&2
				head -n 5 "$out.err" >&2
				status=1
			fi
			echo "  round $r $f $rcpts rcpts:" \
				"$(val "$out" msgs_per_s) msgs/s" >&2
		done
	done
	bench_stop
	ref=0
	for f in $filters; do
		[ -n "$(val "$tmp/$f-$rcpts/round1.out" msgs)" ] &&
			report "$f" "$rcpts"
	done
}

build
filters="nullfilter nullfilter-e"
[ -n "$og" ] && filters="$filters outguard outguard-1k"
[ -n "$og" ] && [ "$metrics" = 1 ] &&
	filters="nullfilter nullfilter-e outguard outguard-m outguard-mh
	outguard-mo"
if [ "${PG:-0}" = 1 ] && [ -n "$og" ]; then
	# shellcheck source=../pg/pg_lib.sh
	. "$top/test/pg/pg_lib.sh"
	pg_require
	pg_start
	filters="$filters outguard-pg"
fi
# FILTERS="outguard outguard-pg": only those (no ratio without nullfilter)
[ -n "${FILTERS:-}" ] && filters=$FILTERS
rows=$tmp/table
for rcpts in $rcpts_list; do
	measure "$rcpts" >>"$rows" || break
done
echo "milterload: $conns connections, 1 message per connection," \
	"$logins logins; $rounds rounds of ${duration}s per filter," \
	"interleaved; $(nproc) CPUs"
printf "%-13s %5s %9s %15s %8s %8s %8s %6s %6s\n" filter rcpts msgs/s \
	range p50_ms p99_ms refused failed ratio
cat "$rows" 2>/dev/null
for f in "$tmp"/outguard-pg-*/filter.log; do
	[ -f "$f" ] && echo "$(basename "$(dirname "$f")"):" \
		"$(grep -o 'postgresql: .*' "$f" | tail -n 1)"
done
if [ -x "$build/test/bench/policybench" ] && [ -n "$og" ]; then
	echo "forgery checks without the MTA (test/bench/policybench):"
	for f in outguard outguard-1k; do
		[ -f "$tmp/$f-1/og.db" ] &&
			"$build/test/bench/policybench" "$tmp/$f-1/og.db"
	done
fi
exit $status
