/*
 * sigv4.c: AWS Signature Version 4 with S3's rules (see sigv4.h).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * SHA-256 through OpenSSL's low-level interface (deprecated in 3.0, not
 * removed): the EVP one fetches the algorithm from a provider, and the
 * first fetch of a process initialises the provider machinery and reads
 * the OpenSSL configuration, which costs more than the whole of a small
 * request does otherwise.  HMAC is built on it (RFC 2104).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "exitcode.h"
#include "sigv4.h"

#define MAX_HEADERS	64
#define MAX_PARAMS	64

static int
nomem(struct err *e)
{
	return err_set(e, EX_OSERR, "out of memory while signing");
}

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

int
sigv4_uri_encode(struct buf *b, const void *v, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = v;
	char enc[3];
	size_t i, run;

	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n && (unreserved(s[i + run]) ||
		    (keep_slash && s[i + run] == '/')); run++)
			;
		if (run != 0) {
			if (buf_add(b, s + i, run) == -1)
				return -1;
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[s[i] >> 4];
		enc[2] = hex[s[i] & 15];
		if (buf_add(b, enc, 3) == -1)
			return -1;
		run = 1;
	}
	return 0;
}

void
sigv4_amz_date(time_t t, char out[17])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		memcpy(out, "19700101T000000Z", 17);
}

static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

int
sigv4_parse_amz_date(const char *s, time_t *out)
{
	unsigned v[6], w[6] = { 4, 2, 2, 2, 2, 2 };
	size_t i, k, pos = 0;

	for (i = 0; i < 6; i++) {
		if (i == 3 && s[pos++] != 'T')
			return -1;
		v[i] = 0;
		for (k = 0; k < w[i]; k++, pos++) {
			if (!isdigit((unsigned char)s[pos]))
				return -1;
			v[i] = v[i] * 10 + (unsigned)(s[pos] - '0');
		}
	}
	if (s[pos] != 'Z' || s[pos + 1] != '\0' || v[1] < 1 || v[1] > 12 ||
	    v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return -1;
	*out = (time_t)(days_from_civil(v[0], v[1], v[2]) * 86400 +
	    v[3] * 3600 + v[4] * 60 + v[5]);
	return 0;
}

void
sigv4_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void
sigv4_sha256_hex(const void *v, size_t n, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256_CTX c;

	SHA256_Init(&c);
	SHA256_Update(&c, v, n);
	SHA256_Final(md, &c);
	sigv4_hex(md, 32, out);
}

static void
hmac(const void *key, size_t klen, const void *msg, size_t n,
    unsigned char out[32])
{
	unsigned char k[SHA256_CBLOCK], pad[SHA256_CBLOCK], in[32];
	SHA256_CTX c;
	size_t i;

	memset(k, 0, sizeof(k));
	if (klen > sizeof(k)) {
		SHA256_Init(&c);
		SHA256_Update(&c, key, klen);
		SHA256_Final(k, &c);
	} else
		memcpy(k, key, klen);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x36;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, sizeof(pad));
	SHA256_Update(&c, msg, n);
	SHA256_Final(in, &c);
	for (i = 0; i < sizeof(pad); i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256_Init(&c);
	SHA256_Update(&c, pad, sizeof(pad));
	SHA256_Update(&c, in, sizeof(in));
	SHA256_Final(out, &c);
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	OPENSSL_cleanse(in, sizeof(in));
	OPENSSL_cleanse(&c, sizeof(c));
}

void
sigv4_hmac_hex(const unsigned char key[32], const void *msg, size_t n,
    char out[65])
{
	unsigned char md[32];

	hmac(key, 32, msg, n, md);
	sigv4_hex(md, 32, out);
}

void
sigv4_signing_key(const char *secret, const struct sigv4_scope *sc,
    unsigned char out[32])
{
	char date[17], k0[256];
	unsigned char k[32];
	int n;

	sigv4_amz_date(sc->t, date);
	date[8] = '\0';
	n = snprintf(k0, sizeof(k0), "AWS4%s", secret);
	if (n < 0 || (size_t)n >= sizeof(k0))
		n = 0;
	hmac(k0, (size_t)n, date, 8, k);
	hmac(k, 32, sc->region, strlen(sc->region), k);
	hmac(k, 32, sc->service, strlen(sc->service), k);
	hmac(k, 32, "aws4_request", 12, out);
	OPENSSL_cleanse(k0, sizeof(k0));
	OPENSSL_cleanse(k, sizeof(k));
}

void
sigv4_keycache_wipe(struct sigv4_keycache *kc)
{
	OPENSSL_cleanse(kc->key, sizeof(kc->key));
	OPENSSL_cleanse(kc->secret_id, sizeof(kc->secret_id));
	kc->valid = 0;
}

int
sigv4_keycache_get(struct sigv4_keycache *kc, const char *secret,
    const struct sigv4_scope *sc, unsigned char out[32])
{
	unsigned char id[SHA256_DIGEST_LENGTH];
	char date[17];
	size_t rl = strlen(sc->region), sl = strlen(sc->service);
	SHA256_CTX c;

	sigv4_amz_date(sc->t, date);
	date[8] = '\0';
	SHA256_Init(&c);
	SHA256_Update(&c, secret, strlen(secret));
	SHA256_Final(id, &c);
	OPENSSL_cleanse(&c, sizeof(c));
	if (kc->valid && memcmp(kc->date, date, 9) == 0 &&
	    strcmp(kc->region, sc->region) == 0 &&
	    strcmp(kc->service, sc->service) == 0 &&
	    CRYPTO_memcmp(kc->secret_id, id, sizeof(id)) == 0) {
		memcpy(out, kc->key, 32);
		OPENSSL_cleanse(id, sizeof(id));
		return 1;
	}
	sigv4_keycache_wipe(kc);
	sigv4_signing_key(secret, sc, out);
	kc->derived++;
	if (rl < sizeof(kc->region) && sl < sizeof(kc->service)) {
		memcpy(kc->date, date, 9);
		memcpy(kc->region, sc->region, rl + 1);
		memcpy(kc->service, sc->service, sl + 1);
		memcpy(kc->secret_id, id, sizeof(id));
		memcpy(kc->key, out, 32);
		kc->valid = 1;
	}
	OPENSSL_cleanse(id, sizeof(id));
	return 0;
}

int
sigv4_scope_str(const struct sigv4_scope *sc, struct buf *b)
{
	char date[17];

	sigv4_amz_date(sc->t, date);
	date[8] = '\0';
	return buf_addf(b, "%s/%s/%s/aws4_request", date, sc->region,
	    sc->service);
}

/* Canonical query: parameters encoded, sorted by name then value. */
struct eparam {
	char	*name;
	char	*value;
};

static int
cmp_eparam(const void *a, const void *b)
{
	const struct eparam *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return strcmp(x->value, y->value);
}

static char *
encode_dup(const char *s)
{
	struct buf b = { 0 };

	if (sigv4_uri_encode(&b, s, strlen(s), 0) == -1) {
		buf_free(&b);
		return NULL;
	}
	return buf_take(&b);
}

int
sigv4_canonical_query(const struct sigv4_pair *p, size_t n,
    struct buf *out, struct err *e)
{
	struct eparam ep[MAX_PARAMS];
	size_t i, done = 0;
	int rc = -1;

	if (n > MAX_PARAMS)
		return err_set(e, EX_SOFTWARE, "too many query parameters");
	for (; done < n; done++) {
		ep[done].name = encode_dup(p[done].name);
		ep[done].value = encode_dup(p[done].value ? p[done].value :
		    "");
		if (ep[done].name == NULL || ep[done].value == NULL) {
			free(ep[done].name);
			free(ep[done].value);
			nomem(e);
			goto out;
		}
	}
	qsort(ep, n, sizeof(ep[0]), cmp_eparam);
	for (i = 0; i < n; i++) {
		if ((i > 0 && buf_addc(out, '&') == -1) ||
		    buf_adds(out, ep[i].name) == -1 ||
		    buf_addc(out, '=') == -1 ||
		    buf_adds(out, ep[i].value) == -1) {
			nomem(e);
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < done; i++) {
		free(ep[i].name);
		free(ep[i].value);
	}
	return rc;
}

/* Canonical headers. */
struct chdr {
	char		*name;	/* lower-cased */
	const char	*value;
	size_t		 idx;
};

static int
cmp_chdr(const void *a, const void *b)
{
	const struct chdr *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The value trimmed, inner whitespace runs folded to one space. */
static int
add_trimmed(struct buf *b, const char *v)
{
	int space = 0, any = 0;

	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
			space = any;
			continue;
		}
		if (space && buf_addc(b, ' ') == -1)
			return -1;
		if (buf_addc(b, *v) == -1)
			return -1;
		space = 0;
		any = 1;
	}
	return 0;
}

static int
canonical_headers(const struct sigv4_pair *h, size_t n,
    struct buf *out, struct buf *signed_hdrs, struct err *e)
{
	struct chdr ch[MAX_HEADERS];
	size_t i, k, done = 0;
	int rc = -1;

	if (n > MAX_HEADERS)
		return err_set(e, EX_SOFTWARE, "too many headers to sign");
	for (; done < n; done++) {
		if ((ch[done].name = strdup(h[done].name)) == NULL) {
			nomem(e);
			goto out;
		}
		for (k = 0; ch[done].name[k] != '\0'; k++)
			ch[done].name[k] = (char)tolower(
			    (unsigned char)ch[done].name[k]);
		ch[done].value = h[done].value;
		ch[done].idx = done;
	}
	qsort(ch, n, sizeof(ch[0]), cmp_chdr);
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(ch[i].name, ch[i - 1].name) == 0) {
			if (buf_addc(out, ',') == -1 ||
			    add_trimmed(out, ch[i].value) == -1)
				goto mem;
		} else {
			if ((i > 0 && (buf_addc(out, '\n') == -1 ||
			    buf_addc(signed_hdrs, ';') == -1)) ||
			    buf_adds(out, ch[i].name) == -1 ||
			    buf_addc(out, ':') == -1 ||
			    add_trimmed(out, ch[i].value) == -1 ||
			    buf_adds(signed_hdrs, ch[i].name) == -1)
				goto mem;
		}
	}
	if (n > 0 && buf_addc(out, '\n') == -1)
		goto mem;
	rc = 0;
	goto out;
mem:
	nomem(e);
out:
	for (i = 0; i < done; i++)
		free(ch[i].name);
	return rc;
}

int
sigv4_canonical_request(const struct sigv4_req *r, struct buf *creq,
    struct buf *signed_hdrs, struct err *e)
{
	if (r->path == NULL || r->path[0] != '/')
		return err_set(e, EX_SOFTWARE, "path must start with '/'");
	if (buf_adds(creq, r->method) == -1 ||
	    buf_addc(creq, '\n') == -1 ||
	    sigv4_uri_encode(creq, r->path, strlen(r->path), 1) == -1 ||
	    buf_addc(creq, '\n') == -1)
		return nomem(e);
	if (sigv4_canonical_query(r->params, r->nparams, creq, e) == -1)
		return -1;
	if (buf_addc(creq, '\n') == -1)
		return nomem(e);
	if (canonical_headers(r->headers, r->nheaders, creq, signed_hdrs,
	    e) == -1)
		return -1;
	if (buf_addc(creq, '\n') == -1 ||
	    buf_add(creq, signed_hdrs->p, signed_hdrs->len) == -1 ||
	    buf_addc(creq, '\n') == -1 ||
	    buf_adds(creq, r->payload_hash) == -1)
		return nomem(e);
	return 0;
}

int
sigv4_string_to_sign(const struct sigv4_scope *sc, const char *creq,
    size_t len, struct buf *sts, struct err *e)
{
	char date[17], hash[65];

	sigv4_amz_date(sc->t, date);
	sigv4_sha256_hex(creq, len, hash);
	if (buf_adds(sts, SIGV4_ALGO "\n") == -1 ||
	    buf_adds(sts, date) == -1 || buf_addc(sts, '\n') == -1 ||
	    sigv4_scope_str(sc, sts) == -1 || buf_addc(sts, '\n') == -1 ||
	    buf_adds(sts, hash) == -1)
		return nomem(e);
	return 0;
}

/* The signature of sts by key, the text kept when traced; sts freed. */
static int
sign_sts(const unsigned char key[32], struct buf *sts, char sig[65],
    struct sigv4_trace *tr, struct err *e)
{
	int rc = 0;

	sigv4_hmac_hex(key, sts->p, sts->len, sig);
	if (tr != NULL && tr->sts != NULL &&
	    buf_add(tr->sts, sts->p, sts->len) == -1)
		rc = nomem(e);
	buf_free(sts);
	return rc;
}

/* creq -> sts -> signature, keeping the texts when traced. */
static int
sign_creq(const struct buf *creq, const struct sigv4_creds *cr,
    const struct sigv4_scope *sc, char sig[65], struct sigv4_trace *tr,
    struct err *e)
{
	struct buf sts = { 0 };
	unsigned char key[32];
	int rc;

	if (tr != NULL && tr->creq != NULL &&
	    buf_add(tr->creq, creq->p, creq->len) == -1)
		return nomem(e);
	if (sigv4_string_to_sign(sc, creq->p, creq->len, &sts, e) == -1) {
		buf_free(&sts);
		return -1;
	}
	if (cr->keys != NULL)
		(void)sigv4_keycache_get(cr->keys, cr->secret_key, sc, key);
	else
		sigv4_signing_key(cr->secret_key, sc, key);
	rc = sign_sts(key, &sts, sig, tr, e);
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int
sigv4_sign(const struct sigv4_req *r, const struct sigv4_creds *cr,
    const struct sigv4_scope *sc, struct buf *authz, char *sigout,
    struct sigv4_trace *tr, struct err *e)
{
	struct buf creq = { 0 }, sh = { 0 };
	char sig[65];
	int rc = -1;

	if (sigv4_canonical_request(r, &creq, &sh, e) == -1)
		goto out;
	if (sign_creq(&creq, cr, sc, sig, tr, e) == -1)
		goto out;
	if (buf_addf(authz, SIGV4_ALGO " Credential=%s/", cr->access_key)
	    == -1 || sigv4_scope_str(sc, authz) == -1 ||
	    buf_addf(authz, ",SignedHeaders=%s,Signature=%s",
	    buf_str(&sh), sig) == -1) {
		nomem(e);
		goto out;
	}
	if (sigout != NULL)
		memcpy(sigout, sig, 65);
	rc = 0;
out:
	buf_free(&creq);
	buf_free(&sh);
	return rc;
}

int
sigv4_presign(const struct sigv4_req *r, const struct sigv4_creds *cr,
    const struct sigv4_scope *sc, long expires_s, int omit_token,
    struct buf *query, char *sigout, struct sigv4_trace *tr,
    struct err *e)
{
	struct sigv4_pair p[MAX_PARAMS];
	struct sigv4_req q = *r;
	struct buf creq = { 0 }, sh = { 0 }, sh2 = { 0 }, cred = { 0 };
	char date[17], exp[24], sig[65];
	size_t n = r->nparams, i;
	int rc = -1;

	if (expires_s < 1 || expires_s > 604800)
		return err_set(e, EX_USAGE,
		    "expiry %ld is out of range 1..604800 seconds", expires_s);
	if (n + 6 > MAX_PARAMS)
		return err_set(e, EX_SOFTWARE, "too many query parameters");
	/* The signed headers go into the query before signing. */
	if (canonical_headers(r->headers, r->nheaders, &creq, &sh, e) == -1)
		goto out;
	buf_reset(&creq);
	sigv4_amz_date(sc->t, date);
	(void)snprintf(exp, sizeof(exp), "%ld", expires_s);
	if (buf_addf(&cred, "%s/", cr->access_key) == -1 ||
	    sigv4_scope_str(sc, &cred) == -1) {
		nomem(e);
		goto out;
	}
	for (i = 0; i < n; i++)
		p[i] = r->params[i];
	p[n++] = (struct sigv4_pair){ "X-Amz-Algorithm", SIGV4_ALGO };
	p[n++] = (struct sigv4_pair){ "X-Amz-Credential", cred.p };
	p[n++] = (struct sigv4_pair){ "X-Amz-Date", date };
	p[n++] = (struct sigv4_pair){ "X-Amz-Expires", exp };
	if (cr->token != NULL && !omit_token)
		p[n++] = (struct sigv4_pair){ "X-Amz-Security-Token",
		    cr->token };
	p[n++] = (struct sigv4_pair){ "X-Amz-SignedHeaders", sh.p };
	q.params = p;
	q.nparams = n;
	if (sigv4_canonical_request(&q, &creq, &sh2, e) == -1)
		goto out;
	if (sign_creq(&creq, cr, sc, sig, tr, e) == -1 ||
	    sigv4_canonical_query(p, n, query, e) == -1)
		goto out;
	if (buf_addf(query, "&X-Amz-Signature=%s", sig) == -1) {
		nomem(e);
		goto out;
	}
	if (cr->token != NULL && omit_token &&
	    (buf_adds(query, "&X-Amz-Security-Token=") == -1 ||
	    sigv4_uri_encode(query, cr->token, strlen(cr->token), 0) == -1)) {
		nomem(e);
		goto out;
	}
	if (sigout != NULL)
		memcpy(sigout, sig, 65);
	rc = 0;
out:
	buf_free(&creq);
	buf_free(&sh);
	buf_free(&sh2);
	buf_free(&cred);
	return rc;
}

static int
sign_lines(const unsigned char key[32], const char *algo,
    const struct sigv4_scope *sc, const char *prev, const char *h1,
    const char *h2, char sig[65], struct sigv4_trace *tr, struct err *e)
{
	struct buf sts = { 0 };
	char date[17];

	sigv4_amz_date(sc->t, date);
	if (buf_addf(&sts, "%s\n%s\n", algo, date) == -1 ||
	    sigv4_scope_str(sc, &sts) == -1 ||
	    buf_addf(&sts, "\n%s\n", prev) == -1 ||
	    (h1 != NULL && buf_addf(&sts, "%s\n", h1) == -1) ||
	    buf_adds(&sts, h2) == -1) {
		buf_free(&sts);
		return nomem(e);
	}
	return sign_sts(key, &sts, sig, tr, e);
}

int
sigv4_chunk_sign(const unsigned char key[32], const struct sigv4_scope *sc,
    const char *prev, const char *chunk_hash, char sig[65],
    struct sigv4_trace *tr, struct err *e)
{
	return sign_lines(key, "AWS4-HMAC-SHA256-PAYLOAD", sc, prev,
	    SIGV4_EMPTY_SHA256, chunk_hash, sig, tr, e);
}

int
sigv4_trailer_sign(const unsigned char key[32], const struct sigv4_scope *sc,
    const char *prev, const char *trailer, size_t len, char sig[65],
    struct sigv4_trace *tr, struct err *e)
{
	char hash[65];

	sigv4_sha256_hex(trailer, len, hash);
	return sign_lines(key, "AWS4-HMAC-SHA256-TRAILER", sc, prev, NULL,
	    hash, sig, tr, e);
}
