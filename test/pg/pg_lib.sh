# pg_lib.sh - a private PostgreSQL server for the tests
#
# Source it from a bash test script:
#
#	. "$(dirname "$0")/pg_lib.sh"
#	pg_require                       # exit 77 (skip) without PostgreSQL
#	pg_start                         # initdb + pg_ctl in a temp dir
#	pg_apply "$PG_HERE/../../schema/postgresql/outguard.sql"
#	pg_sql "SELECT count(*) FROM limits"      # as the test role
#	outguard -d "$PG_URI" ...        # postgresql://outguard:...@127.0.0.1
#
# The server is the Debian package's binaries (/usr/lib/postgresql/N/bin,
# the newest N; never the /usr/bin wrappers or the system cluster), run
# as the postgres system user when the test runs as root (else as the
# caller) on a data dir in a fresh temp dir.  It listens on 127.0.0.1 on
# a free port and on a unix socket in the temp dir, nowhere else.  The
# superuser (postgres) connects only through that socket (trust); the
# test role PG_USER owns the database PG_DB and logs in with a password
# (scram-sha-256) over TCP and the socket alike, so a wrong password
# fails as it would in production.
#
# pg_server_stop and pg_server_start stop and start the same server
# again (same port, data and options): a database outage.
#
# pg_start adds pg_stop to the EXIT trap (keeping a trap already set,
# e.g. e2e_init's: call that first); pg_stop stops the server with
# pg_ctl, then by its PID, and removes the temp dir unless KEEP=1.
# Several servers at once are not supported (one per script).
#
# Names a test can rely on:
#   PG_BIN        the server's bin dir (initdb, pg_ctl, postgres)
#   PG_TMP        the temp dir; PG_DATA its data dir; PG_LOG the log
#   PG_PORT       the TCP port on 127.0.0.1
#   PG_SOCKDIR    the unix socket's dir
#   PG_USER PG_PASSWORD PG_DB   the test role, its password, its database
#   PG_URI        postgresql://PG_USER:PG_PASSWORD@127.0.0.1:PG_PORT/PG_DB
#   PG_URI_SOCK   the same through the unix socket
#   PG_PID        the postmaster's PID
#   PG_FSYNC      set before pg_start: on or off (default off: the tests
#                 do not survive power loss, and it spares the disk)
#   ok, bad       count a passed or failed check in PASS and FAIL and
#                 print it ("ok - ..." / "FAIL - ...")

# shellcheck shell=bash disable=SC2034
PG_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG_BIN=
PG_TMP=
PG_DATA=
PG_LOG=
PG_PORT=
PG_SOCKDIR=
PG_USER=outguard
PG_PASSWORD=
PG_DB=outguard
PG_URI=
PG_URI_SOCK=
PG_PID=
PG_OWNER=
PASS=0
FAIL=0

# ok WHAT, bad WHAT - count a check
ok()
{
	PASS=$((PASS + 1))
	echo "ok - $*"
}
bad()
{
	FAIL=$((FAIL + 1))
	echo "FAIL - $*"
}

PG_FSYNC=${PG_FSYNC:-off}

# pg_skip - exit 77, which ctest reports as skipped
pg_skip()
{
	echo "SKIP: $*"
	exit 77
}

# pg_die - a setup failure: the message, the server log's tail, exit 1
pg_die()
{
	echo "FATAL: $*" >&2
	if [ -n "$PG_LOG" ] && [ -f "$PG_LOG" ]; then
		echo "--- $PG_LOG (tail)" >&2
		tail -n 20 "$PG_LOG" >&2
	fi
	exit 1
}

# pg_require - find the server binaries and psql; skip when missing
pg_require()
{
	local d
	# the newest version (sort -V: 10 after 9)
	PG_BIN=$(for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && echo "$d"
	done | sort -V | tail -n 1)
	[ -n "$PG_BIN" ] ||
		pg_skip "no PostgreSQL server (Debian package postgresql)"
	[ -x "$PG_BIN/psql" ] || command -v psql >/dev/null ||
		pg_skip "no psql (postgresql-client)"
	if [ "$(id -u)" = 0 ]; then
		getent passwd postgres >/dev/null ||
			pg_skip "running as root and no postgres user"
		PG_OWNER=postgres
	else
		PG_OWNER=$(id -un)
	fi
}

# pg_psql_bin - the psql to use: the server's own version, else PATH's
pg_psql_bin()
{
	if [ -x "$PG_BIN/psql" ]; then
		echo "$PG_BIN/psql"
	else
		command -v psql
	fi
}

# pg_as_owner - run a command as the data dir's owner
pg_as_owner()
{
	if [ "$(id -u)" = 0 ] && [ "$PG_OWNER" != root ]; then
		(cd / && runuser -u "$PG_OWNER" -- "$@")
	else
		"$@"
	fi
}

# pg_free_port - a free TCP port on 127.0.0.1
pg_free_port()
{
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# pg_trap_third - print the third argument (trap -p: trap -- 'CMD' EXIT)
pg_trap_third()
{
	printf '%s' "$3"
}

# pg_trap_add - run pg_stop on exit, before what the EXIT trap did
pg_trap_add()
{
	local old
	old=$(trap -p EXIT)
	if [ -n "$old" ]; then
		old=$(eval "pg_trap_third $old")
		# shellcheck disable=SC2064
		trap "pg_stop; $old" EXIT
	else
		trap pg_stop EXIT
	fi
}

# pg_start - initdb, start the server, create the role and database
pg_start()
{
	local psql auth
	[ -n "$PG_BIN" ] || pg_require
	PG_TMP=$(mktemp -d /tmp/outguard-pg.XXXXXX) ||
		pg_die "cannot make a temp dir"
	pg_trap_add
	PG_DATA=$PG_TMP/data
	PG_LOG=$PG_TMP/server.log
	PG_SOCKDIR=$PG_TMP
	PG_PASSWORD=pw$RANDOM$RANDOM
	chmod 700 "$PG_TMP"
	[ "$(id -u)" = 0 ] && chown "$PG_OWNER" "$PG_TMP"
	pg_as_owner "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 \
		--locale=C.UTF-8 --auth-local=trust \
		--auth-host=scram-sha-256 >"$PG_TMP/initdb.log" 2>&1 ||
		pg_die "initdb failed: $(tail -n 5 "$PG_TMP/initdb.log")"
	# the superuser only through the private socket, everyone else with
	# a password; nothing but loopback
	auth=scram-sha-256
	pg_as_owner sh -c "cat >'$PG_DATA/pg_hba.conf'" <<EOF
local	all	postgres		trust
local	all	all			$auth
host	all	all	127.0.0.1/32	$auth
EOF
	PG_PORT=$(pg_free_port) || pg_die "no free port"
	pg_server_start
	psql=$(pg_psql_bin)
	"$psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" -p "$PG_PORT" \
		-U postgres -d postgres \
		-v user="$PG_USER" -v pw="$PG_PASSWORD" -v db="$PG_DB" \
		>"$PG_TMP/setup.log" 2>&1 <<'EOF' ||
CREATE ROLE :"user" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"user";
EOF
		pg_die "creating the role: $(cat "$PG_TMP/setup.log")"
	PG_URI="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PG_PORT/$PG_DB"
	PG_URI_SOCK="postgresql://$PG_USER:$PG_PASSWORD@/$PG_DB?host=$PG_SOCKDIR&port=$PG_PORT"
	export PG_URI PG_URI_SOCK
}

# pg_server_start - start the server on PG_DATA with the harness's
# options (pg_start; again after pg_server_stop)
pg_server_start()
{
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_SOCKDIR -c fsync=$PG_FSYNC -c max_connections=300 -c password_encryption=scram-sha-256" \
		start >"$PG_TMP/pg_ctl.log" 2>&1 ||
		pg_die "pg_ctl start failed: $(cat "$PG_TMP/pg_ctl.log")"
	PG_PID=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null)
	[ -n "$PG_PID" ] || pg_die "no postmaster.pid"
}

# pg_server_stop - stop the server, keep its data (an outage)
pg_server_stop()
{
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 \
		stop >/dev/null 2>&1
	PG_PID=
}

# pg_stop - stop the server (pg_ctl, then its PID), remove the temp dir
pg_stop()
{
	local i
	if [ -n "$PG_PID" ] && kill -0 "$PG_PID" 2>/dev/null; then
		pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 \
			stop >/dev/null 2>&1
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$PG_PID" 2>/dev/null || break
			[ "$i" = 5 ] && kill -KILL "$PG_PID" 2>/dev/null
			sleep 1
		done
	fi
	PG_PID=
	if [ -n "$PG_TMP" ] && [ -d "$PG_TMP" ]; then
		if [ "${KEEP:-0}" = 1 ]; then
			echo "kept $PG_TMP" >&2
		else
			rm -rf "$PG_TMP"
		fi
	fi
	PG_TMP=
}

# pg_sql - run SQL (arguments, else stdin) as the test role; CSV out
pg_sql()
{
	local psql
	psql=$(pg_psql_bin)
	if [ $# -gt 0 ]; then
		PGPASSWORD=$PG_PASSWORD "$psql" -X -q -v ON_ERROR_STOP=1 \
			--csv -t -d "$PG_URI" -c "$*"
	else
		PGPASSWORD=$PG_PASSWORD "$psql" -X -q -v ON_ERROR_STOP=1 \
			--csv -t -d "$PG_URI"
	fi
}

# pg_super - run SQL from stdin as the superuser on the test database
pg_super()
{
	"$(pg_psql_bin)" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKDIR" \
		-p "$PG_PORT" -U postgres -d "$PG_DB" "$@"
}

# pg_apply - apply a schema file as the test role in one transaction
pg_apply()
{
	"$(pg_psql_bin)" -X -q -v ON_ERROR_STOP=1 --single-transaction \
		-d "$PG_URI" -f "$1"
}
