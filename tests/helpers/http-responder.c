/*
 * http-responder: the smallest HTTP/1.1 server, for the tests and the
 * benchmark of imgq-prefork.
 *
 * With a listening socket on standard input (imgq-prefork -l, inetd
 * "wait"), it accepts connections in a loop; with a connection on 0 and 1
 * (tcpserver, inetd "nowait", systemd-socket-activate --inetd), it serves
 * that one and exits.  Each connection gets one request and one answer
 * ("ok PID" and a newline), then is closed.
 *
 * IMGQ_READY_FD: a line is written there once it accepts (readiness).
 * IMGQ_MAX_REQUESTS: exit 0 after that many requests (recycling).
 * SIGTERM: finish the connection in hand, then exit 0.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int
serve(int in, int out)
{
	char req[8192], resp[256], body[64];
	size_t len = 0;
	struct pollfd p;
	ssize_t r;
	int n, bn;

	while (len < sizeof(req) - 1) {
		p.fd = in;
		p.events = POLLIN;
		r = poll(&p, 1, 10000);
		if (r == -1 && errno == EINTR)
			continue;		/* SIGTERM: finish this one */
		if (r <= 0)
			return -1;
		r = read(in, req + len, sizeof(req) - 1 - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		len += (size_t)r;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n") != NULL)
			break;
	}
	bn = snprintf(body, sizeof(body), "ok %ld\n", (long)getpid());
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\n"
	    "Content-Type: text/plain\r\nContent-Length: %d\r\n"
	    "Connection: close\r\n\r\n%s", bn, body);
	if (n < 0 || (size_t)n >= sizeof(resp))
		return -1;
	return write(out, resp, (size_t)n) == n ? 0 : -1;
}

int
main(void)
{
	struct sigaction sa;
	long max = 0, done = 0;
	const char *s;
	int on = 0, fd;
	socklen_t ol = sizeof(on);

	signal(SIGPIPE, SIG_IGN);
	if (getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &on, &ol) == -1 || !on)
		return serve(0, 1) == 0 ? 0 : 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;		/* no SA_RESTART: accept ends */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if ((s = getenv("IMGQ_MAX_REQUESTS")) != NULL)
		max = strtol(s, NULL, 10);
	if ((s = getenv("IMGQ_READY_FD")) != NULL) {
		fd = (int)strtol(s, NULL, 10);
		if (write(fd, "\n", 1) != 1)
			return 71;
		close(fd);
	}
	while (!stop) {
		fd = accept(0, NULL, NULL);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("http-responder: accept");
			return 71;
		}
		(void)serve(fd, fd);
		close(fd);
		if (max > 0 && ++done >= max)
			break;
	}
	return 0;
}
