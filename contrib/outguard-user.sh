#!/bin/sh
# outguard-user.sh - the system user and group outguard runs as, and the
# MTA's membership in that group (README, first command).
# usage: contrib/outguard-user.sh [DIR ...]
#   Makes the system user and group "outguard" when missing (no shell,
#   no login), adds the postfix user to the group when Postfix is
#   installed (the socket is mode 0660, owner outguard, group outguard:
#   Postfix's smtpd connects through its group), and makes each DIR
#   (the database's and the socket's folders) 0750, owner outguard.
#   Idempotent; run as root.  Sendmail runs its milters as root and
#   needs no group.
set -eu
if [ "$(id -u)" != 0 ]; then
	echo "outguard-user: run as root" >&2
	exit 1
fi
if ! getent group outguard >/dev/null; then
	groupadd --system outguard
fi
if ! getent passwd outguard >/dev/null; then
	useradd --system --gid outguard --home-dir /var/lib/outguard \
		--no-create-home --shell /usr/sbin/nologin \
		--comment "outguard mail filter" outguard
fi
if getent passwd postfix >/dev/null; then
	if ! id -nG postfix | tr ' ' '\n' | grep -qx outguard; then
		usermod -a -G outguard postfix
		echo "outguard-user: added postfix to group outguard" \
			"(restart Postfix for its processes to see it)"
	fi
else
	echo "outguard-user: no postfix user yet; once Postfix is" \
		"installed: usermod -a -G outguard postfix"
fi
for d in "$@"; do
	install -d -m 0750 -o outguard -g outguard "$d"
done
