/*
 * s3_http.c: the request and retry engine of the S3 client.
 *
 * Every request is a struct s3_xfer driven by the client's one curl multi
 * handle (connections and DNS are cached there and reused).  An attempt's
 * easy handle is reset and kept as the client's spare when it ends, for
 * the next attempt to take, so a client that sends one request after
 * another (imgq-recv's accept loop, s3put of many files) does not make
 * and free one per request; a second handle in use at the same time is
 * made and freed as before.  The options are all set again on every
 * attempt, and the connections live in the multi handle, so what a
 * failed attempt leaves (a broken connection is closed by curl, never
 * pooled) does not reach the next one.  Each attempt
 * is signed afresh; a finished attempt is settled: success, a final
 * error mapped to an exit code, a retry after a full-jitter backoff
 * (Retry-After honoured), or an immediate retry after learning the clock
 * offset or the bucket's region (once each).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "exitcode.h"
#include "log.h"
#include "s3_cred.h"
#include "s3_int.h"
#include "s3_xml.h"
#include "sys.h"

static int curl_ready;

void
s3_trace(struct s3 *s, int level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (s->c.trace == NULL || s->c.verbose < level)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->c.trace(s->c.trace_arg, line);
}

const char *
s3_key_esc(const char *key, char *buf, size_t size)
{
	return log_escape(key, strlen(key), buf, size);
}

void
s3_set_trace(struct s3 *s, int level, void (*fn)(void *, const char *),
    void *arg)
{
	s->c.verbose = level;
	s->c.trace = fn;
	s->c.trace_arg = arg;
}

const char *
s3_bucket(const struct s3 *s)
{
	return s->c.bucket;
}

static int
dns_safe(const char *b)
{
	size_t n = strlen(b), i;

	if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)b[i]) ||
		    isdigit((unsigned char)b[i]) || b[i] == '-'))
			return 0;
	return 1;
}

struct s3 *
s3_new(const struct s3_conf *c, struct err *e)
{
	struct s3 *s;

	if (c->bucket[0] == '\0') {
		err_set(e, EX_CONFIG, "no bucket: set AWS_BUCKET_NAME or "
		    "name it as s3://bucket/key");
		return NULL;
	}
	if (strchr(c->bucket, '/') != NULL) {
		err_set(e, EX_CONFIG, "bad bucket name '%s'", c->bucket);
		return NULL;
	}
	if (c->access_key[0] == '\0' || c->secret_key[0] == '\0') {
		err_set(e, EX_CONFIG, "no credentials");
		return NULL;
	}
	if (!curl_ready) {
		/*
		 * Without TLS (a plain http endpoint, no https proxy),
		 * curl's global init need not have OpenSSL register every
		 * cipher and digest by name, read its configuration and
		 * load its error strings: about a fifth of a small
		 * request's CPU.  Once run, these choices hold for the
		 * process (OpenSSL initialises once).
		 */
		if (strncasecmp(c->endpoint, "http://", 7) == 0 &&
		    (c->proxy[0] == '\0' ||
		    strncasecmp(c->proxy, "http://", 7) == 0))
			(void)OPENSSL_init_ssl(
			    OPENSSL_INIT_NO_ADD_ALL_CIPHERS |
			    OPENSSL_INIT_NO_ADD_ALL_DIGESTS |
			    OPENSSL_INIT_NO_LOAD_CONFIG |
			    OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS |
			    OPENSSL_INIT_NO_LOAD_SSL_STRINGS, NULL);
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			err_set(e, EX_OSERR, "curl_global_init failed");
			return NULL;
		}
		curl_ready = 1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	s->c = *c;
	if (s->c.path_style < 0)
		s->c.path_style = s->c.endpoint[0] != '\0' ||
		    !dns_safe(s->c.bucket);
	s->skew_s = c->clock_offset_s;
	memcpy(s->region, c->region[0] ? c->region : "us-east-1",
	    sizeof(s->region));
	s->region[sizeof(s->region) - 1] = '\0';
	if ((s->multi = curl_multi_init()) == NULL) {
		free(s);
		err_set(e, EX_OSERR, "curl_multi_init failed");
		return NULL;
	}
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	if (sys_random(&s->rng, sizeof(s->rng), NULL) == -1 || s->rng == 0)
		s->rng = 0x9e3779b97f4a7c15ULL ^ sys_now_ms();
	return s;
}

void
s3_free(struct s3 *s)
{
	if (s == NULL)
		return;
	while (s->active != NULL)
		s3_xfer_cancel(s->active);
	if (s->spare != NULL)
		curl_easy_cleanup(s->spare);
	curl_multi_cleanup(s->multi);
	sigv4_keycache_wipe(&s->keys);
	memset(s->c.secret_key, 0, sizeof(s->c.secret_key));
	memset(s->c.token, 0, sizeof(s->c.token));
	free(s);
}

static uint64_t
rnd(struct s3 *s)
{
	s->rng ^= s->rng << 13;
	s->rng ^= s->rng >> 7;
	s->rng ^= s->rng << 17;
	return s->rng;
}

void
s3_xfer_init(struct s3_xfer *x, struct s3 *s, const char *method,
    const char *key)
{
	memset(x, 0, sizeof(*x));
	x->s3 = s;
	x->method = method;
	x->key = key;
	x->resp_max = S3_ERRBODY_MAX;
	x->clen = -1;
}

void
s3_xfer_clean(struct s3_xfer *x)
{
	s3_xfer_cancel(x);
	buf_free(&x->resp);
	buf_free(&x->meta);
	buf_free(&x->url);
	buf_free(&x->sts);
	buf_free(&x->authz);
}

int
s3_xfer_header(struct s3_xfer *x, const char *name, const char *value)
{
	if (x->nhdrs >= S3_XFER_MAXHDR)
		return -1;
	x->hdrs[x->nhdrs++] = (struct sigv4_header){ name, value };
	return 0;
}

int
s3_xfer_param(struct s3_xfer *x, const char *name, const char *value)
{
	if (x->nparams >= S3_XFER_MAXPARAM)
		return -1;
	x->params[x->nparams++] = (struct sigv4_param){ name, value };
	return 0;
}

/* Callbacks. */
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

static void
hcopy(char *dst, size_t size, const char *v, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static size_t
header_cb(char *buf, size_t sz, size_t n, void *arg)
{
	struct s3_xfer *x = arg;
	size_t len = sz * n, nl, vl;
	const char *colon, *v;
	char num[24];

	if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
		/* A new answer (after a 100 Continue, too). */
		const char *sp = memchr(buf, ' ', len);

		x->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		x->etag[0] = x->date[0] = x->region_hdr[0] = '\0';
		x->ctype[0] = x->cache[0] = x->mtime[0] = '\0';
		x->clen = -1;
		x->retry_after_s = 0;
		buf_reset(&x->meta);
		return len;
	}
	if ((colon = memchr(buf, ':', len)) == NULL)
		return len;
	nl = (size_t)(colon - buf);
	v = colon + 1;
	while (v < buf + len && (*v == ' ' || *v == '\t'))
		v++;
	vl = (size_t)(buf + len - v);
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
	    v[vl - 1] == ' '))
		vl--;
#define IS(h) (nl == sizeof(h) - 1 && strncasecmp(buf, h, nl) == 0)
	if (IS("etag"))
		hcopy(x->etag, sizeof(x->etag), v, vl);
	else if (IS("date"))
		hcopy(x->date, sizeof(x->date), v, vl);
	else if (IS("x-amz-bucket-region"))
		hcopy(x->region_hdr, sizeof(x->region_hdr), v, vl);
	else if (IS("content-type"))
		hcopy(x->ctype, sizeof(x->ctype), v, vl);
	else if (IS("cache-control"))
		hcopy(x->cache, sizeof(x->cache), v, vl);
	else if (IS("last-modified"))
		hcopy(x->mtime, sizeof(x->mtime), v, vl);
	else if (IS("content-length")) {
		hcopy(num, sizeof(num), v, vl);
		x->clen = strtoll(num, NULL, 10);
	} else if (IS("retry-after")) {
		hcopy(num, sizeof(num), v, vl);
		x->retry_after_s = strtol(num, NULL, 10);
		if (x->retry_after_s < 0 || x->retry_after_s > 3600)
			x->retry_after_s = 0;
	} else if (nl > 11 && strncasecmp(buf, "x-amz-meta-", 11) == 0) {
		x->meta.max = 4000;
		if (buf_add(&x->meta, buf + 11, nl - 11) == 0 &&
		    buf_add(&x->meta, ": ", 2) == 0)
			(void)(buf_add(&x->meta, v, vl) == 0 &&
			    buf_addc(&x->meta, '\n'));
	}
#undef IS
	return len;
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

static const char *
region_of(const struct s3 *s)
{
	return s->region;
}

/* URL and host of an attempt. */
int
s3_http_url(struct s3_xfer *x, struct buf *path, struct buf *q,
    struct err *e)
{
	struct s3 *s = x->s3;
	const char *ep = s->c.endpoint, *scheme = "https", *auth;
	char host[300];
	int n;

	if (ep[0] != '\0') {
		auth = strstr(ep, "://");
		scheme = strncasecmp(ep, "http:", 5) == 0 ? "http" : "https";
		auth = auth ? auth + 3 : ep;
		n = snprintf(host, sizeof(host), "%s%s%.*s",
		    s->c.path_style ? "" : s->c.bucket,
		    s->c.path_style ? "" : ".", (int)strcspn(auth, "/"), auth);
	} else if (s->c.path_style)
		n = snprintf(host, sizeof(host), "s3.%s.amazonaws.com",
		    region_of(s));
	else
		n = snprintf(host, sizeof(host), "%s.s3.%s.amazonaws.com",
		    s->c.bucket, region_of(s));
	if (n < 0 || (size_t)n >= sizeof(host))
		return err_set(e, EX_CONFIG, "endpoint host too long");
	memcpy(x->hosthdr, host, (size_t)n + 1);
	if (s->c.path_style) {
		buf_addc(path, '/');
		buf_adds(path, s->c.bucket);
		if (x->key != NULL) {
			buf_addc(path, '/');
			buf_adds(path, x->key);
		}
	} else {
		buf_addc(path, '/');
		if (x->key != NULL)
			buf_adds(path, x->key);
	}
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

static int
append(struct curl_slist **sl, const char *line)
{
	struct curl_slist *n = curl_slist_append(*sl, line);

	if (n == NULL)
		return 0;
	*sl = n;
	return 1;
}

/* curl's upload buffer: the body's size, within these bounds */
#define UPLOAD_BUF_MIN	(64 * 1024)	/* curl's default */
#define UPLOAD_BUF_MAX	(512 * 1024)

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
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_PROXY, s->c.proxy);
	if (s->c.noproxy[0] != '\0')
		curl_easy_setopt(c, CURLOPT_NOPROXY, s->c.noproxy);
	if (s->c.ca_file[0] != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, s->c.ca_file);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	x->curlerr[0] = '\0';
	if (strcmp(x->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (x->has_body) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, x);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)x->body_len);
		/*
		 * A body up to 512 KiB leaves in one send, not in 64 KiB
		 * pieces the server wakes up for one by one.
		 */
		curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE,
		    (long)(x->body_len < UPLOAD_BUF_MIN ? UPLOAD_BUF_MIN :
		    x->body_len > UPLOAD_BUF_MAX ? UPLOAD_BUF_MAX :
		    x->body_len));
		if (strcmp(x->method, "PUT") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, x->method);
	} else if (strcmp(x->method, "GET") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, x->method);
}

/* Signs and hands one attempt to curl. */
static int
attempt(struct s3_xfer *x, struct err *e)
{
	struct s3 *s = x->s3;
	struct sigv4_header h[S3_XFER_MAXHDR + 4];
	struct sigv4_req r = { 0 };
	struct sigv4_creds cr;
	struct sigv4_scope sc;
	struct sigv4_trace tr = { NULL, NULL };
	struct buf path = { 0 }, q = { 0 }, line = { 0 }, creq = { 0 };
	size_t nh = 0, i;
	int rc = -1;

	if (s->c.cred_expiry != 0 && time(NULL) + 300 > s->c.cred_expiry &&
	    s3_cred_fetch(&s->c, e) == -1)
		return -1;
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
	if (s3_http_url(x, &path, &q, e) == -1)
		goto out;
	sc.t = time(NULL) + (time_t)s->skew_s;
	sc.region = region_of(s);
	sc.service = "s3";
	sigv4_amz_date(sc.t, x->amzdate);
	if (x->body_hash[0] == '\0') {
		if (s->c.unsigned_payload)
			memcpy(x->body_hash, SIGV4_UNSIGNED,
			    sizeof(SIGV4_UNSIGNED));
		else
			sigv4_sha256_hex(x->body != NULL ? x->body :
			    (const unsigned char *)"", x->body_len,
			    x->body_hash);
	}
	for (i = 0; i < x->nhdrs; i++)
		h[nh++] = x->hdrs[i];
	if (x->sunk > 0 || x->range_set) {
		uint64_t from = x->range_start + x->sunk;

		if (x->range_set && x->range_end != UINT64_MAX)
			(void)snprintf(x->rangehdr, sizeof(x->rangehdr),
			    "bytes=%llu-%llu", (unsigned long long)from,
			    (unsigned long long)x->range_end);
		else
			(void)snprintf(x->rangehdr, sizeof(x->rangehdr),
			    "bytes=%llu-", (unsigned long long)from);
		h[nh++] = (struct sigv4_header){ "range", x->rangehdr };
		if (x->sunk > 0 && x->first_etag[0] != '\0') {
			(void)snprintf(x->ifmatch, sizeof(x->ifmatch), "%s",
			    x->first_etag);
			h[nh++] = (struct sigv4_header){ "if-match",
			    x->ifmatch };
		}
	}
	h[nh++] = (struct sigv4_header){ "host", x->hosthdr };
	h[nh++] = (struct sigv4_header){ "x-amz-content-sha256",
	    x->body_hash };
	h[nh++] = (struct sigv4_header){ "x-amz-date", x->amzdate };
	if (s->c.token[0] != '\0')
		h[nh++] = (struct sigv4_header){ "x-amz-security-token",
		    s->c.token };
	r.method = x->method;
	r.path = path.p;
	r.params = x->params;
	r.nparams = x->nparams;
	r.headers = h;
	r.nheaders = nh;
	r.payload_hash = x->body_hash;
	cr.access_key = s->c.access_key;
	cr.secret_key = s->c.secret_key;
	cr.token = s->c.token[0] ? s->c.token : NULL;
	cr.keys = &s->keys;
	tr.sts = &x->sts;
	if (s->c.verbose >= 2)
		tr.creq = &creq;
	if (sigv4_sign(&r, &cr, &sc, &x->authz, NULL, &tr, e) == -1)
		goto out;
	if (s->c.verbose >= 2) {
		trace_text(s, "canonical request", buf_str(&creq));
		trace_text(s, "string to sign", buf_str(&x->sts));
	}
	curl_slist_free_all(x->sl);
	x->sl = NULL;
	for (i = 0; i < nh; i++) {
		buf_reset(&line);
		if (buf_addf(&line, "%s: %s", h[i].name, h[i].value) == -1)
			goto mem;
		if (h[i].value[0] == '\0')	/* "Name;" sends it empty */
			line.p[strlen(h[i].name)] = ';', line.p[strlen(
			    h[i].name) + 1] = '\0';
		if (!append(&x->sl, line.p))
			goto mem;
	}
	buf_reset(&line);
	if (buf_addf(&line, "Authorization: %s", x->authz.p) == -1 ||
	    !append(&x->sl, line.p) || !append(&x->sl, "Expect:") ||
	    !append(&x->sl, "Accept:"))
		goto mem;
	if (s->spare != NULL) {
		x->easy = s->spare;
		s->spare = NULL;
	} else if ((x->easy = curl_easy_init()) == NULL)
		goto mem;
	setup_easy(x);
	if (curl_multi_add_handle(s->multi, x->easy) != CURLM_OK) {
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
		err_set(e, EX_OSERR, "curl_multi_add_handle failed");
		goto out;
	}
	x->state = XS_RUNNING;
	s->nreq++;
	rc = 0;
	goto out;
mem:
	err_set(e, EX_OSERR, "out of memory");
out:
	if (line.p != NULL)
		memset(line.p, 0, line.len);
	buf_free(&line);
	buf_free(&path);
	buf_free(&q);
	buf_free(&creq);
	return rc;
}

static void
unlink_xfer(struct s3_xfer *x)
{
	struct s3_xfer **pp;

	for (pp = &x->s3->active; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			break;
		}
	x->next = NULL;
}

/*
 * Ends the attempt's use of its easy handle: reset (no option, callback
 * or pointer into x stays) and kept as the spare, or freed when there is
 * one already.
 */
static void
drop_easy(struct s3_xfer *x)
{
	struct s3 *s = x->s3;

	if (x->easy != NULL) {
		curl_multi_remove_handle(s->multi, x->easy);
		if (s->spare == NULL) {
			curl_easy_reset(x->easy);
			s->spare = x->easy;
		} else
			curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	curl_slist_free_all(x->sl);
	x->sl = NULL;
}

void
s3_xfer_cancel(struct s3_xfer *x)
{
	drop_easy(x);
	if (x->state == XS_RUNNING || x->state == XS_WAITING)
		unlink_xfer(x);
	if (x->state != XS_DONE)
		x->state = XS_IDLE;
}

static void
done(struct s3_xfer *x, int rc)
{
	drop_easy(x);
	unlink_xfer(x);
	x->rc = rc;
	x->state = XS_DONE;
}

static void
fail(struct s3_xfer *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct s3_xfer *x, int code, const char *fmt, ...)
{
	char msg[ERR_MSGLEN];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(&x->err, code, "%s", msg);
	done(x, -1);
}

/* What the request was, for messages: "PUT s3://bucket/key". */
static const char *
what(const struct s3_xfer *x, char *buf, size_t size)
{
	char k[300];

	size_t i;
	int n;

	n = snprintf(buf, size, "%s s3://%s/%s", x->method, x->s3->c.bucket,
	    x->key ? s3_key_esc(x->key, k, sizeof(k)) : "");
	for (i = 0; i < x->nparams && n >= 0 && (size_t)n < size; i++)
		if (strcmp(x->params[i].name, "partNumber") == 0)
			(void)snprintf(buf + n, size - (size_t)n, " part %s",
			    x->params[i].value);
	return buf;
}

static void
retry(struct s3_xfer *x, int now, const char *why)
{
	struct s3 *s = x->s3;
	uint64_t t = sys_now_ms(), cap, delay;
	char w[400];
	int shift;

	(void)snprintf(x->lasterr, sizeof(x->lasterr), "%s", why);
	drop_easy(x);
	if (now) {
		s3_trace(s, 1, "%s: retrying at once: %s", what(x, w,
		    sizeof(w)), why);
		x->next_at = t;
		x->state = XS_WAITING;
		return;
	}
	if (x->attempt >= s->c.attempts) {
		fail(x, EX_TEMPFAIL, "%s: %s (gave up after %d attempts)",
		    what(x, w, sizeof(w)), why, x->attempt);
		return;
	}
	shift = x->attempt - 1 > 30 ? 30 : x->attempt - 1;
	cap = (uint64_t)s->c.backoff_base_ms << shift;
	if (cap > (uint64_t)s->c.backoff_cap_ms)
		cap = (uint64_t)s->c.backoff_cap_ms;
	delay = rnd(s) % (cap + 1);
	if ((uint64_t)x->retry_after_s * 1000 > delay)
		delay = (uint64_t)x->retry_after_s * 1000;
	if (t + delay - x->t0 > (uint64_t)s->c.retry_time_ms) {
		fail(x, EX_TEMPFAIL, "%s: %s (gave up after %d attempts in "
		    "%llu ms)", what(x, w, sizeof(w)), why, x->attempt,
		    (unsigned long long)(t - x->t0));
		return;
	}
	s3_trace(s, 1, "%s: %s; retry %d in %llu ms", what(x, w, sizeof(w)),
	    why, x->attempt, (unsigned long long)delay);
	x->next_at = t + delay;
	x->state = XS_WAITING;
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

static int
code_is(const char *code, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(code, *list) == 0)
			return 1;
	return 0;
}

static void
settle_status(struct s3_xfer *x, long status)
{
	static const char *const transient[] = { "SlowDown", "InternalError",
	    "RequestTimeout", "ServiceUnavailable", "Throttling",
	    "ThrottlingException", "RequestLimitExceeded", NULL };
	struct s3 *s = x->s3;
	struct s3_xml_error xe;
	struct err pe;
	const char *reg;
	char w[400], why[700], sts[1100];
	time_t server;
	int code;

	memset(&xe, 0, sizeof(xe));
	if (x->resp.len > 0)
		(void)s3_xml_error(x->resp.p, x->resp.len, &xe, &pe);
	if (status >= 200 && status < 300 && x->error_in_200 &&
	    xe.code[0] != '\0') {
		(void)snprintf(why, sizeof(why), "%ld %s: %s", status,
		    xe.code, xe.message);
		retry(x, 0, why);
		return;
	}
	if ((status >= 200 && status < 300) || status == 304) {
		done(x, 0);
		return;
	}
	(void)snprintf(why, sizeof(why), "%ld %s%s%s", status,
	    xe.code[0] ? xe.code : "", xe.message[0] ? ": " : "",
	    xe.message);
	if (!x->skew_done && (strcmp(xe.code, "RequestTimeTooSkewed") == 0 ||
	    strcmp(xe.code, "RequestExpired") == 0) && x->date[0] != '\0' &&
	    s3_http_date(x->date, &server) == 0) {
		s->skew_s = (long long)(server - time(NULL));
		if (s->skew_s > -2 && s->skew_s < 2)
			s->skew_s = 0;
		x->skew_done = 1;
		s3_trace(s, 1, "clock offset from the server: %lld s",
		    s->skew_s);
		retry(x, 1, why);
		return;
	}
	reg = xe.region[0] ? xe.region : x->region_hdr;
	if (!x->region_done && reg[0] != '\0' && strcmp(reg, s->region) != 0
	    && strlen(reg) < sizeof(s->region) && (status == 301 ||
	    status == 307 || (status == 400 && strcmp(xe.code,
	    "AuthorizationHeaderMalformed") == 0) || (status == 403 &&
	    x->resp.len == 0))) {
		s3_trace(s, 1, "bucket %s is in region %s, not %s",
		    s->c.bucket, reg, s->region);
		memcpy(s->region, reg, strlen(reg) + 1);
		x->region_done = 1;
		retry(x, 1, why);
		return;
	}
	if (status == 429 || status == 500 || status == 502 || status == 503
	    || status == 504 || code_is(xe.code, transient)) {
		retry(x, 0, why);
		return;
	}
	switch (status) {
	case 404:
		code = EX_NOINPUT;
		if (xe.code[0] == '\0')
			(void)snprintf(why, sizeof(why), "404 %s",
			    x->key ? "no such key" : "no such bucket");
		break;
	case 401: case 403: code = EX_NOPERM; break;
	case 412:
		/* A resumed GET whose object changed under it. */
		code = x->sunk > 0 ? EX_TEMPFAIL : EX_NEGATIVE;
		if (x->sunk > 0)
			(void)snprintf(why, sizeof(why), "412: the object "
			    "changed during the transfer");
		break;
	case 301: case 307: case 501: code = EX_CONFIG; break;
	default: code = status >= 500 ? EX_TEMPFAIL : EX_DATAERR; break;
	}
	if (strcmp(xe.code, "SignatureDoesNotMatch") == 0 && xe.sts[0]) {
		log_escape(xe.sts, strlen(xe.sts), sts, sizeof(sts));
		s3_trace(s, 1, "server's string to sign: %s", sts);
		log_escape(x->sts.p, x->sts.len, sts, sizeof(sts));
		s3_trace(s, 1, "our string to sign: %s", sts);
		fail(x, code, "%s: %s (server signed '%s', we signed '%s')",
		    what(x, w, sizeof(w)), why, xe.sts, buf_str(&x->sts));
		return;
	}
	fail(x, code, "%s: %s", what(x, w, sizeof(w)), why);
}

static void
settle(struct s3_xfer *x, CURLcode cc)
{
	struct s3 *s = x->s3;
	long status = 0;
	char w[400], why[400];

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	s3_trace(s, 1, "%s -> %ld%s%s in %llu ms (attempt %d)",
	    what(x, w, sizeof(w)), status, cc ? ", " : "",
	    cc ? curl_easy_strerror(cc) : "",
	    (unsigned long long)(sys_now_ms() - x->t_attempt), x->attempt);
	if (x->sink_failed) {
		if (x->sink_err.code == EX_TEMPFAIL) {
			retry(x, 0, x->sink_err.msg);
			return;
		}
		x->err = x->sink_err;
		done(x, -1);
		return;
	}
	if (x->resp_over) {
		fail(x, EX_PROTOCOL, "%s: answer larger than %zu bytes",
		    what(x, w, sizeof(w)), x->resp_max);
		return;
	}
	if (cc != CURLE_OK) {
		(void)snprintf(why, sizeof(why), "%s", x->curlerr[0] ?
		    x->curlerr : curl_easy_strerror(cc));
		switch (cc) {
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
			fail(x, EX_CONFIG, "%s: %s", what(x, w, sizeof(w)), why);
			return;
		case CURLE_OUT_OF_MEMORY:
			fail(x, EX_OSERR, "%s: %s", what(x, w, sizeof(w)), why);
			return;
		default:
			retry(x, 0, why);
			return;
		}
	}
	settle_status(x, status);
}

static int
collect(struct s3 *s)
{
	struct s3_xfer *x;
	CURLMsg *m;
	int left, n = 0;

	while ((m = curl_multi_info_read(s->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x == NULL)
			continue;
		settle(x, m->data.result);
		n += x->state == XS_DONE;
	}
	return n;
}

static int
start_due(struct s3 *s, long *wait)
{
	struct s3_xfer *x, *next;
	uint64_t now = sys_now_ms();
	int n = 0;

	for (x = s->active; x != NULL; x = next) {
		next = x->next;
		if (x->state != XS_WAITING)
			continue;
		if (x->next_at > now) {
			if ((long)(x->next_at - now) < *wait)
				*wait = (long)(x->next_at - now);
			continue;
		}
		if (attempt(x, &x->err) == -1) {
			done(x, -1);
			n++;
		}
	}
	return n;
}

int
s3_drive(struct s3 *s, int timeout_ms, int fd, int *ready, struct err *e)
{
	struct curl_waitfd wfd;
	long wait = timeout_ms < 0 ? 60000 : timeout_ms;
	int running, n, ndone;

	if (ready != NULL)
		*ready = 0;
	ndone = start_due(s, &wait);
	if (curl_multi_perform(s->multi, &running) != CURLM_OK)
		return err_set(e, EX_OSERR, "curl_multi_perform failed");
	ndone += collect(s);
	if (ndone > 0)
		return ndone;
	wait = timeout_ms < 0 ? 60000 : timeout_ms;
	(void)start_due(s, &wait);
	memset(&wfd, 0, sizeof(wfd));
	wfd.fd = fd;
	wfd.events = CURL_WAIT_POLLIN;
	if (curl_multi_poll(s->multi, fd >= 0 ? &wfd : NULL, fd >= 0 ? 1 : 0,
	    (int)wait, &n) != CURLM_OK)
		return err_set(e, EX_OSERR, "curl_multi_poll failed");
	if (fd >= 0 && ready != NULL && wfd.revents != 0)
		*ready = 1;
	if (curl_multi_perform(s->multi, &running) != CURLM_OK)
		return err_set(e, EX_OSERR, "curl_multi_perform failed");
	ndone += start_due(s, &wait);
	return ndone + collect(s);
}

int
s3_run(struct s3 *s, int timeout_ms, struct err *e)
{
	return s3_drive(s, timeout_ms, -1, NULL, e) == -1 ? -1 : 0;
}

int
s3_xfer_start(struct s3_xfer *x, struct err *e)
{
	x->t0 = sys_now_ms();
	x->attempt = 0;
	x->rc = 0;
	err_clear(&x->err);
	x->next = x->s3->active;
	x->s3->active = x;
	x->state = XS_WAITING;
	if (attempt(x, &x->err) == -1) {
		done(x, -1);
		if (e != NULL)
			*e = x->err;
		return -1;
	}
	return 0;
}

int
s3_xfer_run(struct s3_xfer *x, struct err *e)
{
	if (s3_xfer_start(x, e) == -1)
		return -1;
	while (x->state != XS_DONE)
		if (s3_drive(x->s3, 1000, -1, NULL, e) == -1) {
			s3_xfer_cancel(x);
			return -1;
		}
	if (x->rc == -1 && e != NULL)
		*e = x->err;
	return x->rc;
}
