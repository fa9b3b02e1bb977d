/*
 * env.h: numbers from text, with range and trailing-junk checks, and the
 * environment variables that carry them.
 *
 * The parse_ functions take text (a flag's argument or a variable's value);
 * the env_ functions read a variable, leave *out at its default when the
 * variable is unset or empty, and fail with EX_CONFIG naming the variable
 * when its value is not a number in range.  These and main.c are the only
 * places that read the environment.
 */
#ifndef IMGQ_ENV_H
#define IMGQ_ENV_H

#include <stdint.h>

#include "err.h"

/* A decimal integer in [min, max]; EX_USAGE on failure. */
int	parse_long(const char *, long long, long long, long long *,
	    struct err *);

/*
 * A size in bytes: digits with an optional suffix k, m, g, t (powers of
 * 1024, either case, optional trailing "b" or "ib"); EX_USAGE on failure.
 */
int	parse_size(const char *, uint64_t, uint64_t, uint64_t *, struct err *);

/*
 * A duration in milliseconds: a decimal number (fraction allowed) with an
 * optional unit ms, s (the default), m, h; EX_USAGE on failure.
 */
int	parse_duration_ms(const char *, uint64_t, uint64_t, uint64_t *,
	    struct err *);

int	env_long(const char *, long long, long long, long long *,
	    struct err *);
int	env_size(const char *, uint64_t, uint64_t, uint64_t *, struct err *);
int	env_duration_ms(const char *, uint64_t, uint64_t, uint64_t *,
	    struct err *);

/* The value, or NULL when unset or empty. */
const char *env_str(const char *);

/* 1 for 1/yes/true/on, 0 for 0/no/false/off; EX_CONFIG otherwise. */
int	env_bool(const char *, int *, struct err *);

#endif
