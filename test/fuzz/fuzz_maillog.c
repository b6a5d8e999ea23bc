/*
 * NAME
 *	fuzz_maillog - MTA log lines, alone and through the follower
 * DESCRIPTION
 *	The input is log text (Postfix and Sendmail lines, or anything).
 *	Properties:
 *	- the whole input as one line, and each line of it (an exact-size
 *	  copy, so a sanitizer sees a read past its end), gives at most
 *	  nout results, each well-formed: queue id of 5 or more letters
 *	  and digits, a recipient without control characters or "..",
 *	  its domain in lower case, a dsn that is "" or "D.D.D", a known
 *	  outcome and MTA; parsing it again gives the same results;
 *	- the follower, fed the input in two writes cut where the first
 *	  byte says, reports exactly the results of the input's complete
 *	  lines parsed one by one (none lost, none twice), and ends at
 *	  the offset after the last newline.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "maillog.h"

#define NOUT MAILLOG_RCPT_MAX /* as the follower */

struct count {
	long results;
};

/* check_result - one result is well-formed */
static void check_result(const struct maillog_result *r)
{
	const char *p, *at;

	FUZZ_CHECK(fuzz_bounded(r->queue_id, sizeof(r->queue_id)), "qid");
	FUZZ_CHECK(fuzz_bounded(r->rcpt, sizeof(r->rcpt)), "rcpt");
	FUZZ_CHECK(fuzz_bounded(r->orig_rcpt, sizeof(r->orig_rcpt)), "orig");
	FUZZ_CHECK(fuzz_bounded(r->dsn, sizeof(r->dsn)), "dsn");
	FUZZ_CHECK(strlen(r->queue_id) >= 5, "qid \"%s\"", r->queue_id);
	for (p = r->queue_id; *p; p++)
		FUZZ_CHECK((*p >= '0' && *p <= '9') ||
				   (*p >= 'a' && *p <= 'z') ||
				   (*p >= 'A' && *p <= 'Z'),
			   "qid \"%s\"", r->queue_id);
	FUZZ_CHECK(r->rcpt[0] != '\0', "empty rcpt");
	FUZZ_CHECK(strstr(r->rcpt, "..") == NULL, "rcpt \"%s\"", r->rcpt);
	for (p = r->rcpt; *p; p++)
		FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
			   "control byte in rcpt");
	if ((at = strrchr(r->rcpt, '@')) != NULL)
		for (p = at; *p; p++)
			FUZZ_CHECK(*p < 'A' || *p > 'Z', "domain case \"%s\"",
				   r->rcpt);
	FUZZ_CHECK(r->dsn[0] == '\0' ||
			   (strchr("245", r->dsn[0]) && r->dsn[1] == '.'),
		   "dsn \"%s\"", r->dsn);
	FUZZ_CHECK(r->outcome >= MAILLOG_OTHER &&
			   r->outcome <= MAILLOG_DEFERRED,
		   "outcome %d", (int)r->outcome);
	FUZZ_CHECK(r->mta == MAILLOG_POSTFIX || r->mta == MAILLOG_SENDMAIL,
		   "mta %d", (int)r->mta);
}

/* parse_checked - parse line[0..len) from an exact copy; the count */
static int parse_checked(const char *line, size_t len)
{
	static struct maillog_result a[NOUT], b[NOUT];
	char *copy = malloc(len ? len : 1);
	int n, m, i;

	if (copy == NULL)
		return 0;
	memcpy(copy, line, len);
	n = maillog_parse(copy, len, a, NOUT);
	FUZZ_CHECK(n >= 0 && n <= NOUT, "%d results", n);
	for (i = 0; i < n; i++)
		check_result(&a[i]);
	m = maillog_parse(copy, len, b, NOUT);
	FUZZ_CHECK(m == n, "again %d, first %d", m, n);
	for (i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(a[i].rcpt, b[i].rcpt) == 0 &&
				   strcmp(a[i].queue_id, b[i].queue_id) == 0 &&
				   a[i].outcome == b[i].outcome,
			   "not the same twice");
	free(copy);
	return n;
}

/* on_result - count, check */
static void on_result(void *arg, const struct maillog_result *r)
{
	((struct count *)arg)->results++;
	check_result(r);
}

/* put - append buf[0..n) to path */
static void put(const char *path, const uint8_t *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);

	FUZZ_CHECK(fd >= 0, "open %s", path);
	FUZZ_CHECK(n == 0 || write(fd, buf, n) == (ssize_t)n, "write");
	close(fd);
}

/* follow - the follower's results over the input in two writes */
static void follow(const uint8_t *data, size_t size, long want, size_t end)
{
	static char path[64];
	struct count c = { 0 };
	struct maillog_cb cb = { on_result, NULL, &c };
	struct maillog_pos pos;
	struct maillog *m;
	size_t cut = size ? data[0] * size / 256 : 0;

	if (path[0] == '\0') {
		char dir[] = "/tmp/og-fuzz-maillog-XXXXXX";

		FUZZ_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
		snprintf(path, sizeof(path), "%s/maillog", dir);
	}
	unlink(path);
	put(path, data, 0);
	if ((m = maillog_new(path, NULL, &cb)) == NULL)
		return;
	maillog_poll(m); /* at the end of the empty file */
	put(path, data, cut);
	maillog_poll(m);
	put(path, data + cut, size - cut);
	maillog_poll(m);
	maillog_position(m, &pos);
	FUZZ_CHECK(c.results == want, "follower %ld results, lines %ld",
		   c.results, want);
	FUZZ_CHECK(pos.offset == end, "offset %llu, want %zu", pos.offset, end);
	maillog_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	long want = 0;

	fuzz_init();
	parse_checked(p, size);
	while (p < end && (nl = memchr(p, '\n', end - p)) != NULL) {
		want += parse_checked(p, nl - p);
		p = nl + 1;
	}
	if (size <= MAILLOG_LINE_MAX) /* no partial line is ever dropped */
		follow(data, size, want, p - (const char *)data);
	return 0;
}
