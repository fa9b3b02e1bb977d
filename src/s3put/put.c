/*
 * put.c: s3put's uploads (see put.h).
 *
 * Each input is read into its own upload (s3_upload): a small one stays
 * in memory until its single PUT is answered, a large one streams its
 * parts while it is read.  The PUTs of several inputs run side by side on
 * the client's one curl multi handle, so they share its connections.
 */
#define _GNU_SOURCE		/* F_SETPIPE_SZ */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <magic.h>

#include "exitcode.h"
#include "imgtype.h"
#include "log.h"
#include "put.h"
#include "s3_cli.h"

#define READ_SIZE	(1 << 20)
#define SNIFF_SIZE	(64 << 10)

/* Reads until buf is full or the input ends; -1 on error. */
static ssize_t
read_full(int fd, unsigned char *buf, size_t size)
{
	size_t got = 0;
	ssize_t r;

	while (got < size) {
		r = read(fd, buf + got, size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/*
 * The content type from the first bytes; NULL when unknown.  The images
 * imgq takes in and makes are named by img_sniff() (imgtype.h), with no
 * database to load: the pipeline's uploads never pay for libmagic.  Any
 * other file is named by libmagic, s3put being a general upload tool.
 * Its database stays loaded while more inputs follow (more), and is let
 * go before the last one streams (its pages would count against the
 * memory bound of a large upload).
 */
static char *
sniff(const unsigned char *buf, size_t len, int more)
{
	static magic_t m;
	static int loaded;
	enum img_format f = img_sniff(buf, len);
	const char *t;
	char *out = NULL;

	if (IMG_DECODABLE & IMG_FMT_BIT(f))
		out = strdup(img_format_mime(f));
	else if (len > 0) {
		if (!loaded) {
			loaded = 1;
			if ((m = magic_open(MAGIC_MIME_TYPE |
			    MAGIC_NO_CHECK_COMPRESS)) != NULL &&
			    magic_load(m, NULL) != 0) {
				magic_close(m);
				m = NULL;
			}
		}
		if (m != NULL && (t = magic_buffer(m, buf, len)) != NULL)
			out = strdup(t);
	}
	if (!more && m != NULL) {
		magic_close(m);
		m = NULL;
		loaded = 0;
	}
	return out;
}

int
put_open(struct put_file *f, const char *path, struct err *e)
{
	struct stat st;

	memset(f, 0, sizeof(*f));
	f->fd = 0;
	f->name = "standard input";
	if (path != NULL && strcmp(path, "-") != 0) {
		f->name = path;
		if ((f->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
			return err_errno(e, errno == EMFILE ||
			    errno == ENFILE || errno == ENOMEM ? EX_OSERR :
			    EX_NOINPUT, errno, "%s", path);
	}
	if (fstat(f->fd, &st) == -1)
		return err_errno(e, EX_OSERR, errno, "fstat %s", f->name);
	if (S_ISDIR(st.st_mode))
		return err_set(e, EX_NOINPUT, "%s: is a directory", f->name);
	f->is_pipe = !S_ISREG(st.st_mode);
#ifdef F_SETPIPE_SZ
	/*
	 * Reads of up to 1 MiB instead of the default 64 KiB: a sixteenth
	 * of the wake-ups and system calls per byte (best effort).
	 */
	if (S_ISFIFO(st.st_mode))
		(void)fcntl(f->fd, F_SETPIPE_SZ, READ_SIZE);
#endif
	f->size = f->is_pipe ? 0 : (uint64_t)st.st_size;
	return 0;
}

/*
 * A regular file read to its end must hold the bytes its size said when
 * the upload began: one that shrank or grew meanwhile (truncated, still
 * being written, a /proc or /sys file) would be stored as a mix of what
 * it was and what it became.  The upload is then aborted, not completed:
 * growth is caught as soon as it is read, shrinking at the end.
 */
static int
changed(struct put_file *f, int at_end, struct err *e)
{
	uint64_t got = s3_upload_bytes(f->up);

	if (f->is_pipe || got == f->size || (got < f->size && !at_end))
		return 0;
	if (got > f->size)
		err_set(e, EX_DATAERR, "%s changed size while it was read "
		    "(%llu bytes when the upload began, more read): nothing "
		    "stored", f->name, (unsigned long long)f->size);
	else
		err_set(e, EX_DATAERR, "%s changed size while it was read "
		    "(%llu bytes when the upload began, %llu read): nothing "
		    "stored", f->name, (unsigned long long)f->size,
		    (unsigned long long)got);
	return 1;
}

/* Reads one input into a new upload and starts its last request. */
static int
start(struct s3 *s, struct put_file *f, const struct put_opts *o,
    unsigned char *buf, int more, struct err *e)
{
	struct s3_put_opts po = o->po;
	char *sniffed = NULL;
	void *room;
	size_t n;
	ssize_t r;
	int rc = -1;

	if (!f->is_pipe)
		po.size_hint = f->size;
	if ((r = read_full(f->fd, buf, SNIFF_SIZE)) == -1)
		return err_errno(e, EX_OSERR, errno, "read %s", f->name);
	if (po.content_type == NULL)
		po.content_type = sniffed = sniff(buf, (size_t)r, more);
	f->up = s3_upload_new(s, f->key, &po, e);
	free(sniffed);
	if (f->up == NULL)
		return -1;
	if (s3_upload_write(f->up, buf, (size_t)r, e) == -1)
		goto out;
	/* The rest is read straight into the parts' buffers. */
	while (r > 0) {
		/* Keep parts moving while the input is slow. */
		if (f->is_pipe && s3_upload_wait(f->up, f->fd, -1, e) == -1)
			goto out;
		if (s3_upload_space(f->up, &room, &n, e) == -1)
			goto out;
		do {
			r = n > 0 ? read(f->fd, room, n < READ_SIZE ? n :
			    READ_SIZE) : read(f->fd, buf, READ_SIZE);
		} while (r == -1 && errno == EINTR);
		if (r == -1) {
			err_errno(e, EX_OSERR, errno, "read %s", f->name);
			goto out;
		}
		if ((n > 0 ? s3_upload_commit(f->up, (size_t)r, e) :
		    s3_upload_write(f->up, buf, (size_t)r, e)) == -1)
			goto out;
		if (changed(f, 0, e))
			goto out;
	}
	if (changed(f, 1, e))
		goto out;
	f->total = s3_upload_bytes(f->up);
	rc = s3_upload_close(f->up, e);
out:
	if (f->fd > 0) {
		(void)close(f->fd);
		f->fd = -1;
	}
	return rc;
}

static int
is_halt(int code)
{
	return code == EX_USAGE || code == EX_NOPERM || code == EX_CONFIG;
}

struct batch {
	struct put_file	*files;
	int		 n;
	int		 active;
	int		 failed;	/* index of the failure returned, -1 */
};

/*
 * A multipart upload that could not be aborted stays on the server (and
 * is billed) until aborted: said whatever the verbosity, with the command
 * that finishes the job.
 */
static void
cancel(struct put_file *f)
{
	struct buf k = { 0 };
	struct err e;

	if (s3_upload_cancel(f->up, &e) == -1) {
		s3_cli_escape(&k, f->key);
		log_error("%s; abort it with: s3rm -u '%s'", e.msg,
		    buf_str(&k));
		buf_free(&k);
	}
	f->up = NULL;
}

static void
failed(struct batch *b, struct put_file *f, const struct err *e)
{
	if (f->up != NULL)
		cancel(f);
	if (f->state == P_ACTIVE)
		b->active--;
	f->state = P_FAILED;
	f->err = *e;
	if (f->err.code == 0)
		f->err.code = EX_SOFTWARE;
	if (b->failed < 0 || (is_halt(e->code) &&
	    !is_halt(b->files[b->failed].err.code)))
		b->failed = (int)(f - b->files);
}

/* Settles the uploads whose requests are done (none waits). */
static void
poll_all(struct batch *b)
{
	struct put_file *f;
	struct err e;
	int i, rc;

	for (i = 0; i < b->n; i++) {
		f = &b->files[i];
		if (f->state != P_ACTIVE || (rc = s3_upload_poll(f->up, &e))
		    == 0)
			continue;
		if (rc == -1) {
			failed(b, f, &e);
			continue;
		}
		(void)snprintf(f->etag, sizeof(f->etag), "%s",
		    s3_upload_etag(f->up));
		s3_upload_abort(f->up);
		f->up = NULL;
		f->state = P_STORED;
		b->active--;
	}
}

/* Runs the transfers once (up to a second), then settles. */
static void
step(struct s3 *s, struct batch *b)
{
	struct err e;
	int i;

	if (s3_run(s, 1000, &e) == -1) {
		for (i = 0; i < b->n; i++)
			if (b->files[i].state == P_ACTIVE)
				failed(b, &b->files[i], &e);
		return;
	}
	poll_all(b);
}

static void
refused(void *arg, const char *key, const char *code, const char *msg)
{
	struct buf k = { 0 };

	(void)arg;
	s3_cli_escape(&k, key);
	log_error("unable to remove s3://%s after the failure: %s: %s",
	    buf_str(&k), code, msg);
	buf_free(&k);
}

/* Deletes what was stored, so that a retry starts clean. */
static void
rollback(struct s3 *s, struct batch *b, int verbose)
{
	const char **keys;
	struct err e;
	int i, n = 0;

	if ((keys = calloc((size_t)b->n, sizeof(*keys))) == NULL) {
		log_error("unable to remove the objects stored: out of "
		    "memory");
		return;
	}
	for (i = 0; i < b->n; i++)
		if (b->files[i].state == P_STORED)
			keys[n++] = b->files[i].key;
	if (n == 1 && s3_delete(s, keys[0], &e) == -1)
		log_error("unable to remove the object stored: %s", e.msg);
	else if (n > 1 && s3_delete_many(s, keys, (size_t)n, refused, NULL,
	    &e) == -1)
		log_error("unable to remove the %d objects stored: %s", n,
		    e.msg);
	else if (n > 0 && verbose > 0)
		log_info("removed the %d object%s stored", n, n == 1 ? "" :
		    "s");
	free(keys);
}

int
put_all(struct s3 *s, struct put_file *files, int n,
    const struct put_opts *o)
{
	struct batch b = { files, n, 0, -1 };
	unsigned char *buf;
	struct err e;
	int i;

	if ((buf = malloc(READ_SIZE)) == NULL) {
		err_set(&e, EX_OSERR, "out of memory");
		return s3_cli_fatal(&e);
	}
	for (i = 0; i < n && b.failed < 0; i++) {
		while (b.active >= o->parallel && b.failed < 0)
			step(s, &b);
		if (b.failed >= 0)
			break;
		files[i].state = P_ACTIVE;
		b.active++;
		if (start(s, &files[i], o, buf, i + 1 < n, &e) == -1)
			failed(&b, &files[i], &e);
		else
			poll_all(&b);
	}
	free(buf);
	/* After a failure: parts stop at once, single PUTs finish. */
	for (i = 0; i < n && b.failed >= 0; i++)
		if (files[i].state == P_ACTIVE &&
		    s3_upload_parts(files[i].up) > 0) {
			err_set(&e, EX_TEMPFAIL, "cancelled");
			failed(&b, &files[i], &e);
			files[i].cancelled = 1;
		}
	while (b.active > 0)
		step(s, &b);
	if (b.failed < 0)
		return EX_OK;
	rollback(s, &b, o->verbose);
	for (i = 0; i < n; i++)
		if (files[i].state == P_FAILED && i != b.failed &&
		    !files[i].cancelled)
			log_error("%s", files[i].err.msg);
	return s3_cli_fatal(&files[b.failed].err);
}
