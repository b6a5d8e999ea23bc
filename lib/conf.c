/*
 * NAME
 *	conf - parse outguard.conf
 * DESCRIPTION
 *	One table lists every key with its parser; an unknown key or a bad
 *	value stops the load with "file:line: problem".  Keys are
 *	case-insensitive; the value is the rest of the line, trimmed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "conf.h"
#include "log.h"

typedef int (*conf_parse_fn)(struct conf *c, size_t off, const char *v);

struct conf_key {
	const char *name;
	conf_parse_fn parse;
	size_t off;
};

#define FIELD(f) offsetof(struct conf, f)

/* set_string - any non-empty string */
static int set_string(struct conf *c, size_t off, const char *v)
{
	char **p = (char **)((char *)c + off);
	char *dup;

	if (*v == '\0')
		return -1;
	if ((dup = strdup(v)) == NULL)
		return -1;
	free(*p);
	*p = dup;
	return 0;
}

/* set_socket - a libmilter socket spec; inet ones must name the host */
static int set_socket(struct conf *c, size_t off, const char *v)
{
	static const char *const kinds[] = { "unix:", "local:", "inet:",
					     "inet6:" };
	unsigned i;
	const char *at;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strncasecmp(v, kinds[i], strlen(kinds[i])) != 0 ||
		    v[strlen(kinds[i])] == '\0')
			continue;
		/* inet without @HOST binds every interface: refuse it */
		at = strchr(v, '@');
		if (i >= 2 && (at == NULL || at[1] == '\0'))
			return -1;
		return set_string(c, off, v);
	}
	if (v[0] == '/') /* a bare path is a unix socket */
		return set_string(c, off, v);
	return -1;
}

/* set_umask - an octal umask, 0 to 0777 */
static int set_umask(struct conf *c, size_t off, const char *v)
{
	char *end;
	long m;

	(void)off;
	errno = 0;
	m = strtol(v, &end, 8);
	if (errno || *end != '\0' || m < 0 || m > 0777)
		return -1;
	c->umask = (int)m;
	return 0;
}

/* conf_inet_parse - split an inet:PORT@HOST spec */
int conf_inet_parse(const char *spec, struct conf_inet *out)
{
	const char *p = spec, *at;
	size_t len;
	char *end;
	unsigned long port;

	memset(out, 0, sizeof(*out));
	if (strncasecmp(p, "inet6:", 6) == 0) {
		out->v6 = 1;
		p += 6;
	} else if (strncasecmp(p, "inet:", 5) == 0) {
		p += 5;
	} else {
		return -1;
	}
	if (!isdigit((unsigned char)*p))
		return -1;
	port = strtoul(p, &end, 10);
	if (*end != '@' || port == 0 || port > 65535)
		return -1;
	at = end + 1;
	len = strlen(at);
	if (len >= 2 && at[0] == '[' && at[len - 1] == ']') {
		at++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(out->host) || strcspn(at, " \t[]/") < len)
		return -1;
	memcpy(out->host, at, len);
	out->port = (unsigned)port;
	return 0;
}

/* set_inet - an inet:PORT@HOST spec */
static int set_inet(struct conf *c, size_t off, const char *v)
{
	struct conf_inet in;

	if (conf_inet_parse(v, &in) < 0)
		return -1;
	return set_string(c, off, v);
}

/* set_bool - yes/no/true/false/1/0 */
static int set_bool(struct conf *c, size_t off, const char *v)
{
	int *p = (int *)((char *)c + off);

	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1"))
		*p = 1;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") ||
		 !strcmp(v, "0"))
		*p = 0;
	else
		return -1;
	return 0;
}

/* set_facility - a syslog facility name */
static int set_facility(struct conf *c, size_t off, const char *v)
{
	int f = log_facility_parse(v);

	(void)off;
	if (f < 0)
		return -1;
	c->syslog_facility = f;
	return 0;
}

/* set_level - a syslog level name */
static int set_level(struct conf *c, size_t off, const char *v)
{
	int l = log_level_parse(v);

	(void)off;
	if (l < 0)
		return -1;
	c->log_level = l;
	return 0;
}

/* set_store_error - enforce, tempfail or accept */
static int set_store_error(struct conf *c, size_t off, const char *v)
{
	(void)off;
	if (!strcasecmp(v, "tempfail"))
		c->on_store_error = CONF_STORE_TEMPFAIL;
	else if (!strcasecmp(v, "accept"))
		c->on_store_error = CONF_STORE_ACCEPT;
	else if (!strcasecmp(v, "enforce"))
		c->on_store_error = CONF_STORE_ENFORCE;
	else
		return -1;
	return 0;
}

/* set_mta - postfix or sendmail */
static int set_mta(struct conf *c, size_t off, const char *v)
{
	(void)off;
	if (!strcasecmp(v, "postfix"))
		c->mta = CONF_MTA_POSTFIX;
	else if (!strcasecmp(v, "sendmail"))
		c->mta = CONF_MTA_SENDMAIL;
	else
		return -1;
	return 0;
}

/* set_mail_log - an absolute path, or "journal" */
static int set_mail_log(struct conf *c, size_t off, const char *v)
{
	if (v[0] != '/' && strcmp(v, "journal") != 0)
		return -1;
	return set_string(c, off, v);
}

/* set_relay_name - a relay's name for quarantine.relay */
static int set_relay_name(struct conf *c, size_t off, const char *v)
{
	size_t n = strlen(v);

	/* as store_relay_valid() (store.h): quarantine.relay's form */
	if (n == 0 || n > 127 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789.-_") != n)
		return -1;
	return set_string(c, off, v);
}

static const struct conf_key keys[] = {
	{ "Socket", set_socket, FIELD(socket) },
	{ "Database", set_string, FIELD(database) },
	{ "UserID", set_string, FIELD(user_id) },
	{ "UMask", set_umask, 0 },
	{ "SocketGroup", set_string, FIELD(socket_group) },
	{ "PidFile", set_string, FIELD(pid_file) },
	{ "Syslog", set_bool, FIELD(syslog) },
	{ "SyslogFacility", set_facility, 0 },
	{ "LogLevel", set_level, 0 },
	{ "OnStoreError", set_store_error, 0 },
	{ "MTA", set_mta, 0 },
	{ "NotifyCommand", set_string, FIELD(notify_command) },
	{ "MailLog", set_mail_log, FIELD(mail_log) },
	{ "MetricsSocket", set_inet, FIELD(metrics_socket) },
	{ "RelayName", set_relay_name, FIELD(relay_name) },
};

/* What a good value of a key looks like, where its error should say. */
static const struct conf_want {
	const char *name, *want;
} wants[] = {
	{ "MetricsSocket", "inet:PORT@HOST or inet6:PORT@HOST, with a host, "
			   "e.g. inet:9101@127.0.0.1" },
	{ "RelayName", "1 to 127 letters, digits, '.', '-' or '_'" },
};

/* want - the hint for key, or NULL */
static const char *want(const char *key)
{
	unsigned i;

	for (i = 0; i < sizeof(wants) / sizeof(wants[0]); i++)
		if (strcasecmp(key, wants[i].name) == 0)
			return wants[i].want;
	return NULL;
}

/* conf_init - defaults */
void conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->socket = strdup("unix:/run/outguard/outguard.sock");
	c->database = strdup("/var/lib/outguard/outguard.db");
	c->on_store_error = CONF_STORE_ENFORCE;
	c->umask = CONF_DEFAULT_UMASK;
	c->syslog = 1;
	c->syslog_facility = LOG_MAIL;
	c->log_level = LOG_INFO;
	c->mta = CONF_MTA_POSTFIX;
}

/* conf_free - release the strings */
void conf_free(struct conf *c)
{
	free(c->socket);
	free(c->database);
	free(c->user_id);
	free(c->socket_group);
	free(c->pid_file);
	free(c->notify_command);
	free(c->mail_log);
	free(c->metrics_socket);
	free(c->relay_name);
	memset(c, 0, sizeof(*c));
}

/* conf_set - set one key by name */
int conf_set(struct conf *c, const char *key, const char *value, char *err,
	     size_t errlen)
{
	const char *hint;
	unsigned i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcasecmp(key, keys[i].name) != 0)
			continue;
		if (keys[i].parse(c, keys[i].off, value) < 0) {
			hint = want(keys[i].name);
			snprintf(err, errlen, "bad value for %s: \"%s\"%s%s%s",
				 keys[i].name, value, hint ? " (want " : "",
				 hint ? hint : "", hint ? ")" : "");
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "unknown key \"%s\"", key);
	return -1;
}

/* trim - strip leading and trailing white space in place */
static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* conf_load - read path over the current values */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	char line[4096], why[300], *p, *key, *val;
	FILE *fp;
	int lineno = 0, rc = 0;

	if ((fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			snprintf(err, errlen, "%s:%d: line too long", path,
				 lineno);
			rc = -1;
			break;
		}
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		key = trim(line);
		if (*key == '\0')
			continue;
		for (val = key; *val && !isspace((unsigned char)*val); val++)
			;
		if (*val)
			*val++ = '\0';
		val = trim(val);
		if (*val == '\0') {
			snprintf(err, errlen, "%s:%d: %s needs a value", path,
				 lineno, key);
			rc = -1;
			break;
		}
		if (conf_set(c, key, val, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, why);
			rc = -1;
			break;
		}
	}
	fclose(fp);
	return rc;
}
