/*
 * NAME
 *	maillog_journal - follow the systemd journal through sd-journal
 * DESCRIPTION
 *	See maillog_journal.h.  One sd_journal handle, matched to the
 *	mail facility; each entry's SYSLOG_IDENTIFIER, SYSLOG_PID (or
 *	_PID) and MESSAGE become one line for maillog_parse().  Fields
 *	are bounded: an entry whose line would not fit MAILLOG_LINE_MAX
 *	is skipped.  The cursor is taken after every BATCH entries and at
 *	the end of a poll.
 */
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "maillog.h"
#include "maillog_journal.h"

#define BATCH	1000 /* entries between two cursors */
#define TAG_MAX 256  /* "IDENT[PID]: " at most */

struct maillog_journal {
	sd_journal *j;
	struct maillog_journal_cb cb;
	char *skip; /* the saved cursor, until its entry is passed */
	char line[MAILLOG_LINE_MAX + TAG_MAX];
	struct maillog_result res[MAILLOG_RCPT_MAX];
};

/* maillog_journal_available - built with sd-journal */
int maillog_journal_available(void)
{
	return 1;
}

/*
 * field - the value of field name ("MESSAGE") of the current entry
 * and its length in *n, or NULL (not there, or longer than max)
 */
static const char *field(sd_journal *j, const char *name, size_t max, size_t *n)
{
	const void *data;
	size_t len, k = strlen(name);

	if (sd_journal_get_data(j, name, &data, &len) < 0 || len <= k ||
	    len - k - 1 > max)
		return NULL;
	*n = len - k - 1;
	return (const char *)data + k + 1;
}

/* entry - the current entry as a line, its results to cb.result */
static void entry(struct maillog_journal *mj)
{
	const char *ident, *pid, *msg;
	size_t ni, np = 0, nm, len;
	int i, k;

	if ((ident = field(mj->j, "SYSLOG_IDENTIFIER", 100, &ni)) == NULL ||
	    (msg = field(mj->j, "MESSAGE", MAILLOG_LINE_MAX, &nm)) == NULL)
		return;
	if ((pid = field(mj->j, "SYSLOG_PID", 20, &np)) == NULL &&
	    (pid = field(mj->j, "_PID", 20, &np)) == NULL)
		np = 0;
	memcpy(mj->line, ident, ni);
	len = ni;
	if (np > 0) {
		mj->line[len++] = '[';
		memcpy(mj->line + len, pid, np);
		len += np;
		mj->line[len++] = ']';
	}
	memcpy(mj->line + len, ": ", 2);
	len += 2;
	memcpy(mj->line + len, msg, nm);
	len += nm;
	k = maillog_parse(mj->line, len, mj->res, MAILLOG_RCPT_MAX);
	for (i = 0; i < k; i++)
		mj->cb.result(mj->cb.arg, &mj->res[i]);
}

/* report - the cursor of the current entry to cb.cursor */
static void report(struct maillog_journal *mj)
{
	char *c;

	if (mj->cb.cursor == NULL || sd_journal_get_cursor(mj->j, &c) < 0)
		return;
	mj->cb.cursor(mj->cb.arg, c);
	free(c);
}

/* maillog_journal_poll - read the new entries */
long maillog_journal_poll(struct maillog_journal *mj)
{
	long n = 0;
	int rc;

	sd_journal_process(mj->j);
	while ((rc = sd_journal_next(mj->j)) > 0) {
		if (mj->skip != NULL) {
			rc = sd_journal_test_cursor(mj->j, mj->skip);
			free(mj->skip);
			mj->skip = NULL;
			if (rc > 0)
				continue; /* read before the restart */
		}
		entry(mj);
		if (++n % BATCH == 0)
			report(mj);
	}
	if (rc < 0)
		log_ratelimited("maillog_journal", 60, LOG_WARNING,
				"maillog: reading the journal: %s",
				strerror(-rc));
	if (n % BATCH != 0)
		report(mj);
	return n;
}

/* maillog_journal_run - poll and wait until *stop */
void maillog_journal_run(struct maillog_journal *mj, const volatile int *stop)
{
	while (!*stop) {
		maillog_journal_poll(mj);
		if (!*stop)
			sd_journal_wait(mj->j, MAILLOG_POLL_MS * 1000ULL);
	}
}

/* start - position the handle after cursor, the newest entry or none */
static int start(struct maillog_journal *mj, const char *cursor)
{
	if (cursor == NULL) {
		if (sd_journal_seek_tail(mj->j) < 0)
			return -1;
		/* the tail is after the last entry: step onto it */
		sd_journal_previous(mj->j);
		return 0;
	}
	if (cursor[0] == '\0')
		return sd_journal_seek_head(mj->j) < 0 ? -1 : 0;
	if ((mj->skip = strdup(cursor)) == NULL)
		return -1;
	return sd_journal_seek_cursor(mj->j, cursor) < 0 ? -1 : 0;
}

/* maillog_journal_new - open the journal */
struct maillog_journal *maillog_journal_new(const char *cursor,
					    const char *const *files,
					    const struct maillog_journal_cb *cb)
{
	struct maillog_journal *mj;
	int rc;

	if (cb == NULL || cb->result == NULL ||
	    (mj = calloc(1, sizeof(*mj))) == NULL)
		return NULL;
	mj->cb = *cb;
	if (files != NULL)
		rc = sd_journal_open_files(&mj->j, (const char **)files, 0);
	else
		rc = sd_journal_open(&mj->j, SD_JOURNAL_LOCAL_ONLY);
	if (rc < 0) {
		log_msg(LOG_ERR, "maillog: cannot open the journal: %s",
			strerror(-rc));
		free(mj);
		return NULL;
	}
	if (sd_journal_add_match(mj->j, "SYSLOG_FACILITY=2", 0) < 0 ||
	    start(mj, cursor) < 0) {
		log_msg(LOG_ERR, "maillog: cannot position in the journal");
		maillog_journal_free(mj);
		return NULL;
	}
	return mj;
}

/* maillog_journal_free - close */
void maillog_journal_free(struct maillog_journal *mj)
{
	if (mj == NULL)
		return;
	if (mj->j != NULL)
		sd_journal_close(mj->j);
	free(mj->skip);
	free(mj);
}
