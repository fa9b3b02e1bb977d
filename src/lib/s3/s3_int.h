/*
 * s3_int.h: inside the S3 client, shared by its modules: s3_client.c the
 * client's life, s3_xfer.c the transfers and their settling (the retry
 * decision is s3_retry.c's), s3_req.c an attempt's request and signing,
 * s3_resp.c its answer, s3_ops.c the single requests, s3_upload.c and
 * s3_putbuf.c the uploads, s3_obj.c the headers they share.  Not for
 * other areas: use s3.h.
 */
#ifndef IMGQ_S3_INT_H
#define IMGQ_S3_INT_H

#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "s3.h"
#include "buf.h"
#include "sigv4.h"

/* 32 metadata pairs, content type, cache control and one spare */
#define S3_XFER_MAXHDR		36
#define S3_XFER_MAXPARAM	8
#define S3_ERRBODY_MAX		65536
#define S3_META_MAX		32	/* user metadata pairs of an object */
#define S3_META_HDR_MAX		(11 + 128 + 1)	/* "x-amz-meta-" name */

struct s3 {
	struct s3_conf	 c;
	char		 region[64];	/* learned from wrong-region answers */
	long long	 skew_s;	/* server clock minus ours */
	CURLM		*multi;
	struct s3_xfer	*active;	/* running or waiting to retry */
	uint64_t	 rng;
	unsigned long	 nreq;		/* requests sent, for -v */
	struct sigv4_keycache keys;	/* today's signing key */
	CURL		*spare;		/* an idle easy handle, reset */
};

enum s3_xstate { XS_IDLE, XS_RUNNING, XS_WAITING, XS_DONE };

struct s3_xfer {
	struct s3		*s3;
	struct s3_xfer		*next;
	/* The request (strings owned by the caller, alive until done). */
	const char		*method;
	const char		*key;		/* NULL: the bucket */
	struct sigv4_pair	 params[S3_XFER_MAXPARAM];
	size_t			 nparams;
	struct sigv4_pair	 hdrs[S3_XFER_MAXHDR];
	size_t			 nhdrs;
	const unsigned char	*body;
	size_t			 body_len;
	int			 has_body;	/* PUT/POST send a body */
	size_t			 resp_max;	/* limit on a kept answer */
	int			(*sink)(void *, const void *, size_t,
				    struct err *);
	void			*sink_arg;
	int			 range_set;
	uint64_t		 range_start, range_end;
	int			 error_in_200;	/* CompleteMultipartUpload */
	/* The answer. */
	long			 status;
	struct buf		 resp;
	struct buf		 meta;		/* "name: value\n" */
	char			 etag[S3_ETAG_MAX];
	char			 first_etag[S3_ETAG_MAX];
	char			 date[64];
	char			 region_hdr[64];
	char			 ctype[256];
	char			 cache[256];
	char			 mtime[64];
	long long		 clen;
	long			 retry_after_s;
	uint64_t		 sunk;		/* bytes given to the sink */
	uint64_t		 resume_from;	/* this attempt's start */
	/* The engine's. */
	enum s3_xstate		 state;
	CURL			*easy;
	struct curl_slist	*sl;
	struct buf		 url, sts, authz;
	char			 body_hash[65];
	char			 amzdate[17];
	char			 hosthdr[320];
	char			 rangehdr[64];
	char			 ifmatch[S3_ETAG_MAX + 16];
	char			 curlerr[CURL_ERROR_SIZE];
	size_t			 body_off;
	int			 attempt;
	int			 skew_done, region_done;
	int			 sink_failed, resp_over;
	uint64_t		 t0, t_attempt, next_at;
	int			 rc;		/* 0 done well, -1 failed */
	struct err		 err;
	struct err		 sink_err;
};

/* A fresh transfer (zeroed, limits set). */
void	s3_xfer_init(struct s3_xfer *, struct s3 *, const char *,
	    const char *);
/* Frees what the engine kept (answer, buffers); the xfer may be reused. */
void	s3_xfer_clean(struct s3_xfer *);
int	s3_xfer_header(struct s3_xfer *, const char *, const char *);
int	s3_xfer_param(struct s3_xfer *, const char *, const char *);
/* Starts the transfer (first attempt now); see s3_drive. */
int	s3_xfer_start(struct s3_xfer *, struct err *);
/* Starts and drives until done; returns x->rc with e filled. */
int	s3_xfer_run(struct s3_xfer *, struct err *);
/* Cancels a transfer that is running or waiting. */
void	s3_xfer_cancel(struct s3_xfer *);
/*
 * Moves all transfers along: starts due retries, performs, settles
 * finished attempts, then waits up to timeout_ms for activity (or fd
 * readable, *ready set).  Returns the number of transfers that became
 * done, or -1 (e filled) on an engine failure.
 */
int	s3_drive(struct s3 *, int, int, int *, struct err *);

/*
 * Signs one attempt afresh and hands it to the client's multi handle
 * (state XS_RUNNING); -1 with e filled when it cannot be sent.
 */
int	s3_req_start(struct s3_xfer *, struct err *);
/* Sets the callbacks that take the answer (head and body) into x. */
void	s3_resp_setopt(struct s3_xfer *, CURL *);
/* One line of an answer's head, as curl gives it, into x. */
void	s3_resp_header(struct s3_xfer *, const char *, size_t);
/*
 * Splits one header line: the name (up to the first colon) and the
 * value without the blanks around it and the line end.  1 for a field,
 * 0 for a line without a colon (a status line, the empty end of a head).
 */
int	s3_hdr_split(const char *, size_t, const char **, size_t *,
	    const char **, size_t *);
/* The client's random source: uniform in 0 to bound (s3_retry.h). */
uint64_t s3_jitter(void *, uint64_t);

/* "x-amz-meta-" and the name in lower case (checked, s3_put_opts_check). */
void	s3_meta_hdr(const char *, char *);
/*
 * The object's own headers: content type and cache control (each NULL
 * for none), metadata as header name, value, ..., NULL (or NULL).
 */
void	s3_obj_headers(struct s3_xfer *, const char *, const char *,
	    const char *const *);

/* Trace a line when verbose >= level. */
void	s3_trace(struct s3 *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
/*
 * The URL of the request into x->url and its host into x->hosthdr;
 * path gets the raw path, q the canonical query.
 */
int	s3_http_url(struct s3_xfer *, struct buf *, struct buf *,
	    struct err *);
/* An HTTP date (RFC 1123) as a time; -1 when malformed. */
int	s3_http_date(const char *, time_t *);
/* The key escaped for a message, in buf. */
const char *s3_key_esc(const char *, char *, size_t);

#endif
