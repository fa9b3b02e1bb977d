/*
 * q_sub.c: a subscriber to a queue's events, for a poll(2) loop.
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "q_int.h"
#include "sys.h"

struct q_sub {
	struct q_conn	*c;
	struct q_link	 link;
	char		 chan[Q_QUEUE_MAX + 16];
	int		 lost;
};

static int
subscribe(struct q_sub *s, struct err *e)
{
	const char *argv[2] = { "SUBSCRIBE", s->chan };
	size_t lens[2] = { 9, strlen(s->chan) };
	redisReply *r;

	if (s->c != NULL)
		q_conn_free(s->c);
	if ((s->c = q_redis_connect(&s->link, e)) == NULL)
		return -1;
	r = q_conn_command(s->c, 2, argv, lens);
	if (r == NULL || r->type != REDIS_REPLY_ARRAY) {
		if (r != NULL && r->type == REDIS_REPLY_ERROR)
			q_reply_error(r, e);
		else if (r != NULL)
			err_set(e, EX_TEMPFAIL, "SUBSCRIBE: bad reply");
		else
			err_set(e, q_conn_code(s->c), "SUBSCRIBE: %s",
			    q_conn_errstr(s->c));
		if (r != NULL)
			freeReplyObject(r);
		q_conn_free(s->c);
		s->c = NULL;
		return -1;
	}
	freeReplyObject(r);
	return 0;
}

struct q_sub *
q_sub_open(const char *url, const char *queue, struct err *e)
{
	return q_sub_open_opts(url, queue, NULL, e);
}

struct q_sub *
q_sub_open_opts(const char *url, const char *queue,
    const struct q_opts *o, struct err *e)
{
	struct q_sub *s;

	if (queue == NULL)
		queue = Q_DEFAULT_QUEUE;
	if (!q_queue_valid(queue)) {
		err_set(e, EX_CONFIG, "bad queue name");
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	if (q_key(s->chan, sizeof(s->chan), queue, QK_EVENTS, NULL) == -1) {
		err_set(e, EX_CONFIG, "queue name too long");
		goto fail;
	}
	if (q_link_init(&s->link, url, o, e) == -1 ||
	    subscribe(s, e) == -1)
		goto fail;
	return s;
fail:
	q_sub_close(s);
	return NULL;
}

void
q_sub_close(struct q_sub *s)
{
	if (s == NULL)
		return;
	if (s->c != NULL)
		q_conn_free(s->c);
	q_link_clear(&s->link);
	free(s);
}

int
q_sub_fd(const struct q_sub *s)
{
	return s->c != NULL ? q_conn_fd(s->c) : -1;
}

/* A message reply: {"message", channel, payload}. */
static int
take(redisReply *r, char **line, size_t *len, struct err *e)
{
	redisReply *p;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    strcmp(r->element[0]->str, "message") != 0)
		return 0;
	p = r->element[2];
	if (p->type != REDIS_REPLY_STRING)
		return 0;
	if ((*line = malloc(p->len + 1)) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	/* Events are text; a NUL would end the line early, not overrun. */
	memcpy(*line, p->str, p->len + 1);
	*len = p->len;
	return 1;
}

int
q_sub_lost(struct q_sub *s)
{
	int n = s->lost;

	s->lost = 0;
	return n;
}

int
q_sub_next(struct q_sub *s, char **line, size_t *len, int timeout_ms,
    struct err *e)
{
	uint64_t deadline = sys_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 :
	    timeout_ms);
	struct pollfd pfd;
	redisReply *rv;
	int rc, left;

	for (;;) {
		if (s->c == NULL) {
			if (subscribe(s, e) == -1) {
				if (e->code != EX_TEMPFAIL)
					return -1;
				if (timeout_ms >= 0 &&
				    sys_now_ms() >= deadline)
					return -1;
				q_backoff_sleep(3, NULL);
				continue;
			}
			s->lost++;
			*line = NULL;
			*len = 0;
			return 2;
		}
		if (q_conn_take(s->c, &rv) == -1)
			goto lost;
		if (rv != NULL) {
			rc = take(rv, line, len, e);
			freeReplyObject(rv);
			if (rc != 0)
				return rc;
			continue;
		}
		/*
		 * When the time is up (at once for timeout 0) the socket is
		 * still polled without waiting and what is there is read:
		 * 0 only when nothing complete came.
		 */
		left = -1;
		if (timeout_ms >= 0) {
			uint64_t now = sys_now_ms();

			left = now >= deadline ? 0 : (int)(deadline - now);
		}
		pfd.fd = q_conn_fd(s->c);
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, left);
		if (rc == -1 && errno != EINTR)
			goto lost;
		if (rc > 0 && q_conn_fill(s->c) == -1)
			goto lost;
		if (rc == 0 && left == 0)
			return 0;
	}
lost:
	q_conn_free(s->c);
	s->c = NULL;
	return q_sub_next(s, line, len, timeout_ms, e);
}
