/*
 * NAME
 *	test_conf - outguard.conf parsing, table-driven
 * DESCRIPTION
 *	Each row is a config text and either the error it must produce
 *	(with file:line) or a value it must set.
 */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "conf.h"

struct row {
	const char *text;
	const char *want_err; /* suffix after "PATH:", or NULL for ok */
};

static const struct row rows[] = {
	{ "Socket unix:/run/x.sock\nDatabase /tmp/x.db\n", NULL },
	{ "# comment only\n\n   \n", NULL },
	{ "Socket inet:9999@127.0.0.1 # trailing comment\n", NULL },
	{ "Syslog yes\nSyslog no\nSyslog true\n", NULL },
	{ "OnStoreError accept\nMTA sendmail\nLogLevel debug\n", NULL },
	{ "SyslogFacility local3\nNotifyCommand /bin/echo hi\n", NULL },
	{ "Socket unix:/x\nBogusKey 1\n", "2: unknown key \"BogusKey\"" },
	{ "Syslog maybe\n", "1: bad value for Syslog: \"maybe\"" },
	{ "\n\nOnStoreError ignore\n",
	  "3: bad value for OnStoreError: \"ignore\"" },
	{ "MTA exim\n", "1: bad value for MTA: \"exim\"" },
	{ "LogLevel loud\n", "1: bad value for LogLevel: \"loud\"" },
	{ "SyslogFacility kitchen\n",
	  "1: bad value for SyslogFacility: \"kitchen\"" },
	{ "Socket tcp:25\n", "1: bad value for Socket: \"tcp:25\"" },
	{ "Database\n", "1: Database needs a value" },
	{ "Socket inet:8891\n", "1: bad value for Socket: \"inet:8891\"" },
	{ "Socket inet6:8891@\n", "1: bad value for Socket: \"inet6:8891@\"" },
	{ "Socket inet6:8891@[::1]\nUMask 027\nSocketGroup postfix\n", NULL },
	{ "UMask 0777\nUMask 0\n", NULL },
	{ "UMask 8\n", "1: bad value for UMask: \"8\"" },
	{ "UMask 01000\n", "1: bad value for UMask: \"01000\"" },
	{ "UMask -1\n", "1: bad value for UMask: \"-1\"" },
	{ "socket unix:/lower/case/key/is/fine\n", NULL },
	{ "MailLog /var/log/mail.log\nMailLog journal\n", NULL },
	{ "MailLog var/log/mail.log\n",
	  "1: bad value for MailLog: \"var/log/mail.log\"" },
	{ "MailLog Journal\n", "1: bad value for MailLog: \"Journal\"" },
	{ "MetricsSocket inet:9101@127.0.0.1\n", NULL },
	{ "MetricsSocket inet6:9101@::1\n", NULL },
	{ "MetricsSocket inet:9101\n",
	  "1: bad value for MetricsSocket: \"inet:9101\" (want inet:PORT@HOST "
	  "or inet6:PORT@HOST, with a host, e.g. inet:9101@127.0.0.1)" },
	{ "MetricsSocket unix:/run/m.sock\n",
	  "1: bad value for MetricsSocket: \"unix:/run/m.sock\" (want "
	  "inet:PORT@HOST or inet6:PORT@HOST, with a host, e.g. "
	  "inet:9101@127.0.0.1)" },
	{ "RelayName relay-2.example_net\n", NULL },
	{ "RelayName relay 2\n",
	  "1: bad value for RelayName: \"relay 2\" (want 1 to 127 letters, "
	  "digits, '.', '-' or '_')" },
	{ "RelayName relay/2\n",
	  "1: bad value for RelayName: \"relay/2\" (want 1 to 127 letters, "
	  "digits, '.', '-' or '_')" },
};

/* write_file - text to a temp file; its path */
static char *write_file(const char *text)
{
	static char path[64];
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "/tmp/og-conf-XXXXXX");
	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
	return path;
}

/* run_row - one row */
static void run_row(const struct row *r)
{
	char *path = write_file(r->text), err[600], want[600];
	struct conf c;
	int rc;

	conf_init(&c);
	err[0] = '\0';
	rc = conf_load(&c, path, err, sizeof(err));
	if (r->want_err == NULL) {
		CHECK_STR(r->text, err, "");
		CHECK_INT(r->text, rc, 0);
	} else {
		snprintf(want, sizeof(want), "%s:%s", path, r->want_err);
		CHECK_STR(r->text, err, want);
		CHECK_INT(r->text, rc, -1);
	}
	conf_free(&c);
	unlink(path);
}

/* test_values - what a good file sets */
static void test_values(void)
{
	char *path = write_file("Socket inet:8891@127.0.0.1\n"
				"Database /var/tmp/og.db\nUserID outguard\n"
				"OnStoreError accept\nMTA sendmail\n"
				"NotifyCommand logger -t og\n"
				"UMask 027\nSocketGroup mail\n"
				"MailLog /var/log/mail.log\n");
	struct conf c;
	char err[600];

	conf_init(&c);
	CHECK_STR("default socket", c.socket,
		  "unix:/run/outguard/outguard.sock");
	CHECK_INT("default store error", c.on_store_error, CONF_STORE_ENFORCE);
	CHECK_INT("default umask: a 0660 socket", c.umask, 007);
	CHECK_INT("no socket group by default", c.socket_group == NULL, 1);
	CHECK_INT("MailLog off by default", c.mail_log == NULL, 1);
	CHECK_INT("load", conf_load(&c, path, err, sizeof(err)), 0);
	CHECK_STR("socket", c.socket, "inet:8891@127.0.0.1");
	CHECK_STR("database", c.database, "/var/tmp/og.db");
	CHECK_STR("user", c.user_id, "outguard");
	CHECK_STR("notify keeps spaces", c.notify_command, "logger -t og");
	CHECK_INT("store error", c.on_store_error, CONF_STORE_ACCEPT);
	CHECK_INT("mta", c.mta, CONF_MTA_SENDMAIL);
	CHECK_INT("umask", c.umask, 027);
	CHECK_STR("socket group", c.socket_group, "mail");
	CHECK_STR("mail log", c.mail_log, "/var/log/mail.log");
	conf_free(&c);
	unlink(path);
}

/* test_missing - a missing file names itself */
static void test_missing(void)
{
	struct conf c;
	char err[600];

	conf_init(&c);
	CHECK_INT("missing file",
		  conf_load(&c, "/nonexistent/og.conf", err, sizeof(err)), -1);
	CHECK_STR("missing file message", err,
		  "/nonexistent/og.conf: No such file or directory");
	conf_free(&c);
}

int main(void)
{
	unsigned i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	test_values();
	test_missing();
	return check_done();
}
