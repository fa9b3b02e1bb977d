/*
 * s3_cli.h: what the five S3 programs share (s3put, s3get, s3ls, s3rm,
 * s3url): s3:// arguments, the common options, and the escaping of keys
 * as lines.  No printing here; main.c does that.
 */
#ifndef IMGQ_S3_CLI_H
#define IMGQ_S3_CLI_H

#include "err.h"
#include "s3.h"
#include "s3_buf.h"

/* The letters of the common options (for getopt strings). */
#define S3_CLI_OPTS	"A:C:R:T:U"

/*
 * "s3://bucket/key" sets c->bucket and points *key past the bucket's
 * '/' (an empty key when there is none); anything else is the key
 * itself.  EX_USAGE for "s3://" without a bucket.
 */
int	s3_cli_target(const char *, struct s3_conf *, const char **,
	    struct err *);

/*
 * Applies one of the common options: -A attempts, -R retry time,
 * -T stall timeout, -C CA file, -U unsigned payload.  Returns 1 when the
 * option was one of them, 0 when not, -1 (EX_USAGE) for a bad value.
 */
int	s3_cli_opt(int, const char *, struct s3_conf *, struct err *);

/*
 * A key as one line: backslash as \\, newline \n, carriage return \r,
 * tab \t, other control bytes and DEL as \xHH; everything else (UTF-8
 * included) as is.  s3_cli_unescape reverses it (EX_DATAERR on a bad
 * escape).
 */
int	s3_cli_escape(struct s3_buf *, const char *);
int	s3_cli_unescape(struct s3_buf *, const char *, size_t, struct err *);

#endif
