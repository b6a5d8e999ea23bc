#!/bin/bash
# test_store_corrupt.sh - fault_store_corrupt: garbage written over the
# database file.
#   While running (the pages of the counter tables, msg_log, session_log
#   and counts, and their indexes overwritten,
#   after a checkpoint so the file holds every page): within a few
#   messages alice's recipient gets "451 4.3.0" and the log says
#   "database disk image is malformed"; the daemon keeps running and
#   unauthenticated mail flows.  The postmaster restores the backup
#   (files removed, backup put in place): the daemon reopens it, writes
#   the counts it could not write to the damaged file, and after a
#   restart the database is intact with the backup's rows plus what was
#   accepted since (at most the messages accepted between the damage
#   and its discovery can be missing: SQLite may write them into the
#   damaged file).
#   At start, the same pages damaged: the daemon starts (the policy is
#   readable) and tempfails alice with 451 4.3.0, naming the damage.
#   At start, garbage over the header: outguard refuses to start
#   ("not a database, or damaged (file is not a database); restore it
#   from a backup").
. "$(dirname "$0")/lib.sh"
e2e_require outguard sqlite3
command -v python3 >/dev/null || e2e_skip "python3 not installed"
fault_require_milterload
fault_init

# counter_pages - page numbers of the counter tables and their indexes
counter_pages()
{
	sql "SELECT pageno FROM dbstat WHERE name IN (SELECT name FROM
	     sqlite_master WHERE tbl_name IN ('msg_log', 'session_log',
	     'counts'))"
}

# garble_pages - overwrite the given pages (4 KB) of the database file
garble_pages()
{
	local p
	for p in "$@"; do
		head -c 4096 /dev/zero | tr '\0' '\252' |
			dd of="$OG_DB" bs=4096 seek=$((p - 1)) conv=notrunc \
				status=none || return 1
	done
}

# checkpoint - copy the WAL into the file and empty it ("0|...": done)
checkpoint()
{
	[ "$(sql "PRAGMA wal_checkpoint(TRUNCATE)" | cut -d'|' -f1)" = 0 ]
}

# alice_count - msg_log rows of alice
alice_count()
{
	msg_count alice
}

say "while running"
og_init
sql "UPDATE limits SET threshold = threshold * 100000"
og_start
ml -c 4 -n 600 -l 3
expect_eq "a history: 600 messages accepted" 600 "$(ml_val continue)"
expect_eq "C0 accepted" continue "$(send_one alice C0)"
check "all counted" sql_wait "SELECT COUNT(*) FROM msg_log" 601 10
sql ".backup $E2E_TMP/backup.db" || e2e_fatal "backup failed"
backup_n=1
pages=$(counter_pages)
check "checkpointed" wait_for 10 checkpoint
# shellcheck disable=SC2086 # one argument per page
garble_pages $pages || e2e_fatal "cannot write over $OG_DB"
say "garbage over $(wc -w <<<"$pages") pages of the counter tables"

accepted=0
got=
for i in $(seq 1 20); do
	got=$(send_one alice "C$i")
	[ "$got" = continue ] || break
	accepted=$((accepted + 1))
done
say "$accepted message(s) accepted before the damage showed"
check "damaged: 451 4.3.0 at RCPT ($got)" \
	[ "${got#reply 451 4.3.0 }" != "$got" ]
check "the log names the damage" \
	og_log_has "store error: .*database disk image is malformed"
expect_eq "unauthenticated mail flows" continue "$(send_one "" U1)"
check "still running" og_alive
og_report_rss "with the database damaged"

say "the postmaster restores the backup"
rm -f "$OG_DB" "$OG_DB-wal" "$OG_DB-shm"
check "the daemon notices the removal" og_log_wait "database file removed" 20
cp "$E2E_TMP/backup.db" "$OG_DB.restore"
mv "$OG_DB.restore" "$OG_DB"
check "the daemon reopens it" og_log_wait "was replaced; reopened it" 20
expect_eq "after the restore: R1 accepted" continue "$(send_one alice R1)"
check "R1 counted" sql_wait \
	"SELECT COUNT(*) FROM msg_log WHERE queue_id = 'R1'" 1 10
og_restart
expect_eq "after restart: integrity_check" ok "$(db_integrity)"
n=$(alice_count)
say "alice: $n rows (backup $backup_n, $accepted accepted while damaged, R1)"
check "after restart: the backup's row and R1 kept" \
	[ "$n" -ge $((backup_n + 1)) ]
check "after restart: nothing counted that was not accepted" \
	[ "$n" -le $((backup_n + accepted + 1)) ]
pages=$(counter_pages)
og_stop

say "damaged pages at start"
# shellcheck disable=SC2086 # one argument per page
garble_pages $pages
check "the daemon starts (the policy is readable)" og_try_start
got=$(send_one alice S1)
check "damaged: 451 4.3.0 at RCPT ($got)" \
	[ "${got#reply 451 4.3.0 }" != "$got" ]
check "the log names the damage" \
	og_log_has "store error: .*database disk image is malformed"
check_fails "integrity_check names it" [ "$(db_integrity)" = ok ]
og_stop

say "garbage over the header at start"
head -c 100 /dev/zero | tr '\0' '\252' |
	dd of="$OG_DB" conv=notrunc status=none
check_fails "the daemon refuses to start" og_try_start
expect_eq "it exits 1" 1 "$OG_LAST_EXIT"
check "its log says why" og_log_has \
	"outguard: $OG_DB: not a database, or damaged \(file is not a database\); restore it from a backup"

fault_finish
