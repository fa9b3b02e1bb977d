/*
 * imgq-env: run a command with the settings of a .env file added to its
 * environment, for the starters that cannot load one themselves (an
 * inetd.conf line, the CGI wrapper, a tcpserver run script).  The file is
 * parsed by the library that imgq-prefork -e uses (dotenv.h): nothing is
 * evaluated.  The file is the layer beneath the environment (envset.h,
 * imgq(7)): a variable already in the environment wins over the file,
 * unless -o puts the file above it.  -s: our own messages go to syslog
 * (under inetd, standard error is the client's connection).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "dotenv.h"
#include "envset.h"
#include "err.h"
#include "exitcode.h"
#include "log.h"
#include "sys.h"

extern char **environ;

static void
usage(void)
{
	(void)fputs("usage: imgq-env [-os] file command [arg ...]\n", stderr);
	exit(EX_USAGE);
}

int
main(int argc, char **argv)
{
	struct dotenv d;
	struct envset set;
	struct err e;
	int ch, errnum, override = 0, use_syslog = 0;

	if (sys_sane_fds() == -1)
		return EX_OSERR;
	log_init(argv[0]);
	err_clear(&e);
	while ((ch = getopt(argc, argv, "+os")) != -1) {
		switch (ch) {
		case 'o':
			override = 1;
			break;
		case 's':
			use_syslog = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2)
		usage();
	if (use_syslog)
		log_use_syslog(LOG_DAEMON);

	if (dotenv_load(argv[0], &d, &e) == -1) {
		log_fatal("%s", e.msg);
		return e.code != 0 ? e.code : EX_CONFIG;
	}
	/* The weaker layer first: the file, or with -o the environment. */
	envset_init(&set);
	if ((override ? envset_put_all(&set, environ, SIZE_MAX, &e) :
	    envset_put_all(&set, d.vars, d.n, &e)) == -1 ||
	    (override ? envset_put_all(&set, d.vars, d.n, &e) :
	    envset_put_all(&set, environ, SIZE_MAX, &e)) == -1) {
		log_fatal("%s", e.msg);
		return e.code;
	}
	environ = envset_envp(&set);
	execvp(argv[1], argv + 1);
	errnum = errno;
	if (errnum == ENOENT) {
		log_fatal("%s: command not found", argv[1]);
		return EX_CONFIG;
	}
	log_fatal("unable to run %s: %s", argv[1], strerror(errnum));
	return errnum == EACCES ? EX_CONFIG : EX_OSERR;
}
