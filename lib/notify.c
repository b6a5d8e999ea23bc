/*
 * NAME
 *	notify - the NotifyCommand runner
 * DESCRIPTION
 *	See notify.h.  posix_spawn starts the command in its own process
 *	group, so a timeout kills the shell and everything it started.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

extern char **environ;

struct alert {
	struct alert *next;
	char **env;	/* NULL-terminated "NAME=value" strings */
};

struct notify {
	char *command;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct alert *head, *tail;
	int len, stopping;
};

/* alert_free - free an alert */
static void alert_free(struct alert *a)
{
	char **e;

	for (e = a->env; e && *e; e++)
		free(*e);
	free(a->env);
	free(a);
}

/* alert_new - the environment: ours plus the alert's variables */
static struct alert *alert_new(const char *const *vars)
{
	struct alert *a = calloc(1, sizeof(*a));
	size_t nenv = 0, nvar = 0, i, k = 0;

	if (a == NULL)
		return NULL;
	while (environ[nenv])
		nenv++;
	while (vars[nvar * 2])
		nvar++;
	if ((a->env = calloc(nenv + nvar + 1, sizeof(char *))) == NULL)
		goto fail;
	for (i = 0; i < nenv; i++)
		if (strncmp(environ[i], "OUTGUARD_", 9) != 0 &&
		    (a->env[k++] = strdup(environ[i])) == NULL)
			goto fail;
	for (i = 0; i < nvar; i++) {
		const char *v = vars[i * 2 + 1] ? vars[i * 2 + 1] : "";
		size_t len = strlen(vars[i * 2]) + strlen(v) + 2;

		if ((a->env[k] = malloc(len)) == NULL)
			goto fail;
		snprintf(a->env[k++], len, "%s=%s", vars[i * 2], v);
	}
	return a;
fail:
	alert_free(a);
	return NULL;
}

/* run_one - run the command for one alert, with a timeout */
static void run_one(struct notify *n, struct alert *a)
{
	char *argv[] = { "/bin/sh", "-c", n->command, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	time_t start = time(NULL);
	int status, rc;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
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
	rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, a->env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		log_msg(LOG_ERR, "notify: cannot run NotifyCommand: %s",
			strerror(rc));
		return;
	}
	for (;;) {
		rc = waitpid(pid, &status, WNOHANG);
		if (rc == pid || (rc < 0 && errno != EINTR))
			break;
		if (time(NULL) - start >= NOTIFY_TIMEOUT) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			log_msg(LOG_ERR, "notify: NotifyCommand ran over %ds "
				"and was killed", NOTIFY_TIMEOUT);
			return;
		}
		usleep(20000);
	}
	if (rc == pid && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		log_msg(LOG_WARNING, "notify: NotifyCommand failed (status "
			"%d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* notify_main - the runner thread */
static void *notify_main(void *arg)
{
	struct notify *n = arg;
	struct alert *a;

	pthread_mutex_lock(&n->lock);
	for (;;) {
		while (n->head == NULL && !n->stopping)
			pthread_cond_wait(&n->cond, &n->lock);
		if ((a = n->head) == NULL)
			break;
		n->head = a->next;
		if (n->head == NULL)
			n->tail = NULL;
		n->len--;
		pthread_mutex_unlock(&n->lock);
		run_one(n, a);
		alert_free(a);
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
	if (command == NULL || *command == '\0')
		return n;
	if ((n->command = strdup(command)) == NULL ||
	    pthread_create(&n->thread, NULL, notify_main, n) != 0) {
		free(n->command);
		free(n);
		return NULL;
	}
	return n;
}

/* notify_send - queue one alert */
void notify_send(struct notify *n, const char *const *vars)
{
	struct alert *a;

	if (n == NULL || n->command == NULL)
		return;
	if ((a = alert_new(vars)) == NULL)
		return;
	pthread_mutex_lock(&n->lock);
	if (n->len >= NOTIFY_QUEUE_MAX) {
		pthread_mutex_unlock(&n->lock);
		alert_free(a);
		log_ratelimited("notify full", 60, LOG_ERR,
				"notify: %d alerts waiting; dropping alerts",
				NOTIFY_QUEUE_MAX);
		return;
	}
	if (n->tail)
		n->tail->next = a;
	else
		n->head = a;
	n->tail = a;
	n->len++;
	pthread_cond_signal(&n->cond);
	pthread_mutex_unlock(&n->lock);
}

/* notify_free - run what is queued, then stop */
void notify_free(struct notify *n)
{
	struct alert *a;

	if (n == NULL)
		return;
	if (n->command != NULL) {
		pthread_mutex_lock(&n->lock);
		n->stopping = 1;
		pthread_cond_signal(&n->cond);
		pthread_mutex_unlock(&n->lock);
		pthread_join(n->thread, NULL);
	}
	while ((a = n->head) != NULL) {
		n->head = a->next;
		alert_free(a);
	}
	free(n->command);
	free(n);
}
