/*
 * backend.c: the S3 client and the queue, each made once and kept across
 * requests, and the answer a request gets when one of them fails.
 *
 * The handlers (jobs.c, upload.c, metrics.c) use these; nothing here
 * calls a handler.
 */
#include <stdio.h>
#include <stdlib.h>

#include "env.h"
#include "exitcode.h"
#include "log.h"
#include "q.h"
#include "recv.h"
#include "s3.h"

#define RECV_PART_SIZE	(5ULL << 20)	/* S3 minimum */
#define RECV_PARTS	2

/* Makes the S3 client (once: a failure is kept for later requests). */
static int
s3_init(struct srv *s, struct err *e)
{
	struct s3_conf sc;

	s->s3_tried = 1;
	err_clear(e);
	if (s3_conf_from_env(&sc, e) == 0) {
		/*
		 * Memory per process is bounded by part size x (parts in
		 * flight + 1): smaller than s3put's defaults unless asked.
		 */
		if (env_str("IMGQ_S3_PART_SIZE") == NULL)
			sc.part_size = RECV_PART_SIZE;
		if (env_str("IMGQ_S3_PARTS") == NULL)
			sc.parts_in_flight = RECV_PARTS;
	}
	if (e->code != 0 || (s->s3 = s3_new(&sc, e)) == NULL) {
		s->s3 = NULL;
		s->s3_err = *e;
		return -1;
	}
	snprintf(s->bucket, sizeof(s->bucket), "%s", s3_bucket(s->s3));
	return 0;
}

/*
 * The accept loop (eager) makes the S3 client and opens the queue at
 * start, so that a configuration error stops it at once.  CGI and inetd
 * make each when a request first needs it: GET / pays for neither, an
 * upload not for a Redis connection before its job is queued (start-up
 * is most of a CGI request's CPU).
 */
int
backend_init(struct srv *s, int eager, struct err *e)
{
	err_clear(e);
	if (!eager)
		return 0;
	if (s3_init(s, e) == -1)
		return -1;
	(void)need_q(s, e);
	return 0;
}

void
backend_free(struct srv *s)
{
	if (s->q != NULL)
		q_close(s->q);
	if (s->s3 != NULL)
		s3_free(s->s3);
	s->q = NULL;
	s->s3 = NULL;
	free(s->small);
	s->small = NULL;
}

struct q *
need_q(struct srv *s, struct err *e)
{
	if (s->q != NULL)
		return s->q;
	if ((s->q = q_conf_open(&s->c.q, e)) == NULL) {
		log_error("unable to open the queue: %s", e->msg);
		return NULL;
	}
	return s->q;
}

struct s3 *
need_s3(struct srv *s, struct err *e)
{
	if (s->s3 == NULL && !s->s3_tried && s3_init(s, e) == 0)
		return s->s3;
	if (s->s3 == NULL) {
		*e = s->s3_err;
		log_error("S3: %s", e->msg);
	}
	return s->s3;
}

/* Answers a failure of S3 or Redis: 404 for an absent thing, else 503. */
void
respond_backend(struct conn *c, const struct err *e, const char *what)
{
	char msg[160];

	if (e->code == EX_NOINPUT) {
		respond_error(c, 404, e->msg, NULL);
		return;
	}
	log_error("%s: %s", what, e->msg);
	snprintf(msg, sizeof(msg), "%s unavailable, try again later", what);
	respond_error(c, 503, msg, "Retry-After: 5\r\n");
}
