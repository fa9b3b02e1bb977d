/*
 * http.c: streaming HTTP/1.1 request head parser and chunked decoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "exitcode.h"
#include "http.h"
#include "pct.h"

#define LEADING_EMPTY_MAX	8

struct http_parser {
	struct http_limits lim;
	char		*buf;		/* head_max + 1 */
	size_t		 len;		/* bytes in buf */
	size_t		 linestart;	/* offset of the current line */
	size_t		 lines;		/* complete lines of the head */
	size_t		 empties;	/* empty lines skipped before it */
	struct http_field *fields;	/* fields_max */
};

void
http_limits_default(struct http_limits *l)
{
	l->line_max = 8192;
	l->field_max = 8192;
	l->fields_max = 64;
	l->head_max = 32768;
}

/*
 * One allocation holds the parser, its field table and the head's bytes:
 * the limits are known up front, and nothing is half-made on failure.
 */
struct http_parser *
http_parser_new(const struct http_limits *lim, struct err *e)
{
	struct http_parser *p;
	struct http_limits l = *lim;

	if (l.head_max < 16)
		l.head_max = 16;
	if (l.fields_max < 1)
		l.fields_max = 1;
	if (l.head_max > SIZE_MAX / 4 || l.fields_max > SIZE_MAX / 4 /
	    sizeof(*p->fields) || (p = calloc(1, sizeof(*p) + l.fields_max *
	    sizeof(*p->fields) + l.head_max + 1)) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	p->lim = l;
	p->fields = (struct http_field *)(p + 1);
	p->buf = (char *)(p->fields + l.fields_max);
	return p;
}

void
http_parser_reset(struct http_parser *p)
{
	p->len = p->linestart = p->lines = p->empties = 0;
}

void
http_parser_free(struct http_parser *p)
{
	free(p);
}

size_t
http_parser_pending(const struct http_parser *p)
{
	return p->len;
}

static int
fail(struct http_req *r, int status, struct err *e, const char *msg)
{
	r->status = status;
	return err_set(e, EX_DATAERR, "%s", msg);
}

int
http_tchar(int c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return 1;
	return c > 0 && c < 0x80 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static unsigned char
lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (lower(*a) != lower(*b))
			return 0;
	return *a == *b;
}

int
http_has_token(const char *v, const char *tok)
{
	const char *s, *t;
	size_t n = strlen(tok), k;

	if (v == NULL)
		return 0;
	for (s = v; *s; s = *t ? t + 1 : t) {
		while (*s == ' ' || *s == '\t')
			s++;
		if ((t = strchr(s, ',')) == NULL)
			t = s + strlen(s);
		k = (size_t)(t - s);
		while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
			k--;
		if (k == n && strncasecmp(s, tok, n) == 0)
			return 1;
	}
	return 0;
}

const char *
http_field(const struct http_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nfields; i++)
		if (strcmp(r->fields[i].name, name) == 0)
			return r->fields[i].value;
	return NULL;
}

/* Request line, NUL-terminated, CR removed. */
static int
parse_reqline(char *s, struct http_req *r, struct err *e)
{
	char *t, *v;

	r->method = s;
	while (http_tchar((unsigned char)*s))
		s++;
	if (s == r->method || *s != ' ')
		return fail(r, 400, e, "malformed request line");
	*s++ = '\0';
	t = s;
	while ((unsigned char)*s > 0x20 && (unsigned char)*s < 0x7f)
		s++;
	if (s == t || *s != ' ')
		return fail(r, 400, e, "malformed request target");
	*s++ = '\0';
	v = s;
	if (strncmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
	    v[6] != '.' || v[7] < '0' || v[7] > '9' || v[8] != '\0')
		return fail(r, 400, e, "malformed HTTP version");
	if (v[5] != '1')
		return fail(r, 505, e, "HTTP version not supported");
	r->minor = v[7] - '0';
	if (t[0] == '/') {
		r->target = t;
	} else if (strncasecmp(t, "http://", 7) == 0 ||
	    strncasecmp(t, "https://", 8) == 0) {
		/* absolute form: keep the path and query */
		t = strstr(t, "://") + 3;
		while (*t && *t != '/' && *t != '?')
			t++;
		if (*t == '?')
			return fail(r, 400, e, "malformed request target");
		r->target = *t ? t : "/";
	} else if (strcmp(t, "*") == 0 && strcmp(r->method, "OPTIONS") == 0) {
		r->target = t;
	} else {
		return fail(r, 400, e, "malformed request target");
	}
	return 0;
}

static int
parse_field(char *s, struct http_field *f, struct http_req *r,
    struct err *e)
{
	char *v, *end;

	if (*s == ' ' || *s == '\t')
		return fail(r, 400, e, "obsolete line folding");
	f->name = s;
	while (http_tchar((unsigned char)*s)) {
		*s = (char)lower((unsigned char)*s);
		s++;
	}
	if (s == f->name || *s != ':')
		return fail(r, 400, e, "malformed header field");
	*s++ = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	v = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 && c != '\t')
			return fail(r, 400, e,
			    "control character in header field");
		if (c == 0x7f)
			return fail(r, 400, e,
			    "control character in header field");
	}
	end = s;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	f->value = v;
	return 0;
}

static int
parse_length(const char *v, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	if (*v == '\0')
		return -1;
	for (i = 0; v[i]; i++) {
		if (v[i] < '0' || v[i] > '9' || i >= 18)
			return -1;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	*out = n;
	return 0;
}

static int
framing(struct http_req *r, struct err *e)
{
	size_t i, hosts = 0, tes = 0, cls = 0;
	uint64_t n, len = 0;
	const char *te = NULL, *x;

	for (i = 0; i < r->nfields; i++) {
		const struct http_field *f = &r->fields[i];

		if (strcmp(f->name, "content-length") == 0) {
			if (parse_length(f->value, &n) == -1)
				return fail(r, 400, e,
				    "malformed Content-Length");
			if (cls++ > 0 && n != len)
				return fail(r, 400, e,
				    "conflicting Content-Length fields");
			len = n;
		} else if (strcmp(f->name, "transfer-encoding") == 0) {
			te = f->value;
			tes++;
		} else if (strcmp(f->name, "host") == 0) {
			hosts++;
		}
	}
	if (r->minor >= 1 && hosts != 1)
		return fail(r, 400, e, hosts ? "more than one Host field" :
		    "missing Host field");
	if (tes > 0) {
		if (cls > 0)
			return fail(r, 400, e,
			    "both Transfer-Encoding and Content-Length");
		if (tes > 1 || r->minor == 0)
			return fail(r, 400, e, "bad Transfer-Encoding");
		if (!ieq(te, "chunked"))
			return fail(r, 501, e,
			    "transfer coding not implemented");
		r->body = HTTP_BODY_CHUNKED;
	} else if (cls > 0) {
		r->body = HTTP_BODY_LENGTH;
		r->length = len;
	} else {
		r->body = HTTP_BODY_NONE;
	}
	x = http_field(r, "connection");
	if (r->minor >= 1)
		r->keepalive = !http_has_token(x, "close");
	else
		r->keepalive = http_has_token(x, "keep-alive");
	x = http_field(r, "expect");
	r->expect100 = x != NULL && ieq(x, "100-continue") && r->minor >= 1;
	return 0;
}

/* The whole head is in p->buf[0..len); every line ends with LF. */
static int
parse_head(struct http_parser *p, struct http_req *r, struct err *e)
{
	char *s = p->buf, *end = p->buf + p->len, *nl;
	size_t n = 0;
	int first = 1;

	memset(r, 0, sizeof(*r));
	r->fields = p->fields;
	if (memchr(p->buf, '\0', p->len) != NULL)
		return fail(r, 400, e, "NUL byte in request head");
	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		*nl = '\0';
		if (nl > s && nl[-1] == '\r')
			nl[-1] = '\0';
		if (strchr(s, '\r') != NULL)
			return fail(r, 400, e, "bare CR in request head");
		if (*s == '\0')
			break;
		if (first) {
			if (parse_reqline(s, r, e) == -1)
				return -1;
			first = 0;
			continue;
		}
		if (n >= p->lim.fields_max)
			return fail(r, 431, e, "too many header fields");
		if (parse_field(s, &p->fields[n], r, e) == -1)
			return -1;
		n++;
	}
	r->nfields = n;
	return framing(r, e);
}

int
http_parser_feed(struct http_parser *p, const void *data, size_t len,
    size_t *used, struct http_req *r, struct err *e)
{
	const char *b = data, *nl;
	size_t i = 0, n, linelen, max;

	*used = 0;
	r->status = 0;
	while (i < len) {
		nl = memchr(b + i, '\n', len - i);
		n = nl ? (size_t)(nl - (b + i)) + 1 : len - i;
		max = p->lines == 0 ? p->lim.line_max : p->lim.field_max;
		if (p->len + n > p->lim.head_max) {
			*used = i;
			if (p->lines == 0)
				return fail(r, 414, e, "request line too long");
			return fail(r, 431, e, "request head too large");
		}
		memcpy(p->buf + p->len, b + i, n);
		p->len += n;
		i += n;
		linelen = p->len - p->linestart;
		if (nl == NULL) {
			/* incomplete line: fail early when it is too long */
			if (linelen > max + 1)
				goto toolong;
			break;
		}
		linelen--;
		if (linelen > 0 && p->buf[p->len - 2] == '\r')
			linelen--;
		if (linelen == 0 && p->lines == 0) {
			/* empty lines before the request line are ignored */
			if (++p->empties > LEADING_EMPTY_MAX)
				return fail(r, 400, e, "too many empty lines");
			p->len = p->linestart = 0;
			continue;
		}
		if (linelen > max)
			goto toolong;
		if (linelen == 0) {
			*used = i;
			return parse_head(p, r, e) == -1 ? -1 : 1;
		}
		if (p->lines > p->lim.fields_max)
			return fail(r, 431, e, "too many header fields");
		p->lines++;
		p->linestart = p->len;
	}
	*used = i;
	return 0;
toolong:
	*used = i;
	if (p->lines == 0)
		return fail(r, 414, e, "request line too long");
	return fail(r, 431, e, "header field too long");
}

const char *
http_reason(int s)
{
	switch (s) {
	case 100: return "Continue";
	case 200: return "OK";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 417: return "Expectation Failed";
	case 422: return "Unprocessable Content";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

/* Chunked decoding (RFC 9112 section 7.1). */
enum {
	C_SIZE, C_EXT, C_SIZE_LF, C_DATA, C_DATA_END, C_DATA_LF, C_TRAILER,
	C_TRAILER_LINE, C_END_LF, C_DONE
};

#define TRAILERS_MAX	64

void
http_chunked_init(struct http_chunked *c, size_t line_max)
{
	memset(c, 0, sizeof(*c));
	c->state = C_SIZE;
	c->line_max = line_max ? line_max : 1024;
}

int
http_chunked_done(const struct http_chunked *c)
{
	return c->state == C_DONE;
}

static int
size_line_end(struct http_chunked *c, struct err *e)
{
	if (c->digits == 0)
		return err_set(e, EX_DATAERR, "malformed chunk size");
	c->state = c->left == 0 ? C_TRAILER : C_DATA;
	c->linelen = 0;
	return 0;
}

int
http_chunked_feed(struct http_chunked *c, const void *buf, size_t len,
    size_t *used, const void **data, size_t *dlen, struct err *e)
{
	const unsigned char *b = buf;
	size_t i = 0, n;
	int h;

	*data = NULL;
	*dlen = 0;
	while (i < len && c->state != C_DONE) {
		unsigned char ch = b[i];

		switch (c->state) {
		case C_SIZE:
			if ((h = pct_hexval(ch)) >= 0) {
				if (++c->digits > 15)
					goto bad;
				c->left = c->left * 16 + (uint64_t)h;
			} else if (ch == ';' || ch == ' ' || ch == '\t') {
				c->state = C_EXT;
			} else if (ch == '\r') {
				c->state = C_SIZE_LF;
			} else if (ch == '\n') {
				if (size_line_end(c, e) == -1)
					goto fail;
			} else {
				goto bad;
			}
			i++;
			break;
		case C_EXT:
			if (++c->linelen > c->line_max)
				goto bad;
			if (ch == '\n' && size_line_end(c, e) == -1)
				goto fail;
			i++;
			break;
		case C_SIZE_LF:
			if (ch != '\n' || size_line_end(c, e) == -1)
				goto bad;
			i++;
			break;
		case C_DATA:
			n = len - i;
			if (n > c->left)
				n = (size_t)c->left;
			*data = b + i;
			*dlen = n;
			c->left -= n;
			i += n;
			if (c->left == 0)
				c->state = C_DATA_END;
			*used = i;
			return 0;
		case C_DATA_END:
			if (ch == '\r')
				c->state = C_DATA_LF;
			else if (ch == '\n')
				goto next;
			else
				goto bad;
			i++;
			break;
		case C_DATA_LF:
			if (ch != '\n')
				goto bad;
		next:
			c->state = C_SIZE;
			c->digits = 0;
			c->left = 0;
			c->linelen = 0;
			i++;
			break;
		case C_TRAILER:
			if (ch == '\r') {
				c->state = C_END_LF;
			} else if (ch == '\n') {
				c->state = C_DONE;
			} else {
				if (++c->ntrailers > TRAILERS_MAX)
					goto bad;
				c->state = C_TRAILER_LINE;
				c->linelen = 1;
			}
			i++;
			break;
		case C_TRAILER_LINE:
			if (++c->linelen > c->line_max)
				goto bad;
			if (ch == '\n')
				c->state = C_TRAILER;
			i++;
			break;
		case C_END_LF:
			if (ch != '\n')
				goto bad;
			c->state = C_DONE;
			i++;
			break;
		}
	}
	*used = i;
	return c->state == C_DONE ? 1 : 0;
bad:
	err_set(e, EX_DATAERR, "malformed chunked body");
fail:
	*used = i;
	return -1;
}

int
http_req_write(const struct http_req *r, struct buf *b)
{
	size_t i;

	buf_addf(b, "%s %s HTTP/1.%d\r\n", r->method, r->target, r->minor);
	for (i = 0; i < r->nfields; i++)
		buf_addf(b, "%s: %s\r\n", r->fields[i].name,
		    r->fields[i].value);
	buf_adds(b, "\r\n");
	return b->over ? -1 : 0;
}
