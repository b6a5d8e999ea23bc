#!/bin/bash
# test_postfix_webmail.sh - webmail identity end to end (issue: compromise
# signals).  A webmail host submits without SMTP AUTH and names the user
# in a header; webmail_sources tells outguard which header, for mail from
# which network.
#
# Through the sendmail binary (Postfix's non_smtpd_milters, the client is
# "localhost [127.0.0.1]"): a SquirrelMail "Received: from 203.0.113.7
# (SquirrelMail authenticated user alice)" message is counted for alice
# from 203.0.113.7.  A second filter after outguard tempfails it the
# first time, so Postfix keeps it in maildrop and filters it again under
# a new queue id: it is still counted once.  A blocked alice's webmail
# is tempfailed at end-of-message and delivered once she is unblocked.
#
# Through SMTP without AUTH from a webmail network: the login comes from
# X-Sender and the origin from X-Originating-IP.

. "$(dirname "$0")/lib.sh"

e2e_require postfix swaks sasl sqlite3 outguard outguardctl
[ -x "${NULLFILTER:-}" ] || e2e_skip "NULLFILTER (test/bench/nullfilter) not set"
e2e_init

flag=$E2E_TMP/tempfail-next
nf_sock=$E2E_TMP/nf.sock

og_init
sql "INSERT INTO webmail_sources (network, header, pattern, ip_header) VALUES
	('127.0.0.1', 'Received',
	 'SquirrelMail authenticated user ([^\s)]+)', 'Received'),
	('127.5.0.0/16', 'X-Sender', '^\s*([^@\s]+)@', 'X-Originating-IP')"
og_start
"$NULLFILTER" -p "unix:$nf_sock" -F "$flag" >"$E2E_TMP/nf.log" 2>&1 &
e2e_track $!
wait_for 10 test -S "$nf_sock" || e2e_fatal "nullfilter did not listen"
chmod 666 "$nf_sock"
pf_start "$OG_SOCK"
postconf -c "$PF_CONF" -e \
	"non_smtpd_milters = unix:$OG_SOCK, unix:$nf_sock" \
	"smtpd_milters = unix:$OG_SOCK" || e2e_fatal "postconf failed"
postfix -c "$PF_CONF" reload >/dev/null 2>&1 || e2e_fatal "reload failed"

# webmail_submit - ID USER: a SquirrelMail message through sendmail
webmail_submit()
{
	printf '%s\n' \
		"Received: from 203.0.113.7 (SquirrelMail authenticated user $2)" \
		"        by webmail.example.test with HTTP;" \
		"        Sun, 22 Nov 2026 10:00:00 +0000" \
		"Message-ID: <$1@webmail.example.test>" \
		"From: $2@$E2E_DOMAIN" \
		"To: someone@$E2E_RCPT_DOMAIN" \
		"Subject: webmail $1" \
		"" "sent from webmail" |
		sendmail -C "$PF_CONF" -i -f "$2@$E2E_DOMAIN" \
			"someone@$E2E_RCPT_DOMAIN"
}

# maildrop_count - messages waiting in the instance's maildrop
maildrop_count()
{
	find "$PF_DIR/queue/maildrop" -type f | wc -l
}

# kick_pickup - make pickup scan maildrop now
kick_pickup()
{
	postkick -c "$PF_CONF" public pickup W
}

# filtered_twice - ID: the maillog shows the Message-ID under two queue ids
filtered_twice()
{
	[ "$(grep -c "message-id=<$1@webmail" "$PF_DIR/log/maillog" 2>/dev/null)" -ge 2 ]
}

# 1. Counted once across a tempfail and a re-pickup.
touch "$flag"
webmail_submit wm1 alice
check "webmail message counted for alice" sql_wait \
	"SELECT count(*), sum(rcpts), client_addr FROM msg_log
	 WHERE login='alice'" "1|1|203.0.113.7" 20
check "the origin's network was recorded" sql_wait \
	"SELECT network FROM session_log WHERE login='alice'" "203.0.113.0/24"
check "the filter after outguard kept it in maildrop" \
	wait_for 10 test "$(maildrop_count)" -ge 1
rm -f "$flag"
kick_pickup
check "re-picked and delivered" wait_for 60 sink_has "Subject: webmail wm1"
check "filtered again under a new queue id" wait_for 10 filtered_twice wm1
expect_eq "still counted once" \
	"$(sql "SELECT count(*) FROM msg_log WHERE login='alice'")" 1
expect_eq "one session row for one message" \
	"$(sql "SELECT count(*) FROM session_log WHERE login='alice'")" 1

# 2. A blocked webmail user is tempfailed at end-of-message.
ogctl block alice "test" >/dev/null || fail "outguardctl block"
webmail_submit wm2 alice
check "blocked: outguard tempfailed it" wait_for 20 og_log_grep -q \
	"login=alice .*action=tempfail"
expect_eq "blocked: not counted" \
	"$(sql "SELECT count(*) FROM msg_log WHERE login='alice'")" 1
ogctl unblock alice >/dev/null || fail "outguardctl unblock"
kick_pickup
check "unblocked: delivered" wait_for 60 sink_has "Subject: webmail wm2"
check "unblocked: counted" sql_wait \
	"SELECT count(*) FROM msg_log WHERE login='alice'" 2 10

# 3. Another user's login from the header; no header: not counted.
webmail_submit wm3 bob
check "bob counted from his header" sql_wait \
	"SELECT count(*) FROM msg_log WHERE login='bob'" 1 20
printf 'From: root@%s\nSubject: plain local mail\n\nhello\n' "$E2E_DOMAIN" |
	sendmail -C "$PF_CONF" -i "someone@$E2E_RCPT_DOMAIN"
check "mail without a naming header is delivered" \
	wait_for 60 sink_has "Subject: plain local mail"
expect_eq "and counted for nobody" \
	"$(sql "SELECT count(*) FROM msg_log WHERE login NOT IN ('alice','bob')")" 0

# 4. SMTP from a webmail network without AUTH: X-Sender names carol.
send_unauth --local-interface 127.5.0.1 --from "carol@$E2E_DOMAIN" \
	--header "X-Sender: carol@$E2E_DOMAIN" \
	--header "X-Originating-IP: [198.51.100.23]" \
	--header "Subject: webmail smtp"
check "webmail over SMTP: delivered" swaks_queued
check "webmail over SMTP: counted for carol from the origin" sql_wait \
	"SELECT count(*), client_addr FROM msg_log WHERE login='carol'" \
	"1|198.51.100.23" 10

e2e_finish
