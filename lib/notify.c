/*
 * NAME
 *	notify - the runner of NotifyCommand and the response commands
 * DESCRIPTION
 *	See notify.h.  proc_run() (proc.c) runs each command isolated:
 *	in its own process group, so a timeout kills the shell and
 *	everything it started, with the signals the daemon blocks at
 *	their defaults; it feeds the input and watches the timeout.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "notify.h"
#include "proc.h"

extern char **environ;

struct notify_task {
	struct notify_task *next;
	char **env; /* NULL-terminated "NAME=value" strings */
	size_t nenv;
	char *command; /* NULL: NotifyCommand */
	char *what;
	int timeout;
	char *input; /* or NULL */
	notify_prepare_fn prepare;
	void *arg;
};

struct notify {
	char *command;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct notify_task *head, *tail;
	int len, stopping;
};

/* task_free - free a task */
static void task_free(struct notify_task *t)
{
	char **e;

	for (e = t->env; e && *e; e++)
		free(*e);
	free(t->env);
	free(t->command);
	free(t->what);
	free(t->input);
	free(t);
}

/* task_new - the environment: ours plus the task's variables */
static struct notify_task *task_new(const char *const *vars)
{
	struct notify_task *t = calloc(1, sizeof(*t));
	size_t nenv = 0, nvar = 0, i;

	if (t == NULL)
		return NULL;
	while (environ[nenv])
		nenv++;
	while (vars[nvar * 2])
		nvar++;
	if ((t->env = calloc(nenv + 1, sizeof(char *))) == NULL)
		goto fail;
	for (i = 0; i < nenv; i++)
		if (strncmp(environ[i], "OUTGUARD_", 9) != 0 &&
		    (t->env[t->nenv++] = strdup(environ[i])) == NULL)
			goto fail;
	for (i = 0; i < nvar; i++)
		if (notify_task_setvar(t, vars[i * 2], vars[i * 2 + 1]) < 0)
			goto fail;
	return t;
fail:
	task_free(t);
	return NULL;
}

/* var_slot - the env entry of name, or NULL */
static char **var_slot(const struct notify_task *t, const char *name)
{
	size_t len = strlen(name), i;

	for (i = 0; i < t->nenv; i++)
		if (strncmp(t->env[i], name, len) == 0 && t->env[i][len] == '=')
			return &t->env[i];
	return NULL;
}

/* notify_task_var - the value of variable name, or NULL */
const char *notify_task_var(const struct notify_task *t, const char *name)
{
	char **slot = var_slot(t, name);

	return slot ? *slot + strlen(name) + 1 : NULL;
}

/*
 * notify_task_setvar - set or add NAME=value (NULL value: empty); the
 * value's control characters (CR, LF, ESC, ...) become '?'
 */
int notify_task_setvar(struct notify_task *t, const char *name,
		       const char *value)
{
	const char *v = value ? value : "";
	size_t len = strlen(name) + strlen(v) + 2;
	char **slot = var_slot(t, name), **grown, *s;

	if ((s = malloc(len)) == NULL)
		return -1;
	snprintf(s, len, "%s=%s", name, v);
	/* values come from mail: no line breaks or escapes for a script */
	for (char *q = s + strlen(name) + 1; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	if (slot != NULL) {
		free(*slot);
		*slot = s;
		return 0;
	}
	if ((grown = realloc(t->env, (t->nenv + 2) * sizeof(char *))) == NULL) {
		free(s);
		return -1;
	}
	t->env = grown;
	t->env[t->nenv++] = s;
	t->env[t->nenv] = NULL;
	return 0;
}

/* notify_task_input - the standard input text (copied) */
int notify_task_input(struct notify_task *t, const char *text)
{
	char *s = strdup(text ? text : "");

	if (s == NULL)
		return -1;
	free(t->input);
	t->input = s;
	return 0;
}

/* started - log that task arg runs */
static void started(void *arg, pid_t pid)
{
	const struct notify_task *t = arg;

	log_msg(LOG_INFO, "notify: %s started (pid %ld)", t->what, (long)pid);
}

/* run_one - run one task with /bin/sh -c, with its timeout; log it */
static void run_one(struct notify *n, struct notify_task *t)
{
	const char *command = t->command ? t->command : n->command;
	char *argv[] = { "/bin/sh", "-c", (char *)command, NULL };
	int timeout = t->timeout > 0 ? t->timeout : NOTIFY_TIMEOUT;
	struct proc_opts o = { 0 };
	struct proc_result r;
	char err[200];

	o.env = t->env;
	o.isolate = 1;
	o.null_stdin = 1;
	o.input = t->input;
	o.timeout_ms = timeout * 1000;
	o.started = started;
	o.started_arg = t;
	if (proc_run(argv, &o, &r, err, sizeof(err)) < 0)
		log_msg(LOG_ERR, "notify: cannot run %s: %s", t->what, err);
	else if (r.timed_out)
		log_msg(LOG_ERR, "notify: %s ran over %ds and was killed",
			t->what, timeout);
	else if (r.exited && r.status == 0)
		log_msg(LOG_INFO, "notify: %s done", t->what);
	else if (r.exited)
		log_msg(LOG_WARNING, "notify: %s failed (exit %d)", t->what,
			r.status);
	else
		log_msg(LOG_WARNING, "notify: %s failed (signal %d)", t->what,
			r.signal);
}

/* notify_main - the runner thread */
static void *notify_main(void *arg)
{
	struct notify *n = arg;
	struct notify_task *t;

	pthread_mutex_lock(&n->lock);
	for (;;) {
		while (n->head == NULL && !n->stopping)
			pthread_cond_wait(&n->cond, &n->lock);
		if ((t = n->head) == NULL)
			break;
		n->head = t->next;
		if (n->head == NULL)
			n->tail = NULL;
		n->len--;
		pthread_mutex_unlock(&n->lock);
		if (t->prepare != NULL)
			t->prepare(t->arg, t);
		run_one(n, t);
		task_free(t);
		pthread_mutex_lock(&n->lock);
	}
	pthread_mutex_unlock(&n->lock);
	return NULL;
}

/* notify_new - start the runner */
struct notify *notify_new(const char *command)
{
	struct notify *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	pthread_mutex_init(&n->lock, NULL);
	pthread_cond_init(&n->cond, NULL);
	if ((command != NULL && *command != '\0' &&
	     (n->command = strdup(command)) == NULL) ||
	    pthread_create(&n->thread, NULL, notify_main, n) != 0) {
		free(n->command);
		free(n);
		return NULL;
	}
	return n;
}

/* enqueue - append t, or drop it when the queue is full */
static void enqueue(struct notify *n, struct notify_task *t)
{
	pthread_mutex_lock(&n->lock);
	if (n->len >= NOTIFY_QUEUE_MAX) {
		pthread_mutex_unlock(&n->lock);
		log_ratelimited("notify full", 60, LOG_ERR,
				"notify: %d commands waiting; dropping %s",
				NOTIFY_QUEUE_MAX, t->what);
		task_free(t);
		return;
	}
	if (n->tail)
		n->tail->next = t;
	else
		n->head = t;
	n->tail = t;
	n->len++;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

/* notify_send - queue one alert for NotifyCommand */
void notify_send(struct notify *n, const char *const *vars)
{
	struct notify_task *t;

	if (n == NULL || n->command == NULL)
		return;
	if ((t = task_new(vars)) == NULL ||
	    (t->what = strdup("NotifyCommand")) == NULL) {
		if (t)
			task_free(t);
		return;
	}
	enqueue(n, t);
}

/* notify_run - queue a job of its own */
void notify_run(struct notify *n, const struct notify_job *job,
		const char *const *vars)
{
	struct notify_task *t;

	if (n == NULL || job->command == NULL || *job->command == '\0')
		return;
	if ((t = task_new(vars)) == NULL)
		return;
	t->timeout = job->timeout;
	t->prepare = job->prepare;
	t->arg = job->arg;
	if ((t->command = strdup(job->command)) == NULL ||
	    (t->what = strdup(job->what ? job->what : "command")) == NULL ||
	    (job->input && notify_task_input(t, job->input) < 0)) {
		task_free(t);
		return;
	}
	enqueue(n, t);
}

/* notify_free - run what is queued, then stop */
void notify_free(struct notify *n)
{
	struct notify_task *t;

	if (n == NULL)
		return;
	pthread_mutex_lock(&n->lock);
	n->stopping = 1;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
	pthread_join(n->thread, NULL);
	while ((t = n->head) != NULL) {
		n->head = t->next;
		task_free(t);
	}
	free(n->command);
	free(n);
}
