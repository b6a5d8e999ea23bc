-- store_locked_accept_lets_mail_through - as store_locked_tempfails_
-- then_recovers, with OnStoreError accept (see the .conf): while the
-- database is locked, alice's mail is accepted, and the event is logged.

og.step("another writer takes the lock for 5 s")
og.lock_db(5)
mt.sleep(0.5)
local conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "bob@example.net" },
	qid = "ACC01", what = "queues a write" })
mt.disconnect(conn)
mt.sleep(3)

og.step("while locked: accepted")
conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "carol@example.net" },
	qid = "ACC02", what = "while locked, OnStoreError accept" })
mt.disconnect(conn)

og.step("after the lock: both counted, the store error recorded")
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "2",
	"both messages counted", 12)
og.sql_wait("SELECT COUNT(*) > 0 FROM events WHERE kind = 'store' AND " ..
	"action = 'accept'", "1", "a store event", 5)
