#!/bin/bash
# NAME
#	smoke.sh - bench_smoke: milterload against the reference nullfilter
# SYNOPSIS
#	smoke.sh MILTERLOAD NULLFILTER
# DESCRIPTION
#	Starts nullfilter on a unix socket in a temporary directory and
#	checks that milterload gets a decision for every message and
#	that both sides count the same events: a naive filter, an
#	efficient one (skipped stages, no-reply stages, macro lists,
#	header edits, several messages per connection), refusals at RCPT,
#	a filter too slow for the timeout, and no filter at all.  No
#	timing is asserted.  Ends with "N passed, N failed"; exit 1 on
#	any failure.
# ENVIRONMENT
#	KEEP=1 keeps the temporary directory.
set -u

load=$1
null=$2
tmp=$(mktemp -d /tmp/bench-smoke.XXXXXX)
sock=$tmp/nf.sock
passed=0
failed=0

. "$(dirname "$0")/bench_lib.sh"
bench_cleanup_on_exit "$tmp"

# start_nf ARGS... - start nullfilter and wait for its socket
start_nf() {
	rm -f "$sock"
	"$null" -p "unix:$sock" "$@" >"$tmp/nf.out" 2>"$tmp/nf.err" &
	bench_track $!
	for _ in $(seq 100); do
		[ -S "$sock" ] && return 0
		sleep 0.1
	done
	echo "nullfilter did not create $sock:" >&2
	cat "$tmp/nf.err" >&2
	return 1
}

# val FILE KEY - the value of KEY=... in FILE's key=value words
val() {
	tr ' ' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1
}

# check NAME FILE KEY WANT - one assertion, reported as got/want
check() {
	local got
	got=$(val "$2" "$3")
	if [ "$got" = "$4" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1: $3 got '${got}', want '$4'"
	fi
}

# check_true NAME COMMAND... - an assertion on a command's status
check_true() {
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $name"
	fi
}

# run NAME NULLFILTER_ARGS -- MILTERLOAD_ARGS - one load run; sets r, n
run() {
	local name=$1
	shift
	local nf_args=()
	while [ "$1" != "--" ]; do
		nf_args+=("$1")
		shift
	done
	shift
	r=$tmp/$name.result
	n=$tmp/$name.null
	start_nf "${nf_args[@]}" || { failed=$((failed + 1)); return; }
	"$load" -s "unix:$sock" -q "$@" >"$r" 2>"$tmp/$name.err"
	rc=$?
	bench_stop
	cp "$tmp/nf.out" "$n"
	echo "$name: $(cat "$r")"
	[ -s "$tmp/$name.err" ] && sed "s/^/$name: /" "$tmp/$name.err"
}

# 1. The naive filter: every stage sent, every reply awaited.
run naive -- -c 4 -n 300 -r 10
check_true "naive: nothing on stderr" [ ! -s "$tmp/naive.err" ]
check_true "naive: milterload exits 0" [ "$rc" = 0 ]
check naive "$r" msgs 300
check naive "$r" failed 0
check naive "$r" continue 300
check naive "$r" rcpts 3000
check naive "$r" sessions 300
check naive "$n" connect 300
check naive "$n" helo 300
check naive "$n" envfrom 300
check naive "$n" envrcpt 3000
check naive "$n" data 300
check naive "$n" header 1500
check naive "$n" eoh 300
check naive "$n" body 300
check naive "$n" eom 300
check naive "$n" close 300

# 2. Negotiated like outguard, with an edit, three messages a connection.
run efficient -e -a -- -c 4 -n 300 -r 10 -m 3 -R
check_true "efficient: milterload exits 0" [ "$rc" = 0 ]
check efficient "$r" msgs 300
check efficient "$r" failed 0
check efficient "$r" continue 300
check efficient "$r" addheader 300
sessions=$(val "$r" sessions)
check efficient "$n" connect "$sessions"
check efficient "$n" close "$sessions"
check efficient "$n" negotiate "$sessions"
check efficient "$n" helo "$sessions"
check efficient "$n" envfrom 300
check efficient "$n" envrcpt 3000
check efficient "$n" data 0
check efficient "$n" header 1500
check efficient "$n" eoh 0
check efficient "$n" body 0
check efficient "$n" eom 300
check_true "efficient: about 3 messages per session" \
	[ "${sessions:-0}" -ge 100 -a "${sessions:-0}" -le 103 ]

# 3. Every recipient refused with 451 4.7.1: visible, not an error.
run refuse -T -- -c 4 -n 200 -r 10 -m 2
check_true "refuse: milterload exits 0" [ "$rc" = 0 ]
check refuse "$r" msgs 200
check refuse "$r" failed 0
check refuse "$r" reply4xx 200
check refuse "$r" at_rcpt 200
check refuse "$r" rcpt_refused 2000
check refuse "$n" envrcpt 2000
check refuse "$n" eom 0

# 4. A filter slower than the timeout: a clear error, no hang.
run slow -d 2500 -- -c 2 -n 2 -t 1 -E 2
check_true "slow: milterload exits 1" [ "$rc" = 1 ]
check slow "$r" failed 2
check_true "slow: names the timeout" \
	grep -q "waiting for the reply to SMFIC_.*: no reply within 1000 ms" \
	"$tmp/slow.err"

# 5. No filter at all.
"$load" -s "unix:$tmp/none.sock" -q -n 5 -E 5 >"$tmp/none.result" \
	2>"$tmp/none.err"
rc=$?
check_true "none: milterload exits 1" [ "$rc" = 1 ]
check none "$tmp/none.result" failed 5
check_true "none: names the socket" \
	grep -q "connect to unix:$tmp/none.sock" "$tmp/none.err"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
