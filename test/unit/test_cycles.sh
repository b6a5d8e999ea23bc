#!/bin/bash
# NAME
#	test_cycles.sh - no call cycles between the files of lib/
# SYNOPSIS
#	test_cycles.sh CC OBJECT...
# DESCRIPTION
#	The files of lib/ call down, never back: a cycle such as store.c
#	calling store_writer.c calling store.c means neither can be
#	understood (or replaced) alone.  callcycles.py builds the graph
#	of which object file uses a symbol another defines (nm) and
#	names every cycle with the symbols that make it.
#
#	Two made-up files that call each other, compiled with CC, are
#	checked first, so the test shows it can fail.
set -u
cc=${1:?usage: test_cycles.sh CC OBJECT...}
shift
here=$(dirname "$0")
tmp=$(mktemp -d /tmp/og-cycles.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
printf 'void b(void);\nvoid a(void) { b(); }\n' >"$tmp/a.c"
printf 'void a(void);\nvoid b(void) { a(); }\nvoid c(void) { }\n' >"$tmp/b.c"
printf 'void c(void);\nvoid d(void) { c(); }\n' >"$tmp/d.c"
(cd "$tmp" && "$cc" -c a.c b.c d.c) || exit 1
got=$(python3 "$here/callcycles.py" "$tmp/a.o" "$tmp/b.o" "$tmp/d.o")
want='cycle: a b
    a -> b: b
    b -> a: a
3 files, 1 cycles'
if [ "$got" != "$want" ]; then
	printf 'FAIL self-test: got\n%s\nwant\n%s\n' "$got" "$want"
	exit 1
fi
python3 "$here/callcycles.py" "$@"
