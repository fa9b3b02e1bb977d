/*
 * cli.c: the programs' usage line and fatal exits.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "exitcode.h"
#include "log.h"
#include "sys.h"

void
cli_start(const char *argv0, enum log_level level)
{
	if (sys_sane_fds() == -1)
		exit(EX_OSERR);
	log_init(argv0);
	log_set_level(level);
	sys_ignore_sigpipe();
}

void
cli_usage(const char *usage, const char *why)
{
	if (why != NULL)
		log_fatal("%s", why);
	fprintf(stderr, "%s\n", usage);
	exit(EX_USAGE);
}

void
cli_die(const struct err *e)
{
	log_fatal("%s", e->msg);
	exit(e->code != 0 ? e->code : EX_SOFTWARE);
}
