/*
 * NAME
 *	guard - one connection's messages through the policy engine
 * SYNOPSIS
 *	#include "guard.h"
 * DESCRIPTION
 *	The milter callbacks hand guard what they unpacked from libmilter
 *	(client, login, envelope, headers) and turn what it returns into
 *	SMFIS_* codes and smfi_* calls.  guard looks up the user and the
 *	counts in the store, asks the engine, reserves and records counts,
 *	writes events and log lines, and raises alerts; it knows nothing
 *	of libmilter.
 *
 *	Decisions that need only the login, the client and the recipients
 *	are made at RCPT (guard_rcpt); what can only be known from the
 *	headers, and the message-level stages (header, quarantine), at
 *	end-of-message (guard_eom).  Only mail that is accepted or held is
 *	counted; unauthenticated mail is never counted.
 *
 *	A guard_conn is used by one thread at a time (libmilter serialises
 *	a connection's callbacks, though not on one thread).
 */
#ifndef OUTGUARD_GUARD_H
#define OUTGUARD_GUARD_H

#include <stddef.h>

#include "action.h"
#include "conf.h"
#include "store.h"

struct guard;
struct guard_conn;

/* An SMTP reply for a refusal, without libmilter's %% escaping. */
struct guard_reply {
	char code[4];  /* "451" */
	char xcode[8]; /* "4.7.1" */
	char text[400];
};

/* What end-of-message does to the message. */
struct guard_eom {
	enum action action;	  /* ACCEPT/HEADER/QUARANTINE deliver or hold */
	struct guard_reply reply; /* for TEMPFAIL/REJECT */
	int add_header;
	char header_name[64];
	char header_value[200];
	int quarantine;
	char quarantine_reason[200];
};

/*
 * guard_new - open the store (creating it), load the policy, start the
 * writer, the policy watcher and the notifier.  The conf is copied.
 * NULL with err on failure.
 */
struct guard *guard_new(const struct conf *conf, char *err, size_t errlen);

/* guard_store - the guard's store (for -n checks and tests) */
struct store *guard_store(struct guard *g);

/* guard_free - stop the threads, flush the store; NULL is fine */
void guard_free(struct guard *g);

/* guard_conn_new - a new connection from client_addr (may be NULL) */
struct guard_conn *guard_conn_new(struct guard *g, const char *client_addr,
				  const char *client_name);

/* guard_conn_helo - the HELO/EHLO name */
void guard_conn_helo(struct guard_conn *c, const char *helo);

/*
 * guard_mail - a new message: login from {auth_authen} (NULL or "" when
 * unauthenticated), the envelope sender, and the queue id if known.
 * Ends a previous message of the connection that did not reach eom.
 */
void guard_mail(struct guard_conn *c, const char *login, const char *mail_from,
		const char *queue_id);

/*
 * guard_rcpt - one recipient.  Returns ACTION_ACCEPT to let it through,
 * ACTION_TEMPFAIL or ACTION_REJECT to refuse it with r, or
 * ACTION_DISCARD to discard the whole message.
 */
enum action guard_rcpt(struct guard_conn *c, const char *rcpt,
		       const char *queue_id, struct guard_reply *r);

/* guard_header - one header (name and value are copied if needed) */
void guard_header(struct guard_conn *c, const char *name, const char *value);

/* guard_eom - the message's final decision; records it */
void guard_eom(struct guard_conn *c, const char *queue_id,
	       struct guard_eom *out);

/* guard_abort - the MTA dropped the message; releases its reservation */
void guard_abort(struct guard_conn *c);

/* guard_conn_free - end of connection; NULL is fine */
void guard_conn_free(struct guard_conn *c);

#endif
