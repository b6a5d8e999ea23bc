-- header_stage_adds_x_outguard - over the hourly "header" stage (2
-- recipients here, see the .sql), a message is delivered with an
-- X-Outguard header; at the threshold it is delivered without one.
-- The count is per login over the window, including the current
-- message, and logins compare case-insensitively.

local conn = og.connect()

og.step("bob: 2 recipients, exactly the threshold: no header")
og.send(conn, { login = "bob", from = "bob@example.test",
	rcpts = og.rcpts(2), qid = "HDR001" })
og.check(not mt.eom_check(conn, MT_HDRADD, "X-Outguard"),
	"HDR001: X-Outguard added at 2 recipients (threshold 2): %s",
	tostring(mt.getheader(conn, "X-Outguard", 0)))

og.step("alice: one message to 3 recipients: every RCPT continues, header")
og.send(conn, { login = "alice", rcpts = og.rcpts(3), qid = "HDR002" })
og.check(mt.eom_check(conn, MT_HDRADD, "X-Outguard"),
	"HDR002: no X-Outguard header added for 3 recipients over threshold 2")
local value = mt.getheader(conn, "X-Outguard", 0)
og.check(value ~= nil and string.find(value, "%S") ~= nil,
	"HDR002: X-Outguard has no value (want what tripped): [%s]",
	tostring(value))
og.step("X-Outguard: %s", value)
og.check(not mt.eom_check(conn, MT_QUARANTINE),
	"HDR002: the header stage also quarantined the message")

og.step("BOB (bob in capitals): 1 more recipient, 3 in the hour: header")
og.send(conn, { login = "BOB", from = "bob@example.test",
	rcpts = og.rcpts(1, "example.org"), qid = "HDR003" })
og.check(mt.eom_check(conn, MT_HDRADD, "X-Outguard"),
	"HDR003: no X-Outguard for bob's 3rd recipient in the hour " ..
	"(logged in as BOB; logins compare case-insensitively)")

mt.disconnect(conn)

og.step("state: all three messages counted, the header stages in events")
og.sql_wait("SELECT COUNT(*) FROM msg_log", "3", "msg_log rows")
og.sql_wait("SELECT rcpts FROM msg_log WHERE queue_id = 'HDR002'", "3",
	"msg_log rcpts of HDR002")
og.sql_wait("SELECT COUNT(*) FROM events WHERE action = 'header' " ..
	"AND queue_id IN ('HDR002', 'HDR003')", "2", "header events")
og.check(og.count("events WHERE queue_id = 'HDR001'") == 0,
	"HDR001 (not over the threshold) has an events row: %s",
	og.sql("SELECT * FROM events WHERE queue_id = 'HDR001'"))
