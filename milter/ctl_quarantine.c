/*
 * NAME
 *	ctl_quarantine - outguardctl quarantine: review held mail
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_cmd_quarantine(struct ctl *ctl, int argc, char **argv);
 * DESCRIPTION
 *	The daemon writes a quarantine row when it holds a message; the
 *	MTA keeps the message.  These commands join the two:
 *
 *	list [--all] shows the held rows (every row with --all), newest
 *	first, with where the MTA has the message now: "hold", another
 *	queue's name, or "gone" when the MTA no longer has it.
 *
 *	show ID prints the row, then the message as "postcat -q" prints it.
 *
 *	release ID delivers the message at once ("postsuper -H", then
 *	"postqueue -i"); delete ID removes it ("postsuper -d ID hold").
 *	Each sets the row's status (released, deleted) and writes an
 *	events row of kind "admin".  When the MTA no longer has the
 *	message the row becomes "gone" and the command fails.
 *
 *	ID is the row's id, or failing that a queue id.
 *
 *	The MTA's tools run from PATH, without a shell, in the environment
 *	outguardctl was given, so MAIL_CONFIG selects a Postfix instance
 *	as it does for Postfix's own tools.  Only Postfix is done; with
 *	"MTA sendmail" in the config the commands say so and fail.
 * DIAGNOSTICS
 *	A tool that fails has its own message printed; the exit status
 *	is then CTL_ERROR.
 */
#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "ctl.h"

extern char **environ;

#define QUEUE_ID_MAX 64	/* longest queue id taken from postqueue -j */
#define OUT_MAX (1 << 24) /* most output read from a tool */

/* One quarantine row, as the store hands it out. */
struct qrow {
	char *v[9];	/* id, ts, queue_id, login, from, rcpts, subject,
			   reason, status; malloced or NULL */
};

/* Where Postfix has its messages: queue id and queue name pairs. */
struct mta_queue {
	char (*ids)[QUEUE_ID_MAX];
	char (*names)[16];
	int n, size;
};

/*
 * run_tool - run argv[0] from PATH with argv, in our environment.  With
 * out non-NULL, its stdout (and stderr too when merge) is read into a
 * malloced string there; otherwise both go where ours go.  Returns the
 * exit status (0..255), or -1 when it could not run or was killed
 * (said).
 */
static int run_tool(char *const argv[], char **out, int merge)
{
	posix_spawn_file_actions_t fa;
	char *buf = NULL, *nb;
	size_t len = 0, size = 0;
	ssize_t r;
	int fd[2] = { -1, -1 }, status, err;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (out && pipe(fd) < 0) {
		ctl_error("pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	if (out) {
		posix_spawn_file_actions_addclose(&fa, fd[0]);
		posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
		if (merge)
			posix_spawn_file_actions_adddup2(&fa, fd[1], 2);
		posix_spawn_file_actions_addclose(&fa, fd[1]);
	}
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (out)
		close(fd[1]);
	if (err != 0) {
		ctl_error("cannot run %s: %s", argv[0], strerror(err));
		if (out)
			close(fd[0]);
		return -1;
	}
	while (out) {
		if (size - len < 4096) {
			if (size >= OUT_MAX)
				break;
			size = size ? size * 2 : 8192;
			if ((nb = realloc(buf, size + 1)) == NULL)
				ctl_nomem();
			buf = nb;
		}
		r = read(fd[0], buf + len, size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	if (out) {
		close(fd[0]);
		if (buf == NULL && (buf = malloc(1)) == NULL)
			ctl_nomem();
		buf[len] = 0;
		*out = buf;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			ctl_error("waitpid %s: %s", argv[0], strerror(errno));
			return -1;
		}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	ctl_error("%s killed by signal %d", argv[0],
		  WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}

/*
 * json_member - the string value of "key" in the JSON line at p (up to
 * end) into buf; 0, or -1 when it is not there or does not fit.
 */
static int json_member(const char *p, const char *end, const char *key,
		       char *buf, size_t len)
{
	size_t klen = strlen(key), n = 0;

	for (; p + klen + 2 < end; p++) {
		if (*p != '"' || strncmp(p + 1, key, klen) ||
		    p[klen + 1] != '"')
			continue;
		for (p += klen + 2; p < end && (*p == ' ' || *p == '\t'); p++)
			;
		if (p >= end || *p++ != ':')
			continue;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p >= end || *p++ != '"')
			return -1;
		while (p < end && *p != '"' && *p != '\\' && n < len - 1)
			buf[n++] = *p++;
		if (p >= end || *p != '"')
			return -1;
		buf[n] = 0;
		return 0;
	}
	return -1;
}

/* mta_queue_load - run "postqueue -j" once into q; 0, or -1 (said) */
static int mta_queue_load(struct mta_queue *q)
{
	static char *const argv[] = { "postqueue", "-j", NULL };
	char *out, *p, *eol, id[QUEUE_ID_MAX], name[16];
	void *ni, *nn;
	int rc;

	memset(q, 0, sizeof *q);
	if ((rc = run_tool(argv, &out, 0)) != 0) {
		if (rc > 0)
			ctl_error("postqueue -j failed (exit %d)", rc);
		if (rc > 0)
			free(out);
		return -1;
	}
	for (p = out; *p; p = *eol ? eol + 1 : eol) {
		if ((eol = strchr(p, '\n')) == NULL)
			eol = p + strlen(p);
		if (json_member(p, eol, "queue_id", id, sizeof id) < 0 ||
		    json_member(p, eol, "queue_name", name, sizeof name) < 0)
			continue;
		if (q->n == q->size) {
			q->size = q->size ? q->size * 2 : 64;
			ni = realloc(q->ids, (size_t)q->size * sizeof *q->ids);
			if (ni)
				q->ids = ni;
			nn = realloc(q->names,
				     (size_t)q->size * sizeof *q->names);
			if (nn)
				q->names = nn;
			if (ni == NULL || nn == NULL)
				ctl_nomem();
		}
		memcpy(q->ids[q->n], id, sizeof id);
		memcpy(q->names[q->n], name, sizeof name);
		q->n++;
	}
	free(out);
	return 0;
}

/* mta_queue_where - the queue holding queue id, or "gone" */
static const char *mta_queue_where(const struct mta_queue *q, const char *id)
{
	int i;

	for (i = 0; id && i < q->n; i++)
		if (strcmp(q->ids[i], id) == 0)
			return q->names[i];
	return "gone";
}

/* mta_queue_free - release what mta_queue_load() took */
static void mta_queue_free(struct mta_queue *q)
{
	free(q->ids);
	free(q->names);
}

/*
 * postfix_only - 0 when the MTA is Postfix; -1 after saying that the
 * commands are not done for Sendmail.  Without a config (-d), Postfix.
 */
static int postfix_only(const struct ctl *ctl)
{
	struct conf c;
	char err[512];
	int rc = 0;

	if (ctl->conf_path == NULL)
		return 0;
	conf_init(&c);
	if (conf_load(&c, ctl->conf_path, err, sizeof err) < 0) {
		ctl_error("%s", err);
		rc = -1;
	} else if (c.mta == CONF_MTA_SENDMAIL) {
		ctl_error("quarantine review for Sendmail is not "
			  "implemented yet");
		rc = -1;
	}
	conf_free(&c);
	return rc;
}

/* qrow_fill - a store row into the struct qrow at arg */
static int qrow_fill(void *arg, int n, const char *const *names,
		     const char *const *v)
{
	struct qrow *r = arg;
	int i;

	(void)names;
	if (n < 9)
		return 1;
	for (i = 0; i < 9; i++)
		if (v[i] && (r->v[i] = strdup(v[i])) == NULL)
			ctl_nomem();
	return 1;
}

/* qrow_free - release a row's values */
static void qrow_free(struct qrow *r)
{
	int i;

	for (i = 0; i < 9; i++)
		free(r->v[i]);
}

/* qrow_get - the row named by key into r; 0, or -1 (said) */
static int qrow_get(struct ctl *ctl, const char *key, struct qrow *r)
{
	int rc;

	memset(r, 0, sizeof *r);
	if (ctl_store(ctl) == NULL)
		return -1;
	rc = store_admin_quarantine_get(ctl->store, key, qrow_fill, r);
	if (rc < 0)
		ctl_error("cannot read the quarantine table");
	else if (rc == 0)
		ctl_error("no quarantined message %s", key);
	else if (r->v[2] == NULL || *r->v[2] == 0)
		ctl_error("quarantine %s has no queue id", r->v[0]);
	else
		return 0;
	qrow_free(r);
	return -1;
}

/* columns of list and show; IN MTA is filled from postqueue -j */
static const struct ctl_col qcols[] = {
	{ "ID", "id", CTL_NUM, 0 },
	{ "", "ts", CTL_NUM, CTL_JSON_ONLY },
	{ "TIME", "time", CTL_TIME, 0 },
	{ "QUEUE ID", "queue_id", CTL_STR, 0 },
	{ "LOGIN", "login", CTL_STR, 0 },
	{ "FROM", "mail_from", CTL_STR, 0 },
	{ "RCPTS", "rcpts", CTL_STR, 0 },
	{ "SUBJECT", "subject", CTL_STR, 0 },
	{ "REASON", "reason", CTL_STR, 0 },
	{ "STATUS", "status", CTL_STR, 0 },
	{ "IN MTA", "in_mta", CTL_STR, 0 },
};
#define QCOLS ((int)(sizeof qcols / sizeof *qcols))

/* list_arg - a table and the MTA's queue, for list_row */
struct list_arg {
	struct ctl_table *t;
	const struct mta_queue *q;
};

/* list_row - a quarantine row, with where the MTA has its message */
static int list_row(void *arg, int n, const char *const *names,
		    const char *const *v)
{
	struct list_arg *a = arg;
	const char *row[QCOLS];

	(void)names;
	if (n < 9)
		return 1;
	row[0] = v[0];
	row[1] = v[1];
	memcpy(row + 2, v + 1, 8 * sizeof *v);
	row[10] = mta_queue_where(a->q, v[2]);
	ctl_table_push(a->t, row);
	return 0;
}

/* quarantine_list - list [--all] */
static int quarantine_list(struct ctl *ctl, int all)
{
	struct mta_queue q;
	struct list_arg a;
	int rc;

	if (ctl_store(ctl) == NULL || mta_queue_load(&q) < 0)
		return CTL_ERROR;
	a.t = ctl_table_make(qcols, QCOLS);
	a.q = &q;
	rc = store_admin_quarantine(ctl->store, all, list_row, &a);
	if (rc < 0)
		ctl_error("cannot read the quarantine table");
	else
		ctl_table_print(a.t, ctl->json, stdout);
	ctl_table_free(a.t);
	mta_queue_free(&q);
	return rc < 0 ? CTL_ERROR : CTL_OK;
}

/* print_row - the row as "Title: value" lines (JSON: one object) */
static void print_row(struct ctl *ctl, const struct qrow *r, const char *where)
{
	struct ctl_table *t = ctl_table_make(qcols, QCOLS);
	const char *row[QCOLS];

	row[0] = r->v[0];
	row[1] = r->v[1];
	memcpy(row + 2, r->v + 1, 8 * sizeof *r->v);
	row[10] = where;
	ctl_table_push(t, row);
	if (ctl->json) {
		fputc('{', stdout);
		ctl_table_json_fields(t, 0, stdout);
		fputs("}\n", stdout);
	} else {
		ctl_table_print_kv(t, 0, stdout);
	}
	ctl_table_free(t);
}

/* where_now - the queue that has r's message now, into buf; 0, or -1 */
static int where_now(const struct qrow *r, char *buf, size_t len)
{
	struct mta_queue q;

	if (mta_queue_load(&q) < 0)
		return -1;
	snprintf(buf, len, "%s", mta_queue_where(&q, r->v[2]));
	mta_queue_free(&q);
	return 0;
}

/* quarantine_show - show ID: the row, then the message */
static int quarantine_show(struct ctl *ctl, const char *key)
{
	char where[16], *argv[4];
	struct qrow r;
	int rc = CTL_ERROR, st;

	if (qrow_get(ctl, key, &r) < 0)
		return CTL_ERROR;
	if (where_now(&r, where, sizeof where) < 0)
		goto out;
	if (strcmp(where, "gone") == 0) {
		print_row(ctl, &r, where);
		ctl_error("quarantine %s: the MTA no longer has message %s",
			  r.v[0], r.v[2]);
		goto out;
	}
	if (ctl->json) {
		/* JSON: the row only; the message is for people */
		print_row(ctl, &r, where);
		rc = CTL_OK;
		goto out;
	}
	print_row(ctl, &r, where);
	fputc('\n', stdout);
	argv[0] = "postcat";
	argv[1] = "-q";
	argv[2] = r.v[2];
	argv[3] = NULL;
	if ((st = run_tool(argv, NULL, 0)) == 0)
		rc = CTL_OK;
	else if (st > 0)
		ctl_error("postcat -q %s failed (exit %d)", r.v[2], st);
out:
	qrow_free(&r);
	return rc;
}

/* set_status - the row's status; 0, or -1 (said) */
static int set_status(struct ctl *ctl, const struct qrow *r,
		      const char *status)
{
	char err[512];

	if (store_admin_quarantine_status(ctl->store, strtoll(r->v[0], NULL,
							      10),
					  status, err, sizeof err) > 0)
		return 0;
	ctl_error("quarantine %s: cannot set status %s: %s", r->v[0], status,
		  *err ? err : "no such row");
	return -1;
}

/* qevent - the events row of a release or delete; 0, or -1 (said) */
static int qevent(struct ctl *ctl, const struct qrow *r, const char *action)
{
	struct store_event e = { 0 };
	char detail[QUEUE_ID_MAX + CTL_LOGIN_MAX + 64];

	snprintf(detail, sizeof detail, "quarantine %s, queue id %s, login %s",
		 r->v[0], r->v[2], r->v[3] ? r->v[3] : "-");
	e.ts = ctl->now;
	e.login = r->v[3];
	e.queue_id = r->v[2];
	e.kind = "admin";
	e.action = action;
	e.detail = detail;
	if (store_admin_event(ctl->store, &e) < 0) {
		ctl_error("quarantine %s: %s done, but its event was not "
			  "written",
			  r->v[0], action);
		return -1;
	}
	return 0;
}

/* mark_gone - the MTA said the message is gone: out, status, say so */
static int mark_gone(struct ctl *ctl, const struct qrow *r, const char *out)
{
	size_t n;

	if (out && *out) {
		n = strlen(out);
		fputs(out, stderr);
		if (out[n - 1] != '\n')
			fputc('\n', stderr);
	}
	ctl_error("quarantine %s: the MTA no longer has message %s (marked "
		  "gone)",
		  r->v[0], r->v[2]);
	set_status(ctl, r, "gone");
	return CTL_ERROR;
}

/* tool - run argv capturing both outputs; 0, or -1 with them in *out */
static int tool(char *const argv[], char **out)
{
	int st;

	*out = NULL;
	if ((st = run_tool(argv, out, 1)) == 0) {
		free(*out);
		*out = NULL;
		return 0;
	}
	return -1;
}

/* print_done - "quarantine ID (queue id QID): status", or JSON */
static void print_done(struct ctl *ctl, const struct qrow *r,
		       const char *status)
{
	if (ctl->json) {
		printf("{\"id\":%s,\"queue_id\":", r->v[0]);
		ctl_json_string(stdout, r->v[2]);
		fputs(",\"status\":", stdout);
		ctl_json_string(stdout, status);
		fputs("}\n", stdout);
	} else {
		printf("quarantine %s (queue id %s): %s\n", r->v[0], r->v[2],
		       status);
	}
}

/* ctl_quarantine_act - release ID or delete ID */
int ctl_quarantine_act(struct ctl *ctl, const char *key, int release)
{
	const char *done = release ? "released" : "deleted";
	char where[16], *argv[5], *out = NULL;
	struct qrow r;
	int rc = CTL_ERROR;

	if (qrow_get(ctl, key, &r) < 0)
		return CTL_ERROR;
	if (r.v[8] && (strcmp(r.v[8], "released") == 0 ||
		       strcmp(r.v[8], "deleted") == 0)) {
		ctl_error("quarantine %s (queue id %s) was %s already",
			  r.v[0], r.v[2], r.v[8]);
		goto out;
	}
	if (where_now(&r, where, sizeof where) < 0)
		goto out;
	if (strcmp(where, "gone") == 0) {
		rc = mark_gone(ctl, &r, NULL);
		goto out;
	}
	if (!release && strcmp(where, "hold") != 0) {
		ctl_error("quarantine %s: message %s is no longer held (it is "
			  "in the %s queue)",
			  r.v[0], r.v[2], where);
		goto out;
	}
	argv[0] = "postsuper";
	argv[1] = release ? "-H" : "-d";
	argv[2] = r.v[2];
	argv[3] = release ? NULL : "hold";
	argv[4] = NULL;
	if (tool(argv, &out) < 0) {
		rc = mark_gone(ctl, &r, out);
		goto out;
	}
	if (release) {
		argv[0] = "postqueue";
		argv[1] = "-i";
		if (tool(argv, &out) < 0) {
			if (out)
				fputs(out, stderr);
			ctl_error("quarantine %s: released from hold, but "
				  "postqueue -i %s failed; it is delivered "
				  "on the next queue run",
				  r.v[0], r.v[2]);
		}
	}
	if (set_status(ctl, &r, done) == 0 &&
	    qevent(ctl, &r, release ? "release" : "delete") == 0)
		rc = CTL_OK;
	print_done(ctl, &r, done);
out:
	free(out);
	qrow_free(&r);
	return rc;
}

/* ctl_cmd_quarantine - list [--all] | show ID | release ID | delete ID */
int ctl_cmd_quarantine(struct ctl *ctl, int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : "";
	int all = argc == 3 && strcmp(argv[2], "--all") == 0;

	if (strcmp(sub, "list") == 0 && (argc == 2 || all)) {
		if (postfix_only(ctl) < 0)
			return CTL_ERROR;
		return quarantine_list(ctl, all);
	}
	if (argc != 3 || (strcmp(sub, "show") && strcmp(sub, "release") &&
			  strcmp(sub, "delete")))
		return ctl_cmd_usage(argv[0]);
	if (postfix_only(ctl) < 0)
		return CTL_ERROR;
	if (strcmp(sub, "show") == 0)
		return quarantine_show(ctl, argv[2]);
	return ctl_quarantine_act(ctl, argv[2], strcmp(sub, "release") == 0);
}
