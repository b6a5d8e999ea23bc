/*
 * NAME
 *	guard - one connection's messages through the policy engine
 * DESCRIPTION
 *	See guard.h.  A message's life: guard_mail() looks up the user and
 *	its counts once (the session is counted first, so it is included);
 *	each guard_rcpt() adds what other messages of the login reserved
 *	or stored since (store_since), asks the engine with one more
 *	recipient and reserves what it accepts, under the login's lock, so
 *	concurrent messages of a login cannot pass a limit together;
 *	guard_eom() re-reads the login's status (a block during DATA still
 *	applies), applies the header or quarantine stage, and turns the
 *	reservation into a stored count.  Refused and aborted messages
 *	release their reservation: only mail accepted or held counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "domain.h"
#include "guard_int.h"
#include "log.h"
#include "mailaddr.h"
#include "metrics.h"
#include "network.h"
#include "rules.h"
#include "webmail.h"

/* guard_new - open the store, load the policy, start the threads */
struct guard *guard_new(const struct conf *conf, char *err, size_t errlen)
{
	struct guard *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&g->stop_lock, NULL);
	pthread_cond_init(&g->stop_cond, NULL);
	pthread_mutex_init(&g->alert_lock, NULL);
	pthread_mutex_init(&g->seen_lock, NULL);
	pthread_mutex_init(&g->scratch_lock, NULL);
	g->conf = *conf;
	g->conf.socket = g->conf.database = g->conf.user_id = NULL;
	g->conf.pid_file = NULL;
	g->conf.notify_command = NULL;
	g->conf.metrics_socket = g->conf.socket_group = NULL;
	g->conf.relay_name = NULL;
	g->store = store_open(conf->database, STORE_CREATE, err, errlen);
	if (g->store == NULL)
		goto fail;
	store_set_enforce(g->store, conf->on_store_error == CONF_STORE_ENFORCE);
	store_set_relay(g->store, conf->relay_name);
	store_set_queue_logins(g->store, conf->mail_log != NULL);
	if (guard_watch_start(g, err, errlen) < 0)
		goto fail;
	if (store_start_writer(g->store) < 0) {
		snprintf(err, errlen, "cannot start the store writer");
		goto fail;
	}
	if ((g->notify = notify_new(conf->notify_command)) == NULL) {
		snprintf(err, errlen, "cannot start the notifier");
		goto fail;
	}
	if (conf->mail_log != NULL &&
	    (g->bounce = guard_bounce_start(g->store, conf->mail_log, err,
					    errlen)) == NULL)
		goto fail;
	g->conf.mail_log = NULL;
	return g;
fail:
	guard_free(g);
	return NULL;
}

/* guard_store - the store */
struct store *guard_store(struct guard *g)
{
	return g->store;
}

/* guard_free - stop everything */
void guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	guard_bounce_free(g->bounce);
	guard_watch_stop(g);
	notify_free(g->notify);
	store_close(g->store);
	policy_swap(NULL);
	free(g->seen);
	while (g->nscratch > 0)
		rules_scratch_free(g->scratch_pool[--g->nscratch]);
	free(g->scratch_pool);
	free(g);
}

/*
 * scratch_get - PCRE2 match data for a connection, from the pool: a new
 * one costs a fresh JIT stack whose pages fault in on every connection
 */
static struct rules_scratch *scratch_get(struct guard *g)
{
	struct rules_scratch *sc = NULL;

	pthread_mutex_lock(&g->scratch_lock);
	if (g->nscratch > 0)
		sc = g->scratch_pool[--g->nscratch];
	pthread_mutex_unlock(&g->scratch_lock);
	return sc != NULL ? sc : rules_scratch_new();
}

/* scratch_put - back to the pool (kept as large as the peak of use) */
static void scratch_put(struct guard *g, struct rules_scratch *sc)
{
	struct rules_scratch **grown;

	if (sc == NULL)
		return;
	pthread_mutex_lock(&g->scratch_lock);
	if (g->nscratch == g->scratch_cap) {
		grown = realloc(g->scratch_pool,
				(g->scratch_cap * 2 + 8) * sizeof(*grown));
		if (grown != NULL) {
			g->scratch_pool = grown;
			g->scratch_cap = g->scratch_cap * 2 + 8;
		}
	}
	if (g->nscratch < g->scratch_cap) {
		g->scratch_pool[g->nscratch++] = sc;
		sc = NULL;
	}
	pthread_mutex_unlock(&g->scratch_lock);
	rules_scratch_free(sc);
}

/* guard_conn_new - a connection */
struct guard_conn *guard_conn_new(struct guard *g, const char *client_addr,
				  const char *client_name)
{
	struct guard_conn *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->g = g;
	c->scratch = scratch_get(g);
	snprintf(c->client_addr, sizeof(c->client_addr), "%s",
		 client_addr ? client_addr : "");
	snprintf(c->client_name, sizeof(c->client_name), "%s",
		 client_name ? client_name : "");
	return c;
}

/* guard_conn_helo - the HELO name */
void guard_conn_helo(struct guard_conn *c, const char *helo)
{
	snprintf(c->helo, sizeof(c->helo), "%s", helo ? helo : "");
}

/* store_error - note a store failure for this message */
static void store_error(struct guard_conn *c)
{
	c->store_failed = 1;
}

/* guard_msg_end - close the current message: report refusals, release */
void guard_msg_end(struct guard_conn *c)
{
	char detail[96];

	if (!c->in_msg)
		return;
	if (c->rcpts_refused > 0) {
		snprintf(detail, sizeof(detail),
			 "refused %ld of %ld "
			 "recipients%s",
			 c->rcpts_refused, c->rcpts_refused + c->rcpts_ok,
			 c->refusal.action == ACTION_BLOCK &&
					 c->refusal.kind == VERDICT_LIMIT
				 ? "; login blocked"
				 : "");
		guard_report(c, &c->refusal, c->refusal.action, detail);
	}
	if (c->refused_counted > 0)
		store_add_counts(c->g->store, c->login, time(NULL),
				 c->refused_counted, 0, 0);
	if (c->reserved && !c->done)
		store_release(c->g->store, c->login, 1, (int)c->rcpts_ok);
	store_mark_drop(c->g->store, c->login, &c->mark);
	policy_put(c->pol);
	c->pol = NULL;
	c->in_msg = 0;
}

/* msg_reset - clear the per-message fields */
static void msg_reset(struct guard_conn *c)
{
	size_t off = offsetof(struct guard_conn, in_msg);

	memset((char *)c + off, 0, sizeof(*c) - off);
}

/*
 * class_windows - store_lookup's callback: find the user's class and
 * ask for the counts of its windows
 */
static int class_windows(void *arg, const struct store_user *u,
			 struct window_counts *counts)
{
	struct guard_conn *c = arg;
	int i;

	c->cls = policy_class_find(c->pol, u->class_name);
	if (c->cls == NULL) {
		log_ratelimited(u->class_name, 300, LOG_WARNING,
				"login %s: class \"%s\" does not exist; using "
				"default",
				c->login, u->class_name);
		c->cls = policy_class_find(c->pol, "default");
	}
	if (c->cls == NULL)
		return 0;
	for (i = 0; i < c->cls->nwindows; i++)
		counts[i].window_s = c->cls->windows[i];
	return c->cls->nwindows;
}

/* sender_allowed - does user_senders let the login use its sender? */
static int sender_allowed(struct guard_conn *c)
{
	const struct policy *p = c->pol;
	int rc;

	if (!c->mail_from_domain[0] ||
	    (policy_domains_within(&p->local_domains, c->mail_from_domain) &&
	     !policy_domains_has(&p->freemail_domains, c->mail_from_domain)))
		return 0; /* nothing to ask: the checks pass anyway */
	rc = store_user_sender(c->g->store, c->login, c->mail_from,
			       c->mail_from_domain);
	if (rc < 0)
		c->store_failed = 1;
	/* enforce keeps mail moving: an unreadable alias list allows */
	return rc == 1 ||
	       (rc < 0 && c->g->conf.on_store_error == CONF_STORE_ENFORCE);
}

/*
 * guard_msg_facts - what the checks know of the message so far: the envelope
 * and the connection; the header fields are "" until the caller fills them
 */
void guard_msg_facts(const struct guard_conn *c, struct checks_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->auth = c->login[0] != '\0';
	m->mail_from = c->mail_from;
	m->mail_from_domain = c->mail_from_domain;
	m->sender_allowed = c->sender_allowed;
	m->helo = c->helo;
	m->client_name = c->client_name;
	m->from_raw = m->from_domain = m->reply_to_raw = "";
	m->reply_to_domain = m->subject = "";
}

/* guard_envelope_checks - the sender and connection checks, once a message */
void guard_envelope_checks(struct guard_conn *c)
{
	struct checks_msg m;

	if (c->pol == NULL)
		return;
	if (c->login[0])
		c->sender_allowed = sender_allowed(c);
	guard_msg_facts(c, &m);
	if (!checks_envelope(c->pol, c->scratch, &m, &c->env))
		return;
	if (!action_refuses(c->env.v.action)) {
		if (c->env.v.action > c->stage.action)
			c->stage = c->env.v;
		guard_finding(c, &c->env);
		c->env_reported = 1;
	}
}

/* guard_mail - a new message */
void guard_mail(struct guard_conn *c, const char *login, const char *mail_from,
		const char *queue_id)
{
	guard_msg_end(c);
	msg_reset(c);
	c->in_msg = 1;
	c->pol = policy_current();
	metrics_message(login != NULL && *login != '\0');
	addr_envelope(mail_from, c->mail_from, sizeof(c->mail_from));
	domain_normalise(addr_domain(c->mail_from), c->mail_from_domain,
			 sizeof(c->mail_from_domain));
	snprintf(c->queue_id, sizeof(c->queue_id), "%s",
		 queue_id ? queue_id : "");
	snprintf(c->origin, sizeof(c->origin), "%s", c->client_addr);
	c->webmail = c->pol ? webmail_match(c->pol->webmail, c->client_addr)
			    : 0;
	if (addr_login(login, c->login, sizeof(c->login)) < 0 || c->webmail) {
		/* unauthenticated: never counted.  A queue id at MAIL means
		 * Postfix's non_smtpd_milters (or Sendmail): no refusals at
		 * RCPT there, decide at end-of-message.  Webmail names its
		 * user in a header: everything waits for end-of-message. */
		c->defer = c->queue_id[0] != '\0' || c->webmail;
		if (!c->webmail)
			guard_envelope_checks(c);
		return;
	}
	guard_lookup_user(c, time(NULL), 1);
	guard_envelope_checks(c);
}

/*
 * read_baselines - the login's usual peaks for the class's rows with a
 * baseline_factor (none by default: then nothing is read)
 */
static void read_baselines(struct guard_conn *c, time_t now)
{
	const struct policy_limit *l;
	long days, b;
	int i;

	c->baselined = 0;
	if (c->cls == NULL || c->cls->nlimits > GUARD_BASELINES)
		return;
	days = policy_setting_long(c->pol, "baseline_days", 28);
	for (i = 0; i < c->cls->nlimits; i++) {
		l = &c->cls->limits[i];
		c->baseline[i] = 0;
		if (l->baseline_factor <= 0)
			continue;
		b = store_baseline(c->g->store, c->login,
				   policy_metric_name(l->metric), l->window_s,
				   now, days);
		c->baseline[i] = b > 0 ? b : 0;
	}
	c->baselined = 1;
}

/* guard_lookup_user - count the session, read the user and its counts */
void guard_lookup_user(struct guard_conn *c, time_t now, int session)
{
	struct store *s = c->g->store;

	network_key(c->pol ? c->pol->groups : NULL,
		    c->pol ? c->pol->ipv4_prefix : 24,
		    c->pol ? c->pol->ipv6_prefix : 48, c->origin, c->network,
		    sizeof(c->network));
	if (session && strcmp(c->session_login, c->login) != 0) {
		snprintf(c->session_login, sizeof(c->session_login), "%s",
			 c->login);
		store_add_session(s, c->login, now, c->origin,
				  c->network[0] ? c->network : NULL);
	}
	if (store_lookup(s, c->login, c->network[0] ? c->network : NULL, now,
			 &c->user, class_windows, c, c->counts, &c->mark) < 0)
		store_error(c);
	else
		read_baselines(c, now);
}

/* guard_store_verdict - the verdict when the store failed */
int guard_store_verdict(struct guard_conn *c, struct verdict *v)
{
	char why[200];

	/* enforce: the store answered from what this process counted */
	if (c->g->conf.on_store_error == CONF_STORE_ENFORCE)
		return 0;
	if (!c->store_failed && store_healthy(c->g->store, why, sizeof(why)))
		return 0;
	if (!c->store_failed)
		c->store_failed = 1;
	else
		snprintf(why, sizeof(why), "lookup failed");
	memset(v, 0, sizeof(*v));
	v->kind = VERDICT_STORE;
	v->action = c->g->conf.on_store_error == CONF_STORE_ACCEPT
			    ? ACTION_ACCEPT
			    : ACTION_TEMPFAIL;
	snprintf(v->reason, sizeof(v->reason), "store error (%s): %.100s",
		 v->action == ACTION_ACCEPT ? "accepting" : "tempfailing", why);
	return 1;
}

/* guard_block_login - a limit's block: set the login blocked */
void guard_block_login(struct guard_conn *c, const struct verdict *v)
{
	if (v->action == ACTION_BLOCK && v->kind == VERDICT_LIMIT &&
	    c->user.status != USER_BLOCKED) {
		c->user.status = USER_BLOCKED;
		store_set_status(c->g->store, c->login, USER_BLOCKED,
				 v->reason);
	}
}

/* guard_count_refusal - count refusals for the refused metric */
void guard_count_refusal(struct guard_conn *c, const struct verdict *v, long n)
{
	if (c->login[0] && v->kind != VERDICT_BLOCKED &&
	    v->kind != VERDICT_STORE && v->kind != VERDICT_RCPT_CAP &&
	    v->action != ACTION_BLOCK && c->user.status != USER_BLOCKED)
		c->refused_counted += n;
}

/* refuse - a recipient is refused with v */
static enum action refuse(struct guard_conn *c, const struct verdict *v,
			  struct guard_reply *r)
{
	enum action a = v->action;

	guard_count_refusal(c, v, 1);
	guard_block_login(c, v);
	c->rcpts_refused++;
	if (c->rcpts_refused == 1 || a > c->refusal.action)
		c->refusal = *v;
	guard_reply_for(c->pol, v, a, r);
	if (a == ACTION_DISCARD)
		return ACTION_DISCARD;
	return a == ACTION_REJECT ? ACTION_REJECT : ACTION_TEMPFAIL;
}

/* note_rcpt - keep the first recipients for the quarantine row */
static void note_rcpt(struct guard_conn *c, const char *rcpt)
{
	size_t len = strlen(c->rcpts);

	if (len + strlen(rcpt) + 2 < sizeof(c->rcpts))
		snprintf(c->rcpts + len, sizeof(c->rcpts) - len, "%s%s",
			 len ? " " : "", rcpt);
}

/*
 * rcpt_checks - the rules on this recipient.  A refusing hit is a
 * tripwire: the recipient is refused and an authenticated login, which
 * has probably just answered a phisher, is put on watch.  Returns 1 when
 * the recipient is refused (v->action is then the SMFIS-level action).
 */
static int rcpt_checks(struct guard_conn *c, const char *addr,
		       struct guard_reply *r, struct verdict *v)
{
	struct check_finding f;

	if (!checks_rcpt(c->pol, c->scratch, c->login[0] != '\0', addr,
			 addr_domain(addr), &f))
		return 0;
	if (f.domain[0])
		guard_finding(c, &f);
	if (!action_refuses(f.v.action)) {
		if (f.v.action > c->stage.action)
			c->stage = f.v;
		return 0;
	}
	guard_tripwire(c, &f);
	v->action = refuse(c, &f.v, r);
	return 1;
}

/* guard_tripwire - a refusing recipient rule: put the login on watch */
void guard_tripwire(struct guard_conn *c, const struct check_finding *f)
{
	if (c->login[0] && c->user.status == USER_ACTIVE) {
		c->user.status = USER_WATCH;
		store_set_status(c->g->store, c->login, USER_WATCH,
				 f->v.reason);
		guard_report(c, &f->v, f->v.action, "login set to watch");
	}
}

/*
 * defer_rcpt - a recipient of mail decided at end-of-message: count it
 * and keep the worst refusing rule hit for then
 */
static void defer_rcpt(struct guard_conn *c, const char *addr)
{
	struct check_finding f;

	note_rcpt(c, addr);
	guard_contact_note(c, addr);
	c->rcpts_deferred++;
	if (!checks_rcpt(c->pol, c->scratch, c->login[0] || c->webmail, addr,
			 addr_domain(addr), &f))
		return;
	if (f.domain[0])
		guard_finding(c, &f);
	if (!action_refuses(f.v.action)) {
		if (f.v.action > c->stage.action)
			c->stage = f.v;
	} else if (!action_refuses(c->rcpt_hit.v.action) ||
		   f.v.action > c->rcpt_hit.v.action) {
		c->rcpt_hit = f;
	}
}

/* accept_rcpt - a recipient passes: stage, reservation, quarantine list */
static void accept_rcpt(struct guard_conn *c, const char *addr,
			const struct verdict *v)
{
	if (v->action > c->stage.action)
		c->stage = *v;
	store_reserve(c->g->store, c->login, c->reserved ? 0 : 1, 1);
	c->reserved = 1;
	c->rcpts_ok++;
	note_rcpt(c, addr);
	guard_contact_note(c, addr);
}

/*
 * limits_input - the engine's input for msg_rcpts recipients of the
 * message: the counts read at MAIL plus what other messages of the
 * login reserved or stored since, into now[]
 */
static void limits_input(struct guard_conn *c, long msg_rcpts,
			 struct window_counts *now, struct engine_input *in)
{
	long m, r, se;
	int i, n = c->cls != NULL ? c->cls->nwindows : 0;

	store_since(c->g->store, c->login, &c->mark, &m, &r, &se);
	if (c->mark.held) { /* our own reservation is not news */
		m -= c->reserved ? 1 : 0;
		r -= c->rcpts_ok;
	}
	for (i = 0; i < n && i < POLICY_MAX_WINDOWS; i++) {
		now[i] = c->counts[i];
		now[i].msgs += m;
		now[i].rcpts += r;
		now[i].sessions += se;
	}
	in->cls = c->cls;
	in->status = c->user.status;
	in->counts = now;
	in->msg_rcpts = msg_rcpts;
	in->msg_refused = c->refused_counted;
	in->msg_new_rcpt = c->msg_new_rcpt;
	in->baseline = c->baselined ? c->baseline : NULL;
}

/*
 * guard_limits_decide - the engine's verdict for msg_rcpts recipients
 * of the message (the caller holds the login's lock)
 */
void guard_limits_decide(struct guard_conn *c, long msg_rcpts,
			 struct verdict *v)
{
	struct window_counts now[POLICY_MAX_WINDOWS];
	struct engine_input in;

	store_login_held(c->g->store, c->login);
	limits_input(c, msg_rcpts, now, &in);
	engine_decide(&in, v);
}

/* guard_peaks_record - the message's counts as daily peak candidates */
void guard_peaks_record(struct guard_conn *c, long msg_rcpts, time_t now)
{
	struct window_counts w[POLICY_MAX_WINDOWS];
	const struct policy_limit *l;
	struct engine_input in;
	long n;
	int i;

	if (!c->baselined)
		return;
	limits_input(c, msg_rcpts, w, &in);
	for (i = 0; i < c->cls->nlimits; i++) {
		l = &c->cls->limits[i];
		if (l->baseline_factor <= 0 || l->metric == METRIC_REFUSED)
			continue;
		if ((n = engine_count(&in, l)) > 0)
			store_add_peak(c->g->store, c->login,
				       policy_metric_name(l->metric),
				       l->window_s, now, n);
	}
}

/*
 * escalate - before a check refuses a recipient: when the login's
 * refusals (stored and this message's) have reached a blocking limit
 * (metric refused), the block; 1 with v filled, else 0.  Cheap when
 * the login has no refusals in its windows.
 */
static int escalate(struct guard_conn *c, struct verdict *v)
{
	int i, any = c->refused_counted > 0;

	if (!c->login[0] || c->cls == NULL || c->store_failed ||
	    c->user.status == USER_BLOCKED)
		return 0;
	for (i = 0; !any && i < c->cls->nwindows; i++)
		any = c->counts[i].refused > 0;
	if (!any)
		return 0;
	store_login_lock(c->g->store, c->login);
	guard_limits_decide(c, c->rcpts_ok, v);
	store_login_unlock(c->g->store, c->login);
	return v->action == ACTION_BLOCK && v->kind == VERDICT_LIMIT;
}

/* guard_rcpt - one recipient */
enum action guard_rcpt(struct guard_conn *c, const char *rcpt,
		       const char *queue_id, struct guard_reply *r)
{
	struct store *s = c->g->store;
	struct verdict v;
	char addr[512];

	if (!c->in_msg)
		return ACTION_ACCEPT;
	if (queue_id && *queue_id)
		snprintf(c->queue_id, sizeof(c->queue_id), "%s", queue_id);
	addr_envelope(rcpt, addr, sizeof(addr));
	if (c->defer) { /* non-SMTP or webmail: decided at eom */
		defer_rcpt(c, addr);
		return ACTION_ACCEPT;
	}
	if (action_refuses(c->env.v.action)) {
		if (escalate(c, &v))
			return refuse(c, &v, r);
		if (!c->env_reported) {
			c->env_reported = 1;
			guard_finding(c, &c->env);
		}
		return refuse(c, &c->env.v, r);
	}
	if (rcpt_checks(c, addr, r, &v))
		return v.action;
	if (c->login[0] == '\0') {
		note_rcpt(c, addr);
		return ACTION_ACCEPT;
	}
	if (guard_store_verdict(c, &v)) {
		if (action_refuses(v.action))
			return refuse(c, &v, r);
		if (c->refusal.kind == VERDICT_NONE) {
			c->refusal = v; /* accepted despite the store */
			guard_report(c, &v, ACTION_ACCEPT, NULL);
		}
		accept_rcpt(c, addr, &v);
		return ACTION_ACCEPT;
	}
	/* decide and reserve in one step for the login */
	store_login_lock(s, c->login);
	guard_limits_decide(c, c->rcpts_ok + 1, &v);
	if (!action_refuses(v.action))
		accept_rcpt(c, addr, &v);
	store_login_unlock(s, c->login);
	return action_refuses(v.action) ? refuse(c, &v, r) : ACTION_ACCEPT;
}

/* guard_header - keep what later decisions need */
void guard_header(struct guard_conn *c, const char *name, const char *value)
{
	if (!c->in_msg || name == NULL || value == NULL)
		return;
	if (strcasecmp(name, "Subject") == 0) {
		mailaddr_decode_words(value, c->subject, sizeof(c->subject));
		for (char *p = c->subject; *p; p++) /* a decoded CR/LF */
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				*p = ' ';
	} else if (strcasecmp(name, "From") == 0 && c->from_raw[0] == '\0')
		snprintf(c->from_raw, sizeof(c->from_raw), "%s", value);
	else if (strcasecmp(name, "Reply-To") == 0 &&
		 c->reply_to_raw[0] == '\0')
		snprintf(c->reply_to_raw, sizeof(c->reply_to_raw), "%s", value);
	else if (strcasecmp(name, "Message-Id") == 0 &&
		 c->message_id[0] == '\0')
		sscanf(value, " %255s", c->message_id);
	if (c->webmail)
		webmail_header(c->pol->webmail, c->webmail, name, value,
			       &c->wid);
}

/* guard_abort - the MTA dropped the message */
void guard_abort(struct guard_conn *c)
{
	guard_msg_end(c);
}

/* guard_conn_free - end of connection */
void guard_conn_free(struct guard_conn *c)
{
	if (c == NULL)
		return;
	guard_msg_end(c);
	scratch_put(c->g, c->scratch);
	free(c->hashes);
	free(c);
}
