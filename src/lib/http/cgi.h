/*
 * cgi.h: a request from CGI meta-variables (RFC 3875), with limits.
 *
 * The caller passes the environment array (library code never reads the
 * environment itself).  The request comes out in the shape of the HTTP
 * parser's (http.h), so one router serves both: HTTP_* variables become
 * header fields (HTTP_X_FILE_NAME -> "x-file-name"), CONTENT_TYPE and
 * CONTENT_LENGTH become content-type and content-length.  HTTP_PROXY is
 * dropped (a "Proxy:" header must reach nothing, see httpoxy).
 */
#ifndef IMGQ_CGI_H
#define IMGQ_CGI_H

#include <stddef.h>

#include "err.h"
#include "http.h"

struct cgi_limits {
	size_t	fields_max;	/* HTTP_* variables kept */
	size_t	value_max;	/* length of any one variable's value */
	size_t	total_max;	/* all names and values kept */
};

/* 64 fields, 8 KiB values, 32 KiB in all. */
void	cgi_limits_default(struct cgi_limits *);

struct cgi_req {
	struct http_req	 req;		/* method, fields, body, length */
	const char	*path;		/* PATH_INFO, "/" when empty */
	const char	*query;		/* QUERY_STRING, "" when unset */
	const char	*script;	/* SCRIPT_NAME, "" when unset */
	const char	*remote;	/* REMOTE_ADDR, "" when unset */
};

struct cgi;

struct cgi *cgi_new(const struct cgi_limits *, struct err *);
void	cgi_free(struct cgi *);

/*
 * Reads the request from envp (NULL-terminated "NAME=value" strings).
 * Returns 0, or -1 with req.status set (400 for a missing or malformed
 * REQUEST_METHOD, CONTENT_LENGTH or GATEWAY_INTERFACE, 431 over a
 * limit) and the err filled (EX_DATAERR).  The strings stay valid until
 * the next call or cgi_free.  A request without CONTENT_LENGTH has no
 * body (req.body HTTP_BODY_NONE), unless HTTP_TRANSFER_ENCODING is
 * "chunked": then the server passes the decoded body until the end of
 * input (HTTP_BODY_EOF).
 */
int	cgi_parse(struct cgi *, char *const *envp, struct cgi_req *,
	    struct err *);

#endif
