/*
 * q_admin.c: looking at a queue and tending it (stats, records, dead
 * letters, requeue, purge, server settings).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "q_int.h"

static int
bad_reply(struct err *e, const char *what)
{
	return err_set(e, EX_PROTOCOL, "%s: unexpected reply from Redis",
	    what);
}

static int
ints(redisReply *r, size_t n)
{
	size_t i;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != n)
		return 0;
	for (i = 0; i < n; i++)
		if (r->element[i]->type != REDIS_REPLY_INTEGER)
			return 0;
	return 1;
}

int
q_stats(struct q *q, struct q_stats *s, struct err *e)
{
	char ret[24];
	const char *argv[1] = { ret };
	size_t lens[1];
	redisReply *r;
	int n;

	n = snprintf(ret, sizeof(ret), "%lld", q->retention_ms);
	if (n < 0 || (size_t)n >= sizeof(ret))
		return err_set(e, EX_SOFTWARE, "bad retention");
	lens[0] = (size_t)n;
	if (q_eval(q, QS_STATS, 1, argv, lens, &r, 0, e) == -1)
		return -1;
	if (!ints(r, 8)) {
		freeReplyObject(r);
		return bad_reply(e, "stats");
	}
	s->queued = r->element[0]->integer;
	s->delayed = r->element[1]->integer;
	s->dead = r->element[2]->integer;
	s->done = r->element[3]->integer;
	s->consumers = r->element[4]->integer;
	s->active = r->element[5]->integer;
	s->done_last_minute = r->element[6]->integer;
	s->now_ms = r->element[7]->integer;
	freeReplyObject(r);
	return 0;
}

int
q_depth(struct q *q, long long *n, struct err *e)
{
	const char *argv[2] = { "LLEN", q->queue_key };
	size_t lens[2] = { 4, strlen(q->queue_key) };
	redisReply *r;

	if (q_call(q, 2, argv, lens, &r, 0, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		return bad_reply(e, "LLEN");
	}
	*n = r->integer;
	freeReplyObject(r);
	return 0;
}

int
q_consumers(struct q *q, struct q_cinfo **out, size_t *nout, struct err *e)
{
	struct q_cinfo *v;
	redisReply *r, *x;
	long long now;
	size_t i, n;

	if (q_eval(q, QS_CONSUMERS, 0, NULL, NULL, &r, 0, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 4 != 1)
		goto bad;
	n = r->elements / 4;
	if (r->element[4 * n]->type != REDIS_REPLY_INTEGER)
		goto bad;
	now = r->element[4 * n]->integer;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		freeReplyObject(r);
		return err_set(e, EX_OSERR, "out of memory");
	}
	for (i = 0; i < n; i++) {
		x = r->element[4 * i];
		if (x->type != REDIS_REPLY_STRING ||
		    r->element[4 * i + 1]->type != REDIS_REPLY_INTEGER ||
		    r->element[4 * i + 2]->type != REDIS_REPLY_INTEGER ||
		    r->element[4 * i + 3]->type != REDIS_REPLY_INTEGER) {
			free(v);
			goto bad;
		}
		(void)snprintf(v[i].name, sizeof(v[i].name), "%s", x->str);
		v[i].beat_age_ms = now - r->element[4 * i + 1]->integer;
		v[i].lease_left_ms = r->element[4 * i + 2]->integer - now;
		v[i].holding = r->element[4 * i + 3]->integer;
	}
	freeReplyObject(r);
	*out = v;
	*nout = n;
	return 0;
bad:
	freeReplyObject(r);
	return bad_reply(e, "consumers");
}

static int
job_key(struct q *q, const char *id, char *buf, size_t sz, struct err *e)
{
	if (!job_id_valid(id))
		return err_set(e, EX_DATAERR, "not a job id: '%.40s'", id);
	if (q_key(buf, sz, q->name, QK_JOB, id) == -1)
		return err_set(e, EX_SOFTWARE, "key too long");
	return 0;
}

int
q_job_get(struct q *q, const char *id, struct q_field **out, size_t *nout,
    struct err *e)
{
	char key[Q_QUEUE_MAX + JOB_ID_LEN + 16];
	const char *argv[2] = { "HGETALL", key };
	size_t lens[2] = { 7, 0 };
	struct q_field *f;
	redisReply *r;
	size_t i, n;

	if (job_key(q, id, key, sizeof(key), e) == -1)
		return -1;
	lens[1] = strlen(key);
	if (q_call(q, 2, argv, lens, &r, 0, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
		freeReplyObject(r);
		return bad_reply(e, "HGETALL");
	}
	if (r->elements == 0) {
		freeReplyObject(r);
		return err_set(e, EX_NOINPUT, "no such job: %s", id);
	}
	n = r->elements / 2;
	if ((f = calloc(n, sizeof(*f))) == NULL) {
		freeReplyObject(r);
		return err_set(e, EX_OSERR, "out of memory");
	}
	for (i = 0; i < n; i++) {
		redisReply *k = r->element[2 * i], *v = r->element[2 * i + 1];
		char *kc, *vc;

		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING) {
			q_fields_free(f, i);
			freeReplyObject(r);
			return bad_reply(e, "HGETALL");
		}
		kc = malloc(k->len + 1);
		vc = malloc(v->len + 1);
		if (kc == NULL || vc == NULL) {
			free(kc);
			free(vc);
			q_fields_free(f, i);
			freeReplyObject(r);
			return err_set(e, EX_OSERR, "out of memory");
		}
		memcpy(kc, k->str, k->len + 1);
		memcpy(vc, v->str, v->len + 1);
		f[i].name = kc;
		f[i].val = vc;
		f[i].len = v->len;
	}
	freeReplyObject(r);
	*out = f;
	*nout = n;
	return 0;
}

const struct q_field *
q_fields_find(const struct q_field *f, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return &f[i];
	return NULL;
}

void
q_fields_free(struct q_field *f, size_t n)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < n; i++) {
		free((void *)(uintptr_t)f[i].name);
		free((void *)(uintptr_t)f[i].val);
	}
	free(f);
}

/*
 * What anyone holding the id may see of a job; the rest (the worker's
 * host and pid in consumer and error, a dead job's stderr, the storage
 * key and bucket) is the operator's.
 */
static const char *const public_fields[] = {
	"state", "name", "type", "size", "created", "queued", "started",
	"finished", "attempts", "due", "outputs", "exit", "signal", NULL
};

static int
is_public(const char *name)
{
	const char *const *p;

	for (p = public_fields; *p != NULL; p++)
		if (strcmp(*p, name) == 0)
			return 1;
	return 0;
}

char *
q_fields_json(const char *id, const struct q_field *f, size_t n, int public,
    struct err *e)
{
	const char **names, **vals;
	size_t *nl, *vl, i, k = 0;
	char *json = NULL;

	names = calloc(n + 1, sizeof(*names));
	vals = calloc(n + 1, sizeof(*vals));
	nl = calloc(n + 1, sizeof(*nl));
	vl = calloc(n + 1, sizeof(*vl));
	if (names == NULL || vals == NULL || nl == NULL || vl == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (public && !is_public(f[i].name))
			continue;
		names[k] = f[i].name, nl[k] = strlen(f[i].name);
		vals[k] = f[i].val, vl[k++] = f[i].len;
	}
	json = job_json(id, names, nl, vals, vl, k, NULL, e);
out:
	free(names);
	free(vals);
	free(nl);
	free(vl);
	return json;
}

int
q_job_json(struct q *q, const char *id, char **json, struct err *e)
{
	struct q_field *f;
	size_t n;

	if (q_job_get(q, id, &f, &n, e) == -1)
		return -1;
	*json = q_fields_json(id, f, n, 0, e);
	q_fields_free(f, n);
	return *json == NULL ? -1 : 0;
}

int
q_dead_list(struct q *q, long long from, long long to, struct q_dead **out,
    size_t *nout, struct err *e)
{
	char key[Q_QUEUE_MAX + 16], a[24], b[24];
	const char *argv[5] = { "ZRANGEBYSCORE", key, a, b, "WITHSCORES" };
	size_t lens[5];
	struct q_dead *v;
	redisReply *r;
	size_t i, n;

	if (q_key(key, sizeof(key), q->name, QK_DEAD, NULL) == -1 ||
	    snprintf(a, sizeof(a), "%lld", from) >= (int)sizeof(a) ||
	    snprintf(b, sizeof(b), "%lld", to) >= (int)sizeof(b))
		return err_set(e, EX_SOFTWARE, "bad range");
	for (i = 0; i < 5; i++)
		lens[i] = strlen(argv[i]);
	if (q_call(q, 5, argv, lens, &r, 0, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) {
		freeReplyObject(r);
		return bad_reply(e, "ZRANGEBYSCORE");
	}
	n = r->elements / 2;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL) {
		freeReplyObject(r);
		return err_set(e, EX_OSERR, "out of memory");
	}
	for (i = 0; i < n; i++) {
		redisReply *id = r->element[2 * i], *sc = r->element[2 * i + 1];

		if (id->type != REDIS_REPLY_STRING || id->len != JOB_ID_LEN ||
		    sc->type != REDIS_REPLY_STRING) {
			free(v);
			freeReplyObject(r);
			return bad_reply(e, "ZRANGEBYSCORE");
		}
		memcpy(v[i].id, id->str, JOB_ID_LEN + 1);
		v[i].when_ms = strtoll(sc->str, NULL, 10);
	}
	freeReplyObject(r);
	*out = v;
	*nout = n;
	return 0;
}

int
q_requeue(struct q *q, const char *id, struct err *e)
{
	const char *argv[1] = { id };
	size_t lens[1];
	redisReply *r;
	long long v;

	if (!job_id_valid(id))
		return err_set(e, EX_DATAERR, "not a job id: '%.40s'", id);
	lens[0] = strlen(id);
	if (q_eval(q, QS_REQUEUE, 1, argv, lens, &r, 0, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_INTEGER) {
		freeReplyObject(r);
		return bad_reply(e, "requeue");
	}
	v = r->integer;
	freeReplyObject(r);
	if (v < 0)
		return err_set(e, EX_NOINPUT, "no such job: %s", id);
	return (int)v;
}

int
q_purge_dead(struct q *q, long long *n, struct err *e)
{
	redisReply *r;
	long long k;

	*n = 0;
	do {
		if (q_eval(q, QS_PURGE, 0, NULL, NULL, &r, 0, e) == -1)
			return -1;
		if (r->type != REDIS_REPLY_INTEGER) {
			freeReplyObject(r);
			return bad_reply(e, "purge");
		}
		k = r->integer;
		freeReplyObject(r);
		*n += k;
	} while (k > 0);
	return 0;
}

/* The value of "name:" in an INFO reply, into buf. */
static int
info_field(const char *info, const char *name, char *buf, size_t sz)
{
	const char *p = info;
	size_t n = strlen(name), k;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == info || p[-1] == '\n') && p[n] == ':') {
			p += n + 1;
			k = strcspn(p, "\r\n");
			if (k >= sz)
				k = sz - 1;
			memcpy(buf, p, k);
			buf[k] = '\0';
			return 0;
		}
		p += n;
	}
	return -1;
}

int
q_server_warnings(struct q *q, char *buf, size_t sz, struct err *e)
{
	const char *argv[2] = { "INFO", "all" };
	size_t lens[2] = { 4, 3 };
	char policy[64], aof[8];
	redisReply *r;
	size_t len = 0;
	int n = 0, k;

	buf[0] = '\0';
	if (q_call(q, 2, argv, lens, &r, 0, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		freeReplyObject(r);
		return bad_reply(e, "INFO");
	}
	if (info_field(r->str, "maxmemory_policy", policy,
	    sizeof(policy)) == 0 && strcmp(policy, "noeviction") != 0) {
		k = snprintf(buf + len, sz - len, "server evicts keys under "
		    "memory pressure (maxmemory-policy %s): jobs can vanish; "
		    "use noeviction\n", policy);
		if (k > 0 && (size_t)k < sz - len)
			len += (size_t)k, n++;
	}
	/* rdb_last_save_time is not a setting; "aof_enabled:0" with no
	 * snapshots since start is the risk we can see from INFO. */
	if (info_field(r->str, "aof_enabled", aof, sizeof(aof)) == 0 &&
	    strcmp(aof, "0") == 0) {
		k = snprintf(buf + len, sz - len, "server does not persist "
		    "every write (appendonly no): a crash loses the jobs "
		    "since the last snapshot; see etc/redis.conf\n");
		if (k > 0 && (size_t)k < sz - len)
			len += (size_t)k, n++;
	}
	freeReplyObject(r);
	return n;
}
