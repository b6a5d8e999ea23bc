/*
 * NAME
 *	rules_prefilter - one alternation per field for clean text
 * SYNOPSIS
 *	#include "rules_int.h"
 *
 *	void ruleset_prepare(struct ruleset *rs);
 * DESCRIPTION
 *	Most text matches no rule.  ruleset_prepare() compiles, per
 *	field, one pattern that alternates the field's patterns, so that
 *	ruleset_match() (rules_match.c) can rule out clean text with one
 *	match and run the rules one by one only when the prefilter
 *	matched.  A pattern that would mean something else inside the
 *	alternation (rules_prefilter_safe() in rules_compile.c, called
 *	by rules_compile() for each row) is marked solo: it stays out of the prefilter and
 *	always runs on its own.  A field with fewer than two patterns to
 *	alternate gets no prefilter.  The prefilter is compiled like a
 *	rule (caseless, UTF, JIT) and matched under the same limits.
 * DIAGNOSTICS
 *	None: a prefilter that does not compile is simply not there, and
 *	every rule of the field runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

/*
 * prefilter_build - one pattern alternating every pattern of l that
 * means the same there (not solo, see rules_prefilter_safe()), so that
 * clean text, which matches none of them, costs one match instead of one
 * per rule.  When the alternation does not compile, there is no prefilter
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
	if (rules_compile(&l->any, alt, err, sizeof(err)) < 0)
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
