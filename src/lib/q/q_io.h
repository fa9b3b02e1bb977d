/*
 * q_io.h: the transport under the queue's commands (not for programs).
 *
 * A struct q_conn is one connection to one Redis server.  Plain TCP and
 * unix sockets use hiredis's own I/O; TLS (rediss://), which Debian's
 * hiredis 0.14 lacks, uses OpenSSL on a socket of q_io.c's own, with
 * hiredis's command formatter and reply reader.  Both block with the same
 * timeouts and fail the same way: -1, with q_conn_errstr and q_conn_code
 * telling why (EX_TEMPFAIL for a lost connection or a timeout).
 */
#ifndef IMGQ_Q_IO_H
#define IMGQ_Q_IO_H

#include <openssl/ssl.h>

#include <hiredis/hiredis.h>

#include "err.h"
#include "q.h"

#define Q_CONNECT_TIMEOUT_MS	5000
#define Q_COMMAND_TIMEOUT_MS	10000

struct q_conn;

/* TLS for a connection: the context, and the name the server must have. */
struct q_tlsdest {
	SSL_CTX		*ctx;
	const char	*name;		/* NULL: the host connected to */
};

/*
 * "host:port", "[v6]:port" or the socket path, for messages (never a
 * password: none is passed).
 */
void	q_where(const char *host, int port, const char *path, char *,
	    size_t);

/*
 * Connects to host:port, or to the unix socket path when it is not NULL;
 * with tls, makes the TLS handshake and checks the certificate (verify
 * failures EX_CONFIG, a refused client certificate EX_NOPERM, the rest
 * EX_TEMPFAIL).  Messages begin "unable to connect to WHERE".  The
 * descriptor is close-on-exec.
 */
struct q_conn *q_conn_open(const char *host, int port, const char *path,
	    const struct q_tlsdest *tls, struct err *);
void	q_conn_free(struct q_conn *);

/* The socket, for poll(2): readable when q_conn_fill has bytes to read. */
int	q_conn_fd(const struct q_conn *);
/* Why the last call failed (never NULL), and its class. */
const char *q_conn_errstr(const struct q_conn *);
int	q_conn_code(const struct q_conn *);

/* Formats a command into the output buffer: -1 only when out of memory. */
int	q_conn_append(struct q_conn *, int argc, const char **argv,
	    const size_t *lens);
/* Sends what was appended. */
int	q_conn_flush(struct q_conn *);
/*
 * Reads what the socket has into the reader; for a poll(2) loop, after
 * the socket was readable (a TLS record that held no data reads nothing).
 */
int	q_conn_fill(struct q_conn *);
/* A reply already read, or *out NULL when none is complete. */
int	q_conn_take(struct q_conn *, redisReply **out);
/* Sends what was appended and waits for the next reply. */
int	q_conn_reply(struct q_conn *, redisReply **out);
/* q_conn_append and q_conn_reply: a reply, or NULL. */
redisReply *q_conn_command(struct q_conn *, int argc, const char **argv,
	    const size_t *lens);

/* ----- q_tls.c: OpenSSL under q_io.c ----- */

/*
 * A client context with the settings of q.h's struct q_tls: EX_CONFIG
 * when a file does not load.
 */
SSL_CTX	*q_tls_ctx(const struct q_tls *, struct err *);

/* Handshake and certificate check on a connected socket (q_conn_open). */
SSL	*q_tls_handshake(int fd, const struct q_tlsdest *, const char *host,
	    const char *where, struct err *);
/*
 * An SSL_read or SSL_write that returned rc: 0 when it only has to wait
 * (*events: POLLIN or POLLOUT), else -1 with the reason in buf and the
 * class in *code.
 */
int	q_tls_fail(SSL *, int rc, short *events, int *code, char *buf,
	    size_t);

#endif
