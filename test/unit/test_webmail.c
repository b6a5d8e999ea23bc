/*
 * NAME
 *	test_webmail - webmail_sources: logins and origins from headers
 */
#include <string.h>

#include "check.h"
#include "webmail.h"

struct ip_row {
	const char *text;
	const char *want; /* "" when none */
};

static const struct ip_row ips[] = {
	{ "[203.0.113.7]", "203.0.113.7" },
	{ " 203.0.113.7", "203.0.113.7" },
	{ "from 203.0.113.7 (SquirrelMail authenticated user alice) by "
	  "webmail.example.test with HTTP; Sun, 22 Nov 2026 10:00:00 +0000",
	  "203.0.113.7" },
	{ "[IPv6:2001:db8::7]", "2001:db8::7" },
	{ "2001:db8:1::2", "2001:db8:1::2" },
	{ "by host with HTTP; 10:00:00 +0000", "" },
	{ "deadbeef", "" },
	{ "abc1.2.3.4", "" }, /* glued to a word */
	{ "999.1.1.1, then 198.51.100.4", "198.51.100.4" },
	{ "", "" },
};

/* one message's headers through the sources of client */
static void headers(const struct webmail *w, const char *client,
		    const char *const *h, struct webmail_id *id)
{
	unsigned set = webmail_match(w, client);

	memset(id, 0, sizeof(*id));
	for (; *h; h += 2)
		webmail_header(w, set, h[0], h[1], id);
}

int main(void)
{
	struct webmail *w = webmail_new();
	struct webmail_id id;
	char out[64], err[300];
	unsigned i;
	const char *squirrel[] = {
		"Received",
		"from 192.0.2.1 by mx (Postfix)",
		"Received",
		"from 203.0.113.7 (SquirrelMail authenticated "
		"user Alice) by webmail.example.test with HTTP",
		"Received",
		"from 198.51.100.1 (SquirrelMail authenticated "
		"user mallory) by elsewhere",
		NULL,
	};
	const char *xsender[] = {
		"X-Sender",
		"bob@example.test",
		"X-Originating-IP",
		"[198.51.100.20]",
		NULL,
	};

	for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		webmail_ip(ips[i].text, out, sizeof(out));
		CHECK_STR(ips[i].text, out, ips[i].want);
	}
	CHECK_INT("squirrelmail source",
		  webmail_add(w, "127.0.0.1", "Received",
			      "SquirrelMail authenticated user ([^\\s)]+)",
			      "Received", err, sizeof(err)),
		  0);
	CHECK_INT("x-sender source",
		  webmail_add(w, "192.0.2.0/24", "X-Sender",
			      "^\\s*(?<login>[^@\\s]+)@", "X-Originating-IP",
			      err, sizeof(err)),
		  0);
	CHECK_INT("bad pattern",
		  webmail_add(w, "10.0.0.0/8", "X-User", "(", NULL, err,
			      sizeof(err)),
		  -1);
	CHECK_INT("bad network",
		  webmail_add(w, "webmail", "X-User", "(.+)", NULL, err,
			      sizeof(err)),
		  -1);
	CHECK_INT("bad header",
		  webmail_add(w, "10.0.0.0/8", "X User", "(.+)", NULL, err,
			      sizeof(err)),
		  -1);
	CHECK_INT("two sources", webmail_count(w), 2);
	CHECK_INT("localhost", (int)webmail_match(w, "127.0.0.1"), 1);
	CHECK_INT("x-sender net", (int)webmail_match(w, "192.0.2.9"), 2);
	CHECK_INT("elsewhere", (int)webmail_match(w, "198.51.100.1"), 0);
	CHECK_INT("no address", (int)webmail_match(w, ""), 0);

	headers(w, "127.0.0.1", squirrel, &id);
	CHECK_STR("first naming header wins, lower case", id.login, "alice");
	CHECK_STR("origin from the naming Received", id.ip, "203.0.113.7");
	headers(w, "192.0.2.9", xsender, &id);
	CHECK_STR("named group", id.login, "bob");
	CHECK_STR("x-originating-ip", id.ip, "198.51.100.20");
	headers(w, "198.51.100.1", squirrel, &id);
	CHECK_STR("not a source: nothing", id.login, "");
	headers(w, "192.0.2.9", squirrel, &id);
	CHECK_STR("other source's header ignored", id.login, "");
	webmail_free(w);
	webmail_free(NULL);
	return check_done();
}
