/*
 * NAME
 *	test_proc - proc_run(), table-driven
 * DESCRIPTION
 *	Real children through /bin/sh: the output read (with and without
 *	standard error; cut at out_max, where the writer gets SIGPIPE and
 *	the shell exits 128 + 13), input fed (also to a child that
 *	never reads it, which must not raise SIGPIPE here), exit status and
 *	signal, a child killed at its timeout with what it started, a
 *	program looked up in PATH or not, and one that does not exist.
 */
#include <signal.h>
#include <unistd.h>

#include "check.h"
#include "proc.h"

#define F_PATH	   1  /* search_path */
#define F_MERGE	   2  /* merge */
#define F_ISOLATE  4  /* isolate */
#define F_BIG	   8  /* 1 MiB of input */
#define F_NO_SHELL 16 /* argv0 alone, no "-c script" */

struct row {
	const char *what;
	const char *argv0, *script;
	int flags, timeout_ms;
	const char *input;
	size_t out_max;
	const char *want; /* "exit N", "signal N", "timeout", "error: ..." */
	const char *want_out; /* when it ran */
};

static const struct row rows[] = {
	{ "output is read", "/bin/sh", "echo out; echo err >&2", 0, 0, NULL, 0,
	  "exit 0", "out\n" },
	{ "merge reads standard error too", "/bin/sh", "echo out; echo err >&2",
	  F_MERGE, 0, NULL, 0, "exit 0", "out\nerr\n" },
	{ "exit status", "/bin/sh", "exit 3", 0, 0, NULL, 0, "exit 3", "" },
	{ "input is fed", "/bin/sh", "tr a-z A-Z", 0, 0, "hello\n", 0, "exit 0",
	  "HELLO\n" },
	{ "input never read: no SIGPIPE here", "/bin/sh", "exit 0", F_BIG, 0,
	  NULL, 0, "exit 0", "" },
	{ "output cut at out_max", "/bin/sh", "yes abcdefghi | head -c 99999",
	  0, 0, NULL, 20, "exit 141", "abcdefghi\nabcdefghi\n" },
	{ "killed by a signal", "/bin/sh", "kill -TERM $$", 0, 0, NULL, 0,
	  "signal 15", "" },
	{ "timeout kills it and what it started", "/bin/sh",
	  "sleep 4242.5 & echo started; wait", F_ISOLATE, 300, NULL, 0,
	  "timeout", "started\n" },
	{ "PATH is searched", "sh", "exit 0", F_PATH, 0, NULL, 0, "exit 0",
	  "" },
	{ "PATH is not searched", "sh", "exit 0", 0, 0, NULL, 0,
	  "error: No such file or directory", NULL },
	{ "no such program", "/nonexistent/prog", NULL, F_PATH | F_NO_SHELL, 0,
	  NULL, 0, "error: No such file or directory", NULL },
};

/* run_row - one table row */
static void run_row(const struct row *w, const char *big)
{
	char *argv[] = { (char *)w->argv0, "-c", (char *)w->script, NULL };
	struct proc_opts o = { 0 };
	struct proc_result r;
	char what[200], err[200], got[240], *out = NULL;

	if (w->flags & F_NO_SHELL)
		argv[1] = NULL;
	o.search_path = (w->flags & F_PATH) != 0;
	o.merge = (w->flags & F_MERGE) != 0;
	o.isolate = (w->flags & F_ISOLATE) != 0;
	o.timeout_ms = w->timeout_ms;
	o.null_stdin = 1;
	o.input = (w->flags & F_BIG) ? big : w->input;
	o.out_max = w->out_max;
	o.out = &out;
	if (proc_run(argv, &o, &r, err, sizeof(err)) < 0)
		snprintf(got, sizeof(got), "error: %s", err);
	else if (r.timed_out)
		snprintf(got, sizeof(got), "timeout%s",
			 r.signal == SIGKILL ? "" : " without SIGKILL");
	else if (r.exited)
		snprintf(got, sizeof(got), "exit %d", r.status);
	else
		snprintf(got, sizeof(got), "signal %d", r.signal);
	snprintf(what, sizeof(what), "%s: how it ended", w->what);
	CHECK_STR(what, got, w->want);
	snprintf(what, sizeof(what), "%s: output", w->what);
	if (w->want_out != NULL)
		CHECK_STR(what, out, w->want_out);
	else
		CHECK(out == NULL, what);
	free(out);
}

/* test_group_killed - the timeout killed the sleep the shell started */
static void test_group_killed(void)
{
	char *argv[] = {
		"/bin/sh", "-c",
		"pgrep -f 'slee[p] 4242[.]5' >/dev/null && exit 1; exit 0", NULL
	};
	struct proc_opts o = { 0 };
	struct proc_result r;
	char err[200];

	CHECK(proc_run(argv, &o, &r, err, sizeof(err)) == 0 && r.exited &&
		      r.status == 0,
	      "no sleep left after the timeout");
}

int main(void)
{
	size_t i, n = 1 << 20;
	char *big = malloc(n + 1);

	if (big == NULL)
		return 1;
	memset(big, 'x', n);
	big[n] = '\0';
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i], big);
	test_group_killed();
	free(big);
	return check_done();
}
