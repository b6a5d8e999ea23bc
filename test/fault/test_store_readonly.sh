#!/bin/bash
# test_store_readonly.sh - fault_store_readonly: a database outguard
# cannot write.
#   At start, on a read-only mount (a tmpfs the test mounts, remounted
#   ro) and as an immutable file (chattr +i): outguard -n and the daemon
#   exit 1 with "cannot write the database"; Postfix's default_action
#   then decides (test_sigkill_postfix shows its 451 4.7.1).  Writable
#   again, the daemon starts and mail flows.
#   While running, chattr +i: open files stay writable, so mail is
#   still accepted and counted (in the WAL; checkpoints fail and are
#   logged); after chattr -i and a restart the database is intact and
#   holds every count.
# A read-only remount at runtime is impossible while outguard has the
# files open (EBUSY), so it is not a case.  chmod is no case for root.
. "$(dirname "$0")/lib.sh"
e2e_require outguard sqlite3
command -v python3 >/dev/null || e2e_skip "python3 not installed"
command -v chattr >/dev/null || e2e_skip "chattr (e2fsprogs) not installed"
fault_require_milterload
fault_init

# ro_mount_case - the database on a read-only mount at start
ro_mount_case()
{
	say "a read-only filesystem at start"
	og_init
	sed -i "s|^Database .*|Database $FAULT_MOUNT/og.db|" "$OG_CONF"
	OG_DB=$FAULT_MOUNT/og.db
	"$OUTGUARD" -n -c "$OG_CONF" >/dev/null 2>&1 ||
		e2e_fatal "outguard -n could not create $OG_DB"
	mount -o remount,ro "$FAULT_MOUNT" || e2e_fatal "remount ro failed"
	out=$("$OUTGUARD" -n -c "$OG_CONF" 2>&1)
	check "outguard -n exits 1" [ $? = 1 ]
	check "outguard -n says why" grep -q "cannot write the database" \
		<<<"$out"
	check_fails "the daemon refuses to start" og_try_start
	expect_eq "the daemon exits 1" 1 "$OG_LAST_EXIT"
	check "its log says why" og_log_has \
		"outguard: $OG_DB: cannot write the database"
	mount -o remount,rw "$FAULT_MOUNT" || e2e_fatal "remount rw failed"
	check "writable again: the daemon starts" og_try_start
	expect_eq "mail flows" continue "$(send_one alice R1)"
	og_stop
	umount "$FAULT_MOUNT"
}

# immutable_start_case - an immutable file at start (chattr +i done)
immutable_start_case()
{
	say "an immutable database file at start (chattr +i)"
	check_fails "the daemon refuses to start" og_try_start
	check "its log says why" og_log_has \
		"cannot write the database \\(opened read-only\\)"
	out=$("$OUTGUARD" -n -c "$OG_CONF" 2>&1)
	check "outguard -n exits 1 and says why" \
		grep -q "cannot write the database (opened read-only)" <<<"$out"
	chattr -i "$OG_DB"
}

# immutable_running_case - chattr +i on the file of a running daemon
immutable_running_case()
{
	say "the file made immutable while the daemon runs"
	sql "UPDATE limits SET threshold = threshold * 100000"
	og_start
	for q in I1 I2; do
		expect_eq "before: $q accepted" continue "$(send_one alice $q)"
	done
	chattr +i "$OG_DB"
	ml -c 1 -n 300 -l 1
	expect_eq "immutable: all 300 accepted" 300 "$(ml_val continue)"
	check "immutable: counted (in the WAL)" sql_wait \
		"SELECT COUNT(*) FROM msg_log WHERE login = 'user0'" 300 10
	if og_log_has "checkpoint: disk I/O error"; then
		say "logged: $(grep -m1 'checkpoint:' "$OG_LOG")"
	fi
	og_report_rss "with the file immutable"
	og_stop
	chattr -i "$OG_DB"
	og_restart
	expect_eq "after chattr -i and a restart: integrity_check" ok \
		"$(db_integrity)"
	expect_eq "after restart: alice's count kept" 2 "$(msg_count alice)"
	expect_eq "after restart: user0's count kept" 300 "$(msg_count user0)"
}

ran=0
FAULT_MOUNT=$E2E_TMP/romnt
mkdir -p "$FAULT_MOUNT"
if mount -t tmpfs -o size=16m,mode=0755 outguard-test "$FAULT_MOUNT"; then
	ro_mount_case
	ran=1
else
	say "SKIP the read-only mount: cannot mount a tmpfs here"
fi
og_init
if chattr +i "$OG_DB"; then
	immutable_start_case
	immutable_running_case
	ran=1
else
	say "SKIP the immutable file: chattr +i not supported on $OG_DB"
fi
[ $ran = 1 ] || e2e_skip "neither a tmpfs mount nor chattr +i here"
fault_finish
