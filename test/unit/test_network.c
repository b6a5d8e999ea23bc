/*
 * NAME
 *	test_network - client network keys, table-driven
 */
#include "check.h"
#include "network.h"

struct row {
	const char *addr;
	const char *want; /* "" when not an address */
};

static const struct row rows[] = {
	{ "192.0.2.77", "192.0.2.0/24" },
	{ "192.0.2.1", "192.0.2.0/24" },
	{ "198.51.100.9", "198.51.100.0/24" },
	{ "2001:db8:1234:5678::1", "2001:db8:1234::/48" },
	{ "::ffff:192.0.2.9", "192.0.2.0/24" },
	{ "10.64.3.4", "group:carrier" }, /* in 10.64.0.0/10 */
	{ "10.127.255.255", "group:carrier" },
	{ "10.128.0.1", "10.128.0.0/24" }, /* just outside */
	{ "2001:db8:ffff:1::2", "group:carrier-v6" },
	{ "127.3.0.1", "127.3.0.0/24" },
	{ "localhost", "" },
	{ "", "" },
	{ "999.1.1.1", "" },
};

int main(void)
{
	struct network_groups *g = network_groups_new();
	char key[64];
	unsigned i;

	CHECK_INT("add v4", network_groups_add(g, "10.64.0.0/10", "carrier"),
		  0);
	CHECK_INT("add v6",
		  network_groups_add(g, "2001:db8:ffff::/48", "carrier-v6"), 0);
	CHECK_INT("bad cidr", network_groups_add(g, "10.0.0.0", "x"), -1);
	CHECK_INT("bad prefix", network_groups_add(g, "10.0.0.0/33", "x"), -1);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		network_key(g, 24, 48, rows[i].addr, key, sizeof(key));
		CHECK_STR(rows[i].addr, key, rows[i].want);
	}
	network_key(NULL, 16, 32, "192.0.2.77", key, sizeof(key));
	CHECK_STR("/16 setting", key, "192.0.0.0/16");
	network_key(NULL, 24, 32, "2001:db8:1234:5678::1", key, sizeof(key));
	CHECK_STR("/32 setting", key, "2001:db8::/32");
	network_groups_free(g);
	return check_done();
}
