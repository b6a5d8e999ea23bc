/*
 * NAME
 *	mlreply - filter replies and macros, as Postfix handles them
 * DESCRIPTION
 *	ml_reply() reads the replies to one event up to the decision, the
 *	way Postfix's milter8_event() does: SMFIR_PROGRESS and
 *	SMFIR_QUARANTINE are noted and reading goes on; edits are allowed
 *	only after end of message; anything else is a protocol error.
 *	ml_macros() sends the SMFIC_MACRO packet of a stage: Postfix 3.7's
 *	default list, or the filter's own list, with only defined values.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <libmilter/mfapi.h>

#include "mlsession.h"
#include "mlsession_int.h"

/*
 * Postfix 3.7 defaults (postconf -d milter_*_macros), plus {client_addr}
 * at CONNECT, which outguard's documentation asks sites to add.
 */
static const char *const default_macros[ML_MACRO_STAGES] = {
	[SMFIM_CONNECT] = "j {daemon_name} {daemon_addr} v _ {client_addr}",
	[SMFIM_HELO] = "{tls_version} {cipher} {cipher_bits} {cert_subject} "
		       "{cert_issuer}",
	[SMFIM_ENVFROM] = "i {auth_type} {auth_authen} {auth_author} "
			  "{mail_addr} {mail_host} {mail_mailer}",
	[SMFIM_ENVRCPT] = "i {rcpt_addr} {rcpt_host} {rcpt_mailer}",
	[SMFIM_DATA] = "i",
	[SMFIM_EOM] = "i",
	[SMFIM_EOH] = "i",
};

/* ml_default_macros - Postfix's list for a stage */
const char *ml_default_macros(int stage)
{
	if (stage < 0 || stage >= ML_MACRO_STAGES)
		return "";
	return default_macros[stage];
}

/* ml_empty - NULL for an undefined (empty) value */
static const char *ml_empty(const char *v)
{
	return v[0] ? v : NULL;
}

/* ml_macro_value - what Postfix would send for a macro now, or NULL */
static const char *ml_macro_value(struct ml_session *s, const char *name,
				  char *buf, size_t len)
{
	char braced[72]; /* names are < 64 bytes */

	/* Single letters go bare; longer names in braces, either accepted. */
	if (name[0] != '{' && name[1] != 0) {
		snprintf(braced, sizeof(braced), "{%s}", name);
		name = braced;
	}
	if (strcmp(name, "j") == 0 || strcmp(name, "{daemon_name}") == 0)
		return "mail.example.test";
	if (strcmp(name, "{daemon_addr}") == 0)
		return "127.0.0.1";
	if (strcmp(name, "{daemon_port}") == 0)
		return "587";
	if (strcmp(name, "v") == 0)
		return "Postfix 3.7.11";
	if (strcmp(name, "_") == 0) {
		snprintf(buf, len, "localhost [%s]", s->setup->client_addr);
		return buf;
	}
	if (strcmp(name, "{client_addr}") == 0)
		return s->setup->client_addr;
	if (strcmp(name, "{client_name}") == 0 ||
	    strcmp(name, "{client_ptr}") == 0)
		return "localhost";
	if (strcmp(name, "{client_port}") == 0) {
		snprintf(buf, len, "%u", s->port);
		return buf;
	}
	if (strcmp(name, "i") == 0)
		return ml_empty(s->qid);
	if (strcmp(name, "{auth_type}") == 0)
		return s->login[0] ? "PLAIN" : NULL;
	if (strcmp(name, "{auth_authen}") == 0)
		return ml_empty(s->login);
	if (strcmp(name, "{mail_addr}") == 0)
		return ml_empty(s->sender);
	if (strcmp(name, "{mail_host}") == 0)
		return s->sender[0] ? "example.test" : NULL;
	if (strcmp(name, "{rcpt_addr}") == 0)
		return ml_empty(s->rcpt);
	if (strcmp(name, "{rcpt_host}") == 0)
		return s->rcpt[0] ? "example.net" : NULL;
	if (strcmp(name, "{mail_mailer}") == 0 ||
	    strcmp(name, "{rcpt_mailer}") == 0)
		return s->sender[0] ? "smtp" : NULL;
	return NULL; /* {auth_author}, TLS, unknown */
}

/* ml_macros - send a stage's SMFIC_MACRO packet for an event */
int ml_macros(struct ml_session *s, int event, int stage)
{
	const char *list = s->macros[stage] ? s->macros[stage]
					    : default_macros[stage];
	const char *p = list, *value;
	char name[64], buf[64];
	size_t start, n;

	start = ml_frame_begin(&s->conn, SMFIC_MACRO);
	ml_put_byte(&s->conn, (unsigned)event);
	while (*p) {
		while (*p == ' ' || *p == ',' || *p == '\t')
			p++;
		n = strcspn(p, " ,\t");
		if (n == 0)
			break;
		if (n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = 0;
			value = ml_macro_value(s, name, buf, sizeof(buf));
			if (value != NULL) {
				ml_put_str(&s->conn, name);
				ml_put_str(&s->conn, value);
			}
		}
		p += n;
	}
	return ml_frame_end(&s->conn, start);
}

/* ml_strings - true when data holds exactly n NUL-terminated strings */
static int ml_strings(const unsigned char *data, size_t len, int n)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (data[i] == 0)
			n--;
	return n == 0 && len > 0 && data[len - 1] == 0;
}

/* ml_edit - check and count an end-of-message edit; -1 when malformed */
static int ml_edit(struct ml_result *r, const struct ml_frame *f)
{
	switch (f->cmd) {
	case SMFIR_ADDHEADER:
		r->mods[ML_M_ADDHEADER]++;
		return ml_strings(f->data, f->len, 2) ? 0 : -1;
	case SMFIR_INSHEADER:
	case SMFIR_CHGHEADER:
		r->mods[f->cmd == SMFIR_INSHEADER ? ML_M_INSHEADER
						  : ML_M_CHGHEADER]++;
		return f->len > 4 && ml_strings(f->data + 4, f->len - 4, 2)
			       ? 0
			       : -1;
	case SMFIR_ADDRCPT:
	case SMFIR_DELRCPT:
		r->mods[f->cmd == SMFIR_ADDRCPT ? ML_M_ADDRCPT
						: ML_M_DELRCPT]++;
		return ml_strings(f->data, f->len, 1) ? 0 : -1;
	case SMFIR_ADDRCPT_PAR:
	case SMFIR_CHGFROM:
		r->mods[f->cmd == SMFIR_CHGFROM ? ML_M_CHGFROM
						: ML_M_ADDRCPT]++;
		return ml_strings(f->data, f->len, 1) ||
				       ml_strings(f->data, f->len, 2)
			       ? 0
			       : -1;
	case SMFIR_REPLBODY:
		r->mods[ML_M_REPLBODY]++;
		return 0;
	default:
		return -1;
	}
}

/* ml_replycode - check an SMFIR_REPLYCODE text as Postfix does */
static int ml_replycode(struct ml_result *r, const struct ml_frame *f,
			enum ml_verdict *v)
{
	const unsigned char *t = f->data;

	if (f->len < 5 || t[f->len - 1] != 0 || (t[0] != '4' && t[0] != '5') ||
	    !isdigit(t[1]) || !isdigit(t[2]) || (t[3] != ' ' && t[3] != '-') ||
	    (isdigit(t[4]) && t[4] != t[0]))
		return -1;
	snprintf(r->reply, sizeof(r->reply), "%s", (const char *)t);
	*v = t[0] == '4' ? ML_V_REPLY4 : ML_V_REPLY5;
	return 0;
}

/* ml_decision - the verdict of a data-less decision reply, or -1 */
static int ml_decision(int cmd)
{
	switch (cmd) {
	case SMFIR_CONTINUE:
		return ML_V_CONTINUE;
	case SMFIR_SKIP:
		return ML_V_CONTINUE;
	case SMFIR_ACCEPT:
		return ML_V_ACCEPT;
	case SMFIR_DISCARD:
		return ML_V_DISCARD;
	case SMFIR_REJECT:
		return ML_V_REJECT;
	case SMFIR_TEMPFAIL:
		return ML_V_TEMPFAIL;
	case SMFIR_SHUTDOWN:
		return ML_V_SHUTDOWN;
	default:
		return -1;
	}
}

/* ml_reply - read replies to one event until a decision */
int ml_reply(struct ml_session *s, int event, struct ml_result *r,
	     enum ml_verdict *v)
{
	const char *what = ml_cmd_name(event);
	struct ml_frame f;
	int d;

	s->did_read = 1;
	for (;;) {
		if (ml_conn_read(&s->conn, &f) < 0)
			return ml_error(s, "waiting for the reply to %s: %s",
					what, s->conn.err);
		if (f.cmd == SMFIR_QUARANTINE) {
			r->quarantined = 1;
			continue;
		}
		if (f.cmd == SMFIR_REPLYCODE) {
			if (ml_replycode(r, &f, v) == 0)
				return 0;
			return ml_error(s, "malformed SMFIR_REPLYCODE after %s",
					what);
		}
		d = ml_decision(f.cmd);
		if ((d >= 0 || f.cmd == SMFIR_PROGRESS) && f.len != 0)
			return ml_error(s, "%s after %s carries %zu bytes",
					ml_reply_name(f.cmd), what, f.len);
		if (f.cmd == SMFIR_PROGRESS) {
			r->progress++;
			continue;
		}
		if (d >= 0) {
			if (f.cmd == SMFIR_SKIP)
				s->skip_event = event;
			*v = (enum ml_verdict)d;
			return 0;
		}
		/* Edits, only at end of message, as in Postfix. */
		if (event == SMFIC_BODYEOB && ml_edit(r, &f) == 0)
			continue;
		return ml_error(s, "%s %s ('%c') after %s",
				event == SMFIC_BODYEOB ? "bad" : "unexpected",
				ml_reply_name(f.cmd), f.cmd, what);
	}
}
