/*
 * q.c: the queue operations (producers, consumers, inspection), each one
 * script of q_lua.c sent as an argument vector.
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "q_int.h"
#include "sys.h"

int
q_id_new(char *id, struct err *e)
{
	return job_id_new(id, e);
}

static int
bad_reply(struct err *e, const char *what)
{
	return err_set(e, EX_PROTOCOL, "%s: unexpected reply from Redis",
	    what);
}

static int
check_fields(const struct q_field *f, size_t n, struct err *e)
{
	size_t i, nl;
	char esc[80];

	if (n > JOB_FIELDS_MAX)
		return err_set(e, EX_DATAERR, "too many fields (at most %d)",
		    JOB_FIELDS_MAX);
	for (i = 0; i < n; i++) {
		nl = strlen(f[i].name);
		log_escape(f[i].name, nl, esc, sizeof(esc));
		if (!job_field_name_valid(f[i].name, nl))
			return err_set(e, EX_DATAERR, "bad field name '%s' "
			    "(want [a-z][a-z0-9_]*, at most %d)", esc,
			    JOB_FIELD_NAME_MAX);
		if (job_field_reserved(f[i].name, nl))
			return err_set(e, EX_DATAERR, "field name '%s' is "
			    "reserved for the queue", esc);
		if (f[i].len > JOB_VALUE_MAX)
			return err_set(e, EX_DATAERR, "value of field '%s' is "
			    "too large (at most %u bytes)", esc, JOB_VALUE_MAX);
	}
	return 0;
}

/* ----- push ----- */

/* Builds the ARGV of the push script (after the prefix). */
static int
push_args(struct q *q, struct q_push_req *r, char *ttl, size_t ttlsz,
    const char ***argvp, size_t **lensp, int *argcp, struct err *e)
{
	const char **argv;
	size_t *lens, i;
	int n;

	n = snprintf(ttl, ttlsz, "%lld", q->retention_ms);
	if (n < 0 || (size_t)n >= ttlsz)
		return err_set(e, EX_SOFTWARE, "retention out of range");
	argv = calloc(3 + 2 * r->nfields, sizeof(*argv));
	lens = calloc(3 + 2 * r->nfields, sizeof(*lens));
	if (argv == NULL || lens == NULL) {
		free(argv);
		free(lens);
		return err_set(e, EX_OSERR, "out of memory");
	}
	argv[0] = r->id, lens[0] = strlen(r->id);
	argv[1] = r->idem_key ? r->idem_key : "";
	lens[1] = strlen(argv[1]);
	argv[2] = ttl, lens[2] = (size_t)n;
	for (i = 0; i < r->nfields; i++) {
		argv[3 + 2 * i] = r->fields[i].name;
		lens[3 + 2 * i] = strlen(r->fields[i].name);
		argv[4 + 2 * i] = r->fields[i].val;
		lens[4 + 2 * i] = r->fields[i].len;
	}
	*argvp = argv;
	*lensp = lens;
	*argcp = 3 + 2 * (int)r->nfields;
	return 0;
}

/* Reads a push reply {id, 0|1|2}; again: this is a re-sent request. */
static int
push_result(redisReply *r, struct q_push_req *req, int again,
    struct err *e)
{
	long long how;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len != JOB_ID_LEN ||
	    r->element[1]->type != REDIS_REPLY_INTEGER)
		return bad_reply(e, "push");
	how = r->element[1]->integer;
	if (how == 2 && !again)
		return err_set(e, EX_DATAERR, "job %s exists already",
		    req->id);
	memcpy(req->id, r->element[0]->str, JOB_ID_LEN);
	req->id[JOB_ID_LEN] = '\0';
	req->existed = how == 1;
	return 0;
}

int
q_push(struct q *q, const char *id, const struct q_field *f, size_t n,
    const char *idem, char *id_out, int *existed, struct err *e)
{
	struct q_push_req r;

	memset(&r, 0, sizeof(r));
	r.fields = f;
	r.nfields = n;
	r.idem_key = idem;
	if (id != NULL) {
		if (!job_id_valid(id))
			return err_set(e, EX_DATAERR, "bad job id");
		memcpy(r.id, id, JOB_ID_LEN + 1);
	}
	if (q_push_batch(q, &r, 1, e) == -1)
		return -1;
	if (id_out != NULL)
		memcpy(id_out, r.id, JOB_ID_LEN + 1);
	if (existed != NULL)
		*existed = r.existed;
	return 0;
}

/* Sends reqs[from..to) pipelined; *done gets how many were answered. */
static int
push_pipe(struct q *q, struct q_push_req *reqs, size_t from, size_t to,
    int again, size_t *done, struct err *e)
{
	const char *av[5 + 3 + 2 * JOB_FIELDS_MAX];
	size_t al[5 + 3 + 2 * JOB_FIELDS_MAX];
	const char **argv = NULL;
	size_t *lens = NULL, i;
	char ttl[24];
	redisReply *r;
	int argc = 0, j, rc;

	*done = 0;
	for (i = from; i < to; i++) {
		if (push_args(q, &reqs[i], ttl, sizeof(ttl), &argv, &lens,
		    &argc, e) == -1) {
			q_conn_free(q->c);	/* drops what was appended */
			q->c = NULL;
			e->code = EX_OSERR;
			return -1;
		}
		av[0] = "EVALSHA", al[0] = 7;
		av[1] = q->sha[QS_PUSH], al[1] = 40;
		av[2] = "1", al[2] = 1;
		av[3] = q->queue_key, al[3] = strlen(q->queue_key);
		av[4] = q->prefix, al[4] = strlen(q->prefix);
		for (j = 0; j < argc; j++)
			av[5 + j] = argv[j], al[5 + j] = lens[j];
		rc = q_conn_append(q->c, argc + 5, av, al);
		free(argv);
		free(lens);
		if (rc == -1)
			return err_set(e, EX_OSERR, "out of memory");
	}
	for (i = from; i < to; i++) {
		if (q_conn_reply(q->c, &r) == -1) {
			err_set(e, q_conn_code(q->c), "lost the connection to "
			    "Redis: %s", q_conn_errstr(q->c));
			q_conn_free(q->c);
			q->c = NULL;
			return -1;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			(void)q_reply_error(r, e);
			if (strncmp(r->str, "NOSCRIPT", 8) == 0)
				e->code = EX_TEMPFAIL;
			rc = -1;
		} else
			rc = push_result(r, &reqs[i], again, e);
		freeReplyObject(r);
		if (rc == -1) {
			/*
			 * The replies after this one are still on the way:
			 * drop the connection rather than read them, so that
			 * the next command does not get one of them.
			 */
			q_conn_free(q->c);
			q->c = NULL;
			return -1;
		}
		(*done)++;
	}
	return 0;
}

/* A failure worth retrying: a lost server, not a full one. */
static int
transient(const struct err *e)
{
	return e->code == EX_TEMPFAIL &&
	    strstr(e->msg, "out of memory") == NULL;
}

int
q_push_batch(struct q *q, struct q_push_req *reqs, size_t n, struct err *e)
{
	uint64_t start = sys_now_ms();
	size_t i, at = 0, done;
	int tries = 0, again = 0;
	const char *argv[1] = { "PING" };
	size_t lens[1] = { 4 };
	redisReply *r;

	for (i = 0; i < n; i++) {
		if (check_fields(reqs[i].fields, reqs[i].nfields, e) == -1)
			return -1;
		if (reqs[i].idem_key != NULL &&
		    (strlen(reqs[i].idem_key) > Q_IDEM_MAX ||
		    reqs[i].idem_key[0] == '\0'))
			return err_set(e, EX_DATAERR, "idempotency key empty "
			    "or longer than %d bytes", Q_IDEM_MAX);
		if (reqs[i].id[0] == '\0' && job_id_new(reqs[i].id, e) == -1)
			return -1;
		reqs[i].existed = 0;
	}
	while (at < n) {
		if (q->c == NULL) {
			/* Reconnects (and reloads scripts) within the bound. */
			if (q_call(q, 1, argv, lens, &r, 0, e) == -1)
				return -1;
			freeReplyObject(r);
		}
		if (push_pipe(q, reqs, at, n, again, &done, e) == 0)
			break;
		at += done;
		if (e->code != EX_TEMPFAIL || !transient(e) ||
		    (long long)(sys_now_ms() - start) >= q->retry_ms ||
		    (q->stop != NULL && *q->stop))
			return -1;
		again = 1;
		q_backoff_sleep(tries++, q->stop);
	}
	return q_wait_replicas(q, e);
}

/* ----- consumers ----- */

int
q_consumer(struct q *q, const char *name, long long lease_ms,
    int max_attempts, struct err *e)
{
	char host[64], id[JOB_ID_LEN + 1];
	int n;
	size_t i;

	if (name == NULL) {
		if (gethostname(host, sizeof(host)) == -1)
			(void)snprintf(host, sizeof(host), "host");
		host[sizeof(host) - 1] = '\0';
		for (i = 0; host[i] != '\0'; i++)
			if (!((host[i] >= 'a' && host[i] <= 'z') ||
			    (host[i] >= 'A' && host[i] <= 'Z') ||
			    (host[i] >= '0' && host[i] <= '9') ||
			    host[i] == '-' || host[i] == '.'))
				host[i] = '_';
		if (job_id_new(id, e) == -1)
			return -1;
		n = snprintf(q->consumer, sizeof(q->consumer), "%s.%ld.%s",
		    host, (long)getpid(), id + JOB_ID_LEN - 6);
	} else {
		for (i = 0; name[i] != '\0'; i++)
			if ((unsigned char)name[i] <= ' ' ||
			    (unsigned char)name[i] >= 0x7f)
				return err_set(e, EX_USAGE, "consumer name: "
				    "printable characters only");
		n = snprintf(q->consumer, sizeof(q->consumer), "%s", name);
	}
	if (n <= 0 || (size_t)n >= sizeof(q->consumer))
		return err_set(e, EX_USAGE, "consumer name empty or longer "
		    "than %d", Q_CONSUMER_MAX);
	if (q_key(q->clist, sizeof(q->clist), q->name, QK_C, q->consumer) ==
	    -1)
		return err_set(e, EX_USAGE, "consumer name too long");
	q->lease_ms = lease_ms;
	q->max_attempts = max_attempts;
	return 0;
}

const char *
q_consumer_name(const struct q *q)
{
	return q->consumer;
}

static int
numarg(char *buf, size_t sz, long long v, size_t *len)
{
	int n = snprintf(buf, sz, "%lld", v);

	if (n < 0 || (size_t)n >= sz)
		return -1;
	*len = (size_t)n;
	return 0;
}

/*
 * Fills job from a start reply {1, id, run, attempt, record}; the fields
 * point into the reply, which the caller hands to job->priv.
 */
static int
take_job(redisReply *r, struct q_job *job, struct err *e)
{
	redisReply *rec;
	size_t i;
	int n;

	if (r->elements != 5 || r->element[1]->type != REDIS_REPLY_STRING ||
	    r->element[1]->len != JOB_ID_LEN ||
	    r->element[2]->type != REDIS_REPLY_INTEGER ||
	    r->element[3]->type != REDIS_REPLY_INTEGER ||
	    r->element[4]->type != REDIS_REPLY_ARRAY ||
	    r->element[4]->elements % 2 != 0)
		return bad_reply(e, "reserve");
	rec = r->element[4];
	memset(job, 0, sizeof(*job));
	memcpy(job->id, r->element[1]->str, JOB_ID_LEN);
	n = snprintf(job->run, sizeof(job->run), "%lld",
	    r->element[2]->integer);
	if (n < 0 || (size_t)n >= sizeof(job->run))
		return bad_reply(e, "reserve");
	job->attempt = r->element[3]->integer;
	job->nfields = rec->elements / 2;
	job->fields = calloc(job->nfields + 1, sizeof(*job->fields));
	if (job->fields == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	for (i = 0; i < job->nfields; i++) {
		if (rec->element[2 * i]->type != REDIS_REPLY_STRING ||
		    rec->element[2 * i + 1]->type != REDIS_REPLY_STRING) {
			free(job->fields);
			job->fields = NULL;
			return bad_reply(e, "reserve");
		}
		job->fields[i].name = rec->element[2 * i]->str;
		job->fields[i].val = rec->element[2 * i + 1]->str;
		job->fields[i].len = rec->element[2 * i + 1]->len;
	}
	return 0;
}

/*
 * Reads a start reply r, part of top: 1 job (top now belongs to the job),
 * 0 empty (*next_ms), 2 skip, -1 error; but for 1, top is freed.
 */
static int
start_reply(redisReply *top, redisReply *r, struct q_job *job,
    long long *next_ms, struct err *e)
{
	int rc;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(top);
		return bad_reply(e, "reserve");
	}
	switch (r->element[0]->integer) {
	case 0:
		*next_ms = r->element[1]->type == REDIS_REPLY_INTEGER ?
		    r->element[1]->integer : -1;
		rc = 0;
		break;
	case 1:
		if (take_job(r, job, e) == -1) {
			rc = -1;
			break;
		}
		job->priv = top;
		return 1;
	default:
		rc = 2;
		break;
	}
	freeReplyObject(top);
	return rc;
}

/* Runs the start script; 1 job, 0 empty (*next_ms), 2 skip. */
static int
start(struct q *q, const char *moved, struct q_job *job,
    long long *next_ms, struct err *e)
{
	char lease[24], maxatt[24];
	const char *argv[4];
	size_t lens[4];
	redisReply *r;

	if (numarg(lease, sizeof(lease), q->lease_ms, &lens[1]) == -1 ||
	    numarg(maxatt, sizeof(maxatt), q->max_attempts, &lens[2]) == -1)
		return err_set(e, EX_SOFTWARE, "bad lease");
	argv[0] = q->consumer, lens[0] = strlen(q->consumer);
	argv[1] = lease;
	argv[2] = maxatt;
	argv[3] = moved, lens[3] = strlen(moved);
	if (q_eval(q, QS_START, 4, argv, lens, &r, 0, e) == -1)
		return -1;
	return start_reply(r, r, job, next_ms, e);
}

/*
 * Reads the next reply within the deadline, watching cancel_fd.  0 with
 * *out, 3 when cancelled, -1 when the connection broke or timed out (the
 * connection is dropped in both cases).
 */
static int
read_reply(struct q *q, uint64_t deadline, int cancel_fd, redisReply **out,
    struct err *e)
{
	struct pollfd pfd[2];
	int n, rc;

	for (;;) {
		if (q_conn_take(q->c, out) == -1)
			goto lost;
		if (*out != NULL)
			return 0;
		pfd[0].fd = q_conn_fd(q->c), pfd[0].events = POLLIN;
		pfd[1].fd = cancel_fd, pfd[1].events = POLLIN;
		n = (int)(deadline > sys_now_ms() ? deadline - sys_now_ms() :
		    0);
		if (n == 0) {
			errno = ETIMEDOUT;
			goto lost;
		}
		rc = poll(pfd, cancel_fd >= 0 ? 2 : 1, n);
		if (rc == -1 && errno != EINTR)
			goto lost;
		if (rc > 0 && cancel_fd >= 0 && pfd[1].revents) {
			/* What was sent may still land: the next start puts
			 * back what this consumer's list holds, and stopping
			 * hands it back. */
			q_conn_free(q->c);
			q->c = NULL;
			return 3;
		}
		if (rc > 0 && pfd[0].revents && q_conn_fill(q->c) == -1)
			goto lost;
	}
lost:
	err_set(e, q_conn_code(q->c), "lost the connection to Redis: %s",
	    q_conn_errstr(q->c));
	q_conn_free(q->c);
	q->c = NULL;
	return -1;
}

/*
 * Waits up to ms for a job with BLMOVE and, pipelined behind it, runs the
 * start script on what it moved: the server runs the script as soon as
 * BLMOVE returns, so a job that arrives costs one round trip, not two.
 * Returns as start (1 job, 0 none (*next_ms), 2 skip), 3 when cancelled,
 * -1 on error (EX_TEMPFAIL when the connection broke; it is dropped).
 */
static int
blmove_start(struct q *q, long long ms, int cancel_fd, struct q_job *job,
    long long *next_ms, struct err *e)
{
	const char *bv[6] = { "BLMOVE", q->queue_key, q->clist, "RIGHT",
	    "LEFT", NULL };
	const char *sv[9];
	size_t bl[6], sl[9];
	char secs[32], lease[24], maxatt[24];
	redisReply *rb = NULL, *rs = NULL;
	uint64_t deadline;
	int n, rc;

	n = snprintf(secs, sizeof(secs), "%lld.%03lld", ms / 1000, ms % 1000);
	if (n < 0 || (size_t)n >= sizeof(secs) ||
	    numarg(lease, sizeof(lease), q->lease_ms, &sl[6]) == -1 ||
	    numarg(maxatt, sizeof(maxatt), q->max_attempts, &sl[7]) == -1)
		return err_set(e, EX_SOFTWARE, "bad wait");
	bv[5] = secs;
	for (n = 0; n < 6; n++)
		bl[n] = strlen(bv[n]);
	sv[0] = "EVALSHA", sv[1] = q->sha[QS_START], sv[2] = "1";
	sv[3] = q->queue_key, sv[4] = q->prefix, sv[5] = q->consumer;
	sv[6] = lease, sv[7] = maxatt, sv[8] = "*";
	for (n = 0; n < 9; n++)
		if (n != 6 && n != 7)
			sl[n] = strlen(sv[n]);
	if (q_conn_append(q->c, 6, bv, bl) == -1 ||
	    q_conn_append(q->c, 9, sv, sl) == -1) {
		q_conn_free(q->c);	/* drops what was appended */
		q->c = NULL;
		return err_set(e, EX_OSERR, "out of memory");
	}
	if (q_conn_flush(q->c) == -1) {
		err_set(e, q_conn_code(q->c), "lost the connection to Redis: "
		    "%s", q_conn_errstr(q->c));
		q_conn_free(q->c);
		q->c = NULL;
		return -1;
	}
	deadline = sys_now_ms() + (uint64_t)ms + 10000;
	if ((rc = read_reply(q, deadline, cancel_fd, &rb, e)) != 0)
		return rc;
	if ((rc = read_reply(q, deadline, cancel_fd, &rs, e)) != 0) {
		freeReplyObject(rb);
		return rc;
	}
	/* What BLMOVE moved, the script has seen: only errors matter. */
	if (rb->type == REDIS_REPLY_ERROR || rs->type == REDIS_REPLY_ERROR) {
		const redisReply *er = rb->type == REDIS_REPLY_ERROR ? rb : rs;

		rc = q_reply_error(er, e);
		if (rc || strncmp(er->str, "NOSCRIPT", 8) == 0) {
			/* Reconnect (and reload the scripts) and retry. */
			e->code = EX_TEMPFAIL;
			q_conn_free(q->c);
			q->c = NULL;
		}
		freeReplyObject(rb);
		freeReplyObject(rs);
		return -1;
	}
	freeReplyObject(rb);
	return start_reply(rs, rs, job, next_ms, e);
}

int
q_reserve(struct q *q, long long wait_ms, int cancel_fd, struct q_job *job,
    struct err *e)
{
	uint64_t t0 = sys_now_ms(), lost_at = 0;
	long long left, next = -1, slice;
	int rc, tries = 0, need_start = 1;

	if (q->consumer[0] == '\0' && q_consumer(q, NULL, q->lease_ms,
	    q->max_attempts, e) == -1)
		return -1;
	for (;;) {
		if (need_start || q->c == NULL) {
			/* start reconnects within the bound */
			rc = start(q, "", job, &next, e);
			if (rc == 1)
				return 1;
			if (rc == -1)
				return -1;
			if (rc == 2)
				continue;
			need_start = 0;
		}
		left = wait_ms < 0 ? -1 : wait_ms -
		    (long long)(sys_now_ms() - t0);
		if (wait_ms >= 0 && left <= 0)
			return 0;
		/*
		 * Block no longer than a third of the lease (the start script
		 * renews it), the next due retry, and what is left to wait.
		 */
		slice = q->lease_ms / 3;
		if (slice > 5000)
			slice = 5000;
		if (next >= 0 && next + 1 < slice)
			slice = next + 1;
		if (left >= 0 && left < slice)
			slice = left;
		if (slice < 1)
			slice = 1;
		rc = blmove_start(q, slice, cancel_fd, job, &next, e);
		if (rc == 3)
			return 0;
		if (rc == -1) {
			if (e->code != EX_TEMPFAIL)
				return -1;
			if (lost_at == 0)
				lost_at = sys_now_ms();
			if ((long long)(sys_now_ms() - lost_at) >= q->retry_ms ||
			    (q->stop != NULL && *q->stop))
				return -1;
			q_backoff_sleep(tries++, q->stop);
			if (q->stop != NULL && *q->stop)
				return -1;
			need_start = 1;
			continue;
		}
		lost_at = 0;
		tries = 0;
		if (rc == 1)
			return 1;
		/* 0: none yet (the script renewed the lease); 2: skip. */
		if (rc == 2)
			need_start = 1;
	}
}

void
q_job_free(struct q_job *job)
{
	if (job == NULL)
		return;
	free(job->fields);
	if (job->priv != NULL)
		freeReplyObject(job->priv);
	job->fields = NULL;
	job->priv = NULL;
	job->nfields = 0;
}

const struct q_field *
q_job_field(const struct q_job *job, const char *name)
{
	return q_fields_find(job->fields, job->nfields, name);
}

int
q_beat(struct q *q, struct err *e)
{
	char lease[24];
	const char *argv[2];
	size_t lens[2];
	redisReply *r;
	long long v;

	if (numarg(lease, sizeof(lease), q->lease_ms, &lens[1]) == -1)
		return err_set(e, EX_SOFTWARE, "bad lease");
	argv[0] = q->consumer, lens[0] = strlen(q->consumer);
	argv[1] = lease;
	if (q->c == NULL) {
		/* One reconnect attempt. */
		const char *pa[1] = { "PING" };
		size_t pl[1] = { 4 };

		if (q_call(q, 1, pa, pl, &r, QC_ONCE, e) == -1)
			return -1;
		freeReplyObject(r);
	}
	if (q_eval(q, QS_BEAT, 2, argv, lens, &r, QC_ONCE, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		return bad_reply(e, "heartbeat");
	}
	v = r->integer;
	freeReplyObject(r);
	return v == 1;
}

/* Buffers of the numbers in a settle's arguments. */
struct settle_nums {
	char	maxatt[24], delay[24], ret[24], code[24], sig[24];
};

/*
 * The settle arguments after the consumer: id, run, how, max attempts,
 * delay, retention, name, value...  Returns how many (at most 15).
 */
static int
settle_args(struct q *q, const struct q_job *job, const struct q_settle *s,
    const char **argv, size_t *lens, struct settle_nums *b, struct err *e)
{
	/* The states the outcomes lead to, as the settle script reads them. */
	static const char *const hows[] = {
		[Q_DONE] = JOB_S_DONE, [Q_RETRY] = JOB_S_RETRY,
		[Q_DEAD] = JOB_S_DEAD, [Q_HALT] = Q_HOW_HALT
	};
	int n = 0;

	argv[n] = job->id, lens[n++] = strlen(job->id);
	argv[n] = job->run, lens[n++] = strlen(job->run);
	argv[n] = hows[s->how], lens[n++] = strlen(hows[s->how]);
	if (numarg(b->maxatt, sizeof(b->maxatt), q->max_attempts,
	    &lens[n]) == -1 ||
	    numarg(b->delay, sizeof(b->delay), s->delay_ms, &lens[n + 1]) ==
	    -1 ||
	    numarg(b->ret, sizeof(b->ret), q->retention_ms, &lens[n + 2]) ==
	    -1)
		return err_set(e, EX_SOFTWARE, "bad number");
	argv[n++] = b->maxatt;
	argv[n++] = b->delay;
	argv[n++] = b->ret;
	if (s->how == Q_HALT)
		return n;
	if (s->exit_code >= 0) {
		if (numarg(b->code, sizeof(b->code), s->exit_code,
		    &lens[n + 1]) == -1)
			return err_set(e, EX_SOFTWARE, "bad number");
		argv[n] = "exit", lens[n++] = 4;
		argv[n++] = b->code;
	}
	if (s->signo > 0) {
		if (numarg(b->sig, sizeof(b->sig), s->signo, &lens[n + 1]) ==
		    -1)
			return err_set(e, EX_SOFTWARE, "bad number");
		argv[n] = "signal", lens[n++] = 6;
		argv[n++] = b->sig;
	}
	if (s->error != NULL) {
		argv[n] = "error", lens[n++] = 5;
		argv[n] = s->error, lens[n++] = strlen(s->error);
	}
	if (s->outputs != NULL && s->outputs_len > 0) {
		argv[n] = "outputs", lens[n++] = 7;
		argv[n] = s->outputs, lens[n++] = s->outputs_len;
	}
	if (s->stderr_tail != NULL && s->stderr_len > 0) {
		argv[n] = "stderr", lens[n++] = 6;
		argv[n] = s->stderr_tail, lens[n++] = s->stderr_len;
	}
	return n;
}

/* Reads a settle reply: 1 applied, 0 fenced off, -1 bad. */
static int
settle_reply(const redisReply *r, char *state, size_t statesz,
    struct err *e)
{
	int rc;

	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER)
		return bad_reply(e, "settle");
	rc = r->element[0]->integer == 1;
	if (state != NULL && statesz > 0) {
		state[0] = '\0';
		if (rc && r->elements > 1 &&
		    r->element[1]->type == REDIS_REPLY_STRING)
			(void)snprintf(state, statesz, "%s", r->element[1]->str);
	}
	return rc;
}

int
q_settle(struct q *q, const struct q_job *job, const struct q_settle *s,
    char *state, size_t statesz, struct err *e)
{
	struct settle_nums b;
	const char *argv[16];
	size_t lens[16];
	redisReply *r;
	int n, rc;

	argv[0] = q->consumer, lens[0] = strlen(q->consumer);
	if ((n = settle_args(q, job, s, argv + 1, lens + 1, &b, e)) == -1)
		return -1;
	if (q_eval(q, QS_SETTLE, n + 1, argv, lens, &r, 0, e) == -1)
		return -1;
	rc = settle_reply(r, state, statesz, e);
	freeReplyObject(r);
	if (rc == -1 || q_wait_replicas(q, e) == -1)
		return -1;
	return rc;
}

int
q_settle_next(struct q *q, const struct q_job *job, const struct q_settle *s,
    char *state, size_t statesz, int *settled, struct q_job *next,
    struct err *e)
{
	struct settle_nums b;
	const char *argv[17];
	size_t lens[17];
	char lease[24];
	long long next_ms;
	redisReply *r;
	int n;

	if (s->how == Q_HALT)
		return err_set(e, EX_SOFTWARE, "q_settle_next: halt");
	argv[0] = q->consumer, lens[0] = strlen(q->consumer);
	if (numarg(lease, sizeof(lease), q->lease_ms, &lens[1]) == -1)
		return err_set(e, EX_SOFTWARE, "bad lease");
	argv[1] = lease;
	if ((n = settle_args(q, job, s, argv + 2, lens + 2, &b, e)) == -1)
		return -1;
	if (q_eval(q, QS_NEXT, n + 2, argv, lens, &r, 0, e) == -1)
		return -1;
	/* Unconfirmed: the job reserved stays in this consumer's list. */
	if (q_wait_replicas(q, e) == -1) {
		freeReplyObject(r);
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    (*settled = settle_reply(r->element[0], state, statesz, e)) ==
	    -1) {
		freeReplyObject(r);
		return bad_reply(e, "settle");
	}
	n = start_reply(r, r->element[1], next, &next_ms, e);
	return n == 2 ? 0 : n;
}

int
q_consumer_stop(struct q *q, struct err *e)
{
	const char *argv[1];
	size_t lens[1];
	redisReply *r;

	if (q->consumer[0] == '\0')
		return 0;
	argv[0] = q->consumer, lens[0] = strlen(q->consumer);
	if (q_eval(q, QS_STOP, 1, argv, lens, &r, 0, e) == -1)
		return -1;
	freeReplyObject(r);
	return 0;
}

static int
int_script(struct q *q, int which, int argc, const char **argv,
    const size_t *lens, long long *out, const char *what, struct err *e)
{
	redisReply *r;

	if (q_eval(q, which, argc, argv, lens, &r, 0, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		return bad_reply(e, what);
	}
	*out = r->integer;
	freeReplyObject(r);
	return 0;
}

int
q_reap(struct q *q, int max_attempts, long long *n, struct err *e)
{
	char maxatt[24];
	const char *argv[1] = { maxatt };
	size_t lens[1];

	if (numarg(maxatt, sizeof(maxatt), max_attempts, &lens[0]) == -1)
		return err_set(e, EX_SOFTWARE, "bad number");
	return int_script(q, QS_REAP, 1, argv, lens, n, "reap", e);
}
