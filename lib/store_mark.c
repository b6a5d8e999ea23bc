/*
 * NAME
 *	store_mark - a lookup's mark: the store's choice of backend
 * DESCRIPTION
 *	store_since() and store_mark_drop() for either store: a mark that
 *	holds a PostgreSQL reservation (mark->flight, store_pg.c) is asked
 *	of and settled by the PostgreSQL store; any other mark (SQLite, or
 *	a PostgreSQL lookup answered from local counts under OnStoreError
 *	enforce) is one of the pending table (store_pend.c).  Dropping a
 *	mark on PostgreSQL also queues the message's settle.
 */
#include "store_int.h"

/* store_since - growth of login's counts since mark */
void store_since(struct store *s, const char *login,
		 const struct store_mark *mark, long *msgs, long *rcpts,
		 long *sessions)
{
	if (s->pg && mark->flight != NULL)
		store_pg_since(s, login, mark, msgs, rcpts, sessions);
	else
		store_pend_since(s, login, mark, msgs, rcpts, sessions);
}

/* store_mark_drop - release a mark (on PostgreSQL: settle the message) */
void store_mark_drop(struct store *s, const char *login,
		     struct store_mark *mark)
{
	if (s->pg)
		store_pg_mark_drop(s, login, mark);
	store_pend_mark_drop(s, login, mark);
}
