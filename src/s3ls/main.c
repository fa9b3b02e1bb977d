/*
 * s3ls: list keys (ListObjectsV2, every page), one per line, escaped so
 * that a key with a newline or a control character stays one line (the
 * form s3rm - reads back).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "exitcode.h"
#include "log.h"
#include "s3.h"
#include "s3_cli.h"
#include "s3_xml.h"
#include "sys.h"

#define USAGE "usage: s3ls [-luUv] [-A attempts] [-C cafile] [-d delimiter] " \
	"[-n max-keys] [-R retry-time] [-T timeout] [prefix]"

static int longfmt;

static int
entry(void *arg, const struct s3_xml_entry *ent, struct err *e)
{
	struct buf *b = arg;

	buf_reset(b);
	if (ent->key == NULL) {
		if (longfmt)
			buf_adds(b, "PRE ");
		s3_cli_escape(b, ent->prefix);
	} else {
		if (longfmt)
			buf_addf(b, "%llu %s %s ",
			    (unsigned long long)ent->size,
			    *ent->mtime ? ent->mtime : "-",
			    *ent->etag ? ent->etag : "-");
		s3_cli_escape(b, ent->key);
	}
	if (buf_addc(b, '\n') == -1)
		return err_set(e, EX_OSERR, "out of memory");
	if (fwrite(b->p, 1, b->len, stdout) != b->len)
		return err_set(e, EX_OSERR, "write to standard output failed");
	return 0;
}

/* -u: an incomplete multipart upload: key, upload id, time begun. */
static int
upload(void *arg, const struct s3_xml_upload *up, struct err *e)
{
	struct buf *b = arg;

	buf_reset(b);
	s3_cli_escape(b, up->key);
	buf_addf(b, "\t%s\t%s\n", up->upload_id,
	    *up->initiated ? up->initiated : "-");
	if (b->over)
		return err_set(e, EX_OSERR, "out of memory");
	if (fwrite(b->p, 1, b->len, stdout) != b->len)
		return err_set(e, EX_OSERR, "write to standard output failed");
	return 0;
}

int
main(int argc, char **argv)
{
	struct buf line = { 0 };
	struct s3_cli cli;
	struct s3 *s;
	struct err e;
	const char *prefix = "", *delim = NULL;
	long long max = 0;
	int ch, rc, uploads = 0;

	if ((rc = s3_cli_init(&cli, argv[0], USAGE, S3_CLI_NET)) != 0)
		return rc;
	while ((ch = s3_cli_getopt(&cli, argc, argv, "d:ln:u")) != -1) {
		switch (ch) {
		case 'd':
			if (*optarg == '\0')
				return s3_cli_usage(&cli, "-d takes a "
				    "delimiter");
			delim = optarg;
			break;
		case 'l':
			longfmt = 1;
			break;
		case 'n':
			if (parse_long(optarg, 1, 1LL << 40, &max, &e) == -1)
				return s3_cli_usage(&cli, e.msg);
			break;
		case 'u':
			uploads = 1;
			break;
		default:
			return s3_cli_usage(&cli, NULL);
		}
	}
	if ((rc = s3_cli_operands(&cli, &argc, &argv, 0, 1)) != 0)
		return rc;
	if (argc == 1 && s3_cli_target(argv[0], &cli.c, &prefix, &e) == -1)
		return s3_cli_usage(&cli, e.msg);
	if ((rc = s3_cli_client(&cli, &s)) != 0)
		return rc;
	if (uploads)
		rc = s3_list_uploads(s, prefix, upload, &line, &e);
	else
		rc = s3_list(s, prefix, delim, (long)max, entry, &line, &e);
	buf_free(&line);
	s3_free(s);
	if (fflush(stdout) == EOF && rc == 0)
		rc = err_set(&e, EX_OSERR, "write to standard output failed");
	return rc == -1 ? s3_cli_fatal(&e) : EX_OK;
}
