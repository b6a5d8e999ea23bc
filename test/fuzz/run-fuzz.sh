#!/bin/sh
# NAME
#	run-fuzz.sh - run the libFuzzer targets for a given time
# SYNOPSIS
#	sh test/fuzz/run-fuzz.sh TARGET|all SECONDS
#	sh test/fuzz/run-fuzz.sh merge TARGET|all
# DESCRIPTION
#	Configures (first time) and builds the libFuzzer build in
#	$FUZZ_BUILD with clang, -DOUTGUARD_FUZZ=ON (libFuzzer, ASan and
#	UBSan), then runs each target under "nice -n 19" for SECONDS,
#	one after the other (FUZZ_JOBS=2: two at a time).  Each starts
#	from its committed seeds (test/fuzz/corpus/TARGET, only read) and
#	its scratch corpus $FUZZ_WORK/TARGET/corpus, where new inputs go;
#	crash, leak and timeout inputs go to $FUZZ_WORK/TARGET/crashes/
#	(the run counts only its own), libFuzzer's output to
#	$FUZZ_WORK/TARGET/fuzz.log.  One line a target: executions, time,
#	crashes, corpus sizes.  Replay a crash with
#	"$FUZZ_BUILD/test/fuzz/fuzz_TARGET FILE".
#
#	merge: keeps the hand-made seeds of test/fuzz/corpus/TARGET (the
#	files not named by a SHA-1) and adds, with libFuzzer's -merge=1
#	into a fresh directory, the fewest inputs of the previously merged
#	seeds and of the scratch corpus that add edges covered.  The result
#	replaces the SHA-1 named seeds only when it stays under
#	FUZZ_MERGE_FILES files and FUZZ_MERGE_KB kilobytes; review it with
#	git status before committing.
# ENVIRONMENT
#	FUZZ_BUILD	build directory (default: build-fuzz in the tree)
#	FUZZ_WORK	scratch directory (default: /tmp/outguard-fuzz)
#	FUZZ_JOBS	targets run at once with "all" (1 or 2; default 1)
#	FUZZ_TIMEOUT	seconds one input may take (default 30)
#	FUZZ_MERGE_FILES, FUZZ_MERGE_KB   merge limits (300, 256)
# EXIT STATUS
#	0 when no target crashed, 1 otherwise, 2 on a usage error.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${FUZZ_BUILD:-$top/build-fuzz}
work=${FUZZ_WORK:-${TMPDIR:-/tmp}/outguard-fuzz}
all="mailaddr addr conf rules lookalike network engine checks maillog"

usage() {
	echo "usage: $0 TARGET|all SECONDS | merge TARGET|all" >&2
	echo "targets: $all" >&2
	exit 2
}

# targets - the targets named by $1
targets() {
	[ "$1" = all ] && { echo "$all"; return; }
	for t in $all; do
		[ "$t" = "$1" ] && { echo "$t"; return; }
	done
	usage
}

# build - configure once, then build the targets given
build() {
	sh "$top/contrib/install-deps.sh" fuzz
	if [ ! -f "$build/CMakeCache.txt" ]; then
		CC=${CC:-clang} cmake -S "$top" -B "$build" \
			-DCMAKE_BUILD_TYPE=RelWithDebInfo -DOUTGUARD_FUZZ=ON \
			-DOUTGUARD_E2E=OFF >/dev/null
	fi
	t_args=
	for t in "$@"; do t_args="$t_args --target fuzz_$t"; done
	# shellcheck disable=SC2086
	nice -n 19 cmake --build "$build" -j2 $t_args >"$work/build.log" 2>&1 || {
		tail -n 30 "$work/build.log" >&2
		echo "run-fuzz: build failed, see $work/build.log" >&2
		exit 1
	}
}

# count - files in a directory
count() {
	find "$1" -maxdepth 1 -type f | wc -l
}

# fuzz_one - run target $1 for $2 seconds; print its line
fuzz_one() {
	t=$1 dir=$work/$1
	mkdir -p "$dir/corpus" "$dir/crashes"
	dict=
	[ -f "$here/dict/$t.dict" ] && dict=-dict=$here/dict/$t.dict
	start=$(date +%s)
	: >"$dir/started"
	# libFuzzer writes new inputs into the first corpus directory only
	# shellcheck disable=SC2086
	nice -n 19 "$build/test/fuzz/fuzz_$t" -max_total_time="$2" \
		-timeout="${FUZZ_TIMEOUT:-30}" -print_final_stats=1 \
		-artifact_prefix="$dir/crashes/" $dict \
		"$dir/corpus" "$here/corpus/$t" >"$dir/fuzz.log" 2>&1 || true
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' \
		"$dir/fuzz.log" | tail -n 1)
	crashes=$(find "$dir/crashes" -type f -newer "$dir/started" | wc -l)
	printf '%-10s %12s execs in %ss, %d crashes, corpus %d seeds + %d new\n' \
		"$t" "${execs:-?}" "$(($(date +%s) - start))" "$crashes" \
		"$(count "$here/corpus/$t")" "$(count "$dir/corpus")"
	if [ "$crashes" -gt 0 ]; then
		find "$dir/crashes" -type f -newer "$dir/started" |
			sed 's/^/    crash: /'
		grep -m 3 -E 'ERROR|FUZZ_CHECK|runtime error' "$dir/fuzz.log" |
			sed 's/^/    /'
	fi
}

# is_sha1 - true when $1 is a name libFuzzer gives (40 hex digits)
is_sha1() {
	case $1 in *[!0-9a-f]*) return 1 ;; esac
	[ ${#1} -eq 40 ]
}

# merge_one - merge target $1's scratch corpus into its seeds
merge_one() {
	t=$1 dir=$work/$1 seeds=$here/corpus/$1
	rm -rf "$dir/merged" "$dir/old"
	mkdir -p "$dir/merged" "$dir/old" "$dir/corpus"
	for f in "$seeds"/*; do
		if is_sha1 "$(basename "$f")"; then
			cp "$f" "$dir/old/"
		else
			cp "$f" "$dir/merged/"
		fi
	done
	# -use_counters=0: new edges count, not new hit counts (fewer files)
	nice -n 19 "$build/test/fuzz/fuzz_$t" -merge=1 -use_counters=0 \
		"$dir/merged" "$dir/old" "$dir/corpus" >"$dir/merge.log" 2>&1 || {
		tail -n 5 "$dir/merge.log" >&2
		return 1
	}
	n=$(count "$dir/merged")
	kb=$(($(cat "$dir/merged"/* | wc -c) / 1024))
	if [ "$n" -gt "${FUZZ_MERGE_FILES:-300}" ] ||
		[ "$kb" -gt "${FUZZ_MERGE_KB:-256}" ]; then
		echo "$t: merged corpus $n files, $kb KB: too big, left in $dir/merged"
		return 0
	fi
	find "$seeds" -maxdepth 1 -type f -regex '.*/[0-9a-f]\{40\}' -delete
	for f in "$dir/merged"/*; do
		[ -e "$seeds/$(basename "$f")" ] || cp "$f" "$seeds/"
	done
	echo "$t: $n seeds, $kb KB in $seeds"
}

[ $# = 2 ] || usage
mkdir -p "$work"
if [ "$1" = merge ]; then
	list=$(targets "$2")
	# shellcheck disable=SC2086
	build $list
	for t in $list; do merge_one "$t"; done
	exit 0
fi
list=$(targets "$1")
secs=$2
case $secs in '' | *[!0-9]*) usage ;; esac
# shellcheck disable=SC2086
build $list
echo "run-fuzz: $secs s per target; scratch and crashes under $work"
if [ "${FUZZ_JOBS:-1}" = 2 ]; then
	# shellcheck disable=SC2086
	set -- $list
	while [ $# -gt 0 ]; do
		fuzz_one "$1" "$secs" >"$work/$1.line" &
		pid=$!
		[ $# -gt 1 ] && fuzz_one "$2" "$secs" >"$work/$2.line"
		wait "$pid" || true
		cat "$work/$1.line"
		if [ $# -gt 1 ]; then
			cat "$work/$2.line"
			shift
		fi
		shift
	done
else
	for t in $list; do fuzz_one "$t" "$secs"; done
fi
status=0
for t in $list; do
	[ -z "$(find "$work/$t/crashes" -type f -newer "$work/$t/started")" ] ||
		status=1
done
exit $status
