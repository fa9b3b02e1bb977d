/*
 * feed.c: the one subscription to the queue's events, who follows which
 * job, catch-ups from the job record and the fan-out of each event.
 *
 * An event line "ID STATE DETAIL" reaches the operators' feed as it is,
 * and each follower of ID as an event named STATE whose data is the job
 * record read once for all of them (a follower sees every change, in
 * order; the record may already be further along).  A catch-up (on
 * connect, on follow, after the subscription was re-made) sends the
 * record's state unless the follower's last event id names it already,
 * so a client that reconnects misses nothing and gets nothing twice.
 */
#include <sys/epoll.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "ev.h"
#include "json.h"
#include "log.h"
#include "q.h"
#include "sys.h"

#define NBUCKETS	4096
#define SUB_RETRY_MS	500

static struct follow *table[NBUCKETS];

/* A job as read for one event or catch-up. */
struct snap {
	const char	*id;
	struct q_field	*f;
	size_t		 n;
	char		 state[32];
	char		 eid[64];
	char		*json[2];	/* public, operator's: made as needed */
};

static unsigned
bucket(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % NBUCKETS;
}

/* The record of id; -1 with the err (EX_NOINPUT: none). */
static int
snap_get(struct srv *s, const char *id, struct snap *sn, struct err *e)
{
	const struct q_field *st, *at;

	memset(sn, 0, sizeof(*sn));
	sn->id = id;
	if (q_job_get(s->q, id, &sn->f, &sn->n, e) == -1)
		return -1;
	st = q_fields_find(sn->f, sn->n, "state");
	at = q_fields_find(sn->f, sn->n, "attempts");
	snprintf(sn->state, sizeof(sn->state), "%.*s", st ? (int)st->len : 7,
	    st ? (const char *)st->val : "unknown");
	snprintf(sn->eid, sizeof(sn->eid), "%s.%.*s", sn->state,
	    at && at->len < 20 ? (int)at->len : 1,
	    at && at->len < 20 ? (const char *)at->val : "0");
	return 0;
}

static const char *
snap_json(struct snap *sn, int op)
{
	struct err e;

	op = op != OP_NONE;
	if (sn->json[op] == NULL)
		sn->json[op] = q_fields_json(sn->id, sn->f, sn->n, !op, &e);
	return sn->json[op];
}

static void
snap_free(struct snap *sn)
{
	q_fields_free(sn->f, sn->n);
	free(sn->json[0]);
	free(sn->json[1]);
}

/* Sends one event of the job to f's connection; final ones end it. */
static void
deliver(struct srv *s, struct follow *f, struct snap *sn, const char *state,
    const char *eid)
{
	struct cl *c = f->c;
	const char *json = snap_json(sn, c->op);
	int fin = job_state_final(job_state_of(state, strlen(state)));
	char id[JOB_ID_LEN + 1];

	if (json == NULL)
		return;
	snprintf(f->last, sizeof(f->last), "%s", eid);
	if (c->kind == C_SSE) {
		if (sse_event(s, c, state, eid, json) == 0 && fin)
			cl_finish(s, c);
		return;
	}
	snprintf(id, sizeof(id), "%s", f->id);
	if (ws_event(s, c, id, state, eid, json) == 0 && fin)
		unfollow(s, c, id);
}

static struct follow *
find(struct cl *c, const char *id)
{
	struct follow *f;

	for (f = c->jobs; f != NULL; f = f->cnext)
		if (strcmp(f->id, id) == 0)
			return f;
	return NULL;
}

/* Sends the record's state unless the follower has seen it. */
static void
catch_up(struct srv *s, struct follow *f, struct snap *sn)
{
	if (strcmp(f->last, sn->eid) != 0)
		deliver(s, f, sn, sn->state, sn->eid);
}

int
follow(struct srv *s, struct cl *c, const char *id, const char *last)
{
	struct follow *f;
	struct snap sn;
	struct err e;
	unsigned b;

	if (find(c, id) != NULL)
		return 0;
	if (snap_get(s, id, &sn, &e) == -1)
		return e.code == EX_NOINPUT ? -1 : -2;
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snap_free(&sn);
		return -2;
	}
	snprintf(f->id, sizeof(f->id), "%s", id);
	snprintf(f->last, sizeof(f->last), "%s", last ? last : "");
	f->c = c;
	b = bucket(id);
	f->hnext = table[b];
	table[b] = f;
	f->cnext = c->jobs;
	c->jobs = f;
	c->njobs++;
	catch_up(s, f, &sn);
	snap_free(&sn);
	return 0;
}

void
unfollow(struct srv *s, struct cl *c, const char *id)
{
	struct follow **pp, *f;

	(void)s;
	for (pp = &c->jobs; *pp != NULL; pp = &(*pp)->cnext)
		if (strcmp((*pp)->id, id) == 0)
			break;
	if ((f = *pp) == NULL)
		return;
	*pp = f->cnext;
	c->njobs--;
	for (pp = &table[bucket(id)]; *pp != f; pp = &(*pp)->hnext)
		;
	*pp = f->hnext;
	free(f);
}

void
unfollow_all(struct srv *s, struct cl *c)
{
	while (c->jobs != NULL)
		unfollow(s, c, c->jobs->id);
}

/* The connections following id, into a malloc'd array (*n of them). */
static struct cl **
followers(const char *id, size_t *n)
{
	struct follow *f;
	struct cl **v;
	size_t k = 0;
	unsigned b = bucket(id);

	*n = 0;
	for (f = table[b]; f != NULL; f = f->hnext)
		k += strcmp(f->id, id) == 0;
	if (k == 0 || (v = calloc(k, sizeof(*v))) == NULL)
		return NULL;
	for (f = table[b]; f != NULL; f = f->hnext)
		if (strcmp(f->id, id) == 0)
			v[(*n)++] = f->c;
	return v;
}

/* The operators' feed: {"id":...,"state":...,"detail":...}. */
static void
to_feed(struct srv *s, const char *id, const char *state, const char *d)
{
	struct buf b = { 0 };
	struct cl *c, *next;

	buf_adds(&b, "{\"id\":");
	json_str(&b, id, strlen(id));
	buf_adds(&b, ",\"state\":");
	json_str(&b, state, strlen(state));
	buf_adds(&b, ",\"detail\":");
	json_str(&b, d, strlen(d));
	buf_adds(&b, "}");
	for (c = s->all; c != NULL && !b.over; c = next) {
		next = c->next;
		if (!c->feed)
			continue;
		if (c->kind == C_WS)
			(void)ws_event(s, c, NULL, "job", NULL, b.p);
		else
			(void)sse_event(s, c, "job", NULL, b.p);
	}
	buf_free(&b);
}

/* One event line from Redis. */
static void
dispatch(struct srv *s, char *line)
{
	char *state, *detail, eid[64];
	struct cl **v;
	struct follow *f;
	struct snap sn;
	struct err e;
	size_t n, i;

	s->m.events_in++;
	if ((state = strchr(line, ' ')) == NULL)
		return;
	*state++ = '\0';
	if ((detail = strchr(state, ' ')) != NULL)
		*detail++ = '\0';
	if (!job_id_valid(line) || *state == '\0' || strlen(state) > 31)
		return;
	if (s->nfeed > 0)
		to_feed(s, line, state, detail ? detail : "");
	if ((v = followers(line, &n)) == NULL)
		return;
	if (snap_get(s, line, &sn, &e) == -1) {
		log_warn("job %s: %s", line, e.msg);
		free(v);
		return;
	}
	snprintf(eid, sizeof(eid), "%s%s", state, strchr(sn.eid, '.'));
	for (i = 0; i < n; i++)
		if (v[i]->fd != -1 && (f = find(v[i], line)) != NULL)
			deliver(s, f, &sn, state, eid);
	snap_free(&sn);
	free(v);
}

/* Every follower gets a catch-up: events may have been missed. */
static void
catch_up_all(struct srv *s)
{
	struct cl *c, *next;
	struct follow *f, *fnext;
	struct snap sn;
	struct err e;

	for (c = s->all; c != NULL; c = next) {
		next = c->next;
		for (f = c->jobs; f != NULL && c->fd != -1; f = fnext) {
			fnext = f->cnext;
			if (snap_get(s, f->id, &sn, &e) == -1)
				continue;
			catch_up(s, f, &sn);
			snap_free(&sn);
		}
	}
}

/* Watches the subscription's socket (a new one after a reconnect). */
static void
watch(struct srv *s)
{
	struct epoll_event ev;

	s->subfd = q_sub_fd(s->sub);
	if (s->subfd == -1)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->subfd, &ev) == -1) {
		log_error("epoll_ctl: subscription socket");
		s->subfd = -1;
	}
}

int
feed_init(struct srv *s, struct err *e)
{
	if ((s->q = q_conf_open(&s->c.q, e)) == NULL ||
	    (s->sub = q_conf_sub(&s->c.q, e)) == NULL)
		return -1;
	watch(s);
	return 0;
}

int
feed_up(const struct srv *s)
{
	return s->subfd != -1;
}

void
feed_readable(struct srv *s)
{
	struct err e;
	char *line;
	size_t len;
	int r;

	while ((r = q_sub_next(s->sub, &line, &len, 0, &e)) > 0) {
		if (r == 2) {
			log_info("subscription re-made: catching up");
			s->m.resubscribed++;
			if (s->subfd != -1)
				(void)epoll_ctl(s->ep, EPOLL_CTL_DEL, s->subfd,
				    NULL);
			watch(s);
			catch_up_all(s);
			continue;
		}
		dispatch(s, line);
		free(line);
	}
	if (r == -1 && q_sub_fd(s->sub) == -1) {
		if (s->subfd != -1)
			log_warn("subscription lost: %s", e.msg);
		s->subfd = -1;
		s->sub_retry = sys_now_ms() + SUB_RETRY_MS;
	}
}

void
feed_tick(struct srv *s, uint64_t now)
{
	if (s->subfd == -1 && now >= s->sub_retry) {
		s->sub_retry = now + SUB_RETRY_MS;
		feed_readable(s);
	}
}
