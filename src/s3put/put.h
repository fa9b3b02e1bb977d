/*
 * put.h: s3put's uploads of one or several inputs (put.c), side by side
 * on one client, all or nothing.
 */
#ifndef IMGQ_S3PUT_PUT_H
#define IMGQ_S3PUT_PUT_H

#include <stdint.h>

#include "err.h"
#include "s3.h"

enum put_state { P_WAITING, P_ACTIVE, P_STORED, P_FAILED };

struct put_file {
	const char	*name;		/* for messages: path or "standard input" */
	int		 fd;
	int		 is_pipe;
	uint64_t	 size;		/* regular files */
	char		*key;
	struct s3_upload *up;
	enum put_state	 state;
	int		 cancelled;	/* stopped for another's failure */
	uint64_t	 total;
	char		 etag[S3_ETAG_MAX];
	struct err	 err;
};

struct put_opts {
	struct s3_put_opts po;		/* content_type NULL: sniffed */
	int		 parallel;	/* inputs in flight at once */
	int		 verbose;
};

/*
 * Opens every input (EX_NOINPUT for a missing, unreadable or directory
 * input) before anything is sent; path NULL or "-" is standard input.
 */
int	put_open(struct put_file *, const char *, struct err *);

/*
 * Stores every input under its key, up to o->parallel at a time on the
 * client's connections.  When one fails, no further one starts, the
 * multipart uploads in progress are aborted, the single PUTs in flight
 * are let finish, and every object already stored is deleted again.
 * Writes each failure (the returned one last, as fatal) and returns the
 * exit status: 0, or the first failure's code, a halt code (64, 77, 78)
 * winning over the others.
 */
int	put_all(struct s3 *, struct put_file *, int, const struct put_opts *);

#endif
