/*
 * NAME
 *	guard_contacts - first contact: recipients new to the login
 * DESCRIPTION
 *	Metric new_rcpt (SPEC 6.1): the recipients of accepted mail that
 *	the login has not written to within contact_days.  Each accepted
 *	recipient's address (normal form, lower case) is hashed with
 *	SipHash-2-4 under the database's settings.contact_key as it
 *	arrives; at end-of-message one read asks which of the message's
 *	distinct hashes the login's contacts hold
 *	(store_contacts_known), the rest are new.  The message's new
 *	recipients then count in its limits decision (guard_eom.c): a
 *	stage (header, quarantine) applies to the message itself, and a
 *	refusing action holds it instead, since refusing after DATA
 *	stalls Postfix (SPEC 5.2); the login's later messages see the
 *	count at MAIL and are refused at RCPT.  Accepted and held messages add their new
 *	recipients to counts (in the msg_log row, whose trigger counts
 *	them) and their hashes to contacts (the writer
 *	keeps the newest contact_max per login and prunes those older
 *	than contact_days).
 *
 *	The same read tells which known recipients were last written
 *	less than CONTACT_FRESH_S ago (store_contacts_stale): those are
 *	not written again.  A login mostly writes to people it knows, so
 *	most messages write no contacts row at all, where each used to
 *	rewrite a row and its ts index entry per recipient (about 9 kB
 *	of WAL per message of 10 known recipients).  A contact's ts so
 *	lags its last use by less than a day: it is forgotten after
 *	contact_days minus at most a day of silence, and the bound of
 *	contact_max drops the oldest to within a day.
 */
#include <stdlib.h>
#include <string.h>

#include "guard_int.h"
#include "siphash.h"

#define CONTACT_ADDR_MAX 512
#define CONTACT_FRESH_S	 86400 /* a known contact's ts is rewritten after */

/* guard_contact_note - hash one accepted recipient of the message */
void guard_contact_note(struct guard_conn *c, const char *addr)
{
	char low[CONTACT_ADDR_MAX];
	long long *grown;
	size_t i;

	if (c->pol == NULL || !c->pol->contact_keyed || addr[0] == '\0')
		return;
	if (c->nhashes == c->hashes_cap) {
		grown = realloc(c->hashes,
				(c->hashes_cap * 2 + 16) * sizeof(*grown));
		if (grown == NULL)
			return;
		c->hashes = grown;
		c->hashes_cap = c->hashes_cap * 2 + 16;
	}
	for (i = 0; addr[i] && i < sizeof(low) - 1; i++)
		low[i] = (addr[i] >= 'A' && addr[i] <= 'Z') ? addr[i] + 32
							    : addr[i];
	low[i] = '\0';
	c->hashes[c->nhashes++] = (long long)siphash24(c->pol->contact_key, low,
						       i);
}

/* cmp_hash - qsort order of hashes */
static int cmp_hash(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* distinct - sort the message's hashes and drop repeats */
static void distinct(struct guard_conn *c)
{
	int i, n = 0;

	qsort(c->hashes, c->nhashes, sizeof(*c->hashes), cmp_hash);
	for (i = 0; i < c->nhashes; i++)
		if (n == 0 || c->hashes[i] != c->hashes[n - 1])
			c->hashes[n++] = c->hashes[i];
	c->nhashes = n;
}

/* has_new_rcpt_limit - does the login's class limit new_rcpt? */
static int has_new_rcpt_limit(const struct guard_conn *c)
{
	int i;

	for (i = 0; c->cls != NULL && i < c->cls->nlimits; i++)
		if (c->cls->limits[i].metric == METRIC_NEW_RCPT)
			return 1;
	return 0;
}

/* guard_contacts_count - how many recipients are new to the login */
int guard_contacts_count(struct guard_conn *c, long msg_rcpts)
{
	time_t now = time(NULL), since;
	int known;

	if (!c->login[0] || c->nhashes == 0 || msg_rcpts == 0 ||
	    c->store_failed || c->user.status == USER_BLOCKED)
		return 0;
	distinct(c);
	since = now - c->pol->contact_days * 86400L;
	known = store_contacts_stale(c->g->store, c->login, since,
				     now - CONTACT_FRESH_S, c->hashes,
				     c->nhashes, &c->nstale);
	if (known < 0)
		return 0; /* counted as known: a store error refuses nothing */
	c->contacts_read = 1;
	c->msg_new_rcpt = c->nhashes - known;
	return c->msg_new_rcpt > 0 && has_new_rcpt_limit(c);
}

/* guard_contacts_record - new_rcpt counted, the recipients remembered:
 * all of them, or when read at end-of-message those not fresh */
void guard_contacts_record(struct guard_conn *c, time_t now)
{
	int n = c->contacts_read ? c->nstale : c->nhashes;

	if (!c->login[0] || n == 0)
		return;
	store_add_contacts(c->g->store, c->login, now, c->hashes, n,
			   c->pol->contact_max);
}
