/*
 * s3_req.c: one attempt of a request, built and signed afresh (a retry
 * may come with fresh credentials, a corrected clock or another region)
 * and handed to the client's curl multi handle.
 *
 * The attempt takes the client's spare easy handle when there is one,
 * and sets every option again: what a failed attempt leaves behind (a
 * broken connection is closed by curl, never pooled) does not reach the
 * next one.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "exitcode.h"
#include "log.h"
#include "s3_cred.h"
#include "s3_int.h"
#include "sys.h"

/* curl's upload buffer: the body's size, within these bounds */
#define UPLOAD_BUF_MIN	(64 * 1024)	/* curl's default */
#define UPLOAD_BUF_MAX	(512 * 1024)

static int
add_pair(struct sigv4_pair *list, size_t *n, size_t max, const char *name,
    const char *value)
{
	if (*n >= max)
		return -1;
	list[(*n)++] = (struct sigv4_pair){ name, value };
	return 0;
}

int
s3_xfer_header(struct s3_xfer *x, const char *name, const char *value)
{
	return add_pair(x->hdrs, &x->nhdrs, S3_XFER_MAXHDR, name, value);
}

int
s3_xfer_param(struct s3_xfer *x, const char *name, const char *value)
{
	return add_pair(x->params, &x->nparams, S3_XFER_MAXPARAM, name,
	    value);
}

static size_t
read_cb(char *buf, size_t sz, size_t n, void *arg)
{
	struct s3_xfer *x = arg;
	size_t left = x->body_len - x->body_off;

	if (left > sz * n)
		left = sz * n;
	if (left != 0)
		memcpy(buf, x->body + x->body_off, left);
	x->body_off += left;
	return left;
}

static int
seek_cb(void *arg, curl_off_t off, int origin)
{
	struct s3_xfer *x = arg;

	if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->body_off = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

/* The host of the request: the endpoint's, or AWS's for the region. */
static int
host_of(const struct s3 *s, char *host, size_t size)
{
	const char *ep = s->c.endpoint, *auth;

	if (ep[0] != '\0') {
		auth = strstr(ep, "://");
		auth = auth ? auth + 3 : ep;
		return snprintf(host, size, "%s%s%.*s",
		    s->c.path_style ? "" : s->c.bucket,
		    s->c.path_style ? "" : ".", (int)strcspn(auth, "/"), auth);
	}
	if (s->c.path_style)
		return snprintf(host, size, "s3.%s.amazonaws.com", s->region);
	return snprintf(host, size, "%s.s3.%s.amazonaws.com", s->c.bucket,
	    s->region);
}

int
s3_http_url(struct s3_xfer *x, struct buf *path, struct buf *q,
    struct err *e)
{
	struct s3 *s = x->s3;
	const char *ep = s->c.endpoint, *scheme = "https";
	char host[300];
	int n;

	if (ep[0] != '\0' && strncasecmp(ep, "http:", 5) == 0)
		scheme = "http";
	n = host_of(s, host, sizeof(host));
	if (n < 0 || (size_t)n >= sizeof(host))
		return err_set(e, EX_CONFIG, "endpoint host too long");
	memcpy(x->hosthdr, host, (size_t)n + 1);
	buf_addc(path, '/');
	if (s->c.path_style) {
		buf_adds(path, s->c.bucket);
		if (x->key != NULL)
			buf_addc(path, '/');
	}
	if (x->key != NULL)
		buf_adds(path, x->key);
	buf_reset(&x->url);
	if (buf_addf(&x->url, "%s://%s", scheme, host) == -1 ||
	    sigv4_uri_encode(&x->url, path->p, path->len, 1) == -1 ||
	    sigv4_canonical_query(x->params, x->nparams, q, e) == -1 ||
	    (q->len > 0 && (buf_addc(&x->url, '?') == -1 ||
	    buf_add(&x->url, q->p, q->len) == -1)) || path->over)
		return err_set(e, EX_OSERR, "out of memory");
	return 0;
}

static void
trace_text(struct s3 *s, const char *what, const char *text)
{
	const char *p = text, *nl;
	char esc[1024];
	size_t n;

	while (*p != '\0' || p == text) {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n > 21 && strncmp(p, "x-amz-security-token:", 21) == 0)
			s3_trace(s, 2, "%s: x-amz-security-token:(hidden)",
			    what);
		else
			s3_trace(s, 2, "%s: %s", what,
			    log_escape(p, n, esc, sizeof(esc)));
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

static void
setup_body(struct s3_xfer *x, CURL *c)
{
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, x);
	curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb);
	curl_easy_setopt(c, CURLOPT_SEEKDATA, x);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->body_len);
	/*
	 * A body up to UPLOAD_BUF_MAX leaves in one send, not in pieces of
	 * curl's default size that the server wakes up for one by one.
	 */
	curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE,
	    (long)(x->body_len < UPLOAD_BUF_MIN ? UPLOAD_BUF_MIN :
	    x->body_len > UPLOAD_BUF_MAX ? UPLOAD_BUF_MAX : x->body_len));
}

static void
setup_easy(struct s3_xfer *x)
{
	struct s3 *s = x->s3;
	CURL *c = x->easy;

	curl_easy_setopt(c, CURLOPT_URL, x->url.p);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->sl);
	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	/* S3 speaks HTTP/1.1; the static build has no HTTP/2 */
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, s->c.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME,
	    (s->c.stall_timeout_ms + 999) / 1000);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, x->curlerr);
	s3_resp_setopt(x, c);
	curl_easy_setopt(c, CURLOPT_PROXY, s->c.proxy);
	if (s->c.noproxy[0] != '\0')
		curl_easy_setopt(c, CURLOPT_NOPROXY, s->c.noproxy);
	if (s->c.ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, s->c.ca_file);
	else if (s->c.ca_path[0] != '\0') {
		/* the folder alone (s3_client.c: default_ca) */
		curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(c, CURLOPT_CAPATH, s->c.ca_path);
	}
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	x->curlerr[0] = '\0';
	if (strcmp(x->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (x->has_body) {
		setup_body(x, c);
		if (strcmp(x->method, "PUT") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, x->method);
	} else if (strcmp(x->method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, x->method);
}

/* The attempt's state back to before an answer. */
static void
fresh(struct s3_xfer *x)
{
	x->attempt++;
	x->t_attempt = sys_now_ms();
	x->status = 0;
	x->body_off = 0;
	x->resp_over = x->sink_failed = 0;
	x->resume_from = x->sunk;
	err_clear(&x->sink_err);
	buf_reset(&x->resp);
	x->resp.max = x->resp_max;
	buf_reset(&x->sts);
	buf_reset(&x->authz);
	if (x->body_hash[0] != '\0')
		return;
	if (x->s3->c.unsigned_payload)
		memcpy(x->body_hash, SIGV4_UNSIGNED, sizeof(SIGV4_UNSIGNED));
	else
		sigv4_sha256_hex(x->body != NULL ? x->body :
		    (const unsigned char *)"", x->body_len, x->body_hash);
}

/* Range and If-Match of a ranged or resumed GET into h; their count. */
static size_t
range_headers(struct s3_xfer *x, struct sigv4_pair *h)
{
	uint64_t from = x->range_start + x->sunk;
	size_t n = 0;

	if (x->sunk == 0 && !x->range_set)
		return 0;
	if (x->range_set && x->range_end != UINT64_MAX)
		(void)snprintf(x->rangehdr, sizeof(x->rangehdr),
		    "bytes=%llu-%llu", (unsigned long long)from,
		    (unsigned long long)x->range_end);
	else
		(void)snprintf(x->rangehdr, sizeof(x->rangehdr), "bytes=%llu-",
		    (unsigned long long)from);
	h[n++] = (struct sigv4_pair){ "range", x->rangehdr };
	if (x->sunk > 0 && x->first_etag[0] != '\0') {
		(void)snprintf(x->ifmatch, sizeof(x->ifmatch), "%s",
		    x->first_etag);
		h[n++] = (struct sigv4_pair){ "if-match", x->ifmatch };
	}
	return n;
}

/* Every header the attempt sends into h, signed; their count or -1. */
static int
sign(struct s3_xfer *x, const char *path, struct sigv4_pair *h,
    size_t *nh, struct err *e)
{
	struct s3 *s = x->s3;
	struct sigv4_req r = { 0 };
	struct sigv4_creds cr;
	struct sigv4_scope sc = { time(NULL) + (time_t)s->skew_s,
	    s->region, "s3" };
	struct sigv4_trace tr = { NULL, &x->sts };
	struct buf creq = { 0 };
	size_t n;
	int rc;

	sigv4_amz_date(sc.t, x->amzdate);
	memcpy(h, x->hdrs, x->nhdrs * sizeof(*h));
	n = x->nhdrs + range_headers(x, h + x->nhdrs);
	h[n++] = (struct sigv4_pair){ "host", x->hosthdr };
	h[n++] = (struct sigv4_pair){ "x-amz-content-sha256", x->body_hash };
	h[n++] = (struct sigv4_pair){ "x-amz-date", x->amzdate };
	if (s->c.token[0] != '\0')
		h[n++] = (struct sigv4_pair){ "x-amz-security-token",
		    s->c.token };
	r = (struct sigv4_req){ x->method, path, x->params, x->nparams, h, n,
	    x->body_hash };
	cr = (struct sigv4_creds){ s->c.access_key, s->c.secret_key,
	    s->c.token[0] ? s->c.token : NULL, &s->keys };
	if (s->c.verbose >= 2)
		tr.creq = &creq;
	if ((rc = sigv4_sign(&r, &cr, &sc, &x->authz, NULL, &tr, e)) == 0 &&
	    s->c.verbose >= 2) {
		trace_text(s, "canonical request", buf_str(&creq));
		trace_text(s, "string to sign", buf_str(&x->sts));
	}
	buf_free(&creq);
	*nh = n;
	return rc;
}

static int
append(struct curl_slist **sl, const char *line)
{
	struct curl_slist *n = curl_slist_append(*sl, line);

	if (n == NULL)
		return 0;
	*sl = n;
	return 1;
}

/* The headers as curl sends them; 0, or -1 when out of memory. */
static int
header_list(struct s3_xfer *x, const struct sigv4_pair *h, size_t nh)
{
	struct buf line = { 0 };
	size_t i;
	int ok = 1;

	curl_slist_free_all(x->sl);
	x->sl = NULL;
	for (i = 0; i < nh && ok; i++) {
		buf_reset(&line);
		if (buf_addf(&line, "%s: %s", h[i].name, h[i].value) == -1)
			ok = 0;
		else if (h[i].value[0] == '\0')	/* "Name;" sends it empty */
			line.p[strlen(h[i].name)] = ';', line.p[strlen(
			    h[i].name) + 1] = '\0';
		ok = ok && append(&x->sl, line.p);
	}
	buf_reset(&line);
	ok = ok && buf_addf(&line, "Authorization: %s", x->authz.p) == 0 &&
	    append(&x->sl, line.p) && append(&x->sl, "Expect:") &&
	    append(&x->sl, "Accept:");
	if (line.p != NULL)
		memset(line.p, 0, line.len);
	buf_free(&line);
	return ok ? 0 : -1;
}

/* The attempt on an easy handle of the client's multi handle. */
static int
hand_over(struct s3_xfer *x, struct err *e)
{
	struct s3 *s = x->s3;

	if (s->spare != NULL) {
		x->easy = s->spare;
		s->spare = NULL;
	} else if ((x->easy = curl_easy_init()) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	setup_easy(x);
	if (curl_multi_add_handle(s->multi, x->easy) != CURLM_OK) {
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
		return err_set(e, EX_OSERR, "curl_multi_add_handle failed");
	}
	x->state = XS_RUNNING;
	s->nreq++;
	return 0;
}

int
s3_req_start(struct s3_xfer *x, struct err *e)
{
	struct s3 *s = x->s3;
	struct sigv4_pair h[S3_XFER_MAXHDR + 6];
	struct buf path = { 0 }, q = { 0 };
	size_t nh;
	int rc = -1;

	if (s->c.cred_expiry != 0 && time(NULL) + 300 > s->c.cred_expiry &&
	    s3_cred_fetch(&s->c, e) == -1)
		return -1;
	fresh(x);
	if (s3_http_url(x, &path, &q, e) == 0 &&
	    sign(x, path.p, h, &nh, e) == 0) {
		if (header_list(x, h, nh) == -1)
			err_set(e, EX_OSERR, "out of memory");
		else
			rc = hand_over(x, e);
	}
	buf_free(&path);
	buf_free(&q);
	return rc;
}
