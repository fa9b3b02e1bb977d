/*
 * fuzz_s3xml.c: the parsers of S3 answers (s3_xml.h) on untrusted bytes:
 * the generic parser and every typed reader (error, upload id, complete,
 * listing with and without URL decoding, multipart upload listing, delete
 * result), plus the JSON
 * reader of credential answers.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "exitcode.h"
#include "s3_cred.h"
#include "s3_xml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
count_cb(void *arg, const char *path, int depth, const char *t, size_t n)
{
	size_t *total = arg;

	*total += strlen(path) + (size_t)depth + n + (t[n] == '\0');
	return 0;
}

static int
entry_cb(void *arg, const struct s3_xml_entry *ent)
{
	size_t *total = arg;

	*total += ent->key ? strlen(ent->key) + strlen(ent->etag) +
	    strlen(ent->mtime) : strlen(ent->prefix);
	return 0;
}

static int
upl_cb(void *arg, const struct s3_xml_upload *u)
{
	size_t *total = arg;

	*total += strlen(u->key) + strlen(u->upload_id) +
	    strlen(u->initiated);
	return 0;
}

static int
del_cb(void *arg, const char *k, const char *c, const char *m)
{
	size_t *total = arg;

	*total += strlen(k) + strlen(c) + strlen(m);
	return 0;
}

/* A credential document (container answer, handed file): what it gives
 * is a string that fits its field, and written out again it reads back. */
static void
fuzz_cred(const char *s, size_t size)
{
	static struct s3_conf c, back;
	struct buf b = { 0 };
	struct err e;

	s3_conf_defaults(&c);
	if (s3_cred_parse(&c, s, size, &e) == -1)
		return;
	if (strlen(c.access_key) >= sizeof(c.access_key) ||
	    strlen(c.secret_key) >= sizeof(c.secret_key))
		__builtin_trap();
	s3_conf_defaults(&back);
	if (s3_cred_doc(&c, &b, &e) == -1) {
		if (e.code != EX_DATAERR)
			__builtin_trap();
		buf_free(&b);
		return;
	}
	if (s3_cred_parse(&back, b.p, b.len, &e) == -1 ||
	    strcmp(back.access_key, c.access_key) != 0 ||
	    strcmp(back.secret_key, c.secret_key) != 0)
		__builtin_trap();
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct s3_xml_error xe;
	struct s3_xml_list page;
	struct s3_xml_uploads up;
	struct err e;
	char out[1024];
	size_t total = 0;
	long deleted;

	(void)s3_xml_parse(s, size, count_cb, &total, &e);
	(void)s3_xml_error(s, size, &xe, &e);
	(void)s3_xml_upload_id(s, size, out, sizeof(out), &e);
	(void)s3_xml_complete(s, size, out, sizeof(out), &e);
	(void)s3_xml_list(s, size, 0, entry_cb, &total, &page, &e);
	(void)s3_xml_list(s, size, 1, entry_cb, &total, &page, &e);
	(void)s3_xml_uploads(s, size, upl_cb, &total, &up, &e);
	(void)s3_xml_delete_result(s, size, del_cb, &total, &deleted, &e);
	(void)s3_json_str(s, size, "AccessKeyId", out, sizeof(out));
	fuzz_cred(s, size);
	return 0;
}
