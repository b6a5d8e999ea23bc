-- watch_halves_thresholds - a login with status "watch" has its class's
-- thresholds halved: with 4 messages an hour (see the .sql) alice, on
-- watch, gets 2 and her third message is refused at RCPT; bob, active,
-- sends 4.

local conn = og.connect()
for i = 1, 2 do
	og.send(conn, { login = "alice", rcpts = { "carol@example.net" },
		qid = string.format("WATCH%d", i),
		what = string.format("alice (watch) message %d", i) })
end
og.mail(conn, "alice@example.test", "alice")
og.expect_rcpt(conn, "dave@example.net", "451",
	"alice (watch) message 3: over half of 4")
mt.abort(conn)

for i = 1, 4 do
	og.send(conn, { login = "bob", from = "bob@example.test",
		rcpts = { "erin@example.net" },
		qid = string.format("BOB%d", i),
		what = string.format("bob (active) message %d of 4", i) })
end
og.mail(conn, "bob@example.test", "bob")
og.expect_rcpt(conn, "frank@example.net", "451", "bob message 5 of 4")
mt.abort(conn)
mt.disconnect(conn)

og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'bob'", "4",
	"bob's msg_log rows")
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "2",
	"alice's msg_log rows")
