#!/bin/bash
# test_store_locked.sh - fault_store_locked: another writer (an admin's
# long transaction) holds the database's write lock for longer than
# outguard's 2 s busy timeout.
#   OnStoreError tempfail: the message already accepted is kept in
#   memory; once the writer has failed, alice's next recipient gets
#   "451 4.3.0" and the log says "store error: write: database is
#   locked"; when the lock goes, "store recovered" and the kept count is
#   written.  After a restart the database is intact and msg_log holds
#   every message accepted, none lost.
#   OnStoreError accept: the same lock, mail is accepted and counted
#   once the lock goes.
# The lock is held until the test lets it go; nothing waits on a clock.
. "$(dirname "$0")/lib.sh"
e2e_require outguard sqlite3
command -v python3 >/dev/null || e2e_skip "python3 not installed"
fault_init

say "OnStoreError tempfail (the default)"
og_init
og_start
for q in L1 L2 L3; do
	expect_eq "before the lock: $q accepted" continue "$(send_one alice $q)"
done
check "before the lock: counted" sql_wait \
	"SELECT COUNT(*) FROM msg_log WHERE login = 'alice'" 3

db_lock
expect_eq "lock young: L4 accepted (its count waits in memory)" continue \
	"$(send_one alice L4)"
check "the writer gives up after the busy timeout, logged" \
	og_log_wait "store error: write: database is locked" 30
got=$(send_one alice L5)
check "while locked: 451 4.3.0 at RCPT ($got)" \
	[ "${got#reply 451 4.3.0 }" != "$got" ]
check "the refusal is logged with its cause" og_log_has \
	"L5: login=alice .*action=tempfail kind=store reason=\"store error \\(tempfailing\\): write: database is locked"
check "unauthenticated mail is not affected" \
	[ "$(send_one "" U1)" = continue ]
og_report_rss "while locked"

db_unlock
check "the lock goes: recovered" og_log_wait "store recovered" 30
check "the kept count is written" sql_wait \
	"SELECT COUNT(*) FROM msg_log WHERE login = 'alice'" 4 10
expect_eq "after the lock: L6 accepted" continue "$(send_one alice L6)"

og_restart
expect_eq "after restart: integrity_check" ok "$(db_integrity)"
expect_eq "after restart: msg_log has L1-L4 and L6" \
	"L1 L2 L3 L4 L6" \
	"$(msg_queue_ids alice)"
expect_eq "after restart: L7 accepted" continue "$(send_one alice L7)"

say "OnStoreError accept"
# shellcheck disable=SC2034 # read by og_init
OG_CONF_EXTRA="OnStoreError accept"
og_init
og_start
db_lock
expect_eq "lock young: A1 accepted" continue "$(send_one alice A1)"
check "the writer gives up, logged" \
	og_log_wait "store error: write: database is locked" 30
expect_eq "while locked: A2 accepted" continue "$(send_one alice A2)"
check "the acceptance despite the store is logged" og_log_has \
	"A2: login=alice .*action=accept kind=store reason=\"store error \\(accepting\\)"
db_unlock
check "recovered" og_log_wait "store recovered" 30
check "both counted once the lock goes" sql_wait \
	"SELECT COUNT(*) FROM msg_log WHERE login = 'alice'" 2 10
check "a store event is written" sql_wait \
	"SELECT COUNT(*) > 0 FROM events WHERE kind = 'store' AND
	 action = 'accept'" 1 10
og_report_rss "after the lock"

fault_finish
