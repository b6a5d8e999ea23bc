/*
 * NAME
 *	ctl_mta_sendmail - the Sendmail backend of ctl_mta
 * SYNOPSIS
 *	#include "ctl_mta_int.h"
 *
 *	extern const struct ctl_mta_ops ctl_mta_sendmail_ops;
 * DESCRIPTION
 *	Sendmail quarantines a message by renaming its control file from
 *	qfID to hfID, with the reason inside; both stay in the queue
 *	directory (or its qf/ and df/ subdirectories).
 *
 *	List: "mailq -qQ" (quarantined) and "mailq" (the normal queue).
 *	Each queue directory is a heading line; a message starts at the
 *	left margin with its id, a size and a date.  Quarantined mail is
 *	"quarantine", the rest "queue".
 *
 *	Show: the "mailq -qQ -qIID" entry (envelope and reason), then the
 *	message: the unconditional headers of the control file and the
 *	data file.
 *
 *	Release: "sendmail -qQ -Q -qIID" takes it out of the quarantine
 *	(hf back to qf), the queue is listed again to see that it did,
 *	then "sendmail -qIID" runs the queue for it in the background.
 *
 *	Delete: Sendmail has no command for it; like qtool.pl -d, the
 *	control file is locked as Sendmail locks it (flock(2) on Linux: a
 *	queue run skips an hf file someone else has flocked, and ignores
 *	fcntl locks), without waiting: a busy message is left alone.  Then
 *	it is removed, and the data and transcript files after it.  The
 *	queue directory is the one mailq named.
 *
 *	-qI matches a substring of the queue id; an id that is part of
 *	another listed id is refused rather than acting on both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_mta_int.h"

#define SM_PATH_MAX 4096

/*
 * sm_parse - a mailq listing into m: queue directory headings ("\t\t/dir
 * (N requests)") and entries ("ID[*X-] SIZE DATE ...") at the margin
 */
static void sm_parse(struct ctl_mta *m, const char *out, int held)
{
	char dir[SM_PATH_MAX] = "", id[CTL_MTA_ID_MAX];
	const char *p, *eol, *q, *c, *paren;
	size_t n;

	for (p = out; *p; p = *eol ? eol + 1 : eol) {
		if ((eol = strchr(p, '\n')) == NULL)
			eol = p + strlen(p);
		for (q = p; q < eol && (*q == ' ' || *q == '\t'); q++)
			;
		if (q > p && q < eol && *q == '/') {
			paren = NULL;
			for (c = q; c + 1 < eol; c++)
				if (c[0] == ' ' && c[1] == '(')
					paren = c;
			n = (size_t)((paren ? paren : eol) - q);
			if (n < sizeof dir) {
				memcpy(dir, q, n);
				dir[n] = 0;
			}
			continue;
		}
		for (q = p, n = 0; q < eol && ((*q >= '0' && *q <= '9') ||
					       (*q >= 'A' && *q <= 'Z') ||
					       (*q >= 'a' && *q <= 'z'));
		     q++)
			n++;
		if (n < 6 || n >= sizeof id)
			continue;
		if (q < eol && (*q == '*' || *q == 'X' || *q == '-'))
			q++;
		if (q >= eol || (*q != ' ' && *q != '\t'))
			continue;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= eol || *q < '0' || *q > '9')
			continue;
		memcpy(id, p, n);
		id[n] = 0;
		ctl_mta_add(m, id, held ? "quarantine" : "queue", held,
			    *dir ? dir : NULL);
	}
}

/* sm_list - run "mailq" (-qQ when held) into m; 0, or -1 (said) */
static int sm_list(struct ctl_mta *m, int held)
{
	char *argv[] = { "mailq", held ? "-qQ" : NULL, NULL };
	char *out;
	int rc;

	if ((rc = ctl_mta_run(argv, &out, 0)) != 0) {
		if (rc > 0)
			ctl_error("mailq%s failed (exit %d)",
				  held ? " -qQ" : "", rc);
		free(out);
		return -1;
	}
	sm_parse(m, out, held);
	free(out);
	return 0;
}

/* sm_load - the quarantined messages, then the normal queue */
static int sm_load(struct ctl_mta *m)
{
	return sm_list(m, 1) < 0 || sm_list(m, 0) < 0 ? -1 : 0;
}

/* sm_unique - 0 when no other listed id contains e's (for -qI); -1 said */
static int sm_unique(const struct ctl_mta *m, const struct ctl_mta_entry *e)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (strcmp(m->e[i].id, e->id) != 0 &&
		    strstr(m->e[i].id, e->id) != NULL) {
			ctl_error("queue id %s is part of %s: not asking "
				  "sendmail -qI%s to act on both",
				  e->id, m->e[i].id, e->id);
			return -1;
		}
	return 0;
}

/*
 * sm_path - the file PREFIXID of a queue directory: in its subdirectory
 * sub when there is one, else in it; 0, or -1 when it does not fit
 */
static int sm_path(char *buf, size_t len, const char *dir, const char *sub,
		   const char *prefix, const char *id)
{
	struct stat st;
	int n;

	n = snprintf(buf, len, "%s/%s", dir, sub);
	if (n > 0 && (size_t)n < len && stat(buf, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		n = snprintf(buf, len, "%s/%s/%s%s", dir, sub, prefix, id);
	else
		n = snprintf(buf, len, "%s/%s%s", dir, prefix, id);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * sm_headers - the unconditional header lines (H??Name: or HName:, and
 * their continuations) of control file f on stdout
 */
static void sm_headers(FILE *f)
{
	char *line = NULL, *p;
	size_t size = 0;
	int in_header = 0;

	while (getline(&line, &size, f) > 0) {
		if (line[0] == ' ' || line[0] == '\t') {
			if (in_header)
				fputs(line, stdout);
			continue;
		}
		in_header = 0;
		if (line[0] == '.')
			break;
		if (line[0] != 'H')
			continue;
		p = line + 1;
		if (*p == '?') {
			if (p[1] != '?')
				continue; /* for some mailers only */
			p += 2;
		}
		in_header = 1;
		fputs(p, stdout);
	}
	free(line);
}

/* sm_copy - the file at path on stdout; 0, or -1 when it cannot be read */
static int sm_copy(const char *path)
{
	char buf[8192];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

/* sm_show - the mailq entry, then the headers and the body */
static int sm_show(struct ctl_mta *m, const struct ctl_mta_entry *e)
{
	char qi[CTL_MTA_ID_MAX + 4], path[SM_PATH_MAX];
	char *argv[] = { "mailq", "-qQ", qi, NULL };
	FILE *f;
	int st;

	if (sm_unique(m, e) < 0)
		return CTL_MTA_FAIL;
	snprintf(qi, sizeof qi, "-qI%s", e->id);
	if (!e->held) {
		argv[1] = qi;
		argv[2] = NULL;
	}
	if ((st = ctl_mta_run(argv, NULL, 0)) != 0) {
		if (st > 0)
			ctl_error("mailq -qI%s failed (exit %d)", e->id, st);
		return CTL_MTA_FAIL;
	}
	if (e->dir == NULL || sm_path(path, sizeof path, e->dir, "qf",
				      e->held ? "hf" : "qf", e->id) < 0) {
		ctl_error("no queue directory for %s in mailq's listing",
			  e->id);
		return CTL_MTA_FAIL;
	}
	if ((f = fopen(path, "r")) == NULL) {
		ctl_error("%s: %s", path, strerror(errno));
		return errno == ENOENT ? CTL_MTA_GONE : CTL_MTA_FAIL;
	}
	fputc('\n', stdout);
	sm_headers(f);
	fclose(f);
	fputc('\n', stdout);
	if (sm_path(path, sizeof path, e->dir, "df", "df", e->id) < 0 ||
	    sm_copy(path) < 0) {
		ctl_error("%s: %s", path, strerror(errno));
		return CTL_MTA_FAIL;
	}
	return CTL_MTA_OK;
}

/* sm_release - unquarantine, check, then run the queue for the id */
static int sm_release(struct ctl_mta *m, const struct ctl_mta_entry *e)
{
	char qi[CTL_MTA_ID_MAX + 4];
	char *argv[] = { "sendmail", "-qQ", "-Q", qi, NULL };
	const struct ctl_mta_entry *now;

	if (sm_unique(m, e) < 0)
		return CTL_MTA_FAIL;
	snprintf(qi, sizeof qi, "-qI%s", e->id);
	if (e->held) {
		if (ctl_mta_tool(argv) < 0) {
			ctl_error("sendmail -qQ -Q %s failed", qi);
			return CTL_MTA_FAIL;
		}
		/* -qQ -Q says nothing either way: look */
		ctl_mta_clear(m);
		if (sm_load(m) < 0)
			return CTL_MTA_FAIL;
		if ((now = ctl_mta_find(m, e->id)) == NULL)
			return CTL_MTA_GONE;
		if (now->held) {
			ctl_error("sendmail -qQ -Q %s left %s quarantined", qi,
				  e->id);
			return CTL_MTA_FAIL;
		}
	}
	argv[1] = qi;
	argv[2] = NULL;
	if (ctl_mta_tool(argv) < 0)
		ctl_error("message %s released from the quarantine, but "
			  "sendmail %s failed; it is delivered on the next "
			  "queue run",
			  e->id, qi);
	return CTL_MTA_OK;
}

/* sm_unlink - remove a data or transcript file, if there is one */
static void sm_unlink(const char *dir, const char *kind, const char *id)
{
	char path[SM_PATH_MAX];

	if (sm_path(path, sizeof path, dir, kind, kind, id) == 0 &&
	    unlink(path) < 0 && errno != ENOENT)
		ctl_error("%s: %s", path, strerror(errno));
}

/* sm_delete - lock and remove the hf file, then the df and xf files */
static int sm_delete(struct ctl_mta *m, const struct ctl_mta_entry *e)
{
	char path[SM_PATH_MAX];
	struct stat a, b;
	int fd, rc = CTL_MTA_FAIL;

	(void)m;
	if (e->dir == NULL ||
	    sm_path(path, sizeof path, e->dir, "qf", "hf", e->id) < 0) {
		ctl_error("no queue directory for %s in mailq's listing",
			  e->id);
		return CTL_MTA_FAIL;
	}
	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		ctl_error("%s: %s", path, strerror(errno));
		return errno == ENOENT ? CTL_MTA_GONE : CTL_MTA_FAIL;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ctl_error("%s is locked: Sendmail is working on message %s; "
			  "try again",
			  path, e->id);
		goto out;
	}
	/* renamed (released) or removed while we waited for the lock? */
	if (stat(path, &a) < 0 || fstat(fd, &b) < 0 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev) {
		ctl_error("%s: no longer quarantined", path);
		rc = CTL_MTA_GONE;
		goto out;
	}
	if (unlink(path) < 0) {
		ctl_error("%s: %s", path, strerror(errno));
		goto out;
	}
	sm_unlink(e->dir, "df", e->id);
	sm_unlink(e->dir, "xf", e->id);
	rc = CTL_MTA_OK;
out:
	close(fd);
	return rc;
}

const struct ctl_mta_ops ctl_mta_sendmail_ops = {
	"Sendmail", sm_load, sm_show, sm_release, sm_delete,
};
