-- 005-counts.sql - per-login counts by the minute, kept by triggers
--
-- A limit's count used to be a sum over the login's msg_log and
-- session_log rows in the window, read on every message: a login with
-- thousands of messages in a day window read thousands of rows per
-- message.  counts holds one row per login and minute with the sums of
-- that minute; a count reads the minutes wholly inside the window and,
-- only when the oldest minute of the window is cut by its edge and has
-- anything in it, the log rows of that part-minute, so windows stay
-- exact to the second.  login_networks holds the latest session of each
-- client network of a login, which the networks metric reads.
--
-- Both tables follow msg_log and session_log through triggers, whoever
-- writes them: the daemon, pruning, "outguardctl reset", or an admin's
-- own SQL.  Deleting a login's log rows forgets its counts.
CREATE TABLE counts (
	login TEXT NOT NULL,
	minute INTEGER NOT NULL,	-- ts / 60
	msgs INTEGER NOT NULL DEFAULT 0,
	rcpts INTEGER NOT NULL DEFAULT 0,
	sessions INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (login, minute)
) WITHOUT ROWID;

CREATE TABLE login_networks (
	login TEXT NOT NULL,
	network TEXT NOT NULL,
	last_seen INTEGER NOT NULL,	-- the latest session from it
	PRIMARY KEY (login, network)
) WITHOUT ROWID;

INSERT INTO counts (login, minute, msgs, rcpts)
	SELECT login, ts / 60, count(*), sum(rcpts) FROM msg_log
	GROUP BY 1, 2;
INSERT INTO counts (login, minute, sessions)
	SELECT login, ts / 60, count(*) FROM session_log WHERE true
	GROUP BY 1, 2
	ON CONFLICT (login, minute) DO UPDATE SET sessions = excluded.sessions;
INSERT INTO login_networks (login, network, last_seen)
	SELECT login, network, max(ts) FROM session_log
	WHERE network IS NOT NULL GROUP BY 1, 2;

CREATE TRIGGER msg_log_counts_ins AFTER INSERT ON msg_log BEGIN
	INSERT INTO counts (login, minute, msgs, rcpts)
		VALUES (new.login, new.ts / 60, 1, new.rcpts)
		ON CONFLICT (login, minute) DO UPDATE SET msgs = msgs + 1,
			rcpts = rcpts + excluded.rcpts;
END;
CREATE TRIGGER msg_log_counts_del AFTER DELETE ON msg_log BEGIN
	UPDATE counts SET msgs = msgs - 1, rcpts = rcpts - old.rcpts
		WHERE login = old.login AND minute = old.ts / 60;
	DELETE FROM counts WHERE login = old.login AND minute = old.ts / 60
		AND msgs <= 0 AND sessions <= 0;
END;
CREATE TRIGGER session_log_counts_ins AFTER INSERT ON session_log BEGIN
	INSERT INTO counts (login, minute, sessions)
		VALUES (new.login, new.ts / 60, 1)
		ON CONFLICT (login, minute) DO UPDATE SET
			sessions = sessions + 1;
	INSERT INTO login_networks (login, network, last_seen)
		SELECT new.login, new.network, new.ts
		WHERE new.network IS NOT NULL
		ON CONFLICT (login, network) DO UPDATE SET
			last_seen = max(last_seen, excluded.last_seen);
END;
-- A deleted session that was its network's latest forgets the network:
-- pruning deletes every older session of it too, a reset all of them.
CREATE TRIGGER session_log_counts_del AFTER DELETE ON session_log BEGIN
	UPDATE counts SET sessions = sessions - 1
		WHERE login = old.login AND minute = old.ts / 60;
	DELETE FROM counts WHERE login = old.login AND minute = old.ts / 60
		AND msgs <= 0 AND sessions <= 0;
	DELETE FROM login_networks WHERE login = old.login
		AND network = old.network AND last_seen <= old.ts;
END;

-- the networks metric no longer walks session_log by network
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
