/*
 * cli.h: the programs' shared front (not library code: these print and
 * exit).  A main's usage line and its fatal errors, the same way in
 * every program: "prog: fatal: why" on standard error, then the usage
 * line and 64, or the error's exit code (imgq(7)).
 */
#ifndef IMGQ_CLI_H
#define IMGQ_CLI_H

#include "err.h"

/* why (if any) as a fatal line, then the usage line; exits 64. */
void	cli_usage(const char *usage, const char *why)
	    __attribute__((noreturn));

/* The error as a fatal line; exits with its code (70 when none). */
void	cli_die(const struct err *) __attribute__((noreturn));

#endif
