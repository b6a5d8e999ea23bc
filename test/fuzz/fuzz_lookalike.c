/*
 * NAME
 *	fuzz_lookalike - the lookalike detector
 * DESCRIPTION
 *	The input is protected domains, one a line, then an empty line,
 *	then domains to check, one a line (any bytes: UTF-8, punycode,
 *	junk).  At most MAX_DOMAINS of each.  Properties: lookalike_add()
 *	fails exactly when it says why; a protected domain, and any
 *	subdomain of it, is never a lookalike (the spec: subdomains of the
 *	real domain are not lookalikes); a hit names a kind, a reason and
 *	a protected domain that was added, and no hit leaves the hit
 *	empty.
 */
#include <stdio.h>
#include <string.h>

#include "domain.h"
#include "fuzz.h"
#include "lookalike.h"

#define MAX_DOMAINS 32

struct added {
	char d[MAX_DOMAINS][DOMAIN_MAX + 1]; /* normal form of each added */
	int n;
};

/* check - lookalike_check() of domain, and the shape of the hit */
static int check(const struct lookalike *l, const struct added *a,
		 const char *domain)
{
	struct lookalike_hit hit;
	int rc, i;

	memset(&hit, 'x', sizeof(hit));
	rc = lookalike_check(l, domain, &hit);
	FUZZ_CHECK(rc == 0 || rc == 1, "rc %d", rc);
	if (rc == 0) {
		FUZZ_CHECK(hit.kind == LOOKALIKE_NONE && !hit.reason[0] &&
				   !hit.protected_domain[0],
			   "no hit, but kind %d", hit.kind);
		return 0;
	}
	FUZZ_CHECK(hit.kind != LOOKALIKE_NONE &&
			   strcmp(lookalike_kind_name(hit.kind), "none") != 0,
		   "hit of kind %d", hit.kind);
	FUZZ_CHECK(fuzz_bounded(hit.reason, sizeof(hit.reason)) &&
			   hit.reason[0],
		   "reason");
	FUZZ_CHECK(fuzz_bounded(hit.protected_domain,
				sizeof(hit.protected_domain)),
		   "protected_domain");
	for (i = 0; i < a->n; i++)
		if (strcmp(a->d[i], hit.protected_domain) == 0)
			break;
	FUZZ_CHECK(i < a->n, "\"%s\" is not protected", hit.protected_domain);
	return 1;
}

/* protect - add one domain; keep its normal form when it was added */
static void protect(struct lookalike *l, struct added *a, const char *dom)
{
	char err[300];
	int before = lookalike_count(l), rc;

	memset(err, 'x', sizeof(err));
	rc = lookalike_add(l, dom, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || (rc == -1 && fuzz_bounded(err, sizeof(err)) &&
			       err[0]),
		   "rc %d", rc);
	FUZZ_CHECK(lookalike_count(l) <= before + 1, "count");
	if (rc == 0 && lookalike_count(l) == before + 1 &&
	    domain_normalise(dom, a->d[a->n], sizeof(a->d[a->n])) == 0)
		a->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct added a;
	char sub[DOMAIN_MAX + 16];
	struct lookalike *l;
	struct fuzz_lines in;
	char *line;
	int i;

	fuzz_init();
	if ((l = lookalike_new()) == NULL)
		return 0;
	if (fuzz_lines_init(&in, data, size) < 0) {
		lookalike_free(l);
		return 0;
	}
	a.n = 0;
	while (a.n < MAX_DOMAINS && (line = fuzz_line(&in)) != NULL && *line)
		protect(l, &a, line);
	for (i = 0; i < a.n; i++) {
		FUZZ_CHECK(!check(l, &a, a.d[i]), "\"%s\" is protected",
			   a.d[i]);
		snprintf(sub, sizeof(sub), "www.%s", a.d[i]);
		FUZZ_CHECK(!check(l, &a, sub),
			   "\"%s\" is under a protected "
			   "domain",
			   sub);
	}
	for (i = 0; i < MAX_DOMAINS && (line = fuzz_line(&in)) != NULL; i++)
		check(l, &a, line);
	fuzz_lines_free(&in);
	lookalike_free(l);
	return 0;
}
