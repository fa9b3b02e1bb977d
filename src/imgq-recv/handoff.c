/*
 * handoff.c: the event routes go to imgq-events when IMGQ_EVENTS_SOCKET
 * names its hand-off socket: the connection itself and its request head
 * are passed over (SCM_RIGHTS), so the page keeps one address and no
 * process of the pool is held by a client that waits for events.
 */
#include <string.h>

#include "exitcode.h"
#include "job.h"
#include "log.h"
#include "net.h"
#include "recv.h"

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
	int rc;

	if (s->c.events_socket == NULL || c->cgi || c->in != c->out ||
	    strcmp(r->method, "GET") != 0 || !event_path(r->path))
		return 0;
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
