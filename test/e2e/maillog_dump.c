/*
 * NAME
 *	maillog_dump - the delivery results of a real MTA log, for e2e tests
 * SYNOPSIS
 *	maillog_dump FILE [POSITION]
 * DESCRIPTION
 *	Follows FILE with lib/maillog.c for one poll, from POSITION (the
 *	text of maillog_pos_format(), as a previous run printed it) or,
 *	without one, from the start of the file.  Prints one line per
 *	delivery result:
 *
 *	    MTA QUEUE_ID RECIPIENT OUTCOME DSN
 *
 *	(DSN "-" when none), then "pos POSITION" with where it stopped.
 * EXIT STATUS
 *	0, or 2 on a usage error or a bad POSITION.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "maillog.h"

/* print - one result */
static void print(void *arg, const struct maillog_result *r)
{
	(void)arg;
	printf("%s %s %s %s %s\n", maillog_mta_name(r->mta), r->queue_id,
	       r->rcpt, maillog_outcome_name(r->outcome),
	       r->dsn[0] ? r->dsn : "-");
}

int main(int argc, char **argv)
{
	struct maillog_cb cb = { print, NULL, NULL };
	struct maillog_pos pos = { 0, 0, 0, 0xcbf29ce484222325ULL };
	struct maillog *m;
	struct stat st;
	char text[MAILLOG_POS_TEXT];

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: maillog_dump FILE [POSITION]\n");
		return 2;
	}
	if (argc == 3 && maillog_pos_parse(argv[2], &pos) < 0) {
		fprintf(stderr, "maillog_dump: bad position \"%s\"\n", argv[2]);
		return 2;
	}
	/* no position: offset 0 of the file there now (empty head) */
	if (argc == 2 && stat(argv[1], &st) == 0)
		pos.inode = st.st_ino;
	if ((m = maillog_new(argv[1], &pos, &cb)) == NULL) {
		fprintf(stderr, "maillog_dump: %s: not an absolute path\n",
			argv[1]);
		return 2;
	}
	maillog_poll(m);
	maillog_poll(m); /* a rotated file: on to the new one */
	maillog_position(m, &pos);
	maillog_pos_format(&pos, text, sizeof(text));
	printf("pos %s\n", text);
	maillog_free(m);
	return 0;
}
