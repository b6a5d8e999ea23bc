/*
 * NAME
 *	ctl_rules - outguardctl rules list and rules test
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_cmd_rules(struct ctl *ctl, int argc, char **argv);
 * DESCRIPTION
 *	rules list shows every rules row and whether the daemon can use
 *	it.  An enabled row is "BROKEN: why" when the policy snapshot
 *	(store_policy_load()) skipped it, with the reason the loader gave
 *	("missing closing parenthesis at offset 9"); a disabled row, which
 *	the loader never compiles, is compiled here on its own, so a
 *	broken rule shows before it is enabled.
 *
 *	rules test TEXT (several words are joined by one space) says what
 *	the daemon would make of TEXT: every rule whose pattern matches it,
 *	whatever the rule's field and scope (ruleset_explain()).  When TEXT
 *	is an address or holds one, its domain is taken; a bare word with
 *	a dot is taken as a domain.  The rules of the *_domain fields are
 *	then also run on that domain, and the domain is checked as the
 *	daemon checks a sender (checks_domain(), as checks_envelope()
 *	does): the lookalike detector, and whether it is local (or under a
 *	local domain), freemail, or protected (or under a protected
 *	domain).
 * DIAGNOSTICS
 *	rules test exits 0 whether or not anything matched; it warns on
 *	stderr when some rules are skipped because they do not compile.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks.h"
#include "ctl.h"
#include "domain.h"
#include "lookalike.h"
#include "mailaddr.h"
#include "rules.h"

/* load_policy - a policy snapshot; NULL after ctl_error() */
static struct policy *load_policy(struct ctl *ctl)
{
	struct policy *p;
	char err[512];

	if (ctl_store(ctl) == NULL)
		return NULL;
	if ((p = store_policy_load(ctl->store, err, sizeof err)) == NULL)
		ctl_error("cannot load the policy: %s", err);
	return p;
}

/*
 * rule_why - the cause in an error "rule ID: why[; rule skipped]" about
 * rule id, copied to buf; 1 when msg is about that rule, else 0.
 */
static int rule_why(const char *msg, long id, char *buf, size_t len)
{
	static const char tail[] = "; rule skipped";
	char prefix[40];
	size_t n;

	n = (size_t)snprintf(prefix, sizeof prefix, "rule %ld: ", id);
	if (strncmp(msg, prefix, n) != 0)
		return 0;
	snprintf(buf, len, "%s", msg + n);
	n = strlen(buf);
	if (n >= sizeof tail - 1 &&
	    strcmp(buf + n - (sizeof tail - 1), tail) == 0)
		buf[n - (sizeof tail - 1)] = 0;
	return 1;
}

/* What rules list needs while it walks the rows. */
struct list_ctx {
	const struct policy *p;
	struct ruleset *scratch; /* compiles disabled rows */
	struct ctl_table *t;
};

/*
 * row_why - why the daemon cannot use rules row v (id, enabled, scope,
 * field, action, pattern, reason), in buf; 0 when it can, 1 when not
 */
static int row_why(struct list_ctx *c, const char *const *v, char *buf,
		   size_t len)
{
	long id = strtol(v[0], NULL, 10);
	char err[300];
	int i;

	if (v[1] && strtol(v[1], NULL, 10) != 0) {
		for (i = 0; i < c->p->nproblems; i++)
			if (rule_why(c->p->problems[i], id, buf, len))
				return 1;
		return 0;
	}
	if (ruleset_add(c->scratch, id, v[2], v[3], v[5], v[4], v[6], err,
			sizeof err) == 0)
		return 0;
	if (!rule_why(err, id, buf, len))
		snprintf(buf, len, "%s", err);
	return 1;
}

/* list_row - a rules row, with whether it compiles, into the table */
static int list_row(void *arg, int n, const char *const *names,
		    const char *const *v)
{
	struct list_ctx *c = arg;
	char why[300], shown[320];
	const char *row[10];

	(void)names;
	if (n < 7 || v[0] == NULL)
		return 1;
	memcpy(row, v, 7 * sizeof *v);
	if (row_why(c, v, why, sizeof why)) {
		snprintf(shown, sizeof shown, "BROKEN: %s", why);
		row[7] = shown;
		row[8] = "0";
		row[9] = why;
	} else {
		row[7] = "yes";
		row[8] = "1";
		row[9] = NULL;
	}
	ctl_table_push(c->t, row);
	return 0;
}

/* rules_list - rules list: every row and whether it compiles */
static int rules_list(struct ctl *ctl)
{
	static const struct ctl_col cols[] = {
		{ "ID", "id", CTL_NUM, 0 },
		{ "ENABLED", "enabled", CTL_BOOL, 0 },
		{ "SCOPE", "scope", CTL_STR, 0 },
		{ "FIELD", "field", CTL_STR, 0 },
		{ "ACTION", "action", CTL_STR, 0 },
		{ "PATTERN", "pattern", CTL_STR, 0 },
		{ "REASON", "reason", CTL_STR, 0 },
		{ "COMPILES", "", CTL_STR, CTL_TEXT_ONLY },
		{ "", "compiles", CTL_BOOL, CTL_JSON_ONLY },
		{ "", "error", CTL_STR, CTL_JSON_ONLY },
	};
	struct list_ctx c;
	int rc;

	if ((c.p = load_policy(ctl)) == NULL)
		return CTL_ERROR;
	if ((c.scratch = ruleset_new()) == NULL)
		ctl_nomem();
	c.t = ctl_table_make(cols, 10);
	rc = store_admin_rules(ctl->store, list_row, &c);
	if (rc < 0)
		ctl_error("cannot read rules");
	else
		ctl_table_print(c.t, ctl->json, stdout);
	ctl_table_free(c.t);
	ruleset_free(c.scratch);
	policy_free((struct policy *)c.p);
	return rc < 0 ? CTL_ERROR : CTL_OK;
}

/* A rule that matched the text of rules test. */
struct test_hit {
	struct rule_hit hit;
	char *pattern;
	const char *on; /* "text" or "domain" */
	char scope[8];	/* from the rules row */
};

/* The matches so far, and what the current pass looks for. */
struct test_hits {
	struct test_hit *v;
	int n, size;
	const char *on;	 /* the pass: "text" or "domain" */
	int domain_only; /* keep only rules of the *_domain fields */
};

/* is_domain_field - 1 for the fields that hold a domain */
static int is_domain_field(enum rule_field f)
{
	return f == RULE_MAIL_FROM_DOMAIN || f == RULE_FROM_DOMAIN ||
	       f == RULE_REPLY_TO_DOMAIN || f == RULE_RCPT_DOMAIN;
}

/* on_hit - ruleset_explain's callback: keep a match not kept yet */
static void on_hit(void *arg, const struct rule_hit *hit, const char *pattern)
{
	struct test_hits *h = arg;
	struct test_hit *v;
	int i;

	if (h->domain_only && !is_domain_field(hit->field))
		return;
	for (i = 0; i < h->n; i++)
		if (h->v[i].hit.id == hit->id &&
		    h->v[i].hit.field == hit->field)
			return;
	if (h->n == h->size) {
		h->size = h->size ? 2 * h->size : 8;
		if ((v = realloc(h->v, (size_t)h->size * sizeof *v)) == NULL)
			ctl_nomem();
		h->v = v;
	}
	v = &h->v[h->n++];
	memset(v, 0, sizeof *v);
	v->hit = *hit;
	v->on = h->on;
	strcpy(v->scope, "-");
	if ((v->pattern = strdup(pattern ? pattern : "")) == NULL)
		ctl_nomem();
}

/* hit_cmp - by rule id, then field */
static int hit_cmp(const void *a, const void *b)
{
	const struct test_hit *x = a, *y = b;

	if (x->hit.id != y->hit.id)
		return x->hit.id < y->hit.id ? -1 : 1;
	return (int)x->hit.field - (int)y->hit.field;
}

/* scope_row - a rules row: its scope to the matches of its id */
static int scope_row(void *arg, int n, const char *const *names,
		     const char *const *v)
{
	struct test_hits *h = arg;
	long id;
	int i;

	(void)names;
	if (n < 3 || v[0] == NULL || v[2] == NULL)
		return 0;
	id = strtol(v[0], NULL, 10);
	for (i = 0; i < h->n; i++)
		if (h->v[i].hit.id == id)
			snprintf(h->v[i].scope, sizeof h->v[i].scope, "%s",
				 v[2]);
	return 0;
}

/*
 * find_hits - the rules matching text, and the *_domain rules matching
 * domain (NULL: none), by id; 0, or -1 after ctl_error()
 */
static int find_hits(struct ctl *ctl, const struct policy *p, const char *text,
		     const char *domain, struct test_hits *h)
{
	struct rules_scratch *sc = rules_scratch_new();

	if (sc == NULL)
		ctl_nomem();
	h->on = "text";
	ruleset_explain(p->rules, sc, text, strlen(text), on_hit, h);
	if (domain != NULL && strcasecmp(domain, text) != 0) {
		h->on = "domain";
		h->domain_only = 1;
		ruleset_explain(p->rules, sc, domain, strlen(domain), on_hit,
				h);
	}
	rules_scratch_free(sc);
	if (h->n == 0)
		return 0;
	qsort(h->v, (size_t)h->n, sizeof *h->v, hit_cmp);
	if (store_admin_rules(ctl->store, scope_row, h) < 0) {
		ctl_error("cannot read rules");
		return -1;
	}
	return 0;
}

/* hits_table - the matches as a table */
static struct ctl_table *hits_table(const struct test_hits *h)
{
	static const struct ctl_col cols[] = {
		{ "ID", "id", CTL_NUM, 0 },
		{ "FIELD", "field", CTL_STR, 0 },
		{ "SCOPE", "scope", CTL_STR, 0 },
		{ "ACTION", "action", CTL_STR, 0 },
		{ "MATCHED", "matched", CTL_STR, 0 },
		{ "REASON", "reason", CTL_STR, 0 },
		{ "PATTERN", "pattern", CTL_STR, 0 },
	};
	struct ctl_table *t = ctl_table_make(cols, 7);
	const struct test_hit *x;
	const char *v[7];
	char id[24];
	int i;

	for (i = 0; i < h->n; i++) {
		x = &h->v[i];
		snprintf(id, sizeof id, "%ld", x->hit.id);
		v[0] = id;
		v[1] = rules_field_name(x->hit.field);
		v[2] = x->scope;
		v[3] = action_name(x->hit.action);
		v[4] = x->on;
		v[5] = x->hit.reason;
		v[6] = x->pattern;
		ctl_table_push(t, v);
	}
	return t;
}

/*
 * text_domain - the domain in text, in normal form: the domain of the
 * first address when text holds an "@", else text itself when it is
 * one word with a dot.  0, or -1 when there is none.
 */
static int text_domain(const char *text, char *out, size_t len)
{
	char raw[1024];
	struct mailaddr a;
	const char *at = strrchr(text, '@');

	if (at != NULL) {
		if (mailaddr_parse(text, &a, 1) == 1 && a.domain[0])
			snprintf(raw, sizeof raw, "%s", a.domain);
		else
			snprintf(raw, sizeof raw, "%.*s",
				 (int)strcspn(at + 1, " \t<>()[],;:\"'"),
				 at + 1);
	} else if (strpbrk(text, " \t\r\n") == NULL && strchr(text, '.')) {
		snprintf(raw, sizeof raw, "%s", text);
	} else {
		return -1;
	}
	if (raw[0] == 0)
		return -1;
	return domain_normalise(raw, out, len);
}

/* What rules test found out about the domain in the text. */
struct test_domain {
	char name[DOMAIN_MAX + 2];    /* normal form, "" when none */
	char unicode[4 * DOMAIN_MAX]; /* "" when the same as name */
	struct checks_domain c;	      /* the sender checks, as the guard's */
};

/* check_domain - the sender checks on td->name (set by the caller) */
static void check_domain(const struct policy *p, struct test_domain *td)
{
	const char *d = td->name;

	if (domain_to_unicode(d, td->unicode, sizeof td->unicode) < 0 ||
	    strcmp(td->unicode, d) == 0)
		td->unicode[0] = 0;
	checks_domain(p, d, &td->c);
}

/* print_json - rules test as one JSON object */
static void print_json(const char *text, const struct ctl_table *t,
		       const struct test_domain *td)
{
	int has = td->name[0] != 0;

	fputs("{\"text\":", stdout);
	ctl_json_string(stdout, text);
	fputs(",\"domain\":", stdout);
	ctl_json_string(stdout, has ? td->name : NULL);
	fputs(",\"unicode\":", stdout);
	ctl_json_string(stdout, td->unicode[0] ? td->unicode : NULL);
	fputs(",\"rules\":", stdout);
	ctl_table_json(t, stdout);
	fputs(",\"lookalike\":", stdout);
	if (td->c.lookalike) {
		fputs("{\"kind\":", stdout);
		ctl_json_string(stdout, lookalike_kind_name(td->c.hit.kind));
		fputs(",\"protected_domain\":", stdout);
		ctl_json_string(stdout, td->c.hit.protected_domain);
		fputs(",\"reason\":", stdout);
		ctl_json_string(stdout, td->c.hit.reason);
		putchar('}');
	} else {
		fputs("null", stdout);
	}
	printf(",\"local\":%s,\"freemail\":%s,\"protected\":%s,"
	       "\"protected_by\":",
	       td->c.local ? "true" : "false",
	       td->c.freemail ? "true" : "false",
	       td->c.protected_by ? "true" : "false");
	ctl_json_string(stdout, td->c.protected_by);
	fputs("}\n", stdout);
}

/* print_domain - the domain checks as "Title: value" lines */
static void print_domain(const struct test_domain *td)
{
	static const struct ctl_col cols[] = {
		{ "Domain", "", CTL_STR, 0 },
		{ "Unicode", "", CTL_STR, 0 },
		{ "Lookalike", "", CTL_STR, 0 },
		{ "Why", "", CTL_STR, 0 },
		{ "Local", "", CTL_BOOL, 0 },
		{ "Freemail", "", CTL_BOOL, 0 },
		{ "Protected", "", CTL_STR, 0 },
	};
	struct ctl_col c[7];
	char look[300], prot[300];
	struct ctl_table *t;
	const char *v[7];

	memcpy(c, cols, sizeof c);
	if (!td->unicode[0])
		c[1].flags = CTL_JSON_ONLY;
	if (!td->c.lookalike)
		c[3].flags = CTL_JSON_ONLY;
	snprintf(look, sizeof look, "yes, %s of %s",
		 lookalike_kind_name(td->c.hit.kind),
		 td->c.hit.protected_domain);
	if (td->c.protected_by && td->c.protected_by != td->name)
		snprintf(prot, sizeof prot, "yes, within %s",
			 td->c.protected_by);
	else
		snprintf(prot, sizeof prot, "%s",
			 td->c.protected_by ? "yes" : "no");
	v[0] = td->name;
	v[1] = td->unicode;
	v[2] = td->c.lookalike ? look : "not a lookalike";
	v[3] = td->c.hit.reason;
	v[4] = td->c.local ? "1" : "0";
	v[5] = td->c.freemail ? "1" : "0";
	v[6] = prot;
	t = ctl_table_make(c, 7);
	ctl_table_push(t, v);
	ctl_table_print_kv(t, 0, stdout);
	ctl_table_free(t);
}

/* print_text - rules test for people */
static void print_text(const struct ctl_table *t, const struct test_domain *td)
{
	int n = ctl_table_rows(t);

	if (n == 0)
		printf("no rule matches\n");
	else {
		printf("%d rule%s match%s:\n", n, n == 1 ? "" : "s",
		       n == 1 ? "es" : "");
		ctl_table_print(t, 0, stdout);
	}
	putchar('\n');
	if (td->name[0])
		print_domain(td);
	else
		printf("No domain in the text: no lookalike, local, freemail "
		       "or protected check.\n");
}

/* warn_broken - say when rules were skipped for not compiling */
static void warn_broken(const struct policy *p)
{
	static const char tail[] = "; rule skipped";
	size_t len;
	int i, n = 0;

	for (i = 0; i < p->nproblems; i++) {
		len = strlen(p->problems[i]);
		if (strncmp(p->problems[i], "rule ", 5) == 0 &&
		    len >= sizeof tail &&
		    strcmp(p->problems[i] + len - (sizeof tail - 1), tail) == 0)
			n++;
	}
	if (n > 0)
		ctl_error("warning: %d rule%s cannot be used and %s skipped "
			  "(see \"rules list\")",
			  n, n == 1 ? "" : "s", n == 1 ? "is" : "are");
}

/* join_args - argv[0..argc) joined by spaces (malloced) */
static char *join_args(int argc, char **argv)
{
	size_t len = 1, off = 0;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((s = malloc(len)) == NULL)
		ctl_nomem();
	s[0] = 0;
	for (i = 0; i < argc; i++)
		off += (size_t)snprintf(s + off, len - off, "%s%s",
					i ? " " : "", argv[i]);
	return s;
}

/* rules_test - rules test TEXT... */
static int rules_test(struct ctl *ctl, int argc, char **argv)
{
	struct test_domain td = { 0 };
	struct test_hits h = { 0 };
	struct ctl_table *t = NULL;
	struct policy *p;
	char *text;
	int i, rc = CTL_ERROR;

	text = join_args(argc, argv);
	if ((p = load_policy(ctl)) == NULL)
		goto out;
	warn_broken(p);
	if (text_domain(text, td.name, sizeof td.name) == 0)
		check_domain(p, &td);
	else
		td.name[0] = 0;
	if (find_hits(ctl, p, text, td.name[0] ? td.name : NULL, &h) < 0)
		goto out;
	t = hits_table(&h);
	if (ctl->json)
		print_json(text, t, &td);
	else
		print_text(t, &td);
	rc = CTL_OK;
out:
	ctl_table_free(t);
	for (i = 0; i < h.n; i++)
		free(h.v[i].pattern);
	free(h.v);
	policy_free(p);
	free(text);
	return rc;
}

/* ctl_cmd_rules - rules list | rules test [--] TEXT... */
int ctl_cmd_rules(struct ctl *ctl, int argc, char **argv)
{
	int i = 2;

	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return rules_list(ctl);
	if (argc < 3 || strcmp(argv[1], "test") != 0)
		return ctl_cmd_usage(argv[0]);
	if (strcmp(argv[2], "--") == 0)
		i++;
	if (i >= argc)
		return ctl_cmd_usage(argv[0]);
	return rules_test(ctl, argc - i, argv + i);
}
