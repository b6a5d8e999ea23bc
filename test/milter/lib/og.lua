-- NAME
--	og.lua - helpers for outguard's miltertest scenarios
-- SYNOPSIS
--	(loaded by lib/main.lua before the scenario runs)
--	local conn = og.connect()
--	og.mail(conn, "alice@example.test", "alice")
--	og.expect_rcpt(conn, "bob@example.net", "continue")
--	og.data(conn, { Subject = "hi" })
--	og.expect_eom(conn, "ABC123", "accept")
-- DESCRIPTION
--	run.sh starts the real daemon and runs a scenario with these
--	globals (miltertest -D): socket (the reply tap in front of the
--	daemon's socket), db, ctl (outguardctl), sqlite3, replies (the
--	tap's log, see replytap.py), libdir, dir (the test's temp dir).
--
--	The helpers drive one SMTP transaction the way Postfix does:
--	negotiate, connect, HELO, MAIL with {auth_authen} and {auth_type},
--	RCPT, headers, and end-of-message with the queue id macro i (which
--	Postfix sends there, not at MAIL).  Stages the daemon negotiated
--	away (SMFIP_NO*) are skipped; stages it said it will not answer
--	(SMFIP_NR_*) get no reply, and miltertest reports SMFIR_CONTINUE
--	for them.
--
--	Replies are named by what the daemon decides:
--	  "continue"  SMFIR_CONTINUE
--	  "accept"    SMFIR_CONTINUE or SMFIR_ACCEPT (delivered at EOM)
--	  "451"/"452"/"550"  SMFIR_REPLYCODE whose text starts with
--	              "451 4.7.1 ", "452 4.5.3 ", "550 5.7.1 "
--	The text comes from the reply tap: miltertest itself keeps only
--	the reply's command byte for RCPT.
-- DIAGNOSTICS
--	Every check fails with error() naming the step, what was wanted
--	and what the daemon sent; miltertest then exits non-zero.

og = {}

-- miltertest defines no constant for the end-of-message macro stage.
og.SMFIC_EOM = string.byte("E")

og.WANT_TEXT = {
	["451"] = "451 4.7.1 ",
	["452"] = "452 4.5.3 ",
	["550"] = "550 5.7.1 ",
}

local reply_names = {
	[SMFIR_CONTINUE] = "SMFIR_CONTINUE",
	[SMFIR_ACCEPT] = "SMFIR_ACCEPT",
	[SMFIR_REJECT] = "SMFIR_REJECT",
	[SMFIR_TEMPFAIL] = "SMFIR_TEMPFAIL",
	[SMFIR_DISCARD] = "SMFIR_DISCARD",
	[SMFIR_REPLYCODE] = "SMFIR_REPLYCODE",
}

-- og.rname - a reply code as "SMFIR_REPLYCODE ('y')"
function og.rname(code)
	if code == nil then
		return "nil"
	end
	local n = reply_names[code] or "unknown"
	if code > 0 and code < 256 then
		return string.format("%s ('%s')", n, string.char(code))
	end
	return string.format("%s (%d)", n, code)
end

-- og.fail - stop the scenario with a message
function og.fail(fmt, ...)
	error(string.format(fmt, ...), 2)
end

-- og.check - og.fail unless cond
function og.check(cond, fmt, ...)
	if not cond then
		error(string.format(fmt, ...), 2)
	end
end

-- og.step - print a progress line (shown by ctest --output-on-failure)
function og.step(fmt, ...)
	mt.echo("--- " .. string.format(fmt, ...))
end

-- Shell and database -----------------------------------------------------

-- og.shq - quote a string for sh
function og.shq(s)
	return "'" .. string.gsub(s, "'", "'\\''") .. "'"
end

-- og.run - run a shell command; returns its output (stdout+stderr) and
-- true when it exited 0
function og.run(cmd)
	local f = assert(io.popen(cmd .. " 2>&1", "r"))
	local out = f:read("*a")
	local ok = f:close()
	return out, ok == true
end

local function trim(s)
	return (string.gsub(s, "^%s*(.-)%s*$", "%1"))
end

-- og.sql - run one SQL statement on the daemon's database with sqlite3;
-- returns the output, trimmed, rows on lines, columns split by "|"
function og.sql(query)
	local cmd = string.format("%s -batch -noheader -cmd %s %s %s",
		sqlite3, og.shq(".timeout 5000"), og.shq(db), og.shq(query))
	local out, ok = og.run(cmd)
	og.check(ok, "sqlite3 failed on [%s]: %s", query, out)
	return trim(out)
end

-- og.sql_wait - poll a query until it returns want (the daemon writes
-- state from a background writer); fails after timeout seconds (5)
function og.sql_wait(query, want, what, timeout)
	local deadline = os.time() + (timeout or 5)
	local got
	repeat
		got = og.sql(query)
		if got == want then
			return got
		end
		mt.sleep(0.1)
	until os.time() > deadline
	og.fail("%s: [%s] returned [%s], want [%s]", what or "database",
		query, got, want)
end

-- og.ctl - run outguardctl on the daemon's database; fails unless it
-- exits 0; returns its output
function og.ctl(args)
	local cmd = string.format("%s -d %s %s", ctl, og.shq(db), args)
	local out, ok = og.run(cmd)
	og.check(ok, "outguardctl %s failed: %s", args, out)
	return out
end

-- og.setting - a value from the settings table
function og.setting(key)
	return og.sql(string.format(
		"SELECT value FROM settings WHERE key = '%s'", key))
end

-- The reply tap ------------------------------------------------------------

-- og.mark - where the tap's log ends now
function og.mark()
	local f = io.open(replies, "rb")
	if f == nil then
		return 0
	end
	local size = f:seek("end")
	f:close()
	return size
end

-- og.frames_since - the daemon's frames logged after mark, as a list of
-- { cmd = "y", text = "451 4.7.1 ..." }
function og.frames_since(mark)
	local frames = {}
	local f = io.open(replies, "rb")
	if f == nil then
		return frames
	end
	f:seek("set", mark)
	for line in f:lines() do
		local _, cmd, text = string.match(line, "^(%d+)\t(.)\t(.*)$")
		if cmd ~= nil then
			frames[#frames + 1] = { cmd = cmd, text = text }
		end
	end
	f:close()
	return frames
end

local function frames_str(frames)
	local parts = {}
	for _, fr in ipairs(frames) do
		parts[#parts + 1] = fr.cmd .. " [" .. fr.text .. "]"
	end
	if #parts == 0 then
		return "(no frames)"
	end
	return table.concat(parts, "; ")
end
og.frames_str = frames_str

-- A reply as seen by miltertest and the tap: code, and the text of the
-- SMFIR_REPLYCODE frame when there is one.
local function reply_after(conn, mark, what)
	local code = mt.getreply(conn)
	local frames = og.frames_since(mark)
	local text = nil
	for _, fr in ipairs(frames) do
		if fr.cmd == "y" then
			text = fr.text
		end
		og.check(fr.cmd ~= "!", "%s: reply tap: %s", what, fr.text)
	end
	if code == SMFIR_REPLYCODE then
		og.check(text ~= nil,
			"%s: miltertest got SMFIR_REPLYCODE but the tap saw %s",
			what, frames_str(frames))
	end
	return code, text, frames
end

-- og.want_ok - check a reply against a wanted name (see DESCRIPTION)
function og.want_ok(want, code, text)
	if want == "continue" then
		return code == SMFIR_CONTINUE
	elseif want == "accept" then
		return code == SMFIR_CONTINUE or code == SMFIR_ACCEPT
	elseif og.WANT_TEXT[want] ~= nil then
		local prefix = og.WANT_TEXT[want]
		return code == SMFIR_REPLYCODE and text ~= nil and
			string.sub(text, 1, #prefix) == prefix and
			#text > #prefix
	end
	og.fail("og.want_ok: unknown want %q", tostring(want))
end

local function describe_reply(code, text)
	if text ~= nil then
		return og.rname(code) .. " \"" .. text .. "\""
	end
	return og.rname(code)
end
og.describe_reply = describe_reply

-- Protocol steps -------------------------------------------------------------

-- og.connect - connect, negotiate, send the client and HELO.
-- Negotiation is explicit: only mt.negotiate() makes miltertest learn
-- which stages the daemon does not answer.
function og.connect(host, ip, helo)
	host = host or "client.example"
	ip = ip or "192.0.2.10"
	local conn = mt.connect(socket, 50, 0.2)
	og.check(conn ~= nil, "mt.connect(%s) failed", socket)
	local err = mt.negotiate(conn, nil, nil, nil)
	og.check(err == nil, "mt.negotiate() failed: %s", tostring(err))
	if not mt.test_option(conn, SMFIP_NOCONNECT) then
		err = mt.conninfo(conn, host, ip)
		og.check(err == nil, "mt.conninfo() failed: %s", tostring(err))
	end
	if not mt.test_option(conn, SMFIP_NOHELO) then
		err = mt.helo(conn, helo or host)
		og.check(err == nil, "mt.helo() failed: %s", tostring(err))
	end
	return conn
end

-- og.mail - start a message: MAIL macros ({auth_authen} and {auth_type}
-- when login is given, as Postfix sends them for an authenticated
-- client) and MAIL FROM.  Returns the reply code (not checked: the
-- daemon decides at RCPT and EOM).
function og.mail(conn, from, login)
	local err
	if login ~= nil then
		err = mt.macro(conn, SMFIC_MAIL, "{auth_authen}", login,
			"{auth_type}", "PLAIN", "{mail_addr}", from)
	else
		err = mt.macro(conn, SMFIC_MAIL, "{mail_addr}", from)
	end
	og.check(err == nil, "mt.macro(MAIL) failed: %s", tostring(err))
	err = mt.mailfrom(conn, "<" .. from .. ">")
	og.check(err == nil, "mt.mailfrom(%s) failed: %s", from, tostring(err))
	return mt.getreply(conn)
end

-- og.rcpt - one RCPT TO; returns code, text (nil unless REPLYCODE)
function og.rcpt(conn, addr)
	local mark = og.mark()
	local err = mt.rcptto(conn, "<" .. addr .. ">")
	og.check(err == nil, "mt.rcptto(%s) failed: %s", addr, tostring(err))
	local code, text = reply_after(conn, mark, "RCPT " .. addr)
	return code, text
end

-- og.expect_rcpt - one RCPT TO that must get want; returns the text
function og.expect_rcpt(conn, addr, want, what)
	local code, text = og.rcpt(conn, addr)
	og.check(og.want_ok(want, code, text),
		"%sRCPT TO:<%s>: want %s, got %s", what and (what .. ": ") or "",
		addr, want, describe_reply(code, text))
	return text
end

-- og.data - the header block (and a short body) of a message.
-- headers: a list of { name, value } pairs; From/To/Subject are added
-- when missing.
function og.data(conn, headers)
	headers = headers or {}
	local have = {}
	for _, h in ipairs(headers) do
		have[string.lower(h[1])] = true
	end
	local all = {}
	if not have["from"] then
		all[#all + 1] = { "From", "Alice <alice@example.test>" }
	end
	if not have["to"] then
		all[#all + 1] = { "To", "undisclosed-recipients:;" }
	end
	if not have["subject"] then
		all[#all + 1] = { "Subject", "outguard milter test" }
	end
	for _, h in ipairs(headers) do
		all[#all + 1] = h
	end
	if not mt.test_option(conn, SMFIP_NOHDRS) then
		for _, h in ipairs(all) do
			local err = mt.header(conn, h[1], h[2])
			og.check(err == nil, "mt.header(%s) failed: %s", h[1],
				tostring(err))
		end
	end
	if not mt.test_option(conn, SMFIP_NOEOH) then
		local err = mt.eoh(conn)
		og.check(err == nil, "mt.eoh() failed: %s", tostring(err))
	end
	if not mt.test_option(conn, SMFIP_NOBODY) then
		local err = mt.bodystring(conn, "Hello.\r\n")
		og.check(err == nil, "mt.bodystring() failed: %s", tostring(err))
	end
end

-- og.eom - end of message with queue id qid (the i macro, sent at EOM
-- as Postfix does); returns code, text, frames (every frame the daemon
-- sent for EOM: header additions, quarantine, the reply)
function og.eom(conn, qid)
	local mark = og.mark()
	local err = mt.macro(conn, og.SMFIC_EOM, "i", qid)
	og.check(err == nil, "mt.macro(EOM) failed: %s", tostring(err))
	err = mt.eom(conn)
	og.check(err == nil, "mt.eom() failed: %s", tostring(err))
	return reply_after(conn, mark, "EOM " .. qid)
end

-- og.expect_eom - end of message that must get want; returns text, frames
function og.expect_eom(conn, qid, want, what)
	local code, text, frames = og.eom(conn, qid)
	og.check(og.want_ok(want, code, text),
		"%sEOM (queue id %s): want %s, got %s; frames: %s",
		what and (what .. ": ") or "", qid, want,
		describe_reply(code, text), frames_str(frames))
	return text, frames
end

-- og.send - one whole message: MAIL, RCPT to each of rcpts (each must
-- get rcpt_want, "continue" by default), headers, EOM with eom_want
-- ("accept" by default).  Returns the EOM text and frames.
function og.send(conn, t)
	og.mail(conn, t.from or "alice@example.test", t.login)
	for _, r in ipairs(t.rcpts) do
		og.expect_rcpt(conn, r, t.rcpt_want or "continue", t.what)
	end
	og.data(conn, t.headers)
	return og.expect_eom(conn, t.qid, t.eom_want or "accept", t.what)
end

-- og.rcpts - n addresses rcpt1@domain .. rcptN@domain
function og.rcpts(n, domain, first)
	local list = {}
	first = first or 1
	for i = first, first + n - 1 do
		list[#list + 1] = string.format("rcpt%d@%s", i,
			domain or "example.net")
	end
	return list
end

-- og.count - SELECT COUNT(*) ... as a number
function og.count(from_where)
	return tonumber(og.sql("SELECT COUNT(*) FROM " .. from_where))
end

-- og.lock_db - another writer holds the database locked for seconds
-- (in the background), as an admin's long transaction would
function og.lock_db(seconds)
	os.execute(string.format("(printf 'BEGIN EXCLUSIVE;\\n" ..
		"INSERT INTO daemon_state VALUES (''lock'', ''x'');\\n'; " ..
		"sleep %d; printf 'ROLLBACK;\\n') | %s %s >/dev/null 2>&1 &",
		seconds, sqlite3, og.shq(db)))
end

-- og.expect_store_tempfail - alice's next recipient gets the
-- OnStoreError tempfail, "451 4.3.0"
function og.expect_store_tempfail(conn, what)
	og.mail(conn, "alice@example.test", "alice")
	local code, text = og.rcpt(conn, "dave@example.net")
	og.check(code == SMFIR_REPLYCODE and text ~= nil and
		string.sub(text, 1, 10) == "451 4.3.0 ",
		"%s: want 451 4.3.0, got %s [%s]", what, og.rname(code),
		tostring(text))
	mt.abort(conn)
end

-- og.log_has - true when the daemon's log contains s
function og.log_has(s)
	local f = io.open(dir .. "/og.log", "r")
	local text = f and f:read("*a") or ""
	if f then
		f:close()
	end
	return string.find(text, s, 1, true) ~= nil
end

return og
