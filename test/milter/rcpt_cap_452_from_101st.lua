-- rcpt_cap_452_from_101st - the default policy allows 100 recipients per
-- message (rcpt_per_msg): in one message to 150 recipients, RCPT 1-100
-- continue and 101-150 get "452 4.5.3" with the configured text, at
-- RCPT.  The message then goes to its first 100 recipients, and only
-- those count.

local text_cap = og.setting("reply_rcpt_per_msg")
og.check(text_cap ~= "", "settings has no reply_rcpt_per_msg")

local conn = og.connect()
og.mail(conn, "alice@example.test", "alice")
local list = og.rcpts(150)
for i = 1, 100 do
	og.expect_rcpt(conn, list[i], "continue",
		string.format("recipient %d of 150", i))
end
for i = 101, 150 do
	local text = og.expect_rcpt(conn, list[i], "452",
		string.format("recipient %d of 150", i))
	og.check(string.find(text, text_cap, 1, true),
		"recipient %d: reply [%s] lacks the configured text [%s]",
		i, text, text_cap)
end
og.step("RCPT 1-100 continued, 101-150 got: 452 4.5.3 %s", text_cap)

og.data(conn)
-- "accept": SMFIR_CONTINUE or SMFIR_ACCEPT, no SMTP reply.
og.expect_eom(conn, "CAP001", "accept", "the first 100 recipients")
mt.disconnect(conn)

og.sql_wait("SELECT rcpts FROM msg_log WHERE queue_id = 'CAP001'", "100",
	"recipients counted for CAP001 (only accepted ones count)")
og.sql_wait("SELECT COUNT(*) > 0 FROM events WHERE login = 'alice'",
	"1", "events for the refused recipients")
