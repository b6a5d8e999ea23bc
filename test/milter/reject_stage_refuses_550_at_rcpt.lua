-- reject_stage_refuses_550_at_rcpt - over a "reject" stage (more than 1
-- message an hour, see the .sql) alice's second message is refused at
-- RCPT with "550 5.7.1" and the configured reject text; unlike block,
-- her status stays active.
local text_reject = og.setting("reply_reject")
og.check(text_reject ~= "", "settings has no reply_reject")

local conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "bob@example.net" },
	qid = "REJ001", what = "message 1" })

og.mail(conn, "alice@example.test", "alice")
local text = og.expect_rcpt(conn, "carol@example.net", "550", "message 2")
og.check(string.find(text, text_reject, 1, true),
	"message 2: reply [%s] lacks the reject text [%s]", text, text_reject)
mt.abort(conn)
mt.disconnect(conn)

og.sql_wait("SELECT COUNT(*) > 0 FROM events WHERE login = 'alice' " ..
	"AND action = 'reject'", "1", "alice's reject events")
og.check(og.count("users WHERE login = 'alice' AND status = 'blocked'")
	== 0, "a reject stage blocked alice")
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "1",
	"alice's msg_log rows (the refused message must not count)")
