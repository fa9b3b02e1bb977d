/*
 * q_idem.c: idempotent requests (see q.h): a reservation of the key while
 * the first request works, then the answer it gave, kept for the
 * retention time.
 *
 * {Q}:idemreq:<key> is a HASH: token (while reserved, with a short
 * expiry), or answer and job (once done, expiring with the retention
 * time).  Each is changed by one script, so two requests racing on one key
 * see either the reservation or the answer, never neither.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "q_int.h"

/* KEYS[1] the hash; ARGV: prefix, token, ttl ms. */
static const char begin_lua[] =
"local st = redis.call('HMGET', KEYS[1], 'token', 'answer', 'job')\n"
"if st[2] then\n"
"  if not st[3] or st[3] == '' or\n"
"      redis.call('EXISTS', ARGV[1] .. '" QK_S_JOB "' .. st[3]) == 1 then\n"
"    return {2, st[2]}\n"
"  end\n"
"  redis.call('DEL', KEYS[1])\n"
"elseif st[1] and st[1] ~= ARGV[2] then\n"
"  return {3, redis.call('PTTL', KEYS[1])}\n"
"end\n"
"redis.call('HSET', KEYS[1], 'token', ARGV[2])\n"
"redis.call('PEXPIRE', KEYS[1], ARGV[3])\n"
"return {1}\n";

/* KEYS[1]; ARGV: token, ttl ms. */
static const char renew_lua[] =
"if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end\n"
"redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
"return 1\n";

/* KEYS[1]; ARGV: token, '1' to keep an answer, answer, job, ttl ms. */
static const char end_lua[] =
"if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end\n"
"redis.call('DEL', KEYS[1])\n"
"if ARGV[2] == '1' then\n"
"  redis.call('HSET', KEYS[1], 'answer', ARGV[3], 'job', ARGV[4])\n"
"  redis.call('PEXPIRE', KEYS[1], ARGV[5])\n"
"end\n"
"return 1\n";

#define IDEM_ARGS	10

/* EVAL of script on the key's hash with argv; the reply in *out. */
static int
idem_eval(struct q *q, const char *script, const char *key, int argc,
    const char **argv, const size_t *lens, redisReply **out, struct err *e)
{
	const char *av[IDEM_ARGS];
	size_t al[IDEM_ARGS];
	char k[Q_QUEUE_MAX + Q_IDEM_MAX + 16];
	int i, n;

	if (key == NULL || *key == '\0' || strlen(key) > Q_IDEM_MAX)
		return err_set(e, EX_DATAERR, "idempotency key empty or "
		    "longer than %d bytes", Q_IDEM_MAX);
	n = q_key(k, sizeof(k), q->name, QK_IDEMREQ, key);
	if (n == -1 || argc + 4 > IDEM_ARGS)
		return err_set(e, EX_SOFTWARE, "idempotency key too long");
	av[0] = "EVAL", al[0] = 4;
	av[1] = script, al[1] = strlen(script);
	av[2] = "1", al[2] = 1;
	av[3] = k, al[3] = (size_t)n;
	for (i = 0; i < argc; i++) {
		av[4 + i] = argv[i];
		al[4 + i] = lens[i];
	}
	return q_call(q, argc + 4, av, al, out, 0, e);
}

static int
bad(redisReply *r, const char *what, struct err *e)
{
	freeReplyObject(r);
	return err_set(e, EX_PROTOCOL, "redis: unexpected reply to %s", what);
}

int
q_idem_begin(struct q *q, const char *key, const char *token,
    long long ttl_ms, char **answer, size_t *len, long long *left_ms,
    struct err *e)
{
	const char *argv[3];
	size_t lens[3];
	char ttl[24];
	redisReply *r;
	long long how;
	int n;

	*answer = NULL;
	*len = 0;
	*left_ms = 0;
	n = snprintf(ttl, sizeof(ttl), "%lld", ttl_ms);
	if (ttl_ms <= 0 || n < 0 || (size_t)n >= sizeof(ttl))
		return err_set(e, EX_SOFTWARE, "bad reservation time");
	argv[0] = q->prefix, lens[0] = strlen(q->prefix);
	argv[1] = token, lens[1] = strlen(token);
	argv[2] = ttl, lens[2] = (size_t)n;
	if (idem_eval(q, begin_lua, key, 3, argv, lens, &r, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
	    r->element[0]->type != REDIS_REPLY_INTEGER)
		return bad(r, "the idempotency look-up", e);
	how = r->element[0]->integer;
	if (how == 2) {
		if (r->elements != 2 ||
		    r->element[1]->type != REDIS_REPLY_STRING)
			return bad(r, "the idempotency look-up", e);
		if ((*answer = malloc(r->element[1]->len + 1)) == NULL) {
			freeReplyObject(r);
			return err_set(e, EX_OSERR, "out of memory");
		}
		memcpy(*answer, r->element[1]->str, r->element[1]->len);
		(*answer)[r->element[1]->len] = '\0';
		*len = r->element[1]->len;
		freeReplyObject(r);
		return Q_IDEM_DONE;
	}
	if (how == 3) {
		if (r->elements != 2 ||
		    r->element[1]->type != REDIS_REPLY_INTEGER)
			return bad(r, "the idempotency look-up", e);
		*left_ms = r->element[1]->integer;
		freeReplyObject(r);
		return Q_IDEM_BUSY;
	}
	freeReplyObject(r);
	if (how != 1)
		return err_set(e, EX_PROTOCOL, "redis: unexpected reply to "
		    "the idempotency look-up");
	return Q_IDEM_NEW;
}

int
q_idem_renew(struct q *q, const char *key, const char *token,
    long long ttl_ms, struct err *e)
{
	const char *argv[2];
	size_t lens[2];
	char ttl[24];
	redisReply *r;
	int n, held;

	n = snprintf(ttl, sizeof(ttl), "%lld", ttl_ms);
	if (ttl_ms <= 0 || n < 0 || (size_t)n >= sizeof(ttl))
		return err_set(e, EX_SOFTWARE, "bad reservation time");
	argv[0] = token, lens[0] = strlen(token);
	argv[1] = ttl, lens[1] = (size_t)n;
	if (idem_eval(q, renew_lua, key, 2, argv, lens, &r, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_INTEGER)
		return bad(r, "the reservation renewal", e);
	held = r->integer == 1;
	freeReplyObject(r);
	return held;
}

int
q_idem_end(struct q *q, const char *key, const char *token,
    const void *answer, size_t len, const char *job, struct err *e)
{
	const char *argv[5];
	size_t lens[5];
	char ttl[24];
	redisReply *r;
	int n, held;

	n = snprintf(ttl, sizeof(ttl), "%lld", q->retention_ms);
	if (n < 0 || (size_t)n >= sizeof(ttl))
		return err_set(e, EX_SOFTWARE, "retention out of range");
	argv[0] = token, lens[0] = strlen(token);
	argv[1] = answer != NULL ? "1" : "0", lens[1] = 1;
	argv[2] = answer != NULL ? answer : "", lens[2] = answer ? len : 0;
	argv[3] = job != NULL ? job : "", lens[3] = strlen(argv[3]);
	argv[4] = ttl, lens[4] = (size_t)n;
	if (idem_eval(q, end_lua, key, 5, argv, lens, &r, e) == -1)
		return -1;
	if (r->type != REDIS_REPLY_INTEGER)
		return bad(r, "the end of a reservation", e);
	held = r->integer == 1;
	freeReplyObject(r);
	return held;
}
