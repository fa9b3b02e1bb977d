/*
 * s3put: store a file, or standard input, as an S3 object.
 *
 * Streams through s3_upload: one PUT when the data fits in the first
 * part, a multipart upload with parts in parallel beyond (memory bounded
 * by part size x (parts in flight + 1)).  The content type is sniffed
 * with libmagic from the first bytes unless -t names it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <magic.h>

#include "env.h"
#include "exitcode.h"
#include "log.h"
#include "s3.h"
#include "s3_cli.h"
#include "sys.h"

#define USAGE "usage: s3put [-nUv] [-A attempts] [-C cafile] " \
	"[-c cache-control] [-j parts] [-m name=value] [-p part-size] " \
	"[-R retry-time] [-T timeout] [-t type] key [file]"
#define READ_SIZE	(1 << 20)
#define SNIFF_SIZE	(64 << 10)
#define MAX_META	32

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
die(const struct err *e)
{
	log_fatal("%s", e->msg);
	exit(e->code ? e->code : EX_SOFTWARE);
}

/* Reads until buf is full or the input ends; -1 on error. */
static ssize_t
read_full(int fd, unsigned char *buf, size_t size)
{
	size_t got = 0;
	ssize_t r;

	while (got < size) {
		r = read(fd, buf + got, size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static char *
sniff(const unsigned char *buf, size_t len)
{
	const char *t;
	char *out = NULL;
	magic_t m;

	if (len == 0)
		return NULL;
	if ((m = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS)) ==
	    NULL)
		return NULL;
	if (magic_load(m, NULL) == 0 && (t = magic_buffer(m, buf, len)) !=
	    NULL)
		out = strdup(t);
	magic_close(m);
	return out;
}

int
main(int argc, char **argv)
{
	struct s3_conf c;
	struct s3_put_opts po;
	struct s3_upload *up;
	struct s3 *s;
	struct err e;
	struct stat st;
	const char *meta[2 * MAX_META + 1], *key, *file = NULL;
	char *type = NULL, *cache = NULL, *sniffed = NULL, *eq;
	char etag[S3_ETAG_MAX], kesc[2048];
	unsigned char *buf;
	int ch, fd = 0, verbose = 0, nmeta = 0, is_pipe, rc;
	long long n;
	uint64_t sz, total;
	ssize_t r;

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
	nmeta = 0;
	memset(&po, 0, sizeof(po));
	type = cache = NULL;
	while ((ch = getopt(argc, argv, S3_CLI_OPTS "c:j:m:np:t:v")) != -1) {
		if ((rc = s3_cli_opt(ch, optarg, &c, &e)) == -1)
			usage(e.msg);
		if (rc == 1)
			continue;
		switch (ch) {
		case 'c':
			cache = optarg;
			break;
		case 'j':
			if (parse_long(optarg, 1, 64, &n, &e) == -1)
				usage(e.msg);
			c.parts_in_flight = (int)n;
			break;
		case 'm':
			if ((eq = strchr(optarg, '=')) == NULL ||
			    nmeta >= MAX_META)
				usage("-m takes name=value (at most 32)");
			/* argv stays intact: options are read twice. */
			if ((meta[2 * nmeta] = strndup(optarg,
			    (size_t)(eq - optarg))) == NULL)
				usage("out of memory");
			meta[2 * nmeta + 1] = eq + 1;
			nmeta++;
			break;
		case 'n':
			po.create_only = 1;
			break;
		case 'p':
			if (parse_size(optarg, S3_MIN_PART, S3_MAX_PART, &sz,
			    &e) == -1)
				usage(e.msg);
			c.part_size = sz;
			break;
		case 't':
			type = optarg;
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
	meta[2 * nmeta] = NULL;
	if (s3_cli_target(argv[0], &c, &key, &e) == -1)
		usage(e.msg);
	if (*key == '\0')
		usage("no key given");
	if (argc == 2 && strcmp(argv[1], "-") != 0) {
		file = argv[1];
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
			err_errno(&e, EX_NOINPUT, errno, "%s", file);
			die(&e);
		}
	}
	if (fstat(fd, &st) == -1) {
		err_errno(&e, EX_OSERR, errno, "fstat");
		die(&e);
	}
	if (S_ISDIR(st.st_mode)) {
		err_set(&e, EX_NOINPUT, "%s: is a directory",
		    file ? file : "standard input");
		die(&e);
	}
	is_pipe = !S_ISREG(st.st_mode);
	if (!is_pipe)
		po.size_hint = (uint64_t)st.st_size;
	c.verbose = verbose > 1 ? 2 : verbose;
	c.trace = trace;
	if ((s = s3_new(&c, &e)) == NULL)
		die(&e);
	if ((buf = malloc(READ_SIZE)) == NULL) {
		err_set(&e, EX_OSERR, "out of memory");
		die(&e);
	}
	/* The first bytes, for the content type. */
	if ((r = read_full(fd, buf, SNIFF_SIZE)) == -1) {
		err_errno(&e, EX_OSERR, errno, "read %s",
		    file ? file : "standard input");
		die(&e);
	}
	if (type == NULL)
		type = sniffed = sniff(buf, (size_t)r);
	po.content_type = type;
	po.cache_control = cache;
	po.meta = nmeta > 0 ? meta : NULL;
	if ((up = s3_upload_new(s, key, &po, &e)) == NULL)
		die(&e);
	while (r > 0) {
		if (s3_upload_write(up, buf, (size_t)r, &e) == -1)
			goto fail;
		/* Keep parts moving while the input is slow. */
		if (is_pipe && s3_upload_wait(up, fd, -1, &e) == -1)
			goto fail;
		do {
			r = read(fd, buf, READ_SIZE);
		} while (r == -1 && errno == EINTR);
		if (r == -1) {
			err_errno(&e, EX_OSERR, errno, "read %s",
			    file ? file : "standard input");
			goto fail;
		}
	}
	total = s3_upload_bytes(up);
	if (s3_upload_finish(up, etag, sizeof(etag), &e) == -1)
		die(&e);
	if (verbose > 0) {
		struct s3_buf kb = { 0 };

		s3_cli_escape(&kb, key);
		(void)snprintf(kesc, sizeof(kesc), "%s", s3_buf_str(&kb));
		s3_buf_free(&kb);
		(void)printf("s3://%s/%s %llu %s\n", s3_bucket(s), kesc,
		    (unsigned long long)total, etag);
	}
	free(sniffed);
	free(buf);
	s3_free(s);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_fatal("write to standard output failed");
		return EX_OSERR;
	}
	return EX_OK;
fail:
	s3_upload_abort(up);
	die(&e);
	return EX_SOFTWARE;
}
