/*
 * fuzz_mp.c: the multipart/form-data parser.  The first line of the
 * input is the Content-Type (its boundary), the rest is the body.  The
 * body is parsed twice, whole and in fragments whose sizes come from the
 * input; both runs must hand on the same parts, data and errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "mp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct trace {
	uint64_t	h;
	int		open;
	size_t		parts;
};

static int
on_begin(void *arg, const struct mp_part *p, struct err *e)
{
	struct trace *t = arg;

	(void)e;
	if (t->open)
		abort();
	t->open = 1;
	t->parts++;
	fnv_mix(&t->h, "B", 1);
	fnv_mix(&t->h, p->name, strlen(p->name));
	if (p->filename != NULL)
		fnv_mix(&t->h, p->filename, p->filename_len);
	fnv_mix(&t->h, p->type, strlen(p->type));
	return 0;
}

static int
on_data(void *arg, const void *d, size_t n, struct err *e)
{
	struct trace *t = arg;

	(void)e;
	if (!t->open || n == 0)
		abort();
	fnv_mix(&t->h, d, n);
	return 0;
}

static int
on_end(void *arg, struct err *e)
{
	struct trace *t = arg;

	(void)e;
	if (!t->open)
		abort();
	t->open = 0;
	fnv_mix(&t->h, "E", 1);
	return 0;
}

static void
run(const char *boundary, const uint8_t *in, size_t len, const uint8_t *sz,
    size_t szlen, struct trace *t)
{
	struct mp_callbacks cb = { on_begin, on_data, on_end, NULL };
	struct mp_limits lim;
	struct mp *p;
	struct err e;
	size_t off = 0, n, k = 0;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	cb.arg = t;
	mp_limits_default(&lim);
	lim.parts_max = 8;
	lim.header_max = 128;
	lim.headers_max = 4;
	lim.filename_max = 32;
	if ((p = mp_new(boundary, &lim, &cb, &e)) == NULL)
		abort();
	while (off < len && rc == 0) {
		n = szlen ? (size_t)sz[k++ % szlen] % 23 + 1 : len;
		if (n > len - off)
			n = len - off;
		rc = mp_feed(p, in + off, n, &e);
		off += n;
	}
	if (rc == 0)
		rc = mp_finish(p, &e);
	fnv_mix(&t->h, &rc, sizeof(rc));
	if (rc == -1)
		fnv_mix(&t->h, e.msg, strlen(e.msg));
	if (mp_parts(p) < t->parts)
		abort();
	mp_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	char ct[256], b[MP_BOUNDARY_MAX + 1];
	const uint8_t *nl;
	struct trace x, y;
	struct err e;
	size_t n;

	if ((nl = memchr(in, '\n', len < 255 ? len : 255)) == NULL)
		return 0;
	n = (size_t)(nl - in);
	memcpy(ct, in, n);
	ct[n] = '\0';
	if (mp_boundary(ct, b, &e) == -1)
		return 0;
	if (strlen(b) == 0 || strlen(b) > MP_BOUNDARY_MAX)
		abort();
	in += n + 1;
	len -= n + 1;
	run(b, in, len, NULL, 0, &x);
	run(b, in, len, in, len < 16 ? len : 16, &y);
	if (x.h != y.h || x.parts != y.parts)
		abort();
	return 0;
}
