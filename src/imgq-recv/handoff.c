/*
 * handoff.c: the event routes go to imgq-events when IMGQ_EVENTS_SOCKET
 * names its hand-off socket: the connection itself and its request head
 * are passed over (SCM_RIGHTS), so the page keeps one address and no
 * process of the pool is held by a client that waits for events.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "job.h"
#include "log.h"
#include "net.h"
#include "recv.h"
#include "sys.h"

static int
event_path(const char *p)
{
	size_t n = strlen(p);

	if (strcmp(p, "/events") == 0 || strcmp(p, "/events/ws") == 0)
		return 1;
	return n == 6 + JOB_ID_LEN + 7 && strncmp(p, "/jobs/", 6) == 0 &&
	    strcmp(p + 6 + JOB_ID_LEN, "/events") == 0;
}

int
handoff(struct conn *c, struct rq *r)
{
	struct srv *s = c->srv;
	struct buf b = { 0 };
	struct err e;
	socklen_t tl = sizeof(int);
	int rc, type = 0;

	if (s->c.events_socket == NULL || c->cgi ||
	    strcmp(r->method, "GET") != 0 || !event_path(r->path) ||
	    getsockopt(c->in, SOL_SOCKET, SO_TYPE, &type, &tl) == -1 ||
	    type != SOCK_STREAM)
		return 0;	/* under inetd, input may be a pipe */
	b.max = NET_PASS_MAX;
	/* the head as parsed, then whatever the client sent after it */
	if (http_req_write(r->req, &b) == 0)
		buf_add(&b, c->buf + c->off, c->len - c->off);
	c->keepalive = 0;
	c->body_done = 1;
	rc = b.over ? err_set(&e, EX_SOFTWARE, "request too long to pass") :
	    net_pass_fd(s->c.events_socket, c->in, b.p, b.len, &e);
	buf_free(&b);
	if (rc == -1) {
		log_warn("event server: %s", e.msg);
		respond_error(c, 503, "event server unreachable",
		    "Retry-After: 5\r\n");
		return 1;
	}
	/* imgq-events answers; 101 marks it in the access log */
	c->status = 101;
	return 1;
}

/* imgq-events' answer: at most this much, within this long. */
#define EV_METRICS_MAX	(64 * 1024)
#define EV_METRICS_MS	1000

/* Reads fd to its end into b, within ms; -1 on a timeout or an error. */
static int
read_to_end(int fd, struct buf *b, uint64_t ms)
{
	uint64_t end = sys_now_ms() + ms, now;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char chunk[4096];
	ssize_t n;

	for (;;) {
		if ((now = sys_now_ms()) >= end)
			return -1;
		if (poll(&p, 1, (int)(end - now)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if ((n = read(fd, chunk, sizeof(chunk))) == 0)
			return 0;
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		buf_add(b, chunk, (size_t)n);
		if (b->over)
			return -1;
	}
}

/* The body of a complete 200 answer in a, or NULL. */
static const char *
ok_body(const struct buf *a, size_t *len)
{
	size_t i;

	if (a->len < 13 || memcmp(a->p, "HTTP/1.1 200 ", 13) != 0)
		return NULL;
	for (i = 13; i + 4 <= a->len; i++)
		if (memcmp(a->p + i, "\r\n\r\n", 4) == 0) {
			*len = a->len - i - 4;
			return a->p + i + 4;
		}
	return NULL;
}

/*
 * imgq-events' figures for the operator's /metrics, so that one route has
 * them all: the operator's own request (its credential included, which
 * imgq-events checks as for any operator) is passed to imgq-events with
 * one end of a socket pair, and the answer read from the other.  Appends
 * imgq_events_up and the figures to out; nothing when no event server is
 * configured.
 */
void
events_metrics(struct conn *c, struct rq *r, struct buf *out)
{
	struct buf head = { 0 }, ans = { 0 };
	const char *body = NULL;
	struct err e;
	size_t len = 0;
	int sv[2];

	if (c->srv->c.events_socket == NULL || c->cgi || r->req == NULL)
		return;
	head.max = NET_PASS_MAX;
	ans.max = EV_METRICS_MAX;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
		if (http_req_write(r->req, &head) == 0 && !head.over &&
		    net_pass_fd(c->srv->c.events_socket, sv[1], head.p,
		    head.len, &e) == 0) {
			/* imgq-events holds the other end now: its close is
			 * the end of the answer */
			(void)close(sv[1]);
			sv[1] = -1;
			if (read_to_end(sv[0], &ans, EV_METRICS_MS) == 0)
				body = ok_body(&ans, &len);
		}
		(void)close(sv[0]);
		if (sv[1] != -1)
			(void)close(sv[1]);
	}
	buf_addf(out, "# HELP imgq_events_up Whether imgq-events answered "
	    "for its figures below.\n# TYPE imgq_events_up gauge\n"
	    "imgq_events_up %d\n", body != NULL);
	if (body != NULL)
		buf_add(out, body, len);
	buf_free(&head);
	buf_free(&ans);
}
