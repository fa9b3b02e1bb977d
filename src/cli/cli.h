/*
 * cli.h: the programs' shared front (not library code: these print and
 * exit).  A main's usage line and its fatal errors, the same way in
 * every program: "prog: fatal: why" on standard error, then the usage
 * line and 64, or the error's exit code (imgq(7)).
 */
#ifndef IMGQ_CLI_H
#define IMGQ_CLI_H

#include "err.h"
#include "log.h"

/*
 * A program's start: descriptors 0 to 2 made sane (exit 71 when they
 * cannot be), log lines named after argv0 at level (LOG_LVL_*), SIGPIPE
 * ignored (a write to a closed pipe fails with EPIPE instead).
 */
void	cli_start(const char *argv0, enum log_level);

/* why (if any) as a fatal line, then the usage line; exits 64. */
void	cli_usage(const char *usage, const char *why)
	    __attribute__((noreturn));

/* The error as a fatal line; exits with its code (70 when none). */
void	cli_die(const struct err *) __attribute__((noreturn));

#endif
