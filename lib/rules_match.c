/*
 * NAME
 *	rules_match - run the compiled rules over a text
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	struct rules_scratch *rules_scratch_new(void);
 *
 *	int ruleset_match(const struct ruleset *rs, struct rules_scratch *sc,
 *			  enum rule_field field, int authenticated,
 *			  const char *text, size_t len, struct rule_hit *hit);
 *
 *	void ruleset_explain(const struct ruleset *rs,
 *			     struct rules_scratch *sc, const char *text,
 *			     size_t len, void (*fn)(void *arg,
 *			     const struct rule_hit *hit, const char *pattern),
 *			     void *arg);
 * DESCRIPTION
 *	ruleset_match() first runs the field's prefilter
 *	(rules_prefilter.c), if it has one: when that does not match,
 *	only the solo rules run; otherwise every rule of the field and
 *	scope runs.  The most severe hit wins.  ruleset_explain() runs
 *	every rule of every field, without prefilters.
 *
 *	The compiled code is shared by every thread.  A scratch holds what
 *	PCRE2 writes while matching: the match data, a match context with
 *	the limits, and its own JIT stack.  The limits bound every match:
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
 *	A limit hit or other match error is logged at LOG_WARNING, at
 *	most once a minute per rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "rules_int.h"

#define RULES_JIT_STACK_START (32 * 1024)
#define RULES_JIT_STACK_MAX   (1024 * 1024)
#define RULES_CHUNK	      1024 /* start positions per pcre2_match() call */
#define RULES_BUDGET_MS	      50   /* per rule and text, checked per chunk */
#define RULES_ERROR_BUDGET    (-10000) /* not a PCRE2 error code */
#define RULES_LOG_PERIOD      60

/* rules_scratch - what PCRE2 writes while matching; one thread at a time */
struct rules_scratch {
	pcre2_match_data *md;
	pcre2_match_context *mc;
	pcre2_jit_stack *js; /* NULL when JIT is not available */
};

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
		what = rules_error_text(rc, msg, sizeof(msg));
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
