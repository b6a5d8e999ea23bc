/*
 * NAME
 *	network - which client network an address belongs to
 * SYNOPSIS
 *	#include "network.h"
 * DESCRIPTION
 *	A client address maps to a network key: the name of the first
 *	network_groups range that holds it ("group:carrier"), else its
 *	IPv4 /ipv4_prefix or IPv6 /ipv6_prefix network ("192.0.2.0/24").
 *	The ranges are parsed once per policy load.
 */
#ifndef OUTGUARD_NETWORK_H
#define OUTGUARD_NETWORK_H

#include <stddef.h>

struct network_groups;

/* network_groups_new - an empty list; NULL when out of memory */
struct network_groups *network_groups_new(void);

/* network_groups_add - a range "CIDR" named name; 0, or -1 if bad CIDR */
int network_groups_add(struct network_groups *g, const char *cidr,
		       const char *name);

/* network_groups_free - NULL is fine */
void network_groups_free(struct network_groups *g);

/*
 * network_groups_find - index (in the order added) of the first range
 * holding address addr, or -1 (none, or addr is not an address)
 */
int network_groups_find(const struct network_groups *g, const char *addr);

/* network_is_addr - 1 when s is an IPv4 or IPv6 address, else 0 */
int network_is_addr(const char *s);

/*
 * network_key - the key of address addr (IPv4 or IPv6 text) into out.
 * Returns 0, or -1 when addr is not an address (out is then "").
 */
int network_key(const struct network_groups *g, int v4_prefix, int v6_prefix,
		const char *addr, char *out, size_t outlen);

#endif
