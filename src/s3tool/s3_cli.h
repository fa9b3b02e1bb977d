/*
 * s3_cli.h: what the five S3 programs share (s3put, s3get, s3ls, s3rm,
 * s3url): their front (start-up, the common options, usage, the
 * configuration, fatal messages), s3:// arguments, and the escaping of
 * keys as lines.
 *
 * The front is main.c's shared half: unlike the rest of src/lib it
 * writes messages to standard error (through log.h), but it still never
 * exits and reads the environment only through s3_conf_from_env.
 */
#ifndef IMGQ_S3_CLI_H
#define IMGQ_S3_CLI_H

#include "err.h"
#include "s3.h"
#include "buf.h"

/* The letters of the common options (for getopt strings). */
#define S3_CLI_OPTS	"A:C:R:T:U"

/* s3_cli_init flags. */
#define S3_CLI_NET	1	/* the common options; SIGPIPE ignored */

struct s3_cli {
	const char	*usage;		/* the usage text, "usage: ..." */
	int		 flags;
	int		 verbose;	/* times -v was given */
	struct s3_conf	 c;		/* the configuration (s3_cli_conf) */
	struct s3_conf	 over;		/* the common options given */
	unsigned	 set;		/* which ones (bits of S3_CLI_OPTS) */
};

/*
 * A program's start: sane descriptors 0 to 2, SIGPIPE ignored (with
 * S3_CLI_NET), log_init, the built-in defaults.  Returns 0, or the exit
 * code (EX_OSERR).
 */
int	s3_cli_init(struct s3_cli *, const char *, const char *, int);

/*
 * getopt(3) over the program's own option letters (own) plus -v and,
 * with S3_CLI_NET, the common options, which it takes itself (to be laid
 * over the environment by s3_cli_conf).  Returns the next option of the
 * program's own, -1 at the end, '?' for a bad option or value (the
 * reason already written); optind and optarg as getopt sets them.
 */
int	s3_cli_getopt(struct s3_cli *, int, char *const *, const char *);

/* Writes "prog: fatal: why" (why may be NULL) and the usage; EX_USAGE. */
int	s3_cli_usage(const struct s3_cli *, const char *);

/*
 * The configuration: the environment (s3_conf_from_env), then the
 * common options given, then -v with a trace to standard error.  0, or
 * the exit code with the reason written.
 */
int	s3_cli_conf(struct s3_cli *);

/*
 * After s3_cli_getopt: moves argc and argv past the options, checks that
 * min to max operands remain (max -1: no limit), then reads the
 * configuration (s3_cli_conf).  0, or the exit code (reason written).
 */
int	s3_cli_operands(struct s3_cli *, int *, char ***, int, int);

/*
 * An operand that names an object (s3_cli_target into the
 * configuration): 0, or EX_USAGE (written) when it names no key.
 */
int	s3_cli_key(struct s3_cli *, const char *, const char **);

/* The client of that configuration: 0, or the exit code (written). */
int	s3_cli_client(struct s3_cli *, struct s3 **);

/* Writes "prog: fatal: message" and returns the error's exit code. */
int	s3_cli_fatal(const struct err *);

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
int	s3_cli_escape(struct buf *, const char *);
int	s3_cli_unescape(struct buf *, const char *, size_t, struct err *);

#endif
