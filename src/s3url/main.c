/*
 * s3url: a presigned URL (GET by default, or PUT) for a key, valid for a
 * number of seconds; with -t it is signed as of a given time, so the same
 * arguments give the same URL.  Needs no network.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "env.h"
#include "exitcode.h"
#include "log.h"
#include "s3.h"
#include "s3_cli.h"
#include "sigv4.h"
#include "sys.h"

#define USAGE "usage: s3url [-v] [-e seconds] [-m GET|PUT] [-t time] key"

static void
usage(const char *why)
{
	if (why != NULL)
		log_fatal("%s", why);
	(void)fprintf(stderr, "%s\n", USAGE);
	exit(EX_USAGE);
}

/* Seconds since the epoch, or 20150830T123600Z. */
static int
parse_time(const char *s, time_t *t, struct err *e)
{
	long long v;

	if (sigv4_parse_amz_date(s, t) == 0)
		return 0;
	if (parse_long(s, 0, 253402300799LL, &v, e) == -1)
		return err_set(e, EX_USAGE, "-t takes seconds since the epoch "
		    "or YYYYMMDDTHHMMSSZ: '%s'", s);
	*t = (time_t)v;
	return 0;
}

int
main(int argc, char **argv)
{
	struct s3_conf c;
	struct s3 *s;
	struct err e;
	const char *key, *method = "GET";
	char *url;
	long long expires = 3600;
	time_t t = time(NULL);
	int ch;

	char **argv0 = argv;
	int argc0 = argc, pass2 = 0;

	if (sys_sane_fds() == -1)
		return EX_OSERR;
	log_init(argv[0]);
	/* Options first (so usage errors win), then the environment. */
	s3_conf_defaults(&c);
again:
	method = "GET";
	expires = 3600;
	t = time(NULL);
	while ((ch = getopt(argc, argv, "e:m:t:v")) != -1) {
		switch (ch) {
		case 'e':
			if (parse_long(optarg, 1, 604800, &expires, &e) == -1)
				usage(e.msg);
			break;
		case 'm':
			if (strcmp(optarg, "GET") != 0 &&
			    strcmp(optarg, "PUT") != 0)
				usage("-m takes GET or PUT");
			method = optarg;
			break;
		case 't':
			if (parse_time(optarg, &t, &e) == -1)
				usage(e.msg);
			break;
		case 'v':
			break;
		default:
			usage(NULL);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
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
	if ((s = s3_new(&c, &e)) == NULL) {
		log_fatal("%s", e.msg);
		return e.code;
	}
	if (s3_presign(s, method, key, (long)expires, t, &url, &e) == -1) {
		s3_free(s);
		log_fatal("%s", e.msg);
		return e.code;
	}
	(void)printf("%s\n", url);
	free(url);
	s3_free(s);
	if (fflush(stdout) == EOF) {
		log_fatal("write to standard output failed");
		return EX_OSERR;
	}
	return EX_OK;
}
