#!/bin/sh
# run-outguard.sh - install dependencies, build, and run outguard in the
# foreground with the default config (README, first command).
# It makes the system user and group outguard (contrib/outguard-user.sh)
# and puts the postfix user in that group: the daemon runs as outguard,
# and the socket unix:/run/outguard/outguard.sock is mode 0660, owner
# outguard, group outguard, in a 0750 folder, so Postfix can connect and
# other local users cannot.  The database /var/lib/outguard/outguard.db
# (mode 0600) is created on first start.  /etc/outguard/outguard.conf,
# when it exists, is used instead of contrib/outguard.conf.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
sh "$top/contrib/install-deps.sh" build
cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$top/build" -j"$(nproc)"
conf=/etc/outguard/outguard.conf
[ -f "$conf" ] || conf=$top/contrib/outguard.conf
sh "$top/contrib/outguard-user.sh" /var/lib/outguard /run/outguard
echo "outguard: config $conf"
exec "$top/build/milter/outguard" -f -c "$conf"
