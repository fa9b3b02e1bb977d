/*
 * sigv4.h: AWS Signature Version 4, with S3's rules.
 *
 * S3 differs from the generic SigV4 rules in the path: each byte of the
 * path is percent-encoded once (everything but A-Z a-z 0-9 - . _ ~ and
 * '/'), and the path is never normalised ('.', '..' and '//' stay).  The
 * caller passes the raw (decoded) path and query parameters; this module
 * encodes them, and the same encoded texts must be what goes on the wire
 * (sigv4_uri_encode, with CURLOPT_PATH_AS_IS).
 *
 * Pure functions over OpenSSL's SHA-256 and HMAC: no clock, no
 * environment, no network.  Secrets are used, never copied into outputs.
 */
#ifndef IMGQ_SIGV4_H
#define IMGQ_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "err.h"
#include "buf.h"

#define SIGV4_ALGO	"AWS4-HMAC-SHA256"
#define SIGV4_UNSIGNED	"UNSIGNED-PAYLOAD"
#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/*
 * A query parameter (raw bytes; value NULL means "name" without '=') or a
 * header as sent (every header given is signed).
 */
struct sigv4_pair {
	const char	*name;
	const char	*value;
};

struct sigv4_req {
	const char			*method;
	const char			*path;	/* raw, starts with '/' */
	const struct sigv4_pair	*params;
	size_t				 nparams;
	const struct sigv4_pair	*headers;
	size_t				 nheaders;
	const char			*payload_hash;	/* hex or UNSIGNED */
};

struct sigv4_keycache;

struct sigv4_creds {
	const char		*access_key;
	const char		*secret_key;
	const char		*token;		/* NULL without a session */
	struct sigv4_keycache	*keys;		/* NULL: derive every time */
};

/* The scope: time, region, service ("s3"). */
struct sigv4_scope {
	time_t		 t;
	const char	*region;
	const char	*service;
};

/* Intermediate texts, for -vv and for the tests; any member may be NULL. */
struct sigv4_trace {
	struct buf	*creq;
	struct buf	*sts;
};

/*
 * Percent-encodes n bytes into b (uppercase hex), leaving unreserved
 * characters and, when keep_slash, '/'.  Returns 0 or -1 (memory).
 */
int	sigv4_uri_encode(struct buf *, const void *, size_t, int);

/* "20130524T000000Z" (16 characters + NUL) and "20130524" of a time. */
void	sigv4_amz_date(time_t, char [17]);

/* Parses "20130524T000000Z"; -1 when malformed. */
int	sigv4_parse_amz_date(const char *, time_t *);

void	sigv4_sha256_hex(const void *, size_t, char [65]);
void	sigv4_hex(const unsigned char *, size_t, char *);

/*
 * The canonical request of S3 and the SignedHeaders list ("a;b;c").
 * Header names are lower-cased, values trimmed with inner runs of
 * whitespace folded to one space, repeated names joined with ',' in the
 * order given.  Returns 0, or -1 with e filled.
 */
int	sigv4_canonical_request(const struct sigv4_req *, struct buf *,
	    struct buf *, struct err *);

/* The canonical query string of the parameters (sorted, encoded). */
int	sigv4_canonical_query(const struct sigv4_pair *, size_t,
	    struct buf *, struct err *);

/* "20130524/us-east-1/s3/aws4_request" */
int	sigv4_scope_str(const struct sigv4_scope *, struct buf *);

/* The string to sign of a canonical request. */
int	sigv4_string_to_sign(const struct sigv4_scope *, const char *, size_t,
	    struct buf *, struct err *);

/* The signing key of a secret and scope. */
void	sigv4_signing_key(const char *, const struct sigv4_scope *,
	    unsigned char [32]);

/*
 * The signing key of a long-lived signer (a client that signs many
 * requests): it depends only on the secret, the day, the region and the
 * service, so it is derived once and kept until one of them changes (the
 * next UTC day, a refreshed secret, a region learned from the server).
 * Start from a zeroed struct.  Memory only: what it holds (the key, a
 * SHA-256 of the secret to tell secrets apart, never the secret) is wiped
 * when replaced and by sigv4_keycache_wipe, which the owner calls before
 * freeing it.  Not for threads sharing one cache.
 */
struct sigv4_keycache {
	int		valid;
	char		date[9];	/* "20130524" */
	char		region[64];
	char		service[32];
	unsigned char	secret_id[32];	/* SHA-256 of the secret */
	unsigned char	key[32];
	unsigned long	derived;	/* times derived, for tests */
};

/*
 * The signing key of a secret and scope into out, from the cache when it
 * holds the same secret, day, region and service, otherwise derived and
 * kept (a region or service too long for the cache is derived and not
 * kept).  Returns 1 when the cache answered, 0 when derived.
 */
int	sigv4_keycache_get(struct sigv4_keycache *, const char *,
	    const struct sigv4_scope *, unsigned char [32]);

/* Forgets and wipes the cached key. */
void	sigv4_keycache_wipe(struct sigv4_keycache *);

/* Hex HMAC-SHA256 of a message with a 32-byte key. */
void	sigv4_hmac_hex(const unsigned char [32], const void *, size_t,
	    char [65]);

/*
 * Header signing: the request's headers must already hold host,
 * x-amz-date (of scope->t) and, for S3, x-amz-content-sha256 and
 * x-amz-security-token when there is a token.  Puts the Authorization
 * value into authz and the hex signature into sig (may be NULL).
 */
int	sigv4_sign(const struct sigv4_req *, const struct sigv4_creds *,
	    const struct sigv4_scope *, struct buf *, char *,
	    struct sigv4_trace *, struct err *);

/*
 * Query signing (a presigned URL): adds the X-Amz-* parameters to the
 * request's own, signs the request's headers (host at least), and puts
 * the whole query string, X-Amz-Signature last, into query.  expires_s
 * is 1..604800.  With omit_token, the session token is left out of the
 * signature and appended after it (for services that want it so).
 */
int	sigv4_presign(const struct sigv4_req *, const struct sigv4_creds *,
	    const struct sigv4_scope *, long, int, struct buf *, char *,
	    struct sigv4_trace *, struct err *);

/*
 * aws-chunked streaming: the signature of one chunk given the previous
 * signature (the seed signature for the first chunk) and the chunk's
 * SHA-256, and of the trailer given the last chunk's signature and the
 * canonical trailer text ("name:value\n").
 */
int	sigv4_chunk_sign(const unsigned char [32], const struct sigv4_scope *,
	    const char *, const char *, char [65], struct sigv4_trace *,
	    struct err *);
int	sigv4_trailer_sign(const unsigned char [32],
	    const struct sigv4_scope *, const char *, const char *, size_t,
	    char [65], struct sigv4_trace *, struct err *);

#endif
