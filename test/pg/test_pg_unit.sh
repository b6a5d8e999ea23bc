#!/bin/bash
# test_pg_unit.sh - a unit test program of lib/store on PostgreSQL
#
# Usage: test_pg_unit.sh PROGRAM [ARG...]
#
# Starts a private PostgreSQL server (pg_lib.sh: initdb + pg_ctl in a
# temp dir, 127.0.0.1 and a socket in that dir only), runs PROGRAM with
# PG_URI set to its database (the program creates the schema through
# store_open and empties the state tables before each test), stops the
# server and exits with PROGRAM's status.  Exits 77 (skip) without the
# server.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/pg_lib.sh"

[ $# -ge 1 ] || { echo "usage: $0 PROGRAM [ARG...]" >&2; exit 2; }
[ -x "$1" ] || pg_skip "$1 not built"
pg_require
pg_start
"$@"
rc=$?
[ $rc = 0 ] || tail -n 20 "$PG_LOG"
exit $rc
