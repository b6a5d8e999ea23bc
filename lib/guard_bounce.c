/*
 * NAME
 *	guard_bounce - follow the MTA's log and count bounces (MailLog)
 * DESCRIPTION
 *	Metric bounce (SPEC 6.1): with MailLog set, the guard starts a
 *	follower thread: maillog.c over a log file, or maillog_journal.c
 *	over the systemd journal.  Each result the MTA reports as bounced
 *	(Postfix status=bounced, Sendmail's stat= with a 5.x.x dsn=) is
 *	kept by its queue id; after each batch of lines the follower
 *	hands over its position, and the batch's queue ids and that
 *	position go to the store as one write (store_add_bounces), which
 *	the writer commits in one transaction: each id counts a bounce on
 *	the login of the newest msg_log row with that id (an index on
 *	msg_log.queue_id), at the time it is read.  At start the follower
 *	resumes from the saved position (daemon_state maillog_pos, or
 *	maillog_cursor for the journal), so a restart neither loses nor
 *	counts again a line: what was counted and the position after it
 *	are committed together.  Without a saved position it starts at
 *	the end of the file as it is when the daemon starts (a first
 *	poll before guard_new returns).  Results of unauthenticated mail
 *	find no msg_log row and count nothing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "guard_int.h"
#include "log.h"
#include "maillog.h"
#include "maillog_journal.h"
#include "metrics.h"

#define QIDS_MAX 65536 /* bytes of queue ids kept for one batch */

struct guard_bounce {
	struct store *store;
	struct maillog *file;
	struct maillog_journal *journal;
	pthread_t thread; /* the journal's */
	int running;
	volatile int stop;
	char *qids; /* the batch's bounced queue ids, space separated */
	size_t len;
	long nbounces; /* in the batch, for metrics */
	char *path;    /* the file followed, or NULL (journal) */
	long dropped;
};

/* on_result - keep a bounced result's queue id for the batch */
static void on_result(void *arg, const struct maillog_result *r)
{
	struct guard_bounce *b = arg;
	size_t n = strlen(r->queue_id);

	if (r->outcome != MAILLOG_BOUNCED || n == 0)
		return;
	if (b->len + n + 2 > QIDS_MAX) {
		b->dropped++;
		return;
	}
	b->nbounces++;
	if (b->len > 0)
		b->qids[b->len++] = ' ';
	memcpy(b->qids + b->len, r->queue_id, n + 1);
	b->len += n;
}

/* flush - the batch's bounces and position, in one store write */
static void flush(struct guard_bounce *b, const char *key, const char *pos)
{
	if (b->dropped > 0)
		log_msg(LOG_WARNING,
			"maillog: %ld bounces of one batch not counted "
			"(batch too large)",
			b->dropped);
	store_add_bounces(b->store, time(NULL), b->qids, key, pos);
	b->len = 0;
	b->qids[0] = '\0';
	b->dropped = 0;
}

/* on_pos - the file's position after a batch */
static void on_pos(void *arg, const struct maillog_pos *pos)
{
	struct guard_bounce *b = arg;
	char text[MAILLOG_POS_TEXT];
	struct stat st;
	long behind = 0;

	/* the lag: what the file at the path holds beyond the position */
	if (b->path != NULL && stat(b->path, &st) == 0) {
		if ((unsigned long long)st.st_ino == pos->inode &&
		    (unsigned long long)st.st_size >= pos->offset)
			behind = (long)((unsigned long long)st.st_size -
					pos->offset);
		else
			behind = (long)st.st_size; /* rotated: all of it */
	}
	metrics_maillog(behind, (long long)time(NULL), b->nbounces);
	b->nbounces = 0;
	maillog_pos_format(pos, text, sizeof(text));
	flush(b, "maillog_pos", text);
}

/* on_cursor - the journal's cursor after a batch */
static void on_cursor(void *arg, const char *cursor)
{
	struct guard_bounce *b = arg;

	metrics_maillog(0, (long long)time(NULL), b->nbounces);
	b->nbounces = 0;
	flush(b, "maillog_cursor", cursor);
}

/* journal_main - the journal follower's thread */
static void *journal_main(void *arg)
{
	struct guard_bounce *b = arg;

	maillog_journal_run(b->journal, &b->stop);
	return NULL;
}

/* guard_bounce_free - stop the follower and free it; NULL is fine */
void guard_bounce_free(struct guard_bounce *b)
{
	if (b == NULL)
		return;
	if (b->file != NULL)
		maillog_free(b->file); /* stops its thread */
	if (b->running) {
		b->stop = 1;
		pthread_join(b->thread, NULL);
	}
	maillog_journal_free(b->journal);
	free(b->path);
	free(b->qids);
	free(b);
}

/* guard_bounce_start - follow source ("journal" or a path); NULL */
struct guard_bounce *guard_bounce_start(struct store *s, const char *source,
					char *err, size_t errlen)
{
	struct guard_bounce *b = calloc(1, sizeof(*b));
	struct maillog_cb cb = { on_result, on_pos, b };
	struct maillog_journal_cb jcb = { on_result, on_cursor, b };
	struct maillog_pos pos;
	char saved[1024];
	int have;

	if (b == NULL || (b->qids = malloc(QIDS_MAX)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(b);
		return NULL;
	}
	b->qids[0] = '\0';
	b->store = s;
	if (strcmp(source, "journal") == 0) {
		have = store_state_get(s, "maillog_cursor", saved,
				       sizeof(saved));
		b->journal = maillog_journal_new(have == 1 ? saved : NULL, NULL,
						 &jcb);
		if (b->journal == NULL) {
			snprintf(err, errlen, "MailLog journal: %s",
				 maillog_journal_available()
					 ? "cannot open the journal"
					 : "built without libsystemd");
			guard_bounce_free(b);
			return NULL;
		}
		if (pthread_create(&b->thread, NULL, journal_main, b) != 0) {
			snprintf(err, errlen, "cannot start the log follower");
			guard_bounce_free(b);
			return NULL;
		}
		b->running = 1;
		return b;
	}
	b->path = strdup(source);
	have = store_state_get(s, "maillog_pos", saved, sizeof(saved)) == 1 &&
	       maillog_pos_parse(saved, &pos) == 0;
	b->file = maillog_new(source, have ? &pos : NULL, &cb);
	if (b->file != NULL && !have)
		maillog_poll(b->file); /* the end of the file is now */
	if (b->file == NULL || maillog_start(b->file) < 0) {
		snprintf(err, errlen, "MailLog %s: cannot follow it", source);
		guard_bounce_free(b);
		return NULL;
	}
	log_msg(LOG_INFO, "maillog: following %s%s", source,
		have ? " from the saved position" : "");
	return b;
}
