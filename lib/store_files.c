/*
 * NAME
 *	store_files - who may read the database's files
 * DESCRIPTION
 *	The database holds logins, recipients and subjects: its file and
 *	the -wal and -shm files SQLite makes beside it (SQLite gives them
 *	the main file's mode) are never readable by other local users.
 *	A new database is created mode 0600; an existing one loses any
 *	permission for others when the daemon opens it.  Before opening,
 *	store_files_access() turns a permission problem into a sentence
 *	that says which file, whose it is and what to do, instead of
 *	SQLite's "unable to open database file".
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"

static const char *const suffixes[] = { "", "-wal", "-shm" };

/* store_files_create - make a missing database file, mode 0600 */
void store_files_create(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd >= 0)
		close(fd);
}

/* store_files_secure - take every permission for others off the files */
void store_files_secure(const char *path)
{
	char p[4096];
	struct stat st;
	unsigned i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		if (stat(p, &st) < 0 || (st.st_mode & 0077) == 0)
			continue;
		if (chmod(p, st.st_mode & 0700) < 0)
			log_msg(LOG_WARNING,
				"store: %s is mode %04o and cannot "
				"be made private: %s",
				p, (unsigned)(st.st_mode & 07777),
				strerror(errno));
		else
			log_msg(LOG_NOTICE,
				"store: %s was mode %04o, readable "
				"by other users; now %04o",
				p, (unsigned)(st.st_mode & 07777),
				(unsigned)(st.st_mode & 0700));
	}
}

/* who - "user" for uid, or its number */
static const char *who(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
	return buf;
}

/*
 * denied - the sentence for the database at path that this user cannot
 * VERB because of file p (the database, its -wal or -shm, or folder)
 */
static void denied(const char *path, const char *p, const char *verb, char *err,
		   size_t errlen)
{
	char me[64], owner[64], group[64], on[4200] = "";
	struct stat st;
	struct group *gr;

	if (strcmp(p, path) != 0)
		snprintf(on, sizeof(on), " on %s", p);
	if (stat(p, &st) < 0) {
		snprintf(err, errlen, "%s: cannot %s: %s%s", path, verb,
			 strerror(errno), on);
		return;
	}
	gr = getgrgid(st.st_gid);
	snprintf(group, sizeof(group), "%s",
		 gr ? gr->gr_name : "(unknown group)");
	snprintf(err, errlen,
		 "%s: cannot %s: permission denied for %s%s (mode %04o, "
		 "owner %s, group %s); run as root or as the user outguard "
		 "runs as (UserID)",
		 path, verb, who(geteuid(), me, sizeof(me)), on,
		 (unsigned)(st.st_mode & 07777),
		 who(st.st_uid, owner, sizeof(owner)), group);
}

/*
 * store_files_access - can this process use the database at path (read
 * only with readonly)?  0, or -1 with a sentence in err.  Files that do
 * not exist are left to the open (and its "no database" message).
 */
int store_files_access(const char *path, int readonly, char *err, size_t errlen)
{
	int want = readonly ? R_OK : R_OK | W_OK;
	char p[4096], dir[4096], *slash;
	unsigned i;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if (access(path, F_OK) < 0 && errno == EACCES) {
		denied(path, dir, "reach the database", err, errlen);
		return -1;
	}
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
		if (access(p, F_OK) < 0 || access(p, want) == 0)
			continue;
		if (errno != EACCES && errno != EROFS)
			continue;
		if (errno == EROFS || access(p, R_OK) == 0)
			denied(path, p, "write the database", err, errlen);
		else
			denied(path, p, "read the database", err, errlen);
		return -1;
	}
	/* SQLite makes -wal and -shm beside it: the folder must be ours */
	snprintf(p, sizeof(p), "%s-wal", path);
	if (!readonly && access(p, F_OK) < 0 && access(dir, W_OK | X_OK) < 0 &&
	    errno == EACCES) {
		denied(path, dir, "write the database", err, errlen);
		return -1;
	}
	return 0;
}
