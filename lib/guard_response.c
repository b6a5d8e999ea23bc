/*
 * NAME
 *	guard_response - what a login's trip sets off: its incident,
 *	block_command and the alert mail
 * DESCRIPTION
 *	A trip is a decision about an authenticated login that is not an
 *	accept, a store error, or the refusal of a login already blocked.
 *	guard_trip() queues it for the store, which opens the login's
 *	incident or adds to the open one (store_incident.c), before the
 *	decision's events and quarantine rows so that they name the
 *	incident.
 *
 *	guard_respond() then, off the mail path on the notifier thread:
 *	when a limit blocks the login, runs settings' block_command with
 *	OUTGUARD_LOGIN, OUTGUARD_REASON, OUTGUARD_INCIDENT and
 *	OUTGUARD_CLIENT, killed after block_command_timeout seconds
 *	(default 30); and when alert_address is set, mails a report
 *	through alert_sendmail (default "/usr/sbin/sendmail -i -t") on a
 *	login's first trip in the window and on every block.  Their
 *	prepare functions read the incident (id; for the mail also its
 *	networks and held mail) on the notifier thread, after the writer
 *	has committed what was queued.
 *
 *	guard_alert_due() keeps, per login and limits row, until when an
 *	alert (NotifyCommand, guard_report.c) or mail (MAIL_SLOT) is not
 *	repeated: a hashed table of GUARD_ALERT_SLOTS under alert_lock,
 *	where a collision only repeats an alert early.
 *
 *	The mail's header fields carry only printable ASCII (anything
 *	else becomes "?"); its body is UTF-8 with control characters
 *	replaced, so nothing from a message can add a header.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guard_int.h"
#include "log.h"

#define MAIL_MAX  8192	   /* the alert mail's text */
#define MAIL_SLOT LONG_MIN /* guard_alert_due key of alert mail */

/* window_name - 3600 as "1h", 86400 as "1d", 90 as "90s" */
static void window_name(long s, char buf[32])
{
	if (s > 0 && s % 86400 == 0)
		snprintf(buf, 32, "%ldd", s / 86400);
	else if (s > 0 && s % 3600 == 0)
		snprintf(buf, 32, "%ldh", s / 3600);
	else if (s > 0 && s % 60 == 0)
		snprintf(buf, 32, "%ldm", s / 60);
	else
		snprintf(buf, 32, "%lds", s);
}

/*
 * counts_text - the login's counts in each window of its class, the
 * current message (all its recipients so far, refused ones too) and
 * network included: "msg 12/1h, rcpt 600/1h, sessions 3/1h, networks
 * 6/1h, msg 40/1d, ..."; "" when unknown
 */
static void counts_text(const struct guard_conn *c, char *buf, size_t len)
{
	const struct window_counts *w;
	size_t n = 0;
	char win[32];
	int i;

	buf[0] = '\0';
	for (i = 0; c->cls != NULL && !c->store_failed &&
		    i < c->cls->nwindows && n < len;
	     i++) {
		w = &c->counts[i];
		window_name(c->cls->windows[i], win);
		n += (size_t)snprintf(buf + n, len - n,
				      "%smsg %ld/%s, "
				      "rcpt %ld/%s, sessions %ld/%s, "
				      "networks %ld/%s",
				      n ? ", " : "", w->msgs + 1, win,
				      w->rcpts + c->rcpts_ok + c->rcpts_refused,
				      win, w->sessions, win,
				      w->networks + (c->network[0] != 0), win);
	}
}

/* guard_alert_due - 1 when this trip of login should raise an alert */
int guard_alert_due(struct guard *g, const char *login, const struct verdict *v,
		    long window_s, time_t now)
{
	unsigned h = 2166136261u, i;
	struct guard_alert_slot *slot;
	const char *p;
	int due;

	for (p = login; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	i = (h ^ (unsigned)v->limit_id) % GUARD_ALERT_SLOTS;
	slot = &g->alerts[i];
	pthread_mutex_lock(&g->alert_lock);
	due = strcmp(slot->login, login) != 0 ||
	      slot->limit_id != v->limit_id || now >= slot->until;
	if (due) {
		snprintf(slot->login, sizeof(slot->login), "%s", login);
		slot->limit_id = v->limit_id;
		slot->until = now + (window_s > 0 ? window_s : 3600);
	}
	pthread_mutex_unlock(&g->alert_lock);
	return due;
}

/* guard_trip - queue the trip for the login's incident */
void guard_trip(struct guard_conn *c, enum action action, const char *kind,
		const char *reason)
{
	struct store_trip t;
	char counts[600];

	counts_text(c, counts, sizeof(counts));
	t.ts = time(NULL);
	t.login = c->login;
	t.kind = kind;
	t.action = action_name(action);
	t.trigger = reason;
	t.counts = counts[0] ? counts : NULL;
	store_add_trip(c->g->store, &t);
}

/* incident_var - OUTGUARD_INCIDENT (and the brief) of the task's login */
static int incident_var(struct guard *g, struct notify_task *t,
			struct store_incident_brief *b)
{
	const char *login = notify_task_var(t, "OUTGUARD_LOGIN");
	char id[32] = "";
	int rc;

	memset(b, 0, sizeof(*b));
	rc = login ? store_incident_open(g->store, login, b) : -1;
	if (rc == 1)
		snprintf(id, sizeof(id), "%lld", b->id);
	notify_task_setvar(t, "OUTGUARD_INCIDENT", id);
	return rc == 1;
}

/* block_prepare - notifier thread: the incident id for block_command */
static void block_prepare(void *arg, struct notify_task *t)
{
	struct store_incident_brief b;

	incident_var(arg, t, &b);
}

/*
 * clean - s into buf (s may be buf) with control characters, and in a
 * header non-ASCII too, as "?" (a tab in the body as a space); buf
 */
static const char *clean(const char *s, int header, char *buf, size_t len)
{
	unsigned char ch;
	size_t i;

	s = s ? s : "";
	for (i = 0; s[i] && i + 1 < len; i++) {
		ch = (unsigned char)s[i];
		if (ch == '\t' && !header)
			ch = ' ';
		else if (ch < 0x20 || ch == 0x7f || (header && ch >= 0x80))
			ch = '?';
		buf[i] = (char)ch;
	}
	buf[i] = '\0';
	return buf;
}

/* A text being written: buf of size, n used. */
struct text {
	char *buf;
	size_t size, n;
};

/* add - append to the text, cut at its end */
static void add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (t->n + 1 >= t->size)
		return;
	va_start(ap, fmt);
	r = vsnprintf(t->buf + t->n, t->size - t->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		t->n = t->n + (size_t)r < t->size ? t->n + (size_t)r
						  : t->size - 1;
}

/* add_var - "Title: value" of a task variable, cleaned for the body */
static void add_var(struct text *out, struct notify_task *t, const char *title,
		    const char *name)
{
	char v[600];

	add(out, "%-10s %s\n", title,
	    clean(notify_task_var(t, name), 0, v, sizeof(v)));
}

/* add_held - the held messages of the brief, one a line */
static void add_held(struct text *out, const struct store_incident_brief *b)
{
	const char *p = b->held, *eol;
	char line[400];

	if (b->nheld == 0) {
		add(out, "Held messages: none so far.\n");
		return;
	}
	add(out, "Held messages (%ld; queue id and subject):\n", b->nheld);
	for (; *p; p = *eol ? eol + 1 : eol) {
		eol = strchr(p, '\n');
		eol = eol ? eol : p + strlen(p);
		snprintf(line, sizeof(line), "%.*s", (int)(eol - p), p);
		add(out, "  %s\n", clean(line, 0, line, sizeof(line)));
	}
}

/* add_commands - what the postmaster can do about it */
static void add_commands(struct text *out, const struct store_incident_brief *b,
			 int have, const char *login)
{
	add(out, "\nWhat to do:\n");
	if (have)
		add(out,
		    "  outguardctl incidents show %lld\n"
		    "  outguardctl incidents release %lld   deliver the "
		    "held mail, unblock and reset the login\n"
		    "  outguardctl incidents delete %lld    delete the "
		    "held mail (the login stays blocked)\n",
		    b->id, b->id, b->id);
	else
		add(out, "  outguardctl incidents list --login %s\n", login);
	add(out, "  outguardctl unblock %s\n  outguardctl reset %s\n", login,
	    login);
}

/* mail_text - compose the alert mail from the task and the brief */
static void mail_text(struct notify_task *t,
		      const struct store_incident_brief *b, int have,
		      struct text *out)
{
	const char *action = notify_task_var(t, "OUTGUARD_ACTION");
	char login[256], reason[400], h[600], when[64], host[256] = "";
	const char *verb;
	time_t now = time(NULL);
	struct tm tm;

	action = action ? action : "";
	verb = !strcmp(action, "block")	       ? "blocked the login"
	       : !strcmp(action, "header")     ? "marked mail of"
	       : !strcmp(action, "quarantine") ? "held mail of"
					       : "refused mail of";
	clean(notify_task_var(t, "OUTGUARD_LOGIN"), 1, login, sizeof(login));
	clean(notify_task_var(t, "OUTGUARD_REASON"), 1, reason, sizeof(reason));
	add(out, "From: %s\n",
	    clean(notify_task_var(t, "OUTGUARD_ALERT_FROM"), 1, h, sizeof(h)));
	add(out, "To: %s\n",
	    clean(notify_task_var(t, "OUTGUARD_ALERT_TO"), 1, h, sizeof(h)));
	add(out, "Subject: [outguard] %.100s: %s (%.200s)\n", login, action,
	    reason);
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S %z", &tm);
	add(out,
	    "Date: %s\nAuto-Submitted: auto-generated\n"
	    "X-Outguard-Alert: yes\nMIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n",
	    when);
	gethostname(host, sizeof(host) - 1);
	clean(notify_task_var(t, "OUTGUARD_LOGIN"), 0, login, sizeof(login));
	add(out, "outguard on %s %s %s.\n\n",
	    clean(host, 0, host, sizeof(host)), verb, login);
	add_var(out, t, "Login:", "OUTGUARD_LOGIN");
	add_var(out, t, "Event:", "OUTGUARD_EVENT");
	add_var(out, t, "Action:", "OUTGUARD_ACTION");
	add_var(out, t, "Trigger:", "OUTGUARD_REASON");
	add_var(out, t, "Client:", "OUTGUARD_CLIENT");
	add_var(out, t, "Queue id:", "OUTGUARD_QUEUE_ID");
	add_var(out, t, "Counts:", "OUTGUARD_COUNTS");
	add(out, "%-10s %s\n", "Networks:",
	    clean(b->networks[0] ? b->networks : "-", 0, h, sizeof(h)));
	if (have)
		add(out, "%-10s %lld (%ld trips so far)\n\n",
		    "Incident:", b->id, b->trips);
	else
		add(out, "%-10s unknown (the database could not be read)\n\n",
		    "Incident:");
	add_held(out, b);
	add_commands(out, b, have, login);
	add(out,
	    "\nLater trips of %s are added to the incident; the next "
	    "alert mail about it\ncomes after the window, or on a "
	    "block.\n",
	    login);
}

/* mail_prepare - notifier thread: read the incident, write the mail */
static void mail_prepare(void *arg, struct notify_task *t)
{
	struct store_incident_brief b;
	struct text out = { NULL, MAIL_MAX, 0 };
	int have;

	have = incident_var(arg, t, &b);
	if ((out.buf = malloc(MAIL_MAX)) == NULL)
		return;
	out.buf[0] = '\0';
	mail_text(t, &b, have, &out);
	notify_task_input(t, out.buf);
	free(out.buf);
}

/* guard_respond - block_command and the alert mail for a trip */
void guard_respond(struct guard_conn *c, const struct verdict *v,
		   enum action action, const char *const *vars, long window_s)
{
	const struct policy *pol = c->pol;
	const char *cmd, *to;
	struct notify_job job;
	struct verdict key;
	char what[300], counts[600];
	const char *all[64];
	int block = action == ACTION_BLOCK && v->kind == VERDICT_LIMIT, n;

	if (pol == NULL)
		return;
	memset(&job, 0, sizeof(job));
	job.arg = c->g;
	cmd = policy_setting(pol, "block_command", NULL);
	if (block && cmd != NULL && *cmd) {
		snprintf(what, sizeof(what), "block_command for %.200s",
			 c->login);
		job.what = what;
		job.command = cmd;
		job.timeout = (int)policy_setting_long(
			pol, "block_command_timeout", NOTIFY_TIMEOUT);
		job.prepare = block_prepare;
		notify_run(c->g->notify, &job, vars);
	}
	to = policy_setting(pol, "alert_address", NULL);
	if (to == NULL || *to == '\0')
		return;
	key = *v;
	key.limit_id = MAIL_SLOT; /* one mail per login per window */
	if (!guard_alert_due(c->g, c->login, &key, window_s, time(NULL)) &&
	    !block)
		return;
	for (n = 0; vars[n] != NULL && n < 50; n += 2) {
		all[n] = vars[n];
		all[n + 1] = vars[n + 1];
	}
	counts_text(c, counts, sizeof(counts));
	all[n++] = "OUTGUARD_COUNTS";
	all[n++] = counts;
	all[n++] = "OUTGUARD_ALERT_TO";
	all[n++] = to;
	all[n++] = "OUTGUARD_ALERT_FROM";
	all[n++] = policy_setting(pol, "alert_from", "MAILER-DAEMON");
	all[n] = NULL;
	snprintf(what, sizeof(what), "alert mail for %.200s", c->login);
	job.what = what;
	job.command = policy_setting(pol, "alert_sendmail",
				     "/usr/sbin/sendmail -i -t");
	job.timeout = NOTIFY_TIMEOUT;
	job.prepare = mail_prepare;
	notify_run(c->g->notify, &job, all);
}
