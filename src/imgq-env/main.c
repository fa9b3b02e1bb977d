/*
 * imgq-env: run a command with the settings of a .env file added to its
 * environment, for the starters that cannot load one themselves (an
 * inetd.conf line, the CGI wrapper, a tcpserver run script).  The file is
 * parsed by the library that imgq-prefork -e uses (dotenv.h): nothing is
 * evaluated.  A variable already in the environment wins over the file,
 * unless -o.  -s: our own messages go to syslog (under inetd, standard
 * error is the client's connection).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "dotenv.h"
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

/* 1 when name (len bytes) was in the environment we were given. */
static int
was_set(char *const *env, size_t nenv, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < nenv; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	struct dotenv d;
	struct err e;
	char **given;
	size_t nenv = 0, i, klen;
	const char *eq;
	int ch, r, override = 0, use_syslog = 0;

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
	/* The environment as given, before the file adds to it. */
	while (environ != NULL && environ[nenv] != NULL)
		nenv++;
	if ((given = calloc(nenv + 1, sizeof(*given))) == NULL) {
		log_fatal("out of memory");
		return EX_OSERR;
	}
	for (i = 0; i < nenv; i++)
		if ((given[i] = strdup(environ[i])) == NULL) {
			log_fatal("out of memory");
			return EX_OSERR;
		}
	/* In file order, so that a later line for a key wins. */
	for (i = 0; i < d.n; i++) {
		eq = strchr(d.vars[i], '=');
		klen = (size_t)(eq - d.vars[i]);
		if (!override && was_set(given, nenv, d.vars[i], klen))
			continue;
		d.vars[i][klen] = '\0';
		r = setenv(d.vars[i], eq + 1, 1);
		d.vars[i][klen] = '=';
		if (r != 0) {
			log_fatal("unable to set a variable: %s",
			    strerror(errno));
			return EX_OSERR;
		}
	}
	execvp(argv[1], argv + 1);
	if (errno == ENOENT) {
		log_fatal("%s: command not found", argv[1]);
		return EX_CONFIG;
	}
	log_fatal("unable to run %s: %s", argv[1], strerror(errno));
	return errno == EACCES ? EX_CONFIG : EX_OSERR;
}
