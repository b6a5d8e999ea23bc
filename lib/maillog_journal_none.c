/*
 * NAME
 *	maillog_journal_none - the journal source when libsystemd is absent
 * DESCRIPTION
 *	See maillog_journal.h: built instead of maillog_journal.c when
 *	CMake finds no libsystemd.  Nothing can be opened.
 */
#include <stddef.h>

#include "maillog_journal.h"

/* maillog_journal_available - not built in */
int maillog_journal_available(void)
{
	return 0;
}

/* maillog_journal_new - always NULL */
struct maillog_journal *maillog_journal_new(const char *cursor,
					    const char *const *files,
					    const struct maillog_journal_cb *cb)
{
	(void)cursor;
	(void)files;
	(void)cb;
	return NULL;
}

/* maillog_journal_poll - nothing to read */
long maillog_journal_poll(struct maillog_journal *j)
{
	(void)j;
	return 0;
}

/* maillog_journal_run - returns at once */
void maillog_journal_run(struct maillog_journal *j, const volatile int *stop)
{
	(void)j;
	(void)stop;
}

/* maillog_journal_free - nothing to free */
void maillog_journal_free(struct maillog_journal *j)
{
	(void)j;
}
