/*
 * q_conf.c: the queue's settings from the environment and flags (one of
 * the few library files that read the environment, like env.c and
 * s3_conf.c).
 */
#include <stdint.h>
#include <string.h>

#include "env.h"
#include "exitcode.h"
#include "q_conf.h"

void
q_conf_defaults(struct q_conf *c)
{
	c->url = NULL;
	c->queue = Q_DEFAULT_QUEUE;
	c->retry_ms = Q_RETRY_DEFAULT_MS;
	c->retention_ms = Q_RETENTION_DEFAULT_MS;
	c->attempts = Q_ATTEMPTS_DEFAULT;
	c->wait_replicas = 0;
	c->wait_ms = Q_WAIT_DEFAULT_MS;
	memset(&c->opts, 0, sizeof(c->opts));
}

static int
bad_queue(struct err *e, int code, const char *what)
{
	return err_set(e, code, "%s: bad queue name (want 1 to %d of "
	    "[A-Za-z0-9_.-])", what, Q_QUEUE_MAX);
}

static int
tls_from_env(struct q_tls *t, struct err *e)
{
	t->ca_file = env_str("IMGQ_REDIS_TLS_CA_FILE");
	t->server_name = env_str("IMGQ_REDIS_TLS_SERVER_NAME");
	t->cert_file = env_str("IMGQ_REDIS_TLS_CERT_FILE");
	t->key_file = env_str("IMGQ_REDIS_TLS_KEY_FILE");
	if (t->key_file != NULL && t->cert_file == NULL)
		return err_set(e, EX_CONFIG, "IMGQ_REDIS_TLS_KEY_FILE is set "
		    "without IMGQ_REDIS_TLS_CERT_FILE");
	t->insecure = 0;
	if (env_str("IMGQ_REDIS_TLS_INSECURE") != NULL &&
	    env_bool("IMGQ_REDIS_TLS_INSECURE", &t->insecure, e) == -1)
		return -1;
	return 0;
}

int
q_conf_from_env(struct q_conf *c, struct err *e)
{
	uint64_t retry, ret, wait;

	q_conf_defaults(c);
	c->url = env_str("REDIS_URL");
	if (env_str("IMGQ_QUEUE") != NULL) {
		c->queue = env_str("IMGQ_QUEUE");
		if (!q_queue_valid(c->queue))
			return bad_queue(e, EX_CONFIG, "IMGQ_QUEUE");
	}
	retry = (uint64_t)c->retry_ms;
	ret = (uint64_t)c->retention_ms;
	wait = (uint64_t)c->wait_ms;
	if (env_duration_ms("IMGQ_REDIS_RETRY", 0, Q_RETRY_MAX_MS, &retry,
	    e) == -1 ||
	    env_duration_ms("IMGQ_RETENTION", Q_RETENTION_MIN_MS,
	    Q_RETENTION_MAX_MS, &ret, e) == -1 ||
	    env_long("IMGQ_ATTEMPTS", 1, Q_ATTEMPTS_MAX, &c->attempts, e) == -1 ||
	    env_long("IMGQ_REDIS_WAIT", 0, Q_WAIT_MAX, &c->wait_replicas,
	    e) == -1 ||
	    env_duration_ms("IMGQ_REDIS_WAIT_TIMEOUT", 1, Q_WAIT_MAX_MS, &wait,
	    e) == -1)
		return -1;
	c->wait_ms = (long long)wait;
	c->retry_ms = (long long)retry;
	c->retention_ms = (long long)ret;
	c->opts.sentinel_user = env_str("IMGQ_REDIS_SENTINEL_USER");
	c->opts.sentinel_pass = env_str("IMGQ_REDIS_SENTINEL_PASSWORD");
	return tls_from_env(&c->opts.tls, e);
}

int
q_conf_queue(struct q_conf *c, const char *s, struct err *e)
{
	if (!q_queue_valid(s))
		return bad_queue(e, EX_USAGE, "-q");
	c->queue = s;
	return 0;
}

int
q_conf_retention(struct q_conf *c, const char *s, struct err *e)
{
	uint64_t ms;

	if (parse_duration_ms(s, Q_RETENTION_MIN_MS, Q_RETENTION_MAX_MS, &ms,
	    e) == -1)
		return -1;
	c->retention_ms = (long long)ms;
	return 0;
}

int
q_conf_attempts(struct q_conf *c, const char *s, struct err *e)
{
	return parse_long(s, 1, Q_ATTEMPTS_MAX, &c->attempts, e);
}

int
q_conf_check(const struct q_conf *c, struct err *e)
{
	if (c->url == NULL)
		return err_set(e, EX_CONFIG, "REDIS_URL is not set");
	return 0;
}

struct q *
q_conf_open(const struct q_conf *c, struct err *e)
{
	struct q *q;

	if (q_conf_check(c, e) == -1)
		return NULL;
	if ((q = q_open_opts(c->url, c->queue, c->retry_ms, &c->opts, e)) == NULL)
		return NULL;
	q_set_retention(q, c->retention_ms);
	q_set_wait(q, (int)c->wait_replicas, c->wait_ms);
	return q;
}

struct q_sub *
q_conf_sub(const struct q_conf *c, struct err *e)
{
	if (q_conf_check(c, e) == -1)
		return NULL;
	return q_sub_open_opts(c->url, c->queue, &c->opts, e);
}
