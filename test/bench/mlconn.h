/*
 * NAME
 *	mlconn - milter protocol framing for the load client
 * SYNOPSIS
 *	#include "mlconn.h"
 * DESCRIPTION
 *	One connection from the MTA side to a filter: packets are built
 *	in an output buffer and written only when a reply is awaited, the
 *	buffer fills (4096 bytes, as Postfix's VSTREAM does) or the
 *	connection closes.  Every wait for the peer is bounded by the
 *	connection's timeout.  Functions that return int give 0 on
 *	success and -1 on failure, with the reason in conn->err.
 */
#ifndef MLCONN_H
#define MLCONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ML_OUT_FLUSH 4096	   /* Postfix's VSTREAM_BUFSIZE */
#define ML_MAX_FRAME (1024 * 1024) /* largest reply we accept */
#define ML_ERR_LEN   256

/* Where the filter listens, parsed from a libmilter socket spec. */
struct ml_addr {
	struct sockaddr_storage sa;
	socklen_t sa_len;
	char spec[256];
};

/* One reply from the filter; data points into the connection's buffer. */
struct ml_frame {
	int cmd;
	const unsigned char *data;
	size_t len;
};

/* One connection to the filter. */
struct ml_conn {
	int fd;
	int timeout_ms;	    /* bound on each wait for the peer */
	int trace;	    /* print every packet to stderr */
	unsigned char *out; /* packets not yet written */
	size_t out_len;
	size_t out_cap;
	unsigned char *in; /* bytes read, not yet parsed */
	size_t in_off;
	size_t in_len;
	size_t in_cap;
	char err[ML_ERR_LEN]; /* why the last call failed */
};

/* ml_addr_parse - unix:PATH, local:PATH, inet:PORT@HOST, inet6:PORT@HOST */
int ml_addr_parse(struct ml_addr *addr, const char *spec, char *err,
		  size_t errlen);

/* ml_conn_init - an unconnected connection; buffers are kept across opens */
void ml_conn_init(struct ml_conn *c, int timeout_ms, int trace);

/* ml_conn_open - connect (non-blocking afterwards); buffers are emptied */
int ml_conn_open(struct ml_conn *c, const struct ml_addr *addr);

/* ml_frame_begin - start a packet; returns its offset for ml_frame_end */
size_t ml_frame_begin(struct ml_conn *c, int cmd);

/* ml_put_* - append packet data: octet, network short/long, string+NUL */
void ml_put_byte(struct ml_conn *c, unsigned v);
void ml_put_u16(struct ml_conn *c, unsigned v);
void ml_put_u32(struct ml_conn *c, uint32_t v);
void ml_put_str(struct ml_conn *c, const char *s);
void ml_put_mem(struct ml_conn *c, const void *p, size_t len);

/* ml_frame_end - finish a packet; writes out when the buffer is full */
int ml_frame_end(struct ml_conn *c, size_t start);

/* ml_conn_flush - write every buffered packet */
int ml_conn_flush(struct ml_conn *c);

/* ml_conn_read - flush, then read one reply; valid until the next read */
int ml_conn_read(struct ml_conn *c, struct ml_frame *f);

/* ml_conn_pending - 1 when the peer sent more than was read, -1 closed */
int ml_conn_pending(struct ml_conn *c);

/* ml_conn_close - flush what can be flushed and close; keeps the buffers */
void ml_conn_close(struct ml_conn *c);

/* ml_conn_free - close and release the buffers */
void ml_conn_free(struct ml_conn *c);

/* ml_cmd_name - "SMFIC_RCPT" for 'R' (MTA commands), never NULL */
const char *ml_cmd_name(int cmd);

/* ml_reply_name - "SMFIR_ADDHEADER" for 'h' (filter replies), never NULL */
const char *ml_reply_name(int cmd);

#endif
