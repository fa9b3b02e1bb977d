/*
 * wsconn.c: WebSocket connections (/events/ws): the handshake, the
 * clients' commands, events out as text frames of JSON, ping and close.
 * imgq-events(8) describes the protocol both ways.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ev.h"
#include "json.h"
#include "log.h"
#include "sys.h"

static int
send_frame(struct srv *s, struct cl *c, int op, const void *p, size_t n)
{
	struct buf b = { 0 };
	int r;

	r = ws_frame(&b, op, p, n) == -1 ? -1 : cl_send(s, c, b.p, b.len);
	buf_free(&b);
	return r;
}

/* Closes with code: our close frame, then the linger of loop.c. */
static void
ws_close(struct srv *s, struct cl *c, int code, const char *why)
{
	struct buf b = { 0 };

	if (ws_close_frame(&b, code, why) == 0)
		(void)cl_send(s, c, b.p, b.len);
	buf_free(&b);
	cl_finish(s, c);
}

static void
send_error(struct srv *s, struct cl *c, const char *msg, const char *id)
{
	struct buf b = { 0 };

	buf_adds(&b, "{\"error\":");
	json_str(&b, msg, strlen(msg));
	if (id != NULL) {
		buf_adds(&b, ",\"id\":");
		json_str(&b, id, strlen(id));
	}
	buf_adds(&b, "}");
	if (!b.over)
		(void)send_frame(s, c, WS_OP_TEXT, b.p, b.len);
	buf_free(&b);
}

int
ws_event(struct srv *s, struct cl *c, const char *id, const char *name,
    const char *eid, const char *json)
{
	struct buf b = { 0 };
	int r;

	buf_adds(&b, "{\"event\":");
	json_str(&b, name, strlen(name));
	if (id != NULL) {
		buf_adds(&b, ",\"id\":");
		json_str(&b, id, strlen(id));
	}
	if (eid != NULL) {
		buf_adds(&b, ",\"eid\":");
		json_str(&b, eid, strlen(eid));
	}
	buf_adds(&b, ",\"job\":");
	buf_adds(&b, json);
	buf_adds(&b, "}");
	r = b.over ? -1 : send_frame(s, c, WS_OP_TEXT, b.p, b.len);
	buf_free(&b);
	if (r == 0)
		s->m.sent[T_WS]++;
	return r;
}

void
ws_ping(struct srv *s, struct cl *c)
{
	(void)send_frame(s, c, WS_OP_PING, NULL, 0);
}

static void
set_feed(struct srv *s, struct cl *c, int on)
{
	if (on && c->op == OP_NONE)
		DONE(send_error(s, c, "operator credential required", NULL));
	if (on != c->feed)
		s->nfeed += on ? 1 : -1;
	c->feed = on;
}

static void
add_job(struct srv *s, struct cl *c, const char *id)
{
	int r;

	if (!job_id_valid(id))
		DONE(send_error(s, c, "no such job", id));
	if (c->njobs >= (size_t)s->c.follow_max)
		DONE(send_error(s, c, "too many jobs followed", id));
	if ((r = follow(s, c, id, NULL)) == -1)
		send_error(s, c, "no such job", id);
	else if (r == -2)
		send_error(s, c, "queue unreachable", id);
}

static void
command(struct srv *s, struct cl *c, const char *p, size_t n)
{
	struct ws_cmd cmd;
	const char *why;
	size_t i;

	if (ws_cmd_parse(p, n, &cmd, &why) == -1)
		DONE(send_error(s, c, why, NULL));
	for (i = 0; i < cmd.nunfollow; i++)
		unfollow(s, c, cmd.unfollow[i]);
	if (cmd.feed != -1)
		set_feed(s, c, cmd.feed);
	for (i = 0; i < cmd.nfollow && c->fd != -1 && !c->closing; i++)
		add_job(s, c, cmd.follow[i]);
}

static void
message(struct srv *s, struct cl *c, const struct ws_msg *m)
{
	switch (m->op) {
	case WS_OP_TEXT:
		command(s, c, m->data, m->len);
		break;
	case WS_OP_PING:
		(void)send_frame(s, c, WS_OP_PONG, m->data, m->len);
		break;
	case WS_OP_CLOSE:
		/* 1005 (no code) is never sent: a plain close is 1000 */
		ws_close(s, c, m->code ? m->code : WS_CLOSE_NORMAL, "");
		break;
	}
}

void
ws_input(struct srv *s, struct cl *c)
{
	struct ws_msg m;
	size_t off = 0, used;
	int r, code;

	while (c->fd != -1 && !c->closing && off < c->in.len) {
		r = ws_rx_next(&c->rx, c->in.p + off, c->in.len - off, &used,
		    &m, &code);
		if (r == 0)
			break;
		if (r == -1) {
			s->m.ws_bad++;
			log_info("WebSocket client closed with %d", code);
			ws_close(s, c, code, "");
			break;
		}
		off += used;
		c->deadline = sys_now_ms() + s->c.idle_timeout_ms;
		if (r == 1)
			message(s, c, &m);
	}
	if (c->fd == -1)
		return;
	memmove(c->in.p, c->in.p + off, c->in.len - off);
	c->in.len -= off;
}

/* An Origin a browser may connect from: the page's own, or a listed one. */
static int
origin_ok(const struct srv *s, const struct http_req *r)
{
	const char *o = http_field(r, "origin"), *h = http_field(r, "host");
	const char *l = s->c.origins, *p;
	size_t n;

	if (o == NULL)
		return 1;	/* not a browser: nothing ambient to abuse */
	if (h != NULL && ((strncmp(o, "http://", 7) == 0 &&
	    strcmp(o + 7, h) == 0) || (strncmp(o, "https://", 8) == 0 &&
	    strcmp(o + 8, h) == 0)))
		return 1;
	n = strlen(o);
	for (p = l; p != NULL && *p != '\0'; p += strcspn(p, " ,")) {
		p += strspn(p, " ,");
		if (strncmp(p, o, n) == 0 && (p[n] == '\0' || p[n] == ' ' ||
		    p[n] == ','))
			return 1;
	}
	return 0;
}

/* Follows the jobs of "job=ID&job=ID" and "feed=1" in the query. */
static void
from_query(struct srv *s, struct cl *c, const char *q)
{
	char id[JOB_ID_LEN + 2];
	size_t n;

	while (*q != '\0' && c->fd != -1 && !c->closing) {
		n = strcspn(q, "&");
		if (n > 4 && strncmp(q, "job=", 4) == 0) {
			snprintf(id, sizeof(id), "%.*s", (int)(n - 4 <
			    sizeof(id) - 1 ? n - 4 : sizeof(id) - 1), q + 4);
			add_job(s, c, id);
		} else if (n == 6 && strncmp(q, "feed=1", 6) == 0)
			set_feed(s, c, 1);
		q += n + (q[n] == '&');
	}
}

void
ws_start(struct srv *s, struct cl *c, const struct http_req *r,
    const char *q)
{
	const char *up = http_field(r, "upgrade"), *v, *key;
	char acc[WS_ACCEPT_LEN + 1], hdr[256];
	uint64_t now = sys_now_ms();

	v = http_field(r, "sec-websocket-version");
	key = http_field(r, "sec-websocket-key");
	if (up == NULL || !http_has_token(up, "websocket") ||
	    !http_has_token(http_field(r, "connection"), "upgrade"))
		DONE(respond(s, c, 426, "a WebSocket upgrade is required",
		    NULL, "Upgrade: websocket\r\n"));
	if (v == NULL || strcmp(v, "13") != 0)
		DONE(respond(s, c, 426, "WebSocket version 13 required",
		    NULL, "Sec-WebSocket-Version: 13\r\n"));
	if (!ws_key_valid(key) || ws_accept(key, acc) == -1)
		DONE(respond(s, c, 400, "bad Sec-WebSocket-Key", NULL, NULL));
	if (!origin_ok(s, r))
		DONE(respond(s, c, 403, "Origin not allowed", NULL, NULL));
	if (!feed_up(s))
		DONE(respond(s, c, 503, "queue unreachable", NULL,
		    "Retry-After: 5\r\n"));
	snprintf(hdr, sizeof(hdr), "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
	c->kind = C_WS;
	c->counted = 1;
	s->m.conns[T_WS]++;
	c->rx.frame_max = s->c.frame_max;
	c->rx.msg_max = s->c.msg_max;
	c->deadline = now + s->c.idle_timeout_ms;
	c->next_ping = now + s->c.ping_ms;
	if (cl_send(s, c, hdr, strlen(hdr)) == 0)
		from_query(s, c, q);
}
