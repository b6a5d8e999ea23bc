/*
 * NAME
 *	store_pend - counts not yet in the database
 * DESCRIPTION
 *	A small hash table, login to messages, recipients and sessions
 *	that are reserved by messages in flight or queued for the writer.
 *	Readers add these to what the database says; the writer subtracts
 *	them in the same critical section that commits them.
 *
 *	While the writer commits a batch, each entry also holds the
 *	batch's share of its pending counts (store_pend_fly): a read
 *	whose snapshot already holds the batch takes that share off
 *	(store_read.c), so readers need not wait for the commit.
 *
 *	A message's lookup marks the entry (store_pend_mark): while marks
 *	are held, the entry also keeps what commits moved from it into the
 *	database, so pending plus moved only grows with what messages
 *	reserve or queue, and store_since() can tell a message what others
 *	added after its lookup.  An entry disappears when all its counts
 *	are back to zero and no mark holds it.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define PEND_BUCKETS 4096

struct store_pend {
	struct store_pend *next;
	long msgs, rcpts, sessions;		      /* pending */
	long moved_msgs, moved_rcpts, moved_sessions; /* committed since */
	long extra[STORE_EXTRA]; /* refused, new_rcpt, bounce */
	long fly[STORE_FLY];	 /* of all these, in the batch committing */
	int marks;		 /* marks held */
	char login[];
};

/* hash - FNV-1a of the login */
static unsigned hash(const char *login)
{
	unsigned h = 2166136261u;

	while (*login)
		h = (h ^ (unsigned char)*login++) * 16777619u;
	return h % PEND_BUCKETS;
}

/* pend_find - the entry of login, created when create; NULL if none */
static struct store_pend *pend_find(struct store *s, const char *login,
				    int create, struct store_pend ***link)
{
	struct store_pend **pp, *p;
	size_t n;

	if (s->pend == NULL) {
		if (!create)
			return NULL;
		s->pend = calloc(PEND_BUCKETS, sizeof(*s->pend));
		if (s->pend == NULL)
			return NULL;
	}
	for (pp = &s->pend[hash(login)]; (p = *pp) != NULL; pp = &p->next)
		if (strcmp(p->login, login) == 0)
			break;
	if (p == NULL && create) {
		n = strlen(login) + 1;
		if ((p = calloc(1, sizeof(*p) + n)) == NULL)
			return NULL;
		memcpy(p->login, login, n);
		*pp = p;
	}
	if (link != NULL)
		*link = pp;
	return p;
}

/* flying - has the entry a share in the batch committing? */
static int flying(const struct store_pend *p)
{
	int i;

	for (i = 0; i < STORE_FLY; i++)
		if (p->fly[i] != 0)
			return 1;
	return 0;
}

/* pend_gc - free an entry with nothing pending and no mark */
static void pend_gc(struct store_pend **link, struct store_pend *p)
{
	if (p->msgs <= 0 && p->rcpts <= 0 && p->sessions <= 0 &&
	    p->extra[0] <= 0 && p->extra[1] <= 0 && p->extra[2] <= 0 &&
	    p->marks == 0 && !flying(p)) {
		*link = p->next;
		free(p);
	}
}

/* store_pend_add - add deltas for login (caller holds pend_lock) */
void store_pend_add(struct store *s, const char *login, long msgs, long rcpts,
		    long sessions)
{
	struct store_pend **link, *p;

	LOCK_HELD(&s->pend_lock);
	if ((p = pend_find(s, login, 1, &link)) == NULL)
		return;
	p->msgs += msgs;
	p->rcpts += rcpts;
	p->sessions += sessions;
	pend_gc(link, p);
}

/* store_pend_commit - pending counts of login moved into the database */
void store_pend_commit(struct store *s, const char *login, long msgs,
		       long rcpts, long sessions)
{
	struct store_pend **link, *p;

	LOCK_HELD(&s->pend_lock);
	if ((p = pend_find(s, login, 0, &link)) == NULL)
		return;
	p->msgs -= msgs;
	p->rcpts -= rcpts;
	p->sessions -= sessions;
	if (p->marks > 0) {
		p->moved_msgs += msgs;
		p->moved_rcpts += rcpts;
		p->moved_sessions += sessions;
	}
	pend_gc(link, p);
}

/* store_pend_mark - mark login's entry for a lookup */
void store_pend_mark(struct store *s, const char *login,
		     struct store_mark *mark)
{
	struct store_pend *p;

	LOCK_HELD(&s->pend_lock);
	LOCK_RW_HELD(&s->commit_lock);
	p = pend_find(s, login, 1, NULL);
	memset(mark, 0, sizeof(*mark));
	if (p == NULL)
		return;
	p->marks++;
	mark->held = 1;
	mark->msgs = p->msgs + p->moved_msgs;
	mark->rcpts = p->rcpts + p->moved_rcpts;
	mark->sessions = p->sessions + p->moved_sessions;
}

/* store_pend_since - growth of login's counts since mark */
void store_pend_since(struct store *s, const char *login,
		      const struct store_mark *mark, long *msgs, long *rcpts,
		      long *sessions)
{
	struct store_pend *p;

	*msgs = *rcpts = *sessions = 0;
	if (!mark->held)
		return;
	lock_acquire(&s->pend_lock);
	if ((p = pend_find(s, login, 0, NULL)) != NULL) {
		*msgs = p->msgs + p->moved_msgs - mark->msgs;
		*rcpts = p->rcpts + p->moved_rcpts - mark->rcpts;
		*sessions = p->sessions + p->moved_sessions - mark->sessions;
	}
	lock_release(&s->pend_lock);
}

/* store_pend_mark_drop - release a mark */
void store_pend_mark_drop(struct store *s, const char *login,
			  struct store_mark *mark)
{
	struct store_pend **link, *p;

	if (!mark->held)
		return;
	lock_acquire(&s->pend_lock);
	if ((p = pend_find(s, login, 0, &link)) != NULL) {
		p->marks--;
		if (p->marks == 0)
			p->moved_msgs = p->moved_rcpts = p->moved_sessions = 0;
		pend_gc(link, p);
	}
	lock_release(&s->pend_lock);
	memset(mark, 0, sizeof(*mark));
}

/* login_stripe - the lock of login */
static struct lock *login_stripe(struct store *s, const char *login)
{
	return &s->login_locks[hash(login) % STORE_LOGIN_LOCKS];
}

/* store_login_lock - lock login's stripe */
void store_login_lock(struct store *s, const char *login)
{
	lock_acquire(login_stripe(s, login));
}

/* store_login_unlock - unlock login's stripe */
void store_login_unlock(struct store *s, const char *login)
{
	lock_release(login_stripe(s, login));
}

/* store_login_held - abort unless the caller holds login's stripe */
void store_login_held(struct store *s, const char *login)
{
#ifdef OUTGUARD_LOCK_CHECK
	LOCK_HELD(login_stripe(s, login));
#else
	(void)s;
	(void)login;
#endif
}

/* store_pend_get - the counts pending for login (caller holds pend_lock) */
void store_pend_get(struct store *s, const char *login, long *msgs, long *rcpts,
		    long *sessions)
{
	struct store_pend *p;

	LOCK_HELD(&s->pend_lock);
	p = pend_find(s, login, 0, NULL);
	*msgs = p ? p->msgs : 0;
	*rcpts = p ? p->rcpts : 0;
	*sessions = p ? p->sessions : 0;
}

/* store_pend_extra - add x (STORE_EXTRA deltas) to login's pending
 * refused, new_rcpt and bounce (caller holds pend_lock); with x NULL,
 * read them into out */
void store_pend_extra(struct store *s, const char *login, const long *x,
		      long *out)
{
	struct store_pend **link, *p;
	int i;

	LOCK_HELD(&s->pend_lock);
	if (x == NULL) {
		p = pend_find(s, login, 0, NULL);
		for (i = 0; i < STORE_EXTRA; i++)
			out[i] = p ? p->extra[i] : 0;
		return;
	}
	if ((p = pend_find(s, login, 1, &link)) == NULL)
		return;
	for (i = 0; i < STORE_EXTRA; i++)
		p->extra[i] += x[i];
	pend_gc(link, p);
}

/* store_pend_fly - add v (sign -1: take off) to login's share of the
 * batch committing (caller holds pend_lock) */
void store_pend_fly(struct store *s, const char *login, const long v[STORE_FLY],
		    long sign)
{
	struct store_pend **link, *p;
	int i;

	LOCK_HELD(&s->pend_lock);
	if ((p = pend_find(s, login, sign > 0, &link)) == NULL)
		return;
	for (i = 0; i < STORE_FLY; i++)
		p->fly[i] += sign * v[i];
	pend_gc(link, p);
}

/* store_pend_flying - login's share of the batch committing, into v;
 * the batch's number, 0 when none commits (caller holds pend_lock) */
long long store_pend_flying(struct store *s, const char *login,
			    long v[STORE_FLY])
{
	struct store_pend *p;
	int i;

	LOCK_HELD(&s->pend_lock);
	p = s->committing ? pend_find(s, login, 0, NULL) : NULL;
	for (i = 0; i < STORE_FLY; i++)
		v[i] = p ? p->fly[i] : 0;
	return p && flying(p) ? s->committing : 0;
}

/* store_pend_free - drop the table (at close) */
void store_pend_free(struct store *s)
{
	struct store_pend *p, *next;
	unsigned i;

	for (i = 0; s->pend != NULL && i < PEND_BUCKETS; i++)
		for (p = s->pend[i]; p != NULL; p = next) {
			next = p->next;
			free(p);
		}
	free(s->pend);
	s->pend = NULL;
}

/* store_reserve - count a message in flight */
void store_reserve(struct store *s, const char *login, int msgs, int rcpts)
{
	lock_acquire(&s->pend_lock);
	store_pend_add(s, login, msgs, rcpts, 0);
	lock_release(&s->pend_lock);
}

/* store_release - undo a reservation */
void store_release(struct store *s, const char *login, int msgs, int rcpts)
{
	if (msgs == 0 && rcpts == 0)
		return;
	lock_acquire(&s->pend_lock);
	store_pend_add(s, login, -msgs, -rcpts, 0);
	lock_release(&s->pend_lock);
}
