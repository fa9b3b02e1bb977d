/*
 * test_http.c: the HTTP request head parser and the chunked decoder.
 */
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "http.h"
#include "tap.h"

/* Parses s fed in fragments of step bytes; returns the feed result. */
static int
parse(struct http_parser *p, const char *s, size_t step, struct http_req *r,
    size_t *used, struct err *e)
{
	size_t len = strlen(s), off = 0, n, u;
	int rc = 0;

	http_parser_reset(p);
	*used = 0;
	while (off < len) {
		n = len - off < step ? len - off : step;
		rc = http_parser_feed(p, s + off, n, &u, r, e);
		off += u;
		if (rc != 0)
			break;
	}
	*used = off;
	return rc;
}

static int
status_of(const char *s, const struct http_limits *lim)
{
	struct http_parser *p;
	struct http_req r;
	struct err e;
	size_t used;
	int rc;

	err_clear(&e);
	p = http_parser_new(lim, &e);
	rc = parse(p, s, 7, &r, &used, &e);
	http_parser_free(p);
	if (rc == 1)
		return 0;
	if (rc == 0)
		return 1;	/* incomplete */
	return r.status;
}

static void
test_basic(void)
{
	struct http_limits lim;
	struct http_parser *p;
	struct http_req r;
	struct err e;
	size_t used, step;
	const char *req = "\r\nPOST /upload?x=1 HTTP/1.1\r\n"
	    "Host: a\r\nContent-Length: 5\r\nX-Thing:  v  v \r\n"
	    "Expect: 100-continue\r\n\r\nhello";

	http_limits_default(&lim);
	p = http_parser_new(&lim, &e);
	for (step = 1; step < 40; step += 6) {
		int rc = parse(p, req, step, &r, &used, &e);

		is_int(rc, 1, "head complete (fragments of %zu)", step);
		is_int(used, strlen(req) - 5, "body left unconsumed (%zu)",
		    step);
		is_str(r.method, "POST", "method (%zu)", step);
		is_str(r.target, "/upload?x=1", "target (%zu)", step);
		is_int(r.body, HTTP_BODY_LENGTH, "length body (%zu)", step);
		is_int(r.length, 5, "length (%zu)", step);
		is_str(http_field(&r, "x-thing"), "v  v", "value trimmed");
		is_int(r.keepalive, 1, "1.1 is keep-alive");
		is_int(r.expect100, 1, "expect 100-continue");
	}
	is_int(parse(p, "GET / HTTP/1.0\nConnection: Keep-Alive\n\n", 3, &r,
	    &used, &e), 1, "bare LF head");
	is_int(r.keepalive, 1, "1.0 keep-alive asked");
	is_int(r.body, HTTP_BODY_NONE, "no body");
	is_int(parse(p, "GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, "
	    "close\r\n\r\n", 5, &r, &used, &e), 1, "close token");
	is_int(r.keepalive, 0, "close honoured");
	is_int(parse(p, "GET http://h:80/a/b?q HTTP/1.1\r\nHost: h\r\n\r\n",
	    100, &r, &used, &e), 1, "absolute form");
	is_str(r.target, "/a/b?q", "absolute form reduced to path");
	is_int(parse(p, "PUT /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
	    "Chunked\r\n\r\n", 100, &r, &used, &e), 1, "chunked");
	is_int(r.body, HTTP_BODY_CHUNKED, "chunked body");
	http_parser_free(p);
}

static void
test_errors(void)
{
	struct http_limits lim;
	char big[20000];

	static const struct {
		const char	*req;
		int		 status;
		const char	*what;
	} bad[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 400, "no Host" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400,
		    "two Host" },
		{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP/2.0" },
		{ "GET / HTP/1.1\r\nHost: a\r\n\r\n", 400, "bad version" },
		{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "two spaces" },
		{ "GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad target" },
		{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400,
		    "space before colon" },
		{ "GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n", 400,
		    "obs-fold" },
		{ "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, "bare CR" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
		    "Content-Length: 2\r\n\r\n", 400, "conflicting lengths" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n"
		    "\r\n", 400, "negative length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: "
		    "99999999999999999999\r\n\r\n", 400, "huge length" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n", 400, "TE and CL" },
		{ "GET / HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: gzip\r\n\r\n", 501, "gzip coding" },
		{ "GET / HTTP/1.1\r\nHost: a\r\nX: \001\r\n\r\n", 400,
		    "control character" },
		{ "G\xc5T / HTTP/1.1\r\nHost: a\r\n\r\n", 400,
		    "a method byte above 0x7f" },
		{ "GET / HTTP/1.1\r\nHo\xa1st: a\r\n\r\n", 400,
		    "a field name byte above 0x7f" },
	};
	size_t i;

	http_limits_default(&lim);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(status_of(bad[i].req, &lim), bad[i].status, "%s",
		    bad[i].what);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /", 5);
	big[sizeof(big) - 1] = '\0';
	is_int(status_of(big, &lim), 414, "request line too long");
	memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
	is_int(status_of(big, &lim), 431, "field too long");
	lim.fields_max = 2;
	is_int(status_of("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n",
	    &lim), 431, "too many fields");
	is_int(status_of("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\n\r\n", &lim), 0,
	    "as many fields as allowed");
	http_limits_default(&lim);
	lim.head_max = 64;
	is_int(status_of("GET / HTTP/1.1\r\nHost: a\r\nA: 1111111111\r\n"
	    "B: 2222222222222222222\r\n\r\n", &lim), 431, "head too large");
	is_int(status_of("GET / HTTP/1.1\r\nHost: a\r\n", &lim), 1,
	    "incomplete head");
}

static void
dechunk(const char *in, size_t step, char *out, size_t outlen, int *rc,
    size_t *used)
{
	struct http_chunked c;
	struct err e;
	size_t len = strlen(in), off = 0, o = 0, n, u, dl;
	const void *d;

	http_chunked_init(&c, 64);
	*rc = 0;
	while (off < len && *rc == 0) {
		n = len - off < step ? len - off : step;
		*rc = http_chunked_feed(&c, in + off, n, &u, &d, &dl, &e);
		off += u;
		if (dl > 0 && o + dl < outlen) {
			memcpy(out + o, d, dl);
			o += dl;
		}
	}
	out[o] = '\0';
	*used = off;
}

static void
test_chunked(void)
{
	char out[256];
	size_t used, step;
	int rc;
	const char *in = "5;ext=1\r\nhello\r\nA\r\n, chunked!\r\n0\r\n"
	    "Trailer: x\r\n\r\nNEXT";

	for (step = 1; step < 20; step += 3) {
		dechunk(in, step, out, sizeof(out), &rc, &used);
		is_int(rc, 1, "chunked ends (%zu)", step);
		is_str(out, "hello, chunked!", "chunked data (%zu)", step);
		is_int(used, strlen(in) - 4, "stops after the body (%zu)",
		    step);
	}
	dechunk("3\nabc\n0\n\n", 2, out, sizeof(out), &rc, &used);
	is_int(rc, 1, "bare LF chunks");
	is_str(out, "abc", "bare LF data");
	dechunk("x\r\n", 5, out, sizeof(out), &rc, &used);
	is_int(rc, -1, "bad size");
	dechunk("3\r\nabcX\r\n", 5, out, sizeof(out), &rc, &used);
	is_int(rc, -1, "missing CRLF after data");
	dechunk("10000000000000000\r\n", 50, out, sizeof(out), &rc, &used);
	is_int(rc, -1, "size overflow");
	dechunk("\r\n", 5, out, sizeof(out), &rc, &used);
	is_int(rc, -1, "empty size");
}

static void
test_misc(void)
{
	const char *tchars = "!#$%&'*+-.^_`|~09azAZ";
	const char *not = "\"(),/:;<=>?@[\\]{} \t\x7f\x80\xff";
	size_t i;

	for (i = 0; tchars[i]; i++)
		ok(http_tchar((unsigned char)tchars[i]), "tchar '%c'",
		    tchars[i]);
	for (i = 0; not[i]; i++)
		ok(!http_tchar((unsigned char)not[i]), "not a tchar: 0x%02x",
		    (unsigned char)not[i]);
	ok(!http_tchar(0), "not a tchar: NUL");
	ok(!http_tchar('!' + 256), "not a tchar: out of range");
	ok(!http_tchar(-1), "not a tchar: EOF");
	ok(http_has_token("a, Keep-Alive ,b", "keep-alive"), "token found");
	ok(!http_has_token("keep-alivex", "keep-alive"), "no partial token");
	is_str(http_reason(431), "Request Header Fields Too Large", "reason");
}

int
main(void)
{
	test_basic();
	test_errors();
	test_chunked();
	test_misc();
	return tap_done();
}
