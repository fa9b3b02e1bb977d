/*
 * conn.c: reading with deadlines, request bodies, writing answers.
 *
 * Every read waits at most until the earlier of the request's deadline
 * and read_timeout after the last byte, so a client that trickles bytes
 * (slowloris) is cut off when its request time is up, and one that stops
 * is cut off after read_timeout.  Writes wait at most read_timeout for
 * the peer to take bytes.
 */
#include <sys/uio.h>

#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "recv.h"
#include "sys.h"

void
conn_init(struct conn *c, struct srv *s, int in, int out, int cgi)
{
	memset(c, 0, offsetof(struct conn, buf));
	c->srv = s;
	c->in = in;
	c->out = out;
	c->cgi = cgi;
}

/* Milliseconds to wait now; 0 when the time is up. */
static int
wait_ms(struct conn *c, uint64_t idle_end)
{
	uint64_t now = sys_now_ms(), end = c->deadline;

	if (idle_end < end)
		end = idle_end;
	if (now >= end)
		return 0;
	return end - now > 60000 ? 60000 : (int)(end - now);
}

/*
 * Waits until input is readable; 1 when it is, -1 on timeout (timedout
 * set) or when asked to stop while waiting between requests.
 */
int
conn_wait_readable(struct conn *c, uint64_t idle_end)
{
	struct pollfd pfd;
	struct err e;
	int ms, r;

	for (;;) {
		if ((ms = wait_ms(c, idle_end)) == 0) {
			c->timedout = 1;
			return -1;
		}
		if (c->pump != NULL) {
			r = c->pump(c->upload, c->in, ms, &e);
			if (r == -1) {
				c->pump_failed = 1;
				c->pump_err = e;
				return -1;
			}
			if (r == 1)
				return 1;
			continue;
		}
		pfd.fd = c->in;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, ms);
		if (r > 0)
			return 1;
		if (r == -1 && errno == EINTR && recv_stop && c->idle) {
			/* told to stop between requests: as if closed */
			c->eof = 1;
			return -1;
		}
		if (r == -1 && errno != EINTR) {
			c->broken = 1;
			return -1;
		}
	}
}

/*
 * Reads more input into the buffer: >0 bytes read, 0 at end of input,
 * -1 on timeout or error (timedout or broken set).
 */
int
conn_fill(struct conn *c, uint64_t idle_ms)
{
	uint64_t idle_end = sys_now_ms() + idle_ms;
	ssize_t n;

	if (c->off == c->len)
		c->off = c->len = 0;
	else if (c->off > 0 && c->len == sizeof(c->buf)) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len == sizeof(c->buf))
		return (int)(c->len - c->off);
	if (c->eof)
		return 0;
	for (;;) {
		n = read(c->in, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n > 0) {
			c->len += (size_t)n;
			return (int)n;
		}
		if (n == 0) {
			c->eof = 1;
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			c->broken = 1;
			return -1;
		}
		if (conn_wait_readable(c, idle_end) == -1)
			return -1;
	}
}

void
body_init(struct conn *c, const struct http_req *r)
{
	c->body = r->body;
	c->left = r->length;
	c->taken = 0;
	c->body_start = sys_now_ms();
	c->body_done = r->body == HTTP_BODY_NONE ||
	    (r->body == HTTP_BODY_LENGTH && r->length == 0);
	c->expect100 = r->expect100;
	c->continue_sent = 0;
	if (r->body == HTTP_BODY_CHUNKED)
		http_chunked_init(&c->ch, c->srv->c.http.field_max);
}

/*
 * A body trickled in (a byte now and then, each within read_timeout)
 * would hold the process until the request's deadline: past
 * read_timeout, it must average min_rate bytes a second.
 */
static int
too_slow(const struct conn *c)
{
	uint64_t ms = sys_now_ms() - c->body_start;
	const struct conf *k = &c->srv->c;

	if (k->min_rate == 0 || ms <= k->read_timeout_ms)
		return 0;
	return c->taken * 1000 / ms < k->min_rate;
}

static int
body_fail(struct conn *c, int status, int code, const char *msg,
    struct err *e)
{
	c->body_status = status;
	c->keepalive = 0;
	return err_set(e, code, "%s", msg);
}

/*
 * The next piece of the request body: 0 with *d, *n (n > 0) or *done;
 * -1 with c->body_status (400 malformed, 408 too slow, 413 too large,
 * 0 when the client went away or the pump failed) and the err set.
 */
int
body_read(struct conn *c, const void **d, size_t *n, int *done,
    struct err *e)
{
	struct srv *s = c->srv;
	size_t avail, u, dl;
	const void *dp;
	int r;

	*d = NULL;
	*n = 0;
	*done = 0;
	if (c->body_done) {
		*done = 1;
		return 0;
	}
	if (c->expect100 && !c->continue_sent && !c->cgi) {
		c->continue_sent = 1;
		if (conn_write(c, "HTTP/1.1 100 Continue\r\n\r\n", 25) == -1)
			return body_fail(c, 0, EX_TEMPFAIL,
			    "client went away", e);
	}
	for (;;) {
		avail = c->len - c->off;
		if (avail > 0 && c->body == HTTP_BODY_LENGTH) {
			if (avail > c->left)
				avail = (size_t)c->left;
			*d = c->buf + c->off;
			*n = avail;
			c->off += avail;
			c->left -= avail;
			if (c->left == 0)
				c->body_done = 1;
			break;
		}
		if (avail > 0 && c->body == HTTP_BODY_EOF) {
			*d = c->buf + c->off;
			*n = avail;
			c->off += avail;
			break;
		}
		if (avail > 0 && c->body == HTTP_BODY_CHUNKED) {
			r = http_chunked_feed(&c->ch, c->buf + c->off, avail,
			    &u, &dp, &dl, e);
			c->off += u;
			if (r == -1)
				return body_fail(c, 400, EX_DATAERR,
				    "malformed chunked body", e);
			if (r == 1)
				c->body_done = 1;
			if (dl > 0) {
				*d = dp;
				*n = dl;
				break;
			}
			if (r == 1) {
				*done = 1;
				return 0;
			}
			continue;
		}
		r = conn_fill(c, s->c.read_timeout_ms);
		if (r == 0 && c->body == HTTP_BODY_EOF) {
			c->body_done = 1;
			*done = 1;
			return 0;
		}
		if (r == 0)
			return body_fail(c, 0, EX_PROTOCOL,
			    "client closed the connection mid-body", e);
		if (r == -1) {
			if (c->pump_failed) {
				*e = c->pump_err;
				c->body_status = 0;
				c->keepalive = 0;
				return -1;
			}
			if (c->timedout)
				return body_fail(c, 408, EX_TEMPFAIL,
				    "client too slow sending the body", e);
			return body_fail(c, 0, EX_TEMPFAIL,
			    "reading the body failed", e);
		}
	}
	c->taken += *n;
	__atomic_fetch_add(&s->m->bytes_in, *n, __ATOMIC_RELAXED);
	if (c->taken > s->c.max_body)
		return body_fail(c, 413, EX_DATAERR,
		    "request body larger than the limit", e);
	if (too_slow(c))
		return body_fail(c, 408, EX_TEMPFAIL,
		    "client too slow sending the body", e);
	return 0;
}

/* Reads and drops what is left of the body (up to 64 KiB), so the
 * connection can serve another request; else it must close. */
int
body_discard(struct conn *c)
{
	const void *d;
	size_t n;
	int done = 0;
	struct err e;

	if (c->body_done)
		return 0;
	if (!c->continue_sent && c->expect100) {
		/* the client waits for our word: it will not send */
		c->keepalive = 0;
		return -1;
	}
	while (!done) {
		if (c->taken > 65536 || body_read(c, &d, &n, &done, &e) == -1) {
			c->keepalive = 0;
			return -1;
		}
	}
	return 0;
}

int
conn_write(struct conn *c, const void *data, size_t len)
{
	const char *p = data;
	struct pollfd pfd;
	ssize_t n;
	int r;

	if (c->broken)
		return -1;
	while (len > 0) {
		n = write(c->out, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			c->sent += (uint64_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pfd.fd = c->out;
			pfd.events = POLLOUT;
			r = poll(&pfd, 1, (int)c->srv->c.read_timeout_ms);
			if (r > 0 || (r == -1 && errno == EINTR))
				continue;
		}
		c->broken = 1;
		return -1;
	}
	return 0;
}

/*
 * In the accept loop a process serves one connection at a time: when
 * other connections wait on the listening socket (fd 0), this one is
 * closed after its answer rather than kept alive, so that waiting
 * clients are served in turn instead of after a keep-alive timeout.
 */
static int
others_waiting(void)
{
	struct pollfd pfd;

	pfd.fd = 0;
	pfd.events = POLLIN;
	return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

/*
 * Headers on every answer: no type sniffing, no Referer to whatever a
 * page links to (a job's URL is its capability), and no framing: HTML
 * gets a policy that allows only its own scripts (and images from the
 * storage's presigned URLs), anything else a policy that allows nothing.
 */
#define SEC_ALL	"X-Content-Type-Options: nosniff\r\n" \
	"Referrer-Policy: no-referrer\r\n"
#define SEC_HTML "Content-Security-Policy: default-src 'self'; " \
	"img-src 'self' data: blob: http: https:; style-src 'self' " \
	"'unsafe-inline'; script-src 'self'; connect-src 'self'; " \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'\r\n" \
	"X-Frame-Options: DENY\r\n"
#define SEC_OTHER "Content-Security-Policy: default-src 'none'; " \
	"frame-ancestors 'none'\r\n"

/*
 * Sends a whole answer: status, Content-Type (may be NULL), extra header
 * lines (each ending in CRLF; may be NULL), body.  The connection stays
 * open for another request only when the request body was read whole.
 */
int
respond(struct conn *c, int status, const char *ctype, const char *extra,
    const void *body, size_t len)
{
	char head[6144];
	int n, html = ctype != NULL && strncmp(ctype, "text/html", 9) == 0;

	if (!c->body_done)
		c->keepalive = 0;
	if (c->keepalive && c->srv->mode == MODE_ACCEPT && others_waiting())
		c->keepalive = 0;
	if (c->cgi)
		n = snprintf(head, sizeof(head), "Status: %d %s\r\n", status,
		    http_reason(status));
	else
		n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\n"
		    "Connection: %s\r\n", status, http_reason(status),
		    c->keepalive ? "keep-alive" : "close");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	n += snprintf(head + n, sizeof(head) - (size_t)n,
	    "%s%s%sContent-Length: %zu\r\n%s%s%s\r\n",
	    ctype ? "Content-Type: " : "", ctype ? ctype : "",
	    ctype ? "\r\n" : "", len, SEC_ALL, html ? SEC_HTML : SEC_OTHER,
	    extra ? extra : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -1;
	c->status = status;
	if (c->head_only || len == 0)
		return conn_write(c, head, (size_t)n);
	if (len <= 8192) {
		char all[sizeof(head) + 8192];

		memcpy(all, head, (size_t)n);
		memcpy(all + n, body, len);
		return conn_write(c, all, (size_t)n + len);
	}
	if (conn_write(c, head, (size_t)n) == -1)
		return -1;
	return conn_write(c, body, len);
}

int
respond_json(struct conn *c, int status, const char *extra,
    const char *json)
{
	return respond(c, status, "application/json", extra, json,
	    strlen(json));
}

/* {"error": msg, "status": N} with Cache-Control: no-store. */
int
respond_error(struct conn *c, int status, const char *msg,
    const char *extra)
{
	struct buf b = { 0 };
	char hdr[512];
	int r, n;

	n = snprintf(hdr, sizeof(hdr), "Cache-Control: no-store\r\n%s",
	    extra ? extra : "");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		hdr[0] = '\0';
	buf_adds(&b, "{\"error\":");
	json_str(&b, msg, strlen(msg));
	buf_addf(&b, ",\"status\":%d}\n", status);
	if (b.over) {
		buf_free(&b);
		return respond(c, status, "text/plain", hdr, "error\n", 6);
	}
	r = respond(c, status, "application/json", hdr, b.p, b.len);
	buf_free(&b);
	return r;
}
