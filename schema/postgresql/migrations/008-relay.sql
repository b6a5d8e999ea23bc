-- 008-relay.sql - quarantine.relay on PostgreSQL: the twin of
-- schema/migrations/008-relay.sql (read it for the why).
--
-- The relay that holds a quarantined message: the daemon's RelayName,
-- else its host name; NULL on rows from before (treated as local).
-- outguardctl lists a relay's held rows with the index.

ALTER TABLE quarantine ADD COLUMN relay text;
CREATE INDEX quarantine_relay ON quarantine (relay, status);

UPDATE schema_version SET version = version + 1 WHERE id = 1;
