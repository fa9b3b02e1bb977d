/*
 * pct.c: percent-decoding.
 */
#include "pct.h"

int
pct_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte at s[*i], decoded, and *i past it; -1 when malformed. */
static int
next(const char *s, size_t n, size_t *i, int flags)
{
	int c = (unsigned char)s[*i], hi, lo;

	if (c == '%') {
		if (n - *i < 3 ||
		    (hi = pct_hexval((unsigned char)s[*i + 1])) < 0 ||
		    (lo = pct_hexval((unsigned char)s[*i + 2])) < 0)
			return -1;
		c = hi << 4 | lo;
		*i += 2;
	} else if (c == '+' && (flags & PCT_PLUS))
		c = ' ';
	(*i)++;
	if (c == '\0' && !(flags & PCT_NUL))
		return -1;
	return c;
}

int
pct_decode(const char *s, size_t n, char *out, size_t outsz, int flags)
{
	size_t i = 0, o = 0;
	int c;

	while (i < n) {
		if ((c = next(s, n, &i, flags)) == -1 || o + 1 >= outsz)
			return -1;
		out[o++] = (char)c;
	}
	if (outsz == 0)
		return -1;
	out[o] = '\0';
	return 0;
}

int
pct_decode_buf(struct buf *b, const char *s, size_t n, int flags)
{
	size_t i = 0;
	int c;

	while (i < n)
		if ((c = next(s, n, &i, flags)) == -1 || buf_addc(b, c) == -1)
			return -1;
	return 0;
}
