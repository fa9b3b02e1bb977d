/*
 * buf.h: the growable byte buffer, with an optional size limit: request
 * texts and bounded answer bodies of the S3 client, JSON and HTTP answers,
 * job records.
 *
 * The bytes are always followed by a NUL (not counted in len), so a buffer
 * holding text can be used as a C string.  A buffer starts zeroed:
 *
 *	struct buf b = { 0 };
 *	b.max = 65536;		(0: no limit)
 */
#ifndef IMGQ_BUF_H
#define IMGQ_BUF_H

#include <stddef.h>

struct buf {
	char	*p;		/* NULL until the first add */
	size_t	 len;		/* bytes held, not counting the NUL */
	size_t	 cap;
	size_t	 max;		/* limit on len; 0 for none */
	int	 over;		/* set when an add hit max or failed */
};

/*
 * Appends n bytes; returns 0, or -1 when memory runs out or len would
 * pass max (then nothing is appended and over is set).  over stays set
 * until buf_reset, so a run of adds can be checked once at the end.
 */
int	buf_add(struct buf *, const void *, size_t);
int	buf_adds(struct buf *, const char *);
int	buf_addc(struct buf *, int);
int	buf_addf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Appends n bytes as XML or HTML text or attribute value: & < > " and '
 * as entities, the rest as is.
 */
int	buf_add_markup(struct buf *, const char *, size_t);
/* "" for an empty buffer, never NULL. */
const char *buf_str(const struct buf *);
/* Empties the buffer, keeping its memory and its limit. */
void	buf_reset(struct buf *);
/* Frees the memory; the buffer can be used again (limit kept). */
void	buf_free(struct buf *);
/* Hands the bytes over to the caller (malloc'd, NUL-terminated). */
char	*buf_take(struct buf *);

#endif
