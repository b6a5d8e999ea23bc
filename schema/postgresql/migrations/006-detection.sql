-- 006-detection.sql - schema version 6 on PostgreSQL: the twin of
-- schema/migrations/006-detection.sql (read it for the why).
--
-- limits: the metrics refused, new_rcpt and bounce, and
-- baseline_factor; counts: a column per new metric (and in the
-- covering index the mail path reads); events: count and agg_minute,
-- with the partial unique index folded refusals upsert on; contacts:
-- the per-login memory of recipients' keyed hashes; the settings and
-- default rows of version 6.  contact_key is 32 random hex digits
-- (gen_random_uuid(), core since PostgreSQL 13) as SQLite's
-- randomblob(16) gives.  Apply in one transaction, after the baseline.

ALTER TABLE limits DROP CONSTRAINT limits_metric_check;
ALTER TABLE limits ADD CONSTRAINT limits_metric_check CHECK (metric IN
	('rcpt_per_msg', 'rcpt', 'msg', 'session', 'networks',
	 'refused', 'new_rcpt', 'bounce'));
ALTER TABLE limits ADD COLUMN baseline_factor double precision
	CHECK (baseline_factor IS NULL OR baseline_factor > 0);

ALTER TABLE counts ADD COLUMN refused bigint NOT NULL DEFAULT 0,
	ADD COLUMN new_rcpt bigint NOT NULL DEFAULT 0,
	ADD COLUMN bounce bigint NOT NULL DEFAULT 0;
DROP INDEX counts_login_kind_ts;
CREATE INDEX counts_login_kind_ts ON counts (login, kind, ts)
	INCLUDE (msgs, rcpts, sessions, refused, new_rcpt, bounce);

ALTER TABLE msg_log ADD COLUMN new_rcpt bigint NOT NULL DEFAULT 0;
CREATE OR REPLACE FUNCTION msg_log_counts() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO counts AS c (login, kind, key, ts, msgs, rcpts, new_rcpt)
		VALUES (new.login, 0, (new.ts / 60)::text, new.ts / 60 * 60,
			1, new.rcpts, new.new_rcpt)
		ON CONFLICT (login, kind, key) DO UPDATE SET
			msgs = c.msgs + 1, rcpts = c.rcpts + excluded.rcpts,
			new_rcpt = c.new_rcpt + excluded.new_rcpt;
	INSERT INTO counts AS c (login, kind, key, ts, msgs, rcpts, new_rcpt)
		VALUES (new.login, 1, new.ts::text, new.ts, 1, new.rcpts,
			new.new_rcpt)
		ON CONFLICT (login, kind, key) DO UPDATE SET
			msgs = c.msgs + 1, rcpts = c.rcpts + excluded.rcpts,
			new_rcpt = c.new_rcpt + excluded.new_rcpt;
	RETURN NULL;
END $$;

ALTER TABLE events ADD COLUMN count bigint NOT NULL DEFAULT 1,
	ADD COLUMN agg_minute bigint;
CREATE UNIQUE INDEX events_agg ON events (login, kind, action, agg_minute)
	WHERE agg_minute IS NOT NULL;

CREATE INDEX msg_log_queue_id ON msg_log (queue_id)
	WHERE queue_id IS NOT NULL;

CREATE TABLE contacts (
	login text NOT NULL,
	hash bigint NOT NULL,
	ts bigint NOT NULL,
	PRIMARY KEY (login, hash)
);
CREATE INDEX contacts_ts ON contacts (ts);

-- peaks: a login's highest count of a metric in a window, per day (day =
-- ts / 86400), for limits with a baseline_factor: written when an
-- accepted message sets a new peak of the day, read at MAIL (the
-- second-highest day of the last baseline_days), pruned after them
CREATE TABLE peaks (
	login text NOT NULL,
	metric text NOT NULL,
	window_s bigint NOT NULL,
	day bigint NOT NULL,
	peak bigint NOT NULL,
	PRIMARY KEY (login, metric, window_s, day)
);
CREATE INDEX peaks_day ON peaks (day);

INSERT INTO settings (key, value) VALUES
	('contact_days', '90'),
	('contact_max', '5000'),
	('baseline_days', '28'),
	('history_days', '30'),
	('contact_key', replace(gen_random_uuid()::text, '-', ''))
	ON CONFLICT (key) DO NOTHING;

INSERT INTO limits (class, metric, window_s, threshold, action) VALUES
	('default', 'refused', 3600, 50, 'block'),
	('default', 'new_rcpt', 3600, 120, 'quarantine'),
	('default', 'new_rcpt', 3600, 150, 'tempfail'),
	('bulk', 'refused', 3600, 500, 'block'),
	('bulk', 'new_rcpt', 3600, 1200, 'quarantine'),
	('bulk', 'new_rcpt', 3600, 1500, 'tempfail');

UPDATE schema_version SET version = 6 WHERE id = 1;
