-- unauthenticated_mail_not_counted - mail without a SASL login (no
-- {auth_authen}, or an empty one) is never counted against anyone:
-- with 1 message an hour allowed (see the .sql), four unauthenticated
-- messages are all delivered and leave no msg_log or events rows.
-- Then alice's first authenticated message is delivered and counted,
-- and her second is refused: the limit was live all along.

local conn = og.connect("mx.example.org", "203.0.113.5")
for i = 1, 3 do
	og.send(conn, { from = "news@example.org",
		rcpts = { "alice@example.test", "bob@example.test" },
		qid = string.format("UNAUTH%d", i),
		what = string.format("unauthenticated message %d", i) })
	og.check(not mt.eom_check(conn, MT_HDRADD, "X-Outguard"),
		"unauthenticated message %d got an X-Outguard header", i)
end
og.step("{auth_authen} present but empty: unauthenticated too")
og.send(conn, { login = "", from = "news@example.org",
	rcpts = { "alice@example.test" }, qid = "UNAUTH4",
	what = "message with an empty {auth_authen}" })
mt.disconnect(conn)

og.step("alice, authenticated: message 1 delivered, message 2 refused")
conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "carol@example.net" },
	qid = "AUTH01", what = "alice's message 1" })
og.mail(conn, "alice@example.test", "alice")
og.expect_rcpt(conn, "dave@example.net", "451", "alice's message 2")
mt.abort(conn)
mt.disconnect(conn)

-- alice's row is written after the unauthenticated messages: once it is
-- there, anything they would have written is there too.
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "1",
	"alice's msg_log rows")
og.check(og.count("msg_log") == 1,
	"msg_log has rows besides alice's one: %s",
	og.sql("SELECT * FROM msg_log"))
og.check(og.count("events WHERE queue_id LIKE 'UNAUTH%'") == 0,
	"events for unauthenticated mail: %s",
	og.sql("SELECT * FROM events WHERE queue_id LIKE 'UNAUTH%'"))
og.check(og.count("session_log WHERE login IS NULL OR login = ''") == 0,
	"session_log rows without a login: %s",
	og.sql("SELECT * FROM session_log"))
