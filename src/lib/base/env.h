/*
 * env.h: the environment variables that carry settings.
 *
 * The env_ functions read a variable, leave *out at its default when the
 * variable is unset or empty, and fail with EX_CONFIG naming the variable
 * when its value does not parse (num.h).  These and main.c are the only
 * places that read the environment.
 */
#ifndef IMGQ_ENV_H
#define IMGQ_ENV_H

#include <stdint.h>

#include "err.h"
#include "num.h"

/* The value, or NULL when unset or empty. */
const char *env_str(const char *);

/* 1 for 1/yes/true/on, 0 for 0/no/false/off; EX_CONFIG otherwise. */
int	env_bool(const char *, int *, struct err *);

/* parse_long, parse_size and parse_duration_ms of a variable's value. */
int	env_long(const char *, long long, long long, long long *,
	    struct err *);
int	env_size(const char *, uint64_t, uint64_t, uint64_t *, struct err *);
int	env_duration_ms(const char *, uint64_t, uint64_t, uint64_t *,
	    struct err *);

#endif
