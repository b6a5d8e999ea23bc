/*
 * NAME
 *	maillog - follow the MTA's log file, report delivery results
 * SYNOPSIS
 *	#include "maillog.h"
 *
 *	struct maillog *m = maillog_new(path, &saved, &cb);
 *	maillog_start(m);	(a thread; or maillog_poll(m) in your loop)
 *	...
 *	maillog_stop(m); maillog_free(m);
 * DESCRIPTION
 *	Reads a log file line by line from a saved position and hands
 *	every delivery result of maillog_parse() to cb->result, then,
 *	after each batch of complete lines, its new position to cb->pos.
 *	Position = the file's inode, the offset after the last complete
 *	line read, and a hash of the file's first bytes (up to
 *	MAILLOG_HEAD_MAX), so a different file that got the same inode
 *	is told apart.
 *
 *	It follows what log writers and logrotate do:
 *	- a partial last line is kept until its newline arrives;
 *	- rename rotation: the old file is read to its end and until it
 *	  stops growing, then the new file is opened at offset 0;
 *	- copytruncate: a file shorter than the offset, or whose first
 *	  bytes changed, is read again from offset 0;
 *	- a missing file is looked for again at every poll;
 *	- a restart: given the saved position, it resumes at its offset
 *	  when the file is the same; when the file was rotated while it
 *	  was down, it finds the old file by inode (and head) in the same
 *	  directory (e.g. maillog.1), finishes it, then reads the new one
 *	  from 0.  Without a saved position it starts at the end of an
 *	  existing file (old lines are not counted), or at 0 of a file
 *	  that appears later.
 *	A line longer than MAILLOG_LINE_MAX is skipped whole.
 *
 *	Exactly-once across a restart needs the caller to keep what
 *	cb->result counted and the position of cb->pos together (one
 *	store transaction per batch): results of a batch all come
 *	before its position, and lines after the saved offset are read
 *	again.
 *
 *	"MailLog journal" is the other source, maillog_journal.h, with
 *	the same result callback; maillog_new() refuses "journal".
 */
#ifndef OUTGUARD_MAILLOG_H
#define OUTGUARD_MAILLOG_H

#include <stddef.h>

#include "maillog_parse.h"

#define MAILLOG_HEAD_MAX 64  /* bytes hashed to recognise a file */
#define MAILLOG_POLL_MS	 200 /* sleep between polls of maillog_run */
#define MAILLOG_POS_TEXT 80  /* maillog_pos_format() buffer, enough */

struct maillog_pos {
	unsigned long long inode;
	unsigned long long offset;    /* after the last complete line read */
	unsigned head_len;	      /* bytes hashed, 0..MAILLOG_HEAD_MAX */
	unsigned long long head_hash; /* FNV-1a 64 of those bytes */
};

struct maillog_cb {
	/* one delivery result; r is only valid during the call */
	void (*result)(void *arg, const struct maillog_result *r);
	/* the position after a batch; NULL when not wanted */
	void (*pos)(void *arg, const struct maillog_pos *pos);
	void *arg;
};

struct maillog;

/*
 * maillog_new - a follower of the file path (absolute), starting at
 * start (NULL: none saved).  The path and callbacks are copied.  NULL
 * when path is not absolute ("journal" included) or out of memory.
 * Nothing is opened yet.
 */
struct maillog *maillog_new(const char *path, const struct maillog_pos *start,
			    const struct maillog_cb *cb);

/*
 * maillog_poll - read what is there now, to the end of the file (or
 * of the old file, then the new one).  Calls the callbacks from the
 * calling thread.  Returns the number of complete lines read (0 when
 * none, or the file is missing).
 */
long maillog_poll(struct maillog *m);

/*
 * maillog_run - maillog_poll() every MAILLOG_POLL_MS until *stop is
 * non-zero (checked before each poll and each sleep).
 */
void maillog_run(struct maillog *m, const volatile int *stop);

/* maillog_start - maillog_run() in a new thread; 0, or -1 (errno) */
int maillog_start(struct maillog *m);

/* maillog_stop - tell the thread to stop and join it; safe if none */
void maillog_stop(struct maillog *m);

/* maillog_free - stop, close, release; NULL is fine */
void maillog_free(struct maillog *m);

/* maillog_position - the current position (as last given to cb->pos) */
void maillog_position(const struct maillog *m, struct maillog_pos *pos);

/*
 * maillog_pos_format - pos as text "INODE:OFFSET:HEADLEN:HASH" into
 * buf (MAILLOG_POS_TEXT bytes suffice); maillog_pos_parse() reads it
 * back: 0, or -1 when text is not one (pos is then zeroed).
 */
void maillog_pos_format(const struct maillog_pos *pos, char *buf, size_t len);
int maillog_pos_parse(const char *text, struct maillog_pos *pos);

#endif
