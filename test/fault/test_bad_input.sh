#!/bin/bash
# test_bad_input.sh - fault_bad_input: hostile input straight to the
# daemon's socket (rawmilter.py sends any bytes; milterload the volume),
# one daemon for all of it, default policy.  Each case has a defined
# reply, the daemon never dies, and its peak RSS is printed:
#   10,000 recipients in one message: 100 accepted, 9,900 get
#     "452 4.5.3" (rcpt_per_msg), the message is delivered and counted
#     with 100, one log line says "refused 9900 of 10000 recipients";
#   a 1 MB header: libmilter drops the connection (its packets are at
#     most 64 KB; Postfix never sends one, see test_bad_input_postfix);
#     a 60 KB header is taken;
#   8-bit and invalid UTF-8 in headers and envelope: delivered;
#   NUL bytes in MAIL and RCPT arguments and header values: delivered
#     (libmilter cuts at the NUL);
#   an empty sender <>: delivered, and counted when authenticated;
#   catastrophic regexes on a long subject: the match limit ends them,
#     counted as no match, logged with the rule id; the rule still
#     refuses (550 5.7.1) a subject it can decide;
#   500 concurrent connections: every message decided.
. "$(dirname "$0")/lib.sh"
e2e_require outguard sqlite3
fault_require_milterload
fault_init

og_init
og_start

# eom_is WANT - the last raw run's end of message starts with WANT
eom_is()
{
	raw_has "eom: $1"
}

say "10,000 recipients in one message"
raw <<EOF
connect client.test 192.0.2.10
login alice
mail <alice@$E2E_DOMAIN>
qid BIG1
rcpts 10000 $E2E_RCPT_DOMAIN
header Subject ten thousand
eom
quit
EOF
check "100 accepted, 9,900 refused with 452 4.5.3" raw_has \
	"rcpts 10000: continue=100 reply452=9900 first refusal: 452 4.5.3 Too many recipients"
check "the message is delivered" eom_is continue
check "counted with its 100 recipients" sql_wait \
	"SELECT rcpts FROM msg_log WHERE queue_id = 'BIG1'" 100 10
check "one log line for the message" og_log_has \
	'BIG1: login=alice .*kind=rcpt_cap reason="rcpt_per_msg 101>100 class=default; refused 9900 of 10000 recipients"'
ml -c 1 -n 2 -r 10000 -l 1 -t 60
expect_eq "milterload, 2 x 10,000: both decided" 0 "$(ml_val failed)"
expect_eq "milterload: both delivered" 2 "$(ml_val continue)"
expect_eq "milterload: 19,800 refused at RCPT" 19800 \
	"$(ml_val rcpt_refused)"
og_report_rss "after 10,000 recipients"

say "a 1 MB header, and a 60 KB one"
raw <<EOF
connect client.test 192.0.2.10
login alice
mail <alice@$E2E_DOMAIN>
rcpt <bob@$E2E_RCPT_DOMAIN>
bigheader X-Big a 1048576
eom HUGE1
EOF
check "1 MB: libmilter drops the connection" raw_has "closed:"
check "the daemon lives on" og_alive
raw <<EOF
connect client.test 192.0.2.10
login alice
mail <alice@$E2E_DOMAIN>
rcpt <bob@$E2E_RCPT_DOMAIN>
bigheader X-Big a 60000
bigheader Subject b 60000
eom BIG60K
quit
EOF
check "60 KB header and subject: delivered" eom_is continue
og_report_rss "after the big headers"

say "8-bit and invalid UTF-8"
raw <<EOF
connect client.test 192.0.2.10
login alice
mail <\xc3\xa9l\xe8ve@$E2E_DOMAIN>
rcpt <b\xffb@\xff\xfe.$E2E_RCPT_DOMAIN>
rcpt <caf\xc3\xa9@\xc3\xa9xample.net>
header From "\xff\xfe J\xc3\xb6rg \xc3\x28" <alice@$E2E_DOMAIN>
header Reply-To \xe9l\xe8ve <alice@$E2E_DOMAIN>
header Subject \xc3\x28 \xed\xa0\x80 =?UTF-8?B?/w==?= =?ISO-8859-1?Q?caf=E9?= =?UTF-8?Q?=FF=FE?=
header To =?utf-8?B?invalid base64?= <x@$E2E_RCPT_DOMAIN>
eom UTF1
quit
EOF
expect_eq "both recipients accepted" 2 \
	"$(grep -c '^rcpt: continue$' "$RAW_OUT")"
check "delivered" eom_is continue

say "NUL bytes"
raw <<EOF
connect client.test 192.0.2.10
login alice
mail <alice\x00evil@$E2E_DOMAIN>
rcpt <b\x00ob@$E2E_RCPT_DOMAIN>
header Subject a\x00b
header From Alice <alice@$E2E_DOMAIN>\x00<evil@gmail.com>
header X-Nul \x00\x00\x00
eom NUL1
quit
EOF
check "NUL in RCPT: accepted" raw_has "rcpt: continue"
check "NUL in MAIL and headers: delivered" eom_is continue

say "an empty sender <>"
raw <<EOF
connect client.test 192.0.2.10
login alice
mail <>
qid NULL1
rcpt <bob@$E2E_RCPT_DOMAIN>
eom
login
mail <>
qid NULL2
rcpt <postmaster@$E2E_DOMAIN>
eom
quit
EOF
check "authenticated <>: accepted" raw_has "rcpt: continue"
check "delivered" [ "$(grep -c '^eom: continue$' "$RAW_OUT")" = 2 ]
check "authenticated <>: counted" sql_wait \
	"SELECT login FROM msg_log WHERE queue_id = 'NULL1'" alice 10
expect_eq "unauthenticated <>: not counted" 0 \
	"$(sql "SELECT COUNT(*) FROM msg_log WHERE queue_id = 'NULL2'")"

say "catastrophic regexes on a long subject"
policy_edit "INSERT INTO rules (scope, field, pattern, action, reason)
	VALUES ('any', 'subject', '^(a|aa)+\$', 'reject', 'cat1'),
	       ('any', 'subject', '(a+)+\$', 'reject', 'cat2'),
	       ('any', 'subject', '^(\\w+\\s?)*\$', 'reject', 'cat3')"
ids=$(sql "SELECT group_concat(id, ' ') FROM rules WHERE reason LIKE 'cat%'")
long=$(printf 'a%.0s' $(seq 1 200))!$(head -c 60000 /dev/zero | tr '\0' a)
raw <<EOF
connect client.test 192.0.2.10
login alice
mail <alice@$E2E_DOMAIN>
rcpt <bob@$E2E_RCPT_DOMAIN>
header Subject $long
eom CAT1
quit
EOF
check "no match within the limits: delivered" eom_is continue
for id in $ids; do
	check "rule $id: the limit is logged" og_log_has \
		"rule $id: (match|depth|heap|JIT stack) limit hit on field subject \\(counted as no match\\)"
done
raw <<EOF
connect client.test 192.0.2.10
login alice
mail <alice@$E2E_DOMAIN>
rcpt <bob@$E2E_RCPT_DOMAIN>
header Subject aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
eom CAT2
quit
EOF
check "a subject the rules can decide: 550 5.7.1" eom_is "reply 550 5.7.1 "
og_report_rss "after the regexes"

say "500 concurrent connections"
policy_edit "DELETE FROM rules WHERE reason LIKE 'cat%'"	# cat3 takes all
# user0 has sent 200 new recipients above (the 10,000-recipient
# messages): the default new_rcpt rows would rightly refuse its share
policy_edit "DELETE FROM limits WHERE metric = 'new_rcpt'"
ml -c 500 -n 1000 -l 500 -t 120
expect_eq "every message decided" 0 "$(ml_val failed)"
expect_eq "every message delivered" 1000 "$(ml_val continue)"
og_report_rss "after 500 concurrent connections"

check "the daemon is still running" og_alive
og_stop
expect_eq "and stops cleanly" 0 "$OG_LAST_EXIT"
fault_finish
