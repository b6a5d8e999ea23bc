#!/bin/bash
# test_bad_input_postfix.sh - fault_bad_input_postfix: the hostile
# input of test_bad_input.sh sent through a real Postfix as alice
# (rawsmtp.py, byte-exact SMTP), with smtpd_recipient_limit 20000 and
# smtpd_hard_error_limit raised to 20000 so Postfix itself does not
# hang up first.  Defined replies, checked end to end:
#   10,000 recipients: 100 get 250, 9,900 get outguard's "452 4.5.3",
#     the message is queued and the sink receives it with 100
#     recipients;
#   a 1 MB header, in one line and folded: queued and delivered
#     (Postfix cuts it down before outguard sees it);
#   8-bit and invalid UTF-8 headers: queued and delivered;
#   NUL in MAIL or RCPT: Postfix itself answers 501 (outguard never
#     sees it); NUL in a header: queued and delivered;
#   an empty sender <>: queued, delivered, counted for alice.
# The daemon runs throughout; its peak RSS is printed.
. "$(dirname "$0")/lib.sh"
e2e_require postfix swaks sasl outguard sqlite3
command -v python3 >/dev/null || e2e_skip "python3 not installed"
fault_init

# smtp - rawsmtp.py on the submission port, script on stdin; output in
# SMTP_OUT (also printed, shortened)
SMTP_N=0
smtp()
{
	SMTP_N=$((SMTP_N + 1))
	SMTP_OUT=$E2E_TMP/smtp$SMTP_N.out
	python3 "$FAULT_HERE/rawsmtp.py" "$PF_SUB_PORT" >"$SMTP_OUT" 2>&1
	sed 's/^/    /' "$SMTP_OUT" | cut -c1-150
}

# smtp_has S - the last transcript has a line starting with S
smtp_has()
{
	awk -v s="$1" 'index($0, s) == 1 { found = 1 }
		END { exit !found }' "$SMTP_OUT"
}

# queued - the last transcript's end of data was queued; prints the id
queued_id()
{
	sed -n 's/^eom: 250 2\.0\.0 Ok: queued as \([0-9A-Z]*\)$/\1/p' \
		"$SMTP_OUT"
}

# delivered ID - the sink got the message Postfix queued as ID
delivered()
{
	pf_wait_idle 30 && pf_log_grep -q "$1: to=<.*status=sent"
}

og_init
og_start
# shellcheck disable=SC2034 # read by pf_start
PF_MAIN_EXTRA="smtpd_hard_error_limit = 20000"
pf_start "$OG_SOCK"

say "10,000 recipients in one message"
smtp <<EOF
ehlo client.test
auth alice $E2E_PASSWORD
mail <alice@$E2E_DOMAIN>
rcpts 10000 $E2E_RCPT_DOMAIN
data
header From <alice@$E2E_DOMAIN>
header Subject ten thousand
eom
quit
EOF
check "100 get 250, 9,900 get 452 4.5.3 from outguard" smtp_has \
	"rcpts 10000: 250=100 452=9900 first refusal: 452 4.5.3 Too many recipients"
id=$(queued_id)
check "the message is queued" [ -n "$id" ]
check "and delivered" delivered "$id"
expect_eq "the sink has its 100 recipients" 100 \
	"$(grep -c '^X-Rcpt-Args:' "$(sink_file_with "Subject: ten thousand")")"
check "outguard logged it once" og_log_has \
	"$id: login=alice .*refused 9900 of 10000 recipients"
og_report_rss "after 10,000 recipients through Postfix"

say "a 1 MB header, in one line and folded"
smtp <<EOF
ehlo client.test
auth alice $E2E_PASSWORD
mail <alice@$E2E_DOMAIN>
rcpt <bob@$E2E_RCPT_DOMAIN>
data
header From <alice@$E2E_DOMAIN>
header Subject one line of a megabyte
bigheader X-Big a 1048576
eom
mail <alice@$E2E_DOMAIN>
rcpt <bob@$E2E_RCPT_DOMAIN>
data
header From <alice@$E2E_DOMAIN>
header Subject a folded megabyte
bigheader X-Big b 1048576 900
eom
quit
EOF
ids=$(queued_id)
expect_eq "both queued" 2 "$(wc -w <<<"$ids")"
for id in $ids; do
	check "$id delivered" delivered "$id"
done
og_report_rss "after the 1 MB headers"

say "8-bit and invalid UTF-8 in headers, NUL in a header"
smtp <<EOF
ehlo client.test
auth alice $E2E_PASSWORD
mail <alice@$E2E_DOMAIN>
rcpt <bob@$E2E_RCPT_DOMAIN>
data
header From "\xff\xfe J\xc3\xb6rg \xc3\x28" <alice@$E2E_DOMAIN>
header Reply-To \xe9l\xe8ve <alice@$E2E_DOMAIN>
header Subject \xc3\x28 \xed\xa0\x80 =?UTF-8?B?/w==?= =?UTF-8?Q?=FF=FE?=
header X-Nul a\x00b\x00c
eom
quit
EOF
id=$(queued_id)
check "queued" [ -n "$id" ]
check "delivered" delivered "$id"

say "NUL in MAIL and RCPT"
smtp <<EOF
ehlo client.test
auth alice $E2E_PASSWORD
mail <alice\x00evil@$E2E_DOMAIN>
mail <alice@$E2E_DOMAIN>
rcpt <b\x00ob@$E2E_RCPT_DOMAIN>
quit
EOF
check "NUL in MAIL: Postfix answers 501" smtp_has "mail: 501 5.1.7 "
check "NUL in RCPT: Postfix answers 501" smtp_has "rcpt: 501 5.1.3 "

say "an empty sender <>"
smtp <<EOF
ehlo client.test
auth alice $E2E_PASSWORD
mail <>
rcpt <bob@$E2E_RCPT_DOMAIN>
data
header From <alice@$E2E_DOMAIN>
header Subject null sender
eom
quit
EOF
id=$(queued_id)
check "queued" [ -n "$id" ]
check "delivered" delivered "$id"
check "counted for alice" sql_wait \
	"SELECT login FROM msg_log WHERE queue_id = '$id'" alice 10

check "the daemon is still running" og_alive
og_report_rss "at the end"
fault_finish
