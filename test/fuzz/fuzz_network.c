/*
 * NAME
 *	fuzz_network - client network keys and network_groups ranges
 * DESCRIPTION
 *	The input is lines:
 *	    group CIDR NAME	a network_groups row
 *	    prefix V4 V6	the ipv4_prefix and ipv6_prefix settings
 *	    ADDRESS		any other line: a client address
 *	Every address gets its key.  Properties: a key is terminated
 *	within its buffer, not empty when network_key() says 0 and empty
 *	when it says -1; a key that is not a group's ("group:NAME") is a
 *	CIDR range that network_groups_add() accepts and
 *	that holds the address (the address's key against that range
 *	alone is that range's group).
 */
#include <string.h>

#include "fuzz.h"
#include "network.h"

#define MAX_GROUPS 32

/* check_key - the key of addr, and the properties above */
static void check_key(const struct network_groups *g, int v4, int v6,
		      const char *addr)
{
	struct network_groups *own;
	char key[64], again[128];
	int rc;

	memset(key, 'x', sizeof(key));
	rc = network_key(g, v4, v6, addr, key, sizeof(key));
	FUZZ_CHECK(fuzz_bounded(key, sizeof(key)), "key not terminated");
	FUZZ_CHECK(rc == 0 ? key[0] != '\0' : key[0] == '\0',
		   "rc %d key \"%s\"", rc, key);
	if (rc < 0 || strncmp(key, "group:", 6) == 0)
		return;
	if ((own = network_groups_new()) == NULL)
		return;
	FUZZ_CHECK(network_groups_add(own, key, "own") == 0,
		   "key \"%s\" of \"%s\" is not a CIDR range", key, addr);
	rc = network_key(own, v4, v6, addr, again, sizeof(again));
	FUZZ_CHECK(rc == 0 && strcmp(again, "group:own") == 0,
		   "\"%s\" is not in its network \"%s\" (%s)", addr, key,
		   again);
	network_groups_free(own);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct network_groups *g;
	struct fuzz_lines l;
	char *line, *cidr, *name;
	int v4 = 24, v6 = 48, ngroups = 0;

	fuzz_init();
	if ((g = network_groups_new()) == NULL)
		return 0;
	if (fuzz_lines_init(&l, data, size) < 0) {
		network_groups_free(g);
		return 0;
	}
	while ((line = fuzz_line(&l)) != NULL) {
		if (strncmp(line, "group ", 6) == 0 && ngroups < MAX_GROUPS) {
			line += 6;
			cidr = fuzz_word(&line);
			name = *line ? line : NULL;
			ngroups += network_groups_add(g, cidr, name) == 0;
		} else if (strncmp(line, "prefix ", 7) == 0) {
			line += 7;
			v4 = (int)fuzz_long(fuzz_word(&line), -1000, 1000);
			v6 = (int)fuzz_long(fuzz_word(&line), -1000, 1000);
		} else {
			check_key(g, v4, v6, line);
			check_key(NULL, v4, v6, line);
		}
	}
	fuzz_lines_free(&l);
	network_groups_free(g);
	return 0;
}
