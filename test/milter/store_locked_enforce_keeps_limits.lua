-- store_locked_enforce_keeps_limits - OnStoreError enforce (see the
-- .conf; SPEC 6.3) with 2 messages an hour allowed (the .sql): while
-- another writer holds the database's lock, alice's second message is
-- delivered (no mail stop) and her third is refused at RCPT with the
-- limit's 451 4.7.1 (no unlimited sending); after the lock both
-- delivered messages are counted.

local text_tempfail = og.setting("reply_tempfail")

og.step("alice: message 1, stored")
local conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "bob@example.net" },
	qid = "ENF01", what = "message 1" })
mt.disconnect(conn)
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "1",
	"message 1 stored")

og.step("another writer takes the lock for 10 s; a write fails")
og.lock_db(10)
mt.sleep(0.5)
conn = og.connect()
og.send(conn, { login = "bob", from = "bob@example.test",
	rcpts = { "frank@example.net" }, qid = "ENF00",
	what = "bob: queues a write" })
mt.disconnect(conn)
mt.sleep(3) -- the writer waited 2 s for the lock and failed

og.step("while locked: message 2 delivered")
conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "carol@example.net" },
	qid = "ENF02", what = "message 2, database locked" })
mt.disconnect(conn)

og.step("while locked: message 3 refused by the limit, not the store")
conn = og.connect("client2.example", "198.51.100.7")
og.mail(conn, "alice@example.test", "alice")
local text = og.expect_rcpt(conn, "dave@example.net", "451", "message 3")
og.check(string.find(text, text_tempfail, 1, true),
	"message 3: reply [%s] is not the limit's [%s]", text, text_tempfail)
mt.abort(conn)
mt.disconnect(conn)

og.step("after the lock: the two delivered messages counted")
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "2",
	"messages 1 and 2 counted", 25)
og.sql_wait("SELECT COUNT(*) > 0 FROM events WHERE login = 'alice' " ..
	"AND action = 'tempfail' AND kind = 'limit'", "1",
	"a limit event for message 3", 10)
