#!/bin/bash
# NAME
#	bench_cpu.sh - CPU time per message of outguard on SQLite and on
#	PostgreSQL (a benchmark, not a test)
# SYNOPSIS
#	bash test/pg/bench_cpu.sh [BUILD_DIR [RCPTS [SECS [ROUNDS]]]]
# DESCRIPTION
#	Starts a private PostgreSQL (pg_lib.sh), one outguard on it and one
#	on a new SQLite file (limits raised 100000-fold, as run-bench.sh
#	does), warms both up, then runs milterload (8 connections, 1,000
#	logins, RCPTS recipients, SECS seconds) against each in turn,
#	ROUNDS times, and prints per message the CPU time (user + system,
#	from /proc) of the daemon, of the PostgreSQL server (postmaster
#	and every backend: the daemon's pool, its writer, its listener)
#	and of milterload.  CPU time per message moves much less than
#	messages per second when other work shares the machine; on a
#	machine where the server shares the cores, the daemon's and the
#	server's CPU per message bound what the PostgreSQL store can do.
#	The daemon's last log line says its round trips per lookup and
#	how many writes went in how many batches.
# ENVIRONMENT
#	BUILD_DIR defaults to <repo>/build (outguard, milterload built).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
B=${1:-$TOP/build}
R=${2:-1}
S=${3:-5}
N=${4:-3}
# shellcheck source=pg_lib.sh
. "$HERE/pg_lib.sh"
if [ ! -x "$B/milter/outguard" ] || [ ! -x "$B/test/bench/milterload" ]; then
	pg_skip "build outguard and milterload in $B first"
fi
pg_require
pg_start >/dev/null
D=$PG_TMP/og
mkdir -p "$D/pg" "$D/lite"
printf 'Socket unix:%s\nDatabase %s\nSyslog no\nLogLevel notice\n' \
	"$D/pg/f.sock" "$PG_URI" >"$D/pg/og.conf"
printf 'Socket unix:%s\nDatabase %s\nSyslog no\nLogLevel warning\n' \
	"$D/lite/f.sock" "$D/lite/og.db" >"$D/lite/og.conf"
for m in pg lite; do
	"$B/milter/outguard" -n -c "$D/$m/og.conf" >"$D/$m/check.log" 2>&1 ||
		pg_die "outguard -n: $(cat "$D/$m/check.log")"
done
pg_sql "UPDATE limits SET threshold = threshold * 100000
	WHERE threshold < 10000000;
	INSERT INTO local_domains VALUES ('example.test')
	ON CONFLICT DO NOTHING" >/dev/null
sqlite3 "$D/lite/og.db" "UPDATE limits SET threshold = threshold * 100000;
	INSERT INTO local_domains VALUES ('example.test');"
"$B/milter/outguard" -f -c "$D/pg/og.conf" >"$D/pg/filter.log" 2>&1 &
pid_pg=$!
"$B/milter/outguard" -f -c "$D/lite/og.conf" >"$D/lite/filter.log" 2>&1 &
pid_lite=$!
for _ in $(seq 100); do
	[ -S "$D/pg/f.sock" ] && [ -S "$D/lite/f.sock" ] && break
	sleep 0.1
done

# ticks PID - user + system clock ticks of a process (all its threads)
ticks()
{
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# server_ticks - the postmaster's ticks, its reaped children's, and
# every live backend's
server_ticks()
{
	local t p
	t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$PG_PID/stat")
	for p in $(pgrep -P "$PG_PID"); do
		t=$((t + $(ticks "$p")))
	done
	echo "$t"
}

hz=$(getconf CLK_TCK)
for m in pg lite; do
	"$B/test/bench/milterload" -s "unix:$D/$m/f.sock" -c 8 -l 1000 \
		-r "$R" -d 1 >/dev/null 2>&1
done
echo "load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs;" \
	"CPU microseconds per message, $R recipient(s)"
for r in $(seq "$N"); do
	for m in lite pg; do
		p=$pid_pg
		[ "$m" = lite ] && p=$pid_lite
		a=$(ticks "$p")
		g=$(server_ticks)
		/usr/bin/time -f "%U %S" -o "$D/time" \
			"$B/test/bench/milterload" -s "unix:$D/$m/f.sock" -c 8 \
			-l 1000 -r "$R" -d "$S" >"$D/load.out" 2>&1
		sleep 0.3
		b=$(ticks "$p")
		h=$(server_ticks)
		[ "$m" = lite ] && h=$g
		awk -v m="$m" -v d=$((b - a)) -v g=$((h - g)) -v hz="$hz" \
			-v lt="$(awk '{ print $1 + $2 }' "$D/time")" \
			-v n="$(grep -o 'msgs=[0-9]*' "$D/load.out" | head -n 1 |
				cut -d= -f2)" \
			-v rate="$(grep -o 'msgs_per_s=[0-9.]*' "$D/load.out" |
				cut -d= -f2)" \
			'BEGIN { if (n == 0) n = 1
			printf "round %d %-6s msgs/s %6.0f  daemon %4.0f  " \
			"server %4.0f  milterload %4.0f  total %5.0f\n", '"$r"',
			m, rate, d / hz * 1e6 / n, g / hz * 1e6 / n,
			lt * 1e6 / n, (d / hz + g / hz + lt) * 1e6 / n }'
	done
done
kill -TERM "$pid_pg" "$pid_lite"
wait "$pid_pg" "$pid_lite" 2>/dev/null
grep -h "postgresql:" "$D/pg/filter.log" | tail -n 1
