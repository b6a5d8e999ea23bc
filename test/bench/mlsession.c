/*
 * NAME
 *	mlsession - one Postfix-like SMTP session towards a milter
 * DESCRIPTION
 *	See mlsession.h.  The order of packets, which stages are sent,
 *	which replies are awaited and what a decision does to the rest of
 *	the session follow Postfix 3.7's milter8.c and smtpd: a refusal at
 *	CONNECT or HELO closes the milter connection and refuses every
 *	message of the session; SMFIR_ACCEPT or SMFIR_DISCARD ends the
 *	filter's part in the message; a refused recipient only drops that
 *	recipient; after every message not refused at MAIL smtpd sends
 *	SMFIC_ABORT.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "mlsession.h"
#include "mlsession_int.h"

/* ml_session_init - an idle session */
void ml_session_init(struct ml_session *s, const struct ml_setup *setup)
{
	memset(s, 0, sizeof(*s));
	ml_conn_init(&s->conn, setup->timeout_ms, setup->trace);
	s->setup = setup;
	s->state = ML_ST_CLOSED;
}

/* ml_error - record why, drop the connection without QUIT; returns -1 */
int ml_error(struct ml_session *s, const char *fmt, ...)
{
	char buf[ML_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap); /* args may be conn.err */
	va_end(ap);
	memcpy(s->conn.err, buf, sizeof(buf));
	s->conn.out_len = 0;
	ml_conn_close(&s->conn);
	s->state = ML_ST_CLOSED;
	return -1;
}

/* ml_get32 - a network-order long */
static uint32_t ml_get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* ml_optneg - offer what Postfix offers; take the filter's answer */
static int ml_optneg(struct ml_session *s)
{
	const struct ml_setup *setup = s->setup;
	const unsigned char *p;
	struct ml_frame f;
	size_t start, left, n;
	uint32_t type;

	start = ml_frame_begin(&s->conn, SMFIC_OPTNEG);
	ml_put_u32(&s->conn, setup->version);
	ml_put_u32(&s->conn, setup->actions);
	ml_put_u32(&s->conn, setup->protocol);
	if (ml_frame_end(&s->conn, start) < 0 || ml_conn_read(&s->conn, &f) < 0)
		return ml_error(s, "negotiation: %s", s->conn.err);
	if (f.cmd != SMFIC_OPTNEG || f.len < 12)
		return ml_error(s,
				"negotiation: unexpected reply '%c', %zu "
				"bytes",
				f.cmd, f.len);
	s->version = ml_get32(f.data);
	s->actions = ml_get32(f.data + 4);
	s->protocol = ml_get32(f.data + 8);
	if (s->version > setup->version)
		return ml_error(s,
				"negotiation: filter wants protocol "
				"version %u, MTA speaks %u",
				s->version, setup->version);
	if ((s->actions & setup->actions) != s->actions)
		return ml_error(s,
				"negotiation: filter wants actions 0x%x, "
				"MTA offers 0x%x",
				s->actions, setup->actions);
	/* SMFIR_SETSYMLIST lists: (SMFIM_* long, names, NUL)... */
	for (p = f.data + 12, left = f.len - 12; left > 0;
	     p += n + 1, left -= n + 1) {
		if (left < 5)
			return ml_error(s, "negotiation: truncated macro list");
		type = ml_get32(p);
		p += 4;
		left -= 4;
		n = strnlen((const char *)p, left);
		if (n == left)
			return ml_error(s, "negotiation: unterminated macro "
					   "list");
		/* An empty list means the defaults, as in Postfix. */
		if (type < ML_MACRO_STAGES && n > 0) {
			free(s->macros[type]);
			s->macros[type] = strdup((const char *)p);
		}
	}
	return 0;
}

/*
 * ml_event_begin - skip rules and macros of one event.  Returns 1 with
 * the packet begun at *start, 0 when the event is not to be sent, or -1.
 */
static int ml_event_begin(struct ml_session *s, int event, int stage,
			  uint32_t nosend, size_t *start)
{
	if (s->skip_event != 0) {
		if (event == s->skip_event)
			return 0;
		s->skip_event = 0;
	}
	/* Postfix sends the macros even for a stage the filter skips. */
	if (ml_macros(s, event, stage) < 0)
		return ml_error(s, "sending macros for %s: %s",
				ml_cmd_name(event), s->conn.err);
	if (s->protocol & nosend)
		return 0;
	*start = ml_frame_begin(&s->conn, event);
	return 1;
}

/* ml_event_end - finish the packet; read the decision unless no reply */
static int ml_event_end(struct ml_session *s, size_t start, int event,
			uint32_t noreply, struct ml_result *r,
			enum ml_verdict *v)
{
	*v = ML_V_CONTINUE;
	if (ml_frame_end(&s->conn, start) < 0)
		return ml_error(s, "sending %s: %s", ml_cmd_name(event),
				s->conn.err);
	if (s->protocol & noreply)
		return 0;
	return ml_reply(s, event, r, v);
}

/* ml_event_str - an event with one string argument (or none) */
static int ml_event_str(struct ml_session *s, int event, int stage,
			uint32_t nosend, uint32_t noreply, const char *arg,
			struct ml_result *r, enum ml_verdict *v)
{
	size_t start = 0;
	int rc;

	*v = ML_V_CONTINUE;
	if ((rc = ml_event_begin(s, event, stage, nosend, &start)) <= 0)
		return rc;
	if (arg != NULL)
		ml_put_str(&s->conn, arg);
	return ml_event_end(s, start, event, noreply, r, v);
}

/* ml_conn_decided - a decision at CONNECT or HELO; 1 when it ends all */
static int ml_conn_decided(struct ml_session *s, enum ml_verdict v,
			   enum ml_stage stage, const struct ml_result *r)
{
	if (v == ML_V_CONTINUE || v == ML_V_DISCARD)
		return 0; /* Postfix ignores DISCARD here */
	s->con_verdict = v;
	s->con_stage = stage;
	snprintf(s->con_reply, sizeof(s->con_reply), "%s", r->reply);
	ml_conn_close(&s->conn); /* no QUIT, as Postfix */
	s->state = v == ML_V_ACCEPT ? ML_ST_ACCEPT_CON : ML_ST_REJECT_CON;
	return 1;
}

/* ml_session_open - connect, negotiate, CONNECT, HELO */
int ml_session_open(struct ml_session *s, unsigned port)
{
	const struct ml_setup *setup = s->setup;
	struct ml_result r;
	enum ml_verdict v = ML_V_CONTINUE;
	size_t start = 0;
	int i, rc;

	ml_session_close(s);
	for (i = 0; i < ML_MACRO_STAGES; i++) {
		free(s->macros[i]);
		s->macros[i] = NULL;
	}
	s->port = port;
	s->skip_event = 0;
	s->qid[0] = s->login[0] = s->sender[0] = s->rcpt[0] = 0;
	memset(&r, 0, sizeof(r));
	if (ml_conn_open(&s->conn, &setup->addr) < 0)
		return -1;
	s->state = ML_ST_ENVELOPE;
	if (ml_optneg(s) < 0)
		return -1;
	rc = ml_event_begin(s, SMFIC_CONNECT, SMFIM_CONNECT, SMFIP_NOCONNECT,
			    &start);
	if (rc < 0)
		return -1;
	if (rc > 0) {
		ml_put_str(&s->conn, "localhost");
		ml_put_byte(&s->conn, SMFIA_INET);
		ml_put_u16(&s->conn, port);
		ml_put_str(&s->conn, setup->client_addr);
		if (ml_event_end(s, start, SMFIC_CONNECT, SMFIP_NR_CONN, &r,
				 &v) < 0)
			return -1;
	}
	if (ml_conn_decided(s, v, ML_S_CONNECT, &r))
		return 0;
	if (ml_event_str(s, SMFIC_HELO, SMFIM_HELO, SMFIP_NOHELO, SMFIP_NR_HELO,
			 "client.example.test", &r, &v) < 0)
		return -1;
	(void)ml_conn_decided(s, v, ML_S_HELO, &r);
	return 0;
}

/* ml_session_ready - another message can be sent */
int ml_session_ready(const struct ml_session *s)
{
	return s->state == ML_ST_ENVELOPE || s->state == ML_ST_ACCEPT_CON ||
	       s->state == ML_ST_REJECT_CON;
}

/* ml_decided - the filter decided the message; returns 1 */
static int ml_decided(struct ml_session *s, enum ml_verdict v,
		      enum ml_stage stage, struct ml_result *r)
{
	r->verdict = v;
	r->stage = stage;
	if (v == ML_V_ACCEPT || v == ML_V_DISCARD)
		s->state = ML_ST_ACCEPT_MSG;
	if (v == ML_V_SHUTDOWN) {
		ml_conn_close(&s->conn);
		s->state = ML_ST_CLOSED;
	}
	return 1;
}

/* ml_set_qid - the macro i: ten hex digits, Postfix style */
static void ml_set_qid(struct ml_session *s, const struct ml_msg *m)
{
	snprintf(s->qid, sizeof(s->qid), "%010lX", 0x3C00000000UL + m->seq);
}

/* ml_envelope - MAIL, RCPTs, DATA; 0 to go on, 1 decided, -1 error */
static int ml_envelope(struct ml_session *s, const struct ml_msg *m,
		       struct ml_result *r)
{
	enum ml_verdict v, refused = ML_V_CONTINUE;
	unsigned i, accepted = 0;
	char arg[64];

	snprintf(arg, sizeof(arg), "<%s>", s->sender);
	if (ml_event_str(s, SMFIC_MAIL, SMFIM_ENVFROM, SMFIP_NOMAIL,
			 SMFIP_NR_MAIL, arg, r, &v) < 0)
		return -1;
	if (v != ML_V_CONTINUE)
		return ml_decided(s, v, ML_S_MAIL, r);
	for (i = 0; i < s->setup->rcpts; i++) {
		/* Postfix knows the queue id from the second RCPT on. */
		if (i == 1)
			ml_set_qid(s, m);
		snprintf(s->rcpt, sizeof(s->rcpt), "rcpt%lu@example.net",
			 (m->seq * s->setup->rcpts + i) % 100000);
		if (s->state == ML_ST_ACCEPT_MSG) {
			accepted++;
			continue;
		}
		snprintf(arg, sizeof(arg), "<%s>", s->rcpt);
		if (ml_event_str(s, SMFIC_RCPT, SMFIM_ENVRCPT, SMFIP_NORCPT,
				 SMFIP_NR_RCPT, arg, r, &v) < 0)
			return -1;
		if (v == ML_V_CONTINUE) {
			accepted++;
		} else if (v == ML_V_ACCEPT || v == ML_V_DISCARD) {
			accepted++;
			ml_decided(s, v, ML_S_RCPT, r);
		} else if (v == ML_V_SHUTDOWN) {
			return ml_decided(s, v, ML_S_RCPT, r);
		} else {
			r->rcpt_refused++;
			refused = v;
		}
	}
	ml_set_qid(s, m);
	if (s->state == ML_ST_ACCEPT_MSG)
		return 1;
	if (accepted == 0)
		return ml_decided(s, refused, ML_S_RCPT, r);
	if (ml_event_str(s, SMFIC_DATA, SMFIM_DATA, SMFIP_NODATA, SMFIP_NR_DATA,
			 NULL, r, &v) < 0)
		return -1;
	if (v != ML_V_CONTINUE)
		return ml_decided(s, v, ML_S_DATA, r);
	return 0;
}

/* ml_headers - the message headers, one event each */
static int ml_headers(struct ml_session *s, const struct ml_msg *m,
		      struct ml_result *r)
{
	char value[5][96];
	const char *name[5] = { "From", "To", "Subject", "Message-Id", "Date" };
	const char *lead = (s->protocol & SMFIP_HDR_LEADSPC) ? " " : "";
	enum ml_verdict v;
	size_t start = 0;
	int i, rc;

	snprintf(value[0], sizeof(value[0]), "%sUser %u <%s>", lead, m->login,
		 s->sender);
	snprintf(value[1], sizeof(value[1]), "%s<rcpt%lu@example.net>", lead,
		 (m->seq * s->setup->rcpts) % 100000);
	snprintf(value[2], sizeof(value[2]), "%sload test message %lu", lead,
		 m->seq);
	snprintf(value[3], sizeof(value[3]), "%s<%lu.%s@example.test>", lead,
		 m->seq, s->qid);
	snprintf(value[4], sizeof(value[4]), "%s%s", lead, s->setup->date);
	for (i = 0; i < 5; i++) {
		rc = ml_event_begin(s, SMFIC_HEADER, SMFIM_EOH, 0, &start);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue; /* SMFIR_SKIP */
		ml_put_str(&s->conn, name[i]);
		ml_put_str(&s->conn, value[i]);
		if (ml_event_end(s, start, SMFIC_HEADER, SMFIP_NR_HDR, r, &v) <
		    0)
			return -1;
		if (v != ML_V_CONTINUE || r->quarantined)
			return ml_decided(s, v, ML_S_HEADER, r);
	}
	return 0;
}

/* ml_body - the body in chunks of at most 64 KB */
static int ml_body(struct ml_session *s, struct ml_result *r)
{
	const struct ml_setup *setup = s->setup;
	enum ml_verdict v;
	size_t off, n, start = 0;
	int rc;

	for (off = 0; off < setup->body_len; off += n) {
		n = setup->body_len - off;
		if (n > MILTER_CHUNK_SIZE)
			n = MILTER_CHUNK_SIZE;
		rc = ml_event_begin(s, SMFIC_BODY, SMFIM_EOM, 0, &start);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue; /* SMFIR_SKIP */
		ml_put_mem(&s->conn, setup->body + off, n);
		if (ml_event_end(s, start, SMFIC_BODY, SMFIP_NR_BODY, r, &v) <
		    0)
			return -1;
		if (v != ML_V_CONTINUE || r->quarantined)
			return ml_decided(s, v, ML_S_BODY, r);
	}
	return 0;
}

/* ml_content - headers, EOH, body, end of message; -1 or 1 (decided) */
static int ml_content(struct ml_session *s, const struct ml_msg *m,
		      struct ml_result *r)
{
	enum ml_verdict v;
	int rc;

	s->state = ML_ST_MESSAGE;
	/* Postfix sends neither event nor macros for these when skipped. */
	if (!(s->protocol & SMFIP_NOHDRS) && (rc = ml_headers(s, m, r)) != 0)
		return rc;
	if (!(s->protocol & SMFIP_NOEOH)) {
		if (ml_event_str(s, SMFIC_EOH, SMFIM_EOH, 0, SMFIP_NR_EOH, NULL,
				 r, &v) < 0)
			return -1;
		if (v != ML_V_CONTINUE || r->quarantined)
			return ml_decided(s, v, ML_S_EOH, r);
	}
	if (!(s->protocol & SMFIP_NOBODY) && (rc = ml_body(s, r)) != 0)
		return rc;
	if (ml_event_str(s, SMFIC_BODYEOB, SMFIM_EOM, 0, 0, NULL, r, &v) < 0)
		return -1;
	return ml_decided(s, v, ML_S_EOM, r);
}

/*
 * ml_message_end - check for stray replies, then ABORT as smtpd's
 * mail_reset() does for every transaction that got past MAIL.
 */
static int ml_message_end(struct ml_session *s, const struct ml_result *r)
{
	size_t start = 0;
	int pending;

	s->qid[0] = s->login[0] = s->sender[0] = s->rcpt[0] = 0;
	if (s->state == ML_ST_CLOSED)
		return 0; /* SMFIR_SHUTDOWN */
	if (s->did_read && (pending = ml_conn_pending(&s->conn)) != 0)
		return ml_error(
			s, pending > 0
				   ? "filter sent a reply nobody waited for "
				     "(did it answer a stage it negotiated "
				     "SMFIP_NR_* for?)"
				   : "filter closed the connection after its "
				     "decision");
	if (r->stage != ML_S_MAIL || r->verdict == ML_V_ACCEPT ||
	    r->verdict == ML_V_DISCARD) {
		start = ml_frame_begin(&s->conn, SMFIC_ABORT);
		if (ml_frame_end(&s->conn, start) < 0)
			return ml_error(s, "sending SMFIC_ABORT: %s",
					s->conn.err);
	}
	s->state = ML_ST_ENVELOPE;
	return 0;
}

/* ml_session_message - one message, start to decision */
int ml_session_message(struct ml_session *s, const struct ml_msg *m,
		       struct ml_result *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->verdict = ML_V_CONTINUE;
	r->stage = ML_S_EOM;
	r->rcpts = s->setup->rcpts;
	switch (s->state) {
	case ML_ST_ACCEPT_CON:
	case ML_ST_REJECT_CON:
		r->verdict = s->state == ML_ST_ACCEPT_CON ? ML_V_ACCEPT
							  : s->con_verdict;
		r->stage = s->con_stage;
		snprintf(r->reply, sizeof(r->reply), "%s", s->con_reply);
		return 0;
	case ML_ST_ENVELOPE:
		break;
	default:
		snprintf(s->conn.err, sizeof(s->conn.err), "session not open");
		return -1;
	}
	s->did_read = 0;
	snprintf(s->login, sizeof(s->login), "user%u", m->login);
	snprintf(s->sender, sizeof(s->sender), "user%u@example.test", m->login);
	rc = ml_envelope(s, m, r);
	if (rc == 0)
		rc = ml_content(s, m, r);
	if (rc < 0)
		return -1;
	return ml_message_end(s, r);
}

/* ml_session_close - QUIT and close */
void ml_session_close(struct ml_session *s)
{
	size_t start = 0;

	if (s->conn.fd >= 0 &&
	    (s->state == ML_ST_ENVELOPE || s->state == ML_ST_MESSAGE ||
	     s->state == ML_ST_ACCEPT_MSG)) {
		start = ml_frame_begin(&s->conn, SMFIC_QUIT);
		(void)ml_frame_end(&s->conn, start);
	}
	ml_conn_close(&s->conn);
	s->state = ML_ST_CLOSED;
}

/* ml_session_free - close and release everything */
void ml_session_free(struct ml_session *s)
{
	int i;

	ml_session_close(s);
	ml_conn_free(&s->conn);
	for (i = 0; i < ML_MACRO_STAGES; i++) {
		free(s->macros[i]);
		s->macros[i] = NULL;
	}
}

/* ml_verdict_name - short name of a verdict */
const char *ml_verdict_name(enum ml_verdict v)
{
	static const char *const names[ML_V_COUNT] = {
		"continue", "accept",	"discard",  "tempfail",
		"reject",   "reply4xx", "reply5xx", "shutdown",
	};

	return (unsigned)v < ML_V_COUNT ? names[v] : "?";
}

/* ml_stage_name - short name of a stage */
const char *ml_stage_name(enum ml_stage st)
{
	static const char *const names[ML_S_COUNT] = {
		"connect", "helo", "mail", "rcpt", "data",
		"header",  "eoh",  "body", "eom",
	};

	return (unsigned)st < ML_S_COUNT ? names[st] : "?";
}

/* ml_mod_name - short name of an edit */
const char *ml_mod_name(enum ml_mod m)
{
	static const char *const names[ML_M_COUNT] = {
		"addheader", "insheader", "chgheader", "addrcpt",
		"delrcpt",   "chgfrom",	  "replbody",
	};

	return (unsigned)m < ML_M_COUNT ? names[m] : "?";
}
