/*
 * NAME
 *	mlsession - one Postfix-like SMTP session towards a milter
 * SYNOPSIS
 *	#include "mlsession.h"
 * DESCRIPTION
 *	A session is what Postfix's smtpd does with one milter connection
 *	(milter protocol 6): OPTNEG offering every action and protocol
 *	flag Postfix 3.7 offers, CONNECT, HELO, then one or more messages
 *	(MAIL, RCPT..., DATA, headers, EOH, body, end of message, then
 *	ABORT as smtpd's mail_reset() sends it unless MAIL was refused),
 *	and QUIT.  Stages the
 *	filter asked not to see (SMFIP_NO*) are not sent, though their
 *	macros are; stages it promised not to answer (SMFIP_NR_*) are not
 *	waited for; its SMFIR_SETSYMLIST macro lists replace the defaults.
 */
#ifndef MLSESSION_H
#define MLSESSION_H

#include <stdint.h>

#include "mlconn.h"

/* How a message ended, from the MTA's point of view. */
enum ml_verdict {
	ML_V_CONTINUE, /* end of message said continue: delivered */
	ML_V_ACCEPT,   /* SMFIR_ACCEPT at some stage */
	ML_V_DISCARD,
	ML_V_TEMPFAIL, /* SMFIR_TEMPFAIL, Postfix answers 451 */
	ML_V_REJECT,   /* SMFIR_REJECT, Postfix answers 550 */
	ML_V_REPLY4,   /* SMFIR_REPLYCODE 4xx */
	ML_V_REPLY5,   /* SMFIR_REPLYCODE 5xx */
	ML_V_SHUTDOWN, /* SMFIR_SHUTDOWN, 421 and disconnect */
	ML_V_COUNT
};

/* Where it ended. */
enum ml_stage {
	ML_S_CONNECT,
	ML_S_HELO,
	ML_S_MAIL,
	ML_S_RCPT,
	ML_S_DATA,
	ML_S_HEADER,
	ML_S_EOH,
	ML_S_BODY,
	ML_S_EOM,
	ML_S_COUNT
};

/* Edits requested at end of message. */
enum ml_mod {
	ML_M_ADDHEADER,
	ML_M_INSHEADER,
	ML_M_CHGHEADER,
	ML_M_ADDRCPT,
	ML_M_DELRCPT,
	ML_M_CHGFROM,
	ML_M_REPLBODY,
	ML_M_COUNT
};

/* The outcome of one message. */
struct ml_result {
	enum ml_verdict verdict;
	enum ml_stage stage;
	int quarantined;       /* SMFIR_QUARANTINE seen */
	unsigned rcpts;	       /* recipients given to the MTA */
	unsigned rcpt_refused; /* refused by the filter at RCPT */
	unsigned mods[ML_M_COUNT];
	unsigned progress; /* SMFIR_PROGRESS packets */
	char reply[160];   /* SMTP text of a refusal, if any */
};

/* What every session sends; shared read-only by all threads. */
struct ml_setup {
	struct ml_addr addr;
	uint32_t version;  /* offered: 6 */
	uint32_t actions;  /* offered SMFIF_* */
	uint32_t protocol; /* offered SMFIP_* */
	int timeout_ms;
	int trace;
	unsigned rcpts;		 /* recipients per message */
	const char *client_addr; /* IPv4, for CONNECT */
	const char *date;	 /* Date: header value */
	const char *body;	 /* CRLF text */
	size_t body_len;
};

/* One message to send. */
struct ml_msg {
	unsigned long seq; /* unique in the run */
	unsigned login;	   /* user number: userN */
};

#define ML_MACRO_STAGES 7 /* SMFIM_CONNECT .. SMFIM_EOH */

/* One connection to the filter and its negotiated state. */
struct ml_session {
	struct ml_conn conn;
	const struct ml_setup *setup;
	uint32_t version; /* the filter's OPTNEG answer */
	uint32_t actions;
	uint32_t protocol;
	char *macros[ML_MACRO_STAGES]; /* lists it set, or NULL */
	int state;
	int skip_event;		     /* after SMFIR_SKIP */
	int did_read;		     /* a reply was read for this message */
	enum ml_verdict con_verdict; /* connection-level refusal */
	enum ml_stage con_stage;
	char con_reply[160];
	unsigned port;
	/* Macro values of the message in progress; empty when undefined. */
	char qid[24];
	char login[24];
	char sender[48];
	char rcpt[48];
};

/* ml_session_init - an idle session; setup must outlive it */
void ml_session_init(struct ml_session *s, const struct ml_setup *setup);

/*
 * ml_session_open - connect, negotiate, send CONNECT and HELO.  Returns
 * 0 (the filter may have refused or accepted the whole connection; the
 * messages then report it) or -1 with the reason in s->conn.err.
 */
int ml_session_open(struct ml_session *s, unsigned port);

/* ml_session_ready - true when another message can be sent */
int ml_session_ready(const struct ml_session *s);

/*
 * ml_session_message - send one message and read every reply up to the
 * decision.  Returns 0 with *r filled in, or -1 with the reason in
 * s->conn.err (the session is then closed).
 */
int ml_session_message(struct ml_session *s, const struct ml_msg *m,
		       struct ml_result *r);

/* ml_session_close - QUIT and close; the session can be opened again */
void ml_session_close(struct ml_session *s);

/* ml_session_free - close and release everything */
void ml_session_free(struct ml_session *s);

/* ml_verdict_name, ml_stage_name, ml_mod_name - short lower-case names */
const char *ml_verdict_name(enum ml_verdict v);
const char *ml_stage_name(enum ml_stage st);
const char *ml_mod_name(enum ml_mod m);

/* ml_default_macros - Postfix's macro list for an SMFIM_* stage */
const char *ml_default_macros(int stage);

#endif
