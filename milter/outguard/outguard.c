/*
 * NAME
 *	outguard - the milter daemon
 * SYNOPSIS
 *	outguard [-c FILE] [-p SOCKET] [-f] [-n] [-V]
 * DESCRIPTION
 *	Reads the config, checks it and the database before anything
 *	else (so a mistake shows on the terminal), detaches unless -f,
 *	starts the guard (store writer, policy watcher, notifier), opens
 *	the libmilter socket (listen.c: who may connect) and the
 *	MetricsSocket if there is one, drops privileges to UserID and hands
 *	over to smfi_main() until SIGTERM.  -n only checks: config, socket
 *	permissions (warnings), MetricsSocket's host, database (created and
 *	migrated if missing) and every policy row, printing each problem;
 *	exit 0 when there are none.
 * DIAGNOSTICS
 *	Start-up problems print "outguard: ..." on stderr and exit 1.
 */
#include <errno.h>
#include <pthread.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "callbacks.h"
#include "conf.h"
#include "daemon.h"
#include "guard.h"
#include "listen.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "version.h"

struct opts {
	const char *conf_path;
	const char *socket;
	int foreground, check;
};

/* usage - print usage and exit */
static void usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: outguard [-c FILE] [-p SOCKET] [-f] [-n] [-V]\n"
		"  -c FILE    config (default " CONF_DEFAULT_PATH ")\n"
		"  -p SOCKET  socket: unix:/path, inet:PORT@HOST, ...\n"
		"  -f         stay in the foreground, log to stderr\n"
		"  -n         check config, database and policy; exit 0/1\n"
		"  -V         print the version\n");
	exit(rc);
}

/* daemon_die - a start-up error: print it and exit 1 */
void daemon_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "outguard: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* load_conf - defaults, the file, then -p */
static void load_conf(struct conf *c, const struct opts *o)
{
	char err[600];
	struct stat st;

	conf_init(c);
	if (o->conf_path != NULL || stat(CONF_DEFAULT_PATH, &st) == 0) {
		if (conf_load(c,
			      o->conf_path ? o->conf_path : CONF_DEFAULT_PATH,
			      err, sizeof(err)) < 0)
			daemon_die("%s", err);
	}
	if (o->socket && conf_set(c, "Socket", o->socket, err, sizeof(err)))
		daemon_die("-p: %s", err);
}

/* lookup_user - UserID "user[:group]" to ids; -1 if unknown */
static int lookup_user(const char *spec, uid_t *uid, gid_t *gid)
{
	char name[256], *colon;
	struct passwd *pw;
	struct group *gr;

	snprintf(name, sizeof(name), "%s", spec);
	if ((colon = strchr(name, ':')) != NULL)
		*colon++ = '\0';
	if ((pw = getpwnam(name)) == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (colon != NULL) {
		if ((gr = getgrnam(colon)) == NULL)
			return -1;
		*gid = gr->gr_gid;
	}
	return 0;
}

/*
 * owners - who runs the daemon and owns the socket: UserID's user and
 * group (else the current ones), and SocketGroup (else that group).
 * Returns -1 with the reason in err when a name is unknown.
 */
static int owners(const struct conf *c, uid_t *uid, gid_t *gid, gid_t *sock_gid,
		  char *err, size_t errlen)
{
	*uid = getuid();
	*gid = getgid();
	if (c->user_id && lookup_user(c->user_id, uid, gid) < 0) {
		snprintf(err, errlen, "UserID %s: no such user or group",
			 c->user_id);
		return -1;
	}
	*sock_gid = *gid;
	if (listen_group(c, sock_gid) < 0) {
		snprintf(err, errlen, "SocketGroup %s: no such group",
			 c->socket_group);
		return -1;
	}
	return 0;
}

/* check_say - print one of listen_check()'s lines for -n */
static void check_say(const char *line)
{
	printf("%s%s\n", strncmp(line, "note:", 5) ? "warning: " : "", line);
}

/* start_say - log one of listen_check()'s lines at start */
static void start_say(const char *line)
{
	log_msg(strncmp(line, "note:", 5) ? LOG_WARNING : LOG_NOTICE, "%s",
		line);
}

/* check - -n: config, socket, database, policy; returns the exit code */
static int check(const struct conf *c)
{
	struct store *s;
	struct policy *p;
	char err[600], db[512];
	uid_t uid;
	gid_t gid, sock_gid;
	int i, problems = 0;

	if (owners(c, &uid, &gid, &sock_gid, err, sizeof(err)) < 0) {
		printf("%s\n", err);
		problems++;
	} else {
		listen_check(c, uid, sock_gid, check_say);
	}
	if (c->metrics_socket &&
	    metrics_http_check(c->metrics_socket, err, sizeof(err)) < 0) {
		printf("%s\n", err);
		problems++;
	}
	if ((s = store_open(c->database, STORE_CREATE, err, sizeof(err))) ==
	    NULL) {
		printf("database: %s\n", err);
		return 1;
	}
	/* as the daemon's start does: a database root made is UserID's */
	if (c->user_id && getuid() == 0 && problems == 0 &&
	    store_chown(s, uid, gid) < 0) {
		printf("database: cannot hand it to UserID %s: %s\n",
		       c->user_id, strerror(errno));
		problems++;
	}
	if ((p = store_policy_load(s, err, sizeof(err))) == NULL) {
		printf("policy: %s\n", err);
		problems++;
	}
	for (i = 0; p != NULL && i < p->nproblems; i++, problems++)
		printf("policy: %s\n", p->problems[i]);
	if (p != NULL && p->local_domains.n == 0)
		printf("note: %s\n", POLICY_NOTE_NO_LOCAL);
	policy_free(p);
	snprintf(db, sizeof(db), "%s", store_path(s)); /* no password */
	store_close(s);
	printf("%s: %d problem%s (database %s, socket %s)\n",
	       problems ? "outguard" : "outguard: ok", problems,
	       problems == 1 ? "" : "s", db, c->socket);
	return problems ? 1 : 0;
}

/*
 * check_quietly - can the MetricsSocket's host be resolved and the
 * database be opened (created)?  0 or -1
 */
static int check_quietly(const struct conf *c, char *err, size_t errlen)
{
	struct store *s;

	if (c->metrics_socket &&
	    metrics_http_check(c->metrics_socket, err, errlen) < 0)
		return -1;
	s = store_open(c->database, STORE_CREATE, err, errlen);
	store_close(s);
	return s == NULL ? -1 : 0;
}

/*
 * remove_socket - unlink our unix socket at exit (libmilter leaves it
 * when running as root), unless a newer outguard has replaced it.
 */
static void remove_socket(const char *spec, ino_t ino)
{
	const char *path = listen_path(spec);

	if (path != NULL && ino != 0 && listen_inode(spec) == ino &&
	    unlink(path) < 0)
		log_msg(LOG_NOTICE,
			"cannot remove socket %s: %s (the next "
			"start replaces it)",
			path, strerror(errno));
}

/* drop_privileges - become UserID */
static void drop_privileges(uid_t uid, gid_t gid)
{
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		daemon_die("cannot drop privileges: %s", strerror(errno));
}

/* write_pid - the PidFile */
static void write_pid(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		daemon_die("PidFile: %s", strerror(errno));
	fprintf(fp, "%ld\n", (long)getpid());
	fclose(fp);
}

/* stderr_is_journal - stderr is systemd's journal (JOURNAL_STREAM) */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/* run - start the daemon proper; returns smfi_main's result */
static int run(struct conf *c, int foreground)
{
	struct metrics_http *mh = NULL;
	struct guard *g;
	char err[600];
	uid_t uid;
	gid_t gid, sock_gid;
	int rc;
	ino_t sock_ino;
	sigset_t sigs;

	if (owners(c, &uid, &gid, &sock_gid, err, sizeof(err)) < 0)
		daemon_die("%s", err);
	if (check_quietly(c, err, sizeof(err)) < 0)
		daemon_die("%s", err);
	if (!foreground && daemon(0, 0) < 0)
		daemon_die("cannot detach: %s", strerror(errno));
	/* under systemd with Syslog yes, stderr would log every line twice */
	log_open("outguard", c->syslog, c->syslog_facility, c->log_level,
		 foreground && !(c->syslog && stderr_is_journal()));
	if (c->pid_file)
		write_pid(c->pid_file);
	/* libmilter's signal thread takes these; no other thread may */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((g = guard_new(c, err, sizeof(err))) == NULL)
		daemon_die("%s", err);
	callbacks_init(g);
	listen_check(c, uid, sock_gid, start_say);
	listen_open(c, uid, sock_gid);
	metrics_start();
	if (c->metrics_socket != NULL &&
	    (mh = metrics_http_start(c->metrics_socket, err, sizeof(err))) ==
		    NULL) {
		log_msg(LOG_ERR, "%s", err);
		daemon_die("%s", err);
	}
	if (c->user_id && getuid() == 0) {
		if (store_chown(guard_store(g), uid, gid) < 0)
			daemon_die("cannot hand the database to UserID: %s",
				   strerror(errno));
		drop_privileges(uid, gid);
	}
	log_msg(LOG_INFO, "outguard %s: listening on %s (database %s)",
		OUTGUARD_VERSION, c->socket, store_path(guard_store(g)));
	if (mh != NULL)
		log_msg(LOG_INFO, "metrics: serving GET /metrics on %s",
			c->metrics_socket);
	if (foreground && c->log_level < LOG_INFO) /* not said above */
		fprintf(stderr, "outguard: listening on %s\n", c->socket);
	sock_ino = listen_inode(c->socket);
	rc = smfi_main();
	log_msg(LOG_INFO, "outguard: stopping");
	metrics_http_stop(mh);
	remove_socket(c->socket, sock_ino);
	guard_free(g);
	if (c->pid_file)
		unlink(c->pid_file);
	return rc == MI_SUCCESS ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct conf c;
	int ch, rc;

	while ((ch = getopt(argc, argv, "c:p:fnVh")) != -1) {
		switch (ch) {
		case 'c':
			o.conf_path = optarg;
			break;
		case 'p':
			o.socket = optarg;
			break;
		case 'f':
			o.foreground = 1;
			break;
		case 'n':
			o.check = 1;
			break;
		case 'V':
			printf("outguard %s\n", OUTGUARD_VERSION);
			return 0;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	load_conf(&c, &o);
	log_open("outguard", 0, c.syslog_facility, c.log_level, 1);
	if (o.check)
		rc = check(&c);
	else
		rc = run(&c, o.foreground);
	conf_free(&c);
	return rc;
}
