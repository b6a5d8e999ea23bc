-- store_removed_tempfails - the database file is removed under the
-- running daemon: outguard notices within a second, logs it, and
-- tempfails authenticated mail with 451 4.3.0 instead of counting into
-- a file nobody can see; unauthenticated mail is not affected.  When a
-- database appears at the path again (restored, or made with outguard
-- -n), outguard reopens it and mail flows.

og.step("delivered while the file is there")
local conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "bob@example.net" },
	qid = "RM01", what = "before removal" })
mt.disconnect(conn)

og.step("remove the database files")
os.execute("rm -f " .. og.shq(db) .. " " .. og.shq(db .. "-wal") .. " " ..
	og.shq(db .. "-shm"))
mt.sleep(2)

conn = og.connect()
og.expect_store_tempfail(conn, "after removal")
og.step("unauthenticated mail still flows")
og.send(conn, { from = "someone@example.org", rcpts = { "x@example.test" },
	qid = "RM03", what = "unauthenticated" })
mt.disconnect(conn)

og.check(og.log_has("database file removed"),
	"the log does not say the database was removed")

og.step("a new database made with outguard -n is picked up")
local out, ok = og.run(string.format("%s -n -c %s", os.getenv("OUTGUARD"),
	og.shq(dir .. "/outguard.conf")))
og.check(ok, "outguard -n failed: %s", out)
mt.sleep(2.5)
conn = og.connect()
og.send(conn, { login = "alice", rcpts = { "dave@example.net" },
	qid = "RM04", what = "after the new database" })
mt.disconnect(conn)
og.sql_wait("SELECT COUNT(*) FROM msg_log WHERE login = 'alice'", "1",
	"counted in the new database", 5)
