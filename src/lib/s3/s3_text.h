/*
 * s3_text.h: bounded copies of text out of S3 answers (header values,
 * XML element text), truncated rather than refused: what the client keeps
 * of an answer only ever goes into messages and fixed fields.
 */
#ifndef IMGQ_S3_TEXT_H
#define IMGQ_S3_TEXT_H

#include <stddef.h>

/* n bytes of s into dst (size > 0), truncated to fit, NUL-terminated. */
void	s3_copy(char *dst, size_t size, const char *s, size_t n);

/* An ETag without its surrounding quotes, as s3_copy does. */
void	s3_etag_unquote(char *dst, size_t size, const char *etag);

#endif
