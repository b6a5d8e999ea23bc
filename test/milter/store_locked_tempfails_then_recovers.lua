-- store_locked_tempfails_then_recovers - another writer holds the
-- database locked for longer than outguard's 2 s busy timeout.  The
-- message already on its way is accepted and its count kept in memory;
-- once the writer has failed, alice's next recipient gets
-- "451 4.3.0" (OnStoreError tempfail, the default) and the cause is
-- logged.  When the lock goes away outguard recovers by itself: the
-- queued count is written and mail flows again.

og.step("before the lock: delivered and counted")
local conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "bob@example.net" },
	qid = "LOCK01", what = "before the lock" })
mt.disconnect(conn)
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "1",
	"first message counted")

og.step("another writer takes the lock for 6 s")
og.lock_db(6)
mt.sleep(0.5)

og.step("a message while the lock is young: accepted, count queued")
conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "carol@example.net" },
	qid = "LOCK02", what = "during the lock" })
mt.disconnect(conn)

og.step("after the busy timeout: 451 4.3.0 at RCPT")
mt.sleep(3)
og.check(og.log_has("store error"), "the log does not name the store error")
conn = og.connect()
og.expect_store_tempfail(conn, "while locked")
mt.disconnect(conn)

og.step("the lock goes away: the queued count is written, mail flows")
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "2",
	"the message accepted during the lock is counted", 12)
og.check(og.log_has("store recovered"), "the log does not say it recovered")
conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "erin@example.net" },
	qid = "LOCK04", what = "after the lock" })
mt.disconnect(conn)
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "3",
	"after recovery", 5)
