/*
 * cli.c: the programs' usage line and fatal exits.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "exitcode.h"
#include "log.h"

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
