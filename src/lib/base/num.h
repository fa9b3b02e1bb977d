/*
 * num.h: numbers from text (a flag's argument or a variable's value),
 * with range and trailing-junk checks.  Each fails with EX_USAGE and a
 * message that quotes the text; a caller reading a variable turns that
 * into EX_CONFIG (env.h).
 */
#ifndef IMGQ_NUM_H
#define IMGQ_NUM_H

#include <stdint.h>

#include "err.h"

/* A decimal integer in [min, max]. */
int	parse_long(const char *, long long, long long, long long *,
	    struct err *);

/*
 * A size in bytes: digits with an optional suffix k, m, g, t (powers of
 * 1024, either case, optional trailing "b" or "ib").
 */
int	parse_size(const char *, uint64_t, uint64_t, uint64_t *, struct err *);

/*
 * A duration in milliseconds: a decimal number (fraction allowed) with an
 * optional unit ms, s (the default), m, h.
 */
int	parse_duration_ms(const char *, uint64_t, uint64_t, uint64_t *,
	    struct err *);

#endif
