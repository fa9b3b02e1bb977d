/*
 * fuzz_http.c: the HTTP request head parser and chunked decoder, on a
 * keep-alive stream of requests.  The input is parsed twice, once whole
 * and once in fragments whose sizes come from the input itself; both
 * runs must see the same requests, bodies and errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct trace {
	uint64_t	h;
	int		requests;
};

/* Fragment sizes cycle through the input's first bytes. */
static size_t
frag(const uint8_t *in, size_t inlen, size_t *k, size_t whole)
{
	size_t n;

	if (whole || inlen == 0)
		return SIZE_MAX;
	n = (size_t)in[*k % (inlen < 8 ? inlen : 8)] % 17 + 1;
	(*k)++;
	return n;
}

static void
run(const uint8_t *in, size_t len, int whole, struct trace *t)
{
	struct http_limits lim;
	struct http_parser *p;
	struct http_chunked ch;
	struct http_req r;
	struct err e;
	const void *d;
	size_t off = 0, n, u, dl, k = 0, i;
	uint64_t left = 0;
	int rc, inbody = 0;

	memset(t, 0, sizeof(*t));
	http_limits_default(&lim);
	lim.head_max = 2048;
	lim.line_max = 512;
	lim.field_max = 256;
	lim.fields_max = 16;
	if ((p = http_parser_new(&lim, &e)) == NULL)
		abort();
	while (off < len) {
		n = frag(in, len, &k, whole);
		if (n > len - off)
			n = len - off;
		if (inbody == HTTP_BODY_LENGTH) {
			if (n > left)
				n = (size_t)left;
			fnv_mix(&t->h, in + off, n);
			off += n;
			if ((left -= n) == 0)
				inbody = 0;
			continue;
		}
		if (inbody == HTTP_BODY_CHUNKED) {
			rc = http_chunked_feed(&ch, in + off, n, &u, &d, &dl,
			    &e);
			if (u > n || (dl > 0 && ((const uint8_t *)d < in + off ||
			    (const uint8_t *)d + dl > in + off + u)))
				abort();
			fnv_mix(&t->h, d, dl);
			off += u;
			if (rc == -1) {
				fnv_mix(&t->h, "C", 1);
				break;
			}
			if (rc == 1)
				inbody = 0;
			continue;
		}
		rc = http_parser_feed(p, in + off, n, &u, &r, &e);
		if (u > n)
			abort();
		off += u;
		if (rc == -1) {
			if (r.status < 400 || r.status > 505)
				abort();
			fnv_mix(&t->h, &r.status, sizeof(r.status));
			break;
		}
		if (rc == 0)
			continue;
		t->requests++;
		fnv_mix(&t->h, r.method, strlen(r.method));
		fnv_mix(&t->h, r.target, strlen(r.target));
		for (i = 0; i < r.nfields; i++) {
			fnv_mix(&t->h, r.fields[i].name, strlen(r.fields[i].name));
			fnv_mix(&t->h, r.fields[i].value, strlen(r.fields[i].value));
		}
		(void)http_field(&r, "host");
		inbody = r.body;
		left = r.length;
		if (inbody == HTTP_BODY_LENGTH && left == 0)
			inbody = 0;
		if (inbody == HTTP_BODY_CHUNKED)
			http_chunked_init(&ch, 64);
		http_parser_reset(p);
	}
	http_parser_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	struct trace a, b;

	run(in, len, 1, &a);
	run(in, len, 0, &b);
	if (a.h != b.h || a.requests != b.requests)
		abort();
	return 0;
}
