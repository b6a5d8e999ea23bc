-- 007-defaults.sql - schema version 7 on PostgreSQL: the twin of
-- schema/migrations/007-defaults.sql (read it for the why): the hourly
-- rcpt rows of the shipped classes raised to header above 600 and
-- tempfail above 1,000 (bulk: 6,000 and 10,000), where they still have
-- the shipped numbers.

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

UPDATE schema_version SET version = 7 WHERE id = 1;
