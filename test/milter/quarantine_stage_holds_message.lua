-- quarantine_stage_holds_message - over a "quarantine" stage (more than
-- 1 recipient an hour, see the .sql) the recipients are accepted at
-- RCPT and the message is held at end-of-message: smfi_quarantine, and
-- a row in the quarantine table for the queue id sent at EOM.

local conn = og.connect()

og.step("alice: 1 recipient, at the threshold: delivered, not held")
og.send(conn, { login = "alice", rcpts = { "carol@example.net" },
	qid = "QUAR00" })
og.check(not mt.eom_check(conn, MT_QUARANTINE),
	"QUAR00: quarantined at 1 recipient (threshold 1)")

og.step("alice: 2 more recipients: RCPT continues, EOM quarantines")
local rcpts = { "dave@example.net", "erin@example.org" }
og.send(conn, { login = "alice", rcpts = rcpts, qid = "QUAR01",
	headers = { { "Subject", "Invoice 4711" } } })
og.check(mt.eom_check(conn, MT_QUARANTINE),
	"QUAR01: no quarantine request at end-of-message")
mt.disconnect(conn)

og.step("quarantine row for QUAR01")
og.sql_wait("SELECT COUNT(*) FROM quarantine WHERE queue_id = 'QUAR01'", "1",
	"quarantine rows for QUAR01")
og.check(og.count("quarantine WHERE queue_id = 'QUAR00'") == 0,
	"QUAR00 (not held) has a quarantine row")
local function q(col)
	return og.sql("SELECT " .. col ..
		" FROM quarantine WHERE queue_id = 'QUAR01'")
end
og.check(q("login") == "alice", "quarantine.login: [%s], want alice",
	q("login"))
og.check(q("status") == "held", "quarantine.status: [%s], want held",
	q("status"))
og.check(q("subject") == "Invoice 4711",
	"quarantine.subject: [%s], want [Invoice 4711]", q("subject"))
og.check(string.find(q("mail_from"), "alice@example.test", 1, true),
	"quarantine.mail_from: [%s], want alice@example.test", q("mail_from"))
for _, r in ipairs(rcpts) do
	og.check(string.find(q("rcpts"), r, 1, true),
		"quarantine.rcpts: [%s] lacks %s", q("rcpts"), r)
end
og.check(string.find(q("reason"), "%S") ~= nil,
	"quarantine.reason is empty (Postfix drops the reason; outguard " ..
	"must keep it)")
og.check(tonumber(q("ts")) ~= nil and
	math.abs(tonumber(q("ts")) - os.time()) < 120,
	"quarantine.ts: [%s], want about now (%d)", q("ts"), os.time())

og.step("held mail counts; the decision is an event")
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE queue_id IN " ..
	"('QUAR00', 'QUAR01')", "2", "msg_log rows (held mail counts)")
og.sql_wait("SELECT COUNT(*) FROM events WHERE queue_id = 'QUAR01' " ..
	"AND action = 'quarantine'", "1", "quarantine events for QUAR01")
