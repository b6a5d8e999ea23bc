#!/bin/bash
# test_sigkill_postfix.sh - fault_sigkill_postfix: outguard is killed
# with SIGKILL in the middle of a load through a real, private Postfix
# (test/e2e/lib.sh: smtpd_milters = { unix:SOCKET,
# default_action=tempfail, command_timeout=10s }), and started again.
# smtpload.py sends 400 messages as alice over 8 authenticated sessions
# at a time and records the reply that decided each one.
#   Every message is accounted for: each got a 250 or a 4xx/5xx the
#   client saw, and the messages Postfix took (250) are exactly those
#   the sink received (or held: none are).  While outguard is down,
#   Postfix's default_action=tempfail answers "451 4.7.1 Service
#   unavailable - try again later" at RCPT or end of data (and "454
#   4.3.0 Try again later" to AUTH in a session that began without the
#   milter); Postfix's log names the milter it cannot reach.
#   After the restart: PRAGMA integrity_check is ok, and msg_log counts
#   every delivered message except the few in flight at the kill
#   (accepted, their write not yet committed by the writer thread):
#   the test prints how many, and fails above 4 per client session, a
#   bound a loaded machine's scheduling does not reach (counts lost or
#   doubled wholesale would).
. "$(dirname "$0")/lib.sh"
e2e_require postfix swaks sasl outguard sqlite3
command -v python3 >/dev/null || e2e_skip "python3 not installed"
fault_init

N=400
THREADS=8
LOAD_OUT=

# load TAG N FIRST - smtpload.py as alice to the submission port
load()
{
	python3 "$FAULT_HERE/smtpload.py" --port "$PF_SUB_PORT" \
		--user alice --password "$E2E_PASSWORD" \
		--sender "alice@$E2E_DOMAIN" --rcpt "someone@$E2E_RCPT_DOMAIN" \
		--threads $THREADS --per-session 5 --tag "$1" \
		--messages "$2" --first "${3:-1}"
}

# lines_ge N - the load has recorded at least N outcomes
lines_ge()
{
	[ "$(wc -l <"$LOAD_OUT")" -ge "$1" ]
}

# refused_after N - a refusal among the outcomes after line N
refused_after()
{
	tail -n +"$(($1 + 1))" "$LOAD_OUT" | grep -q -v '^[0-9]* 250 '
}

# sink_ids TAG - message numbers of TAG the sink received, sorted
sink_ids()
{
	sink_grep -o "^Subject: smtpload $1 [0-9]*" |
		awk '{ print $NF }' | sort -n | uniq
}

og_init
sql "UPDATE limits SET threshold = threshold * 100000"
og_start
pf_start "$OG_SOCK"

say "the load: $N messages, $THREADS sessions at a time"
LOAD_OUT=$E2E_TMP/load.out
load kill $N >"$LOAD_OUT" 2>"$E2E_TMP/load.err" &
load_pid=$!
wait_for 120 lines_ge 100 || e2e_fatal "the load did not get going"
at_kill=$(wc -l <"$LOAD_OUT")
og_kill
say "SIGKILL after $at_kill outcomes"
check "Postfix refuses while outguard is down" \
	wait_for 60 refused_after "$at_kill"
og_restart
wait "$load_pid"
check "the load ran to its end" [ $? = 0 ]
check "Postfix delivered everything it took" pf_wait_idle 120

took=$(grep -c '^[0-9]* 250 ' "$LOAD_OUT")
refused=$(grep -c -E '^[0-9]* [45][0-9][0-9] ' "$LOAD_OUT")
say "outcomes: $took accepted by Postfix, $refused refused:"
grep -v '^[0-9]* 250 ' "$LOAD_OUT" | cut -d' ' -f2- |
	sed 's/queued as [0-9A-F]*//' | sort | uniq -c | sed 's/^/    /'
expect_eq "one outcome per message" "$N" "$(cut -d' ' -f1 "$LOAD_OUT" |
	sort -u | wc -l)"
expect_eq "each a 250 or a 4xx/5xx the client saw" "$N" \
	$((took + refused))
check "some were refused while outguard was down" [ "$refused" -gt 0 ]
check "refused with Postfix's default_action: 451 4.7.1" \
	grep -q -E '^[0-9]+ 451 [A-Z]+ 4\.7\.1 ' "$LOAD_OUT"
expect_eq "the sink has exactly the messages Postfix took" \
	"$(grep '^[0-9]* 250 ' "$LOAD_OUT" | cut -d' ' -f1 | sort -n)" \
	"$(sink_ids kill)"
expect_eq "nothing held" 0 "$(pf_hold_count)"
check "Postfix's log names the milter it could not reach" \
	pf_log_grep -q "warning: (connect to Milter service|milter) unix:$OG_SOCK: "

say "after the restart"
expect_eq "integrity_check" ok "$(db_integrity)"
n=$(msg_count alice)
say "msg_log: $n of the $took delivered ($((took - n)) lost in flight)"
check "msg_log counts no message that was not delivered" [ "$n" -le "$took" ]
check "msg_log misses only messages in flight at the kill" \
	[ $((took - n)) -le $((THREADS * 4)) ]

LOAD_OUT=$E2E_TMP/load2.out
load after 40 >"$LOAD_OUT" 2>>"$E2E_TMP/load.err"
expect_eq "the restarted daemon takes mail: 40 accepted" 40 \
	"$(grep -c '^[0-9]* 250 ' "$LOAD_OUT")"
check "and counts it" sql_wait \
	"SELECT COUNT(*) FROM msg_log WHERE login = 'alice'" $((n + 40)) 20
og_report_rss "after the restart and 40 messages"

fault_finish
