/*
 * loop.c: the epoll loop: accepts and hand-offs, reads, bounded writes,
 * timeouts, request heads and routes.
 */
#define _GNU_SOURCE

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ev.h"
#include "json.h"
#include "log.h"
#include "net.h"
#include "sys.h"

#define READ_CHUNK	16384
#define LINGER_MS	2000	/* after our close: the peer's last bytes */
#define SWEEP_MS	250

volatile sig_atomic_t ev_stop;

static struct cl *graveyard;
static const int lmark, hmark;	/* epoll tags of the listening sockets */

static int
watch(struct srv *s, struct cl *c, int out)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0);
	ev.data.ptr = c;
	return epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int
transport(const struct cl *c)
{
	return c->kind == C_WS ? T_WS : T_SSE;
}

void
cl_close(struct srv *s, struct cl *c)
{
	if (c->fd == -1)
		return;
	(void)close(c->fd);
	c->fd = -1;
	unfollow_all(s, c);
	if (c->feed)
		s->nfeed--;
	if (c->counted)
		s->m.conns[transport(c)]--;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->all = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->nconns--;
	c->next = graveyard;
	graveyard = c;
}

/* Frees the connections closed during this turn of the loop. */
static void
bury(void)
{
	struct cl *c;

	while ((c = graveyard) != NULL) {
		graveyard = c->next;
		http_parser_free(c->hp);
		buf_free(&c->in);
		buf_free(&c->out);
		ws_rx_free(&c->rx);
		free(c);
	}
}

/* Writes what is pending; 0 when all of it went, 1 when some is left. */
static int
flush(struct srv *s, struct cl *c)
{
	ssize_t k;

	while (c->outoff < c->out.len) {
		k = write(c->fd, c->out.p + c->outoff, c->out.len - c->outoff);
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1 && errno == EAGAIN)
			return 1;
		if (k <= 0) {
			cl_close(s, c);
			return -1;
		}
		c->outoff += (size_t)k;
	}
	buf_reset(&c->out);
	c->outoff = 0;
	return 0;
}

/* Once our answer or close is sent: stop writing, read until the end. */
static void
drained(struct srv *s, struct cl *c)
{
	if (c->closing == 1) {
		(void)shutdown(c->fd, SHUT_WR);
		c->closing = 2;
		c->deadline = sys_now_ms() + LINGER_MS;
	}
	(void)watch(s, c, 0);
}

int
cl_send(struct srv *s, struct cl *c, const void *p, size_t len)
{
	size_t left;
	int r;

	if (c->fd == -1 || c->closing)
		return -1;
	if (c->out.len == 0) {
		buf_add(&c->out, p, len);
		if (c->out.over || (r = flush(s, c)) == -1) {
			cl_close(s, c);
			return -1;
		}
		return r == 1 ? watch(s, c, 1) : 0;
	}
	left = c->out.len - c->outoff;
	if (left + len > s->c.wbuf_max) {
		log_warn("a client too slow to read: dropped (%zu bytes "
		    "pending)", left);
		s->m.slow++;
		cl_close(s, c);
		return -1;
	}
	if (c->outoff > 0) {
		memmove(c->out.p, c->out.p + c->outoff, left);
		c->out.len = left;
		c->outoff = 0;
	}
	if (buf_add(&c->out, p, len) == -1) {
		cl_close(s, c);
		return -1;
	}
	return 0;
}

void
cl_finish(struct srv *s, struct cl *c)
{
	if (c->fd == -1 || c->closing)
		return;
	c->closing = 1;
	c->deadline = sys_now_ms() + LINGER_MS;
	if (c->out.len == 0)
		drained(s, c);
}

int
respond(struct srv *s, struct cl *c, int status, const char *msg,
    const char *ctype, const char *extra)
{
	struct buf b = { 0 }, body = { 0 };
	int r;

	if (ctype == NULL) {
		buf_adds(&body, "{\"error\":");
		json_str(&body, msg, strlen(msg));
		buf_addf(&body, ",\"status\":%d}\n", status);
		ctype = "application/json";
		msg = body.p;
	}
	buf_addf(&b, "HTTP/1.1 %d %s\r\nConnection: close\r\n"
	    "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
	    "%s\r\n%s", status, http_reason(status), ctype,
	    msg ? strlen(msg) : 0, extra ? extra : "", msg ? msg : "");
	r = b.over || body.over ? -1 : cl_send(s, c, b.p, b.len);
	buf_free(&b);
	buf_free(&body);
	cl_finish(s, c);
	return r;
}

/* The path of "/path?query", copied into p; *q gets the query. */
static int
split(const char *target, char *p, size_t psz, const char **q)
{
	size_t n = strcspn(target, "?");

	if (n == 0 || n >= psz || target[0] != '/')
		return -1;
	memcpy(p, target, n);
	p[n] = '\0';
	*q = target[n] == '?' ? target + n + 1 : "";
	return 0;
}

static void
route(struct srv *s, struct cl *c, const struct http_req *r)
{
	const char *q, *fu;
	char path[256], id[JOB_ID_LEN + 1];
	size_t n;

	fu = s->c.front_user ? http_field(r, s->c.front_user) : NULL;
	c->op = opauth_request(&s->auth, r, fu);
	if (split(r->target, path, sizeof(path), &q) == -1)
		DONE(respond(s, c, 404, "not found", NULL, NULL));
	if (strcmp(r->method, "GET") != 0)
		DONE(respond(s, c, 405, "method not allowed", NULL,
		    "Allow: GET\r\n"));
	n = strlen(path);
	if (n == 6 + JOB_ID_LEN + 7 && strncmp(path, "/jobs/", 6) == 0 &&
	    strcmp(path + 6 + JOB_ID_LEN, "/events") == 0) {
		memcpy(id, path + 6, JOB_ID_LEN);
		id[JOB_ID_LEN] = '\0';
		if (!job_id_valid(id))
			DONE(respond(s, c, 404, "no such job", NULL, NULL));
		DONE(sse_start(s, c, r, id));
	}
	if (strcmp(path, "/events/ws") == 0)
		DONE(ws_start(s, c, r, q));
	if (strcmp(path, "/events") == 0)
		DONE(sse_feed(s, c, r));
	if (strcmp(path, "/healthz") == 0)
		DONE(feed_up(s) ? respond(s, c, 200, "{\"ok\":true}\n",
		    "application/json", NULL) : respond(s, c, 503,
		    "{\"ok\":false}\n", "application/json",
		    "Retry-After: 5\r\n"));
	if (strcmp(path, "/metrics") == 0)
		DONE(handle_metrics(s, c));
	respond(s, c, 404, "not found", NULL, NULL);
}

/* Bytes of a request head; the rest stays in c->in for WebSocket. */
static void
head_input(struct srv *s, struct cl *c, const char *p, size_t n)
{
	struct http_req r;
	struct err e;
	size_t used;
	int rc;

	rc = http_parser_feed(c->hp, p, n, &used, &r, &e);
	if (rc == 0)
		return;
	if (rc == -1) {
		log_warn("bad request: %s", e.msg);
		DONE(respond(s, c, r.status, e.msg, NULL, NULL));
	}
	if (buf_add(&c->in, p + used, n - used) == -1)
		DONE(cl_close(s, c));
	route(s, c, &r);
	if (c->fd != -1 && c->kind == C_WS && c->in.len > 0)
		ws_input(s, c);
	if (c->kind != C_HEAD) {
		http_parser_free(c->hp);
		c->hp = NULL;
	}
}

static void
readable(struct srv *s, struct cl *c)
{
	char b[READ_CHUNK];
	ssize_t k;
	int i;

	for (i = 0; i < 4 && c->fd != -1; i++) {
		k = read(c->fd, b, sizeof(b));
		if (k == -1 && errno == EINTR)
			continue;
		if (k == -1 && errno == EAGAIN)
			return;
		if (k <= 0)
			DONE(cl_close(s, c));
		if (c->closing)
			continue;
		if (c->kind == C_HEAD)
			head_input(s, c, b, (size_t)k);
		else if (c->kind == C_WS) {
			if (buf_add(&c->in, b, (size_t)k) == -1)
				DONE(cl_close(s, c));
			ws_input(s, c);
		}
		/* an event stream's client has nothing to say */
	}
}

int
fcntl_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl == -1 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* A new client on fd, with n bytes it already sent (a hand-off). */
static void
admit(struct srv *s, int fd, const char *p, size_t n)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\n"
	    "Connection: close\r\nContent-Type: application/json\r\n"
	    "Retry-After: 5\r\nContent-Length: 46\r\n\r\n"
	    "{\"error\":\"too many connections\",\"status\":503}\n";
	struct epoll_event ev;
	struct err e;
	struct cl *c;

	if (s->nconns >= s->c.max_conns) {
		s->m.refused++;
		(void)!write(fd, busy, sizeof(busy) - 1);
		(void)close(fd);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->hp = http_parser_new(&s->c.http, &e)) == NULL) {
		free(c);
		(void)close(fd);
		return;
	}
	c->fd = fd;
	c->kind = C_HEAD;
	c->in.max = s->c.frame_max + 14 + READ_CHUNK;
	c->out.max = s->c.wbuf_max;
	c->deadline = sys_now_ms() + s->c.head_timeout_ms;
	c->next = s->all;
	if (s->all != NULL)
		s->all->prev = c;
	s->all = c;
	s->nconns++;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		DONE(cl_close(s, c));
	if (n > 0)
		head_input(s, c, p, n);
}

static void
accepting(struct srv *s)
{
	int fd, i;

	for (i = 0; i < 64; i++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("accept: %s", strerror(errno));
			return;
		}
		s->m.accepted++;
		admit(s, fd, NULL, 0);
	}
}

/*
 * imgq-recv hands a connection over: it connects, sends the descriptor
 * and the request head in one message, and closes.  The message is
 * there as soon as the connection is; a short timeout covers the rest.
 */
static void
handoff(struct srv *s)
{
	static char b[NET_PASS_MAX];
	struct timeval tv = { 0, 200000 };
	struct err e;
	size_t n;
	int h, fd, i;

	for (i = 0; i < 64; i++) {
		if ((h = accept4(s->hfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
			return;
		(void)setsockopt(h, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (net_recv_fd(h, &fd, b, sizeof(b), &n, &e) == -1 ||
		    fd == -1) {
			log_warn("hand-off: %s", fd == -1 ? "no descriptor" :
			    e.msg);
			(void)close(h);
			continue;
		}
		(void)close(h);
		s->m.handoffs++;
		if (fcntl_nonblock(fd) == -1) {
			(void)close(fd);
			continue;
		}
		admit(s, fd, b, n);
	}
}

/* Timeouts, pings and the subscription's return. */
static void
sweep(struct srv *s, uint64_t now)
{
	struct cl *c, *next;

	for (c = s->all; c != NULL; c = next) {
		next = c->next;
		if (now >= c->deadline) {
			if (!c->closing)
				s->m.timeouts++;
			if (c->kind == C_WS && !c->closing) {
				struct buf b = { 0 };

				ws_close_frame(&b, WS_CLOSE_GOING_AWAY,
				    "timeout");
				(void)cl_send(s, c, b.p, b.len);
				buf_free(&b);
				cl_finish(s, c);
			} else
				cl_close(s, c);
			continue;
		}
		if (c->kind == C_HEAD || c->closing || now < c->next_ping)
			continue;
		c->next_ping = now + s->c.ping_ms;
		if (c->kind == C_WS)
			ws_ping(s, c);
		else
			(void)cl_send(s, c, ": ping\n\n", 8);
	}
	feed_tick(s, now);
}

static void
one(struct srv *s, struct epoll_event *ev)
{
	struct cl *c = ev->data.ptr;

	if (c == NULL)
		feed_readable(s);
	else if ((void *)c == &lmark)
		accepting(s);
	else if ((void *)c == &hmark)
		handoff(s);
	if (c == NULL || (void *)c == &lmark || (void *)c == &hmark ||
	    c->fd == -1)
		return;
	if (ev->events & EPOLLOUT) {
		if (flush(s, c) == 0)
			drained(s, c);
		if (c->fd == -1)
			return;
	}
	if (ev->events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
		readable(s, c);
}

static int
listen_on(struct srv *s, int fd, const int *mark)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = (void *)(uintptr_t)mark;
	return fd == -1 ? 0 : epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
}

int
ev_run(struct srv *s)
{
	struct epoll_event evs[256];
	uint64_t now, last = 0;
	int n, i;

	if (listen_on(s, s->lfd, &lmark) == -1 ||
	    listen_on(s, s->hfd, &hmark) == -1)
		return -1;
	while (!ev_stop) {
		n = epoll_wait(s->ep, evs, 256, SWEEP_MS);
		if (n == -1 && errno != EINTR)
			return -1;
		for (i = 0; i < n; i++)
			one(s, &evs[i]);
		bury();
		if ((now = sys_now_ms()) - last >= SWEEP_MS) {
			sweep(s, now);
			bury();
			last = now;
		}
	}
	return 0;
}

/* Every client is told the server goes (WebSocket: 1001) and closed. */
void
ev_shutdown(struct srv *s)
{
	struct buf b = { 0 };

	ws_close_frame(&b, WS_CLOSE_GOING_AWAY, "server going away");
	while (s->all != NULL) {
		if (s->all->kind == C_WS && !s->all->closing)
			(void)!write(s->all->fd, b.p, b.len);
		cl_close(s, s->all);
	}
	bury();
	buf_free(&b);
}
