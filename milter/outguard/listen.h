/*
 * NAME
 *	listen - the libmilter socket and who may connect to it
 * SYNOPSIS
 *	#include "listen.h"
 * DESCRIPTION
 *	See listen.c.
 */
#ifndef OUTGUARD_LISTEN_H
#define OUTGUARD_LISTEN_H

#include <sys/types.h>

#include "conf.h"

/* listen_path - the file of a unix socket spec, or NULL */
const char *listen_path(const char *spec);

/* listen_inode - the inode of a unix socket file, or 0 */
ino_t listen_inode(const char *spec);

/* listen_group - SocketGroup into *gid (unchanged when unset); -1 unknown */
int listen_group(const struct conf *c, gid_t *gid);

/*
 * listen_check - call say() with a line for every way the socket lets
 * more than the MTA connect (and a note when only root can); returns
 * the number of warnings.  uid:gid will own a unix socket.
 */
int listen_check(const struct conf *c, uid_t uid, gid_t gid,
		 void (*say)(const char *line));

/*
 * listen_open - register the callbacks and open the socket: mode
 * 0666 & ~UMask, owned uid:gid when running as root, its folder made
 * 0750 if missing.  Sets the process umask to UMask.  Exits 1 on
 * failure (a start-up error).
 */
void listen_open(const struct conf *c, uid_t uid, gid_t gid);

#endif
