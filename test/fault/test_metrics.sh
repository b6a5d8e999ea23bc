#!/bin/bash
# test_metrics.sh - fault_metrics: MetricsSocket serves GET /metrics
# from the real daemon, on a free loopback port.  Mail driven through
# the milter socket moves the counters to exact values: messages,
# limit tempfails, a rule hit, a lookalike, the store lookup histogram,
# a policy reload, and with the database locked by another writer the
# store errors, the degraded state and time, the writer's queue and
# the store tempfails.  Every scrape passes "promtool check metrics".
# Hostile HTTP never touches the mail path: other paths get 404, other
# methods 405, garbage bytes and an oversized header are answered or
# dropped, and while 1,000 connections (slow, garbage, real) are held
# open, milterload's messages are all decided and the daemon lives.
# Config: a spec without a host is refused with file:line, a host that
# does not resolve fails -n, a port in use stops the start; IPv6 on ::1
# when the machine has it.  No timing is asserted.
. "$(dirname "$0")/lib.sh"
e2e_require outguard sqlite3
fault_require_milterload
command -v curl >/dev/null || e2e_skip "curl not installed"
command -v promtool >/dev/null ||
	e2e_skip "promtool not installed (Debian package prometheus)"
fault_init

FLOOD_PID=
SCRAPE_N=0
SCRAPE=

# scrape - GET /metrics into a new file SCRAPE; true when HTTP 200
scrape()
{
	SCRAPE_N=$((SCRAPE_N + 1))
	SCRAPE=$E2E_TMP/scrape$SCRAPE_N.txt
	curl -sf -m 10 -o "$SCRAPE" "$URL"
}

# scrape_is NAME VALUE - a new scrape, and NAME has VALUE in it
scrape_is()
{
	scrape && [ "$(metric "$1")" = "$2" ]
}

# metric NAME{LABELS} - its value in the last scrape ("" when absent)
metric()
{
	awk -v k="$1" '$1 == k { print $2 }' "$SCRAPE"
}

# metric_sum PREFIX - the sum of the samples whose name starts PREFIX
metric_sum()
{
	awk -v p="$1" 'index($1, p) == 1 { s += $2 } END { print s + 0 }' \
		"$SCRAPE"
}

# promtool_ok - promtool check metrics on the last scrape, quiet
promtool_ok()
{
	promtool check metrics <"$SCRAPE" >"$SCRAPE.promtool" 2>&1 || {
		cat "$SCRAPE.promtool"
		return 1
	}
}

# http_code ARGS... - curl's HTTP status for a request to the port
http_code()
{
	curl -s -m 10 -o /dev/null -w '%{http_code}' "$@"
}

# raw_http BYTES - send BYTES (Python escapes) and print the first line
# of the answer ("" when the server closed without one)
raw_http()
{
	python3 - "$PORT" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=15)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin-1"))
data = b""
try:
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except OSError:
    pass
print(data.split(b"\r\n")[0].decode("latin-1"))
PY
}

# flood_stop - let the flood go, print its RESULT
flood_stop()
{
	[ -n "$FLOOD_PID" ] || return 0
	exec 7>&-
	wait "$FLOOD_PID"
	FLOOD_PID=
	cat "$E2E_TMP/flood.out"
}

say "config: the spec, the host, the port"
PORT=$(free_ports 1)
URL=http://127.0.0.1:$PORT/metrics
bad=$E2E_TMP/bad.conf
printf 'Database %s\nMetricsSocket inet:%s\n' "$E2E_TMP/bad.db" "$PORT" >"$bad"
out=$("$OUTGUARD" -n -c "$bad" 2>&1)
check "a spec without a host: exit 1" [ $? = 1 ]
check "... with file:line and what is wanted" grep -qF \
	"$bad:2: bad value for MetricsSocket: \"inet:$PORT\" (want inet:PORT@HOST" \
	<<<"$out"
printf 'Database %s\nMetricsSocket inet:%s@no-such-host.invalid\n' \
	"$E2E_TMP/bad.db" "$PORT" >"$bad"
out=$("$OUTGUARD" -n -c "$bad" 2>&1)
check "-n: a host that does not resolve is a problem" [ $? = 1 ]
check "... named" grep -q "cannot resolve no-such-host.invalid" <<<"$out"

OG_CONF_EXTRA="MetricsSocket inet:$PORT@127.0.0.1"
og_init
sql "UPDATE limits SET threshold = 3 WHERE class = 'default' AND
     metric = 'msg' AND window_s = 3600" || e2e_fatal "cannot set a limit"
out=$("$OUTGUARD" -n -c "$OG_CONF" 2>&1)
check "-n: a good MetricsSocket passes" grep -q "^outguard: ok" <<<"$out"
og_start
check "the log says where /metrics is" \
	og_log_has "serving GET /metrics on inet:$PORT@127.0.0.1"

say "the port in use: a second daemon does not start"
sec=$E2E_TMP/second.conf
printf 'Socket unix:%s\nDatabase %s\nSyslog no\nMetricsSocket inet:%s@127.0.0.1\n' \
	"$E2E_TMP/second.sock" "$E2E_TMP/second.db" "$PORT" >"$sec"
out=$("$OUTGUARD" -f -c "$sec" 2>&1)
check "exit 1" [ $? = 1 ]
check "... saying it cannot listen" \
	grep -q "MetricsSocket inet:$PORT@127.0.0.1: cannot listen" <<<"$out"

say "a fresh daemon"
check "GET /metrics: 200" scrape
check "promtool check metrics" promtool_ok
expect_eq "outguard_up" 1 "$(metric outguard_up)"
check "build info" grep -q '^outguard_build_info{version="[0-9.]*"} 1$' \
	"$SCRAPE"
check "start time" [ "$(metric process_start_time_seconds)" -gt 1000000000 ]
expect_eq "no messages yet" 0 \
	"$(metric 'outguard_messages_total{authenticated="yes"}')"
expect_eq "policy version" "$(sql "SELECT version FROM policy_version")" \
	"$(metric outguard_policy_version)"
check_fails "no per-login label" grep -q 'login=' "$SCRAPE"

say "a limit of 3 messages an hour: alice sends 5, one unauthenticated"
for q in Q1 Q2 Q3; do
	expect_eq "$q accepted" continue "$(send_one alice $q)"
done
for q in Q4 Q5; do
	got=$(send_one alice $q)
	check "$q: 451 at RCPT ($got)" [ "${got#reply 451 4.7.1 }" != "$got" ]
done
expect_eq "unauthenticated U1 accepted" continue "$(send_one "" U1)"
scrape
check "promtool check metrics" promtool_ok
expect_eq "messages, authenticated" 5 \
	"$(metric 'outguard_messages_total{authenticated="yes"}')"
expect_eq "messages, not" 1 \
	"$(metric 'outguard_messages_total{authenticated="no"}')"
expect_eq "decisions: tempfail by the limit" 2 \
	"$(metric 'outguard_decisions_total{action="tempfail",kind="limit"}')"
expect_eq "decisions: all of them" 2 "$(metric_sum outguard_decisions_total)"
expect_eq "store lookups: one per authenticated message" 5 \
	"$(metric outguard_store_read_duration_seconds_count)"
expect_eq "... each in a bucket" 5 \
	"$(metric 'outguard_store_read_duration_seconds_bucket{le="+Inf"}')"
expect_eq "no store error" 0 "$(metric outguard_store_errors_total)"
expect_eq "no reload yet" 0 "$(metric outguard_policy_reloads_total)"

say "a rule and a lookalike"
policy_edit "INSERT INTO rules (scope, field, pattern, action, reason)
	VALUES ('auth', 'subject', 'fault test R1', 'header', 'metrics');
	INSERT OR IGNORE INTO protected_domains (domain) VALUES ('paypal.com')"
got=$(send_one bob R1)
check "R1: the rule adds a header ($got)" grep -q "+header" <<<"$got"
raw >/dev/null <<EOF
connect client.test 192.0.2.20
mail <billing@paypa1.com>
qid LK1
rcpt <someone@$E2E_RCPT_DOMAIN>
quit
EOF
check "LK1: the lookalike sender is refused" raw_has "rcpt: reply 550"
scrape
check "promtool check metrics" promtool_ok
expect_eq "policy reloads" 1 "$(metric outguard_policy_reloads_total)"
expect_eq "policy version follows" \
	"$(sql "SELECT version FROM policy_version")" \
	"$(metric outguard_policy_version)"
expect_eq "rule hits: subject, authenticated" 1 \
	"$(metric 'outguard_rule_hits_total{field="subject",scope="auth"}')"
expect_eq "rule hits: all" 1 "$(metric_sum outguard_rule_hits_total)"
expect_eq "lookalike hits" 1 "$(metric_sum outguard_lookalike_hits_total)"
expect_eq "decisions: header by the rule" 1 \
	"$(metric 'outguard_decisions_total{action="header",kind="rule"}')"
expect_eq "decisions: reject of the lookalike" 1 \
	"$(metric 'outguard_decisions_total{action="reject",kind="lookalike"}')"

say "another writer locks the database"
db_lock
expect_eq "lock young: B1 accepted" continue "$(send_one carol B1)"
check "the writer gives up" \
	og_log_wait "store error: write: database is locked" 30
got=$(send_one carol B2)
check "B2: 451 4.3.0 ($got)" [ "${got#reply 451 4.3.0 }" != "$got" ]
scrape
check "promtool check metrics" promtool_ok
check "store errors counted" [ "$(metric outguard_store_errors_total)" -ge 1 ]
expect_eq "degraded" 1 "$(metric outguard_store_degraded)"
check "writes wait in the queue" \
	[ "$(metric outguard_store_write_queue_depth)" -ge 1 ]
expect_eq "decisions: tempfail by the store" 1 \
	"$(metric 'outguard_decisions_total{action="tempfail",kind="store"}')"
db_unlock
check "recovered" og_log_wait "store recovered" 30
check "no longer degraded" wait_for 20 scrape_is outguard_store_degraded 0
check "degraded time counted" awk -v v="$(metric \
	outguard_store_degraded_seconds_total)" 'BEGIN { exit !(v > 0) }'
check "the queue drains" wait_for 20 scrape_is \
	outguard_store_write_queue_depth 0

say "hostile HTTP"
expect_eq "GET /: 404" 404 "$(http_code "http://127.0.0.1:$PORT/")"
expect_eq "GET /metricsx: 404" 404 \
	"$(http_code "http://127.0.0.1:$PORT/metricsx")"
expect_eq "POST /metrics: 405" 405 "$(http_code -X POST -d x=1 "$URL")"
expect_eq "DELETE /metrics: 405" 405 "$(http_code -X DELETE "$URL")"
expect_eq "HEAD /metrics: 200" 200 "$(http_code -I "$URL")"
expect_eq "GET /metrics?x=1: 200" 200 "$(http_code "$URL?x=1")"
got=$(raw_http '\x00\xff\xfe\x16\x03\x01 garbage\r\n\r\n')
check "garbage bytes: 400 or closed ($got)" \
	[ -z "$got" -o "${got#HTTP/1.1 400}" != "$got" ]
big=$(head -c 70000 /dev/zero | tr '\0' a)
got=$(raw_http "GET /metrics HTTP/1.1\r\nX-Big: $big\r\n\r\n")
check "a 70 kB header: refused or closed ($got)" \
	[ -z "$got" -o "${got#HTTP/1.1 4}" != "$got" ]
check "the daemon lives" og_alive
check "and answers" scrape

say "1,000 connections held open while mail flows"
mkfifo "$E2E_TMP/flood.in"
python3 "$FAULT_HERE/httpflood.py" 127.0.0.1 "$PORT" 1000 \
	"$E2E_TMP/flood.ready" <"$E2E_TMP/flood.in" >"$E2E_TMP/flood.out" 2>&1 &
FLOOD_PID=$!
exec 7>"$E2E_TMP/flood.in"
check "the flood opened its connections" \
	wait_for 120 test -s "$E2E_TMP/flood.ready"
cat "$E2E_TMP/flood.ready"
ml -c 8 -n 400 -l 400 -t 30
check "milterload: every message decided" [ "$(ml_val failed)" = 0 ]
expect_eq "every message accepted" 400 "$(ml_val continue)"
check "the daemon lives" og_alive
flood_stop
check "after the flood: GET /metrics 200" wait_for 30 scrape
check "promtool check metrics" promtool_ok
expect_eq "messages counted through it all" 408 \
	"$(metric 'outguard_messages_total{authenticated="yes"}')"

og_stop
expect_eq "SIGTERM: clean exit with the HTTP thread running" 0 \
	"$OG_LAST_EXIT"

if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
	2>/dev/null; then
	say "IPv6: inet6:PORT@::1"
	PORT6=$(free_ports 1)
	# shellcheck disable=SC2034 # read by og_init
	OG_CONF_EXTRA="MetricsSocket inet6:$PORT6@::1"
	og_init
	og_start
	expect_eq "GET http://[::1]/metrics: 200" 200 \
		"$(http_code -g "http://[::1]:$PORT6/metrics")"
	og_stop
else
	say "no IPv6 loopback: inet6 not tried"
fi

fault_finish
