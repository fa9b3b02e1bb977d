/*
 * s3.h: the S3 client.
 *
 * A struct s3 signs every request with our own SigV4 (sigv4.h), keeps its
 * connections (one curl multi handle: connection and DNS caches), the
 * region it learned from a wrong-region answer and the clock offset it
 * learned from a clock-skew answer, across requests: a long-running
 * process makes one and reuses it.  Not thread-safe: one struct s3 per
 * thread.
 *
 * Every failure returns -1 (or NULL) with struct err filled with the exit
 * code of imgq(7): EX_NOINPUT (no such key or bucket), EX_NOPERM
 * (credentials refused), EX_TEMPFAIL (network, timeouts, 5xx, 429 and
 * SlowDown after the retries), EX_PROTOCOL (an answer that does not
 * parse), EX_DATAERR (the server refused the request as bad), EX_CONFIG
 * (configuration), EX_OSERR (memory).  Transient failures are retried
 * inside with full-jitter exponential backoff, bounded by conf.attempts
 * and conf.retry_time_ms, honouring Retry-After; every retry is signed
 * afresh.
 */
#ifndef IMGQ_S3_H
#define IMGQ_S3_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "err.h"

#define S3_MIN_PART	(5ULL << 20)
#define S3_MAX_PART	(5ULL << 30)
#define S3_MAX_PARTS	10000
#define S3_KEY_MAX	1024	/* bytes of a key (S3 refuses longer) */
#define S3_ETAG_MAX	128

enum s3_cred_source {
	S3_CRED_NONE,
	S3_CRED_ENV,		/* AWS_ACCESS_KEY_ID ... */
	S3_CRED_FILE,		/* shared credentials / config file */
	S3_CRED_CONTAINER,	/* AWS_CONTAINER_CREDENTIALS_*_URI */
	S3_CRED_IMDS,		/* EC2 instance metadata, IMDSv2 */
	S3_CRED_HANDED		/* a file from imgq-pop (s3_cred_load) */
};

struct s3_conf {
	char	endpoint[512];	/* "" for AWS; else scheme://host[:port] */
	char	region[64];
	char	bucket[256];
	char	access_key[256];
	char	secret_key[256];
	char	token[4096];	/* session token, "" without */
	enum s3_cred_source cred_source;
	time_t	cred_expiry;	/* 0: does not expire */
	char	cred_url[1024];	/* container / IMDS / file: where to refresh */
	char	cred_auth[2048];/* container authorization token */
	int	path_style;	/* 1 path-style, 0 virtual-hosted */
	int	unsigned_payload; /* UNSIGNED-PAYLOAD (TLS endpoints) */
	long	connect_timeout_ms;	/* per connection */
	long	stall_timeout_ms;	/* no byte moved for this long */
	int	attempts;	/* per request, first one included */
	long	retry_time_ms;	/* total time budget of one request */
	long	backoff_base_ms, backoff_cap_ms;
	uint64_t part_size;	/* multipart part size (first parts) */
	int	parts_in_flight;
	char	ca_file[1024];	/* "" for the system's */
	char	ca_path[1024];	/* a hashed CA folder; "" for curl's */
	char	proxy[512];	/* "" for none */
	char	noproxy[512];
	int	verbose;	/* 1: requests, retries; 2: + signing texts */
	long long clock_offset_s; /* added to our clock before any answer
				   corrects it (IMGQ_S3_CLOCK_OFFSET, tests) */
	/* Diagnostics sink (one line, no newline); NULL for none. */
	void	(*trace)(void *, const char *);
	void	*trace_arg;
};

/*
 * Defaults, then the environment: IMGQ_S3_CREDENTIALS_FILE,
 * AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_BUCKET_NAME, AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE,
 * AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE,
 * AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI,
 * AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE), AWS_EC2_METADATA_DISABLED,
 * AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_CA_BUNDLE, https_proxy,
 * HTTPS_PROXY, http_proxy (lower case only), no_proxy, and IMGQ_S3_*
 * (CONNECT_TIMEOUT, TIMEOUT, ATTEMPTS, RETRY_TIME, PART_SIZE, PARTS,
 * PATH_STYLE, UNSIGNED_PAYLOAD, CA_FILE, CA_PATH, CLOCK_OFFSET).  Credentials come
 * from IMGQ_S3_CREDENTIALS_FILE alone when it is set (s3_cred_load), else
 * from the chain: environment, shared files (profile), container,
 * instance metadata.  EX_CONFIG when a value is invalid or no credentials are
 * found; a missing bucket is not an error here (s3_new refuses it), so a
 * program can take the bucket from an s3:// argument first.
 */
int	s3_conf_from_env(struct s3_conf *, struct err *);

/*
 * The same, but finding no credentials is no error: the keys stay empty.
 * A source that is set but fails (a file that does not parse, a container
 * endpoint or instance metadata that does not answer) still is.
 */
int	s3_conf_from_env_opt(struct s3_conf *, struct err *);

/*
 * Credentials handed over in a file: the document of s3_cred_doc.  The
 * source becomes S3_CRED_HANDED and the file is read again when the
 * credentials come near their expiry (the writer replaces it).  EX_CONFIG
 * when it cannot be read or does not parse, EX_NOPERM when the
 * credentials in it have expired.
 */
int	s3_cred_load(struct s3_conf *, const char *path, struct err *);

/*
 * The credentials of c as that document: {"AccessKeyId": ...,
 * "SecretAccessKey": ..., "Token": ..., "Expiration": ...} (the last two
 * when there are).  EX_DATAERR when a key or the token is not printable
 * ASCII, EX_OSERR when the buffer cannot grow.
 */
int	s3_cred_doc(const struct s3_conf *, struct buf *, struct err *);

/* The built-in defaults only (no environment). */
void	s3_conf_defaults(struct s3_conf *);

/* A client; the conf is copied.  EX_CONFIG without bucket or keys. */
struct s3 *s3_new(const struct s3_conf *, struct err *);
void	s3_free(struct s3 *);

/* The bucket the client works on. */
const char *s3_bucket(const struct s3 *);

struct s3_put_opts {
	const char		*content_type;	/* NULL: binary/octet-stream */
	const char		*cache_control;	/* NULL: none */
	const char *const	*meta;	/* name, value, ..., NULL; or NULL */
	int			 create_only;	/* If-None-Match: * */
	uint64_t		 size_hint;	/* 0 unknown; sizes the parts */
};

/*
 * An upload of one object from a stream of writes.  s3_upload_write
 * buffers up to the part size; when the first buffer overflows it starts
 * a multipart upload and sends parts in parallel (parts_in_flight), each
 * kept in memory until acknowledged so a failed part is re-sent alone;
 * the buffer being filled counts as one of the parts in flight, so memory
 * stays within part size x parts in flight (at least 2).  Part sizes grow
 * as the stream grows so that no upload reaches 10,000 parts.
 * s3_upload_finish sends a single PUT when everything fit in the first
 * buffer, else completes the multipart upload; it frees the upload either
 * way and aborts the multipart upload on failure (nothing half-made
 * stays); etag gets the object's ETag without quotes.  After a failed
 * s3_upload_write or s3_upload_wait the caller calls s3_upload_abort
 * (the upload owns its buffers; the caller owns its data, which is copied).
 * With create_only, an existing key fails with EX_NEGATIVE (1).
 */
/* EX_USAGE when the options are not acceptable (bad metadata). */
int	s3_put_opts_check(const struct s3_put_opts *, struct err *);

struct s3_upload *s3_upload_new(struct s3 *, const char *,
	    const struct s3_put_opts *, struct err *);
int	s3_upload_write(struct s3_upload *, const void *, size_t,
	    struct err *);
/*
 * The same without a copy: s3_upload_space gives the free room of the
 * part being filled, the caller writes up to room bytes there, then
 * s3_upload_commit says how many.  Room 0: the part is full, and is sent
 * only when more data comes (the next bytes go through s3_upload_write),
 * so that a stream ending there is still one PUT.
 */
int	s3_upload_space(struct s3_upload *, void **, size_t *, struct err *);
int	s3_upload_commit(struct s3_upload *, size_t, struct err *);
/*
 * Moves the transfers in flight along until fd is readable (or
 * timeout_ms passes; -1 to wait for fd alone); a program reading a slow
 * pipe calls it before each read so parts keep flowing.  fd -1: only
 * drive the transfers for up to timeout_ms.
 */
int	s3_upload_wait(struct s3_upload *, int, int, struct err *);
int	s3_upload_finish(struct s3_upload *, char *, size_t, struct err *);
void	s3_upload_abort(struct s3_upload *);
/*
 * The same, and -1 with e filled when a multipart upload was begun and
 * could not be aborted (it stays on the server until aborted or expired
 * by a lifecycle rule): e names the key and the upload id.
 */
int	s3_upload_cancel(struct s3_upload *, struct err *);

/*
 * The same end without waiting, so that several uploads of one client
 * run side by side on its connections: s3_upload_close says the input is
 * complete and starts sending the rest (the single PUT, or the last
 * part); s3_run moves every transfer of the client along; s3_upload_poll
 * then returns 1 once the object is stored (s3_upload_etag has its ETag),
 * 0 while it is on its way, -1 when it failed.  Completing a multipart
 * upload is one short request made inside s3_upload_poll.  The caller
 * frees the upload with s3_upload_abort (which aborts a multipart upload
 * not yet completed, and cancels a single PUT still in flight, whose
 * outcome is then unknown).
 */
int	s3_upload_close(struct s3_upload *, struct err *);
int	s3_upload_poll(struct s3_upload *, struct err *);
const char *s3_upload_etag(const struct s3_upload *);
int	s3_run(struct s3 *, int, struct err *);

/* What the upload has taken so far and how it is being sent. */
uint64_t s3_upload_bytes(const struct s3_upload *);
int	s3_upload_parts(const struct s3_upload *);

/* Deletes a key (a missing key is no error, as in S3). */
int	s3_delete(struct s3 *, const char *, struct err *);

/*
 * Deletes up to 1000 keys in one DeleteObjects request; cb (may be NULL)
 * is called for every key the server refused, with its code and message.
 * Returns the number of keys refused, or -1.
 */
int	s3_delete_many(struct s3 *, const char *const *, size_t,
	    void (*)(void *, const char *, const char *, const char *),
	    void *, struct err *);

struct s3_objinfo {
	uint64_t	size;
	time_t		mtime;
	char		etag[S3_ETAG_MAX];
	char		content_type[256];
	char		cache_control[256];
	char		meta[4096];	/* "name: value\n" lines */
};

/* HEAD of a key; EX_NOINPUT when absent. */
int	s3_head(struct s3 *, const char *, struct s3_objinfo *,
	    struct err *);

/*
 * A GET streamed to a sink.  range_start/range_end (inclusive;
 * range_end UINT64_MAX for "to the end"; both 0 and no range when
 * has_range is 0); if_none_match: an ETag (quoted or not) or NULL.  A
 * transfer broken mid-way resumes with a Range request (If-Match the
 * first ETag), so the sink sees every byte once.  Returns 0, 1 when
 * not modified (304), -1 on error (a sink returning -1 stops with its
 * own err).
 */
struct s3_get_opts {
	int		 has_range;
	uint64_t	 range_start, range_end;
	const char	*if_none_match;
	int		(*sink)(void *, const void *, size_t, struct err *);
	void		*sink_arg;
};
int	s3_get(struct s3 *, const char *, const struct s3_get_opts *,
	    struct s3_objinfo *, struct err *);

/*
 * ListObjectsV2 with pagination: cb for every object and common prefix
 * (delimiter NULL for none), in key order; keys decoded exactly.
 * max_keys 0 for all.  cb returning -1 stops the listing with its err.
 */
struct s3_xml_entry;
int	s3_list(struct s3 *, const char *, const char *, long,
	    int (*)(void *, const struct s3_xml_entry *, struct err *),
	    void *, struct err *);

/*
 * The incomplete multipart uploads under prefix ("" for all), every page;
 * cb returning -1 stops the listing with its err.
 */
struct s3_xml_upload;
int	s3_list_uploads(struct s3 *, const char *,
	    int (*)(void *, const struct s3_xml_upload *, struct err *),
	    void *, struct err *);

/* Aborts one multipart upload (AbortMultipartUpload). */
int	s3_abort_upload(struct s3 *, const char *, const char *,
	    struct err *);

/*
 * A presigned URL for method ("GET" or "PUT") on key, valid expires_s
 * seconds (1..604800) from now (a fixed time makes it reproducible),
 * with the session token when there is one; *url is malloc'd.
 */
int	s3_presign(struct s3 *, const char *, const char *, long, time_t,
	    char **, struct err *);

/* The bucket answers (HEAD bucket): 0, or -1 with the reason. */
int	s3_ping(struct s3 *, struct err *);

/* Sets the trace sink (verbose level, callback, argument). */
void	s3_set_trace(struct s3 *, int, void (*)(void *, const char *),
	    void *);

#endif
