#!/bin/bash
# test_daemon.sh - the outguard program itself: -V, -n, config errors
# with file:line, a database it cannot write, and a real start as root
# with UserID: the socket handed to that user, privileges dropped,
# PidFile written, SIGTERM ending it cleanly with pidfile and socket
# removed.  Needs root for UserID; skips those checks otherwise.
# usage: test_daemon.sh OUTGUARD
set -u
og=$1
tmp=$(mktemp -d /tmp/og-daemon.XXXXXX)
chmod 755 "$tmp"
pid=

# cleanup - stop the daemon we started (by PID), remove the temp dir
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

. "$(dirname "$0")/../lib/check.sh"
# check DESC CMD... - passes when CMD exits 0
check() { check_run "$@"; }

# conf - write a config NAME with the given extra lines
conf() {
	local name=$1
	shift
	{
		echo "Socket unix:$tmp/$name.sock"
		echo "Database $tmp/$name.db"
		echo "Syslog no"
		printf '%s\n' "$@"
	} >"$tmp/$name.conf"
}

out=$("$og" -V)
check "-V prints the version" [ "${out#outguard }" != "$out" ]

conf ok
out=$("$og" -n -c "$tmp/ok.conf")
check "-n on a good config exits 0" [ $? -eq 0 ]
check "-n says ok" grep -q "^outguard: ok: 0 problems" <<<"$out"
check "-n created the database" [ -f "$tmp/ok.db" ]

conf badkey "LogLevel info" "Colour blue"
out=$("$og" -n -c "$tmp/badkey.conf" 2>&1)
check "unknown key exits 1" [ $? -eq 1 ]
check "unknown key names file:line" grep -qF \
	"outguard: $tmp/badkey.conf:5: unknown key \"Colour\"" <<<"$out"

conf badval "OnStoreError sometimes"
out=$("$og" -f -c "$tmp/badval.conf" 2>&1)
check "bad value stops the daemon too" [ $? -eq 1 ]
check "bad value names file:line" grep -qF \
	"$tmp/badval.conf:4: bad value for OnStoreError: \"sometimes\"" <<<"$out"

out=$("$og" -n -c "$tmp/missing.conf" 2>&1)
check "a missing -c file is an error" [ $? -eq 1 ]

conf policy
"$og" -n -c "$tmp/policy.conf" >/dev/null
sqlite3 "$tmp/policy.db" "INSERT INTO limits (class, metric, window_s,
	threshold, action) VALUES ('ghosts', 'msg', 60, 1, 'tempfail')"
out=$("$og" -n -c "$tmp/policy.conf")
check "-n with a skipped policy row exits 1" [ $? -eq 1 ]
check "-n names the row" grep -q 'no class "ghosts"' <<<"$out"

if [ "$(id -u)" != 0 ]; then
	echo "not root: skipping the UserID and read-only checks"
	check_summary
	exit
fi

# A database the daemon cannot write: a clear error, exit 1.
mkdir "$tmp/ro" "$tmp/run"
chmod 755 "$tmp/ro"
chmod 777 "$tmp/run"
conf rodb
sed -i "s|^Database .*|Database $tmp/ro/og.db|" "$tmp/rodb.conf"
"$og" -n -c "$tmp/rodb.conf" >/dev/null
chmod 644 "$tmp/ro/og.db"
out=$(setpriv --reuid nobody --regid nogroup --clear-groups \
	"$og" -n -c "$tmp/rodb.conf" 2>&1)
check "read-only database: -n exits 1" [ $? -eq 1 ]
check "read-only database: says so" grep -q "cannot write the database" \
	<<<"$out"

# A real start as root with UserID nobody.
# The socket and database live in a directory the user may write, as
# /run/outguard and /var/lib/outguard would.
conf user "UserID nobody:nogroup" "PidFile $tmp/run/og.pid"
sed -i -e "s|^Database .*|Database $tmp/run/og.db|" \
	-e "s|^Socket .*|Socket unix:$tmp/run/og.sock|" "$tmp/user.conf"
"$og" -f -c "$tmp/user.conf" >"$tmp/user.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
	[ -S "$tmp/run/og.sock" ] && grep -q "listening on" "$tmp/user.log" &&
		break
	sleep 0.1
done
check "listening" grep -q "listening on unix:$tmp/run/og.sock" "$tmp/user.log"
check "socket owned by nobody:nogroup" \
	[ "$(stat -c %U:%G "$tmp/run/og.sock")" = nobody:nogroup ]
check "socket mode 0660" [ "$(stat -c %a "$tmp/run/og.sock")" = 660 ]
check "database handed to nobody" \
	[ "$(stat -c %U "$tmp/run/og.db")" = nobody ]
check "runs as nobody" [ "$(ps -o user= -p "$pid")" = nobody ]
check "PidFile holds the PID" [ "$(cat "$tmp/run/og.pid")" = "$pid" ]
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
check "SIGTERM: exit 0" [ "$rc" -eq 0 ]
check "SIGTERM: PidFile removed" [ ! -e "$tmp/run/og.pid" ]
check "SIGTERM: socket removed" [ ! -e "$tmp/run/og.sock" ]
check "SIGTERM: logged" grep -q "stopping" "$tmp/user.log"

check_summary
