/*
 * opauth.c: the operator's token and session cookie (opauth.h).
 */
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "opauth.h"

void
opauth_init(struct opauth *a, const char *token)
{
	a->on = token != NULL;
	if (token != NULL)
		SHA256((const unsigned char *)token, strlen(token),
		    a->digest);
}

int
opauth_token_ok(const struct opauth *a, const char *token, size_t len)
{
	unsigned char d[SHA256_DIGEST_LENGTH];

	if (!a->on)
		return 0;
	SHA256((const unsigned char *)token, len, d);
	return CRYPTO_memcmp(d, a->digest, sizeof(d)) == 0;
}

void
opauth_session_mac(const struct opauth *a, const char *expiry, char hex[65])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	char msg[64];
	int k;

	k = snprintf(msg, sizeof(msg), "imgq-session %s", expiry);
	if (k < 0 || (size_t)k >= sizeof(msg) || HMAC(EVP_sha256(),
	    a->digest, sizeof(a->digest), (const unsigned char *)msg,
	    (size_t)k, mac, &n) == NULL)
		n = 0;
	for (i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	hex[2 * i] = '\0';
}

/* The value of cookie name in a Cookie field, or NULL; *len its length. */
static const char *
cookie_value(const char *h, const char *name, size_t *len)
{
	size_t n = strlen(name);
	const char *p = h;

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t;");
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			*len = strcspn(p + n + 1, ";");
			return p + n + 1;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

/* 1 when the request carries a live session cookie. */
static int
session_ok(const struct opauth *a, const struct http_req *r)
{
	const char *h = http_field(r, "cookie"), *v, *dot;
	char exp[24], mac[65];
	size_t len, k, i;

	if (!a->on || h == NULL ||
	    (v = cookie_value(h, OPAUTH_COOKIE, &len)) == NULL ||
	    (dot = memchr(v, '.', len)) == NULL)
		return 0;
	k = (size_t)(dot - v);
	if (k == 0 || k >= sizeof(exp) || len - k - 1 != 64)
		return 0;
	for (i = 0; i < k; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	memcpy(exp, v, k);
	exp[k] = '\0';
	if (strtoll(exp, NULL, 10) <= (long long)time(NULL))
		return 0;
	opauth_session_mac(a, exp, mac);
	return strlen(mac) == 64 && CRYPTO_memcmp(mac, dot + 1, 64) == 0;
}

int
opauth_request(const struct opauth *a, const struct http_req *r,
    const char *front_user)
{
	const char *h = http_field(r, "authorization");

	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
		return opauth_token_ok(a, h + 7, strlen(h + 7)) ? OP_BEARER :
		    OP_NONE;
	if (session_ok(a, r))
		return OP_COOKIE;
	if (front_user != NULL && front_user[0] != '\0')
		return OP_FRONT;
	return OP_NONE;
}
