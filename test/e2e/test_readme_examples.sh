#!/bin/bash
# test_readme_examples.sh - the README's sqlite3 examples, run as written
# against a live outguard behind Postfix.  The block between the
# readme-examples markers is split into paragraphs; each is run with
# DB pointing at the test database and then checked for the effect its
# comment promises.  Editing the README's examples without this test
# fails here.

E2E_USERS="alice bob carol news"
. "$(dirname "$0")/lib.sh"

e2e_require postfix swaks sasl sqlite3 outguard outguardctl
e2e_init

readme=$(dirname "$0")/../../README.md
block=$E2E_TMP/examples
sed -n '/<!-- readme-examples:begin -->/,/<!-- readme-examples:end -->/p' \
	"$readme" | sed '1d;$d' | sed 's/^    //' >"$block"
# paragraphs after the DB= line, one file each
awk -v dir="$E2E_TMP" 'NR == 1 { next } /^$/ { if (n) n++; next }
	{ if (!n) n = 1; print > (dir "/para" n) }' "$block"

# run_para - N: run paragraph N of the README block with DB set
run_para()
{
	local f=$E2E_TMP/para$1
	[ -f "$f" ] || e2e_fatal "README example paragraph $1 is missing"
	say "README example $1: $(head -n 1 "$f")"
	DB=$OG_DB bash -e "$f" >"$E2E_TMP/para$1.out" 2>&1
}

# prefill - LOGIN N RCPTS: N messages of RCPTS recipients sent just now
prefill()
{
	sql "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
		WHERE i < $2) INSERT INTO msg_log (login, ts, rcpts)
		SELECT '$1', strftime('%s','now') - 60, $3 FROM n"
}

# settle - let the daemon load the changed policy (it polls twice a second)
settle()
{
	sleep 1.5
}

og_init
og_start
pf_start "$OG_SOCK"
sink_reset

check "README block has the DB= line" grep -q '^DB=' "$block"

# 1: at most 50 messages an hour
check "example 1 runs" run_para 1
settle
prefill alice 49 1
send_auth alice
check "50th message of the hour delivered" swaks_queued
send_auth alice
check "51st message gets 451 4.7.1" swaks_replied "451 4.7.1"

# 2: quarantine above 400 recipients an hour
check "example 2 runs" run_para 2
settle
prefill bob 1 399
send_auth bob --to "$(rcpt_list 2)"
check "401st recipient of the hour: accepted for holding" swaks_queued
qid=$(swaks_queue_id)
pf_wait_idle
expect_eq "held in Postfix's hold queue" "$qid" "$(pf_hold_ids | grep -x "$qid")"
expect_eq "quarantine row for it" 1 \
	"$(sql "SELECT COUNT(*) FROM quarantine WHERE queue_id='$qid' AND login='bob'")"

# 3: news is a bulk sender: 150 recipients in one message pass
check "example 3 runs" run_para 3
send_auth news --to "$(rcpt_list 150)"
expect_eq "bulk login: no recipient refused" 0 \
	"$(swaks_count_replies "452 4.5.3")"
check "bulk login: message accepted" swaks_queued

# 4: block above 1,000 recipients a day
check "example 4 runs" run_para 4
settle
prefill carol 1 1000
send_auth carol
check "1001st recipient of the day: 451 4.7.1" swaks_replied "451 4.7.1"
check "carol is blocked" sql_wait \
	"SELECT status FROM users WHERE login='carol'" blocked
sql "DELETE FROM msg_log WHERE login='carol'"
send_auth carol
check "a blocked login stays refused" swaks_replied "451 4.7.1"

# 5: the events query shows what tripped
check "example 5 runs" run_para 5
check "events query lists the block" grep -q "carol|limit|block" \
	"$E2E_TMP/para5.out"

e2e_finish
