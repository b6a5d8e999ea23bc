/*
 * NAME
 *	rules_int - what rules*.c share; not for other modules
 * SYNOPSIS
 *	#include "rules_int.h"
 * DESCRIPTION
 *	Includes pcre2.h, which only rules*.c may.  The layout of a
 *	ruleset (one list of compiled rules per field, each list with its
 *	prefilter), the PCRE2 limits every match runs under, and the
 *	functions rules.c (loading), rules_compile.c, rules_prefilter.c and
 *	rules_match.c call across files.
 */
#ifndef OUTGUARD_RULES_INT_H
#define OUTGUARD_RULES_INT_H

#include <stddef.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules.h"

#define RULES_MATCH_LIMIT   100000 /* backtracking steps */
#define RULES_DEPTH_LIMIT   10000  /* nested backtracks (interpreter) */
#define RULES_HEAP_LIMIT_KB 2048   /* backtracking frames (interpreter) */

struct rule {
	long id;
	enum rule_scope scope;
	enum action action;
	pcre2_code *code;
	int whole; /* anchored: one call, no chunks */
	int utf;   /* chunks start on a UTF-8 lead byte */
	int solo;  /* not in the field's prefilter: rules_prefilter_safe() */
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

/* rules_error_text - PCRE2's message for error code rc, in buf (len) */
const char *rules_error_text(int rc, PCRE2_UCHAR *buf, size_t len);

/*
 * rules_compile - compile pattern into r (code, whole, utf, solo),
 * JIT-compiled when possible; r->id names it in err.  0, or -1 with
 * "rule ID: why at offset N" in err and r->code NULL.  The pattern is
 * not kept.
 */
int rules_compile(struct rule *r, const char *pattern, char *err,
		  size_t errlen);

/*
 * rules_prefilter_safe - 1 when pattern p may join the field's
 * prefilter (see rules_prefilter.c), 0 when it must run on its own
 */
int rules_prefilter_safe(const char *p);

#endif
