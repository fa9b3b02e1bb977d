/*
 * mp.h: a streaming multipart/form-data parser (RFC 7578, RFC 2046) fed
 * in fragments of any size, with a limit on every size.
 *
 * The body is never buffered: part data is handed to a callback as it
 * arrives (only the few bytes that may be the start of a delimiter split
 * across fragments are held back, at most 4 + 70 bytes).  A preamble of
 * any size is skipped; lines may end in CRLF or a bare LF; the close
 * delimiter must come before mp_finish(), else the body is malformed.
 *
 * Errors fill the struct err with EX_DATAERR (malformed or over a limit)
 * or with what a callback set; after an error the parser refuses input.
 */
#ifndef IMGQ_MP_H
#define IMGQ_MP_H

#include <stddef.h>

#include "err.h"

#define MP_BOUNDARY_MAX	70

struct mp_limits {
	size_t	parts_max;	/* parts in the body */
	size_t	header_max;	/* one part header line */
	size_t	headers_max;	/* header lines per part */
	size_t	name_max;	/* a field name */
	size_t	filename_max;	/* a file name, after unquoting */
};

/* 64 parts, 1 KiB header lines, 16 per part, 128-byte names, 255-byte
 * file names. */
void	mp_limits_default(struct mp_limits *);

/* One part, as its headers described it; the strings are NUL-terminated
 * and owned by the parser (valid until the part ends). */
struct mp_part {
	size_t		 index;		/* 0 for the first part */
	const char	*name;		/* "" when absent */
	const char	*filename;	/* NULL when absent */
	size_t		 filename_len;	/* may hold NUL bytes from %00-free
					   quoting: use the length */
	const char	*type;		/* Content-Type, "" when absent */
};

/*
 * Callbacks; each returns 0, or -1 after filling the err (the parse stops
 * and mp_feed/mp_finish return -1 with that err).
 */
struct mp_callbacks {
	int	(*begin)(void *, const struct mp_part *, struct err *);
	int	(*data)(void *, const void *, size_t, struct err *);
	int	(*end)(void *, struct err *);
	void	*arg;
};

struct mp;

/*
 * Checks the boundary of a Content-Type value ("multipart/form-data;
 * boundary=...", quoted or not) and copies it to out (MP_BOUNDARY_MAX + 1
 * bytes).  -1 and EX_DATAERR when the type is not multipart/form-data or
 * the boundary is missing, empty, longer than 70 characters, or holds a
 * character RFC 2046 does not allow.
 */
int	mp_boundary(const char *ctype, char *out, struct err *);

struct mp *mp_new(const char *boundary, const struct mp_limits *,
	    const struct mp_callbacks *, struct err *);
int	mp_feed(struct mp *, const void *, size_t, struct err *);

/* The body ended: 0 when the close delimiter was seen, else -1. */
int	mp_finish(struct mp *, struct err *);

/* Parts begun so far. */
size_t	mp_parts(const struct mp *);

void	mp_free(struct mp *);

#endif
