#!/bin/bash
# test_pg_schema.sh - schema/postgresql against the SQLite schema
#
# Starts a private PostgreSQL (pg_lib.sh), applies
# schema/postgresql/outguard.sql and then schema/postgresql/migrations/
# in order, has outguard -n create a SQLite
# database, and checks that the two are the same database:
#   - the harness's server listens on 127.0.0.1 only and checks passwords;
#   - every table and column of SQLite exists on PostgreSQL and the
#     other way round, but for the documented PostgreSQL-only ones;
#   - schema_version says what PRAGMA user_version says;
#   - the default policy rows are equal, table by table (sqlite3 -csv
#     against psql --csv, normalised by csvnorm.py), but for
#     settings.contact_key, random per database: 32 hex digits on both;
#   - a policy change made with psql bumps policy_version once per
#     statement and sends NOTIFY outguard_policy with the new version to
#     a listening session; a users change sends NOTIFY outguard_user
#     with the login and leaves policy_version alone;
#   - the same INSERTs into msg_log and session_log fill counts with the
#     same rows on both.
# Needs the outguard binary (OUTGUARD, else a build dir's), sqlite3,
# python3 and the PostgreSQL server; exits 77 (skip) without them.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$HERE/pg_lib.sh"

# PostgreSQL-only columns (table.column), see schema/postgresql/outguard.sql
PG_ONLY="network_groups.id reservations.id reservations.login
reservations.msgs reservations.rcpts reservations.relay reservations.ts
schema_version.id schema_version.version webmail_sources.id"


# same WHAT A B - the files A and B are equal, else show the diff
same()
{
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		bad "$1"
		diff "$2" "$3" | head -n 20
	fi
}

pg_require
command -v sqlite3 >/dev/null || pg_skip "sqlite3 not installed"
command -v python3 >/dev/null || pg_skip "python3 not installed"
OUTGUARD=${OUTGUARD:-}
if [ -z "$OUTGUARD" ]; then
	for f in "$TOP"/build*/milter/outguard; do
		[ -x "$f" ] && [ -f "$f" ] && { OUTGUARD=$f; break; }
	done
fi
[ -x "${OUTGUARD:-/nonexistent}" ] || pg_skip "outguard not built (set OUTGUARD)"

pg_start
T=$PG_TMP/t
mkdir -p "$T"
chmod 755 "$T"
pg_apply "$TOP/schema/postgresql/outguard.sql" >"$T/apply.log" 2>&1 ||
	pg_die "schema/postgresql/outguard.sql: $(cat "$T/apply.log")"
ok "schema/postgresql/outguard.sql applies as the database's owner"
for m in "$TOP"/schema/postgresql/migrations/[0-9]*.sql; do
	[ -f "$m" ] || continue
	pg_apply "$m" >"$T/apply.log" 2>&1 ||
		pg_die "$m: $(cat "$T/apply.log")"
	ok "$(basename "$m") applies after it"
done

# the harness: loopback only, and the password is checked
if command -v ss >/dev/null; then
	where=$(ss -Hltn "sport = :$PG_PORT" | awk '{print $4}' | sort -u |
		paste -sd' ' -)
	[ "$where" = "127.0.0.1:$PG_PORT" ] &&
		ok "the server listens on 127.0.0.1:$PG_PORT only" ||
		bad "the server listens on: $where"
fi
if "$(pg_psql_bin)" -X -d "postgresql://$PG_USER:wrong@127.0.0.1:$PG_PORT/$PG_DB" \
	-c "SELECT 1" >"$T/wrong.out" 2>&1; then
	bad "a wrong password was let in"
elif grep -q "password authentication failed" "$T/wrong.out"; then
	ok "a wrong password is refused"
else
	bad "a wrong password: $(cat "$T/wrong.out")"
fi

DB=$T/og.db
cat >"$T/og.conf" <<EOF
Socket unix:$T/og.sock
Database $DB
Syslog no
EOF
"$OUTGUARD" -n -c "$T/og.conf" >"$T/n.log" 2>&1 ||
	pg_die "outguard -n: $(cat "$T/n.log")"

# lite SQL - sqlite3 -csv on the SQLite database
lite()
{
	sqlite3 -bail -csv "$DB" "$@"
}
norm()
{
	python3 "$HERE/csvnorm.py"
}

# --- tables and columns -------------------------------------------------
lite "SELECT m.name || '.' || p.name FROM sqlite_master m,
	pragma_table_info(m.name) p WHERE m.type = 'table'" |
	LC_ALL=C sort >"$T/cols.lite"
pg_sql "SELECT table_name || '.' || column_name FROM
	information_schema.columns WHERE table_schema = 'public'" |
	LC_ALL=C sort >"$T/cols.pg"
echo "$PG_ONLY" | tr ' ' '\n' | LC_ALL=C sort >"$T/cols.pgonly"
LC_ALL=C comm -23 "$T/cols.lite" "$T/cols.pg" >"$T/missing"
LC_ALL=C comm -13 "$T/cols.lite" "$T/cols.pg" >"$T/extra"
[ "$(wc -l <"$T/cols.lite")" -gt 80 ] ||
	bad "SQLite's column list looks short: $(wc -l <"$T/cols.lite")"
if [ -s "$T/missing" ]; then
	bad "SQLite columns missing on PostgreSQL: $(tr '\n' ' ' <"$T/missing")"
else
	ok "every SQLite table and column ($(wc -l <"$T/cols.lite")) exists on PostgreSQL"
fi
same "PostgreSQL has no columns but the documented ones" \
	"$T/cols.pgonly" "$T/extra"

v_lite=$(lite "PRAGMA user_version")
v_pg=$(pg_sql "SELECT version FROM schema_version WHERE id = 1")
if [ "$v_lite" = "$v_pg" ] && [ -n "$v_pg" ]; then
	ok "schema_version $v_pg = SQLite's user_version"
else
	bad "schema_version '$v_pg', SQLite user_version '$v_lite'"
fi

# --- the default policy -------------------------------------------------
for t in classes limits users local_domains user_senders freemail_domains \
	rules protected_domains webmail_sources network_groups settings \
	daemon_state seen_domains incidents quarantine events msg_log \
	session_log counts; do
	cols=$(grep "^$t\." "$T/cols.lite" | sed "s/^$t\.//" | paste -sd, -)
	where=
	[ "$t" = settings ] && where="WHERE key <> 'contact_key'"
	lite "SELECT $cols FROM $t $where" | norm >"$T/$t.lite"
	pg_sql "SELECT $cols FROM $t $where" | norm >"$T/$t.pg"
	same "$t: the same $(wc -l <"$T/$t.lite") rows on both" \
		"$T/$t.lite" "$T/$t.pg"
done
[ "$(wc -l <"$T/limits.pg")" = 18 ] || bad "limits: 18 default rows"
[ "$(wc -l <"$T/settings.pg")" = 22 ] || bad "settings: 22 default rows"
k_lite=$(lite "SELECT value FROM settings WHERE key = 'contact_key'")
k_pg=$(pg_sql "SELECT value FROM settings WHERE key = 'contact_key'")
if printf '%s\n%s\n' "$k_lite" "$k_pg" | grep -Eqvx '[0-9a-f]{32}' ||
	[ "$k_lite" = "$k_pg" ]; then
	bad "contact_key: '$k_lite' and '$k_pg', not two random keys"
else
	ok "contact_key: 32 random hex digits on both"
fi

# --- a policy change: policy_version and NOTIFY -------------------------
v0=$(pg_sql "SELECT version FROM policy_version")
# one psql session listens; another (\!) changes the policy; the
# notification is printed after the listener's next command
cat >"$T/listen.sql" <<EOF
LISTEN outguard_policy;
LISTEN outguard_user;
\\! PGPASSWORD=$PG_PASSWORD $(pg_psql_bin) -X -q -d '$PG_URI' -c "UPDATE limits SET threshold = 400 WHERE class = 'default' AND metric = 'rcpt' AND action = 'header'"
SELECT 1;
\\! PGPASSWORD=$PG_PASSWORD $(pg_psql_bin) -X -q -d '$PG_URI' -c "INSERT INTO users (login, status) VALUES ('Mallory', 'blocked')"
SELECT 2;
EOF
PGPASSWORD=$PG_PASSWORD "$(pg_psql_bin)" -X -q -d "$PG_URI" \
	-f "$T/listen.sql" >"$T/listen.out" 2>&1
v1=$(pg_sql "SELECT version FROM policy_version")
if [ "$v1" = $((v0 + 1)) ]; then
	ok "an UPDATE of limits bumps policy_version once ($v0 -> $v1)"
else
	bad "policy_version $v0 -> $v1 after one UPDATE"
fi
if grep -q "notification \"outguard_policy\" with payload \"$v1\"" \
	"$T/listen.out"; then
	ok "a listening session got NOTIFY outguard_policy $v1"
else
	bad "no NOTIFY outguard_policy $v1: $(cat "$T/listen.out")"
fi
if grep -q 'notification "outguard_user" with payload "Mallory"' \
	"$T/listen.out"; then
	ok "a users change sends NOTIFY outguard_user with the login"
else
	bad "no NOTIFY outguard_user Mallory: $(cat "$T/listen.out")"
fi
[ "$(pg_sql "SELECT version FROM policy_version")" = "$v1" ] &&
	ok "a users change leaves policy_version alone" ||
	bad "a users change moved policy_version"
[ "$(pg_sql "SELECT status FROM users WHERE login = 'mallory'")" = blocked ] &&
	ok "users.login is case-insensitive (citext), as COLLATE NOCASE" ||
	bad "users.login 'mallory' does not find 'Mallory'"
pg_sql "INSERT INTO freemail_domains (domain) VALUES ('a.test'), ('b.test');
	DELETE FROM freemail_domains WHERE domain LIKE '_.test'" >/dev/null
v2=$(pg_sql "SELECT version FROM policy_version")
[ "$v2" = $((v1 + 2)) ] &&
	ok "a two-row INSERT and a DELETE: two bumps ($v1 -> $v2)" ||
	bad "policy_version $v1 -> $v2 after two statements"
for t in classes limits settings rules local_domains freemail_domains \
	protected_domains webmail_sources network_groups; do
	n=$(pg_sql "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal
		AND tgrelid = '$t'::regclass AND tgfoid = 'policy_bump'::regproc")
	[ "$n" = 1 ] || bad "$t has no policy_bump trigger"
done
ok "the nine policy tables have the policy_bump trigger"

# --- counts filled by the triggers --------------------------------------
# the same log rows on both: minutes and seconds shared by several rows,
# a network seen again later and earlier, sessions without a network
cat >"$T/log.sql" <<'EOF'
INSERT INTO msg_log (login, ts, rcpts, client_addr, queue_id) VALUES
	('alice', 1700000000, 3, '192.0.2.1', 'Q1'),
	('alice', 1700000000, 2, '192.0.2.1', 'Q2'),
	('alice', 1700000059, 1, '192.0.2.1', 'Q3'),
	('alice', 1700000060, 7, '192.0.2.1', 'Q4'),
	('alice', 1700003600, 1, '192.0.2.1', 'Q5'),
	('bob', 1700000001, 50, '198.51.100.7', 'Q6');
INSERT INTO session_log (login, ts, client_addr, network) VALUES
	('alice', 1700000000, '192.0.2.1', '192.0.2'),
	('alice', 1700000030, '192.0.2.9', '192.0.2'),
	('alice', 1700000100, '203.0.113.5', '203.0.113'),
	('alice', 1700000050, '203.0.113.6', '203.0.113'),
	('alice', 1700000200, '2001:db8::1', NULL),
	('bob', 1700000001, '198.51.100.7', '198.51.100'),
	('carol', 1700000005, '192.0.2.77', 'carrier');
EOF
lite <"$T/log.sql" || bad "the log rows do not insert into SQLite"
pg_sql <"$T/log.sql" >/dev/null || bad "the log rows do not insert into PostgreSQL"
q="SELECT login, kind, key, ts, msgs, rcpts, sessions, refused, new_rcpt,
	bounce FROM counts"
lite "$q" | norm >"$T/counts.lite"
pg_sql "$q" | norm >"$T/counts.pg"
[ "$(wc -l <"$T/counts.lite")" -ge 15 ] ||
	bad "SQLite counts has only $(wc -l <"$T/counts.lite") rows"
same "counts: the same $(wc -l <"$T/counts.pg") rows from the same log" \
	"$T/counts.lite" "$T/counts.pg"

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
