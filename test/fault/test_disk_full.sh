#!/bin/bash
# test_disk_full.sh - fault_disk_full: the filesystem of the database
# (a 4 MB tmpfs the test mounts under its temp dir) fills up.
#   OnStoreError tempfail: the writer fails with "database or disk is
#   full" and the log says so; alice's next recipient gets "451 4.3.0";
#   unauthenticated mail flows.  When space is freed the daemon
#   recovers by itself and writes what it kept; after a restart the
#   database is intact and msg_log holds every message accepted.
#   OnStoreError accept: on the full disk mail is accepted, logged as
#   accepted despite the store, and counted once space returns.
# The WAL is checkpointed and truncated before the disk is filled, so
# the next write must grow it.  The tmpfs is unmounted at the end.
. "$(dirname "$0")/lib.sh"
e2e_require outguard sqlite3
command -v python3 >/dev/null || e2e_skip "python3 not installed"
fault_init

FAULT_MOUNT=$E2E_TMP/small
mkdir -p "$FAULT_MOUNT"
mount -t tmpfs -o size=4m,mode=0755 outguard-test "$FAULT_MOUNT" ||
	e2e_skip "cannot mount a tmpfs here"

# fill - empty the WAL, then fill the filesystem to the last block
fill()
{
	wait_for 10 checkpoint || e2e_fatal "cannot checkpoint the WAL"
	dd if=/dev/zero of="$FAULT_MOUNT/filler" bs=64k status=none 2>/dev/null
	dd if=/dev/zero of="$FAULT_MOUNT/filler2" bs=4k status=none 2>/dev/null
	say "filled: $(df -k --output=avail "$FAULT_MOUNT" | tail -n 1 |
		tr -d ' ') kB left"
}

# unfill - free the space again
unfill()
{
	rm -f "$FAULT_MOUNT/filler" "$FAULT_MOUNT/filler2"
}

# checkpoint - copy the WAL into the file and truncate it ("0|...")
checkpoint()
{
	[ "$(sql "PRAGMA wal_checkpoint(TRUNCATE)" | cut -d'|' -f1)" = 0 ]
}

say "OnStoreError tempfail (the default)"
og_init
sed -i "s|^Database .*|Database $FAULT_MOUNT/og.db|" "$OG_CONF"
OG_DB=$FAULT_MOUNT/og.db
"$OUTGUARD" -n -c "$OG_CONF" >/dev/null 2>&1 ||
	e2e_fatal "outguard -n could not create $OG_DB"
og_start
for q in F1 F2; do
	expect_eq "$q accepted" continue "$(send_one alice $q)"
done
check "F1, F2 counted" sql_wait \
	"SELECT COUNT(*) FROM msg_log WHERE login = 'alice'" 2

fill
# F3 may still be accepted: the writer has not failed yet when its
# recipient is decided.  If it is, its count must not be lost.
f3=$(send_one alice F3)
say "F3, the first message on the full disk: $f3"
check "the writer fails, logged" \
	og_log_wait "store error: write: database or disk is full" 30
got=$(send_one alice F4)
check "disk full: 451 4.3.0 at RCPT ($got)" \
	[ "${got#reply 451 4.3.0 }" != "$got" ]
check "the refusal is logged with its cause" og_log_has \
	"F4: login=alice .*action=tempfail kind=store reason=\"store error \\(tempfailing\\): .*disk is full"
expect_eq "unauthenticated mail flows" continue "$(send_one "" U1)"
check "still running" og_alive
og_report_rss "on the full disk"

unfill
check "space freed: recovered" og_log_wait "store recovered" 30
want="F1 F2"
[ "$f3" = continue ] && want="F1 F2 F3"
check "what it kept is written" sql_wait \
	"SELECT COUNT(*) FROM msg_log WHERE login = 'alice'" \
	"$(wc -w <<<"$want")" 10
expect_eq "F5 accepted" continue "$(send_one alice F5)"
# the restart also switches to OnStoreError accept for the next part
echo "OnStoreError accept" >>"$OG_CONF"
og_restart
expect_eq "after restart: integrity_check" ok "$(db_integrity)"
expect_eq "after restart: every message accepted is counted" "$want F5" \
	"$(msg_queue_ids alice)"

say "OnStoreError accept"
fill
expect_eq "full disk: A1 accepted" continue "$(send_one alice A1)"
check "the writer fails, logged" \
	og_log_wait "store error: write: database or disk is full" 30
expect_eq "full disk, writer failed: A2 accepted" continue \
	"$(send_one alice A2)"
check "the acceptance despite the store is logged" og_log_has \
	"A2: login=alice .*action=accept kind=store reason=\"store error \\(accepting\\)"
unfill
check "space freed: recovered" og_log_wait "store recovered" 30
check "A1 and A2 counted" sql_wait \
	"SELECT COUNT(*) FROM msg_log WHERE queue_id IN ('A1', 'A2')" 2 10
og_report_rss "after the full disk"
og_restart
expect_eq "after restart: integrity_check" ok "$(db_integrity)"
expect_eq "after restart: every message accepted is counted" \
	"A1 A2 $want F5" "$(msg_queue_ids alice)"

fault_finish
