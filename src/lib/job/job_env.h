/*
 * job_env.h: the environment of a job's command (imgq-pop(1)).
 *
 * Each field of the record becomes IMGQ_<FIELD> (job_env_name), then the
 * run adds IMGQ_JOB_ID, IMGQ_ATTEMPT, IMGQ_QUEUE, IMGQ_TMPDIR and TMPDIR.
 * Both go into a set that already holds the consumer's own environment
 * (envset.h: a later put wins), so a job's variables win over the
 * consumer's, and the run's over a field that would give the same name.
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
