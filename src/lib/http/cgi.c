/*
 * cgi.c: a request from CGI meta-variables (RFC 3875 section 4.1).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cgi.h"
#include "exitcode.h"

struct cgi {
	struct cgi_limits lim;
	char		*buf;		/* total_max: copied names and values */
	size_t		 used;
	struct http_field *fields;	/* fields_max */
};

void
cgi_limits_default(struct cgi_limits *l)
{
	l->fields_max = 64;
	l->value_max = 8192;
	l->total_max = 32768;
}

/* One allocation: the state, the field table, then the arena. */
struct cgi *
cgi_new(const struct cgi_limits *lim, struct err *e)
{
	struct cgi *c;

	if (lim->total_max > SIZE_MAX / 4 || lim->fields_max > SIZE_MAX / 4 /
	    sizeof(*c->fields) || (c = calloc(1, sizeof(*c) +
	    (lim->fields_max + 1) * sizeof(*c->fields) + lim->total_max +
	    1)) == NULL) {
		err_set(e, EX_OSERR, "out of memory");
		return NULL;
	}
	c->lim = *lim;
	c->fields = (struct http_field *)(c + 1);
	c->buf = (char *)(c->fields + lim->fields_max + 1);
	return c;
}

void
cgi_free(struct cgi *c)
{
	free(c);
}

static int
fail(struct cgi_req *r, int status, struct err *e, const char *msg)
{
	r->req.status = status;
	return err_set(e, EX_DATAERR, "%s", msg);
}

/* Copies n bytes into the arena, NUL-terminated; NULL when full. */
static char *
keep(struct cgi *c, const char *s, size_t n)
{
	char *d;

	if (c->used + n + 1 > c->lim.total_max)
		return NULL;
	d = c->buf + c->used;
	memcpy(d, s, n);
	d[n] = '\0';
	c->used += n + 1;
	return d;
}

static const char *
var(char *const *envp, const char *name)
{
	size_t n = strlen(name);

	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, n) == 0 && (*envp)[n] == '=')
			return *envp + n + 1;
	return NULL;
}

static int
add_field(struct cgi *c, struct cgi_req *r, const char *name, size_t nlen,
    const char *value, struct err *e)
{
	struct http_field *f;
	size_t vlen = strlen(value), i;
	char *n;

	if (r->req.nfields >= c->lim.fields_max)
		return fail(r, 431, e, "too many header fields");
	if (vlen > c->lim.value_max)
		return fail(r, 431, e, "header field too long");
	for (i = 0; i < vlen; i++)
		if (((unsigned char)value[i] < 0x20 && value[i] != '\t') ||
		    value[i] == 0x7f)
			return fail(r, 400, e,
			    "control character in header field");
	f = &c->fields[r->req.nfields];
	if ((n = keep(c, name, nlen)) == NULL ||
	    (f->value = keep(c, value, vlen)) == NULL)
		return fail(r, 431, e, "request head too large");
	for (i = 0; i < nlen; i++) {
		if (n[i] == '_')
			n[i] = '-';
		else if (n[i] >= 'A' && n[i] <= 'Z')
			n[i] = (char)(n[i] - 'A' + 'a');
	}
	f->name = n;
	r->req.nfields++;
	return 0;
}

int
cgi_parse(struct cgi *c, char *const *envp, struct cgi_req *r,
    struct err *e)
{
	const char *m, *v, *eq;
	char *const *ep;
	size_t i, nlen;
	uint64_t len = 0;

	memset(r, 0, sizeof(*r));
	c->used = 0;
	r->req.fields = c->fields;
	r->req.minor = 0;
	v = var(envp, "GATEWAY_INTERFACE");
	if (v == NULL || strncmp(v, "CGI/1.", 6) != 0)
		return fail(r, 400, e, "GATEWAY_INTERFACE is not CGI/1.x");
	m = var(envp, "REQUEST_METHOD");
	if (m == NULL || *m == '\0' || strlen(m) > 32)
		return fail(r, 400, e, "missing or bad REQUEST_METHOD");
	for (i = 0; m[i]; i++)
		if (!http_tchar((unsigned char)m[i]))
			return fail(r, 400, e, "malformed REQUEST_METHOD");
	r->req.method = m;
	v = var(envp, "SERVER_PROTOCOL");
	if (v != NULL && strcmp(v, "HTTP/1.1") == 0)
		r->req.minor = 1;
	r->path = var(envp, "PATH_INFO");
	if (r->path == NULL || *r->path == '\0')
		r->path = "/";
	r->query = (v = var(envp, "QUERY_STRING")) ? v : "";
	r->script = (v = var(envp, "SCRIPT_NAME")) ? v : "";
	r->remote = (v = var(envp, "REMOTE_ADDR")) ? v : "";
	r->req.target = r->path;
	if (strlen(r->path) > c->lim.value_max ||
	    strlen(r->query) > c->lim.value_max)
		return fail(r, 414, e, "request target too long");
	for (ep = envp; *ep != NULL; ep++) {
		if ((eq = strchr(*ep, '=')) == NULL)
			continue;
		nlen = (size_t)(eq - *ep);
		if (nlen > 5 && strncmp(*ep, "HTTP_", 5) == 0) {
			if (nlen == 10 && strncmp(*ep, "HTTP_PROXY", 10) == 0)
				continue;
			if (add_field(c, r, *ep + 5, nlen - 5, eq + 1, e))
				return -1;
		} else if ((nlen == 12 && strncmp(*ep, "CONTENT_TYPE", 12) ==
		    0) || (nlen == 14 && strncmp(*ep, "CONTENT_LENGTH", 14) ==
		    0)) {
			if (eq[1] == '\0')
				continue;
			if (add_field(c, r, *ep, nlen, eq + 1, e) == -1)
				return -1;
		}
	}
	v = var(envp, "CONTENT_LENGTH");
	if (v != NULL && *v != '\0') {
		for (i = 0; v[i]; i++) {
			if (v[i] < '0' || v[i] > '9' || i >= 18)
				return fail(r, 400, e,
				    "malformed CONTENT_LENGTH");
			len = len * 10 + (uint64_t)(v[i] - '0');
		}
		r->req.body = HTTP_BODY_LENGTH;
		r->req.length = len;
	} else if ((v = var(envp, "HTTP_TRANSFER_ENCODING")) != NULL &&
	    strcasecmp(v, "chunked") == 0)
		/*
		 * Apache and nginx pass a chunked request's body decoded,
		 * without CONTENT_LENGTH, and close it at its end.
		 */
		r->req.body = HTTP_BODY_EOF;
	r->req.keepalive = 0;
	return 0;
}
