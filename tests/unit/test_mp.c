/*
 * test_mp.c: the streaming multipart/form-data parser.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "mp.h"
#include "tap.h"

/* What the callbacks saw: "[name|filename|type]data" per part. */
struct seen {
	char	buf[8192];
	size_t	len;
	int	open;
};

static void
add(struct seen *s, const void *d, size_t n)
{
	if (s->len + n < sizeof(s->buf)) {
		memcpy(s->buf + s->len, d, n);
		s->len += n;
		s->buf[s->len] = '\0';
	}
}

static int
on_begin(void *arg, const struct mp_part *p, struct err *e)
{
	struct seen *s = arg;
	char h[600];
	int n;

	(void)e;
	n = snprintf(h, sizeof(h), "[%s|%s|%s]", p->name,
	    p->filename ? p->filename : "-", p->type);
	if (n > 0 && (size_t)n < sizeof(h))
		add(s, h, (size_t)n);
	s->open = 1;
	return 0;
}

static int
on_data(void *arg, const void *d, size_t n, struct err *e)
{
	struct seen *s = arg;

	if (n == 3 && memcmp(d, "BAD", 3) == 0)
		return err_set(e, EX_TEMPFAIL, "callback refused");
	add(s, d, n);
	return 0;
}

static int
on_end(void *arg, struct err *e)
{
	struct seen *s = arg;

	(void)e;
	add(s, "$", 1);
	s->open = 0;
	return 0;
}

/* Feeds body in fragments of step bytes (0: sizes 1,2,3,... cycling). */
static int
run(const char *boundary, const char *body, size_t blen, size_t step,
    const struct mp_limits *lim, struct seen *s, struct err *e)
{
	struct mp_callbacks cb = { on_begin, on_data, on_end, NULL };
	struct mp *p;
	size_t off = 0, n, k = 1;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	cb.arg = s;
	err_clear(e);
	if ((p = mp_new(boundary, lim, &cb, e)) == NULL)
		return -1;
	while (off < blen && rc == 0) {
		n = step ? step : k;
		k = k % 13 + 1;
		if (n > blen - off)
			n = blen - off;
		rc = mp_feed(p, body + off, n, e);
		off += n;
	}
	if (rc == 0)
		rc = mp_finish(p, e);
	mp_free(p);
	return rc;
}

static void
test_parts(void)
{
	struct mp_limits lim;
	struct seen s;
	struct err e;
	size_t step;
	const char *body =
	    "preamble --XyZ not a delimiter\r\n"
	    "--XyZ\r\n"
	    "Content-Disposition: form-data; name=\"title\"\r\n\r\n"
	    "hello\r\n-- XyZ --XyZ is data\r\n"
	    "--XyZ  \r\n"
	    "content-disposition: form-data; name=f; "
	    "filename=\"a \\\"b\\\".jpg\"\r\n"
	    "Content-Type: image/jpeg\r\n\r\n"
	    "\r\r\n\n--Xy\r\n-XyZ--\r\n"
	    "--XyZ--\r\nepilogue --XyZ\r\n";
	const char *want = "[title|-|]hello\r\n-- XyZ --XyZ is data$"
	    "[f|a \"b\".jpg|image/jpeg]\r\r\n\n--Xy\r\n-XyZ--$";

	mp_limits_default(&lim);
	for (step = 0; step < 50; step += 7) {
		is_int(run("XyZ", body, strlen(body), step, &lim, &s, &e), 0,
		    "parsed (step %zu)", step);
		is_str(s.buf, want, "parts and data (step %zu)", step);
	}
	/* bare LF everywhere */
	body = "--b\nContent-Disposition: form-data; name=a\n\nx\ny\n--b--";
	is_int(run("b", body, strlen(body), 1, &lim, &s, &e), 0, "bare LF");
	is_str(s.buf, "[a|-|]x\ny$", "bare LF data");
	/* empty part */
	body = "--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "\r\n--b--\r\n";
	is_int(run("b", body, strlen(body), 3, &lim, &s, &e), 0, "empty part");
	is_str(s.buf, "[a|-|]$", "empty part data");
}

static void
test_errors(void)
{
	struct mp_limits lim;
	struct seen s;
	struct err e;
	char *big;
	size_t i, n;
	const char *cd = "Content-Disposition: form-data; name=a\r\n\r\n";
	char body[4096];

	mp_limits_default(&lim);
	n = (size_t)snprintf(body, sizeof(body), "--b\r\n%sdata", cd);
	is_int(run("b", body, n, 5, &lim, &s, &e), -1, "missing final boundary");
	is_str(e.msg, "missing final boundary", "its message");
	is_int(s.open, 1, "the part stayed open (caller aborts it)");
	n = (size_t)snprintf(body, sizeof(body), "--b\r\n%sdata\r\n--b", cd);
	is_int(run("b", body, n, 5, &lim, &s, &e), -1,
	    "delimiter without close");
	n = (size_t)snprintf(body, sizeof(body), "--b\r\n%sdata\r\n--bx\r\n",
	    cd);
	is_int(run("b", body, n, 5, &lim, &s, &e), -1, "missing final (bx)");
	n = (size_t)snprintf(body, sizeof(body), "--b x\r\n%s\r\n--b--", cd);
	is_int(run("b", body, n, 5, &lim, &s, &e), -1, "junk after delimiter");
	n = (size_t)snprintf(body, sizeof(body),
	    "--b\r\nContent-Type: x\r\n\r\nd\r\n--b--");
	is_int(run("b", body, n, 5, &lim, &s, &e), -1, "no disposition");
	n = (size_t)snprintf(body, sizeof(body),
	    "--b\r\nContent-Disposition: attachment\r\n\r\nd\r\n--b--");
	is_int(run("b", body, n, 5, &lim, &s, &e), -1, "not form-data");
	n = (size_t)snprintf(body, sizeof(body),
	    "--b\r\nContent-Disposition: form-data; name=a\r\n x\r\n\r\n--b--");
	is_int(run("b", body, n, 5, &lim, &s, &e), -1, "folded header");
	n = (size_t)snprintf(body, sizeof(body), "--b\r\n%sBAD\r\n--b--", cd);
	is_int(run("b", body, n, 100, &lim, &s, &e), -1, "callback error");
	is_int(e.code, EX_TEMPFAIL, "callback error kept");
	/* limits */
	lim.parts_max = 2;
	n = (size_t)snprintf(body, sizeof(body), "--b\r\n%s1\r\n--b\r\n%s2\r\n"
	    "--b\r\n%s3\r\n--b--", cd, cd, cd);
	is_int(run("b", body, n, 9, &lim, &s, &e), -1, "too many parts");
	is_str(e.msg, "too many parts", "its message");
	mp_limits_default(&lim);
	lim.filename_max = 8;
	n = (size_t)snprintf(body, sizeof(body), "--b\r\nContent-Disposition: "
	    "form-data; name=a; filename=\"123456789\"\r\n\r\nx\r\n--b--");
	is_int(run("b", body, n, 9, &lim, &s, &e), -1, "file name too long");
	is_str(e.msg, "file name too long", "its message");
	mp_limits_default(&lim);
	lim.headers_max = 2;
	n = (size_t)snprintf(body, sizeof(body), "--b\r\nA: 1\r\nB: 2\r\n%s"
	    "x\r\n--b--", cd);
	is_int(run("b", body, n, 9, &lim, &s, &e), -1, "too many headers");
	mp_limits_default(&lim);
	big = malloc(3000);
	memcpy(big, "--b\r\nX: ", 8);
	memset(big + 8, 'a', 2000);
	memcpy(big + 2008, "\r\n", 2);
	is_int(run("b", big, 2010, 100, &lim, &s, &e), -1, "header too long");
	is_str(e.msg, "part header too long", "its message");
	free(big);
	/* a huge preamble is skipped without buffering */
	n = 4u << 20;
	big = malloc(n + 200);
	for (i = 0; i < n; i++)
		big[i] = i % 97 == 0 ? '\n' : (char)('a' + i % 26);
	i = n + (size_t)snprintf(big + n, 200, "\r\n--b\r\n%sok\r\n--b--", cd);
	is_int(run("b", big, i, 65536, &lim, &s, &e), 0, "huge preamble");
	is_str(s.buf, "[a|-|]ok$", "data after a huge preamble");
	free(big);
}

static void
test_boundary(void)
{
	char b[MP_BOUNDARY_MAX + 1], ct[200];
	struct err e;
	const char *b70 = "0123456789012345678901234567890123456789"
	    "012345678901234567890123456789";

	ok(mp_boundary("multipart/form-data; boundary=abc", b, &e) == 0 &&
	    strcmp(b, "abc") == 0, "token boundary");
	ok(mp_boundary("Multipart/Form-Data; charset=utf-8; "
	    "boundary=\"a b:c\"", b, &e) == 0 && strcmp(b, "a b:c") == 0,
	    "quoted boundary");
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", b70);
	ok(mp_boundary(ct, b, &e) == 0 && strlen(b) == 70, "70 characters");
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%sx", b70);
	ok(mp_boundary(ct, b, &e) == -1, "71 characters refused");
	is_str(e.msg, "boundary longer than 70 characters", "its message");
	ok(mp_boundary("multipart/form-data", b, &e) == -1, "no boundary");
	ok(mp_boundary("multipart/form-data; boundary=", b, &e) == -1,
	    "empty boundary");
	ok(mp_boundary("multipart/form-data; boundary=\"a\\\"b\"", b, &e) ==
	    -1, "quote in boundary");
	ok(mp_boundary("multipart/mixed; boundary=a", b, &e) == -1,
	    "not form-data");
	ok(mp_boundary("multipart/form-data; boundary=\"ab \"", b, &e) == -1,
	    "trailing space");
	ok(mp_boundary(NULL, b, &e) == -1, "no type");
}

int
main(void)
{
	test_parts();
	test_errors();
	test_boundary();
	return tap_done();
}
