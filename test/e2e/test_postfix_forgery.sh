#!/bin/bash
# test_postfix_forgery.sh - forged senders and lookalike domains end to
# end: outguard attached to a private Postfix, mail sent with swaks.
#   - inbound, unauthenticated mail from a lookalike of a protected
#     domain is refused with 550 5.7.1 and never reaches the sink;
#   - an authenticated user's MAIL FROM:<x@aol.com> is refused;
#   - a freemail Reply-To: on local mail reaches the sink with X-Outguard;
#   - a message to a phishing reply address (a rules row on rcpt) is
#     refused, and the login is then on watch;
#   - NotifyCommand wrote exactly one new_domain record for a lookalike
#     domain seen three times, while seen_domains counted three hits;
#   - a rule whose regex does not compile is skipped, and outguard -n
#     lists it.

. "$(dirname "$0")/lib.sh"

e2e_require postfix swaks sasl sqlite3 outguard outguardctl
e2e_init

alerts=$E2E_TMP/alerts.log
printf '#!/bin/sh\necho "$OUTGUARD_EVENT domain=$OUTGUARD_DOMAIN rule=$OUTGUARD_RULE login=$OUTGUARD_LOGIN queue=$OUTGUARD_QUEUE_ID" >>%s\n' \
	"$alerts" >"$E2E_TMP/notify.sh"
chmod 755 "$E2E_TMP/notify.sh"
: >"$alerts"
OG_CONF_EXTRA="NotifyCommand $E2E_TMP/notify.sh"

og_init
sql "INSERT INTO rules (scope, field, pattern, action, reason) VALUES
	('any', 'rcpt', '^helpdesk-verify@mailbox-upgrade\.example$',
	 'reject', 'known phishing reply address'),
	('any', 'subject', '(unclosed', 'reject', 'broken on purpose')"
out=$("$OUTGUARD" -n -c "$OG_CONF" 2>&1)
check "outguard -n fails on the broken rule" [ $? -eq 1 ]
check "outguard -n names the broken rule" grep -q "rule [0-9]*: .*skipped" \
	<<<"$out"
og_start
pf_start "$OG_SOCK"
sink_reset

# 1. inbound lookalike, three times: refused, one alert
for i in 1 2 3; do
	send_unauth --from "news@linkedinmail.net" --to "user$i@$E2E_RELAY_DOMAIN"
	check "lookalike sender $i refused with 550 5.7.1" \
		swaks_replied "550 5.7.1"
done
check "lookalike mail never reached the sink" [ "$(sink_count)" -eq 0 ]
check "seen_domains counted three hits" sql_wait \
	"SELECT hits FROM seen_domains WHERE domain='linkedinmail.net'" 3
check "the alert ran" wait_for 5 grep -q "linkedinmail.net" "$alerts"
sleep 1
expect_eq "exactly one new_domain alert for linkedinmail.net" 1 \
	"$(grep -c '^new_domain domain=linkedinmail.net ' "$alerts")"

# 2. authenticated freemail envelope sender
send_auth alice --from "alice.private@aol.com"
check "MAIL FROM:<x@aol.com> refused with 550 5.7.1" \
	swaks_replied "550 5.7.1"

# 3. freemail Reply-To on local mail: delivered with the header
sink_reset
send_auth alice --from "alice@$E2E_DOMAIN" \
	--add-header "Reply-To: Alice <alice.reply@gmail.com>"
check "freemail Reply-To: delivered" swaks_queued
check "reached the sink" sink_wait 1
check "X-Outguard names the Reply-To" sink_grep "^X-Outguard: Reply-To: "

# 4. a phishing reply address: refused, login on watch
send_auth bob --to "helpdesk-verify@mailbox-upgrade.example"
check "phishing reply address refused with 550 5.7.1" \
	swaks_replied "550 5.7.1"
check "bob is on watch" sql_wait \
	"SELECT status FROM users WHERE login='bob'" watch
check "a tripwire event" sql_wait \
	"SELECT COUNT(*) > 0 FROM events WHERE login='bob' AND kind='tripwire'" 1
check "the tripwire alert ran" wait_for 5 grep -q "^tripwire .*login=bob" \
	"$alerts"

# 5. a forged LinkedIn host (a default rule), inbound
send_unauth --from "security@emalsrv.linkedin.com"
check "forged LinkedIn host refused" swaks_replied "550 5.7.1"
send_unauth --from "jobs@e.linkedin.com"
check "a real LinkedIn subdomain is not refused" swaks_queued

e2e_finish
