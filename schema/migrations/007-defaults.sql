-- 007-defaults.sql - schema version 7: the hourly recipient limits of
-- the shipped classes, raised now that detection contains strangers.
--
-- Before schema 6 the hourly rcpt rows (default: header above 300,
-- tempfail above 500) were the only brake on a stolen account, and
-- they stamped and refused an honest list moderator writing to 540
-- members of a known list in an hour.  Since schema 6 new_rcpt (120
-- strangers an hour held, 150 refused) and refused (50 refusals an
-- hour block) stop an attack within minutes, so the hourly rcpt rows
-- only have to cap mail to people the login already writes to: header
-- above 600, tempfail above 1,000 (bulk: ten times that).  The daily
-- row (2,000; bulk 20,000) stays.  Only rows still at the shipped
-- numbers move: a threshold a postmaster changed is left as it is.

UPDATE limits SET threshold = 600
	WHERE class = 'default' AND metric = 'rcpt' AND window_s = 3600
	AND threshold = 300 AND action = 'header';
UPDATE limits SET threshold = 1000
	WHERE class = 'default' AND metric = 'rcpt' AND window_s = 3600
	AND threshold = 500 AND action = 'tempfail';
UPDATE limits SET threshold = 6000
	WHERE class = 'bulk' AND metric = 'rcpt' AND window_s = 3600
	AND threshold = 3000 AND action = 'header';
UPDATE limits SET threshold = 10000
	WHERE class = 'bulk' AND metric = 'rcpt' AND window_s = 3600
	AND threshold = 5000 AND action = 'tempfail';
