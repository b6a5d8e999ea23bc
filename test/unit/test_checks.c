/*
 * NAME
 *	test_checks - forged senders, lookalikes and rules, table-driven
 * DESCRIPTION
 *	Loads the default policy from a fresh database (with example.test
 *	as the local domain and one tripwire rule; whether user_senders
 *	allows the sender is given by each row) and checks the finding of
 *	checks_envelope(), checks_rcpt() and checks_headers() for each
 *	row: kind, action and the domain recorded in seen_domains.
 */
#include <sqlite3.h>
#include <stdlib.h>

#include "check.h"
#include "checks.h"
#include "domain.h"
#include "mailaddr.h"
#include "rules.h"
#include "store.h"

struct row {
	const char *what;
	int auth, allowed;
	const char *mail_from;	     /* envelope */
	const char *from, *reply_to; /* header values, NULL: none */
	enum action want;
	enum verdict_kind want_kind;
	const char *want_domain;
};

static const struct row rows[] = {
	{ "local sender, nothing to say", 1, 0, "alice@example.test", NULL,
	  NULL, ACTION_ACCEPT, VERDICT_NONE, "" },
	{ "subdomain of a local domain is local", 1, 0,
	  "alice@dept.example.test", NULL, NULL, ACTION_ACCEPT, VERDICT_NONE,
	  "" },
	{ "authenticated freemail envelope", 1, 0, "x@aol.com", NULL, NULL,
	  ACTION_REJECT, VERDICT_SENDER, "" },
	{ "authenticated foreign envelope", 1, 0, "x@elsewhere.example", NULL,
	  NULL, ACTION_REJECT, VERDICT_SENDER, "" },
	{ "user_senders allows it", 1, 1, "x@elsewhere.example", NULL, NULL,
	  ACTION_ACCEPT, VERDICT_NONE, "" },
	{ "null sender is not judged", 1, 0, "", NULL, NULL, ACTION_ACCEPT,
	  VERDICT_NONE, "" },
	{ "unauthenticated foreign sender is fine", 0, 0,
	  "news@elsewhere.example", NULL, NULL, ACTION_ACCEPT, VERDICT_NONE,
	  "" },
	{ "inbound lookalike envelope", 0, 0, "news@linkedinmail.net", NULL,
	  NULL, ACTION_REJECT, VERDICT_LOOKALIKE, "linkedinmail.net" },
	{ "inbound one-edit lookalike", 0, 0, "sales@wallmart.com", NULL, NULL,
	  ACTION_REJECT, VERDICT_LOOKALIKE, "wallmart.com" },
	{ "real subdomain of a brand is fine", 0, 0, "jobs@e.linkedin.com",
	  NULL, NULL, ACTION_ACCEPT, VERDICT_NONE, "" },
	{ "forged LinkedIn host: default rule", 0, 0, "x@emalsrv.linkedin.com",
	  NULL, NULL, ACTION_REJECT, VERDICT_RULE, "emalsrv.linkedin.com" },
	{ "From: freemail on authenticated mail", 1, 0, "alice@example.test",
	  "Alice <alice@gmail.com>", NULL, ACTION_REJECT, VERDICT_SENDER, "" },
	{ "Reply-To: freemail while From: local", 1, 0, "alice@example.test",
	  "alice@example.test", "\"Alice\" <alice.reply@gmail.com>",
	  ACTION_HEADER, VERDICT_REPLY_TO, "" },
	{ "Reply-To: local is fine", 1, 0, "alice@example.test",
	  "alice@example.test", "helpdesk@example.test", ACTION_ACCEPT,
	  VERDICT_NONE, "" },
	{ "display name names a brand", 0, 0, "x@shop.example",
	  "\"PayPal Service\" <x@shop.example>", NULL, ACTION_HEADER,
	  VERDICT_DISPLAY_NAME, "shop.example" },
	{ "display name of the brand itself", 0, 0, "service@paypal.com",
	  "PayPal <service@paypal.com>", NULL, ACTION_ACCEPT, VERDICT_NONE,
	  "" },
	{ "a person named Chase is not the bank (display_name_ignore)", 0, 0,
	  "chase@shop.example", "\"Chase Miller\" <chase@shop.example>", NULL,
	  ACTION_ACCEPT, VERDICT_NONE, "" },
	{ "a front office is not office.com", 1, 0, "desk@example.test",
	  "\"Front Office\" <desk@example.test>", NULL, ACTION_ACCEPT,
	  VERDICT_NONE, "" },
	{ "an ignored word's domain is still protected from lookalikes", 0, 0,
	  "x@chasse.com", NULL, NULL, ACTION_REJECT, VERDICT_LOOKALIKE,
	  "chasse.com" },
	{ "inbound lookalike in From:", 0, 0, "bounce@mailer.example",
	  "LinkedIn <news@linkedin-mail.com>", NULL, ACTION_REJECT,
	  VERDICT_LOOKALIKE, "linkedin-mail.com" },
	{ "outbound lookalike only marks", 1, 0, "alice@example.test",
	  "news@linkedin-mail.com", NULL, ACTION_HEADER, VERDICT_LOOKALIKE,
	  "linkedin-mail.com" },
};

static struct policy *pol;
static struct rules_scratch *sc;

/* run_row - envelope then headers, most severe wins, like the guard */
static void run_row(const struct row *r)
{
	struct checks_msg m = { 0 };
	struct check_finding fe, fh, *f;
	struct mailaddr from, rt;
	char md[256] = "", fd[256] = "", rd[256] = "", what[300];
	const char *at = strrchr(r->mail_from, '@');

	m.auth = r->auth;
	m.sender_allowed = r->allowed;
	m.mail_from = r->mail_from;
	if (at)
		domain_normalise(at + 1, md, sizeof(md));
	m.mail_from_domain = md;
	m.helo = m.client_name = m.subject = "";
	m.from_raw = r->from ? r->from : "";
	m.reply_to_raw = r->reply_to ? r->reply_to : "";
	if (r->from && mailaddr_parse(r->from, &from, 1) == 1) {
		m.from = &from;
		domain_normalise(from.domain, fd, sizeof(fd));
	}
	if (r->reply_to && mailaddr_parse(r->reply_to, &rt, 1) == 1) {
		m.reply_to = &rt;
		domain_normalise(rt.domain, rd, sizeof(rd));
	}
	m.from_domain = fd;
	m.reply_to_domain = rd;
	checks_envelope(pol, sc, &m, &fe);
	checks_headers(pol, sc, &m, &fh);
	f = fh.v.kind != VERDICT_NONE && fh.v.action > fe.v.action ? &fh : &fe;
	if (fe.v.kind == VERDICT_NONE)
		f = &fh;
	snprintf(what, sizeof(what), "%s: action (%s)", r->what, f->v.reason);
	CHECK_STR(what, action_name(f->v.action), action_name(r->want));
	snprintf(what, sizeof(what), "%s: kind", r->what);
	CHECK_INT(what, f->v.kind, r->want_kind);
	snprintf(what, sizeof(what), "%s: seen domain", r->what);
	CHECK_STR(what, f->domain, r->want_domain);
}

/*
 * test_ignore_setting - display_name_ignore set to '' brings "Chase"
 * back; db_path: the database to change
 */
static void test_ignore_setting(struct store *s, const char *db_path)
{
	struct checks_msg m = { 0 };
	struct check_finding f;
	struct mailaddr from;
	struct policy *p;
	char err[300];
	sqlite3 *db;

	sqlite3_open(db_path, &db);
	sqlite3_exec(db,
		     "INSERT INTO settings VALUES ('display_name_ignore', '')",
		     NULL, NULL, NULL);
	sqlite3_close(db);
	p = store_policy_load(s, err, sizeof(err));
	CHECK(p != NULL, err);
	if (p == NULL)
		return;
	CHECK(mailaddr_parse("\"Chase Miller\" <chase@shop.example>", &from,
			     1) == 1,
	      "parse From");
	m.mail_from = "chase@shop.example";
	m.mail_from_domain = m.from_domain = "shop.example";
	m.helo = m.client_name = m.subject = m.reply_to_raw = "";
	m.reply_to_domain = "";
	m.from_raw = "\"Chase Miller\" <chase@shop.example>";
	m.from = &from;
	checks_headers(p, sc, &m, &f);
	CHECK_INT("display_name_ignore '': Chase is the bank again", f.v.kind,
		  VERDICT_DISPLAY_NAME);
	policy_free(p);
}

/* test_tripwire - a rules row on rcpt */
static void test_tripwire(void)
{
	struct check_finding f;

	CHECK_INT("tripwire hits",
		  checks_rcpt(pol, sc, 1, "Helpdesk@Phish.example",
			      "phish.example", &f),
		  1);
	CHECK_INT("tripwire kind", f.v.kind, VERDICT_TRIPWIRE);
	CHECK_STR("tripwire action", action_name(f.v.action), "reject");
	CHECK_INT("ordinary recipient",
		  checks_rcpt(pol, sc, 1, "friend@example.net", "example.net",
			      &f),
		  0);
}

int main(void)
{
	char dir[] = "/tmp/og-checks-XXXXXX", path[128], err[300];
	struct store *s;
	sqlite3 *db;

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/og.db", dir);
	s = store_open(path, STORE_CREATE, err, sizeof(err));
	CHECK(s != NULL, err);
	if (s == NULL)
		return check_done();
	sqlite3_open(path, &db);
	sqlite3_exec(db,
		     "INSERT INTO local_domains VALUES ('example.test');"
		     "INSERT INTO rules (scope, field, pattern, action, reason)"
		     " VALUES ('any', 'rcpt', '^helpdesk@phish\\.example$', "
		     "'reject', 'phishing reply address');",
		     NULL, NULL, NULL);
	sqlite3_close(db);
	pol = store_policy_load(s, err, sizeof(err));
	CHECK(pol != NULL, err);
	sc = rules_scratch_new();
	if (pol != NULL) {
		for (unsigned i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
			run_row(&rows[i]);
		test_tripwire();
		test_ignore_setting(s, path);
	}
	rules_scratch_free(sc);
	policy_free(pol);
	store_close(s);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		printf("could not remove %s\n", dir);
	return check_done();
}
