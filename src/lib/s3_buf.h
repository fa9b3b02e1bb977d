/*
 * s3_buf.h: a growable byte buffer with an optional size limit, used by the
 * signer and the S3 client for request texts and bounded answer bodies.
 *
 * The bytes are always followed by a NUL (not counted in len), so a buffer
 * holding text can be used as a C string.  A buffer starts zeroed:
 *
 *	struct s3_buf b = { 0 };
 *	b.max = 65536;		(0: no limit)
 */
#ifndef IMGQ_S3_BUF_H
#define IMGQ_S3_BUF_H

#include <stddef.h>

struct s3_buf {
	char	*p;		/* NULL until the first add */
	size_t	 len;		/* bytes held, not counting the NUL */
	size_t	 cap;
	size_t	 max;		/* limit on len; 0 for none */
	int	 over;		/* set when an add hit max or failed */
};

/*
 * Appends n bytes; returns 0, or -1 when memory runs out or len would
 * pass max (then nothing is appended and over is set).
 */
int	s3_buf_add(struct s3_buf *, const void *, size_t);
int	s3_buf_adds(struct s3_buf *, const char *);
int	s3_buf_addc(struct s3_buf *, int);
int	s3_buf_addf(struct s3_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* "" for an empty buffer, never NULL. */
const char *s3_buf_str(const struct s3_buf *);
/* Empties the buffer, keeping its memory and its limit. */
void	s3_buf_reset(struct s3_buf *);
/* Frees the memory; the buffer can be used again (limit kept). */
void	s3_buf_free(struct s3_buf *);
/* Hands the bytes over to the caller (malloc'd, NUL-terminated). */
char	*s3_buf_take(struct s3_buf *);

#endif
