/*
 * s3_putbuf.c: one PUT of a caller's buffer (see s3_putbuf.h).
 */
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "s3_int.h"
#include "s3_putbuf.h"
#include "s3_text.h"

int
s3_put_buf(struct s3 *s, const char *key, const struct s3_put_opts *o,
    const void *p, size_t len, char *etag, size_t etaglen, struct err *e)
{
	char hdr[S3_META_MAX][S3_META_HDR_MAX];
	const char *meta[2 * S3_META_MAX + 1];
	struct s3_xfer x;
	size_t i;
	int rc;

	if (key == NULL || *key == '\0' || strlen(key) > S3_KEY_MAX)
		return err_set(e, EX_USAGE, "a key is 1 to %d bytes",
		    S3_KEY_MAX);
	if (o != NULL && (o->create_only || o->size_hint > 0))
		return err_set(e, EX_USAGE, "s3_put_buf: no create-only or "
		    "size hint");
	if (o != NULL && s3_put_opts_check(o, e) == -1)
		return -1;
	for (i = 0; o != NULL && o->meta != NULL && o->meta[i] != NULL;
	    i += 2) {
		s3_meta_hdr(o->meta[i], hdr[i / 2]);
		meta[i] = hdr[i / 2];
		meta[i + 1] = o->meta[i + 1];
	}
	meta[i] = NULL;
	s3_xfer_init(&x, s, "PUT", key);
	x.has_body = 1;
	x.body = len > 0 ? p : (const unsigned char *)"";
	x.body_len = len;
	s3_obj_headers(&x, o ? o->content_type : NULL,
	    o ? o->cache_control : NULL, meta);
	rc = s3_xfer_run(&x, e);
	if (rc == 0 && etag != NULL && etaglen > 0)
		s3_etag_unquote(etag, etaglen, x.etag);
	s3_xfer_clean(&x);
	return rc;
}
