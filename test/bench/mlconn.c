/*
 * NAME
 *	mlconn - milter protocol framing for the load client
 * DESCRIPTION
 *	See mlconn.h.  A packet on the wire is a 4-byte network-order
 *	length (command byte plus data), the command byte, and the data.
 *	The socket is non-blocking; partial reads and writes are resumed,
 *	and every wait goes through poll() with the connection's timeout.
 * DIAGNOSTICS
 *	Out of memory aborts: this is a test tool.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "mlconn.h"

/* ml_fail - record why a call failed; returns -1 */
static int __attribute__((format(printf, 2, 3)))
ml_fail(struct ml_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* ml_grow - make room for len more bytes after used; aborts without memory */
static void ml_grow(unsigned char **buf, size_t *cap, size_t used, size_t len)
{
	size_t want = *cap ? *cap : 8192;

	if (used + len <= *cap)
		return;
	while (want < used + len)
		want *= 2;
	*buf = realloc(*buf, want);
	if (*buf == NULL) {
		fprintf(stderr, "milterload: out of memory\n");
		abort();
	}
	*cap = want;
}

/* ml_addr_inet - resolve HOST and PORT of an inet or inet6 spec */
static int ml_addr_inet(struct ml_addr *addr, int family, const char *host,
			const char *port, char *err, size_t errlen)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: cannot resolve %s port %s: %s",
			 addr->spec, host, port, gai_strerror(rc));
		return -1;
	}
	memcpy(&addr->sa, res->ai_addr, res->ai_addrlen);
	addr->sa_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* ml_addr_parse - parse a libmilter socket spec */
int ml_addr_parse(struct ml_addr *addr, const char *spec, char *err,
		  size_t errlen)
{
	char buf[sizeof(addr->spec)];
	char *rest, *at, *host, *port;
	int family;

	memset(addr, 0, sizeof(*addr));
	if (strlen(spec) >= sizeof(buf)) {
		snprintf(err, errlen, "socket spec too long");
		return -1;
	}
	strcpy(addr->spec, spec);
	strcpy(buf, spec);
	if (buf[0] == '/') {
		rest = buf;
		family = AF_UNIX;
	} else if ((rest = strchr(buf, ':')) == NULL) {
		snprintf(err, errlen, "%s: want unix:PATH or inet:PORT@HOST",
			 spec);
		return -1;
	} else {
		*rest++ = 0;
		if (strcmp(buf, "unix") == 0 || strcmp(buf, "local") == 0)
			family = AF_UNIX;
		else if (strcmp(buf, "inet") == 0)
			family = AF_INET;
		else if (strcmp(buf, "inet6") == 0)
			family = AF_INET6;
		else {
			snprintf(err, errlen, "%s: unknown transport %s", spec,
				 buf);
			return -1;
		}
	}
	if (family == AF_UNIX) {
		struct sockaddr_un *un = (struct sockaddr_un *)&addr->sa;

		if (*rest == 0 || strlen(rest) >= sizeof(un->sun_path)) {
			snprintf(err, errlen, "%s: bad socket path", spec);
			return -1;
		}
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, rest);
		addr->sa_len = sizeof(*un);
		return 0;
	}
	/* libmilter writes PORT@HOST; Postfix writes HOST:PORT. */
	if ((at = strchr(rest, '@')) != NULL) {
		*at = 0;
		port = rest;
		host = at + 1;
	} else if ((at = strrchr(rest, ':')) != NULL) {
		*at = 0;
		host = rest;
		port = at + 1;
	} else {
		port = rest;
		host = family == AF_INET6 ? "::1" : "127.0.0.1";
	}
	if (*port == 0 || *host == 0) {
		snprintf(err, errlen, "%s: want PORT@HOST", spec);
		return -1;
	}
	return ml_addr_inet(addr, family, host, port, err, errlen);
}

/* ml_conn_init - an unconnected connection */
void ml_conn_init(struct ml_conn *c, int timeout_ms, int trace)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = timeout_ms;
	c->trace = trace;
}

/* ml_nodelay - set TCP_NODELAY when the MSS exceeds our buffer, as Postfix */
static void ml_nodelay(int fd)
{
	int mss = 0, on = 1;
	socklen_t len = sizeof(mss);

	if (getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &mss, &len) == 0 &&
	    mss > ML_OUT_FLUSH)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* ml_conn_open - connect to the filter */
int ml_conn_open(struct ml_conn *c, const struct ml_addr *addr)
{
	struct timeval tv;
	int fd, fl;

	ml_conn_close(c);
	c->out_len = 0;
	c->in_off = c->in_len = 0;
	fd = socket(addr->sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ml_fail(c, "socket: %s", strerror(errno));
	/* A blocking connect, bounded: a full listen queue waits here. */
	tv.tv_sec = c->timeout_ms / 1000;
	tv.tv_usec = (c->timeout_ms % 1000) * 1000;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (connect(fd, (const struct sockaddr *)&addr->sa, addr->sa_len) <
	       0) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EINPROGRESS)
			errno = ETIMEDOUT;
		ml_fail(c, "connect to %s: %s", addr->spec, strerror(errno));
		close(fd);
		return -1;
	}
	if (addr->sa.ss_family != AF_UNIX)
		ml_nodelay(fd);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		ml_fail(c, "fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	c->fd = fd;
	return 0;
}

/* ml_frame_begin - reserve the length and write the command byte */
size_t ml_frame_begin(struct ml_conn *c, int cmd)
{
	size_t start = c->out_len;

	ml_grow(&c->out, &c->out_cap, c->out_len, 5);
	c->out_len += 4;
	c->out[c->out_len++] = (unsigned char)cmd;
	return start;
}

/* ml_put_mem - append raw bytes */
void ml_put_mem(struct ml_conn *c, const void *p, size_t len)
{
	ml_grow(&c->out, &c->out_cap, c->out_len, len);
	memcpy(c->out + c->out_len, p, len);
	c->out_len += len;
}

/* ml_put_byte - append one octet */
void ml_put_byte(struct ml_conn *c, unsigned v)
{
	unsigned char b = (unsigned char)v;

	ml_put_mem(c, &b, 1);
}

/* ml_put_u16 - append a network-order short */
void ml_put_u16(struct ml_conn *c, unsigned v)
{
	unsigned char b[2] = { (unsigned char)(v >> 8), (unsigned char)v };

	ml_put_mem(c, b, 2);
}

/* ml_put_u32 - append a network-order long */
void ml_put_u32(struct ml_conn *c, uint32_t v)
{
	unsigned char b[4] = { (unsigned char)(v >> 24),
			       (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	ml_put_mem(c, b, 4);
}

/* ml_put_str - append a string with its terminating NUL */
void ml_put_str(struct ml_conn *c, const char *s)
{
	ml_put_mem(c, s, strlen(s) + 1);
}

/* ml_trace - show one packet on stderr: direction, command, data */
static void ml_trace(const char *dir, int cmd, const unsigned char *data,
		     size_t len)
{
	char text[81];
	size_t i, n = 0;

	for (i = 0; i < len && n < sizeof(text) - 1; i++)
		text[n++] = data[i] == 0		      ? '|'
			    : (data[i] < 32 || data[i] > 126) ? '.'
							      : (char)data[i];
	text[n] = 0;
	fprintf(stderr, "%s %c %-16s %5zu %s\n", dir, cmd,
		dir[0] == '>' ? ml_cmd_name(cmd) : ml_reply_name(cmd), len,
		text);
}

/* ml_frame_end - fill in the length; write out a full buffer */
int ml_frame_end(struct ml_conn *c, size_t start)
{
	uint32_t len = (uint32_t)(c->out_len - start - 4);
	unsigned char *p = c->out + start;

	p[0] = (unsigned char)(len >> 24);
	p[1] = (unsigned char)(len >> 16);
	p[2] = (unsigned char)(len >> 8);
	p[3] = (unsigned char)len;
	if (c->trace)
		ml_trace(">", p[4], p + 5, len - 1);
	if (c->out_len >= ML_OUT_FLUSH)
		return ml_conn_flush(c);
	return 0;
}

/* ml_now_ms - monotonic milliseconds */
static long long ml_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ml_wait - poll for events until the deadline; 0 ready, -1 with errno */
static int ml_wait(struct ml_conn *c, short events, long long deadline)
{
	struct pollfd pfd;
	long long left;
	int rc;

	for (;;) {
		left = deadline - ml_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = c->fd;
		pfd.events = events;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return -1;
	}
}

/* ml_conn_flush - write the output buffer, resuming partial writes */
int ml_conn_flush(struct ml_conn *c)
{
	long long deadline = ml_now_ms() + c->timeout_ms;
	size_t done = 0;
	ssize_t n;

	if (c->fd < 0)
		return ml_fail(c, "not connected");
	while (done < c->out_len) {
		n = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (ml_wait(c, POLLOUT, deadline) == 0)
				continue;
			if (errno == ETIMEDOUT)
				return ml_fail(c, "write timed out after %d ms",
					       c->timeout_ms);
		}
		return ml_fail(c, "write: %s", strerror(errno));
	}
	c->out_len = 0;
	return 0;
}

/* ml_fill - read what the peer has sent, waiting until the deadline */
static int ml_fill(struct ml_conn *c, long long deadline)
{
	ssize_t n;

	if (c->in_off > 0) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	ml_grow(&c->in, &c->in_cap, c->in_len, 4096);
	for (;;) {
		n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
		if (n > 0) {
			c->in_len += (size_t)n;
			return 0;
		}
		if (n == 0)
			return ml_fail(c, "filter closed the connection");
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return ml_fail(c, "read: %s", strerror(errno));
		if (ml_wait(c, POLLIN, deadline) < 0) {
			if (errno == ETIMEDOUT)
				return ml_fail(c, "no reply within %d ms",
					       c->timeout_ms);
			return ml_fail(c, "poll: %s", strerror(errno));
		}
	}
}

/* ml_conn_read - flush, then read exactly one packet */
int ml_conn_read(struct ml_conn *c, struct ml_frame *f)
{
	long long deadline;
	const unsigned char *p;
	uint32_t len;

	if (c->out_len > 0 && ml_conn_flush(c) < 0)
		return -1;
	if (c->fd < 0)
		return ml_fail(c, "not connected");
	deadline = ml_now_ms() + c->timeout_ms;
	while (c->in_len - c->in_off < 4)
		if (ml_fill(c, deadline) < 0)
			return -1;
	p = c->in + c->in_off;
	len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	      (uint32_t)p[2] << 8 | p[3];
	if (len < 1)
		return ml_fail(c, "bad packet length 0");
	if (len > ML_MAX_FRAME)
		return ml_fail(c, "packet length %lu exceeds %d",
			       (unsigned long)len, ML_MAX_FRAME);
	while (c->in_len - c->in_off < 4 + (size_t)len)
		if (ml_fill(c, deadline) < 0)
			return -1;
	p = c->in + c->in_off;
	f->cmd = p[4];
	f->data = p + 5;
	f->len = len - 1;
	c->in_off += 4 + (size_t)len;
	if (c->trace)
		ml_trace("<", f->cmd, f->data, f->len);
	return 0;
}

/* ml_conn_pending - 1 unread bytes, 0 none, -1 the peer closed or failed */
int ml_conn_pending(struct ml_conn *c)
{
	unsigned char b;
	ssize_t n;

	if (c->in_len > c->in_off)
		return 1;
	if (c->fd < 0)
		return 0;
	n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0)
		return 1;
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	return -1;
}

/* ml_conn_close - best-effort flush, then close */
void ml_conn_close(struct ml_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->out_len > 0)
		(void)ml_conn_flush(c);
	close(c->fd);
	c->fd = -1;
	c->out_len = 0;
}

/* ml_conn_free - close and release the buffers */
void ml_conn_free(struct ml_conn *c)
{
	ml_conn_close(c);
	free(c->out);
	free(c->in);
	c->out = c->in = NULL;
	c->out_cap = c->in_cap = 0;
}

/* ml_cmd_name - name of an MTA command */
const char *ml_cmd_name(int cmd)
{
	switch (cmd) {
	case SMFIC_ABORT:
		return "SMFIC_ABORT";
	case SMFIC_BODY:
		return "SMFIC_BODY";
	case SMFIC_CONNECT:
		return "SMFIC_CONNECT";
	case SMFIC_MACRO:
		return "SMFIC_MACRO";
	case SMFIC_BODYEOB:
		return "SMFIC_BODYEOB";
	case SMFIC_HELO:
		return "SMFIC_HELO";
	case SMFIC_QUIT_NC:
		return "SMFIC_QUIT_NC";
	case SMFIC_HEADER:
		return "SMFIC_HEADER";
	case SMFIC_MAIL:
		return "SMFIC_MAIL";
	case SMFIC_EOH:
		return "SMFIC_EOH";
	case SMFIC_OPTNEG:
		return "SMFIC_OPTNEG";
	case SMFIC_QUIT:
		return "SMFIC_QUIT";
	case SMFIC_RCPT:
		return "SMFIC_RCPT";
	case SMFIC_DATA:
		return "SMFIC_DATA";
	case SMFIC_UNKNOWN:
		return "SMFIC_UNKNOWN";
	default:
		return "(unknown command)";
	}
}

/* ml_reply_name - name of a filter reply */
const char *ml_reply_name(int cmd)
{
	switch (cmd) {
	case SMFIR_ADDRCPT:
		return "SMFIR_ADDRCPT";
	case SMFIR_DELRCPT:
		return "SMFIR_DELRCPT";
	case SMFIR_ADDRCPT_PAR:
		return "SMFIR_ADDRCPT_PAR";
	case SMFIR_SHUTDOWN:
		return "SMFIR_SHUTDOWN";
	case SMFIR_ACCEPT:
		return "SMFIR_ACCEPT";
	case SMFIR_REPLBODY:
		return "SMFIR_REPLBODY";
	case SMFIR_CONTINUE:
		return "SMFIR_CONTINUE";
	case SMFIR_DISCARD:
		return "SMFIR_DISCARD";
	case SMFIR_CHGFROM:
		return "SMFIR_CHGFROM";
	case SMFIR_CONN_FAIL:
		return "SMFIR_CONN_FAIL";
	case SMFIR_ADDHEADER:
		return "SMFIR_ADDHEADER";
	case SMFIR_INSHEADER:
		return "SMFIR_INSHEADER";
	case SMFIR_SETSYMLIST:
		return "SMFIR_SETSYMLIST";
	case SMFIR_CHGHEADER:
		return "SMFIR_CHGHEADER";
	case SMFIR_PROGRESS:
		return "SMFIR_PROGRESS";
	case SMFIR_QUARANTINE:
		return "SMFIR_QUARANTINE";
	case SMFIR_REJECT:
		return "SMFIR_REJECT";
	case SMFIR_SKIP:
		return "SMFIR_SKIP";
	case SMFIR_TEMPFAIL:
		return "SMFIR_TEMPFAIL";
	case SMFIR_REPLYCODE:
		return "SMFIR_REPLYCODE";
	case SMFIC_OPTNEG:
		return "SMFIC_OPTNEG";
	default:
		return "(unknown reply)";
	}
}
