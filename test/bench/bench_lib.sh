# bench_lib.sh - what the benchmark scripts share
#
# Source it from a script in test/bench (bash) after setting top (the
# source tree), build (the build dir) and tmp (a scratch dir the
# script removes); only bench_build needs top and build:
#
#	bench_cleanup_on_exit "$tmp"      # at exit: bench_stop, rm -rf
#	                                  # $tmp (kept with KEEP=1)
#	bench_build milterload outguard   # configure if needed, build
#	bench_start NAME DIR CMD...       # CMD in the background, its PID
#	                                  # kept; waits for DIR/f.sock
#	bench_track PID                   # keep a PID the script started
#	bench_stop                        # SIGTERM them all, wait by PID
#	val FILE KEY                      # KEY=... of FILE's RESULT line
#	median / lowest / highest         # of the numbers on stdin
#	proc_cpu_ms PID / proc_hwm_kb PID # CPU time so far, peak RSS
#
# Nothing here kills a process it did not start.

# shellcheck shell=bash
bench_pids=
bench_tmp=
bench_then=

# bench_cleanup_on_exit DIR [THEN] - install the EXIT trap bench_cleanup:
# it stops the processes in bench_pids and removes DIR ("" for none;
# kept and named on stderr with KEEP=1), then runs THEN (e.g.
# e2e_cleanup) with the script's exit status in $?.  Without THEN,
# SIGINT and SIGTERM make the script exit 1 through that trap; with
# THEN the signal traps are left as they are (e2e_init installs its own).
bench_cleanup_on_exit() {
	bench_tmp=$1
	bench_then=${2:-}
	trap bench_cleanup EXIT
	[ -n "$bench_then" ] || trap 'exit 1' INT TERM
}

# bench_cleanup - the EXIT trap of bench_cleanup_on_exit; keeps the
# script's exit status
bench_cleanup() {
	local rc=$?
	bench_stop
	if [ -n "$bench_tmp" ]; then
		if [ "${KEEP:-0}" = 1 ]; then
			echo "logs kept in $bench_tmp" >&2
		else
			rm -rf "$bench_tmp"
		fi
	fi
	if [ -n "$bench_then" ]; then
		(exit $rc)
		"$bench_then"
	fi
	return $rc
}

# bench_track PID - a process the script started, for bench_stop
bench_track() {
	bench_pids="$bench_pids $1"
}

# bench_build TARGET... - configure BUILD if needed, build the targets
bench_build() {
	if [ ! -f "$build/CMakeCache.txt" ]; then
		cmake -S "$top" -B "$build" -DCMAKE_BUILD_TYPE=Release \
			>"$tmp/cmake.log" 2>&1 || {
			cat "$tmp/cmake.log" >&2
			echo "$(basename "$0"): cmake configure failed" >&2
			exit 1
		}
	fi
	cmake --build "$build" --target "$@" -j"$(nproc)" \
		>"$tmp/build.log" 2>&1 || {
		tail -n 30 "$tmp/build.log" >&2
		echo "$(basename "$0"): cannot build $*" >&2
		exit 1
	}
}

# bench_start NAME DIR CMD... - start a filter that listens on DIR/f.sock
bench_start() {
	local name=$1 dir=$2 pid
	shift 2
	"$@" >>"$dir/filter.log" 2>&1 &
	pid=$!
	bench_track "$pid"
	bench_pid=$pid
	for _ in $(seq 300); do
		[ -S "$dir/f.sock" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "$(basename "$0"): $name did not open $dir/f.sock:" >&2
	tail -n 20 "$dir/filter.log" >&2
	return 1
}

# bench_stop - SIGTERM every filter we started, wait for each PID
bench_stop() {
	local pid
	[ -n "$bench_pids" ] || return 0
	for pid in $bench_pids; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $bench_pids; do
		wait "$pid" 2>/dev/null
	done
	bench_pids=
}

# val FILE KEY - the value of KEY=... on the RESULT line of FILE
val() {
	grep '^RESULT ' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# median - the median of the numbers on stdin (the lower of two middles)
median() {
	sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}

# lowest, highest - the extremes of the numbers on stdin
lowest() {
	sort -g | head -n 1
}
highest() {
	sort -g | tail -n 1
}

# proc_cpu_ms PID - user + system CPU time of a process so far, in ms
# (all its threads, the finished ones included)
proc_cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' \
		"/proc/$1/stat"
}

# proc_hwm_kb PID - peak resident set size of a process (VmHWM), in kB
proc_hwm_kb() {
	awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status"
}
