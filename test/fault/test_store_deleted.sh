#!/bin/bash
# test_store_deleted.sh - fault_store_deleted: the database files are
# removed under the running daemon, then restored from a backup.
#   A message accepted just before (its write held back by another
#   writer's lock, so it is still queued when the file goes) is kept in
#   memory; the daemon logs "database file removed"; alice's next
#   recipient gets "451 4.3.0"; unauthenticated mail flows.  When the
#   backup is put back at the path, the daemon logs "was replaced;
#   reopened it", writes what it kept, and mail flows.  After a restart
#   the database is intact and holds the backup's rows plus everything
#   accepted since: no count is lost.
. "$(dirname "$0")/lib.sh"
e2e_require outguard sqlite3
command -v python3 >/dev/null || e2e_skip "python3 not installed"
fault_init

og_init
og_start
for q in D1 D2; do
	expect_eq "$q accepted" continue "$(send_one alice $q)"
done
check "D1, D2 counted" sql_wait \
	"SELECT COUNT(*) FROM msg_log WHERE login = 'alice'" 2
sql ".backup $E2E_TMP/backup.db" || e2e_fatal "backup failed"

say "D3's write is held back by a lock, then the files are removed"
db_lock
expect_eq "D3 accepted (its write queued)" continue "$(send_one alice D3)"
rm -f "$OG_DB" "$OG_DB-wal" "$OG_DB-shm"
check "the daemon notices" og_log_wait "database file removed" 20
db_unlock

got=$(send_one alice D4)
check "removed: 451 4.3.0 at RCPT ($got)" \
	[ "${got#reply 451 4.3.0 }" != "$got" ]
check "the refusal names the cause" og_log_has \
	"D4: login=alice .*kind=store reason=\"store error \\(tempfailing\\): database file removed"
expect_eq "unauthenticated mail flows" continue "$(send_one "" U1)"
check "still running" og_alive
og_report_rss "with the database removed"

say "the backup is put back"
cp "$E2E_TMP/backup.db" "$OG_DB.restore"
mv "$OG_DB.restore" "$OG_DB"
check "the daemon reopens it" og_log_wait "was replaced; reopened it" 20
check "and works again" og_log_wait "store recovered" 20
check "what it kept (D3) is written" sql_wait \
	"SELECT COUNT(*) FROM msg_log WHERE queue_id = 'D3'" 1 10
expect_eq "D5 accepted" continue "$(send_one alice D5)"

og_restart
expect_eq "after restart: integrity_check" ok "$(db_integrity)"
expect_eq "after restart: the backup's rows and all accepted since" \
	"D1 D2 D3 D5" \
	"$(msg_queue_ids alice)"

fault_finish
