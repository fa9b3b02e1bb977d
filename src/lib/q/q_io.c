/*
 * q_io.c: the transport under the queue's commands: hiredis's own I/O for
 * plain connections, a non-blocking socket driven by poll(2) and OpenSSL
 * for TLS (q_io.h).
 */
#define _DEFAULT_SOURCE

#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "exitcode.h"
#include "q_io.h"
#include "sys.h"

struct q_conn {
	redisContext	*c;		/* plain: hiredis does the I/O */
	SSL		*ssl;		/* TLS: this file does */
	redisReader	*rd;
	struct buf	 out;
	int		 fd;
	int		 code;
	char		 errstr[160];
};

void
q_where(const char *host, int port, const char *path, char *buf, size_t sz)
{
	int n;

	if (path != NULL)
		n = snprintf(buf, sz, "%s", path);
	else
		n = snprintf(buf, sz, strchr(host, ':') ? "[%s]:%d" : "%s:%d",
		    host, port);
	if (n < 0 || (size_t)n >= sz)
		(void)snprintf(buf, sz, "redis");
}

static int
fail(struct q_conn *k, int code, const char *why)
{
	k->code = code;
	(void)snprintf(k->errstr, sizeof(k->errstr), "%s", why);
	return -1;
}

/* A hiredis call failed: its reason; its errors are all worth retrying. */
static int
plain_fail(struct q_conn *k)
{
	return fail(k, EX_TEMPFAIL, k->c->errstr[0] ? k->c->errstr :
	    "connection closed");
}

static struct q_conn *
plain_open(const char *host, int port, const char *path, const char *w,
    struct err *e)
{
	struct timeval tv = { Q_CONNECT_TIMEOUT_MS / 1000, 0 };
	struct q_conn *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		goto oom;
	k->fd = -1;
	k->c = path != NULL ? redisConnectUnixWithTimeout(path, tv) :
	    redisConnectWithTimeout(host, port, tv);
	if (k->c == NULL)
		goto oom;
	if (k->c->err) {
		err_set(e, EX_TEMPFAIL, "unable to connect to %s: %s", w,
		    k->c->errstr);
		goto fail;
	}
	k->fd = k->c->fd;
	/*
	 * hiredis 0.14 leaves the socket inheritable: a job's command (and
	 * the decoder it runs) would hold a connection already past AUTH.
	 */
	if (fcntl(k->fd, F_SETFD, FD_CLOEXEC) == -1) {
		err_errno(e, EX_OSERR, errno, "unable to connect to %s", w);
		goto fail;
	}
	tv.tv_sec = Q_COMMAND_TIMEOUT_MS / 1000;
	(void)redisSetTimeout(k->c, tv);
	if (path == NULL)
		(void)redisEnableKeepAlive(k->c);
	return k;
oom:
	err_set(e, EX_OSERR, "unable to connect to %s: out of memory", w);
fail:
	q_conn_free(k);
	return NULL;
}

/* 1 when fd is ready for events before the deadline, 0 at the deadline. */
static int
await(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { fd, events, 0 };
	uint64_t now;
	int rc;

	for (;;) {
		now = sys_now_ms();
		if (now >= deadline)
			return 0;
		rc = poll(&p, 1, (int)(deadline - now));
		if (rc > 0)
			return 1;
		if (rc == -1 && errno != EINTR)
			return -1;
	}
}

static int
connect_one(const struct addrinfo *ai, int *errnum)
{
	socklen_t sl = sizeof(*errnum);
	int fd, rc;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1) {
		*errnum = errno;
		return -1;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	*errnum = errno;
	if (errno == EINPROGRESS) {
		rc = await(fd, POLLOUT, sys_now_ms() + Q_CONNECT_TIMEOUT_MS);
		if (rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, errnum,
		    &sl) == 0 && *errnum == 0)
			return fd;
		if (rc == 0)
			*errnum = ETIMEDOUT;
		else if (rc == -1)
			*errnum = errno;
	}
	(void)close(fd);
	return -1;
}

/* A non-blocking TCP socket connected to host:port, or -1. */
static int
tcp_open(const char *host, int port, const char *w, struct err *e)
{
	struct addrinfo hints, *res, *ai;
	char ps[8];
	int fd = -1, errnum = ECONNREFUSED, rc, on = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	(void)snprintf(ps, sizeof(ps), "%d", port);
	if ((rc = getaddrinfo(host, ps, &hints, &res)) != 0)
		return err_set(e, EX_TEMPFAIL, "unable to connect to %s: %s",
		    w, gai_strerror(rc));
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next)
		fd = connect_one(ai, &errnum);
	freeaddrinfo(res);
	if (fd == -1)
		return err_errno(e, EX_TEMPFAIL, errnum,
		    "unable to connect to %s", w);
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	on = 15;	/* as hiredis's redisEnableKeepAlive */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &on, sizeof(on));
	return fd;
}

struct q_conn *
q_conn_open(const char *host, int port, const char *path,
    const struct q_tlsdest *tls, struct err *e)
{
	struct q_conn *k;
	char w[300];

	q_where(host, port, path, w, sizeof(w));
	if (tls == NULL || tls->ctx == NULL)
		return plain_open(host, port, path, w, e);
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->rd = redisReaderCreate()) == NULL) {
		err_set(e, EX_OSERR, "unable to connect to %s: out of memory",
		    w);
		q_conn_free(k);
		return NULL;
	}
	if ((k->fd = tcp_open(host, port, w, e)) == -1 ||
	    (k->ssl = q_tls_handshake(k->fd, tls, host, w, e)) == NULL) {
		q_conn_free(k);
		return NULL;
	}
	return k;
}

void
q_conn_free(struct q_conn *k)
{
	if (k == NULL)
		return;
	if (k->c != NULL)
		redisFree(k->c);	/* closes k->fd */
	else {
		if (k->ssl != NULL)
			SSL_free(k->ssl);
		if (k->fd >= 0)
			(void)close(k->fd);
	}
	if (k->rd != NULL)
		redisReaderFree(k->rd);
	buf_free(&k->out);
	free(k);
}

int
q_conn_fd(const struct q_conn *k)
{
	return k->fd;
}

const char *
q_conn_errstr(const struct q_conn *k)
{
	return k->errstr[0] ? k->errstr : "connection closed";
}

int
q_conn_code(const struct q_conn *k)
{
	return k->code ? k->code : EX_TEMPFAIL;
}

int
q_conn_append(struct q_conn *k, int argc, const char **argv,
    const size_t *lens)
{
	char *cmd;
	long long n;
	int rc;

	if (k->c != NULL)
		return redisAppendCommandArgv(k->c, argc, argv, lens) ==
		    REDIS_OK ? 0 : fail(k, EX_OSERR, "out of memory");
	if ((n = redisFormatCommandArgv(&cmd, argc, argv, lens)) < 0)
		return fail(k, EX_OSERR, "out of memory");
	rc = buf_add(&k->out, cmd, (size_t)n);
	redisFreeCommand(cmd);
	return rc == 0 ? 0 : fail(k, EX_OSERR, "out of memory");
}

static int
conn_wait(struct q_conn *k, short ev, uint64_t deadline)
{
	switch (await(k->fd, ev, deadline)) {
	case 1:
		return 0;
	case 0:
		/* hiredis's words for its socket timeout, for one message */
		return fail(k, EX_TEMPFAIL, strerror(EAGAIN));
	default:
		return fail(k, EX_TEMPFAIL, strerror(errno));
	}
}

/*
 * Waits for what an SSL call that returned rc needs, or fails; deadline
 * 0: does not wait (the caller polls).
 */
static int
tls_wait(struct q_conn *k, int rc, uint64_t deadline)
{
	short ev;

	if (q_tls_fail(k->ssl, rc, &ev, &k->code, k->errstr,
	    sizeof(k->errstr)) == -1)
		return -1;
	if (deadline == 0)
		return 0;
	return conn_wait(k, ev, deadline);
}

int
q_conn_flush(struct q_conn *k)
{
	uint64_t deadline = sys_now_ms() + Q_COMMAND_TIMEOUT_MS;
	int done = 0, rc;

	if (k->c != NULL) {
		while (!done)
			if (redisBufferWrite(k->c, &done) != REDIS_OK)
				return plain_fail(k);
		return 0;
	}
	if (k->out.len > INT_MAX)
		return fail(k, EX_OSERR, "command too long");
	while (k->out.len > 0) {
		/* Retried with the same arguments, as OpenSSL requires. */
		rc = SSL_write(k->ssl, k->out.p, (int)k->out.len);
		if (rc > 0)
			buf_reset(&k->out);
		else if (tls_wait(k, rc, deadline) == -1)
			return -1;
	}
	return 0;
}

/*
 * One read of what the socket has, and all that OpenSSL holds of it (it
 * reads ahead): nothing stays inside OpenSSL where a poll(2) on the socket
 * would miss it.  A record that held no data (a session ticket) reads as
 * nothing.
 */
static int
tls_read(struct q_conn *k, uint64_t deadline)
{
	char b[16384];
	int rc;

	do {
		rc = SSL_read(k->ssl, b, sizeof(b));
		if (rc <= 0)
			return tls_wait(k, rc, deadline);
		if (redisReaderFeed(k->rd, b, (size_t)rc) != REDIS_OK)
			return fail(k, EX_OSERR, "out of memory");
	} while (SSL_has_pending(k->ssl));
	return 0;
}

int
q_conn_fill(struct q_conn *k)
{
	if (k->c != NULL)
		return redisBufferRead(k->c) == REDIS_OK ? 0 : plain_fail(k);
	return tls_read(k, 0);
}

int
q_conn_take(struct q_conn *k, redisReply **out)
{
	void *rv = NULL;

	*out = NULL;
	if (k->c != NULL) {
		if (redisGetReplyFromReader(k->c, &rv) != REDIS_OK)
			return plain_fail(k);
	} else if (redisReaderGetReply(k->rd, &rv) != REDIS_OK)
		return fail(k, EX_TEMPFAIL, k->rd->errstr);
	*out = rv;
	return 0;
}

int
q_conn_reply(struct q_conn *k, redisReply **out)
{
	uint64_t deadline;
	void *rv = NULL;

	if (k->c != NULL) {
		if (redisGetReply(k->c, &rv) != REDIS_OK)
			return plain_fail(k);
		*out = rv;
		return 0;
	}
	if (q_conn_flush(k) == -1)
		return -1;
	deadline = sys_now_ms() + Q_COMMAND_TIMEOUT_MS;
	for (;;) {
		if (q_conn_take(k, out) == -1)
			return -1;
		if (*out != NULL)
			return 0;
		/* Wait first: a read at once would mostly find nothing. */
		if (!SSL_has_pending(k->ssl) &&
		    conn_wait(k, POLLIN, deadline) == -1)
			return -1;
		if (tls_read(k, deadline) == -1)
			return -1;
	}
}

redisReply *
q_conn_command(struct q_conn *k, int argc, const char **argv,
    const size_t *lens)
{
	redisReply *r;

	if (q_conn_append(k, argc, argv, lens) == -1 ||
	    q_conn_reply(k, &r) == -1)
		return NULL;
	return r;
}
