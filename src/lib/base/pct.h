/*
 * pct.h: percent-decoding (RFC 3986 section 2.1), the one decoder of
 * request paths and queries, REDIS_URL's parts and S3's URL-encoded
 * listings.
 */
#ifndef IMGQ_PCT_H
#define IMGQ_PCT_H

#include <stddef.h>

#include "buf.h"

#define PCT_PLUS	0x1	/* "+" is a space (form encoding, S3 lists) */
#define PCT_NUL		0x2	/* a NUL byte, raw or decoded, is data */

/* The value of a hexadecimal digit, or -1. */
int	pct_hexval(int);

/*
 * Decodes s[0..n) into out (outsz bytes, NUL-terminated).  Returns 0, or
 * -1 for a "%" not followed by two hex digits, a NUL byte (unless
 * PCT_NUL, which only pct_decode_buf can report faithfully), or a result
 * that does not fit.
 */
int	pct_decode(const char *, size_t, char *, size_t, int);

/* The same, appended to b; -1 also when b cannot grow (b->over set). */
int	pct_decode_buf(struct buf *, const char *, size_t, int);

#endif
