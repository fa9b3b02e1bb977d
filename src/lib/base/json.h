/*
 * json.h: JSON text for the answers and records imgq prints.  One escaper,
 * so that a job record reads the same in imgq-stat -j and GET /jobs/<id>.
 */
#ifndef IMGQ_JSON_H
#define IMGQ_JSON_H

#include <stddef.h>

#include "buf.h"

/*
 * The length of the well-formed UTF-8 sequence at s (n bytes available):
 * 1 to 4, or 0 when the bytes there are not UTF-8 (overlong forms,
 * surrogates and code points above U+10FFFF are not).
 */
size_t	utf8_seq_len(const unsigned char *s, size_t n);

/*
 * Appends s (n bytes, any content) as a JSON string with its quotes.
 * UTF-8 passes through; each byte that is not part of a well-formed
 * sequence becomes U+FFFD (as a browser decodes it); quote, backslash and
 * control bytes are escaped.  Returns -1 (b->over set) when the buffer
 * cannot grow.
 */
int	json_str(struct buf *b, const void *s, size_t n);

#endif
