/*
 * opauth.h: the operator's credentials, checked the same way by every
 * server that offers operator routes (imgq-recv(8), ACCESS).
 *
 * The token is kept only as its SHA-256 and compared digest to digest
 * in constant time.  The session cookie is "EXPIRY.HMAC": an HMAC of the
 * expiry keyed with that digest, so it names no secret, needs no store,
 * and every cookie dies when the token changes.
 */
#ifndef IMGQ_OPAUTH_H
#define IMGQ_OPAUTH_H

#include <stddef.h>

#include "http.h"

#define OPAUTH_COOKIE	"imgq_session"

/* How a request is the operator's. */
enum { OP_NONE, OP_BEARER, OP_COOKIE, OP_FRONT };

struct opauth {
	int		 on;		/* a token is configured */
	unsigned char	 digest[32];	/* its SHA-256 */
};

/* token NULL: none (only a front server's word can name the operator). */
void	opauth_init(struct opauth *, const char *token);

/* 1 when token (len bytes) is the operator's. */
int	opauth_token_ok(const struct opauth *, const char *, size_t);

/* The session cookie's HMAC of expiry (decimal seconds), 64 hex digits. */
void	opauth_session_mac(const struct opauth *, const char *expiry,
	    char hex[65]);

/*
 * How the request is the operator's: a right Bearer token, a live
 * session cookie, or front_user (the trusted front server's word, NULL
 * or empty when none).
 */
int	opauth_request(const struct opauth *, const struct http_req *,
	    const char *front_user);

#endif
