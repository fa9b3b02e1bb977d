/*
 * s3rm: delete keys named as arguments, or read one per line from
 * standard input ("-"), in the escaped form s3ls prints, deleted in
 * batches of up to 1000 (DeleteObjects).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcode.h"
#include "log.h"
#include "s3.h"
#include "s3_cli.h"
#include "s3_xml.h"
#include "sys.h"

#define USAGE "usage: s3rm [-Uv] [-A attempts] [-C cafile] [-R retry-time] " \
	"[-T timeout] key ... | - | -u prefix ..."
#define BATCH	250	/* DeleteObjects takes 1000; servers take long */

static int worst;	/* exit code of the worst refusal */

static void
refused(void *arg, const char *key, const char *code, const char *msg)
{
	struct buf b = { 0 };
	int ex;

	(void)arg;
	s3_cli_escape(&b, key);
	log_error("DELETE %s: %s: %s",
	    buf_str(&b), code, msg);
	buf_free(&b);
	if (strcmp(code, "AccessDenied") == 0)
		ex = EX_NOPERM;
	else if (strcmp(code, "InternalError") == 0 ||
	    strcmp(code, "SlowDown") == 0 ||
	    strcmp(code, "ServiceUnavailable") == 0)
		ex = EX_TEMPFAIL;
	else
		ex = EX_DATAERR;
	if (worst == 0 || ex == EX_NOPERM)
		worst = ex;
}

static int
flush(struct s3 *s, char **keys, size_t *n, struct err *e)
{
	size_t i;
	int rc;

	if (*n == 0)
		return 0;
	if (*n == 1)
		rc = s3_delete(s, keys[0], e);
	else
		rc = s3_delete_many(s, (const char *const *)keys, *n, refused,
		    NULL, e) == -1 ? -1 : 0;
	for (i = 0; i < *n; i++)
		free(keys[i]);
	*n = 0;
	return rc;
}

static int
from_stdin(struct s3 *s, struct err *e)
{
	struct buf k = { 0 };
	char **keys, *line = NULL;
	size_t n = 0, cap = 0, lineno = 0;
	ssize_t len;
	int rc = 0;

	if ((keys = calloc(BATCH, sizeof(*keys))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	while ((len = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0)
			continue;
		buf_reset(&k);
		if (s3_cli_unescape(&k, line, (size_t)len, e) == -1) {
			err_prefix(e, "standard input, line %zu", lineno);
			rc = -1;
			break;
		}
		if (k.len > 1024) {
			rc = err_set(e, EX_DATAERR, "standard input, line "
			    "%zu: key longer than 1024 bytes", lineno);
			break;
		}
		keys[n++] = buf_take(&k);
		if (n == BATCH && (rc = flush(s, keys, &n, e)) == -1)
			break;
	}
	if (rc == 0 && ferror(stdin))
		rc = err_errno(e, EX_OSERR, errno, "read standard input");
	if (rc == 0)
		rc = flush(s, keys, &n, e);
	while (n > 0)
		free(keys[--n]);
	free(keys);
	free(line);
	buf_free(&k);
	return rc;
}

/* Plain keys, or s3:// ones of one bucket (the first sets it); 0 or code. */
static int
check_keys(struct s3_cli *cli, char **argv, int argc)
{
	const char *key;
	char first[sizeof(cli->c.bucket)];
	int i, rc;

	for (i = 0; i < argc; i++) {
		memcpy(first, cli->c.bucket, sizeof(first));
		if ((rc = s3_cli_key(cli, argv[i], &key)) != 0)
			return rc;
		if (i > 0 && ((strncmp(argv[i], "s3://", 5) == 0) !=
		    (strncmp(argv[0], "s3://", 5) == 0) ||
		    strcmp(first, cli->c.bucket) != 0))
			return s3_cli_usage(cli, "keys of one bucket only");
	}
	return 0;
}

/* The keys named as arguments, in batches. */
static int
from_args(struct s3 *s, char **argv, int argc, struct err *e)
{
	struct s3_conf tc;
	const char *key;
	char **keys;
	size_t n = 0;
	int i, rc = 0;

	if ((keys = calloc(BATCH, sizeof(*keys))) == NULL)
		return err_set(e, EX_OSERR, "out of memory");
	for (i = 0; i < argc && rc == 0; i++) {
		memset(&tc, 0, sizeof(tc));
		(void)s3_cli_target(argv[i], &tc, &key, e);
		if ((keys[n++] = strdup(key)) == NULL)
			rc = err_set(e, EX_OSERR, "out of memory");
		else if (n == BATCH)
			rc = flush(s, keys, &n, e);
	}
	if (rc == 0)
		rc = flush(s, keys, &n, e);
	while (n > 0)
		free(keys[--n]);
	free(keys);
	return rc;
}

/* Aborts one incomplete multipart upload; a refusal is kept, not fatal. */
static int
abort_one(void *arg, const struct s3_xml_upload *up, struct err *e)
{
	struct s3 *s = arg;
	struct buf k = { 0 };
	struct err ae;

	(void)e;
	s3_cli_escape(&k, up->key);
	if (s3_abort_upload(s, up->key, up->upload_id, &ae) == -1) {
		log_error("abort s3://%s/%s (upload id %s): %s", s3_bucket(s),
		    buf_str(&k), up->upload_id, ae.msg);
		if (worst == 0 || ae.code == EX_NOPERM)
			worst = ae.code;
	} else
		log_info("aborted s3://%s/%s (upload id %s)", s3_bucket(s),
		    buf_str(&k), up->upload_id);
	buf_free(&k);
	return 0;
}

/* -u: every incomplete multipart upload under each prefix. */
static int
abort_uploads(struct s3 *s, char **argv, int argc, struct err *e)
{
	int i;

	for (i = 0; i < argc; i++)
		if (s3_list_uploads(s, argv[i], abort_one, s, e) == -1)
			return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct s3_cli cli;
	struct s3 *s;
	struct err e;
	int ch, rc, std, uploads = 0;

	if ((rc = s3_cli_init(&cli, argv[0], USAGE, S3_CLI_NET)) != 0)
		return rc;
	while ((ch = s3_cli_getopt(&cli, argc, argv, "u")) != -1) {
		if (ch != 'u')
			return s3_cli_usage(&cli, NULL);
		uploads = 1;
	}
	if ((rc = s3_cli_operands(&cli, &argc, &argv, 1, -1)) != 0)
		return rc;
	std = !uploads && argc == 1 && strcmp(argv[0], "-") == 0;
	if (!std && !uploads && (rc = check_keys(&cli, argv, argc)) != 0)
		return rc;
	if ((rc = s3_cli_client(&cli, &s)) != 0)
		return rc;
	if (uploads)
		rc = abort_uploads(s, argv, argc, &e);
	else
		rc = std ? from_stdin(s, &e) : from_args(s, argv, argc, &e);
	s3_free(s);
	return rc == -1 ? s3_cli_fatal(&e) : worst;
}
