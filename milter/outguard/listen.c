/*
 * NAME
 *	listen - the libmilter socket and who may connect to it
 * SYNOPSIS
 *	#include "daemon.h"
#include "listen.h"
 * DESCRIPTION
 *	Anyone who can connect to a milter socket can claim any SASL login
 *	and have its mail counted, so the socket is the daemon's trust
 *	boundary.  A unix socket is created under the configured UMask
 *	(default 007: mode 0660), owned by UserID and the SocketGroup (by
 *	default UserID's group); a missing folder is made 0750 with the
 *	same owner.  An inet socket binds only the host it names (conf.c
 *	refuses one without a host).  listen_check() states, for -n and
 *	the start-up log, every way the configuration lets more than the
 *	MTA connect.
 * DIAGNOSTICS
 *	listen_open() prints "outguard: ..." and exits 1 when the socket
 *	cannot be made as configured: a start-up error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "daemon.h"
#include "listen.h"

/* listen_path - the file of a unix socket spec, or NULL */
const char *listen_path(const char *spec)
{
	if (strncasecmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncasecmp(spec, "local:", 6) == 0)
		return spec + 6;
	return spec[0] == '/' ? spec : NULL;
}

/* listen_inode - the inode of a unix socket file, or 0 */
ino_t listen_inode(const char *spec)
{
	const char *path = listen_path(spec);
	struct stat st;

	return path && stat(path, &st) == 0 ? st.st_ino : 0;
}

/* is_loopback - HOST names a loopback address (127/8, ::1, localhost) */
static int is_loopback(const char *host)
{
	unsigned char a4[4], a6[16];
	static const unsigned char lo6[16] = { [15] = 1 };
	char h[256];
	size_t n = strlen(host);

	if (n >= sizeof(h))
		return 0;
	/* inet6:PORT@[::1] is accepted by libmilter too */
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
	} else {
		memcpy(h, host, n + 1);
	}
	if (strcasecmp(h, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, h, a4) == 1)
		return a4[0] == 127;
	if (inet_pton(AF_INET6, h, a6) == 1)
		return memcmp(a6, lo6, 16) == 0;
	return 0;
}

/* group_name - the name of gid, or its number, into buf */
static const char *group_name(gid_t gid, char *buf, size_t len)
{
	struct group *gr = getgrgid(gid);

	if (gr != NULL)
		snprintf(buf, len, "%s", gr->gr_name);
	else
		snprintf(buf, len, "%u", (unsigned)gid);
	return buf;
}

/* listen_group - resolve SocketGroup into *gid; -1 if it is unknown */
int listen_group(const struct conf *c, gid_t *gid)
{
	struct group *gr;
	char *end;
	unsigned long n;

	if (c->socket_group == NULL)
		return 0;
	if ((gr = getgrnam(c->socket_group)) != NULL) {
		*gid = gr->gr_gid;
		return 0;
	}
	n = strtoul(c->socket_group, &end, 10);
	if (*end != '\0' || end == c->socket_group)
		return -1;
	*gid = (gid_t)n;
	return 0;
}

/*
 * listen_check - warn about every way the socket admits more than the
 * MTA; say() is called once per line.  uid/gid are what the socket
 * will be owned by.  Returns the number of warnings (not problems: a
 * site may mean it).
 */
int listen_check(const struct conf *c, uid_t uid, gid_t gid,
		 void (*say)(const char *line))
{
	const char *path = listen_path(c->socket), *at;
	char line[4400], dir[4096], gname[64], *slash;
	struct stat st;
	int n = 0;

	if (path == NULL) {
		at = strchr(c->socket, '@');
		if (at != NULL && !is_loopback(at + 1)) {
			snprintf(line, sizeof(line),
				 "Socket %s is not on loopback: every host "
				 "that reaches it can claim any login and "
				 "spend or block its limits; firewall it to "
				 "the MTA, or use a unix socket",
				 c->socket);
			say(line);
			n++;
		}
		return n;
	}
	if ((c->umask & 002) == 0) {
		snprintf(line, sizeof(line),
			 "UMask %03o makes the socket %s writable by every "
			 "local user: any of them can claim any login; use "
			 "UMask 007 and SocketGroup",
			 (unsigned)c->umask, path);
		say(line);
		n++;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (stat(dir, &st) == 0 && (st.st_mode & S_IWOTH) &&
		    !(st.st_mode & S_ISVTX)) {
			snprintf(line, sizeof(line),
				 "the socket's folder %s is writable by every "
				 "local user (mode %04o): any of them can "
				 "replace the socket; make it 0750",
				 dir, (unsigned)(st.st_mode & 07777));
			say(line);
			n++;
		}
	}
	if (uid == 0 && gid == 0 && (c->umask & 002) != 0) {
		snprintf(line, sizeof(line),
			 "note: the socket will be owned by root:%s; an MTA "
			 "that does not run as root (Postfix) cannot connect: "
			 "set UserID or SocketGroup",
			 group_name(gid, gname, sizeof(gname)));
		say(line);
	}
	return n;
}

/* make_folder - create the socket's missing folder 0750, owned uid:gid */
static void make_folder(const char *path, uid_t uid, gid_t gid)
{
	char dir[4096], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0750) < 0) {
		if (errno == EEXIST)
			return;
		daemon_die("cannot create the socket's folder %s: %s", dir,
			   strerror(errno));
	}
	if (chmod(dir, 0750) < 0 ||
	    chown(dir, getuid() == 0 ? uid : (uid_t)-1, gid) < 0)
		daemon_die("cannot hand the socket's folder %s to UserID: %s",
			   dir, strerror(errno));
}

/*
 * listen_open - register the callbacks and open the socket with the
 * configured owner, group and mode.  uid/gid: the owner (UserID, or
 * the current user); sock_gid: the socket's group.
 */
void listen_open(const struct conf *c, uid_t uid, gid_t sock_gid)
{
	const char *path = listen_path(c->socket);
	mode_t mode = 0666 & ~(mode_t)c->umask;

	if (smfi_register(*callbacks_desc()) == MI_FAILURE)
		daemon_die("%s", "smfi_register failed");
	if (smfi_setconn(c->socket) == MI_FAILURE)
		daemon_die("bad socket %s", c->socket);
	if (path != NULL)
		make_folder(path, uid, sock_gid);
	/* bind() creates the file under the umask: never wider than mode */
	umask((mode_t)c->umask);
	if (smfi_opensocket(1) == MI_FAILURE)
		daemon_die("cannot open socket %s (does its directory exist?)",
			   c->socket);
	if (path == NULL)
		return;
	/* not root (systemd's User=): a group we are in, as SocketGroup */
	if (chown(path, getuid() == 0 ? uid : (uid_t)-1, sock_gid) < 0)
		daemon_die("cannot hand the socket to %u:%u: %s", (unsigned)uid,
			   (unsigned)sock_gid, strerror(errno));
	if (chmod(path, mode) < 0)
		daemon_die("cannot chmod the socket: %s", strerror(errno));
}
