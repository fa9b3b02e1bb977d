/*
 * s3_xml.c: the XML subset of S3 answers (see s3_xml.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "buf.h"
#include "s3_text.h"
#include "pct.h"
#include "s3_xml.h"

struct xp {
	const char	*p, *end;
	char		 path[S3_XML_MAXDEPTH * (S3_XML_MAXNAME + 1) + 1];
	size_t		 plen[S3_XML_MAXDEPTH + 1];
	int		 depth;
	struct buf	 text[S3_XML_MAXDEPTH + 1];
	struct err	*e;
};

static int
bad(struct xp *x, const char *why)
{
	return err_set(x->e, EX_PROTOCOL, "malformed XML answer: %s", why);
}

static int
starts(struct xp *x, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(x->end - x->p) >= n && memcmp(x->p, s, n) == 0;
}

static int
skip_past(struct xp *x, const char *s)
{
	size_t n = strlen(s);

	for (; x->end - x->p >= (ptrdiff_t)n; x->p++)
		if (memcmp(x->p, s, n) == 0) {
			x->p += n;
			return 0;
		}
	return -1;
}

static int
put_utf8(struct buf *b, unsigned long c)
{
	char u[4];
	size_t n;

	if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xc0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xe0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		u[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return buf_add(b, u, n);
}

/* Text up to the next '<', entities decoded, into the open element. */
static int
text(struct xp *x)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' },
		{ "quot;", '"' }, { "apos;", '\'' },
	};
	struct buf *b = &x->text[x->depth];
	unsigned long c;
	size_t i;
	char *end;

	while (x->p < x->end && *x->p != '<') {
		if (*x->p != '&') {
			if (buf_addc(b, *x->p++) == -1)
				return bad(x, "text too long");
			continue;
		}
		x->p++;
		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (starts(x, ents[i].name))
				break;
		if (i < sizeof(ents) / sizeof(ents[0])) {
			x->p += strlen(ents[i].name);
			if (buf_addc(b, ents[i].c) == -1)
				return bad(x, "text too long");
			continue;
		}
		if (x->p >= x->end || *x->p != '#')
			return bad(x, "unknown entity");
		x->p++;
		errno = 0;
		{
			char num[12];
			size_t k = 0;
			int hex = x->p < x->end && *x->p == 'x';

			if (hex)
				x->p++;
			while (x->p < x->end && *x->p != ';' && k < 11)
				num[k++] = *x->p++;
			num[k] = '\0';
			if (x->p >= x->end || *x->p != ';' || k == 0 ||
			    !isxdigit((unsigned char)num[0]))
				return bad(x, "bad character reference");
			x->p++;
			c = strtoul(num, &end, hex ? 16 : 10);
			if (*end != '\0' || errno != 0 ||
			    put_utf8(b, c) == -1)
				return bad(x, "bad character reference");
		}
	}
	return 0;
}

static int
name(struct xp *x, char *out)
{
	size_t n = 0;
	const char *colon = NULL, *s = x->p;

	while (x->p < x->end && !isspace((unsigned char)*x->p) &&
	    *x->p != '>' && *x->p != '/' && *x->p != '=') {
		if (*x->p == ':')
			colon = x->p;
		x->p++;
	}
	if (colon != NULL)
		s = colon + 1;
	n = (size_t)(x->p - s);
	if (n == 0 || n > S3_XML_MAXNAME)
		return bad(x, "bad element name");
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

static int
close_elem(struct xp *x, int (*cb)(void *, const char *, int, const char *,
    size_t), void *arg)
{
	struct buf *b = &x->text[x->depth];
	int rc;

	rc = cb(arg, x->path, x->depth, buf_str(b), b->len);
	buf_reset(b);
	x->depth--;
	x->path[x->plen[x->depth]] = '\0';
	return rc;
}

static int
open_elem(struct xp *x, const char *nm)
{
	size_t len = x->plen[x->depth], n = strlen(nm);

	if (x->depth >= S3_XML_MAXDEPTH)
		return bad(x, "nested too deep");
	if (x->depth > 0)
		x->path[len++] = '/';
	memcpy(x->path + len, nm, n + 1);
	x->depth++;
	x->plen[x->depth] = len + n;
	buf_reset(&x->text[x->depth]);
	return 0;
}

static int
tag(struct xp *x, int (*cb)(void *, const char *, int, const char *,
    size_t), void *arg, int *seen_root)
{
	char nm[S3_XML_MAXNAME + 1];
	char q;

	x->p++;		/* '<' */
	if (x->p < x->end && *x->p == '/') {
		x->p++;
		if (name(x, nm) == -1)
			return -1;
		while (x->p < x->end && isspace((unsigned char)*x->p))
			x->p++;
		if (x->p >= x->end || *x->p != '>')
			return bad(x, "bad end tag");
		x->p++;
		if (x->depth == 0 ||
		    strcmp(x->path + x->plen[x->depth - 1] +
		    (x->depth > 1), nm) != 0)
			return bad(x, "mismatched end tag");
		return close_elem(x, cb, arg);
	}
	if (*seen_root && x->depth == 0)
		return bad(x, "more than one root element");
	if (name(x, nm) == -1 || open_elem(x, nm) == -1)
		return -1;
	*seen_root = 1;
	/* Attributes are skipped (quoted values may hold '>'). */
	while (x->p < x->end && *x->p != '>') {
		if (*x->p == '"' || *x->p == '\'') {
			q = *x->p++;
			while (x->p < x->end && *x->p != q)
				x->p++;
			if (x->p >= x->end)
				break;
		} else if (*x->p == '/' && x->p + 1 < x->end &&
		    x->p[1] == '>') {
			x->p += 2;
			return close_elem(x, cb, arg);
		}
		x->p++;
	}
	if (x->p >= x->end)
		return bad(x, "unterminated tag");
	x->p++;
	return 0;
}

int
s3_xml_parse(const char *buf, size_t len,
    int (*cb)(void *, const char *, int, const char *, size_t), void *arg,
    struct err *e)
{
	struct xp *x;
	int rc = -1, seen_root = 0, i;

	if ((x = calloc(1, sizeof(*x))) == NULL)
		return err_set(e, EX_OSERR, "out of memory parsing XML");
	x->p = buf;
	x->end = buf + len;
	x->e = e;
	for (i = 0; i <= S3_XML_MAXDEPTH; i++)
		x->text[i].max = S3_XML_MAXTEXT;
	while (x->p < x->end) {
		if (*x->p != '<') {
			if (x->depth == 0) {
				if (!isspace((unsigned char)*x->p)) {
					bad(x, "text outside the root");
					goto out;
				}
				x->p++;
				continue;
			}
			if (text(x) == -1)
				goto out;
			continue;
		}
		if (starts(x, "<?")) {
			if (skip_past(x, "?>") == -1) {
				bad(x, "unterminated declaration");
				goto out;
			}
		} else if (starts(x, "<!--")) {
			if (skip_past(x, "-->") == -1) {
				bad(x, "unterminated comment");
				goto out;
			}
		} else if (starts(x, "<![CDATA[")) {
			const char *s = x->p + 9;

			if (x->depth == 0 || skip_past(x, "]]>") == -1) {
				bad(x, "bad CDATA section");
				goto out;
			}
			if (buf_add(&x->text[x->depth], s,
			    (size_t)(x->p - 3 - s)) == -1) {
				bad(x, "text too long");
				goto out;
			}
		} else if (starts(x, "<!")) {
			bad(x, "DOCTYPE or declaration refused");
			goto out;
		} else if (tag(x, cb, arg, &seen_root) == -1)
			goto out;
	}
	if (x->depth != 0 || !seen_root) {
		bad(x, x->depth ? "truncated document" : "no root element");
		goto out;
	}
	rc = 0;
out:
	for (i = 0; i <= S3_XML_MAXDEPTH; i++)
		buf_free(&x->text[i]);
	free(x);
	return rc;
}

/* An element whose text is kept, truncated, in a fixed field. */
struct field {
	const char	*path;
	char		*out;
	size_t		 size;
};

/* The text into the field of that path; 0 when no field has it. */
static int
keep(const struct field *f, const char *path, const char *t, size_t n)
{
	for (; f->path != NULL; f++)
		if (strcmp(path, f->path) == 0) {
			s3_copy(f->out, f->size, t, n);
			return 1;
		}
	return 0;
}

#define FIELD(path, a)	{ path, a, sizeof(a) }

static int
error_cb(void *arg, const char *path, int depth, const char *t, size_t n)
{
	struct s3_xml_error *o = arg;
	const struct field f[] = { FIELD("Error/Code", o->code),
	    FIELD("Error/Message", o->message),
	    FIELD("Error/Region", o->region),
	    FIELD("Error/StringToSign", o->sts),
	    FIELD("Error/ServerTime", o->server_time), { NULL, NULL, 0 } };

	if (depth == 2)
		(void)keep(f, path, t, n);
	return 0;
}

int
s3_xml_error(const char *buf, size_t len, struct s3_xml_error *o,
    struct err *e)
{
	memset(o, 0, sizeof(*o));
	if (s3_xml_parse(buf, len, error_cb, o, e) == -1)
		return -1;
	if (o->code[0] == '\0')
		return err_set(e, EX_PROTOCOL, "answer is not an S3 error");
	return 0;
}

struct one {
	const char	*want;
	char		*out;
	size_t		 size;
	int		 found;
};

static int
one_cb(void *arg, const char *path, int depth, const char *t, size_t n)
{
	struct one *o = arg;

	(void)depth;
	if (strcmp(path, o->want) == 0) {
		if (n >= o->size || n == 0)
			return -1;
		s3_copy(o->out, o->size, t, n);
		o->found = 1;
	}
	return 0;
}

static int
get_one(const char *buf, size_t len, const char *want, char *out,
    size_t size, struct err *e)
{
	struct one o = { want, out, size, 0 };

	err_clear(e);
	if (s3_xml_parse(buf, len, one_cb, &o, e) == -1) {
		if (e != NULL && e->code == 0)
			err_set(e, EX_PROTOCOL, "bad %s in the answer", want);
		return -1;
	}
	if (!o.found)
		return err_set(e, EX_PROTOCOL, "no %s in the answer", want);
	return 0;
}

int
s3_xml_upload_id(const char *buf, size_t len, char *out, size_t size,
    struct err *e)
{
	return get_one(buf, len, "InitiateMultipartUploadResult/UploadId",
	    out, size, e);
}

int
s3_xml_complete(const char *buf, size_t len, char *out, size_t size,
    struct err *e)
{
	return get_one(buf, len, "CompleteMultipartUploadResult/ETag", out,
	    size, e);
}

struct lst {
	int			 url;
	int			(*cb)(void *, const struct s3_xml_entry *);
	void			*arg;
	struct s3_xml_list	*out;
	struct buf		 key, etag, mtime;
	uint64_t		 size;
	int			 have_key, have_size;
	struct err		*e;
};

static int
set_text(struct lst *l, struct buf *b, const char *t, size_t n)
{
	buf_reset(b);
	if (l->url ? pct_decode_buf(b, t, n, PCT_PLUS | PCT_NUL) == -1 :
	    buf_add(b, t, n) == -1)
		return err_set(l->e, EX_PROTOCOL, "bad key in the listing");
	return 0;
}

static int
list_cb(void *arg, const char *path, int depth, const char *t, size_t n)
{
	struct lst *l = arg;
	struct s3_xml_entry ent;
	char *end;
	int rc;

	if (strncmp(path, "ListBucketResult", 16) != 0)
		return err_set(l->e, EX_PROTOCOL, "answer is not a listing");
	path += 16;
	if (depth == 2 && strcmp(path, "/IsTruncated") == 0)
		l->out->truncated = n == 4 && memcmp(t, "true", 4) == 0;
	else if (depth == 2 && strcmp(path, "/NextContinuationToken") == 0)
		s3_copy(l->out->next_token, sizeof(l->out->next_token), t, n);
	else if (depth == 3 && strcmp(path, "/Contents/Key") == 0) {
		if (set_text(l, &l->key, t, n) == -1)
			return -1;
		l->have_key = 1;
	} else if (depth == 3 && strcmp(path, "/Contents/Size") == 0) {
		errno = 0;
		l->size = strtoull(t, &end, 10);
		if (n == 0 || *end != '\0' || errno != 0 || *t == '-')
			return err_set(l->e, EX_PROTOCOL,
			    "bad size in the listing");
		l->have_size = 1;
	} else if (depth == 3 && strcmp(path, "/Contents/ETag") == 0) {
		buf_reset(&l->etag);
		buf_add(&l->etag, t, n);
	} else if (depth == 3 && strcmp(path, "/Contents/LastModified") == 0) {
		buf_reset(&l->mtime);
		buf_add(&l->mtime, t, n);
	} else if (depth == 2 && strcmp(path, "/Contents") == 0) {
		if (!l->have_key || !l->have_size)
			return err_set(l->e, EX_PROTOCOL,
			    "listing entry without key or size");
		memset(&ent, 0, sizeof(ent));
		ent.key = buf_str(&l->key);
		ent.size = l->size;
		ent.mtime = buf_str(&l->mtime);
		ent.etag = buf_str(&l->etag);
		l->out->count++;
		l->have_key = l->have_size = 0;
		rc = l->cb != NULL ? l->cb(l->arg, &ent) : 0;
		buf_reset(&l->etag);
		buf_reset(&l->mtime);
		return rc;
	} else if (depth == 3 && strcmp(path, "/CommonPrefixes/Prefix") == 0) {
		if (set_text(l, &l->key, t, n) == -1)
			return -1;
		memset(&ent, 0, sizeof(ent));
		ent.prefix = buf_str(&l->key);
		l->out->count++;
		return l->cb != NULL ? l->cb(l->arg, &ent) : 0;
	}
	return 0;
}

int
s3_xml_list(const char *buf, size_t len, int url,
    int (*cb)(void *, const struct s3_xml_entry *), void *arg,
    struct s3_xml_list *out, struct err *e)
{
	struct lst l;
	int rc;

	memset(&l, 0, sizeof(l));
	memset(out, 0, sizeof(*out));
	l.url = url;
	l.cb = cb;
	l.arg = arg;
	l.out = out;
	l.e = e;
	l.key.max = l.etag.max = l.mtime.max = S3_XML_MAXTEXT;
	err_clear(e);
	rc = s3_xml_parse(buf, len, list_cb, &l, e);
	if (rc == -1 && e != NULL && e->code == 0)
		err_set(e, EX_PROTOCOL, "listing stopped");
	buf_free(&l.key);
	buf_free(&l.etag);
	buf_free(&l.mtime);
	return rc;
}

struct upl {
	int			(*cb)(void *, const struct s3_xml_upload *);
	void			*arg;
	struct s3_xml_uploads	*out;
	char			 key[1100], id[1100], initiated[64];
	char			 truncated[8];
};

static int
upl_cb(void *arg, const char *path, int depth, const char *t, size_t n)
{
	struct upl *u = arg;
	struct s3_xml_upload ent;
	const struct field f[] = {
	    FIELD("ListMultipartUploadsResult/Upload/Key", u->key),
	    FIELD("ListMultipartUploadsResult/Upload/UploadId", u->id),
	    FIELD("ListMultipartUploadsResult/Upload/Initiated", u->initiated),
	    FIELD("ListMultipartUploadsResult/IsTruncated", u->truncated),
	    FIELD("ListMultipartUploadsResult/NextKeyMarker",
	    u->out->next_key),
	    FIELD("ListMultipartUploadsResult/NextUploadIdMarker",
	    u->out->next_id), { NULL, NULL, 0 } };

	(void)depth;
	if (keep(f, path, t, n))
		return 0;
	if (strcmp(path, "ListMultipartUploadsResult/Upload") != 0)
		return 0;
	if (u->key[0] == '\0' || u->id[0] == '\0')
		return -1;
	ent.key = u->key;
	ent.upload_id = u->id;
	ent.initiated = u->initiated;
	if (u->cb != NULL && u->cb(u->arg, &ent) == -1)
		return -1;
	u->key[0] = u->id[0] = u->initiated[0] = '\0';
	return 0;
}

int
s3_xml_uploads(const char *buf, size_t len,
    int (*cb)(void *, const struct s3_xml_upload *), void *arg,
    struct s3_xml_uploads *out, struct err *e)
{
	struct upl *u;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	u->cb = cb;
	u->arg = arg;
	u->out = out;
	err_clear(e);
	rc = s3_xml_parse(buf, len, upl_cb, u, e);
	if (rc == -1 && e != NULL && e->code == 0)
		err_set(e, EX_PROTOCOL, "bad multipart upload listing");
	out->truncated = strcmp(u->truncated, "true") == 0;
	free(u);
	return rc;
}

struct del {
	int	(*cb)(void *, const char *, const char *, const char *);
	void	*arg;
	long	*deleted;
	char	 key[1100], code[64], msg[256];
};

static int
del_cb(void *arg, const char *path, int depth, const char *t, size_t n)
{
	struct del *d = arg;

	const struct field f[] = { FIELD("DeleteResult/Error/Key", d->key),
	    FIELD("DeleteResult/Error/Code", d->code),
	    FIELD("DeleteResult/Error/Message", d->msg), { NULL, NULL, 0 } };

	(void)depth;
	if (strcmp(path, "DeleteResult/Deleted") == 0)
		(*d->deleted)++;
	else if (keep(f, path, t, n))
		return 0;
	else if (strcmp(path, "DeleteResult/Error") == 0) {
		if (d->cb != NULL && d->cb(d->arg, d->key, d->code, d->msg)
		    == -1)
			return -1;
		d->key[0] = d->code[0] = d->msg[0] = '\0';
	}
	return 0;
}

int
s3_xml_delete_result(const char *buf, size_t len,
    int (*cb)(void *, const char *, const char *, const char *), void *arg,
    long *deleted, struct err *e)
{
	struct del d;

	memset(&d, 0, sizeof(d));
	d.cb = cb;
	d.arg = arg;
	d.deleted = deleted;
	*deleted = 0;
	err_clear(e);
	if (s3_xml_parse(buf, len, del_cb, &d, e) == -1) {
		if (e != NULL && e->code == 0)
			err_set(e, EX_PROTOCOL, "delete result stopped");
		return -1;
	}
	return 0;
}

int
s3_xml_escape(struct buf *b, const char *s)
{
	return buf_add_markup(b, s, strlen(s));
}
