/*
 * NAME
 *	callbacks - unpack libmilter events for the guard, apply verdicts
 * DESCRIPTION
 *	Each callback copies what libmilter hands over (its strings are
 *	libmilter's and are replaced) into a guard call, and turns the
 *	guard's answer into SMFIS_* and smfi_* calls.  Nothing is decided
 *	here.
 *
 *	Negotiation asks for the least traffic that still lets outguard
 *	decide: no reply at connect, HELO, MAIL and headers (outguard
 *	only observes there), no DATA, body, end-of-headers or unknown
 *	commands.  The macro lists are set so Postfix sends the client
 *	address, the login and the queue id without extra configuration.
 *	Connection state lives behind smfi_setpriv: Debian's libmilter may
 *	run one connection's callbacks on different threads.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "callbacks.h"
#include "log.h"

struct priv {
	struct guard_conn *gc;
	unsigned long pflags; /* negotiated SMFIP_* */
};

static struct guard *guard;

/* The stages outguard only observes, and what it never needs. */
#define WANT_NR                                                                \
	(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_HDR |        \
	 SMFIP_NR_UNKN | SMFIP_NR_DATA | SMFIP_NR_EOH)
#define WANT_SKIP (SMFIP_NOBODY | SMFIP_NOUNKNOWN | SMFIP_NODATA | SMFIP_NOEOH)

/* priv_get - this connection's state, made on first use */
static struct priv *priv_get(SMFICTX *ctx)
{
	struct priv *p = smfi_getpriv(ctx);

	if (p == NULL && (p = calloc(1, sizeof(*p))) != NULL)
		smfi_setpriv(ctx, p);
	return p;
}

/* observed - the return code of a stage outguard only observes */
static sfsistat observed(struct priv *p, unsigned long nr_flag)
{
	return p != NULL && (p->pflags & nr_flag) ? SMFIS_NOREPLY
						  : SMFIS_CONTINUE;
}

/* macro - a copy-free read of a macro; NULL when absent */
static const char *macro(SMFICTX *ctx, const char *name)
{
	const char *v = smfi_getsymval(ctx, (char *)name);

	return v != NULL && *v ? v : NULL;
}

/* set_reply - smfi_setreply with the text made safe for libmilter */
static void set_reply(SMFICTX *ctx, const struct guard_reply *r)
{
	char text[981];
	size_t i = 0;
	const char *t;

	for (t = r->text; *t && i + 2 < sizeof(text); t++) {
		if (*t == '\r' || *t == '\n')
			text[i++] = ' ';
		else if (*t == '%') {
			text[i++] = '%';
			text[i++] = '%';
		} else
			text[i++] = *t;
	}
	text[i] = '\0';
	if (smfi_setreply(ctx, (char *)r->code, (char *)r->xcode, text) !=
	    MI_SUCCESS)
		log_ratelimited("setreply", 60, LOG_WARNING,
				"libmilter refused reply %s %s", r->code,
				r->xcode);
}

/* refusal - the SMFIS_* code of a refusing action, reply set */
static sfsistat refusal(SMFICTX *ctx, enum action a,
			const struct guard_reply *r)
{
	if (a == ACTION_DISCARD)
		return SMFIS_DISCARD;
	set_reply(ctx, r);
	return a == ACTION_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
}

/* og_negotiate - ask for what outguard needs, and little else */
static sfsistat og_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3,
			     unsigned long *pf0, unsigned long *pf1,
			     unsigned long *pf2, unsigned long *pf3)
{
	struct priv *p = priv_get(ctx);

	(void)f2;
	(void)f3;
	*pf0 = f0 & (SMFIF_ADDHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST);
	*pf1 = f1 & (WANT_NR | WANT_SKIP);
	*pf2 = *pf3 = 0;
	if (p != NULL)
		p->pflags = *pf1;
	if (f0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_CONNECT,
				"j {client_addr} {client_name} {daemon_name}");
		smfi_setsymlist(ctx, SMFIM_ENVFROM,
				"i {auth_authen} {auth_type} {mail_addr}");
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i {rcpt_addr}");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

/* og_connect - a new connection */
static sfsistat og_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
	struct priv *p = priv_get(ctx);
	char addr[INET6_ADDRSTRLEN] = "";
	const char *client = macro(ctx, "{client_addr}");

	if (p == NULL)
		return SMFIS_TEMPFAIL;
	if (client == NULL && sa != NULL) {
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET,
				  &((struct sockaddr_in *)sa)->sin_addr, addr,
				  sizeof(addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((struct sockaddr_in6 *)sa)->sin6_addr, addr,
				  sizeof(addr));
		client = addr;
	}
	guard_conn_free(p->gc);
	p->gc = guard_conn_new(guard, client, hostname);
	if (p->gc == NULL)
		return SMFIS_TEMPFAIL;
	return observed(p, SMFIP_NR_CONN);
}

/* og_helo - HELO/EHLO */
static sfsistat og_helo(SMFICTX *ctx, char *helo)
{
	struct priv *p = smfi_getpriv(ctx);

	if (p != NULL && p->gc != NULL)
		guard_conn_helo(p->gc, helo);
	return observed(p, SMFIP_NR_HELO);
}

/* og_envfrom - MAIL FROM: a new message */
static sfsistat og_envfrom(SMFICTX *ctx, char **argv)
{
	struct priv *p = smfi_getpriv(ctx);

	if (p != NULL && p->gc == NULL) /* no connect callback came */
		p->gc = guard_conn_new(guard, NULL, NULL);
	if (p == NULL || p->gc == NULL)
		return SMFIS_TEMPFAIL;
	guard_mail(p->gc, macro(ctx, "{auth_authen}"), argv[0],
		   macro(ctx, "i"));
	return observed(p, SMFIP_NR_MAIL);
}

/* og_envrcpt - RCPT TO: decide for this recipient */
static sfsistat og_envrcpt(SMFICTX *ctx, char **argv)
{
	struct priv *p = smfi_getpriv(ctx);
	struct guard_reply r;
	enum action a;

	if (p == NULL || p->gc == NULL)
		return SMFIS_CONTINUE;
	a = guard_rcpt(p->gc, argv[0], macro(ctx, "i"), &r);
	if (a == ACTION_ACCEPT)
		return SMFIS_CONTINUE;
	return refusal(ctx, a, &r);
}

/* og_header - one header */
static sfsistat og_header(SMFICTX *ctx, char *name, char *value)
{
	struct priv *p = smfi_getpriv(ctx);

	if (p != NULL && p->gc != NULL)
		guard_header(p->gc, name, value);
	return observed(p, SMFIP_NR_HDR);
}

/* og_eom - end of message: the final decision */
static sfsistat og_eom(SMFICTX *ctx)
{
	struct priv *p = smfi_getpriv(ctx);
	struct guard_eom out;

	if (p == NULL || p->gc == NULL)
		return SMFIS_CONTINUE;
	guard_eom(p->gc, macro(ctx, "i"), &out);
	if (action_refuses(out.action))
		return refusal(ctx, out.action, &out.reply);
	if (out.add_header && smfi_addheader(ctx, out.header_name,
					     out.header_value) != MI_SUCCESS)
		log_ratelimited("addheader", 60, LOG_WARNING,
				"could not add %s (did the MTA allow header "
				"changes?)",
				out.header_name);
	if (out.quarantine &&
	    smfi_quarantine(ctx, out.quarantine_reason) != MI_SUCCESS)
		log_ratelimited("quarantine", 60, LOG_ERR,
				"could not quarantine a message (did the MTA "
				"allow it?)");
	return SMFIS_CONTINUE;
}

/* og_abort - the message was dropped */
static sfsistat og_abort(SMFICTX *ctx)
{
	struct priv *p = smfi_getpriv(ctx);

	if (p != NULL && p->gc != NULL)
		guard_abort(p->gc);
	return SMFIS_CONTINUE;
}

/* og_close - end of connection; may come without connect */
static sfsistat og_close(SMFICTX *ctx)
{
	struct priv *p = smfi_getpriv(ctx);

	if (p != NULL) {
		guard_conn_free(p->gc);
		free(p);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

static struct smfiDesc desc = {
	.xxfi_name = "outguard",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST,
	.xxfi_connect = og_connect,
	.xxfi_helo = og_helo,
	.xxfi_envfrom = og_envfrom,
	.xxfi_envrcpt = og_envrcpt,
	.xxfi_header = og_header,
	.xxfi_eom = og_eom,
	.xxfi_abort = og_abort,
	.xxfi_close = og_close,
	.xxfi_negotiate = og_negotiate,
};

/* callbacks_init - the guard to use */
void callbacks_init(struct guard *g)
{
	guard = g;
}

/* callbacks_desc - the filter description */
struct smfiDesc *callbacks_desc(void)
{
	return &desc;
}
