/*
 * s3get: an S3 object to standard output or a file, streaming.
 *
 * A file is written under a temporary name beside it and renamed only
 * when complete (a device or FIFO is written in place).  A transfer
 * broken mid-way resumes with a Range request (in the library), so every
 * byte is written once.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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

#define USAGE "usage: s3get [-lUv] [-A attempts] [-C cafile] [-e etag] " \
	"[-r first-[last]] [-R retry-time] [-T timeout] key [file]"

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

	/* a failed local write is 71 (imgq(7)), a full disk included */
	if (sys_write_all(o->fd, buf, len, e) == -1)
		return err_errno(e, EX_OSERR, errno, "write %s", o->name);
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

/*
 * The object into something that is not a regular file (/dev/null, a FIFO,
 * a terminal): written in place, as renaming over it would replace the
 * device or FIFO by a regular file.
 */
static int
get_in_place(struct s3 *s, const char *key, const char *file,
    struct s3_get_opts *go, struct s3_objinfo *oi, struct err *e)
{
	struct out o = { -1, file };
	int rc;

	if ((o.fd = open(file, O_WRONLY | O_NOCTTY | O_CLOEXEC)) == -1)
		return err_errno(e, EX_OSERR, errno, "%s", file);
	go->sink = sink;
	go->sink_arg = &o;
	rc = s3_get(s, key, go, oi, e);
	if (close(o.fd) == -1 && rc == 0)
		rc = err_errno(e, EX_OSERR, errno, "%s", file);
	return rc;
}

/* The object into the file, by a temporary name renamed when complete. */
static int
get_to_file(struct s3 *s, const char *key, const char *file,
    struct s3_get_opts *go, struct s3_objinfo *oi, struct err *e)
{
	struct out o = { -1, file };
	struct stat st;
	char tmp[4096];
	mode_t mode = 0644 & ~umask_now();
	int rc;

	if (stat(file, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode))
		return get_in_place(s, key, file, go, oi, e);
	/* a file replaced keeps its permissions */
	if (lstat(file, &st) == 0 && S_ISREG(st.st_mode))
		mode = st.st_mode & 07777;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.s3get.XXXXXX", file) >=
	    sizeof(tmp))
		return err_set(e, EX_USAGE, "file name too long");
	if ((o.fd = mkstemp(tmp)) == -1)
		return err_errno(e, EX_OSERR, errno, "%s", tmp);
	go->sink = sink;
	go->sink_arg = &o;
	rc = s3_get(s, key, go, oi, e);
	if (rc == 0 && (fchmod(o.fd, mode) == -1 ||
	    fsync(o.fd) == -1))
		rc = err_errno(e, EX_OSERR, errno, "%s", file);
	if (close(o.fd) == -1 && rc == 0)
		rc = err_errno(e, EX_OSERR, errno, "%s", file);
	if (rc == 0 && rename(tmp, file) == -1)
		rc = err_errno(e, EX_OSERR, errno, "rename to %s", file);
	if (rc != 0)
		(void)unlink(tmp);
	return rc;
}

int
main(int argc, char **argv)
{
	struct s3_get_opts go;
	struct s3_objinfo oi;
	struct s3_cli cli;
	struct out o = { 1, "standard output" };
	struct s3 *s;
	struct err e;
	const char *key, *file = NULL;
	struct stat st;
	int ch, rc, replace_link = 0;

	if ((rc = s3_cli_init(&cli, argv[0], USAGE, S3_CLI_NET)) != 0)
		return rc;
	memset(&go, 0, sizeof(go));
	while ((ch = s3_cli_getopt(&cli, argc, argv, "e:lr:")) != -1) {
		switch (ch) {
		case 'l':
			replace_link = 1;
			break;
		case 'e':
			if (*optarg == '\0' || strlen(optarg) >= S3_ETAG_MAX)
				return s3_cli_usage(&cli, "-e takes an ETag");
			go.if_none_match = optarg;
			break;
		case 'r':
			if (parse_range(optarg, &go, &e) == -1)
				return s3_cli_usage(&cli, e.msg);
			break;
		default:
			return s3_cli_usage(&cli, NULL);
		}
	}
	if ((rc = s3_cli_operands(&cli, &argc, &argv, 1, 2)) != 0 ||
	    (rc = s3_cli_key(&cli, argv[0], &key)) != 0)
		return rc;
	if (argc == 2 && strcmp(argv[1], "-") != 0)
		file = argv[1];
	/* a link may point anywhere: replacing it is asked for, not assumed */
	if (file != NULL && !replace_link && lstat(file, &st) == 0 &&
	    S_ISLNK(st.st_mode)) {
		log_fatal("%s is a symbolic link: not replaced without -l",
		    file);
		return EX_USAGE;
	}
	if ((rc = s3_cli_client(&cli, &s)) != 0)
		return rc;
	if (file != NULL)
		rc = get_to_file(s, key, file, &go, &oi, &e);
	else {
		go.sink = sink;
		go.sink_arg = &o;
		rc = s3_get(s, key, &go, &oi, &e);
	}
	s3_free(s);
	if (rc == -1)
		return e.code == EX_USAGE ? s3_cli_usage(&cli, e.msg) :
		    s3_cli_fatal(&e);
	if (rc == 1) {
		if (cli.verbose > 0)
			log_info("not modified");
		return EX_NEGATIVE;
	}
	if (cli.verbose > 0)
		log_info("%llu bytes, ETag %s", (unsigned long long)oi.size,
		    oi.etag);
	return EX_OK;
}
