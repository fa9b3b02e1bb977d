/*
 * settle.c: what becomes of a job after its command ran, and recording
 * it.  The decision follows the classes of the exit table of imgq(7):
 * success is done, retry is retried with backoff (a signal counts as
 * retry, and so does the time limit), halt leaves the job queued and
 * stops this consumer, the rest (reject, and the "no" of exit 1) is dead.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"
#include "pop.h"
#include "sys.h"

static void
verdict_of(const struct pop_run *r, struct pop_verdict *v)
{
	enum ex_class cls = ex_class_of_status(r->status);

	v->exit_with = 0;
	if (r->exec_errno != 0) {
		v->how = Q_HALT;
		v->exit_with = r->exec_errno == ENOENT ||
		    r->exec_errno == EACCES ? EX_CONFIG : EX_OSERR;
	} else if (r->handed_back)
		v->how = Q_HALT;
	else if (r->timed_out || cls == EXC_RETRY)
		v->how = Q_RETRY;
	else if (cls == EXC_SUCCESS)
		v->how = Q_DONE;
	else if (cls == EXC_HALT) {
		v->how = Q_HALT;
		v->exit_with = v->exit_code;
	} else
		v->how = Q_DEAD;
}

void
pop_keep_errline(struct pop_run *r, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n && r->errlinestate < 2; i++) {
		if (buf[i] == '\n' || buf[i] == '\r') {
			if (r->errlinestate == 1)
				r->errlinestate = 2;
			continue;
		}
		r->errlinestate = 1;
		if (r->errlinelen < sizeof(r->errline))
			r->errline[r->errlinelen++] = buf[i];
	}
}

/*
 * Appends ": " and the first stderr line to why: a reason is one line of
 * a dead-letter listing (imgq-stat dead is tab-separated), so control
 * characters become '?'; a line too long is cut before a UTF-8
 * continuation byte, so that the record stays valid text.
 */
static void
add_errline(const struct pop_run *r, char *why, size_t size)
{
	size_t len = strlen(why), n = r->errlinelen, i;
	int cut = n > ERRLINE_MAX;
	unsigned char ch;

	if (n == 0 || len + 2 + ERRLINE_MAX + 3 >= size)
		return;
	if (cut) {
		n = ERRLINE_MAX;
		while (n > 0 && ((unsigned char)r->errline[n] & 0xc0) == 0x80)
			n--;
	}
	why[len++] = ':';
	why[len++] = ' ';
	for (i = 0; i < n; i++) {
		ch = (unsigned char)r->errline[i];
		why[len++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (cut) {
		memcpy(why + len, "...", 3);
		len += 3;
	}
	why[len] = '\0';
}

void
pop_decide(const struct pop_run *r, uint64_t time_limit_ms,
    struct pop_verdict *v)
{
	const char *name;

	(void)ex_describe_status(r->status, v->desc, sizeof(v->desc));
	v->exit_code = WIFEXITED(r->status) ? WEXITSTATUS(r->status) : -1;
	v->signo = WIFSIGNALED(r->status) ? WTERMSIG(r->status) : 0;
	verdict_of(r, v);
	name = v->exit_code >= 0 ? ex_code_name(v->exit_code) : NULL;
	if (r->timed_out)
		(void)snprintf(v->why, sizeof(v->why), "time limit of %llu ms "
		    "exceeded (%s)", (unsigned long long)time_limit_ms, v->desc);
	else if (name != NULL)
		(void)snprintf(v->why, sizeof(v->why), "%s (%s)", v->desc,
		    name);
	else
		(void)snprintf(v->why, sizeof(v->why), "%s", v->desc);
	add_errline(r, v->why, sizeof(v->why));
}

long long
pop_backoff(uint64_t base, uint64_t max, long long attempt, uint32_t rnd)
{
	unsigned long long d = base, half;

	while (--attempt > 0 && d < max)
		d *= 2;
	if (d > max)
		d = max;
	/* Equal jitter: at least half the step, up to all of it. */
	half = d / 2;
	return (long long)(d - half + (half * rnd) / 4294967296ULL);
}

size_t
pop_stderr_lines(const struct pop_run *r, char buf[STDERR_KEEP])
{
	size_t n = 0, i, start, lines = 0;

	if (r->errwrapped) {
		memcpy(buf, r->errtail + r->errpos, STDERR_KEEP - r->errpos);
		memcpy(buf + STDERR_KEEP - r->errpos, r->errtail, r->errpos);
		n = STDERR_KEEP;
	} else {
		memcpy(buf, r->errtail, r->errpos);
		n = r->errpos;
	}
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	start = 0;
	for (i = n; i > 0; i--)
		if (buf[i - 1] == '\n' && ++lines == STDERR_LINES) {
			start = i;
			break;
		}
	memmove(buf, buf + start, n - start);
	return n - start;
}

/* Drops a trailing partial line; outputs are whole lines. */
static size_t
whole_lines(const char *s, size_t n)
{
	while (n > 0 && s[n - 1] != '\n')
		n--;
	return n;
}

static uint32_t
random32(void)
{
	unsigned char b[4] = { 0, 0, 0, 0 };

	(void)sys_random(b, sizeof(b), NULL);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

/* The record of the verdict, pointing into v, r and tail. */
static void
fill(const struct pop_conf *c, const struct q_job *job,
    const struct pop_verdict *v, struct pop_run *r, char *tail,
    struct q_settle *s)
{
	memset(s, 0, sizeof(*s));
	s->how = v->how;
	s->exit_code = v->exit_code;
	s->signo = v->signo;
	if (v->how != Q_DONE)
		s->error = v->why;
	if (v->how == Q_RETRY)
		s->delay_ms = pop_backoff(c->backoff_ms, c->backoff_max_ms,
		    job->attempt, random32());
	if (v->how == Q_DONE) {
		s->outputs = r->out;
		s->outputs_len = whole_lines(r->out, r->outlen);
		if (r->out_truncated)
			log_warn("job %s: outputs truncated to %d bytes",
			    job->id, OUTPUTS_MAX);
	}
	s->stderr_len = pop_stderr_lines(r, tail);
	s->stderr_tail = tail;
}

int
pop_settle(const struct pop_conf *c, struct q *q, const struct q_job *job,
    struct pop_run *r, struct q_job *next, int *got_next)
{
	struct pop_verdict v;
	struct q_settle s;
	struct err e;
	char state[16], tail[STDERR_KEEP];
	int rc, got;

	err_clear(&e);
	pop_decide(r, c->time_limit_ms, &v);
	if (r->exec_errno != 0)
		log_fatal("cannot run %s: %s; job %s is back in the queue",
		    c->cmd[0], strerror(r->exec_errno), job->id);
	fill(c, job, &v, r, tail, &s);
	if (got_next != NULL)
		*got_next = 0;
	if (next != NULL && s.how != Q_HALT) {
		got = q_settle_next(q, job, &s, state, sizeof(state), &rc,
		    next, &e);
		if (got == -1)
			rc = -1;
		else
			*got_next = got;
	} else
		rc = q_settle(q, job, &s, state, sizeof(state), &e);
	if (rc == -1) {
		log_error("job %s: cannot settle: %s", job->id, e.msg);
		return e.code;
	}
	if (rc == 0)
		log_warn("job %s: lease lost: the job was handed to another "
		    "consumer; this run's result (%s) is discarded", job->id,
		    v.desc);
	else if (job_state_of(state, strlen(state)) == JOB_DONE)
		log_info("job %s: done", job->id);
	else
		log_info("job %s: %s: %s", job->id, state, v.why);
	if (v.exit_with != 0 && r->exec_errno == 0)
		log_fatal("command %s: halting; job %s is back in the queue",
		    v.why, job->id);
	return v.exit_with;
}
