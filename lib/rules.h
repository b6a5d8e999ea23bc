/*
 * NAME
 *	rules - the PCRE2 rules of the rules table
 * SYNOPSIS
 *	#include "rules.h"
 * DESCRIPTION
 *	The only module that includes pcre2.h.  A ruleset is compiled once
 *	per policy load and is then read-only, shared by every thread.
 *	Matching is case-insensitive and runs with PCRE2 match and depth
 *	limits, so a catastrophic pattern on a 64 KB header ends
 *	quickly; such a run counts as no match and is logged with the rule
 *	id.  Match data belongs to the caller (one per connection), since
 *	PCRE2 match data must not be shared between threads.
 */
#ifndef OUTGUARD_RULES_H
#define OUTGUARD_RULES_H

#include <stddef.h>

#include "action.h"

enum rule_field {
	RULE_MAIL_FROM = 0,
	RULE_MAIL_FROM_DOMAIN,
	RULE_FROM,
	RULE_FROM_DOMAIN,
	RULE_REPLY_TO,
	RULE_REPLY_TO_DOMAIN,
	RULE_RCPT,
	RULE_RCPT_DOMAIN,
	RULE_SUBJECT,
	RULE_HELO,
	RULE_CLIENT_NAME,
	RULE_FIELD_COUNT
};

enum rule_scope { RULE_ANY = 0, RULE_AUTH, RULE_UNAUTH };

struct ruleset;
struct rules_scratch;

struct rule_hit {
	long id;
	enum action action;
	enum rule_field field;
	char reason[160]; /* the row's reason, or "rule N" */
};

/* ruleset_new - an empty ruleset; NULL when out of memory */
struct ruleset *ruleset_new(void);

/*
 * ruleset_add - compile one rules row and add it.  scope, field and
 * action are the SQL spellings.  Returns 0, or -1 with "rule ID: why"
 * in err (bad pattern with its offset, unknown field...): the row is
 * skipped, the ruleset stays usable.
 */
int ruleset_add(struct ruleset *rs, long id, const char *scope,
		const char *field, const char *pattern, const char *action,
		const char *reason, char *err, size_t errlen);

/*
 * ruleset_prepare - call once after the last ruleset_add: builds, per
 * field, the prefilter that lets clean text skip the rules one by one
 */
void ruleset_prepare(struct ruleset *rs);

/* ruleset_count - rules compiled */
int ruleset_count(const struct ruleset *rs);

/* ruleset_has_field - 1 when some rule looks at field (skip work if not) */
int ruleset_has_field(const struct ruleset *rs, enum rule_field field);

/* ruleset_free - NULL is fine */
void ruleset_free(struct ruleset *rs);

/* rules_scratch_new - match data for one thread at a time; NULL on OOM */
struct rules_scratch *rules_scratch_new(void);

/* rules_scratch_free - NULL is fine */
void rules_scratch_free(struct rules_scratch *sc);

/*
 * ruleset_match - the rules of field and scope (authenticated or not)
 * that match text (len bytes, may hold NULs and invalid UTF-8); the most
 * severe hit goes to hit.  Returns the number of rules that matched.
 */
int ruleset_match(const struct ruleset *rs, struct rules_scratch *sc,
		  enum rule_field field, int authenticated, const char *text,
		  size_t len, struct rule_hit *hit);

/*
 * ruleset_explain - for outguardctl rules test: call fn for every rule
 * of any field whose pattern matches text (scope ignored).
 */
void ruleset_explain(const struct ruleset *rs, struct rules_scratch *sc,
		     const char *text, size_t len,
		     void (*fn)(void *arg, const struct rule_hit *hit,
				const char *pattern),
		     void *arg);

/* rules_field_name / rules_field_parse - SQL spellings; parse 0 or -1 */
const char *rules_field_name(enum rule_field f);
int rules_field_parse(const char *s, enum rule_field *out);

/* Single patterns that extract a value (rules_capture.c) ------------- */

#define RULES_CAPTURE_MAX 8192 /* longest text looked at */

struct rules_capture;

/*
 * rules_capture_new - compile pattern (case-insensitive): its value is
 * the group named "login", else group 1, else the whole match.  NULL
 * with the cause in err.  Read-only after, shared by threads.
 */
struct rules_capture *rules_capture_new(const char *pattern, char *err,
					size_t errlen);

/*
 * rules_capture_run - match text (its first RULES_CAPTURE_MAX bytes);
 * 1 with the value in out (cut to outlen - 1), 0 when there is no match
 * or the value is empty, -1 when a limit was hit or memory ran out.
 */
int rules_capture_run(const struct rules_capture *rc, const char *text,
		      size_t len, char *out, size_t outlen);

/* rules_capture_free - release; NULL is fine */
void rules_capture_free(struct rules_capture *rc);

#endif
