/*
 * NAME
 *	outguardctl - the outguard admin tool
 * SYNOPSIS
 *	outguardctl [-c FILE | -d DB] [-r RELAY] [--json] COMMAND [ARG...]
 * DESCRIPTION
 *	Reads and changes the database the daemon uses, while it runs:
 *	the database is in WAL mode and every connection waits for locks
 *	(store_conn_open), so the daemon and outguardctl do not disturb
 *	each other.  -c names the config file whose Database is used
 *	(default /etc/outguard/outguard.conf); -d names the database
 *	directly.  --json, accepted anywhere before "--", makes every
 *	command print JSON for scripts instead of aligned text.
 *
 *	The relay this runs on (whose MTA holds the quarantined mail it may
 *	release or delete) is -r RELAY, else the RelayName of the config
 *	used (-c, or the default one without -d), else $OUTGUARD_RELAY,
 *	else the host name: as the daemon names itself.
 *
 *	This file parses the global options, opens the store when a
 *	command first asks for it, dispatches through ctl_cmds[] and holds
 *	the small parsers and formatters the commands share.
 * DIAGNOSTICS
 *	Exit 0 on success, 1 on an error (with "outguardctl: ..." on
 *	stderr), 2 on a usage error, 3 when quarantined mail held on
 *	another relay was named but not acted on (CTL_REMOTE).  A missing database is an error: the
 *	tool never creates one.
 */
#define _GNU_SOURCE /* strptime */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"
#include "log.h"
#include "version.h"

#define PROG "outguardctl"

/* ctl_error - print "outguardctl: ..." on stderr */
void ctl_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	putc('\n', stderr);
}

/* ctl_nomem - say "out of memory" and exit 1 */
void ctl_nomem(void)
{
	ctl_error("out of memory");
	exit(CTL_ERROR);
}

/* usage - the program's usage on f */
static void usage(FILE *f)
{
	const struct ctl_cmd *c;

	fprintf(f, "usage: " PROG " [-c FILE | -d DB] [-r RELAY] [--json] "
		   "COMMAND [ARG...]\n"
		   "  -c FILE  take the Database of config FILE "
		   "(default " CONF_DEFAULT_PATH ")\n"
		   "  -d DB    use the database file DB\n"
		   "  -r RELAY this relay's name (default: RelayName, else "
		   "the host name)\n"
		   "  --json   print JSON instead of text\n"
		   "  -V       print the version\n"
		   "commands:\n");
	for (c = ctl_cmds; c->name; c++)
		fprintf(f, "  %s %s\n      %s\n", c->name, c->synopsis,
			c->help);
	fputs("DURATION is seconds or a number with s, m, h, d or w "
	      "(30m, 1h, 2d).\n",
	      f);
}

/* ctl_cmd_usage - print the usage of command name on stderr; CTL_USAGE */
int ctl_cmd_usage(const char *name)
{
	const struct ctl_cmd *c;

	for (c = ctl_cmds; c->name; c++)
		if (strcmp(c->name, name) == 0)
			fprintf(stderr,
				"usage: " PROG " [-c FILE | -d DB] "
				"[-r RELAY] [--json] %s %s\n",
				c->name, c->synopsis);
	return CTL_USAGE;
}

/* ctl_store - the store, opened on first use; NULL after ctl_error() */
struct store *ctl_store(struct ctl *ctl)
{
	char err[512];
	struct stat st;

	if (ctl->store)
		return ctl->store;
	/* a permission problem is explained by store_open() */
	if (strstr(ctl->db_path, "://") == NULL && /* PostgreSQL URI */
	    stat(ctl->db_path, &st) < 0 && errno != EACCES) {
		if (errno == ENOENT)
			ctl_error("no database at %s: start outguard once or "
				  "run outguard -n",
				  ctl->db_path);
		else
			ctl_error("%s: %s", ctl->db_path, strerror(errno));
		return NULL;
	}
	ctl->store = store_open(ctl->db_path, 0, err, sizeof err);
	if (ctl->store == NULL &&
	    (strncmp(err, ctl->db_path, strlen(ctl->db_path)) == 0 ||
	     strstr(ctl->db_path, "://") != NULL)) /* no password shown */
		ctl_error("%s", err); /* it names the file already */
	else if (ctl->store == NULL)
		ctl_error("%s: %s", ctl->db_path, err);
	return ctl->store;
}

/* ctl_opt - match argv[*i] against option name, see ctl.h */
int ctl_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);
	const char *a = argv[*i];

	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != 0)
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

/* list_opt - one option of a listing command; 1 taken, 0 not, -1 bad */
static int list_opt(struct ctl *ctl, int argc, char **argv, int *i, int allow,
		    struct ctl_list *o)
{
	const char *v;
	int r;

	if ((allow & CTL_OPT_WINDOW) &&
	    (r = ctl_opt(argc, argv, i, "--window", &v)) != 0)
		return r < 0 || ctl_parse_duration(v, &o->window) < 0
			       ? (ctl_error("bad duration: %s", argv[*i]), -1)
			       : 1;
	if ((allow & CTL_OPT_SINCE) &&
	    (r = ctl_opt(argc, argv, i, "--since", &v)) != 0)
		return r < 0 || ctl_parse_since(v, ctl->now, &o->since) < 0
			       ? (ctl_error("bad time: %s", argv[*i]), -1)
			       : 1;
	if ((allow & CTL_OPT_LOGIN) &&
	    (r = ctl_opt(argc, argv, i, "--login", &v)) != 0) {
		if (r < 0 ||
		    ctl_login(v, o->login_buf, sizeof(o->login_buf)) < 0)
			return -1;
		o->login = o->login_buf;
		return 1;
	}
	if ((allow & CTL_OPT_LIMIT) &&
	    (r = ctl_opt(argc, argv, i, "--limit", &v)) != 0)
		return r < 0 || ctl_parse_count(v, &o->max) < 0
			       ? (ctl_error("bad limit: %s", argv[*i]), -1)
			       : 1;
	return 0;
}

/* ctl_list_opts - the options of a listing command, see ctl.h */
int ctl_list_opts(struct ctl *ctl, int argc, char **argv, int allow,
		  struct ctl_list *o)
{
	int i, r;

	for (i = 1; i < argc; i++) {
		r = list_opt(ctl, argc, argv, &i, allow, o);
		if (r < 0)
			return CTL_USAGE;
		if (r == 0)
			return ctl_cmd_usage(argv[0]);
	}
	return CTL_OK;
}

/* ctl_parse_duration - "30m", "1h", "2d", "1w", "3600"; 0, or -1 */
int ctl_parse_duration(const char *s, long *out)
{
	static const char units[] = "smhdw";
	static const long mult[] = { 1, 60, 3600, 86400, 604800 };
	const char *u;
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || v <= 0)
		return -1;
	if (*end == 0) {
		*out = v;
	} else {
		if (end[1] != 0 || (u = strchr(units, *end)) == NULL)
			return -1;
		if (v > LONG_MAX / mult[u - units])
			return -1;
		*out = v * mult[u - units];
	}
	return *out <= 100L * 366 * 86400 ? 0 : -1;
}

/* ctl_parse_count - a number 0..1000000; 0, or -1 */
int ctl_parse_count(const char *s, int *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v > 1000000)
		return -1;
	*out = (int)v;
	return 0;
}

/*
 * ctl_parse_since - a point in time: a duration ago ("2h", "3600"), a
 * bare number of 100000000 or more as epoch seconds, or a local date
 * "YYYY-MM-DD" with an optional "THH:MM[:SS]".  0, or -1.
 */
int ctl_parse_since(const char *s, time_t now, time_t *out)
{
	static const char *const fmts[] = { "%Y-%m-%dT%H:%M:%S",
					    "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	struct tm tm;
	const char *end;
	long d;
	char *e;
	size_t i;

	if (strspn(s, "0123456789") == strlen(s) && *s) {
		errno = 0;
		d = strtol(s, &e, 10);
		if (errno == 0 && d >= 100000000L) {
			*out = (time_t)d;
			return 0;
		}
	}
	if (ctl_parse_duration(s, &d) == 0) {
		*out = now - d;
		return 0;
	}
	for (i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		memset(&tm, 0, sizeof tm);
		end = strptime(s, fmts[i], &tm);
		if (end && *end == 0) {
			tm.tm_isdst = -1;
			*out = mktime(&tm);
			return *out == (time_t)-1 ? -1 : 0;
		}
	}
	return -1;
}

/* ctl_format_duration - 3600 to "1h", 90 to "90s" */
void ctl_format_duration(long secs, char *buf, size_t len)
{
	if (secs > 0 && secs % 604800 == 0)
		snprintf(buf, len, "%ldw", secs / 604800);
	else if (secs > 0 && secs % 86400 == 0)
		snprintf(buf, len, "%ldd", secs / 86400);
	else if (secs > 0 && secs % 3600 == 0)
		snprintf(buf, len, "%ldh", secs / 3600);
	else if (secs > 0 && secs % 60 == 0)
		snprintf(buf, len, "%ldm", secs / 60);
	else
		snprintf(buf, len, "%lds", secs);
}

/* ctl_format_time - local ISO-8601 "2024-05-01T12:00:00+02:00" */
void ctl_format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	size_t n;

	if (localtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm)) < 5 ||
	    n + 2 > len) {
		snprintf(buf, len, "%lld", (long long)t);
		return;
	}
	/* +0200 to +02:00 */
	memmove(buf + n - 1, buf + n - 2, 3);
	buf[n - 2] = ':';
}

/*
 * ctl_admin_name - who runs this: $SUDO_USER when set, else the name of
 * the real uid (its number when it has none); control characters become
 * '?'.  Returns buf.
 */
const char *ctl_admin_name(char *buf, size_t len)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw;
	size_t i;

	if (sudo && *sudo)
		snprintf(buf, len, "%s", sudo);
	else if ((pw = getpwuid(getuid())) != NULL)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)getuid());
	for (i = 0; buf[i]; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = '?';
	return buf;
}

/* ctl_login - check and lower-case a login into buf; 0, or -1 */
int ctl_login(const char *arg, char *buf, size_t len)
{
	size_t i, n = strlen(arg);

	if (n == 0 || n > CTL_LOGIN_MAX || n >= len) {
		ctl_error("bad login: %s", n ? "too long" : "empty");
		return -1;
	}
	for (i = 0; i <= n; i++) {
		if (arg[i] != 0 && (unsigned char)arg[i] < 0x20) {
			ctl_error("bad login: control character");
			return -1;
		}
		buf[i] = (char)tolower((unsigned char)arg[i]);
	}
	return 0;
}

/* strip_json - remove every "--json" before "--" from argv; 1 if any */
static int strip_json(int *argc, char **argv)
{
	int i, j, found = 0;

	for (i = j = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < *argc)
				argv[j++] = argv[i++];
			break;
		}
		if (strcmp(argv[i], "--json") == 0)
			found = 1;
		else
			argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return found;
}

/*
 * db_from_conf - the Database of config file path (malloced), or NULL;
 * its RelayName (malloced, NULL when none) into *relay
 */
static char *db_from_conf(const char *path, char **relay)
{
	struct conf c;
	char err[512], *db = NULL;

	conf_init(&c);
	if (conf_load(&c, path, err, sizeof err) < 0)
		ctl_error("%s", err);
	else if (c.database == NULL || *c.database == 0)
		ctl_error("%s: no Database", path);
	else if ((db = strdup(c.database)) == NULL)
		ctl_nomem();
	if (db != NULL && c.relay_name != NULL &&
	    (*relay = strdup(c.relay_name)) == NULL)
		ctl_nomem();
	conf_free(&c);
	return db;
}

/* optarg_of - the value of -cFILE or -c FILE at argv[*i], or NULL */
static const char *optarg_of(int argc, char **argv, int *i)
{
	if (argv[*i][2])
		return argv[*i] + 2;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

/* find_cmd - the command called name, or NULL after an error */
static const struct ctl_cmd *find_cmd(const char *name)
{
	const struct ctl_cmd *c;

	for (c = ctl_cmds; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	ctl_error("unknown command \"%s\" (try --help)", name);
	return NULL;
}

/*
 * parse_globals - the options before the command: -c, -d, -h, -V.
 * Returns the index of the command in argv, or -1 with the exit
 * status in *rc (help and version print and succeed).
 */
static int parse_globals(int argc, char **argv, const char **conf_path,
			 const char **db, const char **relay, int *rc)
{
	const char **opt;
	int i;

	*rc = CTL_USAGE;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			*rc = CTL_OK;
			return -1;
		}
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf(PROG " " OUTGUARD_VERSION "\n");
			*rc = CTL_OK;
			return -1;
		}
		opt = !strncmp(argv[i], "-c", 2)   ? conf_path
		      : !strncmp(argv[i], "-d", 2) ? db
		      : !strncmp(argv[i], "-r", 2) ? relay
						   : NULL;
		if (opt == NULL || *opt != NULL) {
			ctl_error("bad option: %s", argv[i]);
			return -1;
		}
		if ((*opt = optarg_of(argc, argv, &i)) == NULL) {
			ctl_error("option %s needs an argument", argv[i]);
			return -1;
		}
	}
	if (*conf_path && *db) {
		ctl_error("-c and -d exclude each other");
		return -1;
	}
	if (*relay && !store_relay_valid(*relay)) {
		ctl_error("bad relay name: %s", *relay);
		return -1;
	}
	if (i >= argc)
		usage(stderr);
	return i < argc ? i : -1;
}

/* main - global options, then the command */
int main(int argc, char **argv)
{
	struct ctl ctl = { 0 };
	const struct ctl_cmd *cmd;
	const char *conf_path = NULL, *db = NULL, *relay = NULL;
	char *conf_db = NULL, *conf_relay = NULL, host[STORE_RELAY_MAX];
	int i, rc;

	ctl.json = strip_json(&argc, argv);
	ctl.now = time(NULL);
	if ((i = parse_globals(argc, argv, &conf_path, &db, &relay, &rc)) < 0)
		return rc;
	if (strcmp(argv[i], "help") == 0) {
		usage(stdout);
		return CTL_OK;
	}
	if ((cmd = find_cmd(argv[i])) == NULL)
		return CTL_USAGE;
	log_open(PROG, 0, LOG_MAIL, LOG_WARNING, 1);
	if (db == NULL) {
		conf_db = db_from_conf(
			conf_path ? conf_path : CONF_DEFAULT_PATH, &conf_relay);
		if (conf_db == NULL) {
			if (conf_path == NULL)
				ctl_error("name the config with -c FILE or "
					  "the database with -d DB");
			return CTL_ERROR;
		}
	}
	ctl.db_path = db ? db : conf_db;
	store_relay_default(host, sizeof host);
	ctl.relay = relay ? relay : conf_relay ? conf_relay : host;
	/* which MTA holds quarantined mail comes from the config (-c) */
	ctl.conf_path = db ? NULL : (conf_path ? conf_path : CONF_DEFAULT_PATH);
	rc = cmd->run(&ctl, argc - i, argv + i);
	store_close(ctl.store);
	free(conf_db);
	free(conf_relay);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		ctl_error("stdout: %s", strerror(errno));
		rc = CTL_ERROR;
	}
	return rc;
}
