-- block_during_data_tempfails_at_eom - an admin blocks alice
-- (outguardctl block) after her recipient was accepted but before
-- end-of-message: the daemon looks at her status again at EOM and
-- refuses the message with "451 4.7.1" and the block text; it is not
-- counted, and her next message is refused at RCPT.

local text_block = og.setting("reply_block")
og.check(text_block ~= "", "settings has no reply_block")

local conn = og.connect()
og.mail(conn, "alice@example.test", "alice")
og.expect_rcpt(conn, "bob@example.net", "continue", "before the block")
og.data(conn)

og.step("outguardctl block alice, between RCPT and EOM")
og.ctl("block alice")
og.check(og.sql("SELECT status FROM users WHERE login = 'alice'") ==
	"blocked", "users.status of alice after outguardctl block: [%s]",
	og.sql("SELECT status FROM users WHERE login = 'alice'"))

local text = og.expect_eom(conn, "BLKD01", "451", "after the block")
og.check(string.find(text, text_block, 1, true),
	"EOM reply [%s] lacks the block text [%s]", text, text_block)
-- The same reply through miltertest's own check (all three parts).
local rest = string.sub(text, #"451 4.7.1 " + 1)
og.check(mt.eom_check(conn, MT_SMTPREPLY, "451", "4.7.1", rest),
	"mt.eom_check(MT_SMTPREPLY, 451, 4.7.1, [%s]) is false", rest)
og.check(not mt.eom_check(conn, MT_QUARANTINE),
	"BLKD01: refused and quarantined")

og.step("alice's next message: 451 4.7.1 at RCPT")
og.mail(conn, "alice@example.test", "alice")
text = og.expect_rcpt(conn, "carol@example.net", "451", "blocked alice")
og.check(string.find(text, text_block, 1, true),
	"RCPT reply [%s] lacks the block text [%s]", text, text_block)
mt.abort(conn)

og.step("bob is not blocked")
og.send(conn, { login = "bob", from = "bob@example.test",
	rcpts = { "dave@example.net" }, qid = "BLKD03", what = "bob" })
mt.disconnect(conn)

og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'bob'", "1",
	"bob's msg_log rows")
og.check(og.count("msg_log WHERE login = 'alice'") == 0,
	"alice's refused message was counted: %s",
	og.sql("SELECT * FROM msg_log WHERE login = 'alice'"))
