/*
 * net.h: listening sockets; handing a connection from one server to another over a Unix
 * socket: the descriptor (SCM_RIGHTS) and the bytes already read from
 * it travel in one message of a SOCK_SEQPACKET socket.
 */
#ifndef IMGQ_NET_H
#define IMGQ_NET_H

#include <stddef.h>

#include "err.h"

/*
 * Listens on spec: "unix:PATH" (a socket file left by a dead instance
 * is replaced) or "ADDRESS:PORT" ("*" or empty: every address; [v6]
 * in brackets), of type SOCK_STREAM or SOCK_SEQPACKET (unix only).
 * where gets the address listened on, for a log line.  Returns the
 * descriptor (close-on-exec), or -1: EX_USAGE for a bad spec,
 * EX_TEMPFAIL when the address is in use, EX_CONFIG when it cannot be
 * bound here, EX_OSERR otherwise.
 */
int	net_listen(const char *spec, int type, int backlog, char *where,
	    size_t wsz, struct err *);

/* Bytes that may travel with a descriptor. */
#define NET_PASS_MAX	65536

/*
 * Connects to the SOCK_SEQPACKET socket at path and sends fd with
 * len bytes of data (at most NET_PASS_MAX) in one message.  EX_TEMPFAIL
 * when nothing listens there, EX_CONFIG for a path that cannot be one.
 */
int	net_pass_fd(const char *path, int fd, const void *data, size_t len,
	    struct err *);

/*
 * Receives one such message from sock: *fd gets the descriptor (-1
 * when none came: the message is not a hand-off), buf (cap bytes) the
 * data, *len its length.  -1 on a failed read or a truncated message.
 */
int	net_recv_fd(int sock, int *fd, void *buf, size_t cap, size_t *len,
	    struct err *);

#endif
