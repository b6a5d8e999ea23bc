#!/bin/sh
# run-tests.sh - install dependencies, build, and run the whole test
# suite through ctest (README, second command; .ci/run calls it), twice:
#   build/       the normal build;
#   build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer
#                (-DOUTGUARD_SANITIZE=ON; a UB report aborts), without
#                the benchmark tools' smoke test (label bench), which
#                does not run outguard, and the Debian package test
#                (label deb), which builds its own outguard from source.
# Neither runs the full replay (label replay, 13 minutes: ctest -L
# replay in a build dir); its --quick smoke test is label e2e.
# Unit, fuzz-corpus replay, milter-protocol (miltertest) and end-to-end
# (private Postfix on loopback, as root) tests.  Each build's ctest
# summary is printed, and last one combined line "N passed, N failed";
# the exit status is 1 when anything failed.  Arguments go to both
# ctest runs (e.g. -R unit).  OUTGUARD_SANITIZE=0 skips the second run.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/contrib/install-deps.sh" test
# for the sanitizer build (the normal one ignores them): stop at the first
# report, with a stack; catch use of a returned function's stack too
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
passed=0
failed=0

# run_build DIR LABEL CMAKE_ARGS -- CTEST_ARGS: build DIR, run its ctest
run_build() {
	dir=$1 label=$2
	shift 2
	cargs=
	while [ "$1" != -- ]; do
		cargs="$cargs $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	cmake -S "$top" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo $cargs \
		>/dev/null
	cmake --build "$dir" -j"$(nproc)"
	echo "=== ctest: $label ($dir)"
	(cd "$dir" && ctest --output-on-failure -j2 "$@" 2>&1) |
		tee "$dir/ctest.out"
	# "97% tests passed, 1 tests failed out of 34"
	line=$(grep -E 'tests passed, [0-9]+ tests failed out of' \
		"$dir/ctest.out" | tail -n 1)
	if [ -z "$line" ]; then
		echo "run-tests: no ctest summary for $label" >&2
		failed=$((failed + 1))
		return
	fi
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/')
	n=$(echo "$line" | sed -E 's/.* tests failed out of ([0-9]+).*/\1/')
	passed=$((passed + n - f))
	failed=$((failed + f))
}

run_build "$top/build" "normal build" -- -LE '^replay$' "$@"
if [ "${OUTGUARD_SANITIZE:-1}" != 0 ]; then
	run_build "$top/build-asan" "ASan+UBSan build" -DOUTGUARD_SANITIZE=ON \
		-- -LE '^(bench|deb|replay)$' "$@"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
