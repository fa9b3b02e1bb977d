/*
 * s3_handed.c: credentials handed over in a file.  imgq-pop resolves the
 * chain once and writes what it found for each job (imgq-pop(1)), so that
 * the S3 tools of a job neither ask a metadata service nor see a key in
 * their environment.  The document is the one a container endpoint
 * answers with, so one parser reads both.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "json.h"
#include "s3.h"
#include "s3_cred.h"

#define HANDED_MAX	16384

/* 2026-12-08T03:04:05Z */
static void
iso_time(time_t t, char out[32])
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		out[0] = '\0';
}

static int
member(struct buf *b, const char *name, const char *val, int first)
{
	if (!first)
		(void)buf_addc(b, ',');
	(void)json_str(b, name, strlen(name));
	(void)buf_addc(b, ':');
	return json_str(b, val, strlen(val));
}

/* Keys and tokens are printable ASCII; anything else is no credential. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

int
s3_cred_doc(const struct s3_conf *c, struct buf *b, struct err *e)
{
	char exp[32];

	if (!printable(c->access_key) || !printable(c->secret_key) ||
	    !printable(c->token))
		return err_set(e, EX_DATAERR, "credentials hold bytes that "
		    "are not printable ASCII");
	(void)buf_addc(b, '{');
	(void)member(b, "AccessKeyId", c->access_key, 1);
	(void)member(b, "SecretAccessKey", c->secret_key, 0);
	if (c->token[0] != '\0')
		(void)member(b, "Token", c->token, 0);
	if (c->cred_expiry != 0) {
		iso_time(c->cred_expiry, exp);
		(void)member(b, "Expiration", exp, 0);
	}
	(void)buf_adds(b, "}\n");
	if (b->over)
		return err_set(e, EX_OSERR, "out of memory");
	return 0;
}

/* The whole file, at most HANDED_MAX bytes, into buf (NUL-terminated). */
static ssize_t
slurp(const char *path, char *buf, size_t size, struct err *e)
{
	ssize_t n, got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return err_errno(e, EX_CONFIG, errno, "credentials file %s",
		    path);
	while ((size_t)got < size - 1 &&
	    (n = read(fd, buf + got, size - 1 - (size_t)got)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			err_errno(e, EX_CONFIG, errno, "credentials file %s",
			    path);
			close(fd);
			return -1;
		}
		got += n;
	}
	close(fd);
	if ((size_t)got == size - 1)
		return err_set(e, EX_CONFIG, "credentials file %s: larger "
		    "than %d bytes", path, HANDED_MAX - 1);
	buf[got] = '\0';
	return got;
}

int
s3_cred_load(struct s3_conf *c, const char *path, struct err *e)
{
	char doc[HANDED_MAX], exp[32];
	size_t pl = strlen(path);
	ssize_t n;
	int rc;

	if (pl >= sizeof(c->cred_url))
		return err_set(e, EX_CONFIG, "credentials file path too long");
	if ((n = slurp(path, doc, sizeof(doc), e)) == -1)
		return -1;
	rc = s3_cred_parse(c, doc, (size_t)n, e);
	memset(doc, 0, sizeof(doc));
	if (rc == -1)
		return err_set(e, EX_CONFIG, "credentials file %s: no "
		    "AccessKeyId and SecretAccessKey", path);
	memmove(c->cred_url, path, pl + 1);
	c->cred_source = S3_CRED_HANDED;
	if (c->cred_expiry != 0 && time(NULL) >= c->cred_expiry) {
		iso_time(c->cred_expiry, exp);
		return err_set(e, EX_NOPERM, "credentials file %s: expired "
		    "at %s", path, exp);
	}
	return 0;
}

int
s3_cred_reload(struct s3_conf *c, struct err *e)
{
	char path[sizeof(c->cred_url)];

	memcpy(path, c->cred_url, sizeof(path));
	return s3_cred_load(c, path, e);
}
