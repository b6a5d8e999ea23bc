/*
 * NAME
 *	proc - run a program and wait for it
 * DESCRIPTION
 *	See proc.h.  Input goes through a socket pair rather than a pipe:
 *	send() with MSG_NOSIGNAL never raises SIGPIPE when the program
 *	does not read it, and MSG_DONTWAIT lets one loop feed it, read the
 *	output and watch the clock.  With a timeout the loop wakes every
 *	TICK_MS; without one it sleeps in poll() until there is something
 *	to do.  Past out_max the output is closed, as a reader that stops
 *	reading would.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

extern char **environ;

#define TICK_MS	 20
#define OUT_MAX	 (1 << 24)
#define OUT_STEP 8192

/* The parent's ends, and what has gone through them. */
struct proc_io {
	int in, out; /* -1 when closed or not used */
	const char *input;
	size_t sent;
	char *buf;
	size_t len, size, max;
};

/* io_close - close *fd if open */
static void io_close(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* io_feed - send what input it takes now; close the input when done */
static void io_feed(struct proc_io *io)
{
	size_t len = strlen(io->input);
	ssize_t n;

	while (io->in >= 0 && io->sent < len) {
		n = send(io->in, io->input + io->sent, len - io->sent,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0)
			io->sent += (size_t)n;
		else if (n < 0 && errno == EINTR)
			continue;
		else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		else
			break; /* it closed its input */
	}
	io_close(&io->in);
}

/* io_read - read what output there is; close it at EOF or at io->max */
static int io_read(struct proc_io *io)
{
	ssize_t r;
	size_t size;
	char *nb;

	if (io->len >= io->max) {
		io_close(&io->out);
		return 0;
	}
	if (io->len == io->size) {
		size = io->size ? io->size * 2 : OUT_STEP;
		if (size > io->max)
			size = io->max;
		if ((nb = realloc(io->buf, size + 1)) == NULL)
			return -1;
		io->buf = nb;
		io->size = size;
	}
	r = read(io->out, io->buf + io->len, io->size - io->len);
	if (r > 0)
		io->len += (size_t)r;
	else if (r == 0 || errno != EINTR)
		io_close(&io->out);
	return 0;
}

/* start - posix_spawn argv with the child's ends of the pipes */
static int start(char *const argv[], const struct proc_opts *o, int in, int out,
		 pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	short flags = 0;
	int rc;

	posix_spawn_file_actions_init(&fa);
	if (in >= 0)
		posix_spawn_file_actions_adddup2(&fa, in, 0);
	else if (o->null_stdin)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
						 0);
	if (out >= 0) {
		posix_spawn_file_actions_adddup2(&fa, out, 1);
		if (o->merge)
			posix_spawn_file_actions_adddup2(&fa, out, 2);
	}
	posix_spawnattr_init(&at);
	if (o->isolate) {
		/* the daemon blocks and ignores signals the child must not */
		sigemptyset(&none);
		sigemptyset(&dflt);
		sigaddset(&dflt, SIGPIPE);
		sigaddset(&dflt, SIGTERM);
		sigaddset(&dflt, SIGINT);
		sigaddset(&dflt, SIGHUP);
		posix_spawnattr_setsigmask(&at, &none);
		posix_spawnattr_setsigdefault(&at, &dflt);
		posix_spawnattr_setpgroup(&at, 0);
		flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
			POSIX_SPAWN_SETSIGDEF;
	}
	posix_spawnattr_setflags(&at, flags);
	rc = (o->search_path ? posix_spawnp : posix_spawn)(
		pid, argv[0], &fa, &at, argv, o->env ? o->env : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

/* elapsed_ms - milliseconds since t0 */
static long elapsed_ms(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000L +
	       (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * wait_child - feed, read and reap until it has ended and the output
 * is closed, or the timeout kills it; 0, or -1 with errno
 */
static int wait_child(const struct proc_opts *o, struct proc_io *io,
		      struct proc_result *r, int *status)
{
	struct pollfd p[2] = { { -1, POLLOUT, 0 }, { -1, POLLIN, 0 } };
	struct timespec t0;
	int n, reaped = 0, rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!reaped || io->out >= 0) {
		p[0].fd = io->in; /* poll skips a negative fd */
		p[1].fd = io->out;
		p[0].revents = p[1].revents = 0;
		n = (io->in >= 0) + (io->out >= 0);
		if (n > 0 || o->timeout_ms > 0)
			poll(p, 2, o->timeout_ms > 0 ? TICK_MS : -1);
		if (p[0].revents)
			io_feed(io);
		if (p[1].revents && io_read(io) < 0)
			return -1;
		if (!reaped && (n == 0 || o->timeout_ms > 0)) {
			rc = waitpid(r->pid, status,
				     o->timeout_ms > 0 ? WNOHANG : 0);
			if (rc < 0 && errno != EINTR)
				return -1;
			reaped = rc == r->pid;
		}
		if (o->timeout_ms > 0 && elapsed_ms(&t0) >= o->timeout_ms) {
			if (!reaped) { /* else only its output is still open */
				kill(o->isolate ? -r->pid : r->pid, SIGKILL);
				waitpid(r->pid, status, 0);
				r->timed_out = 1;
			}
			return 0;
		}
	}
	return 0;
}

/* proc_run - run argv and wait for it */
int proc_run(char *const argv[], const struct proc_opts *o,
	     struct proc_result *r, char *err, size_t errlen)
{
	struct proc_io io = { -1, -1, o->input, 0, NULL, 0, 0, OUT_MAX };
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status = 0, rc;

	memset(r, 0, sizeof(*r));
	if (o->out)
		*o->out = NULL;
	if (o->out_max > 0)
		io.max = o->out_max;
	if ((o->input &&
	     socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0) ||
	    (o->out && pipe2(out, O_CLOEXEC) < 0)) {
		snprintf(err, errlen, "%s: %s",
			 o->input ? "socketpair" : "pipe", strerror(errno));
		io_close(&in[0]);
		io_close(&in[1]);
		return -1;
	}
	rc = start(argv, o, in[1], out[1], &r->pid);
	io_close(&in[1]);
	io_close(&out[1]);
	io.in = in[0];
	io.out = out[0];
	if (rc != 0) {
		snprintf(err, errlen, "%s", strerror(rc));
		io_close(&io.in);
		io_close(&io.out);
		return -1;
	}
	if (o->started != NULL)
		o->started(o->started_arg, r->pid);
	rc = wait_child(o, &io, r, &status);
	if (rc < 0)
		snprintf(err, errlen, "%s", strerror(errno));
	io_close(&io.in);
	io_close(&io.out);
	if (rc == 0 && o->out && (io.buf || (io.buf = malloc(1)))) {
		io.buf[io.len] = '\0';
		*o->out = io.buf;
	} else {
		free(io.buf);
		if (rc == 0 && o->out) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	if (rc < 0)
		return -1;
	r->exited = WIFEXITED(status);
	r->status = r->exited ? WEXITSTATUS(status) : 0;
	r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return 0;
}
