-- outguard.sql - the outguard database, schema version 1, with the
-- default policy.
--
-- The daemon creates a missing database from this file (it is compiled
-- into the programs) and then applies schema/migrations/NNN-*.sql in
-- order; PRAGMA user_version holds the version reached.  Policy tables
-- are meant to be edited with sqlite3 or outguardctl while the daemon
-- runs: triggers bump policy_version, which the daemon polls, so a change
-- takes effect within a second.  users is looked up for every message and
-- needs no trigger.

-- Policy ---------------------------------------------------------------

CREATE TABLE classes (
	name TEXT PRIMARY KEY COLLATE NOCASE,
	note TEXT
);

CREATE TABLE limits (
	id INTEGER PRIMARY KEY,
	class TEXT NOT NULL COLLATE NOCASE,
	metric TEXT NOT NULL CHECK (metric IN
		('rcpt_per_msg', 'rcpt', 'msg', 'session', 'networks')),
	window_s INTEGER NOT NULL DEFAULT 0 CHECK (window_s >= 0),
	threshold INTEGER NOT NULL CHECK (threshold >= 0),
	action TEXT NOT NULL CHECK (action IN ('accept', 'header',
		'quarantine', 'tempfail', 'reject', 'discard', 'block'))
);
CREATE INDEX limits_class ON limits (class);

CREATE TABLE users (
	login TEXT PRIMARY KEY COLLATE NOCASE,
	class TEXT NOT NULL DEFAULT 'default' COLLATE NOCASE,
	status TEXT NOT NULL DEFAULT 'active'
		CHECK (status IN ('active', 'watch', 'blocked')),
	note TEXT,
	changed INTEGER
);

CREATE TABLE local_domains (
	domain TEXT PRIMARY KEY COLLATE NOCASE
);

CREATE TABLE user_senders (
	login TEXT NOT NULL COLLATE NOCASE,
	address TEXT NOT NULL COLLATE NOCASE,
	PRIMARY KEY (login, address)
);

CREATE TABLE freemail_domains (
	domain TEXT PRIMARY KEY COLLATE NOCASE
);

CREATE TABLE rules (
	id INTEGER PRIMARY KEY,
	enabled INTEGER NOT NULL DEFAULT 1,
	scope TEXT NOT NULL DEFAULT 'any'
		CHECK (scope IN ('auth', 'unauth', 'any')),
	field TEXT NOT NULL CHECK (field IN ('mail_from', 'mail_from_domain',
		'from', 'from_domain', 'reply_to', 'reply_to_domain', 'rcpt',
		'rcpt_domain', 'subject', 'helo', 'client_name')),
	pattern TEXT NOT NULL,
	action TEXT NOT NULL DEFAULT 'reject',
	reason TEXT
);

CREATE TABLE protected_domains (
	domain TEXT PRIMARY KEY COLLATE NOCASE,
	note TEXT
);

CREATE TABLE webmail_sources (
	network TEXT NOT NULL,
	header TEXT NOT NULL,
	pattern TEXT NOT NULL,
	ip_header TEXT
);

CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value TEXT
);

-- Bumped by the triggers below; the daemon reloads policy when it moves.
CREATE TABLE policy_version (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
);
INSERT INTO policy_version VALUES (1, 1);

-- State written by the daemon ---------------------------------------------

-- One row per message accepted or held for an authenticated login:
-- the msg and rcpt metrics are COUNT(*) and SUM(rcpts) over a window
-- (read from the counts table since schema 5: migrations/005-counts.sql).
CREATE TABLE msg_log (
	login TEXT NOT NULL,
	ts INTEGER NOT NULL,
	rcpts INTEGER NOT NULL,
	client_addr TEXT,
	queue_id TEXT
);
CREATE INDEX msg_log_login_ts ON msg_log (login, ts, rcpts);
CREATE INDEX msg_log_ts ON msg_log (ts);

-- One row per authenticated SMTP session: the session metric.
CREATE TABLE session_log (
	login TEXT NOT NULL,
	ts INTEGER NOT NULL,
	client_addr TEXT
);
CREATE INDEX session_log_login_ts ON session_log (login, ts);
CREATE INDEX session_log_ts ON session_log (ts);

CREATE TABLE events (
	id INTEGER PRIMARY KEY,
	ts INTEGER NOT NULL,
	login TEXT,
	client_addr TEXT,
	queue_id TEXT,
	kind TEXT NOT NULL,
	action TEXT NOT NULL,
	detail TEXT
);
CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_login ON events (login, ts);

CREATE TABLE quarantine (
	id INTEGER PRIMARY KEY,
	ts INTEGER NOT NULL,
	queue_id TEXT,
	login TEXT,
	mail_from TEXT,
	rcpts TEXT,
	subject TEXT,
	reason TEXT,
	status TEXT NOT NULL DEFAULT 'held'
);
CREATE INDEX quarantine_ts ON quarantine (ts);

CREATE TABLE seen_domains (
	domain TEXT PRIMARY KEY,
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	hits INTEGER NOT NULL DEFAULT 1,
	rule TEXT
);

-- Small key/value state of the daemon (heartbeat, last prune).
CREATE TABLE daemon_state (
	key TEXT PRIMARY KEY,
	value TEXT
);

-- Policy change triggers --------------------------------------------------

CREATE TRIGGER classes_ins AFTER INSERT ON classes
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER classes_upd AFTER UPDATE ON classes
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER classes_del AFTER DELETE ON classes
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER limits_ins AFTER INSERT ON limits
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER limits_upd AFTER UPDATE ON limits
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER limits_del AFTER DELETE ON limits
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER settings_ins AFTER INSERT ON settings
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER settings_upd AFTER UPDATE ON settings
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER settings_del AFTER DELETE ON settings
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER rules_ins AFTER INSERT ON rules
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER rules_upd AFTER UPDATE ON rules
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER rules_del AFTER DELETE ON rules
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER local_domains_ins AFTER INSERT ON local_domains
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER local_domains_del AFTER DELETE ON local_domains
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER freemail_domains_ins AFTER INSERT ON freemail_domains
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER freemail_domains_del AFTER DELETE ON freemail_domains
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER protected_domains_ins AFTER INSERT ON protected_domains
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER protected_domains_del AFTER DELETE ON protected_domains
	BEGIN UPDATE policy_version SET version = version + 1; END;

-- Default policy ------------------------------------------------------------

INSERT INTO classes (name, note) VALUES
	('default', 'every login without a row in users'),
	('bulk', 'known bulk senders: ten times the default limits');

-- default: per message 100 recipients; per hour 300 recipients (header),
-- 500 (tempfail), 200 messages (tempfail); per day 2,000 recipients.
INSERT INTO limits (class, metric, window_s, threshold, action) VALUES
	('default', 'rcpt_per_msg', 0, 100, 'tempfail'),
	('default', 'rcpt', 3600, 300, 'header'),
	('default', 'rcpt', 3600, 500, 'tempfail'),
	('default', 'rcpt', 86400, 2000, 'tempfail'),
	('default', 'msg', 3600, 200, 'tempfail'),
	('bulk', 'rcpt_per_msg', 0, 1000, 'tempfail'),
	('bulk', 'rcpt', 3600, 3000, 'header'),
	('bulk', 'rcpt', 3600, 5000, 'tempfail'),
	('bulk', 'rcpt', 86400, 20000, 'tempfail'),
	('bulk', 'msg', 3600, 2000, 'tempfail');

INSERT INTO freemail_domains (domain) VALUES
	('gmail.com'), ('googlemail.com'), ('yahoo.com'), ('yahoo.co.uk'),
	('ymail.com'), ('hotmail.com'), ('hotmail.co.uk'), ('outlook.com'),
	('live.com'), ('msn.com'), ('aol.com'), ('icloud.com'), ('me.com'),
	('mail.com'), ('gmx.com'), ('gmx.net'), ('gmx.de'), ('web.de'),
	('yandex.com'), ('yandex.ru'), ('mail.ru'), ('protonmail.com'),
	('proton.me'), ('zoho.com'), ('qq.com'), ('163.com');

INSERT INTO settings (key, value) VALUES
	('header_name', 'X-Outguard'),
	('reply_tempfail', 'Your account has reached its sending limit and this mail was not sent. Your mail program will retry; if this persists or you did not send it, contact your postmaster.'),
	('reply_reject', 'Message refused by the sending policy of this site. Contact your postmaster.'),
	('reply_block', 'Sending from your account is suspended after unusual activity. Change your password and contact your postmaster.'),
	('reply_rcpt_per_msg', 'Too many recipients in one message. Send the rest in a separate message.'),
	('reply_store_error', 'Temporary local problem; please try again later.'),
	('events_keep_days', '30');
