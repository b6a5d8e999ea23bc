/*
 * NAME
 *	ctl_seen - outguardctl protected and seen: the lookalike domains
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_cmd_protected(struct ctl *ctl, int argc, char **argv);
 *	int ctl_cmd_seen(struct ctl *ctl, int argc, char **argv);
 * DESCRIPTION
 *	protected add, remove and list edit protected_domains, the brands
 *	and own domains whose lookalikes the detector catches.  A domain is
 *	stored in normal form (domain_normalise(): lower case, A-labels), and
 *	only when the detector takes it, so the daemon never skips a row
 *	added here.  Adding a domain that is there already changes nothing
 *	and succeeds; removing one that is not there is an error.  Each
 *	change writes an events row of kind "admin" (action protect or
 *	unprotect).  The table's triggers bump policy_version, so the
 *	daemon uses the change within a second.
 *
 *	seen lists seen_domains, the suspicious domains the daemon met,
 *	newest first by when each was first seen.
 */
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "domain.h"
#include "lookalike.h"

#define CTL_NOTE_MAX 500 /* longest note kept */

/*
 * protectable - arg in normal form in buf, when the detector takes it;
 * 0, or -1 after ctl_error()
 */
static int protectable(const char *arg, char *buf, size_t len)
{
	struct lookalike *l;
	char err[300];
	int rc = 0;

	if (domain_normalise(arg, buf, len) < 0) {
		ctl_error("\"%s\" is not a valid domain name", arg);
		return -1;
	}
	if ((l = lookalike_new()) == NULL)
		ctl_nomem();
	if (lookalike_add(l, buf, err, sizeof err) < 0) {
		ctl_error("%s cannot be protected: %s", buf, err);
		rc = -1;
	}
	lookalike_free(l);
	return rc;
}

/* protect_event - the events row of a change; 0, or -1 (said) */
static int protect_event(struct ctl *ctl, const char *domain,
			 const char *action, const char *note)
{
	char detail[DOMAIN_MAX + CTL_NOTE_MAX + 8];

	snprintf(detail, sizeof detail, "%s%s%s", domain, *note ? ": " : "",
		 note);
	return ctl_admin_event(ctl, NULL, action, detail);
}

/* print_result - "domain: what", or its JSON object */
static void print_result(struct ctl *ctl, const char *domain, int protect,
			 int changed, const char *what)
{
	if (ctl->json) {
		fputs("{\"domain\":", stdout);
		ctl_json_string(stdout, domain);
		printf(",\"protected\":%s,\"changed\":%s}\n",
		       protect ? "true" : "false", changed ? "true" : "false");
	} else {
		printf("%s: %s\n", domain, what);
	}
}

/* protected_add - protected add DOMAIN [NOTE...] */
static int protected_add(struct ctl *ctl, int argc, char **argv)
{
	char d[DOMAIN_MAX + 2], note[CTL_NOTE_MAX + 1] = "", err[512];
	size_t n = 0;
	int i, rc;

	if (protectable(argv[0], d, sizeof d) < 0)
		return CTL_ERROR;
	for (i = 1; i < argc && n < sizeof note - 1; i++)
		n += (size_t)snprintf(note + n, sizeof note - n, "%s%s",
				      i > 1 ? " " : "", argv[i]);
	if (ctl_store(ctl) == NULL)
		return CTL_ERROR;
	rc = store_admin_protect(ctl->store, d, note, err, sizeof err);
	if (rc < 0) {
		ctl_error("%s: %s", d, err);
		return CTL_ERROR;
	}
	print_result(ctl, d, 1, rc, rc ? "protected" : "already protected");
	if (rc == 0)
		return CTL_OK;
	return protect_event(ctl, d, "protect", note) < 0 ? CTL_ERROR : CTL_OK;
}

/* protected_remove - protected remove DOMAIN */
static int protected_remove(struct ctl *ctl, const char *arg)
{
	char d[DOMAIN_MAX + 2], err[512];
	int valid, rc;

	/* a row that is not a domain can be removed by its exact text */
	valid = domain_normalise(arg, d, sizeof d) == 0;
	if (!valid)
		snprintf(d, sizeof d, "%s", arg);
	if (ctl_store(ctl) == NULL)
		return CTL_ERROR;
	rc = store_admin_unprotect(ctl->store, d, err, sizeof err);
	if (rc < 0) {
		ctl_error("%s: %s", d, err);
		return CTL_ERROR;
	}
	if (rc == 0) {
		if (valid)
			ctl_error("%s: not protected", d);
		else
			ctl_error("\"%s\" is not a valid domain name", arg);
		return CTL_ERROR;
	}
	print_result(ctl, d, 0, 1, "no longer protected");
	return protect_event(ctl, d, "unprotect", "") < 0 ? CTL_ERROR : CTL_OK;
}

/* protected_list - protected list */
static int protected_list(struct ctl *ctl)
{
	static const struct ctl_col cols[] = {
		{ "DOMAIN", "domain", CTL_STR, 0 },
		{ "NOTE", "note", CTL_STR, 0 },
	};
	struct ctl_table *t;
	int rc;

	if (ctl_store(ctl) == NULL)
		return CTL_ERROR;
	t = ctl_table_make(cols, 2);
	rc = store_admin_protected(ctl->store, ctl_table_row, t);
	return ctl_table_done(ctl, t, rc, "protected_domains");
}

/* ctl_cmd_protected - protected add DOMAIN [NOTE] | remove DOMAIN | list */
int ctl_cmd_protected(struct ctl *ctl, int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "add") == 0)
		return protected_add(ctl, argc - 2, argv + 2);
	if (argc == 3 && strcmp(argv[1], "remove") == 0)
		return protected_remove(ctl, argv[2]);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return protected_list(ctl);
	return ctl_cmd_usage(argv[0]);
}

/* seen_row - a seen_domains row: each time as epoch and as text */
static int seen_row(void *arg, int n, const char *const *names,
		    const char *const *v)
{
	const char *row[7];

	(void)names;
	if (n < 5)
		return 1;
	row[0] = v[0];
	row[1] = v[1];
	row[2] = v[1];
	row[3] = v[2];
	row[4] = v[2];
	row[5] = v[3];
	row[6] = v[4];
	ctl_table_push(arg, row);
	return 0;
}

/* ctl_cmd_seen - seen [--since WHEN] [--limit N] */
int ctl_cmd_seen(struct ctl *ctl, int argc, char **argv)
{
	static const struct ctl_col cols[] = {
		{ "DOMAIN", "domain", CTL_STR, 0 },
		{ "", "first_seen_ts", CTL_NUM, CTL_JSON_ONLY },
		{ "FIRST SEEN", "first_seen", CTL_TIME, 0 },
		{ "", "last_seen_ts", CTL_NUM, CTL_JSON_ONLY },
		{ "LAST SEEN", "last_seen", CTL_TIME, 0 },
		{ "HITS", "hits", CTL_NUM, 0 },
		{ "RULE", "rule", CTL_STR, 0 },
	};
	struct ctl_list o = { .max = 50 };
	struct ctl_table *t;
	int rc;

	if ((rc = ctl_list_opts(ctl, argc, argv, CTL_OPT_SINCE | CTL_OPT_LIMIT,
				&o)) != CTL_OK)
		return rc;
	if (ctl_store(ctl) == NULL)
		return CTL_ERROR;
	t = ctl_table_make(cols, 7);
	rc = store_admin_seen(ctl->store, o.since, o.max, seen_row, t);
	return ctl_table_done(ctl, t, rc, "seen_domains");
}
