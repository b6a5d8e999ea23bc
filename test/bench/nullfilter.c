/*
 * NAME
 *	nullfilter - the do-nothing libmilter filter, as a benchmark reference
 * SYNOPSIS
 *	nullfilter -p SOCKET [-e] [-a] [-T] [-d MS] [-F FILE]
 * DESCRIPTION
 *	Registers a callback for every stage; each one does nothing and
 *	lets the message through.  By default the filter is naive: it
 *	asks for every stage and a reply to each (no SMFIP_NR_*, no
 *	skipped stages), which is what "a do-nothing filter" costs.
 *
 *	-e negotiates the way outguard does: DATA, EOH, body and unknown
 *	commands are not sent (SMFIP_NO*), CONNECT, HELO, MAIL and headers
 *	get no reply (SMFIP_NR_*), so it replies only at RCPT and end of
 *	message; SMFIR_SETSYMLIST asks for {client_addr} at CONNECT.
 *	-a adds an "X-Nullfilter: yes" header at end of message.  -T
 *	tempfails every recipient with "451 4.7.1".  -d sleeps MS
 *	milliseconds at end of message.  -F tempfails at end of message
 *	while FILE exists: a filter after outguard that makes Postfix keep
 *	a message and filter it again, for the end-to-end tests.
 *
 *	On SIGTERM or SIGINT it stops, prints how often each callback ran
 *	("nullfilter: connect=N helo=N ..."), and exits 0.
 * DIAGNOSTICS
 *	Exit 1 when the socket cannot be opened or libmilter fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

enum {
	NF_NEGOTIATE,
	NF_CONNECT,
	NF_HELO,
	NF_ENVFROM,
	NF_ENVRCPT,
	NF_DATA,
	NF_HEADER,
	NF_EOH,
	NF_BODY,
	NF_EOM,
	NF_ABORT,
	NF_CLOSE,
	NF_UNKNOWN,
	NF_COUNT
};

static const char *const nf_names[NF_COUNT] = {
	"negotiate", "connect", "helo",	   "envfrom", "envrcpt",
	"data",	     "header",	"eoh",	   "body",    "eom",
	"abort",     "close",	"unknown",
};

static unsigned long nf_calls[NF_COUNT];
static int nf_efficient;     /* -e */
static int nf_addheader;     /* -a */
static int nf_tempfail;	     /* -T */
static unsigned nf_delay_ms; /* -d */
static const char *nf_flag;  /* -F */

/* nf_count - count one callback */
static void nf_count(int which)
{
	__atomic_fetch_add(&nf_calls[which], 1, __ATOMIC_RELAXED);
}

/* nf_quiet - the status of a stage that -e negotiated no reply for */
static sfsistat nf_quiet(void)
{
	return nf_efficient ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

/* nf_negotiate - -e only: skip stages, promise no replies, ask macros */
static sfsistat nf_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			     unsigned long f2, unsigned long f3,
			     unsigned long *pf0, unsigned long *pf1,
			     unsigned long *pf2, unsigned long *pf3)
{
	const unsigned long want = SMFIP_NODATA | SMFIP_NOEOH | SMFIP_NOBODY |
				   SMFIP_NOUNKNOWN | SMFIP_NR_CONN |
				   SMFIP_NR_HELO | SMFIP_NR_MAIL |
				   SMFIP_NR_HDR | SMFIP_NR_DATA | SMFIP_NR_EOH |
				   SMFIP_NR_UNKN;

	(void)f2;
	(void)f3;
	nf_count(NF_NEGOTIATE);
	*pf0 = f0 & (SMFIF_SETSYMLIST | (nf_addheader ? SMFIF_ADDHDRS : 0));
	*pf1 = f1 & want;
	*pf2 = *pf3 = 0;
	if ((f1 & want) != want || !(f0 & SMFIF_SETSYMLIST))
		return SMFIS_ALL_OPTS; /* an old MTA: take the defaults */
	if (smfi_setsymlist(ctx, SMFIM_CONNECT, "j {client_addr}") !=
		    MI_SUCCESS ||
	    smfi_setsymlist(ctx, SMFIM_ENVFROM,
			    "i {auth_type} {auth_authen} {mail_addr}") !=
		    MI_SUCCESS)
		return SMFIS_REJECT;
	return SMFIS_CONTINUE;
}

/* nf_connect - count */
static sfsistat nf_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	nf_count(NF_CONNECT);
	return nf_quiet();
}

/* nf_helo - count */
static sfsistat nf_helo(SMFICTX *ctx, char *name)
{
	(void)ctx;
	(void)name;
	nf_count(NF_HELO);
	return nf_quiet();
}

/* nf_envfrom - count */
static sfsistat nf_envfrom(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	nf_count(NF_ENVFROM);
	return nf_quiet();
}

/* nf_envrcpt - count; -T tempfails */
static sfsistat nf_envrcpt(SMFICTX *ctx, char **argv)
{
	(void)argv;
	nf_count(NF_ENVRCPT);
	if (nf_tempfail) {
		(void)smfi_setreply(ctx, "451", "4.7.1", "nullfilter -T");
		return SMFIS_TEMPFAIL;
	}
	return SMFIS_CONTINUE;
}

/* nf_data - count */
static sfsistat nf_data(SMFICTX *ctx)
{
	(void)ctx;
	nf_count(NF_DATA);
	return nf_quiet();
}

/* nf_header - count */
static sfsistat nf_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	nf_count(NF_HEADER);
	return nf_quiet();
}

/* nf_eoh - count */
static sfsistat nf_eoh(SMFICTX *ctx)
{
	(void)ctx;
	nf_count(NF_EOH);
	return nf_quiet();
}

/* nf_body - count */
static sfsistat nf_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	nf_count(NF_BODY);
	return SMFIS_CONTINUE;
}

/* nf_eom - count; -a adds a header, -d sleeps */
static sfsistat nf_eom(SMFICTX *ctx)
{
	nf_count(NF_EOM);
	if (nf_delay_ms)
		usleep(nf_delay_ms * 1000);
	if (nf_addheader &&
	    smfi_addheader(ctx, "X-Nullfilter", "yes") != MI_SUCCESS)
		return SMFIS_TEMPFAIL;
	if (nf_flag && access(nf_flag, F_OK) == 0)
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

/* nf_abort - count */
static sfsistat nf_abort(SMFICTX *ctx)
{
	(void)ctx;
	nf_count(NF_ABORT);
	return SMFIS_CONTINUE;
}

/* nf_close - count */
static sfsistat nf_close(SMFICTX *ctx)
{
	(void)ctx;
	nf_count(NF_CLOSE);
	return SMFIS_CONTINUE;
}

/* nf_unknown - count */
static sfsistat nf_unknown(SMFICTX *ctx, const char *cmd)
{
	(void)ctx;
	(void)cmd;
	nf_count(NF_UNKNOWN);
	return nf_quiet();
}

/* nf_usage - print usage and exit 2 */
static void nf_usage(void)
{
	fprintf(stderr, "usage: nullfilter -p SOCKET [-e] [-a] [-T] "
			"[-d MS] [-F FILE]\n");
	exit(2);
}

/* main - register, serve until SIGTERM, print the counts */
int main(int argc, char **argv)
{
	struct smfiDesc desc = {
		.xxfi_name = "nullfilter",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = 0,
		.xxfi_connect = nf_connect,
		.xxfi_helo = nf_helo,
		.xxfi_envfrom = nf_envfrom,
		.xxfi_envrcpt = nf_envrcpt,
		.xxfi_header = nf_header,
		.xxfi_eoh = nf_eoh,
		.xxfi_body = nf_body,
		.xxfi_eom = nf_eom,
		.xxfi_abort = nf_abort,
		.xxfi_close = nf_close,
		.xxfi_unknown = nf_unknown,
		.xxfi_data = nf_data,
		.xxfi_negotiate = NULL,
	};
	const char *spec = NULL;
	int c, i, rc;

	while ((c = getopt(argc, argv, "ad:eF:p:T")) != -1) {
		switch (c) {
		case 'a':
			nf_addheader = 1;
			break;
		case 'd':
			nf_delay_ms = (unsigned)atoi(optarg);
			break;
		case 'e':
			nf_efficient = 1;
			break;
		case 'F':
			nf_flag = optarg;
			break;
		case 'p':
			spec = optarg;
			break;
		case 'T':
			nf_tempfail = 1;
			break;
		default:
			nf_usage();
		}
	}
	if (spec == NULL || optind != argc)
		nf_usage();
	if (nf_addheader)
		desc.xxfi_flags |= SMFIF_ADDHDRS;
	if (nf_efficient) {
		desc.xxfi_flags |= SMFIF_SETSYMLIST;
		desc.xxfi_negotiate = nf_negotiate;
	}
	if (smfi_register(desc) != MI_SUCCESS ||
	    smfi_setconn((char *)spec) != MI_SUCCESS) {
		fprintf(stderr, "nullfilter: libmilter registration failed\n");
		return 1;
	}
	if (smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "nullfilter: cannot open socket %s\n", spec);
		return 1;
	}
	rc = smfi_main();
	printf("nullfilter:");
	for (i = 0; i < NF_COUNT; i++)
		printf(" %s=%lu", nf_names[i], nf_calls[i]);
	printf("\n");
	return rc == MI_SUCCESS ? 0 : 1;
}
