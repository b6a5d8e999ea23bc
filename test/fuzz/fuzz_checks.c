/*
 * NAME
 *	fuzz_checks - the policy engine fed with arbitrary envelopes
 * DESCRIPTION
 *	The input is lines, a policy and one message:
 *	    local D | freemail D | protect D	domain tables
 *	    set KEY VALUE			a settings row
 *	    rule SCOPE FIELD ACTION PATTERN	a rules row
 *	    group CIDR NAME			a network_groups row
 *	    limit CLASS METRIC WINDOW THRESHOLD ACTION	a limits row
 *	    login L | class C | status S | allowed	the user
 *	    count WINDOW MSGS RCPTS SESSIONS NETWORKS	its counts
 *	    client_addr A | client_name N | helo H	the connection
 *	    mail_from M | rcpt R | from V | reply_to V | subject V
 *	The policy snapshot is built in memory with lib/'s own functions
 *	(rows the store would skip are skipped, policy_finish() as after
 *	a load), then the message goes through what guard.c does with it:
 *	login and envelope normalised, network key, checks_envelope(),
 *	for each recipient checks_rcpt() and engine_decide(), then the
 *	header values parsed and checks_headers().  At most MAX_ROWS rows
 *	of each table and MAX_RCPTS recipients.
 *
 *	Properties: every finding and verdict is a defined action and
 *	kind with terminated texts; a check reports something exactly
 *	when its finding's kind is not "none"; and nothing found means
 *	accept.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "checks.h"
#include "domain.h"
#include "fuzz.h"
#include "lookalike.h"
#include "network.h"
#include "rules.h"

#define MAX_ROWS  16
#define MAX_RCPTS 8
#define COUNT_MAX (1L << 40)

struct msg {
	char *login, *class, *client_addr, *client_name, *helo, *mail_from;
	char *from, *reply_to, *subject;
	char *rcpt[MAX_RCPTS];
	int nrcpts, allowed;
	enum user_status status;
	struct window_counts counts[POLICY_MAX_WINDOWS];
	char *count_lines[POLICY_MAX_WINDOWS];
	int ncounts;
};

struct built {
	int rules, protect, groups, limits, settings;
};

static struct rules_scratch *scratch;

/* add_setting - a settings row; the value is copied */
static void add_setting(struct policy *p, char *line)
{
	struct policy_setting *grown;
	char *key = fuzz_word(&line);

	grown = realloc(p->settings, (p->nsettings + 1) * sizeof(*grown));
	if (grown == NULL)
		return;
	p->settings = grown;
	grown[p->nsettings].key = strdup(key);
	grown[p->nsettings].value = strdup(line);
	p->nsettings++;
}

/* add_limit - "CLASS METRIC WINDOW THRESHOLD ACTION" */
static void add_limit(struct policy *p, char *line, long id)
{
	struct policy_class *c = fuzz_class(p, fuzz_word(&line));
	char *metric = fuzz_word(&line), *w = fuzz_word(&line);
	char *t = fuzz_word(&line);

	if (c != NULL)
		fuzz_limit_add(p, c, id, metric, fuzz_long(w, 0, LONG_MAX),
			       fuzz_long(t, 0, LONG_MAX), fuzz_word(&line));
}

/* add_rule - "SCOPE FIELD ACTION PATTERN" */
static void add_rule(struct policy *p, char *line, long id)
{
	char err[300], *scope = fuzz_word(&line), *field = fuzz_word(&line);
	char *action = fuzz_word(&line);

	if (ruleset_add(p->rules, id, scope, field, line, action, NULL, err,
			sizeof(err)) < 0)
		policy_problem(p, "%s; rule skipped", err);
}

/* policy_line - a policy row; 0, or -1 when the line is not one */
static int policy_line(struct policy *p, struct built *b, const char *w,
		       char *line)
{
	char err[300], *cidr;

	if (!strcmp(w, "local") && p->local_domains.n < MAX_ROWS)
		policy_domains_add(&p->local_domains, line);
	else if (!strcmp(w, "freemail") && p->freemail_domains.n < MAX_ROWS)
		policy_domains_add(&p->freemail_domains, line);
	else if (!strcmp(w, "protect") && b->protect++ < MAX_ROWS) {
		if (lookalike_add(p->lookalike, line, err, sizeof(err)) == 0)
			policy_domains_add(&p->protected_domains, line);
	} else if (!strcmp(w, "set") && b->settings++ < MAX_ROWS)
		add_setting(p, line);
	else if (!strcmp(w, "rule") && b->rules < MAX_ROWS)
		add_rule(p, line, ++b->rules);
	else if (!strcmp(w, "limit") && b->limits < MAX_ROWS)
		add_limit(p, line, ++b->limits);
	else if (!strcmp(w, "group") && b->groups++ < MAX_ROWS) {
		cidr = fuzz_word(&line);
		network_groups_add(p->groups, cidr, line);
	} else
		return -1;
	return 0;
}

/* msg_line - a message line */
static void msg_line(struct msg *m, const char *w, char *line)
{
	if (!strcmp(w, "login"))
		m->login = line;
	else if (!strcmp(w, "class"))
		m->class = line;
	else if (!strcmp(w, "status"))
		engine_user_status_parse(line, &m->status);
	else if (!strcmp(w, "allowed"))
		m->allowed = 1;
	else if (!strcmp(w, "count") && m->ncounts < POLICY_MAX_WINDOWS)
		m->count_lines[m->ncounts++] = line;
	else if (!strcmp(w, "client_addr"))
		m->client_addr = line;
	else if (!strcmp(w, "client_name"))
		m->client_name = line;
	else if (!strcmp(w, "helo"))
		m->helo = line;
	else if (!strcmp(w, "mail_from"))
		m->mail_from = line;
	else if (!strcmp(w, "rcpt") && m->nrcpts < MAX_RCPTS)
		m->rcpt[m->nrcpts++] = line;
	else if (!strcmp(w, "from"))
		m->from = line;
	else if (!strcmp(w, "reply_to"))
		m->reply_to = line;
	else if (!strcmp(w, "subject"))
		m->subject = line;
}

/* check_verdict - a verdict is defined and terminated */
static void check_verdict(const struct verdict *v)
{
	FUZZ_CHECK((unsigned)v->action <= ACTION_BLOCK, "action %d", v->action);
	FUZZ_CHECK((unsigned)v->kind <= VERDICT_TRIPWIRE, "kind %d", v->kind);
	FUZZ_CHECK(fuzz_bounded(v->reason, sizeof(v->reason)), "reason");
	FUZZ_CHECK(v->kind != VERDICT_NONE || v->action == ACTION_ACCEPT,
		   "kind none, action %s", action_name(v->action));
}

/* check_finding - what a check returned */
static void check_finding(int rc, const struct check_finding *f)
{
	check_verdict(&f->v);
	FUZZ_CHECK(rc == (f->v.kind != VERDICT_NONE), "rc %d kind %d", rc,
		   f->v.kind);
	FUZZ_CHECK(fuzz_bounded(f->domain, sizeof(f->domain)), "domain");
	FUZZ_CHECK(fuzz_bounded(f->rule, sizeof(f->rule)), "rule");
	FUZZ_CHECK(!rc || f->rule[0], "a finding without a rule name");
}

/* counts_fill - the user's counts for the class's windows */
static void counts_fill(struct msg *m, const struct policy_class *c)
{
	char *line, *w;
	int i, j;

	for (i = 0; c != NULL && i < c->nwindows; i++)
		m->counts[i].window_s = c->windows[i];
	for (j = 0; c != NULL && j < m->ncounts; j++) {
		line = m->count_lines[j];
		i = policy_class_window(
			c, fuzz_long(fuzz_word(&line), 0, LONG_MAX));
		if (i < 0)
			continue;
		w = fuzz_word(&line);
		m->counts[i].msgs = fuzz_long(w, 0, COUNT_MAX);
		w = fuzz_word(&line);
		m->counts[i].rcpts = fuzz_long(w, 0, COUNT_MAX);
		w = fuzz_word(&line);
		m->counts[i].sessions = fuzz_long(w, 0, COUNT_MAX);
		m->counts[i].networks = fuzz_long(fuzz_word(&line), 0,
						  COUNT_MAX);
	}
}

/* run_rcpts - each recipient: the rules, then the limits */
static void run_rcpts(const struct policy *p, struct msg *m, const char *login)
{
	const struct policy_class *c = NULL;
	struct engine_input in = { 0 };
	struct check_finding f;
	struct verdict v;
	char addr[512];
	int i;

	if (login[0]) {
		c = policy_class_find(p, m->class ? m->class : "default");
		counts_fill(m, c);
	}
	for (i = 0; i < m->nrcpts; i++) {
		addr_envelope(m->rcpt[i], addr, sizeof(addr));
		check_finding(checks_rcpt(p, scratch, login[0] != '\0', addr,
					  addr_domain(addr), &f),
			      &f);
		if (!login[0])
			continue;
		in.cls = c;
		in.status = m->status;
		in.counts = m->counts;
		in.msg_rcpts = i + 1;
		engine_decide(&in, &v);
		check_verdict(&v);
	}
}

/* run_msg - the message through the checks, as guard.c runs them */
static void run_msg(const struct policy *p, struct msg *m)
{
	char login[256] = "", mail_from[512], mfd[256], key[64];
	char subject[256], fd[256] = "", rd[256] = "";
	struct mailaddr from, reply_to;
	struct checks_msg cm = { 0 };
	struct check_finding f;

	addr_login(m->login, login, sizeof(login));
	addr_envelope(m->mail_from, mail_from, sizeof(mail_from));
	domain_normalise(addr_domain(mail_from), mfd, sizeof(mfd));
	network_key(p->groups, p->ipv4_prefix, p->ipv6_prefix,
		    m->client_addr ? m->client_addr : "", key, sizeof(key));
	cm.auth = login[0] != '\0';
	cm.mail_from = mail_from;
	cm.mail_from_domain = mfd;
	cm.sender_allowed = m->allowed;
	cm.helo = m->helo ? m->helo : "";
	cm.client_name = m->client_name ? m->client_name : "";
	cm.from_raw = cm.from_domain = cm.reply_to_raw = "";
	cm.reply_to_domain = cm.subject = "";
	check_finding(checks_envelope(p, scratch, &cm, &f), &f);
	run_rcpts(p, m, login);
	mailaddr_decode_words(m->subject, subject, sizeof(subject));
	for (char *s = subject; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
	cm.subject = subject;
	cm.from_raw = m->from ? m->from : "";
	cm.reply_to_raw = m->reply_to ? m->reply_to : "";
	if (mailaddr_first(cm.from_raw, &from)) {
		cm.from = &from;
		domain_normalise(from.domain, fd, sizeof(fd));
	}
	if (mailaddr_first(cm.reply_to_raw, &reply_to)) {
		cm.reply_to = &reply_to;
		domain_normalise(reply_to.domain, rd, sizeof(rd));
	}
	cm.from_domain = fd;
	cm.reply_to_domain = rd;
	check_finding(checks_headers(p, scratch, &cm, &f), &f);
}

/* policy_new - an empty snapshot as store_policy_load() starts one */
static struct policy *policy_new(void)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->rules = ruleset_new();
	p->lookalike = lookalike_new();
	p->groups = network_groups_new();
	if (!p->rules || !p->lookalike || !p->groups) {
		policy_free(p);
		return NULL;
	}
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct built b = { 0 };
	struct msg m;
	struct fuzz_lines l;
	struct policy *p;
	char err[300], *line, *w;
	int i;

	fuzz_init();
	if (scratch == NULL && (scratch = rules_scratch_new()) == NULL)
		return 0;
	if ((p = policy_new()) == NULL)
		return 0;
	if (fuzz_lines_init(&l, data, size) < 0) {
		policy_free(p);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	while ((line = fuzz_line(&l)) != NULL) {
		w = fuzz_word(&line);
		if (policy_line(p, &b, w, line) < 0)
			msg_line(&m, w, line);
	}
	ruleset_prepare(p->rules);
	for (i = 0; i < p->local_domains.n; i++) /* as the store does */
		lookalike_add(p->lookalike, p->local_domains.names[i], err,
			      sizeof(err));
	policy_finish(p);
	run_msg(p, &m);
	fuzz_lines_free(&l);
	policy_free(p);
	return 0;
}
