/*
 * job_env.h: the environment of a job's command (imgq-pop(1)).
 *
 * The command gets, of the consumer's own environment, only the settings
 * the worker tools read (job_env_allowed) and the names the operator
 * asked for (job_env_base); then each field of the record becomes
 * IMGQ_<FIELD> (job_env_name), then the run adds IMGQ_JOB_ID,
 * IMGQ_ATTEMPT, IMGQ_QUEUE, IMGQ_TMPDIR and TMPDIR (envset.h: a later
 * put wins), so a job's variables win over the consumer's, and the run's
 * over a field that would give the same name.
 */
#ifndef IMGQ_JOB_ENV_H
#define IMGQ_JOB_ENV_H

#include <stddef.h>

#include "envset.h"
#include "err.h"

/*
 * A larger value is not exported: the command reads it from the record
 * (imgq-stat job -f), and a few such fields would pass execve's limit.
 */
#define JOB_ENV_VALUE_MAX	(64 * 1024)

/* The ingest's operator credential: never given to a job. */
#define JOB_ENV_NEVER	"IMGQ_ADMIN_TOKEN"

/*
 * 1 when the variable of this name (nl bytes) reaches the command
 * unasked: PATH, HOME, USER, LOGNAME, SHELL, LANG, LANGUAGE, LC_*, TZ,
 * TMPDIR, every IMGQ_* but JOB_ENV_NEVER, the S3 tools' settings that
 * are no credential (AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION,
 * AWS_BUCKET_NAME, AWS_CA_BUNDLE, AWS_EC2_METADATA_DISABLED, the proxy
 * variables) and the sanitizers' options.  Credentials, REDIS_URL and
 * the rest do not.
 */
int	job_env_allowed(const char *, size_t);

/*
 * Puts the entries of env that are allowed, or whose name is one of the
 * npass names of pass (JOB_ENV_NEVER never is).
 */
int	job_env_base(struct envset *, char *const *env, char *const *pass,
	    size_t npass, struct err *);

/*
 * Puts the variable of one field.  Returns 1 when put; 0 when the field
 * has no variable (one the queue writes itself, job_field_reserved, or a
 * name with no variable name); -1 with EX_DATAERR when its value is over
 * JOB_ENV_VALUE_MAX or holds a NUL byte (the caller may go on without
 * it), or with the error of envset_set.
 */
int	job_env_field(struct envset *, const char *, size_t, const void *,
	    size_t, struct err *);

/* Puts the variables of this run of the job. */
int	job_env_run(struct envset *, const char *id, long long attempt,
	    const char *queue, const char *tmpdir, struct err *);

#endif
