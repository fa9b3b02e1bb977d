/*
 * s3_putbuf.h: one PUT of an object that is whole in the caller's memory.
 */
#ifndef IMGQ_S3_PUTBUF_H
#define IMGQ_S3_PUTBUF_H

#include <stddef.h>

#include "err.h"
#include "s3.h"

/*
 * Stores len bytes at p as key with one signed PUT, without copying them
 * (the caller keeps p valid until the call returns): for a program that
 * keeps one warm buffer across many small uploads, where s3_upload would
 * map, fault in and unmap a fresh part buffer each time.  Options as for
 * s3_upload_new except create_only and size_hint (EX_USAGE).  etag (may
 * be NULL) gets the object's ETag without quotes.
 */
int	s3_put_buf(struct s3 *, const char *key, const struct s3_put_opts *,
	    const void *p, size_t len, char *etag, size_t etaglen,
	    struct err *);

#endif
