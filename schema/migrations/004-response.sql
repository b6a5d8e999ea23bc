-- 004-response.sql - schema version 4: account response and review.
--
-- incidents: when a login first trips a limit or check, one open row
-- gathers the trigger, the counts and the networks seen; later trips
-- attach to it (trips, updated, worst action) until an admin closes it
-- with outguardctl incidents release|delete|close.  At most one open
-- incident per login (the partial unique index).
--
-- quarantine rows name the incident they were held for and who reviewed
-- them (status: held, released, deleted, gone).
--
-- msg_log.message_id: webmail mail submitted through the sendmail binary
-- is filtered again under a new queue id on every pickup after a
-- tempfail; it is counted once per (login, Message-Id).

CREATE TABLE incidents (
	id INTEGER PRIMARY KEY,
	login TEXT NOT NULL COLLATE NOCASE,
	status TEXT NOT NULL DEFAULT 'open'
		CHECK (status IN ('open', 'released', 'deleted', 'closed')),
	opened INTEGER NOT NULL,	-- first trip, epoch seconds
	updated INTEGER NOT NULL,	-- last trip attached
	kind TEXT NOT NULL,		-- events.kind of the first trip
	action TEXT NOT NULL,		-- the most severe action so far
	trigger TEXT NOT NULL,		-- the first trip's reason
	trips INTEGER NOT NULL DEFAULT 1,
	counts TEXT,			-- the counts at the first trip
	networks TEXT,			-- client networks seen, space separated
	closed INTEGER,			-- when an admin closed it
	closed_by TEXT,			-- who
	outcome TEXT			-- what was done
);
CREATE UNIQUE INDEX incidents_open ON incidents (login) WHERE status = 'open';
CREATE INDEX incidents_opened ON incidents (opened);

ALTER TABLE quarantine ADD COLUMN incident_id INTEGER;
ALTER TABLE quarantine ADD COLUMN reviewed_by TEXT;
ALTER TABLE quarantine ADD COLUMN reviewed_at INTEGER;
CREATE INDEX quarantine_login ON quarantine (login, status);

ALTER TABLE events ADD COLUMN incident_id INTEGER;

ALTER TABLE msg_log ADD COLUMN message_id TEXT;
CREATE INDEX msg_log_message_id ON msg_log (message_id)
	WHERE message_id IS NOT NULL;

CREATE TRIGGER webmail_sources_upd AFTER UPDATE ON webmail_sources
	BEGIN UPDATE policy_version SET version = version + 1; END;
