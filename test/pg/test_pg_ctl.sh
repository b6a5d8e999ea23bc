#!/bin/bash
# NAME
#	test_pg_ctl.sh - every outguardctl command, SQLite against PostgreSQL
# SYNOPSIS
#	OUTGUARD=... OUTGUARDCTL=... PGSTORE=... bash test_pg_ctl.sh
# DESCRIPTION
#	Starts a private PostgreSQL (pg_lib.sh), makes a SQLite database
#	and a PostgreSQL one with outguard -n, fills both with the same
#	rows (msg_log, session_log, events with folded counts, incidents,
#	quarantine, users, peaks, seen_domains, rules; counts through the
#	msg_log triggers), stores one message with new recipients in each
#	through the mail path (pgstore new: the guard's store calls, the
#	writer running), which must leave its new_rcpt in its msg_log row
#	and once in counts, and runs each outguardctl command, text and
#	--json, against both: stdout, stderr and the exit status must be
#	equal (the database's name in an error is the only thing masked).
#	After each write command (block, unblock, class, reset, protected
#	add/remove, incidents close) the tables it writes are dumped from
#	both and must be equal too.  simulate must give the same report
#	(also for a new_rcpt limit that only the mail path's message trips).
#	The quarantine commands and incidents release/delete run a
#	stand-in for Postfix's tools (postqueue, postsuper, postcat in a
#	directory put first in PATH) and are compared the same way.
#	The PostgreSQL database sorts text as ICU's en-US (when the
#	server has ICU), so an ORDER BY or lower() that would differ from
#	SQLite's byte order and ASCII folding shows.
# DIAGNOSTICS
#	"ok - ..." and "FAIL - ..." lines, then "N passed, N failed"; exits
#	1 when a check failed, 77 (skip) without PostgreSQL.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/pg_lib.sh"


pg_require
OUTGUARD=${OUTGUARD:?OUTGUARD: the outguard binary}
OUTGUARDCTL=${OUTGUARDCTL:?OUTGUARDCTL: the outguardctl binary}
PGSTORE=${PGSTORE:?PGSTORE: the pgstore binary}
command -v sqlite3 >/dev/null || pg_skip "no sqlite3"
export TZ=UTC SUDO_USER=pm
pg_start
# a stand-in for Postfix's tools: both held messages are in the hold
# queue whenever asked, release and delete succeed (what they run is
# logged), so the quarantine commands do their database work on both
mkdir "$PG_TMP/bin"
cat >"$PG_TMP/bin/postqueue" <<'EOF'
#!/bin/sh
echo "postqueue $*" >>"$MTA_LOG"
[ "$1" = -j ] || exit 0
for id in QALICE1 QALICE2; do
	printf '{"queue_name": "hold", "queue_id": "%s", "sender": "a@b"}\n' "$id"
done
EOF
cat >"$PG_TMP/bin/postsuper" <<'EOF'
#!/bin/sh
echo "postsuper $*" >>"$MTA_LOG"
EOF
cat >"$PG_TMP/bin/postcat" <<'EOF'
#!/bin/sh
printf 'Subject: held %s\n\nbody\n' "$2"
EOF
chmod +x "$PG_TMP/bin/"*
export PATH=$PG_TMP/bin:$PATH MTA_LOG=$PG_TMP/mta.log
# a database that sorts text as most do in production (ICU en-US: case
# and punctuation second), so an ORDER BY that relies on the C
# collation shows; without ICU, the harness's C.UTF-8 database
if pg_super -c "CREATE DATABASE og_icu OWNER $PG_USER TEMPLATE template0
	LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'" \
	>/dev/null 2>&1; then
	PG_URI=${PG_URI%/*}/og_icu
	echo "# PostgreSQL database with ICU collation en-US"
else
	echo "# no ICU: the PostgreSQL database sorts as C.UTF-8"
fi

LITE=$PG_TMP/lite.db
printf 'Database %s\nSyslog no\n' "$LITE" >"$PG_TMP/lite.conf"
printf 'Database %s\nSyslog no\n' "$PG_URI" >"$PG_TMP/pg.conf"
"$OUTGUARD" -n -c "$PG_TMP/lite.conf" >/dev/null 2>&1 ||
	pg_die "outguard -n on SQLite failed"
"$OUTGUARD" -n -c "$PG_TMP/pg.conf" >/dev/null 2>&1 ||
	pg_die "outguard -n on PostgreSQL failed"

# both SQL - run SQL (one statement or several) on both databases
both()
{
	sqlite3 "$LITE" "$1" >/dev/null || bad "sqlite3: $1"
	pg_sql "$1" >/dev/null || bad "psql: $1"
}

# dump QUERY - the rows of QUERY from both, normalised: "same" or a diff
dump()
{
	local a b
	a=$(sqlite3 -csv "$LITE" "$1" | python3 "$HERE/csvnorm.py")
	b=$(pg_sql <<<"$1" | python3 "$HERE/csvnorm.py")
	if [ "$a" = "$b" ]; then
		echo same
	else
		diff <(echo "$a") <(echo "$b") | head -n 20
	fi
}

# same_rows WHAT QUERY - QUERY gives the same rows on both
same_rows()
{
	local d
	d=$(dump "$2")
	if [ "$d" = same ]; then
		ok "$1: same rows"
	else
		bad "$1: rows differ (< SQLite, > PostgreSQL)"
		echo "$d"
	fi
}

# tables - the tables outguardctl writes, in a comparable form
TABLES="SELECT 'u', login, class, status, coalesce(note, ''),
	CASE WHEN changed > 0 THEN 1 ELSE 0 END FROM users;
SELECT 'e', id, login, coalesce(client_addr, ''), coalesce(queue_id, ''),
	kind, action, coalesce(detail, ''), count, coalesce(incident_id, 0)
	FROM events;
SELECT 'm', login, ts, rcpts FROM msg_log;
SELECT 's', login, ts FROM session_log;
SELECT 'c', login, kind, key, msgs, rcpts, sessions FROM counts
	WHERE msgs + rcpts + sessions > 0;
SELECT 'p', domain, coalesce(note, '') FROM protected_domains;
SELECT 'i', id, login, status, coalesce(closed_by, ''),
	coalesce(outcome, ''),
	CASE WHEN closed IS NULL THEN 0 ELSE 1 END FROM incidents;
SELECT 'q', id, status, coalesce(reviewed_by, '') FROM quarantine"

LAST=
# ctl2 ARGS... - outguardctl ARGS on both: the same stdout, stderr and
# exit status (LAST: SQLite's "rc|stdout")
ctl2()
{
	local a b ra rb ea eb
	a=$("$OUTGUARDCTL" -d "$LITE" "$@" 2>"$PG_TMP/ea")
	ra=$?
	b=$("$OUTGUARDCTL" -d "$PG_URI" "$@" 2>"$PG_TMP/eb")
	rb=$?
	ea=$(sed "s|$LITE|DB|g" "$PG_TMP/ea")
	eb=$(sed "s|$PG_URI|DB|g; s|postgresql://outguard:\*\*\*@[^ ]*|DB|g" \
		"$PG_TMP/eb")
	LAST="$ra|$a"
	if [ "$a" = "$b" ] && [ "$ra" = "$rb" ] && [ "$ea" = "$eb" ]; then
		ok "outguardctl $* (exit $ra, $(printf '%s' "$a" | wc -l) lines)"
	else
		bad "outguardctl $*: differs (< SQLite, > PostgreSQL)"
		diff <(printf '%s\nexit %s\n%s\n' "$a" "$ra" "$ea") \
			<(printf '%s\nexit %s\n%s\n' "$b" "$rb" "$eb") | head -n 30
	fi
}

# want_rc RC WHAT - the last ctl2 exited RC on SQLite (and so on both)
want_rc()
{
	if [ "${LAST%%|*}" = "$1" ]; then
		ok "$2: exit $1"
	else
		bad "$2: exit ${LAST%%|*}, want $1: ${LAST#*|}"
	fi
}

# both ways - text and --json, exit 0
ctl_both()
{
	ctl2 "$@"
	want_rc 0 "$*"
	ctl2 --json "$@"
	want_rc 0 "--json $*"
}

# --- the same fixture in both ----------------------------------------------
now=$(date +%s)
day=$((now / 86400))
# a message through the mail path (pgstore new: the guard's calls, with
# the writer), first: SQLite's writer prunes old rows as it runs, and the
# fixture's old rows must stay
for db in "$LITE" "$PG_URI"; do
	"$PGSTORE" "$db" new ivan $((now - 250)) 12 9 ||
		bad "pgstore new on ${db%%:*}"
done
both "UPDATE limits SET threshold = threshold / 2 WHERE metric = 'rcpt' AND
	window_s = 3600 AND threshold IN (600, 1000, 6000, 10000);
UPDATE limits SET baseline_factor = 2 WHERE class = 'default' AND
	metric = 'rcpt' AND window_s = 3600 AND threshold = 500;
INSERT INTO msg_log (login, ts, rcpts) VALUES
	('alice', $now - 100, 250), ('alice', $now - 200, 60),
	('alice', $now - 7200, 1000), ('bob', $now - 50, 5),
	('bob', $now - 60, 7), ('dave', $now - 90000, 3),
	('Erin', $now - 30, 4);
INSERT INTO session_log (login, ts) VALUES ('alice', $now - 100),
	('carol', $now - 10), ('carol', $now - 20), ('erin', $now - 30);
INSERT INTO peaks (login, metric, window_s, day, peak) VALUES
	('alice', 'rcpt', 3600, $day - 1, 400),
	('alice', 'rcpt', 3600, $day - 2, 900),
	('alice', 'rcpt', 3600, $day - 3, 300),
	('alice', 'rcpt', 3600, $day, 5000),
	('alice', 'rcpt', 3600, $day - 40, 2000);
INSERT INTO users (login, class, status, note, changed) VALUES
	('frank', 'bulk', 'watch', 'newsletter', $now - 1000),
	('gina', 'default', 'blocked', NULL, $now - 2000),
	('ivy', 'gone', 'active', 'class deleted', $now - 3000);
INSERT INTO incidents (login, opened, updated, kind, action, trigger,
	trips, counts, networks) VALUES
	('alice', $now - 500, $now - 400, 'limit', 'block',
	 'networks 6>5/3600s class=default', 3, 'msg 5/1h',
	 '127.1.0.0/24 127.2.0.0/24'),
	('bob', $now - 300, $now - 300, 'limit', 'header',
	 'rcpt 301>300/3600s', 1, NULL, NULL),
	('carol', $now - 90000, $now - 90000, 'rule', 'reject', 'old', 1,
	 NULL, NULL);
UPDATE incidents SET status = 'closed', closed = $now - 80000,
	closed_by = 'pm', outcome = 'old news' WHERE login = 'carol';
INSERT INTO quarantine (ts, queue_id, login, mail_from, rcpts, subject,
	reason, incident_id) VALUES
	($now - 450, 'QALICE1', 'alice', 'alice@example.org',
	 'x@example.com y@example.net', 'hello', 'rcpt 1>0', 1),
	($now - 440, 'QALICE2', 'alice', 'alice@example.org',
	 'z@example.com', 'again', 'rcpt 2>0', 1);
INSERT INTO events (ts, login, client_addr, queue_id, kind, action,
	detail, count, incident_id) VALUES
	($now - 500, 'alice', '192.0.2.1', 'Q1', 'limit', 'block',
	 'networks 6>5', 1, 1),
	($now - 400, 'alice', '192.0.2.1', NULL, 'limit', 'tempfail',
	 'rcpt 301>300/3600s', 37, 1),
	($now - 7200, 'bob', '192.0.2.7', '4XyZ1', 'limit', 'tempfail',
	 'rcpt 501>500/3600s class=default', 1, NULL),
	($now - 60, 'Bob', NULL, NULL, 'rule', 'reject', 'rule 3', 5, NULL),
	($now - 90000, 'dave', NULL, NULL, 'forgery', 'header', 'old', 1,
	 NULL);
INSERT INTO events (ts, login, kind, action, detail) VALUES
	($now - 70, 'zoë', 'rule', 'header', 'tab	here \"quoted\" € ''x''');
INSERT INTO msg_log (login, ts, rcpts, new_rcpt) VALUES
	('hank', $now - 400, 30, 25), ('hank', $now - 300, 40, 38);
INSERT INTO session_log (login, ts, network) VALUES
	('hank', $now - 400, '198.51.100.0/24'),
	('hank', $now - 300, '203.0.113.0/24');
INSERT INTO counts (login, kind, key, ts, refused, bounce) VALUES
	('hank', 0, '$(((now - 600) / 60))', $(((now - 600) / 60 * 60)), 7, 3);
INSERT INTO msg_log (login, ts, rcpts) VALUES ('ab-c', $now - 20, 9),
	('abc', $now - 20, 9), ('Ab_d', $now - 20, 9), ('abd', $now - 20, 9);
INSERT INTO protected_domains (domain, note) VALUES ('ab.com', NULL),
	('a-b.com', 'dash'), ('a.b.com', NULL), ('Zeta.com', 'upper'),
	('zet.com', NULL);
INSERT INTO seen_domains (domain, first_seen, last_seen, hits, rule)
	VALUES ('paypa1.com', $now - 3000, $now - 100, 4, 'lookalike paypal'),
	('examp1e.org', $now - 200000, $now - 150000, 1, NULL),
	('a-b.net', $now - 3000, $now - 100, 1, NULL),
	('ab.net', $now - 3000, $now - 100, 1, NULL),
	('Ab.org', $now - 3000, $now - 100, 1, NULL);
INSERT INTO rules (id, field, pattern, reason) VALUES
	(10, 'subject', '(unclosed', 'broken on purpose');
INSERT INTO rules (id, enabled, field, pattern, action) VALUES
	(11, 0, 'helo', '[z-a]', 'reject'), (12, 0, 'helo', 'x', 'frob'),
	(13, 0, 'helo', '^ok$', 'header')"
same_rows "fixture" "$TABLES"

# --- the message of the mail path: its new recipients are in its
# msg_log row and in counts once, on both stores
NEWQ="SELECT login, ts, rcpts, new_rcpt FROM msg_log WHERE login = 'ivan';
SELECT kind, sum(msgs), sum(rcpts), sum(new_rcpt) FROM counts
	WHERE login = 'ivan' GROUP BY kind ORDER BY kind"
same_rows "a message with new recipients" "$NEWQ"
v=$(pg_sql "SELECT string_agg(new_rcpt::text, ' ') FROM msg_log
	WHERE login = 'ivan'")
[ "$v" = 9 ] && ok "PostgreSQL's msg_log row has new_rcpt 9" ||
	bad "PostgreSQL's msg_log new_rcpt: '$v', want 9"
v=$(pg_sql "SELECT kind || ':' || sum(new_rcpt) FROM counts
	WHERE login = 'ivan' GROUP BY kind ORDER BY kind" | paste -sd' ' -)
[ "$v" = "0:9 1:9" ] && ok "PostgreSQL's counts have new_rcpt 9 once" ||
	bad "PostgreSQL's counts new_rcpt by kind: '$v', want 0:9 1:9"

# --- read commands ---------------------------------------------------------
for login in alice Alice bob carol dave erin frank gina hank ivy zoë nobody; do
	ctl_both status "$login"
done
ctl_both top
ctl_both top --window 3h --limit 1
ctl_both top --window 2d
ctl_both top --window 30m
ctl_both events
ctl_both events --login BOB
ctl_both events --since 2d --limit 3
ctl_both events --login nobody
ctl_both events --login ZOË
ctl_both events --login zoë
ctl_both rules list
ctl_both rules test paypal-login.com
ctl_both rules test "Subject: hello"
ctl_both protected list
ctl_both seen
ctl_both seen --since 30d --limit 1
ctl_both incidents list
ctl_both incidents list --all
ctl_both incidents list --all --login CAROL --since 2d
ctl_both incidents show 1
ctl_both incidents show 3
ctl2 incidents show 99
want_rc 1 "incidents show 99"
ctl2 status
want_rc 2 "status without a login"

# --- simulate ---------------------------------------------------------------
cat >"$PG_TMP/tight.sql" <<'EOF'
UPDATE limits SET threshold = 5 WHERE metric = 'rcpt' AND window_s = 3600;
EOF
ctl_both simulate --since $((now - 86400)) "$PG_TMP/tight.sql"
ctl_both simulate --since $((now - 3 * 3600)) "$PG_TMP/tight.sql"
cat >"$PG_TMP/users.sql" <<'EOF'
UPDATE users SET status = 'blocked' WHERE login = 'frank';
INSERT INTO users (login, class, status) VALUES ('hank', 'bulk', 'watch');
INSERT INTO limits (class, metric, window_s, threshold, action)
	VALUES ('default', 'session', 3600, 1, 'reject');
EOF
ctl_both simulate --since $((now - 86400)) "$PG_TMP/users.sql"
# the new_rcpt limit, tripped by ivan's message of the mail path only
# when its new recipients are replayed
cat >"$PG_TMP/newrcpt.sql" <<'EOF'
UPDATE limits SET threshold = 8 WHERE metric = 'new_rcpt';
EOF
ctl_both simulate --since $((now - 3600)) "$PG_TMP/newrcpt.sql"
printf '%s\n' "${LAST#*|}" | grep -q 'ivan.*new_rcpt' &&
	ok "simulate: ivan trips new_rcpt" ||
	bad "simulate: ivan does not trip new_rcpt: ${LAST#*|}"
printf '' >"$PG_TMP/empty.sql"
ctl_both simulate --since $((now - 2 * 86400)) "$PG_TMP/empty.sql"
cat >"$PG_TMP/bad.sql" <<'EOF'
UPDATE nosuch SET x = 1;
EOF
ctl2 simulate "$PG_TMP/bad.sql"
want_rc 2 "simulate with bad SQL"
same_rows "simulate changes nothing" "$TABLES"

# --- write commands: the same output, the same rows ------------------------
# each pair runs on SQLite first, then PostgreSQL, maybe a second apart:
# TABLES leaves out the times they write, and settle_times sets them to
# now in both before the read commands that show them

# settle_times - the times written by the commands so far, now in both
settle_times()
{
	both "UPDATE users SET changed = $now WHERE changed >= $now;
UPDATE events SET ts = $now WHERE ts >= $now;
UPDATE incidents SET closed = $now WHERE closed >= $now;
UPDATE quarantine SET reviewed_at = $now WHERE reviewed_at >= $now"
}
ctl2 block Alice phished on friday
want_rc 0 "block"
same_rows "block" "$TABLES"
ctl2 --json unblock ALICE
want_rc 0 "unblock"
ctl2 block gina
want_rc 0 "block an already blocked login"
ctl2 unblock nobody2
ctl2 class alice nosuch
want_rc 1 "class to an unknown class"
ctl2 class Carol BULK
want_rc 0 "class"
ctl2 --json class frank default
want_rc 0 "class --json"
same_rows "unblock, class" "$TABLES"
ctl2 reset alice
want_rc 0 "reset"
ctl2 --json reset erin
want_rc 0 "reset --json"
same_rows "reset" "$TABLES"
settle_times
ctl_both status alice
ctl_both status erin
ctl2 protected add Examp1e.COM look alike
want_rc 0 "protected add"
ctl2 protected add examp1e.com again
ctl2 --json protected add paypa1.net
want_rc 0 "protected add --json"
same_rows "protected add" "$TABLES"
ctl2 protected remove EXAMP1E.com
want_rc 0 "protected remove"
ctl2 protected remove examp1e.com
ctl2 protected add 'not a domain!'
want_rc 1 "protected add a bad domain"
same_rows "protected remove" "$TABLES"
ctl_both protected list
ctl2 incidents close 2 false alarm
want_rc 0 "incidents close"
ctl2 --json incidents close 2
same_rows "incidents close" "$TABLES"
settle_times
ctl_both incidents list --all
ctl_both events --limit 100
ctl_both top
ctl_both simulate --since $((now - 86400)) "$PG_TMP/tight.sql"

# --- quarantine (on both, through the stand-in MTA) ------------------------
ctl_both quarantine list
ctl_both quarantine list --all
ctl_both quarantine show 1
ctl_both quarantine show QALICE2
ctl2 quarantine release 1
want_rc 0 "quarantine release"
ctl2 --json quarantine delete QALICE2
want_rc 0 "quarantine delete"
same_rows "quarantine release, delete" "$TABLES"
both "UPDATE quarantine SET status = 'held', reviewed_by = NULL,
	reviewed_at = NULL"
ctl2 incidents release 1
want_rc 0 "incidents release"
same_rows "incidents release" "$TABLES"
ctl2 incidents delete 1
want_rc 1 "incidents delete after release"
: >"$MTA_LOG"
both "UPDATE quarantine SET status = 'held', reviewed_by = NULL,
	reviewed_at = NULL;
UPDATE incidents SET status = 'open', closed = NULL WHERE id = 1"
ctl2 --json incidents delete 1
want_rc 0 "incidents delete"
same_rows "incidents delete" "$TABLES"
settle_times
ctl_both quarantine list --all
ctl_both incidents show 1

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
