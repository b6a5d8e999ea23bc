/*
 * NAME
 *	maillog_parse - delivery results from one MTA log line
 * DESCRIPTION
 *	See maillog_parse.h.  The line is never written to nor assumed
 *	NUL-terminated: every scan runs over a span [p, end) and every
 *	copy is checked against its field's size first.  The steps: find
 *	the tag ("postfix/smtp[123]:"), which also says the MTA; read the
 *	queue id; then the MTA's recipient list and its key=value fields
 *	up to the status (Postfix status=WORD, Sendmail stat=TEXT).
 */
#include <string.h>

#include "maillog_parse.h"

/* A piece of the line: [p, end). */
struct span {
	const char *p;
	const char *end;
};

/* Postfix programs that log per-recipient delivery results. */
static const char *const postfix_agents[] = {
	"smtp", "lmtp", "local", "virtual", "error", "retry", "discard", "pipe",
};

/* span_eq - the span is exactly the string s */
static int span_eq(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* span_starts - [p, end) starts with s */
static int span_starts(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* span_find - first s in [p, end), or NULL */
static const char *span_find(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	for (; (size_t)(end - p) >= n; p++)
		if (memcmp(p, s, n) == 0)
			return p;
	return NULL;
}

/*
 * span_find_unquoted - first s in [p, end) outside "quoted strings"
 * (a backslash escapes inside them), or NULL: an address's quoted
 * local part may hold ">, " or ", stat=" to mislead the parser
 */
static const char *span_find_unquoted(const char *p, const char *end,
				      const char *s)
{
	size_t n = strlen(s);
	int quoted = 0;

	for (; p < end; p++) {
		if (quoted && *p == '\\') {
			p++;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (size_t)(end - p) >= n &&
			 memcmp(p, s, n) == 0)
			return p;
	}
	return NULL;
}

/* span_find_last - last s in [p, end), or NULL */
static const char *span_find_last(const char *p, const char *end, const char *s)
{
	const char *q, *last = NULL;

	while ((q = span_find(p, end, s)) != NULL) {
		last = q;
		p = q + 1;
	}
	return last;
}

/* is_alnum - ASCII letter or digit (no locale) */
static int is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* ident_mta - the MTA whose syslog identifier is [p, p+n), or 0 */
static int ident_mta(const char *p, size_t n)
{
	const char *slash = NULL, *q;
	unsigned i;

	if (span_eq(p, n, "sendmail") || span_eq(p, n, "sm-mta"))
		return MAILLOG_SENDMAIL;
	for (q = p; q < p + n; q++) {
		if (!is_alnum(*q) && (*q == '\0' || !strchr("._-/", *q)))
			return 0;
		if (*q == '/')
			slash = q;
	}
	if (slash == NULL || slash == p)
		return 0;
	for (i = 0; i < sizeof(postfix_agents) / sizeof(postfix_agents[0]); i++)
		if (span_eq(slash + 1, p + n - slash - 1, postfix_agents[i]))
			return MAILLOG_POSTFIX;
	return 0;
}

/*
 * word_tag - the MTA when word [p, end) is a tag "IDENT[PID]:" or
 * "IDENT:", else 0
 */
static int word_tag(const char *p, const char *end)
{
	const char *b;

	if (end - p < 2 || end[-1] != ':')
		return 0;
	end--;
	if (end[-1] == ']') {
		if ((b = memchr(p, '[', end - p)) == NULL || b + 2 > end - 1)
			return 0;
		for (const char *d = b + 1; d < end - 1; d++)
			if (*d < '0' || *d > '9')
				return 0;
		end = b;
	}
	return end > p ? ident_mta(p, end - p) : 0;
}

/*
 * find_tag - the MTA of the first tag among the first words of *s;
 * *s is then the message after it.  0 when there is none.
 */
static int find_tag(struct span *s)
{
	const char *p = s->p, *w;
	int i, mta;

	for (i = 0; i <= MAILLOG_TAG_WORDS && p < s->end; i++) {
		while (p < s->end && *p == ' ')
			p++;
		for (w = p; p < s->end && *p != ' '; p++)
			;
		if (p > w && (mta = word_tag(w, p)) != 0) {
			s->p = p < s->end ? p + 1 : p;
			return mta;
		}
	}
	return 0;
}

/* read_qid - "QID: " at the start of *s into out; 0, or -1 */
static int read_qid(struct span *s, char *out)
{
	const char *p = s->p;
	size_t n;

	while (p < s->end && is_alnum(*p))
		p++;
	n = p - s->p;
	if (n < 5 || n >= MAILLOG_QID_MAX || !span_starts(p, s->end, ": "))
		return -1;
	memcpy(out, s->p, n);
	out[n] = '\0';
	s->p = p + 2;
	return 0;
}

/*
 * read_addr - recipient [p, end), with or without <>, into out with
 * its domain in lower case.  0, or -1 when it is empty, too long, has
 * control characters or ".." (Sendmail's mark of a cut list), or is a
 * file or program delivery.
 */
static int read_addr(const char *p, const char *end, char *out)
{
	const char *at = NULL, *q;
	size_t n, i;

	if (end - p >= 2 && *p == '<' && end[-1] == '>')
		p++, end--;
	if (p < end && *p == '\\') /* Sendmail: a local user, no alias */
		p++;
	n = end - p;
	if (n == 0 || n >= MAILLOG_ADDR_MAX || *p == '|' || *p == '/' ||
	    *p == ':' || span_find(p, end, "..") != NULL)
		return -1;
	for (q = p; q < end; q++) {
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return -1;
		if (*q == '@')
			at = q;
	}
	if (at != NULL && (at == p || at == end - 1))
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	for (i = at ? (size_t)(at - p) : n; i < n; i++)
		if (out[i] >= 'A' && out[i] <= 'Z')
			out[i] += 'a' - 'A';
	return 0;
}

/* read_dsn - "D.D.D" (class 2, 4 or 5, up to 3 digits each) into out */
static void read_dsn(const char *p, const char *end, char *out)
{
	const char *q = p;
	int part, digits;

	out[0] = '\0';
	if (q >= end || (*q != '2' && *q != '4' && *q != '5'))
		return;
	q++;
	for (part = 0; part < 2; part++) {
		if (q >= end || *q++ != '.')
			return;
		for (digits = 0; q < end && *q >= '0' && *q <= '9'; q++)
			digits++;
		if (digits < 1 || digits > 3)
			return;
	}
	if (q != end)
		return;
	memcpy(out, p, end - p);
	out[end - p] = '\0';
}

/*
 * next_field - the "key=value" at *s, value up to ", " (or the end);
 * *s moves past it.  -1 at the end or on a word without '='.
 */
static int next_field(struct span *s, struct span *key, struct span *val)
{
	const char *eq, *comma;

	if (s->p >= s->end || (eq = memchr(s->p, '=', s->end - s->p)) == NULL)
		return -1;
	key->p = s->p;
	key->end = eq;
	val->p = eq + 1;
	comma = span_find(val->p, s->end, ", ");
	val->end = comma ? comma : s->end;
	s->p = comma ? comma + 2 : s->end;
	return memchr(key->p, ' ', key->end - key->p) ? -1 : 0;
}

/* postfix_outcome - the outcome of status=WORD */
static enum maillog_outcome postfix_outcome(const char *p, size_t n)
{
	if (span_eq(p, n, "sent"))
		return MAILLOG_DELIVERED;
	if (span_eq(p, n, "bounced"))
		return MAILLOG_BOUNCED;
	if (span_eq(p, n, "deferred"))
		return MAILLOG_DEFERRED;
	return MAILLOG_OTHER;
}

/* parse_postfix - "to=<A>, [orig_to=<B>, ]...status=WORD"; 1 or 0 */
static int parse_postfix(struct span s, struct maillog_result *r)
{
	struct span key, val;
	const char *gt, *w;

	if (!span_starts(s.p, s.end, "to=<") ||
	    (gt = span_find_unquoted(s.p + 4, s.end, ">, ")) == NULL ||
	    read_addr(s.p + 3, gt + 1, r->rcpt) < 0)
		return 0;
	s.p = gt + 3;
	if (span_starts(s.p, s.end, "orig_to=<")) {
		if ((gt = span_find_unquoted(s.p + 9, s.end, ">, ")) == NULL)
			return 0;
		if (read_addr(s.p + 8, gt + 1, r->orig_rcpt) < 0)
			r->orig_rcpt[0] = '\0';
		s.p = gt + 3;
	}
	while (next_field(&s, &key, &val) == 0) {
		if (span_eq(key.p, key.end - key.p, "dsn")) {
			read_dsn(val.p, val.end, r->dsn);
		} else if (span_eq(key.p, key.end - key.p, "status")) {
			for (w = val.p; w < val.end && *w != ' '; w++)
				;
			if (w == val.p)
				return 0;
			r->outcome = postfix_outcome(val.p, w - val.p);
			return 1;
		}
	}
	return 0;
}

/* sendmail_outcome - the outcome of stat=TEXT with dsn (maybe "") */
static enum maillog_outcome sendmail_outcome(struct span stat, const char *dsn)
{
	if (span_starts(stat.p, stat.end, "Sent"))
		return MAILLOG_DELIVERED;
	if (span_starts(stat.p, stat.end, "Deferred"))
		return MAILLOG_DEFERRED;
	switch (dsn[0]) {
	case '2':
		return MAILLOG_DELIVERED;
	case '4':
		return MAILLOG_DEFERRED;
	case '5':
		return MAILLOG_BOUNCED;
	}
	return MAILLOG_OTHER;
}

/*
 * parse_sendmail - "to=A,B,..., key=value, ..., dsn=D, [reply=TEXT, ]
 * stat=TEXT"; the recipients go to out[] with the line's outcome;
 * their number.  The remote server's reply= and stat= text may hold
 * anything, ", stat=" included: the dsn is taken from the fields
 * before them, the stat from the last ", stat=".
 */
static int parse_sendmail(struct span s, struct maillog_result *out, int nout)
{
	struct span list, key, val, stat;
	const char *p, *comma;
	char dsn[MAILLOG_DSN_MAX] = "";
	int n = 0, i;

	if (!span_starts(s.p, s.end, "to=") ||
	    (list.end = span_find_unquoted(s.p + 3, s.end, ", ")) == NULL)
		return 0;
	list.p = s.p + 3;
	if ((stat.p = span_find_last(list.end, s.end, ", stat=")) == NULL)
		return 0;
	stat.p += 7;
	stat.end = s.end;
	if (stat.p == stat.end)
		return 0;
	s.p = list.end + 2;
	while (next_field(&s, &key, &val) == 0) {
		if (span_eq(key.p, key.end - key.p, "reply") ||
		    span_eq(key.p, key.end - key.p, "stat"))
			break;
		if (span_eq(key.p, key.end - key.p, "dsn"))
			read_dsn(val.p, val.end, dsn);
	}
	for (p = list.p; p < list.end && n < nout; p = comma + 1) {
		if ((comma = span_find_unquoted(p, list.end, ",")) == NULL)
			comma = list.end;
		if (read_addr(p, comma, out[n].rcpt) == 0)
			n++;
	}
	for (i = 0; i < n; i++) {
		if (i > 0) /* the first holds the queue id */
			memcpy(out[i].queue_id, out[0].queue_id,
			       MAILLOG_QID_MAX);
		out[i].mta = MAILLOG_SENDMAIL;
		out[i].orig_rcpt[0] = '\0';
		memcpy(out[i].dsn, dsn, sizeof(dsn));
		out[i].outcome = sendmail_outcome(stat, dsn);
	}
	return n;
}

/* maillog_parse - the delivery results of one line */
int maillog_parse(const char *line, size_t len, struct maillog_result *out,
		  int nout)
{
	struct span s;
	int mta;

	if (line == NULL || out == NULL || nout < 1)
		return 0;
	s.p = line;
	s.end = line + len;
	while (s.p < s.end && *s.p == '\0')
		s.p++;
	if (s.end > s.p && s.end[-1] == '\n')
		s.end--;
	if (s.end > s.p && s.end[-1] == '\r')
		s.end--;
	if (s.end - s.p > MAILLOG_LINE_MAX || memchr(s.p, '\0', s.end - s.p))
		return 0;
	if ((mta = find_tag(&s)) == 0)
		return 0;
	memset(&out[0], 0, sizeof(out[0]));
	if (read_qid(&s, out[0].queue_id) < 0)
		return 0;
	if (mta == MAILLOG_SENDMAIL)
		return parse_sendmail(s, out, nout);
	out[0].mta = MAILLOG_POSTFIX;
	return parse_postfix(s, &out[0]);
}

/* maillog_outcome_name - the outcome as a word */
const char *maillog_outcome_name(enum maillog_outcome o)
{
	switch (o) {
	case MAILLOG_DELIVERED:
		return "delivered";
	case MAILLOG_BOUNCED:
		return "bounced";
	case MAILLOG_DEFERRED:
		return "deferred";
	default:
		return "other";
	}
}

/* maillog_mta_name - the MTA as a word */
const char *maillog_mta_name(enum maillog_mta m)
{
	return m == MAILLOG_SENDMAIL ? "sendmail" : "postfix";
}
