-- policy-1k.sql - the "loaded" policy of run-bench.sh: 1,000 rules
-- spread evenly over the eleven rule fields, and 1,000 protected
-- domains.  None of it matches the benchmark's traffic, so every rule
-- and every lookalike comparison runs to the end, as for clean mail.
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
INSERT INTO rules (scope, field, pattern, action, reason)
SELECT 'any',
	CASE i % 11
		WHEN 0 THEN 'mail_from' WHEN 1 THEN 'mail_from_domain'
		WHEN 2 THEN 'from' WHEN 3 THEN 'from_domain'
		WHEN 4 THEN 'reply_to' WHEN 5 THEN 'reply_to_domain'
		WHEN 6 THEN 'rcpt' WHEN 7 THEN 'rcpt_domain'
		WHEN 8 THEN 'subject' WHEN 9 THEN 'helo'
		ELSE 'client_name' END,
	CASE i % 11
		WHEN 0 THEN '^billing-' || i || '@pay-portal-' || i || '\.example$'
		WHEN 1 THEN '^(mx|mail)\.phish-' || i || '\.example$'
		WHEN 2 THEN 'support team ' || i || '.*<.*@'
		WHEN 3 THEN '^secure-login-' || i || '\.'
		WHEN 4 THEN '^.*helpdesk-' || i || '@'
		WHEN 5 THEN '\.reply-' || i || '\.example$'
		WHEN 6 THEN '^verify-account-' || i || '@mailbox\.example$'
		WHEN 7 THEN '^dropzone-' || i || '\.example$'
		WHEN 8 THEN '(urgent|final) notice #' || i || '\b'
		WHEN 9 THEN '^bulk-' || i || '\.spam\.example$'
		ELSE '\.dyn-' || i || '\.isp\.example$' END,
	'reject', 'benchmark rule ' || i
FROM n;

WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 999)
INSERT OR IGNORE INTO protected_domains (domain, note)
SELECT 'brand' || i || 'corp.com', 'benchmark' FROM n;
