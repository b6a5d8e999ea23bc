/*
 * NAME
 *	metrics_http - serve GET /metrics over HTTP, with libmicrohttpd
 * SYNOPSIS
 *	#include "metrics_http.h"
 * DESCRIPTION
 *	The daemon's MetricsSocket: libmicrohttpd's own thread answers
 *	GET /metrics with metrics_render()'s text; nothing it does waits
 *	on the mail path or makes it wait.  The only file that includes
 *	microhttpd.h.
 */
#ifndef OUTGUARD_METRICS_HTTP_H
#define OUTGUARD_METRICS_HTTP_H

#include <stddef.h>

struct metrics_http;

/*
 * metrics_http_check - can spec (inet:PORT@HOST, inet6:PORT@HOST) be
 * served: parsed, and its host resolved?  0, or -1 with err
 */
int metrics_http_check(const char *spec, char *err, size_t errlen);

/*
 * metrics_http_start - listen on spec and serve from a thread of
 * libmicrohttpd's; NULL with err when it cannot (bad spec, unknown
 * host, port in use)
 */
struct metrics_http *metrics_http_start(const char *spec, char *err,
					size_t errlen);

/* metrics_http_stop - close the socket and every connection; NULL ok */
void metrics_http_stop(struct metrics_http *h);

#endif
