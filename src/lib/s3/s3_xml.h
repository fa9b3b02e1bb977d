/*
 * s3_xml.h: the small XML subset S3 answers with, parsed with limits.
 *
 * S3 answers are untrusted bytes: the parser bounds nesting (32), name
 * length (128), the text of one element (64 KiB), refuses a DOCTYPE (no
 * entity expansion), decodes the five named entities and numeric
 * character references, and fails with EX_PROTOCOL on anything
 * malformed.  The caller bounds the total size before parsing.
 */
#ifndef IMGQ_S3_XML_H
#define IMGQ_S3_XML_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define S3_XML_MAXDEPTH	32
#define S3_XML_MAXNAME	128
#define S3_XML_MAXTEXT	65536

/*
 * Calls cb at the end of every element with the path of local names from
 * the root ("ListBucketResult/Contents/Key"), the depth (1 for the root)
 * and the element's own decoded text (NUL-terminated; text of children
 * not included).  A cb that returns -1 stops the parse (its err stands).
 * Returns 0, or -1 with e filled.
 */
int	s3_xml_parse(const char *, size_t,
	    int (*)(void *, const char *, int, const char *, size_t), void *,
	    struct err *);

/* An <Error> answer. Missing fields are empty strings. */
struct s3_xml_error {
	char	code[64];
	char	message[256];
	char	region[64];
	char	sts[1024];	/* StringToSign, when the server sends it */
	char	server_time[64];
};

/* 0 when the body is an <Error> document, -1 otherwise (e filled). */
int	s3_xml_error(const char *, size_t, struct s3_xml_error *,
	    struct err *);

/* InitiateMultipartUploadResult/UploadId into out. */
int	s3_xml_upload_id(const char *, size_t, char *, size_t, struct err *);

/* CompleteMultipartUploadResult/ETag; -1 with EX_PROTOCOL otherwise. */
int	s3_xml_complete(const char *, size_t, char *, size_t, struct err *);

/* One entry of a listing (ListObjectsV2); key or prefix, decoded. */
struct s3_xml_entry {
	const char	*key;		/* NULL for a common prefix */
	const char	*prefix;	/* NULL for an object */
	uint64_t	 size;
	const char	*mtime;		/* as sent (ISO 8601) */
	const char	*etag;
};

struct s3_xml_list {
	int	truncated;
	char	next_token[1024];	/* NextContinuationToken */
	long	count;
};

/*
 * Parses a ListObjectsV2 page; url_encoded: the request asked for
 * encoding-type=url, so keys and prefixes are percent-decoded.
 * Calls cb for every object and common prefix in document order.
 */
int	s3_xml_list(const char *, size_t, int,
	    int (*)(void *, const struct s3_xml_entry *), void *,
	    struct s3_xml_list *, struct err *);

/* One incomplete multipart upload of a ListMultipartUploads page. */
struct s3_xml_upload {
	const char	*key;
	const char	*upload_id;
	const char	*initiated;	/* as sent (ISO 8601) */
};

struct s3_xml_uploads {
	int	truncated;
	char	next_key[1100];		/* NextKeyMarker */
	char	next_id[1100];		/* NextUploadIdMarker */
};

/* Parses a ListMultipartUploads page; cb for every Upload in order. */
int	s3_xml_uploads(const char *, size_t,
	    int (*)(void *, const struct s3_xml_upload *), void *,
	    struct s3_xml_uploads *, struct err *);

/*
 * A DeleteResult: cb for every <Error> entry (key, code, message);
 * *deleted counts <Deleted> entries.
 */
int	s3_xml_delete_result(const char *, size_t,
	    int (*)(void *, const char *, const char *, const char *), void *,
	    long *, struct err *);

/* Escapes text for an XML element (& < > " '). */
struct buf;
int	s3_xml_escape(struct buf *, const char *);

#endif
