/*
 * s3get: an S3 object to standard output or a file, streaming.
 *
 * A file is written under a temporary name beside it and renamed only
 * when complete.  A transfer broken mid-way resumes with a Range request
 * (in the library), so every byte is written once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "exitcode.h"
#include "log.h"
#include "s3.h"
#include "s3_cli.h"
#include "sys.h"

#define USAGE "usage: s3get [-Uv] [-A attempts] [-C cafile] [-e etag] " \
	"[-r first-[last]] [-R retry-time] [-T timeout] key [file]"

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

static mode_t
umask_now(void)
{
	mode_t m = umask(022);

	(void)umask(m);
	return m;
}

struct out {
	int		 fd;
	const char	*name;
};

static int
sink(void *arg, const void *buf, size_t len, struct err *e)
{
	struct out *o = arg;

	if (sys_write_all(o->fd, buf, len, e) == -1) {
		e->code = errno == ENOSPC ? EX_TEMPFAIL : EX_OSERR;
		return err_prefix(e, "write %s", o->name);
	}
	return 0;
}

static int
parse_range(const char *s, struct s3_get_opts *o, struct err *e)
{
	const char *dash = strchr(s, '-');
	char first[32];
	long long a, b;

	if (dash == NULL || dash == s || (size_t)(dash - s) >= sizeof(first))
		return err_set(e, EX_USAGE, "-r takes first-[last]: '%s'", s);
	memcpy(first, s, (size_t)(dash - s));
	first[dash - s] = '\0';
	if (parse_long(first, 0, 0x7fffffffffffffffLL, &a, e) == -1)
		return -1;
	o->has_range = 1;
	o->range_start = (uint64_t)a;
	o->range_end = UINT64_MAX;
	if (dash[1] != '\0') {
		if (parse_long(dash + 1, a, 0x7fffffffffffffffLL, &b, e) == -1)
			return -1;
		o->range_end = (uint64_t)b;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct s3_get_opts go;
	struct s3_objinfo oi;
	struct s3_conf c;
	struct out o = { 1, "standard output" };
	struct s3 *s;
	struct err e;
	const char *key, *file = NULL;
	char tmp[4096];
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
	memset(&go, 0, sizeof(go));
	while ((ch = getopt(argc, argv, S3_CLI_OPTS "e:r:v")) != -1) {
		if ((rc = s3_cli_opt(ch, optarg, &c, &e)) == -1)
			usage(e.msg);
		if (rc == 1)
			continue;
		switch (ch) {
		case 'e':
			if (*optarg == '\0' || strlen(optarg) >= S3_ETAG_MAX)
				usage("-e takes an ETag");
			go.if_none_match = optarg;
			break;
		case 'r':
			if (parse_range(optarg, &go, &e) == -1)
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
	if (argc < 1 || argc > 2)
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
	if (s3_cli_target(argv[0], &c, &key, &e) == -1)
		usage(e.msg);
	if (*key == '\0')
		usage("no key given");
	if (argc == 2 && strcmp(argv[1], "-") != 0)
		file = argv[1];
	c.verbose = verbose > 1 ? 2 : verbose;
	c.trace = trace;
	if ((s = s3_new(&c, &e)) == NULL) {
		log_fatal("%s", e.msg);
		return e.code;
	}
	if (file != NULL) {
		if ((size_t)snprintf(tmp, sizeof(tmp), "%s.s3get.XXXXXX",
		    file) >= sizeof(tmp))
			usage("file name too long");
		if ((o.fd = mkstemp(tmp)) == -1) {
			log_fatal("%s: %s", tmp, strerror(errno));
			return errno == ENOENT || errno == ENOTDIR ?
			    EX_NOINPUT : EX_OSERR;
		}
		o.name = file;
	}
	go.sink = sink;
	go.sink_arg = &o;
	rc = s3_get(s, key, &go, &oi, &e);
	if (file != NULL) {
		if (rc == 0 && (fchmod(o.fd, 0644 & ~umask_now()) == -1 ||
		    fsync(o.fd) == -1)) {
			err_errno(&e, EX_OSERR, errno, "%s", file);
			rc = -1;
		}
		if (close(o.fd) == -1 && rc == 0) {
			err_errno(&e, EX_OSERR, errno, "%s", file);
			rc = -1;
		}
		if (rc == 0 && rename(tmp, file) == -1) {
			err_errno(&e, EX_OSERR, errno, "rename to %s", file);
			rc = -1;
		}
		if (rc != 0)
			(void)unlink(tmp);
	}
	s3_free(s);
	if (rc == -1) {
		log_fatal("%s", e.msg);
		return e.code ? e.code : EX_SOFTWARE;
	}
	if (rc == 1) {
		if (verbose > 0)
			log_info("not modified");
		return EX_NEGATIVE;
	}
	if (verbose > 0)
		log_info("%llu bytes, ETag %s", (unsigned long long)oi.size,
		    oi.etag);
	return EX_OK;
}
