#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "job.h"
#include "job_env.h"

/* Whole names, then prefixes (their name goes on past the prefix). */
static const char *const allowed[] = {
	"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ",
	"TMPDIR", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_BUCKET_NAME", "AWS_CA_BUNDLE", "AWS_EC2_METADATA_DISABLED",
	"https_proxy", "HTTPS_PROXY", "http_proxy", "no_proxy", "NO_PROXY",
	"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL
};
static const char *const allowed_prefix[] = { "LC_", "IMGQ_", NULL };

static int
name_is(const char *name, size_t nl, const char *what)
{
	return strlen(what) == nl && memcmp(name, what, nl) == 0;
}

int
job_env_allowed(const char *name, size_t nl)
{
	size_t i, pl;

	if (name_is(name, nl, JOB_ENV_NEVER))
		return 0;
	for (i = 0; allowed[i] != NULL; i++)
		if (name_is(name, nl, allowed[i]))
			return 1;
	for (i = 0; allowed_prefix[i] != NULL; i++) {
		pl = strlen(allowed_prefix[i]);
		if (nl > pl && memcmp(name, allowed_prefix[i], pl) == 0)
			return 1;
	}
	return 0;
}

static int
asked(const char *name, size_t nl, char *const *pass, size_t npass)
{
	size_t i;

	if (name_is(name, nl, JOB_ENV_NEVER))
		return 0;
	for (i = 0; i < npass; i++)
		if (name_is(name, nl, pass[i]))
			return 1;
	return 0;
}

int
job_env_base(struct envset *s, char *const *env, char *const *pass,
    size_t npass, struct err *e)
{
	size_t i, nl;

	for (i = 0; env != NULL && env[i] != NULL; i++) {
		nl = strcspn(env[i], "=");
		if ((job_env_allowed(env[i], nl) ||
		    asked(env[i], nl, pass, npass)) &&
		    envset_put(s, env[i], e) == -1)
			return -1;
	}
	return 0;
}

int
job_env_field(struct envset *s, const char *name, size_t nl,
    const void *val, size_t vl, struct err *e)
{
	char var[JOB_FIELD_NAME_MAX + 8];

	if (job_field_reserved(name, nl) ||
	    job_env_name(name, nl, var, sizeof(var)) == -1)
		return 0;
	if (vl > JOB_ENV_VALUE_MAX ||
	    (vl > 0 && memchr(val, '\0', vl) != NULL))
		return err_set(e, EX_DATAERR, "field %.*s not exported (too "
		    "large or holds NUL bytes)", (int)nl, name);
	if (envset_set(s, var, strlen(var), val, vl, e) == -1)
		return -1;
	return 1;
}

static int
put(struct envset *s, const char *name, const char *val, struct err *e)
{
	return envset_set(s, name, strlen(name), val, strlen(val), e);
}

int
job_env_run(struct envset *s, const char *id, long long attempt,
    const char *queue, const char *tmpdir, struct err *e)
{
	char num[24];

	(void)snprintf(num, sizeof(num), "%lld", attempt);
	if (put(s, "IMGQ_JOB_ID", id, e) == -1 ||
	    put(s, "IMGQ_ATTEMPT", num, e) == -1 ||
	    put(s, "IMGQ_QUEUE", queue, e) == -1 ||
	    put(s, "IMGQ_TMPDIR", tmpdir, e) == -1 ||
	    put(s, "TMPDIR", tmpdir, e) == -1)
		return -1;
	return 0;
}
