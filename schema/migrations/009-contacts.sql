-- 009-contacts.sql - schema version 9: what the detection signals of
-- version 6 write on the mail path, made cheaper.
--
-- queue_logins: the login of each message by its MTA queue id, for the
-- bounces the MailLog follower reads (a bounce names a message only by
-- its queue id).  It replaces the index msg_log_queue_id, which every
-- accepted message paid for with a random page of a 30-day index
-- (Postfix's short queue ids are in no useful order) whether or not
-- bounces were followed: the daemon writes queue_logins only when
-- MailLog is set, one row per queue id (the newest message with it),
-- pruned with msg_log (history_days).  The rows of msg_log that the
-- index served are copied, the newest of a queue id last.

DROP INDEX msg_log_queue_id;

CREATE TABLE queue_logins (
	queue_id TEXT PRIMARY KEY,
	login TEXT NOT NULL,
	ts INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX queue_logins_ts ON queue_logins (ts);

INSERT OR REPLACE INTO queue_logins (queue_id, login, ts)
	SELECT queue_id, login, ts FROM msg_log
	WHERE queue_id IS NOT NULL AND queue_id <> ''
	ORDER BY ts, rowid;
