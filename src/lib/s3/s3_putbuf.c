/*
 * s3_putbuf.c: one PUT of a caller's buffer (see s3_putbuf.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "s3_int.h"
#include "s3_putbuf.h"

#define META_MAX	8
#define META_NAME_MAX	128
#define META_VAL_MAX	2048

/* "x-amz-meta-" + the name in lower case; 0 when the pair is refused. */
static int
meta_hdr(const char *name, const char *val, char *out, size_t size)
{
	const char *p;
	size_t i;

	if (*name == '\0' || strlen(name) > META_NAME_MAX ||
	    strlen(val) > META_VAL_MAX)
		return 0;
	for (p = val; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			return 0;
	if (snprintf(out, size, "x-amz-meta-%s", name) >= (int)size)
		return 0;
	for (i = 11; out[i] != '\0'; i++) {
		if (!isalnum((unsigned char)out[i]) && out[i] != '-' &&
		    out[i] != '_')
			return 0;
		out[i] = (char)tolower((unsigned char)out[i]);
	}
	return 1;
}

int
s3_put_buf(struct s3 *s, const char *key, const struct s3_put_opts *o,
    const void *p, size_t len, char *etag, size_t etaglen, struct err *e)
{
	char hdr[META_MAX][META_NAME_MAX + 12];
	struct s3_xfer x;
	size_t i, k, n = 0;
	int rc;

	if (key == NULL || *key == '\0' || strlen(key) > 1024)
		return err_set(e, EX_USAGE, "a key is 1 to 1024 bytes");
	if (o != NULL && (o->create_only || o->size_hint > 0))
		return err_set(e, EX_USAGE, "s3_put_buf: no create-only or "
		    "size hint");
	for (i = 0; o != NULL && o->meta != NULL && o->meta[i] != NULL;
	    i += 2, n++)
		if (n >= META_MAX || o->meta[i + 1] == NULL ||
		    !meta_hdr(o->meta[i], o->meta[i + 1], hdr[n],
		    sizeof(hdr[n])))
			return err_set(e, EX_USAGE, "bad metadata '%s' (names: "
			    "letters, digits, - and _; values: printable "
			    "ASCII; at most %d)", o->meta[i], META_MAX);
	s3_xfer_init(&x, s, "PUT", key);
	x.has_body = 1;
	x.body = len > 0 ? p : (const unsigned char *)"";
	x.body_len = len;
	if (o != NULL && o->content_type != NULL)
		s3_xfer_header(&x, "content-type", o->content_type);
	if (o != NULL && o->cache_control != NULL)
		s3_xfer_header(&x, "cache-control", o->cache_control);
	for (k = 0; k < n; k++)
		s3_xfer_header(&x, hdr[k], o->meta[2 * k + 1]);
	rc = s3_xfer_run(&x, e);
	if (rc == 0 && etag != NULL && etaglen > 0) {
		const char *t = x.etag;

		k = strlen(t);
		if (k >= 2 && t[0] == '"' && t[k - 1] == '"') {
			t++;
			k -= 2;
		}
		if (k >= etaglen)
			k = etaglen - 1;
		memcpy(etag, t, k);
		etag[k] = '\0';
	}
	s3_xfer_clean(&x);
	return rc;
}
