# sendmail_lib.sh - the end-to-end harness for Sendmail: a real Sendmail
# from the Debian packages, unpacked into a cache folder (never
# installed), on loopback with Cyrus SASL users, smtp-sink as the final
# hop, and the outguard daemon attached through its unix socket.
#
# Source it from a test script (bash, as root) instead of lib.sh, whose
# helpers (sink, outguard, swaks, checks) it brings along:
#
#	. "$(dirname "$0")/sendmail_lib.sh"
#	e2e_require swaks sasl sqlite3 outguard outguardctl
#	sm_require "$@"                  # re-runs the script in namespaces
#	e2e_init; sm_init                # temp dir, traps, Sendmail unpacked
#	og_init; sql "..."; og_start
#	sm_start "$OG_SOCK"
#	sm_send_auth alice --to x@example.net
#	check "delivered" sink_wait 1
#	e2e_finish
#
# How it runs Sendmail without installing it:
# - sm_fetch: "apt-get download sendmail-bin sendmail-cf" and "dpkg -x"
#   into SM_CACHE (once; ctest points it into the build dir), the setgid
#   bit taken off the copy.  No download possible: exit 77 (skipped).
# - sm_require re-runs the whole test under "unshare --mount --uts":
#   Sendmail stalls on a host name it cannot qualify, so the test gets its
#   own host name (SM_HOSTNAME) and, by bind mounts visible only inside,
#   its own /etc/hosts and its own SASL config directories (libsasl2
#   reads Sendmail.conf from /etc/sasl2, /etc/sasl or /usr/lib/sasl2, and
#   Sendmail ignores SASL_CONF_PATH).  Every process of the test, the
#   outguardctl runs included, is in these namespaces.
# - The .cf is built with m4 from a test .mc (sm_write_mc): one loopback
#   listener, queue, pid, status and alias files in SM_DIR, smart host
#   "relay:[127.0.0.1]" on the sink's port (a bare [127.0.0.1] counts as
#   the local host and would not be relayed), AUTH PLAIN/LOGIN against a
#   sasldb with the users alice, bob, carol (password secret), outguard
#   as INPUT_MAIL_FILTER with F=T, {client_addr} added to the connect
#   macros, FEATURE(accept_unresolvable_domains), host lookups in the
#   hosts file only (no DNS), and DontBlameSendmail=TrustStickyBit
#   because the temp dir is under /tmp.
# - SM_BIN_DIR holds "sendmail" and "mailq" wrappers that add -C SM_CF;
#   put it first in PATH (sm_start does) and outguardctl's MTA tools and
#   the test's own mailq calls all reach this instance.
#
# Sendmail logs through syslog only; nothing listens in the test, so the
# diagnostics show the queue (mailq) instead of a mail log.
#
# Names a test can rely on (besides lib.sh's):
#   SM_DIR SM_CF SM_QUEUE   the instance, its .cf and queue directory
#   SM_PORT                 its SMTP listener (AUTH offered)
#   SM_HOSTNAME             its host name, also the SASL realm
#   SM_BIN_DIR              the sendmail/mailq wrappers (first in PATH)
#   SM_CACHE                the unpacked packages (SM_CACHE/root/...)

# shellcheck shell=bash disable=SC2034
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SM_CACHE=${SM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/outguard-e2e/sendmail}
SM_HOSTNAME=mx.e2e.outguard.test
SM_DIR=
SM_CF=
SM_QUEUE=
SM_PORT=
SM_BIN_DIR=
SM_PID=
SM_N=0
SM_ROOT=
SM_NS_READY=

# sm_require - skip unless Sendmail can run here; then re-run the test
# script (with ARGS) in its own mount and UTS namespaces, once
sm_require()
{
	local p
	[ "$(id -u)" = 0 ] || e2e_skip "end-to-end tests need root"
	for p in unshare mount hostname flock m4 swaks saslpasswd2 smtp-sink \
		python3; do
		command -v "$p" >/dev/null || e2e_skip "$p not installed"
	done
	[ -d /usr/lib/sasl2 ] ||
		e2e_skip "no /usr/lib/sasl2 to put Sendmail's SASL config in"
	[ "${SM_IN_NS:-}" = 1 ] && return 0
	unshare --mount --uts --propagation private true 2>/dev/null ||
		e2e_skip "cannot make mount and UTS namespaces (unshare)"
	SM_IN_NS=1 exec unshare --mount --uts --propagation private \
		bash "$0" "$@"
}

# sm_init - unpack Sendmail (sm_fetch), extend the cleanup and the
# diagnostics; after e2e_init
sm_init()
{
	sm_fetch
	trap sm_cleanup EXIT
}

# sm_cleanup - EXIT trap: stop Sendmail, then what lib.sh stops
sm_cleanup()
{
	local rc=$?
	sm_stop
	(exit $rc)
	e2e_cleanup
}

# sm_fetch - the packages unpacked in SM_CACHE/root (download once);
# exit 77 when they cannot be had
sm_fetch()
{
	local tmp log p
	SM_ROOT=$SM_CACHE/root
	[ -x "$SM_ROOT/usr/libexec/sendmail/sendmail" ] &&
		[ -f "$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" ] && return 0
	command -v apt-get >/dev/null && command -v dpkg >/dev/null ||
		e2e_skip "Sendmail needs apt-get and dpkg to fetch sendmail-bin"
	mkdir -p "$SM_CACHE" || e2e_skip "cannot make $SM_CACHE"
	tmp=$(mktemp -d "$SM_CACHE/fetch.XXXXXX") || e2e_skip "mktemp failed"
	log=$tmp/fetch.log
	say "downloading sendmail-bin and sendmail-cf into $SM_CACHE"
	if ! (cd "$tmp" && apt-get download sendmail-bin sendmail-cf) \
		>"$log" 2>&1; then
		cat "$log" >&2
		rm -rf "$tmp"
		e2e_skip "apt-get download sendmail-bin sendmail-cf failed"
	fi
	mkdir "$tmp/root"
	for p in "$tmp"/sendmail-bin_*.deb "$tmp"/sendmail-cf_*.deb; do
		dpkg -x "$p" "$tmp/root" ||
			{ rm -rf "$tmp"; e2e_skip "dpkg -x $p failed"; }
	done
	# run as root from here; a setgid copy in a build dir helps nobody
	chmod g-s "$tmp/root/usr/libexec/sendmail/sendmail"
	if [ ! -d "$SM_ROOT" ]; then
		mv "$tmp/root" "$SM_ROOT" 2>/dev/null
	fi
	rm -rf "$tmp"
	[ -x "$SM_ROOT/usr/libexec/sendmail/sendmail" ] ||
		e2e_fatal "unpacking Sendmail into $SM_ROOT failed"
	ldd "$SM_ROOT/usr/libexec/sendmail/sendmail" | grep -q "not found" &&
		e2e_skip "Sendmail's libraries are missing: $(ldd \
			"$SM_ROOT/usr/libexec/sendmail/sendmail" | grep 'not found' |
			tr -s ' \t\n' ' ')(contrib/install-deps.sh test)"
	return 0
}

# sm_namespace - inside the namespaces: our host name, hosts file and
# SASL config directories (bind mounts seen by this test only); once
sm_namespace()
{
	local d
	[ -n "$SM_NS_READY" ] && return 0
	[ "${SM_IN_NS:-}" = 1 ] || e2e_fatal "sm_start outside sm_require"
	mkdir -p "$E2E_TMP/sm-etc/sasl"
	printf '127.0.0.1\t%s %s localhost\n' "$SM_HOSTNAME" \
		"${SM_HOSTNAME%%.*}" >"$E2E_TMP/sm-etc/hosts"
	hostname "$SM_HOSTNAME" || e2e_fatal "hostname $SM_HOSTNAME failed"
	mount --bind "$E2E_TMP/sm-etc/hosts" /etc/hosts ||
		e2e_fatal "cannot bind-mount a hosts file"
	for d in /etc/sasl2 /etc/sasl /usr/lib/sasl2; do
		[ -d "$d" ] || continue
		mount --bind "$E2E_TMP/sm-etc/sasl" "$d" ||
			e2e_fatal "cannot bind-mount over $d"
	done
	SM_NS_READY=1
}

# sm_start - a fresh private Sendmail on a free loopback port, relaying
# to the sink; with a milter socket path, outguard is attached (F=T)
sm_start()
{
	local milter=${1:-}
	sm_stop
	sink_start
	sm_namespace
	SM_N=$((SM_N + 1))
	SM_DIR=$E2E_TMP/sm$SM_N
	SM_CF=$SM_DIR/test.cf
	SM_QUEUE=$SM_DIR/mqueue
	SM_BIN_DIR=$SM_DIR/bin
	SM_PORT=$(free_ports 1) || e2e_fatal "no free port for Sendmail"
	mkdir -p "$SM_QUEUE" "$SM_BIN_DIR"
	chmod 700 "$SM_QUEUE"
	: >"$SM_DIR/local-host-names"
	: >"$SM_DIR/trusted-users"
	: >"$SM_DIR/relay-domains"
	: >"$SM_DIR/aliases"
	printf 'hosts files\naliases files\n' >"$SM_DIR/service.switch"
	cp "$SM_ROOT/etc/mail/helpfile" "$SM_DIR/helpfile"
	sm_write_mc "$milter" >"$SM_DIR/test.mc"
	m4 -D_CF_DIR_="$SM_ROOT/usr/share/sendmail/cf/" \
		"$SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" "$SM_DIR/test.mc" \
		>"$SM_CF" 2>"$SM_DIR/m4.log" ||
		e2e_fatal "m4 failed on $SM_DIR/test.mc: $(cat "$SM_DIR/m4.log")"
	sm_write_wrappers
	sm_make_sasl
	case ":$PATH:" in
	*":$SM_BIN_DIR:"*) ;;
	*) PATH=$SM_BIN_DIR:$PATH ;;
	esac
	export PATH
	sendmail -bi >"$SM_DIR/newaliases.log" 2>&1 ||
		e2e_fatal "newaliases: $(cat "$SM_DIR/newaliases.log")"
	sendmail -bd >"$SM_DIR/start.log" 2>&1 ||
		e2e_fatal "sendmail -bd failed: $(cat "$SM_DIR/start.log")"
	wait_for 10 sm_ready ||
		e2e_fatal "Sendmail did not listen on $SM_PORT: $(cat "$SM_DIR/start.log")"
	SM_PID=$(head -n 1 "$SM_DIR/sendmail.pid")
	say "Sendmail $SM_CF (pid $SM_PID): smtp $SM_PORT, sink $SINK_PORT," \
		"milter ${milter:-none}"
}

# sm_ready - true when the daemon wrote its pid file and listens
sm_ready()
{
	[ -s "$SM_DIR/sendmail.pid" ] && port_open "$SM_PORT"
}

# sm_write_mc - the test .mc on stdout (milter socket optional)
sm_write_mc()
{
	local milter=$1
	cat <<EOF
divert(-1)
# Private test instance made by test/e2e/sendmail_lib.sh
divert(0)dnl
VERSIONID(\`outguard e2e')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`$SM_HOSTNAME')dnl
define(\`QUEUE_DIR', \`$SM_QUEUE')dnl
define(\`STATUS_FILE', \`$SM_DIR/sendmail.st')dnl
define(\`confPID_FILE', \`$SM_DIR/sendmail.pid')dnl
define(\`confCW_FILE', \`$SM_DIR/local-host-names')dnl
define(\`confCT_FILE', \`$SM_DIR/trusted-users')dnl
define(\`confCR_FILE', \`$SM_DIR/relay-domains')dnl
define(\`HELP_FILE', \`$SM_DIR/helpfile')dnl
define(\`ALIAS_FILE', \`$SM_DIR/aliases')dnl
define(\`confDEAD_LETTER_DROP', \`$SM_DIR/dead.letter')dnl
define(\`confSERVICE_SWITCH_FILE', \`$SM_DIR/service.switch')dnl
define(\`confDONT_BLAME_SENDMAIL', \`TrustStickyBit')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`confTO_IDENT', \`0')dnl
define(\`confREFUSE_LA', \`999')dnl
define(\`confQUEUE_LA', \`999')dnl
define(\`confDELAY_LA', \`0')dnl
define(\`SMART_HOST', \`relay:[127.0.0.1]')dnl
define(\`RELAY_MAILER_ARGS', \`TCP \$h $SINK_PORT')dnl
define(\`ESMTP_MAILER_ARGS', \`TCP \$h $SINK_PORT')dnl
define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
define(\`confMILTER_MACROS_CONNECT', confMILTER_MACROS_CONNECT\`, {client_addr}')dnl
FEATURE(\`accept_unresolvable_domains')dnl
FEATURE(\`nocanonify')dnl
FEATURE(\`no_default_msa')dnl
DAEMON_OPTIONS(\`Port=$SM_PORT, Addr=127.0.0.1, Name=MTA')dnl
EOF
	[ -n "$milter" ] &&
		echo "INPUT_MAIL_FILTER(\`outguard', \`S=local:$milter, F=T, T=C:10s;S:10s;R:10s;E:1m')dnl"
	cat <<EOF
MAILER(\`local')dnl
MAILER(\`smtp')dnl
EOF
}

# sm_write_wrappers - sendmail and mailq in SM_BIN_DIR, with -C SM_CF
sm_write_wrappers()
{
	local bin=$SM_ROOT/usr/libexec/sendmail/sendmail
	printf '#!/bin/sh\nexec %s -C %s "$@"\n' "$bin" "$SM_CF" \
		>"$SM_BIN_DIR/sendmail"
	printf '#!/bin/sh\nexec %s -C %s -bp "$@"\n' "$bin" "$SM_CF" \
		>"$SM_BIN_DIR/mailq"
	chmod 755 "$SM_BIN_DIR/sendmail" "$SM_BIN_DIR/mailq"
}

# sm_make_sasl - sasldb with the test users and Sendmail.conf for it
sm_make_sasl()
{
	e2e_sasldb "$E2E_TMP/sm-etc/sasl/Sendmail.conf" "$SM_DIR/sasldb2" \
		"$SM_HOSTNAME"
	chmod 600 "$SM_DIR/sasldb2"
}

# sm_stop - stop the daemon by the PID it wrote, wait for it to exit
sm_stop()
{
	[ -n "$SM_PID" ] || return 0
	kill -TERM "$SM_PID" 2>/dev/null
	pid_wait_exit "$SM_PID" 15 || kill -KILL "$SM_PID" 2>/dev/null
	SM_PID=
}

# sm_send_auth - USER [swaks args]: authenticated submission to Sendmail
# (defaults: from USER@example.test, to someone@example.net)
sm_send_auth()
{
	local user=$1 extra=()
	shift
	swaks_has_opt --from "$@" || extra+=(--from "$user@$E2E_DOMAIN")
	swaks_has_opt --to "$@" || extra+=(--to "someone@$E2E_RCPT_DOMAIN")
	swaks_run --server "127.0.0.1:$SM_PORT" --auth PLAIN \
		--auth-user "$user" --auth-password "$E2E_PASSWORD" \
		"${extra[@]}" "$@"
}

# sm_queue_id - the queue id from the last transcript's reply to DATA
# ("250 2.0.0 6AM9p8t3030296 Message accepted for delivery")
sm_queue_id()
{
	sed -n 's/.*<[~*-]* *250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p' \
		"$SWAKS_OUT" | tail -n 1
}

# sm_accepted - true when the last transcript shows the message accepted
sm_accepted()
{
	[ -n "$(sm_queue_id)" ]
}

# sm_quarantined_ids - queue ids in Sendmail's quarantine, one a line
sm_quarantined_ids()
{
	mailq -qQ 2>/dev/null | sed -n 's/^\([0-9A-Za-z]\{8,\}\)[^0-9A-Za-z].*/\1/p'
}

# sm_queued_ids - queue ids in the normal queue, one a line
sm_queued_ids()
{
	mailq 2>/dev/null | sed -n 's/^\([0-9A-Za-z]\{8,\}\)[^0-9A-Za-z].*/\1/p'
}

# sm_quarantined - QUEUEID: true when Sendmail has it quarantined
sm_quarantined()
{
	sm_quarantined_ids | grep -qx "$1"
}

# e2e_diag - lib.sh's diagnostics, then Sendmail's queues
eval "$(declare -f e2e_diag | sed '1s/e2e_diag/e2e_diag_lib/')"
e2e_diag()
{
	e2e_diag_lib
	[ -n "$SM_CF" ] && [ -f "$SM_CF" ] || return 0
	{
		echo "--- Sendmail queue (mailq; mailq -qQ)"
		mailq 2>&1 | tail -n "${DIAG_LINES:-15}"
		mailq -qQ 2>&1 | tail -n "${DIAG_LINES:-15}"
		echo "---"
	} | sed 's/^/    /'
}
