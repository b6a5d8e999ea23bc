-- 009-contacts.sql - schema version 9 on PostgreSQL: the twin of
-- schema/migrations/009-contacts.sql (read it for the why).
--
-- queue_logins: the login of each message by its queue id, written
-- only when MailLog is set, for the bounces the follower reads.  On
-- SQLite it replaces the index msg_log_queue_id; PostgreSQL keeps its
-- index for now (the detection state there, lib/store_pg_detect.c,
-- may still join on it) and gets the table, so that both databases
-- have the same tables.  Apply in one transaction, after 006.

CREATE TABLE queue_logins (
	queue_id text PRIMARY KEY,
	login text NOT NULL,
	ts bigint NOT NULL
);
CREATE INDEX queue_logins_ts ON queue_logins (ts);

INSERT INTO queue_logins (queue_id, login, ts)
	SELECT DISTINCT ON (queue_id) queue_id, login, ts FROM msg_log
	WHERE queue_id IS NOT NULL AND queue_id <> ''
	ORDER BY queue_id, ts DESC;

UPDATE schema_version SET version = 9 WHERE id = 1;
