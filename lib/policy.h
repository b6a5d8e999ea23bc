/*
 * NAME
 *	policy - one loaded, immutable snapshot of the policy tables
 * SYNOPSIS
 *	#include "policy.h"
 * DESCRIPTION
 *	A snapshot holds classes with their limits, and the settings.  The
 *	store fills it (store_policy_load); the engine reads it.  Snapshots
 *	are reference counted: a message holds the snapshot it started with
 *	while the daemon swaps in a new one when the tables change.  The
 *	users table is not part of it: it is looked up per message, so it
 *	can hold millions of logins.
 */
#ifndef OUTGUARD_POLICY_H
#define OUTGUARD_POLICY_H

#include "action.h"

struct ruleset;
struct lookalike;
struct network_groups;
struct webmail;

enum metric {
	METRIC_RCPT_PER_MSG = 0,
	METRIC_RCPT,
	METRIC_MSG,
	METRIC_SESSION,
	METRIC_NETWORKS,
	METRIC_REFUSED,	 /* recipients refused by outguard, SPEC 6.1 */
	METRIC_NEW_RCPT, /* recipients not written to in contact_days */
	METRIC_BOUNCE,	 /* recipients the MTA bounced (5xx) */
	METRIC_COUNT
};

/* A class has at most this many distinct windows; more rows are skipped. */
#define POLICY_MAX_WINDOWS 8

struct policy_limit {
	long id; /* limits.id, for messages */
	enum metric metric;
	long window_s;	/* 0 for rcpt_per_msg */
	long threshold; /* exceeded when the count goes above it */
	enum action action;
	double baseline_factor; /* 0: off (NULL in limits) */
};

struct policy_class {
	char *name;
	struct policy_limit *limits;
	int nlimits;
	long windows[POLICY_MAX_WINDOWS]; /* distinct window_s > 0 */
	int nwindows;
};

struct policy_setting {
	char *key;
	char *value;
};

/* A sorted set of normal-form domains. */
struct policy_domains {
	char **names;
	int n;
};

/* A protected domain's brand label, for the display-name check. */
struct policy_brand {
	char *label;  /* "paypal" */
	char *domain; /* "paypal.com" */
};

/* The actions of the built-in forgery checks, from settings. */
struct policy_checks {
	enum action foreign_sender;  /* envelope outside local domains */
	enum action freemail_sender; /* envelope or From: freemail */
	enum action reply_to;	     /* Reply-To freemail/foreign, From local */
	enum action display_name;    /* display name names a brand */
	enum action lookalike_inbound;	/* unauthenticated mail */
	enum action lookalike_outbound; /* authenticated mail */
};

struct policy {
	long long version; /* policy_version.version when loaded */
	struct policy_class *classes;
	int nclasses;
	struct policy_setting *settings;
	int nsettings;
	struct policy_domains local_domains;
	struct policy_domains freemail_domains;
	struct policy_checks checks;
	struct policy_domains protected_domains;
	struct policy_brand *brands; /* labels of protected_domains */
	int nbrands;
	struct network_groups *groups;	/* network_groups, never NULL */
	int ipv4_prefix, ipv6_prefix;	/* a network's size, from settings */
	struct ruleset *rules;		/* never NULL once loaded */
	struct lookalike *lookalike;	/* never NULL once loaded */
	struct webmail *webmail;	/* webmail_sources, never NULL */
	long max_window;		/* the longest window_s of any limit */
	unsigned char contact_key[16];	/* SipHash key of the contacts */
	int contact_keyed;		/* settings.contact_key is valid */
	long contact_days, contact_max; /* the contact memory's bounds */
	char **problems; /* rows skipped while loading, for logs and -n */
	int nproblems;
	int refs; /* guarded by the holder, see policy_hold() */
};

/* policy_metric_name - SQL spelling of a metric */
const char *policy_metric_name(enum metric m);

/* policy_metric_parse - SQL spelling to metric; 0, or -1 if unknown */
int policy_metric_parse(const char *s, enum metric *out);

/* policy_class_find - class by name (case-insensitive), or NULL */
const struct policy_class *policy_class_find(const struct policy *p,
					     const char *name);

/* policy_class_window - index of window_s in the class's windows, or -1 */
int policy_class_window(const struct policy_class *c, long window_s);

/* policy_setting - a setting's value, or dflt when it is not set */
const char *policy_setting(const struct policy *p, const char *key,
			   const char *dflt);

/* policy_setting_long - a numeric setting, or dflt when unset or bad */
long policy_setting_long(const struct policy *p, const char *key, long dflt);

/* policy_problem - record a skipped row (printf format); copies text */
void policy_problem(struct policy *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* policy_domains_add - add a domain (normalised) to a set; 0 or -1 */
int policy_domains_add(struct policy_domains *set, const char *domain);

/* policy_domains_sort - sort a set after adding (before lookups) */
void policy_domains_sort(struct policy_domains *set);

/* policy_domains_has - 1 when domain (normal form) is in the set */
int policy_domains_has(const struct policy_domains *set, const char *domain);

/*
 * policy_domains_within - 1 when domain is in the set or a subdomain of
 * a member (dept.example.edu is within example.edu)
 */
int policy_domains_within(const struct policy_domains *set, const char *domain);

/*
 * policy_finish - after the rows are in: sort the sets, resolve the
 * check actions from settings (bad values become problems and keep the
 * default)
 */
void policy_finish(struct policy *p);

/*
 * policy_brand_find - the protected brand whose label is exactly the n
 * bytes at word (lower case), or NULL
 */
const struct policy_brand *policy_brand_find(const struct policy *p,
					     const char *word, size_t n);

/* POLICY_NOTE_NO_LOCAL - what to say when local_domains is empty */
#define POLICY_NOTE_NO_LOCAL                                                   \
	"local_domains is empty: authenticated senders' domains are not "      \
	"checked until you add your domains"

/* policy_free - release a snapshot (refs are not checked); NULL is fine */
void policy_free(struct policy *p);

/*
 * The holder keeps the current snapshot for the daemon.
 * policy_current() returns it with a reference taken (NULL if none);
 * policy_put() drops a reference and frees an old snapshot at zero;
 * policy_swap() installs a new snapshot (the holder takes ownership).
 */
struct policy *policy_current(void);
void policy_put(struct policy *p);
void policy_swap(struct policy *p);

#endif
