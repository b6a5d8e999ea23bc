-- 002-forgery.sql - schema version 2: forged senders and lookalikes.
--
-- Settings for the built-in checks on authenticated mail and the
-- lookalike detector (each an action name), the reply texts they use,
-- a starter list of often-forged brands to protect, rules for the
-- forged LinkedIn hosts postmasters reported, and the triggers that make
-- the daemon reload when protected_domains or webmail_sources change.

INSERT OR IGNORE INTO settings (key, value) VALUES
	-- envelope sender outside local_domains and the login's user_senders
	('action_foreign_sender', 'reject'),
	-- envelope sender or From: in freemail_domains
	('action_freemail_sender', 'reject'),
	-- Reply-To: freemail or foreign while From: is local (also alerts)
	('action_reply_to', 'header'),
	-- From: display name names a protected brand, address elsewhere
	('action_display_name', 'header'),
	-- a lookalike of a protected domain: unauthenticated / authenticated
	('action_lookalike_inbound', 'reject'),
	('action_lookalike_outbound', 'header'),
	('reply_forged_sender', 'This sender address is not allowed for your login. Send from your own address, or ask your postmaster to add this one.'),
	('reply_lookalike', 'Message refused: the sender domain imitates a protected domain.'),
	('reply_rcpt_rule', 'Recipient address refused by the policy of this site.');

-- Often-forged brands, with the other domains they really send from: a
-- brand's own domain is never a lookalike of it, but an unlisted sibling
-- (a country domain, a sending domain) would be.  Brands that send from
-- dozens of country domains (amazon, google, ebay, yahoo, hotmail,
-- outlook) are left for the postmaster to add with their siblings.  The
-- site's own local_domains are protected as well, without a row here.
INSERT OR IGNORE INTO protected_domains (domain, note) VALUES
	('linkedin.com', 'brand'),
	('paypal.com', 'brand'),
	('docusign.com', 'brand'), ('docusign.net', 'brand: sends from'),
	('dropbox.com', 'brand'), ('dropboxmail.com', 'brand: sends from'),
	('microsoft.com', 'brand'), ('microsoftonline.com', 'brand'),
	('office.com', 'brand'), ('office365.com', 'brand'),
	('apple.com', 'brand'), ('icloud.com', 'brand'),
	('netflix.com', 'brand'),
	('walmart.com', 'brand'), ('walmart.ca', 'brand'),
	('wellsfargo.com', 'brand'), ('chase.com', 'brand'),
	('bankofamerica.com', 'brand'),
	('gmail.com', 'brand'), ('googlemail.com', 'brand'),
	('irs.gov', 'brand');

-- Hosts under linkedin.com that LinkedIn does not send from, seen in
-- phishing runs: real subdomains are never lookalikes, so rules name them.
INSERT INTO rules (scope, field, pattern, action, reason) VALUES
	('any', 'mail_from_domain', '^(emalsrv|complains)\.linkedin\.com$',
	 'reject', 'forged LinkedIn host'),
	('any', 'from_domain', '^(emalsrv|complains)\.linkedin\.com$',
	 'reject', 'forged LinkedIn host');

CREATE TRIGGER webmail_sources_ins AFTER INSERT ON webmail_sources
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER webmail_sources_del AFTER DELETE ON webmail_sources
	BEGIN UPDATE policy_version SET version = version + 1; END;
CREATE TRIGGER protected_domains_upd AFTER UPDATE ON protected_domains
	BEGIN UPDATE policy_version SET version = version + 1; END;

CREATE INDEX seen_domains_last ON seen_domains (last_seen);
