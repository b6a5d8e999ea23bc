-- hourly_limit_tempfails_at_rcpt - with 2 messages an hour allowed (see
-- the .sql), alice's first two messages are delivered; the third is
-- refused at RCPT, not after DATA, with "451 4.7.1" and the configured
-- text; it does not count.  Another login is not affected.

local text_tempfail = og.setting("reply_tempfail")
og.check(text_tempfail ~= "", "settings has no reply_tempfail")

og.step("alice: messages 1 and 2 on one connection: delivered")
local conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "bob@example.net" },
	qid = "HOUR01", what = "message 1" })
og.send(conn, { login = "alice", rcpts = { "carol@example.net" },
	qid = "HOUR02", what = "message 2" })
mt.disconnect(conn)

og.step("alice: message 3 on a new connection: 451 4.7.1 at RCPT")
conn = og.connect("client2.example", "198.51.100.7")
og.mail(conn, "alice@example.test", "alice")
for _, r in ipairs({ "dave@example.net", "erin@example.net" }) do
	local text = og.expect_rcpt(conn, r, "451", "message 3")
	og.check(string.find(text, text_tempfail, 1, true),
		"message 3, RCPT %s: reply [%s] lacks the configured text [%s]",
		r, text, text_tempfail)
end
-- Every recipient was refused: the MTA ends the transaction.
mt.abort(conn)

og.step("bob on the same connection: his own limit, delivered")
og.send(conn, { login = "bob", from = "bob@example.test",
	rcpts = { "frank@example.net" }, qid = "HOUR04", what = "bob" })
mt.disconnect(conn)

og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'bob'", "1",
	"bob's msg_log rows")
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "2",
	"alice's msg_log rows (the refused message 3 must not count)")
og.sql_wait("SELECT COUNT(*) > 0 FROM events WHERE login = 'alice' " ..
	"AND action = 'tempfail'", "1", "alice's tempfail events")
