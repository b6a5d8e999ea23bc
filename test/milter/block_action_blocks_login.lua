-- block_action_blocks_login - a "block" stage (more than 1 message an
-- hour, see the .sql): alice's first message is delivered; her second
-- is refused at RCPT with "451 4.7.1" and she is set blocked in users;
-- a third message, on a new connection, is refused too; after
-- outguardctl unblock and reset her mail is delivered again.

local text_block = og.setting("reply_block")
og.check(text_block ~= "", "settings has no reply_block")

local function refused(conn, rcpt, what)
	og.mail(conn, "alice@example.test", "alice")
	local text = og.expect_rcpt(conn, rcpt, "451", what)
	og.check(string.find(text, text_block, 1, true),
		"%s: reply [%s] lacks the block text [%s]", what, text,
		text_block)
	mt.abort(conn)
end

og.step("message 1: delivered")
local conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "bob@example.net" },
	qid = "BLK001", what = "message 1" })

og.step("message 2: over the block stage: 451 4.7.1 at RCPT")
refused(conn, "carol@example.net", "message 2")
mt.disconnect(conn)

og.sql_wait("SELECT status FROM users WHERE login = 'alice'", "blocked",
	"users.status of alice after the block stage")
og.sql_wait("SELECT COUNT(*) > 0 FROM events WHERE login = 'alice' " ..
	"AND action = 'block'", "1", "alice's block events")

og.step("message 3, new connection: still refused")
conn = og.connect("client2.example", "198.51.100.7")
refused(conn, "dave@example.net", "message 3 (blocked)")

og.step("outguardctl unblock alice; outguardctl reset alice")
og.ctl("unblock alice")
og.check(og.sql("SELECT status FROM users WHERE login = 'alice'") ==
	"active", "users.status of alice after unblock: [%s]",
	og.sql("SELECT status FROM users WHERE login = 'alice'"))
og.ctl("reset alice")

og.step("message 4: delivered again")
og.send(conn, { login = "alice", rcpts = { "erin@example.net" },
	qid = "BLK004", what = "message 4 (after unblock and reset)" })
mt.disconnect(conn)
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE queue_id = 'BLK004'", "1",
	"msg_log row of message 4")
og.check(og.sql("SELECT status FROM users WHERE login = 'alice'") ==
	"active", "alice blocked again by message 4: users.status [%s]",
	og.sql("SELECT status FROM users WHERE login = 'alice'"))
