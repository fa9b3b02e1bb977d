/*
 * s3_upload.c: one object from a stream of writes (see s3.h).
 *
 * The first buffer grows up to the part size; if the stream ends there,
 * one PUT sends it.  When more comes, a multipart upload starts: each
 * full buffer becomes a part handed to the engine (several in flight on
 * the client's curl multi handle), kept until the server acknowledges it
 * so that a failed attempt re-sends that part alone.  Any failure aborts
 * the multipart upload.
 */
#define _DEFAULT_SOURCE		/* MAP_ANONYMOUS */
#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "s3_int.h"
#include "s3_text.h"
#include "s3_xml.h"
#include "sys.h"

#define MAX_INFLIGHT	64

struct part {
	int		 num;
	unsigned char	*buf;
	size_t		 len, cap;
	char		 num_s[16];
	struct s3_xfer	 x;
};

struct done_part {
	int	num;
	char	etag[S3_ETAG_MAX];
};

struct s3_upload {
	struct s3	*s3;
	char		*key;
	char		*ctype, *cache;
	char		*meta[2 * S3_META_MAX + 1];	/* header, value */
	int		 nmeta;
	int		 create_only;
	uint64_t	 base_part;	/* part size of the first parts */
	int		 fixed_part;	/* size known: no growth needed */
	unsigned char	*cur;
	size_t		 len, cap;
	unsigned char	*spare[MAX_INFLIGHT];	/* acknowledged parts' */
	size_t		 sparecap[MAX_INFLIGHT];
	int		 nspare;
	uint64_t	 total;
	int		 multipart;
	char		 upload_id[1024];
	struct part	*inflight[MAX_INFLIGHT];
	int		 ninflight;
	struct done_part *done;
	int		 ndone, capdone;
	int		 next_num;
	int		 failed;
	struct err	 ferr;
	enum { UP_FILLING, UP_PUT, UP_PUT_PLAIN, UP_PARTS, UP_DONE } phase;
	struct s3_xfer	 px;		/* the single PUT */
	char		 etag[S3_ETAG_MAX];
};

static int
nomem(struct err *e)
{
	return err_set(e, EX_OSERR, "out of memory");
}

/*
 * Part buffers are anonymous mappings of the whole part size: only the
 * pages written become resident (a 100 KiB upload costs 100 KiB), and a
 * freed buffer goes back to the system at once (no heap fragmentation
 * over a long stream).
 */
static unsigned char *
part_alloc(size_t size)
{
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void
part_free(unsigned char *p, size_t size)
{
	if (p != NULL)
		(void)munmap(p, size);
}

/*
 * An acknowledged part's buffer is kept for the next part: its pages are
 * resident already, so the next part is not paid again in page faults
 * and zeroing.  Buffers in use and kept never number more than the parts
 * in flight, so the memory bound holds.
 */
static void
keep(struct s3_upload *u, unsigned char *p, size_t cap)
{
	if (u->nspare < MAX_INFLIGHT) {
		u->spare[u->nspare] = p;
		u->sparecap[u->nspare++] = cap;
	} else
		part_free(p, cap);
}

static unsigned char *
take(struct s3_upload *u, size_t size)
{
	unsigned char *p;

	while (u->nspare > 0) {
		u->nspare--;
		p = u->spare[u->nspare];
		if (u->sparecap[u->nspare] == size)
			return p;
		part_free(p, u->sparecap[u->nspare]);	/* parts grew */
	}
	return part_alloc(size);
}

/* The size of part number n: doubles every 1000 parts (unknown size). */
static uint64_t
part_size(const struct s3_upload *u, int n)
{
	uint64_t ps = u->base_part;
	int shift = u->fixed_part ? 0 : (n - 1) / 1000;

	while (shift-- > 0 && ps < S3_MAX_PART)
		ps *= 2;
	return ps > S3_MAX_PART ? S3_MAX_PART : ps;
}

struct s3_upload *
s3_upload_new(struct s3 *s, const char *key, const struct s3_put_opts *o,
    struct err *e)
{
	struct s3_upload *u;
	size_t i;
	uint64_t need;

	if (key == NULL || *key == '\0' || strlen(key) > 1024) {
		err_set(e, EX_USAGE, "a key is 1 to 1024 bytes");
		return NULL;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->key = strdup(key)) == NULL)
		goto mem;
	u->s3 = s;
	u->next_num = 1;
	u->base_part = s->c.part_size;
	if (o != NULL && o->size_hint > 0) {
		need = (o->size_hint + S3_MAX_PARTS - 1) / S3_MAX_PARTS;
		need = (need + (1 << 20) - 1) & ~(uint64_t)((1 << 20) - 1);
		if (need > u->base_part)
			u->base_part = need;
		u->fixed_part = 1;
	}
	if (o == NULL)
		return u;
	u->create_only = o->create_only;
	if ((o->content_type != NULL &&
	    (u->ctype = strdup(o->content_type)) == NULL) ||
	    (o->cache_control != NULL &&
	    (u->cache = strdup(o->cache_control)) == NULL))
		goto mem;
	if (s3_put_opts_check(o, e) == -1) {
		s3_upload_abort(u);
		return NULL;
	}
	for (i = 0; o->meta != NULL && o->meta[i] != NULL; i += 2) {
		if ((u->meta[u->nmeta] = malloc(strlen(o->meta[i]) + 12)) ==
		    NULL)
			goto mem;
		s3_meta_hdr(o->meta[i], u->meta[u->nmeta++]);
		if ((u->meta[u->nmeta++] = strdup(o->meta[i + 1])) == NULL)
			goto mem;
	}
	return u;
mem:
	nomem(e);
	s3_upload_abort(u);
	return NULL;
}

static int
fail(struct s3_upload *u, const struct err *why, struct err *e)
{
	if (!u->failed) {
		u->failed = 1;
		u->ferr = *why;
	}
	if (e != NULL)
		*e = u->ferr;
	return -1;
}

static int
fail_exists(struct s3_upload *u, struct err *pe, struct err *e)
{
	char k[300];

	err_set(pe, EX_NEGATIVE, "PUT s3://%s/%s: the key exists "
	    "(create-only)", u->s3->c.bucket, s3_key_esc(u->key, k,
	    sizeof(k)));
	return fail(u, pe, e);
}

static int
start_multipart(struct s3_upload *u, struct err *e)
{
	struct s3_xfer x;
	struct err pe;
	int rc;

	if (u->create_only) {
		rc = s3_head(u->s3, u->key, NULL, &pe);
		if (rc == 0)
			return fail_exists(u, &pe, e);
		if (pe.code != EX_NOINPUT)
			return fail(u, &pe, e);
	}
	s3_xfer_init(&x, u->s3, "POST", u->key);
	x.has_body = 1;
	s3_xfer_param(&x, "uploads", "");
	s3_obj_headers(&x, u->ctype, u->cache,
	    (const char *const *)u->meta);
	rc = s3_xfer_run(&x, &pe);
	if (rc == 0 && s3_xml_upload_id(x.resp.p, x.resp.len, u->upload_id,
	    sizeof(u->upload_id), &pe) == -1)
		rc = -1;
	s3_xfer_clean(&x);
	if (rc == -1)
		return fail(u, &pe, e);
	u->multipart = 1;
	s3_trace(u->s3, 1, "multipart upload started");
	return 0;
}

/* Settles the parts that are done; -1 when one failed. */
static int
reap(struct s3_upload *u, struct err *e)
{
	struct done_part *d;
	struct part *p;
	int i, bad = 0;

	for (i = 0; i < u->ninflight; ) {
		p = u->inflight[i];
		if (p->x.state != XS_DONE) {
			i++;
			continue;
		}
		if (p->x.rc == 0 && p->x.etag[0] == '\0') {
			err_set(&p->x.err, EX_PROTOCOL, "part %d: no ETag in "
			    "the answer", p->num);
			p->x.rc = -1;
		}
		if (p->x.rc == 0) {
			if (u->ndone == u->capdone) {
				int cap = u->capdone ? u->capdone * 2 : 64;

				if ((d = realloc(u->done, (size_t)cap *
				    sizeof(*d))) == NULL) {
					struct err me;

					nomem(&me);
					fail(u, &me, NULL);
					bad = 1;
					goto next;
				}
				u->done = d;
				u->capdone = cap;
			}
			u->done[u->ndone].num = p->num;
			memcpy(u->done[u->ndone].etag, p->x.etag,
			    sizeof(p->x.etag));
			u->ndone++;
		} else {
			fail(u, &p->x.err, NULL);
			bad = 1;
		}
next:
		s3_xfer_clean(&p->x);
		keep(u, p->buf, p->cap);
		free(p);
		u->inflight[i] = u->inflight[--u->ninflight];
	}
	if (bad || u->failed) {
		if (e != NULL)
			*e = u->ferr;
		return -1;
	}
	return 0;
}

static int
drive(struct s3_upload *u, int timeout_ms, int fd, int *ready,
    struct err *e)
{
	struct err de;

	if (s3_drive(u->s3, timeout_ms, fd, ready, &de) == -1)
		return fail(u, &de, e);
	return reap(u, e);
}

/* Hands the current buffer over as the next part. */
static int
submit(struct s3_upload *u, struct err *e)
{
	struct part *p;

	/* The buffer filled next counts as one of the parts in flight. */
	while ((u->ninflight >= u->s3->c.parts_in_flight - 1 &&
	    u->ninflight > 0) || u->ninflight >= MAX_INFLIGHT)
		if (drive(u, 1000, -1, NULL, e) == -1)
			return -1;
	if (u->next_num > S3_MAX_PARTS) {
		struct err te;

		err_set(&te, EX_DATAERR, "more than %d parts", S3_MAX_PARTS);
		return fail(u, &te, e);
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		struct err me;

		nomem(&me);
		return fail(u, &me, e);
	}
	p->num = u->next_num++;
	p->buf = u->cur;
	p->len = u->len;
	p->cap = u->cap;
	u->cur = NULL;
	u->len = u->cap = 0;
	(void)snprintf(p->num_s, sizeof(p->num_s), "%d", p->num);
	s3_xfer_init(&p->x, u->s3, "PUT", u->key);
	p->x.has_body = 1;
	p->x.body = p->buf;
	p->x.body_len = p->len;
	s3_xfer_param(&p->x, "partNumber", p->num_s);
	s3_xfer_param(&p->x, "uploadId", u->upload_id);
	u->inflight[u->ninflight++] = p;
	if (s3_xfer_start(&p->x, NULL) == -1)
		return reap(u, e);
	return 0;
}

static int
space(struct s3_upload *u, int send_full, void **p, size_t *room,
    struct err *e)
{
	uint64_t ps;

	if (u->failed)
		return fail(u, &u->ferr, e);
	ps = part_size(u, u->next_num);
	if (u->len == ps && !send_full) {
		*room = 0;
		return 0;
	}
	if (u->len == ps) {
		if (!u->multipart && start_multipart(u, e) == -1)
			return -1;
		if (submit(u, e) == -1)
			return -1;
		ps = part_size(u, u->next_num);
	}
	if (u->cur == NULL) {
		if ((u->cur = take(u, (size_t)ps)) == NULL) {
			struct err me;

			nomem(&me);
			return fail(u, &me, e);
		}
		u->cap = (size_t)ps;
	}
	*p = u->cur + u->len;
	*room = (size_t)(ps - u->len);
	return 0;
}

int
s3_upload_space(struct s3_upload *u, void **p, size_t *room, struct err *e)
{
	return space(u, 0, p, room, e);
}

int
s3_upload_commit(struct s3_upload *u, size_t n, struct err *e)
{
	u->len += n;
	u->total += n;
	if (u->ninflight > 0)
		return drive(u, 0, -1, NULL, e);
	return 0;
}

int
s3_upload_write(struct s3_upload *u, const void *data, size_t n,
    struct err *e)
{
	const unsigned char *d = data;
	size_t room;
	void *p;

	while (n > 0) {
		if (space(u, 1, &p, &room, e) == -1)
			return -1;
		if (room > n)
			room = n;
		memcpy(p, d, room);
		u->len += room;
		u->total += room;
		d += room;
		n -= room;
	}
	if (u->failed)
		return fail(u, &u->ferr, e);
	if (u->ninflight > 0)
		return drive(u, 0, -1, NULL, e);
	return 0;
}

int
s3_upload_wait(struct s3_upload *u, int fd, int timeout_ms, struct err *e)
{
	uint64_t end = sys_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 :
	    timeout_ms);
	int ready = 0;

	if (u->failed)
		return fail(u, &u->ferr, e);
	while (u->ninflight > 0 && !ready) {
		if (drive(u, timeout_ms < 0 ? 1000 : timeout_ms, fd, &ready,
		    e) == -1)
			return -1;
		if (timeout_ms >= 0 && sys_now_ms() >= end)
			break;
	}
	return 0;
}

static int
cmp_done(const void *a, const void *b)
{
	const struct done_part *x = a, *y = b;

	return x->num - y->num;
}

static int
complete(struct s3_upload *u, char *etag, size_t etaglen, struct err *e)
{
	struct buf body = { 0 };
	struct s3_xfer x;
	struct err pe;
	char tag[S3_ETAG_MAX];
	int i, rc;

	qsort(u->done, (size_t)u->ndone, sizeof(*u->done), cmp_done);
	buf_adds(&body, "<CompleteMultipartUpload>");
	for (i = 0; i < u->ndone; i++) {
		buf_addf(&body, "<Part><PartNumber>%d</PartNumber><ETag>",
		    u->done[i].num);
		s3_xml_escape(&body, u->done[i].etag);
		buf_adds(&body, "</ETag></Part>");
	}
	if (buf_adds(&body, "</CompleteMultipartUpload>") == -1 ||
	    body.over) {
		buf_free(&body);
		nomem(&pe);
		return fail(u, &pe, e);
	}
	s3_xfer_init(&x, u->s3, "POST", u->key);
	x.has_body = 1;
	x.body = (const unsigned char *)body.p;
	x.body_len = body.len;
	x.error_in_200 = 1;
	s3_xfer_param(&x, "uploadId", u->upload_id);
	s3_xfer_header(&x, "content-type", "application/xml");
	rc = s3_xfer_run(&x, &pe);
	if (rc == 0 && s3_xml_complete(x.resp.p, x.resp.len, tag,
	    sizeof(tag), &pe) == -1)
		rc = -1;
	s3_xfer_clean(&x);
	buf_free(&body);
	if (rc == -1)
		return fail(u, &pe, e);
	if (etag != NULL && etaglen > 0)
		s3_etag_unquote(etag, etaglen, tag);
	return 0;
}

/* Starts the single PUT (conditional: If-None-Match: *). */
static int
put_start(struct s3_upload *u, int conditional, struct err *e)
{
	struct s3_xfer *x = &u->px;
	struct err pe;

	s3_xfer_init(x, u->s3, "PUT", u->key);
	x->has_body = 1;
	x->body = u->cur != NULL ? u->cur : (const unsigned char *)"";
	x->body_len = u->len;
	s3_obj_headers(x, u->ctype, u->cache,
	    (const char *const *)u->meta);
	if (conditional)
		s3_xfer_header(x, "if-none-match", "*");
	u->phase = conditional ? UP_PUT : UP_PUT_PLAIN;
	if (s3_xfer_start(x, &pe) == -1) {
		s3_xfer_clean(x);
		return fail(u, &pe, e);
	}
	return 0;
}

int
s3_upload_close(struct s3_upload *u, struct err *e)
{
	if (u->failed)
		return fail(u, &u->ferr, e);
	if (u->phase != UP_FILLING)
		return 0;
	if (!u->multipart)
		return put_start(u, u->create_only, e);
	if (u->len > 0 && submit(u, e) == -1)
		return -1;
	u->phase = UP_PARTS;
	return 0;
}

/* The single PUT is done: settle it. */
static int
put_settle(struct s3_upload *u, struct err *e)
{
	struct s3_xfer *x = &u->px;
	struct err pe = x->err;
	long status = x->status;
	int rc = x->rc;

	if (rc == 0)
		s3_etag_unquote(u->etag, sizeof(u->etag), x->etag);
	s3_xfer_clean(x);
	if (rc == 0) {
		u->phase = UP_DONE;
		return 1;
	}
	if (u->phase == UP_PUT && status == 501) {
		/*
		 * No conditional PUT here (Swift's S3 API): check, then
		 * put; not atomic, as the manual says.
		 */
		if (s3_head(u->s3, u->key, NULL, &pe) == 0) {
			err_set(&pe, EX_NEGATIVE, "412");
			return fail_exists(u, &pe, e);
		}
		if (pe.code != EX_NOINPUT)
			return fail(u, &pe, e);
		return put_start(u, 0, e);
	}
	return pe.code == EX_NEGATIVE ? fail_exists(u, &pe, e) :
	    fail(u, &pe, e);
}

int
s3_upload_poll(struct s3_upload *u, struct err *e)
{
	struct err pe;

	if (u->failed)
		return fail(u, &u->ferr, e);
	switch (u->phase) {
	case UP_DONE:
		return 1;
	case UP_PUT:
	case UP_PUT_PLAIN:
		return u->px.state == XS_DONE ? put_settle(u, e) : 0;
	case UP_PARTS:
		if (reap(u, e) == -1)
			return -1;
		if (u->ninflight > 0)
			return 0;
		if (complete(u, u->etag, sizeof(u->etag), e) == -1)
			return -1;
		u->multipart = 0;	/* nothing to abort */
		u->phase = UP_DONE;
		return 1;
	default:
		err_set(&pe, EX_SOFTWARE, "s3_upload_poll before "
		    "s3_upload_close");
		return fail(u, &pe, e);
	}
}

const char *
s3_upload_etag(const struct s3_upload *u)
{
	return u->etag;
}

int
s3_upload_finish(struct s3_upload *u, char *etag, size_t etaglen,
    struct err *e)
{
	struct err ae, first;
	int rc;

	if (s3_upload_close(u, e) == -1)
		rc = -1;
	else
		while ((rc = s3_upload_poll(u, e)) == 0)
			if (drive(u, 1000, -1, NULL, e) == -1) {
				rc = -1;
				break;
			}
	if (rc == 1 && etag != NULL && etaglen > 0)
		s3_etag_unquote(etag, etaglen, u->etag);
	if (s3_upload_cancel(u, &ae) == -1 && rc != 1) {
		first = *e;
		err_set(e, first.code, "%s; %s", first.msg, ae.msg);
	}
	return rc == 1 ? 0 : -1;
}

uint64_t
s3_upload_bytes(const struct s3_upload *u)
{
	return u->total;
}

int
s3_upload_parts(const struct s3_upload *u)
{
	return u->multipart ? u->next_num - 1 : 0;
}

void
s3_upload_abort(struct s3_upload *u)
{
	struct err e;

	(void)s3_upload_cancel(u, &e);
}

int
s3_upload_cancel(struct s3_upload *u, struct err *e)
{
	struct err ae;
	int i, rc = 0;

	err_clear(e);
	if (u == NULL)
		return 0;
	if (u->phase == UP_PUT || u->phase == UP_PUT_PLAIN)
		s3_xfer_clean(&u->px);
	for (i = 0; i < u->ninflight; i++) {
		s3_xfer_clean(&u->inflight[i]->x);
		part_free(u->inflight[i]->buf, u->inflight[i]->cap);
		free(u->inflight[i]);
	}
	u->ninflight = 0;
	if (u->multipart) {
		if (s3_abort_upload(u->s3, u->key, u->upload_id, &ae) == -1)
			rc = err_set(e, ae.code, "the multipart upload of "
			    "s3://%s/%s (upload id %s) could not be aborted: "
			    "%s", s3_bucket(u->s3), u->key, u->upload_id,
			    ae.msg);
		else
			s3_trace(u->s3, 1, "multipart upload aborted");
	}
	for (i = 0; i < u->nmeta; i++)
		free(u->meta[i]);
	free(u->done);
	while (u->nspare > 0) {
		u->nspare--;
		part_free(u->spare[u->nspare], u->sparecap[u->nspare]);
	}
	part_free(u->cur, u->cap);
	free(u->ctype);
	free(u->cache);
	free(u->key);
	free(u);
	return rc;
}
