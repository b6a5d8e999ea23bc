-- 006-detection.sql - schema version 6: detection that does not wait
-- for a full hour (SPEC 6.1).
--
-- limits: the metrics refused (recipients the login had refused by
-- outguard, a blocked login's refusals excepted), new_rcpt (recipients
-- of accepted mail the login had not written to within contact_days)
-- and bounce (recipients the MTA reported as permanently failed), and
-- baseline_factor (NULL: off).  SQLite cannot change a CHECK, so the
-- table is made again with its rows, ids and triggers.
--
-- counts gets a column per new metric: each is counted in the same
-- per-minute and per-second rows as msgs and rcpts, under the same key
-- (login, kind, key), so the one read of a login's rows at MAIL returns
-- every metric and the mail path has no extra statement.
--
-- events.count: how many refusals an events row stands for.  Refusals
-- of a login that is blocked, or already over a limit whose trip was
-- reported, are added to one row per login, kind, action and minute
-- (events.agg_minute, NULL on every other row), so an attack of 18,000
-- messages writes a row a minute, not 18,000.
--
-- contacts: per login, a keyed 64-bit hash (SipHash-2-4, key in
-- settings.contact_key, random per database) of each recipient it
-- sent accepted mail to, with the last time; the writer keeps at most
-- contact_max (5,000) per login and none older than contact_days.

CREATE TABLE limits_v6 (
	id INTEGER PRIMARY KEY,
	class TEXT NOT NULL COLLATE NOCASE,
	metric TEXT NOT NULL CHECK (metric IN
		('rcpt_per_msg', 'rcpt', 'msg', 'session', 'networks',
		 'refused', 'new_rcpt', 'bounce')),
	window_s INTEGER NOT NULL DEFAULT 0 CHECK (window_s >= 0),
	threshold INTEGER NOT NULL CHECK (threshold >= 0),
	action TEXT NOT NULL CHECK (action IN ('accept', 'header',
		'quarantine', 'tempfail', 'reject', 'discard', 'block')),
	baseline_factor REAL CHECK (baseline_factor IS NULL OR
		baseline_factor > 0)
);
INSERT INTO limits_v6 (id, class, metric, window_s, threshold, action)
	SELECT id, class, metric, window_s, threshold, action FROM limits;
DROP TABLE limits;
ALTER TABLE limits_v6 RENAME TO limits;
CREATE INDEX limits_class ON limits (class);
CREATE TRIGGER limits_ins AFTER INSERT ON limits
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER limits_upd AFTER UPDATE ON limits
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER limits_del AFTER DELETE ON limits
	BEGIN UPDATE policy_version SET version = version + 1; END;

ALTER TABLE counts ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE counts ADD COLUMN new_rcpt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE counts ADD COLUMN bounce INTEGER NOT NULL DEFAULT 0;

-- a message's new recipients go in its msg_log row, and the trigger
-- counts them with its messages and recipients: no write of their own
ALTER TABLE msg_log ADD COLUMN new_rcpt INTEGER NOT NULL DEFAULT 0;
DROP TRIGGER msg_log_counts;
CREATE TRIGGER msg_log_counts AFTER INSERT ON msg_log BEGIN
	INSERT INTO counts (login, kind, key, ts, msgs, rcpts, new_rcpt)
		VALUES (new.login, 0, new.ts / 60, new.ts / 60 * 60, 1,
			new.rcpts, new.new_rcpt)
		ON CONFLICT (login, kind, key) DO UPDATE SET
			msgs = msgs + 1, rcpts = rcpts + excluded.rcpts,
			new_rcpt = new_rcpt + excluded.new_rcpt;
	INSERT INTO counts (login, kind, key, ts, msgs, rcpts, new_rcpt)
		VALUES (new.login, 1, new.ts, new.ts, 1, new.rcpts,
			new.new_rcpt)
		ON CONFLICT (login, kind, key) DO UPDATE SET
			msgs = msgs + 1, rcpts = rcpts + excluded.rcpts,
			new_rcpt = new_rcpt + excluded.new_rcpt;
END;

ALTER TABLE events ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE events ADD COLUMN agg_minute INTEGER;
CREATE UNIQUE INDEX events_agg ON events (login, kind, action, agg_minute)
	WHERE agg_minute IS NOT NULL;

-- bounces: the MTA's log names a message by its queue id; the follower
-- finds the login of a bounced recipient's message through this index
CREATE INDEX msg_log_queue_id ON msg_log (queue_id)
	WHERE queue_id IS NOT NULL;

CREATE TABLE contacts (
	login TEXT NOT NULL,
	hash INTEGER NOT NULL,
	ts INTEGER NOT NULL,
	PRIMARY KEY (login, hash)
) WITHOUT ROWID;
CREATE INDEX contacts_ts ON contacts (ts);

-- peaks: a login's highest count of a metric in a window, per day (day =
-- ts / 86400), for limits with a baseline_factor: written when an
-- accepted message sets a new peak of the day, read at MAIL (the
-- second-highest day of the last baseline_days), pruned after them
CREATE TABLE peaks (
	login TEXT NOT NULL,
	metric TEXT NOT NULL,
	window_s INTEGER NOT NULL,
	day INTEGER NOT NULL,
	peak INTEGER NOT NULL,
	PRIMARY KEY (login, metric, window_s, day)
) WITHOUT ROWID;
CREATE INDEX peaks_day ON peaks (day);

INSERT OR IGNORE INTO settings (key, value) VALUES
	('contact_days', '90'),
	('contact_max', '5000'),
	('baseline_days', '28'),
	('history_days', '30'),
	('contact_key', lower(hex(randomblob(16))));

-- Escalation: a login with more than 50 recipients refused by its
-- limits or checks within an hour is blocked (an incident and one
-- alert).  An honest sender over a limit gets a few refusals before
-- its client gives up; an attack keeps pushing.
-- First contact: more than 120 recipients new to the login in an hour
-- are held (quarantine), more than 150 tempfailed at RCPT, and those
-- refusals escalate to a block.  A login writing to people it knows
-- never counts; a stolen one writes almost only to strangers.
INSERT INTO limits (class, metric, window_s, threshold, action) VALUES
	('default', 'refused', 3600, 50, 'block'),
	('default', 'new_rcpt', 3600, 120, 'quarantine'),
	('default', 'new_rcpt', 3600, 150, 'tempfail'),
	('bulk', 'refused', 3600, 500, 'block'),
	('bulk', 'new_rcpt', 3600, 1200, 'quarantine'),
	('bulk', 'new_rcpt', 3600, 1500, 'tempfail');
