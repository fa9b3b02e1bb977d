/*
 * buf.c: growing text buffers and JSON strings for the answers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "recv.h"

void
buf_add(struct buf *b, const void *d, size_t n)
{
	char *np;
	size_t cap;

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->err = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_fmt(struct buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->err = 1;
		return;
	}
	buf_add(b, tmp, (size_t)n);
}

/* A JSON string with its quotes; bytes >= 0x80 pass as they are when
 * they form UTF-8, else become U+FFFD. */
void
buf_json(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t i, k, need;
	char esc[8];

	buf_add(b, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			buf_add(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			buf_add(b, esc, 6);
		} else if (c < 0x80) {
			buf_add(b, &p[i], 1);
		} else {
			need = c >= 0xf0 && c < 0xf5 ? 3 : c >= 0xe0 ? 2 :
			    c >= 0xc2 && c < 0xe0 ? 1 : 0;
			if (c >= 0xf5)
				need = 0;
			for (k = 1; need && k <= need; k++)
				if (i + k >= n || (p[i + k] & 0xc0) != 0x80)
					need = 0;
			if (need == 0) {
				buf_str(b, "\\ufffd");
				continue;
			}
			buf_add(b, &p[i], need + 1);
			i += need;
		}
	}
	buf_add(b, "\"", 1);
}

void
buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
