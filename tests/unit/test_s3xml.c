/*
 * test_s3xml.c: the readers of S3 answers (s3_xml.h), the key escaping of
 * the S3 programs (s3_cli.h) and the credential answers' JSON reader.
 */
#include <stdio.h>
#include <string.h>

#include "exitcode.h"
#include "buf.h"
#include "s3_cli.h"
#include "s3_cred.h"
#include "s3_xml.h"
#include "tap.h"

static struct buf seen;

static int
entry(void *arg, const struct s3_xml_entry *ent)
{
	(void)arg;
	if (ent->key != NULL)
		buf_addf(&seen, "K[%s] %llu %s %s\n", ent->key,
		    (unsigned long long)ent->size, ent->mtime, ent->etag);
	else
		buf_addf(&seen, "P[%s]\n", ent->prefix);
	return 0;
}

static void
listing(void)
{
	const char *x = "<?xml version='1.0' encoding='UTF-8'?>\n"
	    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/"
	    "2006-03-01/\"><Name>b</Name><IsTruncated>true</IsTruncated>"
	    "<NextContinuationToken>tok=</NextContinuationToken><Contents>"
	    "<Key>a%20b%2Bc%0A%E2%98%83</Key><LastModified>2026-01-02T03:04:"
	    "05.000Z</LastModified><ETag>&quot;e1&quot;</ETag><Size>6</Size>"
	    "</Contents><CommonPrefixes><Prefix>d%2F</Prefix>"
	    "</CommonPrefixes></ListBucketResult>";
	struct s3_xml_list page;
	struct err e;

	ok(s3_xml_list(x, strlen(x), 1, entry, NULL, &page, &e) == 0,
	    "a listing parses");
	is_str(buf_str(&seen), "K[a b+c\n\xe2\x98\x83] 6 "
	    "2026-01-02T03:04:05.000Z \"e1\"\nP[d/]\n",
	    "keys URL-decoded exactly, entities decoded");
	is_int(page.truncated, 1, "IsTruncated");
	is_str(page.next_token, "tok=", "NextContinuationToken");
	is_int(page.count, 2, "two entries");
	x = "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size>"
	    "</Contents></ListBucketResult>";
	ok(s3_xml_list(x, strlen(x), 0, entry, NULL, &page, &e) == -1 &&
	    e.code == EX_PROTOCOL, "a negative size is refused (76)");
	x = "<Error><Code>NoSuchBucket</Code></Error>";
	ok(s3_xml_list(x, strlen(x), 0, entry, NULL, &page, &e) == -1 &&
	    e.code == EX_PROTOCOL, "an error document is not a listing");
	buf_free(&seen);
}

static void
errors(void)
{
	const char *x = "<Error><Code>AuthorizationHeaderMalformed</Code>"
	    "<Message>bad &amp; wrong</Message><Region>eu-west-1</Region>"
	    "<StringToSign>AWS4\nline</StringToSign></Error>";
	struct s3_xml_error xe;
	char out[64];
	struct err e;

	ok(s3_xml_error(x, strlen(x), &xe, &e) == 0, "an error parses");
	is_str(xe.code, "AuthorizationHeaderMalformed", "Code");
	is_str(xe.message, "bad & wrong", "Message");
	is_str(xe.region, "eu-west-1", "Region");
	is_str(xe.sts, "AWS4\nline", "StringToSign");
	x = "<InitiateMultipartUploadResult><UploadId>u-1</UploadId>"
	    "</InitiateMultipartUploadResult>";
	ok(s3_xml_upload_id(x, strlen(x), out, sizeof(out), &e) == 0,
	    "UploadId found");
	is_str(out, "u-1", "UploadId");
	x = "<CompleteMultipartUploadResult><ETag>\"abc-2\"</ETag>"
	    "</CompleteMultipartUploadResult>";
	ok(s3_xml_complete(x, strlen(x), out, sizeof(out), &e) == 0,
	    "complete ETag found");
	is_str(out, "\"abc-2\"", "complete ETag");
	x = "<Error><Code>InternalError</Code></Error>";
	ok(s3_xml_complete(x, strlen(x), out, sizeof(out), &e) == -1 &&
	    e.code == EX_PROTOCOL, "an error in a 200 is not a completion");
}

static int
nop(void *a, const char *p, int d, const char *t, size_t n)
{
	(void)a; (void)p; (void)d; (void)t; (void)n;
	return 0;
}

static void
malformed(void)
{
	static const char *const bad[] = {
		"", "text", "<a>", "<a></b>", "<a><b></a></b>",
		"<!DOCTYPE a><a/>", "<a>&bogus;</a>", "<a>&#0;</a>",
		"<a>&#x110000;</a>", "<a/><b/>", "<a b=\"unterminated>",
		"<a><![CDATA[x</a>", "<a><!-- x</a>",
	};
	struct buf deep = { 0 };
	struct err e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(s3_xml_parse(bad[i], strlen(bad[i]), nop, NULL, &e) == -1 &&
		    e.code == EX_PROTOCOL, "malformed refused: '%s'", bad[i]);
	for (i = 0; i < 40; i++)
		buf_adds(&deep, "<a>");
	ok(s3_xml_parse(deep.p, deep.len, nop, NULL, &e) == -1 &&
	    e.code == EX_PROTOCOL, "nesting past 32 refused");
	buf_free(&deep);
}

static void
keys(void)
{
	struct buf b = { 0 }, u = { 0 };
	const char *k = "a\\b\nc\td\re\001f\x7f\xe2\x98\x83 g";
	struct err e;

	s3_cli_escape(&b, k);
	is_str(buf_str(&b), "a\\\\b\\nc\\td\\re\\x01f\\x7f\xe2\x98\x83 g",
	    "a key as one line");
	ok(s3_cli_unescape(&u, b.p, b.len, &e) == 0, "unescapes");
	is_str(buf_str(&u), k, "and round-trips");
	buf_reset(&u);
	ok(s3_cli_unescape(&u, "x\\q", 3, &e) == -1 && e.code == EX_DATAERR,
	    "a bad escape is 65");
	ok(s3_cli_unescape(&u, "x\\x0", 4, &e) == -1, "a short \\x is 65");
	ok(s3_cli_unescape(&u, "x\\x00", 5, &e) == -1, "a NUL is refused");
	buf_free(&b);
	buf_free(&u);
}

/* The common options of the S3 programs and their ranges. */
static void
options(void)
{
	struct s3_conf c;
	struct err e;
	const char *key;

	s3_conf_defaults(&c);
	ok(s3_cli_opt('R', "0", &c, &e) == 1 && c.retry_time_ms == 0,
	    "-R 0: no retrying time");
	ok(s3_cli_opt('R', "24h", &c, &e) == 1 && c.retry_time_ms == 86400000,
	    "-R up to a day");
	ok(s3_cli_opt('R', "25h", &c, &e) == -1 && e.code == EX_USAGE &&
	    strncmp(e.msg, "-R: ", 4) == 0, "-R beyond a day: 64, named");
	ok(s3_cli_opt('T', "1s", &c, &e) == 1 && c.stall_timeout_ms == 1000,
	    "-T from a second");
	ok(s3_cli_opt('T', "999ms", &c, &e) == -1 && e.code == EX_USAGE &&
	    strncmp(e.msg, "-T: ", 4) == 0, "-T under a second: 64, named");
	ok(s3_cli_opt('T', "1h", &c, &e) == 1 && c.stall_timeout_ms == 3600000,
	    "-T up to an hour");
	is_int(c.retry_time_ms, 86400000, "-T leaves -R alone");
	ok(s3_cli_opt('A', "0", &c, &e) == -1, "-A 0 refused");
	ok(s3_cli_opt('x', "1", &c, &e) == 0, "another letter is not common");
	ok(s3_cli_target("s3://b/k/l", &c, &key, &e) == 0 &&
	    strcmp(c.bucket, "b") == 0 && strcmp(key, "k/l") == 0,
	    "s3://bucket/key");
	ok(s3_cli_target("s3://", &c, &key, &e) == -1 && e.code == EX_USAGE,
	    "s3:// without a bucket: 64");
	ok(s3_cli_target("plain", &c, &key, &e) == 0 &&
	    strcmp(key, "plain") == 0, "a plain key as is");
}

static void
json(void)
{
	const char *j = "{\"Code\" : \"Success\", \"AccessKeyId\": \"AK\\u0049D\","
	    " \"SecretAccessKey\":\"se\\/cr\\\"et\", \"Token\": \"t\"}";
	char out[32];

	ok(s3_json_str(j, strlen(j), "AccessKeyId", out, sizeof(out)) == 0,
	    "AccessKeyId found");
	is_str(out, "AKID", "\\u escape decoded");
	ok(s3_json_str(j, strlen(j), "SecretAccessKey", out, sizeof(out)) ==
	    0, "SecretAccessKey found");
	is_str(out, "se/cr\"et", "escapes decoded");
	ok(s3_json_str(j, strlen(j), "Missing", out, sizeof(out)) == -1,
	    "a missing member is -1");
	ok(s3_json_str(j, strlen(j), "Code", out, 4) == -1,
	    "a value too long for the buffer is -1");
}

/* The handed credentials' document reads back as it was written. */
static void
cred_doc(void)
{
	struct s3_conf c, back;
	struct buf b = { 0 };
	struct err e;

	s3_conf_defaults(&c);
	s3_conf_defaults(&back);
	memcpy(c.access_key, "AKID", 5);
	memcpy(c.secret_key, "se/cr\"et\\", 10);
	memcpy(c.token, "tok", 4);
	c.cred_expiry = 1893456000;	/* 2030-01-01T00:00:00Z */
	ok(s3_cred_doc(&c, &b, &e) == 0, "document written");
	is_str(buf_str(&b), "{\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":"
	    "\"se/cr\\\"et\\\\\",\"Token\":\"tok\",\"Expiration\":"
	    "\"2030-01-01T00:00:00Z\"}\n", "its text");
	err_clear(&e);
	ok(s3_cred_parse(&back, b.p, b.len, &e) == 0, "read back");
	is_str(back.secret_key, c.secret_key, "the secret, escapes and all");
	is_str(back.token, "tok", "the token");
	ok(back.cred_expiry == c.cred_expiry, "the expiry");
	buf_reset(&b);
	c.token[0] = '\0';
	c.cred_expiry = 0;
	ok(s3_cred_doc(&c, &b, &e) == 0, "written again");
	is_str(buf_str(&b), "{\"AccessKeyId\":\"AKID\",\"SecretAccessKey\":"
	    "\"se/cr\\\"et\\\\\"}\n", "no token, no expiry: neither member");
	buf_reset(&b);
	c.secret_key[0] = '\x01';
	ok(s3_cred_doc(&c, &b, &e) == -1 && e.code == EX_DATAERR,
	    "a control byte in a key: EX_DATAERR");
	buf_free(&b);
}

static char useen[256];

static int
upload(void *arg, const struct s3_xml_upload *u)
{
	(void)arg;
	(void)strncat(useen, u->key, sizeof(useen) - strlen(useen) - 1);
	(void)strncat(useen, "|", sizeof(useen) - strlen(useen) - 1);
	(void)strncat(useen, u->upload_id, sizeof(useen) - strlen(useen) - 1);
	(void)strncat(useen, ";", sizeof(useen) - strlen(useen) - 1);
	return 0;
}

static void
uploads(void)
{
	struct s3_xml_uploads page;
	struct err e;
	const char *x = "<ListMultipartUploadsResult><IsTruncated>true"
	    "</IsTruncated><NextKeyMarker>b</NextKeyMarker>"
	    "<NextUploadIdMarker>2</NextUploadIdMarker>"
	    "<Upload><Key>a &amp; b</Key><UploadId>1</UploadId>"
	    "<Initiated>2026-12-07T00:00:00Z</Initiated></Upload>"
	    "<Upload><Key>b</Key><UploadId>2</UploadId></Upload>"
	    "</ListMultipartUploadsResult>";

	ok(s3_xml_uploads(x, strlen(x), upload, NULL, &page, &e) == 0,
	    "an upload listing parses");
	is_str(useen, "a & b|1;b|2;", "every upload, in order, decoded");
	ok(page.truncated && strcmp(page.next_key, "b") == 0 &&
	    strcmp(page.next_id, "2") == 0, "the next page's markers");
	x = "<ListMultipartUploadsResult><Upload><Key>a</Key></Upload>"
	    "</ListMultipartUploadsResult>";
	ok(s3_xml_uploads(x, strlen(x), upload, NULL, &page, &e) == -1 &&
	    e.code == EX_PROTOCOL, "an upload without an id is refused");
}

int
main(void)
{
	listing();
	uploads();
	errors();
	malformed();
	keys();
	options();
	json();
	cred_doc();
	return tap_done();
}
