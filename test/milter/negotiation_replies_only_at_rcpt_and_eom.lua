-- negotiation_replies_only_at_rcpt_and_eom - the daemon asks the MTA for
-- replies only where it decides: no reply at connect, HELO, MAIL and
-- headers (SMFIP_NR_*), no DATA or body at all, a reply to every RCPT
-- and at end-of-message; it registers the actions it uses (add header,
-- quarantine).  Where it replaces a stage's macro list it keeps what
-- it reads there ({auth_authen} at MAIL, i at EOM).

local conn = mt.connect(socket, 50, 0.2)
og.check(conn ~= nil, "mt.connect(%s) failed", socket)
local mark = og.mark()
local err = mt.negotiate(conn, nil, nil, nil)
og.check(err == nil, "mt.negotiate() failed: %s", tostring(err))
local frames = og.frames_since(mark)
og.check(#frames == 1 and frames[1].cmd == "O",
	"option negotiation: want one O frame, got %s", og.frames_str(frames))
og.step("negotiated: %s", frames[1].text)

local want_on = {
	SMFIP_NR_CONN = SMFIP_NR_CONN, SMFIP_NR_HELO = SMFIP_NR_HELO,
	SMFIP_NR_MAIL = SMFIP_NR_MAIL, SMFIP_NR_HDR = SMFIP_NR_HDR,
	SMFIP_NODATA = SMFIP_NODATA, SMFIP_NOBODY = SMFIP_NOBODY,
}
local want_off = {
	SMFIP_NR_RCPT = SMFIP_NR_RCPT, SMFIP_NORCPT = SMFIP_NORCPT,
	SMFIP_NOMAIL = SMFIP_NOMAIL, SMFIP_NOCONNECT = SMFIP_NOCONNECT,
	SMFIP_NOHDRS = SMFIP_NOHDRS, SMFIP_NOHELO = SMFIP_NOHELO,
}
for name, bit in pairs(want_on) do
	og.check(mt.test_option(conn, bit), "protocol option %s not set", name)
end
for name, bit in pairs(want_off) do
	og.check(not mt.test_option(conn, bit), "protocol option %s set", name)
end
og.check(mt.test_action(conn, SMFIF_ADDHDRS), "action SMFIF_ADDHDRS not set")
og.check(mt.test_action(conn, SMFIF_QUARANTINE),
	"action SMFIF_QUARANTINE not set")

-- Macro lists the daemon replaced (smfi_setsymlist) must still hold
-- what it reads at that stage: 2 = MAIL, 5 = EOM.
local function symlist(stage)
	local list = string.match(frames[1].text, "symlist" .. stage .. "=(%S*)")
	if list == nil then
		return nil
	end
	local set = {}
	for name in string.gmatch(list, "[^,]+") do
		set[name] = true
	end
	return set, list
end
local mail_set, mail_list = symlist(2)
og.check(mail_set == nil or mail_set["{auth_authen}"],
	"the MAIL macro list [%s] lacks {auth_authen}", tostring(mail_list))
local eom_set, eom_list = symlist(5)
og.check(eom_set == nil or eom_set["i"] or eom_set["{i}"],
	"the EOM macro list [%s] lacks i (the queue id)", tostring(eom_list))

og.step("connect, HELO, MAIL, headers: no reply frames")
mark = og.mark()
err = mt.conninfo(conn, "client.example", "192.0.2.10")
og.check(err == nil, "mt.conninfo() failed: %s", tostring(err))
err = mt.helo(conn, "client.example")
og.check(err == nil, "mt.helo() failed: %s", tostring(err))
og.mail(conn, "alice@example.test", "alice")
frames = og.frames_since(mark)
og.check(#frames == 0, "replies before RCPT: %s", og.frames_str(frames))

mark = og.mark()
og.expect_rcpt(conn, "bob@example.net", "continue")
frames = og.frames_since(mark)
og.check(#frames == 1 and frames[1].cmd == "c",
	"RCPT: want exactly one continue frame, got %s", og.frames_str(frames))

mark = og.mark()
og.data(conn)
frames = og.frames_since(mark)
og.check(#frames == 0 or (#frames == 1 and frames[1].cmd == "c"),
	"headers and end-of-headers: want no reply (at most one for EOH), " ..
	"got %s", og.frames_str(frames))

og.expect_eom(conn, "NEG001", "accept")
mt.disconnect(conn)
