/*
 * NAME
 *	metrics_http - the MetricsSocket's HTTP server
 * DESCRIPTION
 *	See metrics_http.h.  libmicrohttpd (Debian libmicrohttpd-dev) runs
 *	one internal thread with poll() (MHD_USE_POLL_INTERNAL_THREAD) that
 *	parses requests, times out slow clients and leaves connections
 *	over the cap in the kernel's backlog; this file only answers a
 *	parsed request:
 *	  GET or HEAD /metrics   200, the text format
 *	  /metrics, other method 405 with "Allow: GET, HEAD"
 *	  any other path         404
 *	A refusal is answered at once (libmicrohttpd then closes the
 *	connection); GET /metrics once the whole request is in, so that a
 *	scraper may keep its connection.  A malformed request gets
 *	libmicrohttpd's own 400.  Each request renders the metrics afresh
 *	(about 25 us, no lock the mail path takes).  Connections are
 *	capped at HTTP_CONNS, each may hold HTTP_MEMORY bytes of request
 *	and must finish within HTTP_TIMEOUT seconds of silence;
 *	libmicrohttpd's complaints (a client that went away, say) are
 *	logged at most once a minute.  poll(), not
 *	epoll: with libmicrohttpd 0.9.75's epoll loop, a backlog of 1,000
 *	connections at the cap drained at about 5 a second; with poll()
 *	it drains at once.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "conf.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"

#define HTTP_CONNS   32	   /* connections at once; more wait */
#define HTTP_TIMEOUT 5	   /* seconds a connection may be idle */
#define HTTP_MEMORY  16384 /* bytes of request per connection */
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	struct MHD_Daemon *d;
	atomic_int started;
	char why[200]; /* libmicrohttpd's last message before started */
};

/* resolve - spec to a socket address with its port; 0 or -1 with err */
static int resolve(const char *spec, struct sockaddr_storage *ss, char *err,
		   size_t errlen)
{
	struct addrinfo hints, *res;
	struct conf_inet in;
	char port[8];
	int rc;

	if (conf_inet_parse(spec, &in) < 0) {
		snprintf(err, errlen,
			 "MetricsSocket %s: want inet:PORT@HOST "
			 "or inet6:PORT@HOST",
			 spec);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = in.v6 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%u", in.port);
	if ((rc = getaddrinfo(in.host, port, &hints, &res)) != 0) {
		snprintf(err, errlen,
			 "MetricsSocket %s: cannot resolve %s "
			 "as an %s address: %s",
			 spec, in.host, in.v6 ? "IPv6" : "IPv4",
			 gai_strerror(rc));
		return -1;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* metrics_http_check - parse and resolve */
int metrics_http_check(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;

	return resolve(spec, &ss, err, errlen);
}

/* reply - queue a fixed answer */
static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
			     const char *body)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
					    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* answer - libmicrohttpd's access handler: one request, answered now */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload_data,
			      size_t *upload_size, void **req)
{
	struct MHD_Response *r;
	enum MHD_Result rc;
	size_t len;
	char *text;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "method not allowed\n");
	if (*req == NULL) { /* the headers: answer once the request is in */
		*req = conn;
		return MHD_YES;
	}
	if (*upload_size != 0) { /* a body on a GET: dropped */
		*upload_size = 0;
		return MHD_YES;
	}
	if ((text = metrics_render(&len)) == NULL)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			     "out of memory\n");
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

/* mhd_log - libmicrohttpd's messages, logged at most once a minute */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct metrics_http *h = cls;
	char line[200];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (!atomic_load(&h->started)) /* for the start-up error */
		memcpy(h->why, line, sizeof(h->why));
	log_ratelimited("metrics http", 60, LOG_NOTICE, "metrics: %s", line);
}

/* metrics_http_start - listen and serve */
struct metrics_http *metrics_http_start(const char *spec, char *err,
					size_t errlen)
{
	struct sockaddr_storage ss;
	struct metrics_http *h;
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	uint16_t port;

	if (resolve(spec, &ss, err, errlen) < 0)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	/* the logger first, so that every message goes through it */
	h->d = MHD_start_daemon(
		flags, port, NULL, NULL, answer, h, MHD_OPTION_EXTERNAL_LOGGER,
		mhd_log, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNS,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_MEMORY,
		MHD_OPTION_END);
	if (h->d == NULL) {
		snprintf(err, errlen, "MetricsSocket %s: cannot listen: %s",
			 spec, h->why[0] ? h->why : "libmicrohttpd failed");
		free(h);
		return NULL;
	}
	atomic_store(&h->started, 1);
	return h;
}

/* metrics_http_stop - stop serving */
void metrics_http_stop(struct metrics_http *h)
{
	if (h == NULL)
		return;
	MHD_stop_daemon(h->d);
	free(h);
}
