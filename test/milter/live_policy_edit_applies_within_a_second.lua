-- live_policy_edit_applies_within_a_second - policy is edited in SQL
-- while the daemon runs, without a restart or a signal: lowering the
-- hourly message limit to 1 with sqlite3 refuses alice's next message
-- at RCPT within a second; raising it again lets her mail through.
local conn = og.connect()

og.step("message 1 under the default policy (200 an hour): delivered")
og.send(conn, { login = "alice", rcpts = { "bob@example.net" },
	qid = "LIVE01", what = "message 1" })

og.step("sqlite3: msg limit 200 -> 1; wait 1.5 s")
og.sql("UPDATE limits SET threshold = 1 WHERE class = 'default' " ..
	"AND metric = 'msg' AND window_s = 3600 AND action = 'tempfail'")
mt.sleep(1.5)
og.mail(conn, "alice@example.test", "alice")
og.expect_rcpt(conn, "carol@example.net", "451",
	"message 2, after lowering the limit to 1")
mt.abort(conn)

og.step("sqlite3: msg limit 1 -> 200; wait 1.5 s")
og.sql("UPDATE limits SET threshold = 200 WHERE class = 'default' " ..
	"AND metric = 'msg' AND window_s = 3600 AND action = 'tempfail'")
mt.sleep(1.5)
og.send(conn, { login = "alice", rcpts = { "dave@example.net" },
	qid = "LIVE03", what = "message 3, after raising the limit again" })
mt.disconnect(conn)

og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "2",
	"alice's msg_log rows (messages 1 and 3)")
