-- 008-relay.sql - quarantine.relay: the relay that holds the message
-- (SPEC 6.2).
--
-- Each daemon writes its name (RelayName, else its host name) into the
-- quarantine rows it writes; outguardctl acts through the local MTA
-- only on rows of its own relay and names the relay of the others.
-- Rows written before this migration have NULL: treated as local.
-- (Numbered 008 to sort after the other workers' 007 migrations; only
-- the order matters.)

ALTER TABLE quarantine ADD COLUMN relay TEXT;
CREATE INDEX quarantine_relay ON quarantine (relay, status);
