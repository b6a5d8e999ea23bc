/*
 * NAME
 *	maillog - follow the MTA's log file
 * DESCRIPTION
 *	See maillog.h.  Reads go through pread() at offset + len, where
 *	offset is the start of the partial line held in buf and len its
 *	length, so the position is always the end of the last complete
 *	line.  A poll: check the open file for truncation or
 *	replacement (size below the offset, first bytes changed), read
 *	to its end, then look at the path: another inode there, and this
 *	poll read nothing more from the old one, means rotation.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "maillog.h"

#define BUF_SIZE     (4 * MAILLOG_LINE_MAX) /* a read: at least 3 lines' room */
#define DIR_SCAN_MAX 1000		    /* directory entries looked at */

struct maillog {
	char *path;
	struct maillog_cb cb;
	struct maillog_pos start; /* saved position, while have_start */
	int have_start;
	int tried;		 /* an open was attempted */
	int fd;			 /* -1: none */
	struct maillog_pos cur;	 /* inode, offset, head of fd */
	struct maillog_pos told; /* last given to cb.pos */
	int skip;		 /* dropping a too-long line */
	size_t len;		 /* bytes of the partial line in buf */
	char buf[BUF_SIZE];
	struct maillog_result res[MAILLOG_RCPT_MAX];
	pthread_t thread;
	int running;
	volatile int stop;
};

/* fnv - FNV-1a 64 of buf[0..n) */
static unsigned long long fnv(const char *buf, size_t n)
{
	unsigned long long h = 14695981039346656037ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*buf++;
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * head_same - 1 when the first want->head_len bytes of fd hash to
 * want->head_hash; *n gets how many head bytes fd has, h their hash
 */
static int head_same(int fd, const struct maillog_pos *want, unsigned *n,
		     unsigned long long *h)
{
	char head[MAILLOG_HEAD_MAX];
	ssize_t got = pread(fd, head, sizeof(head), 0);

	if (got < 0)
		got = 0;
	*n = (unsigned)got;
	*h = fnv(head, (size_t)got);
	return (unsigned)got >= want->head_len &&
	       fnv(head, want->head_len) == want->head_hash;
}

/* report - give cb.pos the position when it changed */
static void report(struct maillog *m)
{
	if (memcmp(&m->cur, &m->told, sizeof(m->cur)) == 0)
		return;
	m->told = m->cur;
	if (m->cb.pos != NULL)
		m->cb.pos(m->cb.arg, &m->cur);
}

/* reset - read the open file again from 0 */
static void reset(struct maillog *m)
{
	m->cur.offset = 0;
	m->cur.head_len = 0;
	m->cur.head_hash = fnv("", 0);
	m->len = 0;
	m->skip = 0;
}

/* use_fd - follow fd (inode ino) from offset, with head of pos */
static void use_fd(struct maillog *m, int fd, unsigned long long ino,
		   unsigned long long offset, const struct maillog_pos *head)
{
	if (m->fd >= 0)
		close(m->fd);
	m->fd = fd;
	reset(m);
	m->cur.inode = ino;
	m->cur.offset = offset;
	if (head != NULL) {
		m->cur.head_len = head->head_len;
		m->cur.head_hash = head->head_hash;
	}
}

/*
 * open_saved - fd of the file name when it is the saved position's: not
 * shorter than its offset, with its head, and its inode (any_inode: or
 * another inode and a full head, a copy as copytruncate leaves); *ino
 * gets its inode.  -1 when not.
 */
static int open_saved(const struct maillog *m, const char *name, int any_inode,
		      unsigned long long *ino)
{
	struct stat st;
	unsigned n;
	unsigned long long h;
	int fd;

	if ((fd = open(name, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    ((unsigned long long)st.st_ino == m->start.inode ||
	     (any_inode && m->start.head_len == MAILLOG_HEAD_MAX)) &&
	    (unsigned long long)st.st_size >= m->start.offset &&
	    head_same(fd, &m->start, &n, &h)) {
		*ino = st.st_ino;
		return fd;
	}
	close(fd);
	return -1;
}

/*
 * find_rotated - fd of the saved position's file (or its copy) among
 * the path's siblings whose name starts with its name ("maillog.1",
 * "maillog-20261203"), or -1; *ino gets its inode
 */
static int find_rotated(const struct maillog *m, unsigned long long *ino)
{
	char dir[4096], name[4096 + 256];
	const char *slash = strrchr(m->path, '/'), *base = slash + 1;
	struct dirent *e;
	DIR *d;
	int fd = -1, seen = 0;

	if ((size_t)(slash - m->path) >= sizeof(dir))
		return -1;
	memcpy(dir, m->path, slash - m->path);
	dir[slash - m->path] = '\0';
	if ((d = opendir(dir[0] ? dir : "/")) == NULL)
		return -1;
	while (fd < 0 && seen++ < DIR_SCAN_MAX && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, base, strlen(base)) != 0 ||
		    strcmp(e->d_name, base) == 0)
			continue;
		snprintf(name, sizeof(name), "%s/%s", dir, e->d_name);
		fd = open_saved(m, name, 1, ino);
	}
	closedir(d);
	return fd;
}

/* open_first_saved - open where the saved position says; 0, or -1 */
static int open_first_saved(struct maillog *m)
{
	unsigned long long ino;
	int fd;

	if ((fd = open_saved(m, m->path, 0, &ino)) < 0 &&
	    (fd = find_rotated(m, &ino)) >= 0)
		log_msg(LOG_INFO,
			"maillog: %s was rotated; finishing the old "
			"file first",
			m->path);
	if (fd >= 0) {
		use_fd(m, fd, ino, m->start.offset, &m->start);
		m->have_start = 0;
		return 0;
	}
	return -1;
}

/* follow_open - open the path when nothing is open; 0, or -1 */
static int follow_open(struct maillog *m)
{
	struct stat st;
	int fd, at_end = !m->tried && !m->have_start;
	char last;

	m->tried = 1;
	if (m->have_start && open_first_saved(m) == 0)
		return 0;
	if ((fd = open(m->path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -1;
	}
	if (m->have_start)
		log_msg(LOG_WARNING,
			"maillog: %s is not the file of the saved "
			"position; reading it from the start",
			m->path);
	m->have_start = 0;
	use_fd(m, fd, st.st_ino, 0, NULL);
	if (at_end && st.st_size > 0) { /* no saved position: from the end */
		m->cur.offset = st.st_size;
		m->skip = pread(fd, &last, 1, st.st_size - 1) == 1 &&
			  last != '\n';
	}
	return 0;
}

/* check_same - reset when the open file was truncated or replaced */
static void check_same(struct maillog *m)
{
	struct stat st;
	unsigned n;
	unsigned long long h;

	if (fstat(m->fd, &st) < 0)
		return;
	if ((unsigned long long)st.st_size < m->cur.offset + m->len ||
	    !head_same(m->fd, &m->cur, &n, &h)) {
		log_msg(LOG_INFO,
			"maillog: %s was truncated; reading it from "
			"the start",
			m->path);
		reset(m);
		head_same(m->fd, &m->cur, &n, &h);
	}
	m->cur.head_len = n;
	m->cur.head_hash = h;
}

/* line - hand the results of one complete line to cb.result */
static void line(struct maillog *m, const char *p, size_t n)
{
	int i, k = maillog_parse(p, n, m->res, MAILLOG_RCPT_MAX);

	for (i = 0; i < k; i++)
		m->cb.result(m->cb.arg, &m->res[i]);
}

/* consume - the complete lines of buf[0..len); the number of lines */
static long consume(struct maillog *m)
{
	char *p = m->buf, *end = m->buf + m->len, *nl;
	long lines = 0;

	if (m->skip) {
		if ((nl = memchr(p, '\n', end - p)) == NULL)
			nl = end - 1;
		else
			m->skip = 0;
		p = nl + 1;
	}
	while (p < end && (nl = memchr(p, '\n', end - p)) != NULL) {
		line(m, p, nl - p);
		lines++;
		p = nl + 1;
	}
	m->cur.offset += p - m->buf;
	m->len = end - p;
	if (m->len > MAILLOG_LINE_MAX) { /* no newline in sight: drop it */
		m->cur.offset += m->len;
		m->len = 0;
		m->skip = 1;
	}
	memmove(m->buf, p, m->len);
	return lines;
}

/* rotated - 1 when the path now names another file */
static int rotated(const struct maillog *m)
{
	struct stat st;

	return stat(m->path, &st) == 0 && S_ISREG(st.st_mode) &&
	       (unsigned long long)st.st_ino != m->cur.inode;
}

/* maillog_poll - read what is there now */
long maillog_poll(struct maillog *m)
{
	long lines = 0;
	ssize_t n;
	int got, switches = 0;

	if (m->fd < 0 && follow_open(m) < 0)
		return 0;
	for (;;) {
		check_same(m);
		got = 0;
		while (!m->stop &&
		       (n = pread(m->fd, m->buf + m->len, BUF_SIZE - m->len,
				  m->cur.offset + m->len)) > 0) {
			m->len += n;
			got = 1;
			lines += consume(m);
			report(m);
		}
		/* the old file went quiet: on to the new one, once a poll */
		if (got || m->stop || switches++ > 0 || !rotated(m))
			break;
		close(m->fd);
		m->fd = -1;
		if (follow_open(m) < 0)
			break;
	}
	report(m);
	return lines;
}

/* maillog_run - poll until *stop */
void maillog_run(struct maillog *m, const volatile int *stop)
{
	struct timespec ts = { 0, MAILLOG_POLL_MS * 1000000L };

	while (!*stop) {
		maillog_poll(m);
		if (!*stop)
			nanosleep(&ts, NULL);
	}
}

/* thread - the body of maillog_start's thread */
static void *thread(void *arg)
{
	struct maillog *m = arg;

	maillog_run(m, &m->stop);
	return NULL;
}

/* maillog_start - maillog_run() in a thread */
int maillog_start(struct maillog *m)
{
	int rc;

	m->stop = 0;
	if ((rc = pthread_create(&m->thread, NULL, thread, m)) != 0) {
		errno = rc;
		return -1;
	}
	m->running = 1;
	return 0;
}

/* maillog_stop - stop and join the thread */
void maillog_stop(struct maillog *m)
{
	if (m == NULL || !m->running)
		return;
	m->stop = 1;
	pthread_join(m->thread, NULL);
	m->running = 0;
	m->stop = 0;
}

/* maillog_new - a follower of path */
struct maillog *maillog_new(const char *path, const struct maillog_pos *start,
			    const struct maillog_cb *cb)
{
	struct maillog *m;

	if (path == NULL || path[0] != '/' || cb == NULL || cb->result == NULL)
		return NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->path = strdup(path)) == NULL) {
		free(m);
		return NULL;
	}
	m->cb = *cb;
	m->fd = -1;
	if (start != NULL && start->head_len <= MAILLOG_HEAD_MAX) {
		m->start = *start;
		m->have_start = 1;
		m->cur = m->told = *start;
	}
	return m;
}

/* maillog_free - stop, close, release */
void maillog_free(struct maillog *m)
{
	if (m == NULL)
		return;
	maillog_stop(m);
	if (m->fd >= 0)
		close(m->fd);
	free(m->path);
	free(m);
}

/* maillog_position - the current position */
void maillog_position(const struct maillog *m, struct maillog_pos *pos)
{
	*pos = m->cur;
}

/* maillog_pos_format - pos as "INODE:OFFSET:HEADLEN:HASH" */
void maillog_pos_format(const struct maillog_pos *pos, char *buf, size_t len)
{
	snprintf(buf, len, "%llu:%llu:%u:%016llx", pos->inode, pos->offset,
		 pos->head_len, pos->head_hash);
}

/* maillog_pos_parse - the text of maillog_pos_format() back */
int maillog_pos_parse(const char *text, struct maillog_pos *pos)
{
	struct maillog_pos p;
	int used = -1;

	memset(pos, 0, sizeof(*pos));
	if (text == NULL || text[0] < '0' || text[0] > '9' ||
	    sscanf(text, "%llu:%llu:%u:%16llx%n", &p.inode, &p.offset,
		   &p.head_len, &p.head_hash, &used) != 4 ||
	    used < 0 || text[used] != '\0' || p.head_len > MAILLOG_HEAD_MAX)
		return -1;
	*pos = p;
	return 0;
}
