/*
 * NAME
 *	store_cache - OnStoreError enforce: the last counts read, per login
 * SYNOPSIS
 *	#include "store_int.h"
 * DESCRIPTION
 *	With enforce on (store_set_enforce), every successful lookup keeps
 *	the login's user and window counts in a fixed table (a slot per
 *	login hash; a newer login takes the slot), without this process's
 *	pending counts, and what this process counts later is added
 *	(store_cache_count): on SQLite when the writer commits it, on
 *	PostgreSQL when a message is recorded (the database shows a
 *	recorded message as a reservation until its settle).  When a
 *	lookup cannot read the database, store_cache_lookup() answers
 *	instead: the user as last read (else the default class), the
 *	counts as last read and counted since, plus this process's
 *	pending counts (store_pend: reservations, and on SQLite the
 *	writes queued and not committed).  Other
 *	daemons' mail after the last read is not seen: on a fleet each
 *	daemon enforces the limits on what it knows.  Windows do not slide
 *	while the database is away (an estimate errs on the high side).
 *	The first answer from the table after a working read is logged,
 *	and the first working read after that.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store_int.h"

#define CACHE_SLOTS   4096
#define CACHE_STRIPES 64

struct cache_slot {
	char login[128];
	struct store_user u;
	int n;
	struct window_counts c[POLICY_MAX_WINDOWS];
};

struct store_cache {
	pthread_mutex_t lock[CACHE_STRIPES];
	pthread_mutex_t state_lock;
	int degraded;
	time_t since;
	struct cache_slot slot[CACHE_SLOTS];
};

/* slot_of - the slot of login */
static unsigned slot_of(const char *login)
{
	unsigned h = 2166136261u;

	while (*login)
		h = (h ^ (unsigned char)*login++) * 16777619u;
	return h % CACHE_SLOTS;
}

/* store_set_enforce - keep counts for lookups that cannot read */
void store_set_enforce(struct store *s, int on)
{
	int i;

	if (!on || s->cache != NULL)
		return;
	if ((s->cache = calloc(1, sizeof(*s->cache))) == NULL)
		return;
	for (i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&s->cache->lock[i], NULL);
	pthread_mutex_init(&s->cache->state_lock, NULL);
}

/* store_cache_free - at close */
void store_cache_free(struct store *s)
{
	free(s->cache);
	s->cache = NULL;
}

/* store_cache_put - a lookup read the database: keep what it read, less
 * this process's pending counts taken after the read (the read held
 * them: in the counts on SQLite, as reservations or stored rows on
 * PostgreSQL); the caller holds pend_lock, as a commit does when it
 * moves counts from pending into the cache */
void store_cache_put(struct store *s, const char *login,
		     const struct store_user *u, const struct window_counts *c,
		     int n, const long pending[3])
{
	struct store_cache *k = s->cache;
	struct cache_slot *e;
	unsigned i;
	int j;

	if (k == NULL || strlen(login) >= sizeof(e->login))
		return;
	if (k->degraded) {
		pthread_mutex_lock(&k->state_lock);
		if (k->degraded)
			log_msg(LOG_NOTICE,
				"store: database %s readable again after "
				"%lld s; counts read from it again",
				s->path, (long long)(time(NULL) - k->since));
		k->degraded = 0;
		pthread_mutex_unlock(&k->state_lock);
	}
	i = slot_of(login);
	e = &k->slot[i];
	pthread_mutex_lock(&k->lock[i % CACHE_STRIPES]);
	snprintf(e->login, sizeof(e->login), "%s", login);
	e->u = *u;
	e->n = n > POLICY_MAX_WINDOWS ? POLICY_MAX_WINDOWS : n < 0 ? 0 : n;
	memcpy(e->c, c, (size_t)e->n * sizeof(*c));
	for (j = 0; j < e->n; j++) {
		e->c[j].msgs -= pending[0];
		e->c[j].rcpts -= pending[1];
		e->c[j].sessions -= pending[2];
	}
	pthread_mutex_unlock(&k->lock[i % CACHE_STRIPES]);
}

/* store_cache_committed - PostgreSQL stored counts of login */
void store_cache_committed(struct store *s, const char *login, long msgs,
			   long rcpts, long sessions)
{
	lock_acquire(&s->pend_lock);
	store_pend_commit(s, login, msgs, rcpts, sessions);
	store_cache_count(s, login, msgs, rcpts, sessions);
	lock_release(&s->pend_lock);
}

/* store_cache_count - a writer committed counts of login */
void store_cache_count(struct store *s, const char *login, long msgs,
		       long rcpts, long sessions)
{
	struct store_cache *k = s->cache;
	struct cache_slot *e;
	unsigned i;
	int j;

	if (k == NULL || login == NULL)
		return;
	i = slot_of(login);
	e = &k->slot[i];
	pthread_mutex_lock(&k->lock[i % CACHE_STRIPES]);
	if (strcmp(e->login, login) == 0)
		for (j = 0; j < e->n; j++) {
			e->c[j].msgs += msgs;
			e->c[j].rcpts += rcpts;
			e->c[j].sessions += sessions;
		}
	pthread_mutex_unlock(&k->lock[i % CACHE_STRIPES]);
}

/* store_cache_lookup - the lookup's answer from the table; 0, or -1
 * when enforce is off */
int store_cache_lookup(struct store *s, const char *login, time_t now,
		       struct store_user *u,
		       int (*windows_for)(void *arg, const struct store_user *u,
					  struct window_counts *c),
		       void *arg, struct window_counts *c,
		       struct store_mark *mark)
{
	struct store_cache *k = s->cache;
	struct cache_slot e;
	long pm, pr, ps;
	unsigned i = slot_of(login);
	int n, j, w;

	(void)now;
	if (k == NULL)
		return -1;
	if (!k->degraded) {
		pthread_mutex_lock(&k->state_lock);
		if (!k->degraded) {
			k->since = time(NULL);
			log_msg(LOG_WARNING,
				"store: cannot read database %s; enforcing "
				"the limits from this process's counts "
				"(OnStoreError enforce)",
				s->path);
		}
		k->degraded = 1;
		pthread_mutex_unlock(&k->state_lock);
	}
	pthread_mutex_lock(&k->lock[i % CACHE_STRIPES]);
	e = k->slot[i];
	pthread_mutex_unlock(&k->lock[i % CACHE_STRIPES]);
	if (strcmp(e.login, login) != 0) {
		memset(&e, 0, sizeof(e));
		snprintf(e.u.class_name, sizeof(e.u.class_name), "default");
		e.u.status = USER_ACTIVE;
	}
	*u = e.u;
	n = windows_for(arg, u, c);
	lock_rw_read(&s->commit_lock);
	lock_acquire(&s->pend_lock);
	store_pend_get(s, login, &pm, &pr, &ps);
	if (mark != NULL)
		store_pend_mark(s, login, mark);
	lock_release(&s->pend_lock);
	lock_rw_release(&s->commit_lock);
	for (j = 0; j < n && j < POLICY_MAX_WINDOWS; j++) {
		c[j].msgs = c[j].rcpts = c[j].sessions = c[j].networks = 0;
		for (w = 0; w < e.n; w++)
			if (e.c[w].window_s == c[j].window_s) {
				c[j].msgs = e.c[w].msgs;
				c[j].rcpts = e.c[w].rcpts;
				c[j].sessions = e.c[w].sessions;
				c[j].networks = e.c[w].networks;
			}
		c[j].msgs += pm;
		c[j].rcpts += pr;
		c[j].sessions += ps;
	}
	return 0;
}
