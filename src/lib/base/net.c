/*
 * net.c: listening sockets, and a connection's descriptor and bytes
 * passed over a Unix socket.
 */
#define _DEFAULT_SOURCE

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "net.h"

/* The exit code that fits a failing bind(2) or listen(2). */
static int
bind_code(int errnum)
{
	switch (errnum) {
	case EADDRINUSE:
		return EX_TEMPFAIL;	/* an old instance may still hold it */
	case EACCES: case EADDRNOTAVAIL: case ENOENT: case ENOTDIR:
	case EROFS: case EPERM: case EAFNOSUPPORT:
		return EX_CONFIG;
	default:
		return EX_OSERR;
	}
}

static int
listen_unix(const char *path, int type, int backlog, struct err *e)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof(sun.sun_path))
		return err_set(e, EX_USAGE, "unix socket path empty or longer "
		    "than %zu bytes", sizeof(sun.sun_path) - 1);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
		return err_errno(e, EX_OSERR, errno, "socket");
	/* A socket file left by a dead instance: nobody answers on it. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 &&
	    errno == ECONNREFUSED)
		(void)unlink(path);
	(void)close(fd);
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
		return err_errno(e, EX_OSERR, errno, "socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, backlog) == -1) {
		(void)err_errno(e, bind_code(errno), errno,
		    "unable to listen on unix:%s", path);
		(void)close(fd);
		return -1;
	}
	return fd;
}

static int
listen_inet(const char *spec, int backlog, char *where, size_t wsz,
    struct err *e)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sslen;
	char host[256], port[32], nhost[256], nport[32];
	const char *colon, *h = spec;
	size_t hlen;
	int fd = -1, on = 1, r, errnum = 0;

	if ((colon = strrchr(spec, ':')) == NULL || colon[1] == '\0')
		return err_set(e, EX_USAGE, "%s: expected ADDRESS:PORT or "
		    "unix:PATH", spec);
	snprintf(where, wsz, "%s", spec);
	hlen = (size_t)(colon - spec);
	if (hlen >= 2 && spec[0] == '[' && spec[hlen - 1] == ']') {
		h = spec + 1;
		hlen -= 2;
	}
	if (hlen >= sizeof(host) ||
	    (size_t)snprintf(port, sizeof(port), "%s", colon + 1) >=
	    sizeof(port))
		return err_set(e, EX_USAGE, "%s: address too long", spec);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	r = getaddrinfo(hlen == 0 || strcmp(host, "*") == 0 ? NULL : host,
	    port, &hints, &res);
	if (r != 0)
		return err_set(e, r == EAI_AGAIN ? EX_TEMPFAIL : EX_CONFIG,
		    "%s: %s", spec, gai_strerror(r));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1) {
			errnum = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, backlog) == 0)
			break;
		errnum = errno;
		(void)close(fd);
		fd = -1;
	}
	if (fd == -1) {
		freeaddrinfo(res);
		return err_errno(e, bind_code(errnum), errnum,
		    "unable to listen on %s", spec);
	}
	sslen = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sslen, nhost, sizeof(nhost),
	    nport, sizeof(nport), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(where, wsz, "%s%s%s:%s",
		    ss.ss_family == AF_INET6 ? "[" : "", nhost,
		    ss.ss_family == AF_INET6 ? "]" : "", nport);
	freeaddrinfo(res);
	return fd;
}

int
net_listen(const char *spec, int type, int backlog, char *where, size_t wsz,
    struct err *e)
{
	if (strncmp(spec, "unix:", 5) == 0) {
		snprintf(where, wsz, "%s", spec);
		return listen_unix(spec + 5, type, backlog, e);
	}
	return listen_inet(spec, backlog, where, wsz, e);
}

int
net_pass_fd(const char *path, int fd, const void *data, size_t len,
    struct err *e)
{
	struct sockaddr_un sun;
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr m;
	struct iovec iov;
	int s, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path) || *path == '\0')
		return err_set(e, EX_CONFIG, "socket path empty or too long");
	if (len == 0 || len > NET_PASS_MAX)
		return err_set(e, EX_SOFTWARE, "hand-off of %zu bytes", len);
	memcpy(sun.sun_path, path, strlen(path));
	if ((s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return err_errno(e, EX_OSERR, errno, "socket");
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		r = errno;
		(void)close(s);
		return err_errno(e, EX_TEMPFAIL, r, "connect %s", path);
	}
	memset(&m, 0, sizeof(m));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)(uintptr_t)data;
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cm.b;
	m.msg_controllen = sizeof(cm.b);
	CMSG_FIRSTHDR(&m)->cmsg_level = SOL_SOCKET;
	CMSG_FIRSTHDR(&m)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&m)->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &fd, sizeof(int));
	do
		r = (int)sendmsg(s, &m, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r == -1) {
		r = errno;
		(void)close(s);
		return err_errno(e, EX_TEMPFAIL, r, "sendmsg %s", path);
	}
	(void)close(s);
	return 0;
}

int
net_recv_fd(int sock, int *fd, void *buf, size_t cap, size_t *len,
    struct err *e)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct cmsghdr *c;
	struct msghdr m;
	struct iovec iov;
	ssize_t k;

	*fd = -1;
	memset(&m, 0, sizeof(m));
	iov.iov_base = buf;
	iov.iov_len = cap;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cm.b;
	m.msg_controllen = sizeof(cm.b);
	do
		k = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (k == -1 && errno == EINTR);
	if (k == -1)
		return err_errno(e, errno == EAGAIN ? EX_TEMPFAIL : EX_OSERR,
		    errno, "recvmsg");
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type ==
		    SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (*fd != -1)
			(void)close(*fd);
		*fd = -1;
		return err_set(e, EX_DATAERR, "hand-off message truncated");
	}
	*len = (size_t)k;
	return 0;
}
