/*
 * test_sigv4.c: the signer against published vectors, read at run time
 * from tests/fixtures/sigv4 (under $IMGQ_TOP, default the current folder):
 *
 * - every example of s3-doc-vectors.json (the S3 API Reference): canonical
 *   request, signed headers, string to sign, signature, Authorization,
 *   presigned URL, aws-chunked chunk and trailer signatures;
 * - every case of aws-c-auth's aws-signing-test-suite/v4 that follows
 *   S3's rules (the "-normalized" cases are not copied): header signing
 *   and query signing, canonical request, string to sign, signature and
 *   the Authorization line of the signed request.
 *
 * Both sets run twice: deriving the signing key for each signature, then
 * through one key cache shared by every case (secrets, days, regions and
 * services vary between them, so a stale key would break a signature).
 * Then the cache itself: a hit on the same day, a new key on the next day
 * or with another secret, region or service, and a wipe.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sigv4.h"
#include "tap.h"

/* A small JSON reader, enough for the vector files. */
enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	int		 type;
	char		*s;	/* J_STR text, J_BOOL "true"/"false" */
	double		 num;
	char		**keys;	/* J_OBJ */
	struct jv	*kids;	/* J_ARR, J_OBJ */
	size_t		 n;
};

static const char *jp;

/* The key cache of the second pass; NULL in the first. */
static struct sigv4_keycache *keys;
static unsigned long nsigned;	/* signatures made in the second pass */

static void
jws(void)
{
	while (*jp == ' ' || *jp == '\n' || *jp == '\r' || *jp == '\t')
		jp++;
}

static void
put_utf8(struct buf *b, unsigned long c)
{
	if (c < 0x80) {
		buf_addc(b, (int)c);
	} else if (c < 0x800) {
		buf_addc(b, (int)(0xc0 | (c >> 6)));
		buf_addc(b, (int)(0x80 | (c & 0x3f)));
	} else {
		buf_addc(b, (int)(0xe0 | (c >> 12)));
		buf_addc(b, (int)(0x80 | ((c >> 6) & 0x3f)));
		buf_addc(b, (int)(0x80 | (c & 0x3f)));
	}
}

static char *
jstr(void)
{
	struct buf b = { 0 };
	char hex[5];

	jp++;
	while (*jp != '"' && *jp != '\0') {
		if (*jp != '\\') {
			buf_addc(&b, *jp++);
			continue;
		}
		jp++;
		switch (*jp) {
		case 'n': buf_addc(&b, '\n'); break;
		case 't': buf_addc(&b, '\t'); break;
		case 'r': buf_addc(&b, '\r'); break;
		case 'b': buf_addc(&b, '\b'); break;
		case 'f': buf_addc(&b, '\f'); break;
		case 'u':
			memcpy(hex, jp + 1, 4);
			hex[4] = '\0';
			put_utf8(&b, strtoul(hex, NULL, 16));
			jp += 4;
			break;
		default: buf_addc(&b, *jp); break;
		}
		jp++;
	}
	if (*jp == '"')
		jp++;
	return buf_take(&b);
}

static int jval(struct jv *);

static int
jcontainer(struct jv *v, char close)
{
	struct jv kid;
	char *key = NULL;

	jp++;
	for (;;) {
		jws();
		if (*jp == close) {
			jp++;
			return 0;
		}
		if (close == '}') {
			if (*jp != '"')
				return -1;
			key = jstr();
			jws();
			if (*jp++ != ':')
				return -1;
		}
		if (jval(&kid) == -1)
			return -1;
		v->kids = realloc(v->kids, (v->n + 1) * sizeof(*v->kids));
		v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
		if (v->kids == NULL || v->keys == NULL)
			abort();
		v->kids[v->n] = kid;
		v->keys[v->n++] = key;
		key = NULL;
		jws();
		if (*jp == ',')
			jp++;
	}
}

static int
jval(struct jv *v)
{
	char *end;

	memset(v, 0, sizeof(*v));
	jws();
	switch (*jp) {
	case '{': v->type = J_OBJ; return jcontainer(v, '}');
	case '[': v->type = J_ARR; return jcontainer(v, ']');
	case '"': v->type = J_STR; v->s = jstr(); return 0;
	case 'n': v->type = J_NULL; jp += 4; return 0;
	case 't': v->type = J_BOOL; v->s = "true"; jp += 4; return 0;
	case 'f': v->type = J_BOOL; v->s = "false"; jp += 5; return 0;
	default:
		v->type = J_NUM;
		v->num = strtod(jp, &end);
		if (end == jp)
			return -1;
		jp = end;
		return 0;
	}
}

static const struct jv *
jget(const struct jv *o, const char *key)
{
	size_t i;

	if (o == NULL || o->type != J_OBJ)
		return NULL;
	for (i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return &o->kids[i];
	return NULL;
}

static const char *
jgets(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);

	return v != NULL && v->type == J_STR ? v->s : NULL;
}

static char *
slurp(const char *path, size_t *len)
{
	struct buf b = { 0 };
	char chunk[4096];
	size_t r;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, r);
	fclose(f);
	if (len != NULL)
		*len = b.len;
	return buf_take(&b);
}

static char top[2048];

static char *
fixture(const char *rel, size_t *len)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/tests/fixtures/sigv4/%s",
	    top, rel) >= sizeof(path))
		return NULL;
	return slurp(path, len);
}

static time_t
ts(const char *s)
{
	char d[17];
	size_t i, k = 0;
	time_t t = 0;

	for (i = 0; s[i] != '\0' && k < 16; i++)
		if (s[i] != '-' && s[i] != ':')
			d[k++] = s[i];
	d[k] = '\0';
	if (sigv4_parse_amz_date(d, &t) == -1)
		return (time_t)-1;
	return t;
}

/* The S3 API Reference examples. */
static void
doc_header_case(const struct jv *doc, const struct jv *v, const char *name)
{
	struct sigv4_pair h[16];
	struct sigv4_pair p[16];
	struct sigv4_req r = { 0 };
	struct sigv4_creds cr = { jgets(doc, "access_key"),
	    jgets(doc, "secret_key"), NULL, keys };
	struct sigv4_scope sc = { ts(jgets(doc, "timestamp")), "us-east-1",
	    "s3" };
	struct buf creq = { 0 }, sh = { 0 }, sts = { 0 }, authz = { 0 };
	struct sigv4_trace tr = { NULL, &sts };
	const struct jv *hs = jget(v, "headers"), *q = jget(v, "query");
	const char *want_sig;
	char sig[65] = "";
	struct err e;
	size_t i;

	for (i = 0; i < hs->n && i < 16; i++)
		h[i] = (struct sigv4_pair){ hs->keys[i], hs->kids[i].s };
	r.nheaders = i;
	for (i = 0; q != NULL && i < q->n && i < 16; i++)
		p[i] = (struct sigv4_pair){ q->kids[i].kids[0].s,
		    q->kids[i].kids[1].s };
	r.nparams = i;
	r.method = jgets(v, "method");
	r.path = jgets(v, "path");
	r.params = p;
	r.headers = h;
	r.payload_hash = jgets(v, "payload_hash");
	nsigned += keys != NULL;
	ok(sigv4_canonical_request(&r, &creq, &sh, &e) == 0,
	    "doc %s: canonical request builds", name);
	is_str(buf_str(&creq), jgets(v, "canonical_request"),
	    "doc %s: canonical request", name);
	is_str(buf_str(&sh), jgets(v, "signed_headers"),
	    "doc %s: signed headers", name);
	ok(sigv4_sign(&r, &cr, &sc, &authz, sig, &tr, &e) == 0,
	    "doc %s: signs", name);
	is_str(buf_str(&sts), jgets(v, "string_to_sign"),
	    "doc %s: string to sign", name);
	want_sig = jgets(v, "signature");
	if (want_sig == NULL)
		want_sig = jgets(v, "seed_signature");
	is_str(sig, want_sig, "doc %s: signature", name);
	is_str(buf_str(&authz), jgets(v, "authorization"),
	    "doc %s: Authorization", name);
	buf_free(&creq);
	buf_free(&sh);
	buf_free(&sts);
	buf_free(&authz);
}

static void
doc_presign_case(const struct jv *doc, const struct jv *v, const char *name)
{
	struct sigv4_pair h = { "host", jgets(jget(v, "headers"), "host") };
	struct sigv4_req r = { 0 };
	struct sigv4_creds cr = { jgets(doc, "access_key"),
	    jgets(doc, "secret_key"), NULL, keys };
	struct sigv4_scope sc = { ts(jgets(doc, "timestamp")), "us-east-1",
	    "s3" };
	struct buf creq = { 0 }, sts = { 0 }, q = { 0 }, url = { 0 };
	struct sigv4_trace tr = { &creq, &sts };
	char sig[65] = "";
	struct err e;

	r.method = jgets(v, "method");
	r.path = jgets(v, "path");
	r.headers = &h;
	r.nheaders = 1;
	r.payload_hash = jgets(v, "payload_hash");
	nsigned += keys != NULL;
	ok(sigv4_presign(&r, &cr, &sc, 86400, 0, &q, sig, &tr, &e) == 0,
	    "doc %s: presigns", name);
	is_str(buf_str(&creq), jgets(v, "canonical_request"),
	    "doc %s: canonical request", name);
	is_str(buf_str(&sts), jgets(v, "string_to_sign"),
	    "doc %s: string to sign", name);
	is_str(sig, jgets(v, "signature"), "doc %s: signature", name);
	buf_addf(&url, "https://%s", h.value);
	sigv4_uri_encode(&url, r.path, strlen(r.path), 1);
	buf_addf(&url, "?%s", buf_str(&q));
	is_str(buf_str(&url), jgets(v, "presigned_url"),
	    "doc %s: presigned URL", name);
	buf_free(&creq);
	buf_free(&sts);
	buf_free(&q);
	buf_free(&url);
}

static void
doc_chunks(const struct jv *doc, const struct jv *v, const char *name)
{
	struct sigv4_scope sc = { ts(jgets(doc, "timestamp")), "us-east-1",
	    "s3" };
	const struct jv *chunks = jget(v, "chunks");
	struct buf sts = { 0 }, frame = { 0 };
	struct sigv4_trace tr = { NULL, &sts };
	unsigned char key[32];
	char prev[65], sig[65], hash[65], *data;
	const char *tr_canon;
	size_t i, size;
	struct err e;

	sigv4_signing_key(jgets(doc, "secret_key"), &sc, key);
	memcpy(prev, jgets(v, "seed_signature"), 65);
	for (i = 0; chunks != NULL && i < chunks->n; i++) {
		size = (size_t)jget(&chunks->kids[i], "size")->num;
		if ((data = malloc(size + 1)) == NULL)
			abort();
		memset(data, 'a', size);
		sigv4_sha256_hex(data, size, hash);
		free(data);
		buf_reset(&sts);
		ok(sigv4_chunk_sign(key, &sc, prev, hash, sig, &tr, &e) == 0,
		    "doc %s chunk %zu: signs", name, i);
		is_str(buf_str(&sts),
		    jgets(&chunks->kids[i], "string_to_sign"),
		    "doc %s chunk %zu: string to sign", name, i);
		is_str(sig, jgets(&chunks->kids[i], "chunk_signature"),
		    "doc %s chunk %zu: signature", name, i);
		buf_reset(&frame);
		buf_addf(&frame, "%zx;chunk-signature=%s\\r\\n", size, sig);
		is_str(buf_str(&frame),
		    jgets(&chunks->kids[i], "frame_header"),
		    "doc %s chunk %zu: frame header", name, i);
		memcpy(prev, sig, 65);
	}
	if ((tr_canon = jgets(v, "trailer_canonical")) != NULL) {
		buf_reset(&sts);
		ok(sigv4_trailer_sign(key, &sc, prev, tr_canon,
		    strlen(tr_canon), sig, &tr, &e) == 0,
		    "doc %s trailer: signs", name);
		is_str(buf_str(&sts), jgets(v, "trailer_string_to_sign"),
		    "doc %s trailer: string to sign", name);
		is_str(sig, jgets(v, "trailer_signature"),
		    "doc %s trailer: signature", name);
	}
	buf_free(&sts);
	buf_free(&frame);
}

/* The POST policy example: the signature is the policy's HMAC. */
static void
post_policy(const struct jv *doc)
{
	const struct jv *pp = jget(doc, "post_policy_example");
	struct sigv4_scope sc = { 0, "us-east-1", "s3" };
	unsigned char key[32];
	char sig[65], *pol;
	size_t len = 0;

	pol = fixture("post-policy.b64", &len);
	if (!ok(pol != NULL && pp != NULL, "POST policy example present"))
		return;
	while (len > 0 && (pol[len - 1] == '\n' || pol[len - 1] == '\r'))
		len--;
	sc.t = ts("20151229T000000Z");
	sc.region = jgets(pp, "region");
	sigv4_signing_key(jgets(doc, "secret_key"), &sc, key);
	sigv4_hmac_hex(key, pol, len, sig);
	is_str(sig, jgets(pp, "signature"), "doc post-policy: signature");
	free(pol);
}

static void
doc_vectors(void)
{
	struct jv doc;
	const struct jv *vs;
	const char *name;
	char *text;
	size_t i;

	text = fixture("s3-doc-vectors.json", NULL);
	ok(text != NULL, "s3-doc-vectors.json is readable (top %s)", top);
	if (text == NULL)
		return;
	jp = text;
	ok(jval(&doc) == 0, "s3-doc-vectors.json parses");
	vs = jget(&doc, "vectors");
	ok(vs != NULL && vs->n >= 7, "s3-doc-vectors.json has its vectors");
	post_policy(&doc);
	for (i = 0; vs != NULL && i < vs->n; i++) {
		name = jgets(&vs->kids[i], "name");
		if (jgets(&vs->kids[i], "presigned_url") != NULL)
			doc_presign_case(&doc, &vs->kids[i], name);
		else
			doc_header_case(&doc, &vs->kids[i], name);
		if (jget(&vs->kids[i], "chunks") != NULL)
			doc_chunks(&doc, &vs->kids[i], name);
	}
}

/* aws-signing-test-suite/v4 */
struct req {
	char		*method, *path;
	struct sigv4_pair p[32];
	size_t		 np;
	struct sigv4_pair h[32];
	size_t		 nh;
	const char	*body;
	size_t		 bodylen;
};

static char *
pct_decode(const char *s, size_t n)
{
	struct buf b = { 0 };
	char hex[3] = "";
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n + 1 && isxdigit((unsigned char)
		    s[i + 1]) && isxdigit((unsigned char)s[i + 2])) {
			hex[0] = s[i + 1];
			hex[1] = s[i + 2];
			buf_addc(&b, (int)strtoul(hex, NULL, 16));
			i += 2;
		} else
			buf_addc(&b, s[i]);
	}
	return buf_take(&b);
}

static int
parse_request(char *text, size_t len, struct req *r)
{
	char *line, *nl, *sp, *q, *amp, *eq, *end = text + len;
	struct buf *cont = NULL;

	memset(r, 0, sizeof(*r));
	if ((nl = strchr(text, '\n')) == NULL)
		nl = end;
	*nl = '\0';
	if ((sp = strchr(text, ' ')) == NULL ||
	    (q = strstr(text, " HTTP/")) == NULL)
		return -1;
	*sp = '\0';
	*q = '\0';
	r->method = text;
	r->path = sp + 1;
	if ((q = strchr(r->path, '?')) != NULL) {
		*q++ = '\0';
		while (*q != '\0' && r->np < 32) {
			if ((amp = strchr(q, '&')) == NULL)
				amp = q + strlen(q);
			eq = memchr(q, '=', (size_t)(amp - q));
			r->p[r->np].name = pct_decode(q, (size_t)((eq ? eq :
			    amp) - q));
			r->p[r->np++].value = eq ? pct_decode(eq + 1,
			    (size_t)(amp - eq - 1)) : NULL;
			q = *amp ? amp + 1 : amp;
		}
	}
	r->body = "";
	for (line = nl + 1; line < end; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = end;
		*nl = '\0';
		if (*line == '\0') {
			r->body = nl + 1 < end ? nl + 1 : "";
			r->bodylen = nl + 1 < end ? (size_t)(end - nl - 1) : 0;
			break;
		}
		if ((*line == ' ' || *line == '\t') && r->nh > 0) {
			/* A folded line continues the previous value. */
			cont = calloc(1, sizeof(*cont));
			buf_adds(cont, r->h[r->nh - 1].value);
			buf_addc(cont, '\n');
			buf_adds(cont, line);
			r->h[r->nh - 1].value = buf_take(cont);
			free(cont);
			continue;
		}
		if ((eq = strchr(line, ':')) == NULL || r->nh >= 30)
			return -1;
		*eq = '\0';
		r->h[r->nh].name = line;
		r->h[r->nh++].value = eq + 1;
	}
	return 0;
}

static void
trim_nl(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

static char *
case_file(const char *c, const char *f)
{
	char rel[512];
	char *s;

	if ((size_t)snprintf(rel, sizeof(rel), "v4/%s/%s", c, f) >=
	    sizeof(rel))
		return NULL;
	if ((s = fixture(rel, NULL)) != NULL)
		trim_nl(s);
	return s;
}

/* The Authorization line of a signed request, with ", " as ",". */
static char *
authz_line(const char *signed_req)
{
	const char *a = strstr(signed_req, "Authorization:");
	struct buf b = { 0 };

	if (a == NULL)
		return NULL;
	for (a += 14; *a == ' '; a++)
		;
	for (; *a != '\0' && *a != '\n'; a++) {
		if (*a == ' ' && a[-1] == ',')
			continue;
		buf_addc(&b, *a);
	}
	return buf_take(&b);
}

static void
suite_case(const char *c)
{
	struct jv ctx;
	const struct jv *crd, *v;
	struct req r;
	struct sigv4_req sr = { 0 };
	struct sigv4_creds cr;
	struct sigv4_scope sc;
	struct buf creq = { 0 }, sts = { 0 }, authz = { 0 }, q = { 0 };
	struct sigv4_trace tr = { &creq, &sts };
	char *ctxt, *reqt, *want, *sreq, date[17], hash[65], sig[65] = "";
	char rel[512];
	int sign_body, omit;
	size_t len, nh;
	struct err e;

	ctxt = case_file(c, "context.json");
	(void)snprintf(rel, sizeof(rel), "v4/%s/request.txt", c);
	reqt = fixture(rel, &len);
	if (!ok(ctxt != NULL && reqt != NULL, "suite %s: files read", c))
		return;
	jp = ctxt;
	if (!ok(jval(&ctx) == 0 && parse_request(reqt, len, &r) == 0,
	    "suite %s: context and request parse", c))
		return;
	crd = jget(&ctx, "credentials");
	cr.access_key = jgets(crd, "access_key_id");
	cr.secret_key = jgets(crd, "secret_access_key");
	cr.token = jgets(crd, "token");
	cr.keys = keys;
	sc.t = ts(jgets(&ctx, "timestamp"));
	sc.region = jgets(&ctx, "region");
	sc.service = jgets(&ctx, "service");
	sign_body = (v = jget(&ctx, "sign_body")) != NULL &&
	    strcmp(v->s, "true") == 0;
	omit = (v = jget(&ctx, "omit_session_token")) != NULL &&
	    strcmp(v->s, "true") == 0;
	sigv4_sha256_hex(r.body, r.bodylen, hash);
	sigv4_amz_date(sc.t, date);

	/* Header signing. */
	nh = r.nh;
	r.h[nh++] = (struct sigv4_pair){ "X-Amz-Date", date };
	if (cr.token != NULL && !omit)
		r.h[nh++] = (struct sigv4_pair){ "X-Amz-Security-Token",
		    cr.token };
	if (sign_body)
		r.h[nh++] = (struct sigv4_pair){ "X-Amz-Content-Sha256",
		    hash };
	sr.method = r.method;
	sr.path = r.path;
	sr.params = r.p;
	sr.nparams = r.np;
	sr.headers = r.h;
	sr.nheaders = nh;
	sr.payload_hash = hash;
	nsigned += 2 * (keys != NULL);
	ok(sigv4_sign(&sr, &cr, &sc, &authz, sig, &tr, &e) == 0,
	    "suite %s: header signing", c);
	want = case_file(c, "header-canonical-request.txt");
	is_str(buf_str(&creq), want, "suite %s: header canonical request",
	    c);
	free(want);
	want = case_file(c, "header-string-to-sign.txt");
	is_str(buf_str(&sts), want, "suite %s: header string to sign", c);
	free(want);
	want = case_file(c, "header-signature.txt");
	is_str(sig, want, "suite %s: header signature", c);
	free(want);
	sreq = case_file(c, "header-signed-request.txt");
	want = sreq ? authz_line(sreq) : NULL;
	is_str(buf_str(&authz), want, "suite %s: Authorization", c);
	free(want);
	free(sreq);

	/* Query signing (presigned). */
	buf_reset(&creq);
	buf_reset(&sts);
	sr.nheaders = r.nh;
	ok(sigv4_presign(&sr, &cr, &sc, (long)jget(&ctx,
	    "expiration_in_seconds")->num, omit, &q, sig, &tr, &e) == 0,
	    "suite %s: query signing", c);
	want = case_file(c, "query-canonical-request.txt");
	is_str(buf_str(&creq), want, "suite %s: query canonical request",
	    c);
	free(want);
	want = case_file(c, "query-string-to-sign.txt");
	is_str(buf_str(&sts), want, "suite %s: query string to sign", c);
	free(want);
	want = case_file(c, "query-signature.txt");
	is_str(sig, want, "suite %s: query signature", c);
	free(want);
	buf_free(&creq);
	buf_free(&sts);
	buf_free(&authz);
	buf_free(&q);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
suite(void)
{
	char path[4096], *names[128];
	struct dirent *d;
	size_t n = 0, i;
	DIR *dir;

	(void)snprintf(path, sizeof(path), "%s/tests/fixtures/sigv4/v4", top);
	if (!ok((dir = opendir(path)) != NULL, "suite folder %s", path))
		return;
	while ((d = readdir(dir)) != NULL && n < 128)
		if (d->d_name[0] != '.' && (names[n] = strdup(d->d_name)))
			n++;
	closedir(dir);
	qsort(names, n, sizeof(names[0]), cmp_name);
	ok(n >= 31, "suite has its %zu S3-applicable cases", n);
	for (i = 0; i < n; i++) {
		suite_case(names[i]);
		free(names[i]);
	}
}

/* S3 rules beyond the vectors: encode once, never normalise. */
static void
s3_rules(void)
{
	struct buf b = { 0 };
	time_t t;

	sigv4_uri_encode(&b, "/a b+c%/../..//x~y*", 19, 1);
	is_str(buf_str(&b), "/a%20b%2Bc%25/../..//x~y%2A",
	    "path: each byte encoded once, dots and slashes kept");
	buf_reset(&b);
	sigv4_uri_encode(&b, "a/b=c&d", 7, 0);
	is_str(buf_str(&b), "a%2Fb%3Dc%26d", "query: '/' encoded");
	buf_reset(&b);
	sigv4_uri_encode(&b, "\xe1\x88\xb4", 3, 1);
	is_str(buf_str(&b), "%E1%88%B4", "UTF-8 bytes upper-case hex");
	buf_free(&b);
	ok(sigv4_parse_amz_date("20150830T123600Z", &t) == 0 &&
	    t == 1440938160, "x-amz-date parses");
	ok(sigv4_parse_amz_date("20150830T123600", &t) == -1,
	    "x-amz-date without Z refused");
	ok(sigv4_parse_amz_date("2015083OT123600Z", &t) == -1,
	    "x-amz-date with a letter refused");
}

static int
key_is(const unsigned char got[32], const char *secret, time_t t,
    const char *region, const char *service)
{
	struct sigv4_scope sc = { t, region, service };
	unsigned char want[32];

	sigv4_signing_key(secret, &sc, want);
	return memcmp(got, want, 32) == 0;
}

static int
zeroed(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* The cache on its own, and signing through it across a day. */
static void
keycache(void)
{
	static const char longreg[] = "a-region-name-longer-than-the-cache-"
	    "keeps-which-is-sixty-three-bytes";
	struct sigv4_keycache kc;
	struct sigv4_scope sc = { 1440938160, "us-east-1", "s3" };
	struct sigv4_pair h[3] = { { "host", "b.s3.amazonaws.com" },
	    { "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
	    { "x-amz-date", NULL } };
	struct sigv4_req r = { "GET", "/k", NULL, 0, h, 3,
	    SIGV4_EMPTY_SHA256 };
	struct sigv4_creds cr = { "AKID", "s3cr3t", NULL, NULL };
	struct buf a = { 0 };
	unsigned char k1[32], k2[32], k[32];
	char date[17], want[65], got[65];
	struct err e;
	int day;

	memset(&kc, 0, sizeof(kc));
	is_int(sigv4_keycache_get(&kc, "s3cr3t", &sc, k1), 0,
	    "keycache: empty, the key is derived");
	ok(key_is(k1, "s3cr3t", sc.t, "us-east-1", "s3"),
	    "keycache: derived key is the signing key");
	sc.t += 3600;
	is_int(sigv4_keycache_get(&kc, "s3cr3t", &sc, k), 1,
	    "keycache: same day, from the cache");
	ok(memcmp(k, k1, 32) == 0, "keycache: same day, same key");
	is_int(kc.derived, 1, "keycache: derived once for the day");
	sc.t = 1440938160 + 86400;
	is_int(sigv4_keycache_get(&kc, "s3cr3t", &sc, k2), 0,
	    "keycache: next day, derived again");
	ok(memcmp(k2, k1, 32) != 0 && key_is(k2, "s3cr3t", sc.t,
	    "us-east-1", "s3"), "keycache: next day, a new key, right");
	is_int(sigv4_keycache_get(&kc, "s3cr3t", &sc, k), 1,
	    "keycache: next day, then from the cache");
	is_int(sigv4_keycache_get(&kc, "other", &sc, k), 0,
	    "keycache: another secret, derived");
	ok(key_is(k, "other", sc.t, "us-east-1", "s3"),
	    "keycache: another secret, its own key");
	sc.region = "eu-west-1";
	is_int(sigv4_keycache_get(&kc, "other", &sc, k), 0,
	    "keycache: another region, derived");
	ok(key_is(k, "other", sc.t, "eu-west-1", "s3"),
	    "keycache: another region, its own key");
	sc.service = "sts";
	is_int(sigv4_keycache_get(&kc, "other", &sc, k), 0,
	    "keycache: another service, derived");
	ok(key_is(k, "other", sc.t, "eu-west-1", "sts"),
	    "keycache: another service, its own key");
	sigv4_keycache_wipe(&kc);
	ok(!kc.valid && zeroed(kc.key, 32) && zeroed(kc.secret_id, 32),
	    "keycache: wiped");
	is_int(sigv4_keycache_get(&kc, "other", &sc, k), 0,
	    "keycache: after a wipe, derived");
	sc.region = longreg;
	is_int(sigv4_keycache_get(&kc, "other", &sc, k), 0,
	    "keycache: a region too long to keep, derived");
	ok(key_is(k, "other", sc.t, longreg, "sts") && !kc.valid &&
	    zeroed(kc.key, 32), "keycache: ...right, and nothing kept");
	is_int(sigv4_keycache_get(&kc, "other", &sc, k), 0,
	    "keycache: ...and derived again");
	sigv4_keycache_wipe(&kc);

	/* Two days of signing through one cache, each as without it. */
	sc.region = "us-east-1";
	sc.service = "s3";
	kc.derived = 0;
	for (day = 0; day < 2; day++) {
		sc.t = 1440938160 + day * 86400;
		sigv4_amz_date(sc.t, date);
		h[2].value = date;
		cr.keys = NULL;
		buf_reset(&a);
		ok(sigv4_sign(&r, &cr, &sc, &a, want, NULL, &e) == 0,
		    "keycache: day %d signs without a cache", day);
		cr.keys = &kc;
		buf_reset(&a);
		ok(sigv4_sign(&r, &cr, &sc, &a, got, NULL, &e) == 0 &&
		    sigv4_sign(&r, &cr, &sc, &a, got, NULL, &e) == 0,
		    "keycache: day %d signs twice with it", day);
		is_str(got, want, "keycache: day %d, same signature", day);
	}
	is_int(kc.derived, 2, "keycache: one key per day over 4 signatures");
	sigv4_keycache_wipe(&kc);
	buf_free(&a);
}

int
main(void)
{
	const char *t = getenv("IMGQ_TOP");
	struct sigv4_keycache kc;

	(void)snprintf(top, sizeof(top), "%s", t != NULL && *t ? t : ".");
	s3_rules();
	doc_vectors();
	suite();
	memset(&kc, 0, sizeof(kc));
	keys = &kc;
	doc_vectors();
	suite();
	ok(kc.derived >= 2 && kc.derived < nsigned / 4 && kc.valid,
	    "one cache over both sets: %lu keys derived for %lu signatures",
	    kc.derived, nsigned);
	sigv4_keycache_wipe(&kc);
	keys = NULL;
	keycache();
	return tap_done();
}
