-- 003-networks.sql - schema version 3: client networks per login.
--
-- Every authenticated session records the client's network: the /24 of
-- an IPv4 address or the /48 of an IPv6 address (settings
-- ipv4_prefix, ipv6_prefix), or the name of a network_groups range it
-- falls in, so that a mobile carrier's many ranges count as one.  The
-- networks metric counts distinct networks per login in a window.

ALTER TABLE session_log ADD COLUMN network TEXT;
CREATE INDEX session_log_login_net ON session_log (login, network, ts);

CREATE TABLE network_groups (
	cidr TEXT NOT NULL,
	name TEXT NOT NULL
);
CREATE TRIGGER network_groups_ins AFTER INSERT ON network_groups
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER network_groups_upd AFTER UPDATE ON network_groups
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER network_groups_del AFTER DELETE ON network_groups
	BEGIN UPDATE policy_version SET version = version + 1; END;

INSERT OR IGNORE INTO settings (key, value) VALUES
	('ipv4_prefix', '24'), ('ipv6_prefix', '48');

-- A login seen from more than 5 networks in an hour is blocked: the
-- signature of a harvested password used by many machines at once.
INSERT INTO limits (class, metric, window_s, threshold, action) VALUES
	('default', 'networks', 3600, 5, 'block'),
	('bulk', 'networks', 3600, 50, 'block');
