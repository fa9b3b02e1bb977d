/*
 * err.h: the error that library functions fill.
 *
 * Library code never exits and never prints.  A function that fails returns
 * -1 (or NULL) and fills a struct err with the exit code of imgq(7) that
 * fits the failure (EX_TEMPFAIL for a network error, EX_DATAERR for bad
 * input, ...) and a one-line message without the program name.  main.c
 * prints the message and exits with the code; a caller that can recover
 * looks at the code's class (ex_class_of_code()).
 */
#ifndef IMGQ_ERR_H
#define IMGQ_ERR_H

#include <stddef.h>

#define ERR_MSGLEN 512

struct err {
	int	code;			/* EX_* of exitcode.h, 0 when clear */
	char	msg[ERR_MSGLEN];	/* one line, no trailing newline */
};

void	err_clear(struct err *);

/*
 * Sets code and a printf-style message; returns -1 so that a failing
 * function can end with "return err_set(e, EX_DATAERR, ...);".  A NULL
 * err is allowed and ignored.  Newlines and control characters in the
 * formatted message are replaced, so a message stays one line.
 */
int	err_set(struct err *, int, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

/* As err_set, with ": " and strerror(errnum) appended. */
int	err_errno(struct err *, int, int, const char *, ...)
	    __attribute__((format(printf, 4, 5)));

/* Prefixes "what: " to an existing message (keeps the code). */
int	err_prefix(struct err *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
