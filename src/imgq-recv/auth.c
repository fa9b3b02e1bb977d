/*
 * auth.c: who is the operator (imgq-recv(8), ACCESS).
 *
 * Uploading and following one's own job need nothing: the job id is
 * the capability.  The operator routes need one of: the token of the
 * settings as "Authorization: Bearer" (scripts); the session cookie the
 * sign-in form gives for it (the dashboard); or, when the settings name
 * it, the identity a trusted front server passes.  With none of them
 * configured the operator routes are off.
 *
 * opauth.c checks the token and the cookie (imgq-events shares it).  A
 * cookie or a front
 * server's identity is sent by the browser on its own, so requests that
 * change state must also carry X-Imgq-CSRF, a header that no cross-site
 * form can send and no cross-site script may without a CORS preflight
 * that is never granted.  Host and Origin are not trusted for anything.
 */
#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "opauth.h"
#include "pct.h"
#include "recv.h"

#define SESSION_S	43200		/* a sign-in lasts 12 hours */
#define SIGNIN_MAX	4096		/* the form's body, bytes */

void
auth_init(struct srv *s, const char *token)
{
	opauth_init(&s->op, token);
}

int
auth_operator(const struct srv *s, const struct rq *r)
{
	return opauth_request(&s->op, r->req, r->front_user);
}

/*
 * 1 when the request may use an operator route (changes: it changes
 * state); else answers 403 (operator routes off), 401 (no or a wrong
 * credential) or 403 (no CSRF header) and returns 0.
 */
int
need_operator(struct conn *c, const struct rq *r, int changes)
{
	const char *x;

	if (!c->srv->op.on && c->srv->c.front_user == NULL) {
		respond_error(c, 403, "operator access is off: no credential "
		    "is configured", NULL);
		return 0;
	}
	if (c->op == OP_NONE) {
		respond_error(c, 401, "operator credential required",
		    "WWW-Authenticate: Bearer realm=\"imgq\"\r\n");
		return 0;
	}
	x = http_field(r->req, "x-imgq-csrf");
	if (changes && c->op != OP_BEARER && (x == NULL || *x == '\0')) {
		respond_error(c, 403, "X-Imgq-CSRF header required", NULL);
		return 0;
	}
	return 1;
}

/* Reads the sign-in form's body (at most SIGNIN_MAX bytes) into b. */
static int
form_body(struct conn *c, struct buf *b)
{
	const void *d;
	size_t n;
	int done = 0;
	struct err e;

	while (!done) {
		if (body_read(c, &d, &n, &done, &e) == -1)
			return -1;
		if (b->len + n > SIGNIN_MAX)
			return -1;
		buf_add(b, d, n);
	}
	return b->over ? -1 : 0;
}

/* The value of name in a form body (percent-decoded into out). */
static int
form_value(const struct buf *b, const char *name, char *out, size_t outsz)
{
	size_t n = strlen(name), k;
	const char *p = b->p, *end = b->p + b->len;

	while (p < end) {
		k = strcspn(p, "&");
		if (k > (size_t)(end - p))
			k = (size_t)(end - p);
		if (k > n && strncmp(p, name, n) == 0 && p[n] == '=')
			return pct_decode(p + n + 1, k - n - 1, out, outsz,
			    PCT_PLUS);
		p += k + 1;
	}
	return -1;
}

/* POST /signin with token=...: 204 and the session cookie, or 401. */
void
handle_signin(struct conn *c, struct rq *r)
{
	struct srv *s = c->srv;
	struct buf b = { 0 };
	char tok[1024], exp[24], mac[65], hdr[256];
	int n;

	if (!s->op.on)
		DONE(respond_error(c, 403, "operator access is off: no "
		    "token is configured", NULL));
	if (r->req->body == HTTP_BODY_NONE || form_body(c, &b) == -1) {
		buf_free(&b);
		c->keepalive = 0;
		DONE(respond_error(c, 400, "a sign-in form of at most "
		    "4096 bytes required", NULL));
	}
	buf_addc(&b, '\0');
	n = !b.over && form_value(&b, "token", tok, sizeof(tok)) == 0 &&
	    opauth_token_ok(&s->op, tok, strlen(tok));
	OPENSSL_cleanse(tok, sizeof(tok));
	OPENSSL_cleanse(b.p, b.len);
	buf_free(&b);
	if (!n) {
		log_warn("%s: sign-in with a wrong token", s->peer[0] ?
		    s->peer : "client");
		DONE(respond_error(c, 401, "wrong token", NULL));
	}
	snprintf(exp, sizeof(exp), "%lld", (long long)time(NULL) + SESSION_S);
	opauth_session_mac(&s->op, exp, mac);
	n = snprintf(hdr, sizeof(hdr), "Set-Cookie: " OPAUTH_COOKIE "=%s.%s; "
	    "Path=%s/; Max-Age=%d; HttpOnly; SameSite=Strict%s\r\n"
	    "Cache-Control: no-store\r\n", exp, mac, r->prefix, SESSION_S,
	    r->https ? "; Secure" : "");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		DONE(respond_error(c, 500, "sign-in cookie too long", NULL));
	respond(c, 204, NULL, hdr, NULL, 0);
}

/* POST /signout: the cookie is cleared (needs the CSRF header). */
void
handle_signout(struct conn *c, struct rq *r)
{
	char hdr[256];
	int n;

	if (!need_operator(c, r, 1))
		return;
	n = snprintf(hdr, sizeof(hdr), "Set-Cookie: " OPAUTH_COOKIE "=; Path=%s/; "
	    "Max-Age=0; HttpOnly; SameSite=Strict%s\r\n"
	    "Cache-Control: no-store\r\n", r->prefix,
	    r->https ? "; Secure" : "");
	if (n < 0 || (size_t)n >= sizeof(hdr))
		DONE(respond_error(c, 500, "cookie too long", NULL));
	respond(c, 204, NULL, hdr, NULL, 0);
}
