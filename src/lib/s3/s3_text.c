/*
 * s3_text.c: bounded copies of text out of S3 answers (see s3_text.h).
 */
#include <string.h>

#include "s3_text.h"

void
s3_copy(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

void
s3_etag_unquote(char *dst, size_t size, const char *etag)
{
	size_t n = strlen(etag);

	if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
		etag++;
		n -= 2;
	}
	s3_copy(dst, size, etag, n);
}
