/*
 * s3put: store a file, or standard input, as an S3 object; or, with -d,
 * several files under one prefix, side by side and all or nothing.
 *
 * Streams through s3_upload: one PUT when the data fits in the first
 * part, a multipart upload with parts in parallel beyond (memory bounded
 * by part size x (parts in flight + 1)).  The content type is sniffed
 * from the first bytes unless -t names it.  The uploads themselves are
 * put.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "exitcode.h"
#include "log.h"
#include "put.h"
#include "s3.h"
#include "s3_cli.h"

#define OPTS_USAGE "[-knUv] [-A attempts] [-C cafile] [-c cache-control] " \
	"[-j parts] [-m name=value] [-p part-size] [-R retry-time] " \
	"[-T timeout] [-t type]"
#define USAGE "usage: s3put " OPTS_USAGE " key [file]\n" \
	"       s3put " OPTS_USAGE " -d prefix file ..."
#define MAX_META	32
#define MAX_FILES	1000	/* one DeleteObjects undoes them all */

struct opts {
	struct put_opts	 put;
	const char	*meta[2 * MAX_META + 1];
	char		*names[MAX_META];
	int		 nmeta;
	const char	*prefix;	/* -d */
	int		 print_keys;	/* -k */
	long long	 parts;		/* -j, 0: from the configuration */
	uint64_t	 part_size;	/* -p, 0: likewise */
};

/* One option of s3put's own: 0, or the exit code. */
static int
option(struct s3_cli *cli, struct opts *o, int ch, char *arg)
{
	struct err e;
	char *eq;

	switch (ch) {
	case 'c':
		o->put.po.cache_control = arg;
		return 0;
	case 'd':
		o->prefix = arg;
		return 0;
	case 'j':
		if (parse_long(arg, 1, 64, &o->parts, &e) == -1)
			return s3_cli_usage(cli, e.msg);
		return 0;
	case 'k':
		o->print_keys = 1;
		return 0;
	case 'm':
		if ((eq = strchr(arg, '=')) == NULL || o->nmeta >= MAX_META)
			return s3_cli_usage(cli, "-m takes name=value (at "
			    "most 32)");
		if ((o->names[o->nmeta] = strndup(arg, (size_t)(eq - arg))) ==
		    NULL)
			return s3_cli_usage(cli, "out of memory");
		o->meta[2 * o->nmeta] = o->names[o->nmeta];
		o->meta[2 * o->nmeta + 1] = eq + 1;
		o->nmeta++;
		return 0;
	case 'n':
		o->put.po.create_only = 1;
		return 0;
	case 'p':
		if (parse_size(arg, S3_MIN_PART, S3_MAX_PART, &o->part_size,
		    &e) == -1)
			return s3_cli_usage(cli, e.msg);
		return 0;
	case 't':
		o->put.po.content_type = arg;
		return 0;
	default:
		return s3_cli_usage(cli, NULL);
	}
}

/* What -k will print must fit on a line. */
static int
key_ok(const char *key, int print_keys, struct err *e)
{
	const unsigned char *p;
	struct buf b = { 0 };

	if (strlen(key) > S3_KEY_MAX)
		return err_set(e, EX_USAGE, "a key is 1 to %d bytes",
		    S3_KEY_MAX);
	for (p = (const unsigned char *)key; print_keys && *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			s3_cli_escape(&b, key);
			err_set(e, EX_DATAERR, "key '%s' has a control "
			    "character (-k prints keys as lines)",
			    buf_str(&b));
			buf_free(&b);
			return -1;
		}
	return 0;
}

/* The file's base name: after the last '/', trailing ones ignored. */
static int
base_name(const char *path, const char **b, size_t *n)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	*n = len;
	while (len > 0 && path[len - 1] != '/')
		len--;
	*b = path + len;
	*n -= len;
	return *n == 0 || (*n == 1 && **b == '/') ? -1 : 0;
}

/* The keys of -d: prefix + base name, no two alike; 0 or exit code. */
static int
plan_keys(struct s3_cli *cli, const char *prefix, char **argv, int argc,
    struct put_file *f)
{
	const char *b;
	size_t n, pl = strlen(prefix);
	char why[300];
	int i, j;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") == 0)
			return s3_cli_usage(cli, "-d stores files, not "
			    "standard input");
		if (base_name(argv[i], &b, &n) == -1) {
			(void)snprintf(why, sizeof(why), "no file name in "
			    "'%.200s'", argv[i]);
			return s3_cli_usage(cli, why);
		}
		if ((f[i].key = malloc(pl + n + 1)) == NULL)
			return s3_cli_usage(cli, "out of memory");
		memcpy(f[i].key, prefix, pl);
		memcpy(f[i].key + pl, b, n);
		f[i].key[pl + n] = '\0';
		for (j = 0; j < i; j++)
			if (strcmp(f[j].key + pl, f[i].key + pl) == 0) {
				(void)snprintf(why, sizeof(why), "two files "
				    "named '%.200s'", f[i].key + pl);
				return s3_cli_usage(cli, why);
			}
	}
	return 0;
}

static int
report(struct s3 *s, const struct opts *o, const struct put_file *f,
    int n)
{
	struct buf kb = { 0 };
	int i;

	for (i = 0; i < n; i++) {
		if (o->print_keys) {
			(void)printf("%s\n", f[i].key);
			continue;
		}
		buf_reset(&kb);
		s3_cli_escape(&kb, f[i].key);
		(void)printf("s3://%s/%s %llu %s\n", s3_bucket(s),
		    buf_str(&kb), (unsigned long long)f[i].total,
		    f[i].etag);
	}
	buf_free(&kb);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		log_fatal("write to standard output failed");
		return EX_OSERR;
	}
	return EX_OK;
}

int
main(int argc, char **argv)
{
	static struct opts o;
	struct s3_cli cli;
	struct put_file *f;
	struct s3 *s;
	struct err e;
	const char *key;
	int ch, i, n, rc;

	if ((rc = s3_cli_init(&cli, argv[0], USAGE, S3_CLI_NET)) != 0)
		return rc;
	while ((ch = s3_cli_getopt(&cli, argc, argv, "c:d:j:km:np:t:")) !=
	    -1)
		if ((rc = option(&cli, &o, ch, optarg)) != 0)
			return rc;
	if (o.prefix != NULL && argc - optind > MAX_FILES)
		return s3_cli_usage(&cli, "at most 1000 files at once");
	if ((rc = s3_cli_operands(&cli, &argc, &argv, 1, o.prefix ? -1 :
	    2)) != 0)
		return rc;
	if (o.parts > 0)
		cli.c.parts_in_flight = (int)o.parts;
	if (o.part_size > 0)
		cli.c.part_size = o.part_size;
	if (s3_cli_target(o.prefix ? o.prefix : argv[0], &cli.c, &key, &e)
	    == -1)
		return s3_cli_usage(&cli, e.msg);
	n = o.prefix ? argc : 1;
	if ((f = calloc((size_t)n, sizeof(*f))) == NULL) {
		err_set(&e, EX_OSERR, "out of memory");
		return s3_cli_fatal(&e);
	}
	if (o.prefix == NULL) {
		if (*key == '\0')
			return s3_cli_usage(&cli, "no key given");
		if ((f[0].key = strdup(key)) == NULL)
			return s3_cli_usage(&cli, "out of memory");
	} else if ((rc = plan_keys(&cli, key, argv, argc, f)) != 0)
		return rc;
	for (i = 0; i < n; i++) {
		char *k = f[i].key;

		if (key_ok(k, o.print_keys, &e) == -1)
			return s3_cli_fatal(&e);
		if (put_open(&f[i], o.prefix ? argv[i] : argc == 2 ?
		    argv[1] : NULL, &e) == -1)
			return s3_cli_fatal(&e);
		f[i].key = k;
	}
	if ((rc = s3_cli_client(&cli, &s)) != 0)
		return rc;
	o.meta[2 * o.nmeta] = NULL;
	o.put.po.meta = o.nmeta > 0 ? o.meta : NULL;
	if (s3_put_opts_check(&o.put.po, &e) == -1) {
		s3_free(s);
		return s3_cli_fatal(&e);
	}
	o.put.parallel = cli.c.parts_in_flight;
	o.put.verbose = cli.verbose;
	if ((rc = put_all(s, f, n, &o.put)) == EX_OK &&
	    (cli.verbose > 0 || o.print_keys))
		rc = report(s, &o, f, n);
	for (i = 0; i < n; i++)
		free(f[i].key);
	free(f);
	for (i = 0; i < o.nmeta; i++)
		free(o.names[i]);
	s3_free(s);
	return rc;
}
