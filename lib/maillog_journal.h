/*
 * NAME
 *	maillog_journal - follow the systemd journal, report delivery results
 * SYNOPSIS
 *	#include "maillog_journal.h"
 *
 *	struct maillog_journal *j = maillog_journal_new(cursor, NULL, &cb);
 *	maillog_journal_run(j, &stop);	(or maillog_journal_poll(j))
 *	maillog_journal_free(j);
 * DESCRIPTION
 *	The journal source of "MailLog journal": the same results as
 *	maillog.h's file follower, from the journal's mail facility
 *	entries (SYSLOG_FACILITY=2, where Postfix and Sendmail log by
 *	default), each given to maillog_parse() as "IDENT[PID]: MESSAGE".
 *	The position is the journal cursor of the last entry read, a
 *	string given to cb->cursor after each batch; starting from it
 *	skips that entry and reads what follows.  Without one it starts
 *	after the newest entry.  The journal's own rotation and vacuum
 *	need nothing here; a cursor whose entry was vacuumed resumes at
 *	the nearest later entry.
 *
 *	Built on libsystemd's sd-journal when CMake finds libsystemd
 *	(maillog_journal.c); otherwise (maillog_journal_none.c)
 *	maillog_journal_available() is 0 and maillog_journal_new() NULL.
 */
#ifndef OUTGUARD_MAILLOG_JOURNAL_H
#define OUTGUARD_MAILLOG_JOURNAL_H

#include "maillog_parse.h"

struct maillog_journal_cb {
	/* one delivery result; r is only valid during the call */
	void (*result)(void *arg, const struct maillog_result *r);
	/* the cursor after a batch; NULL when not wanted */
	void (*cursor)(void *arg, const char *cursor);
	void *arg;
};

struct maillog_journal;

/* maillog_journal_available - 1 when built with sd-journal, else 0 */
int maillog_journal_available(void);

/*
 * maillog_journal_new - a follower of the local journal (files NULL)
 * or of the journal files named in the NULL-terminated files (tests),
 * after cursor (NULL: from now on; "": from the oldest entry).
 * Strings are copied.  NULL when
 * the journal cannot be opened or sd-journal is not built in.
 */
struct maillog_journal *
maillog_journal_new(const char *cursor, const char *const *files,
		    const struct maillog_journal_cb *cb);

/* maillog_journal_poll - read the new entries; how many were read */
long maillog_journal_poll(struct maillog_journal *j);

/*
 * maillog_journal_run - poll, then wait for the journal to change
 * (at most MAILLOG_POLL_MS), until *stop is non-zero
 */
void maillog_journal_run(struct maillog_journal *j, const volatile int *stop);

/* maillog_journal_free - close; NULL is fine */
void maillog_journal_free(struct maillog_journal *j);

#endif
