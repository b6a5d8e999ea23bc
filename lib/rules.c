/*
 * NAME
 *	rules - compile and match the PCRE2 rules of the rules table
 * SYNOPSIS
 *	#include "rules.h"
 * DESCRIPTION
 *	See rules.h.  The ruleset keeps one array of rules per field, so a
 *	match walks only the rules of that field.  Patterns are compiled
 *	caseless, in UTF mode with PCRE2_MATCH_INVALID_UTF (8-bit and
 *	broken UTF-8 headers match what they can instead of erroring),
 *	and JIT-compiled when the library allows; otherwise the
 *	interpreter runs them.  An empty pattern is refused: it would
 *	match every text, which is never what a rules row means.
 *
 *	The compiled code is read-only after ruleset_add() and shared by
 *	every thread.  A scratch holds what PCRE2 writes while matching:
 *	the match data, a match context with the limits, and its own JIT
 *	stack.  The limits bound every match:
 *	RULES_MATCH_LIMIT backtracking steps (JIT and interpreter),
 *	RULES_DEPTH_LIMIT nested backtracks and RULES_HEAP_LIMIT_KB of
 *	backtracking frames (interpreter), RULES_JIT_STACK_MAX bytes of
 *	JIT stack (JIT).  A match that hits one counts as no match.
 *
 *	PCRE2 10.42 applies those limits afresh at every start position,
 *	so a pattern can still cost (text length) x (limit): measured up
 *	to 1 s (JIT) and 28 s (interpreter) on a 64 KB header.  A text
 *	longer than RULES_CHUNK is therefore searched RULES_CHUNK start
 *	positions per pcre2_match() call (pcre2_set_offset_limit; the
 *	whole text stays visible to lookbehinds, \b and $), and a rule
 *	that has spent RULES_BUDGET_MS on one text gives up: no match.
 *	The one difference this makes: \G inside an unanchored pattern
 *	also matches at the start of each chunk.
 * DIAGNOSTICS
 *	ruleset_add() reports a bad row in err; the caller logs it.  A
 *	limit hit or other match error is logged here at LOG_WARNING, at
 *	most once a minute per rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "log.h"
#include "rules.h"

#define RULES_MATCH_LIMIT     100000
#define RULES_DEPTH_LIMIT     10000
#define RULES_HEAP_LIMIT_KB   2048
#define RULES_JIT_STACK_START (32 * 1024)
#define RULES_JIT_STACK_MAX   (1024 * 1024)
#define RULES_CHUNK	      1024 /* start positions per pcre2_match() call */
#define RULES_BUDGET_MS	      50   /* per rule and text, checked per chunk */
#define RULES_ERROR_BUDGET    (-10000) /* not a PCRE2 error code */
#define RULES_LOG_PERIOD      60

struct rule {
	long id;
	enum rule_scope scope;
	enum action action;
	pcre2_code *code;
	int whole; /* anchored: one call, no chunks */
	int utf;   /* chunks start on a UTF-8 lead byte */
	int solo;  /* not in the field's prefilter: prefilter_safe() */
	char *pattern;
	char *reason; /* NULL: "rule ID" */
};

struct rule_list {
	struct rule *v;
	int n;
	int cap;
	struct rule any; /* prefilter: every non-solo pattern, alternated */
	int nsolo;
};

struct ruleset {
	struct rule_list field[RULE_FIELD_COUNT];
	int count;
};

struct rules_scratch {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *js; /* NULL when JIT is not available */
};

static const char *const field_names[RULE_FIELD_COUNT] = {
    [RULE_MAIL_FROM] = "mail_from",
    [RULE_MAIL_FROM_DOMAIN] = "mail_from_domain",
    [RULE_FROM] = "from",
    [RULE_FROM_DOMAIN] = "from_domain",
    [RULE_REPLY_TO] = "reply_to",
    [RULE_REPLY_TO_DOMAIN] = "reply_to_domain",
    [RULE_RCPT] = "rcpt",
    [RULE_RCPT_DOMAIN] = "rcpt_domain",
    [RULE_SUBJECT] = "subject",
    [RULE_HELO] = "helo",
    [RULE_CLIENT_NAME] = "client_name",
};

static const char *const scope_names[] = {
    [RULE_ANY] = "any",
    [RULE_AUTH] = "auth",
    [RULE_UNAUTH] = "unauth",
};

/* rules_field_name - the SQL spelling of a field */
const char *rules_field_name(enum rule_field f)
{
	if ((unsigned)f >= RULE_FIELD_COUNT)
		return "unknown";
	return field_names[f];
}

/* rules_field_parse - SQL spelling to field, case-insensitive */
int rules_field_parse(const char *s, enum rule_field *out)
{
	unsigned i;

	if (s == NULL)
		return -1;
	for (i = 0; i < RULE_FIELD_COUNT; i++) {
		if (strcasecmp(s, field_names[i]) == 0) {
			*out = (enum rule_field)i;
			return 0;
		}
	}
	return -1;
}

/* scope_parse - SQL spelling to scope; 0, or -1 when unknown */
static int scope_parse(const char *s, enum rule_scope *out)
{
	unsigned i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); i++) {
		if (strcasecmp(s, scope_names[i]) == 0) {
			*out = (enum rule_scope)i;
			return 0;
		}
	}
	return -1;
}

/* ruleset_new - an empty ruleset; NULL when out of memory */
struct ruleset *ruleset_new(void)
{
	return calloc(1, sizeof(struct ruleset));
}

/* rule_clear - free what one rule owns */
static void rule_clear(struct rule *r)
{
	pcre2_code_free(r->code);
	free(r->pattern);
	free(r->reason);
}

/* ruleset_free - every rule and the ruleset; NULL is fine */
void ruleset_free(struct ruleset *rs)
{
	int f, i;

	if (rs == NULL)
		return;
	for (f = 0; f < RULE_FIELD_COUNT; f++) {
		for (i = 0; i < rs->field[f].n; i++)
			rule_clear(&rs->field[f].v[i]);
		free(rs->field[f].v);
		pcre2_code_free(rs->field[f].any.code); /* pattern not kept */
	}
	free(rs);
}

/* ruleset_count - rules compiled */
int ruleset_count(const struct ruleset *rs)
{
	return rs ? rs->count : 0;
}

/* ruleset_has_field - 1 when some rule looks at field */
int ruleset_has_field(const struct ruleset *rs, enum rule_field field)
{
	if (rs == NULL || (unsigned)field >= RULE_FIELD_COUNT)
		return 0;
	return rs->field[field].n > 0;
}

/* error_text - PCRE2's message for an error code */
static const char *error_text(int rc, PCRE2_UCHAR *buf, size_t len)
{
	if (pcre2_get_error_message(rc, buf, len) < 0)
		snprintf((char *)buf, len, "PCRE2 error %d", rc);
	return (const char *)buf;
}

/*
 * rule_jit - JIT-compile r->code; on failure the interpreter runs it,
 * which is logged once an hour (the interpreter is slower on long texts).
 */
static void rule_jit(const struct rule *r)
{
	PCRE2_UCHAR msg[120];
	uint32_t jit = 0;
	int rc;

	if (pcre2_config(PCRE2_CONFIG_JIT, &jit) != 0 || !jit)
		return;
	if ((rc = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE)) != 0)
		log_ratelimited(
		    "rules jit", 3600, LOG_WARNING,
		    "rule %ld: no JIT (%s), the interpreter runs it", r->id,
		    error_text(rc, msg, sizeof(msg)));
}

/*
 * prefilter_safe - 1 when pattern means the same as "(?:pattern)" among
 * other alternatives.  Not so: references to groups by number or to
 * the whole pattern, which the other patterns' groups shift ((?1),
 * (?-1), (?R), (?(1)...), (?P>n), (?P=n), \g..., and \1 to \99, an
 * octal escape alone that turns into a backreference after ten groups);
 * backtracking verbs, which act on the whole match ((*COMMIT) fails
 * every alternative); and what may run past the closing parenthesis
 * (\Q without \E, a # comment in extended mode).  Backreferences are
 * found by pcre2_pattern_info().  Conservative: a pattern that only
 * looks like one of these (a # in a class) runs on its own, which
 * costs time, not results.
 */
static int prefilter_safe(const char *p)
{
	for (; *p; p++) {
		if (*p == '\\') {
			if (p[1] == 'Q' || p[1] == 'g' ||
			    (p[1] >= '1' && p[1] <= '9'))
				return 0;
			if (p[1] != '\0')
				p++;
		} else if (*p == '#' || (*p == '(' && p[1] == '*')) {
			return 0;
		} else if (*p == '(' && p[1] == '?') {
			if (strchr("0123456789R(C", p[2]) != NULL ||
			    ((p[2] == '+' || p[2] == '-') && p[3] >= '0' &&
			     p[3] <= '9') ||
			    (p[2] == 'P' && (p[3] == '>' || p[3] == '=')))
				return 0;
		}
	}
	return 1;
}

/*
 * rule_compile - compile pattern into r (code, whole, utf), JIT-compiled
 * when possible.  0, or -1 with "rule ID: why at offset N" in err.
 */
static int rule_compile(struct rule *r, const char *pattern, char *err,
			size_t errlen)
{
	uint32_t opts, unicode = 0, all = 0;
	PCRE2_UCHAR msg[120];
	PCRE2_SIZE off;
	int rc;

	opts =
	    PCRE2_CASELESS | PCRE2_NEVER_BACKSLASH_C | PCRE2_USE_OFFSET_LIMIT;
	if (pcre2_config(PCRE2_CONFIG_UNICODE, &unicode) == 0 && unicode)
		opts |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	r->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				opts, &rc, &off, NULL);
	if (r->code == NULL) {
		snprintf(err, errlen, "rule %ld: %s at offset %zu", r->id,
			 error_text(rc, msg, sizeof(msg)), (size_t)off);
		return -1;
	}
	(void)pcre2_pattern_info(r->code, PCRE2_INFO_ALLOPTIONS, &all);
	r->whole = (all & PCRE2_ANCHORED) != 0;
	(void)pcre2_pattern_info(r->code, PCRE2_INFO_BACKREFMAX, &all);
	r->solo = all != 0 || !prefilter_safe(pattern);
	r->utf = (opts & PCRE2_UTF) != 0;
	rule_jit(r);
	return 0;
}

/* list_push - append r to l; 0, or -1 when out of memory */
static int list_push(struct rule_list *l, const struct rule *r)
{
	struct rule *v;
	int cap;

	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : 8;
		if ((v = realloc(l->v, (size_t)cap * sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *r;
	return 0;
}

/*
 * rule_check - parse the SQL columns of one row into r (no pattern yet);
 * 0, or -1 with "rule ID: why" in err.  An empty pattern is refused.
 */
static int rule_check(long id, const char *scope, const char *field,
		      const char *pattern, const char *action, struct rule *r,
		      enum rule_field *f, char *err, size_t errlen)
{
	r->id = id;
	if (scope_parse(scope, &r->scope) < 0)
		snprintf(err, errlen, "rule %ld: unknown scope \"%s\"", id,
			 scope ? scope : "(null)");
	else if (rules_field_parse(field, f) < 0)
		snprintf(err, errlen, "rule %ld: unknown field \"%s\"", id,
			 field ? field : "(null)");
	else if (action_parse(action, &r->action) < 0)
		snprintf(err, errlen, "rule %ld: unknown action \"%s\"", id,
			 action ? action : "(null)");
	else if (pattern == NULL || *pattern == 0)
		snprintf(err, errlen, "rule %ld: empty pattern", id);
	else
		return 0;
	return -1;
}

/*
 * ruleset_add - check, compile and add one rules row.  0, or -1 with
 * "rule ID: why" in err; on error the ruleset is unchanged.  pattern and
 * reason are copied.
 */
int ruleset_add(struct ruleset *rs, long id, const char *scope,
		const char *field, const char *pattern, const char *action,
		const char *reason, char *err, size_t errlen)
{
	struct rule r = {0};
	enum rule_field f;

	if (rule_check(id, scope, field, pattern, action, &r, &f, err,
		       errlen) ||
	    rule_compile(&r, pattern, err, errlen))
		return -1;
	r.pattern = strdup(pattern);
	if (reason != NULL && *reason != 0)
		r.reason = strdup(reason);
	if (r.pattern == NULL || (reason && *reason && r.reason == NULL) ||
	    list_push(&rs->field[f], &r) < 0) {
		rule_clear(&r);
		snprintf(err, errlen, "rule %ld: out of memory", id);
		return -1;
	}
	rs->count++;
	return 0;
}

/*
 * prefilter_build - one pattern alternating every pattern of l that
 * means the same there (not solo, see prefilter_safe()), so that clean
 * text, which matches none of them, costs one match instead of one per
 * rule.  When the alternation does not compile, there is no prefilter
 * and every rule runs, as before.
 */
static void prefilter_build(struct rule_list *l)
{
	size_t size = 1, off = 0;
	char *alt, err[200];
	int i, n = 0;

	for (i = 0; i < l->n; i++)
		if (!l->v[i].solo)
			size += strlen(l->v[i].pattern) + 6;
		else
			l->nsolo++;
	if (l->n - l->nsolo < 2 || (alt = malloc(size)) == NULL)
		return;
	for (i = 0; i < l->n; i++) {
		if (l->v[i].solo)
			continue;
		off += (size_t)snprintf(alt + off, size - off, "%s(?:%s)",
					n++ ? "|" : "", l->v[i].pattern);
	}
	l->any.id = 0;
	if (rule_compile(&l->any, alt, err, sizeof(err)) < 0)
		l->any.code = NULL;
	free(alt);
}

/* ruleset_prepare - build the prefilters, after the last ruleset_add */
void ruleset_prepare(struct ruleset *rs)
{
	int f;

	for (f = 0; f < RULE_FIELD_COUNT; f++)
		prefilter_build(&rs->field[f]);
}

/* rules_scratch_free - NULL is fine */
void rules_scratch_free(struct rules_scratch *sc)
{
	if (sc == NULL)
		return;
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mc);
	pcre2_jit_stack_free(sc->js);
	free(sc);
}

/*
 * rules_scratch_new - match data with one ovector pair (enough to tell
 * match from no match, for any pattern), a match context with the
 * limits, and a JIT stack when JIT is available; NULL on OOM.
 */
struct rules_scratch *rules_scratch_new(void)
{
	struct rules_scratch *sc;
	uint32_t jit = 0;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	sc->md = pcre2_match_data_create(1, NULL);
	sc->mc = pcre2_match_context_create(NULL);
	if (sc->md == NULL || sc->mc == NULL)
		goto fail;
	pcre2_set_match_limit(sc->mc, RULES_MATCH_LIMIT);
	pcre2_set_depth_limit(sc->mc, RULES_DEPTH_LIMIT);
	pcre2_set_heap_limit(sc->mc, RULES_HEAP_LIMIT_KB);
	if (pcre2_config(PCRE2_CONFIG_JIT, &jit) == 0 && jit) {
		sc->js = pcre2_jit_stack_create(RULES_JIT_STACK_START,
						RULES_JIT_STACK_MAX, NULL);
		if (sc->js == NULL)
			goto fail;
		pcre2_jit_stack_assign(sc->mc, NULL, sc->js);
	}
	return sc;
fail:
	rules_scratch_free(sc);
	return NULL;
}

/* limit_hit - the limit behind a match error, or NULL for another error */
static const char *limit_hit(int rc)
{
	switch (rc) {
	case PCRE2_ERROR_MATCHLIMIT:
		return "match limit hit";
	case PCRE2_ERROR_DEPTHLIMIT:
		return "depth limit hit";
	case PCRE2_ERROR_HEAPLIMIT:
		return "heap limit hit";
	case PCRE2_ERROR_JIT_STACKLIMIT:
		return "JIT stack limit hit";
	case RULES_ERROR_BUDGET:
		return "time budget hit";
	default:
		return NULL;
	}
}

/* rule_failed - log a match error of rule r, once a minute per rule */
static void rule_failed(const struct rule *r, enum rule_field f, int rc)
{
	const char *what = limit_hit(rc);
	PCRE2_UCHAR msg[120];
	char key[64];

	snprintf(key, sizeof(key), "rule %ld %s", r->id,
		 what ? "limit" : "error");
	if (what == NULL)
		what = error_text(rc, msg, sizeof(msg));
	log_ratelimited(key, RULES_LOG_PERIOD, LOG_WARNING,
			"rule %ld: %s on field %s (counted as no match)", r->id,
			what, rules_field_name(f));
}

/* elapsed_ms - milliseconds since t0 */
static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * rule_exec - pcre2_match() of rule r over text, RULES_CHUNK start
 * positions at a time when text is long; PCRE2's result, or
 * RULES_ERROR_BUDGET when RULES_BUDGET_MS ran out first.
 */
static int rule_exec(const struct rule *r, struct rules_scratch *sc,
		     const char *text, size_t len)
{
	PCRE2_SPTR s = (PCRE2_SPTR)text;
	struct timespec t0;
	size_t start = 0;
	int rc;

	if (r->whole || len < RULES_CHUNK) {
		pcre2_set_offset_limit(sc->mc, PCRE2_UNSET);
		return pcre2_match(r->code, s, len, 0, 0, sc->md, sc->mc);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		pcre2_set_offset_limit(sc->mc, start + RULES_CHUNK - 1);
		rc = pcre2_match(r->code, s, len, start, 0, sc->md, sc->mc);
		if (rc != PCRE2_ERROR_NOMATCH || len - start < RULES_CHUNK)
			return rc;
		start += RULES_CHUNK;
		while (r->utf && start < len && (s[start] & 0xc0) == 0x80)
			start++; /* PCRE2 never starts inside a char */
		if (elapsed_ms(&t0) >= RULES_BUDGET_MS)
			return RULES_ERROR_BUDGET;
	}
}

/*
 * rule_run - 1 when rule r (of field f) matches text, else 0; an error
 * or a limit hit is logged and counts as no match.
 */
static int rule_run(const struct rule *r, enum rule_field f,
		    struct rules_scratch *sc, const char *text, size_t len)
{
	int rc;

	if (text == NULL) { /* PCRE2 10.42 refuses a NULL subject */
		text = "";
		len = 0;
	}
	rc = rule_exec(r, sc, text, len);
	if (rc >= 0)
		return 1;
	if (rc != PCRE2_ERROR_NOMATCH)
		rule_failed(r, f, rc);
	return 0;
}

/* hit_fill - describe rule r of field f in hit */
static void hit_fill(struct rule_hit *hit, const struct rule *r,
		     enum rule_field f)
{
	hit->id = r->id;
	hit->action = r->action;
	hit->field = f;
	if (r->reason != NULL)
		snprintf(hit->reason, sizeof(hit->reason), "%s", r->reason);
	else
		snprintf(hit->reason, sizeof(hit->reason), "rule %ld", r->id);
}

/* scope_fits - whether a rule of scope s applies */
static int scope_fits(enum rule_scope s, int authenticated)
{
	if (s == RULE_ANY)
		return 1;
	return authenticated ? s == RULE_AUTH : s == RULE_UNAUTH;
}

/*
 * ruleset_match - count the rules of field and scope that match text.
 * The most severe (ties: lowest id) goes to hit when hit is not NULL;
 * hit is untouched when nothing matched.
 */
int ruleset_match(const struct ruleset *rs, struct rules_scratch *sc,
		  enum rule_field field, int authenticated, const char *text,
		  size_t len, struct rule_hit *hit)
{
	const struct rule *r, *best = NULL;
	const struct rule_list *l;
	int i, n = 0, only_solo;

	if (!ruleset_has_field(rs, field))
		return 0;
	l = &rs->field[field];
	if (text == NULL) {
		text = "";
		len = 0;
	}
	/* clean text, the common case: one match of the prefilter */
	only_solo = l->any.code != NULL &&
		    rule_exec(&l->any, sc, text, len) == PCRE2_ERROR_NOMATCH;
	if (only_solo && l->nsolo == 0)
		return 0;
	for (i = 0; i < l->n; i++) {
		r = &l->v[i];
		if ((only_solo && !r->solo) ||
		    !scope_fits(r->scope, authenticated) ||
		    !rule_run(r, field, sc, text, len))
			continue;
		n++;
		if (best == NULL || r->action > best->action ||
		    (r->action == best->action && r->id < best->id))
			best = r;
	}
	if (best != NULL && hit != NULL)
		hit_fill(hit, best, field);
	return n;
}

/* ruleset_explain - call fn for every rule of any field matching text */
void ruleset_explain(const struct ruleset *rs, struct rules_scratch *sc,
		     const char *text, size_t len,
		     void (*fn)(void *arg, const struct rule_hit *hit,
				const char *pattern),
		     void *arg)
{
	const struct rule *r;
	struct rule_hit hit;
	int f, i;

	if (rs == NULL)
		return;
	for (f = 0; f < RULE_FIELD_COUNT; f++) {
		for (i = 0; i < rs->field[f].n; i++) {
			r = &rs->field[f].v[i];
			if (!rule_run(r, (enum rule_field)f, sc, text, len))
				continue;
			hit_fill(&hit, r, (enum rule_field)f);
			fn(arg, &hit, r->pattern);
		}
	}
}
