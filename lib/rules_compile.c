/*
 * NAME
 *	rules_compile - one pattern compiled as every rule is
 * SYNOPSIS
 *	#include "rules_int.h"
 *
 *	int rules_compile(struct rule *r, const char *pattern, char *err,
 *			  size_t errlen);
 *
 *	int rules_prefilter_safe(const char *p);
 *
 *	const char *rules_error_text(int rc, PCRE2_UCHAR *buf, size_t len);
 * DESCRIPTION
 *	The bottom of the rules module: rules.c compiles each row's
 *	pattern here, rules_prefilter.c each field's alternation, and
 *	rules_match.c words its errors with rules_error_text().  Patterns
 *	are compiled caseless, in UTF mode with PCRE2_MATCH_INVALID_UTF
 *	when the library has Unicode, and JIT-compiled when it allows;
 *	otherwise the interpreter runs them.  rules_compile() also
 *	decides whether the pattern may join its field's prefilter
 *	(rules_prefilter_safe() and backreferences): r->solo.
 * DIAGNOSTICS
 *	A pattern JIT cannot compile is logged at LOG_WARNING, at most once
 *	an hour, and runs in the interpreter.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "rules_int.h"

/* rules_error_text - PCRE2's message for an error code */
const char *rules_error_text(int rc, PCRE2_UCHAR *buf, size_t len)
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
			rules_error_text(rc, msg, sizeof(msg)));
}

/*
 * rules_compile - compile pattern into r (code, whole, utf), JIT-compiled
 * when possible.  0, or -1 with "rule ID: why at offset N" in err.
 */
int rules_compile(struct rule *r, const char *pattern, char *err, size_t errlen)
{
	uint32_t opts, unicode = 0, all = 0;
	PCRE2_UCHAR msg[120];
	PCRE2_SIZE off;
	int rc;

	opts = PCRE2_CASELESS | PCRE2_NEVER_BACKSLASH_C |
	       PCRE2_USE_OFFSET_LIMIT;
	if (pcre2_config(PCRE2_CONFIG_UNICODE, &unicode) == 0 && unicode)
		opts |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	r->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				opts, &rc, &off, NULL);
	if (r->code == NULL) {
		snprintf(err, errlen, "rule %ld: %s at offset %zu", r->id,
			 rules_error_text(rc, msg, sizeof(msg)), (size_t)off);
		return -1;
	}
	(void)pcre2_pattern_info(r->code, PCRE2_INFO_ALLOPTIONS, &all);
	r->whole = (all & PCRE2_ANCHORED) != 0;
	(void)pcre2_pattern_info(r->code, PCRE2_INFO_BACKREFMAX, &all);
	r->solo = all != 0 || !rules_prefilter_safe(pattern);
	r->utf = (opts & PCRE2_UTF) != 0;
	rule_jit(r);
	return 0;
}

/*
 * rules_prefilter_safe - 1 when pattern means the same as "(?:pattern)"
 * among other alternatives.  Not so: references to groups by number or to
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
int rules_prefilter_safe(const char *p)
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
