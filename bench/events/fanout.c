/*
 * fanout.c: the fan-out timing of bench/events, in C so that reading a
 * thousand sockets costs the client little beside the server it times.
 *
 *	fanout HOST PORT JOB N ROUNDS REDIS_HOST REDIS_PORT CHANNEL
 *
 * Opens N WebSocket followers of JOB (GET /events/ws?job=JOB) and waits
 * for each one's first text frame (the catch-up); then ROUNDS times:
 * PUBLISH "JOB active" on CHANNEL and waits for one more text frame on
 * every follower.  Prints "round K last_ms X first_ms Y" per round (from
 * just before the PUBLISH is written), then "p50 A p99 B max C delivered
 * D".  Exit status 0, or 1 when a follower did not connect or missed an
 * event, 64 on bad usage.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUFSZ	65536

struct fl {
	int	 fd;
	char	 buf[BUFSZ];
	size_t	 len;
	int	 got;		/* text frames not yet counted */
	int	 want;		/* no frame yet this round */
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
dial(const char *host, int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    (fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Counts whole text frames at the start of f->buf and drops them. */
static void
frames(struct fl *f)
{
	size_t off = 0, h, n;
	unsigned char *b = (unsigned char *)f->buf;

	while (f->len - off >= 2) {
		n = b[off + 1] & 0x7f;
		h = 2;
		if (n == 126) {
			if (f->len - off < 4)
				break;
			n = (size_t)b[off + 2] << 8 | b[off + 3];
			h = 4;
		} else if (n == 127) {
			break;		/* no event is that large */
		}
		if (f->len - off < h + n)
			break;
		if ((b[off] & 0x0f) == 1)
			f->got++;
		off += h + n;
	}
	memmove(f->buf, f->buf + off, f->len - off);
	f->len -= off;
}

/* The handshake, answered 101; bytes after the head stay in f->buf. */
static int
handshake(struct fl *f, const char *host, int port, const char *job)
{
	char req[512], *end;
	ssize_t r;
	int n;

	n = snprintf(req, sizeof(req), "GET /events/ws?job=%s HTTP/1.1\r\n"
	    "Host: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "Sec-WebSocket-Key: ZmFub3V0LWJlbmNobWFyaw==\r\n\r\n",
	    job, host, port);
	if (write(f->fd, req, n) != n)
		return -1;
	while ((end = memmem(f->buf, f->len, "\r\n\r\n", 4)) == NULL) {
		r = read(f->fd, f->buf + f->len, BUFSZ - 1 - f->len);
		if (r <= 0)
			return -1;
		f->len += r;
	}
	if (strncmp(f->buf, "HTTP/1.1 101 ", 13) != 0)
		return -1;
	end += 4;
	f->len -= end - f->buf;
	memmove(f->buf, end, f->len);
	frames(f);
	return 0;
}

/* Reads until every follower has one text frame more; -1 on timeout. */
static int
wait_all(int ep, struct fl *v, int n, double t0, double *first,
    double *last)
{
	struct epoll_event evs[256];
	int need = 0, i, k;
	ssize_t r;

	*first = -1;
	for (i = 0; i < n; i++) {
		v[i].want = v[i].got == 0;
		need += v[i].want;
		if (v[i].got > 0)
			v[i].got--;
	}
	while (need > 0) {
		if ((k = epoll_wait(ep, evs, 256, 30000)) <= 0)
			return -1;
		for (i = 0; i < k; i++) {
			struct fl *f = evs[i].data.ptr;

			r = read(f->fd, f->buf + f->len, BUFSZ - f->len);
			if (r <= 0)
				return -1;
			f->len += r;
			frames(f);
			if (f->want && f->got > 0) {
				f->got--;
				f->want = 0;
				need--;
				if (*first < 0)
					*first = now_ms() - t0;
			}
		}
	}
	*last = now_ms() - t0;
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct epoll_event ev;
	struct fl *v;
	double *lasts, t0, first, last;
	char cmd[512], reply[64];
	int n, rounds, ep, rd, i, len;

	if (argc != 9 || (n = atoi(argv[4])) <= 0 ||
	    (rounds = atoi(argv[5])) <= 0) {
		fprintf(stderr, "usage: fanout host port job n rounds "
		    "redis-host redis-port channel\n");
		return 64;
	}
	if ((v = calloc(n, sizeof(*v))) == NULL ||
	    (lasts = calloc(rounds, sizeof(*lasts))) == NULL ||
	    (ep = epoll_create1(0)) == -1)
		return 1;
	for (i = 0; i < n; i++) {
		v[i].fd = dial(argv[1], atoi(argv[2]));
		if (v[i].fd == -1 ||
		    handshake(&v[i], argv[1], atoi(argv[2]), argv[3]) == -1) {
			fprintf(stderr, "fanout: follower %d: no handshake\n",
			    i);
			return 1;
		}
		ev.events = EPOLLIN;
		ev.data.ptr = &v[i];
		if (epoll_ctl(ep, EPOLL_CTL_ADD, v[i].fd, &ev) == -1)
			return 1;
	}
	if (wait_all(ep, v, n, now_ms(), &first, &last) == -1) {
		fprintf(stderr, "fanout: no catch-up on every follower\n");
		return 1;
	}
	if ((rd = dial(argv[6], atoi(argv[7]))) == -1)
		return 1;
	len = snprintf(cmd, sizeof(cmd), "*3\r\n$7\r\nPUBLISH\r\n$%zu\r\n%s"
	    "\r\n$%zu\r\n%s active\r\n", strlen(argv[8]), argv[8],
	    strlen(argv[3]) + 7, argv[3]);
	for (i = 0; i < rounds; i++) {
		usleep(50000);
		t0 = now_ms();
		if (write(rd, cmd, len) != len ||
		    wait_all(ep, v, n, t0, &first, &last) == -1 ||
		    read(rd, reply, sizeof(reply)) <= 0) {
			fprintf(stderr, "fanout: round %d: an event missed\n",
			    i);
			return 1;
		}
		lasts[i] = last;
		printf("round %d last_ms %.2f first_ms %.2f\n", i, last, first);
	}
	qsort(lasts, rounds, sizeof(*lasts), cmp);
	printf("p50 %.2f p99 %.2f max %.2f delivered %lld\n",
	    lasts[(rounds * 50 + 99) / 100 - 1],
	    lasts[(rounds * 99 + 99) / 100 - 1], lasts[rounds - 1],
	    (long long)rounds * n);
	return 0;
}
