/*
 * NAME
 *	test_maillog_journal - delivery results from a real journal file
 * DESCRIPTION
 *	Writes journal entries with systemd-journal-remote (export format
 *	in, a real journal file out; package systemd-journal-remote) and
 *	follows that file with maillog_journal: mail facility entries
 *	only, live appends, and a restart from the saved cursor that
 *	neither loses nor repeats an entry.  Without sd-journal built in,
 *	it checks that the journal is refused.
 */
#include <stdio.h>
#include <unistd.h>

#include "check.h"
#include "maillog_journal.h"

#define REMOTE "/lib/systemd/systemd-journal-remote"

struct col {
	int results, bounced;
	char last[64];	  /* queue id of the last result */
	char cursor[512]; /* last cursor given */
	int ncursor;
};

static char dir[64], journal[128];
static long long usec = 1764747240000000LL; /* 2025-12-03 07:34 */

/* on_result - count */
static void on_result(void *arg, const struct maillog_result *r)
{
	struct col *c = arg;

	c->results++;
	c->bounced += r->outcome == MAILLOG_BOUNCED;
	snprintf(c->last, sizeof(c->last), "%s", r->queue_id);
}

/* on_cursor - keep it */
static void on_cursor(void *arg, const char *cursor)
{
	struct col *c = arg;

	snprintf(c->cursor, sizeof(c->cursor), "%s", cursor);
	c->ncursor++;
}

/*
 * append - entries to the journal file: "FACILITY IDENT PID MESSAGE"
 * strings, through systemd-journal-remote; 0 or -1
 */
static int append(const char *const *entries, int n)
{
	char path[128], cmd[512], ident[64], msg[400];
	int i, fac, pid;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/in.export", dir);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(entries[i], "%d %63s %d %399[^\n]", &fac, ident,
			   &pid, msg) != 4)
			return -1;
		usec += 1000000;
		fprintf(fp,
			"__REALTIME_TIMESTAMP=%lld\n__MONOTONIC_TIMESTAMP=%lld\n"
			"_BOOT_ID=0123456789abcdef0123456789abcdef\n"
			"_HOSTNAME=mx\nSYSLOG_FACILITY=%d\n"
			"SYSLOG_IDENTIFIER=%s\nSYSLOG_PID=%d\nMESSAGE=%s\n\n",
			usec, usec - 1764747240000000LL + 1, fac, ident, pid,
			msg);
	}
	fclose(fp);
	snprintf(cmd, sizeof(cmd), REMOTE " --output=%s - <%s 2>/dev/null",
		 journal, path);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *const batch1[] = {
	"2 postfix/smtp 11 4F3A21C0: to=<a@example.net>, relay=none, delay=0,"
	" delays=0/0/0/0, dsn=5.1.1, status=bounced (User unknown)",
	"3 postfix/smtp 11 4F3A21C9: to=<daemon@example.net>, relay=none, "
	"dsn=5.1.1, status=bounced (not the mail facility)",
	"2 sendmail 12 0B37YAx1001234: to=b@example.net,c@example.net, "
	"delay=00:00:01, mailer=esmtp, pri=1, dsn=5.1.1, stat=User unknown",
	"2 postfix/qmgr 13 4F3A21C0: removed",
};
static const char *const batch2[] = {
	"2 postfix/smtp 14 4F3A21C1: to=<d@example.net>, relay=none, delay=0,"
	" delays=0/0/0/0, dsn=2.0.0, status=sent (250 ok)",
};
static const char *const batch3[] = {
	"2 postfix/smtp 15 4F3A21C2: to=<e@example.net>, relay=none, delay=0,"
	" delays=0/0/0/0, dsn=5.7.1, status=bounced (no)",
	"2 postfix/smtp 15 4F3A21C3: to=<f@example.net>, relay=none, delay=0,"
	" delays=0/0/0/0, dsn=4.4.1, status=deferred (later)",
};

/* test_follow - from the start, live, restart */
static void test_follow(void)
{
	const char *files[] = { journal, NULL };
	struct maillog_journal_cb cb;
	struct maillog_journal *j;
	struct col c = { 0 };
	char saved[512];

	cb.result = on_result;
	cb.cursor = on_cursor;
	cb.arg = &c;
	CHECK(append(batch1, 4) == 0, "journal written");
	j = maillog_journal_new(NULL, files, &cb);
	CHECK(j != NULL, "journal opened");
	if (j == NULL)
		return;
	CHECK_INT("no cursor: from now on, nothing", maillog_journal_poll(j),
		  0);
	maillog_journal_free(j);
	j = maillog_journal_new("", files, &cb);
	CHECK_INT("from the oldest: 3 mail entries", maillog_journal_poll(j),
		  3);
	CHECK_INT("3 results: 1 Postfix, 2 Sendmail", c.results, 3);
	CHECK_INT("all bounced", c.bounced, 3);
	CHECK_INT("a cursor after the batch", c.ncursor, 1);
	CHECK(append(batch2, 1) == 0, "journal appended");
	CHECK_INT("live: the appended entry", maillog_journal_poll(j), 1);
	CHECK_STR("its queue id", c.last, "4F3A21C1");
	CHECK_INT("4 results", c.results, 4);
	snprintf(saved, sizeof(saved), "%s", c.cursor);
	maillog_journal_free(j);
	CHECK(append(batch3, 2) == 0, "journal appended while stopped");
	j = maillog_journal_new(saved, files, &cb);
	CHECK(j != NULL, "reopened at the cursor");
	if (j == NULL)
		return;
	CHECK_INT("restart: only the 2 new entries", maillog_journal_poll(j),
		  2);
	CHECK_INT("6 results, none twice", c.results, 6);
	CHECK_INT("4 bounced", c.bounced, 4);
	CHECK_INT("nothing more", maillog_journal_poll(j), 0);
	maillog_journal_free(j);
}

int main(void)
{
	struct maillog_journal_cb cb = { on_result, NULL, NULL };

	if (!maillog_journal_available()) {
		printf("sd-journal not built in: the journal is refused\n");
		CHECK(maillog_journal_new("", NULL, &cb) == NULL, "refused");
		return check_done();
	}
	if (access(REMOTE, X_OK) != 0) {
		printf("SKIP: " REMOTE " missing (systemd-journal-remote)\n");
		return 77;
	}
	CHECK_INT("temp dir", check_tmpdir(dir, "journal"), 0);
	snprintf(journal, sizeof(journal), "%s/test.journal", dir);
	test_follow();
	maillog_journal_free(NULL);
	return check_finish(dir);
}
