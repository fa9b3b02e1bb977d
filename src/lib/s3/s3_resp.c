/*
 * s3_resp.c: the answer of an attempt as curl hands it over: head lines
 * into the transfer's fields, the body to the caller's sink or into a
 * bounded buffer, and the HTTP dates in it.
 *
 * The head is parsed here rather than by http.h, whose parser is for
 * requests a server receives: it wants the whole head and refuses what a
 * client should let pass (a control byte in a value we do not use).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exitcode.h"
#include "s3_int.h"
#include "s3_text.h"

int
s3_hdr_split(const char *line, size_t len, const char **name, size_t *nlen,
    const char **value, size_t *vlen)
{
	const char *colon, *v, *end = line + len;
	size_t vl;

	if ((colon = memchr(line, ':', len)) == NULL)
		return 0;
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	vl = (size_t)(end - v);
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
	    v[vl - 1] == ' '))
		vl--;
	*name = line;
	*nlen = (size_t)(colon - line);
	*value = v;
	*vlen = vl;
	return 1;
}

/* A new answer (a 100 Continue is one too): its status, fields cleared. */
static void
status_line(struct s3_xfer *x, const char *line, size_t len)
{
	const char *sp = memchr(line, ' ', len);

	x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
	x->etag[0] = x->date[0] = x->region_hdr[0] = '\0';
	x->ctype[0] = x->cache[0] = x->mtime[0] = '\0';
	x->clen = -1;
	x->retry_after_s = 0;
	buf_reset(&x->meta);
}

static void
meta(struct s3_xfer *x, const char *name, size_t nl, const char *v,
    size_t vl)
{
	x->meta.max = 4000;
	if (buf_add(&x->meta, name, nl) == 0 && buf_add(&x->meta, ": ", 2) == 0)
		(void)(buf_add(&x->meta, v, vl) == 0 &&
		    buf_addc(&x->meta, '\n'));
}

void
s3_resp_header(struct s3_xfer *x, const char *line, size_t len)
{
	const char *n, *v;
	size_t nl, vl;
	char num[24];

	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		status_line(x, line, len);
		return;
	}
	if (!s3_hdr_split(line, len, &n, &nl, &v, &vl))
		return;
#define IS(h) (nl == sizeof(h) - 1 && strncasecmp(n, h, nl) == 0)
	if (IS("etag"))
		s3_copy(x->etag, sizeof(x->etag), v, vl);
	else if (IS("date"))
		s3_copy(x->date, sizeof(x->date), v, vl);
	else if (IS("x-amz-bucket-region"))
		s3_copy(x->region_hdr, sizeof(x->region_hdr), v, vl);
	else if (IS("content-type"))
		s3_copy(x->ctype, sizeof(x->ctype), v, vl);
	else if (IS("cache-control"))
		s3_copy(x->cache, sizeof(x->cache), v, vl);
	else if (IS("last-modified"))
		s3_copy(x->mtime, sizeof(x->mtime), v, vl);
	else if (IS("content-length")) {
		s3_copy(num, sizeof(num), v, vl);
		x->clen = strtoll(num, NULL, 10);
	} else if (IS("retry-after")) {
		s3_copy(num, sizeof(num), v, vl);
		x->retry_after_s = strtol(num, NULL, 10);
		if (x->retry_after_s < 0 || x->retry_after_s > 3600)
			x->retry_after_s = 0;
	} else if (nl > 11 && strncasecmp(n, "x-amz-meta-", 11) == 0)
		meta(x, n + 11, nl - 11, v, vl);
#undef IS
}

static size_t
header_cb(char *buf, size_t sz, size_t n, void *arg)
{
	s3_resp_header(arg, buf, sz * n);
	return sz * n;
}

static size_t
write_cb(char *buf, size_t sz, size_t n, void *arg)
{
	struct s3_xfer *x = arg;
	size_t len = sz * n;

	if (x->sink != NULL && (x->status == 200 || x->status == 206)) {
		if (x->resume_from > 0 && x->status != 206) {
			err_set(&x->sink_err, EX_TEMPFAIL, "the server "
			    "ignored the Range of a resumed transfer");
			x->sink_failed = 1;
			return 0;
		}
		if (x->first_etag[0] == '\0')
			memcpy(x->first_etag, x->etag, sizeof(x->etag));
		if (x->sink(x->sink_arg, buf, len, &x->sink_err) == -1) {
			x->sink_failed = 1;
			return 0;
		}
		x->sunk += len;
		return len;
	}
	if (buf_add(&x->resp, buf, len) == -1) {
		x->resp_over = 1;
		return 0;
	}
	return len;
}

void
s3_resp_setopt(struct s3_xfer *x, CURL *c)
{
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
}

int
s3_http_date(const char *d, time_t *out)
{
	static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char m[4] = "", amz[40];
	int day, year, hh, mm, ss;
	const char *p;

	if (sscanf(d, "%*3s, %d %3s %d %d:%d:%d", &day, m, &year, &hh, &mm,
	    &ss) != 6 || (p = strstr(mon, m)) == NULL || strlen(m) != 3 ||
	    year < 1970 || year > 9999)
		return -1;
	(void)snprintf(amz, sizeof(amz), "%04d%02d%02dT%02d%02d%02dZ",
	    year % 10000, (int)((p - mon) / 3 + 1) % 100, day % 100, hh % 100,
	    mm % 100, ss % 100);
	return sigv4_parse_amz_date(amz, out);
}
