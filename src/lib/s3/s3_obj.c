/*
 * s3_obj.c: an object's own headers (content type, cache control, user
 * metadata), checked by one rule for both ways of storing an object
 * (s3_upload.c, s3_putbuf.c).
 */
#include <ctype.h>
#include <string.h>

#include "exitcode.h"
#include "s3_int.h"

#define META_NAME_MAX	128
#define META_VAL_MAX	2048

static int
meta_ok(const char *name, const char *val)
{
	const char *p;

	if (*name == '\0' || strlen(name) > META_NAME_MAX)
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return 0;
	for (p = val; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	return strlen(val) <= META_VAL_MAX;
}

int
s3_put_opts_check(const struct s3_put_opts *o, struct err *e)
{
	size_t i;

	for (i = 0; o->meta != NULL && o->meta[i] != NULL; i += 2)
		if (o->meta[i + 1] == NULL || i / 2 >= S3_META_MAX ||
		    !meta_ok(o->meta[i], o->meta[i + 1]))
			return err_set(e, EX_USAGE, "bad metadata '%s' "
			    "(names: letters, digits, - and _; values: "
			    "printable ASCII; at most %d)", o->meta[i],
			    S3_META_MAX);
	return 0;
}

void
s3_meta_hdr(const char *name, char *out)
{
	size_t k;

	memcpy(out, "x-amz-meta-", 11);
	for (k = 0; name[k] != '\0'; k++)
		out[11 + k] = (char)tolower((unsigned char)name[k]);
	out[11 + k] = '\0';
}

void
s3_obj_headers(struct s3_xfer *x, const char *ctype, const char *cache,
    const char *const *meta)
{
	size_t i;

	if (ctype != NULL)
		s3_xfer_header(x, "content-type", ctype);
	if (cache != NULL)
		s3_xfer_header(x, "cache-control", cache);
	for (i = 0; meta != NULL && meta[i] != NULL; i += 2)
		s3_xfer_header(x, meta[i], meta[i + 1]);
}
