/*
 * NAME
 *	network - client network keys
 * DESCRIPTION
 *	See network.h.  Addresses are compared as 16-byte IPv6 values;
 *	IPv4 and IPv4-mapped IPv6 addresses are the same thing here.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "network.h"

struct network_range {
	unsigned char net[16];
	int bits; /* prefix length over the 16 bytes */
	char name[64];
};

struct network_groups {
	struct network_range *v;
	int n;
};

/* parse - text to a 16-byte address; 4 for IPv4, 6 for IPv6, 0 if bad */
static int parse(const char *s, unsigned char out[16])
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return 4;
	}
	if (inet_pton(AF_INET6, s, out) == 1)
		return memcmp(out, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) ? 6 : 4;
	return 0;
}

/* mask - clear every bit after the first bits */
static void mask(unsigned char a[16], int bits)
{
	int i;

	for (i = 0; i < 16; i++, bits -= 8) {
		if (bits >= 8)
			continue;
		a[i] &= bits > 0 ? (unsigned char)(0xff << (8 - bits)) : 0;
	}
}

/* network_groups_new - an empty list */
struct network_groups *network_groups_new(void)
{
	return calloc(1, sizeof(struct network_groups));
}

/* network_groups_add - add a named range */
int network_groups_add(struct network_groups *g, const char *cidr,
		       const char *name)
{
	char addr[64], *slash;
	struct network_range r, *grown;
	int fam, bits;

	snprintf(addr, sizeof(addr), "%s", cidr ? cidr : "");
	if ((slash = strchr(addr, '/')) == NULL)
		return -1;
	*slash++ = '\0';
	bits = atoi(slash);
	if ((fam = parse(addr, r.net)) == 0 || bits < 0 ||
	    bits > (fam == 4 ? 32 : 128))
		return -1;
	r.bits = fam == 4 ? bits + 96 : bits;
	mask(r.net, r.bits);
	snprintf(r.name, sizeof(r.name), "%s", name ? name : cidr);
	if ((grown = realloc(g->v, (g->n + 1) * sizeof(*grown))) == NULL)
		return -1;
	g->v = grown;
	g->v[g->n++] = r;
	return 0;
}

/* network_groups_free - release */
void network_groups_free(struct network_groups *g)
{
	if (g == NULL)
		return;
	free(g->v);
	free(g);
}

/* network_groups_find - the first range holding addr */
int network_groups_find(const struct network_groups *g, const char *addr)
{
	unsigned char a[16], m[16];
	int i;

	if (g == NULL || addr == NULL || parse(addr, a) == 0)
		return -1;
	for (i = 0; i < g->n; i++) {
		memcpy(m, a, 16);
		mask(m, g->v[i].bits);
		if (memcmp(m, g->v[i].net, 16) == 0)
			return i;
	}
	return -1;
}

/* network_is_addr - 1 when s is an IPv4 or IPv6 address */
int network_is_addr(const char *s)
{
	unsigned char a[16];

	return s != NULL && parse(s, a) != 0;
}

/* network_key - the key of an address */
int network_key(const struct network_groups *g, int v4_prefix, int v6_prefix,
		const char *addr, char *out, size_t outlen)
{
	unsigned char a[16], m[16];
	char text[INET6_ADDRSTRLEN];
	int fam, i, bits;

	out[0] = '\0';
	if (addr == NULL || (fam = parse(addr, a)) == 0)
		return -1;
	for (i = 0; g != NULL && i < g->n; i++) {
		memcpy(m, a, 16);
		mask(m, g->v[i].bits);
		if (memcmp(m, g->v[i].net, 16) == 0) {
			snprintf(out, outlen, "group:%s", g->v[i].name);
			return 0;
		}
	}
	bits = fam == 4 ? 96 + (v4_prefix >= 0 && v4_prefix <= 32 ? v4_prefix
								  : 24)
			: (v6_prefix >= 0 && v6_prefix <= 128 ? v6_prefix : 48);
	mask(a, bits);
	if (fam == 4)
		inet_ntop(AF_INET, a + 12, text, sizeof(text));
	else
		inet_ntop(AF_INET6, a, text, sizeof(text));
	snprintf(out, outlen, "%s/%d", text, fam == 4 ? bits - 96 : bits);
	return 0;
}
