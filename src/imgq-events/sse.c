/*
 * sse.c: Server-Sent Events: one job's states (/jobs/<id>/events, as
 * imgq-recv serves them) and the operators' feed of every event
 * (/events).
 */
#include <stdio.h>
#include <string.h>

#include "ev.h"
#include "sys.h"

static const char head[] = "HTTP/1.1 200 OK\r\nConnection: close\r\n"
    "Content-Type: text/event-stream\r\nCache-Control: no-store\r\n"
    "X-Accel-Buffering: no\r\nX-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n\r\n";

static void
stream(struct srv *s, struct cl *c, int kind)
{
	uint64_t now = sys_now_ms();

	c->kind = kind;
	c->counted = 1;
	s->m.conns[T_SSE]++;
	c->deadline = now + s->c.sse_timeout_ms;
	c->next_ping = now + s->c.ping_ms;
}

int
sse_event(struct srv *s, struct cl *c, const char *name, const char *eid,
    const char *json)
{
	struct buf b = { 0 };
	int r;

	if (!c->started)
		buf_add(&b, head, sizeof(head) - 1);
	c->started = 1;
	if (eid != NULL)
		buf_addf(&b, "id: %s\n", eid);
	buf_addf(&b, "event: %s\ndata: ", name);
	buf_adds(&b, json);
	buf_adds(&b, "\n\n");
	r = b.over ? -1 : cl_send(s, c, b.p, b.len);
	buf_free(&b);
	if (r == 0)
		s->m.sent[T_SSE]++;
	return r;
}

void
sse_start(struct srv *s, struct cl *c, const struct http_req *r,
    const char *id)
{
	const char *last = http_field(r, "last-event-id");
	int x;

	if (!feed_up(s))
		DONE(respond(s, c, 503, "queue unreachable", NULL,
		    "Retry-After: 5\r\n"));
	stream(s, c, C_SSE);
	if ((x = follow(s, c, id, last)) < 0) {
		c->counted = 0;
		s->m.conns[T_SSE]--;
		c->kind = C_HEAD;
		if (x == -1)
			DONE(respond(s, c, 404, "no such job", NULL, NULL));
		DONE(respond(s, c, 503, "queue unreachable", NULL,
		    "Retry-After: 5\r\n"));
	}
	if (c->fd != -1 && !c->started) {
		c->started = 1;
		(void)cl_send(s, c, head, sizeof(head) - 1);
	}
}

/* 1 when the request is the operator's; else answers as imgq-recv. */
int
need_operator(struct srv *s, struct cl *c)
{
	if (!s->auth.on && s->c.front_user == NULL) {
		respond(s, c, 403, "operator access is off: no credential "
		    "is configured", NULL, NULL);
		return 0;
	}
	if (c->op == OP_NONE) {
		respond(s, c, 401, "operator credential required", NULL,
		    "WWW-Authenticate: Bearer realm=\"imgq\"\r\n");
		return 0;
	}
	return 1;
}

void
sse_feed(struct srv *s, struct cl *c, const struct http_req *r)
{
	(void)r;
	if (!need_operator(s, c))
		return;
	stream(s, c, C_FEED);
	c->feed = 1;
	s->nfeed++;
	c->started = 1;
	(void)cl_send(s, c, head, sizeof(head) - 1);
}
