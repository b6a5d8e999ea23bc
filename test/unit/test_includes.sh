#!/bin/bash
# NAME
#	test_includes.sh - the library headers only their own modules include
# SYNOPSIS
#	test_includes.sh SOURCE_DIR
# DESCRIPTION
#	STYLE.md's boundaries as a test: the store is the only code that
#	includes sqlite3.h (and, later, libpq-fe.h), rules the only code
#	that includes pcre2.h, the daemon in milter/outguard/ the only code
#	that includes libmilter/mfapi.h.  Every .c file under lib/,
#	milter/, test/ and contrib/ is followed through the project headers
#	it includes ("store_int.h" carries sqlite3.h), so a header cannot
#	smuggle a library in.  Tests and the benchmark tools are listed in
#	ALLOWED by name pattern: they read the database or speak the milter
#	protocol themselves.
#
#	Before the real tree, a made-up tree with known violations is
#	scanned, so the test shows it can fail.
# DIAGNOSTICS
#	One line per violation, "FILE: HEADER (via HEADER_FILE)"; exit 1 if
#	any.
set -u
src=${1:?usage: test_includes.sh SOURCE_DIR}

# ALLOWED - each restricted header and the files that may include it
declare -A ALLOWED=(
	[sqlite3.h]="lib/store.c lib/store_*.c test/unit/test_*.c test/bench/*.c"
	[libpq-fe.h]="lib/store_pg*.c test/pg/*.c"
	[pcre2.h]="lib/rules.c lib/rules_*.c"
	[libmilter/mfapi.h]="milter/outguard/*.c test/bench/*.c"
	[microhttpd.h]="milter/outguard/metrics_http.c"
)

# direct ROOT FILE - FILE's #include lines as "KIND NAME", KIND < or "
direct() {
	sed -nE 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^>"]+)[>"].*/\1 \2/p' \
		"$1/$2"
}

# resolve ROOT FROM NAME - the tree path of a quoted include, or nothing
resolve() {
	local c
	for c in "${2%/*}/$3" "lib/$3"; do
		if [ -f "$1/$c" ]; then
			echo "$c"
			return
		fi
	done
}

# allowed HEADER FILE - whether FILE may include HEADER
allowed() {
	local g
	for g in ${ALLOWED[$1]}; do
		# shellcheck disable=SC2053 # $g is a pattern
		[[ $2 == $g ]] && return 0
	done
	return 1
}

# check_file ROOT FILE - print FILE's violations, following "x.h" includes
check_file() {
	local root=$1 f=$2 queue=("$2") seen=" $2 " cur kind name p
	while ((${#queue[@]})); do
		cur=${queue[0]}
		queue=("${queue[@]:1}")
		while read -r kind name; do
			if [ -n "${ALLOWED[$name]+x}" ]; then
				allowed "$name" "$f" || echo "$f: $name (via $cur)"
			elif [ "$kind" = '"' ]; then
				p=$(resolve "$root" "$cur" "$name")
				if [ -n "$p" ] && [[ $seen != *" $p "* ]]; then
					seen+="$p "
					queue+=("$p")
				fi
			fi
		done < <(direct "$root" "$cur")
	done
}

# scan ROOT - print every violation in the tree at ROOT
scan() {
	local f
	(cd "$1" && find lib milter test contrib -name '*.c' 2>/dev/null) |
		LC_ALL=C sort | while read -r f; do
		check_file "$1" "$f"
	done
}

fail=0

# A made-up tree: four violations, one of them through a header.
tmp=$(mktemp -d /tmp/og-includes.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/lib" "$tmp/milter/outguard" "$tmp/milter/outguardctl" \
	"$tmp/test/unit"
put() { printf '%s\n' "${@:2}" >"$tmp/$1"; }
put lib/store.c '#include <sqlite3.h>' '#include "store_int.h"'
put lib/store_int.h '#include <sqlite3.h>'
put lib/store_pg.c '#include <libpq-fe.h>'
put lib/store_read.c '# include <libpq-fe.h>'
put lib/guard.c '#include "store.h"' '#include "store_int.h"'
put lib/store.h '#include <stddef.h>'
put lib/rules_match.c '#include <pcre2.h>'
put lib/conf.c '#include "x.h"' '  #  include <pcre2.h> /* no */'
put milter/outguard/callbacks.c '#include <libmilter/mfapi.h>'
put milter/outguardctl/ctl.c '#include <libmilter/mfapi.h>'
put test/unit/test_store.c '#include <sqlite3.h>' '#include "store_int.h"'
got=$(scan "$tmp")
want='lib/conf.c: pcre2.h (via lib/conf.c)
lib/guard.c: sqlite3.h (via lib/store_int.h)
lib/store_read.c: libpq-fe.h (via lib/store_read.c)
milter/outguardctl/ctl.c: libmilter/mfapi.h (via milter/outguardctl/ctl.c)'
if [ "$got" != "$want" ]; then
	printf 'FAIL self-test: got\n%s\nwant\n%s\n' "$got" "$want"
	fail=1
fi

# The real tree.
got=$(scan "$src")
if [ -n "$got" ]; then
	echo "FAIL: restricted headers included outside their modules:"
	echo "$got"
	fail=1
fi
n=$(cd "$src" && find lib milter test contrib -name '*.c' | wc -l)
echo "$n files checked, $([ $fail = 0 ] && echo clean || echo violations)"
exit $fail
