#!/bin/bash
# test_manpages.sh - the manual pages against the code: every key of
# lib/conf.c's table is an item of outguard.conf(5); every command of
# outguardctl's table, each of its subcommands and each option its
# synopsis names are in outguardctl(8); mandoc -T lint -W warning says
# nothing about any of the three pages; cmake --install puts them in
# share/man/man5 and share/man/man8.  Needs mandoc (contrib/install-deps.sh
# test): fails, never skips, without it.
# usage: test_manpages.sh SOURCE_DIR BUILD_DIR CMAKE
set -u
src=$1
build=$2
cmake=$3
conf5=$src/milter/outguard/outguard.conf.5
daemon8=$src/milter/outguard/outguard.8
ctl8=$src/milter/outguardctl/outguardctl.8
tmp=$(mktemp -d /tmp/og-manpages.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

. "$(dirname "$0")/../lib/check.sh"
# check DESC CMD... - passes when CMD exits 0
check() { check_run "$@"; }

# has_item - PAGE MACRO WORDS: PAGE has a line ".It MACRO WORDS" (then
# anything); MACRO is Cm or Ic
has_item() {
	grep -qE "^\.It $2 $3( |\$)" "$1"
}

# c_table - FILE START: the C array that starts with the line START, on
# one line, with adjacent string literals joined
c_table() {
	sed -n "/^$2/,/^};/p" "$1" | tr '\n\t' '  ' |
		sed 's/"[[:space:]]*"//g'
}

if ! command -v mandoc >/dev/null; then
	echo "FAIL: mandoc is not installed (sh contrib/install-deps.sh test)"
	exit 1
fi

# outguard.conf(5): every key of the table in lib/conf.c
keys=$(c_table "$src/lib/conf.c" 'static const struct conf_key keys\[\] = {' |
	grep -oE '\{ "[A-Za-z]+",' | sed 's/[{", ]//g')
check "found the keys of lib/conf.c" [ "$(wc -w <<<"$keys")" -ge 10 ]
for k in $keys; do
	check "outguard.conf.5 has an item for key $k" has_item "$conf5" Cm "$k"
done

# outguardctl(8): every command, subcommand and option of ctl_cmds[]
table=$(c_table "$src/milter/outguardctl/ctl_cmds.c" \
	'const struct ctl_cmd ctl_cmds\[\] = {')
entries=$(grep -oE '\{ *"[a-z]+", *"[^"]*"' <<<"$table" |
	sed -E 's/^\{ *"([a-z]+)", *"(.*)"$/\1|\2/')
check "found the commands of ctl_cmds.c" [ "$(wc -l <<<"$entries")" -ge 12 ]
while IFS='|' read -r cmd synopsis; do
	subs=$(tr '|' '\n' <<<"$synopsis" | awk '$1 ~ /^[a-z]+$/ { print $1 }')
	if [ -z "$subs" ]; then
		check "outguardctl.8 has an item for command $cmd" \
			has_item "$ctl8" Ic "$cmd"
	fi
	for s in $subs; do
		check "outguardctl.8 has an item for command $cmd $s" \
			has_item "$ctl8" Ic "$cmd $s"
	done
	for o in $(grep -oE -- '--[a-z]+' <<<"$synopsis" | sort -u); do
		check "outguardctl.8 names option $o of $cmd" \
			grep -qE "Fl -${o#--}( |\$)" "$ctl8"
	done
done <<<"$entries"
for o in c d -json h V; do
	check "outguardctl.8 names option -$o" grep -qE "^\.It Fl $o( |\$)" "$ctl8"
done
for o in c p f n V; do
	check "outguard.8 names option -$o" grep -qE "^\.It Fl $o( |\$)" "$daemon8"
done

# mandoc: no warning, error or unsupported construct in any page
for page in "$daemon8" "$conf5" "$ctl8"; do
	out=$(mandoc -T lint -W warning "$page" 2>&1)
	rc=$?
	check "mandoc -T lint -W warning ${page##*/} is clean" \
		[ "$rc:$out" = "0:" ]
	[ -n "$out" ] && echo "$out"
done

# cmake --install: the pages land where man finds them
"$cmake" --install "$build" --prefix "$tmp/prefix" >"$tmp/install.out" 2>&1
check "cmake --install succeeds" [ $? -eq 0 ]
check "installed share/man/man8/outguard.8" \
	cmp -s "$tmp/prefix/share/man/man8/outguard.8" "$daemon8"
check "installed share/man/man8/outguardctl.8" \
	cmp -s "$tmp/prefix/share/man/man8/outguardctl.8" "$ctl8"
check "installed share/man/man5/outguard.conf.5" \
	cmp -s "$tmp/prefix/share/man/man5/outguard.conf.5" "$conf5"

check_summary manpages
