#!/bin/bash
# NAME
#	test_format.sh - the C sources as clang-format writes them
# SYNOPSIS
#	test_format.sh SOURCE_DIR
# DESCRIPTION
#	Runs clang-format --dry-run -Werror with the tree's .clang-format
#	on lib/*.[ch], milter/*/*.[ch] and test/*/*.[ch]; any change it
#	would make fails the test, with clang-format's own warning naming
#	file and line.  Fix with clang-format -i FILE.  The style is tuned
#	for clang-format 14 (Debian 12, contrib/install-deps.sh test);
#	other versions may disagree, so clang-format-14 is preferred.
#
#	A badly formatted file is checked first, so the test shows it can
#	fail.
set -u
src=${1:?usage: test_format.sh SOURCE_DIR}
cf=$(command -v clang-format-14 || command -v clang-format) || {
	echo "FAIL: no clang-format (sh contrib/install-deps.sh test)"
	exit 1
}
"$cf" --version

tmp=$(mktemp -d /tmp/og-format.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cp "$src/.clang-format" "$tmp/"
printf 'int  f(void) {\n  return 0; }\n' >"$tmp/bad.c"
if "$cf" --dry-run -Werror "$tmp/bad.c" 2>/dev/null; then
	echo "FAIL self-test: a badly formatted file passed"
	exit 1
fi

cd "$src" || exit 1
files=(lib/*.[ch] milter/*/*.[ch] test/*/*.[ch])
if ! "$cf" --dry-run -Werror "${files[@]}"; then
	echo "FAIL: clang-format would change the files above" \
		"(clang-format -i FILE)"
	exit 1
fi
echo "${#files[@]} files formatted as .clang-format says"
