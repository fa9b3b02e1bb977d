/*
 * jobs.c: the handlers that read jobs: status, event stream, result
 * redirect, health, dashboard figures, requeue.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "job.h"
#include "log.h"
#include "q.h"
#include "recv.h"
#include "s3.h"
#include "sys.h"

static int
field_is(const struct q_field *f, size_t n, const char *name, const char *v)
{
	const struct q_field *x = q_fields_find(f, n, name);

	return x != NULL && x->len == strlen(v) && memcmp(x->val, v,
	    x->len) == 0;
}

/* The job as JSON for this request (malloc'd); EX_NOINPUT: no job. */
static int
job_view(struct conn *c, const char *id, char **json, struct err *e)
{
	struct q_field *f;
	size_t n;

	if (q_job_get(c->srv->q, id, &f, &n, e) == -1)
		return -1;
	*json = q_fields_json(id, f, n, c->op == OP_NONE, e);
	q_fields_free(f, n);
	return *json == NULL ? -1 : 0;
}

static void
job_status(struct conn *c, const char *id)
{
	struct err e;
	char *json;

	if (need_q(c->srv, &e) == NULL)
		DONE(respond_backend(c, &e, "queue"));
	if (job_view(c, id, &json, &e) == -1) {
		if (e.code == EX_NOINPUT)
			DONE(respond_error(c, 404, "no such job", NULL));
		DONE(respond_backend(c, &e, "queue"));
	}
	respond(c, 200, "application/json", "Cache-Control: no-store\r\n",
	    json, strlen(json));
	free(json);
}

/*
 * Redirects to a presigned URL of one output: the one whose file name
 * without extension is the variant, or the first.
 */
static void
job_result(struct conn *c, const char *id, const char *variant)
{
	struct srv *s = c->srv;
	const struct q_field *out;
	struct q_field *f;
	size_t n, i, k;
	struct err e;
	char key[1024], hdr[4096], *url;
	const char *p, *end, *nl, *base, *dot;
	int found = 0, r;

	if (need_q(s, &e) == NULL)
		DONE(respond_backend(c, &e, "queue"));
	if (q_job_get(s->q, id, &f, &n, &e) == -1) {
		if (e.code == EX_NOINPUT)
			DONE(respond_error(c, 404, "no such job", NULL));
		DONE(respond_backend(c, &e, "queue"));
	}
	if (!field_is(f, n, "state", JOB_S_DONE) ||
	    (out = q_fields_find(f, n, "outputs")) == NULL) {
		q_fields_free(f, n);
		DONE(respond_error(c, 404, "the job has no result yet",
		    NULL));
	}
	p = out->val;
	end = p + out->len;
	for (; p < end && !found; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		k = (size_t)(nl - p);
		if (k == 0 || k >= sizeof(key) || memchr(p, '\r', k) ||
		    memchr(p, '\0', k))
			continue;
		memcpy(key, p, k);
		key[k] = '\0';
		if (variant == NULL) {
			found = 1;
			break;
		}
		base = strrchr(key, '/') ? strrchr(key, '/') + 1 : key;
		dot = strrchr(base, '.');
		i = dot ? (size_t)(dot - base) : strlen(base);
		if (i == strlen(variant) && memcmp(base, variant, i) == 0)
			found = 1;
	}
	q_fields_free(f, n);
	if (!found)
		DONE(respond_error(c, 404, "no such variant", NULL));
	if (need_s3(s, &e) == NULL)
		DONE(respond_backend(c, &e, "storage"));
	if (s3_presign(s->s3, "GET", key, s->c.presign_ttl, time(NULL), &url,
	    &e) == -1)
		DONE(respond_backend(c, &e, "storage"));
	k = (size_t)snprintf(hdr, sizeof(hdr), "Location: %s\r\n"
	    "Cache-Control: no-store\r\n", url);
	i = strcspn(url, "\r\n");
	r = url[i] != '\0';
	free(url);
	if (k >= sizeof(hdr) || r)
		DONE(respond_error(c, 500, "bad presigned URL", NULL));
	respond(c, 302, NULL, hdr, NULL, 0);
}

static int
sse_send(struct conn *c, const char *state, const char *json)
{
	struct buf b = { 0 };
	int r;

	buf_addf(&b, "event: %s\ndata: ", state);
	buf_adds(&b, json);
	buf_adds(&b, "\n\n");
	r = b.over ? -1 : conn_write(c, b.p, b.len);
	buf_free(&b);
	return r;
}

/* Sends the job's current state; 1 when it is final, -1 on failure. */
static int
sse_state(struct conn *c, const char *id, char *last, size_t lastlen)
{
	struct srv *s = c->srv;
	const struct q_field *st;
	struct q_field *f;
	struct err e;
	size_t n;
	char state[32], *json;
	int fin;

	if (q_job_get(s->q, id, &f, &n, &e) == -1)
		return -1;
	st = q_fields_find(f, n, "state");
	snprintf(state, sizeof(state), "%.*s", st ? (int)st->len : 7,
	    st ? (const char *)st->val : "unknown");
	q_fields_free(f, n);
	fin = job_state_final(job_state_of(state, strlen(state)));
	if (strcmp(state, last) == 0)
		return fin;
	if (job_view(c, id, &json, &e) == -1)
		return -1;
	snprintf(last, lastlen, "%s", state);
	n = (size_t)sse_send(c, state, json);
	free(json);
	if ((int)n == -1)
		return -1;
	return fin;
}

/*
 * Server-Sent Events of one job: its state now, then each change, until
 * it is done or dead, the client goes, or the stream's time is up.  The
 * subscription is made before the state is read, so no change is lost.
 */
static void
job_events(struct conn *c, const char *id)
{
	struct srv *s = c->srv;
	struct q_sub *sub;
	struct pollfd pfd[2];
	struct err e;
	char last[32] = "", *line, junk[512];
	size_t len, idl = strlen(id);
	uint64_t end, now;
	int r, fin, np, ms;

	if (need_q(s, &e) == NULL)
		DONE(respond_backend(c, &e, "queue"));
	if ((sub = q_conf_sub(&s->c.q, &e)) == NULL)
		DONE(respond_backend(c, &e, "queue"));
	{
		char *json;

		if (job_view(c, id, &json, &e) == -1) {
			q_sub_close(sub);
			if (e.code == EX_NOINPUT)
				DONE(respond_error(c, 404,
				    "no such job", NULL));
			DONE(respond_backend(c, &e, "queue"));
		}
		free(json);
	}
	c->keepalive = 0;
	c->status = 200;
	{
		static const char http[] = "HTTP/1.1 200 OK\r\n"
		    "Connection: close\r\n";
		static const char cgi[] = "Status: 200 OK\r\n";
		static const char rest[] = "Content-Type: text/event-stream\r\n"
		    "Cache-Control: no-store\r\nX-Accel-Buffering: no\r\n"
		    "X-Content-Type-Options: nosniff\r\n"
		    "Referrer-Policy: no-referrer\r\n\r\n";

		r = c->cgi ? conn_write(c, cgi, sizeof(cgi) - 1) :
		    conn_write(c, http, sizeof(http) - 1);
		if (r == 0)
			r = conn_write(c, rest, sizeof(rest) - 1);
	}
	if (r == -1 || c->head_only)
		goto out;
	if ((fin = sse_state(c, id, last, sizeof(last))) != 0)
		goto out;
	end = sys_now_ms() + s->c.sse_timeout_ms;
	while (!recv_stop && (now = sys_now_ms()) < end) {
		ms = end - now < s->c.sse_ping_ms ? (int)(end - now) :
		    (int)s->c.sse_ping_ms;
		pfd[0].fd = q_sub_fd(sub);
		pfd[0].events = POLLIN;
		pfd[1].fd = c->in;
		pfd[1].events = POLLIN;
		np = c->cgi ? 1 : 2;
		r = poll(pfd, (nfds_t)np, ms);
		if (r == -1 && errno != EINTR)
			break;
		if (r == 0) {
			if (conn_write(c, ": ping\n\n", 8) == -1)
				break;
			continue;
		}
		if (np == 2 && (pfd[1].revents & (POLLIN | POLLHUP))) {
			ssize_t k = read(c->in, junk, sizeof(junk));

			if (k == 0 || (k == -1 && errno != EAGAIN &&
			    errno != EINTR))
				break;	/* the client went away */
		}
		fin = 0;
		/* 1 ms first: with 0, q_sub_next only looks at what it has
		 * already read, not at the socket poll found readable */
		ms = 1;
		while ((r = q_sub_next(sub, &line, &len, ms, &e)) > 0) {
			ms = 0;
			if (r == 2) {
				/* reconnected: changes may have been missed */
				fin = sse_state(c, id, last, sizeof(last));
			} else {
				if (len > idl && memcmp(line, id, idl) == 0 &&
				    line[idl] == ' ')
					fin = sse_state(c, id, last,
					    sizeof(last));
				free(line);
			}
			if (fin != 0)
				break;
		}
		if (fin != 0 || r == -1)
			break;
	}
out:
	q_sub_close(sub);
}

void
handle_job(struct conn *c, struct rq *r, const char *id, const char *rest)
{
	(void)r;
	if (*rest == '\0')
		job_status(c, id);
	else if (strcmp(rest, "/events") == 0)
		job_events(c, id);
	else if (strcmp(rest, "/result") == 0)
		job_result(c, id, NULL);
	else {
		const char *v = rest + 8;
		size_t i;

		for (i = 0; v[i]; i++)
			if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' &&
			    v[i] <= 'Z') || (v[i] >= '0' && v[i] <= '9') ||
			    v[i] == '-' || v[i] == '_') || i >= 64)
				break;
		if (i == 0 || v[i] != '\0')
			DONE(respond_error(c, 404, "no such variant",
			    NULL));
		job_result(c, id, v);
	}
}

/* One backend's health: "ok", or why not; returns 1 when ok. */
static int
health(struct buf *b, int failed, const struct err *e)
{
	if (failed)
		json_str(b, e->msg, strlen(e->msg));
	else
		buf_adds(b, "\"ok\"");
	return !failed;
}

/*
 * Anyone learns whether the service is up ({"ok":true} or 503); the
 * operator also learns which backend failed and why.
 */
void
handle_healthz(struct conn *c, struct rq *r)
{
	struct srv *s = c->srv;
	struct buf b = { 0 };
	struct err e;
	int ok;

	(void)r;
	buf_adds(&b, "{\"redis\":");
	ok = health(&b, need_q(s, &e) == NULL || q_ping(s->q, &e) == -1, &e);
	buf_adds(&b, ",\"s3\":");
	ok &= health(&b, need_s3(s, &e) == NULL || s3_ping(s->s3, &e) == -1,
	    &e);
	buf_adds(&b, "}\n");
	if (!ok)
		log_warn("health check failed: %s", b.over ? "" : b.p);
	if (c->op == OP_NONE) {
		b.len = 0;
		buf_adds(&b, ok ? "{\"ok\":true}\n" : "{\"ok\":false}\n");
	}
	if (b.over)
		respond_error(c, 500, "out of memory", NULL);
	else
		respond(c, ok ? 200 : 503, "application/json",
		    ok ? "Cache-Control: no-store\r\n" :
		    "Cache-Control: no-store\r\nRetry-After: 5\r\n", b.p, b.len);
	buf_free(&b);
}

static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return n > 0 && n < 20;
}

/* One job's summary for the dashboard. */
static void
stats_job(struct buf *b, struct q *q, const char *id)
{
	/* strings first, then the numbers (from index 5) */
	static const char *keep[] = { "state", "name", "type", "outputs",
	    "error", "size", "attempts", "created", "finished" };
	struct q_field *f;
	const struct q_field *x;
	struct err e;
	size_t n, i;

	buf_adds(b, "{\"id\":");
	json_str(b, id, strlen(id));
	if (q_job_get(q, id, &f, &n, &e) == 0) {
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
			if ((x = q_fields_find(f, n, keep[i])) == NULL)
				continue;
			buf_addf(b, ",\"%s\":", keep[i]);
			if (i >= 5 && digits(x->val, x->len))
				buf_add(b, x->val, x->len);
			else
				json_str(b, x->val, x->len);
		}
		q_fields_free(f, n);
	} else
		buf_adds(b, ",\"state\":\"gone\"");
	buf_adds(b, "}");
}

void
handle_stats(struct conn *c, struct rq *r)
{
	struct srv *s = c->srv;
	struct q_stats st;
	struct q_cinfo *ci;
	struct q_dead *dl;
	struct buf b = { 0 };
	struct err e;
	size_t nc, nd, i, k;
	long long workers = 0;
	char ids[20][32];

	(void)r;
	if (need_q(s, &e) == NULL || q_stats(s->q, &st, &e) == -1)
		DONE(respond_backend(c, &e, "queue"));
	if (q_consumers(s->q, &ci, &nc, &e) == 0) {
		for (i = 0; i < nc; i++)
			if (ci[i].lease_left_ms >= 0)
				workers++;
		free(ci);
	}
	buf_addf(&b, "{\"depth\":%lld,\"active\":%lld,\"delayed\":%lld,"
	    "\"dead\":%lld,\"done\":%lld,\"workers\":%lld,"
	    "\"jobs_per_minute\":%lld,\"recent\":[", st.queued, st.active,
	    st.delayed, st.dead, st.done, workers, st.done_last_minute);
	k = met_recent(s, ids, 20);
	for (i = 0; i < k; i++) {
		if (i > 0)
			buf_adds(&b, ",");
		stats_job(&b, s->q, ids[i]);
	}
	buf_adds(&b, "],\"dead_jobs\":[");
	if (q_dead_list(s->q, 0, st.now_ms, &dl, &nd, &e) == 0) {
		/* newest first, at most 20 */
		for (i = 0; i < nd && i < 20; i++) {
			if (i > 0)
				buf_adds(&b, ",");
			stats_job(&b, s->q, dl[nd - 1 - i].id);
		}
		free(dl);
	}
	buf_adds(&b, "]}\n");
	if (b.over)
		respond_error(c, 500, "out of memory", NULL);
	else
		respond(c, 200, "application/json",
		    "Cache-Control: no-store\r\n", b.p, b.len);
	buf_free(&b);
}

/*
 * 1 when the job is dead, 0 when it is not.  q_requeue would also run a
 * done job again; from the dashboard only a dead letter is requeued.
 */
static int
dead(struct q *q, const char *id, struct err *e)
{
	struct q_field *f;
	size_t n;
	int d;

	if (q_job_get(q, id, &f, &n, e) == -1)
		return -1;
	d = field_is(f, n, "state", "dead");
	q_fields_free(f, n);
	return d;
}

void
handle_requeue(struct conn *c, struct rq *r, const char *id)
{
	struct buf b = { 0 };
	struct err e;
	int x;

	(void)r;
	if (need_q(c->srv, &e) == NULL)
		DONE(respond_backend(c, &e, "queue"));
	if ((x = dead(c->srv->q, id, &e)) == 1)
		x = q_requeue(c->srv->q, id, &e);
	if (x == -1) {
		if (e.code == EX_NOINPUT)
			DONE(respond_error(c, 404, "no such job", NULL));
		DONE(respond_backend(c, &e, "queue"));
	}
	if (x == 0)
		DONE(respond_error(c, 409, "the job is not dead",
		    NULL));
	log_info("job %s requeued", id);
	buf_adds(&b, "{\"id\":");
	json_str(&b, id, strlen(id));
	buf_adds(&b, ",\"requeued\":true}\n");
	respond(c, 200, "application/json", "Cache-Control: no-store\r\n",
	    b.over ? "{}" : b.p, b.over ? 2 : b.len);
	buf_free(&b);
}
