/*
 * NAME
 *	test_lookalike - the lookalike detector against its corpora
 * SYNOPSIS
 *	test_lookalike datadir
 * DESCRIPTION
 *	Loads datadir/protected-domains.txt, then checks that every line of
 *	lookalikes-bad.txt is flagged and no line of lookalikes-good.txt
 *	is, printing each miss and false alarm and the two rates.  Table
 *	rows check the kind and reason reported.  The corpora are checked
 *	again from several threads at once.  Last, a timing line (not an
 *	assertion): microseconds of CPU per check with 1,000 protected
 *	domains.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "domain.h"
#include "lookalike.h"

#define THREADS		 4
#define TIMING_PROTECTED 1000

struct list {
	char **v;
	int n;
};

/* list_load - the entries of dir/name, comments and blanks dropped */
static int list_load(const char *dir, const char *name, struct list *l)
{
	char path[1024], line[1024], *s, *e;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL) {
		printf("cannot open %s\n", path);
		return -1;
	}
	l->v = NULL;
	l->n = 0;
	while (fgets(line, sizeof(line), fp)) {
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s); e > s && strchr(" \t\r\n", e[-1]); e--)
			;
		*e = '\0';
		if (*s == '\0')
			continue;
		l->v = realloc(l->v, (size_t)(l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = strdup(s);
	}
	fclose(fp);
	return 0;
}

/* list_free - the entries and the array */
static void list_free(struct list *l)
{
	while (l->n > 0)
		free(l->v[--l->n]);
	free(l->v);
}

/* detector_load - a detector of every entry in the protected list */
static struct lookalike *detector_load(const struct list *prot)
{
	struct lookalike *l = lookalike_new();
	char err[256];
	int i;

	for (i = 0; l && i < prot->n; i++)
		if (lookalike_add(l, prot->v[i], err, sizeof(err)) < 0)
			printf("FAIL protected %s: %s\n", prot->v[i], err);
	return l;
}

/* test_basics - add, count, errors, kind names */
static void test_basics(void)
{
	struct lookalike *l = lookalike_new();
	struct lookalike_hit hit;
	char err[256];

	CHECK(l != NULL, "lookalike_new");
	CHECK_INT("empty count", lookalike_count(l), 0);
	CHECK_INT("empty check", lookalike_check(l, "paypa1.com", &hit), 0);
	CHECK_INT("add", lookalike_add(l, "PayPal.com.", err, sizeof(err)), 0);
	CHECK_INT("add again", lookalike_add(l, "paypal.com", err, sizeof(err)),
		  0);
	CHECK_INT("count, no duplicate", lookalike_count(l), 1);
	CHECK_INT("add public suffix",
		  lookalike_add(l, "co.uk", err, sizeof(err)), -1);
	CHECK_STR("add public suffix, err", err, "co.uk is a public suffix");
	CHECK_INT("add bad", lookalike_add(l, "pay pal.com", err, sizeof(err)),
		  -1);
	CHECK_STR("add bad, err", err, "not a domain name: \"pay pal.com\"");
	CHECK_INT("count after errors", lookalike_count(l), 1);
	CHECK_INT("check without hit", lookalike_check(l, "paypa1.com", NULL),
		  1);
	CHECK_INT("check NULL domain", lookalike_check(l, NULL, &hit), 0);
	CHECK_INT("check NULL detector", lookalike_check(NULL, "x.com", &hit),
		  0);
	CHECK_INT("count NULL", lookalike_count(NULL), 0);
	CHECK_STR("kind none", lookalike_kind_name(LOOKALIKE_NONE), "none");
	CHECK_STR("kind edit", lookalike_kind_name(LOOKALIKE_EDIT), "edit");
	CHECK_STR("kind other_tld", lookalike_kind_name(LOOKALIKE_OTHER_TLD),
		  "other_tld");
	CHECK_STR("kind brand_word", lookalike_kind_name(LOOKALIKE_BRAND_WORD),
		  "brand_word");
	CHECK_STR("kind confusable", lookalike_kind_name(LOOKALIKE_CONFUSABLE),
		  "confusable");
	CHECK_STR("kind homograph", lookalike_kind_name(LOOKALIKE_HOMOGRAPH),
		  "homograph");
	lookalike_free(l);
	lookalike_free(NULL);
}

/* test_kinds - rows: domain, kind wanted, protected domain hit */
static void test_kinds(const struct lookalike *l)
{
	static const struct {
		const char *domain;
		enum lookalike_kind kind;
		const char *prot;
	} rows[] = {
		{ "wallmart.com", LOOKALIKE_EDIT, "walmart.com" },
		{ "linkedln.com", LOOKALIKE_EDIT, "linkedin.com" },
		{ "pyapal.com", LOOKALIKE_EDIT, "paypal.com" },
		{ "linkedin.biz", LOOKALIKE_OTHER_TLD, "linkedin.com" },
		{ "linkedin.co.uk", LOOKALIKE_OTHER_TLD, "linkedin.com" },
		{ "mail.dhl.fr", LOOKALIKE_OTHER_TLD, "dhl.com" },
		{ "linkedinmail.net", LOOKALIKE_BRAND_WORD, "linkedin.com" },
		{ "linkedin-mail.com", LOOKALIKE_BRAND_WORD, "linkedin.com" },
		{ "mail-linkedin.com", LOOKALIKE_BRAND_WORD, "linkedin.com" },
		{ "amazonaws.com", LOOKALIKE_BRAND_WORD, "amazon.com" },
		{ "amazonses-mail.com", LOOKALIKE_BRAND_WORD, "amazonses.com" },
		{ "dhl-express.com", LOOKALIKE_BRAND_WORD, "dhl.com" },
		{ "1inkedin.com", LOOKALIKE_CONFUSABLE, "linkedin.com" },
		{ "rnicrosoft.com", LOOKALIKE_CONFUSABLE, "microsoft.com" },
		{ "g00gle.com", LOOKALIKE_CONFUSABLE, "google.com" },
		{ "rnicrosoft-mail.com", LOOKALIKE_CONFUSABLE,
		  "microsoft.com" },
		{ "xn--pypal-4ve.com", LOOKALIKE_HOMOGRAPH, "paypal.com" },
		{ "pаypal.com", LOOKALIKE_HOMOGRAPH, "paypal.com" },
		{ "xn--80ak6aa92e.com", LOOKALIKE_HOMOGRAPH, "apple.com" },
		{ "linkedin.com", LOOKALIKE_NONE, NULL },
		{ "emalsrv.linkedin.com", LOOKALIKE_NONE, NULL },
		{ "complains.linkedin.com", LOOKALIKE_NONE, NULL },
		{ "linkedin.com.", LOOKALIKE_NONE, NULL },
		{ "www.amazon.de", LOOKALIKE_NONE, NULL },
		{ "pineapple.com", LOOKALIKE_NONE, NULL },
		{ "purchase.com", LOOKALIKE_NONE, NULL },
		{ "co.uk", LOOKALIKE_NONE, NULL },
		{ "not a domain", LOOKALIKE_NONE, NULL },
		{ "xn--zz.com", LOOKALIKE_NONE, NULL },
		{ "", LOOKALIKE_NONE, NULL },
	};
	struct lookalike_hit hit;
	size_t i;
	int got;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&hit, 0, sizeof(hit));
		got = lookalike_check(l, rows[i].domain, &hit);
		CHECK_INT(rows[i].domain, got, rows[i].kind != LOOKALIKE_NONE);
		if (!got || rows[i].kind == LOOKALIKE_NONE)
			continue;
		CHECK_STR(rows[i].domain, lookalike_kind_name(hit.kind),
			  lookalike_kind_name(rows[i].kind));
		CHECK_STR(rows[i].domain, hit.protected_domain, rows[i].prot);
	}
}

/* test_reasons - the reason texts, whole */
static void test_reasons(const struct lookalike *l)
{
	static const struct {
		const char *domain, *reason;
	} rows[] = {
		{ "linkedinmail.net",
		  "linkedinmail.net: brand \"linkedin\" plus "
		  "a word (protected linkedin.com)" },
		{ "wallmart.com", "wallmart.com: one edit from \"walmart\" "
				  "(protected walmart.com)" },
		{ "linkedin.biz", "linkedin.biz: \"linkedin\" under another "
				  "suffix (protected linkedin.com)" },
		{ "1inkedin.com", "1inkedin.com: looks like \"linkedin\" "
				  "(protected linkedin.com)" },
		{ "pаypal.com", "xn--pypal-4ve.com (pаypal.com): looks like "
				"\"paypal\" (protected paypal.com)" },
	};
	struct lookalike_hit hit;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		strcpy(hit.reason, "(none)");
		lookalike_check(l, rows[i].domain, &hit);
		CHECK_STR(rows[i].domain, hit.reason, rows[i].reason);
	}
}

/* test_corpus - every bad entry caught, no good one; the rates */
static void test_corpus(const struct lookalike *l, const struct list *bad,
			const struct list *good)
{
	struct lookalike_hit hit;
	int i, caught = 0, alarms = 0;

	for (i = 0; i < bad->n; i++) {
		if (lookalike_check(l, bad->v[i], &hit)) {
			caught++;
			continue;
		}
		printf("MISS %s\n", bad->v[i]);
	}
	for (i = 0; i < good->n; i++) {
		if (!lookalike_check(l, good->v[i], &hit))
			continue;
		alarms++;
		printf("FALSE ALARM %s: %s %s\n", good->v[i],
		       lookalike_kind_name(hit.kind), hit.reason);
	}
	printf("caught %d/%d lookalikes (%.1f%%), %d/%d false alarms "
	       "(%.1f%%)\n",
	       caught, bad->n, bad->n ? 100.0 * caught / bad->n : 0.0, alarms,
	       good->n, good->n ? 100.0 * alarms / good->n : 0.0);
	CHECK(bad->n >= 60, "at least 60 lookalikes");
	CHECK(good->n >= 60, "at least 60 good domains");
	CHECK_INT("lookalikes missed", bad->n - caught, 0);
	CHECK_INT("false alarms", alarms, 0);
}

struct worker {
	const struct lookalike *l;
	const struct list *bad, *good;
	int hits, kinds_wrong;
	const enum lookalike_kind *want; /* bad, then good */
};

/* worker_run - check both corpora 20 times, comparing every kind */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct lookalike_hit hit;
	int pass, i, got;

	for (pass = 0; pass < 20; pass++) {
		for (i = 0; i < w->bad->n + w->good->n; i++) {
			const char *d = i < w->bad->n
						? w->bad->v[i]
						: w->good->v[i - w->bad->n];

			got = lookalike_check(w->l, d, &hit);
			w->hits += got;
			if ((got ? hit.kind : LOOKALIKE_NONE) != w->want[i])
				w->kinds_wrong++;
		}
	}
	return NULL;
}

/* test_threads - the same answers from THREADS threads at once */
static void test_threads(const struct lookalike *l, const struct list *bad,
			 const struct list *good)
{
	struct worker w[THREADS];
	pthread_t tid[THREADS];
	enum lookalike_kind *want;
	struct lookalike_hit hit;
	int i, n = bad->n + good->n, hits = 0;

	want = calloc((size_t)n, sizeof(*want));
	for (i = 0; i < n; i++) {
		const char *d = i < bad->n ? bad->v[i] : good->v[i - bad->n];

		want[i] = lookalike_check(l, d, &hit) ? hit.kind
						      : LOOKALIKE_NONE;
		hits += want[i] != LOOKALIKE_NONE;
	}
	for (i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ l, bad, good, 0, 0, want };
		pthread_create(&tid[i], NULL, worker_run, &w[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(tid[i], NULL);
		CHECK_INT("thread hits", w[i].hits, 20 * hits);
		CHECK_INT("thread kinds differing", w[i].kinds_wrong, 0);
	}
	free(want);
}

/* synthetic - a made-up protected domain, the same on every run */
static void synthetic(unsigned *seed, char *out, size_t outlen)
{
	static const char *const tld[] = { "com",   "net", "org", "de",
					   "co.uk", "fr",  "io",  "bank" };
	char label[16];
	int i, n;

	*seed = *seed * 1103515245u + 12345u;
	n = 4 + (int)(*seed >> 16) % 9;
	for (i = 0; i < n; i++) {
		*seed = *seed * 1103515245u + 12345u;
		label[i] = (char)('a' + (*seed >> 16) % 26);
	}
	label[n] = '\0';
	snprintf(out, outlen, "%s.%s", label, tld[(*seed >> 8) % 8]);
}

/* cpu - seconds of CPU this thread has used (a busy machine aside) */
static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* timing_run - CPU microseconds per check over n checks of the lists */
static double timing_run(const struct lookalike *l, const struct list *a,
			 const struct list *b, int n, int *hits)
{
	struct lookalike_hit hit;
	double t0 = cpu();
	int k, i;

	for (k = 0; k < n; k++) {
		i = k % (a->n + b->n);
		*hits += lookalike_check(l, i < a->n ? a->v[i] : b->v[i - a->n],
					 &hit);
	}
	return (cpu() - t0) * 1e6 / n;
}

/* test_timing - print the cost of a check with 1,000 protected domains */
static void test_timing(const struct list *prot, const struct list *bad,
			const struct list *good)
{
	static const struct list none = { NULL, 0 };
	struct lookalike *l = detector_load(prot);
	double t0, add, all, clean;
	char d[64], err[256];
	unsigned seed = 1;
	int hits = 0, clean_hits = 0;

	t0 = cpu();
	while (lookalike_count(l) < TIMING_PROTECTED) {
		synthetic(&seed, d, sizeof(d));
		lookalike_add(l, d, err, sizeof(err));
	}
	add = (cpu() - t0) * 1e6 / (TIMING_PROTECTED - prot->n);
	all = timing_run(l, bad, good, 200000, &hits);
	clean = timing_run(l, good, &none, 200000, &clean_hits);
	printf("timing: %d protected domains: %.2f us CPU per check of both "
	       "corpora (%d hits in 200000), %.2f us per good domain, "
	       "%.1f us per add\n",
	       lookalike_count(l), all, hits, clean, add);
	lookalike_free(l);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "test/data";
	struct list prot, bad, good;
	struct lookalike *l;

	test_basics();
	if (list_load(dir, "protected-domains.txt", &prot) < 0 ||
	    list_load(dir, "lookalikes-bad.txt", &bad) < 0 ||
	    list_load(dir, "lookalikes-good.txt", &good) < 0)
		return 1;
	l = detector_load(&prot);
	CHECK_INT("all protected loaded", lookalike_count(l), prot.n);
	test_kinds(l);
	test_reasons(l);
	test_corpus(l, &bad, &good);
	test_threads(l, &bad, &good);
	lookalike_free(l);
	test_timing(&prot, &bad, &good);
	list_free(&prot);
	list_free(&bad);
	list_free(&good);
	return check_done();
}
