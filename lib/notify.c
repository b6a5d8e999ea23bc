/*
 * NAME
 *	notify - the runner of NotifyCommand and the response commands
 * DESCRIPTION
 *	See notify.h.  posix_spawn starts the command in its own process
 *	group, so a timeout kills the shell and everything it started.
 *	Input goes through a socket pair rather than a pipe: send() with
 *	MSG_NOSIGNAL never raises SIGPIPE when the command does not read
 *	it, and MSG_DONTWAIT lets the timeout loop feed it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

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

/* notify_task_setvar - set or add NAME=value (NULL value: empty) */
int notify_task_setvar(struct notify_task *t, const char *name,
		       const char *value)
{
	const char *v = value ? value : "";
	size_t len = strlen(name) + strlen(v) + 2;
	char **slot = var_slot(t, name), **grown, *s;

	if ((s = malloc(len)) == NULL)
		return -1;
	snprintf(s, len, "%s=%s", name, v);
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

/* spawn - start sh -c command with stdin from fd (-1: /dev/null); 0/-1 */
static int spawn(struct notify_task *t, const char *command, int fd, pid_t *pid)
{
	char *argv[] = { "/bin/sh", "-c", (char *)command, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	int rc;

	posix_spawn_file_actions_init(&fa);
	if (fd < 0)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
						 0);
	else
		posix_spawn_file_actions_adddup2(&fa, fd, 0);
	posix_spawnattr_init(&at);
	/* the daemon blocks and ignores signals the command must not */
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGHUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
					      POSIX_SPAWN_SETSIGMASK |
					      POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawn(pid, "/bin/sh", &fa, &at, argv, t->env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0)
		log_msg(LOG_ERR, "notify: cannot run %s: %s", t->what,
			strerror(rc));
	return rc == 0 ? 0 : -1;
}

/* feed - send what input the command takes now; closes fd when done */
static void feed(struct notify_task *t, int *fd, size_t *sent)
{
	size_t len = strlen(t->input);
	ssize_t n;

	while (*fd >= 0 && *sent < len) {
		n = send(*fd, t->input + *sent, len - *sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			*sent += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		else
			break; /* the command closed its input */
	}
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* run_one - run one task, with its timeout */
static void run_one(struct notify *n, struct notify_task *t)
{
	const char *command = t->command ? t->command : n->command;
	int timeout = t->timeout > 0 ? t->timeout : NOTIFY_TIMEOUT;
	int sv[2] = { -1, -1 }, status, rc;
	struct timespec start, now;
	size_t sent = 0;
	pid_t pid;

	if (t->input != NULL &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		log_msg(LOG_ERR, "notify: %s: socketpair: %s", t->what,
			strerror(errno));
		return;
	}
	rc = spawn(t, command, sv[1], &pid);
	if (sv[1] >= 0)
		close(sv[1]);
	if (rc < 0) {
		if (sv[0] >= 0)
			close(sv[0]);
		return;
	}
	log_msg(LOG_INFO, "notify: %s started (pid %ld)", t->what, (long)pid);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (t->input != NULL)
			feed(t, &sv[0], &sent);
		rc = waitpid(pid, &status, WNOHANG);
		if (rc == pid || (rc < 0 && errno != EINTR))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000L +
			    (now.tv_nsec - start.tv_nsec) / 1000000 >=
		    timeout * 1000L) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			log_msg(LOG_ERR,
				"notify: %s ran over %ds and was "
				"killed",
				t->what, timeout);
			rc = -1;
			break;
		}
		usleep(20000);
	}
	if (sv[0] >= 0)
		close(sv[0]);
	if (rc != pid)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_msg(LOG_INFO, "notify: %s done", t->what);
	else if (WIFEXITED(status))
		log_msg(LOG_WARNING, "notify: %s failed (exit %d)", t->what,
			WEXITSTATUS(status));
	else
		log_msg(LOG_WARNING, "notify: %s failed (signal %d)", t->what,
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
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
