#!/bin/bash
# NAME
#	test_ctl_rules.sh - outguardctl rules, protected and seen
# SYNOPSIS
#	bash test_ctl_rules.sh OUTGUARD OUTGUARDCTL
# DESCRIPTION
#	Creates a database with "outguard -n" (the default policy: two
#	rules for forged LinkedIn hosts, a list of protected brands and of
#	freemail providers), then checks what "rules list", "rules test",
#	"protected add|remove|list" and "seen" print (text and JSON) and
#	what they write.  Each check says "got X, want Y" when it fails.
#	Needs sqlite3 and python3.
# DIAGNOSTICS
#	Ends with "N passed, N failed"; exits 1 when a check failed.
. "$(dirname "$0")/ctl_lib.sh" test_ctl_rules "$@"

ctl_make_db
LI='^(emalsrv|complains)\.linkedin\.com$'

# --- rules list ------------------------------------------------------------
ctl rules list --json
check "rules list exits 0" "$rc" 0
check "rules list default rules" \
	"$(json '"\n".join("%s %s %s %s" % (r["id"], r["field"], r["pattern"],
		r["compiles"]) for r in d)')" \
	"1 mail_from_domain $LI True
2 from_domain $LI True"
check "rules list fields" \
	"$(json '[d[0][k] for k in ("enabled", "scope", "action", "reason", "error")]')" \
	"[True, 'any', 'reject', 'forged LinkedIn host', None]"
ctl rules list
check "rules list text" "$out" \
"ID  ENABLED  SCOPE  FIELD             ACTION  PATTERN                               REASON                COMPILES
 1  yes      any    mail_from_domain  reject  $LI  forged LinkedIn host  yes
 2  yes      any    from_domain       reject  $LI  forged LinkedIn host  yes"

sql "INSERT INTO rules (id, field, pattern, reason) VALUES
	(10, 'subject', '(unclosed', 'broken on purpose');
INSERT INTO rules (id, enabled, field, pattern, action) VALUES
	(11, 0, 'helo', '[z-a]', 'reject'), (12, 0, 'helo', 'x', 'frob'),
	(13, 0, 'helo', '^ok$', 'header')"
ctl rules list --json
check "broken rule marked" \
	"$(json '[(r["id"], r["compiles"], r["error"]) for r in d if r["id"] >= 10]')" \
	"[(10, False, 'missing closing parenthesis at offset 9'), (11, False, 'range out of order in character class at offset 3'), (12, False, 'unknown action \"frob\"'), (13, True, None)]"
ctl rules list
contains "broken rule text" "$out" \
	"broken on purpose     BROKEN: missing closing parenthesis at offset 9"
contains "disabled rule text" "$out" "13  no       any    helo"
ctl rules list extra
check "rules list extra word exits 2" "$rc" 2
ctl rules
check "rules alone exits 2" "$rc" 2
contains "rules usage" "$err" "rules list | test TEXT"

# --- rules test ------------------------------------------------------------
ctl rules test emalsrv.linkedin.com --json
check "rules test exits 0" "$rc" 0
contains "rules test warns of the broken rule" "$err" \
	"warning: 1 rule cannot be used"
check "rules test forged host" \
	"$(json '"\n".join("|".join(str(r[k]) for k in ("id", "field", "scope",
		"action", "reason", "pattern")) for r in d["rules"])')" \
	"1|mail_from_domain|any|reject|forged LinkedIn host|$LI
2|from_domain|any|reject|forged LinkedIn host|$LI"
check "rules test forged host domain" \
	"$(json '(d["domain"], d["lookalike"], d["local"], d["freemail"], d["protected"], d["protected_by"])')" \
	"('emalsrv.linkedin.com', None, False, False, True, 'linkedin.com')"
ctl rules test emalsrv.linkedin.com
contains "rules test text lists rule 1" "$out" \
	" 1  mail_from_domain  any    reject  text     forged LinkedIn host  $LI"
contains "rules test text lists rule 2" "$out" \
	" 2  from_domain       any    reject  text     forged LinkedIn host  $LI"
contains "rules test text within" "$out" "Protected: yes, within linkedin.com"
contains "rules test text not a lookalike" "$out" \
	"Lookalike: not a lookalike"

ctl rules test 'Mallory <info@COMPLAINS.linkedin.com>' --json
check "rules test address: domain rules run on its domain" \
	"$(json '[(r["id"], r["matched"]) for r in d["rules"]], d["domain"]')" \
	"([(1, 'domain'), (2, 'domain')], 'complains.linkedin.com')"

ctl rules test news@linkedinmail.net --json
check "rules test lookalike exits 0" "$rc" 0
check "rules test lookalike" \
	"$(json 'd["rules"], d["domain"], d["lookalike"]["kind"], d["lookalike"]["protected_domain"]')" \
	"([], 'linkedinmail.net', 'brand_word', 'linkedin.com')"
contains "rules test lookalike reason" "$(json 'd["lookalike"]["reason"]')" \
	"linkedinmail.net"
ctl rules test news@linkedinmail.net
contains "rules test text no rule" "$out" "no rule matches"
contains "rules test text lookalike" "$out" \
	"Lookalike: yes, brand_word of linkedin.com"

ctl rules test gmail.com --json
check "rules test gmail.com" \
	"$(json 'd["freemail"], d["protected"], d["lookalike"], d["local"]')" \
	"(True, True, None, False)"
ctl rules test gmail.com
contains "rules test text freemail" "$out" "Freemail:  yes"
contains "rules test text protected" "$out" "Protected: yes"

ctl rules test Urgent invoice attached --json
check "rules test words: no domain" \
	"$(json 'd["text"], d["domain"], d["rules"], d["lookalike"], d["protected"]')" \
	"('Urgent invoice attached', None, [], None, False)"
sql "INSERT INTO rules (id, field, pattern, action, reason) VALUES
	(20, 'subject', 'urgent\s+invoice', 'quarantine', 'invoice lure')"
ctl rules test Urgent invoice attached
contains "rules test subject rule" "$out" \
	"20  subject  any    quarantine  text     invoice lure"
contains "rules test text no domain" "$out" "No domain in the text"
ctl rules test
check "rules test without TEXT exits 2" "$rc" 2
ctl --json rules test -- -x
check "rules test -- TEXT" "$rc:$(json 'd["text"]')" "0:-x"

# --- protected -------------------------------------------------------------
v0=$(sql "SELECT version FROM policy_version")
ctl protected add Example-Bank.COM our own bank
check "protected add exits 0" "$rc" 0
check "protected add output" "$out" "example-bank.com: protected"
check "protected add row" \
	"$(sql "SELECT domain, note FROM protected_domains WHERE domain LIKE '%bank.com' AND note NOT LIKE 'brand'")" \
	"example-bank.com|our own bank"
check "protected add event" \
	"$(sql "SELECT coalesce(login, '-'), kind, action, detail FROM events ORDER BY id DESC LIMIT 1")" \
	"-|admin|protect|example-bank.com: our own bank"
check "protected add bumps policy_version" \
	"$(sql "SELECT version > $v0 FROM policy_version")" 1
ctl protected add EXAMPLE-bank.com. --json
check "protected add again exits 0" "$rc" 0
check "protected add again json" "$(json 'd')" \
	"{'domain': 'example-bank.com', 'protected': True, 'changed': False}"
ctl protected add example-bank.com
check "protected add again says so" "$out" \
	"example-bank.com: already protected"
check "protected add again: no event" \
	"$(sql "SELECT count(*) FROM events WHERE action = 'protect'")" 1
ctl protected list --json
check "protected list has it" \
	"$(json '[r for r in d if r["domain"] == "example-bank.com"]')" \
	"[{'domain': 'example-bank.com', 'note': 'our own bank'}]"
check "protected list has the brands" \
	"$(json '"linkedin.com" in [r["domain"] for r in d]')" True
ctl protected list
contains "protected list text" "$out" "example-bank.com     our own bank"

ctl rules test examp1e-bank.com --json
check "rules test new protected domain" \
	"$(json 'd["lookalike"]["protected_domain"]')" example-bank.com
ctl rules test www.example-bank.com --json
check "rules test its subdomain" \
	"$(json 'd["lookalike"], d["protected_by"]')" "(None, 'example-bank.com')"

ctl protected add 'not a domain!'
check "protected add invalid exits 1" "$rc" 1
check "protected add invalid message" "$err" \
	'outguardctl: "not a domain!" is not a valid domain name'
ctl protected add co.uk
check "protected add public suffix exits 1" "$rc" 1
contains "protected add public suffix message" "$err" "co.uk cannot be protected"
check "protected add refused: no row" \
	"$(sql "SELECT count(*) FROM protected_domains WHERE domain IN ('co.uk', 'not a domain!')")" 0
ctl protected add
check "protected add without DOMAIN exits 2" "$rc" 2

ctl protected remove EXAMPLE-BANK.com
check "protected remove exits 0" "$rc" 0
check "protected remove output" "$out" "example-bank.com: no longer protected"
check "protected remove row" \
	"$(sql "SELECT count(*) FROM protected_domains WHERE domain = 'example-bank.com'")" 0
check "protected remove event" \
	"$(sql "SELECT kind, action, detail FROM events ORDER BY id DESC LIMIT 1")" \
	"admin|unprotect|example-bank.com"
ctl protected remove example-bank.com
check "protected remove twice exits 1" "$rc" 1
check "protected remove twice message" "$err" \
	"outguardctl: example-bank.com: not protected"
ctl rules test examp1e-bank.com --json
check "rules test after remove" "$(json 'd["lookalike"]')" None
sql "INSERT INTO protected_domains (domain) VALUES ('bad domain!')"
ctl protected remove 'bad domain!'
check "protected remove a junk row by its text" "$rc" 0
ctl protected remove 'bad domain!'
check "protected remove junk twice exits 1" "$rc" 1
ctl protected frob
check "protected bad subcommand exits 2" "$rc" 2

# --- seen ------------------------------------------------------------------
ctl seen
check "seen empty" "$out" "$(printf '%s\n%s' \
	"DOMAIN  FIRST SEEN  LAST SEEN  HITS  RULE" "(none)")"
now=$(date +%s)
sql "INSERT INTO seen_domains (domain, first_seen, last_seen, hits, rule)
	VALUES ('linkedinmail.net', $now - 7200, $now - 60, 5,
	'lookalike brand_word'),
	('examp1e-bank.com', $now - 100, $now - 100, 1,
	'lookalike confusable'),
	('old.example', $now - 200000, $now - 90000, 3, NULL)"
ctl seen --json
check "seen exits 0" "$rc" 0
valid "seen"
check "seen newest first" "$(rows 'r["domain"]')" \
	"['examp1e-bank.com', 'linkedinmail.net', 'old.example']"
check "seen fields" \
	"$(json '[d[1][k] for k in ("first_seen_ts", "last_seen_ts", "hits", "rule")]')" \
	"[$((now - 7200)), $((now - 60)), 5, 'lookalike brand_word']"
check "seen time" "$(json 'd[1]["first_seen"]')" \
	"$(date -u -d @$((now - 7200)) +%Y-%m-%dT%H:%M:%S+00:00)"
check "seen null rule" "$(json 'd[2]["rule"]')" None
ctl seen --since 3h --json
check "seen --since" "$(rows 'r["domain"]')" \
	"['examp1e-bank.com', 'linkedinmail.net']"
ctl seen --limit 1
f=$(date -u -d @$((now - 100)) +%Y-%m-%dT%H:%M:%S+00:00)
check "seen text" "$out" \
"DOMAIN            FIRST SEEN                 LAST SEEN                  HITS  RULE
examp1e-bank.com  $f  $f     1  lookalike confusable"
ctl seen --limit x
check "seen bad limit exits 2" "$rc" 2
ctl seen --since yesterday
check "seen bad --since exits 2" "$rc" 2

# --- every JSON output parses ---------------------------------------------
for args in "rules list" "rules test emalsrv.linkedin.com" \
	"rules test xn--pypal-4ve.com" "protected list" \
	"protected add example.org" "protected remove example.org"; do
	ctl $args --json
	valid "$args"
done
ctl rules test xn--pypal-4ve.com --json
check "rules test punycode" "$(json 'd["unicode"], d["lookalike"]["protected_domain"]')" \
	"('pаypal.com', 'paypal.com')"

ctl_finish
