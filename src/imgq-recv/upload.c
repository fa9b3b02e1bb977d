/*
 * upload.c: POST /upload (multipart/form-data, one or more files) and
 * PUT or POST /upload with a raw image body.
 *
 * Each file is held in the process's small-file buffer (kept across
 * requests, so its pages stay warm: no fresh mapping to fault in and
 * unmap per upload) until img_sniff() has named the type from its first
 * bytes (imgtype.h: the worker's own sniffer and allow-list; anything
 * else is refused with 415 and nothing is stored).  A file that ends
 * within the buffer is stored with one PUT straight from it; a larger one
 * goes on to an S3 upload as it arrives (multipart, parts sent while the
 * body streams in).  A request is all or nothing: the jobs of its files
 * are queued together once the whole body is read and every object is
 * complete; when it fails at any point (too many files, a bad part, the
 * client going away, S3 or Redis), every object it stored is deleted and
 * no job is queued.  A file broken off mid-way aborts its S3 upload, so
 * nothing half-made stays.
 */
#include <openssl/evp.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exitcode.h"
#include "imgtype.h"
#include "log.h"
#include "pct.h"
#include "q.h"
#include "recv.h"
#include "s3.h"
#include "s3_putbuf.h"
#include "sys.h"

#define SNIFF_LEN	4096	/* bytes img_sniff() looks at */
#define SMALL_MAX	(1U << 20)	/* files up to this: one PUT from memory */
#define NAME_KEEP	100	/* sanitised file name, bytes */
#define IDEM_MAX	200	/* Idempotency-Key, bytes */
#define IDEM_TTL_MS	30000	/* a request's reservation of its key */

struct file {
	char		 id[Q_ID_LEN + 1];
	char		 name[NAME_KEEP + 1];
	const char	*type, *ext;
	uint64_t	 size;
	int		 status;	/* 202, or why it was refused */
	char		 error[96];
	char		 key[128];	/* its object, once stored */
	int		 stored;
};

struct up {
	struct conn	*c;
	struct srv	*s;
	const struct rq	*r;
	struct file	*files;
	size_t		 nfiles, maxfiles;
	struct file	*cur;		/* the file being received */
	int		 skip;		/* drop this part's data */
	int		 typed;		/* the type was checked */
	unsigned char	*small;		/* srv's small-file buffer */
	size_t		 nsmall;	/* bytes of the file held in it */
	struct s3_upload *su;		/* streaming beyond the buffer */
	char		 key[128];
	const char	*idem;
	EVP_MD_CTX	*md;		/* the files' digest, with idem */
	char		*kept;		/* the first answer, for a retry */
	size_t		 kept_len;
	int		 dry;		/* a retry: only the digest is made */
	char		 token[Q_ID_LEN + 1];	/* of our reservation */
	int		 held;		/* we hold the key's reservation */
	uint64_t	 renewed;	/* ms */
	int		 status;	/* the request failed: answer this */
	char		 msg[160];
	const char	*extra;
};

/*
 * Keeps the last path element of a client's file name, with letters,
 * digits and ._-+() only (others become one "_"), no leading dot, at
 * most NAME_KEEP bytes; "upload" when nothing is left.
 */
static void
sanitize(const char *in, size_t len, char *out)
{
	size_t i, o = 0, start = 0;
	unsigned char ch;

	for (i = 0; i < len; i++)
		if (in[i] == '/' || in[i] == '\\')
			start = i + 1;
	for (i = start; i < len && o < NAME_KEEP; i++) {
		ch = (unsigned char)in[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("._-+()", ch) != NULL) ||
		    ch == '\0')
			ch = '_';
		if (ch == '_' && o > 0 && out[o - 1] == '_')
			continue;
		if ((ch == '.' || ch == '_') && o == 0)
			continue;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	if (o == 0)
		snprintf(out, NAME_KEEP + 1, "upload");
}

static int
fail(struct up *u, int status, const char *extra, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The request fails with status (kept: the first failure wins). */
static int
fail(struct up *u, int status, const char *extra, const char *fmt, ...)
{
	va_list ap;

	if (u->status == 0) {
		u->status = status;
		u->extra = extra;
		va_start(ap, fmt);
		vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * The digest that tells a retry from another request under the same
 * Idempotency-Key: each file's bytes and size, so that neither a new
 * multipart boundary nor the way the file is sent (a form or a raw
 * body, under another name) counts as a change.
 */
static void
digest(struct up *u, const void *d, size_t n)
{
	if (u->md != NULL && EVP_DigestUpdate(u->md, d, n) != 1) {
		EVP_MD_CTX_free(u->md);
		u->md = NULL;
	}
}

static int
pump(void *arg, int fd, int ms, struct err *e)
{
	return s3_upload_wait(arg, fd, ms, e) == -1 ? -1 : 1;
}

static void
drop_upload(struct up *u)
{
	struct err e;

	if (u->su != NULL && s3_upload_cancel(u->su, &e) == -1)
		log_error("%s", e.msg);
	u->su = NULL;
	u->c->pump = NULL;
	u->c->upload = NULL;
}

static int
file_begin(struct up *u, const char *name, size_t len, struct err *e)
{
	struct file *f;

	digest(u, "file", 5);
	if (u->dry) {
		/* a retry's file: digested, never stored */
		u->cur = &u->files[0];
		memset(u->cur, 0, sizeof(*u->cur));
		u->skip = 1;
		return 0;
	}
	if (u->nfiles >= u->maxfiles) {
		fail(u, 413, NULL, "more than %zu files in one request",
		    u->maxfiles);
		return err_set(e, EX_DATAERR, "too many files");
	}
	f = &u->files[u->nfiles++];
	memset(f, 0, sizeof(*f));
	sanitize(name, len, f->name);
	u->cur = f;
	u->nsmall = 0;
	u->skip = 0;
	u->typed = 0;
	return 0;
}

/*
 * The first bytes are in (or the file ended): refuse the type, or give
 * the file its job id and key.  Nothing is sent yet.
 */
static int
typecheck(struct up *u, struct err *e)
{
	struct srv *s = u->s;
	struct file *f = u->cur;
	enum img_format fmt;
	int n;

	u->typed = 1;
	if (u->nsmall == 0) {
		f->status = 400;
		snprintf(f->error, sizeof(f->error), "empty file");
		u->skip = 1;
		return 0;
	}
	fmt = img_sniff(u->small, u->nsmall < SNIFF_LEN ? u->nsmall :
	    SNIFF_LEN);
	if (!(s->c.formats & IMG_FMT_BIT(fmt))) {
		f->status = 415;
		snprintf(f->error, sizeof(f->error), "not an image type "
		    "accepted here (%s)", img_format_mime(fmt));
		u->skip = 1;
		return 0;
	}
	f->type = img_format_mime(fmt);
	f->ext = img_format_ext(fmt);
	if (need_s3(s, e) == NULL) {
		fail(u, 503, "Retry-After: 5\r\n", "storage unavailable");
		return -1;
	}
	if (q_id_new(f->id, e) == -1) {
		fail(u, 500, NULL, "unable to make a job id");
		return -1;
	}
	n = snprintf(u->key, sizeof(u->key), "uploads/%s.%s", f->id, f->ext);
	if (n < 0 || (size_t)n >= sizeof(u->key))
		return fail(u, 500, NULL, "key too long");
	f->status = 202;
	return 0;
}

static void
put_opts(struct up *u, struct s3_put_opts *po, const char **meta)
{
	memset(po, 0, sizeof(*po));
	po->content_type = u->cur->type;
	meta[0] = "name";
	meta[1] = u->cur->name;
	meta[2] = NULL;
	po->meta = meta;
}

/* The file outgrew the small buffer: stream it, the buffer first. */
static int
start_stream(struct up *u, struct err *e)
{
	struct s3_put_opts po;
	const char *meta[3];

	put_opts(u, &po, meta);
	if ((u->su = s3_upload_new(u->s->s3, u->key, &po, e)) == NULL ||
	    s3_upload_write(u->su, u->small, u->nsmall, e) == -1) {
		log_error("unable to store %s: %s", u->key, e->msg);
		drop_upload(u);
		return fail(u, 503, "Retry-After: 5\r\n",
		    "storage unavailable");
	}
	u->nsmall = 0;
	u->c->pump = pump;
	u->c->upload = u->su;
	return 0;
}

static int
file_data(struct up *u, const void *d, size_t n, struct err *e)
{
	size_t k;

	if (u->cur == NULL)
		return 0;
	u->cur->size += n;
	digest(u, d, n);
	if (u->skip)
		return 0;
	if (u->su == NULL) {
		k = SMALL_MAX - u->nsmall;
		if (k > n)
			k = n;
		memcpy(u->small + u->nsmall, d, k);
		u->nsmall += k;
		d = (const char *)d + k;
		n -= k;
		if (!u->typed && u->nsmall >= SNIFF_LEN &&
		    typecheck(u, e) == -1)
			return -1;
		if (u->skip || n == 0)
			return 0;
		if (start_stream(u, e) == -1)
			return -1;
	}
	if (s3_upload_write(u->su, d, n, e) == -1) {
		log_error("unable to store %s: %s", u->key, e->msg);
		drop_upload(u);
		return fail(u, 503, "Retry-After: 5\r\n", "storage unavailable");
	}
	return 0;
}

/* Stores the complete file: from the small buffer, or the stream's end. */
static int
store(struct up *u, struct err *e)
{
	struct s3_put_opts po;
	const char *meta[3];
	char etag[S3_ETAG_MAX];
	int rc;

	if (u->su == NULL) {
		put_opts(u, &po, meta);
		rc = s3_put_buf(u->s->s3, u->key, &po, u->small, u->nsmall,
		    etag, sizeof(etag), e);
	} else {
		u->c->pump = NULL;
		u->c->upload = NULL;
		rc = s3_upload_finish(u->su, etag, sizeof(etag), e);
		u->su = NULL;
	}
	if (rc == -1) {
		log_error("unable to store %s: %s", u->key, e->msg);
		return fail(u, 503, "Retry-After: 5\r\n", "storage unavailable");
	}
	return 0;
}

static void
note(struct up *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A line about a file: the first one starts the request's access log
 * line (one syslog call per request); the others are lines of their own.
 */
static void
note(struct up *u, const char *fmt, ...)
{
	char line[sizeof(u->c->note)];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (u->c->note[0] == '\0')
		memcpy(u->c->note, line, sizeof(line));
	else
		log_info("%s", line);
}

/*
 * The file is complete: finish its object.  Its job is queued only when
 * the whole request has been read (queue_all), so a request that fails
 * later queues nothing.
 */
static int
file_end(struct up *u, struct err *e)
{
	struct file *f = u->cur;
	char sz[32];

	if (f == NULL)
		return 0;
	snprintf(sz, sizeof(sz), "size=%llu", (unsigned long long)f->size);
	digest(u, sz, strlen(sz) + 1);
	if (!u->typed && !u->skip && typecheck(u, e) == -1) {
		u->cur = NULL;
		return -1;
	}
	if (u->skip || f->status != 202) {
		u->cur = NULL;
		return 0;
	}
	if (store(u, e) == -1) {
		u->cur = NULL;
		return -1;
	}
	u->cur = NULL;
	memcpy(f->key, u->key, sizeof(f->key));
	f->stored = 1;
	return 0;
}

/* The request failed: every object it stored goes. */
static void
discard(struct up *u)
{
	struct err e;
	size_t i;

	for (i = 0; i < u->nfiles; i++) {
		if (!u->files[i].stored)
			continue;
		if (s3_delete(u->s->s3, u->files[i].key, &e) == -1)
			log_error("unable to delete %s: %s", u->files[i].key,
			    e.msg);
		u->files[i].stored = 0;
	}
}

/* A job's fields: 6 of them, with room for the numbers' text. */
struct jobrec {
	struct q_field	 f[6];
	char		 size[24], created[24], idem[IDEM_MAX + 24];
};

static void
jobrec(struct up *u, struct file *f, struct jobrec *j, struct q_push_req *p)
{
	snprintf(j->size, sizeof(j->size), "%llu",
	    (unsigned long long)f->size);
	snprintf(j->created, sizeof(j->created), "%llu",
	    (unsigned long long)sys_wall_ms());
	j->f[0] = (struct q_field){ "src", f->key, strlen(f->key) };
	j->f[1] = (struct q_field){ "bucket", u->s->bucket,
	    strlen(u->s->bucket) };
	j->f[2] = (struct q_field){ "name", f->name, strlen(f->name) };
	j->f[3] = (struct q_field){ "type", f->type, strlen(f->type) };
	j->f[4] = (struct q_field){ "size", j->size, strlen(j->size) };
	j->f[5] = (struct q_field){ "created", j->created,
	    strlen(j->created) };
	memset(p, 0, sizeof(*p));
	p->fields = j->f;
	p->nfields = 6;
	if (u->idem != NULL) {
		snprintf(j->idem, sizeof(j->idem), "%s#%zu", u->idem,
		    (size_t)(f - u->files));
		p->idem_key = j->idem;
	}
	memcpy(p->id, f->id, sizeof(p->id));
}

/*
 * Queues the jobs of every stored file with one pipelined call.  When
 * it fails, the objects are deleted; a job the queue took before the
 * failure finds no original and is dead-lettered by its worker.
 */
static void
queue_all(struct up *u)
{
	struct q_push_req *p;
	struct jobrec *j;
	struct err e;
	size_t i, n = 0;

	p = calloc(u->nfiles + 1, sizeof(*p));
	j = calloc(u->nfiles + 1, sizeof(*j));
	if (p == NULL || j == NULL) {
		fail(u, 500, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < u->nfiles; i++)
		if (u->files[i].stored) {
			jobrec(u, &u->files[i], &j[n], &p[n]);
			n++;
		}
	if (n > 0 && (need_q(u->s, &e) == NULL ||
	    q_push_batch(u->s->q, p, n, &e) == -1)) {
		log_error("unable to queue %zu jobs: %s", n, e.msg);
		fail(u, 503, "Retry-After: 5\r\n", "queue unavailable");
		goto out;
	}
	for (i = n = 0; i < u->nfiles; i++) {
		struct file *f = &u->files[i];

		if (!f->stored)
			continue;
		if (p[n].existed) {
			/* a retried request: the first one's job stays */
			f->stored = 0;
			if (s3_delete(u->s->s3, f->key, &e) == -1)
				log_error("unable to delete %s: %s", f->key,
				    e.msg);
			memcpy(f->id, p[n].id, sizeof(f->id));
			note(u, "idempotent retry: job %s", f->id);
		} else {
			met_upload(u->s, f->id, sys_now_ms() - u->r->start,
			    f->size);
			note(u, "job %s queued: %s (%s, %llu bytes)", f->id,
			    f->key, f->type, (unsigned long long)f->size);
		}
		n++;
	}
out:
	free(p);
	free(j);
}

static int
mp_begin(void *arg, const struct mp_part *p, struct err *e)
{
	struct up *u = arg;

	if (p->filename == NULL) {
		u->cur = NULL;		/* a plain field: ignored */
		return 0;
	}
	return file_begin(u, p->filename, p->filename_len, e);
}

/* A piece of a file: a part's data, or a raw body. */
static int
feed_file(void *arg, const void *d, size_t n, struct err *e)
{
	return file_data(arg, d, n, e);
}

static int
mp_end(void *arg, struct err *e)
{
	return file_end(arg, e);
}

/* The status a failed body read stands for. */
static void
body_failed(struct up *u, const struct err *e)
{
	int st = u->c->body_status;

	if (st == 413)
		fail(u, 413, NULL, "request body larger than %llu bytes",
		    (unsigned long long)u->s->c.max_body);
	else if (st != 0)
		fail(u, st, NULL, "%s", e->msg);
	else if (u->c->pump_failed) {
		log_error("unable to store %s: %s", u->key, e->msg);
		fail(u, 503, "Retry-After: 5\r\n", "storage unavailable");
	} else
		fail(u, -1, NULL, "%s", e->msg);	/* nobody to answer */
}

/*
 * Idempotency-Key: the key is looked up (and reserved) before anything
 * is stored.  A retry of a completed request is read for the digest of
 * its files, and gets the first request's answer when that matches (422
 * when not), storing nothing; one that comes while the first still runs
 * gets 409 with Retry-After (as the IETF Idempotency-Key draft and the
 * usual client libraries expect: retry later, same key).  The first
 * renews its reservation while the body streams in and, when done, turns
 * it into its answer (or drops it when it failed, so a retry starts
 * afresh).  Should a reservation lapse anyway, the queue's own key per
 * file still leaves one job and one object.
 */
static void
idem_renew(struct up *u)
{
	struct err e;

	if (!u->held || sys_now_ms() - u->renewed < IDEM_TTL_MS / 3)
		return;
	u->renewed = sys_now_ms();
	err_clear(&e);
	if (q_idem_renew(u->s->q, u->idem, u->token, IDEM_TTL_MS, &e) != 1)
		log_warn("Idempotency-Key reservation lost%s%s",
		    e.code ? ": " : "", e.code ? e.msg : "");
}

/* Ends the reservation: with the answer to keep, or NULL to drop it. */
static void
idem_end(struct up *u, const struct buf *ans, const char *job)
{
	struct err e;

	if (!u->held)
		return;
	u->held = 0;
	err_clear(&e);
	if (q_idem_end(u->s->q, u->idem, u->token, ans ? ans->p : NULL,
	    ans ? ans->len : 0, job, &e) != 1)
		log_warn("Idempotency-Key reservation lost before the answer"
		    "%s%s", e.code ? ": " : "", e.code ? e.msg : "");
}

/* Reads a short body to its end, so the connection may serve more. */
static void
drain(struct conn *c)
{
	const void *d;
	size_t n;
	int done = 0;
	struct err e;

	if (c->cgi || c->body_done || c->expect100 || c->body !=
	    HTTP_BODY_LENGTH || c->left > SMALL_MAX)
		return;
	while (!done)
		if (body_read(c, &d, &n, &done, &e) == -1)
			return;
}

/* A kept answer: "STATUS EXTRALEN\n" then the extra headers, the body. */
static void
replay(struct conn *c, const char *a, size_t len)
{
	char *nl = memchr(a, '\n', len), *end, *extra;
	unsigned long st, xl;

	if (nl == NULL || (st = strtoul(a, &end, 10)) < 200 || st > 599 ||
	    *end != ' ' || (xl = strtoul(end + 1, &end, 10)) > len ||
	    end != nl || xl > len - (size_t)(nl + 1 - a)) {
		respond_error(c, 500, "bad kept answer", NULL);
		return;
	}
	if ((extra = malloc(xl + 1)) == NULL) {
		respond_error(c, 500, "out of memory", NULL);
		return;
	}
	memcpy(extra, nl + 1, xl);
	extra[xl] = '\0';
	nl += 1 + xl;
	respond(c, (int)st, "application/json", extra, nl,
	    len - (size_t)(nl - a));
	free(extra);
}

/*
 * Checks the key and reserves it: 1 when the request was answered here
 * (a bad key, one in progress, or a failure); 0 to read the body, as the
 * first request or, u->dry, as the retry of a completed one.
 */
static int
idem_begin(struct up *u)
{
	struct conn *c = u->c;
	struct err e;
	char *ans, extra[64];
	size_t len;
	long long left;
	size_t i;
	int rc;

	for (i = 0; u->idem[i]; i++)
		if ((unsigned char)u->idem[i] < 0x21 ||
		    (unsigned char)u->idem[i] > 0x7e)
			break;
	if (i == 0 || i > IDEM_MAX || u->idem[i] != '\0') {
		respond_error(c, 400, "bad Idempotency-Key", NULL);
		return 1;
	}
	if ((u->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1) {
		respond_error(c, 500, "out of memory", NULL);
		return 1;
	}
	if (q_id_new(u->token, &e) == -1 || need_q(u->s, &e) == NULL ||
	    (rc = q_idem_begin(u->s->q, u->idem, u->token, IDEM_TTL_MS, &ans,
	    &len, &left, &e)) == -1) {
		respond_backend(c, &e, "queue");
		return 1;
	}
	if (rc == Q_IDEM_NEW) {
		u->held = 1;
		u->renewed = sys_now_ms();
		return 0;
	}
	if (rc == Q_IDEM_DONE) {
		/* the body is read for its digest, then compared */
		u->kept = ans;
		u->kept_len = len;
		u->dry = 1;
		return 0;
	}
	drain(c);
	left = (left + 999) / 1000;
	snprintf(extra, sizeof(extra), "Retry-After: %lld\r\n",
	    left < 1 ? 1 : left > 30 ? 30 : left);
	respond_error(c, 409, "a request with this Idempotency-Key is in "
	    "progress", extra);
	return 1;
}

/* The hex digest of the files read (65 bytes), or "" when none. */
static void
digest_hex(struct up *u, char *hex)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	hex[0] = '\0';
	if (u->md == NULL || EVP_DigestFinal_ex(u->md, d, &n) != 1 || n != 32)
		return;
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/*
 * A retry of a completed request: the first answer when the files are
 * the same, else 422 (the first job stays; the IETF Idempotency-Key
 * draft's answer to a key reused with another payload).
 */
static void
idem_replay(struct up *u)
{
	const char *a = u->kept;
	size_t len = u->kept_len;
	char hex[65];

	digest_hex(u, hex);
	if (len > 72 && strncmp(a, "sha256:", 7) == 0 && a[71] == '\n') {
		if (strncmp(a + 7, hex, 64) != 0) {
			respond_error(u->c, 422, "Idempotency-Key reused with "
			    "a different request", NULL);
			return;
		}
		a += 72;
		len -= 72;
	}
	replay(u->c, a, len);
	note(u, "idempotent retry: the first answer, nothing stored");
}

/*
 * Reads the body to its end, handing each piece to feed: 0 when it
 * ended, -1 when it failed (u->status is set, unless feed failed with e
 * alone) or a handler refused the request.
 */
static int
read_body(struct up *u, int (*feed)(void *, const void *, size_t,
    struct err *), void *arg, struct err *e)
{
	const void *d;
	size_t n;
	int done = 0;

	while (!done && u->status == 0) {
		idem_renew(u);
		if (body_read(u->c, &d, &n, &done, e) == -1) {
			body_failed(u, e);
			return -1;
		}
		if (n > 0 && feed(arg, d, n, e) == -1)
			return -1;
	}
	return done ? 0 : -1;
}

static int
feed_mp(void *arg, const void *d, size_t n, struct err *e)
{
	return mp_feed(arg, d, n, e);
}

static void
read_multipart(struct up *u, const char *ctype)
{
	struct mp_callbacks cb = { mp_begin, feed_file, mp_end, NULL };
	char boundary[MP_BOUNDARY_MAX + 1];
	struct mp *mp;
	struct err e;

	err_clear(&e);
	cb.arg = u;
	if (mp_boundary(ctype, boundary, &e) == -1) {
		fail(u, 400, NULL, "%s", e.msg);
		return;
	}
	if ((mp = mp_new(boundary, &u->s->c.mp, &cb, &e)) == NULL) {
		fail(u, 500, NULL, "%s", e.msg);
		return;
	}
	if (read_body(u, feed_mp, mp, &e) == -1)
		fail(u, e.code == EX_DATAERR ? 400 : 503, NULL, "%s", e.msg);
	else if (mp_finish(mp, &e) == -1)
		fail(u, 400, NULL, "%s", e.msg);
	mp_free(mp);
}

static void
read_raw(struct up *u)
{
	const struct rq *r = u->r;
	const char *name = http_field(r->req, "x-file-name");
	char qn[256];
	struct err e;

	if (name == NULL && strncmp(r->query, "name=", 5) == 0) {
		size_t k = strcspn(r->query + 5, "&");

		if (pct_decode(r->query + 5, k, qn, sizeof(qn), 0) == 0)
			name = qn;
	}
	if (name == NULL)
		name = "upload";
	if (file_begin(u, name, strlen(name), &e) == -1)
		return;
	if (read_body(u, feed_file, u, &e) == 0 && u->status == 0)
		(void)file_end(u, &e);
}

static int
wants_html(const struct rq *r)
{
	const char *a = http_field(r->req, "accept");

	return a != NULL && strstr(a, "text/html") != NULL &&
	    strstr(a, "application/json") == NULL;
}

/* Sends a successful answer, kept first for retries of the same key. */
static void
keep_and_send(struct up *u, int status, const char *extra,
    const struct buf *body)
{
	struct buf k = { 0 };
	char hex[65];
	size_t i;

	if (u->held) {
		digest_hex(u, hex);
		if (hex[0] != '\0')
			buf_addf(&k, "sha256:%s\n", hex);
		buf_addf(&k, "%d %zu\n%s", status, strlen(extra), extra);
		buf_add(&k, body->p, body->len);
		for (i = 0; i < u->nfiles && u->files[i].status != 202; i++)
			;
		idem_end(u, k.over ? NULL : &k, u->files[i].id);
		buf_free(&k);
	}
	respond(u->c, status, "application/json", extra, body->p, body->len);
}

static void
answer(struct up *u)
{
	struct conn *c = u->c;
	struct buf b = { 0 }, loc = { 0 };
	const char *pre = u->r->prefix;
	size_t i, ok = 0;
	int first_bad = 0;

	for (i = 0; i < u->nfiles; i++) {
		if (u->files[i].status == 202)
			ok++;
		else if (first_bad == 0)
			first_bad = u->files[i].status;
	}
	if (ok == 0 && u->nfiles == 0) {
		idem_end(u, NULL, NULL);
		respond_error(c, 400, "no file in the request", NULL);
		return;
	}
	if (ok == 1 && u->nfiles == 1)
		buf_addf(&b, "{\"id\":\"%s\",\"files\":[", u->files[0].id);
	else
		buf_adds(&b, "{\"files\":[");
	buf_adds(&loc, "Location: ");
	buf_adds(&loc, pre);
	buf_adds(&loc, "/status?jobs=");
	for (i = 0; i < u->nfiles; i++) {
		struct file *f = &u->files[i];

		buf_adds(&b, i ? ",{\"name\":" : "{\"name\":");
		json_str(&b, f->name, strlen(f->name));
		if (f->status == 202) {
			buf_addf(&b, ",\"id\":\"%s\",\"status\":\"queued\","
			    "\"type\":\"%s\",\"size\":%llu,\"status_url\":",
			    f->id, f->type, (unsigned long long)f->size);
			buf_adds(&b, "\"");
			buf_adds(&b, pre);
			buf_addf(&b, "/jobs/%s\",\"events_url\":\"", f->id);
			buf_adds(&b, pre);
			buf_addf(&b, "/jobs/%s/events\"}", f->id);
			buf_addf(&loc, "%s%s", loc.p[loc.len - 1] == '=' ? "" :
			    ",", f->id);
		} else {
			buf_addf(&b, ",\"status\":\"refused\",\"code\":%d,"
			    "\"error\":", f->status);
			json_str(&b, f->error, strlen(f->error));
			buf_adds(&b, "}");
		}
	}
	buf_adds(&b, "]}\n");
	buf_adds(&loc, "\r\nCache-Control: no-store\r\n");
	if (b.over || loc.over) {
		idem_end(u, NULL, NULL);
		respond_error(c, 500, "out of memory", NULL);
	} else if (ok == 0) {
		idem_end(u, NULL, NULL);
		respond(c, first_bad, "application/json",
		    "Cache-Control: no-store\r\n", b.p, b.len);
	} else
		keep_and_send(u, wants_html(u->r) ? 303 : 202,
		    wants_html(u->r) ? loc.p : "Cache-Control: no-store\r\n",
		    &b);
	buf_free(&b);
	buf_free(&loc);
}

void
handle_upload(struct conn *c, struct rq *r)
{
	struct srv *s = c->srv;
	const struct http_req *q = r->req;
	const char *ct = http_field(q, "content-type");
	struct up *u;

	if (q->body == HTTP_BODY_NONE) {
		respond_error(c, 411, "Content-Length required", NULL);
		return;
	}
	if (q->body == HTTP_BODY_LENGTH && q->length > s->c.max_body) {
		/* decided before reading: the body is never read */
		respond_error(c, 413, "request body larger than the limit",
		    NULL);
		return;
	}
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->files = calloc((size_t)s->c.max_files, sizeof(*u->files))) ==
	    NULL) {
		free(u);
		respond_error(c, 500, "out of memory", NULL);
		return;
	}
	if (s->small == NULL && (s->small = malloc(SMALL_MAX)) == NULL) {
		respond_error(c, 500, "out of memory", NULL);
		goto out;
	}
	u->small = s->small;
	u->c = c;
	u->s = s;
	u->r = r;
	u->maxfiles = (size_t)s->c.max_files;
	u->idem = http_field(q, "idempotency-key");
	if (u->idem != NULL && idem_begin(u))
		goto out;
	if (ct != NULL && strncasecmp(ct, "multipart/", 10) == 0)
		read_multipart(u, ct);
	else
		read_raw(u);
	drop_upload(u);
	if (u->status == 0 && !u->dry)
		queue_all(u);
	if (u->status != 0) {
		discard(u);
		idem_end(u, NULL, NULL);
	}
	if (u->status == 0 && u->dry) {
		idem_replay(u);
	} else if (u->status == 0) {
		answer(u);
	} else if (u->status > 0) {
		c->keepalive = 0;
		respond_error(c, u->status, u->msg, u->extra);
		log_warn("upload refused: %d %s", u->status, u->msg);
	} else {
		log_warn("upload broken off: %s", u->msg);
	}
out:
	EVP_MD_CTX_free(u->md);
	free(u->kept);
	free(u->files);
	free(u);
}
