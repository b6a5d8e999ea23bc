/*
 * NAME
 *	action - names and parsing of actions
 * DESCRIPTION
 *	See action.h.
 */
#include <string.h>
#include <strings.h>

#include "action.h"

static const char *const names[] = {
	[ACTION_ACCEPT] = "accept",	    [ACTION_HEADER] = "header",
	[ACTION_QUARANTINE] = "quarantine", [ACTION_TEMPFAIL] = "tempfail",
	[ACTION_REJECT] = "reject",	    [ACTION_DISCARD] = "discard",
	[ACTION_BLOCK] = "block",
};

/* action_name - the SQL spelling of an action */
const char *action_name(enum action a)
{
	if ((unsigned)a >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[a];
}

/* action_parse - SQL spelling to action, case-insensitive */
int action_parse(const char *s, enum action *out)
{
	unsigned i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum action)i;
			return 0;
		}
	}
	return -1;
}
