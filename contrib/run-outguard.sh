#!/bin/sh
# run-outguard.sh - install dependencies, build, and run outguard in the
# foreground with the default config (README, first command).
# The database is created on first start; the socket is
# unix:/run/outguard/outguard.sock unless /etc/outguard/outguard.conf
# says otherwise.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/contrib/install-deps.sh" build
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j"$(nproc)"
conf=/etc/outguard/outguard.conf
[ -f "$conf" ] || conf=$top/contrib/outguard.conf
mkdir -p /run/outguard /var/lib/outguard
echo "outguard: config $conf"
exec "$top/build/milter/outguard" -f -c "$conf"
