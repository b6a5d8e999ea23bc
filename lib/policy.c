/*
 * NAME
 *	policy - policy snapshots and the holder of the current one
 * DESCRIPTION
 *	See policy.h.  The holder is a pointer and a mutex: taking a
 *	reference is a counter increment, so the mail path never waits for
 *	a reload, and an old snapshot is freed by whoever drops the last
 *	reference to it.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domain.h"
#include "lookalike.h"
#include "network.h"
#include "policy.h"
#include "siphash.h"
#include "rules.h"
#include "webmail.h"

static const char *const metric_names[METRIC_COUNT] = {
	[METRIC_RCPT_PER_MSG] = "rcpt_per_msg",
	[METRIC_RCPT] = "rcpt",
	[METRIC_MSG] = "msg",
	[METRIC_SESSION] = "session",
	[METRIC_NETWORKS] = "networks",
	[METRIC_REFUSED] = "refused",
	[METRIC_NEW_RCPT] = "new_rcpt",
	[METRIC_BOUNCE] = "bounce",
};

/* policy_metric_name - SQL spelling of a metric */
const char *policy_metric_name(enum metric m)
{
	return (unsigned)m < METRIC_COUNT ? metric_names[m] : "unknown";
}

/* policy_metric_parse - SQL spelling to metric */
int policy_metric_parse(const char *s, enum metric *out)
{
	int i;

	for (i = 0; s != NULL && i < METRIC_COUNT; i++) {
		if (strcasecmp(s, metric_names[i]) == 0) {
			*out = (enum metric)i;
			return 0;
		}
	}
	return -1;
}

/* policy_class_find - class by name */
const struct policy_class *policy_class_find(const struct policy *p,
					     const char *name)
{
	int i;

	for (i = 0; p != NULL && name != NULL && i < p->nclasses; i++)
		if (strcasecmp(p->classes[i].name, name) == 0)
			return &p->classes[i];
	return NULL;
}

/* policy_class_window - index of a window in the class */
int policy_class_window(const struct policy_class *c, long window_s)
{
	int i;

	for (i = 0; i < c->nwindows; i++)
		if (c->windows[i] == window_s)
			return i;
	return -1;
}

/* policy_setting - a setting or dflt */
const char *policy_setting(const struct policy *p, const char *key,
			   const char *dflt)
{
	int i;

	for (i = 0; p != NULL && i < p->nsettings; i++)
		if (strcmp(p->settings[i].key, key) == 0)
			return p->settings[i].value ? p->settings[i].value
						    : dflt;
	return dflt;
}

/* policy_setting_long - a numeric setting or dflt */
long policy_setting_long(const struct policy *p, const char *key, long dflt)
{
	const char *v = policy_setting(p, key, NULL);
	char *end;
	long n;

	if (v == NULL)
		return dflt;
	n = strtol(v, &end, 10);
	if (end == v || *end != '\0')
		return dflt;
	return n;
}

/* policy_problem - record a skipped row */
void policy_problem(struct policy *p, const char *fmt, ...)
{
	char buf[300], **grown, *dup;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	grown = realloc(p->problems, (p->nproblems + 1) * sizeof(char *));
	if (grown == NULL)
		return;
	p->problems = grown;
	if ((dup = strdup(buf)) != NULL)
		p->problems[p->nproblems++] = dup;
}

static void domains_free(struct policy_domains *set);

/* policy_free - release a snapshot */
void policy_free(struct policy *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nclasses; i++) {
		free(p->classes[i].name);
		free(p->classes[i].limits);
	}
	free(p->classes);
	for (i = 0; i < p->nsettings; i++) {
		free(p->settings[i].key);
		free(p->settings[i].value);
	}
	free(p->settings);
	for (i = 0; i < p->nproblems; i++)
		free(p->problems[i]);
	free(p->problems);
	domains_free(&p->local_domains);
	domains_free(&p->freemail_domains);
	domains_free(&p->protected_domains);
	for (i = 0; i < p->nbrands; i++) {
		free(p->brands[i].label);
		free(p->brands[i].domain);
	}
	free(p->brands);
	ruleset_free(p->rules);
	lookalike_free(p->lookalike);
	network_groups_free(p->groups);
	webmail_free(p->webmail);
	free(p);
}

static pthread_mutex_t holder_lock = PTHREAD_MUTEX_INITIALIZER;
static struct policy *holder_current;

/* policy_current - the current snapshot with a reference taken */
struct policy *policy_current(void)
{
	struct policy *p;

	pthread_mutex_lock(&holder_lock);
	if ((p = holder_current) != NULL)
		p->refs++;
	pthread_mutex_unlock(&holder_lock);
	return p;
}

/* policy_put - drop a reference */
void policy_put(struct policy *p)
{
	int last;

	if (p == NULL)
		return;
	pthread_mutex_lock(&holder_lock);
	last = --p->refs == 0 && p != holder_current;
	pthread_mutex_unlock(&holder_lock);
	if (last)
		policy_free(p);
}

/* policy_swap - install a new snapshot; NULL empties the holder */
void policy_swap(struct policy *p)
{
	struct policy *old;
	int last;

	pthread_mutex_lock(&holder_lock);
	old = holder_current;
	holder_current = p;
	last = old != NULL && old->refs == 0;
	pthread_mutex_unlock(&holder_lock);
	if (last)
		policy_free(old);
}

/* cmp_names - qsort/bsearch on strings */
static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* policy_domains_add - add a normalised domain */
int policy_domains_add(struct policy_domains *set, const char *domain)
{
	char norm[DOMAIN_MAX + 2], **grown;

	if (domain_normalise(domain, norm, sizeof(norm)) < 0)
		return -1;
	grown = realloc(set->names, (set->n + 1) * sizeof(char *));
	if (grown == NULL)
		return -1;
	set->names = grown;
	if ((set->names[set->n] = strdup(norm)) == NULL)
		return -1;
	set->n++;
	return 0;
}

/* policy_domains_sort - sort for bsearch */
void policy_domains_sort(struct policy_domains *set)
{
	if (set->n > 1)
		qsort(set->names, set->n, sizeof(char *), cmp_names);
}

/* policy_domains_has - exact membership */
int policy_domains_has(const struct policy_domains *set, const char *domain)
{
	if (set->n == 0 || domain == NULL || *domain == '\0')
		return 0;
	return bsearch(&domain, set->names, set->n, sizeof(char *),
		       cmp_names) != NULL;
}

/* policy_domains_within - the domain or one of its parents is a member */
int policy_domains_within(const struct policy_domains *set, const char *domain)
{
	const char *d = domain;

	while (d != NULL && *d) {
		if (policy_domains_has(set, d))
			return 1;
		d = strchr(d, '.');
		if (d != NULL)
			d++;
	}
	return 0;
}

/* domains_free - release a set */
static void domains_free(struct policy_domains *set)
{
	int i;

	for (i = 0; i < set->n; i++)
		free(set->names[i]);
	free(set->names);
}

/* check_action - an action setting, or dflt with a problem if bad */
static enum action check_action(struct policy *p, const char *key,
				enum action dflt)
{
	const char *v = policy_setting(p, key, NULL);
	enum action a;

	if (v == NULL)
		return dflt;
	if (action_parse(v, &a) < 0) {
		policy_problem(p,
			       "settings %s: unknown action \"%s\"; using "
			       "%s",
			       key, v, action_name(dflt));
		return dflt;
	}
	return a;
}

/*
 * word_listed - the n bytes at word are one of the words of list
 * (separated by spaces or commas, any case)
 */
static int word_listed(const char *list, const char *word, size_t n)
{
	const char *w;
	size_t len;

	for (w = list; *w;) {
		w += strspn(w, " ,\t");
		len = strcspn(w, " ,\t");
		if (len == n && strncasecmp(w, word, n) == 0)
			return 1;
		w += len;
	}
	return 0;
}

/*
 * make_brands - the brand label of each protected domain, for the
 * display-name check: not those of settings display_name_ignore, words
 * that are also names or everyday words ("Chase Miller", "Front
 * Office"); their domains stay protected from lookalikes
 */
static void make_brands(struct policy *p)
{
	const struct policy_domains *set = &p->protected_domains;
	const char *reg, *dot, *ignore;
	struct policy_brand *b;
	int i;

	ignore = policy_setting(p, "display_name_ignore", "apple chase office");
	if (set->n == 0 || (p->brands = calloc(set->n, sizeof(*b))) == NULL)
		return;
	for (i = 0; i < set->n; i++) {
		reg = domain_registrable(set->names[i]);
		if (reg == NULL || (dot = strchr(reg, '.')) == NULL ||
		    dot - reg < 3)
			continue; /* too short to look for in names */
		if (word_listed(ignore, reg, (size_t)(dot - reg)))
			continue;
		b = &p->brands[p->nbrands];
		b->label = strndup(reg, (size_t)(dot - reg));
		b->domain = strdup(reg);
		if (b->label != NULL && b->domain != NULL) {
			p->nbrands++;
		} else {
			free(b->label);
			free(b->domain);
		}
	}
}

/* cmp_brand - order brands by label */
static int cmp_brand(const void *a, const void *b)
{
	return strcmp(((const struct policy_brand *)a)->label,
		      ((const struct policy_brand *)b)->label);
}

/* policy_brand_find - the brand whose label is the n bytes at word */
const struct policy_brand *policy_brand_find(const struct policy *p,
					     const char *word, size_t n)
{
	struct policy_brand key;
	char buf[64];

	if (n == 0 || n >= sizeof(buf) || p->nbrands == 0)
		return NULL;
	memcpy(buf, word, n);
	buf[n] = '\0';
	key.label = buf;
	return bsearch(&key, p->brands, p->nbrands, sizeof(key), cmp_brand);
}

/* policy_finish - sort the sets, resolve the check actions */
static void finish_contacts(struct policy *p);

void policy_finish(struct policy *p)
{
	struct policy_checks *c = &p->checks;

	policy_domains_sort(&p->local_domains);
	policy_domains_sort(&p->freemail_domains);
	policy_domains_sort(&p->protected_domains);
	make_brands(p);
	if (p->nbrands > 1)
		qsort(p->brands, p->nbrands, sizeof(*p->brands), cmp_brand);
	p->ipv4_prefix = (int)policy_setting_long(p, "ipv4_prefix", 24);
	p->ipv6_prefix = (int)policy_setting_long(p, "ipv6_prefix", 48);
	if (p->ipv4_prefix < 8 || p->ipv4_prefix > 32 || p->ipv6_prefix < 16 ||
	    p->ipv6_prefix > 128) {
		policy_problem(p, "settings ipv4_prefix/ipv6_prefix out of "
				  "range; using 24 and 48");
		p->ipv4_prefix = 24;
		p->ipv6_prefix = 48;
	}
	c->foreign_sender = check_action(p, "action_foreign_sender",
					 ACTION_REJECT);
	c->freemail_sender = check_action(p, "action_freemail_sender",
					  ACTION_REJECT);
	c->reply_to = check_action(p, "action_reply_to", ACTION_HEADER);
	c->display_name = check_action(p, "action_display_name", ACTION_HEADER);
	c->lookalike_inbound = check_action(p, "action_lookalike_inbound",
					    ACTION_REJECT);
	c->lookalike_outbound = check_action(p, "action_lookalike_outbound",
					     ACTION_HEADER);
	finish_contacts(p);
}

/*
 * finish_contacts - the contact memory's settings: contact_key (32 hex
 * digits; without one, new_rcpt is not counted), contact_days (90) and
 * contact_max (5,000)
 */
static void finish_contacts(struct policy *p)
{
	const char *key = policy_setting(p, "contact_key", NULL);

	p->contact_keyed = key != NULL &&
			   siphash_key_parse(key, p->contact_key) == 0;
	if (key != NULL && !p->contact_keyed)
		policy_problem(p, "settings contact_key is not 32 hex digits; "
				  "new_rcpt is not counted");
	p->contact_days = policy_setting_long(p, "contact_days", 90);
	if (p->contact_days < 1)
		p->contact_days = 90;
	p->contact_max = policy_setting_long(p, "contact_max", 5000);
	if (p->contact_max < 1)
		p->contact_max = 5000;
}
