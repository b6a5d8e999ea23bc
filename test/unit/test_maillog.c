/*
 * NAME
 *	test_maillog - MTA log lines, and following a real log file
 * DESCRIPTION
 *	The parser: a table of Postfix and Sendmail lines (got results,
 *	want MTA, queue id, recipient, outcome, dsn), garbage, long
 *	lines, NUL bytes, cut lines.  The follower: a temp file written
 *	as the MTA and logrotate would (append, a line in two writes,
 *	rename rotation, copytruncate, missing file, restart from a
 *	saved position), polled with maillog_poll(); every result is
 *	counted exactly, so a lost or repeated line fails.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "maillog.h"

#define PF "Dec  3 07:34:00 mx1 postfix/smtp[123]: "

struct row {
	const char *line;
	int n; /* results */
	int mta;
	const char *qid, *rcpt, *dsn;
	int outcome;
	const char *orig; /* orig_to, or NULL for "" */
};

#define BOUNCE MAILLOG_BOUNCED
#define SENT   MAILLOG_DELIVERED
#define DEFER  MAILLOG_DEFERRED
#define OTHER  MAILLOG_OTHER
#define P      MAILLOG_POSTFIX
#define S      MAILLOG_SENDMAIL

/* the table as written, not as clang-format would wrap it */
/* clang-format off */
static const struct row rows[] = {
	/* Postfix: each delivery agent, status and prefix */
	{ PF "4F3A21C0: to=<bob@Example.NET>, relay=mx.example.net[192.0.2.1]"
	  ":25, delay=0.5, delays=0.1/0/0.2/0.2, dsn=5.1.1, status=bounced"
	  " (host mx.example.net[192.0.2.1] said: 550 5.1.1 <bob@example."
	  "net>: Recipient address rejected: User unknown (in reply to "
	  "RCPT TO command))",
	  1, P, "4F3A21C0", "bob@example.net", "5.1.1", BOUNCE, NULL },
	{ PF "4F3A21C0: to=<Bob.Smith@example.net>, relay=mx[192.0.2.1]:25, "
	  "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 2.0.0 Ok: "
	  "queued as 99)",
	  1, P, "4F3A21C0", "Bob.Smith@example.net", "2.0.0", SENT, NULL },
	{ PF "4F3A21C0: to=<x@example.net>, relay=none, delay=30, delays=0/0/"
	  "30/0, dsn=4.4.1, status=deferred (connect to mx[192.0.2.1]:25:"
	  " Connection refused)",
	  1, P, "4F3A21C0", "x@example.net", "4.4.1", DEFER, NULL },
	{ "Dec  3 07:34:00 mx1 postfix/local[77]: 3A1B2C: to=<root@mx1.examp"
	  "le.test>, orig_to=<Postmaster@Example.TEST>, relay=local, delay="
	  "0.01, delays=0/0/0/0, dsn=2.0.0, status=sent (delivered to mailbox)",
	  1, P, "3A1B2C", "root@mx1.example.test", "2.0.0", SENT,
	  "Postmaster@example.test" },
	{ "Dec  3 07:34:00 mx1 postfix/lmtp[9]: 3A1B2D: to=<a@b.example>, "
	  "relay=mail.example[private/dovecot-lmtp], delay=0.1, delays=0/0/0/"
	  "0.1, dsn=5.1.1, status=bounced (host said: 550 5.1.1 no such user)",
	  1, P, "3A1B2D", "a@b.example", "5.1.1", BOUNCE, NULL },
	{ "Dec  3 07:34:00 mx1 postfix/virtual[9]: 3A1B2E: to=<v@virt.example"
	  ">, relay=virtual, delay=0, delays=0/0/0/0, dsn=2.0.0, status=sent "
	  "(delivered to maildir)",
	  1, P, "3A1B2E", "v@virt.example", "2.0.0", SENT, NULL },
	{ "Dec  3 07:34:00 mx1 postfix/error[9]: 3A1B2F: to=<gone@example.net>"
	  ", relay=none, delay=0, delays=0/0/0/0, dsn=5.0.0, status=bounced "
	  "(User unknown)",
	  1, P, "3A1B2F", "gone@example.net", "5.0.0", BOUNCE, NULL },
	{ "2026-12-03T07:34:00.123456+00:00 mx1 postfix/smtp[1]: 4Xyz9Kq2mZz"
	  "1: to=<iso@example.net>, relay=r[192.0.2.1]:25, delay=1, delays="
	  "0/0/0/1, dsn=5.7.1, status=bounced (host r said: 554 5.7.1 no)",
	  1, P, "4Xyz9Kq2mZz1", "iso@example.net", "5.7.1", BOUNCE, NULL },
	{ "Dec 03 07:34:00.004211 mx1 postfix/smtp[3985]: 6E22A1: to=<own@e"
	  "xample.net>, relay=127.0.0.1[127.0.0.1]:2525, delay=0.02, delays="
	  "0/0/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
	  1, P, "6E22A1", "own@example.net", "2.0.0", SENT, NULL },
	{ "Dec 03 07:34:00 mx1 postfix-out/smtp[3985]: 6E22A2: to=<multi@exa"
	  "mple.net>, relay=none, delay=0, delays=0/0/0/0, dsn=4.3.0, status="
	  "deferred (mail transport unavailable)",
	  1, P, "6E22A2", "multi@example.net", "4.3.0", DEFER, NULL },
	{ "Dec  3 07:34:00 mx1 postfix/relay/smtp[5]: 6E22A3: to=<r@example.n"
	  "et>, relay=r[192.0.2.9]:25, conn_use=2, delay=0.2, delays=0/0/0/0."
	  "2, dsn=2.0.0, status=sent (250 ok)",
	  1, P, "6E22A3", "r@example.net", "2.0.0", SENT, NULL },
	{ "postfix/smtp[1]: 6E22A4: to=<journal@example.net>, relay=none, "
	  "delay=0, delays=0/0/0/0, dsn=5.4.4, status=bounced (no host)",
	  1, P, "6E22A4", "journal@example.net", "5.4.4", BOUNCE, NULL },
	{ PF "6E22A5: to=<v@example.net>, relay=none, delay=0, delays=0/0/0/0"
	  ", dsn=5.1.1, status=undeliverable (verify)",
	  1, P, "6E22A5", "v@example.net", "5.1.1", OTHER, NULL },
	{ PF "6E22A6: to=<crlf@example.net>, relay=none, dsn=5.0.0, status="
	  "bounced\r\n",
	  1, P, "6E22A6", "crlf@example.net", "5.0.0", BOUNCE, NULL },
	{ PF "6E22A7: to=<baddsn@example.net>, relay=none, dsn=9.9.9, "
	  "status=bounced (x)",
	  1, P, "6E22A7", "baddsn@example.net", "", BOUNCE, NULL },
	/* Sendmail */
	{ "Dec  3 07:34:00 mx2 sendmail[123]: 0B37YAx1001234: to=<bob@Exampl"
	  "e.NET>, ctladdr=<alice@example.test> (1000/1000), delay=00:00:01, "
	  "xdelay=00:00:01, mailer=esmtp, pri=120321, relay=mx.example.net. "
	  "[192.0.2.1], dsn=5.1.1, stat=User unknown",
	  1, S, "0B37YAx1001234", "bob@example.net", "5.1.1", BOUNCE, NULL },
	{ "Dec  3 07:34:00 mx2 sm-mta[123]: 0B37YAx1001235: to=<ok@example.ne"
	  "t>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=120321, "
	  "relay=mx.example.net. [192.0.2.1], dsn=2.0.0, stat=Sent (Ok: "
	  "queued as 4F3A21C0)",
	  1, S, "0B37YAx1001235", "ok@example.net", "2.0.0", SENT, NULL },
	{ "Dec  3 07:34:00 mx2 sendmail[123]: 0B37YAx1001236: to=<d@example.n"
	  "et>, delay=00:05:00, xdelay=00:05:00, mailer=esmtp, pri=210321, "
	  "relay=mx.example.net., dsn=4.0.0, stat=Deferred: Connection "
	  "refused by mx.example.net.",
	  1, S, "0B37YAx1001236", "d@example.net", "4.0.0", DEFER, NULL },
	{ "Dec  3 07:34:00 mx2 sendmail[123]: 0B37YAx1001237: to=\\root, dela"
	  "y=00:00:00, mailer=local, pri=30000, dsn=2.0.0, stat=Sent",
	  1, S, "0B37YAx1001237", "root", "2.0.0", SENT, NULL },
	{ "Dec  3 07:34:00 mx2 sendmail[123]: 0B37YAx1001238: to=<q@example.n"
	  "et>, delay=00:00:00, mailer=esmtp, pri=30000, stat=queued",
	  1, S, "0B37YAx1001238", "q@example.net", "", OTHER, NULL },
	{ "Dec  3 07:34:00 mx2 sendmail[123]: 0B37YAx1001239: to=<s@example.n"
	  "et>, delay=00:00:00, mailer=esmtp, pri=30000, dsn=5.0.0, stat="
	  "Service unavailable",
	  1, S, "0B37YAx1001239", "s@example.net", "5.0.0", BOUNCE, NULL },
	/* real Sendmail 8.17 lines (syslog datagrams as sent to /dev/log) */
	{ "<22>Dec  3 07:52:54 sendmail[24372]: 6B37qs3t024367: to=<Other@Ex"
	  "ample.NET>, delay=00:00:00, xdelay=00:00:00, mailer=relay, pri=602"
	  "90, relay=[127.0.0.1] [127.0.0.1], dsn=5.1.1, reply=550 5.1.1 Reci"
	  "pient address rejected: User unknown, stat=User unknown",
	  1, S, "6B37qs3t024367", "Other@example.net", "5.1.1", BOUNCE, NULL },
	{ "Dec  3 07:52:54 mx sendmail[24372]: 6B37qs3t024372: to=MAILER-DAEM"
	  "ON, delay=00:00:00, mailer=local, pri=31314, dsn=5.1.1, reply=550 "
	  "5.1.1 User unknown, stat=User unknown",
	  1, S, "6B37qs3t024372", "MAILER-DAEMON", "5.1.1", BOUNCE, NULL },
	/* a remote reply or a quoted local part that mimics the fields */
	{ "Dec  3 07:52:54 mx sendmail[1]: 6B37qs3t024367: to=<x@example.net>"
	  ", delay=00:00:00, mailer=relay, pri=1, relay=r, dsn=5.1.1, reply="
	  "550 5.1.1 no, really, stat=Sent, stat=User unknown",
	  1, S, "6B37qs3t024367", "x@example.net", "5.1.1", BOUNCE, NULL },
	{ "Dec  3 07:52:54 mx sendmail[1]: 6B37qs3t024367: to=<\"a, dsn=2.0."
	  "0, stat=Sent\"@example.net>, delay=00:00:00, mailer=relay, pri=1, "
	  "dsn=5.1.1, stat=User unknown",
	  1, S, "6B37qs3t024367", "\"a, dsn=2.0.0, stat=Sent\"@example.net", "5.1.1",
	  BOUNCE, NULL },
	{ PF "4F3A21C0: to=<\"a>, relay=none, dsn=2.0.0, status=sent (x) \"@"
	  "example.net>, relay=r[192.0.2.1]:25, delay=1, delays=0/0/0/1, "
	  "dsn=5.1.1, status=bounced (host r said: 550 5.1.1 no)",
	  1, P, "4F3A21C0",
	  "\"a>, relay=none, dsn=2.0.0, status=sent (x) "
	  "\"@example.net",
	  "5.1.1", BOUNCE, NULL },
	/* not delivery lines */
	{ "Dec  3 07:34:00 mx1 postfix/qmgr[5]: 4F3A21C0: from=<a@example.tes"
	  "t>, size=300, nrcpt=1 (queue active)",
	  0, 0, 0, 0, 0, 0, 0 },
	{ "Dec  3 07:34:00 mx1 postfix/smtpd[5]: NOQUEUE: reject: RCPT from x"
	  "[192.0.2.1]: 554 5.7.1 <y@example.net>: Relay access denied; from="
	  "<a@b> to=<y@example.net> proto=ESMTP helo=<x>",
	  0, 0, 0, 0, 0, 0, 0 },
	{ "Dec  3 07:34:00 mx1 postfix/cleanup[5]: 4F3A21C0: message-id=<1@x>", 0, 0,
	  0, 0, 0, 0, 0 },
	{ "Dec  3 07:34:00 mx1 postfix/bounce[5]: 4F3A21C0: sender non-delive"
	  "ry notification: 5B2C",
	  0, 0, 0, 0, 0, 0, 0 },
	{ "Dec  3 07:34:00 mx1 postfix/qmgr[5]: 4F3A21C0: from=<a@b>, status="
	  "expired, returned to sender",
	  0, 0, 0, 0, 0, 0, 0 },
	{ "Dec  3 07:34:00 mx1 evil/tool[5]: 4F3A21C0: to=<a@b.c>, dsn=5.1.1,"
	  " status=bounced",
	  0, 0, 0, 0, 0, 0, 0 },
	{ "Dec  3 07:34:00 mx1 sendmail[5]: 0B37YAx1001234: from=<a@b.c>, siz"
	  "e=1, class=0, nrcpts=1, msgid=<1@x>, relay=root@localhost",
	  0, 0, 0, 0, 0, 0, 0 },
	{ "Dec  3 07:34:00 mx1 sm-msp-queue[5]: 0B37YAx1001234: to=a@b.c, "
	  "dsn=2.0.0, stat=Sent",
	  0, 0, 0, 0, 0, 0, 0 },
	{ PF "4F3A21C0: to=<bob@example.net>, relay=none, dsn=5.1.1, statu", 0, 0, 0,
	  0, 0, 0, 0 },
	{ PF "4F3A21C0: to=<bob@example.net", 0, 0, 0, 0, 0, 0, 0 },
	{ PF "4F3A: to=<bob@example.net>, dsn=5.1.1, status=bounced", 0, 0, 0, 0, 0,
	  0, 0 },
	{ PF "4F3A21C0: to=<>, relay=none, dsn=5.1.1, status=bounced", 0, 0, 0, 0, 0,
	  0, 0 },
	{ PF "4F3A21C0: to=<a\x01@example.net>, dsn=5.1.1, status=bounced", 0, 0, 0,
	  0, 0, 0, 0 },
	{ PF "4F3A21C0: to=<bob@example.net>, relay=none, dsn=5.1.1, status=", 0, 0,
	  0, 0, 0, 0, 0 },
	{ "", 0, 0, 0, 0, 0, 0, 0 },
	{ "postfix/smtp[1]:", 0, 0, 0, 0, 0, 0, 0 },
	{ "\xff\xfe\x80 garbage \x1b[31m", 0, 0, 0, 0, 0, 0, 0 },
	{ "a b c d e f g h i j postfix/smtp[1]: 4F3A21C0: to=<a@b.c>, dsn=5"
	  ".1.1, status=bounced",
	  0, 0, 0, 0, 0, 0, 0 },
	{ "Dec  3 07:34:00 mx1 postfix/smtp[x1]: 4F3A21C0: to=<a@b.c>, dsn=5"
	  ".1.1, status=bounced",
	  0, 0, 0, 0, 0, 0, 0 },
};
/* clang-format on */

/* run_row - parse one row's line, compare */
static void run_row(const struct row *r)
{
	struct maillog_result out[4];
	int n = maillog_parse(r->line, strlen(r->line), out, 4);

	CHECK_INT(r->line, n, r->n);
	if (n != 1 || r->n != 1)
		return;
	CHECK_INT(r->line, out[0].mta, r->mta);
	CHECK_STR(r->line, out[0].queue_id, r->qid);
	CHECK_STR(r->line, out[0].rcpt, r->rcpt);
	CHECK_STR(r->line, out[0].dsn, r->dsn);
	CHECK_STR(r->line, maillog_outcome_name(out[0].outcome),
		  maillog_outcome_name(r->outcome));
	CHECK_STR(r->line, out[0].orig_rcpt, r->orig ? r->orig : "");
}

/* test_sendmail_list - a to= list gives one result per recipient */
static void test_sendmail_list(void)
{
	static const char line[] =
		"Dec  3 07:34:00 mx2 sendmail[9]: 0B37YAx1001240: to=a@X.org,"
		"<B@y.example>,c@z.example,|/bin/prog,, ctladdr=<u@h> (8/0), "
		"delay=00:00:02, mailer=esmtp, pri=1, relay=r. [192.0.2.2], "
		"dsn=5.1.1, stat=User unknown";
	static const char *const want[] = { "a@x.org", "B@y.example",
					    "c@z.example" };
	struct maillog_result out[MAILLOG_RCPT_MAX];
	int n = maillog_parse(line, strlen(line), out, MAILLOG_RCPT_MAX), i;

	CHECK_INT("sendmail list: 3 recipients (a program left out)", n, 3);
	for (i = 0; i < n && i < 3; i++) {
		CHECK_STR("sendmail list rcpt", out[i].rcpt, want[i]);
		CHECK_STR("sendmail list qid", out[i].queue_id,
			  "0B37YAx1001240");
		CHECK_STR("sendmail list dsn", out[i].dsn, "5.1.1");
		CHECK_INT("sendmail list outcome", out[i].outcome, BOUNCE);
		CHECK_INT("sendmail list mta", out[i].mta, S);
	}
	CHECK_INT("sendmail list: only nout kept",
		  maillog_parse(line, strlen(line), out, 2), 2);
}

/* test_bytes - NULs, long lines, cut lines; never past len */
static void test_bytes(void)
{
	static const char good[] = PF "4F3A21C0: to=<bob@example.net>, relay"
				      "=none, dsn=5.1.1, status=bounced (x)";
	struct maillog_result out[2];
	char *buf;
	size_t n = strlen(good), i;
	int bad = 0;

	buf = malloc(MAILLOG_LINE_MAX + 100);
	memcpy(buf + 4, good, n);
	memset(buf, 0, 4);
	CHECK_INT("leading NULs (copytruncate) are skipped",
		  maillog_parse(buf, n + 4, out, 2), 1);
	buf[4 + 30] = '\0';
	CHECK_INT("a NUL inside: ignored", maillog_parse(buf, n + 4, out, 2),
		  0);
	/* every prefix of a good line: 0 results, except the whole one
	 * (a cut status word is "bounce", not a bounce); from a malloc'd
	 * copy of exactly that size so ASan sees any read past len */
	for (i = 0; i < n; i++) {
		char *cut = malloc(i + 1);

		memcpy(cut, good, i);
		if (maillog_parse(cut, i, out, 2) != 0 &&
		    out[0].outcome == BOUNCE && i < n - 4)
			bad++;
		free(cut);
	}
	CHECK_INT("cut lines give no bounce", bad, 0);
	memset(buf, 'a', MAILLOG_LINE_MAX + 100);
	memcpy(buf, good, n);
	memcpy(buf + MAILLOG_LINE_MAX + 100 - 8, ", x=y)", 6);
	CHECK_INT("a line over MAILLOG_LINE_MAX: ignored",
		  maillog_parse(buf, MAILLOG_LINE_MAX + 100, out, 2), 0);
	memset(buf, 'a', MAILLOG_LINE_MAX);
	memcpy(buf, good, n);
	CHECK_INT("a line of MAILLOG_LINE_MAX with a long status text",
		  maillog_parse(buf, MAILLOG_LINE_MAX, out, 2), 1);
	memset(buf, 'a', 400);
	memcpy(buf, PF "4F3A21C0: to=<", strlen(PF) + 14);
	memcpy(buf + 380, ">, dsn=5.1.1, status=bounced", 28);
	CHECK_INT("an address over MAILLOG_ADDR_MAX: ignored",
		  maillog_parse(buf, 408, out, 2), 0);
	free(buf);
	CHECK_INT("NULL line", maillog_parse(NULL, 5, out, 2), 0);
	CHECK_INT("no room", maillog_parse(good, n, out, 0), 0);
}

/* test_pos_text - positions survive a round trip through text */
static void test_pos_text(void)
{
	struct maillog_pos p = { 1234567, 98765, 64, 0xfedcba9876543210ULL }, q;
	char buf[MAILLOG_POS_TEXT];

	maillog_pos_format(&p, buf, sizeof(buf));
	CHECK_STR("pos text", buf, "1234567:98765:64:fedcba9876543210");
	CHECK_INT("pos parse", maillog_pos_parse(buf, &q), 0);
	CHECK_INT("pos round trip", memcmp(&p, &q, sizeof(p)), 0);
	CHECK_INT("pos bad", maillog_pos_parse("1:2:3", &q), -1);
	CHECK_INT("pos bad head", maillog_pos_parse("1:2:65:0", &q), -1);
	CHECK_INT("pos trailing", maillog_pos_parse("1:2:3:4x", &q), -1);
	CHECK_INT("pos negative", maillog_pos_parse("-1:2:3:4", &q), -1);
}

/* --- the follower ------------------------------------------------ */

#define NLINES 256

struct col {
	int seen[NLINES]; /* results per line number */
	int results;
	struct maillog_pos pos; /* last one given to cb.pos */
	int npos;
};

static char dir[64];

/* on_result - count the result of line "uN@" */
static void on_result(void *arg, const struct maillog_result *r)
{
	struct col *c = arg;
	int i = atoi(r->rcpt + 1);

	c->results++;
	if (r->rcpt[0] == 'u' && i >= 0 && i < NLINES)
		c->seen[i]++;
}

/* on_pos - keep the position */
static void on_pos(void *arg, const struct maillog_pos *pos)
{
	struct col *c = arg;

	c->pos = *pos;
	c->npos++;
}

/* path_of - DIR/name in a static buffer (one of two) */
static const char *path_of(const char *name)
{
	static char buf[2][128];
	static int k;

	k = !k;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* put - write text to the end of file name (made when missing) */
static void put(const char *name, const char *text)
{
	int fd = open(path_of(name), O_WRONLY | O_CREAT | O_APPEND, 0600);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		printf("cannot write %s\n", path_of(name));
	if (fd >= 0)
		close(fd);
}

/* file_size - the size of file name, or -1 */
static long file_size(const char *name)
{
	struct stat st;

	return stat(path_of(name), &st) == 0 ? (long)st.st_size : -1;
}

/* copy_file - copy file from to file to, as copytruncate does */
static void copy_file(const char *from, const char *to)
{
	char *text = check_read_file(path_of(from));

	CHECK(text != NULL, "read the file to copy");
	if (text != NULL)
		put(to, text);
	free(text);
}

/* put_line - the bounce line of number i (recipient uI@example.net) */
static void put_line(const char *name, int i)
{
	char line[256];

	snprintf(line, sizeof(line),
		 PF "%08X: to=<u%d@example.net>, relay=none, delay=0, "
		    "delays=0/0/0/0, dsn=5.1.1, status=bounced (x)\n",
		 0x4F3A0000 + i, i);
	put(name, line);
}

/* put_lines - lines from..to-1 */
static void put_lines(const char *name, int from, int to)
{
	while (from < to)
		put_line(name, from++);
}

/* check_exact - lines 0..n-1 each seen once, nothing else */
static void check_exact(const char *what, const struct col *c, int n)
{
	int i, bad = 0;

	for (i = 0; i < NLINES; i++)
		if (c->seen[i] != (i < n))
			bad++;
	CHECK_INT(what, c->results, n);
	CHECK_INT(what, bad, 0);
}

/* follower - a new follower of DIR/maillog, from pos (or none) */
static struct maillog *follower(struct col *c, const struct maillog_pos *pos)
{
	struct maillog_cb cb = { on_result, on_pos, c };

	return maillog_new(path_of("maillog"), pos, &cb);
}

/* fresh_dir - an empty directory for one scenario */
static void fresh_dir(const char *name)
{
	char cmd[128];

	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (check_fail == 0 && system(cmd) != 0)
			printf("cannot remove %s\n", dir);
	}
	if (check_tmpdir(dir, name) < 0)
		printf("cannot make a temp dir\n");
}

/* test_append - missing, appearing, appending, a line in two writes */
static void test_append(void)
{
	static const char half[] = PF
		"4F3A0005: to=<u5@example.net>, relay=none, dsn=5";
	struct col c = { 0 };
	struct maillog *m;

	fresh_dir("maillog-append");
	m = follower(&c, NULL);
	CHECK(m != NULL, "follower made");
	CHECK_INT("missing file: nothing", maillog_poll(m), 0);
	CHECK_INT("missing file: again nothing", maillog_poll(m), 0);
	put_lines("maillog", 0, 3);
	CHECK_INT("file appeared: read from its start", maillog_poll(m), 3);
	check_exact("appeared", &c, 3);
	put_lines("maillog", 3, 5);
	put("maillog", "Dec  3 garbage line\n");
	CHECK_INT("appended: 3 lines", maillog_poll(m), 3);
	check_exact("appended", &c, 5);
	put("maillog", half);
	CHECK_INT("half a line: not yet", maillog_poll(m), 0);
	check_exact("half a line", &c, 5);
	CHECK_INT("position is before the half line", c.pos.offset,
		  file_size("maillog") - (long)strlen(half));
	put("maillog", ".1.1, status=bounced (x)\n");
	CHECK_INT("completed line", maillog_poll(m), 1);
	check_exact("completed line", &c, 6);
	CHECK_INT("nothing new", maillog_poll(m), 0);
	maillog_free(m);
}

/* test_start_at_end - without a saved position old lines are skipped */
static void test_start_at_end(void)
{
	struct col c = { 0 };
	struct maillog *m;

	fresh_dir("maillog-end");
	put_lines("maillog", 100, 103);
	put("maillog", "Dec  3 a partial line wit");
	m = follower(&c, NULL);
	CHECK_INT("existing file: old lines skipped", maillog_poll(m), 0);
	put("maillog", "hout its end\n");
	put_lines("maillog", 0, 2);
	CHECK_INT("the partial line's end is not a line", maillog_poll(m), 2);
	check_exact("start at end", &c, 2);
	maillog_free(m);
}

/* test_rename - rename rotation, the writer still at the old file */
static void test_rename(void)
{
	struct col c = { 0 };
	struct maillog *m;

	fresh_dir("maillog-rename");
	put_lines("maillog", 0, 2);
	m = follower(&c, NULL);
	maillog_poll(m); /* at the end */
	put_lines("maillog", 0, 2);
	CHECK_INT("before rotation", maillog_poll(m), 2);
	put_line("maillog", 2);
	rename(path_of("maillog"), path_of("maillog.1"));
	CHECK_INT("renamed, no new file yet: old file read", maillog_poll(m),
		  1);
	put_line("maillog.1", 3); /* syslogd not told yet */
	put_lines("maillog", 5, 7);
	put("maillog.1", PF "4F3A0004: to=<u4@example.net>, relay=no");
	CHECK_INT("old file grew: it is read first", maillog_poll(m), 1);
	put("maillog.1", "ne, dsn=5.1.1, status=bounced (x)\n");
	CHECK_INT("old line completed", maillog_poll(m), 1);
	CHECK_INT("old file quiet: on to the new one", maillog_poll(m), 2);
	check_exact("rename rotation", &c, 7);
	put_line("maillog", 7);
	CHECK_INT("the new file is followed", maillog_poll(m), 1);
	check_exact("after rotation", &c, 8);
	maillog_free(m);
}

/* test_copytruncate - truncated in place, shorter or already longer */
static void test_copytruncate(void)
{
	struct col c = { 0 };
	struct maillog *m;

	fresh_dir("maillog-trunc");
	m = follower(&c, NULL);
	maillog_poll(m);
	put_lines("maillog", 0, 4);
	CHECK_INT("before truncation", maillog_poll(m), 4);
	CHECK(truncate(path_of("maillog"), 0) == 0, "truncate");
	put_line("maillog", 4);
	CHECK_INT("shorter: read from 0", maillog_poll(m), 1);
	check_exact("copytruncate, shorter", &c, 5);
	CHECK(truncate(path_of("maillog"), 0) == 0, "truncate");
	put("maillog", "Dec  3 07:34:01 another head, longer than before\n");
	put_lines("maillog", 5, 9);
	CHECK_INT("longer than the offset: the head tells", maillog_poll(m), 5);
	check_exact("copytruncate, longer", &c, 9);
	maillog_free(m);
}

/* test_long_line - a line longer than the limit is skipped whole */
static void test_long_line(void)
{
	struct col c = { 0 };
	struct maillog *m;
	char *big = malloc(3 * MAILLOG_LINE_MAX + 2);

	fresh_dir("maillog-long");
	m = follower(&c, NULL);
	maillog_poll(m);
	memset(big, 'x', 3 * MAILLOG_LINE_MAX);
	big[3 * MAILLOG_LINE_MAX] = '\0';
	put_line("maillog", 0);
	put("maillog", big);
	CHECK_INT("no newline yet", maillog_poll(m), 1);
	put("maillog", big);
	put("maillog", " to=<u9@example.net>, dsn=5.1.1, status=bounced\n");
	put_line("maillog", 1);
	CHECK_INT("after the long line", maillog_poll(m), 1);
	check_exact("long line", &c, 2);
	CHECK_INT("position at the end", c.pos.offset, file_size("maillog"));
	free(big);
	maillog_free(m);
}

/* test_restart - stop, write, start from the saved position */
static void test_restart(void)
{
	struct col c = { 0 };
	struct maillog_pos saved;
	struct maillog *m;
	char text[MAILLOG_POS_TEXT];

	fresh_dir("maillog-restart");
	put_lines("maillog", 0, 3);
	m = follower(&c, NULL);
	maillog_poll(m);
	CHECK_INT("nothing counted at first", c.results, 0);
	put_lines("maillog", 0, 2);
	put("maillog", PF "4F3A0002: to=<u2@example.net>, relay=no");
	maillog_poll(m);
	maillog_free(m);
	/* through text, as a store would keep it */
	maillog_pos_format(&c.pos, text, sizeof(text));
	CHECK_INT("saved position parses", maillog_pos_parse(text, &saved), 0);
	put("maillog", "ne, dsn=5.1.1, status=bounced (x)\n");
	put_lines("maillog", 3, 5);
	m = follower(&c, &saved);
	CHECK_INT("restart: the rest, the cut line included", maillog_poll(m),
		  3);
	check_exact("restart", &c, 5);
	saved = c.pos;
	maillog_free(m);
	/* rotated by rename while stopped: the old file is finished */
	put_lines("maillog", 5, 7);
	rename(path_of("maillog"), path_of("maillog.1"));
	put_lines("maillog", 7, 9);
	m = follower(&c, &saved);
	CHECK_INT("restart after rename: old file first", maillog_poll(m), 2);
	CHECK_INT("then the new one", maillog_poll(m), 2);
	check_exact("restart after rename", &c, 9);
	saved = c.pos;
	maillog_free(m);
	/* copytruncate while stopped: the copy is found by its head */
	put_lines("maillog", 9, 11);
	copy_file("maillog", "maillog.2");
	CHECK(truncate(path_of("maillog"), 0) == 0, "truncate");
	put_lines("maillog", 11, 13);
	m = follower(&c, &saved);
	CHECK_INT("restart after copytruncate: the copy first", maillog_poll(m),
		  2);
	CHECK_INT("then the truncated file from 0", maillog_poll(m), 2);
	check_exact("restart after copytruncate", &c, 13);
	saved = c.pos;
	maillog_free(m);
	/* replaced by an unknown file, no old one left: all of the new */
	unlink(path_of("maillog"));
	unlink(path_of("maillog.1"));
	unlink(path_of("maillog.2"));
	put_lines("maillog", 13, 15);
	m = follower(&c, &saved);
	CHECK_INT("restart, an unknown file: read from 0", maillog_poll(m), 2);
	check_exact("restart, an unknown file", &c, 15);
	maillog_free(m);
}

/* test_thread - maillog_start follows in its own thread */
static void test_thread(void)
{
	struct col c = { 0 };
	struct maillog *m;
	struct timespec ts = { 0, 10000000L };
	int i;

	fresh_dir("maillog-thread");
	put("maillog", "");
	m = follower(&c, NULL);
	maillog_poll(m); /* opened at its end, 0, before the thread runs */
	CHECK_INT("thread starts", maillog_start(m), 0);
	put_lines("maillog", 0, 3);
	for (i = 0;
	     i < 1000 && __atomic_load_n(&c.results, __ATOMIC_SEQ_CST) < 3; i++)
		nanosleep(&ts, NULL);
	maillog_stop(m);
	check_exact("thread", &c, 3);
	maillog_free(m);
}

/* test_refused - what maillog_new() does not take */
static void test_refused(void)
{
	struct col c = { 0 };
	struct maillog_cb cb = { on_result, NULL, &c };

	CHECK(maillog_new("journal", NULL, &cb) == NULL, "journal: no file");
	CHECK(maillog_new("var/log/x", NULL, &cb) == NULL, "relative path");
	cb.result = NULL;
	CHECK(maillog_new("/x", NULL, &cb) == NULL, "no result callback");
}

/* test_follow - every follower scenario */
static int test_follow(void)
{
	test_append();
	test_start_at_end();
	test_rename();
	test_copytruncate();
	test_long_line();
	test_restart();
	test_thread();
	test_refused();
	return check_finish(dir);
}

int main(void)
{
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	test_sendmail_list();
	test_bytes();
	test_pos_text();
	return test_follow();
}
