#!/bin/bash
# test_concurrency.sh - fault_concurrency: 64 connections of one login
# at once, straight to the daemon's socket with milterload.  No update
# is lost: with every limit out of reach, msg_log holds exactly the
# messages and recipients sent (and session_log the sessions).  With a
# limit, exactly the threshold is accepted and the rest refused with
# 451 at RCPT: concurrent messages reserve what they are granted, so
# they cannot each slip under the limit together.  Prints the daemon's
# peak RSS.  No timing is asserted.
. "$(dirname "$0")/lib.sh"
e2e_require outguard sqlite3
fault_require_milterload
fault_init

CONNS=64

# fresh_daemon SQL - a new database with every limit raised out of
# reach, then SQL, and the daemon started on it
fresh_daemon()
{
	og_init
	sql "UPDATE limits SET threshold = threshold * 100000; $1" ||
		e2e_fatal "cannot set the limits"
	og_start
}

# stored - "messages|recipients" of user0 in msg_log
stored()
{
	sql "SELECT COUNT(*) || '|' || IFNULL(SUM(rcpts), 0) FROM msg_log
	     WHERE login = 'user0'"
}

say "1. no limit in reach: $CONNS connections, 1,280 messages of 5"
fresh_daemon ""
ml -c $CONNS -n 1280 -r 5 -l 1 -m 2 -t 60
check "milterload: every message decided" [ "$(ml_val failed)" = 0 ]
expect_eq "every message accepted" 1280 "$(ml_val continue)"
expect_eq "no recipient refused" 0 "$(ml_val rcpt_refused)"
check "msg_log: 1,280 messages, 6,400 recipients" \
	sql_wait "SELECT COUNT(*) || '|' || SUM(rcpts) FROM msg_log
		  WHERE login = 'user0'" "1280|6400" 20
expect_eq "session_log: one session per connection" "$(ml_val sessions)" \
	"$(sql "SELECT COUNT(*) FROM session_log WHERE login = 'user0'")"
og_report_rss "after 64 connections, 1,280 messages"
og_stop
expect_eq "the counts survive a restart: integrity" ok "$(db_integrity)"
expect_eq "the counts survive a restart: msg_log" "1280|6400" "$(stored)"

say "2. 1,000 recipients an hour: $CONNS connections offer 2,000"
fresh_daemon "UPDATE limits SET threshold = 1000 WHERE class = 'default'
	      AND metric = 'rcpt' AND window_s = 3600 AND action = 'tempfail'"
ml -c $CONNS -n 400 -r 5 -l 1 -t 60
check "milterload: every message decided" [ "$(ml_val failed)" = 0 ]
expect_eq "recipients accepted: exactly the threshold" 1000 \
	$(($(ml_val rcpts) - $(ml_val rcpt_refused)))
expect_eq "every recipient past it refused at RCPT" 1000 \
	"$(ml_val rcpt_refused)"
check "msg_log: exactly 1,000 recipients" sql_wait \
	"SELECT SUM(rcpts) FROM msg_log WHERE login = 'user0'" 1000 20
expect_eq "msg_log: one row per message delivered" "$(ml_val continue)" \
	"$(sql "SELECT COUNT(*) FROM msg_log WHERE login = 'user0'")"
check "the refusals are logged" og_log_has \
	'login=user0 .*action=tempfail kind=limit reason="rcpt 1001>1000/3600s'
og_report_rss "after the recipient limit run"

say "3. 150 messages an hour: $CONNS connections offer 400"
# the same daemon: user0 forgotten, the policy changed under it
ogctl reset user0 >/dev/null || fail "outguardctl reset user0"
policy_edit "UPDATE limits SET threshold = threshold * 100000
	     WHERE class = 'default' AND metric = 'rcpt';
	     UPDATE limits SET threshold = 150 WHERE class = 'default'
	     AND metric = 'msg'"
expect_eq "user0 forgotten" 0 "$(sql "SELECT COUNT(*) FROM msg_log")"
ml -c $CONNS -n 400 -r 1 -l 1 -t 60
check "milterload: every message decided" [ "$(ml_val failed)" = 0 ]
expect_eq "messages accepted: exactly the threshold" 150 \
	"$(ml_val continue)"
expect_eq "the rest refused with 4xx at RCPT" 250 "$(ml_val at_rcpt)"
check "msg_log: exactly 150 messages" sql_wait \
	"SELECT COUNT(*) FROM msg_log WHERE login = 'user0'" 150 20
og_report_rss "after the message limit run"
og_stop
expect_eq "integrity after the runs" ok "$(db_integrity)"

fault_finish
