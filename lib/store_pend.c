/*
 * NAME
 *	store_pend - counts not yet in the database
 * DESCRIPTION
 *	A small hash table, login to messages, recipients and sessions
 *	that are reserved by messages in flight or queued for the writer.
 *	Readers add these to what the database says; the writer subtracts
 *	them in the same critical section that commits them.  An entry
 *	disappears when all its counts are back to zero.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define PEND_BUCKETS 4096

struct store_pend {
	struct store_pend *next;
	long msgs, rcpts, sessions;
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

/* store_pend_add - add deltas for login (caller holds pend_lock) */
void store_pend_add(struct store *s, const char *login, long msgs,
		    long rcpts, long sessions)
{
	struct store_pend **link, *p;

	if ((p = pend_find(s, login, 1, &link)) == NULL)
		return;
	p->msgs += msgs;
	p->rcpts += rcpts;
	p->sessions += sessions;
	if (p->msgs <= 0 && p->rcpts <= 0 && p->sessions <= 0) {
		*link = p->next;
		free(p);
	}
}

/* store_pend_get - the counts pending for login (caller holds pend_lock) */
void store_pend_get(struct store *s, const char *login, long *msgs,
		    long *rcpts, long *sessions)
{
	struct store_pend *p = pend_find(s, login, 0, NULL);

	*msgs = p ? p->msgs : 0;
	*rcpts = p ? p->rcpts : 0;
	*sessions = p ? p->sessions : 0;
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
	pthread_mutex_lock(&s->pend_lock);
	store_pend_add(s, login, msgs, rcpts, 0);
	pthread_mutex_unlock(&s->pend_lock);
}

/* store_release - undo a reservation */
void store_release(struct store *s, const char *login, int msgs, int rcpts)
{
	if (msgs == 0 && rcpts == 0)
		return;
	pthread_mutex_lock(&s->pend_lock);
	store_pend_add(s, login, -msgs, -rcpts, 0);
	pthread_mutex_unlock(&s->pend_lock);
}
