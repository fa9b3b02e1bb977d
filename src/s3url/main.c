/*
 * s3url: a presigned URL (GET by default, or PUT) for a key, valid for a
 * number of seconds; with -t it is signed as of a given time, so the same
 * arguments give the same URL.  Needs no network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "env.h"
#include "exitcode.h"
#include "log.h"
#include "s3.h"
#include "s3_cli.h"
#include "sigv4.h"
#include "sys.h"

#define USAGE "usage: s3url [-v] [-e seconds] [-m GET|PUT] [-t time] key"

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
	struct s3_cli cli;
	struct s3 *s;
	struct err e;
	const char *key, *method = "GET";
	char *url;
	long long expires = 3600;
	time_t t = time(NULL);
	int ch, rc;

	if ((rc = s3_cli_init(&cli, argv[0], USAGE, 0)) != 0)
		return rc;
	while ((ch = s3_cli_getopt(&cli, argc, argv, "e:m:t:")) != -1) {
		switch (ch) {
		case 'e':
			if (parse_long(optarg, 1, 604800, &expires, &e) == -1)
				return s3_cli_usage(&cli, e.msg);
			break;
		case 'm':
			if (strcmp(optarg, "GET") != 0 &&
			    strcmp(optarg, "PUT") != 0)
				return s3_cli_usage(&cli, "-m takes GET or PUT");
			method = optarg;
			break;
		case 't':
			if (parse_time(optarg, &t, &e) == -1)
				return s3_cli_usage(&cli, e.msg);
			break;
		default:
			return s3_cli_usage(&cli, NULL);
		}
	}
	if ((rc = s3_cli_operands(&cli, &argc, &argv, 1, 1)) != 0 ||
	    (rc = s3_cli_key(&cli, argv[0], &key)) != 0)
		return rc;
	if ((rc = s3_cli_client(&cli, &s)) != 0)
		return rc;
	rc = s3_presign(s, method, key, (long)expires, t, &url, &e);
	s3_free(s);
	if (rc == -1)
		return s3_cli_fatal(&e);
	(void)printf("%s\n", url);
	free(url);
	if (fflush(stdout) == EOF) {
		log_fatal("write to standard output failed");
		return EX_OSERR;
	}
	return EX_OK;
}
