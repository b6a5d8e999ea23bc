/*
 * NAME
 *	test_rules - PCRE2 rules: parsing, matching, limits, table-driven
 * DESCRIPTION
 *	Rows of rules and texts with the answer they must give.  The
 *	catastrophic patterns and the 1,000-rule run print their timings
 *	(measurements, not assertions); only their results are checked.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "rules.h"

#define BIG (64 * 1024)

/* now_us - a monotonic clock in microseconds */
static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* add - ruleset_add with the error shown on failure; its result */
static int add(struct ruleset *rs, long id, const char *scope,
	       const char *field, const char *pattern, const char *action,
	       const char *reason)
{
	char err[300];
	int rc;

	rc = ruleset_add(rs, id, scope, field, pattern, action, reason, err,
			 sizeof(err));
	if (rc < 0)
		printf("ruleset_add %ld: %s\n", id, err);
	return rc;
}

/*
 * one - a ruleset of one rule on subject; matches of text (len).  Each
 * call has a new rule id, so each limit hit gets its own log line.
 */
static int one(struct rules_scratch *sc, const char *pattern, const char *text,
	       size_t len)
{
	struct ruleset *rs = ruleset_new();
	static long id = 100;
	int n;

	add(rs, ++id, "any", "subject", pattern, "reject", NULL);
	n = ruleset_match(rs, sc, RULE_SUBJECT, 1, text, len, NULL);
	ruleset_free(rs);
	return n;
}

/* test_fields - every field name parses back to itself */
static void test_fields(void)
{
	static const char *const bad[] = { "", "bogus", "subject ", "to" };
	enum rule_field f;
	unsigned i;
	int i2;

	for (i2 = 0; i2 < RULE_FIELD_COUNT; i2++) {
		CHECK_INT(rules_field_name(i2),
			  rules_field_parse(rules_field_name(i2), &f), 0);
		CHECK_INT(rules_field_name(i2), f, i2);
	}
	CHECK_INT("Mail_From", rules_field_parse("Mail_From", &f), 0);
	CHECK_INT("Mail_From field", f, RULE_MAIL_FROM);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(bad[i], rules_field_parse(bad[i], &f), -1);
	CHECK_INT("NULL field", rules_field_parse(NULL, &f), -1);
	CHECK_STR("name of out of range", rules_field_name(RULE_FIELD_COUNT),
		  "unknown");
}

struct bad_row {
	const char *scope, *field, *pattern, *action;
	const char *want;
};

static const struct bad_row bad_rows[] = {
	{ "inbound", "subject", "x", "reject",
	  "rule 7: unknown scope \"inbound\"" },
	{ NULL, "subject", "x", "reject", "rule 7: unknown scope \"(null)\"" },
	{ "any", "body", "x", "reject", "rule 7: unknown field \"body\"" },
	{ "any", "subject", "x", "drop", "rule 7: unknown action \"drop\"" },
	{ "any", "subject", "", "reject", "rule 7: empty pattern" },
	{ "any", "subject", NULL, "reject", "rule 7: empty pattern" },
	{ "any", "subject", "(", "reject",
	  "rule 7: missing closing parenthesis at offset 1" },
	{ "any", "subject", "[a-", "reject",
	  "rule 7: missing terminating ] for character class at offset 3" },
	{ "any", "subject", "*x", "reject",
	  "rule 7: quantifier does not follow a repeatable item at offset 0" },
	{ "any", "subject", "a\\C", "reject",
	  "rule 7: using \\C is disabled by the application at offset 3" },
	{ "any", "subject", "caf\xe9", "reject",
	  "rule 7: UTF-8 error: 2 bytes missing at end at offset 3" },
};

/* test_bad_rows - refused rows: the error; the ruleset still works */
static void test_bad_rows(void)
{
	struct rules_scratch *sc = rules_scratch_new();
	struct ruleset *rs = ruleset_new();
	const struct bad_row *b;
	struct rule_hit hit;
	char err[300];
	unsigned i;

	CHECK_INT("good row",
		  add(rs, 1, "any", "subject", "ok", "header", NULL), 0);
	for (i = 0; i < sizeof(bad_rows) / sizeof(bad_rows[0]); i++) {
		b = &bad_rows[i];
		err[0] = 0;
		CHECK_INT(b->want,
			  ruleset_add(rs, 7, b->scope, b->field, b->pattern,
				      b->action, NULL, err, sizeof(err)),
			  -1);
		CHECK_STR("error text", err, b->want);
	}
	CHECK_INT("count after bad rows", ruleset_count(rs), 1);
	CHECK_INT("still matches",
		  ruleset_match(rs, sc, RULE_SUBJECT, 0, "OK", 2, &hit), 1);
	CHECK_INT("hit id", hit.id, 1);
	CHECK_INT("no from rules", ruleset_has_field(rs, RULE_FROM), 0);
	CHECK_INT("subject rules", ruleset_has_field(rs, RULE_SUBJECT), 1);
	ruleset_free(rs);
	rules_scratch_free(sc);
}

struct case_row {
	const char *pattern, *text;
	int want;
};

static const struct case_row case_rows[] = {
	{ "^EMALSRV\\.linkedin\\.com$", "emalsrv.LinkedIn.com", 1 },
	{ "^EMALSRV\\.linkedin\\.com$", "emalsrv.linkedin.com.evil", 0 },
	{ "PayPal", "pAYpAL account", 1 },
	{ "urgent.*wire", "URGENT: Wire transfer", 1 },
	{ "^$", "", 1 },
	{ "CAF\xc3\x89", "caf\xc3\xa9 menu", 1 }, /* É vs é */
	{ "^\xd0\x9f\xd0\xa0\xd0\x98\xd0\x97$",
	  "\xd0\xbf\xd1\x80\xd0\xb8"
	  "\xd0\xb7\xd0\xbd\xd0\xb0\xd0\xba",
	  0 }, /* ^ПРИЗ$, признак */
	{ "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x97",
	  "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb7", 1 }, /* ПРИЗ, приз */
};

/* test_case - matching ignores case, ASCII and Unicode */
static void test_case(void)
{
	struct rules_scratch *sc = rules_scratch_new();
	const struct case_row *c;
	unsigned i;

	for (i = 0; i < sizeof(case_rows) / sizeof(case_rows[0]); i++) {
		c = &case_rows[i];
		CHECK_INT(c->pattern,
			  one(sc, c->pattern, c->text, strlen(c->text)),
			  c->want);
	}
	rules_scratch_free(sc);
}

struct scope_row {
	const char *scope;
	int authenticated, want;
};

static const struct scope_row scope_rows[] = {
	{ "auth", 1, 1 },   { "auth", 0, 0 }, { "unauth", 1, 0 },
	{ "unauth", 0, 1 }, { "any", 1, 1 },  { "any", 0, 1 },
	{ "AUTH", 1, 1 },
};

/* test_scope - auth rules for authenticated mail, unauth for the rest */
static void test_scope(void)
{
	struct rules_scratch *sc = rules_scratch_new();
	const struct scope_row *s;
	struct ruleset *rs;
	char what[64];
	unsigned i;

	for (i = 0; i < sizeof(scope_rows) / sizeof(scope_rows[0]); i++) {
		s = &scope_rows[i];
		rs = ruleset_new();
		add(rs, 1, s->scope, "helo", "^localhost$", "reject", NULL);
		snprintf(what, sizeof(what), "scope %s, authenticated %d",
			 s->scope, s->authenticated);
		CHECK_INT(what,
			  ruleset_match(rs, sc, RULE_HELO, s->authenticated,
					"LOCALHOST", 9, NULL),
			  s->want);
		ruleset_free(rs);
	}
	rules_scratch_free(sc);
}

struct sev_row {
	long id;
	const char *action, *reason;
};

static const struct sev_row sev_rows[] = {
	{ 1, "quarantine", "suspicious subject" },
	{ 5, "reject", "invoice scam" },
	{ 3, "header", NULL },
	{ 4, "reject", NULL },
	{ 2, "accept", "" },
	{ 6, "block", "never matches" }, /* pattern below differs */
};

/* test_severity - the most severe hit wins; ties go to the lowest id */
static void test_severity(void)
{
	struct rules_scratch *sc = rules_scratch_new();
	struct ruleset *rs = ruleset_new();
	struct rule_hit hit = { .id = -1 };
	unsigned i;

	for (i = 0; i < sizeof(sev_rows) / sizeof(sev_rows[0]); i++)
		add(rs, sev_rows[i].id, "any", "subject",
		    sev_rows[i].id == 6 ? "zzz" : "invoice", sev_rows[i].action,
		    sev_rows[i].reason);
	CHECK_INT("count", ruleset_count(rs), 6);
	CHECK_INT("matches",
		  ruleset_match(rs, sc, RULE_SUBJECT, 1, "Your INVOICE", 12,
				&hit),
		  5);
	CHECK_INT("winner id", hit.id, 4);
	CHECK_INT("winner action", hit.action, ACTION_REJECT);
	CHECK_INT("winner field", hit.field, RULE_SUBJECT);
	CHECK_STR("no reason: rule N", hit.reason, "rule 4");
	hit.id = -1;
	CHECK_INT("no match",
		  ruleset_match(rs, sc, RULE_SUBJECT, 1, "hello", 5, &hit), 0);
	CHECK_INT("hit untouched", hit.id, -1);
	CHECK_INT("other field",
		  ruleset_match(rs, sc, RULE_FROM, 1, "invoice", 7, &hit), 0);
	ruleset_free(rs);

	rs = ruleset_new();
	add(rs, 9, "any", "subject", "a", "header", "");
	add(rs, 8, "any", "subject", "a", "quarantine", "held: looks odd");
	CHECK_INT("two", ruleset_match(rs, sc, RULE_SUBJECT, 0, "a", 1, &hit),
		  2);
	CHECK_STR("row reason", hit.reason, "held: looks odd");
	ruleset_free(rs);
	rules_scratch_free(sc);
}

struct slow_row {
	const char *pattern;
	const char *unit; /* repeated to BIG bytes */
	const char *tail; /* written over the end */
};

static const struct slow_row slow_rows[] = {
	{ "(a+)+$", "a", "!" },
	{ "(x+x+)+y", "x", "!" },
	{ "^(\\w+\\s?)*$", "a", "!" },
	{ "(a|aa)+$", "a", "!" },
	{ "(?:a|b)*$", "ab", "!" },
	{ "(?:a+)+z", "aaaaaaaaaaaaaaa!", "!!z" }, /* per start: < limit */
	{ "a[^!]*z", "aaaaaaaaaaaaaaa!", "!!z" },  /* quadratic */
	{ "paypal.*verify", "paypal ", "y" },	   /* quadratic, interp. */
};

/* big_text - unit repeated to BIG bytes, tail at the end */
static char *big_text(const char *unit, const char *tail)
{
	size_t i, ul = strlen(unit), tl = strlen(tail);
	char *t = malloc(BIG);

	for (i = 0; i < BIG; i++)
		t[i] = unit[i % ul];
	memcpy(t + BIG - tl, tail, tl);
	return t;
}

/* test_catastrophic - pathological patterns on 64 KB end: no match */
static void test_catastrophic(void)
{
	struct rules_scratch *sc = rules_scratch_new();
	const struct slow_row *s;
	double t0;
	unsigned i;
	char *text;

	for (i = 0; i < sizeof(slow_rows) / sizeof(slow_rows[0]); i++) {
		s = &slow_rows[i];
		text = big_text(s->unit, s->tail);
		t0 = now_us();
		CHECK_INT(s->pattern, one(sc, s->pattern, text, BIG), 0);
		printf("catastrophic %-16s on 64 KB: %8.1f ms\n", s->pattern,
		       (now_us() - t0) / 1e3);
		free(text);
	}
	rules_scratch_free(sc);
}

/* test_long - chunked search of long texts finds what one call would */
static void test_long(void)
{
	struct rules_scratch *sc = rules_scratch_new();
	char *t = big_text("filler ", "verify");

	CHECK_INT("match at the very end", one(sc, "verify$", t, BIG), 1);
	CHECK_INT("unanchored at the end", one(sc, "ver.fy", t, BIG), 1);
	CHECK_INT("anchored start", one(sc, "^filler", t, BIG), 1);
	CHECK_INT("anchored start, no", one(sc, "^verify", t, BIG), 0);
	memcpy(t + 1020, "PAYPAL", 6); /* across the first chunk edge */
	CHECK_INT("across a chunk edge", one(sc, "paypal", t, BIG), 1);
	memcpy(t + 2047, "x#", 2); /* lookbehind into the last chunk */
	CHECK_INT("lookbehind across edge", one(sc, "(?<=x)#", t, BIG), 1);
	memcpy(t + 3071, "\xc3\xa9", 2); /* é across an edge */
	CHECK_INT("UTF-8 char across edge", one(sc, "\xc3\x89", t, BIG), 1);
	CHECK_INT("\\b at an edge", one(sc, "\\bLER", t, BIG), 0);
	free(t);
	rules_scratch_free(sc);
}

struct bytes_row {
	const char *pattern;
	const char *text;
	size_t len;
	int want;
};

static const struct bytes_row bytes_rows[] = {
	{ "invoice", "Caf\xe9 \xff\xfe invoice", 16, 1 }, /* Latin-1 */
	{ "caf.", "Caf\xe9 \xff\xfe invoice", 16, 0 }, /* bad byte: no char */
	{ "\\xff", "\xff", 1, 0 },    /* U+00FF, not the byte 0xff */
	{ "^.*$", "\xc0\xaf", 2, 0 }, /* overlong: not a char */
	{ "def", "abc\0def", 7, 1 },  /* after a NUL */
	{ "c\\x00d", "abc\0def", 7, 1 },
	{ "c\\0d", "abc\0def", 7, 1 },
	{ "^abc$", "abc\0def", 7, 0 }, /* len counts, not strlen */
	{ "e", "abc\0def", 3, 0 },     /* nor past len */
	{ "^$", "", 0, 1 },
	{ "^$", NULL, 0, 1 }, /* NULL text: empty */
};

/* test_bytes - 8-bit, invalid UTF-8 and NUL bytes in the text */
static void test_bytes(void)
{
	struct rules_scratch *sc = rules_scratch_new();
	const struct bytes_row *b;
	unsigned i;

	for (i = 0; i < sizeof(bytes_rows) / sizeof(bytes_rows[0]); i++) {
		b = &bytes_rows[i];
		CHECK_INT(b->pattern, one(sc, b->pattern, b->text, b->len),
			  b->want);
	}
	rules_scratch_free(sc);
}

struct explain_row {
	long id;
	const char *scope, *field, *pattern;
};

static const struct explain_row explain_rows[] = {
	{ 10, "auth", "subject", "lottery" },
	{ 11, "unauth", "from_domain", "lottery" },
	{ 12, "any", "helo", "^lottery" }, /* text does not start so */
	{ 13, "any", "rcpt", "win.*lottery" },
	{ 14, "any", "subject", "prize" },
};

struct seen {
	char ids[64];
	char patterns[128];
};

/* explain_cb - collect "id:field" and patterns */
static void explain_cb(void *arg, const struct rule_hit *hit,
		       const char *pattern)
{
	struct seen *s = arg;
	size_t n = strlen(s->ids);

	snprintf(s->ids + n, sizeof(s->ids) - n, "%s%ld:%s", n ? " " : "",
		 hit->id, rules_field_name(hit->field));
	n = strlen(s->patterns);
	snprintf(s->patterns + n, sizeof(s->patterns) - n, "%s%s", n ? " " : "",
		 pattern);
}

/* test_explain - every field's matching rules, scope ignored */
static void test_explain(void)
{
	struct rules_scratch *sc = rules_scratch_new();
	struct ruleset *rs = ruleset_new();
	struct seen s = { "", "" };
	unsigned i;

	for (i = 0; i < sizeof(explain_rows) / sizeof(explain_rows[0]); i++)
		add(rs, explain_rows[i].id, explain_rows[i].scope,
		    explain_rows[i].field, explain_rows[i].pattern, "reject",
		    NULL);
	ruleset_explain(rs, sc, "You WIN the Lottery", 19, explain_cb, &s);
	CHECK_STR("explain ids", s.ids, "11:from_domain 13:rcpt 10:subject");
	CHECK_STR("explain patterns", s.patterns,
		  "lottery win.*lottery lottery");
	memset(&s, 0, sizeof(s));
	ruleset_explain(rs, sc, "nothing", 7, explain_cb, &s);
	CHECK_STR("explain none", s.ids, "");
	ruleset_free(rs);
	rules_scratch_free(sc);
}

/* test_thousand - 1,000 subject rules: load and match timings */
static void test_thousand(void)
{
	static const char subject[] =
		"Re: Quarterly report for Q3 - please review by Friday";
	struct rules_scratch *sc = rules_scratch_new();
	struct ruleset *rs = ruleset_new();
	char pat[128];
	double t0, load;
	int i, n = 0, rounds = 2000;

	t0 = now_us();
	for (i = 0; i < 1000; i++) {
		snprintf(pat, sizeof(pat),
			 i % 2 ? "\\bword%d\\s+(offer|deal)"
			       : "(urgent|final) notice %d.*(wire|gift card)",
			 i);
		add(rs, i + 1, "any", "subject", pat, "reject", NULL);
	}
	add(rs, 2000, "any", "subject", "quarterly report", "header", NULL);
	load = now_us() - t0;
	CHECK_INT("1001 rules", ruleset_count(rs), 1001);
	t0 = now_us();
	for (i = 0; i < rounds; i++)
		n += ruleset_match(rs, sc, RULE_SUBJECT, 1, subject,
				   sizeof(subject) - 1, NULL);
	CHECK_INT("one of 1001 matches", n, rounds);
	printf("1001 rules: load %.1f ms (%.1f us/rule), %.1f us per "
	       "ruleset_match on a %zu-byte subject\n",
	       load / 1e3, load / 1001, (now_us() - t0) / rounds,
	       sizeof(subject) - 1);
	t0 = now_us();
	ruleset_prepare(rs);
	load = now_us() - t0;
	n = 0;
	t0 = now_us();
	for (i = 0; i < rounds; i++)
		n += ruleset_match(rs, sc, RULE_SUBJECT, 1, subject,
				   sizeof(subject) - 1, NULL);
	CHECK_INT("prepared: one of 1001 matches", n, rounds);
	printf("prepared (%.1f ms): %.1f us per ruleset_match that matches, ",
	       load / 1e3, (now_us() - t0) / rounds);
	n = 0;
	t0 = now_us();
	for (i = 0; i < rounds; i++)
		n += ruleset_match(rs, sc, RULE_SUBJECT, 1, "Lunch on Friday?",
				   16, NULL);
	CHECK_INT("prepared: clean subject matches none", n, 0);
	printf("%.1f us on a clean subject\n", (now_us() - t0) / rounds);
	ruleset_free(rs);
	rules_scratch_free(sc);
}

/* test_prepared - the prefilter changes no result: backreferences,
 * comments */
static void test_prepared(void)
{
	struct rules_scratch *sc = rules_scratch_new();
	struct ruleset *rs = ruleset_new();
	struct rule_hit hit = { .id = -1 };

	add(rs, 1, "any", "subject", "invoice", "header", NULL);
	add(rs, 2, "unauth", "subject", "^urgent", "reject", NULL);
	add(rs, 3, "any", "subject", "(\\w+) \\1", "quarantine", "doubled");
	add(rs, 4, "any", "subject", "(?|a(b)|c(d))x", "tempfail", NULL);
	/* an extended-mode comment would swallow the patterns after it up
	 * to a newline; this one's, so that the alternation compiles */
	add(rs, 5, "any", "subject", "(?x) zz # comment", "header", NULL);
	add(rs, 6, "any", "subject", "q\n", "header", NULL);
	ruleset_prepare(rs);
	CHECK_INT("prefilter hit, one rule",
		  ruleset_match(rs, sc, RULE_SUBJECT, 1, "your invoice", 12,
				&hit),
		  1);
	CHECK_INT("... rule 1", hit.id, 1);
	CHECK_INT("scope still applies",
		  ruleset_match(rs, sc, RULE_SUBJECT, 1, "urgent", 6, &hit), 0);
	CHECK_INT("... for unauth",
		  ruleset_match(rs, sc, RULE_SUBJECT, 0, "urgent", 6, &hit), 1);
	CHECK_INT(
		"backreference rule runs beside the prefilter",
		ruleset_match(rs, sc, RULE_SUBJECT, 1, "hello hello", 11, &hit),
		1);
	CHECK_STR("... doubled", hit.reason, "doubled");
	CHECK_INT("branch reset group",
		  ruleset_match(rs, sc, RULE_SUBJECT, 1, "cdx", 3, &hit), 1);
	CHECK_INT("a pattern after a # comment",
		  ruleset_match(rs, sc, RULE_SUBJECT, 1, "q\n", 2, &hit), 1);
	CHECK_INT("clean",
		  ruleset_match(rs, sc, RULE_SUBJECT, 1, "lunch", 5, &hit), 0);
	ruleset_free(rs);
	rules_scratch_free(sc);
}

#define THREAD_ROUNDS 20000

/* thread_text - the text of round i */
static const char *thread_text(int i)
{
	return i % 3 ? "wire money now" : "hello";
}

/* thread_run - match with a scratch of its own; the number of hits */
static void *thread_run(void *arg)
{
	struct rules_scratch *sc = rules_scratch_new();
	const struct ruleset *rs = arg;
	const char *t;
	long hits = 0;
	int i;

	for (i = 0; i < THREAD_ROUNDS; i++) {
		t = thread_text(i);
		hits += ruleset_match(rs, sc, RULE_SUBJECT, i & 1, t, strlen(t),
				      NULL);
	}
	rules_scratch_free(sc);
	return (void *)hits;
}

/* test_threads - one shared ruleset, one scratch per thread */
static void test_threads(void)
{
	struct ruleset *rs = ruleset_new();
	long want = 0;
	pthread_t th[4];
	void *ret;
	int i;

	for (i = 0; i < THREAD_ROUNDS; i++) /* rule 1, and rule 2 if auth */
		if (strcmp(thread_text(i), "hello") != 0)
			want += 1 + (i & 1);

	add(rs, 1, "any", "subject", "wire.*now", "reject", NULL);
	add(rs, 2, "auth", "subject", "money", "header", NULL);
	for (i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, thread_run, rs);
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], &ret);
		CHECK_INT("thread hits", (long)ret, want);
	}
	ruleset_free(rs);
}

/* test_null - the NULL cases the contracts allow */
static void test_null(void)
{
	struct rules_scratch *sc = rules_scratch_new();

	CHECK(sc != NULL, "scratch");
	ruleset_free(NULL);
	rules_scratch_free(NULL);
	CHECK_INT("count of NULL", ruleset_count(NULL), 0);
	CHECK_INT("match on NULL",
		  ruleset_match(NULL, sc, RULE_SUBJECT, 0, "x", 1, NULL), 0);
	CHECK_INT("field out of range",
		  ruleset_has_field(NULL, RULE_FIELD_COUNT), 0);
	rules_scratch_free(sc);
}

int main(void)
{
	test_fields();
	test_bad_rows();
	test_case();
	test_scope();
	test_severity();
	test_bytes();
	test_long();
	test_explain();
	test_null();
	test_threads();
	test_catastrophic();
	test_thousand();
	test_prepared();
	return check_done();
}
