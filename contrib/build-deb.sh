#!/bin/sh
# NAME
#	build-deb.sh - build the Debian package outguard_VERSION_ARCH.deb
# SYNOPSIS
#	sh contrib/build-deb.sh OUTDIR
# DESCRIPTION
#	Copies the source tree (what git tracks, or the whole tree when
#	it is not a git checkout) into a temporary directory, puts
#	contrib/debian/ there as debian/ (the top level of the repository
#	has no debian/), checks that debian/changelog's version is
#	CMakeLists.txt's project(VERSION), runs "dpkg-buildpackage -us
#	-uc -b" there (debhelper, cmake; the build runs the unit tests,
#	ctest -L unit, and their summary is printed on stderr) and copies
#	the .deb into OUTDIR.  Nothing is written
#	into the source tree.  Needs the packages of "contrib/install-deps.sh
#	test" (debhelper, dpkg-dev and the build dependencies).
# ENVIRONMENT
#	KEEP=1	keep the temporary build directory (its path is printed)
# EXIT STATUS
#	0 when OUTDIR holds the package, 1 otherwise.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-deb.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# die - MSG: print it and exit 1
die() {
	echo "build-deb: $*" >&2
	exit 1
}

command -v dpkg-buildpackage >/dev/null || die "no dpkg-buildpackage (dpkg-dev)"
command -v dh >/dev/null || die "no dh (debhelper)"
version=$(sed -n 's/^project(outguard VERSION \([0-9.]*\).*/\1/p' \
	"$top/CMakeLists.txt")
[ -n "$version" ] || die "no project(outguard VERSION ...) in CMakeLists.txt"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/outguard-deb.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
	echo "build-deb: keeping $tmp"
else
	trap 'rm -rf "$tmp"' EXIT
fi
src=$tmp/outguard-$version
mkdir "$src"
# the tracked files and those not yet committed, but not build dirs
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files --cached --others --exclude-standard) |
		while IFS= read -r f; do
			# a file deleted but not yet committed is still listed
			if [ -e "$top/$f" ] || [ -L "$top/$f" ]; then
				printf '%s\n' "$f"
			fi
		done >"$tmp/files"
	(cd "$top" && xargs -d '\n' cp --parents -P -t "$src") <"$tmp/files" ||
		die "copying the source tree failed"
else
	(cd "$top" && tar --exclude='./build*' --exclude=./.git -cf - .) |
		(cd "$src" && tar -xf -)
fi
rm -rf "$src/debian"
# -L: debian/outguard.service is a link to ../systemd/outguard.service
cp -RL "$top/contrib/debian" "$src/debian"

have=$(cd "$src" && dpkg-parsechangelog -S Version)
[ "$have" = "$version" ] ||
	die "debian/changelog says $have, CMakeLists.txt $version: add an entry"

(cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 || {
	tail -n 60 "$tmp/build.log" >&2
	die "dpkg-buildpackage failed (log above; KEEP=1 keeps $tmp)"
}
# dh_auto_test's ctest summary, e.g. "100% tests passed, 0 tests failed
# out of 13" (none with DEB_BUILD_OPTIONS=nocheck)
grep -E 'tests passed, [0-9]+ tests failed out of' "$tmp/build.log" |
	sed 's/^/build-deb: unit tests: /' >&2
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$tmp/outguard_${version}_$arch.deb
[ -f "$deb" ] || die "no $deb after the build"
cp "$deb" "$out/"
echo "$out/outguard_${version}_$arch.deb"
