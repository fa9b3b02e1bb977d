/*
 * q_conn.c: the Redis connection of a queue: connect (AUTH, SELECT),
 * load the scripts, send argument vectors, and ride out a server that is
 * restarting, loading or failing over with a bounded backoff.
 */
#define _DEFAULT_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "exitcode.h"
#include "log.h"
#include "q_conf.h"
#include "q_int.h"
#include "sys.h"

int
q_reply_error(const redisReply *r, struct err *e)
{
	char esc[200];
	static const char *const transient[] = {
		"LOADING", "READONLY", "MASTERDOWN", "TRYAGAIN", "BUSY ",
		"CLUSTERDOWN", "NOREPLICAS", "UNBLOCKED", NULL
	};
	const char *const *t;

	log_escape(r->str, r->len, esc, sizeof(esc));
	for (t = transient; *t != NULL; t++)
		if (strncmp(r->str, *t, strlen(*t)) == 0) {
			err_set(e, EX_TEMPFAIL, "Redis: %s", esc);
			return 1;
		}
	if (strncmp(r->str, "NOAUTH", 6) == 0 ||
	    strncmp(r->str, "WRONGPASS", 9) == 0 ||
	    strncmp(r->str, "NOPERM", 6) == 0 ||
	    strncmp(r->str, "ERR invalid password", 20) == 0 ||
	    strncmp(r->str, "ERR AUTH", 8) == 0 ||
	    strncmp(r->str, "ERR Client sent AUTH", 20) == 0)
		err_set(e, EX_NOPERM, "Redis refused the credentials: %s", esc);
	else if (strncmp(r->str, "OOM", 3) == 0)
		err_set(e, EX_TEMPFAIL, "Redis is out of memory: %s", esc);
	else
		err_set(e, EX_SOFTWARE, "Redis: %s", esc);
	return 0;
}

int
q_cmd(struct q_conn *c, int argc, const char **argv, const size_t *lens,
    const char *what, redisReply **out, struct err *e)
{
	redisReply *r;

	r = q_conn_command(c, argc, argv, lens);
	if (r == NULL)
		return err_set(e, q_conn_code(c), "%s: %s", what,
		    q_conn_errstr(c));
	if (r->type == REDIS_REPLY_ERROR) {
		q_reply_error(r, e);
		freeReplyObject(r);
		return err_prefix(e, "%s", what);
	}
	if (out != NULL)
		*out = r;
	else
		freeReplyObject(r);
	return 0;
}

static int
load_scripts(struct q *q, struct err *e)
{
	const char *argv[3] = { "SCRIPT", "LOAD", NULL };
	size_t lens[3] = { 6, 4, 0 };
	redisReply *r;
	int i;

	for (i = 0; i < Q_NSCRIPTS; i++) {
		const char *const *part;
		char *text;
		size_t len = 0;
		int rc;

		for (part = q_scripts[i]; *part != NULL; part++)
			len += strlen(*part);
		if ((text = malloc(len + 1)) == NULL)
			return err_set(e, EX_OSERR, "out of memory");
		len = 0;
		for (part = q_scripts[i]; *part != NULL; part++) {
			memcpy(text + len, *part, strlen(*part));
			len += strlen(*part);
		}
		argv[2] = text;
		lens[2] = len;
		rc = q_cmd(q->c, 3, argv, lens, "SCRIPT LOAD", &r, e);
		free(text);
		if (rc == -1)
			return -1;
		if (r->type != REDIS_REPLY_STRING || r->len != 40) {
			freeReplyObject(r);
			return err_set(e, EX_PROTOCOL,
			    "SCRIPT LOAD: unexpected reply");
		}
		memcpy(q->sha[i], r->str, 40);
		q->sha[i][40] = '\0';
		freeReplyObject(r);
	}
	return 0;
}

static int
reconnect(struct q *q, struct err *e)
{
	if (q->c != NULL) {
		q_conn_free(q->c);
		q->c = NULL;
	}
	if ((q->c = q_redis_connect(&q->link, e)) == NULL)
		return -1;
	if (load_scripts(q, e) == -1) {
		q_conn_free(q->c);
		q->c = NULL;
		return -1;
	}
	return 0;
}

void
q_backoff_sleep(int n, volatile sig_atomic_t *stop)
{
	long long ms = 50;
	unsigned char r[2] = { 0, 0 };
	struct timespec ts;

	while (n-- > 0 && ms < 2000)
		ms *= 2;
	if (ms > 2000)
		ms = 2000;
	(void)sys_random(r, sizeof(r), NULL);
	/* Equal jitter: half fixed, half random. */
	ms = ms / 2 + (ms / 2) * (r[0] << 8 | r[1]) / 65536;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		if (stop != NULL && *stop)
			break;
}

void
q_set_stop(struct q *q, volatile sig_atomic_t *stop)
{
	q->stop = stop;
}

/*
 * Runs one attempt of fn-like sending; the loop: a connection error or a
 * transient reply is retried after a backoff until the bound has passed.
 */
int
q_call(struct q *q, int argc, const char **argv, const size_t *lens,
    redisReply **out, int flags, struct err *e)
{
	uint64_t start = sys_now_ms();
	redisReply *r;
	int n = 0;

	for (;; n++) {
		if (n > 0) {
			if ((flags & QC_ONCE) || e->code != EX_TEMPFAIL ||
			    (long long)(sys_now_ms() - start) >= q->retry_ms ||
			    (q->stop != NULL && *q->stop))
				return -1;
			if (n == 1 || n % 10 == 0)
				log_debug("redis: %s; retrying", e->msg);
			q_backoff_sleep(n - 1, q->stop);
			if (q->stop != NULL && *q->stop)
				return -1;
		}
		if (q->c == NULL && reconnect(q, e) == -1)
			continue;
		r = q_conn_command(q->c, argc, argv, lens);
		if (r == NULL) {
			err_set(e, q_conn_code(q->c), "lost the connection to "
			    "%s: %s", q->link.where, q_conn_errstr(q->c));
			q_conn_free(q->c);
			q->c = NULL;
			continue;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			int again = q_reply_error(r, e);

			if (strncmp(r->str, "NOSCRIPT", 8) == 0 ||
			    strncmp(r->str, "READONLY", 8) == 0 ||
			    strncmp(r->str, "MASTERDOWN", 10) == 0 ||
			    strncmp(r->str, "UNBLOCKED", 9) == 0) {
				/* Reconnect (and reload the scripts). */
				q_conn_free(q->c);
				q->c = NULL;
				again = 1;
				e->code = EX_TEMPFAIL;
			}
			freeReplyObject(r);
			if (again)
				continue;
			return -1;
		}
		*out = r;
		return 0;
	}
}

int
q_eval(struct q *q, int which, int argc, const char **argv,
    const size_t *lens, redisReply **out, int flags, struct err *e)
{
	const char *av[64];
	size_t al[64];
	const char **avp = av;
	size_t *alp = al;
	int i, rc;

	if (argc + 5 > 64) {
		avp = calloc((size_t)argc + 5, sizeof(*avp));
		alp = calloc((size_t)argc + 5, sizeof(*alp));
		if (avp == NULL || alp == NULL) {
			free(avp);
			free(alp);
			return err_set(e, EX_OSERR, "out of memory");
		}
	}
	avp[0] = "EVALSHA", alp[0] = 7;
	/* The sha is filled at (re)connect; q_call reconnects first. */
	avp[1] = q->sha[which], alp[1] = 40;
	avp[2] = "1", alp[2] = 1;
	avp[3] = q->queue_key, alp[3] = strlen(q->queue_key);
	avp[4] = q->prefix, alp[4] = strlen(q->prefix);
	for (i = 0; i < argc; i++) {
		avp[5 + i] = argv[i];
		alp[5 + i] = lens[i];
	}
	rc = q_call(q, argc + 5, avp, alp, out, flags, e);
	if (avp != av) {
		free(avp);
		free(alp);
	}
	return rc;
}

/* ----- the queue object ----- */

struct q *
q_open(const char *url, const char *queue, struct err *e)
{
	return q_open_retry(url, queue, Q_RETRY_DEFAULT_MS, e);
}

struct q *
q_open_retry(const char *url, const char *queue, long long retry_ms,
    struct err *e)
{
	return q_open_opts(url, queue, retry_ms, NULL, e);
}

struct q *
q_open_opts(const char *url, const char *queue, long long retry_ms,
    const struct q_opts *o, struct err *e)
{
	uint64_t start = sys_now_ms();
	struct q *q;
	int n;

	if (queue == NULL)
		queue = Q_DEFAULT_QUEUE;
	if (!q_queue_valid(queue)) {
		err_set(e, EX_CONFIG, "bad queue name (want 1 to %d of "
		    "[A-Za-z0-9_.-])", Q_QUEUE_MAX);
		return NULL;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	if (q_link_init(&q->link, url, o, e) == -1)
		goto fail;
	(void)snprintf(q->name, sizeof(q->name), "%s", queue);
	if (q_key(q->prefix, sizeof(q->prefix), queue, QK_TAG, NULL) == -1 ||
	    q_key(q->queue_key, sizeof(q->queue_key), queue, QK_QUEUE,
	    NULL) == -1 ||
	    q_key(q->chan, sizeof(q->chan), queue, QK_EVENTS, NULL) == -1)
		goto toolong;
	q->retry_ms = retry_ms;
	q->retention_ms = Q_RETENTION_DEFAULT_MS;
	q->lease_ms = Q_LEASE_DEFAULT_MS;
	q->max_attempts = Q_ATTEMPTS_DEFAULT;
	/* A server that is down or loading now gets the same bound. */
	for (n = 0;; n++) {
		if (reconnect(q, e) == 0)
			break;
		if (e->code != EX_TEMPFAIL ||
		    (long long)(sys_now_ms() - start) >= q->retry_ms)
			goto fail;
		q_backoff_sleep(n, NULL);
	}
	return q;
toolong:
	err_set(e, EX_CONFIG, "queue name too long");
fail:
	q_close(q);
	return NULL;
}

void
q_close(struct q *q)
{
	if (q == NULL)
		return;
	if (q->c != NULL)
		q_conn_free(q->c);
	q_link_clear(&q->link);
	free(q);
}

void
q_set_retry(struct q *q, long long ms)
{
	q->retry_ms = ms;
}

void
q_set_retention(struct q *q, long long ms)
{
	q->retention_ms = ms;
}

void
q_set_wait(struct q *q, int n, long long ms)
{
	q->wait_replicas = n;
	q->wait_ms = ms;
}

int
q_wait_replicas(struct q *q, struct err *e)
{
	char n[16], ms[24];
	const char *argv[3] = { "WAIT", n, ms };
	size_t lens[3] = { 4, 0, 0 };
	redisReply *r;
	int rc = 0;

	if (q->wait_replicas == 0)
		return 0;
	if (q->c == NULL)
		return err_set(e, EX_TEMPFAIL, "WAIT: the connection that "
		    "wrote is lost");
	lens[1] = (size_t)snprintf(n, sizeof(n), "%d", q->wait_replicas);
	lens[2] = (size_t)snprintf(ms, sizeof(ms), "%lld", q->wait_ms);
	if (q_call(q, 3, argv, lens, &r, QC_ONCE, e) == -1)
		return err_prefix(e, "WAIT");
	if (r->type != REDIS_REPLY_INTEGER)
		rc = err_set(e, EX_PROTOCOL, "WAIT: unexpected reply");
	else if (r->integer < q->wait_replicas)
		rc = err_set(e, EX_TEMPFAIL, "WAIT: %lld of %d replicas "
		    "confirmed the write in %lld ms", r->integer,
		    q->wait_replicas, q->wait_ms);
	freeReplyObject(r);
	return rc;
}

const char *
q_name(const struct q *q)
{
	return q->name;
}

const char *
q_channel(const struct q *q)
{
	return q->chan;
}

int
q_ping(struct q *q, struct err *e)
{
	const char *argv[1] = { "PING" };
	size_t lens[1] = { 4 };
	redisReply *r;

	if (q_call(q, 1, argv, lens, &r, 0, e) == -1)
		return -1;
	freeReplyObject(r);
	return 0;
}
