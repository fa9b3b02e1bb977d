/*
 * mp.c: streaming multipart/form-data parser.
 *
 * The delimiter is D = LF "--" boundary, optionally preceded by CR.  LF
 * appears in D only at its start, so a partial match that fails can only
 * restart at the byte that broke it: the matcher keeps the bytes of the
 * partial match (at most CR + D) in a small buffer and hands them on as
 * data when the match fails.  The body start counts as just after an LF,
 * so the first delimiter may open the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exitcode.h"
#include "http.h"
#include "mp.h"

#define PAD_MAX	256

enum {
	S_PREAMBLE,	/* before the first delimiter: discarded */
	S_AFTER,	/* just after a delimiter */
	S_DASH,		/* after "-": the close delimiter needs another */
	S_PAD,		/* transport padding after a delimiter */
	S_PAD_LF,	/* CR seen after a delimiter */
	S_HEADERS,	/* part header lines */
	S_BODY,		/* part data */
	S_EPILOGUE,	/* after the close delimiter: discarded */
	S_ERROR
};

struct mp {
	struct mp_limits lim;
	struct mp_callbacks cb;
	int		 state;
	char		 delim[3 + MP_BOUNDARY_MAX + 1];	/* LF "--" b */
	size_t		 dlen;
	char		 hold[1 + 3 + MP_BOUNDARY_MAX + 1];
	size_t		 holdlen;
	size_t		 m;		/* bytes of delim matched */
	size_t		 pad;
	char		*line;		/* header_max + 1 */
	size_t		 linelen;
	size_t		 nheaders;
	size_t		 nparts;
	int		 have_cd;
	char		*name;		/* name_max + 1 */
	char		*filename;	/* filename_max + 1 */
	size_t		 filename_len;
	int		 has_filename;
	char		 type[128];
};

void
mp_limits_default(struct mp_limits *l)
{
	l->parts_max = 64;
	l->header_max = 1024;
	l->headers_max = 16;
	l->name_max = 128;
	l->filename_max = 255;
}

static int
is_bchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c != 0 && strchr("'()+_,-./:=? ", c) != NULL;
}

static const char *
skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/*
 * Reads a parameter value (token or quoted-string) at *sp into out (at
 * most max bytes plus NUL); *outlen is its length.  Returns 0, -1 when
 * malformed, -2 when longer than max.
 */
static int
param_value(const char **sp, char *out, size_t max, size_t *outlen)
{
	const char *s = *sp;
	size_t n = 0;

	if (*s == '"') {
		for (s++; *s != '"'; s++) {
			if (*s == '\0')
				return -1;
			if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
				s++;
			if (n >= max)
				return -2;
			out[n++] = *s;
		}
		s++;
	} else {
		while (http_tchar((unsigned char)*s)) {
			if (n >= max)
				return -2;
			out[n++] = *s++;
		}
		if (n == 0)
			return -1;
	}
	out[n] = '\0';
	*outlen = n;
	*sp = s;
	return 0;
}

/*
 * Reads the name of the next parameter (RFC 9110: "; name = value") at
 * *sp into *k and *klen and moves *sp to its value.  Returns 1 when there
 * is one, 0 at the list's end (*sp past white space), -1 when malformed.
 */
static int
param_name(const char **sp, const char **k, size_t *klen)
{
	const char *s = skip_ws(*sp);

	*sp = s;
	if (*s != ';')
		return 0;
	s = skip_ws(s + 1);
	*k = s;
	while (http_tchar((unsigned char)*s))
		s++;
	*klen = (size_t)(s - *k);
	s = skip_ws(s);
	if (*klen == 0 || *s != '=')
		return -1;
	*sp = skip_ws(s + 1);
	return 1;
}

int
mp_boundary(const char *ct, char *out, struct err *e)
{
	const char *s = ct, *k;
	size_t n, klen;
	int r, found = 0;

	if (ct == NULL)
		return err_set(e, EX_DATAERR, "missing Content-Type");
	s = skip_ws(s);
	if (strncasecmp(s, "multipart/form-data", 19) != 0)
		return err_set(e, EX_DATAERR, "not multipart/form-data");
	s += 19;
	while ((r = param_name(&s, &k, &klen)) == 1) {
		if (klen == 8 && strncasecmp(k, "boundary", 8) == 0) {
			if (found)
				return err_set(e, EX_DATAERR,
				    "two boundary parameters");
			r = param_value(&s, out, MP_BOUNDARY_MAX, &n);
			if (r == -2)
				return err_set(e, EX_DATAERR,
				    "boundary longer than %d characters",
				    MP_BOUNDARY_MAX);
			if (r == -1)
				return err_set(e, EX_DATAERR,
				    "malformed boundary");
			found = 1;
		} else {
			char junk[256];

			if (param_value(&s, junk, sizeof(junk) - 1, &n) != 0)
				return err_set(e, EX_DATAERR,
				    "malformed Content-Type parameter");
		}
	}
	if (r == -1)
		return err_set(e, EX_DATAERR,
		    "malformed Content-Type parameter");
	if (*s != '\0')
		return err_set(e, EX_DATAERR, "malformed Content-Type");
	if (!found)
		return err_set(e, EX_DATAERR, "no boundary in Content-Type");
	for (n = 0; out[n]; n++)
		if (!is_bchar((unsigned char)out[n]))
			return err_set(e, EX_DATAERR,
			    "invalid character in boundary");
	if (n == 0 || out[n - 1] == ' ')
		return err_set(e, EX_DATAERR, "invalid boundary");
	return 0;
}

struct mp *
mp_new(const char *boundary, const struct mp_limits *lim,
    const struct mp_callbacks *cb, struct err *e)
{
	struct mp *p;
	size_t bl = strlen(boundary);

	if (bl == 0 || bl > MP_BOUNDARY_MAX) {
		err_set(e, EX_DATAERR, "invalid boundary");
		return NULL;
	}
	/* one allocation: the state, then the header line and names */
	if (lim->header_max > SIZE_MAX / 4 || lim->name_max > SIZE_MAX / 4 ||
	    lim->filename_max > SIZE_MAX / 4 || (p = calloc(1, sizeof(*p) +
	    lim->header_max + lim->name_max + lim->filename_max + 3)) ==
	    NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	p->lim = *lim;
	p->line = (char *)(p + 1);
	p->name = p->line + lim->header_max + 1;
	p->filename = p->name + lim->name_max + 1;
	p->cb = *cb;
	p->delim[0] = '\n';
	p->delim[1] = p->delim[2] = '-';
	memcpy(p->delim + 3, boundary, bl + 1);
	p->dlen = bl + 3;
	/* the body starts as if just after an LF */
	p->state = S_PREAMBLE;
	p->hold[0] = '\n';
	p->holdlen = 1;
	p->m = 1;
	return p;
}

void
mp_free(struct mp *p)
{
	free(p);
}

size_t
mp_parts(const struct mp *p)
{
	return p->nparts;
}

static int
bad(struct mp *p, struct err *e, const char *msg)
{
	p->state = S_ERROR;
	return err_set(e, EX_DATAERR, "%s", msg);
}

static int
content_disposition(struct mp *p, const char *v, struct err *e)
{
	const char *k;
	size_t klen, n;
	int r, have_name = 0;
	char junk[256];

	if (p->have_cd)
		return bad(p, e, "two Content-Disposition fields in a part");
	p->have_cd = 1;
	if (strncasecmp(v, "form-data", 9) != 0 ||
	    (v[9] != '\0' && v[9] != ';' && v[9] != ' ' && v[9] != '\t'))
		return bad(p, e, "part is not form-data");
	v += 9;
	while ((r = param_name(&v, &k, &klen)) == 1) {
		if (klen == 4 && strncasecmp(k, "name", 4) == 0) {
			if (have_name++)
				return bad(p, e, "two names in a part");
			r = param_value(&v, p->name, p->lim.name_max, &n);
			if (r == -2)
				return bad(p, e, "field name too long");
		} else if (klen == 8 && strncasecmp(k, "filename", 8) == 0) {
			if (p->has_filename++)
				return bad(p, e, "two file names in a part");
			r = param_value(&v, p->filename, p->lim.filename_max,
			    &p->filename_len);
			if (r == -2)
				return bad(p, e, "file name too long");
		} else {
			r = param_value(&v, junk, sizeof(junk) - 1, &n);
			if (r == -2)
				return bad(p, e,
				    "Content-Disposition parameter too long");
		}
		if (r != 0)
			return bad(p, e, "malformed Content-Disposition");
	}
	if (r == -1 || *v != '\0')
		return bad(p, e, "malformed Content-Disposition");
	return 0;
}

static int
header_line(struct mp *p, struct err *e)
{
	char *s = p->line, *v, *end;
	size_t n = p->linelen;

	if (n > 0 && s[n - 1] == '\r')
		n--;
	s[n] = '\0';
	if (memchr(s, '\0', n) != NULL || memchr(s, '\r', n) != NULL)
		return bad(p, e, "control character in part header");
	if (n == 0) {
		struct mp_part part;

		if (!p->have_cd)
			return bad(p, e, "part without Content-Disposition");
		part.index = p->nparts - 1;
		part.name = p->name;
		part.filename = p->has_filename ? p->filename : NULL;
		part.filename_len = p->has_filename ? p->filename_len : 0;
		part.type = p->type;
		p->state = S_BODY;
		p->holdlen = p->m = 0;
		if (p->cb.begin != NULL && p->cb.begin(p->cb.arg, &part, e))
			return p->state = S_ERROR, -1;
		return 0;
	}
	if (++p->nheaders > p->lim.headers_max)
		return bad(p, e, "too many part header fields");
	if (*s == ' ' || *s == '\t')
		return bad(p, e, "folded part header");
	for (v = s; http_tchar((unsigned char)*v); v++)
		;
	if (v == s || *v != ':')
		return bad(p, e, "malformed part header");
	*v++ = '\0';
	v = (char *)skip_ws(v);
	end = v + strlen(v);
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (strcasecmp(s, "content-disposition") == 0)
		return content_disposition(p, v, e);
	if (strcasecmp(s, "content-type") == 0) {
		size_t tl = strlen(v);

		if (tl >= sizeof(p->type))
			tl = sizeof(p->type) - 1;
		memcpy(p->type, v, tl);
		p->type[tl] = '\0';
	}
	return 0;
}

static int
new_part(struct mp *p, struct err *e)
{
	if (++p->nparts > p->lim.parts_max)
		return bad(p, e, "too many parts");
	p->state = S_HEADERS;
	p->linelen = p->nheaders = 0;
	p->have_cd = p->has_filename = 0;
	p->name[0] = p->filename[0] = p->type[0] = '\0';
	p->filename_len = 0;
	return 0;
}

static int
emit(struct mp *p, const void *d, size_t n, struct err *e)
{
	if (n == 0 || p->state != S_BODY || p->cb.data == NULL)
		return 0;
	if (p->cb.data(p->cb.arg, d, n, e) == -1)
		return p->state = S_ERROR, -1;
	return 0;
}

/* The delimiter matched: the part in progress (if any) ends. */
static int
delimiter(struct mp *p, struct err *e)
{
	int body = p->state == S_BODY;

	p->holdlen = p->m = 0;
	p->state = S_AFTER;
	p->pad = 0;
	if (body && p->cb.end != NULL && p->cb.end(p->cb.arg, e) == -1)
		return p->state = S_ERROR, -1;
	return 0;
}

/*
 * Body or preamble bytes from b[*ip]; stops after a delimiter.  Outside a
 * partial match only LF can start one, so the bytes up to the next LF
 * (found with memchr) are data, but for a CR just before it.
 */
static int
scan(struct mp *p, const unsigned char *b, size_t len, size_t *ip,
    struct err *e)
{
	const unsigned char *nl;
	size_t i = *ip, j, k;

	while (i < len) {
		if (p->holdlen == 0) {
			if ((nl = memchr(b + i, '\n', len - i)) == NULL) {
				k = b[len - 1] == '\r' ? len - 1 : len;
				if (emit(p, b + i, k - i, e) == -1)
					return -1;
				if (k < len) {
					p->hold[0] = '\r';
					p->holdlen = 1;
					p->m = 0;
				}
				break;
			}
			j = (size_t)(nl - b);
			k = j > i && b[j - 1] == '\r' ? j - 1 : j;
			if (emit(p, b + i, k - i, e) == -1)
				return -1;
			memcpy(p->hold, b + k, j - k + 1);
			p->holdlen = j - k + 1;
			p->m = 1;
			i = j + 1;
		} else if (b[i] == (unsigned char)p->delim[p->m]) {
			p->hold[p->holdlen++] = (char)b[i++];
			if (++p->m == p->dlen) {
				*ip = i;
				return delimiter(p, e);
			}
		} else {
			/* the partial match failed: it was data */
			if (emit(p, p->hold, p->holdlen, e) == -1)
				return -1;
			p->holdlen = p->m = 0;
		}
	}
	*ip = len;
	return 0;
}

int
mp_feed(struct mp *p, const void *buf, size_t len, struct err *e)
{
	const unsigned char *b = buf;
	size_t i = 0;
	unsigned char c;

	while (i < len) {
		switch (p->state) {
		case S_PREAMBLE:
		case S_BODY:
			if (scan(p, b, len, &i, e) == -1)
				return -1;
			break;
		case S_DASH:
			if (b[i++] != '-')
				return bad(p, e,
				    "junk after a boundary delimiter");
			p->state = S_EPILOGUE;
			break;
		case S_AFTER:
			/* "--" closes; else padding and a line end follow */
			if (b[i] == '-') {
				i++;
				p->state = S_DASH;
			} else
				p->state = S_PAD;
			break;
		case S_PAD:
			c = b[i++];
			if (c == '\r')
				p->state = S_PAD_LF;
			else if (c == '\n') {
				if (new_part(p, e) == -1)
					return -1;
			} else if ((c != ' ' && c != '\t') ||
			    ++p->pad > PAD_MAX)
				return bad(p, e,
				    "junk after a boundary delimiter");
			break;
		case S_PAD_LF:
			if (b[i++] != '\n')
				return bad(p, e,
				    "junk after a boundary delimiter");
			if (new_part(p, e) == -1)
				return -1;
			break;
		case S_HEADERS:
			c = b[i++];
			if (c == '\n') {
				if (header_line(p, e) == -1)
					return -1;
				p->linelen = 0;
				break;
			}
			if (p->linelen >= p->lim.header_max)
				return bad(p, e, "part header too long");
			p->line[p->linelen++] = (char)c;
			break;
		case S_EPILOGUE:
			return 0;
		default:
			return err_set(e, EX_DATAERR,
			    "multipart parser used after an error");
		}
	}
	return 0;
}

int
mp_finish(struct mp *p, struct err *e)
{
	if (p->state == S_EPILOGUE)
		return 0;
	if (p->state == S_ERROR)
		return err_set(e, EX_DATAERR,
		    "multipart parser used after an error");
	return bad(p, e, "missing final boundary");
}
