/*
 * job.h: job ids and job records, the parts of the queue that need no
 * server (unit-tested and fuzzed).
 */
#ifndef IMGQ_JOB_H
#define IMGQ_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * A job id: 26 characters of [0-9a-z]: the time in milliseconds since the
 * epoch in base 36 (9 digits, so ids sort by creation time as strings),
 * then 17 random base-36 digits (about 87 bits from getrandom(2)), so ids
 * made on different machines do not collide without coordination.
 */
#define JOB_ID_LEN	26
#define JOB_ID_TIME	9

#define JOB_FIELD_NAME_MAX	64
#define JOB_FIELDS_MAX		256	/* fields a pushed job may carry */
#define JOB_VALUE_MAX		(16u << 20)	/* bytes of one value */

/*
 * A job's state, the "state" field of its record and the STATE of its
 * events (imgq(7)): queued, then active while a worker runs it, then done,
 * or retry (waiting in the delayed set for its next attempt) and back to
 * queued, or dead.  The queue's scripts take the names from these macros;
 * tests/unit/test_job.c holds the page (share/www/dashboard.js) to them.
 */
#define JOB_S_QUEUED	"queued"
#define JOB_S_ACTIVE	"active"
#define JOB_S_RETRY	"retry"
#define JOB_S_DONE	"done"
#define JOB_S_DEAD	"dead"

enum job_state {
	JOB_QUEUED, JOB_ACTIVE, JOB_RETRY, JOB_DONE, JOB_DEAD, JOB_NSTATES
};

/* The name of a state ("" for a value out of range). */
const char *job_state_name(enum job_state);

/* The state named by s (n bytes), or -1. */
int	job_state_of(const char *s, size_t n);

/*
 * 1 for the states a job does not leave by itself, done and dead; 0 for
 * the others and for -1 (what job_state_of returns for no state).
 */
int	job_state_final(int);

/* Makes a new id (id has JOB_ID_LEN + 1 bytes). */
int	job_id_new(char *, struct err *);

/* The same from a given time and 11 random bytes (for tests). */
void	job_id_make(char *, uint64_t ms, const unsigned char *rnd);

/* 1 when s is a well-formed id: JOB_ID_LEN of [0-9a-z], nothing else. */
int	job_id_valid(const char *);

/* The creation time encoded in a well-formed id, in ms. */
uint64_t job_id_time(const char *);

/* 1 when name is a legal field name: [a-z][a-z0-9_]*, bounded. */
int	job_field_name_valid(const char *, size_t);

/* 1 when name is written by the queue itself (state, attempts, ...). */
int	job_field_reserved(const char *, size_t);

/* 1 when a field holds a number (shown as a JSON number when it is one). */
int	job_field_numeric(const char *, size_t);

/*
 * Encodes a record as a JSON object: {"id":"...", "name": value, ...}.
 * names/vals/lens are n parallel arrays of binary strings.  Values are
 * JSON strings (json_str: UTF-8 kept, other bytes as U+FFFD); numeric
 * fields holding a decimal integer are numbers; "outputs" becomes an
 * array of its lines.  Returns a malloc'd NUL-terminated string and its
 * length in *outlen (may be NULL), or NULL (EX_OSERR) when out of memory.
 */
char	*job_json(const char *id, const char *const *names,
	    const size_t *nlens, const char *const *vals, const size_t *vlens,
	    size_t n, size_t *outlen, struct err *);

/*
 * Environment variable name for a field: "IMGQ_" and the name upper-cased
 * into out (outsz bytes).  Returns -1 when the name is not legal or does
 * not fit.
 */
int	job_env_name(const char *, size_t, char *out, size_t outsz);

#endif
