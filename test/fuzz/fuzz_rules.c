/*
 * NAME
 *	fuzz_rules - compiling rules rows and matching them
 * DESCRIPTION
 *	The input is rules rows, one a line, "SCOPE FIELD ACTION PATTERN"
 *	(the pattern is the rest of the line), then an empty line, then
 *	the text to match: any bytes, NULs and invalid UTF-8 included.
 *	Rows are compiled into one ruleset with ids 1, 2, ... (a row that
 *	does not compile is skipped, as the store skips it), prepared
 *	once, and the text is matched on every field, authenticated and
 *	not, as the checks do, and explained as "outguardctl rules test"
 *	does.  At most MAX_RULES rows are read, so one input cannot take
 *	seconds to compile.
 *
 *	Properties: ruleset_add() fails exactly when err says why; the
 *	count is the rules added; and, for texts shorter than the
 *	chunk size of rules_match.c (where no time budget can cut a match
 *	short, so matching is deterministic), ruleset_match() finds
 *	exactly the rules that match on their own: the field's prefilter
 *	(every pattern in one alternation) never hides a rule, and the hit
 *	is the most severe of them, the lowest id among equals.
 */
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "rules.h"

#define MAX_RULES   16
#define RULES_CHUNK 1024 /* lib/rules_match.c: no time budget below */

struct row {
	enum rule_field field;
	int scope_auth, scope_unauth; /* fits authenticated mail, other */
	enum action action;
};

struct run {
	struct row rows[MAX_RULES + 1]; /* by id */
	int hits[MAX_RULES + 1];	/* explain: rule id matched */
};

static struct rules_scratch *scratch;

/* add_row - compile one "SCOPE FIELD ACTION PATTERN" line */
static void add_row(struct ruleset *rs, struct run *run, long id, char *line)
{
	char err[300], *scope, *field, *action;
	struct row *r = &run->rows[id];
	int rc, before = ruleset_count(rs);

	scope = fuzz_word(&line);
	field = fuzz_word(&line);
	action = fuzz_word(&line);
	memset(err, 'x', sizeof(err));
	rc = ruleset_add(rs, id, scope, field, line, action,
			 id % 2 ? NULL : "a reason", err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1, "rc %d", rc);
	FUZZ_CHECK(ruleset_count(rs) == before + (rc == 0), "count");
	if (rc < 0) {
		FUZZ_CHECK(fuzz_bounded(err, sizeof(err)) &&
				   strncmp(err, "rule ", 5) == 0,
			   "err \"%.300s\"", err);
		return;
	}
	FUZZ_CHECK(rules_field_parse(field, &r->field) == 0, "field");
	FUZZ_CHECK(action_parse(action, &r->action) == 0, "action");
	r->scope_auth = strcasecmp(scope, "unauth") != 0;
	r->scope_unauth = strcasecmp(scope, "auth") != 0;
}

/* explained - ruleset_explain() callback: note the rule */
static void explained(void *arg, const struct rule_hit *hit,
		      const char *pattern)
{
	struct run *run = arg;

	FUZZ_CHECK(hit->id >= 1 && hit->id <= MAX_RULES && pattern != NULL,
		   "explained rule %ld", hit->id);
	FUZZ_CHECK(run->rows[hit->id].field == hit->field, "field");
	run->hits[hit->id]++;
}

/* check_field - ruleset_match() on one field against the rules alone */
static void check_field(const struct ruleset *rs, struct run *run,
			enum rule_field f, int auth, const char *text,
			size_t len)
{
	struct rule_hit hit;
	const struct row *r, *best = NULL;
	long id, best_id = 0;
	int n, want = 0;

	memset(&hit, 0, sizeof(hit));
	n = ruleset_match(rs, scratch, f, auth, text, len, &hit);
	FUZZ_CHECK(n >= 0 && n <= ruleset_count(rs), "%d matches", n);
	FUZZ_CHECK(fuzz_bounded(hit.reason, sizeof(hit.reason)), "reason");
	if (len >= RULES_CHUNK)
		return;
	for (id = 1; id <= MAX_RULES; id++) {
		r = &run->rows[id];
		if (!run->hits[id] || r->field != f ||
		    !(auth ? r->scope_auth : r->scope_unauth))
			continue;
		want++;
		if (best == NULL || r->action > best->action) {
			best = r;
			best_id = id;
		}
	}
	FUZZ_CHECK(n == want, "field %s auth %d: %d rules match, alone %d",
		   rules_field_name(f), auth, n, want);
	if (best != NULL)
		FUZZ_CHECK(hit.id == best_id && hit.action == best->action &&
				   hit.field == f,
			   "hit rule %ld, want %ld", hit.id, best_id);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ruleset *rs;
	struct fuzz_lines l;
	struct run run;
	const char *text;
	char *line;
	size_t len;
	long id = 0;
	int f;

	fuzz_init();
	if (scratch == NULL && (scratch = rules_scratch_new()) == NULL)
		return 0;
	if ((rs = ruleset_new()) == NULL)
		return 0;
	if (fuzz_lines_init(&l, data, size) < 0) {
		ruleset_free(rs);
		return 0;
	}
	memset(&run, 0, sizeof(run));
	while (id < MAX_RULES && (line = fuzz_line(&l)) != NULL && *line)
		add_row(rs, &run, ++id, line);
	ruleset_prepare(rs);
	text = fuzz_rest(&l, &len);
	ruleset_explain(rs, scratch, text, len, explained, &run);
	for (f = 0; f < RULE_FIELD_COUNT; f++) {
		check_field(rs, &run, (enum rule_field)f, 0, text, len);
		check_field(rs, &run, (enum rule_field)f, 1, text, len);
	}
	fuzz_lines_free(&l);
	ruleset_free(rs);
	return 0;
}
