/*
 * NAME
 *	maillog_parse - delivery results from one MTA log line
 * SYNOPSIS
 *	#include "maillog_parse.h"
 *
 *	int maillog_parse(const char *line, size_t len,
 *			  struct maillog_result *out, int nout);
 * DESCRIPTION
 *	Reads the per-recipient delivery lines of Postfix (the delivery
 *	agents smtp, lmtp, local, virtual, error, retry, discard, pipe,
 *	under any syslog_name: "postfix/smtp", "postfix-out/smtp",
 *	"postfix/relay/smtp") and of Sendmail ("sendmail" or "sm-mta"):
 *
 *	    QID: to=<bob@example.net>, relay=..., dsn=5.1.1, status=bounced
 *(...) QID: to=a@x,<b@y>, ctladdr=..., mailer=esmtp, dsn=5.1.1, stat=...
 *
 *	after any syslog prefix: "Dec  3 07:34:00 host ", "Dec 03
 *	07:34:00.123456 host " (Postfix's own maillog_file), an ISO 8601
 *	time stamp (rsyslog's high-precision format), or none at all (a
 *	journal MESSAGE with its identifier in front).  The tag is looked
 *	for in the first MAILLOG_TAG_WORDS words.
 *
 *	The input is untrusted: a pure function of (line, len), no state,
 *	no allocation, every field bounded.  Anything else - other
 *	Postfix and Sendmail lines, garbage, a cut line, a line longer
 *	than MAILLOG_LINE_MAX, a NUL byte after the leading ones (leading
 *	NULs, as copytruncate can leave, are skipped) - gives 0 results.
 *	A recipient that does not fit or is not an address is left out;
 *	the others of the same line are kept.
 */
#ifndef OUTGUARD_MAILLOG_PARSE_H
#define OUTGUARD_MAILLOG_PARSE_H

#include <stddef.h>

#define MAILLOG_LINE_MAX  16384 /* longer lines are ignored */
#define MAILLOG_QID_MAX	  32	/* queue id, with its NUL */
#define MAILLOG_ADDR_MAX  320	/* recipient, with its NUL */
#define MAILLOG_DSN_MAX	  12	/* "5.1.1", with its NUL */
#define MAILLOG_RCPT_MAX  32	/* results of one Sendmail to= list */
#define MAILLOG_TAG_WORDS 8	/* words before the tag, at most */

enum maillog_mta { MAILLOG_POSTFIX = 1, MAILLOG_SENDMAIL };

/*
 * What became of one recipient.  Postfix: its status= word (sent,
 * bounced, deferred; any other, such as address verification's
 * "undeliverable", is OTHER).  Sendmail: stat=Sent... is DELIVERED,
 * stat=Deferred... DEFERRED, any other stat= goes by the dsn= class:
 * 5 BOUNCED (permanent), 4 DEFERRED, 2 DELIVERED, none OTHER ("queued").
 */
enum maillog_outcome {
	MAILLOG_OTHER,
	MAILLOG_DELIVERED,
	MAILLOG_BOUNCED,
	MAILLOG_DEFERRED
};

struct maillog_result {
	enum maillog_mta mta;
	enum maillog_outcome outcome;
	char queue_id[MAILLOG_QID_MAX];	  /* [0-9A-Za-z], as logged */
	char rcpt[MAILLOG_ADDR_MAX];	  /* no <>, domain in lower case */
	char orig_rcpt[MAILLOG_ADDR_MAX]; /* Postfix orig_to=, or "" */
	char dsn[MAILLOG_DSN_MAX];	  /* "5.1.1", or "" when none/bad */
};

/*
 * maillog_parse - the delivery results of line[0..len) (no newline
 * needed; a trailing "\n" or "\r\n" is ignored) into out[0..nout).
 * Returns how many were stored: 0 for any line that is not a delivery
 * line; Postfix lines give 1, Sendmail lines 1 per recipient of the
 * to= list (the first nout).  Never fails otherwise.
 */
int maillog_parse(const char *line, size_t len, struct maillog_result *out,
		  int nout);

/* maillog_outcome_name - "delivered", "bounced", "deferred" or "other" */
const char *maillog_outcome_name(enum maillog_outcome o);

/* maillog_mta_name - "postfix" or "sendmail" */
const char *maillog_mta_name(enum maillog_mta m);

#endif
