/*
 * NAME
 *	ctl_mta - outguardctl's view of the MTA's queue: Postfix or Sendmail
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	struct ctl_mta *ctl_mta_open(const struct ctl *ctl);
 *	const char *ctl_mta_where(const struct ctl_mta *m, const char *qid,
 *				  int *held);
 *	int ctl_mta_show(struct ctl_mta *m, const char *qid);
 *	int ctl_mta_release(struct ctl_mta *m, const char *qid);
 *	int ctl_mta_delete(struct ctl_mta *m, const char *qid);
 *	void ctl_mta_free(struct ctl_mta *m);
 * DESCRIPTION
 *	The daemon only asks the MTA to quarantine a message; the MTA keeps
 *	it.  This module lists the MTA's queue once (ctl_mta_open), says
 *	where a queue id is (ctl_mta_where) and shows, releases or deletes
 *	one message, through one small backend per MTA (the config's MTA
 *	key; Postfix without a config):
 *
 *	Postfix (here): "postqueue -j" lists, the hold queue is the
 *	quarantine; "postcat -q" shows; "postsuper -H" then "postqueue -i"
 *	releases and delivers at once; "postsuper -d ID hold" deletes.
 *
 *	Sendmail (ctl_mta_sendmail.c): "mailq -qQ" and "mailq" list;
 *	"sendmail -qQ -Q -qIID" releases and "sendmail -qIID" delivers.
 *
 *	The tools run from PATH, without a shell, in the environment
 *	outguardctl was given (so MAIL_CONFIG selects a Postfix instance,
 *	and a "sendmail"/"mailq" wrapper first in PATH can add -C FILE).
 * DIAGNOSTICS
 *	Failures are said on stderr through ctl_error(), with the tool's
 *	own output; the functions return CTL_MTA_FAIL, or CTL_MTA_GONE when
 *	the MTA does not have the message.
 */
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "ctl_mta_int.h"
#include "proc.h"

/*
 * ctl_mta_run - run argv[0] from PATH with argv, in our environment
 * (proc_run()).
 * With out non-NULL, its stdout (and stderr too when merge) is read into
 * a malloced string there; otherwise both go where ours go.  Returns the
 * exit status (0..255), or -1 when it could not run or was killed
 * (said; *out is then NULL).
 */
int ctl_mta_run(char *const argv[], char **out, int merge)
{
	struct proc_opts o = { 0 };
	struct proc_result r;
	char err[200];

	fflush(stdout);
	fflush(stderr);
	o.search_path = 1;
	o.out = out;
	o.merge = merge;
	if (proc_run(argv, &o, &r, err, sizeof err) < 0) {
		ctl_error("cannot run %s: %s", argv[0], err);
		return -1;
	}
	if (r.exited)
		return r.status;
	ctl_error("%s killed by signal %d", argv[0], r.signal);
	if (out) {
		free(*out);
		*out = NULL;
	}
	return -1;
}

/* print_out - a tool's output on stderr, ended by a newline */
static void print_out(const char *out)
{
	size_t n;

	if (out == NULL || *out == 0)
		return;
	n = strlen(out);
	fputs(out, stderr);
	if (out[n - 1] != '\n')
		fputc('\n', stderr);
}

/*
 * ctl_mta_tool - run argv with both outputs captured: 0 when it exited
 * 0; else -1, with its output on stderr and the failure said when it
 * did not exit at all
 */
int ctl_mta_tool(char *const argv[])
{
	char *out = NULL;
	int st = ctl_mta_run(argv, &out, 1);

	if (st != 0)
		print_out(out);
	free(out);
	return st == 0 ? 0 : -1;
}

/*
 * ctl_mta_add - append a listed message (strings copied, truncated to
 * their fields; dir may be NULL)
 */
void ctl_mta_add(struct ctl_mta *m, const char *id, const char *where, int held,
		 const char *dir)
{
	struct ctl_mta_entry *e;
	void *n;

	if (m->n == m->size) {
		m->size = m->size ? m->size * 2 : 64;
		n = realloc(m->e, (size_t)m->size * sizeof *m->e);
		if (n == NULL)
			ctl_nomem();
		m->e = n;
	}
	e = &m->e[m->n++];
	snprintf(e->id, sizeof e->id, "%s", id);
	snprintf(e->where, sizeof e->where, "%s", where);
	e->held = held;
	e->dir = NULL;
	if (dir && (e->dir = strdup(dir)) == NULL)
		ctl_nomem();
}

/* ctl_mta_find - the listed message with queue id qid, or NULL */
const struct ctl_mta_entry *ctl_mta_find(const struct ctl_mta *m,
					 const char *qid)
{
	int i;

	for (i = 0; qid && i < m->n; i++)
		if (strcmp(m->e[i].id, qid) == 0)
			return &m->e[i];
	return NULL;
}

/* ctl_mta_clear - forget the listing (before listing again) */
void ctl_mta_clear(struct ctl_mta *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		free(m->e[i].dir);
	m->n = 0;
}

/* --- Postfix ------------------------------------------------------- */

/*
 * json_member - the string value of "key" in the JSON line at p (up to
 * end) into buf; 0, or -1 when it is not there or does not fit.
 */
static int json_member(const char *p, const char *end, const char *key,
		       char *buf, size_t len)
{
	size_t klen = strlen(key), n = 0;

	for (; p + klen + 2 < end; p++) {
		if (*p != '"' || strncmp(p + 1, key, klen) ||
		    p[klen + 1] != '"')
			continue;
		for (p += klen + 2; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		if (p >= end || *p++ != ':')
			continue;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end || *p++ != '"')
			return -1;
		while (p < end && *p != '"' && *p != '\\' && n < len - 1)
			buf[n++] = *p++;
		if (p >= end || *p != '"')
			return -1;
		buf[n] = 0;
		return 0;
	}
	return -1;
}

/* pf_load - the queue as "postqueue -j" lists it; 0, or -1 (said) */
static int pf_load(struct ctl_mta *m)
{
	static char *const argv[] = { "postqueue", "-j", NULL };
	char *out, *p, *eol, id[CTL_MTA_ID_MAX], name[16];
	int rc;

	if ((rc = ctl_mta_run(argv, &out, 0)) != 0) {
		if (rc > 0)
			ctl_error("postqueue -j failed (exit %d)", rc);
		free(out);
		return -1;
	}
	for (p = out; *p; p = *eol ? eol + 1 : eol) {
		if ((eol = strchr(p, '\n')) == NULL)
			eol = p + strlen(p);
		if (json_member(p, eol, "queue_id", id, sizeof id) < 0 ||
		    json_member(p, eol, "queue_name", name, sizeof name) < 0)
			continue;
		ctl_mta_add(m, id, name, strcmp(name, "hold") == 0, NULL);
	}
	free(out);
	return 0;
}

/* pf_show - the message as "postcat -q" prints it */
static int pf_show(struct ctl_mta *m, const struct ctl_mta_entry *e)
{
	char *argv[] = { "postcat", "-q", (char *)e->id, NULL };
	int st;

	(void)m;
	if ((st = ctl_mta_run(argv, NULL, 0)) == 0)
		return CTL_MTA_OK;
	if (st > 0)
		ctl_error("postcat -q %s failed (exit %d)", e->id, st);
	return CTL_MTA_FAIL;
}

/* pf_release - "postsuper -H", then "postqueue -i" to deliver now */
static int pf_release(struct ctl_mta *m, const struct ctl_mta_entry *e)
{
	char *argv[] = { "postsuper", "-H", (char *)e->id, NULL };

	(void)m;
	/* postsuper fails when the message went away meanwhile */
	if (ctl_mta_tool(argv) < 0)
		return CTL_MTA_GONE;
	argv[0] = "postqueue";
	argv[1] = "-i";
	if (ctl_mta_tool(argv) < 0)
		ctl_error("message %s released from hold, but postqueue -i "
			  "failed; it is delivered on the next queue run",
			  e->id);
	return CTL_MTA_OK;
}

/* pf_delete - "postsuper -d ID hold" */
static int pf_delete(struct ctl_mta *m, const struct ctl_mta_entry *e)
{
	char *argv[] = { "postsuper", "-d", (char *)e->id, "hold", NULL };

	(void)m;
	return ctl_mta_tool(argv) < 0 ? CTL_MTA_GONE : CTL_MTA_OK;
}

static const struct ctl_mta_ops pf_ops = {
	"Postfix", pf_load, pf_show, pf_release, pf_delete,
};

/* --- the interface ------------------------------------------------- */

/*
 * ctl_mta_open - the MTA named by the config (Postfix without one), with
 * its queue listed; NULL after saying why
 */
struct ctl_mta *ctl_mta_open(const struct ctl *ctl)
{
	const struct ctl_mta_ops *ops = &pf_ops;
	struct ctl_mta *m;
	struct conf c;
	char err[512];

	if (ctl->conf_path) {
		conf_init(&c);
		if (conf_load(&c, ctl->conf_path, err, sizeof err) < 0) {
			ctl_error("%s", err);
			conf_free(&c);
			return NULL;
		}
		if (c.mta == CONF_MTA_SENDMAIL)
			ops = &ctl_mta_sendmail_ops;
		conf_free(&c);
	}
	if ((m = calloc(1, sizeof *m)) == NULL)
		ctl_nomem();
	m->ops = ops;
	if (ops->load(m) < 0) {
		ctl_mta_free(m);
		return NULL;
	}
	return m;
}

/*
 * ctl_mta_where - the queue that has qid as listed: "hold" (Postfix) or
 * "quarantine" (Sendmail) for quarantined mail, another queue's name,
 * or "gone" when the MTA does not have it; *held (may be NULL) is 1 for
 * the quarantine
 */
const char *ctl_mta_where(const struct ctl_mta *m, const char *qid, int *held)
{
	const struct ctl_mta_entry *e = ctl_mta_find(m, qid);

	if (held)
		*held = e ? e->held : 0;
	return e ? e->where : "gone";
}

/* ctl_mta_name - "Postfix" or "Sendmail" */
const char *ctl_mta_name(const struct ctl_mta *m)
{
	return m->ops->name;
}

/* ctl_mta_act - look qid up and run one of the backend's actions */
static int ctl_mta_act(struct ctl_mta *m, const char *qid,
		       int (*fn)(struct ctl_mta *,
				 const struct ctl_mta_entry *))
{
	const struct ctl_mta_entry *e = ctl_mta_find(m, qid);
	struct ctl_mta_entry copy;
	int rc;

	if (e == NULL)
		return CTL_MTA_GONE;
	/* the backend may list the queue again, which moves m->e */
	copy = *e;
	if (copy.dir && (copy.dir = strdup(copy.dir)) == NULL)
		ctl_nomem();
	rc = fn(m, &copy);
	free(copy.dir);
	return rc;
}

/* ctl_mta_show - print qid's message on stdout; CTL_MTA_OK/GONE/FAIL */
int ctl_mta_show(struct ctl_mta *m, const char *qid)
{
	return ctl_mta_act(m, qid, m->ops->show);
}

/*
 * ctl_mta_release - take qid out of the quarantine and deliver it now
 * (a message in another queue is just delivered); CTL_MTA_OK/GONE/FAIL
 */
int ctl_mta_release(struct ctl_mta *m, const char *qid)
{
	return ctl_mta_act(m, qid, m->ops->release);
}

/* ctl_mta_delete - remove quarantined qid; CTL_MTA_OK/GONE/FAIL */
int ctl_mta_delete(struct ctl_mta *m, const char *qid)
{
	return ctl_mta_act(m, qid, m->ops->remove);
}

/* ctl_mta_free - release the listing; NULL is fine */
void ctl_mta_free(struct ctl_mta *m)
{
	if (m == NULL)
		return;
	ctl_mta_clear(m);
	free(m->e);
	free(m);
}
