/*
 * NAME
 *	store_pg_users - users rows this daemon may trust without a read
 * SYNOPSIS
 *	#include "store_pg_int.h"
 * DESCRIPTION
 *	The users row of a login as the last lookup read it, in a slot per
 *	login hash, trusted only while the LISTEN connection is up: a
 *	change to users sends NOTIFY outguard_user with the login, which
 *	empties the login's slot (pg_users_forget), and a new LISTEN
 *	connection empties them all (pg_users_reset), since notifications
 *	sent while it was away are lost.  So store_user_get() at the end of
 *	a message (has the login been blocked since MAIL?) costs no round
 *	trip unless the login changed.  Calls no other store_pg file.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "store_pg_int.h"

#define USERS_SLOTS 4096

struct pg_user_slot {
	char login[128];
	struct store_user u;
	unsigned gen; /* bumped by every forget: a read older is stale */
};

static struct pg_user_slot slots[USERS_SLOTS];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct store_pg *owner; /* the store the slots belong to */

/* slot_of - the slot of login, case-insensitively */
static unsigned slot_of(const char *login)
{
	unsigned h = 2166136261u;

	while (*login)
		h = (h ^ (unsigned char)tolower((unsigned char)*login++)) *
		    16777619u;
	return h % USERS_SLOTS;
}

/* pg_users_gen - the slot's generation, taken before a read */
unsigned pg_users_gen(const char *login)
{
	unsigned g;

	pthread_mutex_lock(&slots_lock);
	g = slots[slot_of(login)].gen;
	pthread_mutex_unlock(&slots_lock);
	return g;
}

/* pg_users_put - a read of login's row begun at generation gen: kept
 * (trusted while listening) unless a change was notified since */
void pg_users_put(struct store_pg *pg, const char *login,
		  const struct store_user *u, unsigned gen)
{
	struct pg_user_slot *e = &slots[slot_of(login)];

	if (strlen(login) >= sizeof(e->login))
		return;
	pthread_mutex_lock(&slots_lock);
	if (owner == pg && pg->listening && e->gen == gen) {
		snprintf(e->login, sizeof(e->login), "%s", login);
		e->u = *u;
	}
	pthread_mutex_unlock(&slots_lock);
}

/* pg_users_get - 1 with *u when login's row can be trusted, else 0 */
int pg_users_get(struct store_pg *pg, const char *login, struct store_user *u)
{
	struct pg_user_slot *e = &slots[slot_of(login)];
	int hit;

	pthread_mutex_lock(&slots_lock);
	hit = owner == pg && pg->listening && e->login[0] &&
	      strcasecmp(e->login, login) == 0;
	if (hit)
		*u = e->u;
	pthread_mutex_unlock(&slots_lock);
	return hit;
}

/* pg_users_forget - login's row changed */
void pg_users_forget(const char *login)
{
	struct pg_user_slot *e = &slots[slot_of(login)];

	pthread_mutex_lock(&slots_lock);
	e->login[0] = '\0';
	e->gen++;
	pthread_mutex_unlock(&slots_lock);
}

/* pg_users_reset - trust nothing; listening says whether to start again
 * (the LISTEN connection is up) for pg */
void pg_users_reset(struct store_pg *pg, int listening)
{
	int i;

	pthread_mutex_lock(&slots_lock);
	for (i = 0; i < USERS_SLOTS; i++) {
		slots[i].login[0] = '\0';
		slots[i].gen++;
	}
	pg->listening = listening;
	owner = listening ? pg : owner == pg ? NULL : owner;
	pthread_mutex_unlock(&slots_lock);
}
