#!/bin/bash
# test_postfix_harness.sh - proves the e2e harness itself, without
# outguard: a private Postfix with Cyrus SASL relays authenticated mail
# to smtp-sink, refuses unauthenticated relaying, accepts unauthenticated
# mail for its relay domain, takes 150 recipients in one message, shows
# held mail in its hold queue, and tempfails everything when its milter is unreachable.

. "$(dirname "$0")/lib.sh"

e2e_require postfix swaks sasl
e2e_init

# test_auth_submission - alice authenticates and her mail reaches the sink
test_auth_submission()
{
	check "alice submits with AUTH PLAIN" \
		send_auth alice --h-Subject "harness-1"
	check "server replied 235 to AUTH" swaks_replied "235 "
	check "the sink received it" sink_wait 1
	check "the message at the sink is alice's" sink_has "harness-1"
	check "Postfix saw the bare login 'alice'" \
		sink_grep -q '\(Authenticated sender: alice\)'
	check "maillog has sasl_username=alice" \
		pf_log_grep -q 'sasl_username=alice$'
}

# test_other_users - bob and carol exist too, with login == bare name
test_other_users()
{
	check "bob submits" send_auth bob --h-Subject "harness-bob"
	check "carol submits" send_auth carol --h-Subject "harness-carol"
	check "both reached the sink" sink_wait 3
	check "queue is drained" pf_wait_idle
	expect_eq "sink counted three messages" 3 "$(sink_count)"
}

# test_bad_password - a wrong password fails AUTH (swaks exit 28)
test_bad_password()
{
	local rc
	E2E_AUTH_PASSWORD=wrong send_auth alice
	rc=$?
	expect_eq "wrong password: swaks exits 28 (AUTH failed)" 28 "$rc"
	check "server replied 535" swaks_replied "535 "
}

# test_unauth_relay_refused - no AUTH, foreign domain: relay denied
test_unauth_relay_refused()
{
	local rc before
	before=$(sink_count)
	send_unauth --to "victim@$E2E_RCPT_DOMAIN"
	rc=$?
	expect_eq "unauthenticated relay: swaks exits 24 (no RCPT)" 24 "$rc"
	check "refused with 454/554 Relay access denied" \
		grep -q 'Relay access denied' "$SWAKS_OUT"
	send_auth alice --server "127.0.0.1:$PF_SUB_PORT" \
		--auth-user nobody-here >/dev/null
	check "unknown user cannot authenticate" swaks_replied "535 "
	pf_wait_idle
	expect_eq "nothing new at the sink" "$before" "$(sink_count)"
}

# test_unauth_relay_domain - no AUTH to relay.test is accepted, delivered
test_unauth_relay_domain()
{
	local before
	before=$(sink_count)
	check "unauthenticated mail to $E2E_RELAY_DOMAIN accepted" \
		send_unauth --h-Subject "harness-unauth"
	check "it reached the sink" sink_wait $((before + 1))
	check "the unauthenticated message is there" \
		sink_has "harness-unauth"
}

# test_many_recipients - 150 recipients in one message, one transaction
test_many_recipients()
{
	local f
	sink_reset
	check "150 recipients accepted" \
		send_auth alice --to "$(rcpt_list 150)" --h-Subject "harness-150"
	expect_eq "150 replies 250 to RCPT" 150 \
		"$(grep -A1 -E '^ *-> RCPT TO:' "$SWAKS_OUT" | grep -c ' 250 ')"
	check "delivered" sink_wait 1
	pf_wait_idle
	expect_eq "one transaction at the sink" 1 "$(sink_count)"
	expect_eq "150 recipients at the sink" 150 "$(sink_rcpt_count)"
	f=$(sink_file_with "harness-150")
	check "r150 is among them" grep -q '^X-Rcpt-Args: <r150@' "$f"
	expect_eq "hold queue is empty" 0 "$(pf_hold_count)"
}

# test_hold_queue - a held message shows up in pf_hold_count/pf_hold_ids
test_hold_queue()
{
	local qid
	sink_reset
	check "a message for the hold queue is accepted" \
		send_auth alice --h-Subject "e2e-hold-me"
	qid=$(swaks_queue_id)
	expect_ne "swaks reported a queue id" "" "$qid"
	pf_wait_idle
	expect_eq "one message on hold" 1 "$(pf_hold_count)"
	expect_eq "the held message is the one sent" "$qid" "$(pf_hold_ids)"
	expect_eq "nothing reached the sink" 0 "$(sink_count)"
}

# test_milter_down - with an absent milter, Postfix tempfails (4xx)
test_milter_down()
{
	local rc
	pf_start "$E2E_TMP/no-such-milter.sock"
	sink_reset
	send_auth alice --h-Subject "harness-nomilter"
	rc=$?
	expect_ne "milter down: swaks does not succeed" 0 "$rc"
	check "milter down: a 4xx reply" swaks_replied "45[0-9] 4\\."
	check "milter down: Postfix logs milter-reject 451 4.7.1" \
		pf_log_grep -q 'milter-reject: .* 451 4\.7\.1'
	pf_wait_idle
	expect_eq "milter down: nothing reaches the sink" 0 "$(sink_count)"
	check "maillog mentions the milter" \
		pf_log_grep -q 'no-such-milter.sock'
}

pf_start
test_auth_submission
test_other_users
test_bad_password
test_unauth_relay_refused
test_unauth_relay_domain
test_many_recipients
test_hold_queue
test_milter_down
e2e_finish
