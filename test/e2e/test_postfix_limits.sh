#!/bin/bash
# test_postfix_limits.sh - the core end-to-end checks: outguard attached
# to a private Postfix, authenticated users submitting through swaks, the
# sink counting what gets through.  Each group of checks gets a fresh
# outguard database and a fresh Postfix instance:
#   default policy: a normal message passes untouched, the 100-recipient
#     cap (452 4.5.3), unauthenticated mail is not counted, block/unblock;
#   msg threshold 3: the 4th and 5th messages get 451 4.7.1 at RCPT, and
#     limits changed with sqlite3 while the daemon runs take effect;
#   rcpt header stage 2: X-Outguard reaches the sink;
#   rcpt quarantine stage: the message is held, with a quarantine row.

. "$(dirname "$0")/lib.sh"

e2e_require postfix swaks sasl sqlite3 outguard outguardctl
e2e_init

# group_start - NAME SQL...: fresh database with SQL applied, fresh
# outguard, fresh Postfix using it, empty sink
group_start()
{
	local name=$1 stmt
	shift
	say "=== $name"
	og_init
	for stmt in "$@"; do
		sql "$stmt" || e2e_fatal "policy SQL failed: $stmt"
	done
	og_start
	pf_start "$OG_SOCK"
	sink_reset
}

# login_msgs - LOGIN: number of msg_log rows for the login
login_msgs()
{
	sql "SELECT COUNT(*) FROM msg_log WHERE lower(login)='$1'"
}

# count_events - LOGIN [ACTION]: events rows of the login (and action)
count_events()
{
	if [ -n "${2:-}" ]; then
		sql "SELECT COUNT(*) FROM events WHERE lower(login)='$1' AND action='$2'"
	else
		sql "SELECT COUNT(*) FROM events WHERE lower(login)='$1'"
	fi
}

# at_least - true when integer GOT >= WANT
at_least()
{
	[ "${2:-0}" -ge "$1" ] 2>/dev/null
}

# sink_file_lacks_header - FILE NAME: true when FILE has no NAME: header
sink_file_lacks_header()
{
	[ -f "$1" ] && ! sed '/^$/q' "$1" | grep -qi "^$2:"
}

# sink_file_has_header - FILE NAME: true when FILE has a NAME: header
sink_file_has_header()
{
	[ -f "$1" ] && sed '/^$/q' "$1" | grep -qi "^$2:"
}

# rcpts_in - FILE: number of recipients in one sink dump file
rcpts_in()
{
	grep -c '^X-Rcpt-Args:' "$1" 2>/dev/null
}

# --- default policy ------------------------------------------------------

# test_normal_message - an ordinary message passes without a header
test_normal_message()
{
	local f
	check "alice's normal message is accepted" \
		send_auth alice --h-Subject "limits-normal"
	check "it reaches the sink" sink_wait 1
	f=$(sink_file_with "limits-normal")
	check "the sink copy has no X-Outguard header" \
		sink_file_lacks_header "$f" X-Outguard
	check "it is counted once for alice in msg_log" \
		sql_wait "SELECT COUNT(*) FROM msg_log WHERE lower(login)='alice'" 1
	expect_eq "with one recipient" 1 \
		"$(sql "SELECT SUM(rcpts) FROM msg_log WHERE lower(login)='alice'")"
	expect_eq "no events for a plain accept" 0 "$(count_events alice)"
}

# test_rcpt_cap - 150 recipients: 1-100 delivered, 101-150 get 452 4.5.3
test_rcpt_cap()
{
	local rc f
	sink_reset
	send_auth alice --to "$(rcpt_list 150)" --h-Subject "limits-150"
	rc=$?
	expect_eq "150-recipient message is sent (swaks exit 0)" 0 "$rc"
	expect_eq "50 recipients refused with 452 4.5.3" 50 \
		"$(swaks_count_replies '452 4\.5\.3')"
	expect_eq "100 recipients accepted with 250" 100 \
		"$(grep -A1 -E '^ *-> RCPT TO:' "$SWAKS_OUT" | grep -c ' 250 ')"
	check "recipient 100 accepted" \
		rcpt_reply_is "r100@$E2E_RCPT_DOMAIN" "250 "
	check "recipient 101 refused with 452 4.5.3" \
		rcpt_reply_is "r101@$E2E_RCPT_DOMAIN" "452 4\.5\.3"
	check "recipient 150 refused with 452 4.5.3" \
		rcpt_reply_is "r150@$E2E_RCPT_DOMAIN" "452 4\.5\.3"
	check "the message reaches the sink" sink_wait 1
	pf_wait_idle
	f=$(sink_file_with "limits-150")
	expect_eq "one transaction at the sink" 1 "$(sink_count)"
	expect_eq "100 recipients at the sink" 100 "$(rcpts_in "$f")"
	check "r1 is at the sink" grep -q "^X-Rcpt-Args: <r1@" "$f"
	check "r100 is at the sink" grep -q "^X-Rcpt-Args: <r100@" "$f"
	check_fails "r101 is not at the sink" grep -q "^X-Rcpt-Args: <r101@" "$f"
	check "msg_log records 100 recipients for it" \
		sql_wait "SELECT MAX(rcpts) FROM msg_log WHERE lower(login)='alice'" 100
}

# rcpt_reply_is - ADDR TEXT: the reply to RCPT TO:<ADDR> starts with TEXT
rcpt_reply_is()
{
	grep -A1 -F -- "-> RCPT TO:<$1>" "$SWAKS_OUT" | tail -n 1 |
		grep -E -q "^ *<[~*-]* +$2"
}

# test_unauth_not_counted - mail without AUTH passes and is not counted
test_unauth_not_counted()
{
	local all alice n
	sleep 1	# let earlier counts reach the database
	all=$(sql "SELECT COUNT(*) FROM msg_log")
	alice=$(login_msgs alice)
	n=$(sink_count)
	check "unauthenticated mail (port 25 style) to $E2E_RELAY_DOMAIN accepted" \
		send_unauth --from "alice@$E2E_DOMAIN" --h-Subject "limits-unauth-1"
	check "unauthenticated mail on the submission port accepted" \
		swaks_run --server "127.0.0.1:$PF_SUB_PORT" \
		--from "alice@$E2E_DOMAIN" --to "x@$E2E_RELAY_DOMAIN" \
		--h-Subject "limits-unauth-2"
	check "both reach the sink" sink_wait $((n + 2))
	check "the first is there" sink_has "limits-unauth-1"
	check "the second is there" sink_has "limits-unauth-2"
	sleep 1.5	# give the daemon time to (wrongly) record them
	expect_eq "msg_log did not grow" "$all" "$(sql "SELECT COUNT(*) FROM msg_log")"
	expect_eq "alice's count did not change" "$alice" "$(login_msgs alice)"
	expect_eq "no msg_log row without a login" 0 \
		"$(sql "SELECT COUNT(*) FROM msg_log WHERE login IS NULL OR login=''")"
	expect_eq "no session_log row without a login" 0 \
		"$(sql "SELECT COUNT(*) FROM session_log WHERE login IS NULL OR login=''")"
}

# test_block - outguardctl block refuses alice's mail; unblock restores
test_block()
{
	local rc n
	n=$(sink_count)
	check "outguardctl block alice" ogctl block alice "e2e test"
	expect_eq "users row says blocked" blocked \
		"$(sql "SELECT status FROM users WHERE lower(login)='alice'")"
	check "outguardctl status alice mentions blocked" \
		ogctl_output_has blocked status alice
	send_auth alice --h-Subject "limits-blocked"
	rc=$?
	expect_eq "blocked alice: no recipient accepted (swaks exit 24)" 24 "$rc"
	check "blocked alice gets 451 4.7.1 at RCPT" swaks_rcpt_replied "451 4\.7\.1"
	check "bob is not blocked" send_auth bob --h-Subject "limits-bob-free"
	check "bob's message reaches the sink" sink_wait $((n + 1))
	pf_wait_idle
	check_fails "alice's blocked message is not at the sink" \
		sink_has "limits-blocked"
	check "an events row for the blocked attempt" \
		wait_for 3 at_least_events alice 1
	check "outguardctl unblock alice" ogctl unblock alice
	expect_eq "users row is no longer blocked" 0 \
		"$(sql "SELECT COUNT(*) FROM users WHERE lower(login)='alice' AND status='blocked'")"
	check "unblocked alice can send again" \
		send_auth alice --h-Subject "limits-unblocked"
	check "and it reaches the sink" sink_wait $((n + 2))
	check "the sink has alice's unblocked message" sink_has "limits-unblocked"
}

# at_least_events - LOGIN N [ACTION]: at least N events rows
at_least_events()
{
	at_least "$2" "$(count_events "$1" "${3:-}")"
}

# ogctl_output_has - TEXT ARGS...: outguardctl ARGS succeeds, prints TEXT
ogctl_output_has()
{
	local text=$1 out
	shift
	out=$(ogctl "$@" 2>&1) || { echo "$out"; return 1; }
	grep -q -i -- "$text" <<<"$out" || { echo "$out"; return 1; }
}

# --- msg threshold 3 -----------------------------------------------------

# test_msg_threshold - 5 messages, threshold 3: 3 delivered, 2 refused
test_msg_threshold()
{
	local i rc
	for i in 1 2 3 4 5; do
		send_auth alice --h-Subject "limits-msg-$i"
		rc=$?
		if [ "$i" -le 3 ]; then
			expect_eq "message $i of 5 accepted" 0 "$rc"
			check "message $i: queued" swaks_replied "250 2\.0\.0 Ok: queued"
		else
			expect_eq "message $i of 5: no recipient accepted (exit 24)" \
				24 "$rc"
			check "message $i: 451 4.7.1 at RCPT" \
				swaks_rcpt_replied "451 4\.7\.1"
		fi
	done
	check "three messages reach the sink" sink_wait 3
	pf_wait_idle
	expect_eq "the sink count stays 3" 3 "$(sink_count)"
	check_fails "message 4 is not at the sink" sink_has "limits-msg-4"
	check_fails "message 5 is not at the sink" sink_has "limits-msg-5"
	check "msg_log has 3 messages for alice" \
		sql_wait "SELECT COUNT(*) FROM msg_log WHERE lower(login)='alice'" 3
	check "events has tempfail rows for alice's refused messages" \
		wait_for 3 at_least_events alice 2 tempfail
	check "bob has his own count: his message is accepted" \
		send_auth bob --h-Subject "limits-msg-bob"
	check "bob's message reaches the sink" sink_wait 4
}

# test_live_policy - limits changed with sqlite3 apply within a second
test_live_policy()
{
	local rc n
	n=$(sink_count)
	sql "UPDATE limits SET threshold=10 WHERE class='default' AND metric='msg'"
	sleep 1.5
	check "after raising the threshold to 10, alice's message is accepted" \
		send_auth alice --h-Subject "limits-raised"
	check "it reaches the sink" sink_wait $((n + 1))
	check "msg_log has 4 messages for alice" \
		sql_wait "SELECT COUNT(*) FROM msg_log WHERE lower(login)='alice'" 4
	sql "UPDATE limits SET threshold=4 WHERE class='default' AND metric='msg'"
	sleep 1.5
	send_auth alice --h-Subject "limits-lowered"
	rc=$?
	expect_eq "after lowering the threshold to 4, alice is refused (exit 24)" \
		24 "$rc"
	check "with 451 4.7.1 at RCPT" swaks_rcpt_replied "451 4\.7\.1"
	pf_wait_idle
	check_fails "the refused message is not at the sink" \
		sink_has "limits-lowered"
}

# --- rcpt header stage 2 ---------------------------------------------------

# test_header_stage - over the header stage, X-Outguard reaches the sink
test_header_stage()
{
	local f
	check "bob's 1-recipient message is accepted" \
		send_auth bob --h-Subject "limits-hdr-bob"
	check "alice's 3-recipient message is accepted" \
		send_auth alice --to "$(rcpt_list 3 h)" --h-Subject "limits-hdr-alice"
	check "both reach the sink" sink_wait 2
	pf_wait_idle
	f=$(sink_file_with "limits-hdr-bob")
	check "bob's message (under the stage) has no X-Outguard" \
		sink_file_lacks_header "$f" X-Outguard
	f=$(sink_file_with "limits-hdr-alice")
	check "alice's message carries X-Outguard at the sink" \
		sink_file_has_header "$f" X-Outguard
	expect_eq "with all 3 recipients" 3 "$(rcpts_in "$f")"
	say "header seen: $(grep -i '^X-Outguard:' "$f" 2>/dev/null)"
	check "events has a header row for alice" \
		wait_for 3 at_least_events alice 1 header
}

# --- rcpt quarantine stage -------------------------------------------------

# test_quarantine - over the quarantine stage the message is held
test_quarantine()
{
	local qid
	check "alice's 3-recipient message is accepted (250)" \
		send_auth alice --to "$(rcpt_list 3 q)" --h-Subject "limits-quarantine"
	qid=$(swaks_queue_id)
	expect_ne "swaks reported its queue id" "" "$qid"
	pf_wait_idle
	expect_eq "one message in the hold queue" 1 "$(pf_hold_count)"
	expect_eq "the held message is alice's" "$qid" "$(pf_hold_ids)"
	expect_eq "nothing reached the sink" 0 "$(sink_count)"
	check "a quarantine row for the queue id with a reason" \
		sql_wait "SELECT COUNT(*) FROM quarantine WHERE queue_id='$qid' AND reason IS NOT NULL AND reason<>''" 1
	expect_eq "the quarantine row names alice" alice \
		"$(sql "SELECT lower(login) FROM quarantine WHERE queue_id='$qid'")"
	say "quarantine reason: $(sql "SELECT reason FROM quarantine WHERE queue_id='$qid'")"
	check "held mail is counted in msg_log" \
		sql_wait "SELECT COUNT(*) FROM msg_log WHERE lower(login)='alice'" 1
}

# test_daemon_stops - SIGTERM: the daemon exits 0 and removes its socket
test_daemon_stops()
{
	og_stop
	expect_eq "outguard exits 0 on SIGTERM" 0 "${OG_LAST_EXIT:-}"
	check_fails "outguard removed its socket" test -e "$OG_SOCK"
}

group_start "default policy"
test_normal_message
test_rcpt_cap
test_unauth_not_counted
test_block

group_start "msg threshold 3" \
	"UPDATE limits SET threshold=3 WHERE class='default' AND metric='msg'"
test_msg_threshold
test_live_policy

group_start "rcpt header stage at 2" \
	"UPDATE limits SET threshold=2 WHERE class='default' AND metric='rcpt' AND action='header'"
test_header_stage

group_start "rcpt quarantine stage at 2" \
	"INSERT INTO limits(class,metric,window_s,threshold,action) VALUES('default','rcpt',3600,2,'quarantine')"
test_quarantine
test_daemon_stops

e2e_finish
