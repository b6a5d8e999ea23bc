/*
 * NAME
 *	webmail - who really sent mail that a webmail host submitted
 * DESCRIPTION
 *	See webmail.h.  Each source's network is a one-range
 *	network_groups list; patterns are rules_capture objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "network.h"
#include "rules.h"
#include "webmail.h"

struct webmail_source {
	struct network_groups *net; /* one range */
	char header[64];
	char ip_header[64]; /* "" when none */
	struct rules_capture *pattern;
};

struct webmail {
	struct webmail_source v[WEBMAIL_MAX_SOURCES];
	int n;
};

/* webmail_new - no sources */
struct webmail *webmail_new(void)
{
	return calloc(1, sizeof(struct webmail));
}

/* header_name_ok - a header field name: printable, no colon, not empty */
static int header_name_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) >= 64)
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == ':')
			return 0;
	return 1;
}

/* webmail_add - one source */
int webmail_add(struct webmail *w, const char *network, const char *header,
		const char *pattern, const char *ip_header, char *err,
		size_t errlen)
{
	struct webmail_source *src;
	char cidr[80], why[200];

	if (w->n >= WEBMAIL_MAX_SOURCES) {
		snprintf(err, errlen, "more than %d sources",
			 WEBMAIL_MAX_SOURCES);
		return -1;
	}
	if (!header_name_ok(header) ||
	    (ip_header && *ip_header && !header_name_ok(ip_header))) {
		snprintf(err, errlen, "bad header name");
		return -1;
	}
	/* a bare address is a host */
	snprintf(cidr, sizeof(cidr), "%s%s", network ? network : "",
		 network && !strchr(network, '/')
			 ? (strchr(network, ':') ? "/128" : "/32")
			 : "");
	src = &w->v[w->n];
	if ((src->pattern = rules_capture_new(pattern, why, sizeof(why))) ==
	    NULL) {
		snprintf(err, errlen, "pattern: %s", why);
		return -1;
	}
	if ((src->net = network_groups_new()) == NULL ||
	    network_groups_add(src->net, cidr, "webmail") < 0) {
		snprintf(err, errlen, "\"%s\" is not a network",
			 network ? network : "");
		rules_capture_free(src->pattern);
		network_groups_free(src->net);
		memset(src, 0, sizeof(*src));
		return -1;
	}
	snprintf(src->header, sizeof(src->header), "%s", header);
	snprintf(src->ip_header, sizeof(src->ip_header), "%s",
		 ip_header ? ip_header : "");
	w->n++;
	return 0;
}

/* webmail_count - the number of sources */
int webmail_count(const struct webmail *w)
{
	return w ? w->n : 0;
}

/* webmail_match - the sources for a client address */
unsigned webmail_match(const struct webmail *w, const char *addr)
{
	unsigned set = 0;
	int i;

	if (w == NULL || w->n == 0 || addr == NULL || *addr == '\0')
		return 0;
	for (i = 0; i < w->n; i++)
		if (network_groups_find(w->v[i].net, addr) >= 0)
			set |= 1u << i;
	return set;
}

/* ip_char - a character of an address token */
static int ip_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

/* webmail_ip - the first address in text */
int webmail_ip(const char *text, char *out, size_t outlen)
{
	const char *p, *q;
	char tok[64];
	size_t n;

	out[0] = '\0';
	for (p = text; p && *p; p = q) {
		if (strncasecmp(p, "IPv6:", 5) == 0)
			p += 5;
		else if (!ip_char(*p) ||
			 (p > text &&
			  (ip_char(p[-1]) || (p[-1] >= 'g' && p[-1] <= 'z') ||
			   (p[-1] >= 'G' && p[-1] <= 'Z')))) {
			q = p + 1;
			continue;
		}
		for (q = p; ip_char(*q); q++)
			;
		n = (size_t)(q - p);
		if (q == p) {
			q = p + 1;
			continue;
		}
		if (n < sizeof(tok)) {
			memcpy(tok, p, n);
			tok[n] = '\0';
			if (network_is_addr(tok)) {
				snprintf(out, outlen, "%s", tok);
				return 1;
			}
		}
	}
	return 0;
}

/* webmail_header - one header of the message */
void webmail_header(const struct webmail *w, unsigned set, const char *name,
		    const char *value, struct webmail_id *id)
{
	char found[256];
	int i;

	for (i = 0; w != NULL && set != 0 && i < w->n; i++) {
		const struct webmail_source *src = &w->v[i];
		int same = strcasecmp(src->ip_header, src->header) == 0;

		if (!(set & (1u << i)))
			continue;
		if (id->login[0] == '\0' &&
		    strcasecmp(name, src->header) == 0 &&
		    rules_capture_run(src->pattern, value, strlen(value), found,
				      sizeof(found)) == 1) {
			if (addr_login(found, id->login, sizeof(id->login)) ==
				    0 &&
			    same)
				webmail_ip(value, id->ip, sizeof(id->ip));
			continue;
		}
		if (id->ip[0] == '\0' && src->ip_header[0] && !same &&
		    strcasecmp(name, src->ip_header) == 0)
			webmail_ip(value, id->ip, sizeof(id->ip));
	}
}

/* webmail_free - release */
void webmail_free(struct webmail *w)
{
	int i;

	if (w == NULL)
		return;
	for (i = 0; i < w->n; i++) {
		rules_capture_free(w->v[i].pattern);
		network_groups_free(w->v[i].net);
	}
	free(w);
}
