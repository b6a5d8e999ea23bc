-- NAME
--	main.lua - run one scenario under miltertest and report its error
-- SYNOPSIS
--	miltertest -s lib/main.lua -D scenario=PATH.lua -D libdir=... ...
-- DESCRIPTION
--	miltertest (2.11.0~beta2, Debian 12) exits 1 on a Lua error but
--	prints nothing about it.  run.sh therefore runs each scenario
--	through this file, which loads the helpers, runs the scenario in
--	xpcall and prints the error with a traceback before failing.
dofile(libdir .. "/og.lua")

local ok, err = xpcall(function() dofile(scenario) end, debug.traceback)
if not ok then
	io.stderr:write("FAIL: " .. tostring(err) .. "\n")
	io.stderr:flush()
	error("scenario failed", 0)
end
mt.echo("scenario passed: " .. scenario)
