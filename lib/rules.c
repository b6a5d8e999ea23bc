/*
 * NAME
 *	rules - load and compile the PCRE2 rules of the rules table
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
 *	ruleset_add() checks the row's columns, compiles its pattern
 *	(rules_compile.c, which also decides whether the pattern may join
 *	the field's prefilter) and appends it to the list of its field.
 *	ruleset_prepare() then builds the prefilters (rules_prefilter.c);
 *	matching is in rules_match.c.  The compiled code is read-only
 *	after ruleset_prepare() and shared by every thread.
 * DIAGNOSTICS
 *	ruleset_add() reports a bad row in err; the caller logs it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_int.h"

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
	struct rule r = { 0 };
	enum rule_field f;

	if (rule_check(id, scope, field, pattern, action, &r, &f, err,
		       errlen) ||
	    rules_compile(&r, pattern, err, errlen))
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
