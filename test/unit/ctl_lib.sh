#!/bin/bash
# NAME
#	ctl_lib.sh - what the outguardctl test scripts share
# SYNOPSIS
#	. "$(dirname "$0")/ctl_lib.sh" NAME OUTGUARD OUTGUARDCTL
# DESCRIPTION
#	Sets OG, CTL, a temp dir T (removed at exit) with DB=$T/og.db, the
#	pass/fail counters, and the helpers below.  ctl_finish prints
#	"N passed, N failed" and gives the exit status.
set -u

OG=${2:?usage: $1 OUTGUARD OUTGUARDCTL}
CTL=${3:?usage: $1 OUTGUARD OUTGUARDCTL}
export TZ=UTC
T=$(mktemp -d "/tmp/$1.XXXXXX")
trap 'rm -rf "$T"' EXIT
DB=$T/og.db
pass=0
fail=0

# check NAME GOT WANT - one comparison
check() {
	if [ "$2" == "$3" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		printf 'FAIL %s: got [%s], want [%s]\n' "$1" "$2" "$3"
	fi
}

# contains NAME TEXT PART - TEXT holds PART
contains() {
	if [[ "$2" == *"$3"* ]]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		printf 'FAIL %s: [%s] does not contain [%s]\n' "$1" "$2" "$3"
	fi
}

# ctl_make_db - og.conf for DB in T, and the database made by outguard -n;
# "outguard -n creates the database" is a check
ctl_make_db() {
	cat >"$T/og.conf" <<EOF
Database $DB
Socket unix:$T/og.sock
Syslog no
EOF
	"$OG" -n -c "$T/og.conf" >"$T/n.out" 2>&1
	check "outguard -n creates the database" "$?" 0
}

# ctl ARGS... - run outguardctl on the test database: $out, $err, $rc
ctl() {
	out=$("$CTL" -d "$DB" "$@" 2>"$T/err")
	rc=$?
	err=$(cat "$T/err")
}

# json EXPR - evaluate a python expression over $out parsed as d
json() {
	printf '%s' "$out" | python3 -c '
import json, sys
d = json.loads(sys.stdin.buffer.read().decode("utf-8"))
print(eval(sys.argv[1]))' "$1" 2>&1
}

# lim EXPR [COND] - EXPR of each limit l of a status (that meets COND)
lim() {
	json "[$1 for l in d['limits'] if ${2:-True}]"
}

# rows EXPR - EXPR of each row r of a listing
rows() {
	json "[$1 for r in d]"
}

# valid NAME - $out parses as JSON and the command succeeded
valid() {
	printf '%s' "$out" | python3 -m json.tool >/dev/null 2>&1
	check "valid JSON: $1" "$?:$rc" "0:0"
}

# sql QUERY - run a query on the test database
sql() {
	sqlite3 "$DB" "$1"
}

# ctl_finish - the summary line; the exit status
ctl_finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
