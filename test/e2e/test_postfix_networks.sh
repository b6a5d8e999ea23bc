#!/bin/bash
# test_postfix_networks.sh - distinct client networks per login, end to
# end through a private Postfix (issue: compromise signals).  The default
# policy blocks a login seen from more than 5 networks (IPv4 /24) in an
# hour: alice submits from 127.1.0.1, 127.2.0.1, ... and the sixth
# network is refused with 451 4.7.1, she is blocked, NotifyCommand ran,
# her later mail from a known network is refused too, and
# outguardctl unblock restores her.  bob submits from six addresses of
# one network_groups range (a mobile carrier) and is never blocked.

. "$(dirname "$0")/lib.sh"

e2e_require postfix swaks sasl sqlite3 outguard outguardctl
e2e_init

alerts=$E2E_TMP/alerts.log
printf '#!/bin/sh\necho "$OUTGUARD_EVENT login=$OUTGUARD_LOGIN reason=$OUTGUARD_REASON" >>%s\n' \
	"$alerts" >"$E2E_TMP/notify.sh"
chmod 755 "$E2E_TMP/notify.sh"
: >"$alerts"
OG_CONF_EXTRA="NotifyCommand $E2E_TMP/notify.sh"

og_init
sql "INSERT INTO network_groups (cidr, name) VALUES ('127.20.0.0/16', 'carrier')"
og_start
pf_start "$OG_SOCK"

for n in 1 2 3 4 5; do
	send_auth alice --local-interface "127.$n.0.1"
	check "alice from network $n of 5: delivered" swaks_queued
done
send_auth alice --local-interface 127.6.0.1
check "alice from a sixth network: 451 4.7.1" swaks_replied "451 4.7.1"
check "alice is blocked" sql_wait \
	"SELECT status FROM users WHERE login='alice'" blocked
check "a block alert ran" wait_for 5 grep -q "^block login=alice" "$alerts"
send_auth alice --local-interface 127.1.0.1
check "blocked: refused from a known network too" \
	swaks_replied "451 4.7.1"
ogctl unblock alice >/dev/null
ogctl reset alice >/dev/null
send_auth alice --local-interface 127.1.0.1
check "after unblock and reset: delivered" swaks_queued

for n in 1 2 3 4 5 6 7; do
	send_auth bob --local-interface "127.20.$n.1"
	check "bob from carrier address $n: delivered" swaks_queued
done
expect_eq "bob is not blocked" "" \
	"$(sql "SELECT status FROM users WHERE login='bob'")"
expect_eq "bob's sessions are one network" "group:carrier" \
	"$(sql "SELECT DISTINCT network FROM session_log WHERE login='bob'")"

e2e_finish
