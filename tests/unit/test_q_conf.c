/* The queue's settings: defaults, ranges, and the errors of bad values. */
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "q_conf.h"
#include "tap.h"

static const char *const vars[] = {
	"REDIS_URL", "IMGQ_QUEUE", "IMGQ_REDIS_RETRY", "IMGQ_RETENTION",
	"IMGQ_ATTEMPTS", "IMGQ_REDIS_TLS_CA_FILE", "IMGQ_REDIS_TLS_SERVER_NAME",
	"IMGQ_REDIS_TLS_CERT_FILE", "IMGQ_REDIS_TLS_KEY_FILE",
	"IMGQ_REDIS_TLS_INSECURE", "IMGQ_REDIS_WAIT", "IMGQ_REDIS_WAIT_TIMEOUT",
	NULL
};

static void
clear_env(void)
{
	const char *const *v;

	for (v = vars; *v != NULL; v++)
		unsetenv(*v);
}

static void
defaults(void)
{
	struct q_conf c;
	struct err e;

	clear_env();
	err_clear(&e);
	is_int(q_conf_from_env(&c, &e), 0, "nothing set: fine");
	ok(c.url == NULL, "no REDIS_URL: NULL");
	is_str(c.queue, "imgq", "queue imgq");
	is_int(c.retry_ms, 30000, "Redis retried for 30 s");
	is_int(c.retention_ms, 7LL * 86400000, "retention 7 days");
	is_int(c.attempts, 5, "5 attempts");
	setenv("IMGQ_QUEUE", "", 1);
	setenv("IMGQ_RETENTION", "", 1);
	is_int(q_conf_from_env(&c, &e), 0, "empty is unset");
	is_str(c.queue, "imgq", "empty IMGQ_QUEUE: imgq");
	is_int(c.retention_ms, 7LL * 86400000, "empty IMGQ_RETENTION: 7 d");
}

/* The numbers, each at its bounds and past them; -1: refused. */
static const struct {
	const char	*var, *val;
	long long	 want;
} cases[] = {
	{ "IMGQ_RETENTION", "1s", 1000 },
	{ "IMGQ_RETENTION", "8760h", 31536000000LL },
	{ "IMGQ_RETENTION", "999ms", -1 },
	{ "IMGQ_RETENTION", "8761h", -1 },
	{ "IMGQ_RETENTION", "forever", -1 },
	{ "IMGQ_REDIS_RETRY", "0", 0 },
	{ "IMGQ_REDIS_RETRY", "24h", 86400000 },
	{ "IMGQ_REDIS_RETRY", "25h", -1 },
	{ "IMGQ_REDIS_RETRY", "-1s", -1 },
	{ "IMGQ_ATTEMPTS", "1", 1 },
	{ "IMGQ_ATTEMPTS", "1000", 1000 },
	{ "IMGQ_ATTEMPTS", "0", -1 },
	{ "IMGQ_ATTEMPTS", "1001", -1 },
	{ "IMGQ_ATTEMPTS", "5x", -1 },
	{ "IMGQ_REDIS_WAIT", "0", 0 },
	{ "IMGQ_REDIS_WAIT", "16", 16 },
	{ "IMGQ_REDIS_WAIT", "17", -1 },
	{ "IMGQ_REDIS_WAIT", "-1", -1 },
	{ "IMGQ_REDIS_WAIT_TIMEOUT", "250ms", 250 },
	{ "IMGQ_REDIS_WAIT_TIMEOUT", "1m", 60000 },
	{ "IMGQ_REDIS_WAIT_TIMEOUT", "61s", -1 },
	{ "IMGQ_REDIS_WAIT_TIMEOUT", "0", -1 },
};

/* The number a variable sets; 0 for the strings. */
static long long
value_of(const struct q_conf *c, const char *var)
{
	if (strcmp(var, "IMGQ_RETENTION") == 0)
		return c->retention_ms;
	if (strcmp(var, "IMGQ_REDIS_RETRY") == 0)
		return c->retry_ms;
	if (strcmp(var, "IMGQ_ATTEMPTS") == 0)
		return c->attempts;
	if (strcmp(var, "IMGQ_REDIS_WAIT") == 0)
		return c->wait_replicas;
	if (strcmp(var, "IMGQ_REDIS_WAIT_TIMEOUT") == 0)
		return c->wait_ms;
	return 0;
}

/*
 * With only var=val set: the value, or -1 when q_conf_from_env fails
 * with EX_CONFIG and a message that starts with the variable's name.
 */
static long long
from_env(const char *var, const char *val, struct q_conf *c)
{
	struct err e;
	size_t n = strlen(var);
	int rc;

	clear_env();
	setenv(var, val, 1);
	err_clear(&e);
	if ((rc = q_conf_from_env(c, &e)) == 0)
		return value_of(c, var);
	if (e.code == EX_CONFIG && strncmp(e.msg, var, n) == 0 &&
	    e.msg[n] == ':')
		return -1;
	printf("#   code %d, '%s'\n", e.code, e.msg);
	return -2;
}

static void
ranges(void)
{
	struct q_conf c;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(from_env(cases[i].var, cases[i].val, &c), cases[i].want,
		    "%s=%s", cases[i].var, cases[i].val);
	ok(from_env("IMGQ_QUEUE", "a.b-c_D9", &c) == 0 &&
	    strcmp(c.queue, "a.b-c_D9") == 0, "a queue name");
	is_int(from_env("IMGQ_QUEUE", "a b", &c), -1, "IMGQ_QUEUE=a b");
	is_int(from_env("IMGQ_QUEUE", "{x}", &c), -1, "IMGQ_QUEUE={x}");
	ok(from_env("REDIS_URL", "redis://h:1/2", &c) == 0 &&
	    strcmp(c.url, "redis://h:1/2") == 0, "REDIS_URL kept as given");
}

static void
flags(void)
{
	struct q_conf c;
	struct err e;

	q_conf_defaults(&c);
	err_clear(&e);
	ok(q_conf_queue(&c, "other", &e) == 0 && strcmp(c.queue, "other") ==
	    0, "-q other");
	ok(q_conf_queue(&c, "a:b", &e) == -1 && e.code == EX_USAGE &&
	    strcmp(c.queue, "other") == 0, "-q a:b: 64, queue unchanged");
	ok(q_conf_retention(&c, "2h", &e) == 0 && c.retention_ms == 7200000,
	    "-r 2h");
	ok(q_conf_retention(&c, "500ms", &e) == -1 && e.code == EX_USAGE &&
	    c.retention_ms == 7200000, "-r 500ms: 64, unchanged");
	ok(q_conf_attempts(&c, "7", &e) == 0 && c.attempts == 7, "-a 7");
	ok(q_conf_attempts(&c, "0", &e) == -1 && e.code == EX_USAGE &&
	    c.attempts == 7, "-a 0: 64, unchanged");
}

static void
opening(void)
{
	struct q_conf c;
	struct err e;

	q_conf_defaults(&c);
	err_clear(&e);
	ok(q_conf_check(&c, &e) == -1 && e.code == EX_CONFIG,
	    "no REDIS_URL: 78");
	is_str(e.msg, "REDIS_URL is not set", "the message");
	err_clear(&e);
	ok(q_conf_open(&c, &e) == NULL && e.code == EX_CONFIG &&
	    strcmp(e.msg, "REDIS_URL is not set") == 0,
	    "q_conf_open checks it");
	err_clear(&e);
	ok(q_conf_sub(&c, &e) == NULL && e.code == EX_CONFIG &&
	    strcmp(e.msg, "REDIS_URL is not set") == 0,
	    "q_conf_sub checks it");
	c.url = "http://127.0.0.1/";
	err_clear(&e);
	ok(q_conf_check(&c, &e) == 0, "a URL is set");
	ok(q_conf_open(&c, &e) == NULL && e.code == EX_CONFIG,
	    "a bad URL: 78 before any connection");
}

/* The TLS settings: kept as given; a key alone or a bad flag refused. */
static void
tls(void)
{
	struct q_conf c;
	struct err e;

	clear_env();
	err_clear(&e);
	ok(q_conf_from_env(&c, &e) == 0 && c.opts.tls.ca_file == NULL &&
	    c.opts.tls.server_name == NULL && c.opts.tls.cert_file == NULL &&
	    c.opts.tls.key_file == NULL && c.opts.tls.insecure == 0, "TLS: defaults");
	setenv("IMGQ_REDIS_TLS_CA_FILE", "/ca.pem", 1);
	setenv("IMGQ_REDIS_TLS_SERVER_NAME", "redis.example", 1);
	setenv("IMGQ_REDIS_TLS_CERT_FILE", "/c.pem", 1);
	setenv("IMGQ_REDIS_TLS_KEY_FILE", "/k.pem", 1);
	setenv("IMGQ_REDIS_TLS_INSECURE", "yes", 1);
	ok(q_conf_from_env(&c, &e) == 0 &&
	    strcmp(c.opts.tls.ca_file, "/ca.pem") == 0 &&
	    strcmp(c.opts.tls.server_name, "redis.example") == 0 &&
	    strcmp(c.opts.tls.cert_file, "/c.pem") == 0 &&
	    strcmp(c.opts.tls.key_file, "/k.pem") == 0 && c.opts.tls.insecure == 1,
	    "TLS: every setting read");
	setenv("IMGQ_REDIS_TLS_INSECURE", "maybe", 1);
	ok(q_conf_from_env(&c, &e) == -1 && e.code == EX_CONFIG &&
	    strncmp(e.msg, "IMGQ_REDIS_TLS_INSECURE:", 24) == 0,
	    "TLS: a bad IMGQ_REDIS_TLS_INSECURE");
	clear_env();
	setenv("IMGQ_REDIS_TLS_KEY_FILE", "/k.pem", 1);
	err_clear(&e);
	ok(q_conf_from_env(&c, &e) == -1 && e.code == EX_CONFIG,
	    "TLS: a key without a certificate");
	is_str(e.msg, "IMGQ_REDIS_TLS_KEY_FILE is set without "
	    "IMGQ_REDIS_TLS_CERT_FILE", "its message");
	clear_env();
	setenv("IMGQ_REDIS_TLS_CA_FILE", "/nonexistent/ca.pem", 1);
	setenv("REDIS_URL", "rediss://127.0.0.1:1", 1);
	err_clear(&e);
	ok(q_conf_from_env(&c, &e) == 0 && q_conf_open(&c, &e) == NULL &&
	    e.code == EX_CONFIG && strncmp(e.msg, "TLS CA file "
	    "/nonexistent/ca.pem: ", 33) == 0,
	    "TLS: a CA file that does not load: 78 before any connection");
	clear_env();
}

int
main(void)
{
	defaults();
	ranges();
	flags();
	opening();
	tls();
	return tap_done();
}
