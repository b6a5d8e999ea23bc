/*
 * NAME
 *	ctl_simulate - outguardctl simulate: back-test a policy change
 * SYNOPSIS
 *	outguardctl [--json] simulate [--since WHEN] FILE.sql
 * DESCRIPTION
 *	FILE's statements run on a copy of the policy (store_sim_open: an
 *	in-memory database; the live one is only read), and the stored
 *	history - history_days days (setting, default 30) or from WHEN
 *	if that is later - is replayed through the engine with the
 *	copy's policy (lib/simulate.c).  The rows of the longest window
 *	before the start only fill the windows.  Prints per login what
 *	would have tripped, first when, and what would have been refused,
 *	held and stamped; then per login and limit.
 * DIAGNOSTICS
 *	Exit 0; 2 for a usage error or a bad FILE (a statement that fails
 *	or changes anything but the policy tables: nothing is changed);
 *	1 when the database cannot be read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "simulate.h"

#define SIM_FILE_MAX (16L << 20) /* the largest FILE read */

/* The replay being fed, for the history callback. */
struct feed {
	struct store_sim *m;
	struct sim *sim;
	char login[CTL_LOGIN_MAX + 1];
	int failed;
};

/* read_file - FILE ("-": standard input) into a string; NULL if said */
static char *read_file(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *buf = NULL;
	size_t len = 0, n;

	if (f == NULL) {
		ctl_error("%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(SIM_FILE_MAX + 1)) == NULL)
		ctl_nomem();
	while ((n = fread(buf + len, 1, SIM_FILE_MAX - len, f)) > 0)
		len += n;
	if (ferror(f) || len == SIM_FILE_MAX || memchr(buf, 0, len)) {
		ctl_error("%s: %s", path,
			  ferror(f) ? strerror(errno)
				    : "too large, or not a text file");
		free(buf);
		buf = NULL;
	} else {
		buf[len] = '\0';
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

/* feed_row - a history row: start a new login when it changes */
static int feed_row(void *arg, const char *login, long long ts, int kind, int n,
		    int new_rcpt, const char *client_addr)
{
	struct feed *fd = arg;
	struct sim_record r = { ts,
				kind == 2   ? SIM_BOUNCE
				: kind == 1 ? SIM_MESSAGE
					    : SIM_SESSION,
				n, client_addr, new_rcpt };
	struct store_user u;
	struct sim_user su;

	if (strcmp(login, fd->login) != 0) {
		snprintf(fd->login, sizeof(fd->login), "%s", login);
		if (store_sim_user(fd->m, login, &u, &su.status_from) < 0)
			return fd->failed = 1;
		su.class_name = u.class_name;
		su.status = u.status;
		if (sim_login_begin(fd->sim, login, &su) < 0)
			return fd->failed = 1;
	}
	if (sim_add(fd->sim, &r) < 0)
		return fd->failed = 1;
	return 0;
}

/* num - v as text in buf */
static const char *num(char *buf, long long v)
{
	snprintf(buf, 24, "%lld", v);
	return buf;
}

/* logins_table - one row per login that tripped */
static struct ctl_table *logins_table(const struct sim_login *r, int n)
{
	static const struct ctl_col cols[] = {
		{ "LOGIN", "login", CTL_STR, 0 },
		{ "FIRST", "first", CTL_TIME, 0 },
		{ "BLOCKED", "blocked", CTL_TIME, 0 },
		{ "REFUSED", "refused_msgs", CTL_NUM, 0 },
		{ "RCPTS", "refused_rcpts", CTL_NUM, 0 },
		{ "HELD", "held_msgs", CTL_NUM, 0 },
		{ "RCPTS", "held_rcpts", CTL_NUM, 0 },
		{ "STAMPED", "stamped_msgs", CTL_NUM, 0 },
		{ "RCPTS", "stamped_rcpts", CTL_NUM, 0 },
		{ "MSGS", "msgs", CTL_NUM, 0 },
		{ "ATTEMPTS", "attempts", CTL_NUM, 0 },
		{ "", "first_epoch", CTL_NUM, CTL_JSON_ONLY },
		{ "", "blocked_epoch", CTL_NUM, CTL_JSON_ONLY },
	};
	struct ctl_table *t = ctl_table_make(cols, 13);
	char b[13][24];
	const char *v[13];

	for (int i = 0; i < n; i++) {
		v[0] = r[i].login;
		v[1] = num(b[1], r[i].first);
		v[2] = r[i].blocked ? num(b[2], r[i].blocked) : NULL;
		v[3] = num(b[3], r[i].refused_msgs);
		v[4] = num(b[4], r[i].refused_rcpts);
		v[5] = num(b[5], r[i].held_msgs);
		v[6] = num(b[6], r[i].held_rcpts);
		v[7] = num(b[7], r[i].stamped_msgs);
		v[8] = num(b[8], r[i].stamped_rcpts);
		v[9] = num(b[9], r[i].msgs);
		v[10] = num(b[10], r[i].attempts);
		v[11] = num(b[11], r[i].first);
		v[12] = r[i].blocked ? num(b[12], r[i].blocked) : NULL;
		ctl_table_push(t, v);
	}
	return t;
}

/* trips_table - one row per login and limit (or block) */
static struct ctl_table *trips_table(const struct sim_login *r, int n)
{
	static const struct ctl_col cols[] = {
		{ "LOGIN", "login", CTL_STR, 0 },
		{ "LIMIT", "limit_id", CTL_NUM, 0 },
		{ "METRIC", "metric", CTL_STR, 0 },
		{ "WINDOW", "window", CTL_STR, CTL_TEXT_ONLY },
		{ "WINDOW_S", "window_s", CTL_NUM, CTL_JSON_ONLY },
		{ "THRESHOLD", "threshold", CTL_NUM, 0 },
		{ "ACTION", "action", CTL_STR, 0 },
		{ "FIRST", "first", CTL_TIME, 0 },
		{ "MSGS", "msgs", CTL_NUM, 0 },
		{ "RCPTS", "rcpts", CTL_NUM, 0 },
		{ "", "first_epoch", CTL_NUM, CTL_JSON_ONLY },
	};
	struct ctl_table *t = ctl_table_make(cols, 11);
	const struct sim_trip *p;
	char b[11][24];
	const char *v[11];

	for (int i = 0; i < n; i++) {
		for (int j = 0; j < r[i].ntrips; j++) {
			p = &r[i].trips[j];
			v[0] = r[i].login;
			v[1] = num(b[1], p->limit_id);
			v[2] = p->kind == VERDICT_BLOCKED
				       ? "blocked"
				       : policy_metric_name(p->metric);
			ctl_format_duration(p->window_s, b[3], sizeof(b[3]));
			v[3] = p->window_s > 0 ? b[3] : NULL;
			v[4] = num(b[4], p->window_s);
			v[5] = p->kind == VERDICT_BLOCKED
				       ? NULL
				       : num(b[5], p->threshold);
			v[6] = action_name(p->action);
			v[7] = num(b[7], p->first);
			v[8] = num(b[8], p->msgs);
			v[9] = num(b[9], p->rcpts);
			v[10] = num(b[10], p->first);
			ctl_table_push(t, v);
		}
	}
	return t;
}

/* print - the totals, the logins and their trips */
static void print(struct ctl *ctl, const char *file, long long from,
		  const struct sim *sim)
{
	const struct sim_login *r;
	struct ctl_table *lt, *tt;
	struct sim_totals tot;
	char when[64];
	int n;

	r = sim_results(sim, &n);
	sim_totals_get(sim, &tot);
	lt = logins_table(r, n);
	tt = trips_table(r, n);
	ctl_format_time((time_t)from, when, sizeof(when));
	if (ctl->json) {
		printf("{\"file\":");
		ctl_json_string(stdout, file);
		printf(",\"from\":");
		ctl_json_string(stdout, when);
		printf(",\"from_epoch\":%lld,\"logins_replayed\":%ld,"
		       "\"sessions\":%ld,\"msgs\":%ld,\"rcpts\":%ld,"
		       "\"logins_tripped\":%ld,\"logins\":",
		       from, tot.logins, tot.sessions, tot.msgs, tot.rcpts,
		       tot.tripped);
		ctl_table_json(lt, stdout);
		printf(",\"trips\":");
		ctl_table_json(tt, stdout);
		printf("}\n");
	} else {
		printf("%s replayed from %s: %ld logins, %ld sessions, "
		       "%ld messages, %ld recipients; %ld logins tripped\n",
		       file, when, tot.logins, tot.sessions, tot.msgs,
		       tot.rcpts, tot.tripped);
		if (n > 0) {
			printf("\n");
			ctl_table_print(lt, 0, stdout);
			printf("\n");
			ctl_table_print(tt, 0, stdout);
		}
	}
	ctl_table_free(lt);
	ctl_table_free(tt);
}

/* replay - the copy's policy over the history from `from`; CTL_* */
static int replay(struct ctl *ctl, struct store_sim *m, const char *file,
		  time_t since)
{
	struct feed fd = { m, NULL, "", 0 };
	struct policy *p;
	long long from;
	char err[512];
	int rc = CTL_ERROR;

	if ((p = store_sim_policy(m, err, sizeof(err))) == NULL) {
		ctl_error("%s", err);
		return CTL_ERROR;
	}
	from = (long long)ctl->now -
	       policy_setting_long(p, "history_days", 30) * 86400LL;
	if ((long long)since > from)
		from = since;
	if ((fd.sim = sim_new(p, from)) == NULL)
		ctl_nomem();
	if (store_sim_history(m, from - p->max_window, feed_row, &fd, err,
			      sizeof(err)) < 0)
		ctl_error("%s", err);
	else if (fd.failed || sim_login_end(fd.sim) < 0)
		ctl_error("replaying the history failed (out of memory?)");
	else
		rc = CTL_OK;
	if (rc == CTL_OK)
		print(ctl, file, from, fd.sim);
	sim_free(fd.sim);
	policy_free(p);
	return rc;
}

/* ctl_cmd_simulate - simulate [--since WHEN] FILE.sql */
int ctl_cmd_simulate(struct ctl *ctl, int argc, char **argv)
{
	const char *file = NULL, *val;
	struct store_sim *m;
	time_t since = 0;
	char err[512], *sql;
	int i, o, rc;

	for (i = 1; i < argc; i++) {
		if ((o = ctl_opt(argc, argv, &i, "--since", &val)) < 0)
			return ctl_cmd_usage(argv[0]);
		if (o == 1) {
			if (ctl_parse_since(val, ctl->now, &since) < 0) {
				ctl_error("bad time: %s", val);
				return CTL_USAGE;
			}
		} else if (file == NULL &&
			   (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
			file = argv[i];
		} else {
			return ctl_cmd_usage(argv[0]);
		}
	}
	if (file == NULL)
		return ctl_cmd_usage(argv[0]);
	if ((sql = read_file(file)) == NULL)
		return CTL_USAGE;
	if (ctl_store(ctl) == NULL) {
		free(sql);
		return CTL_ERROR;
	}
	m = store_sim_open(ctl->store, sql, err, sizeof(err));
	free(sql);
	if (m == NULL) {
		ctl_error("%s%s%s%s", strncmp(err, "line ", 5) ? "" : file,
			  strncmp(err, "line ", 5) ? "" : ", ", err,
			  strncmp(err, "line ", 5) ? ""
						   : " (nothing was changed)");
		return strncmp(err, "line ", 5) ? CTL_ERROR : CTL_USAGE;
	}
	rc = replay(ctl, m, file, since);
	store_sim_close(m);
	return rc;
}
