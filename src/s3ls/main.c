/*
 * s3ls: list keys (ListObjectsV2, every page), one per line, escaped so
 * that a key with a newline or a control character stays one line (the
 * form s3rm - reads back).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env.h"
#include "exitcode.h"
#include "log.h"
#include "s3.h"
#include "s3_cli.h"
#include "s3_xml.h"
#include "sys.h"

#define USAGE "usage: s3ls [-lUv] [-A attempts] [-C cafile] [-d delimiter] " \
	"[-n max-keys] [-R retry-time] [-T timeout] [prefix]"

static int longfmt;

static void
trace(void *arg, const char *line)
{
	(void)arg;
	log_info("%s", line);
}

static void
usage(const char *why)
{
	if (why != NULL)
		log_fatal("%s", why);
	(void)fprintf(stderr, "%s\n", USAGE);
	exit(EX_USAGE);
}

static int
entry(void *arg, const struct s3_xml_entry *ent, struct err *e)
{
	struct s3_buf *b = arg;

	s3_buf_reset(b);
	if (ent->key == NULL) {
		if (longfmt)
			s3_buf_adds(b, "PRE ");
		s3_cli_escape(b, ent->prefix);
	} else {
		if (longfmt)
			s3_buf_addf(b, "%llu %s %s ",
			    (unsigned long long)ent->size,
			    *ent->mtime ? ent->mtime : "-",
			    *ent->etag ? ent->etag : "-");
		s3_cli_escape(b, ent->key);
	}
	if (s3_buf_addc(b, '\n') == -1)
		return err_set(e, EX_OSERR, "out of memory");
	if (fwrite(b->p, 1, b->len, stdout) != b->len)
		return err_set(e, EX_OSERR, "write to standard output failed");
	return 0;
}

int
main(int argc, char **argv)
{
	struct s3_conf c;
	struct s3_buf line = { 0 };
	struct s3 *s;
	struct err e;
	const char *prefix = "", *delim = NULL;
	long long max = 0;
	int ch, rc, verbose = 0;

	char **argv0 = argv;
	int argc0 = argc, pass2 = 0;

	if (sys_sane_fds() == -1)
		return EX_OSERR;
	sys_ignore_sigpipe();
	log_init(argv[0]);
	/* Options first (so usage errors win), then the environment. */
	s3_conf_defaults(&c);
again:
	verbose = 0;
	longfmt = 0;
	delim = NULL;
	max = 0;
	while ((ch = getopt(argc, argv, S3_CLI_OPTS "d:ln:v")) != -1) {
		if ((rc = s3_cli_opt(ch, optarg, &c, &e)) == -1)
			usage(e.msg);
		if (rc == 1)
			continue;
		switch (ch) {
		case 'd':
			if (*optarg == '\0')
				usage("-d takes a delimiter");
			delim = optarg;
			break;
		case 'l':
			longfmt = 1;
			break;
		case 'n':
			if (parse_long(optarg, 1, 1LL << 40, &max, &e) == -1)
				usage(e.msg);
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage(NULL);
	if (!pass2) {
		pass2 = 1;
		if (s3_conf_from_env(&c, &e) == -1) {
			log_fatal("%s", e.msg);
			return e.code;
		}
		argc = argc0;
		argv = argv0;
		optind = 1;
		goto again;
	}
	if (argc == 1 && s3_cli_target(argv[0], &c, &prefix, &e) == -1)
		usage(e.msg);
	c.verbose = verbose > 1 ? 2 : verbose;
	c.trace = trace;
	if ((s = s3_new(&c, &e)) == NULL) {
		log_fatal("%s", e.msg);
		return e.code;
	}
	rc = s3_list(s, prefix, delim, (long)max, entry, &line, &e);
	s3_buf_free(&line);
	s3_free(s);
	if (fflush(stdout) == EOF && rc == 0) {
		err_set(&e, EX_OSERR, "write to standard output failed");
		rc = -1;
	}
	if (rc == -1) {
		log_fatal("%s", e.msg);
		return e.code ? e.code : EX_SOFTWARE;
	}
	return EX_OK;
}
