# lib.sh - the end-to-end test harness: a private Postfix on loopback,
# smtp-sink as the final hop, Cyrus SASL users, and the outguard daemon.
#
# Source it from a test script (bash, as root):
#
#	. "$(dirname "$0")/lib.sh"
#	e2e_require postfix swaks        # exit 77 (skip) when not possible
#	e2e_init                         # temp dir, cleanup trap
#	og_init; sql "UPDATE limits ..."; og_start
#	pf_start "$OG_SOCK"
#	send_auth alice --to x@example.net
#	check "delivered" sink_wait 1
#	e2e_finish                       # "N passed, N failed", exit status
#
# Everything it starts (smtp-sink, the Postfix master, outguard) is
# recorded by PID and stopped by PID in the EXIT trap; the temp dir is
# removed unless KEEP=1.  Only 127.0.0.1 is used.  Nothing outside the
# temp dir is touched: the system Postfix is never configured or started.
# When the daemon is stopped, a sanitizer report in its log (a build with
# -DOUTGUARD_SANITIZE=ON) is a failed check.
#
# Names a test can rely on:
#   E2E_TMP        the temp dir
#   PF_DIR         current Postfix instance dir; PF_CONF its config dir
#   PF_SMTP_PORT   listener without SASL (relays only for relay.test)
#   PF_SUB_PORT    submission listener with SASL (alice, bob, carol/secret)
#   PF_HOSTNAME    myhostname, also the SASL realm (logins are bare names)
#   SINK_PORT SINK_DIR   smtp-sink and its dump files (one per transaction)
#   OG_CONF OG_DB OG_SOCK OG_LOG OG_PID   the outguard daemon
#   OG_LAST_EXIT   exit status of the daemon og_stop last stopped
#   SWAKS_OUT      transcript of the last send_auth/send_unauth
#   E2E_DOMAIN     the users' own domain (example.test)
#   E2E_RCPT_DOMAIN  remote recipients' domain (example.net)
#   E2E_RELAY_DOMAIN a domain Postfix accepts without AUTH (relay.test)
#   PF_MAIN_EXTRA  set before pf_start: lines appended to main.cf
#   PF_MASTER_EXTRA  set before pf_start: more master.cf lines, e.g. from
#                  pf_load_listener (a listener for smtp-source load)

# shellcheck shell=bash disable=SC2034
set -u

E2E_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_ROOT=$(cd "$E2E_HERE/../.." && pwd)
E2E_DOMAIN=example.test
E2E_RCPT_DOMAIN=example.net
E2E_RELAY_DOMAIN=relay.test
E2E_PASSWORD=secret
E2E_USERS=${E2E_USERS:-"alice bob carol"}

E2E_TMP=
E2E_PASS=0
E2E_FAIL=0
E2E_SEQ=0
PF_DIR=
PF_CONF=
PF_MASTER_PID=
PF_N=0
PF_SMTP_PORT=
PF_SUB_PORT=
PF_HOSTNAME=
SINK_PID=
SINK_PORT=
SINK_DIR=
OG_PID=
OG_LAST_EXIT=
E2E_PIDS=
OG_N=0
OG_CONF=
OG_DB=
OG_SOCK=
OG_LOG=
SWAKS_OUT=

# --- general ---------------------------------------------------------

# say - a progress line on stderr, prefixed with the test name
say()
{
	echo "[$(basename "$0" .sh)] $*" >&2
}

# e2e_fatal - report a setup failure with diagnostics and exit 1
e2e_fatal()
{
	echo "FATAL: $*" >&2
	e2e_diag
	exit 1
}

# e2e_skip - exit 77, which ctest reports as skipped
e2e_skip()
{
	echo "SKIP: $*"
	exit 77
}

# e2e_require - skip unless root and the named features are present
# (postfix, swaks, sasl, outguard, outguardctl, sqlite3)
e2e_require()
{
	local what
	[ "$(id -u)" = 0 ] || e2e_skip "end-to-end tests need root"
	for what in "$@"; do
		case $what in
		postfix)
			for p in postfix postconf postqueue postsuper smtp-sink \
				script; do
				command -v "$p" >/dev/null ||
					e2e_skip "$p not installed"
			done
			getent passwd postfix >/dev/null ||
				e2e_skip "no postfix user"
			;;
		swaks)
			command -v swaks >/dev/null || e2e_skip "swaks not installed"
			;;
		sasl)
			command -v saslpasswd2 >/dev/null ||
				e2e_skip "saslpasswd2 (sasl2-bin) not installed"
			;;
		sqlite3)
			command -v sqlite3 >/dev/null ||
				e2e_skip "sqlite3 not installed"
			;;
		outguard)
			OUTGUARD=${OUTGUARD:-$(e2e_find_binary outguard)}
			[ -x "${OUTGUARD:-/nonexistent}" ] ||
				e2e_skip "outguard binary not found (set OUTGUARD)"
			;;
		outguardctl)
			OUTGUARDCTL=${OUTGUARDCTL:-$(e2e_find_binary outguardctl)}
			[ -x "${OUTGUARDCTL:-/nonexistent}" ] ||
				e2e_skip "outguardctl not found (set OUTGUARDCTL)"
			;;
		*)
			e2e_fatal "e2e_require: unknown feature $what"
			;;
		esac
	done
}

# e2e_track - PID: a helper process the test started, stopped at exit
e2e_track()
{
	E2E_PIDS="$E2E_PIDS $1"
}

# e2e_find_binary - a built program NAME in a build dir of the tree, or ""
e2e_find_binary()
{
	local f
	for f in "$E2E_ROOT"/build*/"$1" "$E2E_ROOT"/build*/milter/"$1"; do
		[ -x "$f" ] && { echo "$f"; return; }
	done
	echo ""
}

# e2e_init - make the temp dir and install the cleanup trap
e2e_init()
{
	E2E_TMP=$(mktemp -d /tmp/og-e2e.XXXXXX) || e2e_fatal "mktemp failed"
	# Postfix (user postfix) and smtp-sink (nobody) must traverse it.
	chmod 755 "$E2E_TMP"
	mkdir -p "$E2E_TMP/swaks"
	trap e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	say "temp dir $E2E_TMP"
}

# e2e_cleanup - EXIT trap: stop what we started (by PID), remove the dir
e2e_cleanup()
{
	local rc=$?
	trap - EXIT
	og_stop
	pf_stop
	sink_stop
	for pid in $E2E_PIDS; do
		kill -TERM "$pid" 2>/dev/null && pid_wait_exit "$pid" 10
	done
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		if [ "${KEEP:-0}" = 1 ]; then
			say "KEEP=1: left $E2E_TMP"
		else
			rm -rf "$E2E_TMP"
		fi
	fi
	exit $rc
}

# free_ports - print N distinct free TCP ports on 127.0.0.1, one a line
free_ports()
{
	local n=$1 p i found=0
	if command -v python3 >/dev/null 2>&1 &&
		python3 - "$n" <<'EOF' 2>/dev/null; then
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
		return 0
	fi
	# Fallback: random ports nobody answers on.
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			found=$((found + 1))
			[ "$found" -ge "$n" ] && return 0
		fi
	done
	return 1
}

# wait_for - poll a command every 0.1 s until it succeeds; TIMEOUT s
wait_for()
{
	local timeout=$1 i
	shift
	for ((i = 0; i < timeout * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# pid_wait_exit - wait up to N s for a PID to be gone; 0 when it is
pid_wait_exit()
{
	local pid=$1 timeout=$2 i
	for ((i = 0; i < timeout * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$pid" 2>/dev/null
}

# --- assertions ------------------------------------------------------

# pass - count and print one passing check
pass()
{
	E2E_PASS=$((E2E_PASS + 1))
	echo "ok   $E2E_PASS+$E2E_FAIL: $*"
}

# fail - count and print one failing check, with diagnostics
fail()
{
	E2E_FAIL=$((E2E_FAIL + 1))
	echo "FAIL $E2E_PASS+$E2E_FAIL: $*"
	e2e_diag
}

# check - DESC CMD...: passes when CMD exits 0
check()
{
	local desc=$1
	shift
	if "$@"; then
		pass "$desc"
	else
		fail "$desc (command: $*)"
	fi
}

# check_fails - DESC CMD...: passes when CMD exits non-zero
check_fails()
{
	local desc=$1
	shift
	if "$@"; then
		fail "$desc (command succeeded: $*)"
	else
		pass "$desc"
	fi
}

# expect_eq - DESC WANT GOT: passes when the strings are equal
expect_eq()
{
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1: got '$3', want '$2'"
	fi
}

# expect_ne - DESC UNWANTED GOT: passes when the strings differ
expect_ne()
{
	if [ "$2" != "$3" ]; then
		pass "$1"
	else
		fail "$1: got '$3', which it must not be"
	fi
}

# e2e_finish - stop the daemon (its log is checked for sanitizer
# reports), print "N passed, N failed" and exit 1 if anything failed
e2e_finish()
{
	og_stop
	echo "$E2E_PASS passed, $E2E_FAIL failed"
	[ "$E2E_FAIL" -eq 0 ] && exit 0
	exit 1
}

# e2e_diag - print the tails of the logs and of the last transcript
e2e_diag()
{
	local n=${DIAG_LINES:-15}
	{
		if [ -n "$SWAKS_OUT" ] && [ -f "$SWAKS_OUT" ]; then
			echo "--- last swaks transcript ($SWAKS_OUT), tail"
			tail -n "$n" "$SWAKS_OUT"
		fi
		if [ -n "$PF_DIR" ] && [ -f "$PF_DIR/log/maillog" ]; then
			echo "--- Postfix maillog, tail"
			tail -n "$n" "$PF_DIR/log/maillog"
		fi
		if [ -n "$PF_DIR" ] && [ -s "$PF_DIR/start.log" ]; then
			echo "--- postfix start output"
			tail -n "$n" "$PF_DIR/start.log"
		fi
		if [ -n "$OG_LOG" ] && [ -f "$OG_LOG" ]; then
			echo "--- outguard log, tail"
			tail -n "$n" "$OG_LOG"
		fi
		echo "---"
	} | sed 's/^/    /'
}

# --- smtp-sink -------------------------------------------------------

# sink_start - start smtp-sink on a free port, dumping each transaction
sink_start()
{
	[ -n "$SINK_PID" ] && return 0
	SINK_PORT=$(free_ports 1) || e2e_fatal "no free port for smtp-sink"
	SINK_DIR=$E2E_TMP/sink
	mkdir -p "$SINK_DIR"
	chown nobody "$SINK_DIR"
	smtp-sink -u nobody -d "$SINK_DIR/msg." "127.0.0.1:$SINK_PORT" 64 \
		>"$E2E_TMP/sink.log" 2>&1 &
	SINK_PID=$!
	wait_for 5 port_open "$SINK_PORT" ||
		e2e_fatal "smtp-sink did not listen on $SINK_PORT: $(cat "$E2E_TMP/sink.log")"
}

# sink_stop - stop smtp-sink by PID
sink_stop()
{
	[ -n "$SINK_PID" ] || return 0
	kill "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
	SINK_PID=
}

# port_open - true when something accepts on 127.0.0.1:PORT
port_open()
{
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# sink_files - the dump files, one per received transaction
sink_files()
{
	find "$SINK_DIR" -type f -name 'msg.*' 2>/dev/null | sort
}

# sink_count - number of transactions (messages) the sink received
sink_count()
{
	sink_files | wc -l
}

# sink_rcpt_count - number of recipients over all received transactions
sink_rcpt_count()
{
	local files
	files=$(sink_files)
	[ -n "$files" ] || { echo 0; return; }
	# shellcheck disable=SC2086
	cat $files | grep -c '^X-Rcpt-Args:'
}

# sink_grep - grep -E ARGS... over everything received; status of grep
sink_grep()
{
	local files
	files=$(sink_files)
	[ -n "$files" ] || return 1
	# shellcheck disable=SC2086
	grep -h -E "$@" $files
}

# sink_file_with - the dump file(s) containing fixed string S
sink_file_with()
{
	local files
	files=$(sink_files)
	[ -n "$files" ] || return 1
	# shellcheck disable=SC2086
	grep -l -F -- "$1" $files
}

# sink_has - true when some received message contains fixed string S
sink_has()
{
	sink_file_with "$1" >/dev/null
}

# sink_wait - wait until the sink has received at least N transactions
sink_wait()
{
	wait_for "${2:-15}" sink_count_ge "$1"
}

# sink_count_ge - true when sink_count >= N
sink_count_ge()
{
	[ "$(sink_count)" -ge "$1" ]
}

# sink_reset - forget what the sink received so far
sink_reset()
{
	find "$SINK_DIR" -type f -name 'msg.*' -delete 2>/dev/null
}

# --- Postfix ---------------------------------------------------------

# pf_start - build a fresh private Postfix instance and start it;
# with a milter socket path, smtpd_milters points at it
pf_start()
{
	local milter=${1:-} ports
	pf_stop
	sink_start
	PF_N=$((PF_N + 1))
	PF_DIR=$E2E_TMP/pf$PF_N
	PF_CONF=$PF_DIR/etc
	ports=$(free_ports 2) || e2e_fatal "no free ports for Postfix"
	PF_SMTP_PORT=$(echo "$ports" | sed -n 1p)
	PF_SUB_PORT=$(echo "$ports" | sed -n 2p)
	PF_HOSTNAME=mx$PF_SUB_PORT.e2e.outguard.test
	mkdir -p "$PF_CONF/sasl" "$PF_DIR/queue" "$PF_DIR/data" "$PF_DIR/log"
	chown postfix:postfix "$PF_DIR/data"
	chmod 700 "$PF_DIR/data"
	pf_write_main_cf "$milter"
	pf_write_master_cf
	pf_make_sasl
	if ! script -qc "postfix -c $PF_CONF start" /dev/null \
		>"$PF_DIR/start.log" 2>&1; then
		e2e_fatal "postfix -c $PF_CONF start failed"
	fi
	wait_for 10 pf_ready ||
		e2e_fatal "Postfix did not come up on $PF_SUB_PORT/$PF_SMTP_PORT"
	PF_MASTER_PID=$(tr -dc 0-9 <"$PF_DIR/queue/pid/master.pid")
	say "Postfix $PF_CONF: smtp $PF_SMTP_PORT, submission $PF_SUB_PORT," \
		"sink $SINK_PORT, milter ${milter:-none}"
}

# pf_ready - true when both listeners accept connections
pf_ready()
{
	port_open "$PF_SUB_PORT" && port_open "$PF_SMTP_PORT" &&
		[ -s "$PF_DIR/queue/pid/master.pid" ]
}

# pf_write_main_cf - main.cf of the instance (milter socket optional)
pf_write_main_cf()
{
	local milter=$1
	cat >"$PF_CONF/main.cf" <<EOF
# Private test instance made by test/e2e/lib.sh
compatibility_level = 3.6
queue_directory = $PF_DIR/queue
data_directory = $PF_DIR/data
myhostname = $PF_HOSTNAME
mydomain = e2e.outguard.test
myorigin = \$myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
relay_domains = $E2E_RELAY_DOMAIN
relayhost = [127.0.0.1]:$SINK_PORT
smtp_dns_support_level = disabled
smtpd_peername_lookup = no
maillog_file = $PF_DIR/log/maillog
maillog_file_prefixes = $PF_DIR
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
smtpd_tls_security_level = none
smtp_tls_security_level = none
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $PF_CONF/sasl
smtpd_sasl_auth_enable = no
smtpd_sasl_authenticated_header = yes
smtpd_hard_error_limit = 1000
smtpd_soft_error_limit = 1000
smtpd_error_sleep_time = 0
smtpd_recipient_limit = 20000
default_destination_recipient_limit = 20000
smtp_destination_recipient_limit = 20000
relay_destination_recipient_limit = 20000
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
delay_warning_time = 0
header_checks = regexp:$PF_CONF/header_checks
milter_protocol = 6
milter_default_action = tempfail
${PF_MAIN_EXTRA:-}
EOF
	# Lets test_postfix_harness.sh put a message on hold without a milter.
	echo "/^Subject: e2e-hold-me/ HOLD" >"$PF_CONF/header_checks"
	if [ -n "$milter" ]; then
		echo "smtpd_milters = { unix:$milter, default_action=tempfail, command_timeout=10s }" \
			>>"$PF_CONF/main.cf"
	fi
}

# pf_write_master_cf - master.cf: two loopback listeners, no chroot,
# and the lines of PF_MASTER_EXTRA
pf_write_master_cf()
{
	cat >"$PF_CONF/master.cf" <<EOF
# Private test instance made by test/e2e/lib.sh; nothing is chrooted.
127.0.0.1:$PF_SMTP_PORT inet n - n - - smtpd
127.0.0.1:$PF_SUB_PORT inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	[ -z "${PF_MASTER_EXTRA:-}" ] ||
		echo "$PF_MASTER_EXTRA" >>"$PF_CONF/master.cf"
}

# pf_load_listener PORT LOGIN [MILTER] - the master.cf lines of a
# listener without SASL whose mail milters see as sent by LOGIN (a
# default for {auth_authen}): load from smtp-source, which cannot
# authenticate.  MILTER, a unix socket path or "none", replaces
# smtpd_milters for it.  Mail to E2E_RELAY_DOMAIN is accepted.  Put
# the lines in PF_MASTER_EXTRA before pf_start.
pf_load_listener()
{
	echo "127.0.0.1:$1 inet n - n - - smtpd"
	echo "  -o syslog_name=postfix/load"
	echo "  -o smtpd_sasl_auth_enable=no"
	echo "  -o milter_macro_defaults=auth_authen=$2"
	case ${3:-} in
	"") ;;
	none) echo "  -o smtpd_milters=" ;;
	*) echo "  -o smtpd_milters=unix:$3" ;;
	esac
}

# e2e_sasldb CONF DB REALM - a Cyrus sasldb DB with the test users in
# REALM (they log in by their bare names), and the SASL config CONF for it
e2e_sasldb()
{
	local u
	cat >"$1" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $2
EOF
	for u in $E2E_USERS; do
		echo "$E2E_PASSWORD" | saslpasswd2 -p -c -f "$2" -u "$3" "$u" ||
			e2e_fatal "saslpasswd2 $u failed"
	done
}

# pf_make_sasl - Cyrus sasldb with the test users, and smtpd.conf
pf_make_sasl()
{
	e2e_sasldb "$PF_CONF/sasl/smtpd.conf" "$PF_CONF/sasldb2" "$PF_HOSTNAME"
	chgrp postfix "$PF_CONF/sasldb2"
	chmod 640 "$PF_CONF/sasldb2"
}

# pf_stop - stop the current instance and wait for its master to exit
pf_stop()
{
	[ -n "$PF_DIR" ] && [ -f "$PF_CONF/main.cf" ] || return 0
	if [ -n "$PF_MASTER_PID" ] && kill -0 "$PF_MASTER_PID" 2>/dev/null; then
		postfix -c "$PF_CONF" stop >/dev/null 2>&1
		pid_wait_exit "$PF_MASTER_PID" 15 ||
			postfix -c "$PF_CONF" abort >/dev/null 2>&1
		pid_wait_exit "$PF_MASTER_PID" 5
	fi
	PF_MASTER_PID=
}

# pf_queue_json - postqueue -j of the instance (one JSON object a line)
pf_queue_json()
{
	postqueue -c "$PF_CONF" -j 2>/dev/null
}

# pf_hold_count - number of messages in the hold queue
pf_hold_count()
{
	pf_queue_json | grep -c '"queue_name": *"hold"'
}

# pf_hold_ids - queue ids of held messages, one a line
pf_hold_ids()
{
	pf_queue_json | grep '"queue_name": *"hold"' |
		sed -n 's/.*"queue_id": *"\([^"]*\)".*/\1/p'
}

# pf_busy_count - messages still to be delivered (any queue but hold)
pf_busy_count()
{
	pf_queue_json | grep -vc '"queue_name": *"hold"'
}

# pf_idle - true when nothing but held mail is left in the queue
pf_idle()
{
	[ "$(pf_busy_count)" -eq 0 ]
}

# pf_wait_idle - wait until Postfix has delivered everything it accepted
pf_wait_idle()
{
	wait_for "${1:-20}" pf_idle || return 1
	sleep 0.2	# let smtp-sink close its last dump file
}

# pf_log_grep - grep -E in the instance's maillog
pf_log_grep()
{
	grep -E "$@" "$PF_DIR/log/maillog"
}

# --- swaks -----------------------------------------------------------

# swaks_run - run swaks with ARGS, transcript to a new SWAKS_OUT file
swaks_run()
{
	local rc
	E2E_SEQ=$((E2E_SEQ + 1))
	SWAKS_OUT=$E2E_TMP/swaks/$(printf %03d "$E2E_SEQ").txt
	echo "# swaks $*" >"$SWAKS_OUT"
	swaks --helo client.e2e.test "$@" >>"$SWAKS_OUT" 2>&1
	rc=$?
	echo "# exit $rc" >>"$SWAKS_OUT"
	return $rc
}

# swaks_has_opt - true when NAME (e.g. --to) is among the ARGS
swaks_has_opt()
{
	local name=$1 a
	shift
	for a in "$@"; do
		[ "$a" = "$name" ] && return 0
	done
	return 1
}

# send_auth - USER [swaks args]: authenticated submission, swaks status
# (defaults: from USER@example.test, to someone@example.net)
send_auth()
{
	local user=$1 extra=()
	shift
	swaks_has_opt --from "$@" || swaks_has_opt -f "$@" ||
		extra+=(--from "$user@$E2E_DOMAIN")
	swaks_has_opt --to "$@" || swaks_has_opt -t "$@" ||
		extra+=(--to "someone@$E2E_RCPT_DOMAIN")
	swaks_run --server "127.0.0.1:$PF_SUB_PORT" --auth PLAIN \
		--auth-user "$user" --auth-password "${E2E_AUTH_PASSWORD:-$E2E_PASSWORD}" \
		"${extra[@]}" "$@"
}

# send_unauth - [swaks args]: no AUTH, to the port-25 style listener
# (defaults: from stranger@example.org, to someone@relay.test)
send_unauth()
{
	local extra=()
	swaks_has_opt --from "$@" || swaks_has_opt -f "$@" ||
		extra+=(--from "stranger@example.org")
	swaks_has_opt --to "$@" || swaks_has_opt -t "$@" ||
		extra+=(--to "someone@$E2E_RELAY_DOMAIN")
	swaks_run --server "127.0.0.1:$PF_SMTP_PORT" "${extra[@]}" "$@"
}

# rcpt_list - N [PREFIX [DOMAIN]]: "p1@d,p2@d,..." for swaks --to
rcpt_list()
{
	local n=$1 prefix=${2:-r} domain=${3:-$E2E_RCPT_DOMAIN} i out=
	for ((i = 1; i <= n; i++)); do
		out+="${out:+,}$prefix$i@$domain"
	done
	echo "$out"
}

# swaks_queue_id - the queue id from the last transcript's "queued as"
swaks_queue_id()
{
	sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p' "$SWAKS_OUT" | tail -n 1
}

# swaks_queued - true when the last transcript shows the message queued
# (Postfix's "250 2.0.0 Ok: queued as ID" after DATA)
swaks_queued()
{
	[ -n "$(swaks_queue_id)" ]
}

# swaks_replied - true when the last transcript has a server reply
# starting with the given text (e.g. "451 4.7.1")
swaks_replied()
{
	grep -E -q "^ *<[~*-]* +$1" "$SWAKS_OUT"
}

# swaks_rcpt_replied - true when a reply to RCPT TO starts with TEXT
swaks_rcpt_replied()
{
	grep -A1 -E '^ *~?-> RCPT TO:' "$SWAKS_OUT" |
		grep -E -q "^ *<[~*-]* +$1"
}

# swaks_count_replies - number of server replies starting with TEXT
swaks_count_replies()
{
	grep -E -c "^ *<[~*-]* +$1" "$SWAKS_OUT"
}

# --- outguard --------------------------------------------------------

# og_init - a new outguard config and a fresh database (outguard -n
# creates it); the users' own domain goes into local_domains
og_init()
{
	og_stop
	OG_N=$((OG_N + 1))
	mkdir -p "$E2E_TMP/og"
	chmod 755 "$E2E_TMP/og"
	OG_CONF=$E2E_TMP/og/outguard$OG_N.conf
	OG_DB=$E2E_TMP/og/og$OG_N.db
	OG_SOCK=$E2E_TMP/og/og.sock
	OG_LOG=$E2E_TMP/og/outguard$OG_N.log
	cat >"$OG_CONF" <<EOF
# made by test/e2e/lib.sh
Socket unix:$OG_SOCK
Database $OG_DB
Syslog no
LogLevel debug
PidFile $E2E_TMP/og/outguard.pid
OnStoreError tempfail
SocketGroup postfix
${OG_CONF_EXTRA:-}
EOF
	"$OUTGUARD" -n -c "$OG_CONF" >"$OG_LOG" 2>&1 ||
		e2e_fatal "outguard -n -c $OG_CONF failed"
	[ -f "$OG_DB" ] || e2e_fatal "outguard -n did not create $OG_DB"
	sql "INSERT OR IGNORE INTO local_domains(domain) VALUES('$E2E_DOMAIN')" ||
		e2e_fatal "cannot write $OG_DB"
}

# og_start - start the daemon in the foreground (logging to OG_LOG) and
# wait until it listens; Postfix (user postfix) may then connect
og_start()
{
	[ -n "$OG_CONF" ] || og_init
	[ -z "$OG_PID" ] || e2e_fatal "og_start: outguard already running"
	echo "# outguard -f -c $OG_CONF" >>"$OG_LOG"
	"$OUTGUARD" -f -c "$OG_CONF" >>"$OG_LOG" 2>&1 &
	OG_PID=$!
	wait_for 10 og_ready || e2e_fatal "outguard did not start listening"
	say "outguard pid $OG_PID on $OG_SOCK, db $OG_DB"
}

# og_ready - true when the daemon said it listens and the socket exists
og_ready()
{
	kill -0 "$OG_PID" 2>/dev/null || e2e_fatal "outguard exited early"
	[ -S "$OG_SOCK" ] && grep -q "listening on unix:$OG_SOCK" "$OG_LOG"
}

# og_stop - SIGTERM the daemon by PID and wait for it to exit
og_stop()
{
	local rc
	[ -n "$OG_PID" ] || return 0
	kill -TERM "$OG_PID" 2>/dev/null
	if ! pid_wait_exit "$OG_PID" 20; then
		say "outguard $OG_PID ignored SIGTERM for 20 s; killing it"
		kill -KILL "$OG_PID" 2>/dev/null
	fi
	wait "$OG_PID" 2>/dev/null
	rc=$?
	OG_LAST_EXIT=$rc
	OG_PID=
	og_sanitizer_check
	return 0
}

# og_sanitizer_check - a failed check when the daemon's log holds an
# AddressSanitizer, LeakSanitizer or UBSan report (-DOUTGUARD_SANITIZE)
og_sanitizer_check()
{
	local re='ERROR: (Address|Leak|Thread)Sanitizer|runtime error:'
	[ -n "$OG_LOG" ] && [ -f "$OG_LOG" ] || return 0
	grep -qE "$re" "$OG_LOG" || return 0
	grep -E -A 12 "$re" "$OG_LOG" | head -n 40 >&2
	fail "sanitizer report in the daemon's log $OG_LOG"
}

# og_restart_fresh - stop the daemon, make a fresh database, start again
og_restart_fresh()
{
	og_init
	og_start
}

# sql - run SQL on the outguard database (5 s busy timeout)
sql()
{
	sqlite3 -batch -cmd ".timeout 5000" "$OG_DB" "$@"
}

# sql_is - true when the query's output equals WANT
sql_is()
{
	[ "$(sql "$1")" = "$2" ]
}

# sql_wait - wait up to 5 s for the query's output to equal WANT
sql_wait()
{
	wait_for "${3:-5}" sql_is "$1" "$2"
}

# ogctl - outguardctl on the test database
ogctl()
{
	"$OUTGUARDCTL" -d "$OG_DB" "$@"
}

# og_log_grep - grep -E in the daemon's log
og_log_grep()
{
	grep -E "$@" "$OG_LOG"
}
