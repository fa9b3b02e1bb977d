/*
 * buf.c: the growable byte buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int
grow(struct buf *b, size_t need)
{
	size_t cap;
	char *p;

	if (b->max != 0 && (need > b->max || b->len > b->max - need)) {
		b->over = 1;
		return -1;
	}
	if (need > (size_t)-1 / 2 - b->len) {
		b->over = 1;
		return -1;
	}
	if (b->len + need + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + need + 1)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->over = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

int
buf_add(struct buf *b, const void *v, size_t n)
{
	if (grow(b, n) == -1)
		return -1;
	if (n != 0)
		memcpy(b->p + b->len, v, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_add_markup(struct buf *b, const char *s, size_t n)
{
	const char *r;
	size_t i;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&apos;"; break;
		default: r = NULL; break;
		}
		if (r != NULL ? buf_adds(b, r) == -1 :
		    buf_add(b, s + i, 1) == -1)
			return -1;
	}
	return 0;
}

int
buf_addc(struct buf *b, int c)
{
	char ch = (char)c;

	return buf_add(b, &ch, 1);
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->over = 1;
		return -1;
	}
	if (grow(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len) {
		b->over = 1;
		return -1;
	}
	b->len += (size_t)n;
	return 0;
}

const char *
buf_str(const struct buf *b)
{
	return b->p != NULL ? b->p : "";
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->over = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->over = 0;
}

char *
buf_take(struct buf *b)
{
	char *p = b->p;

	if (p == NULL && (p = strdup("")) == NULL)
		return NULL;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}
