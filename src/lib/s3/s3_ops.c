/*
 * s3_ops.c: the single-request operations of the S3 client: HEAD, GET
 * (streamed, resumable), DELETE, DeleteObjects, ListObjectsV2 pages,
 * presigned URLs, and the bucket probe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "exitcode.h"
#include "s3_int.h"
#include "s3_xml.h"

#define LIST_MAX	(16 << 20)

static void
info_from(const struct s3_xfer *x, struct s3_objinfo *oi)
{
	if (oi == NULL)
		return;
	memset(oi, 0, sizeof(*oi));
	oi->size = x->clen >= 0 ? (uint64_t)x->clen : 0;
	(void)snprintf(oi->etag, sizeof(oi->etag), "%s", x->etag);
	(void)snprintf(oi->content_type, sizeof(oi->content_type), "%s",
	    x->ctype);
	(void)snprintf(oi->cache_control, sizeof(oi->cache_control), "%s",
	    x->cache);
	(void)snprintf(oi->meta, sizeof(oi->meta), "%s", buf_str(&x->meta));
	if (x->mtime[0] == '\0' || s3_http_date(x->mtime, &oi->mtime) == -1)
		oi->mtime = 0;
}

int
s3_head(struct s3 *s, const char *key, struct s3_objinfo *oi, struct err *e)
{
	struct s3_xfer x;
	int rc;

	s3_xfer_init(&x, s, "HEAD", key);
	if ((rc = s3_xfer_run(&x, e)) == 0)
		info_from(&x, oi);
	s3_xfer_clean(&x);
	return rc;
}

int
s3_ping(struct s3 *s, struct err *e)
{
	return s3_head(s, NULL, NULL, e);
}

int
s3_delete(struct s3 *s, const char *key, struct err *e)
{
	struct s3_xfer x;
	int rc;

	s3_xfer_init(&x, s, "DELETE", key);
	rc = s3_xfer_run(&x, e);
	s3_xfer_clean(&x);
	return rc;
}

int
s3_get(struct s3 *s, const char *key, const struct s3_get_opts *o,
    struct s3_objinfo *oi, struct err *e)
{
	struct s3_xfer x;
	char inm[S3_ETAG_MAX + 4];
	int rc;

	s3_xfer_init(&x, s, "GET", key);
	x.sink = o->sink;
	x.sink_arg = o->sink_arg;
	if (o->has_range) {
		x.range_set = 1;
		x.range_start = o->range_start;
		x.range_end = o->range_end;
	}
	if (o->if_none_match != NULL) {
		if (o->if_none_match[0] == '"')
			(void)snprintf(inm, sizeof(inm), "%s",
			    o->if_none_match);
		else
			(void)snprintf(inm, sizeof(inm), "\"%s\"",
			    o->if_none_match);
		s3_xfer_header(&x, "if-none-match", inm);
	}
	if ((rc = s3_xfer_run(&x, e)) == 0) {
		info_from(&x, oi);
		if (oi != NULL)
			oi->size = x.sunk;
		if (x.status == 304)
			rc = 1;
	}
	s3_xfer_clean(&x);
	return rc;
}

/* A listing's caller callback that stopped it, and why. */
struct cb_stop {
	struct err	 err;
	int		 stopped;
};

/*
 * Runs one page's request and hands the answer to parse (with ctx); a
 * page stopped by the caller's callback fails with that callback's err.
 */
static int
run_page(struct s3_xfer *x, int (*parse)(void *, const char *, size_t,
    struct err *), void *ctx, const struct cb_stop *st, struct err *e)
{
	int rc;

	if ((rc = s3_xfer_run(x, e)) == 0 &&
	    parse(ctx, x->resp.p, x->resp.len, e) == -1) {
		if (st->stopped && e != NULL)
			*e = st->err;
		rc = -1;
	}
	s3_xfer_clean(x);
	return rc;
}

struct list_ctx {
	int	(*cb)(void *, const struct s3_xml_entry *, struct err *);
	void	*arg;
	long	 left;		/* -1: no limit */
	struct cb_stop st;
	struct s3_xml_list page;
};

static int
list_adapter(void *arg, const struct s3_xml_entry *ent)
{
	struct list_ctx *l = arg;

	if (l->left == 0)
		return 0;
	if (l->left > 0)
		l->left--;
	if (l->cb(l->arg, ent, &l->st.err) == -1) {
		l->st.stopped = 1;
		return -1;
	}
	return 0;
}

static int
list_page(void *arg, const char *buf, size_t len, struct err *e)
{
	struct list_ctx *l = arg;

	return s3_xml_list(buf, len, 1, list_adapter, l, &l->page, e);
}

int
s3_list(struct s3 *s, const char *prefix, const char *delim, long max_keys,
    int (*cb)(void *, const struct s3_xml_entry *, struct err *), void *arg,
    struct err *e)
{
	struct list_ctx l;
	struct s3_xfer x;
	char token[1024] = "", mk[24];
	long want;

	memset(&l, 0, sizeof(l));
	l.cb = cb;
	l.arg = arg;
	l.left = max_keys > 0 ? max_keys : -1;
	do {
		s3_xfer_init(&x, s, "GET", NULL);
		x.resp_max = LIST_MAX;
		want = l.left < 0 || l.left > 1000 ? 1000 : l.left;
		(void)snprintf(mk, sizeof(mk), "%ld", want);
		s3_xfer_param(&x, "list-type", "2");
		s3_xfer_param(&x, "encoding-type", "url");
		s3_xfer_param(&x, "max-keys", mk);
		if (prefix != NULL && *prefix != '\0')
			s3_xfer_param(&x, "prefix", prefix);
		if (delim != NULL && *delim != '\0')
			s3_xfer_param(&x, "delimiter", delim);
		if (token[0] != '\0')
			s3_xfer_param(&x, "continuation-token", token);
		if (run_page(&x, list_page, &l, &l.st, e) == -1)
			return -1;
		if (l.page.truncated && l.page.next_token[0] == '\0')
			return err_set(e, EX_PROTOCOL, "listing truncated "
			    "without a continuation token");
		memcpy(token, l.page.next_token, sizeof(token));
	} while (l.page.truncated && l.left != 0);
	return 0;
}

struct upl_ctx {
	int	(*cb)(void *, const struct s3_xml_upload *, struct err *);
	void	*arg;
	struct cb_stop st;
	struct s3_xml_uploads page;
};

static int
upl_adapter(void *arg, const struct s3_xml_upload *u)
{
	struct upl_ctx *l = arg;

	if (l->cb(l->arg, u, &l->st.err) == -1) {
		l->st.stopped = 1;
		return -1;
	}
	return 0;
}

static int
upl_page(void *arg, const char *buf, size_t len, struct err *e)
{
	struct upl_ctx *l = arg;

	return s3_xml_uploads(buf, len, upl_adapter, l, &l->page, e);
}

int
s3_list_uploads(struct s3 *s, const char *prefix,
    int (*cb)(void *, const struct s3_xml_upload *, struct err *),
    void *arg, struct err *e)
{
	struct upl_ctx l;
	struct s3_xfer x;
	char key[sizeof(l.page.next_key)] = "";
	char id[sizeof(l.page.next_id)] = "";

	memset(&l, 0, sizeof(l));
	l.cb = cb;
	l.arg = arg;
	do {
		s3_xfer_init(&x, s, "GET", NULL);
		x.resp_max = LIST_MAX;
		s3_xfer_param(&x, "uploads", "");
		if (prefix != NULL && *prefix != '\0')
			s3_xfer_param(&x, "prefix", prefix);
		if (key[0] != '\0')
			s3_xfer_param(&x, "key-marker", key);
		if (id[0] != '\0')
			s3_xfer_param(&x, "upload-id-marker", id);
		if (run_page(&x, upl_page, &l, &l.st, e) == -1)
			return -1;
		if (l.page.truncated && l.page.next_key[0] == '\0')
			return err_set(e, EX_PROTOCOL, "upload listing "
			    "truncated without a next key marker");
		memcpy(key, l.page.next_key, sizeof(key));
		memcpy(id, l.page.next_id, sizeof(id));
	} while (l.page.truncated);
	return 0;
}

int
s3_abort_upload(struct s3 *s, const char *key, const char *upload_id,
    struct err *e)
{
	struct s3_xfer x;
	int rc;

	s3_xfer_init(&x, s, "DELETE", key);
	s3_xfer_param(&x, "uploadId", upload_id);
	rc = s3_xfer_run(&x, e);
	s3_xfer_clean(&x);
	return rc;
}

struct del_ctx {
	void	(*cb)(void *, const char *, const char *, const char *);
	void	*arg;
	int	 refused;
};

static int
del_adapter(void *arg, const char *key, const char *code, const char *msg)
{
	struct del_ctx *d = arg;

	d->refused++;
	if (d->cb != NULL)
		d->cb(d->arg, key, code, msg);
	return 0;
}

int
s3_delete_many(struct s3 *s, const char *const *keys, size_t n,
    void (*cb)(void *, const char *, const char *, const char *), void *arg,
    struct err *e)
{
	struct buf body = { 0 };
	struct s3_xfer x;
	struct del_ctx d = { cb, arg, 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char md5[64];
	long deleted;
	size_t i;
	int rc = -1;

	if (n == 0)
		return 0;
	if (n > 1000)
		return err_set(e, EX_SOFTWARE, "more than 1000 keys to delete");
	buf_adds(&body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	    "<Delete><Quiet>true</Quiet>");
	for (i = 0; i < n; i++) {
		buf_adds(&body, "<Object><Key>");
		s3_xml_escape(&body, keys[i]);
		buf_adds(&body, "</Key></Object>");
	}
	if (buf_adds(&body, "</Delete>") == -1 || body.over) {
		buf_free(&body);
		return err_set(e, EX_OSERR, "out of memory");
	}
	if (EVP_Digest(body.p, body.len, md, &mdlen, EVP_md5(), NULL) != 1 ||
	    EVP_EncodeBlock((unsigned char *)md5, md, (int)mdlen) <= 0) {
		buf_free(&body);
		return err_set(e, EX_SOFTWARE, "MD5 failed");
	}
	s3_xfer_init(&x, s, "POST", NULL);
	x.has_body = 1;
	x.body = (const unsigned char *)body.p;
	x.body_len = body.len;
	x.resp_max = LIST_MAX;
	s3_xfer_param(&x, "delete", "");
	s3_xfer_header(&x, "content-md5", md5);
	s3_xfer_header(&x, "content-type", "application/xml");
	if (s3_xfer_run(&x, e) == 0 &&
	    s3_xml_delete_result(x.resp.p, x.resp.len, del_adapter, &d,
	    &deleted, e) == 0)
		rc = d.refused;
	s3_xfer_clean(&x);
	buf_free(&body);
	return rc;
}

int
s3_presign(struct s3 *s, const char *method, const char *key, long expires_s,
    time_t now, char **url, struct err *e)
{
	struct sigv4_pair h;
	struct sigv4_req r = { 0 };
	struct sigv4_creds cr;
	struct sigv4_scope sc;
	struct buf q = { 0 }, u = { 0 };
	struct s3_xfer x;
	int rc = -1;

	*url = NULL;
	if (strcmp(method, "GET") != 0 && strcmp(method, "PUT") != 0 &&
	    strcmp(method, "HEAD") != 0 && strcmp(method, "DELETE") != 0)
		return err_set(e, EX_USAGE, "cannot presign method %s",
		    method);
	/* The URL of a request, built as for sending one. */
	s3_xfer_init(&x, s, method, key);
	{
		struct buf path = { 0 }, q0 = { 0 };

		if (s3_http_url(&x, &path, &q0, e) == -1) {
			buf_free(&path);
			buf_free(&q0);
			goto out;
		}
		h = (struct sigv4_pair){ "host", x.hosthdr };
		r.method = method;
		r.path = path.p;
		r.headers = &h;
		r.nheaders = 1;
		r.payload_hash = SIGV4_UNSIGNED;
		cr.access_key = s->c.access_key;
		cr.secret_key = s->c.secret_key;
		cr.token = s->c.token[0] ? s->c.token : NULL;
		cr.keys = &s->keys;
		sc.t = now;
		sc.region = s->region;
		sc.service = "s3";
		rc = sigv4_presign(&r, &cr, &sc, expires_s, 0, &q, NULL, NULL,
		    e);
		buf_free(&path);
		buf_free(&q0);
	}
	if (rc == 0) {
		if (buf_add(&u, x.url.p, x.url.len) == -1 ||
		    buf_addc(&u, '?') == -1 ||
		    buf_add(&u, q.p, q.len) == -1) {
			rc = err_set(e, EX_OSERR, "out of memory");
			goto out;
		}
		*url = buf_take(&u);
	}
out:
	s3_xfer_clean(&x);
	buf_free(&q);
	buf_free(&u);
	return rc;
}
