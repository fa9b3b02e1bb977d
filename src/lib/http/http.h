/*
 * http.h: a streaming HTTP/1.1 request parser (RFC 9112) with a limit on
 * every size an attacker controls.
 *
 * The request head (request line and header fields) is collected into one
 * buffer of at most http_limits.head_max bytes as it arrives, in fragments
 * of any size, and parsed when its empty line is seen.  Bytes after the
 * head are the body; they are not consumed.  The body is either
 * Content-Length bytes (read by the caller) or chunked, decoded by
 * http_chunked_feed() in place, also in fragments of any size.
 *
 * Errors fill the struct err (EX_DATAERR) and set http_req.status to the
 * HTTP status the server should answer: 400 malformed, 414 request line
 * too long, 431 header fields too large or too many, 501 an unknown
 * transfer coding, 505 an HTTP version other than 1.x.
 */
#ifndef IMGQ_HTTP_H
#define IMGQ_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct http_limits {
	size_t	line_max;	/* request line, CRLF excluded */
	size_t	field_max;	/* one header field line */
	size_t	fields_max;	/* number of header fields */
	size_t	head_max;	/* whole head, request line included */
};

/* Sane defaults: 8 KiB line, 8 KiB field, 64 fields, 32 KiB head. */
void	http_limits_default(struct http_limits *);

struct http_field {
	const char	*name;	/* lower-cased */
	const char	*value;	/* leading and trailing blanks removed */
};

#define HTTP_BODY_NONE		0
#define HTTP_BODY_LENGTH	1
#define HTTP_BODY_CHUNKED	2

struct http_req {
	int		 status;	/* on error: the status to answer */
	const char	*method;
	const char	*target;	/* as sent: path and query */
	int		 minor;		/* HTTP/1.<minor> */
	struct http_field *fields;
	size_t		 nfields;
	int		 body;		/* HTTP_BODY_* */
	uint64_t	 length;	/* with HTTP_BODY_LENGTH */
	int		 keepalive;	/* the client allows another request */
	int		 expect100;	/* Expect: 100-continue */
};

struct http_parser;

/*
 * A parser for one request head; reusable with http_parser_reset().
 * Owns its buffer; the strings of the request point into it and stay
 * valid until the next reset or free.  NULL and EX_OSERR on no memory.
 */
struct http_parser *http_parser_new(const struct http_limits *,
	    struct err *);
void	http_parser_reset(struct http_parser *);
void	http_parser_free(struct http_parser *);

/*
 * Feeds len bytes.  Returns 0 when the head is not complete yet (all
 * bytes consumed), 1 when it is complete (*used bytes of buf belong to
 * the head; the rest is body or the next request), -1 on error (req->status
 * and the err are set).  *req is filled when 1 is returned.
 */
int	http_parser_feed(struct http_parser *, const void *, size_t,
	    size_t *used, struct http_req *, struct err *);

/* Bytes taken so far by an incomplete head (0 before the first byte). */
size_t	http_parser_pending(const struct http_parser *);

/*
 * Appends the parsed head again as a request head (field names lower
 * case, the end's empty line included), for a server that hands the
 * connection on to another one.  -1 when b cannot grow.
 */
struct buf;
int	http_req_write(const struct http_req *, struct buf *);

/* The value of a field (name lower-case), or NULL; the first one wins. */
const char *http_field(const struct http_req *, const char *);

/*
 * Splits a comma-separated field value and returns 1 when one of its
 * elements equals tok, case-insensitive ("Connection: keep-alive, x").
 */
int	http_has_token(const char *, const char *);

/* 1 when c may stand in a token (RFC 9110 tchar): methods, field names. */
int	http_tchar(int);

/* Standard reason phrase of a status ("Not Found"), "Unknown" if none. */
const char *http_reason(int);

/*
 * Chunked transfer coding decoder.  Chunk-size lines, extensions and
 * trailers are limited to line_max bytes each and to 64 trailer fields.
 */
struct http_chunked {
	int		state;
	uint64_t	left;
	size_t		linelen;
	size_t		line_max;
	size_t		ntrailers;
	int		digits;
};

void	http_chunked_init(struct http_chunked *, size_t line_max);

/*
 * Decodes from buf: *used bytes are consumed; *data, *dlen is chunk data
 * found (inside buf, possibly empty).  Returns 0 to be called again with
 * the rest (or more input), 1 when the last chunk and trailers ended
 * (*used stops just after them), -1 on malformed input (EX_DATAERR).
 */
int	http_chunked_feed(struct http_chunked *, const void *, size_t,
	    size_t *used, const void **data, size_t *dlen, struct err *);

/* 1 when the body ended. */
int	http_chunked_done(const struct http_chunked *);

#endif
