/*
 * NAME
 *	mlsession_int - what mlsession.c and mlreply.c share
 * DESCRIPTION
 *	Session states follow Postfix's MILTER8_STAT_*.
 */
#ifndef MLSESSION_INT_H
#define MLSESSION_INT_H

#include "mlsession.h"

enum {
	ML_ST_CLOSED,	  /* no connection */
	ML_ST_ENVELOPE,	  /* between messages or in the envelope */
	ML_ST_MESSAGE,	  /* sending content */
	ML_ST_ACCEPT_MSG, /* filter accepted or discarded the message */
	ML_ST_ACCEPT_CON, /* filter accepted the whole connection */
	ML_ST_REJECT_CON, /* filter refused the whole connection */
};

/* ml_error - record a failure, close the session; returns -1 */
int ml_error(struct ml_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ml_macros - send the SMFIC_MACRO packet of an SMFIM_* stage */
int ml_macros(struct ml_session *s, int event, int stage);

/* ml_reply - read the replies to event until a decision (*v) */
int ml_reply(struct ml_session *s, int event, struct ml_result *r,
	     enum ml_verdict *v);

#endif
