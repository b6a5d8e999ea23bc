/*
 * NAME
 *	store_pg_listen - LISTEN outguard_policy: policy changes at once
 * SYNOPSIS
 *	#include "store_pg_int.h"
 * DESCRIPTION
 *	A thread with its own connection LISTENs on outguard_policy (the
 *	policy triggers' NOTIFY, payload the new policy_version) and keeps
 *	the version in s->pg->policy_version, which
 *	store_policy_version() then returns without a round trip; the
 *	guard's watcher reloads when it changes.  When the connection is
 *	lost the version is unknown (-1: store_policy_version() reads the
 *	table), and the thread reconnects with a backoff from 0.5 to 30
 *	seconds, LISTENs again and reads the version, so a change made
 *	while it was away is loaded too.  NOTIFY outguard_user (a users
 *	row changed) forgets the login's row in store_pg_users.c; while
 *	the connection is down no row is trusted.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "store_pg_int.h"

/* set_version - the known policy version (-1: unknown) */
static void set_version(struct store_pg *pg, long long v)
{
	pthread_mutex_lock(&pg->ver_lock);
	pg->policy_version = v;
	pthread_mutex_unlock(&pg->ver_lock);
}

/* subscribe - LISTEN and read the current version; 0 or -1 */
static int subscribe(struct store_pg *pg, PGconn *c)
{
	PGresult *r;
	int rc = -1;

	if (pg_simple(c, "LISTEN outguard_policy", NULL, 0) < 0 ||
	    pg_simple(c, "LISTEN outguard_user", NULL, 0) < 0)
		return -1;
	r = PQexec(c, "SELECT version FROM policy_version WHERE id = 1");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		set_version(pg, atoll(PQgetvalue(r, 0, 0)));
		rc = 0;
	}
	PQclear(r);
	return rc;
}

/* wait_stop - wait up to ms for the stop pipe; 1 when stopping */
static int wait_stop(struct store_pg *pg, int fd, int ms)
{
	struct pollfd p[2] = { { pg->listen_pipe[0], POLLIN, 0 },
			       { fd, POLLIN, 0 } };

	if (poll(p, fd >= 0 ? 2 : 1, ms) < 0 && errno != EINTR)
		return 0;
	return (p[0].revents & (POLLIN | POLLHUP)) != 0;
}

/* listen_main - the listener thread */
static void *listen_main(void *arg)
{
	struct store *s = arg;
	struct store_pg *pg = s->pg;
	int backoff = 500, down = 0;
	time_t since = 0;
	PGnotify *n;
	PGconn *c = NULL;
	char err[300];

	for (;;) {
		if (c == NULL) {
			if ((c = pg_connect(pg->uri, err, sizeof(err))) ==
				    NULL ||
			    subscribe(pg, c) < 0) {
				PQfinish(c);
				c = NULL;
				if (!down) {
					down = 1;
					since = time(NULL);
				}
				if (wait_stop(pg, -1, backoff))
					break;
				backoff = backoff * 2 > 30000 ? 30000
							      : backoff * 2;
				continue;
			}
			pg_users_reset(pg, 1);
			if (down)
				log_msg(LOG_NOTICE,
					"store: listening for policy changes "
					"again after %lld s",
					(long long)(time(NULL) - since));
			down = 0;
			backoff = 500;
		}
		if (wait_stop(pg, PQsocket(c), 1000))
			break;
		if (!PQconsumeInput(c) || PQstatus(c) != CONNECTION_OK) {
			log_msg(LOG_WARNING,
				"store: lost the LISTEN connection; "
				"reconnecting");
			set_version(pg, -1);
			pg_users_reset(pg, 0);
			PQfinish(c);
			c = NULL;
			down = 1;
			since = time(NULL);
			continue;
		}
		while ((n = PQnotifies(c)) != NULL) {
			if (strcmp(n->relname, "outguard_policy") == 0)
				set_version(pg, atoll(n->extra));
			else if (strcmp(n->relname, "outguard_user") == 0)
				pg_users_forget(n->extra);
			PQfreemem(n);
		}
	}
	pg_users_reset(pg, 0);
	PQfinish(c);
	return NULL;
}

/* store_pg_listen_start - start the listener; 0 or -1 */
int store_pg_listen_start(struct store *s)
{
	struct store_pg *pg = s->pg;

	if (pipe(pg->listen_pipe) < 0)
		return -1;
	if (pthread_create(&pg->listener, NULL, listen_main, s) != 0) {
		close(pg->listen_pipe[0]);
		close(pg->listen_pipe[1]);
		pg->listen_pipe[0] = pg->listen_pipe[1] = -1;
		return -1;
	}
	pg->listener_running = 1;
	return 0;
}

/* store_pg_listen_stop - stop and join the listener */
void store_pg_listen_stop(struct store *s)
{
	struct store_pg *pg = s->pg;

	if (!pg->listener_running)
		return;
	close(pg->listen_pipe[1]);
	pthread_join(pg->listener, NULL);
	close(pg->listen_pipe[0]);
	pg->listener_running = 0;
}
