#!/bin/bash
# test_local_trust.sh - who may talk to outguard (issue: local trust).
# The daemon starts as the README's first command starts it: the user
# and group made by contrib/outguard-user.sh, contrib/outguard.conf as
# shipped (only the socket and database paths moved into the temp dir).
# Then:
#   - socket 0660 outguard:outguard in a folder the daemon made 0750,
#     database, -wal and -shm 0600;
#   - a local user (nobody) cannot connect: rawmilter.py as nobody gets
#     "Permission denied", and the victim it names has no counts;
#   - the MTA's user connects through the group: rawmilter.py as
#     postfix (setpriv --init-groups), and a real Postfix with SASL;
#   - outguardctl as nobody says "permission denied" and what to do;
#   - outguard -n warns about a world-writable UMask and a non-loopback
#     inet socket; an inet socket without a host is a config error; an
#     inet socket binds only the configured address;
#   - a version-1 database left mode 0644 is migrated and made 0600.

. "$(dirname "$0")/lib.sh"

e2e_require postfix swaks sasl sqlite3 outguard outguardctl
command -v setpriv >/dev/null || e2e_skip "setpriv (util-linux) missing"
# the system's python3: another on PATH (under /root) may not be
# reachable by the unprivileged users the test runs it as
py=/usr/bin/python3
[ -x "$py" ] || e2e_skip "/usr/bin/python3 missing"
e2e_init

rawmilter=$E2E_ROOT/test/fault/rawmilter.py
cp "$rawmilter" "$E2E_TMP/rawmilter.py"
chmod 755 "$E2E_TMP/rawmilter.py"
rawmilter=$E2E_TMP/rawmilter.py

# The README's first command makes the user and group and puts postfix
# in it (contrib/run-outguard.sh runs contrib/outguard-user.sh).
check "outguard-user.sh runs" sh "$E2E_ROOT/contrib/outguard-user.sh" \
	"$E2E_TMP/lib"
check "user outguard exists" getent passwd outguard
check "postfix is in group outguard" \
	bash -c "id -nG postfix | tr ' ' '\n' | grep -qx outguard"

OG_SOCK=$E2E_TMP/run/outguard/outguard.sock
OG_DB=$E2E_TMP/lib/outguard.db
OG_LOG=$E2E_TMP/outguard.log
OG_CONF=$E2E_TMP/outguard.conf
sed -e "s|^Socket.*|Socket unix:$OG_SOCK|" \
	-e "s|^Database.*|Database $OG_DB|" \
	-e "s|^Syslog[[:space:]].*|Syslog no|" \
	"$E2E_ROOT/contrib/outguard.conf" >"$OG_CONF"
mkdir -p "$E2E_TMP/run"
chmod 755 "$E2E_TMP/run"

out=$("$OUTGUARD" -n -c "$OG_CONF" 2>&1)
check "-n on the shipped config: ok" grep -q "^outguard: ok" <<<"$out"
check_fails "-n on the shipped config: no warning" \
	grep -q "^warning" <<<"$out"
expect_eq "-n as root made the database for UserID" outguard:600 \
	"$(stat -c %U:%a "$OG_DB")"
sql "INSERT OR IGNORE INTO local_domains(domain) VALUES('$E2E_DOMAIN')"
og_start

expect_eq "socket mode" 660 "$(stat -c %a "$OG_SOCK")"
expect_eq "socket owner" outguard:outguard "$(stat -c %U:%G "$OG_SOCK")"
expect_eq "socket folder mode (made by the daemon)" 750 \
	"$(stat -c %a "$(dirname "$OG_SOCK")")"
expect_eq "socket folder owner" outguard:outguard \
	"$(stat -c %U:%G "$(dirname "$OG_SOCK")")"
for f in "$OG_DB" "$OG_DB-wal" "$OG_DB-shm"; do
	expect_eq "$(basename "$f") mode" 600 "$(stat -c %a "$f")"
	expect_eq "$(basename "$f") owner" outguard "$(stat -c %U "$f")"
done
expect_eq "the daemon runs as outguard" outguard \
	"$(ps -o user= -p "$OG_PID")"

# milter_as USER LOGIN [setpriv args]: one message of LOGIN over the
# socket, as USER; the client's output in MOUT, its status returned
milter_as()
{
	local who=$1 login=$2
	shift 2
	MOUT=$(printf '%s\n' "connect mx.example 127.9.9.9" "login $login" \
		"mail <$login@$E2E_DOMAIN>" "rcpt <x@$E2E_RCPT_DOMAIN>" \
		"header Subject hello" "eom" "quit" |
		setpriv --reuid "$who" "$@" "$py" "$rawmilter" \
			"unix:$OG_SOCK" 2>&1)
}

# msgs LOGIN: messages stored for LOGIN
msgs()
{
	sql "SELECT count(*) FROM msg_log WHERE login='$1'"
}

milter_as nobody victim --regid nogroup --clear-groups
rc=$?
expect_eq "nobody: the client cannot connect" 1 "$rc"
check "nobody: refused by the socket's permissions" \
	grep -q "^closed: \[Errno 13\] Permission denied" <<<"$MOUT"
sleep 1
expect_eq "nobody: the victim has no messages" 0 "$(msgs victim)"
expect_eq "nobody: the victim has no counts" 0 \
	"$(sql "SELECT count(*) FROM counts WHERE login='victim'")"

milter_as postfix viapostfix --regid postfix --init-groups
check "postfix (group outguard): connects and gets an answer" \
	grep -q "^eom: " <<<"$MOUT"
check "postfix (group outguard): the message is counted" \
	sql_wait "SELECT count(*) FROM msg_log WHERE login='viapostfix'" 1

# A real Postfix whose smtpd runs as postfix, in group outguard
pf_start "$OG_SOCK"
send_auth alice
check "Postfix through the 0660 socket: delivered" swaks_queued
check "Postfix through the 0660 socket: counted" \
	sql_wait "SELECT count(*) FROM msg_log WHERE login='alice'" 1

out=$(setpriv --reuid nobody --regid nogroup --clear-groups \
	"$OUTGUARDCTL" -d "$OG_DB" status alice 2>&1)
rc=$?
check "outguardctl as nobody: fails" [ "$rc" -ne 0 ]
check "outguardctl as nobody: says permission denied and what to do" \
	grep -q "permission denied for nobody.*run as root or as the user" \
	<<<"$out"
check_fails "outguardctl as nobody: no bare SQLite error" \
	grep -q "unable to open database file" <<<"$out"
og_stop

# -n warnings and inet sockets
sed "s|^#UMask.*|UMask 000|" "$OG_CONF" >"$E2E_TMP/world.conf"
out=$("$OUTGUARD" -n -c "$E2E_TMP/world.conf" 2>&1)
check "-n: a world-writable socket is warned about" \
	grep -q "^warning: UMask 000 makes the socket .* writable by every local user" \
	<<<"$out"
port=$(free_ports 1)
sed "s|^Socket.*|Socket inet:$port|" "$OG_CONF" >"$E2E_TMP/nohost.conf"
out=$("$OUTGUARD" -n -c "$E2E_TMP/nohost.conf" 2>&1)
check "inet socket without a host: exit 1" [ $? -eq 1 ]
check "inet socket without a host: names the line" \
	grep -q "nohost.conf:[0-9]*: bad value for Socket" <<<"$out"
sed "s|^Socket.*|Socket inet:$port@0.0.0.0|" "$OG_CONF" >"$E2E_TMP/any.conf"
out=$("$OUTGUARD" -n -c "$E2E_TMP/any.conf" 2>&1)
check "-n: a socket on every interface is warned about" \
	grep -q "^warning: Socket inet:$port@0.0.0.0 is not on loopback" \
	<<<"$out"
sed "s|^Socket.*|Socket inet:$port@127.0.0.1|" "$OG_CONF" >"$E2E_TMP/lo.conf"
out=$("$OUTGUARD" -n -c "$E2E_TMP/lo.conf" 2>&1)
check_fails "-n: no warning for a loopback inet socket" \
	grep -q "^warning" <<<"$out"
"$OUTGUARD" -f -c "$E2E_TMP/lo.conf" >"$E2E_TMP/lo.log" 2>&1 &
lo_pid=$!
E2E_PIDS="$E2E_PIDS $lo_pid"
check "inet daemon listens" wait_for 10 grep -q "listening on inet" \
	"$E2E_TMP/lo.log"
hexport=$(printf '%04X' "$port")
check "inet socket bound to 127.0.0.1 only" \
	grep -q " 0100007F:$hexport 00000000:0000 0A " /proc/net/tcp
check_fails "inet socket not bound to any other address" \
	grep -qE " [0-9A-F]{8}:$hexport 00000000:0000 0A " \
	<(grep -v " 0100007F:$hexport " /proc/net/tcp)
kill -TERM "$lo_pid"
pid_wait_exit "$lo_pid" 20

# An old database left readable by everybody: migrated, and made 0600
old=$E2E_TMP/lib/old.db
sqlite3 "$old" <"$E2E_ROOT/schema/outguard.sql"
sqlite3 "$old" "PRAGMA user_version=1"
chmod 644 "$old"
sed "s|^Database.*|Database $old|" "$OG_CONF" >"$E2E_TMP/old.conf"
OG_CONF=$E2E_TMP/old.conf OG_DB=$old
OG_LOG=$E2E_TMP/old.log
og_start
check "old database: migrated" \
	[ "$(sql "PRAGMA user_version")" -ge 5 ]
expect_eq "old database: mode after migration" 600 "$(stat -c %a "$old")"
check "old database: the change is logged" \
	grep -q "was mode 0644, readable by other users; now 0600" "$OG_LOG"
for f in "$old-wal" "$old-shm"; do
	expect_eq "old database: $(basename "$f") mode" 600 "$(stat -c %a "$f")"
done

e2e_finish
