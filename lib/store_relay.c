/*
 * NAME
 *	store_relay - the name of this relay, written into quarantine rows
 * SYNOPSIS
 *	#include "store.h"
 *
 *	void store_relay_default(char *buf, size_t len);
 *	int store_relay_valid(const char *name);
 *	void store_set_relay(struct store *s, const char *name);
 *	const char *store_relay(const struct store *s);
 * DESCRIPTION
 *	Several daemons on several relays may share one PostgreSQL
 *	database (SPEC 6.2).  Each names itself: the config's RelayName,
 *	else $OUTGUARD_RELAY, else the host name.  The name goes into
 *	each quarantine row the daemon writes (quarantine.relay), so that
 *	outguardctl acts on a held message only on the relay whose MTA
 *	holds it, and into PostgreSQL's reservations.
 *
 *	store_open() sets the default; store_set_relay() overrides it and
 *	must be called before store_start_writer().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"

/* store_relay_default - $OUTGUARD_RELAY, else the host name, into buf */
void store_relay_default(char *buf, size_t len)
{
	const char *env = getenv("OUTGUARD_RELAY");

	if (len == 0)
		return;
	if (env != NULL && *env)
		snprintf(buf, len, "%s", env);
	else if (gethostname(buf, len) < 0 || *buf == '\0')
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
}

/*
 * store_relay_valid - 1 when name may name a relay: 1 to
 * STORE_RELAY_MAX - 1 letters, digits, '.', '-' or '_'; else 0
 */
int store_relay_valid(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n < STORE_RELAY_MAX &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789.-_") == n;
}

/* store_set_relay - name this relay (NULL or "": the default) */
void store_set_relay(struct store *s, const char *name)
{
	if (name != NULL && *name)
		snprintf(s->relay, sizeof(s->relay), "%s", name);
	else
		store_relay_default(s->relay, sizeof(s->relay));
}

/* store_relay - this relay's name */
const char *store_relay(const struct store *s)
{
	return s->relay;
}
