/*
 * s3rm: delete keys named as arguments, or read one per line from
 * standard input ("-"), in the escaped form s3ls prints, deleted in
 * batches of up to 1000 (DeleteObjects).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcode.h"
#include "log.h"
#include "s3.h"
#include "s3_cli.h"
#include "sys.h"

#define USAGE "usage: s3rm [-Uv] [-A attempts] [-C cafile] [-R retry-time] " \
	"[-T timeout] key ... | -"
#define BATCH	250	/* DeleteObjects takes 1000; servers take long */

static int worst;	/* exit code of the worst refusal */

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

static void
refused(void *arg, const char *key, const char *code, const char *msg)
{
	struct s3_buf b = { 0 };
	int ex;

	(void)arg;
	s3_cli_escape(&b, key);
	log_error("DELETE %s: %s: %s",
	    s3_buf_str(&b), code, msg);
	s3_buf_free(&b);
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
	struct s3_buf k = { 0 };
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
		s3_buf_reset(&k);
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
		keys[n++] = s3_buf_take(&k);
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
	s3_buf_free(&k);
	return rc;
}

int
main(int argc, char **argv)
{
	struct s3_conf c;
	struct s3 *s;
	struct err e;
	const char *key;
	char **keys;
	size_t n = 0;
	int ch, i, rc = 0, verbose = 0;

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
	while ((ch = getopt(argc, argv, S3_CLI_OPTS "v")) != -1) {
		if ((rc = s3_cli_opt(ch, optarg, &c, &e)) == -1)
			usage(e.msg);
		if (rc == 1)
			continue;
		if (ch == 'v')
			verbose++;
		else
			usage(NULL);
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
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
	if (argc == 1 && strcmp(argv[0], "-") == 0) {
		key = NULL;
	} else {
		for (i = 0; i < argc; i++) {
			struct s3_conf first = c;

			if (s3_cli_target(argv[i], &c, &key, &e) == -1)
				usage(e.msg);
			if (*key == '\0')
				usage("no key given");
			/* All plain keys, or all s3:// of one bucket. */
			if (i > 0 && ((strncmp(argv[i], "s3://", 5) == 0) !=
			    (strncmp(argv[0], "s3://", 5) == 0) ||
			    strcmp(first.bucket, c.bucket) != 0))
				usage("keys of one bucket only");
		}
	}
	c.verbose = verbose > 1 ? 2 : verbose;
	c.trace = trace;
	if ((s = s3_new(&c, &e)) == NULL) {
		log_fatal("%s", e.msg);
		return e.code;
	}
	if (argc == 1 && strcmp(argv[0], "-") == 0)
		rc = from_stdin(s, &e);
	else if ((keys = calloc(BATCH, sizeof(*keys))) == NULL)
		rc = err_set(&e, EX_OSERR, "out of memory");
	else {
		for (i = 0; i < argc && rc == 0; i++) {
			struct s3_conf tc = c;

			(void)s3_cli_target(argv[i], &tc, &key, &e);
			if (strcmp(tc.bucket, c.bucket) != 0) {
				rc = err_set(&e, EX_USAGE, "keys of one "
				    "bucket only");
				break;
			}
			if ((keys[n++] = strdup(key)) == NULL)
				rc = err_set(&e, EX_OSERR, "out of memory");
			else if (n == BATCH)
				rc = flush(s, keys, &n, &e);
		}
		if (rc == 0)
			rc = flush(s, keys, &n, &e);
		while (n > 0)
			free(keys[--n]);
		free(keys);
	}
	s3_free(s);
	if (rc == -1) {
		log_fatal("%s", e.msg);
		return e.code ? e.code : EX_SOFTWARE;
	}
	return worst;
}
