#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "job.h"
#include "job_env.h"

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
