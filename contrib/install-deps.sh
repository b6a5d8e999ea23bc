#!/bin/sh
# install-deps.sh - install outguard's Debian 12 packages.
# usage: contrib/install-deps.sh [build|test|fuzz]
#   build: what building and running outguard needs;
#   test:  that plus the MTAs and tools the test suite drives
#          (clang-format: 14, Debian 12's, for the clang_format test);
#   fuzz:  build plus clang and libFuzzer (test/fuzz/run-fuzz.sh).
# Postfix is preseeded to "No configuration" so that installing it does
# not configure or start a system mail server; the tests run their own
# private instance.  Sendmail is never installed: test/e2e/sendmail_lib.sh
# fetches sendmail-bin and sendmail-cf with apt-get download and unpacks
# them into the build dir; m4 builds its .cf, and the libraries listed
# after m4 are what its binary links against.  dpkg-dev, debhelper and
# lintian build and check the Debian package (contrib/build-deb.sh);
# test/deb installs it, which needs adduser, and checks its unit and
# tmpfiles with systemd's tools (nothing is started: a container need
# not run systemd).  PostgreSQL is installed without its main cluster:
# test/pg/pg_lib.sh runs a private server, and nothing should listen on
# 5432 because the tests were installed.  prometheus is there for
# promtool (fault_metrics checks /metrics with it): it is installed
# without its recommends (node-exporter, smartmontools), and where
# systemd runs, the Prometheus server its package starts is stopped and
# disabled again.
set -eu
what=${1:-build}
build="build-essential cmake pkg-config libmilter-dev libsqlite3-dev
libpcre2-dev libidn2-dev libpsl-dev libicu-dev sqlite3 libsystemd-dev
libpq-dev libmicrohttpd-dev"
test="postfix sasl2-bin libsasl2-modules swaks miltertest faketime python3
procps mandoc m4 libwrap0 libdb5.3 libldap-2.5-0 libnsl2 libssl3
dpkg-dev debhelper lintian systemd adduser systemd-journal-remote
postgresql clang-format curl prometheus"
# libFuzzer's runtime is only recommended by clang-14: name it
fuzz="clang libclang-rt-14-dev"
pkgs=$build
[ "$what" = test ] && pkgs="$build $test"
[ "$what" = fuzz ] && pkgs="$build $fuzz"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: run as root to install:$missing" >&2
	exit 1
fi
echo "postfix postfix/main_mailer_type select No configuration" |
	debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
case " $missing " in
*" postgresql "*)	# no main cluster (postgresql-common's postinst)
	apt-get install -y -q postgresql-common
	pg_conftool /etc/postgresql-common/createcluster.conf \
		set create_main_cluster off
	;;
esac
new_prometheus=
case " $missing " in *" prometheus "*) new_prometheus=1 ;; esac
missing=$(echo "$missing" | sed 's/ prometheus\b//')
# shellcheck disable=SC2086
[ -z "$missing" ] || apt-get install -y -q $missing
if [ -n "$new_prometheus" ]; then
	apt-get install -y -q --no-install-recommends prometheus
	if [ -d /run/systemd/system ]; then
		systemctl disable --now prometheus.service || true
	fi
fi
