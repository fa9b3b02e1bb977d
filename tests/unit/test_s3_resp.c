/*
 * test_s3_resp.c: the S3 client's reading of an answer's head, one line
 * at a time as curl hands it over (s3_resp.c), and the bounded copies it
 * keeps (s3_text.h).
 */
#include <string.h>
#include <time.h>

#include "s3_int.h"
#include "s3_text.h"
#include "tap.h"

static void
split(void)
{
	static const struct {
		const char *line, *name, *value;
	} t[] = {
		{ "ETag: \"abc\"\r\n", "ETag", "\"abc\"" },
		{ "date:Tue, 01 Dec 2026 10:00:00 GMT\r\n", "date",
		    "Tue, 01 Dec 2026 10:00:00 GMT" },
		{ "X-Amz-Meta-A: \t two  words  \r\n", "X-Amz-Meta-A",
		    "two  words" },
		{ "Empty:\r\n", "Empty", "" },
		{ "Empty:   \r\n", "Empty", "" },
		{ "No-CR: v\n", "No-CR", "v" },
		{ "Colons: a:b:c\r\n", "Colons", "a:b:c" },
		{ "Tab-End: v\t\r\n", "Tab-End", "v\t" },
	};
	const char *n, *v;
	size_t i, nl, vl;
	char nb[64], vb[64];

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!ok(s3_hdr_split(t[i].line, strlen(t[i].line), &n, &nl,
		    &v, &vl) == 1, "split %zu: a field", i))
			continue;
		s3_copy(nb, sizeof(nb), n, nl);
		s3_copy(vb, sizeof(vb), v, vl);
		is_str(nb, t[i].name, "split %zu: name", i);
		is_str(vb, t[i].value, "split %zu: value", i);
	}
	ok(s3_hdr_split("\r\n", 2, &n, &nl, &v, &vl) == 0,
	    "split: the empty line is no field");
	ok(s3_hdr_split("HTTP/1.1 200 OK\r\n", 17, &n, &nl, &v, &vl) == 0,
	    "split: a status line is no field");
	ok(s3_hdr_split("a: b", 1, &n, &nl, &v, &vl) == 0,
	    "split: the colon beyond the length is not seen");
}

static void
feed(struct s3_xfer *x, const char *line)
{
	s3_resp_header(x, line, strlen(line));
}

static void
head(void)
{
	struct s3_xfer x;

	s3_xfer_init(&x, NULL, "GET", "k");
	feed(&x, "HTTP/1.1 100 Continue\r\n");
	is_int(x.status, 100, "head: 100 Continue");
	feed(&x, "ETag: \"stale\"\r\n");
	feed(&x, "HTTP/1.1 503 Slow Down\r\n");
	is_str(x.etag, "", "head: a new answer clears the last one's fields");
	feed(&x, "Retry-After: 7\r\n");
	feed(&x, "Content-Length: 1234567890123\r\n");
	feed(&x, "ETag: \"e1\"\r\n");
	feed(&x, "x-amz-bucket-region: eu-west-1\r\n");
	feed(&x, "Content-Type: image/png\r\n");
	feed(&x, "Cache-Control: max-age=60\r\n");
	feed(&x, "Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n");
	feed(&x, "x-amz-meta-Who: me\r\n");
	feed(&x, "X-AMZ-META-n: 2\r\n");
	feed(&x, "Date: Tue, 01 Dec 2026 10:00:05 GMT\r\n");
	feed(&x, "\r\n");
	is_int(x.status, 503, "head: status");
	is_int(x.retry_after_s, 7, "head: Retry-After");
	is_int(x.clen, 1234567890123LL, "head: Content-Length");
	is_str(x.etag, "\"e1\"", "head: ETag as sent");
	is_str(x.region_hdr, "eu-west-1", "head: bucket region");
	is_str(x.ctype, "image/png", "head: content type");
	is_str(x.cache, "max-age=60", "head: cache control");
	is_str(x.mtime, "Tue, 01 Dec 2026 10:00:00 GMT", "head: mtime");
	is_str(x.date, "Tue, 01 Dec 2026 10:00:05 GMT", "head: date");
	is_str(buf_str(&x.meta), "Who: me\nn: 2\n", "head: user metadata");
	feed(&x, "HTTP/1.1 200 OK\r\n");
	is_int(x.clen, -1, "head: no Content-Length yet");
	is_int(x.retry_after_s, 0, "head: no Retry-After yet");
	is_str(buf_str(&x.meta), "", "head: no metadata yet");
	feed(&x, "Retry-After: 3601\r\n");
	is_int(x.retry_after_s, 0, "head: Retry-After over an hour ignored");
	feed(&x, "Retry-After: -5\r\n");
	is_int(x.retry_after_s, 0, "head: negative Retry-After ignored");
	feed(&x, "Retry-After: Tue, 01 Dec 2026 10:00:05 GMT\r\n");
	is_int(x.retry_after_s, 0, "head: Retry-After as a date ignored");
	s3_xfer_clean(&x);
}

static void
text(void)
{
	char b[8], t[S3_ETAG_MAX];
	time_t when;

	s3_copy(b, sizeof(b), "0123456789", 10);
	is_str(b, "0123456", "copy: truncated to fit");
	s3_etag_unquote(t, sizeof(t), "\"abc-2\"");
	is_str(t, "abc-2", "unquote: quotes removed");
	s3_etag_unquote(t, sizeof(t), "abc");
	is_str(t, "abc", "unquote: no quotes, as is");
	s3_etag_unquote(t, sizeof(t), "\"");
	is_str(t, "\"", "unquote: one quote, as is");
	s3_etag_unquote(b, sizeof(b), "\"0123456789\"");
	is_str(b, "0123456", "unquote: truncated to fit");
	ok(s3_http_date("Tue, 01 Dec 2026 10:00:05 GMT", &when) == 0 &&
	    when == 1796119205, "date: RFC 1123");
	ok(s3_http_date("Tue, 01 Foo 2026 10:00:05 GMT", &when) == -1,
	    "date: bad month refused");
	ok(s3_http_date("yesterday", &when) == -1, "date: junk refused");
}

int
main(void)
{
	split();
	head();
	text();
	return tap_done();
}
