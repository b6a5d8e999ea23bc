#!/bin/sh
# run-tests.sh - install dependencies, build, and run the whole test
# suite through ctest (README, second command; .ci/run calls it).
# Unit, milter-protocol (miltertest) and end-to-end (private Postfix on
# loopback, as root) tests; ctest prints the summary last.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/contrib/install-deps.sh" test
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j"$(nproc)"
cd "$top/build"
exec ctest --output-on-failure -j2 "$@"
