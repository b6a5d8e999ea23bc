-- 005-counts.sql - a login's counts in one place, kept by triggers
--
-- A limit's count used to be a sum over the login's msg_log and
-- session_log rows in the window, read through two indexes on every
-- message: a login with thousands of messages in a day window read
-- thousands of rows per message, and a message touched four index
-- pages at random.  counts keeps everything a limit reads for a login
-- next to each other, under one key (login, kind, key):
--	kind 0	one row per minute (key = ts / 60): messages, recipients
--		and sessions of that minute
--	kind 1	one row per second (key = ts): the same, read only for the
--		part of a minute that a window's edge cuts, so windows stay
--		exact to the second
--	kind 2	one row per client network (key = the network): ts is the
--		latest session from it
-- ts is the row's first second (kind 0 and 1) or the latest session
-- (kind 2); pruning deletes rows by it.  Triggers fill counts from
-- msg_log and session_log, whoever writes them (the daemon, or an
-- admin's own SQL); msg_log and session_log stay the log of what was
-- counted.  Forgetting a login's counts is "outguardctl reset", or
-- deleting its counts rows.
CREATE TABLE counts (
	login TEXT NOT NULL,
	kind INTEGER NOT NULL,
	key NOT NULL,
	ts INTEGER NOT NULL,
	msgs INTEGER NOT NULL DEFAULT 0,
	rcpts INTEGER NOT NULL DEFAULT 0,
	sessions INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (login, kind, key)
) WITHOUT ROWID;
CREATE INDEX counts_ts ON counts (ts);

INSERT INTO counts (login, kind, key, ts, msgs, rcpts)
	SELECT login, 0, ts / 60, ts / 60 * 60, count(*), sum(rcpts)
	FROM msg_log GROUP BY 1, 3;
INSERT INTO counts (login, kind, key, ts, msgs, rcpts)
	SELECT login, 1, ts, ts, count(*), sum(rcpts) FROM msg_log
	GROUP BY 1, 3;
INSERT INTO counts (login, kind, key, ts, sessions)
	SELECT login, 0, ts / 60, ts / 60 * 60, count(*) FROM session_log
	WHERE true GROUP BY 1, 3
	ON CONFLICT (login, kind, key) DO UPDATE SET
		sessions = excluded.sessions;
INSERT INTO counts (login, kind, key, ts, sessions)
	SELECT login, 1, ts, ts, count(*) FROM session_log
	WHERE true GROUP BY 1, 3
	ON CONFLICT (login, kind, key) DO UPDATE SET
		sessions = excluded.sessions;
INSERT INTO counts (login, kind, key, ts)
	SELECT login, 2, network, max(ts) FROM session_log
	WHERE network IS NOT NULL GROUP BY 1, 3;

CREATE TRIGGER msg_log_counts AFTER INSERT ON msg_log BEGIN
	INSERT INTO counts (login, kind, key, ts, msgs, rcpts)
		VALUES (new.login, 0, new.ts / 60, new.ts / 60 * 60, 1,
			new.rcpts)
		ON CONFLICT (login, kind, key) DO UPDATE SET
			msgs = msgs + 1, rcpts = rcpts + excluded.rcpts;
	INSERT INTO counts (login, kind, key, ts, msgs, rcpts)
		VALUES (new.login, 1, new.ts, new.ts, 1, new.rcpts)
		ON CONFLICT (login, kind, key) DO UPDATE SET
			msgs = msgs + 1, rcpts = rcpts + excluded.rcpts;
END;
CREATE TRIGGER session_log_counts AFTER INSERT ON session_log BEGIN
	INSERT INTO counts (login, kind, key, ts, sessions)
		VALUES (new.login, 0, new.ts / 60, new.ts / 60 * 60, 1)
		ON CONFLICT (login, kind, key) DO UPDATE SET
			sessions = sessions + 1;
	INSERT INTO counts (login, kind, key, ts, sessions)
		VALUES (new.login, 1, new.ts, new.ts, 1)
		ON CONFLICT (login, kind, key) DO UPDATE SET
			sessions = sessions + 1;
	INSERT INTO counts (login, kind, key, ts)
		SELECT new.login, 2, new.network, new.ts
		WHERE new.network IS NOT NULL
		ON CONFLICT (login, kind, key) DO UPDATE SET
			ts = max(ts, excluded.ts);
END;

-- the log is no longer read by login on the mail path: what is left of
-- its indexes is appended to, not written at random
DROP INDEX msg_log_login_ts;
DROP INDEX session_log_login_ts;
DROP INDEX session_log_login_net;

-- users is read for every message by its login: without a rowid the
-- read is one b-tree descent instead of two (a row without a login was
-- never read and is not kept)
CREATE TABLE users_by_login (
	login TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
	class TEXT NOT NULL DEFAULT 'default' COLLATE NOCASE,
	status TEXT NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'watch', 'blocked')),
	note TEXT,
	changed INTEGER
) WITHOUT ROWID;
INSERT INTO users_by_login (login, class, status, note, changed)
	SELECT login, class, status, note, changed FROM users
	WHERE login IS NOT NULL;
DROP TABLE users;
ALTER TABLE users_by_login RENAME TO users;
